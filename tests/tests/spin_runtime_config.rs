//! `spin up --runtime-config-file` with the project's example files (`deploy/spin/`): the
//! SQLite file lives where the file says and outlives Spin's state directory, and two Spins over
//! one real `redis-server` see each other's writes. Spin only: the runner's own reading of the
//! same file is tested in `redis`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use nodetool_edge_conformance::redis_server::{Redis, all_keys, free_port};
use nodetool_edge_conformance::runner::STATIC_TOKEN;
use nodetool_edge_conformance::spin::SpinUp;
use nodetool_edge_conformance::{Host, Reply, bearer};
use serde_json::json;

const ENV: [(&str, &str); 3] = [
    ("NODETOOL_SERVER_MODE", "private"),
    ("AUTH_PROVIDER", "static"),
    ("SERVER_AUTH_TOKEN", STATIC_TOKEN),
];

fn skip_unless_spin() -> bool {
    let skip = Host::current() != Host::Spin;
    if skip {
        eprintln!("skipped: this test drives spin up itself");
    }
    skip
}

/// The project's example `name` with its `key` line set to `value`, written into `dir`.
fn config_from(name: &str, key: &str, value: &str, dir: &Path) -> PathBuf {
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/spin")
        .join(name);
    let text = std::fs::read_to_string(example).unwrap();
    let prefix = format!("{key} = ");
    assert!(
        text.lines().any(|l| l.starts_with(&prefix)),
        "{name} sets {key}"
    );
    let changed: String = text
        .lines()
        .map(|l| {
            if l.starts_with(&prefix) {
                format!("{key} = {value:?}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let file = dir.join("runtime-config.toml");
    std::fs::write(&file, changed).unwrap();
    file
}

fn spin_with(config: &Path) -> SpinUp {
    SpinUp::start_with(
        &ENV,
        &[OsStr::new("--runtime-config-file"), config.as_os_str()],
    )
}

fn create(base: &str, name: &str) -> String {
    let body = json!({"name": name, "access": "private", "graph": {"nodes": [], "edges": []}});
    let r = bearer(
        base,
        "POST",
        "/api/workflows/",
        STATIC_TOKEN,
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_string()
}

fn read(base: &str, id: &str) -> Reply {
    bearer(
        base,
        "GET",
        &format!("/api/workflows/{id}"),
        STATIC_TOKEN,
        b"",
    )
}

#[test]
fn the_sqlite_file_is_where_the_runtime_config_says_and_outlives_the_state_directory() {
    if skip_unless_spin() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = config_from(
        "runtime-config.sqlite.toml",
        "path",
        "kv/nodetool-edge.db",
        dir.path(),
    );
    let id = {
        let first = spin_with(&config);
        create(&first.base, "kept")
    };
    assert!(
        dir.path().join("kv/nodetool-edge.db").is_file(),
        "the store is at the path the file names, relative to the file"
    );
    // Each `spin up` here has a state directory of its own: only the file leads to the data.
    let second = spin_with(&config);
    let r = read(&second.base, &id);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["name"], "kept");
}

#[test]
fn two_spins_over_one_redis_see_each_others_writes() {
    if skip_unless_spin() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let redis = Redis::start(free_port(), dir.path());
    let config = config_from("runtime-config.redis.toml", "url", &redis.url(), dir.path());
    let (a, b) = (spin_with(&config), spin_with(&config));
    let id = create(&a.base, "shared");
    let r = read(&b.base, &id);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["name"], "shared");
    assert!(
        all_keys(redis.port).iter().any(|k| k.contains(&id)),
        "the workflow is in Redis"
    );
    let r = bearer(
        &b.base,
        "DELETE",
        &format!("/api/workflows/{id}"),
        STATIC_TOKEN,
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(read(&a.base, &id).status, 404);
}
