//! The chat proxy: `POST /v1/chat/completions`, whole and streamed, sent straight to an
//! OpenAI-compatible upstream and sent through the runner to that same upstream, one request at
//! a time.
//!
//! The baseline is the upstream itself, not plain hyper: chat is a proxy, so its cost is what it
//! adds to the provider's own latency. The stand-in answers at once (no model behind it), so the
//! difference between the two paths is the runner's share alone: authentication, checking the
//! request, the outbound connection and passing the events through as they arrive. Requests go
//! one at a time so the numbers are latency, not queueing, and on a fresh connection each on
//! both paths: the stand-in closes after every answer, so a client reusing its connection to the
//! runner only would flatter the runner.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use nodetool_edge_conformance::upstream::{Behaviour, Upstream, sse_events, streamed_text};
use serde_json::Value;

use crate::{Args, TOKEN, runner_binary, spawn};

/// Content pieces per answer: one SSE event each when streamed.
const PIECES: usize = 100;
/// Requests per path before measuring: the first ones pay for page faults, the component's
/// first instantiation and the database's first reads.
const WARM_UP: usize = 10;
/// Fewest measured requests per path, however short `--seconds` is, so p99 means something.
const MIN_REQUESTS: usize = 50;
/// A request slower than this is a hang, not a sample.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a request goes.
struct Target {
    label: &'static str,
    base: String,
    auth: Option<String>,
}

/// One request's timings, from just before connecting (both paths pay for a fresh connection).
struct Timing {
    first_byte: Duration,
    last_byte: Duration,
}

/// Sends one completion request on a fresh connection and reads the whole answer.
async fn send(target: &Target, body: &Bytes) -> Result<(u16, Timing, Bytes)> {
    let addr = target.base.trim_start_matches("http://");
    let start = Instant::now();
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {}", target.label))?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let mut req = hyper::Request::post("/v1/chat/completions")
        .header("host", addr)
        .header("content-type", "application/json")
        .header("connection", "close");
    if let Some(a) = &target.auth {
        req = req.header("authorization", a);
    }
    let resp = sender
        .send_request(req.body(Full::new(body.clone()))?)
        .await?;
    let status = resp.status().as_u16();
    let mut incoming = resp.into_body();
    let mut got = BytesMut::new();
    let mut first = None;
    let mut last = Duration::ZERO;
    while let Some(frame) = incoming.frame().await {
        if let Ok(data) = frame?.into_data() {
            if data.is_empty() {
                continue;
            }
            let at = start.elapsed();
            first.get_or_insert(at);
            last = at;
            got.extend_from_slice(&data);
        }
    }
    let first_byte = first.with_context(|| format!("{}: empty body", target.label))?;
    let timing = Timing {
        first_byte,
        last_byte: last,
    };
    Ok((status, timing, got.freeze()))
}

/// One request, checked: a benchmark over failed or truncated answers would mean nothing.
async fn exchange(target: &Target, body: &Bytes, stream: bool, expected: &str) -> Result<Timing> {
    let (status, timing, got) = tokio::time::timeout(REQUEST_TIMEOUT, send(target, body))
        .await
        .with_context(|| format!("{}: no answer within {REQUEST_TIMEOUT:?}", target.label))?
        .with_context(|| format!("{}: request failed", target.label))?;
    let text = String::from_utf8_lossy(&got);
    if status != 200 {
        bail!("{} answered {status}: {text}", target.label);
    }
    let content = if stream {
        if !text.trim_end().ends_with("data: [DONE]") {
            bail!(
                "{}: the stream did not end with [DONE]: {text}",
                target.label
            );
        }
        streamed_text(&sse_events(&got))
    } else {
        let v: Value = serde_json::from_slice(&got)
            .with_context(|| format!("{}: the answer is not JSON: {text}", target.label))?;
        v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    if content != expected {
        bail!("{}: unexpected content {content:?}", target.label);
    }
    Ok(timing)
}

/// Latencies in µs, sorted when read.
#[derive(Default)]
struct Samples {
    first_byte: Vec<u64>,
    last_byte: Vec<u64>,
}

impl Samples {
    fn push(&mut self, t: &Timing) {
        self.first_byte.push(t.first_byte.as_micros() as u64);
        self.last_byte.push(t.last_byte.as_micros() as u64);
    }
}

/// The p-th percentile, the same way as the load cases.
fn pct(all: &mut [u64], p: f64) -> u64 {
    all.sort_unstable();
    all[((all.len() as f64 * p) as usize).min(all.len() - 1)]
}

/// Direct and through the runner, interleaved so drift on the machine (other processes, CPU
/// frequency) lands on both paths alike, and in alternating order so neither always follows the
/// other.
async fn measure(
    paths: &[Target; 2],
    body: &Bytes,
    stream: bool,
    expected: &str,
    args: &Args,
) -> Result<[Samples; 2]> {
    for _ in 0..WARM_UP {
        for t in paths {
            exchange(t, body, stream, expected).await?;
        }
    }
    // Like the load cases, each path gets about `--seconds`.
    let budget = args.duration * 2;
    let started = Instant::now();
    let mut samples = [Samples::default(), Samples::default()];
    let mut n = 0;
    loop {
        let done = match args.chat_requests {
            Some(k) => n >= k,
            None => n >= MIN_REQUESTS && started.elapsed() >= budget,
        };
        if done {
            break;
        }
        let order = if n % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let t = exchange(&paths[i], body, stream, expected).await?;
            samples[i].push(&t);
        }
        n += 1;
    }
    Ok(samples)
}

