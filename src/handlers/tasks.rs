//! Providers that make media as queued tasks: a task is submitted, asked about on the host's own
//! timer until it is done (so a waiting run costs no CPU), and its result is fetched from the
//! URL the provider names, under the outbound allow-list like any URL a node reads.
//!
//! - kie.ai: `POST /api/v1/jobs/createTask`, then `GET /api/v1/jobs/recordInfo?taskId=`; it
//!   answers its refusals with HTTP 200 and its own `code` in the body.
//! - fal.ai's queue: `POST /{model}`, then `GET /{app}/requests/{id}/status` until
//!   `COMPLETED`, then the result at `GET /{app}/requests/{id}`.
//!
//! This module knows each protocol's requests and answers; the host-facing loop that sends them
//! on the host's timer is `WorkflowEffects::task`.

use serde_json::{Value, json};

use crate::chat::config::{ChatConfig, Service};
use crate::http::query::encode;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum TaskQueue {
    Kie,
    Fal,
}

/// What one question about a task learned.
#[derive(Debug, PartialEq)]
pub(super) enum State {
    Pending,
    /// Done; the URL of its (first) result.
    Done(String),
    /// Done; its result is answered at the task's own URL ([`TaskQueue::read_result`]).
    Ready,
    Failed(String),
}

impl TaskQueue {
    /// The queue a node's provider name means (`kie`, `fal`).
    pub(super) fn named(provider: &str) -> Option<Self> {
        match provider.to_ascii_lowercase().as_str() {
            "kie" => Some(Self::Kie),
            "fal" => Some(Self::Fal),
            _ => None,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Kie => "kie.ai",
            Self::Fal => "fal.ai",
        }
    }

    /// How long to wait before each question. kie.ai: NodeTool's interval. fal.ai's own client
    /// asks ten times a second; once a second keeps a run well inside a Workers request's
    /// subrequest budget for the whole provider timeout.
    pub(super) fn poll_ms(self) -> u64 {
        match self {
            Self::Kie => 1500,
            Self::Fal => 1000,
        }
    }

    /// The server's settings for the provider (its base URL, its key).
    pub(super) fn service(self, chat: &ChatConfig) -> &Service {
        match self {
            Self::Kie => &chat.kie,
            Self::Fal => &chat.fal,
        }
    }

    /// The key's name under NodeTool's secrets, and how it is sent.
    pub(super) fn key(self) -> (&'static str, &'static str) {
        match self {
            Self::Kie => ("KIE_API_KEY", "Bearer"),
            Self::Fal => ("FAL_API_KEY", "Key"),
        }
    }

    /// The URL and JSON body that submit one task of `model` (a POST).
    pub(super) fn submit(self, base: &str, model: &str, input: Value) -> (String, Value) {
        match self {
            Self::Kie => (
                format!("{base}/api/v1/jobs/createTask"),
                json!({"model": model, "input": input}),
            ),
            Self::Fal => (format!("{base}/{model}"), input),
        }
    }

    /// The task's own URL, from the answer to its submission.
    pub(super) fn task_url(
        self,
        base: &str,
        model: &str,
        answer: &Value,
    ) -> Result<String, String> {
        match self {
            Self::Kie => {
                kie_refusal(answer)?;
                let task = answer["data"]["taskId"]
                    .as_str()
                    .filter(|t| !t.is_empty())
                    .ok_or("kie.ai's answer names no task")?;
                Ok(format!(
                    "{base}/api/v1/jobs/recordInfo?taskId={}",
                    encode(task)
                ))
            }
            Self::Fal => {
                let id = answer["request_id"]
                    .as_str()
                    .filter(|t| !t.is_empty())
                    .ok_or("fal.ai's answer names no request")?;
                Ok(format!("{base}/{}/requests/{}", fal_app(model), encode(id)))
            }
        }
    }

    /// The URL that answers the task's state (a GET).
    pub(super) fn status_url(self, task: &str) -> String {
        match self {
            Self::Kie => task.to_string(),
            Self::Fal => format!("{task}/status"),
        }
    }

    /// What an answer from [`TaskQueue::status_url`] says.
    pub(super) fn read_status(self, answer: &Value) -> Result<State, String> {
        match self {
            Self::Kie => {
                kie_refusal(answer)?;
                let data = &answer["data"];
                Ok(match data["state"].as_str().unwrap_or_default() {
                    "success" => {
                        // `resultJson` is JSON inside a string.
                        let result = match &data["resultJson"] {
                            Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
                            other => other.clone(),
                        };
                        let url = result["resultUrls"][0]
                            .as_str()
                            .ok_or("kie.ai's finished task names no result")?;
                        State::Done(url.to_string())
                    }
                    "fail" | "failed" => State::Failed(
                        data["failMsg"]
                            .as_str()
                            .filter(|m| !m.is_empty())
                            .unwrap_or("no reason given")
                            .to_string(),
                    ),
                    _ => State::Pending,
                })
            }
            Self::Fal => match answer["status"].as_str().unwrap_or_default() {
                "IN_QUEUE" | "IN_PROGRESS" => Ok(State::Pending),
                "COMPLETED" => Ok(match answer["error"].as_str().filter(|e| !e.is_empty()) {
                    Some(why) => State::Failed(why.to_string()),
                    // A request the model failed answers its result with an error status,
                    // which is read as a refusal with fal.ai's own `detail`.
                    None => State::Ready,
                }),
                other => Err(format!("fal.ai answered an unknown status '{other}'")),
            },
        }
    }

