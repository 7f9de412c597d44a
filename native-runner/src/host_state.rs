//! Store state of one instance (which serves one request at a time; see `instances`):
//! everything the guest may touch, owned by the host and exposed to the bindings through small
//! views (the wasmtime `serve` habit).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::cpu_meter::{ComputePool, CpuMeter, SharedTurn};
use crate::key_value_host::KvView;
use crate::kv::KvBackend;
use crate::memory_cap::MemoryCap;
use crate::model_cache::GUEST_PATH;
use crate::outbound::{AllowList, OutboundPolicy};
use crate::request_trace::RequestTrace;
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
    /// Permits for guests that compute for long (see `cpu_meter`).
    pub compute: ComputePool,
}

pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    outbound: OutboundPolicy,
    table: ResourceTable,
    kv: Arc<dyn KvBackend>,
    variables: Arc<HashMap<String, String>>,
    memory: MemoryCap,
    pub cpu: CpuMeter,
    /// Requests this instance has started.
    served: u64,
}

impl HostState {
    /// Built in one place for every request: no environment, no sockets, no directory but
    /// the model cache (read-only); stdout and stderr go to the runner's own.
    /// `discard` is raised when the instance must not serve again (a limit was reached).
    pub fn new(
        shared: &SharedHost,
        cpu_budget: std::time::Duration,
        discard: Arc<AtomicBool>,
    ) -> HostState {
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
            memory: MemoryCap::new(shared.memory_limit_bytes, discard),
            cpu: CpuMeter::new(cpu_budget, shared.compute.clone(), SharedTurn::default()),
            served: 0,
        }
    }

    /// A request starts on this instance: its own CPU budget, its limits reported against it.
    /// True when the instance served another request before (it is warm).
    pub fn start_request(&mut self, trace: Arc<RequestTrace>) -> bool {
        let reused = self.served > 0;
        self.served += 1;
        self.memory.trace = Some(trace.clone());
        self.cpu.start_request(trace);
        reused
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
        &mut self.memory
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
