//! `/health` and `/ping`: open in every configuration.

use nodetool_edge_conformance::{Profile, Target};

fn check_open_endpoints(t: &Target) {
    let r = t.anon("GET", "/health", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.text(), "\"OK\"");

    let r = t.anon("GET", "/ping", &[], b"");
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["status"], "healthy");
    let ts = body["timestamp"].as_str().unwrap();
    assert!(
        ts.ends_with("+00:00") && ts.len() == 32,
        "UTC ISO-8601 with micros: {ts}"
    );
}

#[test]
fn health_and_ping_answer_without_auth_in_local_mode() {
    let Some(t) = Target::new(Profile::Local) else {
        return;
    };
    check_open_endpoints(&t);
}

#[test]
fn health_and_ping_answer_without_auth_in_static_mode() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    check_open_endpoints(&t);
    // A bad token on an open endpoint does not turn it into a 401.
    let r = t.anon("GET", "/health", &[("Authorization", b"Bearer wrong")], b"");
    assert_eq!(r.status, 200);
}

#[test]
fn health_and_ping_answer_without_auth_in_production() {
    let Some(t) = Target::new(Profile::ProductionAdmin) else {
        return;
    };
    check_open_endpoints(&t);
}

#[test]
fn head_health_has_no_body_and_post_is_405() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let r = t.anon("HEAD", "/health", &[], b"");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    let r = t.anon("POST", "/health", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.detail(), "Method Not Allowed");
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}
