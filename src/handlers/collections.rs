//! `/admin/collections[/{name}[/add|/query]]` (reference 4.6): what NodeTool's
//! `deploy collections sync` calls, plus a nearest-neighbour query so workflows can use the
//! data. Collections are server-wide (NodeTool's Chroma is too) and admin-only like all of
//! `/admin`.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::{Ctx, random_hex};
use crate::config::quotas::Quota;
use crate::host::Host;
use crate::http::body::{json_object, opt_list, opt_str, req_str};
use crate::http::error::ApiError;
use crate::http::response::{Response, ok_json};
use crate::store::collections::{
    CollectionRecord, CollectionStore, DocRecord, FORMAT, MAX_DIMENSION, cosine, norm,
    validate_name,
};
use crate::store::layout;
use crate::store::workflows::WorkflowStore;
use crate::time::naive_iso;

const MAX_BATCH: usize = 10_000;
const MAX_DOC_ID_BYTES: usize = 512;
const DEFAULT_RESULTS: usize = 10;
const MAX_RESULTS: usize = 1_000;
const MAX_QUERIES: usize = 100;

fn not_found() -> ApiError {
    ApiError::NotFound("Collection not found".into())
}

async fn load<H: Host>(ctx: &Ctx<'_, H>, name: &str) -> Result<CollectionRecord, ApiError> {
    CollectionStore::new(ctx.host)
        .get(name)
        .await?
        .ok_or_else(not_found)
}

/// NodeTool's `CollectionResponse`; `workflow_name` names the workflow in `metadata.workflow`
/// when the caller can read it.
async fn describe<H: Host>(ctx: &Ctx<'_, H>, c: &CollectionRecord) -> Result<Value, ApiError> {
    let count = CollectionStore::new(ctx.host).count(c).await?;
    let workflow_name = match c.metadata.get("workflow").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => WorkflowStore::new(ctx.host)
            .get_readable(&ctx.identity.user_id, id)
            .await
            .ok()
            .map(|w| w.name),
        _ => None,
    };
    Ok(json!({
        "name": c.name, "count": count, "metadata": c.metadata, "workflow_name": workflow_name,
    }))
}

/// A metadata object whose values are strings, numbers or booleans (Chroma's scalar types).
fn scalar_map(v: &Value, path: &[&str]) -> Result<Map<String, Value>, ApiError> {
    let Value::Object(m) = v else {
        return Err(ApiError::body_field(
            path,
            "Input should be a valid dictionary",
            "dict_type",
        ));
    };
    if let Some((k, _)) = m
        .iter()
        .find(|(_, v)| !(v.is_string() || v.is_number() || v.is_boolean()))
    {
        let mut at = path.to_vec();
        at.push(k);
        return Err(ApiError::body_field(
            &at,
            "Metadata values must be strings, numbers or booleans",
            "value_error",
        ));
    }
    Ok(m.clone())
}

/// A non-empty list of finite numbers with a non-zero norm (cosine needs one).
fn vector(v: &Value, path: &[&str]) -> Result<Vec<f32>, ApiError> {
    let bad = |msg: &str| ApiError::body_field(path, msg, "value_error");
    let Value::Array(items) = v else {
        return Err(ApiError::body_field(
            path,
            "Input should be a valid list",
            "list_type",
        ));
    };
    if items.is_empty() || items.len() > MAX_DIMENSION {
        return Err(bad(&format!(
            "An embedding must have 1 to {MAX_DIMENSION} numbers"
        )));
    }
    let mut out = Vec::with_capacity(items.len());
    for x in items {
        match x.as_f64().map(|f| f as f32) {
            Some(f) if f.is_finite() => out.push(f),
            _ => return Err(bad("An embedding must hold only finite numbers")),
        }
    }
    if norm(&out) == 0.0 {
        return Err(bad("An embedding must not be all zeros"));
    }
    Ok(out)
}

pub async fn list<H: Host>(ctx: &Ctx<'_, H>) -> Result<Response, ApiError> {
    crate::store::layout::ensure_indexed(ctx.host).await?;
    let all = CollectionStore::new(ctx.host).list().await?;
    let mut out = Vec::with_capacity(all.len());
    for c in &all {
        out.push(describe(ctx, c).await?);
    }
    Ok(ok_json(&json!({"collections": out, "count": all.len()})))
}

