//! HTTP front: hyper accepts connections within a cap, puts every connection and request
//! body on a deadline, and hands each request to a component instance (see `instances`)
//! once a slot is free. Whatever the host refuses or cuts short is answered by `refusal`;
//! the server keeps serving. On shutdown it stops accepting and lets requests in flight
//! finish within a grace period.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use nodetool_edge::handlers::jobs::HOLDER_HEADER;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use wasmtime::Engine;
use wasmtime_wasi_http::WasiBody;
use wasmtime_wasi_http::handler::{ExpirationError, InstantiationError, ProxyHandler};

use crate::access_log::{self, Entry, LogFormat};
use crate::auth_failures::{self, AuthFailures};
use crate::component::Limits;
use crate::connection::{Activity, WatchedIo};
use crate::cpu_meter::EPOCH_TICK;
use crate::instances::Instances;
use crate::jobs::{JobHub, JobLimits};
use crate::metrics::Metrics;
use crate::refusal::Refusal;
use crate::request_body::{BodyLimits, GuardedBody};
use crate::request_trace::{self, LimitHit, RequestTrace};
use crate::run_stream::{self, RunStream};
use crate::tls;
use crate::websocket::{self, Caller, SocketLimits};

/// Where Spin tells a component the client's address; the component reads it from there.
const CLIENT_ADDR: &str = "spin-client-addr";
const ADMIN_TOKEN_HEADER: &str = "x-admin-token";

/// Deadlines and caps on the wire.
#[derive(Debug, Clone, Copy)]
pub struct WireLimits {
    /// From the moment a connection may send a request until its head is complete.
    pub header: Duration,
    /// How long a connection may sit idle between requests.
    pub keep_alive: Duration,
    pub body: BodyLimits,
    /// Client connections open at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// How long a request may wait for an instance slot before it gets 503.
    pub queue_wait: Duration,
}

#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    pub wire: WireLimits,
    pub sockets: SocketLimits,
    pub jobs: JobLimits,
    pub shutdown_grace: Duration,
    /// The failed credential attempt per address and minute that gets 429.
    pub auth_attempt_limit: u32,
    pub log_format: LogFormat,
}

pub(crate) struct Front {
    handler: ProxyHandler<Instances>,
    slots: Arc<Semaphore>,
    auth_failures: AuthFailures,
    options: ServerOptions,
    metrics: Arc<Metrics>,
    jobs: JobHub,
    /// One permit per open WebSocket, server-wide.
    sockets: Arc<Semaphore>,
    /// Open WebSockets by user.
    user_sockets: std::sync::Mutex<std::collections::HashMap<String, usize>>,
    /// This process's id, which the jobs it runs record: one left `running` under another id
    /// was lost with an earlier process.
    holder: http::HeaderValue,
}

/// A user's share of the open sockets, given back when the socket closes.
struct UserSocket {
    front: Arc<Front>,
    user: String,
}

