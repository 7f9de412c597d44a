//! Key-value backends behind Spin's key-value interface. Plain blocking traits with no wasm
//! types in them, so another backend (Redis, later) slots in beside SQLite.

pub mod sqlite;

use std::fmt;

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
    /// Durable when it returns: a SIGKILL right after loses nothing.
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvBackendError>;
    fn delete(&self, key: &str) -> Result<(), KvBackendError>;
    fn exists(&self, key: &str) -> Result<bool, KvBackendError>;
    fn keys(&self) -> Result<Vec<String>, KvBackendError>;
}
