//! Workflow nodes that call providers, through the real server against stand-ins that speak
//! each provider's wire protocol over HTTP (tests/src/models.rs): an agent that drives a search
//! node through a control edge on Anthropic's Messages API, Gemini and OpenAI-compatible
//! models, SerpApi searches, generators, and nodes that save into the caller's assets; keys
//! from the caller's secrets before the server's.

use std::time::Duration;

use nodetool_edge_conformance::client::StreamReader;
use nodetool_edge_conformance::models::{
    ANTHROPIC_KEY, CUT_STREAM, Models, SERPAPI_KEY, SLOW_STREAM,
};
use nodetool_edge_conformance::{Host, Reply, Server, bearer, skip_when_external};
use serde_json::{Value, json};

const TOKEN: &str = "providers-static-token-0123456789abcdef";
const PNG_SIG: &[u8] = &[0x89, b'P', b'N', b'G'];

struct Setup {
    models: Models,
    server: Server,
}

impl Setup {
    fn start(drop: &[&str]) -> Setup {
        let models = Models::start();
        let services: Vec<(&str, String)> = models
            .env()
            .into_iter()
            .filter(|(k, _)| !drop.contains(k))
            .collect();
        let mut env: Vec<(&str, &str)> = vec![
            ("NODETOOL_SERVER_MODE", "private"),
            ("AUTH_PROVIDER", "static"),
            ("SERVER_AUTH_TOKEN", TOKEN),
            ("SECRETS_MASTER_KEY", "providers-master-key"),
        ];
        env.extend(services.iter().map(|(k, v)| (*k, v.as_str())));
        let server = Server::start(&env);
        Setup { models, server }
    }

    fn call(&self, method: &str, path: &str, body: &str) -> Reply {
        bearer(&self.server.base, method, path, TOKEN, body.as_bytes())
    }

    fn run(&self, id: &str, nodes: Value, edges: Value) -> Reply {
        let wf =
            json!({"name": id, "access": "private", "graph": {"nodes": nodes, "edges": edges}});
        let r = self.call("PUT", &format!("/api/workflows/{id}"), &wf.to_string());
        assert_eq!(r.status, 200, "{}", r.text());
        self.call("POST", &format!("/api/workflows/{id}/run"), "{}")
    }
}

fn edge(s: &str, sh: &str, t: &str, th: &str) -> Value {
    json!({"id": format!("{s}.{sh}->{t}.{th}"), "source": s, "sourceHandle": sh, "target": t, "targetHandle": th})
}

fn control(s: &str, t: &str) -> Value {
    json!({"id": format!("{s}~{t}"), "source": s, "sourceHandle": "__control__", "target": t,
           "targetHandle": "__control__", "edge_type": "control"})
}

fn claude_with_search() -> (Value, Value) {
    let nodes = json!([
        {"id": "claude", "type": "anthropic.agents.ClaudeAgent", "data": {
            "prompt": "Research rust web frameworks",
            "model": {"type": "language_model", "provider": "anthropic", "id": "claude-sonnet-4-5"},
        }},
        {"id": "search", "type": "search.google.GoogleSearch", "data": {"keyword": "", "num_results": 2}},
        {"id": "save", "type": "nodetool.dictionary.SaveJSON", "data": {"name": "brief-%Y.json"}},
        {"id": "out", "type": "nodetool.output.Output", "data": {"name": "brief"}},
    ]);
    let edges = json!([
        control("claude", "search"),
        edge("claude", "text", "save", "data"),
        edge("claude", "text", "out", "value"),
    ]);
    (nodes, edges)
}

