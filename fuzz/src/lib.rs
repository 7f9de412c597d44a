//! What the fuzz targets share: the core behind its own in-memory host, configured as a
//! deployment, one request at a time through [`nodetool_edge::handle`], and the checks that
//! must hold for any input: no 500, and every error a JSON object with a `detail`.

use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use nodetool_edge::host::OutboundResponse;
use nodetool_edge::memory_host::MemoryHost;
use serde_json::Value;

pub const TOKEN: &str = "fuzz-static-token-0123456789abcdef";
pub const HS256_SECRET: &str = "fuzz-jwt-secret-with-at-least-32-characters";
pub const SUPABASE_URL: &str = "https://fuzz.supabase.test";

/// A private deployment with a static token and the secrets API on.
pub fn static_server() -> MemoryHost {
    MemoryHost::with_vars(&[
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "static"),
        ("SERVER_AUTH_TOKEN", TOKEN),
        ("SECRETS_MASTER_KEY", "fuzz-master-key"),
    ])
}

/// A Supabase deployment: HS256 tokens with [`HS256_SECRET`], and a JWKS with no keys.
pub fn supabase_server() -> MemoryHost {
    let host = MemoryHost::with_vars(&[
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "supabase"),
        ("SUPABASE_URL", SUPABASE_URL),
        ("SUPABASE_JWT_SECRET", HS256_SECRET),
    ]);
    host.outbound.borrow_mut().insert(
        format!("{SUPABASE_URL}/auth/v1/.well-known/jwks.json"),
        OutboundResponse {
            status: 200,
            body: br#"{"keys":[]}"#.to_vec(),
        },
    );
    host
}

/// An answer, whole.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One request through the core. `None` when `http` cannot even represent it (a bad URI or
/// header): every host's HTTP layer refuses those before the core sees them.
pub fn call(
    host: &MemoryHost,
    method: &Method,
    path: &str,
    headers: &[(&str, &[u8])],
    body: &[u8],
) -> Option<Answer> {
    let mut builder = Request::builder().method(method.clone()).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(Full::new(Bytes::copy_from_slice(body))).ok()?;
    let response = futures_executor::block_on(nodetool_edge::handle(request, host));
    let (parts, body) = response.into_parts();
    let body = futures_executor::block_on(body.collect())
        .expect("the core's bodies never fail")
        .to_bytes()
        .to_vec();
    let answer = Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    };
    check(method, path, &answer);
    Some(answer)
}

/// What holds whatever the input: the core never answers 500 to a request (that would be a
/// bug, not bad input), and an error says why in JSON.
pub fn check(method: &Method, path: &str, answer: &Answer) {
    assert_ne!(
        answer.status,
        500,
        "{method} {path}: {}",
        String::from_utf8_lossy(&answer.body)
    );
    if answer.status >= 400 && method != Method::HEAD {
        let detail = answer.json().and_then(|v| {
            v.get("detail")
                .and_then(Value::as_str)
                .map(|d| !d.is_empty())
        });
        assert_eq!(
            detail,
            Some(true),
            "{method} {path} answered {} without a detail: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
}

/// The headers that reach everything behind auth.
pub fn authorized() -> Vec<(&'static str, &'static [u8])> {
    vec![
        (
            "authorization",
            b"Bearer fuzz-static-token-0123456789abcdef",
        ),
        ("content-type", b"application/json"),
    ]
}

/// `s` as one path segment, everything but unreserved characters percent-encoded, so the
/// core's own decoding sees exactly `s`.
pub fn segment(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The bytes up to the first newline, and the rest after it.
pub fn line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorized_header_carries_the_token() {
        assert_eq!(authorized()[0].1, format!("Bearer {TOKEN}").as_bytes());
    }

    #[test]
    fn lines_split_at_the_first_newline() {
        assert_eq!(line(b"a\nb\nc"), (&b"a"[..], &b"b\nc"[..]));
        assert_eq!(line(b"abc"), (&b"abc"[..], &b""[..]));
    }

    #[test]
    fn segments_escape_everything_unusual() {
        assert_eq!(segment(b"a/b %"), "a%2Fb%20%25");
    }
}
