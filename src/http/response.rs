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

/// What [`crate::handle`] gives the host: whole bodies, or a stream (chat completions, a
/// streamed run) that the host sends on as its pieces arrive. Failures inside a stream are
/// written into it, so the body itself never errs. A stream may borrow the host (`'a`): a run
/// goes on inside it, after the head has been answered.
pub enum Body<'a> {
    Full(Bytes),
    /// A stream that needs nothing of the host (chat passed through): it may be sent on after
    /// the host's ports are gone.
    Stream(Pin<Box<dyn http_body::Body<Data = Bytes, Error = Infallible>>>),
    /// A stream that borrows the host (a run going on inside the body): a host sends it on
    /// while its ports live, or reads it whole first.
    Scoped(Pin<Box<dyn http_body::Body<Data = Bytes, Error = Infallible> + 'a>>),
}

impl<'a> Body<'a> {
    pub fn stream(body: impl http_body::Body<Data = Bytes, Error = Infallible> + 'static) -> Self {
        Body::Stream(Box::pin(body))
    }

    pub fn scoped(body: impl http_body::Body<Data = Bytes, Error = Infallible> + 'a) -> Self {
        Body::Scoped(Box::pin(body))
    }

    /// The whole body, when it is not a stream (tests and HEAD).
    pub fn as_full(&self) -> Option<&Bytes> {
        match self {
            Body::Full(b) => Some(b),
            Body::Stream(_) | Body::Scoped(_) => None,
        }
    }
}

impl From<Bytes> for Body<'_> {
    fn from(b: Bytes) -> Self {
        Body::Full(b)
    }
}

impl http_body::Body for Body<'_> {
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
            Body::Scoped(s) => s.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Full(b) => b.is_empty(),
            Body::Stream(s) => s.is_end_stream(),
            Body::Scoped(s) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(b) => SizeHint::with_exact(b.len() as u64),
            Body::Stream(s) => s.size_hint(),
            Body::Scoped(s) => s.size_hint(),
        }
    }
}

/// A compact JSON body, as FastAPI serialises it.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    // Serialising our own plain data types cannot fail.
    json_bytes(
        status,
        serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec()),
    )
}

/// `body`, JSON already, as the answer.
pub fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
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
        ndjson_line(&mut body, line);
    }
    let mut resp = http::Response::new(Bytes::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    resp
}

/// One NDJSON line, in Python's layout, appended to `body`.
pub fn ndjson_line(body: &mut Vec<u8>, line: &serde_json::Value) {
    let mut ser = serde_json::Serializer::with_formatter(&mut *body, PythonLayout);
    // Values built from JSON serialise without error.
    let _ = line.serialize(&mut ser);
    body.push(b'\n');
}

/// An NDJSON body fed by a future as it runs: each poll drives the future until it has queued
/// lines or finished, and sends what is queued as one chunk.
pub struct NdjsonStream<'a> {
    run: Option<Pin<Box<dyn Future<Output = ()> + 'a>>>,
    queue: std::rc::Rc<std::cell::RefCell<Vec<serde_json::Value>>>,
}

impl<'a> NdjsonStream<'a> {
    /// `run` pushes its lines into `queue`.
    pub fn new(
        run: impl Future<Output = ()> + 'a,
        queue: std::rc::Rc<std::cell::RefCell<Vec<serde_json::Value>>>,
    ) -> Self {
        NdjsonStream {
            run: Some(Box::pin(run)),
            queue,
        }
    }

    fn take_chunk(&self) -> Option<Bytes> {
        let lines = std::mem::take(&mut *self.queue.borrow_mut());
        if lines.is_empty() {
            return None;
        }
        let mut body = Vec::new();
        for line in &lines {
            ndjson_line(&mut body, line);
        }
        Some(Bytes::from(body))
    }
}

impl http_body::Body for NdjsonStream<'_> {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(run) = this.run.as_mut()
            && run.as_mut().poll(cx).is_ready()
        {
            this.run = None;
        }
        match this.take_chunk() {
            Some(chunk) => Poll::Ready(Some(Ok(Frame::data(chunk)))),
            None if this.run.is_none() => Poll::Ready(None),
            None => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.run.is_none() && self.queue.borrow().is_empty()
    }
}
