//! `/workflows...` and `/api/workflows/...`: owner-scoped CRUD (reference 4.2).

use serde_json::{Value, json};

use super::{Ctx, query_pairs, random_hex};
use crate::graph;
use crate::host::Host;
use crate::http::error::ApiError;
use crate::http::response::{Response, ok_json};
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
    let all = WorkflowStore::new(ctx.host)
        .list(&ctx.identity.user_id)
        .await?;
    let mut items = all
        .iter()
        .filter(|w| run_mode.is_none() || w.run_mode == run_mode);
    if !cursor.is_empty() {
        // Resume after the cursor; a cursor that no longer exists ends the listing rather than
        // restarting it, so a paging client cannot loop.
        if !items.by_ref().any(|w| w.id == cursor) {
            return Ok(ok_json(&json!({"next": "", "workflows": []})));
        }
    }
    let page: Vec<_> = items.by_ref().take(limit).collect();
    let next = match (items.next(), page.last()) {
        (Some(_), Some(last)) => last.id.clone(),
        _ => String::new(),
    };
    let workflows: Vec<Value> = page.iter().map(|w| w.to_response()).collect();
    Ok(ok_json(&json!({"next": next, "workflows": workflows})))
}

/// `POST`: a new workflow with a fresh 32-hex-character id.
pub async fn create<H: Host>(ctx: &Ctx<'_, H>, body: &[u8]) -> Result<Response, ApiError> {
    let input = WorkflowInput::parse(body)?;
    let warnings = check_graph(&input.graph)?;
    let id = random_hex(ctx.host, 16);
    let now = now(ctx);
    let record = input.into_record(id, ctx.identity.user_id.clone(), now.clone(), now);
    WorkflowStore::new(ctx.host).save(&record).await?;
    Ok(ok_json(&with_warnings(record.to_response(), warnings)))
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
    let w = WorkflowStore::new(ctx.host)
        .get_readable(&ctx.identity.user_id, id)
        .await?;
    Ok(ok_json(&w.to_response()))
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
    store.save(&record).await?;
    Ok(ok_json(&with_warnings(record.to_response(), warnings)))
}

/// `DELETE`: `null`, as the reference.
pub async fn delete<H: Host>(ctx: &Ctx<'_, H>, id: &str) -> Result<Response, ApiError> {
    WorkflowStore::new(ctx.host)
        .delete(&ctx.identity.user_id, id)
        .await?;
    Ok(ok_json(&Value::Null))
}
