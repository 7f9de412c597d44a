//! A run's NDJSON stream on its way to the client. Once the stream has begun, its status is
//! sent and a limit can no longer become a refusal: when the instance is stopped mid-run (its
//! CPU budget, its memory cap, the wall clock, a trap), the stream still ends as a failed run
//! ends, with the core's own failure messages naming what stopped it, and whole, so a client
//! reading to the end learns why instead of seeing the connection break.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use nodetool_edge::graph::run::{failure_messages, stamp};
use nodetool_edge::http::response::ndjson_line;
use nodetool_edge::ws::calls;
use serde_json::Value;
use wasmtime_wasi_http::WasiBody;

use crate::component::Limits;
use crate::refusal;
use crate::request_trace::RequestTrace;

/// The content type of a run stream (reference 4.3).
pub const CONTENT_TYPE: &str = "application/x-ndjson";

/// The longest first line read for the run's ids; NodeTool's first message is a short
/// `job_update`.
const MAX_FIRST_LINE: usize = 64 << 10;

pub struct RunStream {
    inner: WasiBody,
    trace: Arc<RequestTrace>,
    limits: Limits,
    started: Instant,
    /// The first line while it arrives, until the ids are read from it.
    first: Vec<u8>,
    ids: Option<(String, String)>,
    /// Whether everything sent so far ends a line.
    at_line_start: bool,
    /// Whether the last complete line ended the run.
    ended_run: bool,
    done: bool,
}

impl RunStream {
    pub fn new(
        inner: WasiBody,
        trace: Arc<RequestTrace>,
        limits: Limits,
        started: Instant,
    ) -> RunStream {
        RunStream {
            inner,
            trace,
            limits,
            started,
            first: Vec::new(),
            ids: None,
            at_line_start: true,
            ended_run: false,
            done: false,
        }
    }

    /// Notes what a piece of the stream says about the run: its ids (from the first line)
    /// and whether its last line so far is the run's end.
    fn observe(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if self.ids.is_none() && self.first.len() <= MAX_FIRST_LINE {
            let take = data.len().min(MAX_FIRST_LINE + 1 - self.first.len());
            self.first.extend_from_slice(&data[..take]);
            if let Some(end) = self.first.iter().position(|b| *b == b'\n') {
                self.ids = ids_of(&self.first[..end]);
                self.first = Vec::new();
            }
        }
        self.at_line_start = data.ends_with(b"\n");
        // The core writes each message whole, so a piece holding a run's end holds it last.
        let last_line = data.trim_ascii_end().rsplit(|b| *b == b'\n').next();
        self.ended_run = self.at_line_start && last_line.is_some_and(ends_run);
    }

    /// The lines that end the stream of a run that was stopped: the core's failure messages
    /// with the run's ids, after a line break if a line was cut.
    fn ending(&self) -> Bytes {
        let text = refusal::run_cut_off(self.trace.limit(), &self.limits, self.started.elapsed());
        eprintln!("request_id={} run stream cut off: {text}", self.trace.id);
        let mut out = Vec::new();
        if !self.at_line_start {
            out.push(b'\n');
        }
        for mut m in failure_messages(&text) {
            // Ids only as the run's first message gave them.
            if let Some((job_id, workflow_id)) = &self.ids {
                stamp(&mut m, job_id, workflow_id);
            }
            ndjson_line(&mut out, &m);
        }
        out.into()
    }
}

fn ids_of(line: &[u8]) -> Option<(String, String)> {
    let v: Value = serde_json::from_slice(line).ok()?;
    Some((
        v["job_id"].as_str()?.to_string(),
        v["workflow_id"].as_str().unwrap_or_default().to_string(),
    ))
}

fn ends_run(line: &[u8]) -> bool {
    serde_json::from_slice::<Value>(line).is_ok_and(|v| calls::run_end(&v).is_some())
}

impl Body for RunStream {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let data = data.clone();
                    self.observe(&data);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            // The instance stopped before the run's end: end the stream as the run ended.
            Poll::Ready(Some(Err(_))) | Poll::Ready(None) if !self.ended_run => {
                self.done = true;
                Poll::Ready(Some(Ok(Frame::data(self.ending()))))
            }
            Poll::Ready(other) => {
                self.done = true;
                Poll::Ready(other)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http_body_util::{BodyExt, Empty};

    use super::*;

    fn stream() -> RunStream {
        let inner = Empty::new()
            .map_err(|never: std::convert::Infallible| match never {})
            .boxed_unsync();
        let limits = Limits {
            max_instances: 1,
            memory_bytes: 64 << 20,
            deadline: Duration::from_secs(1),
            timeout: Duration::from_secs(60),
        };
        let trace = Arc::new(RequestTrace::new("t".into()));
        RunStream::new(inner, trace, limits, Instant::now())
    }

    #[test]
    fn ids_cross_pieces_and_a_cut_line_is_ended_before_the_failure() {
        let mut s = stream();
        s.observe(br#"{"type": "job_update", "job_id": "j"#);
        s.observe(b"1\", \"workflow_id\": \"w\"}\n{\"type\": \"node_up");
        assert_eq!(s.ids, Some(("j1".into(), "w".into())));
        assert!(!s.ended_run);
        let ending = s.ending();
        assert!(ending.starts_with(b"\n{"), "the cut line is closed first");
        let lines: Vec<Value> = ending
            .trim_ascii()
            .split(|b| *b == b'\n')
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2]["type"], "job_failed");
        assert_eq!(lines[2]["job_id"], "j1");
        assert_eq!(lines[2]["error"], "The run ended without a result");
    }

    #[test]
    fn a_piece_that_ends_with_the_runs_end_ends_the_run() {
        let mut s = stream();
        s.observe(b"{\"type\": \"job_update\", \"job_id\": \"j\"}\n");
        assert!(!s.ended_run);
        s.observe(b"{\"type\": \"job_update\"}\n{\"type\": \"job_completed\"}\n");
        assert!(s.ended_run);
        s.observe(b"{\"type\": \"job_completed\"");
        assert!(!s.ended_run, "a cut line ends nothing");
    }
}
