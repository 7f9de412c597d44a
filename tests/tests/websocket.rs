//! `/ws`, NodeTool's unified WebSocket, through a real WebSocket client: the upgrade's auth,
//! runs as jobs, reconnect and cancel, both encodings, hostile frames, and `/api/jobs`.

use std::time::{Duration, Instant};

use nodetool_edge_conformance::client::StreamReader;
use nodetool_edge_conformance::graph::{edge, node};
use nodetool_edge_conformance::runner::{STATIC_TOKEN, binary};
use nodetool_edge_conformance::supabase::{EcKey, StandIn, claims};
use nodetool_edge_conformance::ws_client::{Closed, Got, Socket, connect};
use nodetool_edge_conformance::{
    Host, Profile, Runner, Server, Target, bearer, request, skip_unless_native, skip_when_external,
};
use serde_json::{Value, json};

fn save(t: &Target, id: &str, nodes: Vec<Value>, edges: &[&str]) {
    let body = json!({
        "name": id, "access": "private",
        "graph": {"nodes": nodes, "edges": edges.iter().map(|e| edge(e)).collect::<Vec<_>>()},
    });
    let r = t.call(
        "PUT",
        &format!("/api/workflows/{id}"),
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

/// `text` upper-cased into the output `result`.
fn upper(t: &Target) {
    save(
        t,
        "upper",
        vec![
            node(
                "in",
                "nodetool.input.StringInput",
                json!({"name": "text", "value": "hello"}),
            ),
            node("up", "nodetool.text.ToUppercase", json!({})),
            node(
                "result",
                "nodetool.output.Output",
                json!({"name": "result"}),
            ),
        ],
        &["in.output->up.text", "up.output->result.value"],
    );
}

/// A run that computes for seconds in one step: a rank filter over a large image.
fn long(t: &Target) {
    save(
        t,
        "long",
        vec![
            node(
                "bg",
                "lib.pillow.draw.Background",
                // Seconds of work, far inside the runner's 30 s CPU budget even on a busy
                // machine (2500 x 2500 took 18 s of CPU and was cut off under CI's load).
                json!({"width": 1200, "height": 1200}),
            ),
            node(
                "rank",
                "lib.pillow.enhance.RankFilter",
                json!({"size": 15, "rank": 3}),
            ),
            node(
                "result",
                "nodetool.output.Output",
                json!({"name": "result"}),
            ),
        ],
        &["bg.output->rank.image", "rank.output->result.value"],
    );
}

/// A run that computes for seconds in many steps of a fraction of a second each: where a
/// step cannot be interrupted (Workers), a cancel takes effect at the next one.
fn steps(t: &Target) {
    const N: usize = 20;
    let mut nodes = vec![node(
        "bg",
        "lib.pillow.draw.Background",
        json!({"width": 600, "height": 600}),
    )];
    let mut edges = vec!["bg.output->rank0.image".to_string()];
    for i in 0..N {
        nodes.push(node(
            &format!("rank{i}"),
            "lib.pillow.enhance.RankFilter",
            json!({"size": 15, "rank": 3}),
        ));
        let to = if i + 1 == N {
            "result.value".to_string()
        } else {
            format!("rank{}.image", i + 1)
        };
        edges.push(format!("rank{i}.output->{to}"));
    }
    nodes.push(node(
        "result",
        "nodetool.output.Output",
        json!({"name": "result"}),
    ));
    let edges: Vec<&str> = edges.iter().map(String::as_str).collect();
    save(t, "steps", nodes, &edges);
}

fn open(t: &Target) -> Socket {
    let auth = format!("Bearer {}", t.token.as_deref().unwrap_or_default());
    connect(&t.base, "/ws", &[("Authorization", &auth)]).expect("the upgrade is allowed")
}

fn is_end(v: &Value) -> bool {
    matches!(v["type"].as_str(), Some("job_completed" | "job_failed"))
        || v["type"] == "job_update" && v["status"] == "cancelled"
}

/// A run's messages with the parts that differ between two runs made alike.
fn normalised(messages: &[Value], job_id: &str) -> Vec<Value> {
    messages
        .iter()
        .map(|m| {
            let text = m.to_string().replace(job_id, "JOB");
            let mut v: Value = serde_json::from_str(&text).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("job_id");
            o.remove("duration");
            v
        })
        .collect()
}

fn ndjson(t: &Target, id: &str, params: Value) -> (Vec<Value>, String) {
    let r = t.call(
        "POST",
        &format!("/api/workflows/{id}/run?stream=true"),
        json!({"params": params}).to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let messages: Vec<Value> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let job = messages[0]["job_id"].as_str().unwrap().to_string();
    (messages, job)
}

/// Starts `run_job` and answers the job id, after the reply and the first update.
fn run_job(s: &mut Socket, workflow: &str, params: Value, binary: bool) -> String {
    let cmd = json!({"command": "run_job", "data": {"workflow_id": workflow, "params": params}});
    if binary {
        s.send_msgpack(&cmd);
    } else {
        s.send_json(&cmd);
    }
    assert_eq!(
        s.message(),
        json!({"message": "Job started", "workflow_id": workflow})
    );
    let first = s.message();
    assert_eq!(
        (&first["type"], &first["status"]),
        (&json!("job_update"), &json!("running"))
    );
    first["job_id"].as_str().unwrap().to_string()
}

fn native() -> bool {
    Host::current() == Host::Native
}

/// Whether this host holds sockets (Spin cannot: it answers 501).
fn holds_sockets() -> bool {
    Host::current() != Host::Spin
}

#[test]
fn the_upgrade_is_authenticated_as_any_request() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    if !holds_sockets() {
        return;
    }
    // The same 401 bodies as HTTP, before any upgrade.
    let http = request(&t.base, "GET", "/api/workflows", &[], b"");
    let refused = connect(&t.base, "/ws", &[]).err().unwrap();
    assert_eq!(refused.status, 401);
    assert_eq!(refused.body, http.json());
    for (header, detail) in [
        ("Basic abc", "Invalid authorization header format"),
        ("Bearer wrong-token", "Invalid authentication token"),
    ] {
        let refused = connect(&t.base, "/ws", &[("Authorization", header)])
            .err()
            .unwrap();
        assert_eq!(refused.status, 401, "{header}");
        let direct = request(
            &t.base,
            "GET",
            "/api/workflows",
            &[("Authorization", header.as_bytes())],
            b"",
        );
        assert_eq!(refused.body, direct.json(), "{header}");
        let _ = detail;
    }
    // The static token, as a header or (for browsers) as `?api_key=`.
    let mut s = open(&t);
    s.send_json(&json!({"type": "ping"}));
    let pong = s.message();
    assert_eq!(pong["type"], "pong");
    assert!(pong["ts"].as_f64().unwrap() > 1.7e9);
    s.close();
    let mut s = connect(&t.base, &format!("/ws?api_key={STATIC_TOKEN}"), &[]).unwrap();
    s.send_json(&json!({"type": "ping"}));
    assert_eq!(s.message()["type"], "pong");
    let refused = connect(&t.base, "/ws?api_key=nope", &[]).err().unwrap();
    assert_eq!(refused.status, 401);
    // A page of a foreign origin cannot open one: a WebSocket has no CORS to stop it.
    let auth = format!("Bearer {STATIC_TOKEN}");
    let refused = connect(
        &t.base,
        "/ws",
        &[("Authorization", &auth), ("Origin", "https://evil.example")],
    )
    .err()
    .unwrap();
    assert_eq!(refused.status, 403);
    // Without an upgrade, the route says what it speaks.
    let plain = t.get("/ws");
    assert_eq!(plain.status, 426, "{}", plain.text());
}

#[test]
fn run_job_sends_what_the_ndjson_endpoint_sends_in_either_encoding() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    if !holds_sockets() {
        return;
    }
    upper(&t);
    let (expected, http_job) = ndjson(&t, "upper", json!({"text": "ws"}));
    assert_eq!(expected.last().unwrap()["type"], "job_completed");
    for binary in [false, true] {
        let mut s = open(&t);
        let job = run_job(&mut s, "upper", json!({"text": "ws"}), binary);
        assert_eq!(job.len(), 32);
        let got = s.until(Duration::from_secs(20), is_end);
        for m in &got {
            assert_eq!(m["job_id"], job.as_str(), "every update names its job: {m}");
            // Replies come in the encoding the client last used.
            let _ = m;
        }
        assert_eq!(
            normalised(&got, &job),
            normalised(&expected, &http_job),
            "binary: {binary}"
        );
        let done = got
            .iter()
            .find(|m| m["type"] == "job_update" && m["status"] == "completed")
            .unwrap();
        assert_eq!(done["result"], json!({"result": ["WS"]}));
        s.close();
    }
    // The job is the caller's, in `/api/jobs`.
    let jobs = t.get("/api/jobs");
    assert_eq!(jobs.status, 200, "{}", jobs.text());
    let list = jobs.json();
    assert_eq!(list["next_start_key"], Value::Null);
    let jobs = list["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    for j in jobs {
        assert_eq!(j["status"], "completed");
        assert_eq!(j["workflow_id"], "upper");
        assert_eq!(j["user_id"], "1");
        assert_eq!(j["job_type"], "workflow");
        assert!(j["finished_at"].is_string());
    }
    let id = jobs[0]["id"].as_str().unwrap();
    assert_eq!(t.get(&format!("/api/jobs/{id}")).json()["id"], id);
    let missing = t.get("/api/jobs/nope");
    assert_eq!(
        (missing.status, missing.detail()),
        (404, "Job not found".to_string())
    );
    assert_eq!(t.get("/api/jobs/running/all").json(), json!([]));
}

#[test]
fn the_ndjson_endpoint_streams_each_message_as_it_happens() {
    // Workers read a streamed run whole before answering (docs/workers.md).
    if Host::current() == Host::Wrangler {
        return;
    }
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    long(&t);
    let auth = format!("Bearer {STATIC_TOKEN}");
    let reader = StreamReader::open(
        &t.base,
        "POST",
        "/api/workflows/long/run?stream=true",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        b"{}",
    );
    assert_eq!(reader.status, 200);
    assert_eq!(reader.header("content-type"), Some("application/x-ndjson"));
    let pieces = reader.read_all();
    let text: String = pieces
        .iter()
        .map(|(_, p)| String::from_utf8_lossy(p).into_owned())
        .collect();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.last().unwrap()["type"], "job_completed", "{text}");
    // The first messages left when the run began, seconds before its end.
    let (first, _) = pieces.first().unwrap();
    let (last, _) = pieces.last().unwrap();
    assert!(
        *last > *first + Duration::from_millis(500),
        "first piece at {first:?}, last at {last:?}"
    );
}

