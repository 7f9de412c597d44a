//! `/v1/chat/completions` and `/v1/models` through the real runner, against an
//! OpenAI-compatible upstream stand-in served over real HTTP (it streams with delays, fails,
//! stalls and checks keys as told), and the workflow chat node on the same path.

use std::time::Duration;

use nodetool_edge_conformance::client::StreamReader;
use nodetool_edge_conformance::upstream::{
    Behaviour, Upstream, sse_events as events, streamed_text,
};
use nodetool_edge_conformance::{Reply, Server as Deployment, bearer, request, skip_when_external};
use serde_json::{Value, json};

const TOKEN: &str = "chat-static-token-0123456789abcdef";

/// The seed's request, as written.
const SEED_CHAT: &str = r#"{
    "model": "llama3.2:latest",
    "messages": [{"role": "user", "content": "Hello"}]
  }"#;

struct Server {
    server: Deployment,
}

impl Server {
    /// A private static-token server whose chat goes to `env`'s upstreams.
    fn start(env: &[(&str, &str)]) -> Server {
        let mut all = vec![
            ("NODETOOL_SERVER_MODE", "private"),
            ("AUTH_PROVIDER", "static"),
            ("SERVER_AUTH_TOKEN", TOKEN),
            ("SECRETS_MASTER_KEY", "chat-master-key"),
        ];
        all.extend_from_slice(env);
        Server {
            server: Deployment::start(&all),
        }
    }

    fn base(&self) -> &str {
        &self.server.base
    }

    fn call(&self, method: &str, path: &str, body: &str) -> Reply {
        bearer(self.base(), method, path, TOKEN, body.as_bytes())
    }

    fn stream(&self, body: &Value) -> StreamReader {
        let auth = format!("Bearer {TOKEN}");
        StreamReader::open(
            self.base(),
            "POST",
            "/v1/chat/completions",
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        )
    }
}

fn pieces(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("t{i} ")).collect()
}

#[test]
fn the_seed_requests_work_against_ollama() {
    if skip_when_external() {
        return;
    }
    let upstream = Upstream::start();
    let server = Server::start(&[("OLLAMA_API_URL", &upstream.url)]);

    // Without a token: 401, and the upstream never hears of it.
    let r = request(server.base(), "GET", "/v1/models", &[], b"");
    assert_eq!(r.status, 401);
    let r = request(
        server.base(),
        "POST",
        "/v1/chat/completions",
        &[("Content-Type", b"application/json")],
        SEED_CHAT.as_bytes(),
    );
    assert_eq!(r.status, 401);
    assert!(upstream.requests().is_empty());

    let r = server.call("GET", "/v1/models", "");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"object": "list", "data": [
            {"id": "llama3.2:latest", "object": "model", "created": 0, "owned_by": "ollama"},
            {"id": "qwen3:0.6b", "object": "model", "created": 0, "owned_by": "ollama"},
        ]})
    );

    // The seed's curl: no `stream`, so one chat.completion object (OpenAI's default).
    let r = server.call("POST", "/v1/chat/completions", SEED_CHAT);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "llama3.2:latest");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Hello! How can I help?"
    );
    assert_eq!(v["usage"]["completion_tokens"], 7);

    let seen = upstream.requests();
    let chat = seen.last().unwrap();
    assert_eq!(chat.method, "POST");
    assert_eq!(chat.path, "/v1/chat/completions");
    // A whole body with its length: an upstream that cannot read chunked bodies gets it all.
    assert_eq!(chat.header("transfer-encoding"), None);
    assert_eq!(
        chat.header("content-length"),
        Some(chat.body.len().to_string().as_str())
    );
    assert_eq!(chat.header("authorization"), None, "ollama gets no key");
    assert_eq!(
        chat.json(),
        json!({"model": "llama3.2:latest", "messages": [{"role": "user", "content": "Hello"}]})
    );
    // Our bearer token is never forwarded.
    assert!(
        seen.iter()
            .all(|s| s.headers.iter().all(|(_, v)| !v.contains(TOKEN)))
    );

    // The wrong method on a chat route.
    assert_eq!(server.call("GET", "/v1/chat/completions", "").status, 405);
    assert_eq!(server.call("POST", "/v1/models", "{}").status, 405);
}

