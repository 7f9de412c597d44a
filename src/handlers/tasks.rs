//! Providers that make media as queued tasks: a task is submitted, asked about on the host's own
//! timer until it is done (so a waiting run costs no CPU), and its result is fetched from the
//! URL the provider names, under the outbound allow-list like any URL a node reads.
//!
//! - kie.ai: `POST /api/v1/jobs/createTask`, then `GET /api/v1/jobs/recordInfo?taskId=`; it
//!   answers its refusals with HTTP 200 and its own `code` in the body.
//! - fal.ai's queue: `POST /{model}`, then `GET /{app}/requests/{id}/status` until
//!   `COMPLETED`, then the result at `GET /{app}/requests/{id}`.

use http::Method;
use serde_json::{Value, json};

use super::effects::{QUERY, WorkflowEffects};
use crate::host::Host;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum TaskQueue {
    Kie,
    Fal,
}

/// What one question about a task learned.
enum State {
    Pending,
    /// Done; the URL of its (first) result.
    Done(String),
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
    fn poll_ms(self) -> u64 {
        match self {
            Self::Kie => 1500,
            Self::Fal => 1000,
        }
    }

    /// The key's name under NodeTool's secrets, and how it is sent.
    fn key(self) -> (&'static str, &'static str) {
        match self {
            Self::Kie => ("KIE_API_KEY", "Bearer"),
            Self::Fal => ("FAL_API_KEY", "Key"),
        }
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

impl<H: Host> WorkflowEffects<'_, '_, H> {
    /// One task of `queue`'s `model`: submitted, then asked about every
    /// [`TaskQueue::poll_ms`] until it succeeds or fails, for at most the provider timeout;
    /// answers the bytes of its first result.
    pub(super) async fn task(
        &self,
        queue: TaskQueue,
        model: &str,
        input: Value,
    ) -> Result<Vec<u8>, String> {
        let name = queue.name();
        let service = match queue {
            TaskQueue::Kie => &self.ctx.config.chat.kie,
            TaskQueue::Fal => &self.ctx.config.chat.fal,
        };
        let (key_name, scheme) = queue.key();
        let key = self.key(key_name, service).await?.ok_or_else(|| {
            format!(
                "{name} API key ({key_name}) not found: store it as a secret or in the server's \
                 settings"
            )
        })?;
        let auth = || vec![("authorization", format!("{scheme} {key}"))];
        let base = &service.base;
        let asked = match queue {
            TaskQueue::Kie => {
                let body = json!({"model": model, "input": input});
                let created = self
                    .exchange(
                        name,
                        Method::POST,
                        format!("{base}/api/v1/jobs/createTask"),
                        auth(),
                        Some(&body),
                    )
                    .await?;
                kie_refusal(&created)?;
                let task = created["data"]["taskId"]
                    .as_str()
                    .filter(|t| !t.is_empty())
                    .ok_or("kie.ai's answer names no task")?;
                format!(
                    "{base}/api/v1/jobs/recordInfo?taskId={}",
                    percent_encoding::utf8_percent_encode(task, QUERY)
                )
            }
            TaskQueue::Fal => {
                let submitted = self
                    .exchange(
                        name,
                        Method::POST,
                        format!("{base}/{model}"),
                        auth(),
                        Some(&input),
                    )
                    .await?;
                let id = submitted["request_id"]
                    .as_str()
                    .filter(|t| !t.is_empty())
                    .ok_or("fal.ai's answer names no request")?;
                format!(
                    "{base}/{}/requests/{}",
                    fal_app(model),
                    percent_encoding::utf8_percent_encode(id, QUERY)
                )
            }
        };
        let timeout_ms = self.ctx.config.chat.timeout_secs.saturating_mul(1000);
        for _ in 0..timeout_ms.div_ceil(queue.poll_ms()).max(1) {
            self.ctx.host.sleep(queue.poll_ms()).await;
            let state = match queue {
                TaskQueue::Kie => self.kie_state(&asked, auth()).await?,
                TaskQueue::Fal => self.fal_state(&asked, auth()).await?,
            };
            match state {
                State::Pending => {}
                State::Done(url) => return self.download(&url).await,
                State::Failed(why) => return Err(format!("{name}'s task failed: {why}")),
            }
        }
        Err(format!(
            "{name}'s task did not finish within {} s",
            timeout_ms / 1000
        ))
    }

    async fn kie_state(
        &self,
        url: &str,
        auth: Vec<(&'static str, String)>,
    ) -> Result<State, String> {
        let record = self
            .exchange("kie.ai", Method::GET, url.to_string(), auth, None)
            .await?;
        kie_refusal(&record)?;
        let data = &record["data"];
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

    async fn fal_state(
        &self,
        request: &str,
        auth: Vec<(&'static str, String)>,
    ) -> Result<State, String> {
        let status = self
            .exchange(
                "fal.ai",
                Method::GET,
                format!("{request}/status"),
                auth.clone(),
                None,
            )
            .await?;
        match status["status"].as_str().unwrap_or_default() {
            "IN_QUEUE" | "IN_PROGRESS" => return Ok(State::Pending),
            "COMPLETED" => {}
            other => return Err(format!("fal.ai answered an unknown status '{other}'")),
        }
        if let Some(why) = status["error"].as_str().filter(|e| !e.is_empty()) {
            return Ok(State::Failed(why.to_string()));
        }
        // A request the model failed answers its result with an error status, which
        // `exchange` reports with fal.ai's own `detail`.
        let result = self
            .exchange("fal.ai", Method::GET, request.to_string(), auth, None)
            .await?;
        let url = result["images"][0]["url"]
            .as_str()
            .ok_or("fal.ai's result names no image")?;
        Ok(State::Done(url.to_string()))
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
}
