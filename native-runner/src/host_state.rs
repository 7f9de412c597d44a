//! Per-request store state: everything the guest may touch, owned by the host and exposed to
//! the bindings through small views (the wasmtime `serve` habit).

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::cpu_meter::CpuMeter;
use crate::key_value_host::KvView;
use crate::kv::KvBackend;
use crate::model_cache::GUEST_PATH;
use crate::outbound::{AllowList, OutboundPolicy};
use crate::variables_host::VariablesView;

/// What every request shares: the store backend and the validated variables.
pub struct SharedHost {
    pub kv: Arc<dyn KvBackend>,
    pub variables: Arc<HashMap<String, String>>,
    pub memory_limit_bytes: usize,
    /// The model cache directory, when it existed at start-up; mapped read-only.
    pub model_cache: Option<std::path::PathBuf>,
    /// Origins the component may call.
    pub outbound: Arc<AllowList>,
}

pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    outbound: OutboundPolicy,
    table: ResourceTable,
    kv: Arc<dyn KvBackend>,
    variables: Arc<HashMap<String, String>>,
    limits: StoreLimits,
    pub cpu: CpuMeter,
}

impl HostState {
    /// Built in one place for every request: no environment, no sockets, no directory but
    /// the model cache (read-only); stdout and stderr go to the runner's own.
    pub fn new(shared: &SharedHost, cpu_budget: std::time::Duration) -> HostState {
        let mut builder = WasiCtx::builder();
        builder.inherit_stdout().inherit_stderr();
        if let Some(dir) = &shared.model_cache {
            // A cache removed while running is simply absent (the component reports 0).
            let _ = builder.preopened_dir(dir, GUEST_PATH, FsPerms::ReadOnly);
        }
        let wasi = builder.build();
        HostState {
            wasi,
            http: WasiHttpCtx::new(),
            outbound: OutboundPolicy {
                allowed: shared.outbound.clone(),
            },
            table: ResourceTable::new(),
            kv: shared.kv.clone(),
            variables: shared.variables.clone(),
            limits: StoreLimitsBuilder::new()
                .memory_size(shared.memory_limit_bytes)
                .instances(64)
                .build(),
            cpu: CpuMeter::new(cpu_budget),
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
