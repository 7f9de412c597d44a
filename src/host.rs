//! Ports: the only ways the core touches the world. Each host (Spin, Cloudflare, the native
//! runner through the component) implements these; the core never does I/O of its own.

use std::fmt;

/// A failure of the host's key-value store. The message is for the server log only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvError(pub String);

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key-value store error: {}", self.0)
    }
}

impl std::error::Error for KvError {}

/// The most keys one [`KeyValue::get_many`] asks for: a bound on what one call holds in memory
/// (records are small; Spin refuses a batch answer over 128 MiB).
pub const GET_MANY_MAX: usize = 64;

/// Persistent state: Spin key-value, Workers KV, or SQLite behind the native runner.
#[allow(async_fn_in_trait)] // hosts are single-threaded wasm; futures need not be Send
pub trait KeyValue {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    /// The values of `keys` (distinct), in the same order (`None` for a missing key). Callers
    /// ask for at most [`GET_MANY_MAX`] keys at a time. Hosts that can read many keys in one call (Spin's
    /// `wasi:keyvalue/batch`, one SQLite transaction, one Redis `MGET`) do; a page of a listing
    /// is then one read instead of one per item. This default reads them one by one.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.get(key).await?);
        }
        Ok(out)
    }
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Deleting a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), KvError>;
    /// Every key starting with `prefix`, in no particular order. On Spin this reads every key
    /// of the store, so request paths use index records (`store::index`) instead.
    async fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError>;

    /// Writes a small value that [`KeyValue::list_with_values`] can answer beside its key (an
    /// index item). A host whose listing carries a little data per key (Workers KV's metadata,
    /// at most 1 KiB) keeps a copy there, so reading an index costs its listing alone instead
    /// of one read per item. The default is [`KeyValue::set`].
    async fn set_listed(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.set(key, value).await
    }

    /// The keys starting with `prefix`, each with its value where the listing itself carried
    /// it (written by [`KeyValue::set_listed`] on a host that keeps such copies); `None`: read
    /// it with `get`. The default is [`KeyValue::list_prefix`] without values.
    async fn list_with_values(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, KvError> {
        let keys = self.list_prefix(prefix).await?;
        Ok(keys.into_iter().map(|k| (k, None)).collect())
    }

    /// Writes `new` at `key` only while the key still holds `expected` (`None`: absent), and
    /// says whether it did. `Ok(false)`: another writer got there first; read again and retry.
    /// Hosts with compare-and-swap (Spin's and the native runner's `wasi:keyvalue/atomics`)
    /// do this atomically. This default reads and then writes, so a concurrent writer can slip
    /// in between: Workers KV has no atomic operation (see `atomic_swap`).
    async fn swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> Result<bool, KvError> {
        if self.get(key).await?.as_deref() != expected {
            return Ok(false);
        }
        self.set(key, new).await?;
        Ok(true)
    }

    /// Whether [`KeyValue::swap`] is atomic on this host.
    fn atomic_swap(&self) -> bool {
        false
    }

    /// Whether [`KeyValue::list_prefix`] reads only the keys under the prefix (Workers KV),
    /// rather than every key of the store (Spin's interface). Where it does, index records are
    /// kept one key per item instead of one record per owner (see `store::index`).
    fn lists_prefix_natively(&self) -> bool {
        false
    }

    /// The most store operations one request may make, where the platform limits them
    /// (Workers KV: 1,000 per invocation); `None`: no such limit.
    fn operations_per_request(&self) -> Option<usize> {
        None
    }

    /// A handle on the same store that an answer's body may keep after the handler has
    /// returned, so a large stored object goes out chunk by chunk as the client reads it
    /// instead of whole. `None` (the default): objects are read whole.
    fn chunk_source(&self) -> Option<std::rc::Rc<dyn ChunkSource>> {
        None
    }
}

/// One value read by a [`ChunkSource`], as a future the body can keep.
pub type ChunkRead = std::pin::Pin<Box<dyn Future<Output = Result<Option<Vec<u8>>, KvError>>>>;

