//! NodeTool's own example workflows (69 of them, kept beside the project in
//! `../shared/nodetool-examples/`, or where `NODETOOL_EXAMPLES` points): each is saved as NodeTool's
//! CLI would sync it, then run with a stand-in language model. The walk prints how many ran to
//! completion, how many were refused up front (422 naming each node type this server cannot run,
//! and why) and how many failed while running, and holds the server to:
//! - every example is saved (a sync never fails on a node type);
//! - no run answers 5xx, and none fails other than for a URL on the internet (which the test's
//!   network does not reach);
//! - a refusal names only node types of that example, none of which `/api/nodes/metadata` lists;
//! - at least `MIN_COMPLETED` examples run to completion (raise it as families land).

use std::path::PathBuf;

use nodetool_edge_conformance::Reply;
use nodetool_edge_conformance::models::{Models, PNG};
use nodetool_edge_conformance::{Server, bearer, skip_when_external};
use serde_json::Value;

const TOKEN: &str = "examples-static-token-0123456789abcdef";
const MIN_COMPLETED: usize = 50;
const REFUSAL: &str = "This workflow uses node types this server cannot run: ";

fn examples_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("NODETOOL_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/nodetool-examples")
        });
    dir.is_dir().then_some(dir)
}

fn examples() -> Vec<(String, Value)> {
    let Some(dir) = examples_dir() else {
        return Vec::new();
    };
    let mut all: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            (name, v)
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

/// Creates the asset a media reference names (`asset_id`, and its extension from `uri`) with
/// stand-in bytes: a PNG for images, a few bytes otherwise.
fn seed_asset(call: &dyn Fn(&str, &str, &[u8]) -> Reply, reference: &Value) {
    let Some(id) = reference["asset_id"].as_str().filter(|i| !i.is_empty()) else {
        return;
    };
    let ext = reference["uri"]
        .as_str()
        .and_then(|u| u.rsplit_once('.'))
        .map(|(_, e)| e)
        .unwrap_or("bin");
    let (content_type, bytes): (&str, &[u8]) = match (reference["type"].as_str(), ext) {
        (Some("image"), _) => ("image/png", PNG),
        (_, "webm") => ("audio/webm", b"stand-in audio"),
        (_, "mp3") => ("audio/mpeg", b"stand-in audio"),
        _ => ("application/octet-stream", b"stand-in"),
    };
    let record =
        serde_json::json!({"id": id, "name": format!("{id}.{ext}"), "content_type": content_type});
    let r = call("POST", "/admin/assets", record.to_string().as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    let file = format!("/admin{}", r.json()["get_url"].as_str().unwrap());
    let r = call("PUT", &file, bytes);
    assert!(r.status < 300, "{}", r.text());
}

/// Params for the example's media inputs that are empty: the walk's stand-in image or audio.
fn media_params(example: &Value) -> serde_json::Map<String, Value> {
    let mut params = serde_json::Map::new();
    for node in example["graph"]["nodes"].as_array().unwrap() {
        let ty = node["type"].as_str().unwrap_or("");
        let kind = match ty {
            "nodetool.input.ImageInput" => "image",
            "nodetool.input.AudioInput" => "audio",
            _ => continue,
        };
        let value = &node["data"]["value"];
        let empty = ["uri", "asset_id", "data"]
            .iter()
            .all(|k| value[k].is_null() || value[k] == "");
        if let (true, Some(name)) = (empty, node["data"]["name"].as_str()) {
            let id = format!("walk-{kind}");
            params.insert(
                name.to_string(),
                serde_json::json!({"type": kind, "asset_id": id, "uri": ""}),
            );
        }
    }
    params
}

/// The `(type, reason)` pairs of a refusal's detail.
fn refused_types(detail: &str) -> Vec<(String, String)> {
    let list = detail.strip_prefix(REFUSAL).unwrap_or_else(|| {
        panic!("a 422 that is not a node-type refusal: {detail}");
    });
    list.split("; ")
        .map(|part| {
            let (ty, why) = part.split_once(" (").expect("type (reason)");
            (ty.to_string(), why.trim_end_matches(')').to_string())
        })
        .collect()
}

#[test]
fn nodetools_examples_are_saved_and_each_run_completes_or_is_refused_by_name() {
    if skip_when_external() {
        return;
    }
    let examples = examples();
    if examples.is_empty() {
        eprintln!("NodeTool's examples are not beside the project; set NODETOOL_EXAMPLES");
        return;
    }
    let models = Models::start();
    let services = models.env();
    let mut env: Vec<(&str, &str)> = vec![
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "static"),
        ("SERVER_AUTH_TOKEN", TOKEN),
        ("SECRETS_MASTER_KEY", "examples-master-key"),
    ];
    env.extend(services.iter().map(|(k, v)| (*k, v.as_str())));
    let server = Server::start(&env);
    let call =
        |method: &str, path: &str, body: &[u8]| bearer(&server.base, method, path, TOKEN, body);

    let r = call("GET", "/api/nodes/metadata", b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let listed: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["node_type"].as_str().unwrap().to_string())
        .collect();

    // The media the examples' inputs point at were the author's assets; give the caller the
    // same asset ids with stand-in content, as a user's synced assets would be.
    for (_, example) in &examples {
        for node in example["graph"]["nodes"].as_array().unwrap() {
            seed_asset(&call, &node["data"]["value"]);
        }
    }
    // An empty media input is what the user fills in when running; the walk gives it one.
    for (kind, id) in [("image", "walk-image"), ("audio", "walk-audio")] {
        seed_asset(
            &call,
            &serde_json::json!({"type": kind, "asset_id": id, "uri": format!("/storage/assets/{id}.bin")}),
        );
    }

    let (mut completed, mut refused, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    let mut offline = Vec::new();
    for (name, example) in &examples {
        // A few examples ship without an id; they get one from their file name.
        let slug: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let id = match example["id"].as_str() {
            Some(id) if !id.is_empty() => id,
            _ => slug.as_str(),
        };
        let r = call(
            "PUT",
            &format!("/api/workflows/{id}"),
            example.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "saving '{name}': {}", r.text());

        let types: Vec<&str> = example["graph"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["type"].as_str().unwrap())
            .collect();
        let params = media_params(example);
        let r = call(
            "POST",
            &format!("/api/workflows/{id}/run"),
            serde_json::json!({"params": params}).to_string().as_bytes(),
        );
        assert!(
            r.status < 500,
            "running '{name}': {} {}",
            r.status,
            r.text()
        );
        match r.status {
            200 => completed.push(name.clone()),
            422 if r.detail().starts_with(REFUSAL) => {
                let pairs = refused_types(&r.detail());
                for (ty, why) in &pairs {
                    assert!(types.contains(&ty.as_str()), "'{name}' refused {ty}");
                    assert!(
                        !listed.contains(ty),
                        "'{name}' refused {ty}, which is listed"
                    );
                    assert!(!why.is_empty());
                }
                refused.push((name.clone(), pairs));
            }
            // The examples' own URLs are on the internet, which the test's network is not.
            422 if r.detail().contains("could not be fetched") => {
                offline.push((name.clone(), r.detail()))
            }
            _ => failed.push((name.clone(), r.status, r.detail())),
        }
    }

    eprintln!(
        "NodeTool examples: {} of {} ran to completion, {} refused, {} need the internet, {} failed",
        completed.len(),
        examples.len(),
        refused.len(),
        offline.len(),
        failed.len()
    );
    for name in &completed {
        eprintln!("  completed  {name}");
    }
    for (name, pairs) in &refused {
        let types: Vec<&str> = pairs.iter().map(|(t, _)| t.as_str()).collect();
        eprintln!("  refused    {name}: {}", types.join(", "));
    }
    for (name, detail) in &offline {
        eprintln!("  offline    {name}: {detail}");
    }
    for (name, status, detail) in &failed {
        eprintln!("  failed     {name}: {status} {detail}");
    }
    assert!(failed.is_empty(), "examples failed: {failed:?}");
    assert!(
        completed.len() >= MIN_COMPLETED,
        "only {} examples completed",
        completed.len()
    );
}

#[test]
fn node_metadata_lists_each_type_with_its_properties_defaults_and_outputs() {
    if skip_when_external() {
        return;
    }
    let server = Server::start(&[
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "static"),
        ("SERVER_AUTH_TOKEN", TOKEN),
    ]);
    let r = bearer(
        &server.base,
        "GET",
        "/api/nodes/metadata",
        "wrong-token",
        b"",
    );
    assert_eq!(r.status, 401);
    let r = bearer(&server.base, "GET", "/api/nodes/metadata", TOKEN, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let all = r.json();
    let find = |ty: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|m| m["node_type"] == ty)
            .cloned()
    };
    let replace = find("nodetool.text.Replace").expect("Replace is listed");
    assert_eq!(replace["namespace"], "nodetool.text");
    assert_eq!(replace["title"], "Replace");
    assert_eq!(
        replace["properties"][0],
        serde_json::json!({"name": "text", "type": {"type": "str"}, "default": ""})
    );
    assert_eq!(replace["outputs"][0]["name"], "output");
    let branch = find("nodetool.control.If").expect("If is listed");
    let outs: Vec<&str> = branch["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(outs, ["if_true", "if_false"]);
    assert!(find("huggingface.automatic_speech_recognition.Whisper").is_none());
    assert!(find("nodetool.video.TextToVideo").is_none());
}