#[test]
fn an_agent_drives_a_search_node_as_a_tool_over_anthropics_messages_api() {
    if skip_when_external() {
        return;
    }
    let s = Setup::start(&[]);
    let (nodes, edges) = claude_with_search();
    let r = s.run("claude", nodes, edges);
    assert_eq!(r.status, 200, "{}", r.text());
    let brief = r.json()["brief"].as_str().unwrap().to_string();
    assert!(
        brief.starts_with("Let me search.Research brief. Found: {"),
        "{brief}"
    );

    // Two model calls: the first offers the search node as a tool, the second carries its result.
    let calls = s.models.to("/v1/messages");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].header("x-api-key"), Some(ANTHROPIC_KEY));
    assert_eq!(calls[0].header("anthropic-version"), Some("2023-06-01"));
    let first = calls[0].json();
    assert_eq!(first["model"], "claude-sonnet-4-5");
    assert_eq!(first["tools"][0]["name"], "google_search");
    assert_eq!(
        first["tools"][0]["input_schema"]["properties"]["keyword"]["type"],
        "string"
    );
    let second = calls[1].json();
    let blocks = second["messages"][2]["content"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "tool_result");
    assert_eq!(blocks[0]["tool_use_id"], "toolu_1");
    assert!(
        blocks[0]["content"]
            .as_str()
            .unwrap()
            .contains("\"results\"")
    );

    // The search went to SerpApi with the model's arguments over the node's own properties.
    let searches = s.models.to("/search.json");
    assert_eq!(searches.len(), 1);
    let q = &searches[0].path;
    assert!(
        q.contains("engine=google%5Flight") || q.contains("engine=google_light"),
        "{q}"
    );
    assert!(
        q.contains("num=2") && q.contains(&format!("api_key={SERPAPI_KEY}")),
        "{q}"
    );

    // SaveJSON stored the text as an asset of the caller.
    let assets = s.call("GET", "/admin/assets", "");
    assert_eq!(assets.status, 200, "{}", assets.text());
    let listed = assets.json()["assets"].clone();
    let saved = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"].as_str().unwrap().starts_with("brief-2"))
        .unwrap_or_else(|| panic!("no saved asset in {listed}"))
        .clone();
    assert_eq!(saved["content_type"], "application/json");
    let file = s.call("GET", saved["get_url"].as_str().unwrap(), "");
    assert_eq!(file.status, 200);
    assert_eq!(file.json(), json!(brief));
}