/// `POST /admin/collections` `{"name", "embedding_model"}`; an existing name is a 409.
pub async fn create<H: Host>(ctx: &Ctx<'_, H>, body: &[u8]) -> Result<Response, ApiError> {
    let obj = json_object(body)?;
    let name = req_str(&obj, "name")?;
    let model = req_str(&obj, "embedding_model")?;
    validate_name(&name)?;
    let store = CollectionStore::new(ctx.host);
    if store.get(&name).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "Collection {name} already exists"
        )));
    }
    let mut metadata = Map::new();
    metadata.insert("embedding_model".into(), Value::String(model));
    let c = CollectionRecord {
        format: FORMAT,
        cid: random_hex(ctx.host, 16),
        name,
        metadata,
        dimension: None,
        created_at: naive_iso(ctx.host.now_micros()),
        owner: Some(ctx.identity.user_id.clone()),
    };
    layout::ensure_indexed(ctx.host).await?;
    let quotas = ctx.config.quotas;
    store
        .create(&c, quotas.collections, || {
            quotas.refusal(Quota::Collections)
        })
        .await?;
    Ok(ok_json(&describe(ctx, &c).await?))
}

pub async fn get<H: Host>(ctx: &Ctx<'_, H>, name: &str) -> Result<Response, ApiError> {
    let c = load(ctx, name).await?;
    Ok(ok_json(&describe(ctx, &c).await?))
}

/// `PUT /admin/collections/{name}` `{"name"?, "metadata"?}`: metadata is merged; a rename
/// answers with the new name (NodeTool answers with the old one).
pub async fn update<H: Host>(
    ctx: &Ctx<'_, H>,
    name: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let obj = json_object(body)?;
    let new_name = opt_str(&obj, "name")?;
    let metadata = match obj.get("metadata") {
        None | Some(Value::Null) => None,
        Some(m) => Some(scalar_map(m, &["metadata"])?),
    };
    let store = CollectionStore::new(ctx.host);
    let mut c = load(ctx, name).await?;
    if let Some(m) = metadata {
        c.metadata.extend(m);
    }
    match new_name {
        Some(n) if n != c.name => {
            validate_name(&n)?;
            if store.get(&n).await?.is_some() {
                return Err(ApiError::Conflict(format!("Collection {n} already exists")));
            }
            store.rename(&mut c, &n).await?;
        }
        _ => store.put(&c).await?,
    }
    Ok(ok_json(&describe(ctx, &c).await?))
}

pub async fn delete<H: Host>(ctx: &Ctx<'_, H>, name: &str) -> Result<Response, ApiError> {
    let c = load(ctx, name).await?;
    CollectionStore::new(ctx.host).delete(&c).await?;
    Ok(ok_json(
        &json!({"message": format!("Collection {name} deleted successfully")}),
    ))
}

/// `POST .../{name}/add` `{"ids", "embeddings", "documents"?, "metadatas"?}` (NodeTool's sync
/// sends all four, in batches of ten). The batch is validated whole before anything is
/// written; an id already present is replaced, so a repeated sync converges.
pub async fn add<H: Host>(ctx: &Ctx<'_, H>, name: &str, body: &[u8]) -> Result<Response, ApiError> {
    let obj = json_object(body)?;
    let ids = opt_list(&obj, "ids")?
        .ok_or_else(|| ApiError::body_field(&["ids"], "Field required", "missing"))?;
    let embeddings = opt_list(&obj, "embeddings")?
        .ok_or_else(|| ApiError::body_field(&["embeddings"], "Field required", "missing"))?;
    let documents = opt_list(&obj, "documents")?;
    let metadatas = opt_list(&obj, "metadatas")?;
    let n = ids.len();
    if n > MAX_BATCH {
        return Err(ApiError::BadRequest(format!(
            "At most {MAX_BATCH} documents can be added at once"
        )));
    }
    let lengths_match = embeddings.len() == n
        && documents.is_none_or(|d| d.len() == n)
        && metadatas.is_none_or(|m| m.len() == n);
    if !lengths_match {
        return Err(ApiError::BadRequest(
            "ids, embeddings, documents and metadatas must have the same length".into(),
        ));
    }
    let mut c = load(ctx, name).await?;
    let mut seen = HashSet::with_capacity(n);
    let mut docs = Vec::with_capacity(n);
    for i in 0..n {
        let at = i.to_string();
        let id = match &ids[i] {
            Value::String(s) if !s.is_empty() && s.len() <= MAX_DOC_ID_BYTES => s.clone(),
            _ => {
                return Err(ApiError::body_field(
                    &["ids", &at],
                    format!("An id must be a string of 1 to {MAX_DOC_ID_BYTES} bytes"),
                    "value_error",
                ));
            }
        };
        if !seen.insert(id.clone()) {
            return Err(ApiError::BadRequest(format!(
                "Id '{id}' appears more than once in the batch"
            )));
        }
        let embedding = vector(&embeddings[i], &["embeddings", &at])?;
        match c.dimension {
            Some(d) if d != embedding.len() => {
                return Err(ApiError::BadRequest(format!(
                    "Embedding {i} has {} dimensions; collection {name} has {d}",
                    embedding.len()
                )));
            }
            Some(_) => {}
            None => c.dimension = Some(embedding.len()),
        }
        let document = match documents.map(|d| &d[i]) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(ApiError::body_field(
                    &["documents", &at],
                    "Input should be a valid string",
                    "string_type",
                ));
            }
        };
        let metadata = match metadatas.map(|m| &m[i]) {
            None | Some(Value::Null) => None,
            Some(m) => Some(scalar_map(m, &["metadatas", &at])?),
        };
        docs.push(DocRecord::new(id, document, metadata, &embedding));
    }
    let store = CollectionStore::new(ctx.host);
    // The dimension is recorded before the documents, so no stored document disagrees with it.
    store.put(&c).await?;
    store.put_docs(&c, &docs).await?;
    Ok(ok_json(&json!({
        "message": format!("Documents added to collection {name} successfully")
    })))
}