#[test]
fn a_thousand_chunk_stream_arrives_chunk_by_chunk() {
    if skip_when_external() {
        return;
    }
    let upstream = Upstream::with(Behaviour {
        pieces: pieces(1000),
        chunk_delay: Duration::from_millis(2),
        ..Behaviour::default()
    });
    let server = Server::start(&[("OLLAMA_API_URL", &upstream.url)]);
    let reader = server.stream(&json!({
        "model": "llama3.2:latest", "stream": true,
        "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "count"}],
    }));
    assert_eq!(reader.status, 200);
    assert_eq!(reader.header("content-type"), Some("text/event-stream"));
    assert_eq!(reader.header("cache-control"), Some("no-cache"));
    assert_eq!(reader.header("content-length"), None);
    let arrivals = reader.read_all();
    let raw: Vec<u8> = arrivals.iter().flat_map(|(_, c)| c.clone()).collect();
    let evs = events(&raw);
    // Role chunk, 1,000 content chunks, the finish chunk, the usage chunk, [DONE].
    assert_eq!(evs.len(), 1004, "{:?}", &evs[..3]);
    assert_eq!(evs.last().unwrap(), "[DONE]");
    assert_eq!(streamed_text(&evs), pieces(1000).concat());
    let usage: Value = serde_json::from_str(&evs[evs.len() - 2]).unwrap();
    assert_eq!(usage["usage"]["completion_tokens"], 1000);
    // A streamed answer's request went out whole too, with its length.
    let seen = upstream.requests();
    let chat = seen.last().unwrap();
    assert_eq!(chat.header("transfer-encoding"), None);
    assert_eq!(chat.json()["stream"], true);

    // Passed through as they came, not gathered: many separate pieces, and the first long
    // before the last (the upstream takes at least 2 s to send them all).
    assert!(arrivals.len() > 100, "{} pieces", arrivals.len());
    let first = arrivals.first().unwrap().0;
    let last = arrivals.last().unwrap().0;
    assert!(
        last - first > Duration::from_millis(1500),
        "first {first:?}, last {last:?}"
    );
    assert!(upstream.wait_completed(1, Duration::from_secs(5)));
}

#[test]
fn bad_requests_are_openai_style_400s() {
    if skip_when_external() {
        return;
    }
    let upstream = Upstream::start();
    let server = Server::start(&[("OLLAMA_API_URL", &upstream.url)]);
    let cases: &[(&str, Option<&str>, &str)] = &[
        (
            r#"{"messages":[{"role":"user","content":"hi"}]}"#,
            Some("model"),
            "Chat Completions API requires 'model' field",
        ),
        (
            r#"{"model":"llama3.2:latest"}"#,
            Some("messages"),
            "Chat Completions API requires 'messages' field",
        ),
        (
            r#"{"model":"llama3.2:latest","messages":[]}"#,
            Some("messages"),
            "Messages must be a non-empty list",
        ),
        (
            r#"{"model":"llama3.2:latest","messages":"hi"}"#,
            Some("messages"),
            "Messages must be a non-empty list",
        ),
        (
            r#"{"model":"llama3.2:latest","messages":[{"content":"hi"}]}"#,
            Some("messages"),
            "messages[0] needs a 'role'",
        ),
        (
            r#"{"model":"  ","messages":[{"role":"user","content":"hi"}]}"#,
            Some("model"),
            "'model' must be a non-empty string",
        ),
        (
            r#"{"model":"m","stream":"yes","messages":[{"role":"user","content":"hi"}]}"#,
            Some("stream"),
            "'stream' must be a boolean",
        ),
        ("{not json", None, "could not parse the JSON body"),
        ("[1,2]", None, "must be a JSON object"),
        ("", None, "could not parse the JSON body"),
    ];
    for (body, param, message) in cases {
        let r = server.call("POST", "/v1/chat/completions", body);
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        let v = r.json();
        assert_eq!(v["error"]["type"], "invalid_request_error", "{body}");
        assert_eq!(v["error"]["param"], json!(param), "{body}");
        let m = v["error"]["message"].as_str().unwrap();
        assert!(m.contains(message), "{body}: {m}");
        assert_eq!(v["detail"], v["error"]["message"], "{body}");
    }
    assert!(
        upstream.requests().is_empty(),
        "nothing invalid went upstream"
    );
}

