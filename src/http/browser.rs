//! The browser boundary: which web pages may call this server, and under which host names it
//! answers at all. A desktop server on loopback is reachable by every page its user opens, so
//! the defaults are closed and each opening is named in configuration.
//!
//! Three checks, in the order [`crate::handle`] applies them:
//! 1. **Host.** A request from a loopback peer must name a loopback host (`localhost`,
//!    `*.localhost`, `127.0.0.0/8`, `[::1]`) or one in `ALLOWED_HOSTS`. A DNS-rebinding page
//!    reaches loopback under its own name, so its requests are refused here. The peer is what
//!    the host adapter reports ([`ClientAddr`]); a server bound to loopback only has such peers.
//! 2. **Origin.** A state-changing request (anything but GET, HEAD, OPTIONS) that a browser
//!    sent from a page of another, not allowed origin is refused before any handler runs: CORS
//!    only keeps the page from *reading* the answer, not the request from taking effect.
//! 3. **Content type** (in [`refuse_non_json`]): a JSON endpoint refuses a body declared as any
//!    other type, which closes the `text/plain` and form posts browsers send without a
//!    preflight.

use std::net::{IpAddr, Ipv6Addr};

use http::{HeaderMap, HeaderValue, Method, header};

use crate::http::error::ApiError;

/// The address of the client that sent the request, set by the host adapter as a request
/// extension (from the connection, never from a header a client could forge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Origins NodeTool's own clients call from besides loopback pages, allowed in desktop mode.
/// Its Electron app serves its main window from the server (`http://127.0.0.1:<port>`) and
/// its web UI in development from Vite on `http://localhost:3000`, both covered by the loopback
/// rule; the app's splash, settings and log windows are local files, which Electron sends as
/// `file://` (no web page can). NodeTool's own server allows the same, and also
/// `https://*.nodetool.ai`, which no NodeTool client uses to reach a user's server: we leave
/// that to `CORS_ORIGINS`. `null` (sandboxed frames of any site send it) is never allowed.
pub const NODETOOL_ORIGINS: &[&str] = &["file://"];

/// Which browser origins may call us (CORS, and the Origin check of state-changing requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// `CORS_ORIGINS=*`: every origin, named explicitly by the operator.
    Any,
    /// Loopback pages on any port (desktop), plus exact origins.
    Listed {
        loopback: bool,
        origins: Vec<String>,
    },
}

/// Which host names a loopback peer may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHosts {
    /// `ALLOWED_HOSTS=*`: no Host check.
    Any,
    /// Loopback names and these (lower case, without port or trailing dot).
    Listed(Vec<String>),
}

/// The browser boundary as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserPolicy {
    pub cors: CorsOrigins,
    pub hosts: AllowedHosts,
}

/// A configuration value that is not a list of origins or host names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEntry {
    pub name: &'static str,
    pub entry: String,
}

impl BrowserPolicy {
    /// The policy for a desktop server or another from `CORS_ORIGINS` and `ALLOWED_HOSTS` (comma-separated; `*`
    /// alone opens everything). Desktop allows loopback pages whatever the list says; public
    /// and private allow only what is listed. Warnings name what `*` opens.
    pub fn from_values(
        desktop: bool,
        cors_origins: Option<&str>,
        allowed_hosts: Option<&str>,
        warnings: &mut Vec<String>,
    ) -> Result<BrowserPolicy, BadEntry> {
        let cors = match cors_origins.map(str::trim) {
            Some("*") => {
                warnings.push(
                    "CORS_ORIGINS=* lets every web page the user opens call this server from a \
                     browser"
                        .into(),
                );
                CorsOrigins::Any
            }
            listed => {
                let mut origins: Vec<String> = if desktop {
                    NODETOOL_ORIGINS.iter().map(|o| o.to_string()).collect()
                } else {
                    Vec::new()
                };
                for entry in entries(listed) {
                    origins.push(origin_entry(entry)?);
                }
                CorsOrigins::Listed {
                    loopback: desktop,
                    origins,
                }
            }
        };
        let hosts = match allowed_hosts.map(str::trim) {
            Some("*") => {
                warnings.push(
                    "ALLOWED_HOSTS=* serves any host name to loopback clients, which lets \
                     DNS-rebinding pages reach this server"
                        .into(),
                );
                AllowedHosts::Any
            }
            listed => {
                AllowedHosts::Listed(entries(listed).map(host_entry).collect::<Result<_, _>>()?)
            }
        };
        Ok(BrowserPolicy { cors, hosts })
    }

