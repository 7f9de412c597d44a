//! `GET /ws`, the upgrade request of NodeTool's unified WebSocket. The core decides whether the
//! socket may open: auth ran exactly as for any request (with `?api_key=` for browsers, which
//! cannot set headers on a WebSocket) and the Origin was held to the rule of a write. A host
//! that can hold the socket marks the request with [`CAPABLE_HEADER`] and, on this 200, makes
//! the upgrade; frames are then handled by [`crate::ws`].

use http::{HeaderMap, StatusCode, header};
use serde_json::json;

use super::Ctx;
use crate::host::Host;
use crate::http::error::ApiError;
use crate::http::response::{Response, json_response, ok_json};

/// Set by a host that can upgrade connections, replacing whatever a client sent: `upgrade`
/// on a valid WebSocket upgrade request, anything else on other requests to `/ws`. (The
/// request's own `Upgrade` and `Connection` headers never reach a component: wasi:http
/// drops hop-by-hop headers.)
pub const CAPABLE_HEADER: &str = "x-nodetool-edge-websocket";
pub const UPGRADE_MARK: &str = "upgrade";

pub const UNSUPPORTED: &str = "WebSocket connections are not available on this host: \
     run workflows with POST /api/workflows/{id}/run?stream=true, which sends the same \
     messages as NDJSON";

fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(CAPABLE_HEADER)
        .is_some_and(|v| v.as_bytes() == UPGRADE_MARK.as_bytes())
}

pub fn handshake<H: Host>(ctx: &Ctx<'_, H>, headers: &HeaderMap) -> Result<Response, ApiError> {
    if !headers.contains_key(CAPABLE_HEADER) {
        return Err(ApiError::NotImplemented(UNSUPPORTED));
    }
    if !is_upgrade(headers) {
        // No `Upgrade` header: hop-by-hop headers cannot leave a wasi:http component.
        return Ok(json_response(
            StatusCode::UPGRADE_REQUIRED,
            &json!({"detail": "/ws speaks WebSocket: send an upgrade request"}),
        ));
    }
    Ok(ok_json(&json!({"user_id": ctx.identity.user_id})))
}

/// `?api_key=<token>` as the bearer token of a `/ws` upgrade that carries no `Authorization`.
pub fn api_key_as_bearer(query: Option<&str>, headers: &mut HeaderMap) {
    if headers.contains_key(header::AUTHORIZATION) {
        return;
    }
    let key = super::query_pairs(query)
        .into_iter()
        .find(|(k, _)| k == "api_key")
        .map(|(_, v)| v);
    if let Some(key) = key
        && let Ok(v) = http::HeaderValue::from_str(&format!("Bearer {key}"))
    {
        headers.insert(header::AUTHORIZATION, v);
    }
}
