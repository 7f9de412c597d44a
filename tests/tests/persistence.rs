//! Writes survive a restart, and a SIGKILL right after an acknowledged PUT.

use nodetool_edge_conformance::runner::{Runner, STATIC_TOKEN};
use nodetool_edge_conformance::{Profile, request, skip_unless_native};
use serde_json::json;

fn put(base: &str, id: &str, name: &str) -> u16 {
    let body =
        json!({"name": name, "access": "private", "graph": {"nodes": [], "edges": []}}).to_string();
    let bearer = format!("Bearer {STATIC_TOKEN}");
    request(
        base,
        "PUT",
        &format!("/api/workflows/{id}"),
        &[("Authorization", bearer.as_bytes())],
        body.as_bytes(),
    )
    .status
}

fn get_name(base: &str, id: &str) -> Option<String> {
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let r = request(
        base,
        "GET",
        &format!("/workflows/{id}"),
        &[("Authorization", bearer.as_bytes())],
        b"",
    );
    (r.status == 200).then(|| r.json()["name"].as_str().unwrap().to_string())
}

#[test]
fn workflows_survive_a_clean_restart() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let env = Profile::Static.env();
    let r = Runner::start(&["serve"], &env, dir.path());
    assert_eq!(put(&r.base, "kept", "before restart"), 200);
    assert_eq!(r.terminate(), Some(0), "SIGTERM is a clean exit");
    let r = Runner::start(&["serve"], &env, dir.path());
    assert_eq!(get_name(&r.base, "kept").as_deref(), Some("before restart"));
}

#[test]
fn sigkill_right_after_acknowledged_puts_loses_nothing() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let env = Profile::Static.env();
    let r = Runner::start(&["serve"], &env, dir.path());
    for i in 0..25 {
        assert_eq!(put(&r.base, &format!("k{i}"), &format!("v{i}")), 200);
    }
    // Overwrite one, then kill without any chance to flush.
    assert_eq!(put(&r.base, "k0", "overwritten"), 200);
    r.kill();
    let r = Runner::start(&["serve"], &env, dir.path());
    assert_eq!(get_name(&r.base, "k0").as_deref(), Some("overwritten"));
    for i in 1..25 {
        assert_eq!(
            get_name(&r.base, &format!("k{i}")),
            Some(format!("v{i}")),
            "k{i}"
        );
    }
}
