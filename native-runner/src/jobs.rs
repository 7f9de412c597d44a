//! The jobs `/ws` started: what each has emitted so far (for a socket that reconnects),
//! whether it still runs, and the request running it (so a cancel stops its instance).
//! Who owns a job and what its stored status is are the core's (`/api/jobs`); the hub only
//! holds what lives in this process, for the retention window after a job ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use nodetool_edge::ws::job_log::{self, JobLog};
use serde_json::Value;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::request_trace::RequestTrace;

/// Settings of the hub.
#[derive(Debug, Clone, Copy)]
pub struct JobLimits {
    /// Jobs one user may have running at once.
    pub per_user: usize,
    /// How long a finished job's messages stay for `reconnect_job`.
    pub retention: Duration,
    /// Bytes of messages one job keeps for replay; beyond them only the job's end is kept.
    pub replay_bytes: usize,
}

pub struct Job {
    pub id: String,
    pub owner: String,
    pub workflow_id: String,
    state: Mutex<State>,
    /// Woken whenever the job emits or ends.
    pub changed: Notify,
}

#[derive(Default)]
struct State {
    log: JobLog,
    trace: Option<Arc<RequestTrace>>,
    task: Option<AbortHandle>,
}

/// Seconds on a monotonic clock, for the job logs' ends.
fn now() -> f64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

impl Job {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn status(&self) -> &'static str {
        self.lock().log.status()
    }

    pub fn is_finished(&self) -> bool {
        self.lock().log.is_finished()
    }

    /// The messages from `from` on, and whether the job has ended.
    pub fn since(&self, from: usize) -> (Vec<Arc<Value>>, bool) {
        self.lock().log.since(from)
    }

    /// Appends what the job emitted (see [`JobLog::emit`]).
    pub fn emit(&self, message: Value) {
        let size = job_log::approx_len(&message);
        self.emit_sized(message, size);
    }

    pub fn emit_sized(&self, message: Value, size: usize) {
        if self.lock().log.emit(message, size).is_some() {
            self.changed.notify_waiters();
        }
    }

    /// Ends the job with `last` as its final message; false when it had already ended.
    pub fn finish(&self, last: Option<Value>, status: &'static str) -> bool {
        let mut s = self.lock();
        if s.log.finish(last, status, now()).is_none() {
            return false;
        }
        s.trace = None;
        s.task = None;
        drop(s);
        self.changed.notify_waiters();
        true
    }

    pub fn set_runner(&self, trace: Arc<RequestTrace>, task: AbortHandle) {
        let mut s = self.lock();
        s.trace = Some(trace);
        s.task = Some(task);
    }
}

pub struct JobHub {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
    pub limits: JobLimits,
}

/// Why a job was not started.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    TooManyRunning(usize),
}

impl JobHub {
    pub fn new(limits: JobLimits) -> JobHub {
        JobHub {
            jobs: Mutex::new(HashMap::new()),
            limits,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Job>>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a job about to run, within the owner's limit of running jobs.
    pub fn start(&self, id: &str, owner: &str, workflow_id: &str) -> Result<Arc<Job>, Refused> {
        self.sweep();
        let mut jobs = self.lock();
        let running = jobs
            .values()
            .filter(|j| j.owner == owner && !j.is_finished())
            .count();
        if running >= self.limits.per_user {
            return Err(Refused::TooManyRunning(self.limits.per_user));
        }
        let job = Arc::new(Job {
            id: id.into(),
            owner: owner.into(),
            workflow_id: workflow_id.into(),
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        });
        jobs.insert(id.into(), job.clone());
        Ok(job)
    }

    /// Job `id` if `owner` owns it.
    pub fn get(&self, id: &str, owner: &str) -> Option<Arc<Job>> {
        self.lock().get(id).filter(|j| j.owner == owner).cloned()
    }

    /// Stops job `id` at once (the core has already recorded the cancel): its instance traps
    /// at its next epoch tick, its task is dropped, and its followers get `last`.
    pub fn cancel(&self, id: &str, last: impl FnOnce(&Job) -> Value) -> bool {
        let Some(job) = self.lock().get(id).cloned() else {
            return false;
        };
        let (trace, task) = {
            let s = job.lock();
            (s.trace.clone(), s.task.clone())
        };
        if let Some(t) = trace {
            t.cancel();
        }
        if let Some(t) = task {
            t.abort();
        }
        let message = last(&job);
        job.finish(Some(message), "cancelled")
    }

    /// Forgets jobs that ended longer ago than the retention window, and trims the replay of
    /// those that ended a while ago (by then every live follower has read them whole).
    fn sweep(&self) {
        let (retention, now) = (self.limits.retention.as_secs_f64(), now());
        self.lock().retain(|_, j| {
            let mut s = j.lock();
            s.log.trim(self.limits.replay_bytes, now);
            !s.log.expired(retention, now)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hub() -> JobHub {
        JobHub::new(JobLimits {
            per_user: 2,
            retention: Duration::from_secs(60),
            replay_bytes: 1 << 20,
        })
    }

    #[test]
    fn running_jobs_per_user_are_capped_and_owners_are_kept_apart() {
        let hub = hub();
        hub.start("a", "u1", "wf").unwrap();
        let b = hub.start("b", "u1", "wf").unwrap();
        assert_eq!(
            hub.start("c", "u1", "wf").err(),
            Some(Refused::TooManyRunning(2))
        );
        assert!(hub.start("d", "u2", "wf").is_ok());
        assert!(hub.get("a", "u2").is_none());
        b.finish(None, "completed");
        assert!(hub.start("c", "u1", "wf").is_ok());
    }

    #[test]
    fn a_cancelled_job_takes_no_late_messages() {
        let hub = hub();
        let job = hub.start("a", "u", "wf").unwrap();
        job.emit(json!({"type": "job_update", "status": "running"}));
        assert!(hub.cancel(
            "a",
            |_| json!({"type": "job_update", "status": "cancelled"})
        ));
        job.emit(json!({"type": "job_update", "status": "completed"}));
        let (all, done) = job.since(0);
        assert!(done);
        assert_eq!(all.len(), 2);
        assert_eq!(job.status(), "cancelled");
        assert!(!hub.cancel("a", |_| json!({})));
    }
}
