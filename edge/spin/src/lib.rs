//! Spin adapter: translates Spin's request, key-value store and variables into the core's
//! ports. No behaviour lives here.
//!
//! It targets what every Spin from 3.0 on runs: a `wasi:http/incoming-handler@0.2` export with
//! `fermyon:spin@2.0.0` key-value and variables, and `wasi:keyvalue@0.2.0-draft2` for
//! compare-and-swap on the same store (Spin 3.x and 4.x, SpinKube's shim). The native runner
//! hosts this very file.

use nodetool_edge::config::{BUNDLED_VARIABLE, unbundle_variables};
use nodetool_edge::host::{
    ChunkRead, ChunkSource, Clock, Entropy, KeyValue, KvError, Logger, ModelCache, Outbound,
    OutboundError, OutboundRequest, Timer, Variables,
};
use nodetool_edge::http::browser::ClientAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{SinkExt, Stream, StreamExt};
use http_body::Frame;
use spin_sdk::http::{IncomingRequest, Method, ResponseOutparam};
use spin_sdk::http_component;
use spin_sdk::key_value;
use spin_sdk::variables;
use spin_sdk::wit::wasi::http0_2_0::{outgoing_handler, types};
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store as wasi_store};

struct SpinHost {
    /// The store and the settings, kept by the instance across its requests.
    kept: Rc<Kept>,
    /// Carried by every log line about this request.
    request_id: Option<String>,
}

/// Where the claim of a key `SpinHost::create` makes lives: a fixed length, whatever the key's.
fn claim_key(key: &str) -> String {
    format!(
        "nodetool-edge/claim/{}",
        nodetool_edge::auth::token::sha256_hex(key)
    )
}

/// Seconds after which a claim whose key was never written is taken over: its holder
/// vanished between claiming and writing (an instance stopped in between).
const CLAIM_STALE_SECS: i64 = 10;

/// `n` as the host keeps what `increment` writes: decimal text (the native runner, as Redis) or
/// eight little-endian bytes (Spin's SQLite store), following `like`.
fn counter_bytes(like: &[u8], n: i64) -> Vec<u8> {
    if like.iter().all(|b| b.is_ascii_digit() || *b == b'-') {
        n.to_string().into_bytes()
    } else {
        n.to_le_bytes().to_vec()
    }
}

impl SpinHost {
    /// A compare-and-swap from "absent". Spin's SQLite store makes that swap an upsert (it
    /// writes over a value that appeared since it looked), so two first writers of one key
    /// could both win and one's write be lost (an index entry, a name claimed twice). Here
    /// writers first claim the key with an atomic increment by the time: the one that found
    /// the claim empty writes; the others give their increment back and answer "lost", and
    /// read again, finding the key once it is written.
    fn create(&self, key: &str, new: &[u8]) -> Result<bool, KvError> {
        let claim = claim_key(key);
        let now = (nodetool_edge::host::Clock::now_micros(self) / 1_000_000).max(1);
        let n = atomics::increment(&self.kept.bucket, &claim, now).map_err(wasi_kv_error)?;
        if n != now {
            atomics::increment(&self.kept.bucket, &claim, -now).map_err(wasi_kv_error)?;
            let held_since = n - now;
            if now - held_since < CLAIM_STALE_SECS
                || self.kept.store.exists(key).map_err(kv_error)?
                || !self.take_over(&claim, now)?
            {
                return Ok(false);
            }
        }
        if self.kept.store.exists(key).map_err(kv_error)? {
            return Ok(false);
        }
        self.kept.store.set(key, new).map_err(kv_error)?;
        Ok(true)
    }

    /// Takes a stale claim over by compare-and-swap (from a value, which every store does
    /// atomically), so of several takers one wins.
    fn take_over(&self, claim: &str, now: i64) -> Result<bool, KvError> {
        let cas = atomics::Cas::new(&self.kept.bucket, claim).map_err(wasi_kv_error)?;
        let Some(old) = cas.current().map_err(wasi_kv_error)? else {
            return Ok(false);
        };
        match atomics::swap(cas, &counter_bytes(&old, now)) {
            Ok(()) => Ok(true),
            Err(atomics::CasError::CasFailed(_)) => Ok(false),
            Err(atomics::CasError::StoreError(e)) => Err(wasi_kv_error(e)),
        }
    }
}

