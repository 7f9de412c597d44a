//! The native host for the nodetool-edge component: a wasmtime embedding that serves the
//! component over HTTP and implements the Spin interfaces it imports (key-value on SQLite,
//! variables from the environment).

pub mod access_log;
mod auth_failures;
mod bindings;
pub mod compile_cache;
pub mod component;
mod connection;
mod cpu_meter;
pub mod deploy;
pub mod deployment_config;
mod host_state;
pub mod instances;
pub mod jobs;
mod key_value_host;
pub mod kv;
pub mod master_key;
mod memory_cap;
pub mod metrics;
pub mod model_cache;
mod outbound;
pub mod probe;
mod refusal;
pub mod request_body;
mod request_trace;
mod run_stream;
pub mod server;
pub mod startup;
mod tls;
pub mod users;
mod variables_host;
pub mod websocket;

/// The platform's secure random source, as the core's `Entropy` port.
pub struct OsEntropy;

impl nodetool_edge::host::Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) {
        getrandom::fill(buf).expect("the operating system's random source is available");
    }
}