/// `runner/direct p50 = 1.80x (+950 µs per request), p99 = 2.10x`
fn ratio(name: &str, direct: &mut [u64], runner: &mut [u64]) -> String {
    let (d50, r50) = (pct(direct, 0.50), pct(runner, 0.50));
    let (d99, r99) = (pct(direct, 0.99), pct(runner, 0.99));
    format!(
        "{name}: runner/direct p50 = {:.2}x ({:+} µs per request), p99 = {:.2}x",
        r50 as f64 / d50.max(1) as f64,
        r50 as i64 - d50 as i64,
        r99 as f64 / d99.max(1) as f64,
    )
}

/// Runs the chat cases, prints their table, and returns their ratio lines to print with the
/// others.
pub async fn run(dir: &Path, args: &Args) -> Result<Vec<String>> {
    let pieces: Vec<String> = (0..PIECES).map(|i| format!("tok{i} ")).collect();
    let expected = pieces.concat();
    let upstream = Upstream::with(Behaviour {
        pieces,
        chunk_delay: Duration::ZERO,
        ..Default::default()
    });
    let mut cmd = Command::new(runner_binary()?);
    cmd.args(["serve", "--port", "0"])
        .env("DB_PATH", dir.join("runner-chat.sqlite3"));
    let runner = spawn(cmd, dir, &[("OLLAMA_API_URL", upstream.url.as_str())])?;

    let paths = [
        Target {
            label: "upstream directly",
            base: upstream.url.clone(),
            auth: None,
        },
        Target {
            label: "nodetool-edge runner -> upstream",
            base: runner.base.clone(),
            auth: Some(format!("Bearer {TOKEN}")),
        },
    ];
    let whole = br#"{"model":"llama3.2:latest","messages":[{"role":"user","content":"Hello"}]}"#;
    let streamed = br#"{"model":"llama3.2:latest","messages":[{"role":"user","content":"Hello"}],"stream":true}"#;
    let [mut wd, mut wr] = measure(&paths, &Bytes::from_static(whole), false, &expected, args)
        .await
        .context("chat completion")?;
    let [mut sd, mut sr] = measure(&paths, &Bytes::from_static(streamed), true, &expected, args)
        .await
        .context("chat stream")?;
    drop(runner);

    println!();
    println!(
        "Chat proxy: one request at a time, a fresh connection each, direct and through the \
         runner interleaved, after {WARM_UP} warm-up requests per path; the upstream is a local \
         OpenAI-compatible stand-in answering {PIECES} pieces at once. Times from connect."
    );
    println!();
    println!(
        "| case | path | requests | first byte p50 µs | first byte p99 µs | last byte p50 µs | last byte p99 µs |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    let stream_case = format!("POST /v1/chat/completions (stream, {PIECES} events)");
    let cases = [
        (
            "POST /v1/chat/completions",
            [(&paths[0], &mut wd), (&paths[1], &mut wr)],
        ),
        (
            stream_case.as_str(),
            [(&paths[0], &mut sd), (&paths[1], &mut sr)],
        ),
    ];
    for (name, rows) in cases {
        for (t, s) in rows {
            println!(
                "| {name} | {} | {} | {} | {} | {} | {} |",
                t.label,
                s.last_byte.len(),
                pct(&mut s.first_byte, 0.50),
                pct(&mut s.first_byte, 0.99),
                pct(&mut s.last_byte, 0.50),
                pct(&mut s.last_byte, 0.99),
            );
        }
    }
    Ok(vec![
        ratio("chat completion", &mut wd.last_byte, &mut wr.last_byte),
        ratio(
            "chat stream, first byte",
            &mut sd.first_byte,
            &mut sr.first_byte,
        ),
        ratio(
            "chat stream, last byte",
            &mut sd.last_byte,
            &mut sr.last_byte,
        ),
    ])
}
