//! `nodetool-edge deploy ...` against a live runner: the seed's flow of syncing a workflow
//! from the desktop's database to a deployment, then running it with curl.

use std::path::Path;
use std::process::{Command, Output};

use nodetool_edge_conformance::runner::{Profile, STATIC_TOKEN, binary};
use nodetool_edge_conformance::{Runner, request, skip_unless_native};
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
    if skip_unless_native() {
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

#[test]
fn sync_copies_referenced_assets_with_their_files() {
    if skip_unless_native() {
        return;
    }
    use nodetool_edge_conformance::runner::ADMIN_TOKEN;
    // The desktop holds an image asset (record, file, thumbnail) and a workflow using it.
    let desk_dir = tempfile::tempdir().unwrap();
    let desk = Runner::start(&["serve"], &Profile::Local.env(), desk_dir.path());
    let id = "5e1f0c2a9b8d4e7f8a6b5c4d3e2f1a0b";
    let put = |path: &str, body: &[u8]| request(&desk.base, "PUT", path, &[], body);
    let r = request(
        &desk.base,
        "POST",
        "/admin/assets",
        &[],
        json!({"id": id, "name": "cat.png", "content_type": "image/png", "metadata": {"w": 3}})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let image: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(
        put(&format!("/admin/storage/assets/{id}.png"), &image).status,
        200
    );
    assert_eq!(
        put(&format!("/admin/storage/assets/{id}_thumb.jpg"), b"thumb").status,
        200
    );
    let graph = |asset: &str| {
        json!({"name": "pic", "access": "private", "graph": {"nodes": [
            {"id": "img", "type": "nodetool.constant.Image",
             "data": {"value": {"type": "image", "asset_id": asset, "uri": ""}}}
        ], "edges": []}})
    };
    assert_eq!(
        put("/api/workflows/pic", graph(id).to_string().as_bytes()).status,
        200
    );
    let missing = "0000aaaa";
    assert_eq!(
        put(
            "/api/workflows/broken",
            graph(missing).to_string().as_bytes()
        )
        .status,
        200
    );
    let db = desk_dir.path().join("nodetool-edge.sqlite3");
    let db = db.to_str().unwrap();

    // The deployment: production with an admin token, which the CLI sends.
    let dep_dir = tempfile::tempdir().unwrap();
    let dep = Runner::start(&["serve"], &Profile::ProductionAdmin.env(), dep_dir.path());
    let cfg_dir = tempfile::tempdir().unwrap();
    let config = cfg_dir.path().join("deployment.yaml");
    let o = cli(
        &config,
        &[
            "deploy",
            "add",
            "prod",
            "--url",
            &dep.base,
            "--token",
            STATIC_TOKEN,
            "--admin-token",
            ADMIN_TOKEN,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    let sync = |wf: &str| {
        cli(
            &config,
            &["deploy", "workflows", "sync", "prod", wf, "--db-path", db],
        )
    };
    let o = sync("pic");
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains(&format!("Asset {id} copied")),
        "{}",
        stdout(&o)
    );

    let bearer = format!("Bearer {STATIC_TOKEN}");
    let auth = [
        ("Authorization", bearer.as_bytes()),
        ("X-Admin-Token", ADMIN_TOKEN.as_bytes()),
    ];
    let r = request(&dep.base, "GET", &format!("/admin/assets/{id}"), &auth, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let a = r.json();
    assert_eq!(
        (a["name"].clone(), a["size"].clone(), a["metadata"].clone()),
        (json!("cat.png"), json!(200_000), json!({"w": 3}))
    );
    let r = request(
        &dep.base,
        "GET",
        &format!("/storage/assets/{id}.png"),
        &auth,
        b"",
    );
    assert_eq!(r.body, image);
    let r = request(
        &dep.base,
        "GET",
        &format!("/storage/assets/{id}_thumb.jpg"),
        &auth,
        b"",
    );
    assert_eq!(r.body, b"thumb");

    // Again: nothing to copy.
    let o = sync("pic");
    assert!(o.status.success());
    assert!(
        stdout(&o).contains("already on the deployment"),
        "{}",
        stdout(&o)
    );

    // An asset the desktop does not have: the workflow is synced, the command fails, saying so.
    let o = sync("broken");
    assert!(!o.status.success());
    assert!(
        stdout(&o).contains(&format!("Asset {missing} (node img) was not copied")),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("1 asset(s) were not copied"),
        "{}",
        stderr(&o)
    );
    let r = request(&dep.base, "GET", "/api/workflows/broken", &auth, b"");
    assert_eq!(r.status, 200);
}