    /// Whether a page of `origin` may call us.
    pub fn allows_origin(&self, origin: &str) -> bool {
        match &self.cors {
            CorsOrigins::Any => true,
            CorsOrigins::Listed { loopback, origins } => {
                origins.iter().any(|o| o == origin) || (*loopback && is_loopback_origin(origin))
            }
        }
    }

    /// Check 1: refuses a loopback peer that names a host it may not use.
    pub fn check_host<B>(&self, req: &http::Request<B>) -> Result<(), ApiError> {
        let AllowedHosts::Listed(listed) = &self.hosts else {
            return Ok(());
        };
        let loopback_peer = req
            .extensions()
            .get::<ClientAddr>()
            .is_some_and(|ClientAddr(ip)| is_loopback_ip(*ip));
        if !loopback_peer {
            return Ok(());
        }
        let name = request_host(req).map(host_name);
        match name {
            Some(n) if is_loopback_name(&n) || listed.contains(&n) => Ok(()),
            _ => Err(ApiError::Forbidden(
                "This host name is not served here: a loopback server answers only localhost, \
                 127.0.0.1 and [::1] unless ALLOWED_HOSTS names more",
            )),
        }
    }

    /// Check 2: refuses a state-changing request from a page of an origin we do not allow. A
    /// request without `Origin` comes from a client that is not a browser page, or from a
    /// same-origin page of an old browser; both are let through.
    pub fn check_origin<B>(&self, req: &http::Request<B>) -> Result<(), ApiError> {
        // A WebSocket is a GET that browsers open from any page, with no CORS at all: the
        // socket can run workflows, so its upgrade is held to the rule of a write.
        let upgrade = req.uri().path().trim_end_matches('/') == "/ws";
        if !upgrade && matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
            return Ok(());
        }
        let Some(origin) = req.headers().get(header::ORIGIN) else {
            return Ok(());
        };
        let origin = origin.to_str().unwrap_or_default();
        if self.allows_origin(origin) || is_same_origin(origin, req) {
            return Ok(());
        }
        Err(ApiError::Forbidden(
            "Requests from this browser origin are not allowed: add it to CORS_ORIGINS",
        ))
    }
}

/// Check 3: a JSON endpoint refuses a body declared as anything but JSON (`application/json`
/// or `+json`, any parameters), before reading it. A body without a type is read as JSON, as
/// NodeTool's server does: scripts send that, and a browser page cannot send one to another
/// origin without the `Origin` that check 2 refuses.
pub fn refuse_non_json(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get(header::CONTENT_TYPE) {
        Some(v) if !is_json_type(v) => Err(ApiError::UnsupportedMediaType),
        _ => Ok(()),
    }
}

fn is_json_type(value: &HeaderValue) -> bool {
    let Ok(v) = value.to_str() else {
        return false;
    };
    let essence = v.split(';').next().unwrap_or_default().trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json")
            || sub.len() > 5 && sub[sub.len() - 5..].eq_ignore_ascii_case("+json"))
}

fn entries(value: Option<&str>) -> impl Iterator<Item = &str> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
}

/// An origin as browsers send it: `scheme://host[:port]`, without path; a trailing slash is
/// forgiven. Lower-cased, since browsers send scheme and host in lower case.
fn origin_entry(entry: &str) -> Result<String, BadEntry> {
    let bad = || BadEntry {
        name: "CORS_ORIGINS",
        entry: entry.to_string(),
    };
    let origin = entry.trim_end_matches('/').to_ascii_lowercase();
    let (scheme, authority) = origin.split_once("://").ok_or_else(bad)?;
    let scheme_ok = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let authority_ok = !authority.is_empty()
        && !authority
            .bytes()
            .any(|b| matches!(b, b'/' | b'?' | b'#' | b'@' | b'*') || b.is_ascii_whitespace());
    if scheme_ok && authority_ok {
        Ok(origin)
    } else {
        Err(bad())
    }
}

