//! A stand-in for an OpenAI-compatible LLM server, speaking its wire protocol over real HTTP.
//! OpenAI's API and Ollama's OpenAI-compatible endpoints are the same protocol under `/v1`, so
//! one stand-in serves both: `GET /v1/models` and `POST /v1/chat/completions`, answered whole or
//! streamed as server-sent events (one event per HTTP chunk, sent as soon as it is written).
//! Tests set how it behaves (slow, failing, hanging, checking an API key) and read back every
//! request it was sent and whether each stream reached its end.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// `created` in every response, so tests can compare whole bodies.
const CREATED: u64 = 1_700_000_000;
const ID: &str = "chatcmpl-standin";
const FINGERPRINT: &str = "fp_standin";
/// A garbage length must not make the stand-in allocate without bound.
const MAX_BODY: usize = 64 << 20;
/// How long a hanging or reading connection may live: long enough for any test, short enough
/// that stray threads end.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// A request as the stand-in received it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// The request target as sent, query string included.
    pub path: String,
    /// Names lower-case, in the order sent.
    pub headers: Vec<(String, String)>,
    /// Empty when it was sent chunked (see [`read_request`]).
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::client::find_header(&self.headers, name)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "request body is not JSON ({e}): {} {} {:?}",
                self.method,
                self.path,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// How the stand-in answers. Each request takes a copy when it arrives, so a change made with
/// [`Upstream::set`] applies to the requests after it.
#[derive(Clone, Debug)]
pub struct Behaviour {
    /// The ids `GET /v1/models` lists.
    pub models: Vec<String>,
    /// Streamed content, one SSE event per piece; a whole answer's content is their concatenation.
    pub pieces: Vec<String>,
    /// Sleep before each streamed content event.
    pub chunk_delay: Duration,
    /// Sleep before the status line, to provoke the caller's timeouts.
    pub head_delay: Duration,
    /// Answer every request with this status and an OpenAI `server_error` with this message.
    pub fail: Option<(u16, String)>,
    /// Read the request, then write nothing until the client closes.
    pub hang: bool,
    /// Requests without `Authorization: Bearer <key>` get OpenAI's 401 `invalid_api_key`.
    pub require_key: Option<String>,
}

impl Default for Behaviour {
    fn default() -> Behaviour {
        Behaviour {
            models: vec!["llama3.2:latest".into(), "qwen3:0.6b".into()],
            pieces: ["Hello", "!", " How", " can", " I", " help", "?"]
                .into_iter()
                .map(String::from)
                .collect(),
            chunk_delay: Duration::ZERO,
            head_delay: Duration::ZERO,
            fail: None,
            hang: false,
            require_key: None,
        }
    }
}

/// What the stand-in does and what it saw.
#[derive(Default)]
pub struct State {
    pub behaviour: Behaviour,
    /// Every request, recorded before it is answered.
    pub requests: Vec<Seen>,
    /// Streams whose client went away before the end.
    pub aborted: usize,
    /// Streams written to the end.
    pub completed: usize,
}

pub struct Upstream {
    /// `http://127.0.0.1:<port>`, without `/v1`.
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl Upstream {
    pub fn start() -> Upstream {
        Upstream::with(Behaviour::default())
    }

    pub fn with(behaviour: Behaviour) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            behaviour,
            ..State::default()
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Upstream { url, state }
    }

