//! The whole request pipeline in-process, on the memory host.

use bytes::Bytes;
use futures_executor::block_on;
use http_body_util::Full;
use serde_json::{Value, json};

use crate::handle;
use crate::memory_host::MemoryHost;

fn call(
    host: &MemoryHost,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value, http::HeaderMap) {
    let mut b = http::Request::builder().method(method).uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    // Bodies here are JSON, sent as clients send JSON, unless a test names another type.
    if !body.is_empty()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        b = b.header("content-type", "application/json");
    }
    let req = b.body(Full::new(Bytes::from(body.to_string()))).unwrap();
    let resp = block_on(handle(req, host));
    let status = resp.status().as_u16();
    let body = resp.body().as_full().expect("a whole body");
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).unwrap()
    };
    (status, json, resp.headers().clone())
}

const WF: &str = r#"{"name":"wf","access":"private","graph":{"nodes":[],"edges":[]}}"#;

#[test]
fn health_and_ping_need_no_auth() {
    let host = MemoryHost::with_vars(&[("AUTH_PROVIDER", "static"), ("SERVER_AUTH_TOKEN", "t")]);
    assert_eq!(call(&host, "GET", "/health", &[], "").0, 200);
    let (s, body, _) = call(&host, "GET", "/ping", &[], "");
    assert_eq!(s, 200);
    assert_eq!(body["status"], "healthy");
    assert!(body["timestamp"].as_str().unwrap().ends_with("+00:00"));
}

#[test]
fn auth_runs_before_routing() {
    let host = MemoryHost::with_vars(&[("AUTH_PROVIDER", "static"), ("SERVER_AUTH_TOKEN", "t")]);
    let (s, body, h) = call(&host, "GET", "/no/such/path", &[], "");
    assert_eq!(s, 401);
    assert_eq!(body["detail"], crate::http::error::AUTH_REQUIRED);
    assert_eq!(h["www-authenticate"], "Bearer");
    let (s, _, _) = call(
        &host,
        "GET",
        "/no/such/path",
        &[("authorization", "Bearer t")],
        "",
    );
    assert_eq!(s, 404);
}

#[test]
fn workflow_crud_is_owner_scoped_and_upserts() {
    let host = MemoryHost::with_vars(&[]);
    let (s, created, _) = call(&host, "POST", "/api/workflows/", &[], WF);
    assert_eq!(s, 200);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);

    let (s, got, _) = call(&host, "GET", &format!("/workflows/{id}"), &[], "");
    assert_eq!((s, got["name"].clone()), (200, json!("wf")));

    let (s, put, _) = call(&host, "PUT", "/workflows/custom-id", &[], WF);
    assert_eq!((s, put["id"].clone()), (200, json!("custom-id")));
    let (_, put2, _) = call(
        &host,
        "PUT",
        "/api/workflows/custom-id",
        &[],
        &WF.replace("\"wf\"", "\"renamed\""),
    );
    assert_eq!(put2["created_at"], put["created_at"]);
    assert_ne!(put2["updated_at"], put["updated_at"]);

    let (_, list, _) = call(&host, "GET", "/api/workflows", &[], "");
    let ids: Vec<_> = list["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec!["custom-id".to_string(), id.clone()]);
    assert_eq!(list["next"], "");

    let (_, page, _) = call(&host, "GET", "/api/workflows?limit=1", &[], "");
    assert_eq!(page["next"], "custom-id");
    let (_, page2, _) = call(
        &host,
        "GET",
        "/api/workflows?limit=1&cursor=custom-id",
        &[],
        "",
    );
    assert_eq!(page2["workflows"][0]["id"], json!(id));
    assert_eq!(page2["next"], "");

    let (s, body, _) = call(&host, "DELETE", &format!("/workflows/{id}"), &[], "");
    assert_eq!((s, body), (200, Value::Null));
    let (s, body, _) = call(&host, "GET", &format!("/workflows/{id}"), &[], "");
    assert_eq!(
        (s, body["detail"].clone()),
        (404, json!("Workflow not found"))
    );
}