fn kv_error(e: key_value::Error) -> KvError {
    KvError(format!("{e:?}"))
}

fn wasi_kv_error(e: wasi_store::Error) -> KvError {
    KvError(format!("{e:?}"))
}

impl KeyValue for SpinHost {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.kept.store.get(key).map_err(kv_error)
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Spin's SQLite store answers only the keys it found, in no set order.
        let mut found: std::collections::HashMap<String, Vec<u8>> =
            batch::get_many(&self.kept.bucket, keys)
                .map_err(wasi_kv_error)?
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect();
        Ok(keys.iter().map(|k| found.remove(k)).collect())
    }

    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.kept.store.set(key, value).map_err(kv_error)
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.kept.store.delete(key).map_err(kv_error)?;
        // A key made by `create` keeps a claim; deleting the key releases it, so the key can
        // be made again.
        self.kept.store.delete(&claim_key(key)).map_err(kv_error)
    }

    async fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        // Spin's interface lists every key; the prefix is applied here.
        let mut keys = self.kept.store.get_keys().map_err(kv_error)?;
        keys.retain(|k| k.starts_with(prefix));
        Ok(keys)
    }

    async fn swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> Result<bool, KvError> {
        if expected.is_none() {
            return self.create(key, new);
        }
        // `current` is where Spin's stores take the value the swap then expects (its SQLite
        // store reads it there, its Redis store watches the key), so it comes first even though
        // `expected` is known; a mismatch found there already is a failed swap.
        let cas = atomics::Cas::new(&self.kept.bucket, key).map_err(wasi_kv_error)?;
        if cas.current().map_err(wasi_kv_error)?.as_deref() != expected {
            return Ok(false);
        }
        match atomics::swap(cas, new) {
            Ok(()) => Ok(true),
            Err(atomics::CasError::CasFailed(_)) => Ok(false),
            Err(atomics::CasError::StoreError(e)) => Err(wasi_kv_error(e)),
        }
    }

    fn atomic_swap(&self) -> bool {
        true
    }

    fn chunk_source(&self) -> Option<Rc<dyn ChunkSource>> {
        Some(Rc::new(StoreChunks(self.kept.store.clone())))
    }
}

/// The store, for a body that reads its chunks as the client takes them.
struct StoreChunks(Rc<key_value::Store>);

impl ChunkSource for StoreChunks {
    fn get(&self, key: String) -> ChunkRead {
        // Spin's key-value calls return at once; the future is only the port's shape.
        Box::pin(std::future::ready(self.0.get(&key).map_err(kv_error)))
    }
}

impl Variables for SpinHost {
    async fn variable(&self, name: &str) -> Option<String> {
        if let Some(bundled) = &self.kept.bundled {
            return bundled
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone());
        }
        // Spin variable names are lower case; an undefined one means unset.
        variables::get(&name.to_ascii_lowercase()).ok()
    }
}

impl Timer for SpinHost {
    async fn sleep(&self, ms: u64) {
        sleep_ms(ms).await
    }
}

/// Waits `ms` milliseconds without holding the instance: the executor waits on the clock's
/// pollable with everything else this request waits on.
async fn sleep_ms(ms: u64) {
    let ns = ms.saturating_mul(1_000_000);
    let deadline = wasi::clocks::monotonic_clock::now().saturating_add(ns);
    let mut waiting = None;
    std::future::poll_fn(move |cx| {
        if wasi::clocks::monotonic_clock::now() >= deadline {
            return Poll::Ready(());
        }
        // The token drops the registration with the future.
        let pollable = wasi::clocks::monotonic_clock::subscribe_instant(deadline);
        let token = spin_executor::push_waker_and_get_token(pollable, cx.waker().clone());
        drop(waiting.replace(spin_executor::CancelOnDropToken::from(token)));
        Poll::Pending
    })
    .await
}

impl Clock for SpinHost {
    fn now_micros(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0)
    }
}

impl Entropy for SpinHost {
    fn fill(&self, buf: &mut [u8]) {
        // wasi:random's secure source, which every wasi:http host provides.
        let bytes = wasi::random::random::get_random_bytes(buf.len() as u64);
        buf.copy_from_slice(&bytes[..buf.len()]);
    }
}

