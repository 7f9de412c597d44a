//! A stand-in for the services workflow nodes call, speaking each one's real wire protocol over
//! HTTP: OpenAI's chat completions (`POST /v1/chat/completions`), Anthropic's Messages
//! (`POST /v1/messages`, checking `x-api-key` and `anthropic-version`), Gemini's
//! `POST /v1beta/models/{model}:generateContent` (checking `x-goog-api-key`) and SerpApi's
//! `GET /search.json` (checking `api_key`). Asked to stream (`"stream": true`, Gemini's
//! `:streamGenerateContent?alt=sse`), the models send the same answer as each protocol's
//! server-sent events, a few words per event.
//!
//! Its "model" is deterministic and answers in the format a prompt asks for: `<LIST_ITEM>`
//! tags, a Markdown table with the requested columns, a JSON object with the schema's fields,
//! one of the given categories; offered tools, it first calls the first one with the prompt as
//! every string argument, and once it has a tool result it answers with text quoting it.
//! Every request is recorded.

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::upstream::{Seen, read_request, respond};

pub const ANTHROPIC_KEY: &str = "sk-ant-stand-in";
pub const GEMINI_KEY: &str = "gemini-stand-in";
pub const SERPAPI_KEY: &str = "serp-stand-in";
pub const KIE_KEY: &str = "kie-stand-in";
/// A kie.ai prompt containing this gets a task that fails.
pub const KIE_FAIL: &str = "KIE_FAIL";
pub const FAL_KEY: &str = "fal-stand-in";
/// A fal.ai prompt containing this gets a request whose model fails.
pub const FAL_FAIL: &str = "FAL_FAIL";
/// The model the stand-in fal.ai queue serves.
const FAL_MODEL: &str = "/fal-ai/nano-banana-2";

/// A small RSS feed, served at `/files/feed.xml`.
pub const FEED: &str = "<rss version=\"2.0\"><channel><title>Stand-in news</title>\
<link>https://news.test/</link><description>Daily</description><language>en</language>\
<item><title>One</title><link>https://news.test/1</link><description>First &amp; best</description>\
<pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate><author>ada@news.test</author></item>\
<item><title>Two</title><link>https://news.test/2</link><description>Second</description>\
<pubDate>Tue, 02 Jan 2024 11:30:00 +0100</pubDate></item></channel></rss>";

/// What the image endpoint answers: the smallest valid PNG (1x1, transparent).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// What the speech endpoint answers (not real audio; the server stores it as it is).
pub const SPEECH: &[u8] = b"ID3 stand-in speech";

pub struct Models {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Models {
    pub fn start() -> Models {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = shared.clone();
                std::thread::spawn(move || serve(stream, &seen));
            }
        });
        Models { url, seen }
    }

    /// The configuration pointing every service at this stand-in, with the server's keys.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OPENAI_BASE_URL", format!("{}/v1", self.url)),
            ("OPENAI_API_KEY", "sk-stand-in".into()),
            ("OLLAMA_API_URL", self.url.clone()),
            ("ANTHROPIC_BASE_URL", self.url.clone()),
            ("ANTHROPIC_API_KEY", ANTHROPIC_KEY.into()),
            ("GEMINI_BASE_URL", self.url.clone()),
            ("GEMINI_API_KEY", GEMINI_KEY.into()),
            ("SERPAPI_BASE_URL", self.url.clone()),
            ("SERPAPI_API_KEY", SERPAPI_KEY.into()),
            ("KIE_BASE_URL", self.url.clone()),
            ("KIE_API_KEY", KIE_KEY.into()),
            ("FAL_BASE_URL", self.url.clone()),
            ("FAL_API_KEY", FAL_KEY.into()),
        ]
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests to paths starting with `prefix`.
    pub fn to(&self, prefix: &str) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| s.path.starts_with(prefix))
            .collect()
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    let Ok(req) = read_request(&mut reader, &mut out) else {
        return;
    };
    seen.lock().unwrap().push(req.clone());
    let raw: Option<(&str, &[u8])> = match req.path.as_str() {
        "/files/feed.xml" => Some(("application/rss+xml", FEED.as_bytes())),
        "/files/kie.png" | "/files/fal.png" => Some(("image/png", PNG)),
        "/v1/audio/speech" => Some(("audio/mpeg", SPEECH)),
        _ => None,
    };
    if let Some((ty, bytes)) = raw {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ty}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            bytes.len()
        );
        let _ = out.write_all(&[head.as_bytes(), bytes].concat());
        return;
    }
    let (status, body) = answer(&req);
    match streamed(&req) {
        Some(wire) if status == 200 => {
            // A prompt that says so gets its pieces slowly, so a test can see them arrive
            // before the answer ends.
            let pause = if String::from_utf8_lossy(&req.body).contains(SLOW_STREAM) {
                Duration::from_millis(400)
            } else {
                Duration::ZERO
            };
            let mut events = events(wire, &body);
            if String::from_utf8_lossy(&req.body).contains(CUT_STREAM) {
                events.truncate(events.len() / 2);
            }
            let _ = stream_answer(&mut out, &events, pause);
        }
        _ => {
            let _ = respond(&mut out, status, &body);
        }
    }
}