#[test]
fn another_owner_cannot_see_or_overwrite() {
    let host = MemoryHost::with_vars(&[]);
    // Plant a private workflow owned by someone else directly in the store.
    let mut record = crate::workflow::WorkflowInput::parse(WF.as_bytes())
        .unwrap()
        .into_record("theirs".into(), "2".into(), "t".into(), "t".into());
    let bytes = serde_json::to_vec(&record).unwrap();
    host.kv
        .borrow_mut()
        .insert("workflows/v1/theirs".into(), bytes);
    assert_eq!(call(&host, "GET", "/workflows/theirs", &[], "").0, 404);
    assert_eq!(call(&host, "PUT", "/workflows/theirs", &[], WF).0, 404);
    assert_eq!(call(&host, "DELETE", "/workflows/theirs", &[], "").0, 404);
    // A public one can be read, still not written.
    record.access = "public".into();
    host.kv.borrow_mut().insert(
        "workflows/v1/theirs".into(),
        serde_json::to_vec(&record).unwrap(),
    );
    assert_eq!(call(&host, "GET", "/workflows/theirs", &[], "").0, 200);
    assert_eq!(call(&host, "PUT", "/workflows/theirs", &[], WF).0, 404);
}

#[test]
fn body_limit_gives_413() {
    let host = MemoryHost::with_vars(&[("MAX_BODY_BYTES", "64")]);
    let big = format!(
        r#"{{"name":"{}","access":"private","graph":{{}}}}"#,
        "x".repeat(100)
    );
    let (s, body, _) = call(&host, "POST", "/workflows", &[], &big);
    assert_eq!(s, 413);
    assert!(body["detail"].as_str().unwrap().contains("64"));
}

#[test]
fn invalid_config_fails_closed() {
    let host = MemoryHost::with_vars(&[("AUTH_PROVIDER", "bogus")]);
    let (s, body, _) = call(&host, "GET", "/workflows", &[], "");
    assert_eq!(s, 500);
    assert_eq!(
        body["detail"],
        "Server configuration is invalid; see the server log"
    );
    assert!(host.logs.borrow()[0].contains("Invalid AUTH_PROVIDER"));
}

#[test]
fn static_token_is_generated_once_into_kv_when_unconfigured() {
    let host = MemoryHost::with_vars(&[("AUTH_PROVIDER", "static")]);
    assert_eq!(call(&host, "GET", "/workflows", &[], "").0, 401);
    let token = String::from_utf8(host.kv.borrow()["auth/v1/static-token"].clone()).unwrap();
    assert_eq!(token.len(), 43);
    let bearer = format!("Bearer {token}");
    assert_eq!(
        call(
            &host,
            "GET",
            "/workflows",
            &[("authorization", &bearer)],
            ""
        )
        .0,
        200
    );
    assert_eq!(host.logs.borrow().len(), 1, "announced exactly once");
}

#[test]
fn admin_token_guards_admin_paths_after_bearer_auth() {
    let host = MemoryHost::with_vars(&[
        ("AUTH_PROVIDER", "static"),
        ("SERVER_AUTH_TOKEN", "t"),
        ("ADMIN_TOKEN", "a"),
    ]);
    // No bearer: 401 first, whatever the admin header says.
    assert_eq!(
        call(
            &host,
            "GET",
            "/admin/collections",
            &[("x-admin-token", "a")],
            ""
        )
        .0,
        401
    );
    let (s, body, _) = call(
        &host,
        "GET",
        "/admin/collections",
        &[("authorization", "Bearer t")],
        "",
    );
    assert_eq!(
        (s, body["detail"].clone()),
        (
            403,
            json!("Admin token required. Use X-Admin-Token header.")
        )
    );
    let (s, body, _) = call(
        &host,
        "GET",
        "/admin",
        &[("authorization", "Bearer t"), ("x-admin-token", "b")],
        "",
    );
    assert_eq!(
        (s, body["detail"].clone()),
        (403, json!("Invalid admin token."))
    );
    // Admin routes arrive with the admin issue; until then a passing request is a 404.
    assert_eq!(
        call(
            &host,
            "GET",
            "/admin/x",
            &[("authorization", "Bearer t"), ("x-admin-token", "a")],
            ""
        )
        .0,
        404
    );
}