    pub fn set(&self, f: impl FnOnce(&mut Behaviour)) {
        f(&mut self.state.lock().unwrap().behaviour);
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Streams whose client went away before the end.
    pub fn aborted(&self) -> usize {
        self.state.lock().unwrap().aborted
    }

    /// Streams written to the end (`[DONE]` and the last chunk written).
    pub fn completed(&self) -> usize {
        self.state.lock().unwrap().completed
    }

    /// Waits up to `timeout` for `aborted() >= n`; returns whether it happened.
    pub fn wait_aborted(&self, n: usize, timeout: Duration) -> bool {
        self.wait_for(timeout, |s| s.aborted >= n)
    }

    /// Waits up to `timeout` for `completed() >= n`; returns whether it happened. A client can
    /// read the end of a stream a moment before the stand-in counts it.
    pub fn wait_completed(&self, n: usize, timeout: Duration) -> bool {
        self.wait_for(timeout, |s| s.completed >= n)
    }

    fn wait_for(&self, timeout: Duration, done: impl Fn(&State) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.state.lock().unwrap()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// OpenAI's error object.
/// The `data:` payloads of an event stream, in order (`[DONE]` included).
pub fn sse_events(raw: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(raw)
        .split("\n\n")
        .filter_map(|e| e.trim().strip_prefix("data: ").map(str::to_string))
        .collect()
}

/// The assistant text a stream of `chat.completion.chunk` events carries.
pub fn streamed_text(events: &[String]) -> String {
    events
        .iter()
        .filter(|e| *e != "[DONE]")
        .filter_map(|e| serde_json::from_str::<Value>(e).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}

pub fn error_body(message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    // Each event must leave as it is written, not wait to be coalesced with the next.
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(IDLE_LIMIT));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    let seen = match read_request(&mut reader, &mut out) {
        Ok(seen) => seen,
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            let msg = format!("malformed request: {e}");
            let _ = respond(
                &mut out,
                400,
                &error_body(&msg, "invalid_request_error", None, None),
            );
            return;
        }
        Err(_) => return,
    };
    let behaviour = {
        let mut s = state.lock().unwrap();
        s.requests.push(seen.clone());
        s.behaviour.clone()
    };
    std::thread::sleep(behaviour.head_delay);
    if behaviour.hang {
        wait_for_close(&mut reader);
        return;
    }
    if let Some((status, message)) = &behaviour.fail {
        let _ = respond(
            &mut out,
            *status,
            &error_body(message, "server_error", None, None),
        );
        return;
    }
    if let Some(key) = &behaviour.require_key
        && seen.header("authorization") != Some(format!("Bearer {key}").as_str())
    {
        let body = error_body(
            "Incorrect API key provided",
            "invalid_request_error",
            None,
            Some("invalid_api_key"),
        );
        let _ = respond(&mut out, 401, &body);
        return;
    }
    let route = seen.path.split('?').next().unwrap_or_default();
    match (seen.method.as_str(), route) {
        ("GET", "/v1/models") => {
            let data: Vec<Value> = behaviour
                .models
                .iter()
                .map(|m| json!({"id": m, "object": "model", "created": CREATED, "owned_by": "library"}))
                .collect();
            let _ = respond(&mut out, 200, &json!({"object": "list", "data": data}));
        }
        ("POST", "/v1/chat/completions") => chat(&mut out, &seen, &behaviour, state),
        (_, "/v1/models" | "/v1/chat/completions") => {
            let msg = format!("Method {} not allowed for {route}", seen.method);
            let _ = respond(
                &mut out,
                405,
                &error_body(&msg, "invalid_request_error", None, None),
            );
        }
        _ => {
            let msg = format!("Invalid URL ({} {})", seen.method, seen.path);
            let _ = respond(
                &mut out,
                404,
                &error_body(&msg, "invalid_request_error", None, None),
            );
        }
    }
}

fn chat(out: &mut TcpStream, seen: &Seen, behaviour: &Behaviour, state: &Mutex<State>) {
    let bad = |out: &mut TcpStream, msg: &str, param: Option<&str>| {
        let _ = respond(
            out,
            400,
            &error_body(msg, "invalid_request_error", param, None),
        );
    };
    let Ok(request) = serde_json::from_slice::<Value>(&seen.body) else {
        return bad(
            out,
            "We could not parse the JSON body of your request.",
            None,
        );
    };
    let Some(model) = request["model"].as_str() else {
        return bad(out, "you must provide a model parameter", Some("model"));
    };
    let Some(messages) = request["messages"].as_array() else {
        return bad(
            out,
            "Missing required parameter: 'messages'.",
            Some("messages"),
        );
    };
    let prompt_tokens = messages.len() * 10;
    let completion_tokens = behaviour.pieces.len();
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    });
    if request["stream"].as_bool() != Some(true) {
        let body = json!({
            "id": ID, "object": "chat.completion", "created": CREATED, "model": model,
            "system_fingerprint": FINGERPRINT,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": behaviour.pieces.concat()},
                "logprobs": null, "finish_reason": "stop",
            }],
            "usage": usage,
        });
        let _ = respond(out, 200, &body);
        return;
    }
    let include_usage = request["stream_options"]["include_usage"].as_bool() == Some(true);
    let written = stream(out, model, behaviour, include_usage.then_some(usage));
    let mut s = state.lock().unwrap();
    match written {
        Ok(()) => s.completed += 1,
        Err(_) => s.aborted += 1,
    }
}

