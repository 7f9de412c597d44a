//! Streamed answers: each protocol sends its answer as server-sent events, and the text of
//! each event is handed on as it arrives (a workflow's `chunk` output). [`Events`] splits the
//! bytes into events; [`Assembler`] reads one protocol's events, answering each event's new
//! text, and at the end gives the same [`Reply`] the whole answer would have given.
//!
//! - OpenAI: `chat.completion.chunk` objects whose `delta` carries text or pieces of tool
//!   calls (matched by `index`); one with a `finish_reason`, then `[DONE]`.
//! - Anthropic: `content_block_start` opens a text or `tool_use` block, `content_block_delta`
//!   adds `text_delta` text or `input_json_delta` argument text to the block at `index`,
//!   `message_stop` ends it; an `error` event ends it with the provider's message.
//! - Gemini (`:streamGenerateContent?alt=sse`): each event is a `generateContent` answer
//!   holding the next parts; a function call arrives whole.

use serde_json::Value;

use super::{Reply, ToolCall, Wire, arguments};

/// Longest event the reader holds while waiting for its end: a provider sends small events,
/// so anything bigger is not a provider speaking SSE.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// Splits a byte stream into the `data` of its events (several `data:` lines of one event
/// joined by `\n`, as the SSE format says). Lines may end in `\n` or `\r\n`.
#[derive(Default)]
struct Events {
    pending: Vec<u8>,
    data: Option<String>,
}

impl Events {
    /// The events that `bytes` completes, in order.
    fn feed(&mut self, bytes: &[u8]) -> Result<Vec<String>, String> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        // Lines are read in place and the consumed bytes dropped once: a frame of many short
        // lines costs its length, not its length times its lines.
        let pending = std::mem::take(&mut self.pending);
        let mut start = 0;
        while let Some(len) = pending[start..].iter().position(|&b| b == b'\n') {
            let line = &pending[start..start + len];
            self.line(line.strip_suffix(b"\r").unwrap_or(line), &mut out)?;
            start += len + 1;
        }
        self.pending = pending;
        self.pending.drain(..start);
        let held = self.pending.len() + self.data.as_ref().map_or(0, String::len);
        if held > MAX_EVENT_BYTES {
            return Err(format!(
                "an event of the streamed answer is longer than {MAX_EVENT_BYTES} bytes"
            ));
        }
        Ok(out)
    }

    /// The last event, when the stream ended without the blank line that closes it.
    fn finish(&mut self) -> Result<Option<String>, String> {
        let rest = std::mem::take(&mut self.pending);
        let mut out = Vec::new();
        if !rest.is_empty() {
            self.line(rest.strip_suffix(b"\r").unwrap_or(&rest), &mut out)?;
        }
        Ok(out.pop().or_else(|| self.data.take()))
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<String>) -> Result<(), String> {
        if line.is_empty() {
            if let Some(d) = self.data.take() {
                out.push(d);
            }
            return Ok(());
        }
        let Some(value) = line.strip_prefix(b"data:") else {
            // `event:`, `id:`, `retry:` and comments: the data says everything we read.
            return Ok(());
        };
        let value = value.strip_prefix(b" ").unwrap_or(value);
        let text = std::str::from_utf8(value)
            .map_err(|_| "the streamed answer is not UTF-8".to_string())?;
        match &mut self.data {
            Some(d) => {
                d.push('\n');
                d.push_str(text);
            }
            None => self.data = Some(text.to_string()),
        }
        Ok(())
    }
}

/// Reads one protocol's streamed answer from its bytes: `on_text` gets each event's new text
/// as it arrives, and [`Reader::finish`] gives the whole reply.
pub struct Reader {
    events: Events,
    assembler: Assembler,
}

impl Reader {
    pub fn new(wire: Wire) -> Reader {
        Reader {
            events: Events::default(),
            assembler: Assembler::new(wire),
        }
    }

    /// Reads the next bytes of the answer, however they were cut.
    pub fn feed(&mut self, bytes: &[u8], on_text: &dyn Fn(&str)) -> Result<(), String> {
        let events = self.events.feed(bytes)?;
        self.pass_on(events, on_text)
    }