#[test]
fn cors_preflight_is_exempt_and_errors_carry_cors() {
    let host = MemoryHost::with_vars(&[
        ("AUTH_PROVIDER", "static"),
        ("SERVER_AUTH_TOKEN", "t"),
        ("CORS_ORIGINS", "https://app.example"),
    ]);
    let (s, _, h) = call(
        &host,
        "OPTIONS",
        "/workflows",
        &[
            ("origin", "https://app.example"),
            ("access-control-request-method", "GET"),
        ],
        "",
    );
    assert_eq!(s, 204);
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    assert_eq!(h["vary"], "Origin");
    let (s, _, h) = call(
        &host,
        "GET",
        "/workflows",
        &[("origin", "https://app.example")],
        "",
    );
    assert_eq!(s, 401);
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    // Another origin gets no CORS grant, on the preflight or the answer.
    let (s, _, h) = call(
        &host,
        "OPTIONS",
        "/workflows",
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "GET"),
        ],
        "",
    );
    assert_eq!(s, 204);
    assert!(!h.contains_key("access-control-allow-origin"));
    let (_, _, h) = call(
        &host,
        "GET",
        "/workflows",
        &[("origin", "https://evil.example")],
        "",
    );
    assert!(!h.contains_key("access-control-allow-origin"));
}

#[test]
fn foreign_pages_cannot_change_state_and_json_endpoints_take_only_json() {
    let host = MemoryHost::with_vars(&[]);
    // A page of another site posting a workflow, as JSON or as a simple text/plain request.
    for ct in ["application/json", "text/plain"] {
        let (s, body, _) = call(
            &host,
            "POST",
            "/api/workflows/",
            &[("origin", "https://evil.example"), ("content-type", ct)],
            WF,
        );
        assert_eq!(s, 403, "{ct}: {body}");
        assert!(body["detail"].as_str().unwrap().contains("CORS_ORIGINS"));
    }
    let (s, body, _) = call(&host, "GET", "/api/workflows/", &[], "");
    assert_eq!(
        (s, body["workflows"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    // Without a page behind it, a body declared as anything but JSON is still refused.
    for ct in ["text/plain", "application/x-www-form-urlencoded"] {
        let (s, body, _) = call(
            &host,
            "POST",
            "/api/workflows/",
            &[("content-type", ct)],
            WF,
        );
        assert_eq!(s, 415, "{ct}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("application/json")
        );
    }
    // A loopback page may, and so may a page of the server's own host.
    for (origin, hostname) in [
        ("http://localhost:3000", "127.0.0.1:7777"),
        ("http://127.0.0.1:7777", "127.0.0.1:7777"),
    ] {
        let (s, body, h) = call(
            &host,
            "POST",
            "/api/workflows/",
            &[("origin", origin), ("host", hostname)],
            WF,
        );
        assert_eq!(s, 200, "{origin}: {body}");
        assert_eq!(h["access-control-allow-origin"], origin);
    }
    // A script's body without a type is read as JSON, as NodeTool does.
    let req = http::Request::builder()
        .method("POST")
        .uri("/api/workflows/")
        .body(Full::new(Bytes::from(WF)))
        .unwrap();
    assert_eq!(block_on(handle(req, &host)).status(), 200);
    let (_, body, _) = call(&host, "GET", "/api/workflows/", &[], "");
    assert_eq!(body["workflows"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_loopback_peer_naming_a_foreign_host_is_refused_before_anything_else() {
    let host = MemoryHost::with_vars(&[("ALLOWED_HOSTS", "nodetool.lan")]);
    let send = |name: &str, peer: &str| {
        let mut req = http::Request::builder()
            .uri("/api/workflows/")
            .header("host", name)
            .body(Full::new(Bytes::new()))
            .unwrap();
        req.extensions_mut()
            .insert(crate::http::browser::ClientAddr(peer.parse().unwrap()));
        let resp = block_on(handle(req, &host));
        let body: Value = serde_json::from_slice(resp.body().as_full().unwrap()).unwrap();
        (resp.status().as_u16(), body)
    };
    let (s, body) = send("evil.example:7777", "127.0.0.1");
    assert_eq!(s, 403);
    assert!(body["detail"].as_str().unwrap().contains("ALLOWED_HOSTS"));
    assert_eq!(send("localhost:7777", "127.0.0.1").0, 200);
    assert_eq!(send("nodetool.lan:7777", "::1").0, 200);
    assert_eq!(send("evil.example", "203.0.113.9").0, 200);
}

#[test]
fn head_has_no_body_and_wrong_method_is_405() {
    let host = MemoryHost::with_vars(&[]);
    let (s, body, _) = call(&host, "HEAD", "/health", &[], "");
    assert_eq!((s, body), (200, Value::Null));
    let (s, body, h) = call(&host, "DELETE", "/workflows", &[], "");
    assert_eq!(
        (s, body["detail"].clone()),
        (405, json!("Method Not Allowed"))
    );
    assert_eq!(h["allow"], "GET, HEAD, POST");
}
