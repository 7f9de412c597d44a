//! `/ws` on the runner: the host side of NodeTool's unified WebSocket. The core decides
//! (the upgrade through `GET /ws`, each frame through [`nodetool_edge::ws::Session`], runs
//! and cancels through its HTTP routes); this module pumps frames, holds the socket's
//! limits, and follows jobs in the [`JobHub`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use nodetool_edge::ws::calls;
use nodetool_edge::ws::frame::close;
use nodetool_edge::ws::session::{self, Action};
use nodetool_edge::ws::{Close, Frame, Session};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Message, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Error as WsError};

use crate::component::Limits;
use crate::jobs::{Job, JobHub, Refused};
use crate::refusal::{self, Refusal};
use crate::request_trace::{self, RequestTrace};

/// What a socket needs of the server: the core, for requests on its caller's behalf, and
/// the jobs of this process.
pub(crate) trait Core: Send + Sync + 'static {
    /// A request to the core, answered whole.
    fn call(
        &self,
        req: http::Request<Bytes>,
    ) -> impl Future<Output = Result<(http::response::Parts, Bytes), Refusal>> + Send;

    /// A request under `trace` (which a cancel uses to stop its instance), whose body is
    /// read as the instance writes it.
    fn open(
        &self,
        req: http::Request<Bytes>,
        trace: Arc<RequestTrace>,
    ) -> impl Future<Output = Result<(http::response::Parts, Streamed), Refusal>> + Send;

    fn jobs(&self) -> &JobHub;

    /// The instances' limits, to name the one that stopped a run.
    fn limits(&self) -> &Limits;
}

/// A response body as an instance writes it.
pub(crate) type Streamed = http_body_util::combinators::UnsyncBoxBody<Bytes, ()>;

/// Limits of the sockets.
#[derive(Debug, Clone, Copy)]
pub struct SocketLimits {
    /// Sockets open at once, server-wide.
    pub max_sockets: usize,
    pub max_per_user: usize,
    /// Largest message a client may send (a bigger one closes the socket with 1009).
    pub max_message: usize,
    /// A socket that sends nothing (not even a pong) for this long is closed.
    pub idle: Duration,
    /// How often the server pings, and how often it checks the socket's token again.
    pub heartbeat: Duration,
    pub auth_check: Duration,
}

/// What the socket keeps of its upgrade request, to speak for its user in later requests.
pub struct Caller {
    pub user_id: String,
    /// `Authorization` (from `?api_key=` when the client sent that), `Host`, the client's
    /// address and an admin token: what the core's checks read.
    pub headers: HeaderMap,
}

/// Whether `headers` ask for a WebSocket.
pub fn is_upgrade(method: &Method, headers: &HeaderMap) -> bool {
    let has = |name: http::header::HeaderName, want: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(want))
    };
    method == Method::GET
        && has(http::header::UPGRADE, "websocket")
        && has(http::header::CONNECTION, "upgrade")
        && headers.contains_key(http::header::SEC_WEBSOCKET_KEY)
        && headers
            .get(http::header::SEC_WEBSOCKET_VERSION)
            .is_some_and(|v| v == "13")
}

fn close_message(c: &Close) -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(c.code),
        reason: c.reason.clone().into(),
    }))
}

