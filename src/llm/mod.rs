//! Language model calls from workflow nodes, one adapter per wire protocol: OpenAI's chat
//! completions (OpenAI, Ollama and every compatible server), Anthropic's Messages and Google's
//! Gemini `generateContent`.
//!
//! A request is written once, in OpenAI's message format (the format NodeTool's own messages
//! map onto most directly): `{"role", "content"}` where content is text or a list of
//! `{"type": "text"}` / `{"type": "image_url"}` parts, assistant `tool_calls`, and `tool`
//! messages answering them. Each adapter translates that to its protocol and reads the answer
//! back into a [`Reply`]. The adapters are pure: the caller sends the bytes.

pub mod anthropic;
pub mod gemini;
pub mod openai;
pub mod stream;

use serde_json::Value;

/// The wire protocols this server speaks to providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    OpenAi,
    Anthropic,
    Gemini,
}

/// One model call.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub model: String,
    /// OpenAI-format messages, system messages included.
    pub messages: Vec<Value>,
    pub max_tokens: Option<i64>,
    /// Functions the model may call: `{"name", "description", "parameters"}` (JSON Schema).
    pub tools: Vec<Tool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub parameters: Value,
}

/// A function call the model asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: Value,
}

/// What the model answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
}

/// A whole (not streamed) answer of `wire`'s protocol.
pub fn reply(wire: Wire, v: &Value) -> Result<Reply, String> {
    match wire {
        Wire::OpenAi => openai::reply(v),
        Wire::Anthropic => anthropic::reply(v),
        Wire::Gemini => gemini::reply(v),
    }
}

/// The default answer length when a node names none (Anthropic requires one).
pub const DEFAULT_MAX_TOKENS: i64 = 4096;

/// A content value as a list of OpenAI parts (a bare string is one text part).
fn parts(content: &Value) -> Vec<Value> {
    match content {
        Value::String(s) => vec![serde_json::json!({"type": "text", "text": s})],
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![serde_json::json!({"type": "text", "text": other.to_string()})],
    }
}

/// All the text of a content value.
fn text_of(content: &Value) -> String {
    parts(content)
        .iter()
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("")
}

/// `data:<mime>;base64,<data>` split, for protocols that take images inline.
fn data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (mime, data) = rest.split_once(";base64,")?;
    Some((mime, data))
}

/// A tool call's arguments as an object: OpenAI sends them as JSON text.
fn arguments(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Object(Default::default())),
        Value::Object(_) => v.clone(),
        _ => Value::Object(Default::default()),
    }
}
