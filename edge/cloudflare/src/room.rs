//! `/ws` on Workers: one Durable Object per user (`JobRoom`) holds that user's sockets and the
//! jobs they started, so a job outlives its socket and any later connection, wherever it
//! lands, finds it. As on the runner, the core decides (the upgrade through `GET /ws`, each
//! frame through [`Session`], runs and cancels through its HTTP routes); this module pumps
//! frames and follows jobs.
//!
//! A JavaScript isolate runs one thing at a time, so a job's run gives way after every step it
//! reports (a zero-length timer, which lets socket events in): a cancel is read, and the run
//! dropped, at the next step; a step that is computing is not interrupted.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_channel::mpsc::{UnboundedSender, unbounded};
use futures_util::StreamExt;
use futures_util::stream::{self, LocalBoxStream};
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, Full};
use nodetool_edge::ws::calls;
use nodetool_edge::ws::frame::close;
use nodetool_edge::ws::limits as ws_limits;
use nodetool_edge::ws::session::{self, Action};
use nodetool_edge::ws::{Close, Frame, JobLog, Session};
use serde_json::{Value, json};
use worker::{
    DurableObject, Env, Request, Response, State, WebSocket, WebSocketPair, WebsocketEvent,
    durable_object,
};

use crate::WorkersHost;

/// The Durable Object binding wrangler.toml declares.
pub const BINDING: &str = "NODETOOL_JOBS";
/// Where the Worker puts the user a room request is for (percent-encoded).
pub const USER_HEADER: &str = "x-nodetool-edge-room-user";

/// Limits of one user's room; each can be set with the variable of the same name.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_sockets: usize,
    max_jobs: usize,
    max_message: usize,
    heartbeat: Duration,
    idle: Duration,
    auth_check: Duration,
    retention_secs: f64,
    replay_bytes: usize,
}

impl Limits {
    fn from_env(env: &Env) -> Limits {
        // Vars or secrets, as every setting on Workers; a value that is not a positive
        // number keeps the default.
        let var = |s: ws_limits::Setting| -> u64 {
            env.secret(s.name)
                .map(|v| v.to_string())
                .or_else(|_| env.var(s.name).map(|v| v.to_string()))
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or(s.default)
        };
        Limits {
            max_sockets: var(ws_limits::MAX_SOCKETS_PER_USER) as usize,
            max_jobs: var(ws_limits::MAX_JOBS_PER_USER) as usize,
            max_message: var(ws_limits::MAX_MESSAGE_BYTES).max(1024) as usize,
            heartbeat: Duration::from_secs(var(ws_limits::HEARTBEAT_SECS)),
            idle: Duration::from_secs(var(ws_limits::IDLE_SECS)),
            auth_check: Duration::from_secs(var(ws_limits::AUTH_CHECK_SECS)),
            retention_secs: var(ws_limits::JOB_RETENTION_SECS) as f64,
            replay_bytes: ws_limits::REPLAY_BYTES,
        }
    }
}

fn now_secs() -> f64 {
    worker::Date::now().as_millis() as f64 / 1000.0
}

fn random_id() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the Workers runtime provides crypto.getRandomValues");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A JSON refusal, as every refusal of the server reads.
fn refusal(status: u16, detail: &str) -> worker::Result<Response> {
    Ok(Response::from_json(&json!({"detail": detail}))?.with_status(status))
}

struct RoomJob {
    id: String,
    workflow_id: String,
    log: RefCell<JobLog>,
    /// The sockets following the job, by socket number.
    followers: RefCell<Vec<(u64, UnboundedSender<Arc<Value>>)>>,
    cancelled: Cell<bool>,
}

impl RoomJob {
    fn emit(&self, message: Value, size: usize) {
        let kept = self.log.borrow_mut().emit(message, size);
        if let Some(m) = kept {
            self.followers
                .borrow_mut()
                .retain(|(_, tx)| tx.unbounded_send(m.clone()).is_ok());
        }
    }

    fn finish(&self, last: Option<Value>, status: &'static str) -> bool {
        let done = self.log.borrow_mut().finish(last, status, now_secs());
        let Some(last) = done else {
            return false;
        };
        // Followers get the end, then are let go: nothing follows an end.
        for (_, tx) in self.followers.borrow_mut().drain(..) {
            if let Some(m) = &last {
                let _ = tx.unbounded_send(m.clone());
            }
        }
        true
    }

    /// Sends socket `socket` what the job emitted so far and, while it runs, what comes next.
    fn follow(&self, socket: u64, tx: &UnboundedSender<Arc<Value>>) {
        let (past, done) = self.log.borrow().since(0);
        for m in past {
            let _ = tx.unbounded_send(m);
        }
        let mut followers = self.followers.borrow_mut();
        followers.retain(|(s, _)| *s != socket);
        if !done {
            followers.push((socket, tx.clone()));
        }
    }

