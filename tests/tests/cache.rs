//! `GET /admin/cache/size`: the runner maps the Hugging Face hub cache read-only into the
//! component, which measures it; callers cannot point it anywhere else.

use std::fs;

use nodetool_edge_conformance::{Profile, Target, skip_unless_native};
use serde_json::json;

#[test]
fn measures_the_mapped_hub_cache_only() {
    // Only the native runner maps a directory of the machine into the component.
    if skip_unless_native() {
        return;
    }
    let hf_home = tempfile::tempdir().unwrap();
    let hub = hf_home.path().join("hub");
    // A Hugging Face layout: blobs hold the bytes, snapshots link to them.
    let blobs = hub.join("models--org--m").join("blobs");
    let snap = hub.join("models--org--m").join("snapshots").join("abc");
    fs::create_dir_all(&blobs).unwrap();
    fs::create_dir_all(&snap).unwrap();
    fs::write(blobs.join("b1"), vec![1u8; 3000]).unwrap();
    fs::write(blobs.join("b2"), vec![2u8; 1000]).unwrap();
    fs::write(hub.join("version.txt"), b"1").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(blobs.join("b1"), snap.join("model.safetensors")).unwrap();

    let home = hf_home.path().to_str().unwrap();
    let Some(t) = Target::with_env(Profile::ProductionAdmin, &[("HF_HOME", home)]) else {
        return;
    };
    // The seed: GET /admin/cache/size with X-Admin-Token in production.
    let r = t.get("/admin/cache/size");
    assert_eq!(r.status, 200, "{}", r.text());
    let dir = hub.display().to_string();
    assert_eq!(
        r.json(),
        json!({"success": true, "cache_dir": dir, "total_size_bytes": 4001, "size_gb": 0.0})
    );

    // Growth shows up on the next request (each request sees the directory live).
    fs::write(blobs.join("b3"), vec![3u8; 5000]).unwrap();
    assert_eq!(t.get("/admin/cache/size").json()["total_size_bytes"], 9001);

    // Naming the same directory is fine; any other is refused (NodeTool measures any path).
    let r = t.get(&format!("/admin/cache/size?cache_dir={dir}/"));
    assert_eq!(r.status, 200);
    for other in ["/etc", "/", "..", "/app/.cache/huggingface/hub"] {
        let r = t.get(&format!("/admin/cache/size?cache_dir={other}"));
        assert_eq!(r.status, 400, "{other}");
        assert_eq!(
            r.detail(),
            "cache_dir cannot be chosen: this server measures only its own model cache"
        );
    }
    let r = t.call("POST", "/admin/cache/size", b"");
    assert_eq!(r.status, 405);
}

#[test]
fn a_missing_cache_counts_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-there");
    let missing = missing.to_str().unwrap();
    let Some(t) = Target::with_env(Profile::Local, &[("HF_HUB_CACHE", missing)]) else {
        return;
    };
    let r = t.get("/admin/cache/size");
    assert_eq!(
        (r.status, r.json()),
        (
            200,
            json!({"success": true, "cache_dir": missing, "total_size_bytes": 0, "size_gb": 0.0})
        )
    );
}
