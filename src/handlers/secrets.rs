//! `/api/settings/secrets[/{key}]` (the caller's own secrets) and `/admin/secrets/import`
//! (reference 4.8). Ciphertext is never returned; plaintext only with `?decrypt=true`.

use serde_json::{Value, json};

use super::{Ctx, query_pairs, random_hex, truthy_param};
use crate::host::Host;
use crate::http::body::{json_object, json_value, opt_str, opt_str_at, req_str_at};
use crate::http::error::ApiError;
use crate::http::response::{Response, ok_json};
use crate::store::secrets::registry::{REGISTRY, is_registered};
use crate::store::secrets::store::{FORMAT, SecretRecord, SecretStore};
use crate::store::secrets::user_key;
use crate::time::naive_iso;

/// Longest plaintext a secret may hold (API keys are short; this stops abuse of the store).
pub const MAX_SECRET_BYTES: usize = 16 * 1024;
const MAX_KEY_LEN: usize = 256;
/// Each user's key costs one PBKDF2 derivation (about 70 ms in the component), so an import
/// names at most this many users and stays well inside a request's deadline.
const MAX_IMPORT_USERS: usize = 100;

fn not_found() -> ApiError {
    ApiError::NotFound("Secret not found".into())
}

/// Secrets need the master key; without it they are unavailable rather than stored weakly.
fn master_key<'a, H>(ctx: &Ctx<'a, H>) -> Result<&'a str, ApiError> {
    ctx.config
        .secrets_master_key
        .as_deref()
        .ok_or(ApiError::Unavailable(
            "Secrets are unavailable: the server has no SECRETS_MASTER_KEY",
        ))
}

fn now<H: Host>(ctx: &Ctx<'_, H>) -> String {
    naive_iso(ctx.host.now_micros())
}

/// `GET /api/settings/secrets`: one entry per registry key (configured or not), then any
/// other configured keys (imported ones); `limit` per page, `start_key` to resume.
pub async fn list<H: Host>(ctx: &Ctx<'_, H>, query: Option<&str>) -> Result<Response, ApiError> {
    let mut limit = 100usize;
    let mut start_key = None;
    for (k, v) in query_pairs(query) {
        match k.as_str() {
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        ApiError::BadRequest("limit must be a whole number from 1 to 1000".into())
                    })?
            }
            "start_key" if !v.is_empty() => start_key = Some(v),
            _ => {}
        }
    }
    crate::store::layout::ensure_indexed(ctx.host).await?;
    let stored = SecretStore::new(ctx.host)
        .list(&ctx.identity.user_id)
        .await?;
    let mut entries: Vec<(String, Value)> = REGISTRY
        .iter()
        .map(|key| {
            let entry = match stored.iter().find(|s| s.key == *key) {
                Some(s) => s.to_response(),
                None => json!({
                    "id": null, "user_id": null, "key": key, "description": "",
                    "created_at": null, "updated_at": null, "is_configured": false,
                }),
            };
            (key.to_string(), entry)
        })
        .collect();
    entries.extend(
        stored
            .iter()
            .filter(|s| !is_registered(&s.key))
            .map(|s| (s.key.clone(), s.to_response())),
    );
    let skip = match &start_key {
        Some(k) => entries
            .iter()
            .position(|(key, _)| key == k)
            .unwrap_or(entries.len()),
        None => 0,
    };
    let rest = &entries[skip..];
    let next_key = rest.get(limit).map(|(k, _)| k.clone());
    let page: Vec<&Value> = rest.iter().take(limit).map(|(_, v)| v).collect();
    Ok(ok_json(&json!({"secrets": page, "next_key": next_key})))
}

pub async fn get<H: Host>(
    ctx: &Ctx<'_, H>,
    key: &str,
    query: Option<&str>,
) -> Result<Response, ApiError> {
    let decrypt = query_pairs(query)
        .iter()
        .any(|(k, v)| k == "decrypt" && truthy_param(v));
    let record = SecretStore::new(ctx.host)
        .get(&ctx.identity.user_id, key)
        .await?
        .ok_or_else(not_found)?;
    let mut body = record.to_response();
    if decrypt {
        let k = user_key(master_key(ctx)?, &record.user_id);
        let plain = k
            .decrypt(&record.encrypted_value)
            .ok()
            .and_then(|p| String::from_utf8(p).ok())
            .ok_or(ApiError::Internal("Failed to decrypt secret"))?;
        body["value"] = Value::String(plain);
    }
    Ok(ok_json(&body))
}

