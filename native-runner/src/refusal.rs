//! Every answer the host gives instead of the component's: a JSON `{"detail": ...}` with the
//! status that says what happened, and a reason for the log and the metrics. A limit is
//! never a 500; only a genuine fault inside the component is.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::WasiBody;

use crate::component::Limits;
use crate::request_trace::LimitHit;

/// Seconds a client is told to wait before trying again after a 503.
const RETRY_AFTER_SECS: u64 = 1;

/// Whole seconds, rounded up, so that a client that waits that long is let in.
fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The request body stopped arriving for longer than the idle timeout.
    BodyStalled(Duration),
    /// The request body arrived slower than the minimum rate.
    BodyTooSlow(u64),
    /// The client closed the connection before its body was complete.
    BodyIncomplete,
    /// No instance slot came free within the queue wait.
    Busy,
    /// The request ran past its wall-clock limit.
    Timeout(Duration),
    /// The run reached the instance's memory cap.
    MemoryLimit(usize),
    /// The run spent its CPU time budget.
    CpuLimit(Duration),
    /// The client's address made too many failed credential attempts; it may try again after
    /// this long.
    TooManyAuthFailures(Duration),
    /// Every WebSocket the server holds (`--ws-max-sockets`) is open.
    TooManySockets(usize),
    /// The user has as many WebSockets open as one user may (`--ws-max-sockets-per-user`).
    TooManyUserSockets(usize),
    /// The component trapped for another reason (a bug): the only 500.
    Fault,
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BodyStalled(_) | Refusal::BodyTooSlow(_) => 408,
            Refusal::BodyIncomplete => 400,
            Refusal::MemoryLimit(_) | Refusal::CpuLimit(_) => 422,
            Refusal::Busy | Refusal::TooManySockets(_) => 503,
            Refusal::TooManyUserSockets(_) => 429,
            Refusal::TooManyAuthFailures(_) => 429,
            Refusal::Timeout(_) => 504,
            Refusal::Fault => 500,
        }
    }

    /// A short, stable name for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::BodyStalled(_) => "body_stalled",
            Refusal::BodyTooSlow(_) => "body_too_slow",
            Refusal::BodyIncomplete => "body_incomplete",
            Refusal::Busy => "busy",
            Refusal::TooManySockets(_) => "websockets",
            Refusal::TooManyUserSockets(_) => "user_websockets",
            Refusal::TooManyAuthFailures(_) => "auth_failures",
            Refusal::Timeout(_) => "timeout",
            Refusal::MemoryLimit(_) => "memory_limit",
            Refusal::CpuLimit(_) => "cpu_limit",
            Refusal::Fault => "fault",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            Refusal::BodyStalled(d) => format!(
                "Request body timed out: nothing arrived for {} ms",
                d.as_millis()
            ),
            Refusal::BodyTooSlow(rate) => {
                format!("Request body too slow: under the minimum of {rate} bytes per second")
            }
            Refusal::BodyIncomplete => {
                "Request body incomplete: the connection closed before its end".into()
            }
            Refusal::Busy => "Server is at capacity, try again shortly".into(),
            Refusal::TooManySockets(n) => format!(
                "The server holds as many WebSockets as it may ({n}, --ws-max-sockets): try again shortly"
            ),
            Refusal::TooManyUserSockets(n) => format!(
                "This user has as many WebSockets open as one user may ({n}, --ws-max-sockets-per-user or WS_MAX_SOCKETS_PER_USER)"
            ),
            Refusal::TooManyAuthFailures(wait) => format!(
                "Too many failed authentication attempts from this address: try again in {} s",
                retry_after_secs(*wait)
            ),
            Refusal::Timeout(d) => format!(
                "Request timed out: no complete answer within {} ms",
                d.as_millis()
            ),
            Refusal::MemoryLimit(bytes) => format!(
                "The request exceeded its memory limit ({} MiB)",
                bytes >> 20
            ),
            Refusal::CpuLimit(d) => format!(
                "The request exceeded its CPU time limit ({} ms)",
                d.as_millis()
            ),
            Refusal::Fault => "Internal Server Error".into(),
        }
    }

    pub fn response(&self) -> hyper::Response<WasiBody> {
        let body = serde_json::json!({ "detail": self.detail() }).to_string();
        let len = body.len();
        let body = Full::new(Bytes::from(body))
            .map_err(|never: Infallible| match never {})
            .boxed_unsync();
        let mut resp = hyper::Response::new(body);
        *resp.status_mut() =
            hyper::StatusCode::from_u16(self.status()).expect("a valid status code");
        let headers = resp.headers_mut();
        headers.insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/json"),
        );
        headers.insert(hyper::header::CONTENT_LENGTH, len.into());
        match self {
            Refusal::Busy | Refusal::TooManySockets(_) => {
                headers.insert(hyper::header::RETRY_AFTER, RETRY_AFTER_SECS.into());
            }
            Refusal::TooManyAuthFailures(wait) => {
                headers.insert(hyper::header::RETRY_AFTER, retry_after_secs(*wait).into());
            }
            // The rest of a stalled body is never read: the connection cannot be reused.
            Refusal::BodyStalled(_) | Refusal::BodyTooSlow(_) | Refusal::BodyIncomplete => {
                headers.insert(
                    hyper::header::CONNECTION,
                    hyper::header::HeaderValue::from_static("close"),
                );
            }
            _ => {}
        }
        resp
    }
}

/// Why a run stopped after its answer had begun, in the words of a run's own failure: the
/// limit `limit` names, the wall clock once `elapsed` reaches it, else a fault.
pub fn run_cut_off(limit: Option<LimitHit>, limits: &Limits, elapsed: Duration) -> String {
    match limit {
        Some(LimitHit::Memory) => format!(
            "The run exceeded its memory limit ({} MiB)",
            limits.memory_bytes >> 20
        ),
        Some(LimitHit::Cpu) => format!(
            "The run exceeded its CPU time limit ({} ms)",
            limits.deadline.as_millis()
        ),
        None if elapsed >= limits.timeout => format!(
            "The run exceeded its time limit ({} ms)",
            limits.timeout.as_millis()
        ),
        None => "The run ended without a result".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_names_its_limit_and_only_a_fault_is_a_500() {
        let all = [
            Refusal::BodyStalled(Duration::from_secs(2)),
            Refusal::BodyTooSlow(1024),
            Refusal::Busy,
            Refusal::Timeout(Duration::from_secs(900)),
            Refusal::MemoryLimit(256 << 20),
            Refusal::CpuLimit(Duration::from_secs(30)),
            Refusal::Fault,
        ];
        let statuses: Vec<u16> = all.iter().map(Refusal::status).collect();
        assert_eq!(statuses, [408, 408, 503, 504, 422, 422, 500]);
        assert!(all[4].detail().contains("memory limit (256 MiB)"));
        assert!(all[5].detail().contains("CPU time limit (30000 ms)"));
        let busy = Refusal::Busy.response();
        assert_eq!(busy.headers()["retry-after"], "1");
        assert_eq!(busy.headers()["content-type"], "application/json");
    }
}