/// A host name as listed in `ALLOWED_HOSTS`: a name or address, optionally with a port (which
/// is ignored, as ports are not what DNS rebinding changes).
fn host_entry(entry: &str) -> Result<String, BadEntry> {
    let name = host_name(entry);
    let ok = !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']')
        });
    if ok {
        Ok(name)
    } else {
        Err(BadEntry {
            name: "ALLOWED_HOSTS",
            entry: entry.to_string(),
        })
    }
}

/// The host the request names: its `Host` header, else the authority of its URI (HTTP/2).
fn request_host<B>(req: &http::Request<B>) -> Option<&str> {
    match req.headers().get(header::HOST) {
        Some(v) => v.to_str().ok(),
        None => req.uri().authority().map(|a| a.as_str()),
    }
}

/// `authority` without its port and trailing dot, in lower case (`[::1]` keeps its brackets).
fn host_name(authority: &str) -> String {
    let a = authority.trim();
    let name = if a.starts_with('[') {
        match a.find(']') {
            Some(end) => &a[..=end],
            None => a,
        }
    } else {
        a.rsplit_once(':').map_or(a, |(name, _)| name)
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn is_loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// `localhost`, any `*.localhost` (browsers resolve those to loopback themselves, RFC 6761),
/// or a loopback address literal.
fn is_loopback_name(name: &str) -> bool {
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    let literal = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .map(|v6| v6.parse::<Ipv6Addr>().map(IpAddr::V6));
    match literal {
        Some(parsed) => parsed.is_ok_and(is_loopback_ip),
        None => name.parse::<IpAddr>().is_ok_and(is_loopback_ip),
    }
}

fn is_loopback_origin(origin: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https") && is_loopback_name(&host_name(authority))
}

/// A page served under the very host the request names (our own `/docs`, say). Only the
/// authority is compared: behind a TLS-terminating proxy we do not see the page's scheme.
fn is_same_origin<B>(origin: &str, req: &http::Request<B>) -> bool {
    let Some((_, authority)) = origin.split_once("://") else {
        return false;
    };
    request_host(req).is_some_and(|host| host.eq_ignore_ascii_case(authority))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(desktop: bool, cors: Option<&str>, hosts: Option<&str>) -> BrowserPolicy {
        BrowserPolicy::from_values(desktop, cors, hosts, &mut Vec::new()).unwrap()
    }

    fn request(method: &str, host: &str, origin: Option<&str>, peer: &str) -> http::Request<()> {
        let mut b = http::Request::builder()
            .method(method)
            .uri("/api/workflows/")
            .header("host", host);
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        let mut req = b.body(()).unwrap();
        req.extensions_mut()
            .insert(ClientAddr(peer.parse().unwrap()));
        req
    }

    #[test]
    fn desktop_allows_loopback_pages_on_any_port_and_nothing_else_by_default() {
        let p = policy(true, None, None);
        for o in [
            "http://localhost:3000",
            "http://127.0.0.1:7777",
            "http://[::1]:5173",
            "https://localhost",
            "http://app.localhost:8080",
            "file://",
        ] {
            assert!(p.allows_origin(o), "{o}");
        }
        for o in [
            "https://evil.example",
            "null",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "https://app.nodetool.ai",
            "chrome-extension://abcdef",
            "http://0.0.0.0:7777",
            "http://192.168.1.2:7777",
        ] {
            assert!(!p.allows_origin(o), "{o}");
        }
    }

    #[test]
    fn public_and_private_allow_only_what_is_listed_and_star_is_explicit() {
        let p = policy(false, None, None);
        assert!(!p.allows_origin("http://localhost:3000"));
        assert!(!p.allows_origin("file://"));
        let p = policy(false, Some("https://a.example, https://B.example/"), None);
        assert!(p.allows_origin("https://a.example"));
        assert!(p.allows_origin("https://b.example"));
        assert!(!p.allows_origin("https://a.example:8443"));
        assert!(!p.allows_origin("http://localhost:3000"));

        let mut warnings = Vec::new();
        let p = BrowserPolicy::from_values(true, Some(" * "), None, &mut warnings).unwrap();
        assert!(p.allows_origin("https://evil.example"));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("CORS_ORIGINS=*"), "{warnings:?}");
    }

    #[test]
    fn entries_that_are_not_origins_or_host_names_are_refused_naming_the_variable() {
        for bad in [
            "a.example",
            "https://a.example/path",
            "https://*.example",
            "https://",
        ] {
            let e = BrowserPolicy::from_values(true, Some(bad), None, &mut vec![]).unwrap_err();
            assert_eq!(e.name, "CORS_ORIGINS", "{bad}");
        }
        let e = BrowserPolicy::from_values(true, None, Some("a b"), &mut vec![]).unwrap_err();
        assert_eq!(e.name, "ALLOWED_HOSTS");
    }

    #[test]
    fn loopback_peers_must_name_a_loopback_host_or_a_listed_one() {
        let p = policy(
            true,
            None,
            Some("nas.lan, Box.Example:7777, [fd00::7]:7777"),
        );
        let served = [
            "localhost:7777",
            "LOCALHOST",
            "127.0.0.1:7777",
            "127.1.2.3",
            "[::1]:7777",
            "app.localhost:7777",
            "nas.lan:1234",
            "box.example",
            "localhost.:7777",
            "[fd00::7]:7777",
        ];
        for host in served {
            assert!(
                p.check_host(&request("GET", host, None, "127.0.0.1"))
                    .is_ok(),
                "{host}"
            );
        }
        for host in [
            "evil.example",
            "evil.example:7777",
            "localhost.evil.example",
            "0.0.0.0:7777",
            "",
            "[::2]:7777",
        ] {
            let e = p
                .check_host(&request("GET", host, None, "::1"))
                .unwrap_err();
            assert_eq!(e.status(), 403, "{host}");
            assert!(e.detail().contains("ALLOWED_HOSTS"), "{host}");
        }
        // A peer elsewhere is not checked: DNS rebinding only reaches loopback from a page
        // on the same machine.
        assert!(
            p.check_host(&request("GET", "evil.example", None, "192.0.2.7"))
                .is_ok()
        );
        // Nor is a request whose host reported no peer (Workers in production).
        let mut req = request("GET", "evil.example", None, "127.0.0.1");
        req.extensions_mut().remove::<ClientAddr>();
        assert!(p.check_host(&req).is_ok());
        // Mapped IPv4 loopback counts as loopback.
        assert!(
            p.check_host(&request("GET", "evil.example", None, "::ffff:127.0.0.1"))
                .is_err()
        );
        let any = policy(true, None, Some("*"));
        assert!(
            any.check_host(&request("GET", "evil.example", None, "127.0.0.1"))
                .is_ok()
        );
    }

    #[test]
    fn state_changing_requests_from_foreign_pages_are_refused_reads_are_not() {
        let p = policy(true, None, None);
        let peer = "127.0.0.1";
        for method in ["POST", "PUT", "DELETE", "PATCH"] {
            let e = p
                .check_origin(&request(
                    method,
                    "localhost:7777",
                    Some("https://evil.example"),
                    peer,
                ))
                .unwrap_err();
            assert_eq!(e.status(), 403);
            assert!(e.detail().contains("CORS_ORIGINS"));
            assert!(
                p.check_origin(&request(method, "localhost:7777", Some("null"), peer))
                    .is_err()
            );
            assert!(
                p.check_origin(&request(
                    method,
                    "localhost:7777",
                    Some("http://localhost:3000"),
                    peer
                ))
                .is_ok()
            );
            assert!(
                p.check_origin(&request(method, "localhost:7777", None, peer))
                    .is_ok()
            );
        }
        for method in ["GET", "HEAD", "OPTIONS"] {
            assert!(
                p.check_origin(&request(
                    method,
                    "localhost:7777",
                    Some("https://evil.example"),
                    peer
                ))
                .is_ok()
            );
        }
        // A page of our own host is same-origin, whatever the list says.
        let p = policy(false, None, None);
        assert!(
            p.check_origin(&request(
                "POST",
                "api.example:8443",
                Some("https://api.example:8443"),
                "192.0.2.1"
            ))
            .is_ok()
        );
        assert!(
            p.check_origin(&request(
                "POST",
                "api.example",
                Some("https://api.example.evil"),
                "192.0.2.1"
            ))
            .is_err()
        );
    }

    #[test]
    fn json_endpoints_take_json_only() {
        let with = |ct: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            h
        };
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.api+json",
        ] {
            assert!(refuse_non_json(&with(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "json",
            "+json",
            "",
        ] {
            let e = refuse_non_json(&with(bad)).unwrap_err();
            assert_eq!(e.status(), 415, "{bad}");
        }
        assert!(refuse_non_json(&HeaderMap::new()).is_ok());
    }
}