/// Runs workflow `id` as an NDJSON stream; answers each message with when its line arrived.
fn stream_run(s: &Setup, id: &str) -> Vec<(Duration, Value)> {
    let auth = format!("Bearer {TOKEN}");
    let reader = StreamReader::open(
        &s.server.base,
        "POST",
        &format!("/api/workflows/{id}/run?stream=true"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        b"{}",
    );
    assert_eq!(reader.status, 200);
    let mut out = Vec::new();
    let mut pending = String::new();
    for (at, piece) in reader.read_all() {
        pending.push_str(&String::from_utf8_lossy(&piece));
        while let Some(end) = pending.find('\n') {
            let line: String = pending.drain(..=end).collect();
            out.push((at, serde_json::from_str(line.trim()).unwrap()));
        }
    }
    out
}

#[test]
fn model_answers_stream_into_previews_while_the_model_writes() {
    if skip_when_external() {
        return;
    }
    let s = Setup::start(&[]);
    let prompt = format!("{SLOW_STREAM}: write about lighthouse keepers");
    // An Agent on OpenAI's wire and a ClaudeAgent on Anthropic's, each calling a search node
    // as a tool (so tool calls are read from streamed pieces too), and a Summarizer on Gemini.
    let cases = [
        (
            "nodetool.agents.Agent",
            "openai",
            "gpt-4o-mini",
            "prompt",
            true,
        ),
        (
            "anthropic.agents.ClaudeAgent",
            "anthropic",
            "claude-sonnet-4-5",
            "prompt",
            true,
        ),
        (
            "nodetool.agents.Summarizer",
            "gemini",
            "gemini-2.0-flash",
            "text",
            false,
        ),
    ];
    for (ty, provider, model, input, tool) in cases {
        let id = format!("stream-{provider}");
        let mut nodes = vec![
            json!({"id": "model", "type": ty, "data": {
                input: prompt,
                "model": {"type": "language_model", "provider": provider, "id": model},
            }}),
            json!({"id": "look", "type": "nodetool.workflows.base_node.Preview", "data": {}}),
            json!({"id": "out", "type": "nodetool.output.Output", "data": {"name": "answer"}}),
        ];
        let mut edges = vec![
            edge("model", "chunk", "look", "value"),
            edge("model", "text", "out", "value"),
        ];
        if tool {
            nodes.push(json!({"id": "search", "type": "search.google.GoogleSearch", "data": {"num_results": 1}}));
            edges.push(control("model", "search"));
        }
        let wf =
            json!({"name": id, "access": "private", "graph": {"nodes": nodes, "edges": edges}});
        let r = s.call("PUT", &format!("/api/workflows/{id}"), &wf.to_string());
        assert_eq!(r.status, 200, "{}", r.text());

        let messages = stream_run(&s, &id);
        let end = messages.last().unwrap();
        assert_eq!(end.1["type"], "job_completed", "{provider}: {messages:?}");
        let answer = messages
            .iter()
            .find(|(_, m)| m["type"] == "output_update")
            .map(|(_, m)| m["value"].as_str().unwrap().to_string())
            .unwrap();
        let previews: Vec<&(Duration, Value)> = messages
            .iter()
            .filter(|(_, m)| m["type"] == "preview_update")
            .collect();
        for (_, p) in &previews {
            assert_eq!(p["node_id"], "look");
            assert_eq!(p["value"]["type"], "chunk");
            assert_eq!(p["value"]["node_id"], "model");
            assert_eq!(p["value"]["content_type"], "text");
        }
        // Several pieces, then the chunk that says the answer is done; together the answer.
        let (last, pieces) = previews.split_last().unwrap();
        assert_eq!(last.1["value"]["done"], true, "{provider}");
        assert_eq!(last.1["value"]["content"], "", "{provider}");
        assert!(pieces.len() >= 3, "{provider}: {previews:?}");
        assert!(pieces.iter().all(|(_, p)| p["value"]["done"] == false));
        let joined: String = pieces
            .iter()
            .map(|(_, p)| p["value"]["content"].as_str().unwrap())
            .collect();
        assert_eq!(joined, answer, "{provider}");
        assert!(answer.len() > 20, "{provider}: {answer}");
        // The first piece left while the model was still writing (its pieces come 400 ms
        // apart). Workers reads a streamed run whole before answering (docs/workers.md).
        if Host::current() != Host::Wrangler {
            let (first, _) = pieces[0];
            assert!(
                end.0 > *first + Duration::from_millis(800),
                "{provider}: first piece at {first:?}, end at {:?}",
                end.0
            );
        }
    }
    // Every model call asked for a stream, and the tool calls' streamed arguments arrived whole.
    let openai = s.models.to("/v1/chat/completions");
    assert_eq!(openai.len(), 2);
    assert!(openai.iter().all(|c| c.json()["stream"] == true));
    let anthropic = s.models.to("/v1/messages");
    assert_eq!(anthropic.len(), 2);
    assert!(anthropic.iter().all(|c| c.json()["stream"] == true));
    let gemini = s
        .models
        .to("/v1beta/models/gemini-2.0-flash:streamGenerateContent");
    assert_eq!(gemini.len(), 1);
    assert!(gemini[0].path.ends_with("?alt=sse"), "{}", gemini[0].path);
    let searches = s.models.to("/search.json");
    assert_eq!(searches.len(), 2);
    for q in searches {
        assert!(q.path.contains("SLOW"), "{}", q.path);
    }

    // A provider that hangs up mid-answer fails the node by name; half an answer is no answer.
    let cut = s.run(
        "stream-cut",
        json!([
            {"id": "model", "type": "nodetool.agents.Agent", "data": {
                "prompt": format!("{CUT_STREAM}: write a long story about the sea"),
                "model": {"type": "language_model", "provider": "openai", "id": "gpt-4o-mini"},
            }},
            {"id": "look", "type": "nodetool.workflows.base_node.Preview", "data": {}},
            {"id": "out", "type": "nodetool.output.Output", "data": {"name": "answer"}},
        ]),
        json!([
            edge("model", "chunk", "look", "value"),
            edge("model", "text", "out", "value")
        ]),
    );
    assert_eq!(cut.status, 422, "{}", cut.text());
    assert_eq!(
        cut.json()["detail"],
        "Node 'model' (nodetool.agents.Agent) failed: the openai provider's answer: \
         the streamed answer stopped before its end"
    );
}

#[test]
fn the_callers_own_key_wins_and_a_missing_key_is_named() {
    if skip_when_external() {
        return;
    }
    let s = Setup::start(&["SERPAPI_API_KEY"]);
    // A wrong key of the caller's is used (and refused by the provider) over the server's.
    let r = s.call(
        "PUT",
        "/api/settings/secrets/ANTHROPIC_API_KEY",
        r#"{"value": "sk-ant-wrong"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let (nodes, edges) = claude_with_search();
    let r = s.run("claude", nodes.clone(), edges.clone());
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.detail()
            .contains("Anthropic refused the request (HTTP 401): invalid x-api-key"),
        "{}",
        r.detail()
    );
    assert_eq!(
        s.models.to("/v1/messages")[0].header("x-api-key"),
        Some("sk-ant-wrong")
    );

    // With the caller's key removed the server's applies; with no SerpApi key anywhere the
    // tool's failure reaches the model, which answers with what it has.
    assert_eq!(
        s.call("DELETE", "/api/settings/secrets/ANTHROPIC_API_KEY", "")
            .status,
        200
    );
    let r = s.run("claude", nodes, edges);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json()["brief"]
            .as_str()
            .unwrap()
            .contains("Error: SerpApi API key (SERPAPI_API_KEY) not found"),
        "{}",
        r.text()
    );
    assert!(s.models.to("/search.json").is_empty());

    // A search node on its own fails its run, naming the key.
    let r = s.run(
        "search",
        json!([{"id": "s", "type": "search.google.GoogleSearch", "data": {"keyword": "rust"}},
               {"id": "o", "type": "nodetool.output.Output", "data": {"name": "r"}}]),
        json!([edge("s", "text", "o", "value")]),
    );
    assert_eq!(r.status, 422);
    assert!(r.detail().contains("SERPAPI_API_KEY"), "{}", r.detail());
}

