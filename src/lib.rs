//! nodetool-edge core: NodeTool's deployment server API with no I/O of its own.
//!
//! A host hands [`handle`] an `http` request and its ports ([`host::Host`]); the core decides
//! everything else. The same code runs in the Spin component (which the native runner hosts)
//! and on Cloudflare Workers.

// The OpenAPI document's schemas are one `json!` literal.
#![recursion_limit = "256"]

pub mod auth;
pub mod chat;
pub mod config;
pub mod graph;
pub mod handlers;
pub mod host;
pub mod http;
pub mod llm;
pub mod openapi;
pub mod outbound;
pub mod store;
pub mod time;
pub mod workflow;
pub mod ws;

use ::http::{Method, header};
use bytes::Bytes;

use crate::http::{body, browser, cors, router};

use crate::config::Config;
use crate::handlers::{
    Ctx, assets as assets_api, cache, chat as chat_api, collections as collections_api, docs,
    health, jobs, run, secrets as secrets_api, storage as storage_api, users as users_api,
    websocket, workflows,
};
use crate::host::Host;
use crate::http::error::{ApiError, strip_body};
pub use crate::http::response::{Body, Response};
use crate::http::router::{Route, StorageOp};

/// Answers one request. Never panics on input; every failure is a JSON `detail`. The body
/// may stream (chat completions); the host sends it on as it arrives.
pub async fn handle<'a, B, H>(req: ::http::Request<B>, host: &'a H) -> ::http::Response<Body<'a>>
where
    B: http_body::Body<Data = Bytes>,
    H: Host,
{
    let config = match Config::load(host).await {
        Ok(c) => c,
        Err(e) => {
            // Fail closed: a host that could not validate its configuration before serving
            // (Spin, Workers) refuses every request, and says why only in its log.
            host.log(&format!("configuration error: {e}"));
            let resp = ApiError::Internal("Server configuration is invalid; see the server log")
                .into_response()
                .map(Body::from);
            return with_content_length(resp);
        }
    };
    let origin = req.headers().get(header::ORIGIN).cloned();
    let policy = &config.browser;
    // The browser boundary comes first: a refused host name or page learns nothing else.
    if let Err(e) = policy.check_host(&req) {
        let resp = with_content_length(e.into_response().map(Body::from));
        return cors::decorate(resp, policy, origin.as_ref());
    }
    if cors::is_preflight(req.method(), req.headers()) {
        return with_content_length(cors::preflight(policy, origin.as_ref()).map(Body::from));
    }
    let is_head = req.method() == Method::HEAD;
    let resp = match policy.check_origin(&req) {
        Ok(()) => dispatch(req, host, &config).await,
        Err(e) => Err(e),
    }
    .unwrap_or_else(|e| e.into_response().map(Body::from));
    let resp = with_content_length(resp);
    let resp = if is_head { strip_body(resp) } else { resp };
    cors::decorate(resp, policy, origin.as_ref())
}

