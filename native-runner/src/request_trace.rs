//! What the host learns about one request while an instance serves it: its id, whether the
//! instance was warm, and which limit (if any) stopped it. The dispatcher keeps one end, the
//! instance's store the other, so a trap can be answered with the limit that caused it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use http::HeaderValue;

/// The request header that carries the id, echoed in every answer.
pub const HEADER: &str = "x-request-id";

/// Longest client-chosen id kept as it is; a longer or odd one is replaced.
const MAX_LEN: usize = 128;

/// A limit of the instance that ended a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    /// The linear memory cap (`--memory-mb`).
    Memory,
    /// The CPU time budget (`--deadline-ms`).
    Cpu,
}

pub struct RequestTrace {
    pub id: String,
    reused: AtomicBool,
    limit: Mutex<Option<LimitHit>>,
    /// Raised when the job this request runs was cancelled: the instance traps at its next
    /// epoch tick and is thrown away.
    cancelled: AtomicBool,
}

impl RequestTrace {
    pub fn new(id: String) -> RequestTrace {
        RequestTrace {
            id,
            reused: AtomicBool::new(false),
            limit: Mutex::new(None),
            cancelled: AtomicBool::new(false),
        }
    }

    pub fn mark_reused(&self) {
        self.reused.store(true, Ordering::Relaxed);
    }

    pub fn reused(&self) -> bool {
        self.reused.load(Ordering::Relaxed)
    }

    /// Records the first limit the request reached (a trap that follows is its result).
    pub fn hit(&self, limit: LimitHit) {
        let mut slot = self.limit.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(limit);
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> Option<LimitHit> {
        *self.limit.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The client's `X-Request-Id` when it is a sane token (visible ASCII, at most 128 bytes), so
/// a proxy's id carries through; otherwise a new one. A log line never carries whatever bytes
/// a client chose to inject.
pub fn request_id(given: Option<&HeaderValue>) -> String {
    if let Some(v) = given
        && let Ok(s) = v.to_str()
        && !s.is_empty()
        && s.len() <= MAX_LEN
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    {
        return s.to_string();
    }
    fresh_request_id()
}

/// A new request id, 32 hex digits: 16 drawn at random once per process, then 16 that count
/// its requests. Distinct within a process, and across restarts but for a 2^-64 chance. It
/// is cheap where a random id per request was not: the random source's system call and 16
/// small formats showed in a profile of `/health`. An id is a label for logs and carries no
/// authority, so that it can be guessed costs nothing; ids that stand for something (jobs)
/// stay wholly random.
fn fresh_request_id() -> String {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let mut raw = [0u8; 8];
        getrandom::fill(&mut raw).expect("the operating system's random source is available");
        u64::from_le_bytes(raw)
    });
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix:016x}{n:016x}")
}

/// 32 random hex digits, for ids that stand for something: the jobs the runner starts, and
/// the runner itself as the holder of its jobs.
pub fn random_id() -> String {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).expect("the operating system's random source is available");
    format!("{:032x}", u128::from_be_bytes(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sane_client_id_is_kept_and_anything_else_replaced() {
        let kept = HeaderValue::from_static("abc-123_X.y");
        assert_eq!(request_id(Some(&kept)), "abc-123_X.y");
        for bad in [
            HeaderValue::from_static(""),
            HeaderValue::from_static("has space"),
            HeaderValue::from_static("quote\"d"),
            HeaderValue::from_bytes(&[0xff, 0x41]).unwrap(),
            HeaderValue::from_str(&"x".repeat(129)).unwrap(),
        ] {
            let id = request_id(Some(&bad));
            assert_eq!(id.len(), 32, "{bad:?} -> {id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_ne!(request_id(None), request_id(None));
    }

    #[test]
    fn a_random_id_is_32_hex_digits_and_new_each_time() {
        let (a, b) = (random_id(), random_id());
        assert_ne!(a, b);
        for id in [a, b] {
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        }
    }

    #[test]
    fn the_first_limit_reached_is_the_one_reported() {
        let t = RequestTrace::new("id".into());
        assert_eq!(t.limit(), None);
        t.hit(LimitHit::Cpu);
        t.hit(LimitHit::Memory);
        assert_eq!(t.limit(), Some(LimitHit::Cpu));
    }
}
