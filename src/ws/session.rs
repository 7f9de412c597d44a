//! One socket's protocol state: the reply encoding and the jobs it follows.
//!
//! Shapes follow NodeTool's runner: a command is `{"command": ..., "data": {...}}`, replies
//! are plain objects without `type` (`{"message": ...}` or `{"error": ...}`), updates carry
//! `type`, and `{"type": "ping"}` is answered with `pong`. A frame that cannot be decoded
//! closes the socket (1007, or 1003 for a frame that is not an object); a command that is
//! wrong in itself is answered with an error message and the socket stays open.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::frame::{self, Close, Frame, Mode};

/// What the host is to do for a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this message, encoded with [`Session::encode`].
    Send(Value),
    /// Close the socket.
    Close(Close),
    /// Start job `job_id`: run the caller's workflow with `params`, as `POST
    /// /api/workflows/{workflow_id}/run?stream=true` would, and pass each message it emits
    /// through [`Session::job_message`].
    RunJob {
        job_id: String,
        workflow_id: String,
        params: Value,
    },
    /// Send what job `job_id` emitted so far, then follow it live; when the host no longer
    /// holds it, answer with [`Session::expired`] or the job's stored end.
    Attach {
        job_id: String,
        workflow_id: Option<String>,
    },
    /// Cancel job `job_id` through `POST /api/jobs/{job_id}/cancel` and answer with
    /// [`cancel_reply`].
    Cancel { job_id: String, workflow_id: String },
    /// Stop sending job `job_id` to this socket; the job goes on.
    Detach { job_id: String },
    /// Answer `get_status` with [`Session::status_reply`]: for one job, or (`None`) for every
    /// job this socket follows.
    Status { job_id: Option<String> },
}

/// The commands of NodeTool's `CommandType`.
const COMMANDS: &[&str] = &[
    "run_job",
    "reconnect_job",
    "resume_job",
    "cancel_job",
    "get_status",
    "set_mode",
    "clear_models",
    "stream_input",
    "end_input_stream",
    "chat_message",
    "stop",
];