/// Gives a whole body its `Content-Length` (a handler that set one, such as a HEAD on a stored
/// object, keeps its own). Without it hosts send small answers chunked, and on a kept-alive
/// connection that meets Nagle's algorithm and delayed ACKs in hosts that leave TCP_NODELAY
/// off (Spin): every other request stalled for about 40 ms there.
pub fn with_content_length(mut resp: ::http::Response<Body<'_>>) -> ::http::Response<Body<'_>> {
    // 204 and 304 carry no body and must not say they do (RFC 9110 8.6).
    let bodiless = matches!(
        resp.status(),
        ::http::StatusCode::NO_CONTENT | ::http::StatusCode::NOT_MODIFIED
    );
    if let Some(full) = resp.body().as_full()
        && !bodiless
        && !resp.headers().contains_key(header::CONTENT_LENGTH)
    {
        let length = ::http::HeaderValue::from(full.len());
        resp.headers_mut().insert(header::CONTENT_LENGTH, length);
    }
    resp
}

async fn dispatch<'a, B, H>(
    mut req: ::http::Request<B>,
    host: &'a H,
    config: &Config,
) -> Result<::http::Response<Body<'a>>, ApiError>
where
    B: http_body::Body<Data = Bytes>,
    H: Host,
{
    let path = req.uri().path().to_string();
    if router::is_public_path(&path) {
        let route = router::route(req.method(), &path)?;
        return Ok(match route {
            Route::Ping => health::ping(host),
            Route::DocsPage => docs::page(),
            Route::DocsScript => docs::script(),
            Route::DocsStyle => docs::style(),
            _ => health::health(),
        }
        .map(Body::from));
    }

    if path.trim_end_matches('/') == "/ws" {
        let query = req.uri().query().map(str::to_string);
        websocket::api_key_as_bearer(query.as_deref(), req.headers_mut());
    }
    // Auth comes before routing, so an anonymous caller cannot map the API.
    let static_token = auth::static_token::resolve(config, host).await?;
    let identity = auth::authenticate(config, static_token.as_ref(), req.headers(), host).await?;
    auth::require_admin(config, &identity, &path, req.headers())?;

    let route = router::route(req.method(), &path)?;
    let query = req.uri().query().map(str::to_string);
    let (parts, body) = req.into_parts();
    let ctx = Ctx {
        host,
        config,
        identity,
    };
    if let Route::Storage { bucket, key, op } = &route {
        // Storage bodies stream into the store chunk by chunk instead of being buffered.
        return match op {
            StorageOp::Head => storage_api::read(&ctx, *bucket, key, &parts.headers, true).await,
            StorageOp::Get => storage_api::read(&ctx, *bucket, key, &parts.headers, false).await,
            StorageOp::Put => storage_api::write(&ctx, *bucket, key, &parts.headers, body)
                .await
                .map(|r| r.map(Body::from)),
            StorageOp::Delete => storage_api::delete(&ctx, *bucket, key)
                .await
                .map(|r| r.map(Body::from)),
        };
    }
    let body = if route.takes_body() {
        // Every route that takes a body takes JSON; a declared other type is refused unread.
        browser::refuse_non_json(&parts.headers)?;
        body::declared_too_large(&parts.headers, config.max_body_bytes)?;
        body::read_limited(body, config.max_body_bytes).await?
    } else {
        Bytes::new()
    };

    let resp = match route {
        Route::ChatCompletions => return Ok(chat_api::completions(&ctx, &body).await),
        Route::ListModels => return Ok(chat_api::models(&ctx).await),
        Route::Health
        | Route::Ping
        | Route::DocsPage
        | Route::DocsScript
        | Route::DocsStyle
        | Route::Storage { .. } => {
            unreachable!("answered above")
        }
        Route::OpenApi => Ok(crate::http::response::ok_json(&openapi::document(config))),
        Route::NodeMetadata => Ok(handlers::nodes::list()),
        Route::ListWorkflows => workflows::list(&ctx, query.as_deref()).await,
        Route::CreateWorkflow => workflows::create(&ctx, &body).await,
        Route::GetWorkflow(id) => workflows::get(&ctx, &id).await,
        Route::PutWorkflow(id) => workflows::put(&ctx, &id, &body).await,
        Route::DeleteWorkflow(id) => workflows::delete(&ctx, &id).await,
        Route::RunWorkflow(id) => {
            return run::run(&ctx, host, &id, query.as_deref(), &parts.headers, &body).await;
        }
        Route::ListSecrets => secrets_api::list(&ctx, query.as_deref()).await,
        Route::GetSecret(key) => secrets_api::get(&ctx, &key, query.as_deref()).await,
        Route::PutSecret(key) => secrets_api::put(&ctx, &key, &body).await,
        Route::DeleteSecret(key) => secrets_api::delete(&ctx, &key).await,
        Route::ImportSecrets => secrets_api::import(&ctx, &body).await,
        Route::ListAssets => assets_api::list(&ctx, query.as_deref()).await,
        Route::CreateAsset => assets_api::create(&ctx, &body).await,
        Route::GetAsset(id) => assets_api::get(&ctx, &id, query.as_deref()).await,
        Route::DeleteAsset(id) => assets_api::delete(&ctx, &id, query.as_deref()).await,
        Route::CacheSize => cache::size(&ctx, query.as_deref()).await,
        Route::ListCollections => collections_api::list(&ctx).await,
        Route::CreateCollection => collections_api::create(&ctx, &body).await,
        Route::GetCollection(n) => collections_api::get(&ctx, &n).await,
        Route::UpdateCollection(n) => collections_api::update(&ctx, &n, &body).await,
        Route::DeleteCollection(n) => collections_api::delete(&ctx, &n).await,
        Route::AddToCollection(n) => collections_api::add(&ctx, &n, &body).await,
        Route::QueryCollection(n) => collections_api::query(&ctx, &n, &body).await,
        Route::ListUsers => users_api::list(&ctx).await,
        Route::CreateUser => users_api::create(&ctx, &body).await,
        Route::GetUser(name) => users_api::get(&ctx, &name).await,
        Route::DeleteUser(name) => users_api::delete(&ctx, &name).await,
        Route::ResetUserToken => users_api::reset_token(&ctx, &body).await,
        Route::ListJobs => jobs::list(&ctx, jobs::holder(&parts.headers)).await,
        Route::RunningJobs => jobs::running(&ctx, jobs::holder(&parts.headers)).await,
        Route::GetJob(id) => jobs::get(&ctx, &id, jobs::holder(&parts.headers)).await,
        Route::CancelJob(id) => jobs::cancel(&ctx, &id, jobs::holder(&parts.headers)).await,
        Route::WebSocket => websocket::handshake(&ctx, &parts.headers),
    }?;
    Ok(resp.map(Body::from))
}

#[cfg(any(test, feature = "memory-host"))]
pub mod memory_host;
#[cfg(test)]
mod tests;
