//! HTTP front: hyper accepts connections and hands each request to a fresh component
//! instance. A trap, a deadline or an instantiation failure is a JSON 500 for that request
//! only; the server keeps serving.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use wasmtime::component::GuestTaskId;
use wasmtime::{Engine, Store, StoreContextMut};
use wasmtime_wasi_http::WasiBody;
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, ProxyHandler, ProxyPre, ShouldAccept, WorkerExpiration, WorkerState,
    WorkerStatus,
};

use crate::component::{EPOCH_TICK, Limits};
use crate::host_state::{HostState, SharedHost};

pub struct Runner {
    pre: ProxyPre<HostState>,
    engine: Engine,
    shared: SharedHost,
    limits: Limits,
    in_flight: Semaphore,
}

impl Runner {
    pub fn new(
        engine: Engine,
        pre: ProxyPre<HostState>,
        shared: SharedHost,
        limits: Limits,
    ) -> Runner {
        Runner {
            in_flight: Semaphore::new(limits.max_instances as usize),
            pre,
            engine,
            shared,
            limits,
        }
    }
}

/// Each worker serves exactly one request, then its instance is dropped.
pub struct OneShot {
    timeout: Duration,
}

impl WorkerState for OneShot {
    type StoreData = HostState;
    type RequestData = ();

    fn should_accept_request(&self, _concurrent: usize, total: usize) -> ShouldAccept {
        if total == 0 {
            ShouldAccept::Yes
        } else {
            ShouldAccept::Never
        }
    }

    fn on_request_start(
        &self,
        _store: StoreContextMut<'_, HostState>,
        _data: (),
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
        Box::pin(tokio::time::sleep(self.timeout))
    }

    fn drop(&self, _store: Store<HostState>, result: Result<(), wasmtime::Error>) {
        if let Err(e) = result {
            eprintln!("request instance failed: {e:#}");
        }
    }
}

/// Second line of defence for the wall-clock timeout, polled outside the store's event loop
/// (for the head, then again for the body); an idle instance expires at once since it is
/// never reused.
pub struct Expiry {
    timeout: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl WorkerExpiration for Expiry {
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        status: WorkerStatus,
        start: Instant,
    ) -> Poll<()> {
        match status {
            WorkerStatus::Idle => Poll::Ready(()),
            WorkerStatus::Requests | WorkerStatus::PostReturn => {
                let at = tokio::time::Instant::from_std(start + self.timeout);
                self.sleep.as_mut().reset(at);
                self.sleep.as_mut().poll(cx)
            }
        }
    }
}

impl HandlerState for Runner {
    type StoreData = HostState;
    type WorkerExpiration = Expiry;
    type WorkerState = OneShot;

    async fn instantiate(&self) -> wasmtime::Result<Instance<HostState, Expiry, OneShot>> {
        let state = HostState::new(&self.shared, self.limits.deadline);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| s.limiter());
        // Called back at every epoch tick while guest code runs (see `cpu_meter`).
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut cx| cx.data_mut().cpu.on_tick(Instant::now()));
        let proxy = self.pre.instantiate_async(&mut store).await?;
        let timeout = self.limits.timeout;
        Ok(Instance {
            store,
            proxy,
            view: wasmtime_wasi_http::WasiHttpView::http,
            expiration: Expiry {
                timeout: timeout + Duration::from_secs(1),
                sleep: Box::pin(tokio::time::sleep(Duration::MAX / 4)),
            },
            state: OneShot { timeout },
        })
    }
}

type HyperResponse = hyper::Response<WasiBody>;

fn internal_error() -> HyperResponse {
    let body = Full::new(Bytes::from_static(br#"{"detail":"Internal Server Error"}"#))
        .map_err(|never: Infallible| match never {})
        .boxed_unsync();
    let mut resp = hyper::Response::new(body);
    *resp.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

async fn handle(
    handler: ProxyHandler<Runner>,
    req: hyper::Request<hyper::body::Incoming>,
) -> HyperResponse {
    let Ok(_permit) = handler.state().in_flight.acquire().await else {
        return internal_error();
    };
    let req = req.map(|b| b.map_err(wasmtime_wasi_http::Error::from).boxed_unsync());
    match handler.handle((), req).await {
        Ok(resp) => resp,
        Err(e) => {
            eprintln!("request failed: {e:#}");
            internal_error()
        }
    }
}

/// Advances the engine's epoch so deadlines fire; stops with the process.
fn start_epoch_ticker(engine: Engine) {
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawning the epoch thread");
}

pub async fn serve(listener: TcpListener, runner: Runner) -> Result<()> {
    start_epoch_ticker(runner.engine.clone());
    let handler = ProxyHandler::new(runner);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of file descriptors and the like: wait and keep serving.
                eprintln!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(handle(handler, req).await) }
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