/// `PUT`: only keys from NodeTool's registry, as NodeTool.
pub async fn put<H: Host>(ctx: &Ctx<'_, H>, key: &str, body: &[u8]) -> Result<Response, ApiError> {
    if !is_registered(key) {
        return Err(ApiError::NotFound(format!(
            "Secret key '{key}' is not available. Only secrets from the registry can be configured."
        )));
    }
    let obj = json_object(body)?;
    let value = opt_str(&obj, "value")?
        .ok_or_else(|| ApiError::body_field(&["value"], "Field required", "missing"))?;
    if value.len() > MAX_SECRET_BYTES {
        return Err(ApiError::body_field(
            &["value"],
            format!("Value should have at most {MAX_SECRET_BYTES} bytes"),
            "string_too_long",
        ));
    }
    let description = opt_str(&obj, "description")?;
    let master = master_key(ctx)?;
    let user = &ctx.identity.user_id;
    let store = SecretStore::new(ctx.host);
    let existing = store.get(user, key).await?;
    let mut iv = [0u8; 16];
    ctx.host.fill(&mut iv);
    let seconds = ctx.host.now_micros().div_euclid(1_000_000).max(0) as u64;
    let token = user_key(master, user).encrypt(value.as_bytes(), seconds, iv);
    let now = now(ctx);
    let record = SecretRecord {
        format: FORMAT,
        id: existing
            .as_ref()
            .map(|e| e.id.clone())
            .unwrap_or_else(|| random_hex(ctx.host, 16)),
        user_id: user.clone(),
        key: key.to_string(),
        encrypted_value: token,
        description: description
            .or_else(|| existing.as_ref().map(|e| e.description.clone()))
            .unwrap_or_default(),
        created_at: existing
            .as_ref()
            .map(|e| e.created_at.clone())
            .unwrap_or_else(|| now.clone()),
        updated_at: now,
    };
    store.put(&record).await?;
    Ok(ok_json(&record.to_response()))
}

pub async fn delete<H: Host>(ctx: &Ctx<'_, H>, key: &str) -> Result<Response, ApiError> {
    if !SecretStore::new(ctx.host)
        .delete(&ctx.identity.user_id, key)
        .await?
    {
        return Err(not_found());
    }
    Ok(ok_json(&json!({"message": "Secret deleted successfully"})))
}

/// `POST /admin/secrets/import`: NodeTool's deploy-time export (reference 5.4). Every item
/// must be a Fernet token this server can decrypt for that user (same master key, same user
/// id); otherwise nothing is imported and the item is named.
pub async fn import<H: Host>(ctx: &Ctx<'_, H>, body: &[u8]) -> Result<Response, ApiError> {
    let items: Vec<Value> = match json_value(body)? {
        Value::Array(items) => items,
        _ => {
            return Err(ApiError::body_field(
                &[],
                "Input should be a valid list",
                "list_type",
            ));
        }
    };
    let users: std::collections::HashSet<&str> = items
        .iter()
        .filter_map(|item| item.get("user_id").and_then(Value::as_str))
        .collect();
    if users.len() > MAX_IMPORT_USERS {
        return Err(ApiError::BadRequest(format!(
            "An import may hold the secrets of at most {MAX_IMPORT_USERS} users; split it"
        )));
    }
    let master = master_key(ctx)?;
    let now = now(ctx);
    let mut records = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(item) = item else {
            return Err(ApiError::body_field(
                &[&i.to_string()],
                "Input should be a valid dictionary",
                "dict_type",
            ));
        };
        let at = i.to_string();
        let user_id = req_str_at(item, &[&at, "user_id"])?;
        let key = req_str_at(item, &[&at, "key"])?;
        let token = req_str_at(item, &[&at, "encrypted_value"])?;
        for (field, v) in [("key", &key), ("user_id", &user_id)] {
            if v.len() > MAX_KEY_LEN || v.chars().any(char::is_control) {
                return Err(ApiError::BadRequest(format!(
                    "Item {i}: the {field} must be at most {MAX_KEY_LEN} bytes without control \
                     characters"
                )));
            }
        }
        if user_key(master, &user_id).decrypt(&token).is_err() {
            return Err(ApiError::BadRequest(format!(
                "Item {i} ({key} of user {user_id}): not a Fernet token this server can decrypt; \
                 the exporting server must use the same SECRETS_MASTER_KEY"
            )));
        }
        records.push(SecretRecord {
            format: FORMAT,
            id: random_hex(ctx.host, 16),
            user_id,
            key,
            encrypted_value: token,
            description: opt_str_at(item, &[&at, "description"])?.unwrap_or_default(),
            created_at: opt_str_at(item, &[&at, "created_at"])?.unwrap_or_else(|| now.clone()),
            updated_at: opt_str_at(item, &[&at, "updated_at"])?.unwrap_or_else(|| now.clone()),
        });
    }
    let store = SecretStore::new(ctx.host);
    for mut r in records.iter().cloned() {
        if let Some(existing) = store.get(&r.user_id, &r.key).await? {
            r.id = existing.id;
        }
        store.put(&r).await?;
    }
    Ok(ok_json(&json!({"imported": records.len()})))
}