/// `POST .../{name}/query` `{"query_embeddings": [[...]], "n_results"?, "where"?}`: the nearest
/// documents by cosine similarity, in Chroma's column shape; `distances` are `1 - cosine`.
/// `where` keeps documents whose metadata equals every given pair.
pub async fn query<H: Host>(
    ctx: &Ctx<'_, H>,
    name: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let obj = json_object(body)?;
    let queries = opt_list(&obj, "query_embeddings")?
        .ok_or_else(|| ApiError::body_field(&["query_embeddings"], "Field required", "missing"))?;
    if queries.is_empty() || queries.len() > MAX_QUERIES {
        return Err(ApiError::BadRequest(format!(
            "query_embeddings must hold 1 to {MAX_QUERIES} embeddings"
        )));
    }
    let n_results = match obj.get("n_results") {
        None | Some(Value::Null) => DEFAULT_RESULTS,
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=MAX_RESULTS as u64).contains(n))
            .ok_or_else(|| {
                ApiError::body_field(
                    &["n_results"],
                    format!("n_results must be a whole number from 1 to {MAX_RESULTS}"),
                    "value_error",
                )
            })? as usize,
    };
    let filter = match obj.get("where") {
        None | Some(Value::Null) => Map::new(),
        Some(w) => scalar_map(w, &["where"])?,
    };
    let mut vectors = Vec::with_capacity(queries.len());
    for (i, q) in queries.iter().enumerate() {
        vectors.push(vector(q, &["query_embeddings", &i.to_string()])?);
    }
    let c = load(ctx, name).await?;
    if let Some(d) = c.dimension
        && let Some(q) = vectors.iter().find(|q| q.len() != d)
    {
        return Err(ApiError::BadRequest(format!(
            "The query has {} dimensions; collection {name} has {d}",
            q.len()
        )));
    }
    let stored = CollectionStore::new(ctx.host).docs(&c).await?;
    // Each embedding is decoded once, however many query embeddings there are.
    let docs: Vec<(Vec<f32>, &DocRecord)> = stored
        .iter()
        .filter(|d| {
            filter
                .iter()
                .all(|(k, v)| d.metadata.as_ref().and_then(|m| m.get(k)) == Some(v))
        })
        .filter_map(|d| d.embedding().map(|e| (e, d)))
        .collect();
    let (mut ids, mut documents, mut metadatas, mut distances) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for q in &vectors {
        let qn = norm(q);
        let mut scored: Vec<(f32, &DocRecord)> = docs
            .iter()
            .filter_map(|(e, d)| cosine(e, d.norm(), q, qn).map(|s| (s, *d)))
            .collect();
        // Highest similarity first; ties by id so answers are stable.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
        scored.truncate(n_results);
        ids.push(scored.iter().map(|(_, d)| json!(d.id)).collect::<Vec<_>>());
        documents.push(
            scored
                .iter()
                .map(|(_, d)| json!(d.document))
                .collect::<Vec<_>>(),
        );
        metadatas.push(
            scored
                .iter()
                .map(|(_, d)| json!(d.metadata))
                .collect::<Vec<_>>(),
        );
        distances.push(
            scored
                .iter()
                .map(|(s, _)| json!(1.0 - f64::from(*s)))
                .collect::<Vec<_>>(),
        );
    }
    Ok(ok_json(&json!({
        "ids": ids, "documents": documents, "metadatas": metadatas, "distances": distances,
    })))
}
