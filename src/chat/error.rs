//! Failures of the OpenAI-compatible routes, answered as OpenAI does (`{"error": {message,
//! type, param, code}}`) so its client libraries raise a useful exception, plus our usual
//! `detail` with the same text.

use http::StatusCode;
use serde_json::{Value, json};

use super::config::Provider;
use crate::host::OutboundError;
use crate::http::error::ApiError;
use crate::http::response::{Response, json_response};

/// Longest upstream error text passed on to the caller.
const MAX_UPSTREAM_MESSAGE: usize = 1000;

#[derive(Debug)]
pub enum ChatError {
    /// 400: the request is unusable (`param` names the field).
    Invalid {
        message: String,
        param: Option<&'static str>,
    },
    /// The upstream refused the request for a reason the caller can fix (400, 404 for an
    /// unknown model, 413, 422, 429): its status and error object are passed on.
    Upstream { status: u16, error: Value },
    /// 502: no usable answer from the provider.
    BadGateway(String),
    /// 504: the provider did not answer in time.
    Timeout(String),
    /// Ours: storage, secrets.
    Api(ApiError),
}

impl From<ApiError> for ChatError {
    fn from(e: ApiError) -> Self {
        ChatError::Api(e)
    }
}

impl ChatError {
    pub fn invalid(message: impl Into<String>, param: &'static str) -> Self {
        ChatError::Invalid {
            message: message.into(),
            param: Some(param),
        }
    }

    /// An outbound failure in words for the caller (the cause goes to the log).
    pub fn from_outbound(provider: Provider, e: &OutboundError, timeout_secs: u64) -> Self {
        match e {
            OutboundError::Timeout => ChatError::Timeout(format!(
                "The {provider} provider did not answer within {timeout_secs} s (CHAT_TIMEOUT)"
            )),
            OutboundError::Denied => ChatError::BadGateway(format!(
                "This server is not allowed to reach the {provider} provider; add its URL to the host's outbound allow-list"
            )),
            OutboundError::Unreachable(_) => {
                ChatError::BadGateway(format!("The {provider} provider could not be reached"))
            }
            OutboundError::TooLarge => {
                ChatError::BadGateway(format!("The {provider} provider's answer was too large"))
            }
            OutboundError::Failed(_) => {
                ChatError::BadGateway(format!("The request to the {provider} provider failed"))
            }
        }
    }

    /// A non-2xx upstream answer: the caller's own mistakes pass through with the provider's
    /// message; credentials and outages are ours to report as 502.
    pub fn from_status(provider: Provider, status: u16, body: &[u8]) -> Self {
        let message = upstream_message(body);
        match status {
            400 | 404 | 409 | 413 | 422 | 429 => {
                let error = match serde_json::from_slice::<Value>(body) {
                    Ok(Value::Object(mut o)) if o.get("error").is_some_and(Value::is_object) => {
                        o.remove("error").unwrap_or(Value::Null)
                    }
                    _ => {
                        json!({"message": message, "type": "upstream_error", "param": null, "code": null})
                    }
                };
                ChatError::Upstream { status, error }
            }
            401 | 403 => ChatError::BadGateway(format!(
                "The {provider} provider refused this server's credentials (HTTP {status}); store {} as a secret or set it on the server",
                provider.key_secret().unwrap_or("its API key")
            )),
            _ if message.is_empty() => {
                ChatError::BadGateway(format!("The {provider} provider answered HTTP {status}"))
            }
            _ => ChatError::BadGateway(format!(
                "The {provider} provider answered HTTP {status}: {message}"
            )),
        }
    }

    pub fn into_response(self) -> Response {
        let (status, kind, message, param, code) = match self {
            ChatError::Invalid { message, param } => (
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                message,
                param,
                None,
            ),
            ChatError::Upstream { status, mut error } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                let detail = error
                    .get("message")
                    .and_then(Value::as_str)
                    .map(|m| truncate(m).to_string())
                    .unwrap_or_default();
                if let Some(m) = error.get_mut("message") {
                    *m = Value::String(detail.clone());
                }
                return json_response(status, &json!({"error": error, "detail": detail}));
            }
            ChatError::BadGateway(m) => (StatusCode::BAD_GATEWAY, "upstream_error", m, None, None),
            ChatError::Timeout(m) => (
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_timeout",
                m,
                None,
                None,
            ),
            ChatError::Api(e) => {
                let status = e.status();
                let detail = e.detail();
                let kind = if status.is_server_error() {
                    "server_error"
                } else {
                    "invalid_request_error"
                };
                (status, kind, detail, None, None::<&str>)
            }
        };
        json_response(
            status,
            &json!({
                "error": {"message": message, "type": kind, "param": param, "code": code},
                "detail": message,
            }),
        )
    }
}

/// The provider's error message: OpenAI's `error.message`, Ollama's plain `error`, or the
/// body's text, shortened.
fn upstream_message(body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        let e = v.get("error")?;
        e.get("message")
            .and_then(Value::as_str)
            .or_else(|| e.as_str())
            .map(str::to_string)
    });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_string());
    truncate(&text).to_string()
}

fn truncate(s: &str) -> &str {
    if s.len() <= MAX_UPSTREAM_MESSAGE {
        return s;
    }
    let mut end = MAX_UPSTREAM_MESSAGE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(e: ChatError) -> (u16, Value) {
        let r = e.into_response();
        (
            r.status().as_u16(),
            serde_json::from_slice(r.body()).unwrap(),
        )
    }

    #[test]
    fn errors_have_openai_shape_and_detail() {
        let (s, v) = parts(ChatError::invalid(
            "Messages must be a non-empty list",
            "messages",
        ));
        assert_eq!(s, 400);
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["param"], "messages");
        assert_eq!(v["detail"], "Messages must be a non-empty list");
    }

    #[test]
    fn upstream_statuses_map() {
        let body = br#"{"error":{"message":"model \"x\" not found","type":"api_error","param":null,"code":null}}"#;
        let (s, v) = parts(ChatError::from_status(Provider::Ollama, 404, body));
        assert_eq!(s, 404);
        assert_eq!(v["error"]["message"], "model \"x\" not found");
        assert_eq!(v["detail"], "model \"x\" not found");
        let (s, v) = parts(ChatError::from_status(Provider::OpenAi, 401, b"{}"));
        assert_eq!(s, 502);
        assert!(v["detail"].as_str().unwrap().contains("OPENAI_API_KEY"));
        let (s, v) = parts(ChatError::from_status(Provider::Ollama, 500, b"boom"));
        assert_eq!(s, 502);
        assert_eq!(v["detail"], "The ollama provider answered HTTP 500: boom");
        let long = "x".repeat(5000);
        let (_, v) = parts(ChatError::from_status(
            Provider::Ollama,
            503,
            long.as_bytes(),
        ));
        assert!(v["detail"].as_str().unwrap().len() < 1100);
        let (s, _) = parts(ChatError::from_outbound(
            Provider::Ollama,
            &OutboundError::Timeout,
            5,
        ));
        assert_eq!(s, 504);
    }
}
