//! Response construction shared by every handler.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

/// The core answers with whole bodies; streaming bodies arrive with the run and chat issues.
pub type Response = http::Response<Bytes>;

/// A compact JSON body, as FastAPI serialises it.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    // Serialising our own plain data types cannot fail.
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
    let mut resp = http::Response::new(Bytes::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

pub fn ok_json<T: Serialize + ?Sized>(value: &T) -> Response {
    json_response(StatusCode::OK, value)
}
