//! Per-request store state: everything the guest may touch, owned by the host and exposed to
//! the bindings through small views (the wasmtime `serve` habit).

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::key_value_host::KvView;
use crate::kv::KvBackend;
use crate::outbound::OutboundPolicy;
use crate::variables_host::VariablesView;

/// What every request shares: the store backend and the validated variables.
pub struct SharedHost {
    pub kv: Arc<dyn KvBackend>,
    pub variables: Arc<HashMap<String, String>>,
    pub memory_limit_bytes: usize,
}

pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    outbound: OutboundPolicy,
    table: ResourceTable,
    kv: Arc<dyn KvBackend>,
    variables: Arc<HashMap<String, String>>,
    limits: StoreLimits,
}

impl HostState {
    /// Built in one place for every request: no preopened directories, no environment, no
    /// sockets; stdout and stderr go to the runner's own.
    pub fn new(shared: &SharedHost) -> HostState {
        let wasi = WasiCtx::builder().inherit_stdout().inherit_stderr().build();
        HostState {
            wasi,
            http: WasiHttpCtx::new(),
            outbound: OutboundPolicy,
            table: ResourceTable::new(),
            kv: shared.kv.clone(),
            variables: shared.variables.clone(),
            limits: StoreLimitsBuilder::new()
                .memory_size(shared.memory_limit_bytes)
                .instances(64)
                .build(),
        }
    }

    pub fn kv_view(&mut self) -> KvView<'_> {
        KvView {
            table: &mut self.table,
            backend: &self.kv,
        }
    }

    pub fn variables_view(&mut self) -> VariablesView<'_> {
        VariablesView {
            values: &self.variables,
        }
    }

    pub fn limiter(&mut self) -> &mut dyn ResourceLimiter {
        &mut self.limits
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}