    /// The URL of the first result in the answer from the task's own URL (after [`State::Ready`]).
    pub(super) fn read_result(self, answer: &Value) -> Result<String, String> {
        answer["images"][0]["url"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{}'s result names no image", self.name()))
    }
}

/// kie.ai's own refusal inside an HTTP 200 answer (`{"code": 401, "msg": ...}`).
fn kie_refusal(answer: &Value) -> Result<(), String> {
    match answer["code"].as_i64() {
        None | Some(200) => Ok(()),
        Some(code) => Err(format!(
            "kie.ai refused the task ({code}): {}",
            answer["msg"].as_str().unwrap_or("no reason given")
        )),
    }
}

/// fal.ai serves a request's status and result under its app: the model's first two segments
/// (`fal-ai/flux/dev` is app `fal-ai/flux`).
fn fal_app(model: &str) -> &str {
    match model.match_indices('/').nth(1) {
        Some((at, _)) => &model[..at],
        None => model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fal_request_lives_under_its_models_app() {
        assert_eq!(fal_app("fal-ai/nano-banana-2"), "fal-ai/nano-banana-2");
        assert_eq!(fal_app("fal-ai/flux/dev"), "fal-ai/flux");
        assert_eq!(fal_app("fal-ai/flux/dev/image-to-image"), "fal-ai/flux");
        assert_eq!(fal_app("solo"), "solo");
    }

    #[test]
    fn queues_are_named_as_nodes_name_their_provider() {
        assert_eq!(TaskQueue::named("kie"), Some(TaskQueue::Kie));
        assert_eq!(TaskQueue::named("FAL"), Some(TaskQueue::Fal));
        assert_eq!(TaskQueue::named("openai"), None);
    }

    #[test]
    fn a_kie_task_is_named_by_its_creation_and_read_from_its_record() {
        let q = TaskQueue::Kie;
        let created = json!({"code": 200, "data": {"taskId": "t 1"}});
        let task = q.task_url("https://k", "m", &created).unwrap();
        assert_eq!(task, "https://k/api/v1/jobs/recordInfo?taskId=t%201");
        assert_eq!(q.status_url(&task), task);
        let refused = json!({"code": 401, "msg": "bad key"});
        assert_eq!(
            q.task_url("https://k", "m", &refused).unwrap_err(),
            "kie.ai refused the task (401): bad key"
        );
        let done = json!({"code": 200, "data": {"state": "success",
            "resultJson": "{\"resultUrls\": [\"https://r/1.png\"]}"}});
        assert_eq!(
            q.read_status(&done),
            Ok(State::Done("https://r/1.png".into()))
        );
        let failed = json!({"code": 200, "data": {"state": "fail", "failMsg": "nsfw"}});
        assert_eq!(q.read_status(&failed), Ok(State::Failed("nsfw".into())));
        let waiting = json!({"code": 200, "data": {"state": "generating"}});
        assert_eq!(q.read_status(&waiting), Ok(State::Pending));
    }

    #[test]
    fn a_fal_request_is_asked_about_then_its_result_read() {
        let q = TaskQueue::Fal;
        let (url, body) = q.submit("https://f", "fal-ai/flux/dev", json!({"prompt": "p"}));
        assert_eq!(
            (url.as_str(), body),
            ("https://f/fal-ai/flux/dev", json!({"prompt": "p"}))
        );
        let task = q
            .task_url("https://f", "fal-ai/flux/dev", &json!({"request_id": "r1"}))
            .unwrap();
        assert_eq!(task, "https://f/fal-ai/flux/requests/r1");
        assert_eq!(
            q.status_url(&task),
            "https://f/fal-ai/flux/requests/r1/status"
        );
        assert_eq!(
            q.read_status(&json!({"status": "IN_QUEUE"})),
            Ok(State::Pending)
        );
        assert_eq!(
            q.read_status(&json!({"status": "COMPLETED"})),
            Ok(State::Ready)
        );
        assert_eq!(
            q.read_status(&json!({"status": "COMPLETED", "error": "oom"})),
            Ok(State::Failed("oom".into()))
        );
        assert!(q.read_status(&json!({"status": "LOST"})).is_err());
        let result = json!({"images": [{"url": "https://r/2.png"}]});
        assert_eq!(q.read_result(&result).unwrap(), "https://r/2.png");
        assert!(q.read_result(&json!({})).is_err());
    }
}
