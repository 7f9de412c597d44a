//! Jobs: workflow runs started over `/ws`, kept so `/api/jobs` can list them and a client can
//! ask after one it lost. A job belongs to the user who started it; nobody else sees it.
//!
//! Layout: the record lives at `jobs/v1/{owner}/{id}`, and the owner's index record (kind
//! `jobs`) lists it with its start time and status. A job's status leaves `running` once, by
//! compare-and-swap, so a cancel and the run's own end cannot both win: whichever writes first
//! is the job's final status. An owner keeps the newest [`MAX_KEPT`] jobs; starting one more
//! forgets the oldest finished ones.

use serde::{Deserialize, Serialize};

use crate::host::KeyValue;
use crate::http::error::ApiError;
use crate::store::index::{Entry, Index, newest_first};
use crate::store::records::{get_json, read_page, seg};

pub const KIND: &str = "jobs";
pub const NOT_FOUND: &str = "Job not found";
/// Finished jobs an owner keeps for `/api/jobs`.
pub const MAX_KEPT: usize = 100;
/// Attempts at a status change before the store is called busy.
const MAX_ATTEMPTS: usize = 16;

const UNREADABLE: &str = "A stored job could not be read";
const UNWRITABLE: &str = "Job could not be stored";

/// A job's status, with NodeTool's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn is_finished(self) -> bool {
        self != Status::Running
    }
}

/// A job as `/api/jobs` answers it (NodeTool's `JobResponse`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub user_id: String,
    pub job_type: String,
    pub status: Status,
    pub workflow_id: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    pub cost: Option<f64>,
    /// Which process of the host runs the job (see [`crate::handlers::jobs::HOLDER_HEADER`]):
    /// a job still `running` under another one was lost with its process. Not in answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
}

/// Why a job that was running in a process that is gone ended.
pub const LOST: &str = "The server restarted before the job ended";

impl JobRecord {
    /// NodeTool's `JobResponse`: the record and the suspension fields this server never
    /// sets (it does not suspend runs).
    pub fn to_response(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            for k in [
                "suspended_node_id",
                "suspension_reason",
                "error_message",
                "execution_strategy",
                "etag",
            ] {
                o.insert(k.into(), serde_json::Value::Null);
            }
            let resumable = matches!(self.status, Status::Running | Status::Failed);
            o.insert("is_resumable".into(), resumable.into());
            o.remove("holder");
        }
        v
    }

    /// NodeTool's `BackgroundJobResponse` (`/api/jobs/running/all` and cancel).
    pub fn to_background(&self, status: &str) -> serde_json::Value {
        serde_json::json!({
            "job_id": self.id,
            "status": status,
            "workflow_id": self.workflow_id,
            "created_at": self.started_at,
            "is_running": self.status == Status::Running,
            "is_completed": self.status.is_finished() && self.status != Status::Cancelled,
        })
    }

    pub fn running(id: &str, user_id: &str, workflow_id: &str, now: &str) -> JobRecord {
        JobRecord {
            id: id.into(),
            user_id: user_id.into(),
            job_type: "workflow".into(),
            status: Status::Running,
            workflow_id: workflow_id.into(),
            started_at: now.into(),
            finished_at: None,
            error: None,
            cost: None,
            holder: None,
        }
    }

    /// Whether the job was left `running` by a process other than `holder`, the one asking.
    pub fn is_lost(&self, holder: Option<&str>) -> bool {
        self.status == Status::Running
            && holder.is_some()
            && self.holder.is_some()
            && self.holder.as_deref() != holder
    }
}

fn record_key(owner: &str, id: &str) -> String {
    format!("jobs/v1/{}/{}", seg(owner), seg(id))
}

fn entry_of(job: &JobRecord) -> Entry {
    Entry {
        updated: job.started_at.clone(),
        class: Some(job.status.name().into()),
        ..Entry::default()
    }
}

pub struct JobStore<'a, K: KeyValue> {
    kv: &'a K,
}

impl<'a, K: KeyValue> JobStore<'a, K> {
    pub fn new(kv: &'a K) -> Self {
        JobStore { kv }
    }

