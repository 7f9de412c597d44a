//! Writes survive a restart, a SIGKILL right after an acknowledged PUT, and SIGKILLs in the
//! middle of concurrent writes (every acknowledged write kept, no object half-stored).

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

/// A key's states a client can vouch for: the last version the server acknowledged (`None`:
/// never written, or an acknowledged delete) and, if the kill cut a request on it short, the
/// version that request carried (which may or may not have been stored).
#[derive(Default, Clone)]
struct Key {
    acked: Option<u64>,
    in_flight: Option<Option<u64>>,
}

impl Key {
    fn allows(&self, found: Option<u64>) -> bool {
        found == self.acked || self.in_flight == Some(found)
    }
}

/// The bytes of object version `v`: 1.5 to 2.5 MiB, so each spans two or three 1 MiB chunks
/// and a half-stored object would show as a short or mixed body.
fn object_bytes(v: u64) -> Vec<u8> {
    let len = 1_572_864 + (v as usize * 104_729) % (1024 * 1024);
    let mut x = v.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Which version `bytes` is, among those the key may hold; None if none matches.
fn object_version(bytes: &[u8], candidates: &[u64]) -> Option<u64> {
    candidates
        .iter()
        .copied()
        .find(|v| object_bytes(*v) == bytes)
}

/// One request, or None when the connection failed (the runner was killed under it).
fn try_request(base: &str, method: &str, path: &str, body: &[u8]) -> Option<u16> {
    let bearer = format!("Bearer {STATIC_TOKEN}");
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        request(
            base,
            method,
            path,
            &[("Authorization", bearer.as_bytes())],
            body,
        )
        .status
    }))
    .ok()
}

/// Writer `w`'s keys: even writers PUT and DELETE workflows, odd ones storage objects.
fn is_workflow_writer(w: usize) -> bool {
    w.is_multiple_of(2)
}

fn object_path(key: &str) -> String {
    format!("/admin/storage/assets/kill/{key}.bin")
}

/// Writer `w` writes its keys from request number `from` on until a request fails (the kill);
/// returns its keys' states and the next request number.
fn write_until_killed(
    base: &str,
    w: usize,
    from: u64,
    mut keys: std::collections::HashMap<String, Key>,
    acks: &std::sync::atomic::AtomicU64,
) -> (std::collections::HashMap<String, Key>, u64) {
    const KEYS: u64 = 6;
    for n in from.. {
        // Unique per writer and request, so a found value names the request that stored it.
        let v = (w as u64) << 32 | n;
        let k = n % KEYS;
        let delete = n % 7 == 6;
        let (key, path, body, acked_status) = if is_workflow_writer(w) {
            let key = format!("w{w}-{k}");
            let body = json!({"name": v.to_string(), "access": "private",
                              "graph": {"nodes": [], "edges": []}});
            let path = format!("/api/workflows/{key}");
            (key, path, body.to_string().into_bytes(), 200)
        } else {
            let key = format!("o{w}-{k}");
            let status = if delete { 204 } else { 200 };
            (key.clone(), object_path(&key), object_bytes(v), status)
        };
        let (method, body) = if delete {
            ("DELETE", Vec::new())
        } else {
            ("PUT", body)
        };
        let state = keys.entry(key).or_default();
        let written = (!delete).then_some(v);
        match try_request(base, method, &path, &body) {
            Some(s) if s == acked_status => {
                state.acked = written;
                acks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            // Deleting what is not there.
            Some(404) if delete && state.acked.is_none() => {}
            Some(s) => panic!("{method} {path}: {s}"),
            None => {
                state.in_flight = Some(written);
                return (keys, n + 1);
            }
        }
    }
    unreachable!()
}

/// What the key holds now: the workflow's version, or the object's (which must be whole and
/// one of the versions the key may hold).
fn found_version(base: &str, w: usize, key: &str, state: &Key) -> Option<u64> {
    if is_workflow_writer(w) {
        return get_name(base, key).map(|n| n.parse::<u64>().unwrap());
    }
    let bearer = format!("Bearer {STATIC_TOKEN}");
    let path = object_path(key);
    let reply = request(
        base,
        "GET",
        &path,
        &[("Authorization", bearer.as_bytes())],
        b"",
    );
    match reply.status {
        404 => None,
        // A broken object would be a 500 here, or bytes of no version below.
        200 => {
            let candidates: Vec<u64> = state
                .acked
                .into_iter()
                .chain(state.in_flight.flatten())
                .collect();
            let v = object_version(&reply.body, &candidates);
            assert!(
                v.is_some(),
                "{key}: {} bytes that are no version written",
                reply.body.len()
            );
            v
        }
        s => panic!("GET {path}: {s} {}", reply.text()),
    }
}

#[test]
fn sigkill_during_concurrent_writes_keeps_every_acknowledged_one_whole() {
    if skip_unless_native() {
        return;
    }
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    const WRITERS: usize = 6;
    const ROUNDS: usize = 3;
    let dir = tempfile::tempdir().unwrap();
    let env = Profile::Static.env();
    let mut states: Vec<(HashMap<String, Key>, u64)> = vec![(HashMap::new(), 0); WRITERS];
    let (mut cut_short, mut cut_short_stored, mut acknowledged) = (0, 0, 0);
    for round in 0..ROUNDS {
        let r = Runner::start(&["serve"], &env, dir.path());
        let acks = Arc::new(AtomicU64::new(0));
        let go = Arc::new(Barrier::new(WRITERS + 1));
        let writers: Vec<_> = std::mem::take(&mut states)
            .into_iter()
            .enumerate()
            .map(|(w, (keys, from))| {
                let (base, acks, go) = (r.base.clone(), acks.clone(), go.clone());
                std::thread::spawn(move || {
                    go.wait();
                    write_until_killed(&base, w, from, keys, &acks)
                })
            })
            .collect();
        go.wait();
        // Kill once every writer is well under way, a little later each round, with requests
        // of all of them in flight.
        let target = 60 + 60 * round as u64;
        while acks.load(Ordering::Relaxed) < target {
            std::thread::sleep(Duration::from_millis(5));
        }
        println!(
            "round {round}: SIGKILL after {target} acknowledged writes; the writers' requests \
             in flight now fail (the client's panics printed below are caught and expected)"
        );
        r.kill();
        states = writers.into_iter().map(|h| h.join().unwrap()).collect();
        acknowledged += acks.load(Ordering::Relaxed);

        let conn = rusqlite::Connection::open(dir.path().join("nodetool-edge.sqlite3")).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "round {round}");
        drop(conn);

        let r = Runner::start(&["serve"], &env, dir.path());
        for (w, (keys, _)) in states.iter_mut().enumerate() {
            for (key, state) in keys.iter_mut() {
                let found = found_version(&r.base, w, key, state);
                assert!(
                    state.allows(found),
                    "round {round}, {key}: found {found:?}, acknowledged {:?}, in flight {:?}",
                    state.acked,
                    state.in_flight
                );
                if state.in_flight.is_some() {
                    cut_short += 1;
                    cut_short_stored += usize::from(found != state.acked);
                }
                // What is there now is the state the next round starts from.
                *state = Key {
                    acked: found,
                    in_flight: None,
                };
            }
        }
        r.terminate();
    }
    let keys: usize = states.iter().map(|(k, _)| k.len()).sum();
    println!(
        "SIGKILL mid-stream: {ROUNDS} kills, {acknowledged} acknowledged writes, {keys} keys \
         checked after each, {cut_short} requests cut short ({cut_short_stored} of them stored), \
         integrity_check ok every time"
    );
}
