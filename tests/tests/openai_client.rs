//! Real clients against a real server: the official `openai` Python library, the seed's
//! Python example (requests) and its curl example, as written, with a token. Its chat goes to the OpenAI-compatible upstream stand-in.
//!
//! The Python packages live in a virtualenv that `scripts/test` creates from
//! `tests/python/requirements.txt` (`NODETOOL_EDGE_PYTHON` points elsewhere).

use std::path::{Path, PathBuf};
use std::process::Command;

use nodetool_edge_conformance::upstream::Upstream;
use nodetool_edge_conformance::{Server, skip_when_external};
use serde_json::Value;

const TOKEN: &str = "openai-client-token-0123456789abcdef";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("NODETOOL_EDGE_PYTHON") {
        return PathBuf::from(p);
    }
    let p = workspace().join("target/pyenv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: scripts/test creates it from tests/python/requirements.txt",
        p.display()
    );
    p
}

fn start() -> (Upstream, Server) {
    let upstream = Upstream::start();
    let server = Server::start(&[
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "static"),
        ("SERVER_AUTH_TOKEN", TOKEN),
        ("OLLAMA_API_URL", &upstream.url),
    ]);
    (upstream, server)
}

fn run_python(script: &str, base: &str) {
    let out = Command::new(python())
        .arg(workspace().join("tests/python").join(script))
        .env("BASE_URL", base)
        .env("TOKEN", TOKEN)
        .output()
        .expect("running python");
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_official_openai_python_client_works() {
    if skip_when_external() {
        return;
    }
    let (upstream, server) = start();
    run_python("openai_client.py", &server.base);
    // models, completion, stream, and the refused empty request never went upstream.
    assert_eq!(upstream.requests().len(), 3);
}

#[test]
fn the_seed_python_example_works_as_written() {
    if skip_when_external() {
        return;
    }
    let (_upstream, server) = start();
    run_python("seed_example.py", &server.base);
}

#[test]
fn the_seed_curl_examples_work_as_written() {
    if skip_when_external() {
        return;
    }
    let (_upstream, server) = start();
    let auth = format!("Authorization: Bearer {TOKEN}");
    let curl = |args: &[&str]| -> Value {
        let out = Command::new("curl")
            .arg("-sS")
            .args(args)
            .output()
            .expect("running curl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("JSON from curl: {}", String::from_utf8_lossy(&out.stdout)))
    };
    let models = curl(&["-H", &auth, &format!("{}/v1/models", server.base)]);
    assert_eq!(models["data"][0]["id"], "llama3.2:latest");
    let chat = curl(&[
        "-H",
        &auth,
        "-H",
        "Content-Type: application/json",
        "-X",
        "POST",
        &format!("{}/v1/chat/completions", server.base),
        "-d",
        r#"{
    "model": "llama3.2:latest",
    "messages": [{"role": "user", "content": "Hello"}]
  }"#,
    ]);
    assert_eq!(
        chat["choices"][0]["message"]["content"],
        "Hello! How can I help?"
    );
}
