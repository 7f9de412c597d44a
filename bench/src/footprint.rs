//! What the benchmark reports besides throughput: memory, start-up to the first 200, the
//! component's size and the cost of one request's fresh instance.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{Server, runner_binary, spawn};

/// A field of /proc/<pid>/status, in KiB (VmRSS: now; VmHWM: the peak so far).
pub fn rss_kib(server: &Server, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc status"))
}

/// Polls GET /health until it answers 200.
fn first_200(base: &str, deadline: Instant) -> Result<()> {
    let addr = base.trim_start_matches("http://");
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(addr) {
            let _ = s.write_all(
                format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            let mut head = [0u8; 12];
            if s.read_exact(&mut head).is_ok() && &head[9..12] == b"200" {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("no 200 from {base}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Median time from spawning `make()` to its first 200 on /health, over `runs` starts.
fn start_up(dir: &Path, runs: usize, make: impl Fn() -> Result<Command>) -> Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let server = spawn(make()?, dir, &[])?;
        first_200(&server.base, started + Duration::from_secs(120))?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut gz = Command::new("gzip")
        .arg("-9c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("running gzip")?;
    let mut stdin = gz.stdin.take().unwrap();
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let mut out = Vec::new();
    gz.stdout.take().unwrap().read_to_end(&mut out)?;
    writer.join().expect("gzip writer")?;
    gz.wait()?;
    Ok(out.len())
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// The footprint table, as Markdown lines. `idle` and `peak` are [runner, baseline] in KiB.
pub async fn footprint(dir: &Path, idle: [u64; 2], peak: [u64; 2]) -> Result<Vec<String>> {
    let runner = |extra: &'static [&'static str]| {
        let dir = dir.to_path_buf();
        move || -> Result<Command> {
            let mut c = Command::new(runner_binary()?);
            c.args(["serve", "--port", "0"])
                .args(extra)
                .env("DB_PATH", dir.join("startup-runner.sqlite3"))
                .env("NODETOOL_EDGE_COMPILE_CACHE", dir.join("compile-cache"));
            Ok(c)
        }
    };
    let cold = start_up(dir, 3, runner(&["--no-compile-cache"]))?;
    // The first start fills the cache; the median of the next three is the cached start.
    start_up(dir, 1, runner(&[]))?;
    let cached = start_up(dir, 3, runner(&[]))?;
    let baseline = start_up(dir, 3, || {
        let mut c = Command::new(std::env::current_exe()?);
        c.arg("baseline").arg(dir.join("startup-baseline.sqlite3"));
        Ok(c)
    })?;
    let component = nodetool_edge_runner::component::EMBEDDED;
    let instance =
        nodetool_edge_runner::probe::instantiation_cost(2000, &dir.join("instantiation.sqlite3"))
            .await?;
    Ok(vec![
        "| measure | nodetool-edge runner | plain hyper + native core |".into(),
        "|---|---:|---:|".into(),
        format!(
            "| RSS idle (after seeding) | {} | {} |",
            mib(idle[0]),
            mib(idle[1])
        ),
        format!(
            "| RSS peak (VmHWM, after the load above) | {} | {} |",
            mib(peak[0]),
            mib(peak[1])
        ),
        format!(
            "| start-up to first 200, compiling the component | {} | {} |",
            ms(cold),
            ms(baseline)
        ),
        format!(
            "| start-up to first 200, compiled component cached on disk | {} | |",
            ms(cached)
        ),
        format!(
            "| component size | {} bytes ({} gzip) | |",
            component.len(),
            gzip_len(component)?
        ),
        format!(
            "| one request's instance: create, instantiate, drop | {:.1} µs | |",
            instance.as_secs_f64() * 1e6
        ),
    ])
}
