//! What one job has emitted, for the sockets that follow it and the ones that reconnect: the
//! messages so far, their size, the job's status, and whether (and when) it ended. Each host
//! wraps it with what it needs to stop the run (an instance, a task) and to wake followers.

use std::sync::Arc;

use serde_json::Value;

/// How long after its end a job's replay is trimmed to its budget (by then every live
/// follower has read it whole).
pub const TRIM_AFTER_SECS: f64 = 5.0;

#[derive(Debug)]
pub struct JobLog {
    messages: Vec<Arc<Value>>,
    bytes: usize,
    status: &'static str,
    /// When the job ended, in the host's clock (seconds).
    finished_at: Option<f64>,
}

impl Default for JobLog {
    fn default() -> Self {
        JobLog::new()
    }
}

impl JobLog {
    pub fn new() -> JobLog {
        JobLog {
            messages: Vec::new(),
            bytes: 0,
            status: "running",
            finished_at: None,
        }
    }

    pub fn status(&self) -> &'static str {
        self.status
    }

    pub fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }

    /// The messages from `from` on, and whether the job has ended (then there will be none
    /// after them).
    pub fn since(&self, from: usize) -> (Vec<Arc<Value>>, bool) {
        let from = from.min(self.messages.len());
        (self.messages[from..].to_vec(), self.is_finished())
    }

    /// Appends what the job emitted, `size` bytes as it came (an NDJSON line), so the replay
    /// budget is kept without serialising each message again. Ignored once the job has
    /// ended: a cancelled run's late answer is not its result. Answers the message as kept.
    pub fn emit(&mut self, message: Value, size: usize) -> Option<Arc<Value>> {
        if self.is_finished() {
            return None;
        }
        self.status = status_of(&message).unwrap_or(self.status);
        self.bytes += size;
        let message = Arc::new(message);
        self.messages.push(message.clone());
        Some(message)
    }

    /// Ends the job at `now` with `last` as its final message; `None` when it had already
    /// ended, else the final message as kept (if any).
    pub fn finish(
        &mut self,
        last: Option<Value>,
        status: &'static str,
        now: f64,
    ) -> Option<Option<Arc<Value>>> {
        if self.is_finished() {
            return None;
        }
        let last = last.map(|m| {
            let m = Arc::new(m);
            self.messages.push(m.clone());
            m
        });
        self.status = status;
        self.finished_at = Some(now);
        Some(last)
    }

    /// Keeps replays bounded: a job that ended over `TRIM_AFTER_SECS` ago and is over the
    /// byte budget keeps its first message (the id) and its end.
    pub fn trim(&mut self, budget: usize, now: f64) {
        let Some(at) = self.finished_at else {
            return;
        };
        if now - at > TRIM_AFTER_SECS && self.bytes > budget && self.messages.len() > 3 {
            let tail = self.messages.split_off(self.messages.len() - 2);
            self.messages.truncate(1);
            self.messages.extend(tail);
            self.bytes = self.messages.iter().map(|m| approx_len(m)).sum();
        }
    }

    /// Whether a job that ended is past the retention window at `now`.
    pub fn expired(&self, retention_secs: f64, now: f64) -> bool {
        self.finished_at
            .is_some_and(|at| now - at >= retention_secs)
    }
}

pub fn approx_len(v: &Value) -> usize {
    // Serialising to count is exact and cheap next to the run that produced the message.
    serde_json::to_vec(v).map_or(0, |b| b.len())
}

/// The job status a message announces, when it is a `job_update`.
fn status_of(message: &Value) -> Option<&'static str> {
    if message["type"] != "job_update" {
        return None;
    }
    match message["status"].as_str()? {
        "running" => Some("running"),
        "completed" => Some("completed"),
        "failed" => Some("failed"),
        "cancelled" => Some("cancelled"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_finished_log_takes_no_late_messages() {
        let mut log = JobLog::new();
        log.emit(json!({"type": "job_update", "status": "running"}), 10);
        let last = json!({"type": "job_update", "status": "cancelled"});
        assert!(log.finish(Some(last), "cancelled", 1.0).is_some());
        assert!(log.emit(json!({"type": "job_completed"}), 10).is_none());
        assert!(log.finish(None, "completed", 2.0).is_none());
        let (all, done) = log.since(0);
        assert!(done);
        assert_eq!(all.len(), 2);
        assert_eq!(log.status(), "cancelled");
    }

    #[test]
    fn status_follows_job_updates_and_trim_keeps_the_id_and_the_end() {
        let mut log = JobLog::new();
        for i in 0..10 {
            log.emit(json!({"type": "node_update", "i": i}), 100);
        }
        log.emit(json!({"type": "job_update", "status": "completed"}), 100);
        assert_eq!(log.status(), "completed");
        log.finish(None, "completed", 10.0);
        log.trim(10, 11.0);
        assert_eq!(
            log.since(0).0.len(),
            11,
            "not trimmed while followers may still read"
        );
        log.trim(10, 20.0);
        let (kept, _) = log.since(0);
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[0]["i"], 0);
        assert_eq!(kept[2]["status"], "completed");
        assert!(!log.expired(60.0, 20.0));
        assert!(log.expired(60.0, 70.0));
    }
}