fn to_message(frame: Frame) -> Message {
    match frame {
        Frame::Text(t) => Message::text(t),
        Frame::Binary(b) => Message::binary(b),
    }
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The tungstenite settings for a socket with these limits.
pub fn config(limits: &SocketLimits) -> WebSocketConfig {
    // Small buffers: an idle socket is most sockets, and the defaults (128 KiB to read in)
    // made each cost about 140 KiB; a big message still grows them to its size.
    WebSocketConfig::default()
        .max_message_size(Some(limits.max_message))
        .max_frame_size(Some(limits.max_message))
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

/// How a transport error closes the socket.
fn close_for(e: &WsError) -> Option<Close> {
    match e {
        WsError::Capacity(_) => Some(Close::new(close::TOO_BIG, "Message too big")),
        WsError::Utf8(_) => Some(Close::new(
            close::INVALID_PAYLOAD,
            "A text frame must be UTF-8",
        )),
        WsError::Protocol(_) => Some(Close::new(1002, "Protocol error")),
        _ => None,
    }
}

/// Serves one upgraded socket until it closes. Jobs it started go on without it.
pub(crate) async fn serve<F: Core>(
    front: Arc<F>,
    io: WebSocketStream<TokioIo<Upgraded>>,
    caller: Caller,
    limits: SocketLimits,
) {
    let caller = Arc::new(caller);
    let (mut sink, mut stream) = io.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Value>();
    let mut session = Session::new();
    let mut followers = Followers::default();
    let mut heartbeat = tokio::time::interval(limits.heartbeat);
    heartbeat.tick().await;
    let mut auth_check = tokio::time::interval(limits.auth_check);
    auth_check.tick().await;
    let mut last_heard = Instant::now();
    let closing: Option<Close> = loop {
        tokio::select! {
            incoming = stream.next() => {
                let frame = match incoming {
                    None => break None,
                    Some(Err(e)) => break close_for(&e),
                    Some(Ok(m)) => {
                        last_heard = Instant::now();
                        match m {
                            Message::Text(t) => Frame::Text(t.as_str().to_owned()),
                            Message::Binary(b) => Frame::Binary(b.to_vec()),
                            Message::Close(_) => break None,
                            _ => continue,
                        }
                    }
                };
                let actions = session.on_frame(&frame, now_secs(), &mut request_trace::random_id);
                let mut close = None;
                for action in actions {
                    let replies = act(&front, &caller, &mut session, &mut followers, &out_tx, action).await;
                    for r in replies {
                        match r {
                            Reply::Send(v) => {
                                if sink.send(to_message(session.encode(&v))).await.is_err() {
                                    close = Some(None);
                                }
                            }
                            Reply::Close(c) => close = Some(Some(c)),
                        }
                    }
                }
                if let Some(c) = close {
                    break c;
                }
            }
            Some(v) = out_rx.recv() => {
                if sink.send(to_message(session.encode(&v))).await.is_err() {
                    break None;
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > limits.idle {
                    break Some(Close::new(close::GOING_AWAY, "Idle timeout"));
                }
                let beat = session.encode(&session::heartbeat(now_secs()));
                if sink.send(to_message(beat)).await.is_err()
                    || sink.send(Message::Ping(Bytes::new())).await.is_err()
                {
                    break None;
                }
            }
            _ = auth_check.tick() => {
                if let Some(c) = recheck(front.as_ref(), &caller).await {
                    break Some(c);
                }
            }
        }
    };
    followers.set.abort_all();
    if let Some(c) = closing {
        let _ = sink.send(close_message(&c)).await;
        // The closing handshake: the client's own close (or anything it still had in flight,
        // such as pongs) is read for a moment, so the connection does not vanish under a
        // client that is writing and it gets to read why it was closed.
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while let Some(Ok(m)) = stream.next().await {
                if m.is_close() {
                    break;
                }
            }
        })
        .await;
    }
    let _ = sink.close().await;
}

/// How long a socket the server closes waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The socket's token, checked again as at the upgrade: an expired or revoked one closes it.
async fn recheck<F: Core>(front: &F, caller: &Caller) -> Option<Close> {
    let (parts, body) = front.call(calls::recheck(&caller.headers)).await.ok()?;
    calls::recheck_verdict(parts.status, &body, &caller.user_id)
}

enum Reply {
    Send(Value),
    Close(Close),
}

async fn act<F: Core>(
    front: &Arc<F>,
    caller: &Arc<Caller>,
    session: &mut Session,
    followers: &mut Followers,
    out: &mpsc::UnboundedSender<Value>,
    action: Action,
) -> Vec<Reply> {
    match action {
        Action::Send(v) => vec![Reply::Send(v)],
        Action::Close(c) => vec![Reply::Close(c)],
        Action::RunJob {
            job_id,
            workflow_id,
            params,
        } => {
            let job = match front.jobs().start(&job_id, &caller.user_id, &workflow_id) {
                Ok(j) => j,
                Err(Refused::TooManyRunning(n)) => {
                    return vec![Reply::Send(calls::too_many_running(
                        n,
                        &workflow_id,
                        "--max-jobs-per-user or MAX_JOBS_PER_USER",
                    ))];
                }
            };
            start_run(front.clone(), caller.clone(), job.clone(), params);
            follow(followers, job, out.clone(), 0);
            vec![]
        }
        Action::Attach {
            job_id,
            workflow_id,
        } => match front.jobs().get(&job_id, &caller.user_id) {
            Some(job) => {
                session.follow(&job.id, &job.workflow_id);
                follow(followers, job, out.clone(), 0);
                vec![]
            }
            None => {
                let stored = front
                    .call(calls::stored_job(&caller.headers, &job_id))
                    .await;
                let stored = stored.as_ref().ok().map(|(p, b)| (p.status, &b[..]));
                vec![Reply::Send(calls::reconnect_fallback(
                    &job_id,
                    workflow_id.as_deref(),
                    stored,
                ))]
            }
        },
        Action::Cancel {
            job_id,
            workflow_id,
        } => {
            // The core records the cancel; `Front::call` sees its answer and stops the job.
            let mut cancelled = match front.call(calls::cancel(&caller.headers, &job_id)).await {
                Ok((parts, _)) => calls::cancel_recorded(&parts),
                Err(_) => false,
            };
            // A job so new that its run has not recorded it yet: stopped here, and its record,
            // once the run has written it, marked cancelled too.
            if !cancelled
                && let Some(job) = front.jobs().get(&job_id, &caller.user_id)
                && !job.is_finished()
            {
                cancelled = front.jobs().cancel(&job_id, |j| {
                    session::cancelled_update(&j.id, &j.workflow_id)
                });
                let (front, caller, id) = (front.clone(), caller.clone(), job_id.clone());
                tokio::spawn(async move {
                    for wait in calls::CANCEL_RETRY_MS {
                        tokio::time::sleep(Duration::from_millis(wait)).await;
                        let req = calls::cancel(&caller.headers, &id);
                        if let Ok((parts, _)) = front.call(req).await
                            && parts.status == StatusCode::OK
                        {
                            break;
                        }
                    }
                });
            }
            let wf = front
                .jobs()
                .get(&job_id, &caller.user_id)
                .map_or(workflow_id, |j| j.workflow_id.clone());
            vec![Reply::Send(session::cancel_reply(&job_id, &wf, cancelled))]
        }
        Action::Detach { job_id } => {
            if let Some(f) = followers.by_job.remove(&job_id) {
                f.abort();
            }
            vec![]
        }
        Action::Status { job_id } => {
            let hub = front.jobs();
            let status_of = |id: &str| hub.get(id, &caller.user_id).map(|j| j.status().to_string());
            vec![Reply::Send(
                session.status_reply(job_id.as_deref(), &status_of),
            )]
        }
    }
}

/// The tasks forwarding jobs to one socket.
#[derive(Default)]
struct Followers {
    set: JoinSet<()>,
    by_job: std::collections::HashMap<String, tokio::task::AbortHandle>,
}

/// Forwards what `job` emits from message `from` on, until it ends.
fn follow(
    followers: &mut Followers,
    job: Arc<Job>,
    out: mpsc::UnboundedSender<Value>,
    from: usize,
) {
    if let Some(previous) = followers.by_job.remove(&job.id) {
        previous.abort();
    }
    let id = job.id.clone();
    let handle = followers.set.spawn(async move {
        let mut cursor = from;
        loop {
            let notified = job.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (messages, done) = job.since(cursor);
            cursor += messages.len();
            for m in messages {
                if out.send((*m).clone()).is_err() {
                    return;
                }
            }
            if done {
                return;
            }
            notified.await;
        }
    });
    followers.by_job.insert(id, handle);
}

/// Runs `job` through the core's run route, in an instance of its own that a cancel can
/// stop, and records what it emits.
fn start_run<F: Core>(front: Arc<F>, caller: Arc<Caller>, job: Arc<Job>, params: Value) {
    let trace = Arc::new(RequestTrace::new(request_trace::request_id(None)));
    let run_trace = trace.clone();
    let running = job.clone();
    let task = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let job = running;
        let req = calls::run(&caller.headers, &job.id, &job.workflow_id, &params);
        let answer = front.open(req, run_trace.clone()).await;
        let failure = match answer {
            Ok((parts, body)) if parts.status == StatusCode::OK => {
                relay(&job, body).await.err().map(|()| {
                    refusal::run_cut_off(run_trace.limit(), front.limits(), started.elapsed())
                })
            }
            Ok((_, body)) => {
                let body = body
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                Some(calls::detail_of(&body))
            }
            Err(refusal) => Some(refusal.detail()),
        };
        if let Some(text) = failure {
            let (error, end) = calls::failure(&job.id, &job.workflow_id, &text);
            job.emit(error);
            job.finish(Some(end), "failed");
        }
    });
    job.set_runner(trace, task.abort_handle());
}

/// Passes a run's NDJSON on to its job line by line as the instance writes it, and ends the
/// job with the run's own end; `Err` when the stream broke off before one.
async fn relay(job: &Job, mut body: Streamed) -> Result<(), ()> {
    let mut lines = calls::Lines::default();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        for (v, size) in lines.push(&data) {
            job.emit_sized(session::job_message(&job.id, &job.workflow_id, v), size);
        }
    }
    job.finish(None, lines.end().ok_or(())?);
    Ok(())
}

/// The `Sec-WebSocket-Accept` of a handshake.
pub fn accept_key(key: &http::HeaderValue) -> String {
    tungstenite::handshake::derive_accept_key(key.as_bytes())
}