    fn unfollow(&self, socket: u64) {
        self.followers.borrow_mut().retain(|(s, _)| *s != socket);
    }
}

/// One user's sockets and jobs.
struct Room {
    host: Option<WorkersHost>,
    limits: Limits,
    sockets: Cell<usize>,
    next_socket: Cell<u64>,
    jobs: RefCell<HashMap<String, Rc<RoomJob>>>,
}

impl Room {
    fn job(&self, id: &str) -> Option<Rc<RoomJob>> {
        self.jobs.borrow().get(id).cloned()
    }

    /// Registers a job about to run, within the user's limit of running jobs.
    fn start(&self, id: &str, workflow_id: &str) -> Result<Rc<RoomJob>, usize> {
        let now = now_secs();
        let limits = self.limits;
        let mut jobs = self.jobs.borrow_mut();
        jobs.retain(|_, j| {
            let mut log = j.log.borrow_mut();
            log.trim(limits.replay_bytes, now);
            !log.expired(limits.retention_secs, now)
        });
        let running = jobs
            .values()
            .filter(|j| !j.log.borrow().is_finished())
            .count();
        if running >= limits.max_jobs {
            return Err(limits.max_jobs);
        }
        let job = Rc::new(RoomJob {
            id: id.into(),
            workflow_id: workflow_id.into(),
            log: RefCell::new(JobLog::new()),
            followers: RefCell::new(Vec::new()),
            cancelled: Cell::new(false),
        });
        jobs.insert(id.into(), job.clone());
        Ok(job)
    }

    /// Stops job `id` (the core has recorded the cancel, or is about to): its run is dropped
    /// when it next gives way, and its followers get the cancelled update now.
    fn cancel(&self, id: &str) -> bool {
        let Some(job) = self.job(id) else {
            return false;
        };
        job.cancelled.set(true);
        job.finish(
            Some(session::cancelled_update(&job.id, &job.workflow_id)),
            "cancelled",
        )
    }

    /// A request to the core on the caller's behalf, answered whole.
    async fn call(&self, req: http::Request<Bytes>) -> Option<(http::response::Parts, Bytes)> {
        let host = self.host.as_ref()?;
        let resp = nodetool_edge::handle(crate::with_client_addr(full(req)), host).await;
        let (parts, body) = resp.into_parts();
        let body = match body.collect().await {
            Ok(b) => b.to_bytes(),
            Err(never) => match never {},
        };
        Some((parts, body))
    }
}

fn full(req: http::Request<Bytes>) -> http::Request<Full<Bytes>> {
    req.map(Full::new)
}

#[durable_object]
pub struct JobRoom {
    room: Rc<Room>,
}

impl DurableObject for JobRoom {
    fn new(_state: State, env: Env) -> Self {
        let limits = Limits::from_env(&env);
        let host = env
            .kv(crate::KV_BINDING)
            .ok()
            .map(|kv| WorkersHost { env, kv });
        JobRoom {
            room: Rc::new(Room {
                host,
                limits,
                sockets: Cell::new(0),
                next_socket: Cell::new(0),
                jobs: RefCell::new(HashMap::new()),
            }),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let path = req.path();
        if let Some(id) = path.strip_prefix("/cancel/") {
            let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
            let cancelled = self.room.cancel(&id);
            return Response::from_json(&json!({"cancelled": cancelled}));
        }
        if path != "/socket" {
            return refusal(404, "Not Found");
        }
        let room = &self.room;
        if room.host.is_none() {
            return refusal(503, "Storage is unavailable, try again later");
        }
        if room.sockets.get() >= room.limits.max_sockets {
            let n = room.limits.max_sockets;
            return refusal(
                429,
                &format!(
                    "This user has as many WebSockets open as one user may ({n}, \
                     WS_MAX_SOCKETS_PER_USER)"
                ),
            );
        }
        let mut headers = HeaderMap::new();
        for (name, value) in req.headers().entries() {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(&value),
            ) {
                headers.append(n, v);
            }
        }
        let Some(user) = headers
            .get(USER_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned()
            })
        else {
            return refusal(400, "A room request names its user");
        };
        let caller = Caller {
            user_id: user,
            headers: calls::caller_headers(&headers, None),
        };
        let pair = WebSocketPair::new()?;
        // Binary messages as bytes at hand, not as a Blob to be read asynchronously (the
        // platform's default from the 2026 compatibility dates).
        worker::js_sys::Reflect::set(
            pair.server.as_ref(),
            &"binaryType".into(),
            &"arraybuffer".into(),
        )?;
        pair.server.accept()?;
        room.sockets.set(room.sockets.get() + 1);
        let (room, server) = (room.clone(), pair.server);
        worker::wasm_bindgen_futures::spawn_local(async move {
            serve(&room, &server, &caller).await;
            room.sockets.set(room.sockets.get() - 1);
        });
        Response::from_websocket(pair.client)
    }
}

