//! Today's data keeps working after an upgrade: the current runner opens a store written by an
//! earlier version (tests/fixtures/store-v1, whose README says which and how) and answers
//! every read as that version did, lists in the same order, takes new writes on top of the
//! old data and keeps both across a restart.
//!
//! The fixture's manifest holds the settings, the users' tokens and each read the old version
//! answered (request, status, headers, body); the test replays them, then checks the same
//! things again from first principles (orders, pages, trees, decrypted values, bytes).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use nodetool_edge_conformance::client::Reply;
use nodetool_edge_conformance::{Runner, request, skip_unless_native};
use serde_json::{Value, json};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/store-v1")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A state directory holding a copy of the fixture's database, laid out as `Runner::start`
/// lays it out (the fixture itself is never opened, so a migration cannot change it).
fn copy_of_the_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nodetool-edge.sqlite3");
    std::fs::copy(fixture_dir().join("nodetool-edge.sqlite3"), &db).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    dir
}

fn start(m: &Value, dir: &Path) -> Runner {
    let settings: Vec<(&str, &str)> = m["settings"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
        .collect();
    Runner::start(&["serve"], &settings, dir)
}

/// The same bytes as make.py's `pattern`: numbered lines, so a misplaced chunk shows.
fn pattern(label: &str, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 64);
    let mut i = 0;
    while out.len() < size {
        out.extend_from_slice(format!("{label} {i:08}\n").as_bytes());
        i += 1;
    }
    out.truncate(size);
    out
}

/// Percent-encodes one path segment (everything but unreserved characters).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Talks to one runner as the fixture's users.
struct Client<'m> {
    base: String,
    m: &'m Value,
}

impl Client<'_> {
    fn token(&self, who: &str) -> &str {
        self.m["tokens"][who]
            .as_str()
            .unwrap_or_else(|| panic!("no token for {who}"))
    }

    fn send(
        &self,
        who: &str,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let auth = format!("Bearer {}", self.token(who));
        let mut headers: Vec<(&str, &[u8])> = vec![("Authorization", auth.as_bytes())];
        headers.extend(extra.iter().map(|(k, v)| (*k, v.as_bytes())));
        request(&self.base, method, path, &headers, body)
    }

    fn get(&self, who: &str, path: &str) -> Reply {
        self.send(who, "GET", path, &[], b"")
    }

    /// A JSON request that must answer 200; its JSON answer.
    fn ok(&self, who: &str, method: &str, path: &str, body: Value) -> Value {
        let r = self.send(
            who,
            method,
            path,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{method} {path} as {who}: {}", r.text());
        r.json()
    }

    fn get_ok(&self, who: &str, path: &str) -> Value {
        let r = self.get(who, path);
        assert_eq!(r.status, 200, "GET {path} as {who}: {}", r.text());
        r.json()
    }

    fn put_bytes(&self, path: &str, body: &[u8]) {
        let r = self.send("static", "PUT", path, &[], body);
        assert_eq!(r.status, 200, "PUT {path}: {}", r.text());
    }
}

/// Whether `actual` answers what `expected` recorded: every recorded field the same (numbers to
/// 1e-6, as distances are computed), new fields allowed. A workflow's `etag` is a digest of
/// the whole answer, so it is left out: a field added to the answer changes it.
fn conforms(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                if k == "etag" {
                    continue;
                }
                let Some(got) = a.get(k) else {
                    return Err(format!("{at}.{k}: missing"));
                };
                conforms(v, got, &format!("{at}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{at}: {} items, expected {}: {actual} vs {expected}",
                    a.len(),
                    e.len()
                ));
            }
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                conforms(x, y, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() <= 1e-6 {
                Ok(())
            } else {
                Err(format!("{at}: {y}, expected {x}"))
            }
        }
        _ if expected == actual => Ok(()),
        _ => Err(format!("{at}: {actual}, expected {expected}")),
    }
}

