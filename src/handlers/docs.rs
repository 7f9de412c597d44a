//! `GET /` and `/docs`: a page that shows the API from `/openapi.json`, with its script and
//! style served from here too, so it works offline and under its own strict CSP (nothing
//! inline, nothing from another origin).

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

use crate::http::response::Response;

const PAGE: &str = include_str!("../docs_page/index.html");
const SCRIPT: &str = include_str!("../docs_page/app.js");
const STYLE: &str = include_str!("../docs_page/app.css");

/// Only this origin's own script, style and `/openapi.json`; no frames, forms or plugins.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn file(body: &'static str, kind: &'static str) -> Response {
    let mut resp = http::Response::new(Bytes::from_static(body.as_bytes()));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

pub fn page() -> Response {
    let mut resp = file(PAGE, "text/html; charset=utf-8");
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

pub fn script() -> Response {
    file(SCRIPT, "text/javascript; charset=utf-8")
}

pub fn style() -> Response {
    file(STYLE, "text/css; charset=utf-8")
}
