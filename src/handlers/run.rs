//! `POST .../workflows/{id}/run` (reference 4.3): the bare result map, or with `?stream=true`
//! the NDJSON message stream ending in `job_completed` or `job_failed`.

use serde_json::{Map, Value};

use super::{Ctx, query_pairs, random_hex, truthy_param};
use crate::graph::{self, GraphError, run::RunError, run::RunSpec};
use crate::host::Host;
use crate::http::body::json_object;
use crate::http::error::ApiError;
use crate::http::response::{Response, ndjson_response, ok_json};
use crate::store::jobs::{JobRecord, JobStore, Status};
use crate::store::workflows::WorkflowStore;

/// `{"params": {...}}`; an empty body means no params (the seed's curl sends `{}`).
fn parse_params(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let mut obj = json_object(body)?;
    match obj.remove("params") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(p)) => Ok(p),
        Some(_) => Err(ApiError::body_field(
            &["params"],
            "Input should be a valid dictionary",
            "dict_type",
        )),
    }
}

/// The header a host sets when the run is a job it started (`/ws` `run_job`): the run takes
/// that id and is recorded as the caller's job, so `/api/jobs` lists it and a cancel finds it.
pub const JOB_HEADER: &str = "x-nodetool-edge-job";

/// A job id a host chose: short, and plain enough for a key segment and a log line.
fn job_id_from(headers: &http::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get(JOB_HEADER) else {
        return Ok(None);
    };
    match v.to_str() {
        Ok(s)
            if (1..=64).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            Ok(Some(s.to_string()))
        }
        _ => Err(ApiError::BadRequest(format!(
            "{JOB_HEADER} must be 1 to 64 letters, digits or '-'"
        ))),
    }
}

pub async fn run<H: Host>(
    ctx: &Ctx<'_, H>,
    id: &str,
    query: Option<&str>,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let job = job_id_from(headers)?;
    let stream = query_pairs(query)
        .iter()
        .any(|(k, v)| k == "stream" && truthy_param(v));
    let params = parse_params(body)?;
    let workflow = WorkflowStore::new(ctx.host)
        .get_readable(&ctx.identity.user_id, id)
        .await?;
    let plan = graph::compile(&workflow.graph, &graph::LIMITS).map_err(|e| match e {
        // The graph is sound but asks for what this host lacks: the request was understood.
        GraphError::CannotRun(_) => ApiError::Unprocessable(e.to_string()),
        _ => ApiError::BadRequest(e.to_string()),
    })?;

    graph::run::check_params(&plan, &params).map_err(|e| ApiError::Unprocessable(e.to_string()))?;

    let job_id = job.clone().unwrap_or_else(|| random_hex(ctx.host, 16));
    let jobs = JobStore::new(ctx.host);
    let now = || crate::time::naive_iso(ctx.host.now_micros());
    if job.is_some() {
        let record = JobRecord::running(&job_id, &ctx.identity.user_id, &workflow.id, &now());
        jobs.start(&record).await?;
    }
    let clock = || ctx.host.now_micros();
    let random = |b: &mut [u8]| ctx.host.fill(b);
    let spec = RunSpec {
        job_id: &job_id,
        workflow_id: &workflow.id,
        limits: graph::LIMITS,
        messages: stream,
        now_micros: &clock,
        random: &random,
    };
    let effects = super::effects::WorkflowEffects {
        ctx,
        workflow_id: &workflow.id,
    };
    let outcome = graph::run::run(&plan, &params, &spec, &effects).await;
    if let Err(e) = &outcome.result
        && !matches!(e, RunError::Param { .. })
    {
        ctx.host.log(&format!(
            "workflow {} run {job_id} failed: {e}",
            workflow.id
        ));
    }
    if job.is_some() {
        let (status, error) = match &outcome.result {
            Ok(_) => (Status::Completed, None),
            Err(e) => (Status::Failed, Some(e.to_string())),
        };
        jobs.finish(&ctx.identity.user_id, &job_id, status, error, &now())
            .await?;
    }
    if stream {
        return Ok(ndjson_response(&outcome.messages));
    }
    match outcome.result {
        Ok(result) => Ok(ok_json(&result)),
        Err(e) => Err(ApiError::Unprocessable(e.to_string())),
    }
}