/// One recorded read, replayed; what differs, if anything.
fn replay_one(c: &Client, check: &Value) -> Result<(), String> {
    let who = check["as"].as_str().unwrap();
    let method = check["method"].as_str().unwrap();
    let path = check["path"].as_str().unwrap();
    let mut extra: Vec<(&str, &str)> = check["headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
                .collect()
        })
        .unwrap_or_default();
    let body = check
        .get("body")
        .map(|b| b.to_string().into_bytes())
        .unwrap_or_default();
    if check.get("body").is_some() {
        extra.push(("Content-Type", "application/json"));
    }
    let r = c.send(who, method, path, &extra, &body);
    let name = format!("{method} {path} as {who}");
    let status = check["status"].as_u64().unwrap() as u16;
    if r.status != status {
        return Err(format!(
            "{name}: status {}, expected {status}: {}",
            r.status,
            r.text()
        ));
    }
    let no_headers = serde_json::Map::new();
    let headers = check["response_headers"].as_object().unwrap_or(&no_headers);
    for (k, v) in headers {
        if r.header(k) != v.as_str() {
            return Err(format!("{name}: {k}: {:?}, expected {v}", r.header(k)));
        }
    }
    if let Some(expected) = check.get("json") {
        let Ok(actual) = serde_json::from_slice::<Value>(&r.body) else {
            return Err(format!("{name}: not JSON: {}", r.text()));
        };
        return conforms(expected, &actual, &name);
    }
    let expected = match check.get("pattern") {
        Some(p) => pattern(
            p["label"].as_str().unwrap(),
            p["size"].as_u64().unwrap() as usize,
        ),
        None => STANDARD
            .decode(check["body_b64"].as_str().unwrap())
            .unwrap(),
    };
    if r.body != expected {
        return Err(format!(
            "{name}: {} bytes differ from the {} expected",
            r.body.len(),
            expected.len()
        ));
    }
    Ok(())
}

