//! `/admin/assets[/{id}]`: what NodeTool's `deploy workflows sync` calls to copy the assets a
//! workflow's constants reference (reference 4.6, 7.3). Admin only, like all of `/admin`; an
//! admin acts for any user through `user_id`, which defaults to the caller (NodeTool: `"1"`).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::{Ctx, query_pairs, random_hex};
use crate::config::quotas::{Quota, Quotas};
use crate::host::Host;
use crate::http::body::{json_object, opt_str, req_str};
use crate::http::error::ApiError;
use crate::http::response::{Response, ok_json};
use crate::store::assets::{AssetRecord, AssetStore, FORMAT, MAX_ID_LEN, home_folder, valid_id};
use crate::store::index::{Cap, Entry};
use crate::store::layout;
use crate::store::storage::Bucket;
use crate::store::storage::blob_store::BlobStore;
use crate::time::naive_iso;

const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 10_000;
const MAX_NAME_BYTES: usize = 1024;
const MAX_METADATA_BYTES: usize = 64 * 1024;

fn not_found() -> ApiError {
    ApiError::NotFound("Asset not found".into())
}

fn query_user<H>(ctx: &Ctx<'_, H>, pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .find(|(k, v)| k == "user_id" && !v.is_empty())
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| ctx.identity.user_id.clone())
}

async fn file_size<H: Host>(ctx: &Ctx<'_, H>, a: &AssetRecord) -> Result<Option<u64>, ApiError> {
    Ok(match a.file_name() {
        Some(name) => BlobStore::new(ctx.host)
            .meta(Bucket::Assets, &name)
            .await?
            .map(|m| m.size),
        None => None,
    })
}

/// Stores `record` within its owner's asset quota (counted in their index, which a store
/// written before index records gets first).
pub async fn put_within_quota<H: Host>(
    host: &H,
    quotas: &Quotas,
    record: &AssetRecord,
) -> Result<(), ApiError> {
    layout::ensure_indexed(host).await?;
    let refusal = || quotas.refusal(Quota::Assets);
    let cap = Cap {
        max_items: quotas.assets,
        refusal: &refusal,
    };
    AssetStore::new(host).put(record, Some(cap)).await
}

/// `GET /admin/assets`: `{"next", "assets"}`. Without `parent_id` and `content_type` the user's
/// top level is listed (parent = the user id), as NodeTool; `content_type` matches as a prefix
/// (`image` finds `image/png`).
pub async fn list<H: Host>(ctx: &Ctx<'_, H>, query: Option<&str>) -> Result<Response, ApiError> {
    let pairs = query_pairs(query);
    let user = query_user(ctx, &pairs);
    let mut parent_id = None;
    let mut content_type = None;
    let mut cursor = String::new();
    let mut page_size = DEFAULT_PAGE;
    for (k, v) in &pairs {
        match k.as_str() {
            "parent_id" if !v.is_empty() => parent_id = Some(v.clone()),
            "content_type" if !v.is_empty() => content_type = Some(v.clone()),
            "cursor" => cursor = v.clone(),
            "page_size" => {
                // NodeTool caps large pages rather than refusing them.
                page_size = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        ApiError::BadRequest("page_size must be a positive whole number".into())
                    })?
                    .min(MAX_PAGE)
            }
            _ => {}
        }
    }
    if parent_id.is_none() && content_type.is_none() {
        parent_id = Some(user.clone());
    }
    layout::ensure_indexed(ctx.host).await?;
    let keep = |e: &Entry| {
        parent_id
            .as_ref()
            .is_none_or(|p| e.parent.as_deref() == Some(p.as_str()))
            && content_type.as_ref().is_none_or(|c| {
                e.class
                    .as_deref()
                    .is_some_and(|t| t.starts_with(c.as_str()))
            })
    };
    let (page, more) = AssetStore::new(ctx.host)
        .page(&user, keep, &cursor, page_size)
        .await?;
    let next = match (more, page.last()) {
        (true, Some(last)) => last.id.clone(),
        _ => String::new(),
    };
    let mut assets = Vec::with_capacity(page.len());
    for a in &page {
        assets.push(a.to_response(file_size(ctx, a).await?));
    }
    Ok(ok_json(&json!({"next": next, "assets": assets})))
}