    fn index(&self, owner: &str) -> Index<'a, K> {
        Index::new(self.kv, KIND, owner)
    }

    /// Records a job that has just started, forgetting the owner's oldest finished jobs
    /// beyond [`MAX_KEPT`].
    pub async fn start(&self, job: &JobRecord) -> Result<(), ApiError> {
        let index = self.index(&job.user_id);
        // Entry first, record second: a crash between leaves an entry listings skip.
        index.put(&job.id, entry_of(job), None).await?;
        self.write(job, None).await?;
        let entries = index.entries().await?;
        let finished: Vec<String> = newest_first(&entries)
            .into_iter()
            .filter(|(_, e)| e.class.as_deref() != Some(Status::Running.name()))
            .skip(MAX_KEPT)
            .map(|(id, _)| id.clone())
            .collect();
        for id in finished {
            self.kv.delete(&record_key(&job.user_id, &id)).await?;
            index.remove(&id).await?;
        }
        Ok(())
    }

    async fn write(&self, job: &JobRecord, expected: Option<&[u8]>) -> Result<bool, ApiError> {
        let bytes = serde_json::to_vec(job).map_err(|_| ApiError::Internal(UNWRITABLE))?;
        let key = record_key(&job.user_id, &job.id);
        if expected.is_none() {
            self.kv.set(&key, &bytes).await?;
            return Ok(true);
        }
        Ok(self.kv.swap(&key, expected, &bytes).await?)
    }

    /// The owner's job `id`.
    pub async fn get(&self, owner: &str, id: &str) -> Result<Option<JobRecord>, ApiError> {
        get_json(self.kv, &record_key(owner, id), UNREADABLE).await
    }

    /// The owner's jobs, newest first; with `running_only`, those still running.
    pub async fn list(&self, owner: &str, running_only: bool) -> Result<Vec<JobRecord>, ApiError> {
        let entries = self.index(owner).entries().await?;
        let ids = newest_first(&entries)
            .into_iter()
            .filter(|(_, e)| !running_only || e.class.as_deref() == Some(Status::Running.name()))
            .map(|(id, _)| id.as_str());
        let kept = read_page(
            self.kv,
            ids,
            usize::MAX,
            |id| record_key(owner, id),
            |_, raw| {
                let job: JobRecord =
                    serde_json::from_slice(&raw).map_err(|_| ApiError::Internal(UNREADABLE))?;
                Ok((!running_only || job.status == Status::Running).then_some(job))
            },
        )
        .await?;
        Ok(kept.items)
    }

    /// Moves a running job to `status` (a finished one), and answers the job as it now is:
    /// with the status it already had when it had finished before.
    pub async fn finish(
        &self,
        owner: &str,
        id: &str,
        status: Status,
        error: Option<String>,
        now: &str,
    ) -> Result<Option<JobRecord>, ApiError> {
        let key = record_key(owner, id);
        for _ in 0..MAX_ATTEMPTS {
            let Some(raw) = self.kv.get(&key).await? else {
                return Ok(None);
            };
            let mut job: JobRecord =
                serde_json::from_slice(&raw).map_err(|_| ApiError::Internal(UNREADABLE))?;
            if job.status.is_finished() {
                return Ok(Some(job));
            }
            job.status = status;
            job.error = error.clone();
            job.finished_at = Some(now.into());
            if self.write(&job, Some(&raw)).await? {
                self.index(owner).put(id, entry_of(&job), None).await?;
                return Ok(Some(job));
            }
        }
        Err(ApiError::Unavailable(
            "The store is busy with this job; try again in a moment",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_host::MemoryHost;
    use futures_executor::block_on;

    #[test]
    fn a_job_left_running_by_another_process_is_lost_and_its_holder_stays_private() {
        let mut job = JobRecord::running("j", "u", "wf", "t");
        assert!(
            !job.is_lost(Some("b")),
            "a job without a holder is never lost"
        );
        job.holder = Some("a".into());
        assert!(!job.is_lost(Some("a")));
        assert!(!job.is_lost(None), "a host that names none decides nothing");
        assert!(job.is_lost(Some("b")));
        assert!(job.to_response().get("holder").is_none());
        let stored: JobRecord = serde_json::from_slice(&serde_json::to_vec(&job).unwrap()).unwrap();
        assert_eq!(stored.holder.as_deref(), Some("a"));
        job.status = Status::Completed;
        assert!(!job.is_lost(Some("b")));
    }

    #[test]
    fn a_job_finishes_once_and_only_its_owner_sees_it() {
        let host = MemoryHost::with_vars(&[]);
        let store = JobStore::new(&host);
        let job = JobRecord::running("j1", "alice", "wf", "2026-01-01T00:00:00");
        block_on(store.start(&job)).unwrap();
        assert_eq!(block_on(store.get("bob", "j1")).unwrap(), None);
        assert_eq!(block_on(store.list("alice", true)).unwrap().len(), 1);

        let cancelled = block_on(store.finish("alice", "j1", Status::Cancelled, None, "t1"))
            .unwrap()
            .unwrap();
        assert_eq!(cancelled.status, Status::Cancelled);
        // The run's own end comes second and changes nothing.
        let after = block_on(store.finish("alice", "j1", Status::Completed, None, "t2"))
            .unwrap()
            .unwrap();
        assert_eq!(after.status, Status::Cancelled);
        assert_eq!(after.finished_at.as_deref(), Some("t1"));
        assert!(block_on(store.list("alice", true)).unwrap().is_empty());
        assert_eq!(block_on(store.list("alice", false)).unwrap().len(), 1);
    }

    #[test]
    fn an_owner_keeps_the_newest_finished_jobs() {
        let host = MemoryHost::with_vars(&[]);
        let store = JobStore::new(&host);
        for i in 0..MAX_KEPT + 3 {
            let id = format!("j{i:03}");
            let at = format!("2026-01-01T00:{:02}:{:02}", i / 60, i % 60);
            block_on(store.start(&JobRecord::running(&id, "u", "wf", &at))).unwrap();
            block_on(store.finish("u", &id, Status::Completed, None, &at)).unwrap();
        }
        let kept = block_on(store.list("u", false)).unwrap();
        // The last start pruned before its own job finished, so one more is kept.
        assert!(kept.len() <= MAX_KEPT + 1, "{}", kept.len());
        assert_eq!(kept[0].id, format!("j{:03}", MAX_KEPT + 2));
        assert_eq!(block_on(store.get("u", "j000")).unwrap(), None);
    }
}