struct Caller {
    user_id: String,
    headers: HeaderMap,
}

enum Event {
    In(worker::Result<WebsocketEvent>),
    Out(Arc<Value>),
    Beat,
    Check,
}

/// A stream that yields `event` every `every`.
fn every(every: Duration, event: fn() -> Event) -> LocalBoxStream<'static, Event> {
    stream::unfold((), move |()| async move {
        worker::Delay::from(every).await;
        Some((event(), ()))
    })
    .boxed_local()
}

fn send(ws: &WebSocket, frame: Frame) -> bool {
    match frame {
        Frame::Text(t) => ws.send_with_str(t).is_ok(),
        Frame::Binary(b) => ws.send_with_bytes(b).is_ok(),
    }
}

fn frame_of(event: &worker::MessageEvent) -> Option<Frame> {
    if let Some(t) = event.text() {
        return Some(Frame::Text(t));
    }
    event.bytes().map(Frame::Binary)
}

fn size_of(frame: &Frame) -> usize {
    match frame {
        Frame::Text(t) => t.len(),
        Frame::Binary(b) => b.len(),
    }
}

/// Serves one socket until it closes. Jobs it started go on without it.
async fn serve(room: &Rc<Room>, ws: &WebSocket, caller: &Caller) {
    let socket = room.next_socket.get();
    room.next_socket.set(socket + 1);
    let Ok(events) = ws.events() else {
        return;
    };
    let (out_tx, out_rx) = unbounded::<Arc<Value>>();
    let limits = room.limits;
    let incoming: LocalBoxStream<'_, Event> = events.map(Event::In).boxed_local();
    let outgoing: LocalBoxStream<'_, Event> = out_rx.map(Event::Out).boxed_local();
    let mut all = stream::select(
        stream::select(incoming, outgoing),
        stream::select(
            every(limits.heartbeat, || Event::Beat),
            every(limits.auth_check, || Event::Check),
        ),
    );
    let mut session = Session::new();
    let mut followed: Vec<String> = Vec::new();
    let mut last_heard = now_secs();
    let closing: Option<Close> = loop {
        let Some(event) = all.next().await else {
            break None;
        };
        match event {
            Event::In(Ok(WebsocketEvent::Message(m))) => {
                last_heard = now_secs();
                let Some(frame) = frame_of(&m) else {
                    continue;
                };
                if size_of(&frame) > limits.max_message {
                    break Some(Close::new(close::TOO_BIG, "Message too big"));
                }
                let actions = session.on_frame(&frame, now_secs(), &mut || random_id());
                let mut close = None;
                for action in actions {
                    match act(
                        room,
                        caller,
                        socket,
                        &out_tx,
                        &mut session,
                        &mut followed,
                        action,
                    )
                    .await
                    {
                        Ok(replies) => {
                            for v in replies {
                                if !send(ws, session.encode(&v)) {
                                    close = Some(None);
                                }
                            }
                        }
                        Err(c) => {
                            close = Some(Some(c));
                            break;
                        }
                    }
                }
                if let Some(c) = close {
                    break c;
                }
            }
            Event::In(_) => break None,
            Event::Out(v) => {
                if !send(ws, session.encode(&v)) {
                    break None;
                }
            }
            Event::Beat => {
                if now_secs() - last_heard > limits.idle.as_secs_f64() {
                    break Some(Close::new(close::GOING_AWAY, "Idle timeout"));
                }
                if !send(ws, session.encode(&session::heartbeat(now_secs()))) {
                    break None;
                }
            }
            Event::Check => {
                let verdict = match room.call(calls::recheck(&caller.headers)).await {
                    Some((parts, body)) => {
                        calls::recheck_verdict(parts.status, &body, &caller.user_id)
                    }
                    None => None,
                };
                if let Some(c) = verdict {
                    break Some(c);
                }
            }
        }
    };
    for id in &followed {
        if let Some(job) = room.job(id) {
            job.unfollow(socket);
        }
    }
    let _ = match closing {
        Some(c) => ws.close(Some(c.code), Some(c.reason)),
        None => ws.close(Some(1000), Some("")),
    };
}