#[test]
fn upstream_failures_become_502_and_504_with_a_detail() {
    if skip_when_external() {
        return;
    }
    let upstream = Upstream::start();
    let server = Server::start(&[("OLLAMA_API_URL", &upstream.url), ("CHAT_TIMEOUT", "1")]);
    let chat = |stream: bool| {
        let body = json!({"model": "llama3.2:latest", "stream": stream,
                          "messages": [{"role": "user", "content": "hi"}]});
        server.call("POST", "/v1/chat/completions", &body.to_string())
    };

    // An outage: 502 with the provider's message, streamed or not, and for the model list.
    upstream.set(|b| b.fail = Some((500, "the GPU caught fire".into())));
    for stream in [false, true] {
        let r = chat(stream);
        assert_eq!(r.status, 502, "{}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            r.json()["detail"],
            "The ollama provider answered HTTP 500: the GPU caught fire"
        );
        assert_eq!(r.json()["error"]["type"], "upstream_error");
    }
    let r = server.call("GET", "/v1/models", "");
    assert_eq!(r.status, 502, "{}", r.text());

    // The caller's own mistakes (an unknown model, a rate limit) pass through.
    upstream.set(|b| b.fail = Some((404, "model \"nope\" not found, try pulling it first".into())));
    let r = chat(false);
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["error"]["message"],
        "model \"nope\" not found, try pulling it first"
    );
    upstream.set(|b| b.fail = Some((429, "slow down".into())));
    assert_eq!(chat(true).status, 429);

    // Stalled before answering: 504 after CHAT_TIMEOUT.
    upstream.set(|b| {
        b.fail = None;
        b.hang = true;
    });
    for stream in [false, true] {
        let r = chat(stream);
        assert_eq!(r.status, 504, "{}", r.text());
        assert_eq!(
            r.json()["detail"],
            "The ollama provider did not answer within 1 s (CHAT_TIMEOUT)"
        );
    }

    // Nobody listening: 502, and the server keeps serving.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let dead = Server::start(&[("OLLAMA_API_URL", &closed)]);
    let r = dead.call("POST", "/v1/chat/completions", SEED_CHAT);
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(
        r.json()["detail"],
        "The ollama provider could not be reached"
    );
    assert_eq!(dead.call("GET", "/health", "").status, 200);
}

#[test]
fn a_stall_mid_stream_ends_it_with_an_error_event() {
    if skip_when_external() {
        return;
    }
    let upstream = Upstream::with(Behaviour {
        pieces: pieces(3),
        chunk_delay: Duration::from_secs(3),
        ..Behaviour::default()
    });
    let server = Server::start(&[("OLLAMA_API_URL", &upstream.url), ("CHAT_TIMEOUT", "1")]);
    let reader = server.stream(&json!({"model": "llama3.2:latest", "stream": true,
        "messages": [{"role": "user", "content": "hi"}]}));
    assert_eq!(reader.status, 200);
    let raw: Vec<u8> = reader.read_all().into_iter().flat_map(|(_, c)| c).collect();
    let evs = events(&raw);
    assert_eq!(evs.len(), 2, "{evs:?}");
    let role: Value = serde_json::from_str(&evs[0]).unwrap();
    assert_eq!(role["choices"][0]["delta"]["role"], "assistant");
    let error: Value = serde_json::from_str(&evs[1]).unwrap();
    assert_eq!(
        error["error"]["message"],
        "The ollama provider stopped sending (timed out)"
    );
}

