//! Several runners over one real `redis-server` (started here), configured as under Spin with
//! a runtime-config file: what one writes the others read, Redis going away is a 503 and its
//! return is served again, and a store that cannot be honoured stops start-up.

use std::path::Path;

use nodetool_edge_conformance::redis_server::{Redis, all_keys, free_port};
use nodetool_edge_conformance::runner::{Runner, STATIC_TOKEN};
use nodetool_edge_conformance::{Profile, Reply, request, skip_unless_native};
use serde_json::json;

fn runtime_config(dir: &Path, store: &str) -> String {
    let file = dir.join("runtime-config.toml");
    std::fs::write(&file, format!("[key_value_store.default]\n{store}")).unwrap();
    file.display().to_string()
}

/// A runtime-config file in `dir` naming `redis` as the store.
fn redis_config(dir: &Path, redis: &Redis) -> String {
    runtime_config(
        dir,
        &format!("type = \"redis\"\nurl = \"{}\"\n", redis.url()),
    )
}

fn start(config: &str, dir: &Path) -> Runner {
    Runner::start(
        &["serve", "--runtime-config-file", config],
        &Profile::Static.env(),
        dir,
    )
}

fn call(r: &Runner, method: &str, path: &str, extra: &[(&str, &[u8])], body: &[u8]) -> Reply {
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let mut headers: Vec<(&str, &[u8])> = vec![("Authorization", bearer.as_bytes())];
    headers.extend_from_slice(extra);
    request(&r.base, method, path, &headers, body)
}

fn save_workflow(r: &Runner, id: &str, name: &str) {
    let workflow = json!({"name": name, "access": "private", "graph": {"nodes": [], "edges": []}});
    let path = format!("/api/workflows/{id}");
    let put = call(r, "PUT", &path, &[], workflow.to_string().as_bytes());
    assert_eq!(put.status, 200, "{}", put.text());
}

#[test]
fn runners_sharing_redis_see_each_others_writes() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let redis = Redis::start(free_port(), dir.path());
    let config = redis_config(dir.path(), &redis);
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = start(&config, dir_a.path());
    let b = start(&config, dir_b.path());
    let storage = format!("Storage: Redis at {}", redis.url());
    assert!(a.banner.contains(&storage), "{:?}", a.banner);

    save_workflow(&a, "w1", "shared");
    let r = call(&b, "GET", "/api/workflows/w1", &[], b"");
    assert_eq!((r.status, r.json()["name"].clone()), (200, json!("shared")));
    let listed = call(&b, "GET", "/api/workflows/", &[], b"").json();
    assert_eq!(listed["workflows"][0]["id"], "w1", "{listed}");

    // A file of three chunks, written by one runner and read in part by the other.
    let data: Vec<u8> = (0..3 * 1024 * 1024 + 7).map(|i| (i % 251) as u8).collect();
    let path = "/admin/storage/assets/big.bin";
    assert_eq!(call(&a, "PUT", path, &[], &data).status, 200);
    let r = call(&b, "GET", path, &[("Range", b"bytes=1048570-1048585")], b"");
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &data[1_048_570..=1_048_585]);

    assert_eq!(
        call(&b, "DELETE", "/api/workflows/w1", &[], b"").status,
        200
    );
    assert_eq!(call(&a, "GET", "/api/workflows/w1", &[], b"").status, 404);
    // Everything of ours sits under our prefix, so one Redis can serve others too.
    let keys = all_keys(redis.port);
    assert!(!keys.is_empty());
    for k in &keys {
        assert!(k.starts_with("nodetool-edge:default:"), "{k}");
    }
}

#[test]
fn redis_going_away_is_503_and_its_return_is_served() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let redis = Redis::start(port, dir.path());
    let config = redis_config(dir.path(), &redis);
    let run_dir = tempfile::tempdir().unwrap();
    let r = start(&config, run_dir.path());
    save_workflow(&r, "k", "kept");

    drop(redis);
    let down = call(&r, "GET", "/api/workflows/k", &[], b"");
    assert_eq!(
        (down.status, down.detail()),
        (503, "Storage is unavailable, try again later".to_string())
    );
    // Health does not touch storage.
    assert_eq!(call(&r, "GET", "/health", &[], b"").status, 200);

    let _redis = Redis::start(port, dir.path());
    let back = call(&r, "GET", "/api/workflows/k", &[], b"");
    assert_eq!(
        (back.status, back.json()["name"].clone()),
        (200, json!("kept"))
    );
}

#[test]
fn a_store_that_cannot_be_honoured_stops_start_up() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let nobody = free_port();
    for (store, says, never) in [
        (
            format!("type = \"redis\"\nurl = \"redis://:hunter2secret@127.0.0.1:{nobody}\"\n"),
            format!("connecting to redis://:***@127.0.0.1:{nobody}"),
            Some("hunter2secret"),
        ),
        (
            "type = \"azure_cosmos\"\n".to_string(),
            "azure_cosmos".to_string(),
            None,
        ),
        (
            "type = \"redis\"\nurl = \"http://127.0.0.1\"\n".to_string(),
            "must start with redis://".to_string(),
            None,
        ),
    ] {
        let config = runtime_config(dir.path(), &store);
        let refused = Runner::try_start(
            &["serve", "--runtime-config-file", &config],
            &Profile::Static.env(),
            dir.path(),
        )
        .err()
        .unwrap_or_else(|| panic!("started with {store}"));
        assert_ne!(refused.code, Some(0));
        assert!(
            refused.stderr.contains(&says),
            "{store}: {}",
            refused.stderr
        );
        if let Some(secret) = never {
            assert!(!refused.stderr.contains(secret), "{}", refused.stderr);
            assert!(!refused.stdout.contains(secret), "{}", refused.stdout);
        }
    }
}
