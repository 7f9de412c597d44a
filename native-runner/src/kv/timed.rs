//! A backend that reports how long each operation took to the metrics.

use std::sync::Arc;
use std::time::Instant;

use super::{KvBackend, KvBackendError};
use crate::metrics::Metrics;

pub struct TimedKv {
    inner: Arc<dyn KvBackend>,
    metrics: Arc<Metrics>,
}

impl TimedKv {
    pub fn new(inner: Arc<dyn KvBackend>, metrics: Arc<Metrics>) -> TimedKv {
        TimedKv { inner, metrics }
    }

    fn timed<R>(&self, op: &'static str, f: impl FnOnce(&dyn KvBackend) -> R) -> R {
        let started = Instant::now();
        let out = f(&*self.inner);
        self.metrics.kv_operation(op, started.elapsed());
        out
    }
}

impl KvBackend for TimedKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvBackendError> {
        self.timed("get", |b| b.get(key))
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvBackendError> {
        self.timed("get_many", |b| b.get_many(keys))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvBackendError> {
        self.timed("set", |b| b.set(key, value))
    }

    fn delete(&self, key: &str) -> Result<(), KvBackendError> {
        self.timed("delete", |b| b.delete(key))
    }

    fn exists(&self, key: &str) -> Result<bool, KvBackendError> {
        self.timed("exists", |b| b.exists(key))
    }

    fn keys(&self) -> Result<Vec<String>, KvBackendError> {
        self.timed("keys", |b| b.keys())
    }

    fn swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> Result<bool, KvBackendError> {
        self.timed("swap", |b| b.swap(key, expected, new))
    }

    fn reads_block(&self) -> bool {
        self.inner.reads_block()
    }
}
