//! URLs: Python's `urllib.parse` as `urlparse` and `urljoin` use it.

use super::pytext::py_text_repr;

const USES_RELATIVE: &[&str] = &[
    "", "ftp", "http", "gopher", "nntp", "imap", "wais", "file", "https", "shttp", "mms",
    "prospero", "rtsp", "rtsps", "rtspu", "sftp", "svn", "svn+ssh", "ws", "wss",
];
const USES_NETLOC: &[&str] = &[
    "", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp",
    "snews", "prospero", "rtsp", "rtsps", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git",
    "git+ssh", "ws", "wss",
];
const USES_PARAMS: &[&str] = &[
    "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtsps", "rtspu",
    "sip", "sips", "mms", "sftp", "tel",
];

/// A URL's six parts, as `urlparse` returns them.
#[derive(Debug, Default)]
pub(super) struct Url {
    pub(super) scheme: String,
    pub(super) netloc: String,
    path: String,
    params: String,
    query: String,
    fragment: String,
}

/// Python's `urlparse(url, scheme)`, including the errors it raises on bracketed hosts.
pub(super) fn urlparse(url: &str, default_scheme: &str) -> Result<Url, String> {
    let controls = |c: char| c <= ' ';
    let unsafe_chars = |c: &char| !matches!(c, '\t' | '\r' | '\n');
    let url: String = url
        .trim_start_matches(controls)
        .chars()
        .filter(unsafe_chars)
        .collect();
    let mut scheme: String = default_scheme
        .trim_matches(controls)
        .chars()
        .filter(unsafe_chars)
        .collect();
    let mut rest = url.as_str();
    if let Some(colon) = rest.find(':')
        && colon > 0
        && rest.as_bytes()[0].is_ascii_alphabetic()
        && rest[..colon]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        scheme = rest[..colon].to_ascii_lowercase();
        rest = &rest[colon + 1..];
    }
    let mut netloc = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = &after[..end];
        rest = &after[end..];
        if netloc.contains('[') != netloc.contains(']') {
            return Err("Invalid IPv6 URL".into());
        }
        if let Some((_, after_open)) = netloc.split_once('[')
            && netloc.contains(']')
        {
            let host = after_open.split_once(']').map_or(after_open, |(h, _)| h);
            check_bracketed_host(host)?;
        }
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (mut path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut params = "";
    if USES_PARAMS.contains(&scheme.as_str()) && path.contains(';') {
        let from = path.rfind('/').unwrap_or(0);
        if let Some(k) = path[from..].find(';').map(|k| from + k) {
            params = &path[k + 1..];
            path = &path[..k];
        }
    }
    Ok(Url {
        scheme,
        netloc: netloc.into(),
        path: path.into(),
        params: params.into(),
        query: query.into(),
        fragment: fragment.into(),
    })
}

/// What Python accepts between `[` and `]` in a host: an IPv6 address (with an optional zone)
/// or an `IPvFuture` literal.
fn check_bracketed_host(host: &str) -> Result<(), String> {
    if let Some(rest) = host.strip_prefix('v') {
        let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        let ok = hex > 0 && rest[hex..].strip_prefix('.').is_some_and(|t| !t.is_empty());
        return if ok {
            Ok(())
        } else {
            Err("IPvFuture address is invalid".into())
        };
    }
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("An IPv4 address cannot be in brackets".into());
    }
    let (addr, zone) = host.split_once('%').unwrap_or((host, "x"));
    if addr.parse::<std::net::Ipv6Addr>().is_ok() && !zone.is_empty() && !zone.contains('%') {
        return Ok(());
    }
    Err(format!(
        "{} does not appear to be an IPv4 or IPv6 address",
        py_text_repr(host)
    ))
}

/// Python's `urlunparse`.
fn urlunparse(u: &Url) -> String {
    let mut path = u.path.clone();
    if !u.params.is_empty() {
        path = format!("{path};{}", u.params);
    }
    let netloc_scheme = !u.scheme.is_empty() && USES_NETLOC.contains(&u.scheme.as_str());
    if !u.netloc.is_empty() || (netloc_scheme && !path.starts_with("//")) {
        if !path.is_empty() && !path.starts_with('/') {
            path.insert(0, '/');
        }
        path = format!("//{}{path}", u.netloc);
    }
    if !u.scheme.is_empty() {
        path = format!("{}:{path}", u.scheme);
    }
    if !u.query.is_empty() {
        path = format!("{path}?{}", u.query);
    }
    if !u.fragment.is_empty() {
        path = format!("{path}#{}", u.fragment);
    }
    path
}

/// Python's `urljoin(base, url)`: `url` resolved against `base`.
pub(super) fn urljoin(base: &str, url: &str) -> Result<String, String> {
    if base.is_empty() {
        return Ok(url.into());
    }
    if url.is_empty() {
        return Ok(base.into());
    }
    let b = urlparse(base, "")?;
    let mut u = urlparse(url, &b.scheme)?;
    if u.scheme != b.scheme || !USES_RELATIVE.contains(&u.scheme.as_str()) {
        return Ok(url.into());
    }
    if USES_NETLOC.contains(&u.scheme.as_str()) {
        if !u.netloc.is_empty() {
            return Ok(urlunparse(&u));
        }
        u.netloc = b.netloc.clone();
    }
    if u.path.is_empty() && u.params.is_empty() {
        u.path = b.path.clone();
        u.params = b.params.clone();
        if u.query.is_empty() {
            u.query = b.query.clone();
        }
        return Ok(urlunparse(&u));
    }
    let mut base_parts: Vec<&str> = b.path.split('/').collect();
    if base_parts.last().is_some_and(|p| !p.is_empty()) {
        base_parts.pop();
    }
    let segments: Vec<&str> = if u.path.starts_with('/') {
        u.path.split('/').collect()
    } else {
        let mut all = base_parts;
        all.extend(u.path.split('/'));
        // Empty segments in the middle would double slashes; the ends stay.
        let last = all.len().saturating_sub(1);
        all.iter()
            .enumerate()
            .filter(|(k, seg)| *k == 0 || *k == last || !seg.is_empty())
            .map(|(_, seg)| *seg)
            .collect()
    };
    let mut resolved: Vec<&str> = Vec::new();
    for seg in &segments {
        match *seg {
            ".." => {
                resolved.pop();
            }
            "." => {}
            other => resolved.push(other),
        }
    }
    if matches!(segments.last(), Some(&"." | &"..")) {
        resolved.push("");
    }
    let joined = resolved.join("/");
    u.path = if joined.is_empty() {
        "/".into()
    } else {
        joined
    };
    Ok(urlunparse(&u))
}
