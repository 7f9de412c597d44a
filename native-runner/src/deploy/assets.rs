//! Copying the assets a workflow's constants reference (NodeTool's sync, reference 7.3 step 4)
//! from the local runner's database to the deployment: record first, then the file and its
//! thumbnail through the storage API. The local side is read through the core's own stores, so
//! the key layout lives in one place.

use anyhow::{Result, anyhow, bail};
use nodetool_edge::store::assets::{AssetRecord, AssetStore};
use nodetool_edge::store::storage::Bucket;
use nodetool_edge::store::storage::blob_store::BlobStore;
use serde_json::{Value, json};

use super::client::Client;
use super::id_segment;
use crate::kv::CoreKv;
use crate::kv::sqlite::SqliteKv;

/// `(node id, asset id)` of every constant holding an asset reference, as NodeTool scans.
pub fn referenced(workflow: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for node in workflow["graph"]["nodes"].as_array().into_iter().flatten() {
        let ty = node["type"].as_str().unwrap_or_default();
        let asset = node["data"]["value"]["asset_id"]
            .as_str()
            .unwrap_or_default();
        if ty.starts_with("nodetool.constant.")
            && !asset.is_empty()
            && !out.iter().any(|(_, a)| a == asset)
        {
            let node_id = node["id"].as_str().unwrap_or_default().to_string();
            out.push((node_id, asset.to_string()));
        }
    }
    out
}

fn local_file(kv: &CoreKv<'_>, name: &str) -> Result<Option<Vec<u8>>> {
    futures::executor::block_on(async {
        let store = BlobStore::new(kv);
        let Some(meta) = store.meta(Bucket::Assets, name).await? else {
            return Ok(None);
        };
        let bytes = store.read(&meta, 0, meta.size.saturating_sub(1)).await?;
        Ok(Some(bytes.to_vec()))
    })
    .map_err(|e: nodetool_edge::http::error::ApiError| anyhow!("reading {name}: {e:?}"))
}

/// Whether the deployment has the asset (for `user_id`, else for the caller).
pub fn present(client: &Client, id: &str, user_id: Option<&str>) -> Result<bool> {
    let mut path = format!("/admin/assets/{}", id_segment(id));
    if let Some(u) = user_id {
        path.push_str(&format!("?user_id={}", id_segment(u)));
    }
    let reply = client.call("GET", &path, None)?;
    match reply.status {
        200 => Ok(true),
        404 => Ok(false),
        _ => reply.ok("Checking the asset").map(|_| false),
    }
}

/// Copies one asset unless the deployment has it. `Ok(false)` when it was already there.
pub fn copy(client: &Client, db: &SqliteKv, id: &str) -> Result<bool> {
    let kv = CoreKv::read_only(db);
    let record: AssetRecord = futures::executor::block_on(AssetStore::new(&kv).get(id))
        .map_err(|e| anyhow!("reading asset {id}: {e:?}"))?
        .ok_or_else(|| anyhow!("asset {id} is not in the local database"))?;
    if present(client, id, Some(&record.user_id))? {
        return Ok(false);
    }
    let mut body = json!({
        "id": record.id, "user_id": record.user_id, "name": record.name,
        "content_type": record.content_type, "parent_id": record.parent_id,
    });
    if let Some(w) = &record.workflow_id {
        body["workflow_id"] = json!(w);
    }
    if let Some(m) = &record.metadata {
        body["metadata"] = m.clone();
    }
    client
        .call("POST", "/admin/assets", Some(&body))?
        .ok("Creating the asset")?;
    if let Some(name) = record.file_name() {
        let Some(bytes) = local_file(&kv, &name)? else {
            bail!("its file {name} is not in the local storage");
        };
        client.put_bytes(&format!("/admin/storage/assets/{name}"), bytes)?;
    }
    if let Some(thumb) = record.thumb_file_name()
        && let Some(bytes) = local_file(&kv, &thumb)?
    {
        client.put_bytes(&format!("/admin/storage/assets/{thumb}"), bytes)?;
    }
    Ok(true)
}
