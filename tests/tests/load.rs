//! The runner under hostile load, over real HTTP: stalled uploads, heavy runs, saturation,
//! idle sockets and shutdown. Every refusal is JSON with the status that says why; the
//! server keeps answering everyone else throughout. (Runner flags: native only.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use nodetool_edge_conformance::runner::binary;
use nodetool_edge_conformance::{Reply, Runner, bearer, parse, request, skip_unless_native};
use serde_json::Value;

fn authority(base: &str) -> &str {
    base.trim_start_matches("http://")
}

fn fixture() -> PathBuf {
    std::env::var_os("NODETOOL_EDGE_FIXTURE_MISBEHAVING")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
                "../target/component/wasm32-wasip2/release/nodetool_edge_fixture_misbehaving.wasm",
            )
        })
}

/// The runner serving the misbehaving fixture (`/busy?ms=N` computes, `/ok` answers at once).
fn start_fixture(dir: &Path, extra: &[&str]) -> Runner {
    let component = fixture().display().to_string();
    let mut args = vec!["serve", "--component", &component];
    args.extend_from_slice(extra);
    Runner::start(&args, &[], dir)
}

fn get(base: &str, path: &str) -> Reply {
    request(base, "GET", path, &[], b"")
}

/// A user's token from `nodetool-edge users add`.
fn add_user(db: &Path, name: &str, role: &str) -> String {
    let out = Command::new(binary())
        .args(["users", "add", name, "--role", role])
        .env("DB_PATH", db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The runner's metrics, at the address its banner names.
fn scrape(r: &Runner) -> String {
    let url = r
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("Metrics: "))
        .expect("a Metrics line in the banner");
    let (base, path) = url.split_at(url.rfind('/').unwrap());
    let m = get(base, path);
    assert_eq!(m.status, 200);
    m.text()
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn stalled_uploads_hold_no_instance_and_get_408_with_nothing_stored() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nodetool-edge.sqlite3");
    let alice = add_user(&db, "alice", "admin");
    let bob = add_user(&db, "bob", "user");
    let env = [
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "multi_user"),
    ];
    let r = Runner::start(
        &["serve", "--body-idle-ms", "3000", "--metrics-addr", "0"],
        &env,
        dir.path(),
    );
    let wf = serde_json::json!({"name": "bob's", "access": "private", "graph": {"nodes": [], "edges": []}});
    let made = bearer(
        &r.base,
        "POST",
        "/api/workflows/",
        &bob,
        wf.to_string().as_bytes(),
    );
    assert_eq!(made.status, 200, "{}", made.text());

    // 300 authenticated uploads that announce a megabyte, send 100 bytes and stop: more
    // than the 256 instance slots.
    let mut stalled: Vec<TcpStream> = (0..300)
        .map(|i| {
            let mut s = TcpStream::connect(authority(&r.base)).unwrap();
            let head = format!(
                "PUT /admin/storage/assets/stalled-{i}.bin HTTP/1.1\r\nHost: localhost\r\n\
                 Authorization: Bearer {alice}\r\nContent-Length: 1000000\r\n\r\n"
            );
            s.write_all(head.as_bytes()).unwrap();
            s.write_all(&[7u8; 100]).unwrap();
            s
        })
        .collect();
    let began = Instant::now();
    std::thread::sleep(Duration::from_millis(300));

    let t = Instant::now();
    let health = get(&r.base, "/health");
    assert_eq!(health.status, 200);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "/health took {:?}",
        t.elapsed()
    );
    let list = bearer(&r.base, "GET", "/api/workflows/", &bob, b"");
    assert_eq!(list.status, 200, "{}", list.text());
    assert_eq!(list.json()["workflows"][0]["name"], "bob's");
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "answered while the uploads stall"
    );

    // Each stalled upload gets 408 with a detail once the body has been idle for 3 s.
    for s in &mut stalled {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let reply = parse(&raw, false);
        assert_eq!(reply.status, 408, "{}", reply.text());
        assert_eq!(
            reply.detail(),
            "Request body timed out: nothing arrived for 3000 ms"
        );
    }
    assert!(began.elapsed() >= Duration::from_millis(2900));
    for i in [0, 150, 299] {
        let got = bearer(
            &r.base,
            "GET",
            &format!("/admin/storage/assets/stalled-{i}.bin"),
            &alice,
            b"",
        );
        assert_eq!(got.status, 404, "nothing of upload {i} is stored");
    }
    let m = scrape(&r);
    assert_eq!(
        metric(&m, "nodetool_edge_refusals_total{reason=\"body_stalled\"}"),
        300
    );
    assert_eq!(r.panics(), Vec::<String>::new());
}