/// Where the host maps the model cache into the component: the native runner preopens it
/// read-only; on Spin it is a `files` mount in spin.toml.
const MODEL_CACHE: &str = "/hf-cache";

impl ModelCache for SpinHost {
    fn model_cache_size(&self) -> Option<Result<u64, String>> {
        let root = std::path::Path::new(MODEL_CACHE);
        if !root.is_dir() {
            return None;
        }
        Some(regular_file_bytes(root).map_err(|e| e.to_string()))
    }
}

/// Bytes of the regular files below `root`, without following symbolic links (Hugging Face's
/// snapshots link to blobs, which are counted once, where they are).
fn regular_file_bytes(root: &std::path::Path) -> std::io::Result<u64> {
    let mut total = 0u64;
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let meta = std::fs::symlink_metadata(entry.path())?;
            if meta.is_dir() {
                pending.push(entry.path());
            } else if meta.is_file() {
                total = total.saturating_add(meta.len());
            }
        }
    }
    Ok(total)
}

impl Logger for SpinHost {
    fn log(&self, line: &str) {
        match &self.request_id {
            Some(id) => eprintln!("request_id={id} {line}"),
            None => eprintln!("{line}"),
        }
    }
}

/// The request's `X-Request-Id` (the native runner always sets one), when it is a plain token
/// that can go into a log line as it is.
fn request_id(req: &IncomingRequest) -> Option<String> {
    let values = req.headers().get("x-request-id");
    let raw = values.first()?;
    let id = std::str::from_utf8(raw).ok()?;
    let plain = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
    plain.then(|| id.to_string())
}

/// A stream of body pieces from wasi:http as an `http_body::Body`.
struct StreamBody<S: ?Sized>(Pin<Box<S>>);

impl<S, E> http_body::Body for StreamBody<S>
where
    S: Stream<Item = Result<Vec<u8>, E>> + ?Sized,
{
    type Data = Bytes;
    type Error = E;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, E>>> {
        self.0
            .as_mut()
            .poll_next(cx)
            .map(|piece| piece.map(|r| r.map(|v| Frame::data(Bytes::from(v)))))
    }
}

/// The answer body of an outgoing request. It owns the response, since wasi:http 0.2 abandons
/// the request upstream when the response is dropped; so does dropping this body. The fields
/// drop in order: the body's stream before the response it belongs to.
pub struct SpinBody {
    stream: StreamBody<dyn Stream<Item = Result<Vec<u8>, OutboundError>>>,
    _response: types::IncomingResponse,
}

impl http_body::Body for SpinBody {
    type Data = Bytes;
    type Error = OutboundError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, OutboundError>>> {
        Pin::new(&mut self.stream).poll_frame(cx)
    }
}

fn outbound_error(e: types::ErrorCode) -> OutboundError {
    use types::ErrorCode as E;
    match e {
        E::HttpRequestDenied => OutboundError::Denied,
        E::ConnectionTimeout | E::ConnectionReadTimeout => OutboundError::Timeout,
        E::DnsTimeout
        | E::DnsError(_)
        | E::DestinationNotFound
        | E::DestinationUnavailable
        | E::DestinationIpProhibited
        | E::DestinationIpUnroutable
        | E::ConnectionRefused
        | E::TlsProtocolError
        | E::TlsCertificateError
        | E::TlsAlertReceived(_) => OutboundError::Unreachable(format!("{e:?}")),
        other => OutboundError::Failed(format!("{other:?}")),
    }
}

/// Why an answer's body stopped. wasi:http should say through the stream's error
/// (`http-error-code`), but wasmtime's 0.2 hosts (our runner, Spin) keep their own error type
/// there and answer none; their text then tells a stall past the between-bytes timeout
/// ("connection read timeout") from other failures.
fn body_error(e: &wasi::io::error::Error) -> OutboundError {
    if let Some(code) = types::http_error_code(e) {
        return outbound_error(code);
    }
    let text = e.to_debug_string();
    if text.to_ascii_lowercase().contains("timeout") {
        OutboundError::Timeout
    } else {
        OutboundError::Failed(text)
    }
}