/// Replays every recorded read `skip` leaves in; panics listing all that differ.
fn replay(c: &Client, skip: impl Fn(&str, &str) -> bool) -> usize {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for check in c.m["checks"].as_array().unwrap() {
        let (who, path) = (
            check["as"].as_str().unwrap(),
            check["path"].as_str().unwrap(),
        );
        if skip(who, path) {
            continue;
        }
        replayed += 1;
        // A broken answer (a body cut short) panics in the client: reported with the rest.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| replay_one(c, check))) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(e),
            Err(_) => failures.push(format!(
                "{} {path} as {who}: no whole answer (see the panic above)",
                check["method"].as_str().unwrap()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {replayed} recorded reads answer differently:\n{}",
        failures.len(),
        failures.join("\n")
    );
    replayed
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    list[field]
        .as_array()
        .unwrap_or_else(|| panic!("no {field} in {list}"))
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

const USERS: [&str; 4] = ["alice", "bob", "carol", "static"];

/// A user's whole workflow list, and the same walked in pages of `limit`.
fn workflow_pages(c: &Client, who: &str, limit: usize) -> (Vec<Value>, Vec<String>) {
    let all = c.get_ok(who, "/api/workflows/?limit=1000");
    assert_eq!(all["next"], "", "{who}: one page holds them all");
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = c.get_ok(
            who,
            &format!("/api/workflows/?limit={limit}&cursor={}", enc(&cursor)),
        );
        let got = ids(&page, "workflows");
        assert!(got.len() <= limit);
        paged.extend(got);
        cursor = page["next"].as_str().unwrap().to_string();
        if cursor.is_empty() {
            break;
        }
    }
    (all["workflows"].as_array().unwrap().clone(), paged)
}

/// The workflow ids each user listed when the fixture was made, in that order.
fn recorded_lists(m: &Value) -> BTreeMap<&'static str, Vec<String>> {
    USERS
        .iter()
        .map(|who| (*who, strings(&m["workflow_ids"][who])))
        .collect()
}

/// Each user's workflows: `lists` in that order, newest update first, the same in pages, each
/// readable on both path families.
fn check_workflows(c: &Client, lists: &BTreeMap<&str, Vec<String>>) {
    for who in USERS {
        let expected = &lists[who];
        for limit in [1, 2, 3] {
            let (all, paged) = workflow_pages(c, who, limit);
            let listed: Vec<String> = all
                .iter()
                .map(|w| w["id"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(&listed, expected, "{who}'s workflows");
            assert_eq!(&paged, expected, "{who}'s workflows in pages of {limit}");
            for pair in all.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                let key = |w: &Value| {
                    (
                        w["updated_at"].as_str().unwrap().to_string(),
                        w["id"].as_str().unwrap().to_string(),
                    )
                };
                let ((ua, ia), (ub, ib)) = (key(a), key(b));
                assert!(
                    ua > ub || (ua == ub && ia < ib),
                    "{who}: newest update first: {ia} ({ua}) before {ib} ({ub})"
                );
            }
        }
        for id in expected {
            for family in ["/api/workflows/", "/workflows/"] {
                let w = c.get_ok(who, &format!("{family}{}", enc(id)));
                assert_eq!(w["id"], id.as_str());
            }
        }
    }
    // The id too long for a key, listed and read back whole.
    let long = "é".repeat(64);
    assert!(strings(&c.m["workflow_ids"]["alice"]).contains(&long));
    assert_eq!(
        c.get_ok("alice", &format!("/api/workflows/{}", enc(&long)))["name"],
        "Long id: é × 64"
    );
    // Public workflows of others are readable, private ones are not.
    for (who, id, name) in [
        ("bob", "alice-public", "Grüße aus Köln ☕"),
        ("carol", "bob-public", "Bob öffentlich 🚲"),
        ("alice", "carol-público", "Público de Carol"),
    ] {
        assert_eq!(
            c.get_ok(who, &format!("/api/workflows/{}", enc(id)))["name"],
            name
        );
    }
    for (who, id) in [("bob", "alice-shout"), ("alice", "carol-notes")] {
        assert_eq!(c.get(who, &format!("/workflows/{id}")).status, 404);
    }
    assert_eq!(c.get("alice", "/api/workflows/alice-gone").status, 404);
    // A stored graph still runs.
    let r = c.ok(
        "alice",
        "POST",
        "/workflows/alice-shout/run",
        json!({"params": {"text": "après"}}),
    );
    assert_eq!(r, json!({"result": "APRÈS"}));
}

fn check_users(c: &Client, extra: &[&str]) {
    for admin in ["alice", "static"] {
        let listed = c.get_ok(admin, "/api/users/");
        let mut names: Vec<String> = listed["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        let mut expected: Vec<String> = ["alice", "bob", "carol"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect();
        expected.sort();
        assert_eq!(names, expected);
        for u in listed["users"].as_array().unwrap() {
            let name = u["username"].as_str().unwrap();
            if let Some(id) = c.m["users"][name].as_str() {
                assert_eq!(u["user_id"], id, "{name}");
            }
        }
    }
    assert_eq!(c.get("bob", "/api/users/").status, 403);
    assert_eq!(
        c.get("bob-old", "/api/workflows/").status,
        401,
        "a token replaced before the upgrade stays refused"
    );
    let carol = c.get_ok("alice", "/api/users/carol");
    assert_eq!(carol["user_id"], c.m["users"]["carol"]);
    assert_eq!(carol["created_at"], "2025-01-15T09:30:00");
}

/// Each user's secrets decrypted, and listed as configured; `added` are written after the
/// upgrade.
fn check_secrets(c: &Client, added: &[(&str, &str, &str)]) {
    let values = [
        ("alice", "OPENAI_API_KEY", "sk-alice-second"),
        ("alice", "ANTHROPIC_API_KEY", "sk-ant-alice-ü"),
        ("alice", "MEIN_SCHLÜSSEL", "wert-ü-🔑"),
        ("alice", &"SCHLÜSSEL_".repeat(16), "long key's value"),
        ("bob", "OPENAI_API_KEY", "sk-bob"),
        ("bob", "GEMINI_API_KEY", "gem-bob 🔑"),
        ("carol", "OPENAI_API_KEY", "sk-carol"),
        ("carol", "CAROL_PRIVATE", "carol's imported value"),
        ("static", "SERPAPI_API_KEY", "serp-static"),
    ];
    for &(who, key, value) in values.iter().chain(added) {
        let r = c.get_ok(
            who,
            &format!("/api/settings/secrets/{}?decrypt=true", enc(key)),
        );
        assert_eq!(r["value"], value, "{who}'s {key}");
        assert_eq!(r["user_id"], c.m["users"][who]);
    }
    for who in USERS {
        let list = c.get_ok(who, "/api/settings/secrets?limit=1000");
        let configured: BTreeSet<String> = list["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["is_configured"] == true)
            .map(|s| s["key"].as_str().unwrap().to_string())
            .collect();
        let mut expected: BTreeSet<String> =
            strings(&c.m["secret_keys"][who]).into_iter().collect();
        expected.extend(added.iter().filter(|a| a.0 == who).map(|a| a.1.to_string()));
        assert_eq!(configured, expected, "{who}'s configured secrets");
    }
    let r = c.get("bob", "/api/settings/secrets/HF_TOKEN");
    assert_eq!(r.status, 404, "deleted before the upgrade: {}", r.text());
    let r = c.get(
        "carol",
        "/api/settings/secrets/ANTHROPIC_API_KEY?decrypt=true",
    );
    assert_eq!(r.status, 404, "alice's secret is not carol's: {}", r.text());
}

/// Every asset under `parent` for `user`, walked folder by folder: (id, parent, name) and the
/// file bytes of each file.
fn asset_tree(c: &Client, user: &str, parent: &str, out: &mut Vec<(String, String, String)>) {
    let list = c.get_ok(
        "alice",
        &format!(
            "/admin/assets?user_id={}&parent_id={}",
            enc(user),
            enc(parent)
        ),
    );
    assert_eq!(list["next"], "");
    for a in list["assets"].as_array().unwrap() {
        let id = a["id"].as_str().unwrap().to_string();
        assert_eq!(a["user_id"], user);
        out.push((
            id.clone(),
            parent.to_string(),
            a["name"].as_str().unwrap().to_string(),
        ));
        if a["content_type"] == "folder" {
            asset_tree(c, user, &id, out);
        } else {
            let url = a["get_url"].as_str().unwrap();
            let r = c.get("bob", url);
            assert_eq!(r.status, 200, "{url}");
            assert_eq!(Some(r.body.len() as u64), a["size"].as_u64(), "{url}");
        }
    }
}

fn check_assets(c: &Client, added: &[(&str, &str, &str)]) {
    let alice = c.m["users"]["alice"].as_str().unwrap();
    let mut tree = Vec::new();
    asset_tree(c, alice, alice, &mut tree);
    let generated = c.m["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|ch| {
            let list = ch.get("json")?.get("assets")?.as_array()?;
            list.iter()
                .find(|a| a["name"] == "no id given.csv")
                .map(|a| a["id"].as_str().unwrap().to_string())
        })
        .unwrap();
    let expected: BTreeSet<(String, String, String)> = [
        ("a-projects", alice, "Projects"),
        ("a-chart", alice, "chart.png"),
        ("a-2024", "a-projects", "2024 – Été"),
        (generated.as_str(), "a-projects", "no id given.csv"),
        ("a-donnees", "a-2024", "Données"),
        ("a-big", "a-2024", "großes Archiv.bin"),
        ("a-deep", "a-donnees", "deepest"),
        ("a-notes", "a-donnees", "notes – ü.txt"),
        ("a-deep-file", "a-deep", "at the bottom.json"),
    ]
    .iter()
    .chain(added)
    .map(|(a, b, n)| (a.to_string(), b.to_string(), n.to_string()))
    .collect();
    let got: BTreeSet<_> = tree.into_iter().collect();
    assert_eq!(got, expected, "alice's asset tree");

    let bob = c.m["users"]["bob"].as_str().unwrap();
    let mut tree = Vec::new();
    asset_tree(c, bob, bob, &mut tree);
    assert_eq!(tree.len(), 2, "{tree:?}");
    let carol = c.m["users"]["carol"].as_str().unwrap();
    let mut tree = Vec::new();
    asset_tree(c, carol, carol, &mut tree);
    let names: Vec<&str> = tree.iter().map(|t| t.2.as_str()).collect();
    assert_eq!(names, ["Carol’s folder", "photo.jpg"]);

    let big = c.get("alice", "/storage/assets/a-big.bin");
    assert_eq!(big.status, 200);
    assert_eq!(big.body, pattern("asset a-big", 1_600_001));
    for gone in ["a-trash", "a-trash-file"] {
        assert_eq!(c.get("alice", &format!("/admin/assets/{gone}")).status, 404);
    }
    assert_eq!(
        c.get("alice", "/storage/assets/a-trash-file.txt").status,
        404
    );
}

/// The large object, whole and across its chunk boundaries.
fn check_big_object(c: &Client, label: &str, size: usize) {
    let path = c.m["big_object"]["path"].as_str().unwrap();
    let data = pattern(label, size);
    let r = c.get("static", path);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some(size.to_string().as_str()));
    assert!(
        r.body == data,
        "{path}: {} bytes, not the expected",
        r.body.len()
    );
    let chunk = 1024 * 1024;
    for (start, end) in [
        (chunk - 10, chunk + 20),
        (0, 0),
        (size - 5, size - 1),
        (chunk - 1, 2 * chunk.min(size / 2) + 1),
    ] {
        let end = end.min(size - 1);
        let r = c.send(
            "static",
            "GET",
            path,
            &[("Range", &format!("bytes={start}-{end}"))],
            b"",
        );
        assert_eq!(r.status, 206, "bytes={start}-{end}");
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes {start}-{end}/{size}").as_str())
        );
        assert!(r.body == data[start..=end], "bytes={start}-{end}");
    }
}

fn check_storage(c: &Client) {
    for (path, body) in [
        (
            "/storage/assets/docs/hello.txt",
            "hello, storage".as_bytes(),
        ),
        (
            "/storage/assets/%C3%BCn%C3%AFc%C3%B8d%C3%A9/na%C3%AFve%20file.txt",
            "ünïcødé ✓".as_bytes(),
        ),
        (
            &format!("/storage/assets/long/{}.txt", enc(&"ж".repeat(80))),
            b"a key too long to keep as it is",
        ),
        ("/storage/assets/empty.bin", b""),
        (
            "/storage/temp/nested/a/b/c/deep.json",
            br#"{"nested": true}"#,
        ),
        ("/storage/assets/replaced.txt", b"second version"),
    ] {
        let r = c.get("carol", path);
        assert_eq!((r.status, r.body.as_slice()), (200, body), "{path}");
    }
    assert_eq!(c.get("static", "/admin/storage/temp/gone.txt").status, 404);
}

fn check_collections(c: &Client, docs_v1_count: u64) {
    let list = c.get_ok("static", "/admin/collections");
    let names: Vec<&str> = list["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["docs-v1", "empty-v1", "renamed.v1"]);
    assert_eq!(list["collections"][0]["count"], docs_v1_count);
    assert_eq!(list["collections"][1]["count"], 0);
    assert_eq!(list["collections"][2]["count"], 2);
    // Visible to alice, who may read the public workflow it names.
    assert_eq!(
        c.get_ok("alice", "/admin/collections/renamed.v1")["workflow_name"],
        "Grüße aus Köln ☕"
    );
    for gone in ["rename-me", "gone-v1"] {
        assert_eq!(
            c.get("static", &format!("/admin/collections/{gone}"))
                .status,
            404
        );
    }
    let q = c.ok(
        "static",
        "POST",
        "/admin/collections/docs-v1/query",
        json!({"query_embeddings": [[0, 1, 0.1, 0]], "n_results": 1}),
    );
    assert_eq!(q["ids"], json!([["d2"]]));
    assert_eq!(q["documents"], json!([["second document, replaced"]]));
    assert_eq!(q["metadatas"], json!([[{"kind": "even", "n": 22}]]));
    let q = c.ok(
        "static",
        "POST",
        "/admin/collections/docs-v1/query",
        json!({"query_embeddings": [[1, 0, 0, 0]], "n_results": 10, "where": {"kind": "odd"}}),
    );
    assert_eq!(q["ids"], json!([["d1", "d3"]]));
}

#[test]
fn a_v1_store_answers_as_v1_did() {
    if skip_unless_native() {
        return;
    }
    let m = manifest();
    let dir = copy_of_the_store();
    let r = start(&m, dir.path());
    let c = Client {
        base: r.base.clone(),
        m: &m,
    };
    let replayed = replay(&c, |_, _| false);
    assert!(replayed > 150, "{replayed} recorded reads");
    check_users(&c, &[]);
    check_workflows(&c, &recorded_lists(&m));
    check_secrets(&c, &[]);
    check_assets(&c, &[]);
    let big = &m["big_object"];
    let size = big["size"].as_u64().unwrap() as usize;
    check_big_object(&c, big["label"].as_str().unwrap(), size);
    check_storage(&c);
    check_collections(&c, 4);
    assert!(r.panics().is_empty(), "{:?}", r.panics());
    assert_eq!(r.terminate(), Some(0));
}

/// The recorded reads that the writes of the next test change.
fn changed_by_writes(who: &str, path: &str) -> bool {
    let lists_workflows = path.starts_with("/api/workflows/?") || path == "/workflows";
    (lists_workflows && matches!(who, "alice" | "bob"))
        || path.contains("bob-private")
        || path.contains("bob-public")
        || path.contains("multi-chunk.bin")
        || path == "/admin/assets?parent_id=a-deep"
        || path == "/api/users/"
        || (who == "carol" && path.starts_with("/api/settings/secrets?"))
        || (who == "carol" && path == "/api/settings/secrets")
        || path == "/admin/collections"
        || path.starts_with("/admin/collections/docs-v1")
}

#[test]
fn writes_on_a_v1_store_land_beside_the_old_data_and_survive_a_restart() {
    if skip_unless_native() {
        return;
    }
    let m = manifest();
    let dir = copy_of_the_store();
    let r = start(&m, dir.path());
    let c = Client {
        base: r.base.clone(),
        m: &m,
    };

    // A new workflow lists first, before every old one.
    let created = c.ok(
        "alice",
        "POST",
        "/api/workflows/",
        json!({"name": "after the upgrade", "access": "private", "graph": {"nodes": [], "edges": []}}),
    );
    let new_id = created["id"].as_str().unwrap().to_string();
    let r2 = c.ok(
        "alice",
        "PUT",
        "/api/workflows/new-%C3%BC",
        json!({"name": "neu ü", "access": "public", "graph": {"nodes": [], "edges": []}}),
    );
    assert_eq!(r2["id"], "new-ü");
    // An old workflow replaced: it keeps its creation time and moves to the front.
    let old = c.get_ok("bob", "/api/workflows/bob-public");
    let updated = c.ok(
        "bob",
        "PUT",
        "/api/workflows/bob-public",
        json!({"name": "Bob öffentlich 🚲", "access": "public", "description": "edited",
               "graph": {"nodes": [], "edges": []}}),
    );
    assert_eq!(updated["created_at"], old["created_at"]);
    assert!(updated["updated_at"].as_str() > old["updated_at"].as_str());
    assert_eq!(
        c.send("bob", "DELETE", "/api/workflows/bob-private", &[], b"")
            .status,
        200
    );
    // alice's two new ones first; bob's edited one first, his deleted one gone.
    let mut lists = recorded_lists(&m);
    let alice = lists.get_mut("alice").unwrap();
    alice.splice(0..0, ["new-ü".to_string(), new_id]);
    let bob = lists.get_mut("bob").unwrap();
    bob.retain(|id| id != "bob-public" && id != "bob-private");
    bob.insert(0, "bob-public".to_string());

    // The multi-chunk object overwritten with a longer one (three chunks).
    let path = m["big_object"]["path"].as_str().unwrap();
    let new_label = "overwritten after the upgrade";
    let new_size = 2 * 1024 * 1024 + 12_345;
    c.put_bytes(path, &pattern(new_label, new_size));
    check_big_object(&c, new_label, new_size);

    // A file in the deepest folder, a secret for carol, a user, a document.
    c.ok(
        "alice",
        "POST",
        "/admin/assets",
        json!({"id": "a-new", "name": "nach dem Upgrade.xml", "content_type": "application/xml",
               "parent_id": "a-deep"}),
    );
    c.put_bytes("/admin/storage/assets/a-new.bin", b"<new/>");
    c.ok(
        "carol",
        "PUT",
        "/api/settings/secrets/GEMINI_API_KEY",
        json!({"value": "gem-carol-new"}),
    );
    let dave = c.ok("alice", "POST", "/api/users/", json!({"username": "dave"}));
    let dave_token = dave["token"].as_str().unwrap().to_string();
    c.ok(
        "static",
        "POST",
        "/admin/collections/docs-v1/add",
        json!({"ids": ["new"], "documents": ["added after the upgrade"],
               "metadatas": [{"kind": "new"}], "embeddings": [[0, 0, 0, 1]]}),
    );

    let check_all = |c: &Client| {
        replay(c, changed_by_writes);
        check_workflows(c, &lists);
        assert_eq!(c.get("bob", "/api/workflows/bob-private").status, 404);
        check_users(c, &["dave"]);
        let r = request(
            &c.base,
            "GET",
            "/api/workflows/",
            &[("Authorization", format!("Bearer {dave_token}").as_bytes())],
            b"",
        );
        assert_eq!((r.status, r.json()["workflows"].clone()), (200, json!([])));
        check_secrets(c, &[("carol", "GEMINI_API_KEY", "gem-carol-new")]);
        check_assets(c, &[("a-new", "a-deep", "nach dem Upgrade.xml")]);
        check_big_object(c, new_label, new_size);
        check_storage(c);
        check_collections(c, 5);
        let q = c.ok(
            "static",
            "POST",
            "/admin/collections/docs-v1/query",
            json!({"query_embeddings": [[0, 0, 0, 1]], "n_results": 1}),
        );
        assert_eq!(q["ids"], json!([["new"]]));
    };
    check_all(&c);
    assert!(r.panics().is_empty(), "{:?}", r.panics());
    assert_eq!(r.terminate(), Some(0), "SIGTERM is a clean exit");

    let r = start(&m, dir.path());
    let c = Client {
        base: r.base.clone(),
        m: &m,
    };
    check_all(&c);
    assert!(r.panics().is_empty(), "{:?}", r.panics());
    assert_eq!(r.terminate(), Some(0));
}
