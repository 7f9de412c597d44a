//! A trap, an endless loop or endless allocation in the component is a 500 for that request
//! only: the runner keeps serving. Uses the misbehaving fixture component (built by
//! scripts/test) through `--component`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use nodetool_edge_conformance::{Runner, request, skip_unless_native};

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

fn start(fixture: &std::path::Path, dir: &std::path::Path) -> Runner {
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
        ],
        &[],
        dir,
    )
}

fn assert_500_then_served(r: &Runner, path: &str) {
    let started = Instant::now();
    let bad = request(&r.base, "GET", path, &[], b"");
    assert_eq!(bad.status, 500, "{path}: {}", bad.text());
    assert_eq!(bad.json()["detail"], "Internal Server Error");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{path} was stopped"
    );
    let ok = request(&r.base, "GET", "/ok", &[], b"");
    assert_eq!(
        (ok.status, ok.text()),
        (200, "fine".to_string()),
        "after {path}"
    );
}

#[test]
fn a_trap_is_a_500_for_that_request_only() {
    let Some(f) = fixture() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = start(&f, dir.path());
    assert_500_then_served(&r, "/panic");
}

#[test]
fn an_endless_loop_is_stopped_by_the_deadline() {
    let Some(f) = fixture() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = start(&f, dir.path());
    // Another request is served while the loop burns its deadline.
    let base = r.base.clone();
    let looping = std::thread::spawn(move || request(&base, "GET", "/spin", &[], b"").status);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(request(&r.base, "GET", "/ok", &[], b"").status, 200);
    assert_eq!(looping.join().unwrap(), 500);
    assert_500_then_served(&r, "/spin");
}

#[test]
fn endless_allocation_is_stopped_by_the_memory_cap() {
    let Some(f) = fixture() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = start(&f, dir.path());
    assert_500_then_served(&r, "/alloc");
}
