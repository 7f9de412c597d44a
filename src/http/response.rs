//! Response construction shared by every handler.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use http_body::{Frame, SizeHint};
use serde::Serialize;

/// What handlers answer with: a whole body (a run is bounded, so its NDJSON stream is too).
pub type Response = http::Response<Bytes>;

/// What [`crate::handle`] gives the host: whole bodies, or a stream (chat completions) that
/// the host sends on as its pieces arrive. Failures inside a stream are written into it, so
/// the body itself never errs.
pub enum Body {
    Full(Bytes),
    Stream(Pin<Box<dyn http_body::Body<Data = Bytes, Error = Infallible>>>),
}

impl Body {
    pub fn stream(body: impl http_body::Body<Data = Bytes, Error = Infallible> + 'static) -> Self {
        Body::Stream(Box::pin(body))
    }

    /// The whole body, when it is not a stream (tests and HEAD).
    pub fn as_full(&self) -> Option<&Bytes> {
        match self {
            Body::Full(b) => Some(b),
            Body::Stream(_) => None,
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::Full(b)
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Body::Full(b) if b.is_empty() => Poll::Ready(None),
            Body::Full(b) => Poll::Ready(Some(Ok(Frame::data(std::mem::take(b))))),
            Body::Stream(s) => s.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Full(b) => b.is_empty(),
            Body::Stream(s) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(b) => SizeHint::with_exact(b.len() as u64),
            Body::Stream(s) => s.size_hint(),
        }
    }
}

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
