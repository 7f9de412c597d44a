//! `nodetool-edge-bench sockets [N]`: `/ws` on the runner. Opens N idle authenticated
//! sockets (1,000 by default) and reports the runner's RSS per socket, then the time to the
//! first update of a run started with `run_job` against the NDJSON endpoint, same graph, same
//! run of the benchmark.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nodetool_edge_conformance::client::StreamReader;
use nodetool_edge_conformance::ws_client::{Socket, connect};
use serde_json::json;

use crate::{TOKEN, footprint::rss_kib, put_graph, run_graph, runner_binary, spawn};

/// Runs of each endpoint for the first-update times.
const RUNS: usize = 50;

/// Lets this process hold N sockets: the soft descriptor limit up to the hard one.
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn open(base: &str) -> Socket {
    let auth = format!("Bearer {TOKEN}");
    match connect(base, "/ws", &[("Authorization", &auth)]) {
        Ok(s) => s,
        Err(r) => panic!("the upgrade was refused: {} {}", r.status, r.body),
    }
}

pub async fn run(dir: &Path, sockets: usize) -> Result<()> {
    raise_fd_limit();
    let n = sockets.to_string();
    let mut cmd = Command::new(runner_binary()?);
    cmd.args([
        "serve",
        "--port",
        "0",
        "--ws-max-sockets",
        &(sockets + 16).to_string(),
        "--ws-max-sockets-per-user",
        &(sockets + 16).to_string(),
        "--max-connections",
        &n,
    ])
    .env("DB_PATH", dir.join("runner-sockets.sqlite3"));
    let runner = spawn(cmd, dir, &[])?;
    put_graph(&runner.base, "bench-run", run_graph()).await?;
    let base = runner.base.clone();

    let before = rss_kib(&runner, "VmRSS")?;
    let held = {
        let base = base.clone();
        tokio::task::spawn_blocking(move || {
            let mut held = Vec::with_capacity(sockets);
            for _ in 0..sockets {
                let mut s = open(&base);
                s.send_json(&json!({"type": "ping"}));
                s.message();
                held.push(s);
            }
            held
        })
        .await?
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(&runner, "VmRSS")?;
    let per = (after.saturating_sub(before) as f64) * 1024.0 / sockets as f64;
    println!("\n## /ws: idle sockets\n");
    println!("| measure | value |\n|---|---:|");
    println!("| runner RSS before | {:.1} MiB |", before as f64 / 1024.0);
    println!(
        "| runner RSS with {sockets} idle authenticated sockets | {:.1} MiB |",
        after as f64 / 1024.0
    );
    println!("| per socket | {:.1} KiB |", per / 1024.0);
    drop(held);

    let timings = tokio::task::spawn_blocking(move || -> Result<_> {
        let body = br#"{"params": {"name": "bench", "x": 4}}"#;
        let auth = format!("Bearer {TOKEN}");
        let mut ndjson_first = Vec::new();
        let mut ndjson_all = Vec::new();
        for _ in 0..RUNS {
            let reader = StreamReader::open(
                &base,
                "POST",
                "/api/workflows/bench-run/run?stream=true",
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json"),
                ],
                body,
            );
            let pieces = reader.read_all();
            ndjson_first.push(pieces.first().context("an empty stream")?.0);
            ndjson_all.push(pieces.last().context("an empty stream")?.0);
        }
        let mut s = open(&base);
        let mut ws_first = Vec::new();
        let mut ws_all = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            s.send_json(&json!({"command": "run_job", "data": {
                "workflow_id": "bench-run", "params": {"name": "bench", "x": 4}}}));
            s.message();
            s.message();
            ws_first.push(started.elapsed());
            s.until(Duration::from_secs(30), |m| m["type"] == "job_completed");
            ws_all.push(started.elapsed());
        }
        Ok((ndjson_first, ndjson_all, ws_first, ws_all))
    })
    .await??;
    let (nf, na, wf, wa) = timings;
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    println!("\n## /ws: time to the first update ({RUNS} runs of the 10-node graph, medians)\n");
    println!("| endpoint | first update | whole run |\n|---|---:|---:|");
    println!(
        "| POST /api/workflows/{{id}}/run?stream=true | {} | {} |",
        ms(median(nf)),
        ms(median(na))
    );
    println!(
        "| /ws run_job (job_update with the job id) | {} | {} |",
        ms(median(wf)),
        ms(median(wa))
    );
    Ok(())
}
