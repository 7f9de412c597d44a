//! Component instances and how long they live.
//!
//! Warm (the default, Cloudflare Workers' model): an instance serves one request at a time,
//! many in a row, until it has served `max_requests` or stayed idle for `idle`. It is thrown
//! away at once after a trap, a wall-clock timeout, the memory cap or the CPU budget, so a
//! request that failed never leaves state for the next one. `Isolation::Request` gives every
//! request a fresh instance instead: the strongest isolation, for a few microseconds more
//! per request and caches (derived keys, verified tokens) that die with each request.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use wasmtime::component::GuestTaskId;
use wasmtime::{Engine, Store, StoreContextMut};
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, ProxyPre, ShouldAccept, WorkerExpiration, WorkerState, WorkerStatus,
};

use crate::component::Limits;
use crate::cpu_meter::{self, SharedTurn};
use crate::host_state::{HostState, SharedHost};
use crate::metrics::Metrics;
use crate::request_trace::RequestTrace;

/// Set once the server has stopped serving (see [`serving_stopped`]).
static STOPPED: AtomicBool = AtomicBool::new(false);

/// Marks the end of serving: instances dropped from now on are the shutdown's.
pub fn serving_stopped() {
    STOPPED.store(true, Ordering::Relaxed);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Isolation {
    /// Instances are reused, one request at a time.
    Warm,
    /// A fresh instance for every request.
    Request,
}

/// How instances are made and retired.
#[derive(Debug, Clone, Copy)]
pub struct Lifecycle {
    pub isolation: Isolation,
    /// Requests one warm instance serves before it is retired.
    pub max_requests: u64,
    /// Idle time after which a warm instance is retired.
    pub idle: Duration,
}

pub struct Instances {
    pre: ProxyPre<HostState>,
    pub engine: Engine,
    shared: SharedHost,
    pub limits: Limits,
    lifecycle: Lifecycle,
    pub metrics: Arc<Metrics>,
}

impl Instances {
    pub fn new(
        engine: Engine,
        pre: ProxyPre<HostState>,
        shared: SharedHost,
        limits: Limits,
        lifecycle: Lifecycle,
        metrics: Arc<Metrics>,
    ) -> Instances {
        Instances {
            pre,
            engine,
            shared,
            limits,
            lifecycle,
            metrics,
        }
    }
}

/// One instance's say in which requests it takes.
pub struct Worker {
    lifecycle: Lifecycle,
    timeout: Duration,
    /// Raised by a limit the instance reached; it takes nothing more.
    discard: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
    /// The request it serves or served last, for the log when it fails.
    last: std::sync::Mutex<Option<Arc<RequestTrace>>>,
}

impl WorkerState for Worker {
    type StoreData = HostState;
    type RequestData = Arc<RequestTrace>;

    fn should_accept_request(&self, concurrent: usize, total: usize) -> ShouldAccept {
        if self.discard.load(Ordering::Relaxed) {
            return ShouldAccept::Never;
        }
        match self.lifecycle.isolation {
            Isolation::Request if total == 0 => ShouldAccept::Yes,
            Isolation::Request => ShouldAccept::Never,
            Isolation::Warm if total as u64 >= self.lifecycle.max_requests => ShouldAccept::Never,
            // wasi:http 0.2 handlers run one at a time in an instance.
            Isolation::Warm if concurrent > 0 => ShouldAccept::No,
            Isolation::Warm => ShouldAccept::Yes,
        }
    }

    fn on_request_start(
        &self,
        mut store: StoreContextMut<'_, HostState>,
        trace: Arc<RequestTrace>,
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
        if store.data_mut().start_request(trace.clone()) {
            trace.mark_reused();
            self.metrics.instance_reused();
        }
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(trace);
        Box::pin(tokio::time::sleep(self.timeout))
    }

    fn drop(&self, _store: Store<HostState>, result: Result<(), wasmtime::Error>) {
        self.metrics.instance_dropped();
        // Once serving has stopped, the runtime cancels the instances' worker tasks, which
        // wasmtime reports as a panic; that is the shutdown, not a fault.
        if STOPPED.load(Ordering::Relaxed) {
            return;
        }
        if let Err(e) = result {
            let last = self.last.lock().unwrap_or_else(|p| p.into_inner()).take();
            let id = last.as_ref().map_or("-", |t| t.id.as_str());
            if last.as_ref().is_some_and(|t| t.is_cancelled()) {
                eprintln!("request_id={id} job cancelled: its instance was discarded");
            } else {
                eprintln!("request_id={id} instance discarded: {e:#}");
            }
        }
    }
}

/// Polled outside the store's event loop: the second line of defence for the wall-clock
/// timeout (for the head, then again for the body), the idle retirement of a warm
/// instance, and the hand-back of a compute permit once the guest is idle.
pub struct Expiry {
    timeout: Duration,
    idle: Option<Duration>,
    sleep: Pin<Box<tokio::time::Sleep>>,
    turn: SharedTurn,
}

impl WorkerExpiration for Expiry {
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        status: WorkerStatus,
        start: Instant,
    ) -> Poll<()> {
        let after = match status {
            WorkerStatus::Idle => {
                cpu_meter::release(&self.turn);
                match self.idle {
                    Some(idle) => idle,
                    None => return Poll::Ready(()),
                }
            }
            WorkerStatus::Requests | WorkerStatus::PostReturn => self.timeout,
        };
        let at = tokio::time::Instant::from_std(start + after);
        if self.sleep.deadline() != at {
            self.sleep.as_mut().reset(at);
        }
        self.sleep.as_mut().poll(cx)
    }
}

impl HandlerState for Instances {
    type StoreData = HostState;
    type WorkerExpiration = Expiry;
    type WorkerState = Worker;

    async fn instantiate(&self) -> wasmtime::Result<Instance<HostState, Expiry, Worker>> {
        let discard = Arc::new(AtomicBool::new(false));
        let state = HostState::new(&self.shared, self.limits.deadline, discard.clone());
        let turn = state.cpu.turn();
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| s.limiter());
        // Called back at every epoch tick while guest code runs (see `cpu_meter`).
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut cx| cx.data_mut().cpu.on_tick(Instant::now()));
        store.call_hook(|mut cx, hook| {
            if matches!(hook, wasmtime::CallHook::CallingHost) {
                cx.data_mut().cpu.host_call();
            }
            Ok(())
        });
        let proxy = self.pre.instantiate_async(&mut store).await?;
        self.metrics.instance_created();
        let timeout = self.limits.timeout;
        let idle = match self.lifecycle.isolation {
            Isolation::Warm => Some(self.lifecycle.idle),
            Isolation::Request => None,
        };
        Ok(Instance {
            store,
            proxy,
            view: wasmtime_wasi_http::WasiHttpView::http,
            expiration: Expiry {
                timeout: timeout + Duration::from_secs(1),
                idle,
                sleep: Box::pin(tokio::time::sleep(Duration::MAX / 4)),
                turn,
            },
            state: Worker {
                lifecycle: self.lifecycle,
                timeout,
                discard,
                metrics: self.metrics.clone(),
                last: std::sync::Mutex::new(None),
            },
        })
    }
}
