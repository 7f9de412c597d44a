//! One engine and one pre-instantiated component for the whole process; instances (see
//! `instances`) come cheaply from the pooling allocator.

use std::time::Duration;

use anyhow::Result;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};
use wasmtime_wasi_http::handler::ProxyPre;

use crate::bindings::fermyon::spin::{key_value, variables};
use crate::bindings::wasi::keyvalue::{atomics, batch, store};
use crate::host_state::HostState;
use crate::key_value_host::SpinKeyValue;
use crate::variables_host::SpinVariables;

/// The component `spin up` runs, embedded at build time.
pub static EMBEDDED: &[u8] = include_bytes!(env!("NODETOOL_EDGE_COMPONENT_PATH"));

/// Bytes of a recycled memory, table or stack slot kept mapped between requests.
const KEEP_RESIDENT: usize = 2 << 20;
/// Decommits queued before one batched flush.
const DECOMMIT_BATCH: usize = 32;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Instances alive at once (and so requests in flight).
    pub max_instances: u32,
    pub memory_bytes: usize,
    /// CPU time one request may use (sampled; see `cpu_meter`).
    pub deadline: Duration,
    /// Wall-clock time one request may take to answer, and then to send its body: waiting on
    /// a language model counts here, not in `deadline`.
    pub timeout: Duration,
}

pub fn engine(limits: &Limits) -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.wasm_component_model_async(true);
    config.epoch_interruption(true);
    // Room beyond the requests in flight for instances that are being retired (and warm
    // ones not yet idle-expired) while new ones start.
    let n = limits.max_instances + limits.max_instances / 8 + 4;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(16))
        .total_memories(n.saturating_mul(2))
        .total_tables(n.saturating_mul(8))
        .total_stacks(n)
        .max_memory_size(limits.memory_bytes)
        // Reset recycled slots in place instead of unmapping them: with a fresh instance per
        // request, madvise and its TLB shootdowns were the largest per-request cost.
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT)
        .async_stack_keep_resident(KEEP_RESIDENT)
        .decommit_batch_size(DECOMMIT_BATCH)
        .pagemap_scan(wasmtime::Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).map_err(|e| context(e, "creating the wasmtime engine"))
}

pub fn linker(engine: &Engine) -> Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    key_value::add_to_linker::<HostState, SpinKeyValue>(&mut linker, HostState::kv_view)?;
    store::add_to_linker::<HostState, SpinKeyValue>(&mut linker, HostState::kv_view)?;
    atomics::add_to_linker::<HostState, SpinKeyValue>(&mut linker, HostState::kv_view)?;
    batch::add_to_linker::<HostState, SpinKeyValue>(&mut linker, HostState::kv_view)?;
    variables::add_to_linker::<HostState, SpinVariables>(&mut linker, HostState::variables_view)?;
    Ok(linker)
}

/// Compiles and links the component once; a component that imports something we do not
/// provide fails here, at start-up, not on the first request.
pub fn prepare(engine: &Engine, component: &Component) -> Result<ProxyPre<HostState>> {
    let pre = linker(engine)?
        .instantiate_pre(component)
        .map_err(|e| context(e, "linking the component's imports"))?;
    let pre = wasmtime_wasi_http::p2::bindings::ProxyPre::new(pre).map_err(|e| {
        context(
            e,
            "the component does not export wasi:http/incoming-handler@0.2",
        )
    })?;
    Ok(ProxyPre::P2(pre))
}

pub fn context(e: wasmtime::Error, what: &'static str) -> anyhow::Error {
    anyhow::Error::from(e).context(what)
}
