//! Server-sent events from the provider, passed on piece by piece as they arrive: no
//! buffering and no re-encoding, so the first token reaches the caller as soon as the
//! provider sends it. A provider failing mid-stream becomes one final OpenAI-style error event
//! (the status line is long gone by then).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame};
use serde_json::json;

use super::config::Provider;
use crate::host::OutboundError;

pub struct PassThrough<B> {
    upstream: Pin<Box<B>>,
    provider: Provider,
    /// Whether what was sent so far ends between two events.
    at_boundary: bool,
    done: bool,
}

impl<B> PassThrough<B> {
    pub fn new(upstream: B, provider: Provider) -> Self {
        PassThrough {
            upstream: Box::pin(upstream),
            provider,
            at_boundary: true,
            done: false,
        }
    }

    fn error_event(&self, e: &OutboundError) -> Bytes {
        let why = match e {
            OutboundError::Timeout => "stopped sending (timed out)",
            _ => "failed mid-stream",
        };
        let error = json!({"error": {
            "message": format!("The {} provider {why}", self.provider),
            "type": "upstream_error", "param": null, "code": null,
        }});
        // Close a half-sent event first so the error arrives as an event of its own.
        let lead = if self.at_boundary { "" } else { "\n\n" };
        Bytes::from(format!("{lead}data: {error}\n\n"))
    }
}

impl<B> Body for PassThrough<B>
where
    B: Body<Data = Bytes, Error: Into<OutboundError>>,
{
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            match self.upstream.as_mut().poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    self.done = true;
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Err(e))) => {
                    self.done = true;
                    let event = self.error_event(&e.into());
                    return Poll::Ready(Some(Ok(Frame::data(event))));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers are not part of an event stream.
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    if data.is_empty() {
                        continue;
                    }
                    self.at_boundary = data.ends_with(b"\n\n") || data.ends_with(b"\r\n\r\n");
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::collections::VecDeque;

    /// An upstream body that yields scripted pieces, then maybe an error.
    struct Scripted(VecDeque<Result<&'static str, OutboundError>>);

    impl Body for Scripted {
        type Data = Bytes;
        type Error = OutboundError;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, OutboundError>>> {
            Poll::Ready(
                self.0
                    .pop_front()
                    .map(|r| r.map(|s| Frame::data(Bytes::from_static(s.as_bytes())))),
            )
        }
    }

    fn pieces(script: Vec<Result<&'static str, OutboundError>>) -> Vec<String> {
        let mut body = PassThrough::new(Scripted(script.into()), Provider::Ollama);
        let mut out = Vec::new();
        futures_executor::block_on(async {
            while let Some(f) = body.frame().await {
                let data = f.unwrap().into_data().unwrap();
                out.push(String::from_utf8(data.to_vec()).unwrap());
            }
        });
        out
    }

    #[test]
    fn pieces_pass_unchanged_and_separately() {
        let got = pieces(vec![
            Ok("data: {\"a\":1}\n\n"),
            Ok(""),
            Ok("data: [DONE]\n\n"),
        ]);
        assert_eq!(got, vec!["data: {\"a\":1}\n\n", "data: [DONE]\n\n"]);
    }

    #[test]
    fn a_failure_becomes_one_error_event() {
        let got = pieces(vec![
            Ok("data: {\"a\":1}\n\n"),
            Err(OutboundError::Timeout),
            Ok("never"),
        ]);
        assert_eq!(got.len(), 2);
        assert!(got[1].starts_with("data: {\"error\""));
        assert!(got[1].contains("timed out"));
        let got = pieces(vec![
            Ok("data: {\"a\""),
            Err(OutboundError::Failed("x".into())),
        ]);
        assert!(got[1].starts_with("\n\ndata: {\"error\""));
    }
}