#[test]
fn a_client_that_hangs_up_stops_the_upstream_call() {
    if skip_when_external() {
        return;
    }
    let upstream = Upstream::with(Behaviour {
        pieces: pieces(3000),
        chunk_delay: Duration::from_millis(10),
        ..Behaviour::default()
    });
    let server = Server::start(&[("OLLAMA_API_URL", &upstream.url)]);
    let mut reader = server.stream(&json!({"model": "llama3.2:latest", "stream": true,
        "messages": [{"role": "user", "content": "talk"}]}));
    assert_eq!(reader.status, 200);
    for _ in 0..3 {
        assert!(reader.next_chunk().is_some());
    }
    drop(reader);
    // 3,000 pieces take 30 s to send; the upstream must notice long before.
    assert!(
        upstream.wait_aborted(1, Duration::from_secs(10)),
        "the upstream kept streaming to nobody"
    );
    assert_eq!(upstream.completed(), 0);
    assert_eq!(server.call("GET", "/health", "").status, 200);
}

#[test]
fn keys_come_from_the_callers_secrets_then_the_environment() {
    if skip_when_external() {
        return;
    }
    let upstream = Upstream::with(Behaviour {
        models: vec!["gpt-4o-mini".into()],
        require_key: Some("sk-env-key".into()),
        ..Behaviour::default()
    });
    let base = format!("{}/v1", upstream.url);
    let server = Server::start(&[
        ("CHAT_PROVIDER", "openai"),
        ("OPENAI_BASE_URL", &base),
        ("OPENAI_API_KEY", "sk-env-key"),
        ("MODELS_CACHE_TTL", "0"),
    ]);
    let body = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;
    let r = server.call("POST", "/v1/chat/completions", body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        upstream.requests().last().unwrap().header("authorization"),
        Some("Bearer sk-env-key")
    );

    // The caller stores their own key: it wins over the server's.
    let r = server.call(
        "PUT",
        "/api/settings/secrets/OPENAI_API_KEY",
        r#"{"value":"sk-user-key"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    upstream.set(|b| b.require_key = Some("sk-user-key".into()));
    let r = server.call("POST", "/v1/chat/completions", body);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = server.call("GET", "/v1/models", "");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"][0]["id"], "gpt-4o-mini");
    assert_eq!(r.json()["data"][0]["owned_by"], "openai");
    assert!(
        upstream
            .requests()
            .iter()
            .rev()
            .take(2)
            .all(|s| s.header("authorization") == Some("Bearer sk-user-key"))
    );

    // A key the provider refuses is the server's problem to report: 502 naming the secret.
    upstream.set(|b| b.require_key = Some("sk-rotated".into()));
    let r = server.call("POST", "/v1/chat/completions", body);
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("OPENAI_API_KEY")
    );
    assert!(!r.text().contains("sk-user-key") && !r.text().contains("sk-env-key"));
}

