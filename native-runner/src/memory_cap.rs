//! The linear-memory cap of one instance. A refused growth is recorded against the request
//! that asked for it, so the trap that usually follows is answered as "memory limit", and
//! the instance is never used again (a guest that survives a failed allocation may be in any
//! state).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wasmtime::ResourceLimiter;

use crate::request_trace::{LimitHit, RequestTrace};

/// Component and core instances one store may create (the component has a handful).
const MAX_INSTANCES: usize = 64;

pub struct MemoryCap {
    max_bytes: usize,
    pub trace: Option<Arc<RequestTrace>>,
    discard: Arc<AtomicBool>,
}

impl MemoryCap {
    pub fn new(max_bytes: usize, discard: Arc<AtomicBool>) -> MemoryCap {
        MemoryCap {
            max_bytes,
            trace: None,
            discard,
        }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.max_bytes && maximum.is_none_or(|m| desired <= m);
        if !allowed {
            self.discard.store(true, Ordering::Relaxed);
            if let Some(t) = &self.trace {
                t.hit(LimitHit::Memory);
            }
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(maximum.is_none_or(|m| desired <= m))
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }
}
