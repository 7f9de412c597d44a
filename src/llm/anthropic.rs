//! Anthropic's Messages API (`POST {base}/v1/messages`, `x-api-key`, `anthropic-version`).
//!
//! Differences from OpenAI's format that the translation handles: the system prompt is a
//! top-level field; roles alternate strictly between `user` and `assistant`, so consecutive
//! messages of one role are merged; tool calls are `tool_use` blocks of the assistant and
//! their results `tool_result` blocks of the next user message; images go inline as base64
//! or by URL; `max_tokens` is required.

use serde_json::{Value, json};

use super::{DEFAULT_MAX_TOKENS, Reply, Request, ToolCall, arguments, data_url, parts, text_of};

pub const VERSION: &str = "2023-06-01";

fn block(part: &Value) -> Option<Value> {
    match part.get("type").and_then(Value::as_str) {
        Some("text") => Some(json!({"type": "text", "text": part["text"]})),
        Some("image_url") => {
            let url = part["image_url"]["url"].as_str()?;
            Some(match data_url(url) {
                Some((mime, data)) => json!({"type": "image", "source": {
                    "type": "base64", "media_type": mime, "data": data,
                }}),
                None => json!({"type": "image", "source": {"type": "url", "url": url}}),
            })
        }
        _ => None,
    }
}

pub fn body(req: &Request) -> Value {
    let mut system = Vec::new();
    let mut messages: Vec<Value> = Vec::new();
    for m in &req.messages {
        let role = m["role"].as_str().unwrap_or("user");
        let (role, blocks): (&str, Vec<Value>) = match role {
            "system" | "developer" => {
                system.push(text_of(&m["content"]));
                continue;
            }
            "assistant" => {
                let mut blocks: Vec<Value> =
                    parts(&m["content"]).iter().filter_map(block).collect();
                for c in m["tool_calls"].as_array().into_iter().flatten() {
                    blocks.push(json!({
                        "type": "tool_use",
                        "id": c["id"],
                        "name": c["function"]["name"],
                        "input": arguments(&c["function"]["arguments"]),
                    }));
                }
                ("assistant", blocks)
            }
            "tool" => (
                "user",
                vec![json!({
                    "type": "tool_result",
                    "tool_use_id": m["tool_call_id"],
                    "content": text_of(&m["content"]),
                })],
            ),
            _ => (
                "user",
                parts(&m["content"]).iter().filter_map(block).collect(),
            ),
        };
        // Anthropic refuses empty text blocks.
        let blocks: Vec<Value> = blocks
            .into_iter()
            .filter(|b| b["type"] != "text" || b["text"].as_str().is_some_and(|t| !t.is_empty()))
            .collect();
        if blocks.is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some(last) if last["role"] == role => {
                if let Some(content) = last["content"].as_array_mut() {
                    content.extend(blocks);
                }
            }
            _ => messages.push(json!({"role": role, "content": blocks})),
        }
    }
    let mut body = json!({
        "model": req.model,
        "max_tokens": req.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        "messages": messages,
    });
    if !system.is_empty() {
        body["system"] = json!(system.join("\n\n"));
    }
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
    }
    body
}

pub fn reply(v: &Value) -> Result<Reply, String> {
    let content = v
        .get("content")
        .and_then(Value::as_array)
        .ok_or("the answer has no content")?;
    let mut out = Reply::default();
    for b in content {
        match b["type"].as_str() {
            Some("text") => out.text.push_str(b["text"].as_str().unwrap_or_default()),
            Some("tool_use") => out.tool_calls.push(ToolCall {
                id: b["id"].as_str().unwrap_or_default().to_string(),
                name: b["name"].as_str().unwrap_or_default().to_string(),
                arguments: arguments(&b["input"]),
            }),
            _ => {}
        }
    }
    Ok(out)
}

/// The provider's own words from an error body (`{"type": "error", "error": {"message"}}`).
pub fn error_message(v: &Value) -> Option<&str> {
    v.pointer("/error/message").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Tool;

    #[test]
    fn system_is_lifted_roles_alternate_and_tool_turns_become_blocks() {
        let req = Request {
            model: "claude-sonnet-4".into(),
            messages: vec![
                json!({"role": "system", "content": "Be brief."}),
                json!({"role": "user", "content": "Find rust news"}),
                json!({"role": "user", "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
                ]}),
                json!({"role": "assistant", "content": null, "tool_calls": [
                    {"id": "t1", "type": "function", "function": {"name": "google_news", "arguments": "{\"keyword\":\"rust\"}"}}
                ]}),
                json!({"role": "tool", "tool_call_id": "t1", "content": "[1] Rust 2.0"}),
            ],
            max_tokens: None,
            tools: vec![Tool {
                name: "google_news".into(),
                description: "News".into(),
                parameters: json!({"type": "object", "properties": {"keyword": {"type": "string"}}}),
            }],
        };
        let b = body(&req);
        assert_eq!(b["system"], "Be brief.");
        assert_eq!(b["max_tokens"], DEFAULT_MAX_TOKENS);
        let m = b["messages"].as_array().unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0]["role"], "user");
        assert_eq!(m[0]["content"][1]["source"]["media_type"], "image/png");
        assert_eq!(m[1]["content"][0]["type"], "tool_use");
        assert_eq!(m[1]["content"][0]["input"], json!({"keyword": "rust"}));
        assert_eq!(m[2]["content"][0]["tool_use_id"], "t1");
        assert_eq!(b["tools"][0]["input_schema"]["type"], "object");

        let r = reply(&json!({"content": [
            {"type": "text", "text": "Let me search."},
            {"type": "tool_use", "id": "t2", "name": "google_news", "input": {"keyword": "wasm"}}
        ], "stop_reason": "tool_use"}))
        .unwrap();
        assert_eq!(r.text, "Let me search.");
        assert_eq!(r.tool_calls[0].name, "google_news");
        assert!(reply(&json!({"type": "error"})).is_err());
    }
}