#[test]
fn gemini_and_openai_compatible_models_answer_generators_and_agents() {
    if skip_when_external() {
        return;
    }
    let s = Setup::start(&[]);
    let r = s.run(
        "gemini",
        json!([
            {"id": "a", "type": "nodetool.agents.Agent", "data": {
                "model": {"type": "language_model", "provider": "gemini", "id": "gemini-2.0-flash"},
                "prompt": "Describe this", "system": "Be brief.",
                "image": {"type": "image", "uri": "data:image/png;base64,iVBORw0KGgo="},
            }},
            {"id": "o", "type": "nodetool.output.Output", "data": {"name": "answer"}},
        ]),
        json!([edge("a", "text", "o", "value")]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json()["answer"]
            .as_str()
            .unwrap()
            .starts_with("A stand-in answer")
    );
    let sent = &s
        .models
        .to("/v1beta/models/gemini-2.0-flash:generateContent")[0];
    let body = sent.json();
    assert_eq!(body["systemInstruction"]["parts"][0]["text"], "Be brief.");
    assert_eq!(
        body["contents"][0]["parts"][1]["inlineData"]["mimeType"],
        "image/png"
    );

    // ListGenerator emits each item; the stream shows every one reaching the output.
    let r = s.run(
        "list",
        json!([
            {"id": "g", "type": "nodetool.generators.ListGenerator", "data": {
                "model": {"type": "language_model", "provider": "openai", "id": "gpt-4o-mini"},
                "prompt": "Three ideas",
            }},
            {"id": "c", "type": "nodetool.control.Collect", "data": {}},
            {"id": "o", "type": "nodetool.output.Output", "data": {"name": "ideas"}},
        ]),
        json!([
            edge("g", "item", "c", "input_item"),
            edge("c", "output", "o", "value")
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["ideas"],
        json!(["First idea", "Second idea", "Third idea"])
    );

    // Extractor fills the workflow's declared outputs from the model's JSON object.
    let r = s.run(
        "extract",
        json!([
            {"id": "x", "type": "nodetool.agents.Extractor", "data": {
                "model": {"type": "language_model", "provider": "openai", "id": "gpt-4o-mini"},
                "text": "Ada Lovelace, 1815",
            }, "dynamic_outputs": {"name": {"type": "str"}, "born": {"type": "str"}}},
            {"id": "o", "type": "nodetool.output.Output", "data": {"name": "who"}},
        ]),
        json!([edge("x", "name", "o", "value")]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["who"], "stand-in name");

    // ChartGenerator answers NodeTool's PlotlyConfig for a table, which the model was shown.
    let r = s.run(
        "chart",
        json!([
            {"id": "c", "type": "nodetool.generators.ChartGenerator", "data": {
                "model": {"type": "language_model", "provider": "openai", "id": "gpt-4o-mini"},
                "prompt": "Sales by month",
                "data": {"type": "dataframe", "columns": [{"name": "month", "data_type": "string"}, {"name": "sales", "data_type": "int"}],
                         "data": [["Jan", 10], ["Feb", 12]]},
            }},
            {"id": "o", "type": "nodetool.output.Output", "data": {"name": "chart"}},
        ]),
        json!([edge("c", "output", "o", "value")]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["chart"]["type"], "plotly_config");
    assert_eq!(r.json()["chart"]["config"]["layout"], "stand-in layout");
    let asked = s.models.to("/v1/chat/completions").last().unwrap().json();
    assert!(
        asked["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("\"Feb\"")
    );

    // A provider this server does not speak fails the run, naming it.
    let r = s.run(
        "other",
        json!([
            {"id": "a", "type": "nodetool.agents.Agent", "data": {
                "model": {"type": "language_model", "provider": "replicate", "id": "m"}, "prompt": "hi"}},
        ]),
        json!([]),
    );
    assert_eq!(r.status, 422);
    assert!(
        r.detail().contains("provider 'replicate' is not available"),
        "{}",
        r.detail()
    );
}

#[test]
fn http_and_feed_nodes_fetch_through_the_outbound_allow_list() {
    if skip_when_external() {
        return;
    }
    let s = Setup::start(&[]);
    let base = s.models.url.clone();
    let out =
        |name: &str| json!({"id": name, "type": "nodetool.output.Output", "data": {"name": name}});
    let r = s.run(
        "http",
        json!([
            {"id": "post", "type": "lib.http.JSONPostRequest", "data": {"url": format!("{base}/echo"), "data": {"a": [1, "x"]}}},
            {"id": "get", "type": "lib.http.GetRequest", "data": {"url": format!("{base}/files/feed.xml")}},
            out("posted"), out("page"),
        ]),
        json!([edge("post", "output", "posted", "value"), edge("get", "output", "page", "value")]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["posted"],
        json!({"method": "POST", "received": {"a": [1, "x"]}})
    );
    assert!(
        r.json()["page"]
            .as_str()
            .unwrap()
            .starts_with("<rss version=\"2.0\">")
    );
    let sent = &s.models.to("/echo")[0];
    assert_eq!(sent.header("content-type"), Some("application/json"));

    // The feed's entries come out one at a time, with NodeTool's Datetime in UTC.
    let r = s.run(
        "feed",
        json!([
            {"id": "f", "type": "lib.rss.FetchRSSFeed", "data": {"url": format!("{base}/files/feed.xml")}},
            {"id": "t", "type": "nodetool.control.Collect", "data": {}},
            {"id": "m", "type": "lib.rss.ExtractFeedMetadata", "data": {"url": format!("{base}/files/feed.xml")}},
            out("titles"), out("last_published"), out("meta"),
        ]),
        json!([
            edge("f", "title", "t", "input_item"), edge("t", "output", "titles", "value"),
            edge("f", "published", "last_published", "value"), edge("m", "output", "meta", "value"),
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["titles"], json!(["One", "Two"]));
    assert_eq!(
        v["last_published"],
        json!({"type": "datetime", "year": 2024, "month": 1, "day": 2, "hour": 10, "minute": 30,
               "second": 0, "microsecond": 0, "tzinfo": "UTC", "utc_offset": 0})
    );
    assert_eq!(v["meta"]["title"], "Stand-in news");
    assert_eq!(v["meta"]["entry_count"], 2);

    // A failing status and an origin outside the allow-list fail the run, saying which.
    let r = s.run(
        "missing",
        json!([{"id": "g", "type": "lib.http.GetRequest", "data": {"url": format!("{base}/missing")}}]),
        json!([]),
    );
    assert_eq!(r.status, 422);
    assert!(
        r.detail()
            .contains(&format!("HTTP 404 from {base}/missing")),
        "{}",
        r.detail()
    );
    let r = s.run(
        "elsewhere",
        json!([{"id": "g", "type": "lib.http.GetRequest", "data": {"url": "http://nodetool-edge.invalid/x"}}]),
        json!([]),
    );
    assert_eq!(r.status, 422);
    assert!(
        r.detail()
            .contains("http://nodetool-edge.invalid/x could not be fetched"),
        "{}",
        r.detail()
    );
    if nodetool_edge_conformance::skip_unless_native() {
        return;
    }
    assert!(r.detail().contains("outbound allow-list"), "{}", r.detail());
}

#[test]
fn kie_tasks_are_polled_until_done_and_their_image_stored() {
    if skip_when_external() {
        return;
    }
    let s = Setup::start(&[]);
    let r = s.run(
        "kie",
        json!([
            {"id": "img", "type": "kie.image.NanoBanana", "data": {"prompt": "a movie poster", "image_size": "16:9"}},
            {"id": "out", "type": "nodetool.output.Output", "data": {"name": "poster"}},
        ]),
        json!([edge("img", "output", "out", "value")]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();

    // The task as kie.ai takes it, with the caller's key; then asked about until done,
    // about 1.5 s apart.
    let created = s.models.to("/api/v1/jobs/createTask");
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0].json(),
        json!({"model": "google/nano-banana",
               "input": {"prompt": "a movie poster", "output_format": "png", "image_size": "16:9"}})
    );
    assert_eq!(
        created[0].header("authorization"),
        Some(format!("Bearer {}", nodetool_edge_conformance::models::KIE_KEY).as_str())
    );
    let polled = s.models.to("/api/v1/jobs/recordInfo");
    assert_eq!(polled.len(), 2, "asked until done, then no more");
    assert!(polled.iter().all(|p| p.path.contains("taskId=task-")));

    // The result, fetched from the URL kie.ai named and kept as the caller's asset.
    assert_eq!(v["poster"]["type"], "image");
    let picture = s.call("GET", v["poster"]["uri"].as_str().unwrap(), "");
    assert_eq!(picture.status, 200);
    assert_eq!(picture.body, nodetool_edge_conformance::models::PNG);

    // A task kie.ai fails ends the run with its reason.
    let r = s.run(
        "kie-fails",
        json!([{"id": "img", "type": "kie.image.NanoBanana",
                "data": {"prompt": format!("{} poster", nodetool_edge_conformance::models::KIE_FAIL)}}]),
        json!([]),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.detail().contains("kie.ai's task failed: content policy"),
        "{}",
        r.detail()
    );
}

#[test]
fn fal_requests_are_queued_polled_and_their_image_stored() {
    use nodetool_edge_conformance::models::{FAL_FAIL, FAL_KEY, PNG};
    if skip_when_external() {
        return;
    }
    let s = Setup::start(&[]);
    let r = s.run(
        "fal",
        json!([
            {"id": "img", "type": "fal.text_to_image.NanoBanana2",
             "data": {"prompt": "Berlin at dusk", "aspect_ratio": "16:9", "resolution": "2K", "seed": 7}},
            {"id": "out", "type": "nodetool.output.Output", "data": {"name": "hero"}},
        ]),
        json!([edge("img", "output", "out", "value")]),
    );
    assert_eq!(r.status, 200, "{}", r.text());

    // The request as fal.ai's queue takes it, with the key as fal.ai expects it; then its
    // status asked about until done, and its result read once.
    let submitted: Vec<_> = s
        .models
        .to("/fal-ai/nano-banana-2")
        .into_iter()
        .filter(|q| q.method == "POST")
        .collect();
    assert_eq!(submitted.len(), 1);
    assert_eq!(
        submitted[0].json(),
        json!({"prompt": "Berlin at dusk", "aspect_ratio": "16:9", "resolution": "2K",
               "num_images": 1, "output_format": "png", "seed": 7})
    );
    assert_eq!(
        submitted[0].header("authorization"),
        Some(format!("Key {FAL_KEY}").as_str())
    );
    let asked = s.models.to("/fal-ai/nano-banana-2/requests/");
    let (status, result): (Vec<_>, Vec<_>) =
        asked.iter().partition(|q| q.path.ends_with("/status"));
    assert_eq!(status.len(), 2, "asked until done, then no more");
    assert_eq!(result.len(), 1);
    assert_eq!(status[0].path, format!("{}/status", result[0].path));

    // The image, fetched from the URL fal.ai named and kept as the caller's asset.
    let hero = &r.json()["hero"];
    assert_eq!(hero["type"], "image");
    let picture = s.call("GET", hero["uri"].as_str().unwrap(), "");
    assert_eq!(picture.status, 200);
    assert_eq!(picture.body, PNG);

    // A request the model fails ends the run with fal.ai's own reason; a format fal.ai does
    // not make is refused before anything is sent.
    let r = s.run(
        "fal-fails",
        json!([{"id": "img", "type": "fal.text_to_image.NanoBanana2",
                "data": {"prompt": format!("{FAL_FAIL} poster")}}]),
        json!([]),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.detail()
            .contains("fal.ai refused the request (HTTP 422): content policy violation"),
        "{}",
        r.detail()
    );
    let before = s.models.to("/fal-ai/").len();
    let r = s.run(
        "fal-gif",
        json!([{"id": "img", "type": "fal.text_to_image.NanoBanana2",
                "data": {"prompt": "a poster", "output_format": "gif"}}]),
        json!([]),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.detail().contains("'output_format' is 'gif'"),
        "{}",
        r.detail()
    );
    assert_eq!(s.models.to("/fal-ai/").len(), before);
}

#[test]
fn media_nodes_store_what_providers_make_and_read_the_callers_assets() {
    if skip_when_external() {
        return;
    }
    let s = Setup::start(&[]);
    let out =
        |name: &str| json!({"id": name, "type": "nodetool.output.Output", "data": {"name": name}});

    // An audio asset of the caller, transcribed; then spoken back and drawn.
    let r = s.call(
        "POST",
        "/admin/assets",
        r#"{"id": "clip01", "name": "clip.webm", "content_type": "audio/webm"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.call("PUT", "/admin/storage/assets/clip01.webm", "0123456789");
    assert!(r.status < 300, "{}", r.text());
    let r = s.run(
        "media",
        json!([
            {"id": "asr", "type": "nodetool.text.AutomaticSpeechRecognition", "data": {
                "model": {"type": "asr_model", "provider": "openai", "id": "whisper-1"},
                "audio": {"type": "audio", "uri": "/api/storage/clip01.webm", "asset_id": "clip01"},
            }},
            {"id": "tts", "type": "nodetool.audio.TextToSpeech", "data": {"model": {"type": "tts_model", "provider": "openai", "id": "tts-1", "voice": "nova"}}},
            {"id": "img", "type": "nodetool.image.TextToImage", "data": {"width": 256, "height": 256}},
            {"id": "edit", "type": "nodetool.image.ImageToImage", "data": {"prompt": "as a watercolour"}},
            out("transcript"), out("speech"), out("picture"), out("edited"),
        ]),
        json!([
            edge("asr", "text", "transcript", "value"),
            edge("asr", "text", "tts", "text"),
            edge("asr", "text", "img", "prompt"),
            edge("tts", "audio", "speech", "value"),
            edge("img", "output", "picture", "value"),
            edge("img", "output", "edit", "image"),
            edge("edit", "output", "edited", "value"),
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let transcript = v["transcript"].as_str().unwrap();
    assert!(
        transcript.starts_with("stand-in transcript of "),
        "{transcript}"
    );
    let upload = &s.models.to("/v1/audio/transcriptions")[0];
    assert!(String::from_utf8_lossy(&upload.body).contains("\r\n\r\n0123456789\r\n"));

    let spoken = s.models.to("/v1/audio/speech")[0].json();
    assert_eq!(spoken["voice"], "nova");
    assert_eq!(spoken["input"], json!(transcript));
    let speech = s.call("GET", v["speech"]["uri"].as_str().unwrap(), "");
    assert_eq!(speech.status, 200);
    assert_eq!(speech.body, nodetool_edge_conformance::models::SPEECH);

    assert_eq!(
        s.models.to("/v1/images/generations")[0].json()["size"],
        "256x256"
    );
    assert_eq!(v["picture"]["type"], "image");
    let picture = s.call("GET", v["picture"]["uri"].as_str().unwrap(), "");
    assert_eq!(picture.status, 200);
    assert_eq!(picture.body, nodetool_edge_conformance::models::PNG);

    // The edit sent the stored picture back to the provider with the prompt.
    let edit = &s.models.to("/v1/images/edits")[0];
    let sent = String::from_utf8_lossy(&edit.body).into_owned();
    assert!(sent.contains("as a watercolour"), "{sent}");
    assert!(edit.body.windows(PNG_SIG.len()).any(|w| w == PNG_SIG));
    assert_eq!(v["edited"]["type"], "image");
    assert_ne!(v["edited"]["asset_id"], v["picture"]["asset_id"]);

    // Someone else's asset, or none at all, is not read.
    let r = s.run(
        "nobody",
        json!([{"id": "asr", "type": "nodetool.text.AutomaticSpeechRecognition", "data": {
            "audio": {"type": "audio", "asset_id": "not-there"}}}]),
        json!([]),
    );
    assert_eq!(r.status, 422);
    assert!(
        r.detail().contains("asset 'not-there' was not found"),
        "{}",
        r.detail()
    );
}
