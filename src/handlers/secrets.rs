//! `/api/settings/secrets[/{key}]` (the caller's own secrets) and `/admin/secrets/import`
//! (reference 4.8). Ciphertext is never returned; plaintext only with `?decrypt=true`.

use serde_json::{Map, Value, json};

use super::{Ctx, query_pairs, random_hex, truthy_param};
use crate::body::{json_object, json_value};
use crate::error::ApiError;
use crate::host::Host;
use crate::response::{Response, ok_json};
use crate::secrets::registry::{REGISTRY, is_registered};
use crate::secrets::store::{FORMAT, SecretRecord, SecretStore};
use crate::secrets::user_key;
use crate::time::naive_iso;

/// Longest plaintext a secret may hold (API keys are short; this stops abuse of the store).
pub const MAX_SECRET_BYTES: usize = 16 * 1024;
const MAX_KEY_LEN: usize = 256;

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

fn field_error(loc: &str, msg: &str, kind: &'static str) -> ApiError {
    ApiError::body_field(&[loc], msg, kind)
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
    let value = match obj.get("value") {
        None => return Err(field_error("value", "Field required", "missing")),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(field_error(
                "value",
                "Input should be a valid string",
                "string_type",
            ));
        }
    };
    if value.len() > MAX_SECRET_BYTES {
        return Err(field_error(
            "value",
            &format!("Value should have at most {MAX_SECRET_BYTES} bytes"),
            "string_too_long",
        ));
    }
    let description = match obj.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(field_error(
                "description",
                "Input should be a valid string",
                "string_type",
            ));
        }
    };
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

fn item_str(item: &Map<String, Value>, name: &str, i: usize) -> Result<Option<String>, ApiError> {
    match item.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::body_field(
            &[&i.to_string(), name],
            "Input should be a valid string",
            "string_type",
        )),
    }
}

fn required(v: Option<String>, name: &str, i: usize) -> Result<String, ApiError> {
    v.filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::body_field(&[&i.to_string(), name], "Field required", "missing"))
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
        let user_id = required(item_str(item, "user_id", i)?, "user_id", i)?;
        let key = required(item_str(item, "key", i)?, "key", i)?;
        let token = required(item_str(item, "encrypted_value", i)?, "encrypted_value", i)?;
        if key.len() > MAX_KEY_LEN || key.chars().any(char::is_control) {
            return Err(ApiError::BadRequest(format!(
                "Item {i}: the key must be at most {MAX_KEY_LEN} bytes without control characters"
            )));
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
            description: item_str(item, "description", i)?.unwrap_or_default(),
            created_at: item_str(item, "created_at", i)?.unwrap_or_else(|| now.clone()),
            updated_at: item_str(item, "updated_at", i)?.unwrap_or_else(|| now.clone()),
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