/// Put in a prompt, it makes the stand-in stream its answer's pieces 400 ms apart.
pub const SLOW_STREAM: &str = "SLOW_STREAM";
/// Put in a prompt, it makes the stand-in hang up halfway through a streamed answer.
pub const CUT_STREAM: &str = "CUT_STREAM";

#[derive(Clone, Copy)]
enum Wire {
    OpenAi,
    Anthropic,
    Gemini,
}

/// Which protocol's stream the request asked for, if it asked for one.
fn streamed(req: &Seen) -> Option<Wire> {
    let path = req.path.split('?').next().unwrap_or_default();
    if path.ends_with(":streamGenerateContent") {
        return Some(Wire::Gemini);
    }
    let wire = match path {
        "/v1/chat/completions" => Wire::OpenAi,
        "/v1/messages" => Wire::Anthropic,
        _ => return None,
    };
    (req.json()["stream"] == true).then_some(wire)
}

/// A text in pieces of about three words, as a model streams it.
fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, word) in text.split_inclusive(' ').enumerate() {
        cur.push_str(word);
        if i % 3 == 2 {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The events (each `(event name, data)`) that stream the whole answer `body`.
fn events(wire: Wire, body: &Value) -> Vec<(Option<&'static str>, String)> {
    let mut out: Vec<(Option<&'static str>, String)> = Vec::new();
    match wire {
        Wire::OpenAi => {
            let message = &body["choices"][0]["message"];
            let chunk = |delta: Value, finish: Value| {
                json!({"id": "chatcmpl-models", "object": "chat.completion.chunk", "created": 1_700_000_000,
                       "model": body["model"], "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
                .to_string()
            };
            out.push((
                None,
                chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            ));
            for p in pieces(message["content"].as_str().unwrap_or_default()) {
                out.push((None, chunk(json!({"content": p}), Value::Null)));
            }
            for (i, call) in message["tool_calls"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let args = call["function"]["arguments"].as_str().unwrap_or_default();
                let (a, b) = args.split_at(args.len() / 2);
                out.push((
                    None,
                    chunk(
                        json!({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                    "function": {"name": call["function"]["name"], "arguments": a}}]}),
                        Value::Null,
                    ),
                ));
                out.push((
                    None,
                    chunk(
                        json!({"tool_calls": [{"index": i, "function": {"arguments": b}}]}),
                        Value::Null,
                    ),
                ));
            }
            out.push((None, chunk(json!({}), json!("stop"))));
            out.push((None, "[DONE]".into()));
        }
        Wire::Anthropic => {
            let event = |name: &'static str, v: Value| (Some(name), v.to_string());
            out.push(event("message_start", json!({"type": "message_start", "message": {
                "id": body["id"], "type": "message", "role": "assistant", "model": body["model"], "content": []}})));
            for (i, block) in body["content"].as_array().into_iter().flatten().enumerate() {
                if block["type"] == "tool_use" {
                    out.push(event("content_block_start", json!({"type": "content_block_start", "index": i,
                        "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}})));
                    let args = block["input"].to_string();
                    let (a, b) = args.split_at(args.len() / 2);
                    for part in [a, b] {
                        out.push(event(
                            "content_block_delta",
                            json!({"type": "content_block_delta", "index": i,
                            "delta": {"type": "input_json_delta", "partial_json": part}}),
                        ));
                    }
                } else {
                    out.push(event(
                        "content_block_start",
                        json!({"type": "content_block_start", "index": i,
                        "content_block": {"type": "text", "text": ""}}),
                    ));
                    for p in pieces(block["text"].as_str().unwrap_or_default()) {
                        out.push(event(
                            "content_block_delta",
                            json!({"type": "content_block_delta", "index": i,
                            "delta": {"type": "text_delta", "text": p}}),
                        ));
                    }
                }
                out.push(event(
                    "content_block_stop",
                    json!({"type": "content_block_stop", "index": i}),
                ));
            }
            out.push(event(
                "message_delta",
                json!({"type": "message_delta",
                "delta": {"stop_reason": body["stop_reason"]}, "usage": {"output_tokens": 10}}),
            ));
            out.push(event("message_stop", json!({"type": "message_stop"})));
        }
        Wire::Gemini => {
            let parts = body["candidates"][0]["content"]["parts"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for part in parts {
                let texts = match part["text"].as_str() {
                    Some(t) => pieces(t).into_iter().map(|p| json!({"text": p})).collect(),
                    None => vec![part],
                };
                for p in texts {
                    out.push((
                        None,
                        json!({"candidates": [{"content": {"role": "model", "parts": [p]}}]})
                            .to_string(),
                    ));
                }
            }
            out.push((
                None,
                json!({"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]},
                "finishReason": "STOP"}]})
                .to_string(),
            ));
        }
    }
    out
}

/// Sends `events` as server-sent events, `pause` apart, then closes the connection.
fn stream_answer(
    out: &mut TcpStream,
    events: &[(Option<&'static str>, String)],
    pause: Duration,
) -> std::io::Result<()> {
    out.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
    )?;
    for (i, (name, data)) in events.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(pause);
        }
        let mut event = String::new();
        if let Some(name) = name {
            event.push_str(&format!("event: {name}\n"));
        }
        event.push_str(&format!("data: {data}\n\n"));
        out.write_all(event.as_bytes())?;
        out.flush()?;
    }
    Ok(())
}

/// kie.ai's task API: a task is still generating when first asked about, and done (or
/// failed, when its prompt says `KIE_FAIL`) from the second time on. Refusals come as kie.ai
/// sends them, HTTP 200 with its own code.
fn kie(req: &Seen) -> (u16, Value) {
    static TASKS: Mutex<Vec<(String, bool, u32)>> = Mutex::new(Vec::new());
    if req.header("authorization") != Some(format!("Bearer {KIE_KEY}").as_str()) {
        return (
            200,
            json!({"code": 401, "msg": "You do not have access permissions"}),
        );
    }
    let mut tasks = TASKS.lock().unwrap();
    if req.method == "POST" {
        let body = req.json();
        let input = &body["input"];
        if body["model"] != "google/nano-banana"
            || !input["prompt"].is_string()
            || input["output_format"] != "png"
            || !input["image_size"].is_string()
        {
            return (
                200,
                json!({"code": 422, "msg": format!("unexpected task {body}")}),
            );
        }
        let id = format!("task-{}", tasks.len() + 1);
        let fails = input["prompt"]
            .as_str()
            .unwrap_or_default()
            .contains(KIE_FAIL);
        tasks.push((id.clone(), fails, 0));
        return (
            200,
            json!({"code": 200, "msg": "success", "data": {"taskId": id}}),
        );
    }
    let asked = req.path.split("taskId=").nth(1).unwrap_or_default();
    let Some(task) = tasks.iter_mut().find(|t| t.0 == asked) else {
        return (200, json!({"code": 404, "msg": "task not found"}));
    };
    task.2 += 1;
    let host = req.header("host").unwrap_or_default();
    let data = match (task.2, task.1) {
        (1, _) => json!({"taskId": task.0, "state": "generating"}),
        (_, true) => json!({"taskId": task.0, "state": "fail", "failMsg": "content policy"}),
        (_, false) => json!({"taskId": task.0, "state": "success",
            "resultJson": json!({"resultUrls": [format!("http://{host}/files/kie.png")]}).to_string()}),
    };
    (200, json!({"code": 200, "msg": "success", "data": data}))
}

/// fal.ai's queue for one model: a request is `IN_PROGRESS` when first asked about and
/// `COMPLETED` from the second time on; the result of one whose prompt says `FAL_FAIL` is
/// fal.ai's 422 with a FastAPI `detail`.
fn fal(req: &Seen) -> (u16, Value) {
    static REQUESTS: Mutex<Vec<(String, bool, u32)>> = Mutex::new(Vec::new());
    if req.header("authorization") != Some(format!("Key {FAL_KEY}").as_str()) {
        return (
            401,
            json!({"detail": "No user found for Key ID and Secret"}),
        );
    }
    let mut requests = REQUESTS.lock().unwrap();
    if req.method == "POST" {
        let input = req.json();
        let Some(prompt) = input["prompt"].as_str() else {
            return (
                422,
                json!({"detail": [{"loc": ["body", "prompt"], "msg": "Field required"}]}),
            );
        };
        let id = format!("req-{}", requests.len() + 1);
        requests.push((id.clone(), prompt.contains(FAL_FAIL), 0));
        return (200, json!({"request_id": id, "status": "IN_QUEUE"}));
    }
    let rest = &req.path[FAL_MODEL.len()..];
    let (asked, status) = match rest.strip_suffix("/status") {
        Some(r) => (r.trim_start_matches("/requests/"), true),
        None => (rest.trim_start_matches("/requests/"), false),
    };
    let Some(request) = requests.iter_mut().find(|r| r.0 == asked) else {
        return (404, json!({"detail": "Request not found"}));
    };
    if status {
        request.2 += 1;
        let state = if request.2 == 1 {
            "IN_PROGRESS"
        } else {
            "COMPLETED"
        };
        return (202, json!({"status": state, "request_id": request.0}));
    }
    if request.1 {
        return (
            422,
            json!({"detail": [{"loc": ["body", "prompt"], "msg": "content policy violation"}]}),
        );
    }
    let host = req.header("host").unwrap_or_default();
    (
        200,
        json!({"images": [{"url": format!("http://{host}/files/fal.png"), "content_type": "image/png"}],
               "description": ""}),
    )
}

fn answer(req: &Seen) -> (u16, Value) {
    let path = req.path.split('?').next().unwrap_or_default();
    if path.starts_with(FAL_MODEL) {
        return fal(req);
    }
    match (req.method.as_str(), path) {
        ("POST", "/v1/chat/completions") => openai(&req.json()),
        ("POST", "/v1/messages") => {
            if req.header("x-api-key") != Some(ANTHROPIC_KEY)
                || req.header("anthropic-version").is_none()
            {
                let e = json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}});
                return (401, e);
            }
            anthropic(&req.json())
        }
        ("POST", p)
            if p.starts_with("/v1beta/models/")
                && (p.ends_with(":generateContent") || p.ends_with(":streamGenerateContent")) =>
        {
            if req.header("x-goog-api-key") != Some(GEMINI_KEY) {
                let e = json!({"error": {"code": 403, "message": "API key not valid", "status": "PERMISSION_DENIED"}});
                return (403, e);
            }
            gemini(&req.json())
        }
        ("GET", "/search.json") => serpapi(&req.path),
        ("POST", "/api/v1/jobs/createTask") | ("GET", "/api/v1/jobs/recordInfo") => kie(req),
        ("POST" | "PUT" | "PATCH", "/echo") => (
            200,
            json!({"method": req.method, "received": serde_json::from_slice::<Value>(&req.body).unwrap_or(Value::Null)}),
        ),
        ("GET", "/missing") => (404, json!({"detail": "Not Found"})),
        ("POST", "/v1/images/edits") => {
            use base64::Engine as _;
            let body = String::from_utf8_lossy(&req.body);
            if !(body.contains("name=\"prompt\"")
                && body.contains("name=\"image\"; filename=\"image.png\""))
            {
                return (
                    400,
                    json!({"error": {"message": "expected a multipart upload with prompt and image"}}),
                );
            }
            let b64 = base64::engine::general_purpose::STANDARD.encode(PNG);
            (
                200,
                json!({"created": 1_700_000_000, "data": [{"b64_json": b64}]}),
            )
        }
        ("POST", "/v1/images/generations") => {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD.encode(PNG);
            (
                200,
                json!({"created": 1_700_000_000, "data": [{"b64_json": b64}]}),
            )
        }
        ("POST", "/v1/audio/transcriptions") => {
            let body = String::from_utf8_lossy(&req.body);
            let ok = req
                .header("content-type")
                .is_some_and(|t| t.starts_with("multipart/form-data; boundary="))
                && body.contains("name=\"model\"")
                && body.contains("name=\"file\"; filename=\"audio.");
            if !ok {
                return (
                    400,
                    json!({"error": {"message": "expected a multipart upload with model and file"}}),
                );
            }
            (
                200,
                json!({"text": format!("stand-in transcript of {} bytes", req.body.len())}),
            )
        }
        _ => (404, json!({"error": "no such route"})),
    }
}

/// What the stand-in model says to `prompt` (everything the model was told, system included).
fn reply_text(prompt: &str) -> String {
    if prompt.contains("<LIST_ITEM>") {
        return "<LIST_ITEM>First idea</LIST_ITEM>\n<LIST_ITEM>Second idea</LIST_ITEM>\n<LIST_ITEM>Third idea</LIST_ITEM>".into();
    }
    if let Some(cols) = prompt.split("columns, in this order:\n").nth(1) {
        let names: Vec<&str> = cols
            .lines()
            .filter_map(|l| l.strip_prefix("- "))
            .map(|l| l.split(" (").next().unwrap_or(l))
            .collect();
        let row = |i: usize| {
            let cells: Vec<String> = names.iter().map(|n| format!("{n} {i}")).collect();
            format!("| {} |", cells.join(" | "))
        };
        return format!(
            "| {} |\n|{}|\n{}\n{}",
            names.join(" | "),
            names.iter().map(|_| "---").collect::<Vec<_>>().join("|"),
            row(1),
            row(2)
        );
    }
    if let Some(schema) = prompt.split("JSON schema:\n").nth(1)
        && let Some(fields) = first_json(schema)
            .and_then(|s| s.get("required").cloned())
            .and_then(|r| r.as_array().cloned())
    {
        let obj: Map<String, Value> = fields
            .iter()
            .filter_map(Value::as_str)
            .map(|f| (f.to_string(), json!(format!("stand-in {f}"))))
            .collect();
        return format!("```json\n{}\n```", Value::Object(obj));
    }
    if let Some(cats) = prompt.split("Categories: ").nth(1) {
        return cats
            .split(", ")
            .next()
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
    }
    format!(
        "A stand-in answer to: {}",
        prompt
            .chars()
            .rev()
            .take(40)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
    )
}

fn first_json(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    let mut depth = 0usize;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return serde_json::from_str(&text[start..=start + i]).ok();
                }
            }
            _ => {}
        }
    }
    None
}

fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// Arguments for a tool: the prompt for every string property.
fn arguments(schema: &Value, prompt: &str) -> Value {
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let args: Map<String, Value> = props
        .iter()
        .filter(|(_, p)| p["type"] == "string")
        .map(|(k, _)| {
            (
                k.clone(),
                json!(prompt.chars().take(60).collect::<String>()),
            )
        })
        .collect();
    Value::Object(args)
}

fn openai(body: &Value) -> (u16, Value) {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let prompt: Vec<String> = messages.iter().map(|m| text_of(&m["content"])).collect();
    let tool_result = messages.iter().rev().find(|m| m["role"] == "tool");
    let message = match (body["tools"].as_array(), tool_result) {
        (Some(tools), None) if !tools.is_empty() => {
            let f = &tools[0]["function"];
            json!({"role": "assistant", "content": null, "tool_calls": [{
                "id": "call_1", "type": "function",
                "function": {"name": f["name"], "arguments": arguments(&f["parameters"], prompt.last().unwrap()).to_string()},
            }]})
        }
        (_, Some(result)) => {
            json!({"role": "assistant", "content": format!("Based on the tool: {}", text_of(&result["content"]).chars().take(80).collect::<String>())})
        }
        _ => json!({"role": "assistant", "content": reply_text(&prompt.join("\n"))}),
    };
    (
        200,
        json!({"id": "chatcmpl-models", "object": "chat.completion", "created": 1_700_000_000, "model": body["model"],
               "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}),
    )
}

fn anthropic(body: &Value) -> (u16, Value) {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    if body["max_tokens"].as_i64().is_none() || messages.is_empty() || messages[0]["role"] != "user"
    {
        let e = json!({"type": "error", "error": {"type": "invalid_request_error", "message": "messages: first message must use the user role; max_tokens is required"}});
        return (400, e);
    }
    let blocks: Vec<Value> = messages
        .iter()
        .flat_map(|m| m["content"].as_array().cloned().unwrap_or_default())
        .collect();
    let result = blocks.iter().rev().find(|b| b["type"] == "tool_result");
    let prompt: String = blocks
        .iter()
        .filter_map(|b| b["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let content = match (body["tools"].as_array(), result) {
        (Some(tools), None) if !tools.is_empty() => json!([
            {"type": "text", "text": "Let me search."},
            {"type": "tool_use", "id": "toolu_1", "name": tools[0]["name"], "input": arguments(&tools[0]["input_schema"], &prompt)},
        ]),
        (_, Some(r)) => {
            json!([{"type": "text", "text": format!("Research brief. Found: {}", r["content"].as_str().unwrap_or("").chars().take(80).collect::<String>())}])
        }
        _ => {
            json!([{"type": "text", "text": reply_text(&format!("{}\n{prompt}", body["system"].as_str().unwrap_or("")))}])
        }
    };
    (
        200,
        json!({"id": "msg_1", "type": "message", "role": "assistant", "model": body["model"], "content": content,
               "stop_reason": if result.is_none() && body["tools"].is_array() { "tool_use" } else { "end_turn" },
               "usage": {"input_tokens": 10, "output_tokens": 10}}),
    )
}

fn gemini(body: &Value) -> (u16, Value) {
    let parts: Vec<Value> = body["contents"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["parts"].as_array().cloned().unwrap_or_default())
        .collect();
    let mut prompt: String = body["systemInstruction"]["parts"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_string();
    for p in &parts {
        if let Some(t) = p["text"].as_str() {
            prompt.push('\n');
            prompt.push_str(t);
        }
    }
    (
        200,
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": reply_text(&prompt)}]}, "finishReason": "STOP"}]}),
    )
}

fn serpapi(path: &str) -> (u16, Value) {
    let query: Vec<(String, String)> = path
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect();
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if get("api_key").as_deref() != Some(SERPAPI_KEY) {
        return (
            401,
            json!({"error": "Invalid API key. Your API key should be here: https://serpapi.com/manage-api-key"}),
        );
    }
    let engine = get("engine").unwrap_or_default();
    let q = get("q").unwrap_or_default();
    let results: Vec<Value> = (1..=3)
        .map(|i| json!({"position": i, "title": format!("{engine} result {i} for {q}"), "link": format!("https://example.test/{i}"), "snippet": "A snippet.", "original": format!("https://example.test/{i}.jpg")}))
        .collect();
    (
        200,
        json!({"search_metadata": {"status": "Success"}, "search_parameters": {"engine": engine, "q": q},
               "organic_results": results, "news_results": results, "images_results": results}),
    )
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
