//! Cloudflare Workers adapter: translates a Workers request, the KV binding `NODETOOL_KV`, vars
//! and secrets, fetch, and the platform's clock and randomness into the core's ports, and
//! hands `/ws` sockets to each user's Durable Object ([`room`]). No behaviour lives here.

mod room;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{Either, select};
use http_body::Frame;
use nodetool_edge::host::{
    Clock, Entropy, KeyValue, KvError, Logger, ModelCache, Outbound, OutboundError,
    OutboundRequest, Timer, Variables,
};
use worker::{
    AbortController, Context, Delay, Env, Fetch, HttpRequest, event, kv::KvStore, web_sys,
};

/// The KV namespace binding wrangler.toml declares.
const KV_BINDING: &str = "NODETOOL_KV";

pub(crate) struct WorkersHost {
    env: Env,
    kv: KvStore,
}

fn kv_error(e: impl std::fmt::Debug) -> KvError {
    KvError(format!("{e:?}"))
}

// `swap` and `atomic_swap` keep the port's defaults: Workers KV has no compare-and-swap (nor
// any transaction), so a swap here reads and then writes, and a concurrent writer can come
// between the two.
impl KeyValue for WorkersHost {
    // KV's prefix listing reads only the keys asked for, so indexes are one key per item here.
    fn lists_prefix_natively(&self) -> bool {
        true
    }

    // A Workers invocation may make at most 1,000 KV operations; listings keep their pages
    // within it.
    fn operations_per_request(&self) -> Option<usize> {
        Some(1000)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.kv.get(key).bytes().await.map_err(kv_error)
    }

    /// The reads go out together: each is a round trip to KV, and a page waits for one
    /// instead of one per item.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        futures_util::future::try_join_all(keys.iter().map(|k| self.get(k))).await
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.kv
            .put_bytes(key, value)
            .map_err(kv_error)?
            .execute()
            .await
            .map_err(kv_error)
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.kv.delete(key).await.map_err(kv_error)
    }

    async fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        let keys = self.list_keys(prefix).await?;
        Ok(keys.into_iter().map(|k| k.name).collect())
    }

    /// The value goes in the key's metadata too, when it is JSON that fits (KV keeps at most
    /// 1 KiB of metadata a key): a listing then answers it, and an index of N items costs
    /// N / 1000 list operations instead of N reads. One `put` writes both, so they agree.
    async fn set_listed(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        // The size first: a value too large for metadata is not worth parsing.
        let metadata = Some(value)
            .filter(|v| v.len() <= KV_METADATA_MAX)
            .and_then(|v| serde_json::from_slice::<serde_json::Value>(v).ok());
        let Some(metadata) = metadata else {
            return self.set(key, value).await;
        };
        self.kv
            .put_bytes(key, value)
            .map_err(kv_error)?
            .metadata(metadata)
            .map_err(kv_error)?
            .execute()
            .await
            .map_err(kv_error)
    }

    async fn list_with_values(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, KvError> {
        let keys = self.list_keys(prefix).await?;
        Ok(keys
            .into_iter()
            .map(|k| {
                let value = k.metadata.and_then(|m| serde_json::to_vec(&m).ok());
                (k.name, value)
            })
            .collect())
    }
}

/// The most metadata Workers KV keeps beside a key, in bytes of JSON.
const KV_METADATA_MAX: usize = 1024;

impl WorkersHost {
    /// Every key under `prefix` with its metadata. KV lists at most 1000 keys a page; this
    /// follows the cursor to the end.
    async fn list_keys(&self, prefix: &str) -> Result<Vec<worker::kv::Key>, KvError> {
        let mut keys = Vec::new();
        let mut cursor = None;
        loop {
            let mut list = self.kv.list().prefix(prefix.to_string());
            if let Some(c) = cursor.take() {
                list = list.cursor(c);
            }
            let page = list.execute().await.map_err(kv_error)?;
            keys.extend(page.keys);
            match page.cursor {
                Some(c) if !page.list_complete => cursor = Some(c),
                _ => return Ok(keys),
            }
        }
    }
}

