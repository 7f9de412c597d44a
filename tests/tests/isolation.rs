//! A trap, an endless loop or endless allocation in the component ends that request only,
//! with a status that says which (500 for a trap, 422 naming the memory or CPU limit), and
//! leaves nothing behind: the instance is thrown away, so the next request, on a warm
//! instance or a fresh one, never sees what the failed one changed. Uses the misbehaving
//! fixture component (built by scripts/test) through `--component`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use nodetool_edge_conformance::{Reply, Runner, request, skip_unless_native};

fn fixture() -> Option<PathBuf> {
    if skip_unless_native() {
        return None;
    }
    let p = std::env::var_os("NODETOOL_EDGE_FIXTURE_MISBEHAVING")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
                "../target/component/wasm32-wasip2/release/nodetool_edge_fixture_misbehaving.wasm",
            )
        });
    assert!(
        p.exists(),
        "{} missing: scripts/test builds it",
        p.display()
    );
    Some(p)
}

fn start(fixture: &std::path::Path, dir: &std::path::Path, isolation: &str) -> Runner {
    let component = fixture.display().to_string();
    Runner::start(
        &[
            "serve",
            "--component",
            &component,
            "--deadline-ms",
            "1000",
            "--memory-mb",
            "64",
            "--isolation",
            isolation,
            "--metrics-addr",
            "0",
        ],
        &[],
        dir,
    )
}

fn get(r: &Runner, path: &str) -> Reply {
    request(&r.base, "GET", path, &[], b"")
}

/// The fixture's per-instance counter, counted up by this request.
fn count(r: &Runner) -> String {
    let c = get(r, "/count");
    assert_eq!(c.status, 200, "{}", c.text());
    c.text()
}

fn assert_refused(r: &Runner, path: &str, status: u16, detail: &str) {
    let started = Instant::now();
    let bad = get(r, path);
    assert_eq!(bad.status, status, "{path}: {}", bad.text());
    assert_eq!(bad.json()["detail"], detail, "{path}");
    assert!(
        bad.header("x-request-id").is_some_and(|id| !id.is_empty()),
        "{path}: a refusal carries its request id"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{path} was stopped"
    );
}

#[test]
fn warm_instances_keep_state_and_a_failed_request_leaves_none_behind() {
    let Some(f) = fixture() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = start(&f, dir.path(), "warm");
    // One instance serves one request after another: its state lives on.
    assert_eq!([count(&r), count(&r), count(&r)], ["1", "2", "3"]);
    // This request sets the count to 1000, then traps: the instance is thrown away, and the
    // next request starts from a fresh one.
    assert_refused(&r, "/poison", 500, "Internal Server Error");
    assert_eq!(
        [count(&r), count(&r)],
        ["1", "2"],
        "nothing of /poison survives"
    );
    assert_refused(&r, "/panic", 500, "Internal Server Error");
    assert_eq!(count(&r), "1");
    assert_refused(
        &r,
        "/alloc",
        422,
        "The request exceeded its memory limit (64 MiB)",
    );
    assert_eq!(count(&r), "1", "a memory-cap hit retires the instance");
    assert_refused(
        &r,
        "/spin",
        422,
        "The request exceeded its CPU time limit (1000 ms)",
    );
    assert_eq!(count(&r), "1", "a spent CPU budget retires the instance");
    let host_panics: Vec<String> = r
        .panics()
        .into_iter()
        .filter(|l| !l.contains("fixtures/misbehaving"))
        .collect();
    assert_eq!(
        host_panics,
        Vec::<String>::new(),
        "the guest's own panics only"
    );

    // The metrics saw each refusal, by reason, and instances both reused and created.
    let metrics = scrape(&r);
    for line in [
        "nodetool_edge_refusals_total{reason=\"fault\"} 2",
        "nodetool_edge_refusals_total{reason=\"memory_limit\"} 1",
        "nodetool_edge_refusals_total{reason=\"cpu_limit\"} 1",
        "nodetool_edge_instances_created_total 5",
        "nodetool_edge_requests_total{route=\"unmatched\",status=\"422\"} 2",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
}

/// The runner's `/metrics`, at the address its banner names.
fn scrape(r: &Runner) -> String {
    let url = r
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("Metrics: "))
        .expect("a Metrics line in the banner");
    let (base, path) = url.split_at(url.rfind('/').unwrap());
    let m = request(base, "GET", path, &[], b"");
    assert_eq!(m.status, 200);
    m.text()
}

#[test]
fn request_isolation_gives_every_request_a_fresh_instance() {
    let Some(f) = fixture() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = start(&f, dir.path(), "request");
    assert_eq!([count(&r), count(&r), count(&r)], ["1", "1", "1"]);
    assert_refused(&r, "/poison", 500, "Internal Server Error");
    assert_eq!(count(&r), "1");
}

#[test]
fn an_endless_loop_is_stopped_by_its_cpu_budget_while_others_are_served() {
    let Some(f) = fixture() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = start(&f, dir.path(), "warm");
    let base = r.base.clone();
    let looping = std::thread::spawn(move || request(&base, "GET", "/spin", &[], b""));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(get(&r, "/ok").status, 200);
    let looped = looping.join().unwrap();
    assert_eq!(looped.status, 422, "{}", looped.text());
    assert_eq!(get(&r, "/ok").text(), "fine");
}