impl Drop for UserSocket {
    fn drop(&mut self) {
        let mut open = self
            .front
            .user_sockets
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// What an upgrade request keeps until the core has answered it.
struct PendingUpgrade {
    on_upgrade: hyper::upgrade::OnUpgrade,
    headers: http::HeaderMap,
    query: Option<String>,
}

type HyperResponse = hyper::Response<WasiBody>;

/// A response body that keeps the request's instance slot until it has been sent whole: the
/// instance is still writing it.
struct SlotBody {
    inner: WasiBody,
    _slot: OwnedSemaphorePermit,
}

impl Body for SlotBody {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What became of a request, for the log.
struct Outcome {
    resp: HyperResponse,
    reused: Option<bool>,
    refusal: Option<&'static str>,
}

impl Outcome {
    fn refused(r: &Refusal, reused: Option<bool>) -> Outcome {
        Outcome {
            resp: r.response(),
            reused,
            refusal: Some(r.reason()),
        }
    }
}

impl websocket::Core for Front {
    async fn call(
        &self,
        req: http::Request<Bytes>,
    ) -> Result<(http::response::Parts, Bytes), Refusal> {
        let trace = Arc::new(RequestTrace::new(request_trace::request_id(None)));
        let (parts, body) = self.open_core(req, trace).await?;
        let body = body
            .collect()
            .await
            .map_err(|()| Refusal::Fault)?
            .to_bytes();
        Ok((parts, body))
    }

    async fn open(
        &self,
        req: http::Request<Bytes>,
        trace: Arc<RequestTrace>,
    ) -> Result<(http::response::Parts, websocket::Streamed), Refusal> {
        self.open_core(req, trace).await
    }

    fn jobs(&self) -> &JobHub {
        &self.jobs
    }

    fn limits(&self) -> &Limits {
        &self.handler.state().limits
    }
}

impl Front {
    async fn handle(
        self: &Arc<Self>,
        mut req: hyper::Request<hyper::body::Incoming>,
        peer: SocketAddr,
    ) -> HyperResponse {
        let started = Instant::now();
        let pending = self.note_websocket(&mut req);
        let id = request_trace::request_id(req.headers().get(request_trace::HEADER));
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let route = nodetool_edge::http::router::pattern(&method, &path).unwrap_or("unmatched");
        let trace = Arc::new(RequestTrace::new(id));
        let had_bearer = req.headers().contains_key(hyper::header::AUTHORIZATION);
        let had_admin_token = req.headers().contains_key(ADMIN_TOKEN_HEADER);
        let refused = (had_bearer || had_admin_token)
            .then(|| self.auth_failures.refused_for(peer.ip(), started))
            .flatten();
        let mut outcome = match refused {
            Some(wait) => Outcome::refused(&Refusal::TooManyAuthFailures(wait), None),
            None => self.serve(req, peer, &trace, started).await,
        };
        if let Some(p) = pending
            && outcome.resp.status() == hyper::StatusCode::OK
        {
            outcome = self.upgrade(outcome, p).await;
        }
        let status = outcome.resp.status().as_u16();
        if auth_failures::is_failure(status, had_bearer, had_admin_token)
            && self.auth_failures.record(peer.ip(), Instant::now())
        {
            // Once per address and window: a flood of guesses is one line, and no guess is
            // ever written down.
            eprintln!(
                "request_id={} {} failed credential attempts from {} within {} s: its next \
                 credentialed requests get 429 until the window ends",
                trace.id,
                self.options.auth_attempt_limit - 1,
                peer.ip(),
                auth_failures::WINDOW.as_secs()
            );
        }
        if let Some(reason) = outcome.refusal {
            self.metrics.refusal(reason);
        }
        if let Ok(v) = http::HeaderValue::from_str(&trace.id) {
            outcome.resp.headers_mut().insert(request_trace::HEADER, v);
        }
        let took = started.elapsed();
        self.metrics.request(route, status, took);
        access_log::write(
            self.options.log_format,
            &Entry {
                id: &trace.id,
                method: method.as_str(),
                path: &path,
                route,
                status,
                took,
                reused: outcome.reused,
                refusal: outcome.refusal,
            },
        );
        outcome.resp
    }

    /// Marks a `/ws` request as coming from a host that can upgrade (whatever the client
    /// said), and keeps what an upgrade needs when it asks for one.
    fn note_websocket(
        &self,
        req: &mut hyper::Request<hyper::body::Incoming>,
    ) -> Option<PendingUpgrade> {
        if req.uri().path().trim_end_matches('/') != "/ws" {
            return None;
        }
        use nodetool_edge::handlers::websocket::{CAPABLE_HEADER, UPGRADE_MARK};
        let upgrade = websocket::is_upgrade(req.method(), req.headers());
        let mark = if upgrade { UPGRADE_MARK } else { "1" };
        req.headers_mut()
            .insert(CAPABLE_HEADER, http::HeaderValue::from_static(mark));
        if !upgrade {
            return None;
        }
        Some(PendingUpgrade {
            on_upgrade: hyper::upgrade::on(&mut *req),
            headers: req.headers().clone(),
            query: req.uri().query().map(str::to_string),
        })
    }

    /// The core allowed the socket: within the socket limits, answers 101 and serves it.
    async fn upgrade(self: &Arc<Self>, outcome: Outcome, p: PendingUpgrade) -> Outcome {
        let reused = outcome.reused;
        let body = outcome
            .resp
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let Some(user) = nodetool_edge::ws::calls::granted_user(&body) else {
            return Outcome::refused(&Refusal::Fault, reused);
        };
        let limits = self.options.sockets;
        let Ok(permit) = self.sockets.clone().try_acquire_owned() else {
            return Outcome::refused(&Refusal::TooManySockets(limits.max_sockets), reused);
        };
        {
            let mut open = self.user_sockets.lock().unwrap_or_else(|p| p.into_inner());
            let n = open.entry(user.clone()).or_default();
            if *n >= limits.max_per_user {
                return Outcome::refused(&Refusal::TooManyUserSockets(limits.max_per_user), reused);
            }
            *n += 1;
        }
        let share = UserSocket {
            front: self.clone(),
            user: user.clone(),
        };
        let Some(key) = p.headers.get(http::header::SEC_WEBSOCKET_KEY) else {
            return Outcome::refused(&Refusal::Fault, reused);
        };
        let accept = websocket::accept_key(key);
        let caller = Caller {
            user_id: user,
            headers: nodetool_edge::ws::calls::caller_headers(&p.headers, p.query.as_deref()),
        };
        let front = self.clone();
        let on_upgrade = p.on_upgrade;
        tokio::spawn(async move {
            let _permit = permit;
            let _share = share;
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let io = tokio_tungstenite::WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                tokio_tungstenite::tungstenite::protocol::Role::Server,
                Some(websocket::config(&limits)),
            )
            .await;
            front.metrics.socket_opened();
            websocket::serve(front.clone(), io, caller, limits).await;
            front.metrics.socket_closed();
        });
        let resp = hyper::Response::builder()
            .status(hyper::StatusCode::SWITCHING_PROTOCOLS)
            .header(hyper::header::UPGRADE, "websocket")
            .header(hyper::header::CONNECTION, "Upgrade")
            .header(hyper::header::SEC_WEBSOCKET_ACCEPT, accept)
            .body(
                Full::new(Bytes::new())
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            )
            .unwrap_or_else(|_| Refusal::Fault.response());
        Outcome {
            resp,
            reused,
            refusal: None,
        }
    }

    /// Stops the job a cancel answer names (the core recorded it; this process runs it).
    fn cancel_named(&self, headers: &mut http::HeaderMap) {
        use nodetool_edge::handlers::jobs::CANCEL_HEADER;
        let Some(id) = headers.get(CANCEL_HEADER).and_then(|v| v.to_str().ok()) else {
            return;
        };
        let id = id.to_string();
        self.jobs.cancel(&id, |job| {
            nodetool_edge::ws::session::cancelled_update(&job.id, &job.workflow_id)
        });
    }

    /// A request of the host's own on a socket's behalf; its body keeps the instance slot
    /// until it has been read.
    async fn open_core(
        &self,
        req: http::Request<Bytes>,
        trace: Arc<RequestTrace>,
    ) -> Result<(http::response::Parts, websocket::Streamed), Refusal> {
        let started = Instant::now();
        let (mut parts, body) = req.into_parts();
        if let Ok(v) = http::HeaderValue::from_str(&trace.id) {
            parts.headers.insert(request_trace::HEADER, v);
        }
        parts.headers.insert(HOLDER_HEADER, self.holder.clone());
        let slot = match tokio::time::timeout(
            self.options.wire.queue_wait,
            self.slots.clone().acquire_owned(),
        )
        .await
        {
            Ok(Ok(slot)) => slot,
            _ => return Err(Refusal::Busy),
        };
        let body = Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync();
        let req = hyper::Request::from_parts(parts, body);
        let resp = match self.handler.handle(trace.clone(), req).await {
            Ok(resp) => resp,
            Err(e) => return Err(self.classify(&e, &trace, started)),
        };
        let (mut parts, inner) = resp.into_parts();
        self.cancel_named(&mut parts.headers);
        let body = SlotBody { inner, _slot: slot }
            .map_err(|_| ())
            .boxed_unsync();
        Ok((parts, body))
    }

    async fn serve(
        &self,
        req: hyper::Request<hyper::body::Incoming>,
        peer: SocketAddr,
        trace: &Arc<RequestTrace>,
        started: Instant,
    ) -> Outcome {
        let (mut parts, body) = req.into_parts();
        // The component and its log see the same id the client gets back.
        if let Ok(v) = http::HeaderValue::from_str(&trace.id) {
            parts.headers.insert(request_trace::HEADER, v);
        }
        // The client's address, where Spin puts it, replacing any the client sent: the core's
        // Host check trusts it.
        if let Ok(v) = http::HeaderValue::from_str(&peer.to_string()) {
            parts.headers.insert(CLIENT_ADDR, v);
        }
        // This process, replacing any a client named.
        parts.headers.insert(HOLDER_HEADER, self.holder.clone());
        let mut body = GuardedBody::new(body, self.options.wire.body);
        if let Err(r) = body.prefetch().await {
            return Outcome::refused(&r, None);
        }
        let verdict = body.verdict();
        let slot = match tokio::time::timeout(
            self.options.wire.queue_wait,
            self.slots.clone().acquire_owned(),
        )
        .await
        {
            Ok(Ok(slot)) => slot,
            _ => return Outcome::refused(&Refusal::Busy, None),
        };
        let req = hyper::Request::from_parts(parts, body.boxed_unsync());
        let result = self.handler.handle(trace.clone(), req).await;
        let reused = Some(trace.reused());
        // A body that broke its limits while the component read it: the component's own
        // answer to the broken stream gives way to the 408.
        let stalled = verdict.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(r) = stalled {
            return Outcome::refused(&r, reused);
        }
        match result {
            Ok(mut resp) => {
                self.cancel_named(resp.headers_mut());
                // The headers are the host's own: a client does not get them.
                for name in [
                    nodetool_edge::handlers::jobs::CANCEL_HEADER,
                    nodetool_edge::handlers::jobs::OWNER_HEADER,
                ] {
                    resp.headers_mut().remove(name);
                }
                let run = resp
                    .headers()
                    .get(hyper::header::CONTENT_TYPE)
                    .is_some_and(|v| v == run_stream::CONTENT_TYPE);
                let limits = self.handler.state().limits;
                let resp = resp.map(|inner| {
                    let inner = if run {
                        RunStream::new(inner, trace.clone(), limits, started).boxed_unsync()
                    } else {
                        inner
                    };
                    SlotBody { inner, _slot: slot }.boxed_unsync()
                });
                Outcome {
                    resp,
                    reused,
                    refusal: None,
                }
            }
            Err(e) => {
                let refusal = self.classify(&e, trace, started);
                if refusal == Refusal::Fault || matches!(refusal, Refusal::Busy) {
                    eprintln!("request_id={} request failed: {e:#}", trace.id);
                }
                Outcome::refused(&refusal, reused)
            }
        }
    }

    /// Why the component gave no answer.
    fn classify(&self, e: &wasmtime::Error, trace: &RequestTrace, started: Instant) -> Refusal {
        let limits = &self.handler.state().limits;
        match trace.limit() {
            Some(LimitHit::Memory) => return Refusal::MemoryLimit(limits.memory_bytes),
            Some(LimitHit::Cpu) => return Refusal::CpuLimit(limits.deadline),
            None => {}
        }
        if e.downcast_ref::<ExpirationError>().is_some() || started.elapsed() >= limits.timeout {
            return Refusal::Timeout(limits.timeout);
        }
        // No instance could be made: the pool is full (or memory is short) right now.
        if e.downcast_ref::<InstantiationError<Arc<RequestTrace>>>()
            .is_some()
        {
            return Refusal::Busy;
        }
        Refusal::Fault
    }
}

/// Advances the engine's epoch so deadlines fire; stops with the process.
fn start_epoch_ticker(engine: Engine) {
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawning the epoch thread");
}

/// Serves until `shutdown` resolves, then stops accepting (new connections are refused),
/// lets requests in flight finish within the grace period, and returns.
pub async fn serve(
    listener: TcpListener,
    instances: Instances,
    options: ServerOptions,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    start_epoch_ticker(instances.engine.clone());
    let metrics = instances.metrics.clone();
    let slots = Arc::new(Semaphore::new(instances.limits.max_instances as usize));
    let front = Arc::new(Front {
        handler: ProxyHandler::new(instances),
        slots,
        auth_failures: AuthFailures::new(options.auth_attempt_limit),
        options,
        metrics,
        jobs: JobHub::new(options.jobs),
        sockets: Arc::new(Semaphore::new(options.sockets.max_sockets)),
        user_sockets: std::sync::Mutex::new(std::collections::HashMap::new()),
        holder: http::HeaderValue::from_str(&request_trace::random_id())
            .expect("a random id is a valid header value"),
    });
    let max_connections = options.wire.max_connections;
    let connections = Arc::new(Semaphore::new(max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait and keep serving.
                    eprintln!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = stream;
        let _ = stream.set_nodelay(true);
        let front = front.clone();
        let stop = stop_rx.clone();
        let Some(acceptor) = tls.clone() else {
            tokio::spawn(connection(
                front,
                stream,
                peer,
                permit,
                stop,
                Protocol::Http1,
            ));
            continue;
        };
        tokio::spawn(async move {
            match tls::accept(&acceptor, stream, front.options.wire.header).await {
                Ok(stream) => {
                    let protocol = if tls::is_h2(&stream) {
                        Protocol::Http2
                    } else {
                        Protocol::Http1
                    };
                    connection(front, stream, peer, permit, stop, protocol).await;
                }
                // Nothing the client sent is logged: a failed handshake is common noise.
                Err(tls::Refused::PlainHttp) => front.metrics.refusal("plain_http_on_tls"),
                Err(tls::Refused::Handshake) => front.metrics.refusal("tls_handshake"),
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let open = max_connections - connections.available_permits();
    println!(
        "Shutting down: {open} connection(s) open, up to {} s for requests in flight",
        options.shutdown_grace.as_secs_f64()
    );
    let all = connections.acquire_many_owned(max_connections as u32);
    match tokio::time::timeout(options.shutdown_grace, all).await {
        Ok(_) => println!("Shut down cleanly"),
        Err(_) => eprintln!("Shutdown grace period over: cutting the requests still in flight"),
    }
    Ok(())
}

/// What a connection speaks: HTTP/2 only over TLS, after ALPN chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Http1,
    Http2,
}

/// One connection, from accept to close: hyper with the header timeout (HTTP/1.1), the
/// keep-alive watchdog, and the server's shutdown signal.
async fn connection<S>(
    front: Arc<Front>,
    stream: S,
    peer: SocketAddr,
    _permit: OwnedSemaphorePermit,
    stop: watch::Receiver<bool>,
    protocol: Protocol,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let metrics = front.metrics.clone();
    let wire = front.options.wire;
    metrics.connection_opened();
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(WatchedIo::new(stream, activity.clone()));
    let service = {
        let activity = activity.clone();
        service_fn(move |req| {
            let front = front.clone();
            let activity = activity.clone();
            async move {
                activity.request_started();
                let resp = front.handle(req, peer).await;
                activity.request_answered();
                Ok::<_, Infallible>(resp)
            }
        })
    };
    match protocol {
        Protocol::Http1 => {
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(wire.header)
                .keep_alive(true)
                .serve_connection(io, service)
                .with_upgrades();
            watch_connection(conn, &activity, wire, stop).await;
        }
        Protocol::Http2 => {
            let conn = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .max_concurrent_streams(MAX_H2_STREAMS)
                .serve_connection(io, service);
            watch_connection(conn, &activity, wire, stop).await;
        }
    }
    metrics.connection_closed();
}

/// Streams one HTTP/2 connection may have open at once: each holds what a request holds.
const MAX_H2_STREAMS: u32 = 64;

/// Drives `conn` to its end, shutting it down gracefully when the server stops or when it
/// has been idle past the keep-alive timeout.
/// A hyper connection that can be asked to finish what it is doing and close.
trait Graceful: Future {
    fn shut_down(self: Pin<&mut Self>);
}

impl<I, S, B> Graceful for http1::UpgradeableConnection<I, S>
where
    S: hyper::service::HttpService<hyper::body::Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    B: Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn shut_down(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

impl<I, S, B, E> Graceful for http2::Connection<I, S, E>
where
    S: hyper::service::HttpService<hyper::body::Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + 'static,
    B: Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    E: hyper::rt::bounds::Http2ServerConnExec<S::Future, B>,
{
    fn shut_down(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

async fn watch_connection<C: Graceful>(
    conn: C,
    activity: &Activity,
    wire: WireLimits,
    mut stop: watch::Receiver<bool>,
) {
    let mut conn = std::pin::pin!(conn);
    let mut closing = *stop.borrow();
    if closing {
        conn.as_mut().shut_down();
    }
    loop {
        let idle_at = activity
            .idle_deadline(wire.keep_alive)
            .unwrap_or_else(|| Instant::now() + wire.keep_alive);
        tokio::select! {
            _ = conn.as_mut() => break,
            _ = stop.changed(), if !closing => {
                closing = true;
                conn.as_mut().shut_down();
            }
            _ = tokio::time::sleep_until(idle_at.into()), if !closing => {
                if activity
                    .idle_deadline(wire.keep_alive)
                    .is_some_and(|at| at <= Instant::now())
                {
                    closing = true;
                    conn.as_mut().shut_down();
                }
            }
        }
    }
}

/// Serves `/metrics` on its own address until the process ends; the address it got.
pub async fn serve_metrics(addr: SocketAddr, metrics: Arc<Metrics>) -> Result<SocketAddr> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the metrics address {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let metrics = metrics.clone();
                    async move {
                        let (status, body) = if req.uri().path() == "/metrics" {
                            (200, metrics.render())
                        } else {
                            (404, "{\"detail\":\"Not Found\"}".to_string())
                        };
                        let mut resp = hyper::Response::new(Full::new(Bytes::from(body)));
                        *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        let kind = if status == 200 {
                            "text/plain; version=0.0.4"
                        } else {
                            "application/json"
                        };
                        resp.headers_mut()
                            .insert(hyper::header::CONTENT_TYPE, kind.parse().unwrap());
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(bound)
}