impl Variables for WorkersHost {
    async fn variable(&self, name: &str) -> Option<String> {
        // Secrets (`wrangler secret put`) and plain vars share one namespace on Workers.
        self.env
            .secret(name)
            .or_else(|_| self.env.var(name))
            .ok()
            .map(|v| v.to_string())
    }
}

impl Timer for WorkersHost {
    async fn sleep(&self, ms: u64) {
        Delay::from(Duration::from_millis(ms)).await;
    }
}

impl Clock for WorkersHost {
    fn now_micros(&self) -> i64 {
        // Date.now() only advances across I/O on Workers; millisecond precision is all it has.
        worker::Date::now().as_millis() as i64 * 1000
    }
}

impl Entropy for WorkersHost {
    fn fill(&self, buf: &mut [u8]) {
        // crypto.getRandomValues, through getrandom's `wasm_js` backend.
        getrandom::fill(buf).expect("the Workers runtime provides crypto.getRandomValues");
    }
}

impl Logger for WorkersHost {
    fn log(&self, line: &str) {
        worker::console_error!("{line}");
    }
}

impl ModelCache for WorkersHost {
    fn model_cache_size(&self) -> Option<Result<u64, String>> {
        // Workers have no file system, so no model cache.
        None
    }
}

/// A fetch answer's body, with the platform's errors in the core's terms and an idle timeout
/// between pieces (fetch has none of its own).
pub struct FetchBody {
    inner: worker::Body,
    idle: Duration,
    timer: Option<Pin<Box<Delay>>>,
    /// Aborting the fetch when the body is dropped ends the request upstream.
    controller: Option<AbortController>,
}

impl Drop for FetchBody {
    fn drop(&mut self) {
        if let Some(c) = self.controller.take() {
            c.abort();
        }
    }
}

impl http_body::Body for FetchBody {
    type Data = Bytes;
    type Error = OutboundError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, OutboundError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(r) => {
                this.timer = None;
                Poll::Ready(r.map(|f| f.map_err(|e| OutboundError::Failed(e.to_string()))))
            }
            Poll::Pending => {
                let idle = this.idle;
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(Delay::from(idle)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(OutboundError::Timeout))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl Outbound for WorkersHost {
    type Body = FetchBody;

    async fn send(
        &self,
        request: OutboundRequest,
    ) -> Result<http::Response<FetchBody>, OutboundError> {
        let failed = |e: worker::Error| OutboundError::Failed(e.to_string());
        // The body goes to fetch as bytes, not as a stream: a stream is sent chunked, and an
        // upstream that reads only `Content-Length` (simple servers, some proxies) would see
        // an empty body.
        let headers = worker::Headers::new();
        for (name, value) in &request.headers {
            headers.append(name, value).map_err(failed)?;
        }
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::from(request.method.to_string()))
            .with_headers(headers);
        if !request.body.is_empty() {
            let bytes = worker::js_sys::Uint8Array::from(request.body.as_slice());
            init.with_body(Some(bytes.into()));
        }
        let fetch =
            Fetch::Request(worker::Request::new_with_init(&request.url, &init).map_err(failed)?);
        let controller = AbortController::default();
        // fetch cannot tell connecting from waiting, so the head gets both timeouts together.
        let head_ms = u64::from(request.connect_timeout_ms) + u64::from(request.idle_timeout_ms);
        let signal = controller.signal();
        let sending = Box::pin(fetch.send_with_signal(&signal));
        let timer = Box::pin(Delay::from(Duration::from_millis(head_ms)));
        let response = match select(sending, timer).await {
            Either::Left((r, _)) => r.map_err(|e| OutboundError::Unreachable(e.to_string()))?,
            Either::Right(_) => {
                controller.abort();
                return Err(OutboundError::Timeout);
            }
        };
        let response = worker::HttpResponse::try_from(response).map_err(failed)?;
        Ok(response.map(|inner| FetchBody {
            inner,
            idle: Duration::from_millis(u64::from(request.idle_timeout_ms)),
            timer: None,
            controller: Some(controller),
        }))
    }
}

/// The core's answer as a Workers response. A whole body goes out as bytes, so the platform
/// knows its length and sends `Content-Length`; only a stream (chat) goes out chunked.
async fn to_workers(
    resp: http::Response<nodetool_edge::Body<'_>>,
) -> worker::Result<web_sys::Response> {
    use http_body_util::BodyExt;
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        nodetool_edge::Body::Stream(stream) => {
            let body = nodetool_edge::Body::Stream(stream);
            return worker::response_to_wasm(http::Response::from_parts(parts, body));
        }
        nodetool_edge::Body::Full(bytes) => bytes,
        // A stream that borrows this request's host (a streamed run) is read whole here:
        // the platform takes a body that outlives the handler.
        scoped @ nodetool_edge::Body::Scoped(_) => match scoped.collect().await {
            Ok(all) => all.to_bytes(),
            Err(never) => match never {},
        },
    };
    let headers = worker::Headers::new();
    for (name, value) in &parts.headers {
        let value = std::str::from_utf8(value.as_bytes())
            .map_err(|_| worker::Error::from(format!("header {name} is not text")))?;
        headers.append(name.as_str(), value)?;
    }
    let builder = worker::ResponseBuilder::new()
        .with_status(parts.status.as_u16())
        .with_headers(headers);
    // 204, 304 and HEAD answers have no body at all, not an empty one.
    let response = if bytes.is_empty() {
        builder.empty()
    } else {
        builder.fixed(bytes.to_vec())
    };
    Ok(response.into())
}

