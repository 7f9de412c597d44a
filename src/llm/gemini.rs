//! Google's Gemini API (`POST {base}/v1beta/models/{model}:generateContent`,
//! `x-goog-api-key`).
//!
//! The translation: the system prompt becomes `systemInstruction`; roles are `user` and
//! `model`; parts are `text`, `inlineData` (base64) or `fileData` (a URL); tool calls are
//! `functionCall` parts and their results `functionResponse` parts, matched by name (Gemini has
//! no call ids, so the id of a call is its name).

use serde_json::{Map, Value, json};

use super::{DEFAULT_MAX_TOKENS, Reply, Request, ToolCall, arguments, data_url, parts, text_of};

fn part(p: &Value) -> Option<Value> {
    match p.get("type").and_then(Value::as_str) {
        Some("text") => {
            let t = p["text"].as_str().filter(|t| !t.is_empty())?;
            Some(json!({"text": t}))
        }
        Some("image_url") => {
            let url = p["image_url"]["url"].as_str()?;
            Some(match data_url(url) {
                Some((mime, data)) => json!({"inlineData": {"mimeType": mime, "data": data}}),
                None => json!({"fileData": {"fileUri": url}}),
            })
        }
        _ => None,
    }
}

/// The path of a call, relative to the API root; a streamed call gets the same answers, one
/// event per piece.
pub fn path(model: &str, streamed: bool) -> String {
    let model = model.strip_prefix("models/").unwrap_or(model);
    match streamed {
        true => format!("/v1beta/models/{model}:streamGenerateContent?alt=sse"),
        false => format!("/v1beta/models/{model}:generateContent"),
    }
}

pub fn body(req: &Request) -> Value {
    let mut system = Vec::new();
    let mut contents: Vec<Value> = Vec::new();
    // Tool results name the function, not the call id: remember which id was which function.
    let mut call_names: Map<String, Value> = Map::new();
    for m in &req.messages {
        let (role, ps): (&str, Vec<Value>) = match m["role"].as_str().unwrap_or("user") {
            "system" | "developer" => {
                system.push(text_of(&m["content"]));
                continue;
            }
            "assistant" => {
                let mut ps: Vec<Value> = parts(&m["content"]).iter().filter_map(part).collect();
                for c in m["tool_calls"].as_array().into_iter().flatten() {
                    call_names.insert(
                        c["id"].as_str().unwrap_or_default().to_string(),
                        c["function"]["name"].clone(),
                    );
                    ps.push(json!({"functionCall": {
                        "name": c["function"]["name"],
                        "args": arguments(&c["function"]["arguments"]),
                    }}));
                }
                ("model", ps)
            }
            "tool" => {
                let id = m["tool_call_id"].as_str().unwrap_or_default();
                let name = call_names.get(id).cloned().unwrap_or_else(|| json!(id));
                (
                    "user",
                    vec![json!({"functionResponse": {
                        "name": name,
                        "response": {"content": text_of(&m["content"])},
                    }})],
                )
            }
            _ => (
                "user",
                parts(&m["content"]).iter().filter_map(part).collect(),
            ),
        };
        if ps.is_empty() {
            continue;
        }
        match contents.last_mut() {
            Some(last) if last["role"] == role => {
                if let Some(list) = last["parts"].as_array_mut() {
                    list.extend(ps);
                }
            }
            _ => contents.push(json!({"role": role, "parts": ps})),
        }
    }
    let mut body = json!({
        "contents": contents,
        "generationConfig": {"maxOutputTokens": req.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)},
    });
    if !system.is_empty() {
        body["systemInstruction"] = json!({"parts": [{"text": system.join("\n\n")}]});
    }
    if !req.tools.is_empty() {
        let decls: Vec<Value> = req
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "parameters": t.parameters}))
            .collect();
        body["tools"] = json!([{"functionDeclarations": decls}]);
    }
    body
}

pub fn reply(v: &Value) -> Result<Reply, String> {
    let candidate = v.pointer("/candidates/0").ok_or_else(|| {
        match v.pointer("/promptFeedback/blockReason") {
            Some(reason) => format!("the prompt was blocked ({reason})"),
            None => "the answer has no candidates".into(),
        }
    })?;
    let mut out = Reply::default();
    read_parts(candidate, &mut out);
    Ok(out)
}

/// Adds a candidate's text and function calls to `out` (a whole answer, or one event of a
/// streamed one).
pub fn read_parts(candidate: &Value, out: &mut Reply) {
    for p in candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(t) = p.get("text").and_then(Value::as_str) {
            out.text.push_str(t);
        }
        if let Some(call) = p.get("functionCall") {
            let name = call["name"].as_str().unwrap_or_default().to_string();
            out.tool_calls.push(ToolCall {
                id: name.clone(),
                name,
                arguments: arguments(&call["args"]),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parts_and_function_turns_translate() {
        let req = Request {
            model: "models/gemini-2.0-flash".into(),
            messages: vec![
                json!({"role": "system", "content": "Be brief."}),
                json!({"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,BBBB"}}
                ]}),
                json!({"role": "assistant", "content": "", "tool_calls": [
                    {"id": "call-9", "type": "function", "function": {"name": "lookup", "arguments": {"q": "x"}}}
                ]}),
                json!({"role": "tool", "tool_call_id": "call-9", "content": "found"}),
            ],
            max_tokens: Some(99),
            tools: Vec::new(),
        };
        assert_eq!(
            path(&req.model, false),
            "/v1beta/models/gemini-2.0-flash:generateContent"
        );
        assert_eq!(
            path(&req.model, true),
            "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
        );
        let b = body(&req);
        assert_eq!(b["systemInstruction"]["parts"][0]["text"], "Be brief.");
        assert_eq!(
            b["contents"][0]["parts"][1]["inlineData"]["mimeType"],
            "image/jpeg"
        );
        assert_eq!(b["contents"][1]["role"], "model");
        assert_eq!(
            b["contents"][1]["parts"][0]["functionCall"]["args"]["q"],
            "x"
        );
        assert_eq!(
            b["contents"][2]["parts"][0]["functionResponse"]["name"],
            "lookup"
        );
        assert_eq!(b["generationConfig"]["maxOutputTokens"], 99);

        let r = reply(
            &json!({"candidates": [{"content": {"role": "model", "parts": [
                {"text": "It is "}, {"text": "a cat."}
            ]}}]}),
        )
        .unwrap();
        assert_eq!(r.text, "It is a cat.");
        assert!(
            reply(&json!({"promptFeedback": {"blockReason": "SAFETY"}}))
                .unwrap_err()
                .contains("SAFETY")
        );
    }
}
