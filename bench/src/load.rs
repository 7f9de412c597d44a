//! A closed-loop load generator: N keep-alive connections, each sending its next request as
//! soon as the previous answer arrived, for a fixed time. Reports requests/s and latency
//! percentiles.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

#[derive(Debug, Clone)]
pub struct Outcome {
    pub requests: usize,
    pub errors: usize,
    pub seconds: f64,
    pub p50_us: u64,
    pub p99_us: u64,
}

impl Outcome {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// What each request of a measurement sends.
#[derive(Debug, Clone)]
pub struct Shape {
    pub method: hyper::Method,
    pub path: String,
    pub auth: Option<String>,
    pub body: Bytes,
}

async fn connection(addr: String, shape: Shape, until: Instant) -> Result<(Vec<u64>, usize)> {
    let stream = tokio::net::TcpStream::connect(&addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut errors = 0;
    while Instant::now() < until {
        let mut req = hyper::Request::builder()
            .method(shape.method.clone())
            .uri(&shape.path)
            .header("host", &addr);
        if let Some(a) = &shape.auth {
            req = req.header("authorization", a);
        }
        if !shape.body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(Full::new(shape.body.clone()))?;
        sender.ready().await?;
        let start = Instant::now();
        let resp = sender.send_request(req).await?;
        let ok = resp.status() == 200;
        resp.into_body().collect().await?;
        latencies.push(start.elapsed().as_micros() as u64);
        if !ok {
            errors += 1;
        }
    }
    Ok((latencies, errors))
}

pub async fn run(
    base: &str,
    shape: &Shape,
    connections: usize,
    duration: Duration,
) -> Result<Outcome> {
    let addr = base.trim_start_matches("http://").to_string();
    // Warm up: the first requests pay for page faults and connection set-up.
    let warm = Instant::now() + Duration::from_millis(300);
    connection(addr.clone(), shape.clone(), warm).await?;

    let started = Instant::now();
    let until = started + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(connection(addr.clone(), shape.clone(), until)))
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await??;
        all.extend(lat);
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    if all.is_empty() {
        bail!("no request completed");
    }
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Ok(Outcome {
        requests: all.len(),
        errors,
        seconds,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
    })
}