#[test]
fn a_body_that_trickles_under_the_minimum_rate_gets_408() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = start_fixture(
        dir.path(),
        &["--body-idle-ms", "1000", "--body-min-rate", "1000"],
    );
    let mut s = TcpStream::connect(authority(&r.base)).unwrap();
    s.write_all(b"POST /ok HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n")
        .unwrap();
    // 10 bytes every 100 ms: 100 bytes per second, a tenth of the minimum.
    let mut raw = Vec::new();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    for _ in 0..50 {
        if s.write_all(b"0123456789").is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if !raw.is_empty() {
            break;
        }
    }
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.read_to_end(&mut raw);
    let reply = parse(&raw, false);
    assert_eq!(reply.status, 408, "{}", reply.text());
    assert_eq!(
        reply.detail(),
        "Request body too slow: under the minimum of 1000 bytes per second"
    );
}

#[test]
fn health_keeps_answering_while_two_heavy_runs_compute() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = start_fixture(dir.path(), &[]);
    let heavy: Vec<_> = (0..2)
        .map(|_| {
            let base = r.base.clone();
            std::thread::spawn(move || get(&base, "/busy?ms=3000"))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut slowest = Duration::ZERO;
    while heavy.iter().any(|h| !h.is_finished()) {
        let t = Instant::now();
        assert_eq!(get(&r.base, "/health").status, 200);
        slowest = slowest.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        slowest < Duration::from_secs(2),
        "slowest probe {slowest:?}"
    );
    for h in heavy {
        let done = h.join().unwrap();
        assert_eq!((done.status, done.text()), (200, "busy 3000".to_string()));
    }
}

#[test]
fn saturation_is_a_503_with_retry_after() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = start_fixture(
        dir.path(),
        &[
            "--max-concurrency",
            "2",
            "--queue-wait-ms",
            "200",
            "--metrics-addr",
            "0",
        ],
    );
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let base = r.base.clone();
            std::thread::spawn(move || get(&base, "/busy?ms=2000"))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let refused = get(&r.base, "/ok");
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.detail(), "Server is at capacity, try again shortly");
    for b in busy {
        assert_eq!(b.join().unwrap().status, 200);
    }
    assert_eq!(get(&r.base, "/ok").status, 200, "capacity is back");
    let m = scrape(&r);
    assert_eq!(
        metric(&m, "nodetool_edge_refusals_total{reason=\"busy\"}"),
        1
    );
}

#[test]
fn silent_and_idle_connections_are_closed_and_the_cap_holds() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = start_fixture(
        dir.path(),
        &[
            "--header-timeout-ms",
            "1500",
            "--keep-alive-ms",
            "500",
            "--max-connections",
            "2",
        ],
    );
    // Two sockets that never send a byte fill the cap...
    let mut silent: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(authority(&r.base)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    // ...so a third client waits in the accept queue until the idle timeout frees a place.
    let t = Instant::now();
    assert_eq!(get(&r.base, "/ok").status, 200);
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(300),
        "served after {waited:?}: the cap did not hold"
    );
    for s in &mut silent {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        assert!(buf.is_empty(), "closed without an answer: {buf:?}");
    }

    // A head sent a byte at a time is cut at the header timeout, busy as it looks.
    let mut slow = TcpStream::connect(authority(&r.base)).unwrap();
    let t = Instant::now();
    for b in b"GET /ok HTTP/1.1\r\nX-Slow: "
        .iter()
        .chain([b'a'; 64].iter())
    {
        if slow.write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if t.elapsed() > Duration::from_secs(4) {
            break;
        }
    }
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    let _ = slow.read_to_end(&mut buf);
    let cut = t.elapsed();
    assert!(
        cut >= Duration::from_millis(1400) && cut < Duration::from_millis(3500),
        "cut after {cut:?}"
    );
    assert!(!buf.starts_with(b"HTTP/1.1 200"), "{buf:?}");

    // A kept-alive connection that goes quiet after one answer is closed after 500 ms.
    let mut s = TcpStream::connect(authority(&r.base)).unwrap();
    s.write_all(b"GET /ok HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let t = Instant::now();
    assert_eq!(s.read(&mut buf).unwrap_or(0), 0, "closed");
    let idle = t.elapsed();
    assert!(
        idle >= Duration::from_millis(400) && idle < Duration::from_millis(1400),
        "closed after {idle:?}"
    );
}

