//! `POST .../workflows/{id}/run` (reference 4.3): the bare result map, or with `?stream=true`
//! the NDJSON message stream ending in `job_completed` or `job_failed`.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::{Ctx, query_pairs, random_hex, truthy_param};
use crate::graph::{self, GraphError, run::RunError, run::RunSpec};
use crate::host::Host;
use crate::http::body::json_object;
use crate::http::error::ApiError;
use crate::http::response::{Body, NdjsonStream, ok_json};
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

pub async fn run<'a, H: Host>(
    ctx: &Ctx<'_, H>,
    host: &'a H,
    id: &str,
    query: Option<&str>,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<http::Response<Body<'a>>, ApiError> {
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

    let recorded = job.is_some();
    let job_id = job.unwrap_or_else(|| random_hex(ctx.host, 16));
    if recorded {
        let now = crate::time::naive_iso(ctx.host.now_micros());
        let mut record = JobRecord::running(&job_id, &ctx.identity.user_id, &workflow.id, &now);
        record.holder = super::jobs::holder(headers).map(str::to_string);
        JobStore::new(ctx.host).start(&record).await?;
    }
    let run = Run {
        plan,
        params,
        job_id,
        workflow_id: workflow.id,
        recorded,
    };
    if !stream {
        let outcome = run.execute(ctx, None).await;
        return match outcome.result {
            Ok(result) => Ok(ok_json(&result).map(Body::from)),
            Err(e) => Err(ApiError::Unprocessable(e.to_string())),
        };
    }
    // The run goes on inside the body, so each message reaches the client as it happens.
    let config = ctx.config.clone();
    let identity = ctx.identity.clone();
    let queue = Rc::new(RefCell::new(Vec::new()));
    let lines = queue.clone();
    let running = async move {
        let ctx = Ctx {
            host,
            config: &config,
            identity,
        };
        let sink = |m: Value| lines.borrow_mut().push(m);
        run.execute(&ctx, Some(&sink)).await;
    };
    let mut resp = http::Response::new(Body::scoped(NdjsonStream::new(running, queue)));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(resp)
}

/// A checked run, ready to go.
struct Run {
    plan: graph::Plan,
    params: Map<String, Value>,
    job_id: String,
    workflow_id: String,
    /// A job of the caller's: its record is finished with the run.
    recorded: bool,
}

impl Run {
    /// Runs to the end; with a `sink`, the NDJSON messages go there as they happen.
    async fn execute<H: Host>(
        &self,
        ctx: &Ctx<'_, H>,
        sink: Option<&dyn Fn(Value)>,
    ) -> graph::run::Outcome {
        let clock = || ctx.host.now_micros();
        let random = |b: &mut [u8]| ctx.host.fill(b);
        let spec = RunSpec {
            job_id: &self.job_id,
            workflow_id: &self.workflow_id,
            limits: graph::LIMITS,
            messages: sink.is_some(),
            now_micros: &clock,
            random: &random,
            sink,
        };
        let effects = super::effects::WorkflowEffects {
            ctx,
            workflow_id: &self.workflow_id,
        };
        let outcome = graph::run::run(&self.plan, &self.params, &spec, &effects).await;
        if let Err(e) = &outcome.result
            && !matches!(e, RunError::Param { .. })
        {
            ctx.host.log(&format!(
                "workflow {} run {} failed: {e}",
                self.workflow_id, self.job_id
            ));
        }
        if self.recorded {
            let (status, error) = match &outcome.result {
                Ok(_) => (Status::Completed, None),
                Err(e) => (Status::Failed, Some(e.to_string())),
            };
            let now = crate::time::naive_iso(ctx.host.now_micros());
            let user = &ctx.identity.user_id;
            if let Err(e) = JobStore::new(ctx.host)
                .finish(user, &self.job_id, status, error, &now)
                .await
            {
                ctx.host.log(&format!(
                    "job {} ended, but its record was not updated: {e:?}",
                    self.job_id
                ));
            }
        }
        outcome
    }
}
