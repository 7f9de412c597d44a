//! The baseline: the same core crate, the same SQLite key-value store, served natively by
//! plain hyper with no WebAssembly in between. The ratio against it is the price of the
//! component path (sandbox, fresh instance per request, host calls).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use anyhow::Result;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use nodetool_edge::config::VARIABLE_NAMES;
use nodetool_edge::host::{
    Clock, Entropy, KeyValue, KvError, Logger, Outbound, OutboundError, OutboundRequest, Timer,
    Variables,
};
use nodetool_edge_runner::kv::KvBackend;
use nodetool_edge_runner::kv::sqlite::SqliteKv;

struct NativeHost {
    kv: SqliteKv,
    vars: HashMap<String, String>,
}

fn kv_err(e: impl std::fmt::Display) -> KvError {
    KvError(e.to_string())
}

impl KeyValue for NativeHost {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.kv.get(key).map_err(kv_err)
    }
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        self.kv.get_many(keys).map_err(kv_err)
    }
    async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.kv.set(key, value).map_err(kv_err)
    }
    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.kv.delete(key).map_err(kv_err)
    }
    async fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        // The same work as the Spin adapter: list every key, keep the prefix.
        Ok(self
            .kv
            .keys()
            .map_err(kv_err)?
            .into_iter()
            .filter(|k| k.starts_with(prefix))
            .collect())
    }
    async fn swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> Result<bool, KvError> {
        // The runner's own compare-and-swap, as the component gets it through wasi:keyvalue.
        self.kv.swap(key, expected, new).map_err(kv_err)
    }
    fn atomic_swap(&self) -> bool {
        true
    }
}

impl Variables for NativeHost {
    async fn variable(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
}

impl Timer for NativeHost {
    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

impl Clock for NativeHost {
    fn now_micros(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0)
    }
}

impl Entropy for NativeHost {
    fn fill(&self, buf: &mut [u8]) {
        getrandom::fill(buf).expect("OS randomness");
    }
}

impl nodetool_edge::host::ModelCache for NativeHost {
    fn model_cache_size(&self) -> Option<Result<u64, String>> {
        None
    }
}

impl Outbound for NativeHost {
    type Body = Full<Bytes>;

    /// Plain blocking HTTP/1.1 over loopback, read whole: the benchmark's key server is
    /// local, and the core calls out only when its cached key set is stale.
    async fn send(
        &self,
        request: OutboundRequest,
    ) -> Result<hyper::Response<Full<Bytes>>, OutboundError> {
        use std::io::{Read, Write};
        let failed = |e: std::io::Error| OutboundError::Failed(e.to_string());
        let rest = request
            .url
            .strip_prefix("http://")
            .ok_or(OutboundError::Denied)?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut stream = std::net::TcpStream::connect(authority).map_err(failed)?;
        let mut head = format!(
            "{} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n",
            request.method
        );
        for (k, v) in &request.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).map_err(failed)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(failed)?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| OutboundError::Failed("no response head".into()))?;
        let status = String::from_utf8_lossy(&raw[..split])
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| OutboundError::Failed("no status".into()))?;
        let body = Bytes::copy_from_slice(&raw[split + 4..]);
        let mut resp = hyper::Response::new(Full::new(body));
        *resp.status_mut() = hyper::StatusCode::from_u16(status)
            .map_err(|e| OutboundError::Failed(e.to_string()))?;
        Ok(resp)
    }
}

impl Logger for NativeHost {
    fn log(&self, line: &str) {
        eprintln!("{line}");
    }
}

pub async fn serve(port: u16, db: &std::path::Path) -> Result<()> {
    let host = Arc::new(NativeHost {
        kv: SqliteKv::open(db, "default")?,
        vars: VARIABLE_NAMES
            .iter()
            .filter_map(|n| std::env::var(n).ok().map(|v| (n.to_string(), v)))
            .collect(),
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("Listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let host = host.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let host = host.clone();
                async move {
                    let (parts, body) = req.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|c| c.to_bytes())
                        .unwrap_or_default();
                    let req = hyper::Request::from_parts(parts, Full::new(body));
                    // The core's futures are not Send (they are built for single-threaded
                    // wasm); with this host they never wait, so they complete in place.
                    let resp = futures::executor::block_on(nodetool_edge::handle(req, &*host));
                    // The benchmarked routes answer whole bodies (the chat benchmark measures
                    // the runner against its upstream instead).
                    let resp = resp.map(|b| Full::new(b.as_full().cloned().unwrap_or_default()));
                    Ok::<_, Infallible>(resp)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
