//! `/openapi.json` and the page at `/`: the document is valid OpenAPI 3.1, schemathesis
//! driven by it finds no 5xx and no answer outside its schemas, and a real browser shows
//! every route on the page.

use std::path::{Path, PathBuf};
use std::process::Command;

use nodetool_edge_conformance::chromium::Chromium;
use nodetool_edge_conformance::upstream::Upstream;
use nodetool_edge_conformance::{Profile, Server, Target, bearer, request, skip_when_external};
use serde_json::Value;

const TOKEN: &str = "openapi-test-token-0123456789-abcdef";

fn pyenv(tool: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/pyenv/bin")
        .join(tool);
    assert!(
        p.exists(),
        "{} is missing: scripts/python-env installs it",
        p.display()
    );
    p
}

/// Every `METHOD path` of the document.
fn operations(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.push(format!("{} {path}", method.to_ascii_uppercase()));
        }
    }
    out
}

#[test]
fn the_document_is_valid_and_schemathesis_finds_no_server_error_or_schema_break() {
    if skip_when_external() {
        return;
    }
    // multi_user, so /api/users is live too, and a chat stand-in, so /v1 is.
    let upstream = Upstream::start();
    let server = Server::start(&[
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "multi_user"),
        ("SERVER_AUTH_TOKEN", TOKEN),
        (
            "SECRETS_MASTER_KEY",
            "openapi-test-master-key-0123456789abcdef",
        ),
        ("OLLAMA_API_URL", &upstream.url),
    ]);
    let base = server.base.trim_end_matches('/');

    // Auth applies to the document as to any route.
    let r = request(base, "GET", "/openapi.json", &[], b"");
    assert_eq!(r.status, 401, "{}", r.text());
    let r = bearer(base, "GET", "/openapi.json", TOKEN, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["x-nodetool-edge"]["auth_provider"], "multi_user");
    assert!(!r.text().contains(TOKEN));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, r.text()).unwrap();
    let check = Command::new(pyenv("python"))
        .args([
            "-c",
            "import json, sys; from openapi_spec_validator import validate; \
             validate(json.load(open(sys.argv[1]))); print('valid')",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // Property-based requests from the document; any 5xx or off-schema answer fails. A fixed
    // seed keeps the suite repeatable; scripts can run it longer with other seeds.
    let run = Command::new(pyenv("schemathesis"))
        .arg("run")
        .arg(&file)
        .args(["--url", base])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        // A WebSocket upgrade is beyond a property-based HTTP client, and on the hosts that
        // cannot hold one `/ws` answers 501 by design (tests/tests/websocket.rs covers it).
        .args(["--exclude-path", "/ws"])
        .args([
            "--max-examples",
            "15",
            "--seed",
            "20261204",
            "--workers",
            "2",
        ])
        .args(["--request-timeout", "30"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found problems:\n{out}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.contains("Tested:"), "{out}");
}

/// The page as Chromium leaves it once its script has run.
fn rendered(url: &str) -> String {
    Chromium::new().rendered(url)
}

#[test]
fn a_real_browser_shows_every_route_on_the_page() {
    let Some(t) = Target::new(Profile::Local) else {
        return;
    };
    let base = t.base.trim_end_matches('/');
    let doc = t.get("/openapi.json").json();
    let page = rendered(&format!("{base}/"));
    let mut missing = Vec::new();
    for op in operations(&doc) {
        if !page.contains(&format!("data-route=\"{op}\"")) {
            missing.push(op);
        }
    }
    assert!(missing.is_empty(), "not on the page: {missing:?}\n{page}");
    assert!(
        page.contains(">desktop<") && page.contains(">local<"),
        "{page}"
    );
    // /docs is the same page; its script and style are served here, under a strict CSP.
    let docs = t.anon("GET", "/docs", &[], b"");
    assert_eq!(docs.status, 200);
    let csp = docs.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(!docs.text().contains("<script>"), "no inline script");
    for (path, kind) in [
        ("/docs/app.js", "text/javascript"),
        ("/docs/app.css", "text/css"),
    ] {
        let r = t.anon("GET", path, &[], b"");
        assert_eq!(r.status, 200);
        assert!(
            r.header("content-type").unwrap().starts_with(kind),
            "{path}"
        );
    }
}

#[test]
fn with_tokens_enforced_the_page_asks_for_one_and_shows_no_route_without_it() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let base = t.base.trim_end_matches('/');
    // The page itself is public (it holds nothing about this server)...
    assert_eq!(t.anon("GET", "/", &[], b"").status, 200);
    let page = rendered(&format!("{base}/"));
    // ...and without a token it shows the token form and no route.
    assert!(page.contains("id=\"token\""), "{page}");
    assert!(
        !page.contains("id=\"token\" hidden"),
        "the form is shown: {page}"
    );
    assert!(!page.contains("data-route="), "{page}");
}