#[test]
fn the_mode_follows_the_last_frame_and_set_mode() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    if !holds_sockets() {
        return;
    }
    let mut s = open(&t);
    s.send_msgpack(&json!({"type": "ping"}));
    assert!(matches!(s.recv(), Got::Binary(v) if v["type"] == "pong"));
    s.send_json(&json!({"command": "set_mode", "data": {"mode": "binary"}}));
    assert_eq!(
        s.recv(),
        Got::Binary(json!({"message": "Mode set to binary"}))
    );
    s.send_json(&json!({"command": "get_status", "data": {}}));
    assert_eq!(s.recv(), Got::Text(json!({"active_jobs": []})));
    s.send_json(&json!({"command": "get_status", "data": {"job_id": "x"}}));
    assert_eq!(s.message(), json!({"status": "not_found", "job_id": "x"}));
    s.send_json(&json!({"command": "fly", "data": {}}));
    assert_eq!(s.message()["error"], "invalid_command");
    s.send_json(&json!({"data": {}}));
    assert_eq!(s.message()["error"], "invalid_message");
    s.send_json(&json!({"command": "cancel_job", "data": {}}));
    assert_eq!(s.message(), json!({"error": "job_id is required"}));
    s.send_json(&json!({"command": "run_job", "data": {"workflow_id": "missing"}}));
    assert_eq!(s.message()["message"], "Job started");
    let failed = s.until(Duration::from_secs(10), |m| m["status"] == "failed");
    assert_eq!(failed.last().unwrap()["error"], "Workflow not found");
}

