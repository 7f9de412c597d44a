//! `/api/jobs` (reference 4.10): the caller's jobs, one job, the running ones, and cancel.
//! Jobs are the runs a host started for `/ws` `run_job` (see [`super::run::JOB_HEADER`]).

use serde_json::json;

use super::Ctx;
use crate::host::Host;
use crate::http::error::ApiError;
use crate::http::response::{Response, ok_json};
use crate::store::jobs::{JobRecord, JobStore, LOST, NOT_FOUND, Status};

/// The response header by which a cancel tells the host which job to stop: the host, not the
/// core, holds the instance running it.
pub const CANCEL_HEADER: &str = "x-nodetool-edge-cancel-job";

/// Beside [`CANCEL_HEADER`]: the job's owner, percent-encoded, for a host that keeps each
/// user's jobs in a place of their own (a Durable Object on Workers).
pub const OWNER_HEADER: &str = "x-nodetool-edge-job-owner";

/// Set by a host on every request with the id of its process (the runner's, random at each
/// start), replacing whatever a client sent. A job records the process that runs it; one still
/// `running` under another id was lost when that process ended, and is marked failed the next
/// time it is read. Hosts without the header (Workers, Spin) never mark a job so.
pub const HOLDER_HEADER: &str = "x-nodetool-edge-job-holder";

/// The holder a request names, when it is plain enough to keep (as a job id is).
pub fn holder(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get(HOLDER_HEADER)?
        .to_str()
        .ok()
        .filter(|s| (1..=64).contains(&s.len()))
        .filter(|s| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// `job` as it stands: a lost one (see [`HOLDER_HEADER`]) is failed first.
async fn settle<H: Host>(
    ctx: &Ctx<'_, H>,
    job: JobRecord,
    holder: Option<&str>,
) -> Result<JobRecord, ApiError> {
    if !job.is_lost(holder) {
        return Ok(job);
    }
    let now = crate::time::naive_iso(ctx.host.now_micros());
    let settled = JobStore::new(ctx.host)
        .finish(
            &job.user_id,
            &job.id,
            Status::Failed,
            Some(LOST.into()),
            &now,
        )
        .await?;
    Ok(settled.unwrap_or(job))
}

async fn settle_all<H: Host>(
    ctx: &Ctx<'_, H>,
    jobs: Vec<JobRecord>,
    holder: Option<&str>,
) -> Result<Vec<JobRecord>, ApiError> {
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        out.push(settle(ctx, job, holder).await?);
    }
    Ok(out)
}

fn not_found() -> ApiError {
    ApiError::NotFound(NOT_FOUND.into())
}

pub async fn list<H: Host>(ctx: &Ctx<'_, H>, holder: Option<&str>) -> Result<Response, ApiError> {
    let jobs = JobStore::new(ctx.host)
        .list(&ctx.identity.user_id, false)
        .await?;
    let jobs = settle_all(ctx, jobs, holder).await?;
    let jobs: Vec<_> = jobs.iter().map(|j| j.to_response()).collect();
    Ok(ok_json(&json!({"jobs": jobs, "next_start_key": null})))
}

pub async fn running<H: Host>(
    ctx: &Ctx<'_, H>,
    holder: Option<&str>,
) -> Result<Response, ApiError> {
    let jobs = JobStore::new(ctx.host)
        .list(&ctx.identity.user_id, true)
        .await?;
    let jobs = settle_all(ctx, jobs, holder).await?;
    let jobs: Vec<_> = jobs
        .iter()
        .filter(|j| j.status == Status::Running)
        .map(|j| j.to_background(j.status.name()))
        .collect();
    Ok(ok_json(&jobs))
}

pub async fn get<H: Host>(
    ctx: &Ctx<'_, H>,
    id: &str,
    holder: Option<&str>,
) -> Result<Response, ApiError> {
    match JobStore::new(ctx.host)
        .get(&ctx.identity.user_id, id)
        .await?
    {
        Some(job) => Ok(ok_json(&settle(ctx, job, holder).await?.to_response())),
        None => Err(not_found()),
    }
}

/// Marks the job cancelled (unless it already finished) and, while it runs, names it in
/// [`CANCEL_HEADER`] so the host stops it at once.
pub async fn cancel<H: Host>(
    ctx: &Ctx<'_, H>,
    id: &str,
    holder: Option<&str>,
) -> Result<Response, ApiError> {
    // A lost job is failed, not cancelled: nothing of it runs any more.
    if let Some(job) = JobStore::new(ctx.host)
        .get(&ctx.identity.user_id, id)
        .await?
    {
        settle(ctx, job, holder).await?;
    }
    let now = crate::time::naive_iso(ctx.host.now_micros());
    let Some(job) = JobStore::new(ctx.host)
        .finish(&ctx.identity.user_id, id, Status::Cancelled, None, &now)
        .await?
    else {
        return Err(not_found());
    };
    // `finish` answers the job as it was when it had already ended.
    let cancelled_now = job.status == Status::Cancelled && job.finished_at.as_deref() == Some(&now);
    let status = if cancelled_now {
        "cancelled"
    } else {
        "not_found_or_completed"
    };
    let mut resp = ok_json(&job.to_background(status));
    if cancelled_now && let Ok(v) = http::HeaderValue::from_str(&job.id) {
        resp.headers_mut().insert(CANCEL_HEADER, v);
        let owner = crate::http::router::encode_segment(&ctx.identity.user_id);
        if let Ok(v) = http::HeaderValue::from_str(&owner) {
            resp.headers_mut().insert(OWNER_HEADER, v);
        }
    }
    Ok(resp)
}