    /// The whole reply, once the stream has ended.
    pub fn finish(mut self, on_text: &dyn Fn(&str)) -> Result<Reply, String> {
        let last = self.events.finish()?;
        self.pass_on(last.into_iter().collect(), on_text)?;
        self.assembler.finish()
    }

    fn pass_on(&mut self, events: Vec<String>, on_text: &dyn Fn(&str)) -> Result<(), String> {
        for data in events {
            let text = self.assembler.event(&data)?;
            if !text.is_empty() {
                on_text(&text);
            }
        }
        Ok(())
    }
}

/// A tool call whose pieces are still arriving.
#[derive(Default)]
struct Partial {
    id: String,
    name: String,
    /// Argument JSON as text.
    arguments: String,
    /// The arguments Anthropic's opening block gave, used when no pieces follow.
    whole: Option<Value>,
}

/// Reads one protocol's events into a [`Reply`].
struct Assembler {
    wire: Wire,
    text: String,
    calls: Vec<(i64, Partial)>,
    /// Calls that arrived whole (Gemini's).
    whole_calls: Vec<ToolCall>,
    ended: bool,
}

impl Assembler {
    fn new(wire: Wire) -> Assembler {
        Assembler {
            wire,
            text: String::new(),
            calls: Vec::new(),
            whole_calls: Vec::new(),
            ended: false,
        }
    }

    /// Reads one event's data; answers the text it adds ("" for none).
    fn event(&mut self, data: &str) -> Result<String, String> {
        if self.wire == Wire::OpenAi && data.trim() == "[DONE]" {
            self.ended = true;
            return Ok(String::new());
        }
        let v: Value = serde_json::from_str(data)
            .map_err(|_| "an event of the streamed answer is not JSON".to_string())?;
        if let Some(message) = error_of(&v) {
            return Err(format!("the stream ended with an error: {message}"));
        }
        let added = match self.wire {
            Wire::OpenAi => self.openai(&v),
            Wire::Anthropic => self.anthropic(&v),
            Wire::Gemini => self.gemini(&v)?,
        };
        self.text.push_str(&added);
        Ok(added)
    }

    /// The whole answer. OpenAI and Anthropic mark their end; a stream cut before it is an
    /// error, not a shorter answer. Gemini ends by closing the stream.
    fn finish(self) -> Result<Reply, String> {
        if !self.ended && self.wire != Wire::Gemini {
            return Err("the streamed answer stopped before its end".into());
        }
        let mut tool_calls: Vec<ToolCall> = self
            .calls
            .into_iter()
            .map(|(_, p)| ToolCall {
                id: p.id,
                name: p.name,
                arguments: match p.whole {
                    Some(v) if p.arguments.trim().is_empty() => arguments(&v),
                    _ => arguments(&Value::String(p.arguments)),
                },
            })
            .collect();
        tool_calls.extend(self.whole_calls);
        Ok(Reply {
            text: self.text,
            tool_calls,
        })
    }

    fn call(&mut self, index: i64) -> &mut Partial {
        let at = match self.calls.iter().position(|(i, _)| *i == index) {
            Some(at) => at,
            None => {
                self.calls.push((index, Partial::default()));
                self.calls.len() - 1
            }
        };
        &mut self.calls[at].1
    }

    fn openai(&mut self, v: &Value) -> String {
        let Some(choice) = v.pointer("/choices/0") else {
            return String::new();
        };
        // A finish reason ends the answer even if `[DONE]` never comes: some compatible
        // servers close the stream right after it.
        if choice["finish_reason"].is_string() {
            self.ended = true;
        }
        let delta = &choice["delta"];
        for piece in delta["tool_calls"].as_array().into_iter().flatten() {
            let call = self.call(piece["index"].as_i64().unwrap_or(0));
            if let Some(id) = piece["id"].as_str() {
                call.id = id.to_string();
            }
            if let Some(name) = piece["function"]["name"].as_str() {
                call.name.push_str(name);
            }
            if let Some(args) = piece["function"]["arguments"].as_str() {
                call.arguments.push_str(args);
            }
        }
        delta["content"].as_str().unwrap_or_default().to_string()
    }

