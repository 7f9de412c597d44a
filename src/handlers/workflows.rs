//! `/workflows...` and `/api/workflows/...`: owner-scoped CRUD (reference 4.2).

use serde_json::{Value, json};

use super::{Ctx, query_pairs, random_hex};
use crate::config::quotas::Quota;
use crate::graph;
use crate::host::Host;
use crate::http::error::ApiError;
use crate::http::response::{Response, json_bytes, ok_json};
use crate::store::index::Cap;
use crate::store::layout;
use crate::store::records::page_cap;
use crate::store::workflows::WorkflowStore;
use crate::time::naive_iso;
use crate::workflow::{WorkflowInput, validate_id};

pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 1000;

fn now<H: Host>(ctx: &Ctx<'_, H>) -> String {
    naive_iso(ctx.host.now_micros())
}

/// `GET`: `{"next": <id or "">, "workflows": [...]}`, newest update first.
pub async fn list<H: Host>(ctx: &Ctx<'_, H>, query: Option<&str>) -> Result<Response, ApiError> {
    let mut limit = DEFAULT_PAGE;
    let mut cursor = String::new();
    let mut run_mode = None;
    for (k, v) in query_pairs(query) {
        match k.as_str() {
            "limit" => {
                limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "limit must be a whole number from 1 to {MAX_PAGE}"
                        ))
                    })?
            }
            "cursor" => cursor = v,
            "run_mode" if !v.is_empty() => run_mode = Some(v),
            _ => {}
        }
    }
    // Where a request's store operations are limited (Workers), a large page is cut short
    // and ends with a cursor, as NodeTool's pages do.
    let limit = limit.min(page_cap(ctx.host, MAX_PAGE));
    layout::ensure_indexed(ctx.host).await?;
    let page = WorkflowStore::new(ctx.host)
        .page(&ctx.identity.user_id, run_mode.as_deref(), &cursor, limit)
        .await?;
    Ok(json_bytes(http::StatusCode::OK, page.to_json()))
}

/// `POST`: a new workflow with a fresh 32-hex-character id.
pub async fn create<H: Host>(ctx: &Ctx<'_, H>, body: &[u8]) -> Result<Response, ApiError> {
    let input = WorkflowInput::parse(body)?;
    let warnings = check_graph(&input.graph)?;
    let id = random_hex(ctx.host, 16);
    let now = now(ctx);
    let record = input.into_record(id, ctx.identity.user_id.clone(), now.clone(), now);
    save(ctx, &record).await?;
    Ok(ok_json(&with_warnings(record.to_response(), warnings)))
}

/// Stores `record` within the caller's workflow quota (counted in their index, which a store
/// written before index records gets first).
async fn save<H: Host>(
    ctx: &Ctx<'_, H>,
    record: &crate::workflow::WorkflowRecord,
) -> Result<(), ApiError> {
    layout::ensure_indexed(ctx.host).await?;
    let quotas = ctx.config.quotas;
    let refusal = || quotas.refusal(Quota::Workflows);
    let cap = Cap {
        max_items: quotas.workflows,
        refusal: &refusal,
    };
    WorkflowStore::new(ctx.host).save(record, Some(cap)).await
}

/// A graph must be sound to be saved; node types we cannot run are only warned about, so a
/// workflow can be stored before the server learns its nodes.
fn check_graph(graph: &Value) -> Result<Vec<String>, ApiError> {
    graph::check(graph, &graph::LIMITS)
        .map(|c| c.warnings)
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}

fn with_warnings(mut response: Value, warnings: Vec<String>) -> Value {
    if !warnings.is_empty() {
        response["warnings"] = json!(warnings);
    }
    response
}

pub async fn get<H: Host>(ctx: &Ctx<'_, H>, id: &str) -> Result<Response, ApiError> {
    let answer = WorkflowStore::new(ctx.host)
        .readable_answer(&ctx.identity.user_id, id)
        .await?;
    Ok(json_bytes(http::StatusCode::OK, answer.into_bytes()))
}

/// `PUT`: upsert under the caller; another user's id is "not found", never overwritten.
pub async fn put<H: Host>(ctx: &Ctx<'_, H>, id: &str, body: &[u8]) -> Result<Response, ApiError> {
    validate_id(id)?;
    let input = WorkflowInput::parse(body)?;
    let warnings = check_graph(&input.graph)?;
    let store = WorkflowStore::new(ctx.host);
    let existing = store.get_writable(&ctx.identity.user_id, id).await?;
    let now = now(ctx);
    let created_at = existing
        .map(|w| w.created_at)
        .unwrap_or_else(|| now.clone());
    let record = input.into_record(
        id.to_string(),
        ctx.identity.user_id.clone(),
        created_at,
        now,
    );
    save(ctx, &record).await?;
    Ok(ok_json(&with_warnings(record.to_response(), warnings)))
}

/// `DELETE`: `null`, as the reference.
pub async fn delete<H: Host>(ctx: &Ctx<'_, H>, id: &str) -> Result<Response, ApiError> {
    WorkflowStore::new(ctx.host)
        .delete(&ctx.identity.user_id, id)
        .await?;
    Ok(ok_json(&Value::Null))
}
