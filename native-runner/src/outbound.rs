//! Outbound HTTP from the component, like Spin's `allowed_outbound_hosts`: a request leaves
//! only for an origin the operator configured (the Supabase project, `ALLOWED_OUTBOUND_HOSTS`),
//! with bounded connect and first-byte timeouts; anything else is refused before a socket opens.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use http::uri::Scheme;
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// Used when the component sets no timeout of its own.
const DEFAULT_CONNECT: Duration = Duration::from_secs(10);
const DEFAULT_FIRST_BYTE: Duration = Duration::from_secs(30);
const DEFAULT_BETWEEN_BYTES: Duration = Duration::from_secs(30);

/// One allowed origin: scheme, host (optionally `*.` for any subdomain) and port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    https: bool,
    host: String,
    wildcard: bool,
    port: u16,
}

#[derive(Debug, Clone, Default)]
pub struct AllowList {
    origins: Vec<Origin>,
}

impl AllowList {
    /// `entries` are `http(s)://host[:port]` (a path is ignored), as in spin.toml.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<AllowList> {
        let mut origins = Vec::new();
        for entry in entries.into_iter().map(str::trim).filter(|e| !e.is_empty()) {
            // `*.` may lead the host; the rest must be an ordinary URL.
            let (wildcard, plain) = match entry.split_once("://*.") {
                Some((scheme, rest)) => (true, format!("{scheme}://{rest}")),
                None => (false, entry.to_string()),
            };
            let uri: http::Uri = match plain.parse() {
                Ok(u) => u,
                Err(_) => bail!("outbound host '{entry}' is not a URL"),
            };
            let https = match uri.scheme_str() {
                Some("https") => true,
                Some("http") => false,
                _ => bail!("outbound host '{entry}' needs an http:// or https:// scheme"),
            };
            let host = uri.host().unwrap_or_default();
            if host.is_empty() || host.contains('*') {
                bail!("outbound host '{entry}' has no usable host name");
            }
            // The http crate keeps an unparsable port as "no port"; that must not become 443.
            let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
            let after_host = authority
                .rsplit_once(host)
                .map(|(_, rest)| rest)
                .unwrap_or("");
            if !after_host.is_empty() && uri.port_u16().is_none() {
                bail!("outbound host '{entry}' has an invalid port");
            }
            origins.push(Origin {
                https,
                host: host.to_ascii_lowercase(),
                wildcard,
                port: uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
            });
        }
        Ok(AllowList { origins })
    }

    pub fn permits(&self, uri: &http::Uri) -> bool {
        let https = match uri.scheme() {
            Some(s) if *s == Scheme::HTTPS => true,
            Some(s) if *s == Scheme::HTTP => false,
            _ => return false,
        };
        let Some(host) = uri.host().map(str::to_ascii_lowercase) else {
            return false;
        };
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        self.origins.iter().any(|o| {
            o.https == https
                && o.port == port
                && if o.wildcard {
                    host.strip_suffix(&o.host)
                        .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1)
                } else {
                    host == o.host
                }
        })
    }

    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }
}

pub struct OutboundPolicy {
    pub allowed: Arc<AllowList>,
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), Error>> + Send>,
                ),
                Error,
            >,
        > + Send,
>;

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> SendFuture {
        let allowed = self.allowed.permits(request.uri());
        Box::new(async move {
            if !allowed {
                return Err(Error::HttpRequestDenied);
            }
            let asked = options.unwrap_or_default();
            let options = RequestOptions {
                connect_timeout: asked.connect_timeout.or(Some(DEFAULT_CONNECT)),
                first_byte_timeout: asked.first_byte_timeout.or(Some(DEFAULT_FIRST_BYTE)),
                between_bytes_timeout: asked.between_bytes_timeout.or(Some(DEFAULT_BETWEEN_BYTES)),
            };
            let (response, io) =
                wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = Result<(), Error>> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    #[test]
    fn only_listed_origins_pass() {
        let list = AllowList::parse([
            "https://abc.supabase.co",
            "http://127.0.0.1:9000/ignored/path",
            "https://*.example.com",
        ])
        .unwrap();
        assert!(list.permits(&uri(
            "https://abc.supabase.co/auth/v1/.well-known/jwks.json"
        )));
        assert!(list.permits(&uri("https://ABC.supabase.co:443/x")));
        assert!(!list.permits(&uri("http://abc.supabase.co/x")));
        assert!(!list.permits(&uri("https://abc.supabase.co:8443/x")));
        assert!(!list.permits(&uri("https://evil.supabase.co/x")));
        assert!(list.permits(&uri("http://127.0.0.1:9000/anything")));
        assert!(!list.permits(&uri("http://127.0.0.1:9001/")));
        assert!(list.permits(&uri("https://a.example.com/")));
        assert!(!list.permits(&uri("https://example.com/")));
        assert!(!list.permits(&uri("https://badexample.com/")));
        assert!(!AllowList::default().permits(&uri("https://abc.supabase.co/")));
    }

    #[test]
    fn bad_entries_refuse_to_start() {
        for bad in [
            "abc.supabase.co",
            "ftp://x",
            "https://",
            "https://h:port",
            "https://*",
        ] {
            assert!(AllowList::parse([bad]).is_err(), "{bad}");
        }
    }
}
