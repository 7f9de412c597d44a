//! Response construction shared by every handler.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

/// The core answers with whole bodies (a run is bounded, so its NDJSON stream is too).
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

/// JSON laid out as Python's `json.dumps` does (`", "` and `": "` separators), which the
/// NDJSON run stream uses so clients matching NodeTool's text (`"type": "job_completed"`) work.
struct PythonLayout;

impl serde_json::ser::Formatter for PythonLayout {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
}

/// One JSON object per line, `application/x-ndjson`.
pub fn ndjson_response(lines: &[serde_json::Value]) -> Response {
    let mut body = Vec::new();
    for line in lines {
        let mut ser = serde_json::Serializer::with_formatter(&mut body, PythonLayout);
        // Values built from JSON serialise without error.
        let _ = line.serialize(&mut ser);
        body.push(b'\n');
    }
    let mut resp = http::Response::new(Bytes::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    resp
}
