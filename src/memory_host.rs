//! An in-memory host for the core's own unit tests and the fuzz targets (the black-box suite
//! uses real hosts).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

use crate::host::{Clock, Entropy, KeyValue, KvError, Logger, Timer, Variables};

#[derive(Default)]
pub struct MemoryHost {
    pub kv: RefCell<BTreeMap<String, Vec<u8>>>,
    pub vars: HashMap<String, String>,
    pub clock: Cell<i64>,
    pub counter: Cell<u8>,
    pub logs: RefCell<Vec<String>>,
    /// Canned answers by URL; any other URL is denied.
    pub outbound: RefCell<HashMap<String, crate::host::OutboundResponse>>,
    /// Milliseconds waited so far.
    pub slept: Cell<u64>,
}

impl MemoryHost {
    pub fn with_vars(pairs: &[(&str, &str)]) -> Self {
        MemoryHost {
            vars: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            clock: Cell::new(1_700_000_000_000_000),
            ..Default::default()
        }
    }
}

impl KeyValue for MemoryHost {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.kv.borrow().get(key).cloned())
    }
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.kv.borrow_mut().insert(key.to_string(), value.to_vec());
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.kv.borrow_mut().remove(key);
        Ok(())
    }
    async fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        Ok(self
            .kv
            .borrow()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
    async fn swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> Result<bool, KvError> {
        // One thread, no await between the read and the write: atomic.
        let mut kv = self.kv.borrow_mut();
        if kv.get(key).map(Vec::as_slice) != expected {
            return Ok(false);
        }
        kv.insert(key.to_string(), new.to_vec());
        Ok(true)
    }
    fn atomic_swap(&self) -> bool {
        true
    }
}

impl Variables for MemoryHost {
    async fn variable(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
}

/// Waiting moves the clock on instead of waiting; what was waited for is recorded.
impl Timer for MemoryHost {
    async fn sleep(&self, ms: u64) {
        self.slept.set(self.slept.get() + ms);
        self.clock
            .set(self.clock.get() + i64::try_from(ms).unwrap_or(i64::MAX / 2) * 1000);
    }
}

impl Clock for MemoryHost {
    fn now_micros(&self) -> i64 {
        // Each reading advances a second, so updates order deterministically.
        let t = self.clock.get();
        self.clock.set(t + 1_000_000);
        t
    }
}

impl Entropy for MemoryHost {
    fn fill(&self, buf: &mut [u8]) {
        let c = self.counter.get().wrapping_add(1);
        self.counter.set(c);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = c.wrapping_mul(31).wrapping_add(i as u8) | 0x40;
        }
    }
}

impl crate::host::ModelCache for MemoryHost {
    fn model_cache_size(&self) -> Option<Result<u64, String>> {
        None
    }
}

impl Logger for MemoryHost {
    fn log(&self, line: &str) {
        self.logs.borrow_mut().push(line.to_string());
    }
}

impl crate::host::Outbound for MemoryHost {
    type Body = http_body_util::Full<bytes::Bytes>;

    async fn send(
        &self,
        request: crate::host::OutboundRequest,
    ) -> Result<http::Response<Self::Body>, crate::host::OutboundError> {
        let canned = self
            .outbound
            .borrow()
            .get(&request.url)
            .cloned()
            .ok_or(crate::host::OutboundError::Denied)?;
        let mut resp = http::Response::new(http_body_util::Full::new(canned.body.into()));
        *resp.status_mut() = http::StatusCode::from_u16(canned.status).expect("a valid status");
        Ok(resp)
    }
}

/// A change another writer makes to the in-memory store.
#[cfg(test)]
pub type OtherWrite = Box<dyn FnOnce(&MemoryHost)>;

/// A [`MemoryHost`] with one trait of another store, for code that must cope with it: its
/// reads and prefix listings counted (on Spin each one reads every key of the store), listings native
/// (Workers KV reads only the keys asked for), or another writer's change landing just before
/// the first compare-and-swap.
#[cfg(test)]
#[derive(Default)]
pub struct Watched {
    pub inner: MemoryHost,
    /// Prefix listings so far.
    pub listings: Cell<usize>,
    /// Calls that read the store (`get` and `get_many` each count once).
    pub reads: Cell<usize>,
    pub native_listing: bool,
    /// Keys written with `set_listed` while listing natively: their listing carries their
    /// values, as Workers KV's metadata does.
    pub listed: RefCell<std::collections::BTreeSet<String>>,
    /// Runs on the inner store before the first swap.
    pub before_first_swap: RefCell<Option<OtherWrite>>,
}

/// The value of a future on the in-memory store, which never waits: for hooks that run inside
/// a future already being polled (where an executor cannot be entered again).
#[cfg(test)]
pub fn at_once<F: std::future::Future>(f: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(f).poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the in-memory store never waits"),
    }
}

#[cfg(test)]
impl Watched {
    pub fn new() -> Watched {
        Watched {
            inner: MemoryHost::with_vars(&[]),
            ..Watched::default()
        }
    }

    /// Listing natively, as Workers KV.
    pub fn native() -> Watched {
        Watched {
            native_listing: true,
            ..Watched::new()
        }
    }

    /// With `other`'s write landing between a writer's first read and its first swap.
    pub fn raced(other: impl FnOnce(&MemoryHost) + 'static) -> Watched {
        let w = Watched::new();
        *w.before_first_swap.borrow_mut() = Some(Box::new(other));
        w
    }
}

#[cfg(test)]
impl KeyValue for Watched {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.reads.set(self.reads.get() + 1);
        self.inner.get(key).await
    }
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        self.reads.set(self.reads.get() + 1);
        self.inner.get_many(keys).await
    }
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.listed.borrow_mut().remove(key);
        self.inner.set(key, value).await
    }
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.listed.borrow_mut().remove(key);
        self.inner.delete(key).await
    }
    async fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        self.listings.set(self.listings.get() + 1);
        self.inner.list_prefix(prefix).await
    }
    async fn set_listed(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.inner.set(key, value).await?;
        if self.native_listing {
            self.listed.borrow_mut().insert(key.to_string());
        }
        Ok(())
    }
    async fn list_with_values(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, KvError> {
        let mut out = Vec::new();
        for key in self.list_prefix(prefix).await? {
            let carried = if self.listed.borrow().contains(&key) {
                self.inner.get(&key).await?
            } else {
                None
            };
            out.push((key, carried));
        }
        Ok(out)
    }
    async fn swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> Result<bool, KvError> {
        let other = self.before_first_swap.borrow_mut().take();
        if let Some(other) = other {
            other(&self.inner);
        }
        self.inner.swap(key, expected, new).await
    }
    fn atomic_swap(&self) -> bool {
        true
    }
    fn lists_prefix_natively(&self) -> bool {
        self.native_listing
    }
}

#[cfg(test)]
impl Clock for Watched {
    fn now_micros(&self) -> i64 {
        self.inner.now_micros()
    }
}

#[cfg(test)]
impl Entropy for Watched {
    fn fill(&self, buf: &mut [u8]) {
        self.inner.fill(buf)
    }
}