fn method_of(m: &http::Method) -> Method {
    match *m {
        http::Method::GET => Method::Get,
        http::Method::POST => Method::Post,
        http::Method::PUT => Method::Put,
        http::Method::DELETE => Method::Delete,
        http::Method::PATCH => Method::Patch,
        http::Method::HEAD => Method::Head,
        http::Method::OPTIONS => Method::Options,
        _ => Method::Other(m.to_string()),
    }
}

/// The head of an outgoing request: method, URL, headers (with the body's length, so an
/// upstream that needs one gets it) and the timeouts.
fn outgoing_request(request: &OutboundRequest) -> Result<types::OutgoingRequest, OutboundError> {
    let head = request
        .builder()
        .body(())
        .map_err(|e| OutboundError::Failed(e.to_string()))?;
    let mut fields: Vec<(String, Vec<u8>)> = head
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
        .collect();
    if !request.body.is_empty() || request.method != http::Method::GET {
        fields.push((
            "content-length".into(),
            request.body.len().to_string().into_bytes(),
        ));
    }
    let headers = types::Fields::from_list(&fields)
        .map_err(|e| OutboundError::Failed(format!("outbound headers: {e:?}")))?;
    let out = types::OutgoingRequest::new(headers);
    let uri = head.uri();
    let scheme = match uri.scheme_str() {
        Some("https") => types::Scheme::Https,
        Some("http") => types::Scheme::Http,
        _ => return Err(OutboundError::Failed("outbound URL has no scheme".into())),
    };
    let failed = |what: &str| OutboundError::Failed(format!("outbound request {what}"));
    out.set_method(&method_of(head.method()))
        .map_err(|()| failed("method"))?;
    out.set_scheme(Some(&scheme))
        .map_err(|()| failed("scheme"))?;
    out.set_authority(uri.authority().map(|a| a.as_str()))
        .map_err(|()| failed("authority"))?;
    out.set_path_with_query(uri.path_and_query().map(|p| p.as_str()))
        .map_err(|()| failed("path"))?;
    Ok(out)
}

/// Waits for the answer to a request sent through wasi:http's outgoing handler.
async fn response_of(
    pending: types::FutureIncomingResponse,
) -> Result<types::IncomingResponse, types::ErrorCode> {
    let mut waiting = None;
    std::future::poll_fn(move |cx| match pending.get() {
        Some(Ok(answer)) => Poll::Ready(answer),
        Some(Err(())) => Poll::Ready(Err(types::ErrorCode::InternalError(Some(
            "the response was already taken".into(),
        )))),
        None => {
            // The token unregisters the waker when this future is dropped.
            let token =
                spin_executor::push_waker_and_get_token(pending.subscribe(), cx.waker().clone());
            drop(waiting.replace(spin_executor::CancelOnDropToken::from(token)));
            Poll::Pending
        }
    })
    .await
}

impl Outbound for SpinHost {
    type Body = SpinBody;

    async fn send(
        &self,
        request: OutboundRequest,
    ) -> Result<http::Response<SpinBody>, OutboundError> {
        let outgoing = outgoing_request(&request)?;
        let options = types::RequestOptions::new();
        let ns = |ms: u32| Some(u64::from(ms) * 1_000_000);
        // A host that does not support a timeout keeps its own default.
        let _ = options.set_connect_timeout(ns(request.connect_timeout_ms));
        let _ = options.set_first_byte_timeout(ns(request.idle_timeout_ms));
        let _ = options.set_between_bytes_timeout(ns(request.idle_timeout_ms));
        let mut sink = outgoing.take_body();
        let pending = outgoing_handler::handle(outgoing, Some(options)).map_err(outbound_error)?;
        if !request.body.is_empty() {
            sink.send(request.body)
                .await
                .map_err(|e| OutboundError::Failed(format!("sending the body: {e}")))?;
        }
        // Dropping the sink finishes the body.
        drop(sink);
        let response = response_of(pending).await.map_err(outbound_error)?;
        let mut builder = http::Response::builder().status(response.status());
        for (name, value) in response.headers().entries() {
            builder = builder.header(name, value);
        }
        let stream = response
            .take_body_stream()
            .map(|piece| piece.map_err(|e| body_error(&e)));
        builder
            .body(SpinBody {
                stream: StreamBody(Box::pin(stream)),
                _response: response,
            })
            .map_err(|e| OutboundError::Failed(e.to_string()))
    }
}