pub struct Session {
    mode: Mode,
    /// The jobs this socket follows, with their workflows.
    jobs: BTreeMap<String, String>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

fn error(text: &str) -> Value {
    json!({"error": text})
}

fn invalid_command(details: &str) -> Value {
    json!({"error": "invalid_command", "details": details})
}

fn text_field(data: &Map<String, Value>, name: &str) -> Option<String> {
    match data.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

impl Session {
    /// NodeTool starts in binary mode: before a client's first frame, replies are MessagePack.
    pub fn new() -> Session {
        Session {
            mode: Mode::Binary,
            jobs: BTreeMap::new(),
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn encode(&self, message: &Value) -> Frame {
        frame::encode(self.mode, message)
    }

    /// Handles one frame from the client, received at `now_secs` (Unix seconds). `new_job_id`
    /// makes the id of a job `run_job` starts.
    pub fn on_frame(
        &mut self,
        frame: &Frame,
        now_secs: f64,
        new_job_id: &mut dyn FnMut() -> String,
    ) -> Vec<Action> {
        let value = match frame::decode(frame) {
            Ok(v) => v,
            Err(close) => return vec![Action::Close(close)],
        };
        // Whatever the client sent last is how it reads (NodeTool's auto-detection).
        self.mode = frame.mode();
        let Value::Object(msg) = value else {
            unreachable!("decode answers objects only");
        };
        match msg.get("type").and_then(Value::as_str) {
            Some("ping") => return vec![Action::Send(json!({"type": "pong", "ts": now_secs}))],
            // The browser client's tool hand-offs belong to chat, which this socket does not run.
            Some("client_tools_manifest" | "tool_result") => return vec![],
            _ => {}
        }
        let Some(command) = msg.get("command") else {
            return vec![Action::Send(json!({
                "error": "invalid_message",
                "message": "All messages must include a 'command' field. Use 'chat_message' command for chat.",
            }))];
        };
        let Some(command) = command.as_str().filter(|c| COMMANDS.contains(c)) else {
            return vec![Action::Send(invalid_command(&format!(
                "Unknown command {command}: expected one of {}",
                COMMANDS.join(", ")
            )))];
        };
        let Some(Value::Object(data)) = msg.get("data") else {
            return vec![Action::Send(invalid_command(
                "'data' must be an object (send {} when a command takes nothing)",
            ))];
        };
        self.command(command, data, new_job_id)
    }

    fn command(
        &mut self,
        command: &str,
        data: &Map<String, Value>,
        new_job_id: &mut dyn FnMut() -> String,
    ) -> Vec<Action> {
        let job_id = text_field(data, "job_id");
        let workflow_id = text_field(data, "workflow_id");
        match command {
            "set_mode" => match data
                .get("mode")
                .and_then(Value::as_str)
                .and_then(Mode::parse)
            {
                Some(mode) => {
                    self.mode = mode;
                    vec![Action::Send(
                        json!({"message": format!("Mode set to {}", mode.name())}),
                    )]
                }
                None => vec![Action::Send(invalid_command(
                    "'mode' must be \"text\" or \"binary\"",
                ))],
            },
            "run_job" => self.run_job(data, new_job_id),
            "reconnect_job" | "resume_job" => {
                let Some(job_id) = job_id else {
                    return vec![Action::Send(error("job_id is required"))];
                };
                let wf = workflow_id.clone().map_or(Value::Null, Value::String);
                let msg = json!({
                    "message": format!("Reconnecting to job {job_id}"),
                    "job_id": job_id, "workflow_id": wf,
                });
                vec![
                    Action::Send(msg),
                    Action::Attach {
                        job_id,
                        workflow_id,
                    },
                ]
            }
            "cancel_job" => match job_id {
                None => vec![Action::Send(error("job_id is required"))],
                Some(job_id) => vec![Action::Cancel {
                    workflow_id: workflow_id
                        .or_else(|| self.jobs.get(&job_id).cloned())
                        .unwrap_or_default(),
                    job_id,
                }],
            },
            "get_status" => vec![Action::Status { job_id }],
            "stream_input" | "end_input_stream" => {
                let Some(job_id) = job_id else {
                    return vec![Action::Send(error("job_id is required"))];
                };
                if !self.jobs.contains_key(&job_id) {
                    return vec![Action::Send(error("No active job/context"))];
                }
                if text_field(data, "input").is_none_or(|i| i.trim().is_empty()) {
                    return vec![Action::Send(error("Invalid input name"))];
                }
                vec![Action::Send(json!({
                    "error": "This server's runs take no streamed input: pass the values in \
                              run_job's params",
                    "job_id": job_id,
                    "workflow_id": self.jobs.get(&job_id),
                }))]
            }
            "stop" => {
                let thread_id = text_field(data, "thread_id");
                if job_id.is_none() && thread_id.is_none() {
                    return vec![Action::Send(error(
                        "job_id or thread_id is required for stop command",
                    ))];
                }
                let mut out = vec![Action::Send(json!({
                    "type": "generation_stopped", "message": "Generation stopped by user",
                    "job_id": job_id, "thread_id": thread_id,
                }))];
                if let Some(id) = &job_id
                    && self.jobs.remove(id).is_some()
                {
                    out.push(Action::Detach { job_id: id.clone() });
                }
                out.push(Action::Send(json!({
                    "message": "Stop command processed", "job_id": job_id, "thread_id": thread_id,
                })));
                out
            }
            "clear_models" => vec![Action::Send(json!({
                "message": "No models are held by this server"
            }))],
            // "chat_message"
            _ => vec![Action::Send(error(
                "chat_message is not served over /ws here: use POST /v1/chat/completions",
            ))],
        }
    }

    fn run_job(
        &mut self,
        data: &Map<String, Value>,
        new_job_id: &mut dyn FnMut() -> String,
    ) -> Vec<Action> {
        let Some(workflow_id) = text_field(data, "workflow_id") else {
            // A graph sent inline is not run: what runs is what `/api/workflows` holds, so the
            // same checks and the same access rule apply to every run.
            return vec![Action::Send(invalid_command(
                "run_job needs the workflow_id of a saved workflow",
            ))];
        };
        let params = match data.get("params") {
            None | Some(Value::Null) => json!({}),
            Some(p @ Value::Object(_)) => p.clone(),
            Some(_) => return vec![Action::Send(invalid_command("'params' must be an object"))],
        };
        let job_id = new_job_id();
        self.jobs.insert(job_id.clone(), workflow_id.clone());
        vec![
            Action::Send(json!({"message": "Job started", "workflow_id": workflow_id})),
            // The job's id reaches the client at once, before the run's own messages, so it
            // can cancel the run or reconnect to it.
            Action::Send(job_message(
                &job_id,
                &workflow_id,
                json!({"type": "job_update", "status": "running"}),
            )),
            Action::RunJob {
                job_id,
                workflow_id,
                params,
            },
        ]
    }

    /// Notes that this socket follows `job_id` (after a reconnect found it).
    pub fn follow(&mut self, job_id: &str, workflow_id: &str) {
        self.jobs.insert(job_id.into(), workflow_id.into());
    }

    /// The `get_status` answer, given each asked job's status as the host holds it (`None`:
    /// not held).
    pub fn status_reply(
        &self,
        job_id: Option<&str>,
        status_of: &dyn Fn(&str) -> Option<String>,
    ) -> Value {
        match job_id {
            Some(id) => match (self.jobs.get(id), status_of(id)) {
                (Some(wf), Some(status)) => {
                    json!({"status": status, "job_id": id, "workflow_id": wf})
                }
                _ => json!({"status": "not_found", "job_id": id}),
            },
            None => {
                let active: Vec<Value> = self
                    .jobs
                    .iter()
                    .filter_map(|(id, wf)| {
                        let status = status_of(id)?;
                        Some(json!({"job_id": id, "workflow_id": wf, "status": status}))
                    })
                    .collect();
                json!({"active_jobs": active})
            }
        }
    }
}

/// A message a job emitted, as a socket sends it: with its job and workflow (NodeTool adds
/// both to every update).
pub fn job_message(job_id: &str, workflow_id: &str, mut message: Value) -> Value {
    if let Some(o) = message.as_object_mut() {
        o.insert("job_id".into(), json!(job_id));
        o.insert("workflow_id".into(), json!(workflow_id));
    }
    message
}

/// The `cancel_job` answer, from whether the job was running and is now cancelled.
pub fn cancel_reply(job_id: &str, workflow_id: &str, cancelled: bool) -> Value {
    if cancelled {
        json!({"message": "Job cancellation requested", "job_id": job_id, "workflow_id": workflow_id})
    } else {
        json!({"error": "Job not found or already completed", "job_id": job_id, "workflow_id": workflow_id})
    }
}

/// The update that ends a cancelled job on the sockets following it.
pub fn cancelled_update(job_id: &str, workflow_id: &str) -> Value {
    job_message(
        job_id,
        workflow_id,
        json!({"type": "job_update", "status": "cancelled", "message": format!("Job {job_id} was cancelled")}),
    )
}

/// What `reconnect_job` sends for a job the host no longer holds: its stored end when it has
/// one (`status`, `error`), else NodeTool's expiry message.
pub fn expired(job_id: &str, workflow_id: &str, stored: Option<(&str, Option<&str>)>) -> Value {
    let body = match stored {
        Some((status, error)) => json!({"type": "job_update", "status": status, "error": error}),
        None => json!({
            "type": "job_update", "status": "failed",
            "error": "This job may have expired or the link is invalid. Please start a new workflow.",
        }),
    };
    job_message(job_id, workflow_id, body)
}

/// The heartbeat the server sends every 25 s, as NodeTool's.
pub fn heartbeat(now_secs: f64) -> Value {
    json!({"type": "ping", "ts": now_secs})
}