/// `req` with the client's address as the core reads it: Cloudflare sets
/// `cf-connecting-ip` and replaces any a client sent.
pub(crate) fn with_client_addr<B>(mut req: http::Request<B>) -> http::Request<B> {
    let client = req
        .headers()
        .get("cf-connecting-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<std::net::IpAddr>().ok());
    if let Some(ip) = client {
        req.extensions_mut()
            .insert(nodetool_edge::http::browser::ClientAddr(ip));
    }
    req
}

fn refused(
    e: nodetool_edge::http::error::ApiError,
) -> http::Response<nodetool_edge::Body<'static>> {
    e.into_response().map(nodetool_edge::Body::from)
}

#[event(fetch)]
async fn fetch(req: HttpRequest, env: Env, _ctx: Context) -> worker::Result<web_sys::Response> {
    let kv = match env.kv(KV_BINDING) {
        Ok(kv) => kv,
        Err(e) => {
            worker::console_error!("KV binding {KV_BINDING} is missing: {e}");
            let unavailable = refused(nodetool_edge::http::error::ApiError::Unavailable(
                "Storage is unavailable, try again later",
            ));
            return to_workers(unavailable).await;
        }
    };
    let (mut parts, mut body) = req.into_parts();
    let socket = mark_websocket(&mut parts);
    let req = with_client_addr(http::Request::from_parts(parts, &mut body));
    let host = WorkersHost { env, kv };
    let mut resp = nodetool_edge::handle(req, &host).await;
    drain(&mut body).await;
    stop_cancelled(&host.env, resp.headers_mut()).await;
    if let Some(upgrade) = socket
        && resp.status() == http::StatusCode::OK
    {
        return open_socket(&host.env, resp, upgrade).await;
    }
    to_workers(resp).await
}

/// What a granted `/ws` upgrade hands to the user's room.
struct Upgrade {
    headers: http::HeaderMap,
    query: Option<String>,
}