/// Writes a streamed completion; an error means the client went away.
fn stream(
    out: &mut TcpStream,
    model: &str,
    behaviour: &Behaviour,
    usage: Option<Value>,
) -> io::Result<()> {
    let chunk = |delta: Value, finish_reason: Value| {
        json!({
            "id": ID, "object": "chat.completion.chunk", "created": CREATED, "model": model,
            "system_fingerprint": FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
        })
    };
    out.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\
          Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    )?;
    event(
        out,
        &chunk(json!({"role": "assistant", "content": ""}), Value::Null),
    )?;
    for piece in &behaviour.pieces {
        std::thread::sleep(behaviour.chunk_delay);
        event(out, &chunk(json!({"content": piece}), Value::Null))?;
    }
    event(out, &chunk(json!({}), json!("stop")))?;
    if let Some(usage) = usage {
        let last = json!({
            "id": ID, "object": "chat.completion.chunk", "created": CREATED, "model": model,
            "system_fingerprint": FINGERPRINT, "choices": [], "usage": usage,
        });
        event(out, &last)?;
    }
    http_chunk(out, b"data: [DONE]\n\n")?;
    http_chunk(out, b"")
}

/// One SSE event as one HTTP chunk.
fn event(out: &mut TcpStream, data: &Value) -> io::Result<()> {
    http_chunk(out, format!("data: {data}\n\n").as_bytes())
}

/// One HTTP chunk in one write; an empty one ends the body.
fn http_chunk(out: &mut TcpStream, data: &[u8]) -> io::Result<()> {
    let mut frame = format!("{:x}\r\n", data.len()).into_bytes();
    frame.extend_from_slice(data);
    frame.extend_from_slice(b"\r\n");
    out.write_all(&frame)?;
    out.flush()
}