    fn anthropic(&mut self, v: &Value) -> String {
        let index = v["index"].as_i64().unwrap_or(0);
        match v["type"].as_str().unwrap_or_default() {
            "content_block_start" => {
                let block = &v["content_block"];
                match block["type"].as_str() {
                    Some("tool_use") => {
                        let call = self.call(index);
                        call.id = block["id"].as_str().unwrap_or_default().to_string();
                        call.name = block["name"].as_str().unwrap_or_default().to_string();
                        call.whole = Some(block["input"].clone());
                        String::new()
                    }
                    Some("text") => block["text"].as_str().unwrap_or_default().to_string(),
                    _ => String::new(),
                }
            }
            "content_block_delta" => {
                let delta = &v["delta"];
                match delta["type"].as_str() {
                    Some("text_delta") => delta["text"].as_str().unwrap_or_default().to_string(),
                    Some("input_json_delta") => {
                        let piece = delta["partial_json"].as_str().unwrap_or_default();
                        self.call(index).arguments.push_str(piece);
                        String::new()
                    }
                    _ => String::new(),
                }
            }
            "message_stop" => {
                self.ended = true;
                String::new()
            }
            _ => String::new(),
        }
    }

    fn gemini(&mut self, v: &Value) -> Result<String, String> {
        let Some(candidate) = v.pointer("/candidates/0") else {
            if let Some(reason) = v.pointer("/promptFeedback/blockReason") {
                return Err(format!("the prompt was blocked ({reason})"));
            }
            return Ok(String::new());
        };
        let mut piece = Reply::default();
        super::gemini::read_parts(candidate, &mut piece);
        self.whole_calls.extend(piece.tool_calls);
        Ok(piece.text)
    }
}