/// Marks a `/ws` request as coming from a host that can upgrade (whatever the client said),
/// and keeps what the socket needs when it asks for one. Workers sees `Upgrade: websocket`;
/// the handshake itself is the platform's.
fn mark_websocket(parts: &mut http::request::Parts) -> Option<Upgrade> {
    use nodetool_edge::handlers::websocket::{CAPABLE_HEADER, UPGRADE_MARK};
    if parts.uri.path().trim_end_matches('/') != "/ws" {
        return None;
    }
    let upgrade = parts.method == http::Method::GET
        && parts
            .headers
            .get(http::header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"));
    let mark = if upgrade { UPGRADE_MARK } else { "1" };
    parts
        .headers
        .insert(CAPABLE_HEADER, http::HeaderValue::from_static(mark));
    upgrade.then(|| Upgrade {
        headers: parts.headers.clone(),
        query: parts.uri.query().map(str::to_string),
    })
}

/// The room (Durable Object) of user `owner`, which is percent-encoded.
fn room(env: &Env, owner: &str) -> worker::Result<worker::Stub> {
    env.durable_object(room::BINDING)?
        .id_from_name(owner)?
        .get_stub()
}

/// The core allowed the socket: the user's room accepts it and answers 101.
async fn open_socket(
    env: &Env,
    granted: http::Response<nodetool_edge::Body<'_>>,
    upgrade: Upgrade,
) -> worker::Result<web_sys::Response> {
    use http_body_util::BodyExt;
    use nodetool_edge::http::error::ApiError;
    let body = match granted.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(never) => match never {},
    };
    let Some(user) = nodetool_edge::ws::calls::granted_user(&body) else {
        return to_workers(refused(ApiError::Internal(
            "The upgrade was granted without a user",
        )))
        .await;
    };
    let owner = nodetool_edge::http::router::encode_segment(&user);
    let Ok(stub) = room(env, &owner) else {
        worker::console_error!("Durable Object binding {} is missing", room::BINDING);
        return to_workers(refused(ApiError::Unavailable(
            "WebSockets need the NODETOOL_JOBS Durable Object binding (see docs/workers.md)",
        )))
        .await;
    };
    let headers = worker::Headers::new();
    let caller =
        nodetool_edge::ws::calls::caller_headers(&upgrade.headers, upgrade.query.as_deref());
    for (name, value) in &caller {
        if let Ok(v) = value.to_str() {
            headers.append(name.as_str(), v)?;
        }
    }
    headers.set(room::USER_HEADER, &owner)?;
    headers.set("upgrade", "websocket")?;
    let mut init = worker::RequestInit::new();
    init.with_headers(headers);
    let req = worker::Request::new_with_init("https://room/socket", &init)?;
    let resp = stub.fetch_with_request(req).await?;
    Ok(resp.into())
}

/// A cancel the core recorded stops the job in its owner's room. The headers are the host's
/// own: a client does not get them.
async fn stop_cancelled(env: &Env, headers: &mut http::HeaderMap) {
    use nodetool_edge::handlers::jobs::{CANCEL_HEADER, OWNER_HEADER};
    let (Some(job), Some(owner)) = (headers.remove(CANCEL_HEADER), headers.remove(OWNER_HEADER))
    else {
        return;
    };
    let (Ok(job), Ok(owner)) = (job.to_str(), owner.to_str()) else {
        return;
    };
    let url = format!(
        "https://room/cancel/{}",
        nodetool_edge::http::router::encode_segment(job)
    );
    if let Ok(stub) = room(env, owner) {
        let _ = stub.fetch_with_str(&url).await;
    }
}

/// Request bytes read and dropped after an answer that did not need them.
const DRAIN_LIMIT: usize = 32 << 20;

/// Reads what the core left of the request body (a 413 decided from `Content-Length`, an early
/// 401), up to `DRAIN_LIMIT`. Answering while the client is still sending makes the connection
/// reset under it, and the client may then lose the answer itself: `wrangler dev`'s proxy turned
/// such early 413s into a 500 or a dropped connection now and then. Servers do the same (a
/// lingering close); past the limit the answer goes out anyway.
async fn drain(body: &mut worker::Body) {
    use http_body_util::BodyExt;
    let mut read = 0usize;
    while read <= DRAIN_LIMIT {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
            Some(Err(_)) | None => return,
        }
    }
}
