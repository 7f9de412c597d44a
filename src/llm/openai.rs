//! OpenAI's chat completions (`POST {base}/chat/completions`), which Ollama and most hosted
//! and local servers also speak.

use serde_json::{Value, json};

use super::{Reply, Request, ToolCall, arguments};

pub fn body(req: &Request) -> Value {
    let mut body = json!({"model": req.model, "messages": req.messages, "stream": false});
    if let Some(n) = req.max_tokens {
        body["max_tokens"] = json!(n);
    }
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters,
                }})
            })
            .collect();
    }
    body
}

pub fn reply(v: &Value) -> Result<Reply, String> {
    let message = v
        .pointer("/choices/0/message")
        .ok_or("the answer has no message")?;
    let text = match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(_) => return Err("the answer's content is not text".into()),
    };
    let tool_calls = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| ToolCall {
            id: c["id"].as_str().unwrap_or_default().to_string(),
            name: c["function"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            arguments: arguments(&c["function"]["arguments"]),
        })
        .collect::<Vec<_>>();
    if text.is_empty() && tool_calls.is_empty() && message.get("content").is_none() {
        return Err("the answer has no message content".into());
    }
    Ok(Reply { text, tool_calls })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Tool;

    #[test]
    fn tools_go_as_functions_and_calls_come_back_parsed() {
        let req = Request {
            model: "gpt-4o".into(),
            messages: vec![json!({"role": "user", "content": "hi"})],
            max_tokens: Some(10),
            tools: vec![Tool {
                name: "google_search".into(),
                description: "Search".into(),
                parameters: json!({"type": "object"}),
            }],
        };
        let b = body(&req);
        assert_eq!(b["tools"][0]["function"]["name"], "google_search");
        assert_eq!(b["max_tokens"], 10);
        let r = reply(&json!({"choices": [{"message": {"content": null, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "google_search", "arguments": "{\"keyword\":\"rust\"}"}}
        ]}}]}))
        .unwrap();
        assert_eq!(r.tool_calls[0].arguments, json!({"keyword": "rust"}));
        assert!(reply(&json!({"choices": []})).is_err());
    }
}
