//! Workflow CRUD on both path families, stored through the component's key-value store.

use nodetool_edge_conformance::{Profile, Target, request};
use serde_json::{Value, json};

fn workflow(name: &str) -> Vec<u8> {
    json!({
        "name": name,
        "access": "private",
        "description": "made by the conformance suite",
        "tags": ["test"],
        "graph": {
            "nodes": [
                {"id": "in", "type": "nodetool.input.StringInput", "data": {"name": "text", "value": "hi"}},
                {"id": "up", "type": "nodetool.text.ToUppercase", "data": {"text": "stale"}},
                {"id": "out", "type": "nodetool.output.Output", "data": {"name": "result"}}
            ],
            "edges": [
                {"id": "e1", "source": "in", "sourceHandle": "output", "target": "up", "targetHandle": "text"},
                {"id": "e2", "source": "up", "sourceHandle": "output", "target": "out", "targetHandle": "value"}
            ]
        }
    })
    .to_string()
    .into_bytes()
}

fn ids(list: &Value) -> Vec<String> {
    list["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect()
}

fn crud_on(t: &Target, collection: &str) {
    // Create with a server-chosen id.
    let r = t.call("POST", collection, &workflow("first"));
    assert_eq!(r.status, 200, "{}", r.text());
    let created = r.json();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(created["name"], "first");
    assert_eq!(created["access"], "private");
    assert_eq!(created["tags"], json!(["test"]));
    assert_eq!(created["thumbnail"], "");
    assert!(created["etag"].is_string());
    // Connected slots are dropped on save (reference remove_connected_slots).
    assert_eq!(created["graph"]["nodes"][1]["data"], json!({}));
    assert_eq!(
        created["input_schema"]["properties"]["text"]["type"],
        "string"
    );
    assert_eq!(created["output_schema"]["required"], json!(["result"]));

    let item = format!("{}/{id}", collection.trim_end_matches('/'));
    let r = t.get(&item);
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), created);

    // PUT upserts with the client's id, and keeps created_at on update.
    let custom = format!("{}/sync-me-{}", collection.trim_end_matches('/'), &id[..8]);
    let r = t.call("PUT", &custom, &workflow("second"));
    assert_eq!(r.status, 200, "{}", r.text());
    let first_put = r.json();
    let r = t.call("PUT", &custom, &workflow("second, renamed"));
    let second_put = r.json();
    assert_eq!(second_put["name"], "second, renamed");
    assert_eq!(second_put["created_at"], first_put["created_at"]);
    assert!(second_put["updated_at"].as_str() >= first_put["updated_at"].as_str());

    let r = t.get(collection);
    assert_eq!(r.status, 200);
    let list = r.json();
    assert_eq!(list["next"], "");
    let listed = ids(&list);
    assert!(listed.contains(&id));
    assert!(listed.contains(&second_put["id"].as_str().unwrap().to_string()));

    // DELETE answers null, then the workflow is gone.
    let r = t.call("DELETE", &item, b"");
    assert_eq!((r.status, r.text()), (200, "null".to_string()));
    let r = t.get(&item);
    assert_eq!(
        (r.status, r.detail()),
        (404, "Workflow not found".to_string())
    );
    let r = t.call("DELETE", &item, b"");
    assert_eq!(
        (r.status, r.detail()),
        (404, "Workflow not found".to_string())
    );
    assert!(!ids(&t.get(collection).json()).contains(&id));
}

#[test]
fn crud_on_nodetool_paths() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    crud_on(&t, "/api/workflows/");
}

#[test]
fn crud_on_seed_paths() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    crud_on(&t, "/workflows");
}

#[test]
fn crud_in_local_mode() {
    let Some(t) = Target::new(Profile::Local) else {
        return;
    };
    crud_on(&t, "/api/workflows");
}

#[test]
fn both_families_see_the_same_workflows() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let r = t.call("PUT", "/api/workflows/shared-id", &workflow("shared"));
    assert_eq!(r.status, 200);
    assert_eq!(t.get("/workflows/shared-id").json()["name"], "shared");
    assert_eq!(t.call("DELETE", "/workflows/shared-id", b"").status, 200);
    assert_eq!(t.get("/api/workflows/shared-id").status, 404);
}

#[test]
fn listing_pages_newest_first() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    for i in 0..5 {
        let r = t.call(
            "PUT",
            &format!("/api/workflows/page-{i}"),
            &workflow(&format!("w{i}")),
        );
        assert_eq!(r.status, 200);
    }
    let all = ids(&t.get("/api/workflows/?limit=1000").json());
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = t
            .get(&format!("/api/workflows/?limit=2&cursor={cursor}"))
            .json();
        seen.extend(ids(&page));
        cursor = page["next"].as_str().unwrap().to_string();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(seen, all);
    assert!(seen.len() >= 5);
    assert_eq!(
        &seen[..1],
        &["page-4".to_string()],
        "most recently updated first"
    );
    let r = t.get("/api/workflows/?limit=0");
    assert_eq!(r.status, 400);
    assert!(r.detail().contains("limit"));
}