/// Reads single values for a body that streams after its request was answered (see
/// [`KeyValue::chunk_source`]).
pub trait ChunkSource {
    fn get(&self, key: String) -> ChunkRead;
}

/// Configuration values by their canonical (upper-case) name: Spin variables, Workers
/// vars/secrets, or the native runner's environment. `None` means unset.
#[allow(async_fn_in_trait)]
pub trait Variables {
    async fn variable(&self, name: &str) -> Option<String>;
}

/// Wall-clock time. Workers have no usable `SystemTime`, so time is a port.
pub trait Clock {
    /// Microseconds since the Unix epoch, UTC.
    fn now_micros(&self) -> i64;
}

/// Waiting inside a request: a provider's task polled until it is done (kie.ai). Each host
/// waits with its own timer (a `wasi:clocks` pollable on Spin and the runner, a JavaScript
/// timeout on Workers) so the instance sits idle meanwhile instead of spinning.
#[allow(async_fn_in_trait)]
pub trait Timer {
    async fn sleep(&self, ms: u64);
}

/// Cryptographically secure randomness from the platform.
pub trait Entropy {
    fn fill(&self, buf: &mut [u8]);
}

/// The server log. Callers never pass secrets here (see `token::mask`).
pub trait Logger {
    fn log(&self, line: &str);
}

/// The model cache (Hugging Face's hub directory) as far as the host exposes it: the native
/// runner maps it read-only into the component, Spin can mount it, Workers have none.
pub trait ModelCache {
    /// Total bytes of the regular files in the cache (symbolic links are not followed, so
    /// Hugging Face's snapshot links do not count their blobs twice); `None` when this host
    /// exposes no model cache. The error text is for the server log only.
    fn model_cache_size(&self) -> Option<Result<u64, String>>;
}

/// One outbound HTTP request. The core only ever calls URLs built from its configuration
/// (never from request input), and hosts may refuse any URL they were not told to allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub method: http::Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// For opening the connection.
    pub connect_timeout_ms: u32,
    /// For the first byte of the answer, and then between any two pieces of its body: a
    /// streamed answer may run for as long as it keeps arriving.
    pub idle_timeout_ms: u32,
}

impl OutboundRequest {
    /// The method, URL and headers as an `http` request builder; hosts add their options and
    /// the body.
    pub fn builder(&self) -> http::request::Builder {
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(&self.url);
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        builder
    }
}

/// A whole (collected) answer; see [`crate::outbound::fetch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why an outbound request got no usable answer. Messages are for the server log only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundError {
    /// The host's allow-list does not include the URL.
    Denied,
    Timeout,
    TooLarge,
    /// No connection could be made (refused, unresolvable, TLS failure).
    Unreachable(String),
    Failed(String),
}

impl fmt::Display for OutboundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Denied => f.write_str("outbound request denied by the host's allow-list"),
            Self::Timeout => f.write_str("outbound request timed out"),
            Self::TooLarge => f.write_str("outbound response too large"),
            Self::Unreachable(e) => write!(f, "outbound connection failed: {e}"),
            Self::Failed(e) => write!(f, "outbound request failed: {e}"),
        }
    }
}

impl From<std::convert::Infallible> for OutboundError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// Outbound HTTP: wasi:http's outgoing handler (Spin, the native runner) or fetch (Workers).
/// The answer's body streams: the core reads it piece by piece (or collects it with a size
/// limit), and dropping it abandons the request upstream.
#[allow(async_fn_in_trait)]
pub trait Outbound {
    type Body: http_body::Body<Data = bytes::Bytes, Error: Into<OutboundError>> + 'static;

    async fn send(
        &self,
        request: OutboundRequest,
    ) -> Result<http::Response<Self::Body>, OutboundError>;
}

/// Everything a request may need from its host.
pub trait Host:
    KeyValue + Variables + Clock + Timer + Entropy + Logger + ModelCache + Outbound
{
}

impl<T: KeyValue + Variables + Clock + Timer + Entropy + Logger + ModelCache + Outbound> Host
    for T
{
}