#[test]
fn cancel_stops_a_long_run_at_once_and_a_dropped_socket_can_reconnect() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    if !holds_sockets() {
        return;
    }
    steps(&t);
    upper(&t);
    // A job outlives its socket: reconnecting gets everything, the result included.
    let mut s = open(&t);
    let job = run_job(&mut s, "upper", json!({"text": "again"}), false);
    s.drop_connection();
    let mut s = open(&t);
    s.send_json(&json!({"command": "reconnect_job", "data": {"job_id": job}}));
    assert_eq!(s.message()["message"], format!("Reconnecting to job {job}"));
    let got = s.until(Duration::from_secs(20), is_end);
    let done = got
        .iter()
        .find(|m| m["type"] == "job_update" && m["status"] == "completed")
        .unwrap();
    assert_eq!(done["result"], json!({"result": ["AGAIN"]}));

    // Cancel a run that computes for seconds: it ends within a second. Its messages arrive
    // as they happen: the first filter's start is here long before the run could end.
    let job = run_job(&mut s, "steps", json!({}), false);
    let asked = Instant::now();
    s.until(Duration::from_secs(3), |m| {
        m["type"] == "node_update" && m["node_id"] == "rank0" && m["status"] == "running"
    });
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    let running = t.get("/api/jobs/running/all").json();
    assert_eq!(running[0]["job_id"], job.as_str(), "{running}");
    assert_eq!(running[0]["is_running"], true);
    let asked = Instant::now();
    s.send_json(&json!({"command": "cancel_job", "data": {"job_id": job}}));
    let got = s.until(Duration::from_secs(5), |m| {
        m.get("message")
            .is_some_and(|x| x == "Job cancellation requested")
    });
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(1), "cancel took {took:?}");
    let cancelled = got
        .iter()
        .chain(std::iter::once(&s.message()))
        .any(|m| m["type"] == "job_update" && m["status"] == "cancelled");
    assert!(cancelled, "{got:?}");
    let stored = t.get(&format!("/api/jobs/{job}")).json();
    assert_eq!(stored["status"], "cancelled");
    // Nothing of the cancelled run arrives after: the next message answers the next command.
    s.send_json(&json!({"command": "get_status", "data": {"job_id": job}}));
    assert_eq!(
        s.message(),
        json!({"status": "cancelled", "job_id": job, "workflow_id": "steps"})
    );
    // Cancelling again, or over HTTP, finds it finished.
    s.send_json(&json!({"command": "cancel_job", "data": {"job_id": job}}));
    assert_eq!(s.message()["error"], "Job not found or already completed");
    let again = t.call("POST", &format!("/api/jobs/{job}/cancel"), b"");
    assert_eq!(again.json()["status"], "not_found_or_completed");
    // A cancel over HTTP stops a job that runs for a socket too, and the socket hears it.
    let job = run_job(&mut s, "steps", json!({}), false);
    s.until(Duration::from_secs(3), |m| {
        m["type"] == "node_update" && m["node_id"] == "rank0" && m["status"] == "running"
    });
    let asked = Instant::now();
    let http = t.call("POST", &format!("/api/jobs/{job}/cancel"), b"");
    assert_eq!(http.json()["status"], "cancelled", "{}", http.text());
    assert_eq!(
        http.header("x-nodetool-edge-cancel-job"),
        None,
        "the host's own header"
    );
    s.until(Duration::from_secs(5), |m| {
        m["type"] == "job_update" && m["status"] == "cancelled"
    });
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(1), "cancel took {took:?}");
    s.send_json(&json!({"command": "get_status", "data": {"job_id": job}}));
    assert_eq!(
        s.message(),
        json!({"status": "cancelled", "job_id": job, "workflow_id": "steps"})
    );
    // Ids that are not plain stay ids: a `/`, spaces or unicode reach no other route.
    for odd in ["x/cancel", "a b", "ünï", "../../workflows"] {
        s.send_json(&json!({"command": "cancel_job", "data": {"job_id": odd}}));
        assert_eq!(
            s.message()["error"],
            "Job not found or already completed",
            "{odd}"
        );
    }
    // A reconnect to an unknown job says it expired.
    s.send_json(&json!({"command": "reconnect_job", "data": {"job_id": "f00"}}));
    s.message();
    let expired = s.message();
    assert_eq!(expired["status"], "failed");
    assert!(
        expired["error"]
            .as_str()
            .unwrap()
            .contains("may have expired")
    );
}