/// The provider's message in an error event: OpenAI's `{"error": {"message"}}` or
/// Anthropic's `{"type": "error", "error": {"message"}}`.
fn error_of(v: &Value) -> Option<String> {
    let e = v.get("error")?;
    Some(
        e.get("message")
            .and_then(Value::as_str)
            .or_else(|| e.as_str())
            .unwrap_or("no message")
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(wire: Wire, raw: &str, split_at: usize) -> (Vec<String>, Result<Reply, String>) {
        let pieces = std::cell::RefCell::new(Vec::new());
        let on_text = |t: &str| pieces.borrow_mut().push(t.to_string());
        let mut reader = Reader::new(wire);
        let mut result = Ok(());
        for part in raw.as_bytes().chunks(split_at) {
            result = result.and_then(|()| reader.feed(part, &on_text));
        }
        let reply = result.and_then(|()| reader.finish(&on_text));
        (pieces.into_inner(), reply)
    }

    #[test]
    fn events_split_on_blank_lines_whatever_the_pieces() {
        let raw = "event: a\r\ndata: one\r\n\r\n: comment\ndata: two\ndata: lines\n\ndata:last";
        for split in [1, 2, 5, 100] {
            let mut e = Events::default();
            let mut got = Vec::new();
            for p in raw.as_bytes().chunks(split) {
                got.extend(e.feed(p).unwrap());
            }
            got.extend(e.finish().unwrap());
            assert_eq!(got, ["one", "two\nlines", "last"], "split {split}");
        }
    }

    #[test]
    fn characters_cut_between_frames_and_many_lines_in_one_frame_read_whole() {
        let raw = format!("{}data: héllo ✓ 日本\n\n", ": keep-alive\n".repeat(20_000));
        for split in [1, 3, raw.len()] {
            let mut e = Events::default();
            let mut got = Vec::new();
            for p in raw.as_bytes().chunks(split) {
                got.extend(e.feed(p).unwrap());
            }
            assert_eq!(got, ["héllo ✓ 日本"], "split {split}");
        }
    }

    #[test]
    fn an_endless_event_is_refused() {
        let mut e = Events::default();
        let big = vec![b'x'; MAX_EVENT_BYTES + 1];
        assert!(e.feed(&big).unwrap_err().contains("longer than"));
    }

    #[test]
    fn openai_text_and_tool_calls_assemble() {
        let raw = [
            json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}]}),
            json!({"choices": [{"index": 0, "delta": {"content": "lo"}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c1", "type": "function", "function": {"name": "google_search", "arguments": "{\"key"}}]}}]}),
            json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "word\":\"rust\"}"}}]}}]}),
            json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
        ]
        .iter()
        .map(|v| format!("data: {v}\n\n"))
        .collect::<String>()
            + "data: [DONE]\n\n";
        let (pieces, reply) = read(Wire::OpenAi, &raw, 7);
        assert_eq!(pieces, ["Hel", "lo"]);
        let reply = reply.unwrap();
        assert_eq!(reply.text, "Hello");
        assert_eq!(reply.tool_calls[0].id, "c1");
        assert_eq!(reply.tool_calls[0].name, "google_search");
        assert_eq!(reply.tool_calls[0].arguments, json!({"keyword": "rust"}));
    }

    #[test]
    fn a_cut_or_failing_stream_is_an_error() {
        let cut = "data: {\"choices\": [{\"delta\": {\"content\": \"Hi\"}}]}\n\n";
        let (pieces, reply) = read(Wire::OpenAi, cut, 100);
        assert_eq!(pieces, ["Hi"]);
        assert!(reply.unwrap_err().contains("stopped before its end"));
        let failed = "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n";
        let (_, reply) = read(Wire::Anthropic, failed, 100);
        assert_eq!(
            reply.unwrap_err(),
            "the stream ended with an error: Overloaded"
        );
        let finished = "data: {\"choices\": [{\"delta\": {\"content\": \"Hi\"}, \"finish_reason\": \"stop\"}]}\n\n";
        assert_eq!(read(Wire::OpenAi, finished, 100).1.unwrap().text, "Hi");
        let (_, reply) = read(Wire::OpenAi, "data: {not json\n\n", 100);
        assert!(reply.unwrap_err().contains("not JSON"));
    }

    #[test]
    fn anthropic_blocks_assemble() {
        let events = [
            json!({"type": "message_start", "message": {"id": "msg_1", "content": []}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me "}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "search."}}),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "google_search", "input": {}}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"keyword\": "}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "\"rust\"}"}}),
            json!({"type": "content_block_stop", "index": 1}),
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}}),
            json!({"type": "message_stop"}),
        ];
        let raw: String = events
            .iter()
            .map(|v| format!("event: {}\ndata: {v}\n\n", v["type"].as_str().unwrap()))
            .collect();
        let (pieces, reply) = read(Wire::Anthropic, &raw, 13);
        assert_eq!(pieces, ["Let me ", "search."]);
        let reply = reply.unwrap();
        assert_eq!(reply.text, "Let me search.");
        assert_eq!(reply.tool_calls[0].id, "toolu_1");
        assert_eq!(reply.tool_calls[0].arguments, json!({"keyword": "rust"}));
    }

    #[test]
    fn anthropic_tool_without_argument_pieces_keeps_its_input() {
        let raw = [
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t", "name": "now", "input": {}}}),
            json!({"type": "message_stop"}),
        ]
        .iter()
        .map(|v| format!("data: {v}\n\n"))
        .collect::<String>();
        let reply = read(Wire::Anthropic, &raw, 100).1.unwrap();
        assert_eq!(reply.tool_calls[0].arguments, json!({}));
    }

    #[test]
    fn gemini_parts_assemble_and_a_blocked_prompt_is_an_error() {
        let raw = [
            json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Once "}]}}]}),
            json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "upon"}, {"functionCall": {"name": "lookup", "args": {"q": "x"}}}]}, "finishReason": "STOP"}]}),
        ]
        .iter()
        .map(|v| format!("data: {v}\r\n\r\n"))
        .collect::<String>();
        let (pieces, reply) = read(Wire::Gemini, &raw, 3);
        assert_eq!(pieces, ["Once ", "upon"]);
        let reply = reply.unwrap();
        assert_eq!(reply.text, "Once upon");
        assert_eq!(reply.tool_calls[0].name, "lookup");
        assert_eq!(reply.tool_calls[0].arguments, json!({"q": "x"}));
        let blocked = "data: {\"promptFeedback\": {\"blockReason\": \"SAFETY\"}}\n\n";
        assert!(
            read(Wire::Gemini, blocked, 100)
                .1
                .unwrap_err()
                .contains("blocked")
        );
    }
}