#[test]
fn sigterm_lets_a_run_in_flight_finish_and_refuses_new_connections() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut r = start_fixture(dir.path(), &[]);
    let base = r.base.clone();
    let run = std::thread::spawn(move || get(&base, "/busy?ms=3000"));
    std::thread::sleep(Duration::from_millis(500));
    let pid = r.pid().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    // The listener closes at once: a new connection is refused.
    let t = Instant::now();
    loop {
        if TcpStream::connect(authority(&r.base)).is_err() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "still accepting after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let done = run.join().unwrap();
    assert_eq!((done.status, done.text()), (200, "busy 3000".to_string()));
    let t = Instant::now();
    let status = loop {
        if let Some(s) = r.exited() {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn request_ids_are_echoed_and_json_logs_carry_them() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = Runner::start(&["serve", "--log-format", "json"], &[], dir.path());
    let given = request(
        &r.base,
        "GET",
        "/health",
        &[("X-Request-Id", b"trace-abc.123")],
        b"",
    );
    assert_eq!(given.header("x-request-id"), Some("trace-abc.123"));
    let hostile = request(
        &r.base,
        "GET",
        "/api/workflows/",
        &[("X-Request-Id", b"bad id\" injected")],
        b"",
    );
    let made = hostile.header("x-request-id").unwrap().to_string();
    assert_eq!(made.len(), 32, "a hostile id is replaced: {made}");
    let again = get(&r.base, "/api/workflows/");
    let t = Instant::now();
    let lines: Vec<Value> = loop {
        let lines: Vec<Value> = r
            .stdout_lines()
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if lines.len() >= 3 || t.elapsed() > Duration::from_secs(5) {
            break lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["request_id"], "trace-abc.123");
    assert_eq!(lines[0]["route"], "/health");
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(lines[1]["request_id"], made.as_str());
    assert_eq!(lines[1]["method"], "GET");
    assert_eq!(lines[1]["route"], "/api/workflows");
    assert_eq!(lines[1]["path"], "/api/workflows/");
    assert!(lines[1]["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        lines[2]["request_id"],
        again.header("x-request-id").unwrap()
    );
    let modes: Vec<&str> = lines
        .iter()
        .map(|l| l["instance"].as_str().unwrap())
        .collect();
    match std::env::var("NODETOOL_EDGE_ISOLATION").as_deref() {
        Ok("request") => assert_eq!(modes, ["fresh", "fresh", "fresh"]),
        _ => assert_eq!(modes, ["fresh", "reused", "reused"]),
    }
}

/// Resident memory of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

#[test]
fn forty_slow_readers_of_a_large_object_keep_the_runner_small() {
    if skip_unless_native() {
        return;
    }
    use nodetool_edge_conformance::runner::STATIC_TOKEN;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "static"),
        ("SERVER_AUTH_TOKEN", STATIC_TOKEN),
    ];
    let r = Runner::start(&["serve"], &env, dir.path());
    const SIZE: usize = 100 << 20;
    let object: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let put = bearer(
        &r.base,
        "PUT",
        "/admin/storage/assets/big.bin",
        STATIC_TOKEN,
        &object,
    );
    assert_eq!(put.status, 200, "{}", put.text());

    let mut readers: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut s = TcpStream::connect(authority(&r.base)).unwrap();
            let head = format!(
                "GET /admin/storage/assets/big.bin HTTP/1.1\r\nHost: localhost\r\n\
                 Authorization: Bearer {STATIC_TOKEN}\r\nConnection: close\r\n\r\n"
            );
            s.write_all(head.as_bytes()).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            s
        })
        .collect();
    // Each reader takes 64 KiB every 100 ms for 4 s: a few MiB of 100.
    let mut peak = 0;
    let mut buf = vec![0u8; 64 * 1024];
    let mut first = vec![Vec::new(); readers.len()];
    for round in 0..40 {
        for (i, s) in readers.iter_mut().enumerate() {
            let n = s.read(&mut buf).unwrap();
            if round == 0 {
                first[i].extend_from_slice(&buf[..n]);
            }
        }
        peak = peak.max(rss(r.pid()));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        peak < 300 << 20,
        "runner RSS peaked at {} MiB with 40 slow readers",
        peak >> 20
    );
    for f in &first {
        assert!(
            f.starts_with(b"HTTP/1.1 200"),
            "{:?}",
            String::from_utf8_lossy(&f[..f.len().min(200)])
        );
    }
    // One reader goes on to the end and gets every byte.
    let mut rest = Vec::new();
    if let Err(e) = readers[0].read_to_end(&mut rest) {
        panic!("reading on after {} bytes: {e}", rest.len());
    }
    drop(readers);
    let got = bearer(
        &r.base,
        "GET",
        "/admin/storage/assets/big.bin",
        STATIC_TOKEN,
        b"",
    );
    assert_eq!(got.status, 200);
    assert_eq!(
        got.header("content-length"),
        Some(SIZE.to_string().as_str())
    );
    assert!(got.body == object, "the streamed object is the stored one");
    eprintln!(
        "runner RSS peak with 40 slow readers of 100 MiB: {} MiB",
        peak >> 20
    );
}

