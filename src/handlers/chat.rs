//! `POST /v1/chat/completions` and `GET /v1/models` (reference 4.4), answered as OpenAI does:
//! a bad request is a 400 error object (NodeTool answers 200 with an error chunk), `stream`
//! defaults to false (NodeTool: true), and a non-streamed answer is the provider's
//! `chat.completion` object, `usage` included (NodeTool returns its last chunk).

use http::{HeaderValue, Method, header};
use serde_json::{Map, Value};

use super::Ctx;
use crate::chat::config::Provider;
use crate::chat::error::ChatError;
use crate::chat::models;
use crate::chat::provider::{Upstream, split_model};
use crate::chat::stream::PassThrough;
use crate::host::Host;
use crate::http::response::{Body, ok_json};

/// Longest non-streamed completion read from a provider.
const MAX_COMPLETION_BYTES: usize = 16 * 1024 * 1024;

const ROLES: &[&str] = &[
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

pub async fn models<H: Host>(ctx: &Ctx<'_, H>) -> http::Response<Body<'static>> {
    match models::list(ctx).await {
        Ok(list) => ok_json(&list).map(Body::from),
        Err(e) => e.into_response().map(Body::from),
    }
}

pub async fn completions<H: Host>(ctx: &Ctx<'_, H>, body: &[u8]) -> http::Response<Body<'static>> {
    match complete(ctx, body).await {
        Ok(resp) => resp,
        Err(e) => e.into_response().map(Body::from),
    }
}

/// A checked request: the provider, and the body to forward (the client's own, with the
/// bare model name).
struct Checked {
    provider: Provider,
    stream: bool,
    body: Map<String, Value>,
}

fn check(config: &crate::config::Config, raw: &[u8]) -> Result<Checked, ChatError> {
    let mut body = match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(o)) => o,
        Ok(_) => {
            return Err(ChatError::Invalid {
                message: "The request body must be a JSON object".into(),
                param: None,
            });
        }
        Err(_) => {
            return Err(ChatError::Invalid {
                message: "We could not parse the JSON body of your request".into(),
                param: None,
            });
        }
    };
    let model = match body.get("model") {
        None | Some(Value::Null) => {
            return Err(ChatError::invalid(
                "Chat Completions API requires 'model' field",
                "model",
            ));
        }
        Some(Value::String(m)) if !m.trim().is_empty() => m.trim().to_string(),
        Some(_) => {
            return Err(ChatError::invalid(
                "'model' must be a non-empty string",
                "model",
            ));
        }
    };
    match body.get("messages") {
        None | Some(Value::Null) => {
            return Err(ChatError::invalid(
                "Chat Completions API requires 'messages' field",
                "messages",
            ));
        }
        Some(Value::Array(list)) if !list.is_empty() => {
            for (i, m) in list.iter().enumerate() {
                let role = m.get("role").and_then(Value::as_str);
                if !role.is_some_and(|r| ROLES.contains(&r)) {
                    return Err(ChatError::invalid(
                        format!("messages[{i}] needs a 'role' of {}", ROLES.join(", ")),
                        "messages",
                    ));
                }
            }
        }
        Some(_) => {
            return Err(ChatError::invalid(
                "Messages must be a non-empty list",
                "messages",
            ));
        }
    }
    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ChatError::invalid("'stream' must be a boolean", "stream")),
    };
    let (provider, bare) = split_model(&config.chat, &model);
    body.insert("model".into(), Value::String(bare.to_string()));
    Ok(Checked {
        provider,
        stream,
        body,
    })
}

async fn complete<H: Host>(
    ctx: &Ctx<'_, H>,
    raw: &[u8],
) -> Result<http::Response<Body<'static>>, ChatError> {
    let checked = check(ctx.config, raw)?;
    let upstream = Upstream::resolve(ctx, checked.provider).await?;
    // Serialising a map parsed from JSON cannot fail.
    let forward = serde_json::to_vec(&checked.body).unwrap_or_default();
    if checked.stream {
        let response = upstream
            .open(
                ctx.host,
                Method::POST,
                "/chat/completions",
                forward,
                "text/event-stream",
            )
            .await?;
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static("text/event-stream"));
        let body = PassThrough::new(response.into_body(), upstream.provider);
        let mut resp = http::Response::new(Body::stream(body));
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, content_type);
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        // Reverse proxies (nginx) would otherwise hold the events back.
        h.insert("x-accel-buffering", HeaderValue::from_static("no"));
        return Ok(resp);
    }
    let completion = complete_whole(ctx.host, &upstream, forward).await?;
    Ok(ok_json(&completion).map(Body::from))
}

/// A non-streamed completion, read whole and checked to be a JSON object.
pub(crate) async fn complete_whole<H: Host>(
    host: &H,
    upstream: &Upstream,
    forward: Vec<u8>,
) -> Result<Value, ChatError> {
    let response = upstream
        .open(
            host,
            Method::POST,
            "/chat/completions",
            forward,
            "application/json",
        )
        .await?;
    let body = crate::outbound::collect(response.into_body(), MAX_COMPLETION_BYTES)
        .await
        .map_err(|e| upstream.outbound_failed(host, &e))?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(ChatError::BadGateway(format!(
            "The {} provider answered with something other than a completion",
            upstream.provider
        ))),
    }
}
