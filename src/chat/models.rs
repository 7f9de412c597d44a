//! `GET /v1/models`: the models of every provider this caller can use, merged, with a short
//! cache in KV (each request is a fresh instance, so memory would not survive).

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::config::Provider;
use super::error::ChatError;
use super::provider::Upstream;
use crate::auth::token::sha256_hex;
use crate::handlers::Ctx;
use crate::host::Host;

const CACHE_PREFIX: &str = "chat/v1/models/";
/// Longest model list read from a provider.
const MAX_LIST_BYTES: usize = 4 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct Cached {
    fetched: i64,
    ids: Vec<String>,
}

/// The list in OpenAI's shape. Models of the default provider keep their ids; the others are
/// prefixed `provider/`, which is what `/v1/chat/completions` needs to route them back. A
/// provider that fails is left out (and logged) unless every provider failed.
pub async fn list<H: Host>(ctx: &Ctx<'_, H>) -> Result<Value, ChatError> {
    let chat = &ctx.config.chat;
    let mut data = Vec::new();
    let mut first_error = None;
    let mut answered = false;
    for provider in Provider::ALL {
        let upstream = Upstream::resolve(ctx, provider).await?;
        if !chat.lists(provider) && upstream.key().is_none() {
            continue;
        }
        match ids(ctx, &upstream).await {
            Ok(ids) => {
                answered = true;
                let prefix = if provider == chat.provider {
                    String::new()
                } else {
                    format!("{provider}/")
                };
                data.extend(ids.into_iter().map(|id| {
                    json!({"id": format!("{prefix}{id}"), "object": "model", "created": 0,
                           "owned_by": provider.name()})
                }));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if !answered => Err(e),
        _ => Ok(json!({"object": "list", "data": data})),
    }
}

/// One provider's model ids, from the cache while it is fresh.
async fn ids<H: Host>(ctx: &Ctx<'_, H>, upstream: &Upstream) -> Result<Vec<String>, ChatError> {
    let ttl_micros = i64::try_from(ctx.config.chat.models_cache_ttl)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000_000);
    // Per provider, URL and key: callers with different keys may see different models.
    let cache_key = format!(
        "{CACHE_PREFIX}{}",
        sha256_hex(&format!(
            "{}\n{}\n{}",
            upstream.provider,
            upstream.base,
            upstream.key().unwrap_or_default()
        ))
    );
    let now = ctx.host.now_micros();
    if ttl_micros > 0
        && let Ok(Some(raw)) = ctx.host.get(&cache_key).await
        && let Ok(cached) = serde_json::from_slice::<Cached>(&raw)
        && (0..ttl_micros).contains(&(now - cached.fetched))
    {
        return Ok(cached.ids);
    }
    let response = upstream
        .open(
            ctx.host,
            Method::GET,
            "/models",
            Vec::new(),
            "application/json",
        )
        .await?;
    let body = crate::outbound::collect(response.into_body(), MAX_LIST_BYTES)
        .await
        .map_err(|e| upstream.outbound_failed(ctx.host, &e))?;
    let ids = parse_ids(&body).ok_or_else(|| {
        ChatError::BadGateway(format!(
            "The {} provider answered with an unreadable model list",
            upstream.provider
        ))
    })?;
    if ttl_micros > 0 {
        let cached = Cached {
            fetched: now,
            ids: ids.clone(),
        };
        // A cache that cannot be written only costs the next caller a fetch.
        if let Ok(raw) = serde_json::to_vec(&cached)
            && let Err(e) = ctx.host.set(&cache_key, &raw).await
        {
            ctx.host.log(&format!("chat: model list not cached: {e}"));
        }
    }
    Ok(ids)
}

/// `{"data": [{"id": ...}, ...]}` (OpenAI, Ollama's `/v1/models`).
fn parse_ids(body: &[u8]) -> Option<Vec<String>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let ids = v
        .get("data")?
        .as_array()?
        .iter()
        .filter_map(|m| m.get("id").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    Some(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_data() {
        assert_eq!(
            parse_ids(br#"{"object":"list","data":[{"id":"a"},{"id":"b"},{"x":1}]}"#),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(parse_ids(b"{}"), None);
        assert_eq!(parse_ids(b"<html>"), None);
    }
}
