//! A measurement for the benchmark: what the fresh instance of one request costs on its own
//! (store, WASI context, instantiation from the pre-linked component, teardown), without HTTP
//! or any guest work.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use wasmtime::Store;
use wasmtime_wasi_http::handler::ProxyPre;

use crate::component::{self, Limits};
use crate::host_state::{HostState, SharedHost};
use crate::kv::sqlite::SqliteKv;
use crate::outbound::AllowList;

/// Mean time of one instantiate-and-drop of the embedded component, over `iterations`, after
/// as many warm-up rounds (the pool's slots are then recycled, as under load).
pub async fn instantiation_cost(iterations: u32, db: &Path) -> Result<Duration> {
    let limits = Limits {
        max_instances: 16,
        memory_bytes: 256 << 20,
        deadline: Duration::from_secs(30),
        timeout: Duration::from_secs(30),
    };
    let engine = component::engine(&limits)?;
    let compiled = wasmtime::component::Component::new(&engine, component::EMBEDDED)
        .map_err(|e| component::context(e, "compiling the component"))?;
    let pre = component::prepare(&engine, &compiled)?;
    let ProxyPre::P2(pre) = pre else {
        anyhow::bail!("the component is not a wasi:http 0.2 proxy");
    };
    let shared = SharedHost {
        kv: Arc::new(SqliteKv::open(db, "default").map_err(|e| anyhow::anyhow!("{}", e.0))?),
        variables: Arc::new(HashMap::new()),
        memory_limit_bytes: limits.memory_bytes,
        model_cache: None,
        outbound: Arc::new(AllowList::parse([])?),
        compute: Arc::new(tokio::sync::Semaphore::new(1)),
    };
    {
        let once = async || -> Result<()> {
            let mut store = Store::new(
                &engine,
                HostState::new(&shared, limits.deadline, Default::default()),
            );
            store.limiter(|s| s.limiter());
            store.set_epoch_deadline(u64::MAX / 2);
            pre.instantiate_async(&mut store).await?;
            Ok(())
        };
        for _ in 0..iterations {
            once().await?;
        }
        let started = Instant::now();
        for _ in 0..iterations {
            once().await?;
        }
        Ok(started.elapsed() / iterations.max(1))
    }
}