/// Carries out one action: the messages to send, or how to close.
async fn act(
    room: &Rc<Room>,
    caller: &Caller,
    socket: u64,
    out: &UnboundedSender<Arc<Value>>,
    session: &mut Session,
    followed: &mut Vec<String>,
    action: Action,
) -> Result<Vec<Value>, Close> {
    Ok(match action {
        Action::Send(v) => vec![v],
        Action::Close(c) => return Err(c),
        Action::RunJob {
            job_id,
            workflow_id,
            params,
        } => match room.start(&job_id, &workflow_id) {
            Err(n) => vec![calls::too_many_running(
                n,
                &workflow_id,
                "MAX_JOBS_PER_USER",
            )],
            Ok(job) => {
                job.follow(socket, out);
                followed.push(job_id);
                let req = calls::run(&caller.headers, &job.id, &workflow_id, &params);
                let room = room.clone();
                worker::wasm_bindgen_futures::spawn_local(async move {
                    run(&room, &job, req).await;
                });
                vec![]
            }
        },
        Action::Attach {
            job_id,
            workflow_id,
        } => match room.job(&job_id) {
            Some(job) => {
                session.follow(&job.id, &job.workflow_id);
                job.follow(socket, out);
                followed.push(job_id);
                vec![]
            }
            None => {
                let stored = room.call(calls::stored_job(&caller.headers, &job_id)).await;
                let stored = stored.as_ref().map(|(p, b)| (p.status, &b[..]));
                vec![calls::reconnect_fallback(
                    &job_id,
                    workflow_id.as_deref(),
                    stored,
                )]
            }
        },
        Action::Cancel {
            job_id,
            workflow_id,
        } => {
            let answer = room.call(calls::cancel(&caller.headers, &job_id)).await;
            let recorded = answer.is_some_and(|(parts, _)| calls::cancel_recorded(&parts));
            let running = room.job(&job_id).filter(|j| !j.log.borrow().is_finished());
            let cancelled = match (recorded, running) {
                (true, _) => {
                    room.cancel(&job_id);
                    true
                }
                // A job so new that its run has not recorded it yet: stopped here, and its
                // record, once the run has written it, marked cancelled too.
                (false, Some(_)) => {
                    room.cancel(&job_id);
                    let (room, headers, id) =
                        (room.clone(), caller.headers.clone(), job_id.clone());
                    worker::wasm_bindgen_futures::spawn_local(async move {
                        for wait in calls::CANCEL_RETRY_MS {
                            worker::Delay::from(Duration::from_millis(wait)).await;
                            let answer = room.call(calls::cancel(&headers, &id)).await;
                            if answer.is_some_and(|(p, _)| p.status == StatusCode::OK) {
                                break;
                            }
                        }
                    });
                    true
                }
                (false, None) => false,
            };
            let wf = room
                .job(&job_id)
                .map_or(workflow_id, |j| j.workflow_id.clone());
            vec![session::cancel_reply(&job_id, &wf, cancelled)]
        }
        Action::Detach { job_id } => {
            if let Some(job) = room.job(&job_id) {
                job.unfollow(socket);
            }
            vec![]
        }
        Action::Status { job_id } => {
            let status_of = |id: &str| room.job(id).map(|j| j.log.borrow().status().to_string());
            vec![session.status_reply(job_id.as_deref(), &status_of)]
        }
    })
}

/// Runs `job` through the core's run route and records what it emits, giving way after
/// each piece so the room's sockets are heard; a cancel drops the run there.
async fn run(room: &Room, job: &RoomJob, req: http::Request<Bytes>) {
    let Some(host) = room.host.as_ref() else {
        return;
    };
    let resp = nodetool_edge::handle(crate::with_client_addr(full(req)), host).await;
    let (parts, mut body) = resp.into_parts();
    let failure = if parts.status == StatusCode::OK {
        let mut lines = calls::Lines::default();
        let mut broke_off = false;
        // The run's last message waits for the end of its body: the core records the job's
        // end after its last message, so a client that lists its jobs on hearing it finds
        // the job ended, not running.
        let mut last = None;
        loop {
            // A zero-length timer: the isolate runs the socket events that came meanwhile.
            worker::Delay::from(Duration::ZERO).await;
            if job.cancelled.get() {
                return;
            }
            let Some(frame) = body.frame().await else {
                break;
            };
            let Ok(frame) = frame;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            for (v, size) in lines.push(&data) {
                if job.cancelled.get() {
                    broke_off = true;
                    break;
                }
                if matches!(v["type"].as_str(), Some("job_completed" | "job_failed")) {
                    last = Some((v, size));
                } else {
                    job.emit(session::job_message(&job.id, &job.workflow_id, v), size);
                }
            }
        }
        if let Some((v, size)) = last
            && !broke_off
        {
            job.emit(session::job_message(&job.id, &job.workflow_id, v), size);
        }
        match lines.end() {
            Some(end) if !broke_off => {
                job.finish(None, end);
                None
            }
            _ => Some("The run ended without a result".to_string()),
        }
    } else {
        let body = match body.collect().await {
            Ok(b) => b.to_bytes(),
            Err(never) => match never {},
        };
        Some(calls::detail_of(&body))
    };
    if let Some(text) = failure
        && !job.cancelled.get()
    {
        let (error, end) = calls::failure(&job.id, &job.workflow_id, &text);
        job.emit(error, 0);
        job.finish(Some(end), "failed");
    }
}