pub(crate) fn respond(out: &mut TcpStream, status: u16, body: &Value) -> io::Result<()> {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    out.write_all(&[head.into_bytes(), body.into_bytes()].concat())?;
    out.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Reads until the client closes (or errors), discarding anything it sends, for at most
/// [`IDLE_LIMIT`]; short read timeouts keep the loop checking the clock.
fn wait_for_close(reader: &mut BufReader<TcpStream>) {
    let _ = reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(1)));
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while start.elapsed() < IDLE_LIMIT {
        match reader.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// One line without its CRLF; end of stream before the line ends is an error.
fn read_line(reader: &mut BufReader<TcpStream>) -> io::Result<String> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Reads one request: head, then the body by `Content-Length` only. Like the simple servers
/// and proxies some users put behind a provider URL, the stand-in ignores a chunked body (it
/// sees an empty one), so a caller that sends one fails the tests instead of passing by luck.
pub(crate) fn read_request(
    reader: &mut BufReader<TcpStream>,
    out: &mut TcpStream,
) -> io::Result<Seen> {
    let line = read_line(reader)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(path), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("bad request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(invalid("not HTTP/1.x"));
    }
    let mut seen = Seen {
        method: method.to_string(),
        path: path.to_string(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    loop {
        let h = read_line(reader)?;
        if h.is_empty() {
            break;
        }
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| invalid("bad header line"))?;
        seen.headers
            .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    // curl asks before sending a large body; hyper-based clients do not.
    if seen
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    if seen.header("transfer-encoding").is_some() {
        return Ok(seen);
    }
    if let Some(len) = seen.header("content-length") {
        let len: usize = len.parse().map_err(|_| invalid("bad content-length"))?;
        if len > MAX_BODY {
            return Err(invalid("body too large"));
        }
        seen.body = vec![0; len];
        reader.read_exact(&mut seen.body)?;
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::StreamReader;

    fn chat_request(up: &Upstream, body: &Value, headers: &[(&str, &str)]) -> StreamReader {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        StreamReader::open(
            &up.url,
            "POST",
            "/v1/chat/completions",
            &all,
            body.to_string().as_bytes(),
        )
    }

    fn body(reader: StreamReader) -> Vec<u8> {
        reader.read_all().into_iter().flat_map(|(_, c)| c).collect()
    }

    fn json_of(reader: StreamReader) -> Value {
        let bytes = body(reader);
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&bytes)))
    }

    /// The JSON of each `data:` event but `[DONE]`; each chunk must be exactly one event.
    fn events(chunks: &[(Duration, Vec<u8>)]) -> Vec<Value> {
        chunks
            .iter()
            .map(|(_, c)| String::from_utf8(c.clone()).unwrap())
            .inspect(|c| assert!(c.starts_with("data: ") && c.ends_with("\n\n"), "{c:?}"))
            .map(|c| c["data: ".len()..].trim_end().to_string())
            .filter(|d| d != "[DONE]")
            .map(|d| serde_json::from_str(&d).unwrap())
            .collect()
    }

    fn content(events: &[Value]) -> String {
        events
            .iter()
            .filter_map(|e| e["choices"][0]["delta"]["content"].as_str())
            .collect()
    }

    fn messages() -> Value {
        json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    }

    #[test]
    fn lists_models() {
        let up = Upstream::start();
        let r = StreamReader::open(&up.url, "GET", "/v1/models", &[], b"");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            json_of(r),
            json!({"object": "list", "data": [
                {"id": "llama3.2:latest", "object": "model", "created": 1700000000, "owned_by": "library"},
                {"id": "qwen3:0.6b", "object": "model", "created": 1700000000, "owned_by": "library"},
            ]})
        );
        up.set(|b| b.models = vec!["gpt-4o-mini".into()]);
        let r = StreamReader::open(&up.url, "GET", "/v1/models?x=1", &[], b"");
        assert_eq!(json_of(r)["data"][0]["id"], "gpt-4o-mini");
        let seen = up.requests();
        assert_eq!(seen.len(), 2);
        assert_eq!(
            (seen[1].method.as_str(), seen[1].path.as_str()),
            ("GET", "/v1/models?x=1")
        );
    }

    #[test]
    fn answers_a_whole_completion() {
        let up = Upstream::start();
        let sent = json!({"model": "qwen3:0.6b", "messages": messages(), "stream": false});
        let r = chat_request(&up, &sent, &[("Authorization", "Bearer anything")]);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let length: usize = r.header("content-length").unwrap().parse().unwrap();
        let bytes = body(r);
        assert_eq!(bytes.len(), length);
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap(),
            json!({
                "id": "chatcmpl-standin", "object": "chat.completion", "created": 1700000000,
                "model": "qwen3:0.6b", "system_fingerprint": "fp_standin",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": "Hello! How can I help?"},
                    "logprobs": null, "finish_reason": "stop",
                }],
                "usage": {"prompt_tokens": 20, "completion_tokens": 7, "total_tokens": 27},
            })
        );
        let seen = &up.requests()[0];
        assert_eq!(seen.method, "POST");
        assert_eq!(seen.path, "/v1/chat/completions");
        assert_eq!(seen.header("Authorization"), Some("Bearer anything"));
        assert_eq!(seen.json(), sent);
        assert_eq!((up.completed(), up.aborted()), (0, 0));
    }

    #[test]
    fn streams_one_event_per_chunk_as_written() {
        let pieces: Vec<String> = (0..50).map(|i| format!("p{i} ")).collect();
        let up = Upstream::with(Behaviour {
            pieces: pieces.clone(),
            chunk_delay: Duration::from_millis(5),
            ..Behaviour::default()
        });
        let sent = json!({"model": "llama3.2:latest", "messages": messages(), "stream": true});
        let r = chat_request(&up, &sent, &[]);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/event-stream"));
        assert_eq!(r.header("cache-control"), Some("no-cache"));
        assert_eq!(r.header("transfer-encoding"), Some("chunked"));
        let chunks = r.read_all();
        assert!(chunks.len() >= 50, "{} chunks", chunks.len());
        let (first, last) = (chunks[0].0, chunks.last().unwrap().0);
        assert!(
            last - first >= Duration::from_millis(200),
            "first at {first:?}, last at {last:?}"
        );
        assert_eq!(chunks.last().unwrap().1, b"data: [DONE]\n\n");
        let events = events(&chunks);
        assert_eq!(events.len(), 52);
        assert_eq!(
            events[0],
            json!({
                "id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 1700000000,
                "model": "llama3.2:latest", "system_fingerprint": "fp_standin",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                             "logprobs": null, "finish_reason": null}],
            })
        );
        assert_eq!(content(&events), pieces.concat());
        let end = &events[51];
        assert_eq!(end["choices"][0]["delta"], json!({}));
        assert_eq!(end["choices"][0]["finish_reason"], "stop");
        assert!(events.iter().all(|e| e.get("usage").is_none()));
        assert!(up.wait_completed(1, Duration::from_secs(5)));
        assert_eq!(up.aborted(), 0);
    }

    #[test]
    fn include_usage_adds_a_usage_chunk() {
        let up = Upstream::start();
        let sent = json!({
            "model": "gpt-4o-mini", "messages": messages(), "stream": true,
            "stream_options": {"include_usage": true},
        });
        let chunks = chat_request(&up, &sent, &[]).read_all();
        let events = events(&chunks);
        assert_eq!(content(&events), "Hello! How can I help?");
        assert_eq!(
            events.last().unwrap(),
            &json!({
                "id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 1700000000,
                "model": "gpt-4o-mini", "system_fingerprint": "fp_standin", "choices": [],
                "usage": {"prompt_tokens": 20, "completion_tokens": 7, "total_tokens": 27},
            })
        );
        assert_eq!(
            events[events.len() - 2]["choices"][0]["finish_reason"],
            "stop"
        );
        assert_eq!(chunks.last().unwrap().1, b"data: [DONE]\n\n");
    }

    #[test]
    fn a_client_going_away_aborts_the_stream() {
        let up = Upstream::with(Behaviour {
            pieces: vec!["x".into(); 200],
            chunk_delay: Duration::from_millis(10),
            ..Behaviour::default()
        });
        let sent = json!({"model": "m", "messages": messages(), "stream": true});
        let mut r = chat_request(&up, &sent, &[]);
        for _ in 0..3 {
            assert!(r.next_chunk().is_some());
        }
        drop(r);
        assert!(up.wait_aborted(1, Duration::from_secs(5)));
        assert_eq!(up.completed(), 0);
    }

    #[test]
    fn fail_answers_every_route_with_a_server_error() {
        let up = Upstream::with(Behaviour {
            fail: Some((503, "The engine is currently overloaded".into())),
            ..Behaviour::default()
        });
        let expected = json!({"error": {
            "message": "The engine is currently overloaded", "type": "server_error",
            "param": null, "code": null,
        }});
        let sent = json!({"model": "m", "messages": messages(), "stream": true});
        let r = chat_request(&up, &sent, &[]);
        assert_eq!(r.status, 503);
        assert_eq!(json_of(r), expected);
        let r = StreamReader::open(&up.url, "GET", "/v1/models", &[], b"");
        assert_eq!(r.status, 503);
        assert_eq!(json_of(r), expected);
        assert_eq!(up.requests().len(), 2);
        assert_eq!((up.completed(), up.aborted()), (0, 0));
    }

    #[test]
    fn require_key_checks_the_bearer_token() {
        let up = Upstream::with(Behaviour {
            require_key: Some("sk-test".into()),
            ..Behaviour::default()
        });
        let expected = json!({"error": {
            "message": "Incorrect API key provided", "type": "invalid_request_error",
            "param": null, "code": "invalid_api_key",
        }});
        let sent = json!({"model": "m", "messages": messages()});
        for auth in [None, Some("Bearer sk-wrong"), Some("sk-test")] {
            let headers: Vec<(&str, &str)> =
                auth.map(|a| ("Authorization", a)).into_iter().collect();
            let r = chat_request(&up, &sent, &headers);
            assert_eq!(r.status, 401, "{auth:?}");
            assert_eq!(json_of(r), expected);
        }
        let r = chat_request(&up, &sent, &[("authorization", "Bearer sk-test")]);
        assert_eq!(r.status, 200);
        let r = StreamReader::open(&up.url, "GET", "/v1/models", &[], b"");
        assert_eq!(r.status, 401);
        assert_eq!(up.requests().len(), 5);
    }

    #[test]
    fn rejects_unknown_paths_and_bad_bodies() {
        let up = Upstream::start();
        let r = StreamReader::open(&up.url, "GET", "/v1/embeddings", &[], b"");
        assert_eq!(r.status, 404);
        assert_eq!(json_of(r)["error"]["type"], "invalid_request_error");
        let r = StreamReader::open(&up.url, "GET", "/v1/chat/completions", &[], b"");
        assert_eq!(r.status, 405);
        for (sent, param) in [
            (&b"not json"[..], Value::Null),
            (br#"{"messages": []}"#, json!("model")),
            (br#"{"model": "m"}"#, json!("messages")),
        ] {
            let r = StreamReader::open(&up.url, "POST", "/v1/chat/completions", &[], sent);
            assert_eq!(r.status, 400);
            let error = json_of(r)["error"].clone();
            assert_eq!(error["type"], "invalid_request_error");
            assert_eq!(error["param"], param);
            assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        assert_eq!(up.requests().len(), 5);
    }

    /// Sends `head` and `body` as given and returns everything the stand-in answered.
    fn raw(up: &Upstream, head: &str, body: &[u8]) -> String {
        let mut s = TcpStream::connect(up.url.trim_start_matches("http://")).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).unwrap();
        String::from_utf8(answer).unwrap()
    }

    #[test]
    fn ignores_a_chunked_request_body_as_a_length_only_server_does() {
        let up = Upstream::start();
        let sent = json!({"model": "m", "messages": messages()}).to_string();
        let chunked = format!("{:x}\r\n{sent}\r\n0\r\n\r\n", sent.len());
        let _ = raw(
            &up,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            chunked.as_bytes(),
        );
        let seen = &up.requests()[0];
        assert_eq!(seen.header("transfer-encoding"), Some("chunked"));
        assert!(seen.body.is_empty(), "the body was read");
    }

    #[test]
    fn answers_expect_continue_before_the_body() {
        let up = Upstream::start();
        let sent = json!({"model": "m", "messages": messages()}).to_string();
        let mut s = TcpStream::connect(up.url.trim_start_matches("http://")).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let head = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\
             Content-Length: {}\r\n\r\n",
            sent.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        let mut interim = [0u8; 25];
        s.read_exact(&mut interim).unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        s.write_all(sent.as_bytes()).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    }

    #[test]
    fn hang_writes_nothing_and_head_delay_delays_the_head() {
        let up = Upstream::with(Behaviour {
            hang: true,
            ..Behaviour::default()
        });
        let mut s = TcpStream::connect(up.url.trim_start_matches("http://")).unwrap();
        s.write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let err = s.read(&mut [0u8; 16]).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "{err}"
        );
        assert_eq!(up.requests().len(), 1);
        drop(s);

        up.set(|b| {
            b.hang = false;
            b.head_delay = Duration::from_millis(300);
        });
        let start = Instant::now();
        let r = StreamReader::open(&up.url, "GET", "/v1/models", &[], b"");
        assert!(start.elapsed() >= Duration::from_millis(300));
        assert_eq!(r.status, 200);
    }
}