/// The request as the core takes it: method, path and query, headers, and the body as a
/// stream (storage uploads are read piece by piece).
fn core_request(
    req: IncomingRequest,
) -> Result<http::Request<impl http_body::Body<Data = Bytes>>, http::Error> {
    let mut builder = http::Request::builder()
        .method(req.method().to_string().as_str())
        .uri(req.path_with_query().unwrap_or_else(|| "/".into()));
    let mut has_host = false;
    let mut client = None;
    for (name, value) in req.headers().entries() {
        has_host |= name.eq_ignore_ascii_case("host");
        if name.eq_ignore_ascii_case(CLIENT_ADDR) {
            client = client_addr(&value);
        }
        builder = builder.header(name, value);
    }
    // wasi:http hosts hand the Host header over as the request's authority.
    if !has_host && let Some(authority) = req.authority() {
        builder = builder.header(http::header::HOST, authority);
    }
    if let Some(client) = client {
        builder = builder.extension(client);
    }
    builder.body(StreamBody(Box::pin(req.into_body_stream())))
}

/// The header in which Spin, and the native runner, give the client's address (`ip:port`),
/// replacing any a client sent.
const CLIENT_ADDR: &str = "spin-client-addr";

fn client_addr(value: &[u8]) -> Option<ClientAddr> {
    let text = std::str::from_utf8(value).ok()?;
    let addr = text.parse::<std::net::SocketAddr>().ok()?;
    Some(ClientAddr(addr.ip()))
}

/// Sends the core's answer. A head-only answer (HEAD, or no body) never opens a body, so the
/// `Content-Length` the core set stands on its own; a whole body goes out through
/// [`send_whole`], a stream piece by piece as it arrives.
async fn respond(resp: http::Response<nodetool_edge::Body<'_>>, out: ResponseOutparam) {
    let (parts, body) = resp.into_parts();
    let fields: Vec<(String, Vec<u8>)> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
        .collect();
    let headers = match types::Fields::from_list(&fields) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("response headers refused by the host: {e:?}");
            types::Fields::new()
        }
    };
    let response = types::OutgoingResponse::new(headers);
    let _ = response.set_status_code(parts.status.as_u16());
    if http_body::Body::is_end_stream(&body) {
        out.set(response);
        return;
    }
    let mut body = match body {
        nodetool_edge::Body::Full(data) => return send_whole(response, out, &data),
        stream => stream,
    };
    let mut sink = response.take_body();
    out.set(response);
    while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
        let Ok(frame) = frame;
        if let Ok(data) = frame.into_data()
            && !data.is_empty()
            // A uniquely held piece (a stored chunk) becomes the Vec without a copy.
            && sink.send(Vec::from(data)).await.is_err()
        {
            // The client went away; dropping the body stops the work behind it.
            return;
        }
    }
}

/// A whole body goes into the host's buffer before the head is handed over, so the host has
/// both at once and writes them in one segment. Handing the head over first makes it go out
/// alone, and on a kept-alive connection in a host that leaves TCP_NODELAY off (Spin) the body
/// then waits for the client's delayed ACK: about 20 ms per request. What does not fit in the
/// host's buffer follows once the head is out.
fn send_whole(response: types::OutgoingResponse, out: ResponseOutparam, data: &[u8]) {
    let (Ok(body), mut rest) = (response.body(), data) else {
        out.set(response);
        return;
    };
    let Ok(stream) = body.write() else {
        out.set(response);
        return;
    };
    if let Ok(room) = stream.check_write() {
        let first = rest.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        if first > 0 && stream.write(&rest[..first]).is_ok() {
            rest = &rest[first..];
        }
    }
    if rest.is_empty() {
        drop(stream);
        let _ = types::OutgoingBody::finish(body, None);
        out.set(response);
        return;
    }
    out.set(response);
    while !rest.is_empty() {
        match stream.check_write() {
            Ok(0) => stream.subscribe().block(),
            Ok(room) => {
                let n = rest.len().min(usize::try_from(room).unwrap_or(usize::MAX));
                if stream.write(&rest[..n]).is_err() {
                    return;
                }
                rest = &rest[n..];
            }
            // The client went away.
            Err(_) => return,
        }
    }
    drop(stream);
    let _ = types::OutgoingBody::finish(body, None);
}

