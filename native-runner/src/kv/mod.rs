//! Key-value backends behind Spin's key-value interface: plain blocking traits with no wasm
//! types in them. SQLite by default, Redis when a runtime-config file says so.

pub mod redis;
pub mod runtime_config;
pub mod sqlite;
pub mod timed;

use std::fmt;
use std::sync::Arc;

use nodetool_edge::host::{Clock, Entropy, KeyValue, KvError};

/// An opened store handle held by the guest: the resource behind
/// `fermyon:spin/key-value.store` (see `bindings`).
pub struct OpenStore {
    pub(crate) backend: Arc<dyn KvBackend>,
}

/// A compare-and-swap handle held by the guest: the resource behind `wasi:keyvalue/atomics.cas`.
/// It keeps the value the key held when it was made, which its swap expects to find still.
pub struct Cas {
    pub(crate) backend: Arc<dyn KvBackend>,
    pub(crate) key: String,
    pub(crate) current: Option<Vec<u8>>,
}

#[derive(Debug)]
pub struct KvBackendError(pub String);

impl fmt::Display for KvBackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KvBackendError {}

/// One labelled store. Calls block; the host runs them off the async executor.
pub trait KvBackend: Send + Sync + 'static {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvBackendError>;
    /// The values of `keys` in order, read together where the backend can (this default reads
    /// them one by one).
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvBackendError> {
        keys.iter().map(|k| self.get(k)).collect()
    }
    /// Durable when it returns: a SIGKILL right after loses nothing.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvBackendError>;
    fn delete(&self, key: &str) -> Result<(), KvBackendError>;
    fn exists(&self, key: &str) -> Result<bool, KvBackendError>;
    fn keys(&self) -> Result<Vec<String>, KvBackendError>;
    /// Writes `new` at `key` only if it holds `expected` (`None`: absent), as one atomic step
    /// against every other writer of the store, other processes included; says whether it
    /// wrote. Durable like `set` when it returns true.
    fn swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> Result<bool, KvBackendError>;
    /// Whether a read may wait long (on a network): then the host keeps it off the executor.
    fn reads_block(&self) -> bool {
        true
    }
}

/// A backend behind the core's own key-value port, for the commands that use the core's stores
/// directly on the local database (`users`, and `deploy` reading what to sync).
pub struct CoreKv<'a> {
    backend: &'a dyn KvBackend,
    writable: bool,
}

impl<'a> CoreKv<'a> {
    pub fn read_only(backend: &'a dyn KvBackend) -> Self {
        CoreKv {
            backend,
            writable: false,
        }
    }

    pub fn writable(backend: &'a dyn KvBackend) -> Self {
        CoreKv {
            backend,
            writable: true,
        }
    }

    fn check_writable(&self) -> Result<(), KvError> {
        if self.writable {
            Ok(())
        } else {
            Err(KvError("the local database is open read-only".into()))
        }
    }
}

impl KeyValue for CoreKv<'_> {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.backend.get(key).map_err(|e| KvError(e.to_string()))
    }
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        self.backend
            .get_many(keys)
            .map_err(|e| KvError(e.to_string()))
    }
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.check_writable()?;
        self.backend
            .set(key, value)
            .map_err(|e| KvError(e.to_string()))
    }
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.check_writable()?;
        self.backend.delete(key).map_err(|e| KvError(e.to_string()))
    }
    async fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        let keys = self.backend.keys().map_err(|e| KvError(e.to_string()))?;
        Ok(keys.into_iter().filter(|k| k.starts_with(prefix)).collect())
    }
    async fn swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> Result<bool, KvError> {
        self.check_writable()?;
        self.backend
            .swap(key, expected, new)
            .map_err(|e| KvError(e.to_string()))
    }
    fn atomic_swap(&self) -> bool {
        true
    }
}

impl Clock for CoreKv<'_> {
    fn now_micros(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0)
    }
}

impl Entropy for CoreKv<'_> {
    fn fill(&self, buf: &mut [u8]) {
        crate::OsEntropy.fill(buf);
    }
}
