//! `nodetool-edge deploy ...` against a live runner: the seed's flow of syncing a workflow
//! from the desktop's database to a deployment, then running it with curl.

use std::path::Path;
use std::process::{Command, Output};

use nodetool_edge_conformance::runner::{Profile, STATIC_TOKEN, binary};
use nodetool_edge_conformance::{Runner, request};
use serde_json::{Value, json};

fn cli(config: &Path, args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NODETOOL_CONFIG_PATH", config)
        .output()
        .expect("running nodetool-edge")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn workflow() -> Value {
    json!({
        "name": "shout", "access": "private", "description": "upper-cases text",
        "graph": {
            "nodes": [
                {"id": "in", "type": "nodetool.input.StringInput", "data": {"name": "text", "value": "hello"}},
                {"id": "up", "type": "nodetool.text.ToUppercase", "data": {}},
                {"id": "out", "type": "nodetool.output.Output", "data": {"name": "result"}}
            ],
            "edges": [
                {"id": "e1", "source": "in", "sourceHandle": "output", "target": "up", "targetHandle": "text"},
                {"id": "e2", "source": "up", "sourceHandle": "output", "target": "out", "targetHandle": "value"}
            ]
        }
    })
}

#[test]
fn sync_list_run_delete_through_the_cli() {
    if std::env::var("NODETOOL_EDGE_BASE_URL").is_ok() {
        eprintln!("skipped: starts its own runners");
        return;
    }
    // The desktop: a local runner whose database holds the workflow.
    let desk_dir = tempfile::tempdir().unwrap();
    let desk = Runner::start(&["serve"], &Profile::Local.env(), desk_dir.path());
    let r = request(
        &desk.base,
        "PUT",
        "/api/workflows/shout",
        &[],
        workflow().to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let desk_db = desk_dir.path().join("nodetool-edge.sqlite3");

    // The deployment: a private/static runner.
    let dep_dir = tempfile::tempdir().unwrap();
    let dep = Runner::start(&["serve"], &Profile::Static.env(), dep_dir.path());

    // NodeTool's schema, with keys we do not know, which must survive our write.
    let cfg_dir = tempfile::tempdir().unwrap();
    let config = cfg_dir.path().join("deployment.yaml");
    std::fs::write(
        &config,
        "version: '1.0'\nuse_proxy: false\ndefaults: {log_level: INFO}\n",
    )
    .unwrap();
    let o = cli(
        &config,
        &[
            "deploy",
            "add",
            "edge",
            "--url",
            &dep.base,
            "--token",
            STATIC_TOKEN,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(
        saved.contains("use_proxy: false") && saved.contains("log_level: INFO"),
        "{saved}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let db = desk_db.to_str().unwrap();
    let o = cli(
        &config,
        &[
            "deploy",
            "workflows",
            "sync",
            "edge",
            "shout",
            "--db-path",
            db,
        ],
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("Workflow synced successfully"));

    // The seed's curl: POST /workflows/<id>/run with the token and '{}'.
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let auth = [("Authorization", bearer.as_bytes())];
    let r = request(&dep.base, "POST", "/workflows/shout/run", &auth, b"{}");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"result": "HELLO"}));
    let remote = request(&dep.base, "GET", "/api/workflows/shout", &auth, b"").json();
    assert_eq!(remote["description"], "upper-cases text");

    let o = cli(&config, &["deploy", "workflows", "list", "edge"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("shout") && stdout(&o).contains("Total: 1 workflow(s)"),
        "{}",
        stdout(&o)
    );

    let o = cli(
        &config,
        &[
            "deploy",
            "workflows",
            "run",
            "edge",
            "shout",
            "-p",
            "text=edge",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let printed: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(printed, json!({"result": "EDGE"}));

    // A workflow from a file (here: the Workflow object the desktop's API returns).
    let file = cfg_dir.path().join("wf.json");
    let mut from_api = request(&desk.base, "GET", "/api/workflows/shout", &[], b"").json();
    from_api["name"] = json!("from a file");
    std::fs::write(&file, from_api.to_string()).unwrap();
    let o = cli(
        &config,
        &[
            "deploy",
            "workflows",
            "sync",
            "edge",
            "copy",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r = request(&dep.base, "GET", "/api/workflows/copy", &auth, b"");
    assert_eq!(r.json()["name"], "from a file");

    let o = cli(
        &config,
        &["deploy", "workflows", "delete", "edge", "shout", "--force"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        request(&dep.base, "GET", "/api/workflows/shout", &auth, b"").status,
        404
    );

    // Failures exit non-zero with a clear message.
    let o = cli(&config, &["deploy", "workflows", "delete", "edge", "shout"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("Deleting the workflow failed: HTTP 404: Workflow not found"),
        "{}",
        stderr(&o)
    );
    let o = cli(
        &config,
        &[
            "deploy",
            "workflows",
            "sync",
            "edge",
            "missing",
            "--db-path",
            db,
        ],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("Workflow not found locally: missing"),
        "{}",
        stderr(&o)
    );
    let o = cli(&config, &["deploy", "workflows", "list", "nowhere"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("Deployment 'nowhere' not found"));

    // A wrong token is reported, not mistaken for success (NodeTool ignores the status).
    let o = cli(
        &config,
        &[
            "deploy",
            "add",
            "wrong",
            "--url",
            &dep.base,
            "--token",
            "not-the-token",
        ],
    );
    assert!(o.status.success());
    let o = cli(
        &config,
        &[
            "deploy",
            "workflows",
            "sync",
            "wrong",
            "copy",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("HTTP 401: Invalid authentication token"),
        "{}",
        stderr(&o)
    );
}
