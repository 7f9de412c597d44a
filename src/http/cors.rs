//! CORS headers, applied outermost so that 401/403 answers carry them too (the reference puts
//! CORS innermost, and browsers then report auth failures as network errors). Which origins
//! are allowed is the browser policy's decision ([`crate::http::browser`]); an allowed origin is
//! echoed (or `*` when every origin is), and `Vary: Origin` keeps caches from mixing answers.

use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use crate::http::browser::{BrowserPolicy, CorsOrigins};
use crate::http::response::Response;

const ALLOWED_HEADERS: &str =
    "Authorization, Content-Type, X-Admin-Token, Range, If-Modified-Since";
const ALLOWED_METHODS: &str = "GET, HEAD, POST, PUT, DELETE, OPTIONS";

pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(header::ORIGIN)
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn allowed_origin(policy: &BrowserPolicy, origin: &HeaderValue) -> Option<HeaderValue> {
    match policy.cors {
        CorsOrigins::Any => Some(HeaderValue::from_static("*")),
        CorsOrigins::Listed { .. } => {
            let o = origin.to_str().ok()?;
            policy.allows_origin(o).then(|| origin.clone())
        }
    }
}

pub fn preflight(policy: &BrowserPolicy, origin: Option<&HeaderValue>) -> Response {
    let mut resp = http::Response::new(bytes::Bytes::new());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    if let Some(allow) = origin.and_then(|o| allowed_origin(policy, o)) {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("3600"),
        );
    }
    decorate_vary(&mut resp, policy);
    resp
}

pub fn decorate<B>(
    mut resp: http::Response<B>,
    policy: &BrowserPolicy,
    origin: Option<&HeaderValue>,
) -> http::Response<B> {
    if let Some(allow) = origin.and_then(|o| allowed_origin(policy, o)) {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(
                "Content-Range, Content-Length, Last-Modified, WWW-Authenticate",
            ),
        );
    }
    decorate_vary(&mut resp, policy);
    resp
}

fn decorate_vary<B>(resp: &mut http::Response<B>, policy: &BrowserPolicy) {
    if matches!(policy.cors, CorsOrigins::Listed { .. }) {
        resp.headers_mut()
            .append(header::VARY, HeaderValue::from_static("Origin"));
    }
}