#[test]
fn hostile_frames_close_only_their_own_socket() {
    let Some(t) = Target::with_env(Profile::Static, &[]) else {
        return;
    };
    if !holds_sockets() {
        return;
    }
    let mut bystander = open(&t);
    type Send = Box<dyn Fn(&mut Socket)>;
    let cases: Vec<(Send, u16)> = vec![
        (Box::new(|s| s.send_text("{not json")), 1007),
        (Box::new(|s| s.send_text("[1, 2]")), 1003),
        (Box::new(|s| s.send_binary(vec![0xc1, 0xff, 0x00])), 1007),
        (Box::new(|s| s.send_binary(vec![0x91; 100_000])), 1007),
        (Box::new(|s| s.send_text(&"x".repeat(2 << 20))), 1009),
    ];
    for (i, (send, code)) in cases.into_iter().enumerate() {
        let mut s = open(&t);
        send(&mut s);
        let Closed { code: got, reason } = s.closed();
        assert_eq!(got, code, "case {i}: {reason}");
        assert!(!reason.is_empty(), "case {i}");
    }
    bystander.send_json(&json!({"type": "ping"}));
    assert_eq!(bystander.message()["type"], "pong");
    assert_eq!(t.get("/health").status, 200);
}

#[test]
fn a_host_that_cannot_hold_a_socket_says_where_to_go() {
    if holds_sockets() {
        return;
    }
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let auth = format!("Bearer {STATIC_TOKEN}");
    let r = request(
        &t.base,
        "GET",
        "/ws",
        &[
            ("Authorization", auth.as_bytes()),
            ("Connection", b"Upgrade"),
            ("Upgrade", b"websocket"),
            ("Sec-WebSocket-Version", b"13"),
            ("Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        b"",
    );
    assert_eq!(r.status, 501, "{}", r.text());
    assert!(r.detail().contains("run?stream=true"), "{}", r.detail());
}

/// A multi_user server with the given users (natively, made by the CLI before it starts),
/// checking open sockets' tokens every second.
fn multi_user(dir: &std::path::Path, users: &[&str]) -> (Runner, Vec<String>) {
    let db = dir.join("nodetool-edge.sqlite3");
    let tokens = users
        .iter()
        .map(|u| {
            let o = std::process::Command::new(binary())
                .args(["users", "add", u, "--role", "admin"])
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("DB_PATH", &db)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        })
        .collect();
    let env = [
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "multi_user"),
        ("SERVER_AUTH_TOKEN", STATIC_TOKEN),
        ("SECRETS_MASTER_KEY", "websocket-master-key"),
    ];
    let runner = Runner::start(&["serve", "--ws-auth-check-secs", "1"], &env, dir);
    (runner, tokens)
}

#[test]
fn users_yaml_tokens_open_sockets_and_a_revoked_one_is_closed() {
    if !holds_sockets() || skip_when_external() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Natively the users come from the CLI (users.yaml's tokens); on Workers, which has no
    // CLI, from `/api/users` with the static token.
    let (runner, server, tokens) = if native() {
        let (r, tokens) = multi_user(dir.path(), &["alice", "bob"]);
        (Some(r), None, tokens)
    } else {
        let s = Server::start(&[
            ("NODETOOL_SERVER_MODE", "private"),
            ("AUTH_PROVIDER", "multi_user"),
            ("SERVER_AUTH_TOKEN", STATIC_TOKEN),
            ("SECRETS_MASTER_KEY", "websocket-master-key"),
            ("WS_AUTH_CHECK_SECS", "1"),
        ]);
        let add = |body: Value| {
            let r = bearer(
                &s.base,
                "POST",
                "/api/users/",
                STATIC_TOKEN,
                body.to_string().as_bytes(),
            );
            assert_eq!(r.status, 200, "{}", r.text());
            r.json()["token"].as_str().unwrap().to_string()
        };
        let tokens = vec![
            add(json!({"username": "alice", "role": "admin"})),
            add(json!({"username": "bob"})),
        ];
        (None, Some(s), tokens)
    };
    let base = match (&runner, &server) {
        (Some(r), _) => r.base.clone(),
        (None, Some(s)) => s.base.clone(),
        (None, None) => unreachable!(),
    };
    let (alice, bob) = (&tokens[0], &tokens[1]);
    // NodeTool refuses users' tokens on /ws; we take them as HTTP does.
    let bearer_of = |t: &str| format!("Bearer {t}");
    let mut a = connect(&base, "/ws", &[("Authorization", &bearer_of(alice))]).unwrap();
    let mut b = connect(&base, &format!("/ws?api_key={bob}"), &[]).unwrap();
    // Jobs are their owner's: bob cannot see or cancel alice's.
    let wf = json!({"name": "w", "access": "private", "graph": {"nodes": [], "edges": []}});
    let saved = bearer(
        &base,
        "PUT",
        "/api/workflows/empty",
        alice,
        wf.to_string().as_bytes(),
    );
    assert_eq!(saved.status, 200, "{}", saved.text());
    let job = run_job(&mut a, "empty", json!({}), false);
    a.until(Duration::from_secs(10), is_end);
    let theirs = bearer(&base, "GET", &format!("/api/jobs/{job}"), bob, b"");
    assert_eq!(theirs.status, 404);
    b.send_json(&json!({"command": "reconnect_job", "data": {"job_id": job}}));
    b.message();
    assert!(
        b.message()["error"]
            .as_str()
            .unwrap()
            .contains("may have expired")
    );
    b.send_json(&json!({"command": "cancel_job", "data": {"job_id": job}}));
    assert_eq!(b.message()["error"], "Job not found or already completed");
    assert_eq!(
        bearer(&base, "GET", "/api/jobs", alice, b"").json()["jobs"][0]["id"],
        job.as_str()
    );
    // Bob's account goes: his open socket is closed at the next check.
    let gone = bearer(&base, "DELETE", "/api/users/bob", alice, b"");
    assert_eq!(gone.status, 200, "{}", gone.text());
    let started = Instant::now();
    let closed = b.closed();
    assert_eq!(closed.code, 1008, "{closed:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    a.send_json(&json!({"type": "ping"}));
    assert_eq!(a.message()["type"], "pong");
    // The token in `?api_key=` is never written down.
    if let Some(r) = &runner {
        for line in r.stdout_lines().iter().chain(r.stderr_lines().iter()) {
            assert!(!line.contains(bob.as_str()), "{line}");
        }
    }
}

#[test]
fn a_supabase_token_opens_a_socket_for_its_user_until_it_expires() {
    if !holds_sockets() || skip_when_external() {
        return;
    }
    let auth = StandIn::start();
    let ec = EcKey::generate("ec-ws");
    auth.set_keys(vec![ec.jwk()]);
    let env = [
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "supabase"),
        ("SUPABASE_URL", auth.url.as_str()),
        ("SERVER_AUTH_TOKEN", STATIC_TOKEN),
        ("SECRETS_MASTER_KEY", "websocket-master-key"),
        // Every host that holds sockets reads the check's interval from the same variable.
        ("WS_AUTH_CHECK_SECS", "1"),
    ];
    let r = Server::start(&env);
    let sub = "5d1c9e2a-8b7f-4c3d-a2e1-0f9b8c7d6e5a";
    let token = ec.sign(&claims(&auth.issuer(), sub));
    let mut s = connect(
        &r.base,
        "/ws",
        &[("Authorization", &format!("Bearer {token}"))],
    )
    .unwrap();
    let wf = json!({"name": "w", "access": "private", "graph": {"nodes": [], "edges": []}});
    let saved = bearer(
        &r.base,
        "PUT",
        "/api/workflows/mine",
        &token,
        wf.to_string().as_bytes(),
    );
    assert_eq!(saved.status, 200, "{}", saved.text());
    let job = run_job(&mut s, "mine", json!({}), false);
    s.until(Duration::from_secs(10), is_end);
    let stored = bearer(&r.base, "GET", &format!("/api/jobs/{job}"), &token, b"");
    assert_eq!(stored.json()["user_id"], sub);
    // An expired token is refused before the upgrade, with HTTP's body.
    let mut old = claims(&auth.issuer(), sub);
    old["exp"] = json!(chrono_now() - 120);
    let expired = ec.sign(&old);
    let refused = connect(
        &r.base,
        "/ws",
        &[("Authorization", &format!("Bearer {expired}"))],
    )
    .err()
    .unwrap();
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.body,
        json!({"detail": "Invalid authentication token"})
    );
    // A token that expires while its socket is open closes it at the next check (the
    // verifier allows 30 s of clock skew past `exp`: this one has 3 s of that left).
    let mut soon = claims(&auth.issuer(), sub);
    soon["exp"] = json!(chrono_now() - 27);
    let short = ec.sign(&soon);
    let mut s = connect(
        &r.base,
        "/ws",
        &[("Authorization", &format!("Bearer {short}"))],
    )
    .unwrap();
    let closed = s.closed();
    assert_eq!(closed.code, 1008, "{closed:?}");
    assert_eq!(closed.reason, "Invalid authentication token");
}

#[test]
fn a_job_the_server_lost_in_a_restart_ends_as_failed() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let env = Profile::Static.env();
    let r = Runner::start(&["serve"], &env, dir.path());
    let t = Target::at(&r.base, Profile::Static);
    steps(&t);
    let mut s = open(&t);
    let job = run_job(&mut s, "steps", json!({}), false);
    s.until(Duration::from_secs(3), |m| {
        m["type"] == "node_update" && m["node_id"] == "rank0" && m["status"] == "running"
    });
    let running = t.get("/api/jobs/running/all").json();
    assert_eq!(running[0]["job_id"], job.as_str(), "{running}");
    // The process goes mid-run; the next one finds the job's record still saying running.
    drop(s);
    drop(r);
    let r = Runner::start(&["serve"], &env, dir.path());
    let t = Target::at(&r.base, Profile::Static);
    let stored = t.get(&format!("/api/jobs/{job}")).json();
    assert_eq!(stored["status"], "failed", "{stored}");
    assert_eq!(stored["error"], "The server restarted before the job ended");
    assert!(stored["finished_at"].is_string());
    assert!(stored.get("holder").is_none(), "{stored}");
    assert_eq!(t.get("/api/jobs/running/all").json(), json!([]));
    // A client reconnecting to it hears the same.
    let mut s = open(&t);
    s.send_json(&json!({"command": "reconnect_job", "data": {"job_id": job}}));
    s.message();
    let end = s.message();
    assert_eq!(
        (&end["status"], &end["error"]),
        (
            &json!("failed"),
            &json!("The server restarted before the job ended")
        )
    );
    // A run of this process is not mistaken for a lost one.
    upper(&t);
    let job = run_job(&mut s, "upper", json!({"text": "x"}), false);
    s.until(Duration::from_secs(10), is_end);
    assert_eq!(
        t.get(&format!("/api/jobs/{job}")).json()["status"],
        "completed"
    );
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn socket_and_job_limits_refuse_with_a_reason() {
    // The same settings on every host that holds sockets: flags or variables natively,
    // variables on Workers.
    let Some(t) = Target::with_env(
        Profile::Static,
        &[
            ("WS_MAX_SOCKETS_PER_USER", "2"),
            ("MAX_JOBS_PER_USER", "1"),
            ("WS_IDLE_SECS", "2"),
            ("WS_HEARTBEAT_SECS", "1"),
        ],
    ) else {
        return;
    };
    if !holds_sockets() {
        return;
    }
    steps(&t);
    let r = &t;
    let auth = format!("Bearer {STATIC_TOKEN}");
    let open = || connect(&r.base, "/ws", &[("Authorization", &auth)]);
    let mut a = open().unwrap();
    let b = open().unwrap();
    let refused = open().err().unwrap();
    assert_eq!(refused.status, 429);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("WS_MAX_SOCKETS_PER_USER"),
        "{}",
        refused.body
    );
    // One running job per user: a second is refused while the first computes.
    let job = run_job(&mut a, "steps", json!({}), false);
    a.send_json(&json!({"command": "run_job", "data": {"workflow_id": "steps"}}));
    let refusal = a.until(Duration::from_secs(5), |m| m.get("error").is_some());
    let text = refusal.last().unwrap()["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("MAX_JOBS_PER_USER"), "{text}");
    a.send_json(&json!({"command": "cancel_job", "data": {"job_id": job}}));
    a.until(Duration::from_secs(5), |m| {
        m.get("message")
            .is_some_and(|x| x == "Job cancellation requested")
    });
    // A socket that answers nothing, not even the server's pings, is closed.
    // The closed socket's place is given back once the server has seen it go.
    drop(b);
    let waited = Instant::now();
    let quiet = loop {
        match open() {
            Ok(s) => break s,
            Err(r) if r.status == 429 && waited.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(r) => panic!("{} {}", r.status, r.body),
        }
    };
    let closed = quiet.hang(Duration::from_secs(4)).expect("a close frame");
    assert_eq!(
        (closed.code, closed.reason.as_str()),
        (1001, "Idle timeout")
    );
}