/// `POST /admin/assets`: create, or replace the same user's asset with the same id (so a
/// repeated sync converges); an id held by another user is a 409.
pub async fn create<H: Host>(ctx: &Ctx<'_, H>, body: &[u8]) -> Result<Response, ApiError> {
    let obj = json_object(body)?;
    let user_id = opt_str(&obj, "user_id")?
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| ctx.identity.user_id.clone());
    let name = req_str(&obj, "name")?;
    let content_type = req_str(&obj, "content_type")?;
    if name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(ApiError::body_field(
            &["name"],
            format!("Name must be at most {MAX_NAME_BYTES} bytes without control characters"),
            "value_error",
        ));
    }
    if content_type.len() > 255 || !content_type.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::body_field(
            &["content_type"],
            "Content type must be a MIME type such as image/png",
            "value_error",
        ));
    }
    let id = match opt_str(&obj, "id")?.filter(|i| !i.is_empty()) {
        Some(id) if valid_id(&id) => id,
        Some(_) => {
            return Err(ApiError::body_field(
                &["id"],
                format!("Id must be 1 to {MAX_ID_LEN} letters, digits, '-' or '_'"),
                "value_error",
            ));
        }
        None => random_hex(ctx.host, 16),
    };
    let parent_id = opt_str(&obj, "parent_id")?
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| user_id.clone());
    let workflow_id = opt_str(&obj, "workflow_id")?.filter(|w| !w.is_empty());
    let metadata = match obj.get("metadata") {
        None | Some(Value::Null) => None,
        Some(m @ Value::Object(_)) => Some(m.clone()),
        Some(_) => {
            return Err(ApiError::body_field(
                &["metadata"],
                "Input should be a valid dictionary",
                "dict_type",
            ));
        }
    };
    if metadata
        .as_ref()
        .is_some_and(|m| m.to_string().len() > MAX_METADATA_BYTES)
    {
        return Err(ApiError::body_field(
            &["metadata"],
            format!("Metadata must be at most {MAX_METADATA_BYTES} bytes of JSON"),
            "value_error",
        ));
    }
    let store = AssetStore::new(ctx.host);
    let existing = store.get(&id).await?;
    if let Some(e) = &existing
        && e.user_id != user_id
    {
        return Err(ApiError::Conflict(format!(
            "Asset id '{id}' is already in use"
        )));
    }
    let record = AssetRecord {
        format: FORMAT,
        id,
        user_id,
        parent_id,
        workflow_id,
        name,
        content_type,
        metadata,
        created_at: existing
            .map(|e| e.created_at)
            .unwrap_or_else(|| naive_iso(ctx.host.now_micros())),
    };
    put_within_quota(ctx.host, &ctx.config.quotas, &record).await?;
    Ok(ok_json(&record.to_response(file_size(ctx, &record).await?)))
}

/// `GET /admin/assets/{id}`: the asset, NodeTool's synthetic "Home" folder when `id` is the
/// user's id, else 404.
pub async fn get<H: Host>(
    ctx: &Ctx<'_, H>,
    id: &str,
    query: Option<&str>,
) -> Result<Response, ApiError> {
    let user = query_user(ctx, &query_pairs(query));
    if id == user {
        return Ok(ok_json(&home_folder(&user)));
    }
    let asset = AssetStore::new(ctx.host)
        .get(id)
        .await?
        .filter(|a| a.user_id == user)
        .ok_or_else(not_found)?;
    Ok(ok_json(&asset.to_response(file_size(ctx, &asset).await?)))
}

/// `DELETE /admin/assets/{id}`: the asset and its files; a folder with everything below it,
/// children first. Parent links are data, so a cycle is cut by remembering visited ids.
pub async fn delete<H: Host>(
    ctx: &Ctx<'_, H>,
    id: &str,
    query: Option<&str>,
) -> Result<Response, ApiError> {
    let user = query_user(ctx, &query_pairs(query));
    let store = AssetStore::new(ctx.host);
    let asset = store.get(id).await?.ok_or_else(not_found)?;
    if asset.user_id != user {
        return Err(ApiError::Forbidden("Asset access denied"));
    }
    let mut order = Vec::new();
    if asset.is_folder() {
        let all = store.list(&user).await?;
        let mut children: HashMap<&str, Vec<&AssetRecord>> = HashMap::new();
        for a in &all {
            children.entry(a.parent_id.as_str()).or_default().push(a);
        }
        let mut seen = HashSet::from([asset.id.as_str()]);
        collect_below(&asset.id, &children, &mut seen, &mut order);
    }
    order.push(asset.clone());
    let blobs = BlobStore::new(ctx.host);
    let mut deleted = Vec::with_capacity(order.len());
    for a in &order {
        // The record goes first: once it is gone the asset no longer exists for any caller,
        // and a file left behind by a failure is only unreachable bytes.
        store.delete(a).await?;
        for name in a.file_name().into_iter().chain(a.thumb_file_name()) {
            blobs.delete(Bucket::Assets, &name).await?;
        }
        deleted.push(a.id.clone());
    }
    Ok(ok_json(&json!({"deleted_asset_ids": deleted})))
}

fn collect_below<'a>(
    folder: &str,
    children: &HashMap<&str, Vec<&'a AssetRecord>>,
    seen: &mut HashSet<&'a str>,
    out: &mut Vec<AssetRecord>,
) {
    for child in children.get(folder).into_iter().flatten() {
        if !seen.insert(child.id.as_str()) {
            continue;
        }
        if child.is_folder() {
            collect_below(&child.id, children, seen, out);
        }
        out.push((*child).clone());
    }
}