/// The store's label in spin.toml; `open_default` opens it through Spin's own interface.
const STORE_LABEL: &str = "default";

/// Waits before each new attempt to open the store, in milliseconds (about 0.3 s in all).
const OPEN_RETRY_MS: [u64; 5] = [10, 20, 40, 80, 160];

/// Opens the store through both interfaces. Spin's SQLite store (its default) opens its one
/// connection when the first request asks; requests that arrive together before that each
/// open a connection and create its table, and all but one can find the database locked.
/// Once one has opened it every open succeeds, so a failure that is neither a missing store
/// nor a denial is tried again after a short wait: the first answers of a fresh `spin up`
/// under concurrent requests come a little later instead of as 503s.
async fn open_store() -> Result<(key_value::Store, wasi_store::Bucket), String> {
    let mut waits = OPEN_RETRY_MS.iter();
    loop {
        let opened = match key_value::Store::open_default() {
            Ok(store) => wasi_store::open(STORE_LABEL)
                .map(|bucket| (store, bucket))
                .map_err(|e| (matches!(e, wasi_store::Error::Other(_)), format!("{e:?}"))),
            Err(e) => Err((matches!(e, key_value::Error::Other(_)), format!("{e:?}"))),
        };
        match (opened, waits.next()) {
            (Ok(both), _) => return Ok(both),
            (Err((true, _)), Some(ms)) => sleep_ms(*ms).await,
            (Err((_, e)), _) => return Err(e),
        }
    }
}

/// What an instance keeps between the requests it serves: the store's two handles and the
/// bundled variables. The native runner's warm instances serve many requests, and opening
/// the store (two host calls) and parsing the bundle were a measurable part of a small one;
/// the runner fixes the bundle at start-up, so it cannot change under a kept copy. Spin
/// starts a fresh instance per request, so there this lives for one request. A trap ends
/// the instance and what it kept with it. Nothing about a request or its caller is kept.
struct Kept {
    /// Shared with the bodies of stored objects, which read their chunks after `handle`
    /// returned.
    store: Rc<key_value::Store>,
    /// The same store through `wasi:keyvalue`, whose `atomics` give compare-and-swap, which
    /// Spin's own key-value interface lacks.
    bucket: wasi_store::Bucket,
    /// Every variable at once, when the host hands them over bundled (the native runner does).
    bundled: Option<Vec<(String, String)>>,
}

thread_local! {
    static KEPT: std::cell::RefCell<Option<Rc<Kept>>> = const { std::cell::RefCell::new(None) };
}

/// The kept handles and variables, opening and reading them on an instance's first request.
/// A failed open is not kept: the next request tries again.
async fn kept() -> Result<Rc<Kept>, String> {
    if let Some(kept) = KEPT.with_borrow(|k| k.clone()) {
        return Ok(kept);
    }
    let (store, bucket) = open_store().await?;
    // Only a bundle is kept: without one (Spin) each name is read per request, as Spin's
    // variable providers answer it.
    let bundled = variables::get(BUNDLED_VARIABLE)
        .ok()
        .and_then(|text| unbundle_variables(&text));
    let kept = Rc::new(Kept {
        store: Rc::new(store),
        bucket,
        bundled,
    });
    KEPT.with_borrow_mut(|k| *k = Some(kept.clone()));
    Ok(kept)
}

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let kept = match kept().await {
        Ok(kept) => kept,
        Err(e) => {
            eprintln!("key-value store '{STORE_LABEL}' could not be opened: {e}");
            let resp = nodetool_edge::http::error::ApiError::Unavailable(
                "Storage is unavailable, try again later",
            )
            .into_response()
            .map(nodetool_edge::Body::from);
            return respond(nodetool_edge::with_content_length(resp), out).await;
        }
    };
    let host = SpinHost {
        kept,
        request_id: request_id(&req),
    };
    let resp = match core_request(req) {
        Ok(req) => nodetool_edge::handle(req, &host).await,
        Err(e) => {
            eprintln!("request not representable: {e}");
            let resp = nodetool_edge::http::error::ApiError::BadRequest("Malformed request".into())
                .into_response()
                .map(nodetool_edge::Body::from);
            nodetool_edge::with_content_length(resp)
        }
    };
    respond(resp, out).await;
}
