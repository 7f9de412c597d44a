//! `/admin/assets[/{id}]`: what NodeTool's `deploy workflows sync` calls to copy the assets a
//! workflow's constants reference (reference 4.6, 7.3). Admin only, like all of `/admin`; an
//! admin acts for any user through `user_id`, which defaults to the caller (NodeTool: `"1"`).

use serde_json::{Value, json};

use super::{Ctx, query_pairs, random_hex};
use crate::config::quotas::{Quota, Quotas};
use crate::host::Host;
use crate::http::body::{json_object, opt_str, req_str};
use crate::http::error::ApiError;
use crate::http::response::{Response, ok_json};
use crate::store::assets::{
    AssetRecord, AssetStore, FORMAT, MAX_DEPTH, MAX_ID_LEN, home_folder, subtree_leaves_first,
    valid_id,
};
use crate::store::index::{Cap, Entry};
use crate::store::layout;
use crate::store::records::page_cap;
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

/// Stores `record` (replacing `previous`, the same user's record of that id) within its
/// owner's asset quota (counted in the store's indexes, which a store written before them
/// gets first).
pub async fn put_within_quota<H: Host>(
    host: &H,
    quotas: &Quotas,
    record: &AssetRecord,
    previous: Option<&AssetRecord>,
) -> Result<(), ApiError> {
    layout::ensure_indexed(host).await?;
    let refusal = || quotas.refusal(Quota::Assets);
    let cap = Cap {
        max_items: quotas.assets,
        refusal: &refusal,
    };
    AssetStore::new(host).put(record, previous, Some(cap)).await
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
                    .min(page_cap(ctx.host, MAX_PAGE))
            }
            _ => {}
        }
    }
    if parent_id.is_none() && content_type.is_none() {
        parent_id = Some(user.clone());
    }
    layout::ensure_indexed(ctx.host).await?;
    let keep = |e: &Entry| {
        content_type.as_ref().is_none_or(|c| {
            e.class
                .as_deref()
                .is_some_and(|t| t.starts_with(c.as_str()))
        })
    };
    let (page, more) = AssetStore::new(ctx.host)
        .page(&user, parent_id.as_deref(), keep, &cursor, page_size)
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
    // The parent is taken as given: it is not read (a sync copies the files a workflow
    // references, not necessarily their folders), so creating walks no ancestors and a chain deeper than `MAX_DEPTH` can be built
    // one folder at a time. A check here would cost a read per level on every create; the
    // limit is enforced where a tree is walked instead, and such a chain is deleted from
    // further down.
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
            .as_ref()
            .map(|e| e.created_at.clone())
            .unwrap_or_else(|| naive_iso(ctx.host.now_micros())),
        // The file stays what it was, and so does what it counts against the quota.
        stored_bytes: existing.as_ref().map_or(0, |e| e.stored_bytes),
    };
    put_within_quota(ctx.host, &ctx.config.quotas, &record, existing.as_ref()).await?;
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
/// children first, so a failure midway leaves a smaller tree with no record cut off from its
/// parent. The whole tree is planned before anything is deleted: one nested deeper than
/// `MAX_DEPTH` is refused (422) with nothing changed.
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
    let all;
    let order = if asset.is_folder() {
        // One level past the limit is read, so the walk can refuse a tree that is too deep
        // without this reading all of it.
        all = store.below(&asset, MAX_DEPTH + 1).await?;
        subtree_leaves_first(&asset, &all, MAX_DEPTH)?
    } else {
        vec![&asset]
    };
    let blobs = BlobStore::new(ctx.host);
    let mut deleted = Vec::with_capacity(order.len());
    for a in order {
        // The record goes first: once it is gone the asset no longer exists for any caller,
        // and a file left behind by a failure is only unreachable bytes.
        store.delete(a).await?;
        for name in a.file_name().into_iter().chain(a.thumb_file_name()) {
            blobs.delete(Bucket::Assets, &name).await?;
        }
        deleted.push(a.id.as_str());
    }
    Ok(ok_json(&json!({"deleted_asset_ids": deleted})))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures_executor::block_on;
    use http_body_util::Full;
    use serde_json::{Value, json};

    use crate::memory_host::MemoryHost;
    use crate::store::assets::tests::rec;
    use crate::store::assets::{AssetStore, FOLDER, MAX_DEPTH};

    /// One request through the whole pipeline, as the desktop's local user (an admin).
    fn call(host: &MemoryHost, method: &str, path: &str, body: Value) -> (u16, Value) {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let resp = block_on(crate::handle(req, host));
        let status = resp.status().as_u16();
        let bytes = resp.body().as_full().expect("a whole body");
        (status, serde_json::from_slice(bytes).unwrap_or(Value::Null))
    }

    /// `levels` folders, each inside the one before, written straight to the store (as a store
    /// made before the limit, or one built by hand, holds them): `f0` at the top.
    fn store_chain(host: &MemoryHost, levels: usize) {
        let store = AssetStore::new(host);
        for i in 0..levels {
            let parent = if i == 0 {
                "1".into()
            } else {
                format!("f{}", i - 1)
            };
            block_on(store.put(&rec(&format!("f{i}"), &parent, FOLDER), None, None)).unwrap();
        }
    }

    /// Asset records stored (indexes and counters, which stay as empty records, aside).
    fn stored_keys(host: &MemoryHost) -> usize {
        host.kv
            .borrow()
            .keys()
            .filter(|k| k.starts_with("assets/v1/"))
            .count()
    }

    fn too_deep() -> (u16, Value) {
        (
            422,
            json!({"detail": format!(
                "Folder nesting exceeds the limit of {MAX_DEPTH} levels: delete a folder further down first"
            )}),
        )
    }

    #[test]
    fn a_chain_created_through_the_api_at_the_limit_deletes_whole() {
        let host = MemoryHost::with_vars(&[]);
        for i in 0..MAX_DEPTH {
            let parent = if i == 0 {
                String::new()
            } else {
                format!("f{}", i - 1)
            };
            let (s, _) = call(
                &host,
                "POST",
                "/admin/assets",
                json!({"id": format!("f{i}"), "name": "d", "content_type": "folder",
                       "parent_id": parent}),
            );
            assert_eq!(s, 200);
        }
        let (s, _) = call(
            &host,
            "POST",
            "/admin/assets",
            json!({"id": "deepest", "name": "x.txt", "content_type": "text/plain",
                   "parent_id": format!("f{}", MAX_DEPTH - 1)}),
        );
        assert_eq!(s, 200);
        let (s, body) = call(&host, "DELETE", "/admin/assets/f0", Value::Null);
        assert_eq!(s, 200, "{body}");
        let deleted = body["deleted_asset_ids"].as_array().unwrap();
        assert_eq!(deleted.len(), MAX_DEPTH + 1);
        assert_eq!(deleted[0], "deepest");
        assert_eq!(deleted[MAX_DEPTH], "f0");
        // No record is left, and the count is back to nothing.
        assert_eq!(stored_keys(&host), 0);
        assert_eq!(block_on(AssetStore::new(&host).count("1")).unwrap(), 0);
        let (s, list) = call(
            &host,
            "GET",
            "/admin/assets?content_type=folder",
            Value::Null,
        );
        assert_eq!((s, list["assets"].clone()), (200, json!([])));
    }

    #[test]
    fn a_chain_beyond_the_limit_is_refused_with_nothing_deleted() {
        let host = MemoryHost::with_vars(&[]);
        store_chain(&host, 10_000);
        let before = host.kv.borrow().clone();
        assert_eq!(
            call(&host, "DELETE", "/admin/assets/f0", Value::Null),
            too_deep()
        );
        // One level past the limit is enough to refuse.
        assert_eq!(
            call(&host, "DELETE", "/admin/assets/f8999", Value::Null),
            too_deep()
        );
        assert!(*host.kv.borrow() == before, "a refusal changes nothing");
        // The way out: delete from further down, where what is left fits the limit.
        let (s, body) = call(&host, "DELETE", "/admin/assets/f9000", Value::Null);
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["deleted_asset_ids"].as_array().unwrap().len(), 1000);
        assert_eq!(stored_keys(&host), 9000);
        let (s, _) = call(&host, "GET", "/admin/assets/f8999", Value::Null);
        assert_eq!(s, 200);
        let (s, _) = call(&host, "GET", "/admin/assets/f9000", Value::Null);
        assert_eq!(s, 404);
    }

    #[test]
    fn a_wide_folder_deletes_whole() {
        let host = MemoryHost::with_vars(&[]);
        let store = AssetStore::new(&host);
        block_on(store.put(&rec("root", "1", FOLDER), None, None)).unwrap();
        for i in 0..50 {
            block_on(store.put(&rec(&format!("d{i}"), "root", FOLDER), None, None)).unwrap();
            for j in 0..40 {
                let id = format!("d{i}-{j}");
                block_on(store.put(&rec(&id, &format!("d{i}"), "text/plain"), None, None)).unwrap();
            }
        }
        block_on(store.put(&rec("sibling", "1", "text/plain"), None, None)).unwrap();
        let (s, body) = call(&host, "DELETE", "/admin/assets/root", Value::Null);
        assert_eq!(s, 200, "{body}");
        assert_eq!(
            body["deleted_asset_ids"].as_array().unwrap().len(),
            1 + 50 + 50 * 40
        );
        let (_, list) = call(&host, "GET", "/admin/assets", Value::Null);
        assert_eq!(list["assets"].as_array().unwrap().len(), 1);
        assert_eq!(list["assets"][0]["id"], "sibling");
    }

    #[test]
    fn assets_whose_parent_links_loop_delete_once_and_end() {
        let host = MemoryHost::with_vars(&[]);
        let store = AssetStore::new(&host);
        // a is inside c, c inside b, b inside a: no way up to the top level.
        for (id, parent, ct) in [
            ("a", "c", FOLDER),
            ("b", "a", FOLDER),
            ("c", "b", FOLDER),
            ("x", "b", "text/plain"),
            ("self", "self", FOLDER),
        ] {
            block_on(store.put(&rec(id, parent, ct), None, None)).unwrap();
        }
        let (s, body) = call(&host, "DELETE", "/admin/assets/b", Value::Null);
        assert_eq!(s, 200, "{body}");
        let mut deleted: Vec<String> =
            serde_json::from_value(body["deleted_asset_ids"].clone()).unwrap();
        assert_eq!(deleted.pop().as_deref(), Some("b"));
        deleted.sort();
        assert_eq!(deleted, ["a", "c", "x"]);
        let (s, body) = call(&host, "DELETE", "/admin/assets/self", Value::Null);
        assert_eq!((s, body), (200, json!({"deleted_asset_ids": ["self"]})));
        assert_eq!(stored_keys(&host), 0);
    }
}