#[test]
fn a_provider_prefix_picks_the_provider_and_model_lists_merge() {
    if skip_when_external() {
        return;
    }
    let ollama = Upstream::start();
    let openai = Upstream::with(Behaviour {
        models: vec!["gpt-4o-mini".into(), "gpt-4.1".into()],
        pieces: vec!["from ".into(), "openai".into()],
        ..Behaviour::default()
    });
    let openai_base = format!("{}/v1", openai.url);
    let server = Server::start(&[
        ("OLLAMA_API_URL", &ollama.url),
        ("OPENAI_BASE_URL", &openai_base),
        ("OPENAI_API_KEY", "sk-env"),
    ]);
    let r = server.call(
        "POST",
        "/v1/chat/completions",
        r#"{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["choices"][0]["message"]["content"], "from openai");
    assert_eq!(openai.requests()[0].json()["model"], "gpt-4o-mini");
    assert!(ollama.requests().is_empty());

    let r = server.call("GET", "/v1/models", "");
    assert_eq!(r.status, 200, "{}", r.text());
    let ids: Vec<(String, String)> = r.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["owned_by"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        ids,
        vec![
            pair("llama3.2:latest", "ollama"),
            pair("qwen3:0.6b", "ollama"),
            pair("openai/gpt-4o-mini", "openai"),
            pair("openai/gpt-4.1", "openai"),
        ]
    );

    // Cached briefly: a second listing asks neither provider again.
    let before = (ollama.requests().len(), openai.requests().len());
    assert_eq!(
        server.call("GET", "/v1/models", "").json()["data"],
        r.json()["data"]
    );
    assert_eq!((ollama.requests().len(), openai.requests().len()), before);

    // One provider down: the other's models are still listed.
    let lone = Server::start(&[
        ("OLLAMA_API_URL", &ollama.url),
        ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
        ("OPENAI_API_KEY", "sk-env"),
    ]);
    let r = lone.call("GET", "/v1/models", "");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 2);
}

#[test]
fn a_workflow_chat_node_calls_the_same_provider() {
    if skip_when_external() {
        return;
    }
    let upstream = Upstream::with(Behaviour {
        pieces: vec!["Bonjour".into(), " !".into()],
        ..Behaviour::default()
    });
    let server = Server::start(&[("OLLAMA_API_URL", &upstream.url)]);
    let graph = |provider: &str| {
        json!({"nodes": [
            {"id": "in", "type": "nodetool.input.StringInput", "data": {"name": "text", "value": ""}},
            {"id": "agent", "type": "nodetool.agents.Agent", "data": {
                "model": {"type": "language_model", "provider": provider, "id": "llama3.2:latest"},
                "system": "Translate to French.",
            }},
            {"id": "out", "type": "nodetool.output.StringOutput", "data": {"name": "answer"}},
        ], "edges": [
            {"id": "e1", "source": "in", "sourceHandle": "output", "target": "agent", "targetHandle": "prompt"},
            {"id": "e2", "source": "agent", "sourceHandle": "text", "target": "out", "targetHandle": "value"},
        ]})
    };
    let wf = json!({"name": "translate", "access": "private", "graph": graph("ollama")});
    let r = server.call("PUT", "/api/workflows/translate", &wf.to_string());
    assert_eq!(r.status, 200, "{}", r.text());
    let r = server.call(
        "POST",
        "/api/workflows/translate/run",
        r#"{"params":{"text":"Hello"}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"answer": "Bonjour !"}));
    let sent = upstream.requests().last().unwrap().json();
    assert_eq!(sent["model"], "llama3.2:latest");
    assert_eq!(sent["stream"], false);
    assert_eq!(
        sent["messages"],
        json!([
            {"role": "system", "content": "Translate to French."},
            {"role": "user", "content": "Hello"},
        ])
    );

    // Anthropic is spoken by its own adapter; without a key the run fails naming the node and
    // the key to set.
    let wf = json!({"name": "translate", "access": "private", "graph": graph("anthropic")});
    assert_eq!(
        server
            .call("PUT", "/api/workflows/translate", &wf.to_string())
            .status,
        200
    );
    let r = server.call(
        "POST",
        "/api/workflows/translate/run",
        r#"{"params":{"text":"Hello"}}"#,
    );
    assert_eq!(r.status, 422, "{}", r.text());
    let detail = r.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("'agent'") && detail.contains("ANTHROPIC_API_KEY is not set"),
        "{detail}"
    );

    // An upstream outage fails the run with the provider's words.
    upstream.set(|b| b.fail = Some((500, "out of memory".into())));
    let wf = json!({"name": "translate", "access": "private", "graph": graph("ollama")});
    server.call("PUT", "/api/workflows/translate", &wf.to_string());
    let r = server.call(
        "POST",
        "/api/workflows/translate/run",
        r#"{"params":{"text":"Hello"}}"#,
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("out of memory")
    );
}