#[test]
fn invalid_bodies_are_clear_4xx() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let r = t.call("PUT", "/api/workflows/bad", b"{not json");
    assert_eq!(r.status, 422);
    assert_eq!(r.detail(), "Request validation failed");
    assert_eq!(r.json()["errors"][0]["type"], "json_invalid");

    let r = t.call(
        "POST",
        "/api/workflows/",
        br#"{"graph": {"nodes": [], "edges": []}}"#,
    );
    assert_eq!(r.status, 422);
    let errors = r.json()["errors"].clone();
    assert_eq!(errors[0]["loc"], json!(["body", "name"]));
    assert_eq!(errors[0]["msg"], "Field required");
    assert_eq!(errors[1]["loc"], json!(["body", "access"]));
    assert!(errors[0].get("input").is_none(), "input is never echoed");

    let r = t.call(
        "PUT",
        "/api/workflows/bad",
        br#"{"name": "n", "access": "private"}"#,
    );
    assert_eq!(
        (r.status, r.detail()),
        (400, "Invalid workflow".to_string())
    );

    let r = t.call(
        "PUT",
        "/api/workflows/bad",
        br#"{"name": "n", "access": "everyone", "graph": {}}"#,
    );
    assert_eq!(r.status, 422);

    let r = t.call("PUT", "/api/workflows/bad", b"[1, 2]");
    assert_eq!(r.status, 422);

    let long_id = "x".repeat(200);
    let r = t.call("PUT", &format!("/api/workflows/{long_id}"), &workflow("n"));
    assert_eq!(r.status, 400);

    let r = t.call("PUT", "/api/workflows/ctrl%01id", &workflow("n"));
    assert_eq!(r.status, 400);
    // None of these left anything behind.
    assert_eq!(t.get("/api/workflows/bad").status, 404);
}

#[test]
fn unknown_paths_and_methods_are_json_404_and_405() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let r = t.get("/api/nothing");
    assert_eq!(r.status, 404);
    assert_eq!(r.json(), json!({"detail": "Not Found"}));
    let r = t.call("PATCH", "/api/workflows/x", b"{}");
    assert_eq!(r.status, 405);
    assert_eq!(r.json(), json!({"detail": "Method Not Allowed"}));
    assert_eq!(r.header("allow"), Some("GET, HEAD, PUT, DELETE"));
    let r = t.call("DELETE", "/workflows", b"");
    assert_eq!(r.status, 405);
}

#[test]
fn bodies_over_the_limit_are_413() {
    let Some(t) = Target::with_env(Profile::Static, &[("MAX_BODY_BYTES", "4096")]) else {
        return;
    };
    let big = json!({"name": "x".repeat(8192), "access": "private", "graph": {}}).to_string();
    let r = t.call("PUT", "/api/workflows/big", big.as_bytes());
    assert_eq!(r.status, 413);
    assert!(r.detail().contains("4096"), "{}", r.detail());
    assert_eq!(t.get("/api/workflows/big").status, 404);
    // Just under the limit is fine.
    let ok = json!({"name": "x".repeat(3000), "access": "private", "graph": {}}).to_string();
    assert_eq!(
        t.call("PUT", "/api/workflows/big", ok.as_bytes()).status,
        200
    );
}

#[test]
fn ids_too_long_for_a_kv_key_are_stored_and_listed() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    // 128 bytes (the limit) that percent-encode to 384: the keys hold a shortened form, and the
    // listing still gives the id back whole.
    let id = "é".repeat(64);
    let path = format!("/api/workflows/{}", id.replace('é', "%C3%A9"));
    let r = t.call("PUT", &path, &workflow("long id"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["id"], id.as_str());
    let r = t.get(&path);
    assert_eq!(
        (r.status, r.json()["name"].clone()),
        (200, json!("long id"))
    );
    assert_eq!(ids(&t.get("/api/workflows/").json()), vec![id.clone()]);
    assert_eq!(t.call("DELETE", &path, b"").status, 200);
    assert_eq!(t.get(&path).status, 404);
    assert!(ids(&t.get("/api/workflows/").json()).is_empty());
}

/// A fresh server's first requests, arriving together, all land. On `spin up` the first
/// requests open Spin's SQLite store at the same moment, and all but one could find the
/// database locked and answer 503 (the Spin adapter now tries the open again).
#[test]
fn the_first_requests_to_a_fresh_server_arriving_together_all_land() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    const WRITERS: usize = 12;
    let auth = t.token.as_ref().map(|token| format!("Bearer {token}"));
    let start = std::sync::Barrier::new(WRITERS);
    let mut created: Vec<String> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|i| {
                let (base, auth, start) = (&t.base, &auth, &start);
                s.spawn(move || {
                    let mut headers: Vec<(&str, &[u8])> =
                        vec![("Content-Type", b"application/json")];
                    if let Some(auth) = auth {
                        headers.push(("Authorization", auth.as_bytes()));
                    }
                    let body = workflow(&format!("writer {i}"));
                    start.wait();
                    let r = request(base, "POST", "/api/workflows", &headers, &body);
                    assert_eq!(r.status, 200, "writer {i}: {}", r.text());
                    r.json()["id"].as_str().unwrap().to_string()
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut listed = ids(&t.get("/api/workflows?limit=100").json());
    created.sort();
    listed.sort();
    assert_eq!(listed, created, "every acknowledged create is listed");
}