#[test]
fn a_streamed_run_cut_off_by_its_cpu_budget_ends_its_stream_failed() {
    use nodetool_edge_conformance::graph::{edge, node};
    use serde_json::json;
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = Runner::start(&["serve", "--deadline-ms", "300"], &[], dir.path());
    // A rank filter over a large image: seconds of CPU in one step, far past 300 ms.
    let graph = json!({"nodes": [
            node("bg", "lib.pillow.draw.Background", json!({"width": 1200, "height": 1200})),
            node("rank", "lib.pillow.enhance.RankFilter", json!({"size": 15, "rank": 3})),
            node("result", "nodetool.output.Output", json!({"name": "result"})),
        ],
        "edges": [edge("bg.output->rank.image"), edge("rank.output->result.value")]});
    let wf = json!({"name": "long", "access": "private", "graph": graph});
    let put = request(
        &r.base,
        "PUT",
        "/api/workflows/long",
        &[("Content-Type", b"application/json")],
        wf.to_string().as_bytes(),
    );
    assert_eq!(put.status, 200, "{}", put.text());
    let run = request(
        &r.base,
        "POST",
        "/api/workflows/long/run?stream=true",
        &[("Content-Type", b"application/json")],
        b"{}",
    );
    // The stream had begun (the run's first message went out before it computed), so the
    // limit arrives in it, as the run's own failure, and the stream ends whole.
    assert_eq!(run.status, 200, "{}", run.text());
    let lines: Vec<Value> = run
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert_eq!(lines[0]["status"], "running");
    let job_id = lines[0]["job_id"].as_str().unwrap();
    let n = lines.len();
    assert!(n >= 4, "{lines:?}");
    let text = "The run exceeded its CPU time limit (300 ms)";
    assert_eq!(lines[n - 3]["type"], "error");
    assert_eq!(lines[n - 3]["message"], text);
    assert_eq!(lines[n - 2]["type"], "job_update");
    assert_eq!(lines[n - 2]["status"], "failed");
    assert_eq!(lines[n - 2]["error"], text);
    assert_eq!(lines[n - 1]["type"], "job_failed");
    assert_eq!(lines[n - 1]["error"], text);
    // As the core's own failure: every message names the workflow, the job messages the job.
    for l in &lines[n - 3..] {
        assert_eq!(l["workflow_id"], "long");
    }
    assert_eq!(lines[n - 2]["job_id"], job_id);
    assert_eq!(lines[n - 1]["job_id"], job_id);
    assert_eq!(get(&r.base, "/health").status, 200);
}
