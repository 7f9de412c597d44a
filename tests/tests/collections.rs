//! `/admin/collections` (reference 4.6, 7.4): NodeTool's `deploy collections sync` calls, then
//! nearest-neighbour queries over what it stored, through the real runner and SQLite.

use nodetool_edge_conformance::{Profile, Reply, Target};
use serde_json::{Value, json};

fn post(t: &Target, path: &str, body: Value) -> Reply {
    t.call("POST", path, body.to_string().as_bytes())
}

/// A unit vector along axis `i` of 4, slightly tilted towards axis `(i + 1) % 4`.
fn axis(i: usize, tilt: f64) -> Vec<f64> {
    let mut v = vec![0.0; 4];
    v[i % 4] = 1.0;
    v[(i + 1) % 4] = tilt;
    v
}

#[test]
fn sync_then_query_update_and_delete() {
    let Some(t) = Target::new(Profile::ProductionAdmin) else {
        return;
    };
    // The seed: GET /admin/collections with X-Admin-Token in production.
    let r = t.get("/admin/collections");
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"collections": [], "count": 0}));

    let r = post(
        &t,
        "/admin/collections",
        json!({"name": "docs", "embedding_model": "all-minilm:latest"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"name": "docs", "count": 0,
               "metadata": {"embedding_model": "all-minilm:latest"}, "workflow_name": null})
    );

    // NodeTool's sync: batches of ten with all four lists, empty metadata as {"_empty": "true"}.
    for batch in 0..2 {
        let range = batch * 10..batch * 10 + 10;
        let body = json!({
            "ids": range.clone().map(|i| format!("d{i}")).collect::<Vec<_>>(),
            "documents": range.clone().map(|i| format!("text {i}")).collect::<Vec<_>>(),
            "metadatas": range.clone().map(|i| if i % 2 == 0 { json!({"_empty": "true"}) }
                                               else { json!({"kind": "odd"}) })
                              .collect::<Vec<_>>(),
            "embeddings": range.map(|i| axis(i, i as f64 / 100.0)).collect::<Vec<_>>(),
        });
        let r = post(&t, "/admin/collections/docs/add", body);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.json(),
            json!({"message": "Documents added to collection docs successfully"})
        );
    }
    assert_eq!(t.get("/admin/collections/docs").json()["count"], 20);

    // Nearest to axis 2: d2, d6, d10, d14, d18 point along it, least tilted first.
    let r = post(
        &t,
        "/admin/collections/docs/query",
        json!({"query_embeddings": [[0.0, 0.0, 1.0, 0.0]], "n_results": 3}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let q = r.json();
    assert_eq!(q["ids"], json!([["d2", "d6", "d10"]]));
    assert_eq!(q["documents"], json!([["text 2", "text 6", "text 10"]]));
    assert_eq!(q["metadatas"][0][0], json!({"_empty": "true"}));
    let d0 = q["distances"][0][0].as_f64().unwrap();
    let expected = 1.0 - 1.0 / (1.0f64 + 0.02 * 0.02).sqrt();
    assert!((d0 - expected).abs() < 1e-5, "{d0} vs {expected}");
    // A metadata filter, and two queries at once. No odd document lies along axis 0; d19 and
    // d15 (along axis 3) lean towards it most.
    let r = post(
        &t,
        "/admin/collections/docs/query",
        json!({"query_embeddings": [[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]],
               "n_results": 2, "where": {"kind": "odd"}}),
    );
    assert_eq!(r.json()["ids"], json!([["d1", "d5"], ["d19", "d15"]]));

    // Re-adding an id replaces it (a repeated sync converges).
    let r = post(
        &t,
        "/admin/collections/docs/add",
        json!({"ids": ["d2"], "embeddings": [[0.0, 1.0, 0.0, 0.0]], "documents": ["moved"],
               "metadatas": [{"v": 2}]}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(t.get("/admin/collections/docs").json()["count"], 20);
    let r = post(
        &t,
        "/admin/collections/docs/query",
        json!({"query_embeddings": [[0.0, 1.0, 0.0, 0.0]], "n_results": 1}),
    );
    assert_eq!(r.json()["documents"], json!([["moved"]]));

    // Update: metadata merges; a rename answers with the new name and moves the documents.
    let wf = t.call(
        "POST",
        "/api/workflows/",
        json!({"name": "RAG", "access": "private", "graph": {"nodes": [], "edges": []}})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(wf.status, 200, "{}", wf.text());
    let wf_id = wf.json()["id"].as_str().unwrap().to_string();
    let r = t.call(
        "PUT",
        "/admin/collections/docs",
        json!({"name": "docs-v2", "metadata": {"workflow": wf_id}})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let c = r.json();
    assert_eq!(c["name"], "docs-v2");
    assert_eq!(c["count"], 20);
    assert_eq!(c["workflow_name"], "RAG");
    assert_eq!(c["metadata"]["embedding_model"], "all-minilm:latest");
    assert_eq!(t.get("/admin/collections/docs").status, 404);
    let list = t.get("/admin/collections").json();
    assert_eq!(list["count"], 1);
    assert_eq!(list["collections"][0]["name"], "docs-v2");

    let r = t.call("DELETE", "/admin/collections/docs-v2", b"");
    assert_eq!(
        (r.status, r.json()),
        (
            200,
            json!({"message": "Collection docs-v2 deleted successfully"})
        )
    );
    assert_eq!(t.get("/admin/collections/docs-v2").status, 404);
    // A new collection of the same name starts empty.
    let r = post(
        &t,
        "/admin/collections",
        json!({"name": "docs-v2", "embedding_model": "m"}),
    );
    assert_eq!(r.json()["count"], 0);
}

#[test]
fn bad_requests_are_refused_clearly() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let loc = |r: &Reply| (r.status, r.json()["errors"][0]["loc"].clone());
    let r = post(&t, "/admin/collections", json!({"name": "docs"}));
    assert_eq!(loc(&r), (422, json!(["body", "embedding_model"])));
    for bad in ["ab", "../etc", "a b", "-docs"] {
        let r = post(
            &t,
            "/admin/collections",
            json!({"name": bad, "embedding_model": "m"}),
        );
        assert_eq!(r.status, 400, "{bad}");
        assert!(
            r.detail().starts_with("Invalid collection name"),
            "{}",
            r.detail()
        );
    }
    let r = post(
        &t,
        "/admin/collections",
        json!({"name": "docs", "embedding_model": "m"}),
    );
    assert_eq!(r.status, 200);
    let r = post(
        &t,
        "/admin/collections",
        json!({"name": "docs", "embedding_model": "m"}),
    );
    assert_eq!(
        (r.status, r.detail()),
        (409, "Collection docs already exists".into())
    );

    for (method, path) in [
        ("GET", "/admin/collections/nope"),
        ("DELETE", "/admin/collections/nope"),
    ] {
        let r = t.call(method, path, b"");
        assert_eq!(
            (r.status, r.detail()),
            (404, "Collection not found".into()),
            "{path}"
        );
    }
    let ok_add = json!({"ids": ["a"], "embeddings": [[1.0, 0.0]]});
    let r = post(&t, "/admin/collections/nope/add", ok_add.clone());
    assert_eq!(r.status, 404);
    let r = post(
        &t,
        "/admin/collections/nope/query",
        json!({"query_embeddings": [[1.0]]}),
    );
    assert_eq!(r.status, 404);

    let add = |body: Value| post(&t, "/admin/collections/docs/add", body);
    let r = add(json!({"ids": ["a", "b"], "embeddings": [[1.0, 0.0]]}));
    assert_eq!(r.status, 400);
    assert!(r.detail().contains("same length"), "{}", r.detail());
    let r = add(json!({"ids": ["a", "a"], "embeddings": [[1.0, 0.0], [0.0, 1.0]]}));
    assert_eq!(
        (r.status, r.detail()),
        (400, "Id 'a' appears more than once in the batch".into())
    );
    let r = add(json!({"ids": ["a"], "embeddings": [[0.0, 0.0]]}));
    assert_eq!(loc(&r), (422, json!(["body", "embeddings", "0"])));
    let r = add(json!({"ids": ["a"], "embeddings": [["x", 1.0]]}));
    assert_eq!(loc(&r), (422, json!(["body", "embeddings", "0"])));
    let r = add(json!({"ids": ["a"], "embeddings": [[1e39]]}));
    assert_eq!(loc(&r), (422, json!(["body", "embeddings", "0"])));
    let r = add(json!({"ids": [""], "embeddings": [[1.0]]}));
    assert_eq!(loc(&r), (422, json!(["body", "ids", "0"])));
    let r = add(json!({"ids": ["a"], "embeddings": [[1.0]], "metadatas": [{"k": {"nested": 1}}]}));
    assert_eq!(loc(&r), (422, json!(["body", "metadatas", "0", "k"])));
    let r = add(json!({"embeddings": [[1.0]]}));
    assert_eq!(loc(&r), (422, json!(["body", "ids"])));
    // The first embedding fixes the dimension; a batch that disagrees writes nothing.
    assert_eq!(add(ok_add).status, 200);
    let r = add(json!({"ids": ["b", "c"], "embeddings": [[0.0, 1.0], [1.0, 2.0, 3.0]]}));
    assert_eq!(r.status, 400);
    assert!(r.detail().contains("has 3 dimensions"), "{}", r.detail());
    assert_eq!(t.get("/admin/collections/docs").json()["count"], 1);

    let query = |body: Value| post(&t, "/admin/collections/docs/query", body);
    let r = query(json!({"query_embeddings": [[1.0, 0.0, 0.0]]}));
    assert_eq!(r.status, 400);
    let r = query(json!({"query_embeddings": [[1.0, 0.0]], "n_results": 0}));
    assert_eq!(loc(&r), (422, json!(["body", "n_results"])));
    let r = query(json!({"query_embeddings": []}));
    assert_eq!(r.status, 400);
    let r = query(json!({}));
    assert_eq!(loc(&r), (422, json!(["body", "query_embeddings"])));
    let r = t.call("GET", "/admin/collections/docs/add", b"");
    assert_eq!(r.status, 405);

    // Renaming onto an existing collection is refused and changes nothing.
    post(
        &t,
        "/admin/collections",
        json!({"name": "other", "embedding_model": "m"}),
    );
    let r = t.call(
        "PUT",
        "/admin/collections/docs",
        json!({"name": "other"}).to_string().as_bytes(),
    );
    assert_eq!(r.status, 409);
    assert_eq!(t.get("/admin/collections/docs").json()["count"], 1);
}
