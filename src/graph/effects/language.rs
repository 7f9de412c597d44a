//! The nodes that ask a language model: NodeTool's agents (`Agent`, `ClaudeAgent`,
//! `Summarizer`, `Extractor`, `Classifier`, `ResearchAgent`) and generators (`ListGenerator`,
//! `DataGenerator`, `StructuredOutputGenerator`). Prompts are this server's own; the formats the
//! model is asked to answer in (`<LIST_ITEM>` tags, a Markdown table, one JSON object) and the
//! outputs are NodeTool's.

use serde_json::{Map, Value, json};

use super::Outputs;
use super::{Call, Effects, run_tool};
use crate::graph::nodes::Effect;
use crate::graph::value::py_str;
use crate::llm::{self, Tool};

const SUMMARIZE: &str = "Summarize the user's text accurately and concisely in Markdown. \
Keep only the most important information and add nothing that is not in the text.";
const EXTRACT: &str = "Extract the requested fields from the user's input. Answer with one \
JSON object and nothing else.";
const CLASSIFY: &str = "Classify the user's input into exactly one of the given categories. \
Answer with the category's name only.";
const RESEARCH: &str = "You are a careful researcher. Investigate the objective with what you \
know and the tools you are given, then answer with one JSON object holding the requested fields.";
const STRUCTURED: &str = "Produce one JSON object that satisfies the schema and the instructions. \
Answer with the JSON object only.";

/// `model` as NodeTool writes it: `{"type": "language_model", "provider", "id"}`.
fn model(call: &Call<'_>) -> Result<(String, String), String> {
    match call.get("model") {
        Value::Object(m) => {
            let provider = m.get("provider").and_then(Value::as_str).unwrap_or("");
            let provider = if provider == "empty" { "" } else { provider };
            let id = m.get("id").and_then(Value::as_str).unwrap_or("");
            Ok((provider.to_string(), id.to_string()))
        }
        Value::String(s) => Ok((String::new(), s.clone())),
        Value::Null => Ok((String::new(), String::new())),
        _ => Err("property 'model' must be a language model".into()),
    }
}

/// An image reference as a message part the providers accept: its URL, or for a stored asset
/// its bytes as a data URL. Audio is refused by name rather than dropped.
async fn media_parts<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Vec<Value>, String> {
    let mut parts = Vec::new();
    for media in ["image", "audio"] {
        let r = call.get(media);
        if !r.is_object() || !super::media::is_set(r) {
            continue;
        }
        if media == "audio" {
            return Err("property 'audio' is not supported on this server".into());
        }
        let uri = r.get("uri").and_then(Value::as_str).unwrap_or("");
        let direct =
            uri.starts_with("https://") || uri.starts_with("http://") || uri.starts_with("data:");
        let url = if direct && r.get("asset_id").is_none_or(Value::is_null) {
            uri.to_string()
        } else {
            use base64::Engine as _;
            let (bytes, mime) = fx.read_media(r).await?;
            format!(
                "data:{mime};base64,{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )
        };
        parts.push(json!({"type": "image_url", "image_url": {"url": url}}));
    }
    Ok(parts)
}

fn user(text: String, media: Vec<Value>) -> Value {
    if media.is_empty() {
        return json!({"role": "user", "content": text});
    }
    let mut parts = vec![json!({"type": "text", "text": text})];
    parts.extend(media);
    json!({"role": "user", "content": parts})
}

fn system(text: &str) -> Option<Value> {
    (!text.trim().is_empty()).then(|| json!({"role": "system", "content": text}))
}

fn max_tokens(call: &Call<'_>) -> Option<i64> {
    call.get("max_tokens").as_i64().filter(|n| *n > 0)
}

/// A NodeTool `Chunk` carrying `content`.
fn chunk(call: &Call<'_>, content: &str, done: bool) -> Value {
    json!({
        "type": "chunk", "node_id": call.node_id, "content_type": "text",
        "content": content, "done": done,
    })
}

pub async fn run<E: Effects>(effect: Effect, call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    match effect {
        Effect::Agent | Effect::ClaudeAgent => agent(effect, call, fx).await,
        Effect::Summarizer => summarize(call, fx).await,
        Effect::Extractor => extract(call, fx).await,
        Effect::Classifier => classify(call, fx).await,
        Effect::ResearchAgent => research(call, fx).await,
        Effect::ListGenerator => list(call, fx).await,
        Effect::DataGenerator => data(call, fx).await,
        Effect::StructuredOutput => structured(call, fx).await,
        Effect::ChartGenerator => chart(call, fx).await,
        _ => Err("not a language model node".into()),
    }
}

async fn ask<E: Effects>(
    call: &Call<'_>,
    fx: &E,
    messages: Vec<Value>,
    tools: Vec<Tool>,
) -> Result<llm::Reply, String> {
    let (provider, model) = model(call)?;
    ask_provider(call, fx, &provider, model, messages, tools).await
}

async fn ask_provider<E: Effects>(
    call: &Call<'_>,
    fx: &E,
    provider: &str,
    model: String,
    messages: Vec<Value>,
    tools: Vec<Tool>,
) -> Result<llm::Reply, String> {
    let request = llm::Request {
        model,
        messages,
        max_tokens: max_tokens(call),
        tools,
    };
    let reply = match call.live {
        // Each piece leaves as a `chunk` while the model is still writing (NodeTool streams
        // its providers' answers the same way).
        Some(live) => {
            let on_text = |text: &str| live("chunk", chunk(call, text, false));
            fx.llm_streamed(provider, request, &on_text).await?
        }
        None => fx.llm(provider, request).await?,
    };
    if reply.text.len() > call.max_len {
        return Err("the model's answer is too long".into());
    }
    Ok(reply)
}

/// `Agent` and `ClaudeAgent`: the prompt (after the history), and while the model calls the
/// nodes this one controls, their results, up to `max_turns` model calls.
async fn agent<E: Effects>(effect: Effect, call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let (system_key, max_turns) = match effect {
        Effect::ClaudeAgent => (
            "system_prompt",
            call.get("max_turns").as_i64().unwrap_or(20).clamp(1, 100),
        ),
        _ => ("system", 20),
    };
    let mut messages: Vec<Value> = system(call.str(system_key)).into_iter().collect();
    for (i, m) in call
        .get("history")
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        match (m.get("role").and_then(Value::as_str), m.get("content")) {
            (Some(role), Some(content)) => {
                messages.push(json!({"role": role, "content": content}));
            }
            _ => {
                return Err(format!(
                    "property 'history' item {i} needs a role and content"
                ));
            }
        }
    }
    let prompt = py_str(call.get("prompt"));
    let media = media_parts(call, fx).await?;
    // NodeTool's Agent sends an empty prompt as it is (a template that rendered to nothing is
    // still a turn); its ClaudeAgent refuses one.
    if effect == Effect::ClaudeAgent && prompt.trim().is_empty() {
        return Err("Prompt is required".into());
    }
    messages.push(user(prompt, media));
    let tools: Vec<Tool> = call
        .tools
        .iter()
        .map(|t| Tool {
            name: t.name.clone(),
            description: t.description.clone(),
            parameters: super::tool_schema(&t.spec),
        })
        .collect();

    let mut out: Outputs = Vec::new();
    let mut text = String::new();
    // ClaudeAgent runs on Anthropic's models whatever provider its model names.
    let (provider, model_id) = model(call)?;
    let provider = match effect {
        Effect::ClaudeAgent => "anthropic".to_string(),
        _ => provider,
    };
    for _ in 0..max_turns {
        let reply = ask_provider(
            call,
            fx,
            &provider,
            model_id.clone(),
            messages.clone(),
            tools.clone(),
        )
        .await?;
        if !reply.text.is_empty() {
            if call.live.is_none() {
                out.push(("chunk".into(), chunk(call, &reply.text, false)));
            }
            text.push_str(&reply.text);
        }
        if reply.tool_calls.is_empty() {
            break;
        }
        let calls: Vec<Value> = reply
            .tool_calls
            .iter()
            .map(|c| {
                json!({"id": c.id, "type": "function", "function": {
                    "name": c.name, "arguments": c.arguments.to_string(),
                }})
            })
            .collect();
        messages.push(json!({"role": "assistant", "content": reply.text, "tool_calls": calls}));
        for c in &reply.tool_calls {
            // A failing or unknown tool is reported to the model, which may try otherwise.
            let result = match call.tools.iter().find(|t| t.name == c.name) {
                Some(tool) => run_tool(tool, &c.arguments, call, fx)
                    .await
                    .unwrap_or_else(|e| format!("Error: {e}")),
                None => format!("Error: there is no tool named '{}'", c.name),
            };
            messages.push(json!({"role": "tool", "tool_call_id": c.id, "content": result}));
        }
    }
    out.push(("chunk".into(), chunk(call, "", true)));
    out.push(("text".into(), Value::String(text)));
    Ok(out)
}

async fn summarize<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let system_prompt = match call.str("system_prompt") {
        "" => SUMMARIZE,
        s => s,
    };
    let messages = vec![
        json!({"role": "system", "content": system_prompt}),
        user(call.str("text").to_string(), media_parts(call, fx).await?),
    ];
    let reply = ask(call, fx, messages, Vec::new()).await?;
    // Streamed, the text already left piece by piece; the last chunk only says it is done.
    let last = match call.live {
        Some(_) => "",
        None => &reply.text,
    };
    Ok(vec![
        ("chunk".into(), chunk(call, last, true)),
        ("text".into(), Value::String(reply.text)),
    ])
}

/// The first JSON object in a model's answer: inside a ```json fence if there is one, else
/// from the first `{` to the last `}`.
pub fn json_object(raw: &str) -> Option<Map<String, Value>> {
    let lower = raw.to_ascii_lowercase();
    if let Some(start) = lower.find("```json") {
        let body = &raw[start + 7..];
        if let Some(end) = body.find("```")
            && let Ok(Value::Object(o)) = serde_json::from_str(body[..end].trim())
        {
            return Some(o);
        }
    }
    let (start, end) = (raw.find('{')?, raw.rfind('}')?);
    if start >= end {
        return None;
    }
    match serde_json::from_str(&raw[start..=end]) {
        Ok(Value::Object(o)) => Some(o),
        _ => None,
    }
}

/// A JSON Schema for an object with one field per declared output.
fn schema_of(fields: &[String]) -> Value {
    let props: Map<String, Value> = fields.iter().map(|f| (f.clone(), json!({}))).collect();
    json!({"type": "object", "properties": props, "required": fields})
}

/// Emits each declared output from the model's object; a missing field is an error naming it.
fn emit_fields(obj: &Map<String, Value>, fields: &[String]) -> Result<Outputs, String> {
    let mut out = Vec::new();
    for f in fields {
        let v = obj
            .get(f)
            .ok_or_else(|| format!("the model's answer has no field '{f}'"))?;
        out.push((f.clone(), v.clone()));
    }
    Ok(out)
}

async fn fields_answer<E: Effects>(
    call: &Call<'_>,
    fx: &E,
    system_prompt: &str,
    task: String,
    media: Vec<Value>,
) -> Result<Outputs, String> {
    let fields = call.dynamic_outputs;
    if fields.is_empty() {
        return Err("Declare outputs for the fields you want to generate".into());
    }
    let schema = serde_json::to_string_pretty(&schema_of(fields)).unwrap_or_default();
    let messages = vec![
        json!({"role": "system", "content": format!("{system_prompt}\n\nJSON schema:\n{schema}")}),
        user(task, media),
    ];
    let reply = ask(call, fx, messages, Vec::new()).await?;
    let obj = json_object(&reply.text).ok_or("the model did not answer with a JSON object")?;
    emit_fields(&obj, fields)
}

async fn extract<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let sys = match call.str("system_prompt") {
        "" => EXTRACT,
        s => s,
    };
    fields_answer(
        call,
        fx,
        sys,
        call.str("text").to_string(),
        media_parts(call, fx).await?,
    )
    .await
}

async fn research<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let sys = match call.str("system_prompt") {
        "" => RESEARCH,
        s => s,
    };
    let objective = call.str("objective");
    if objective.trim().is_empty() {
        return Err("property 'objective' is empty".into());
    }
    fields_answer(call, fx, sys, objective.to_string(), Vec::new()).await
}

async fn structured<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let sys = match call.str("system_prompt") {
        "" => STRUCTURED,
        s => s,
    };
    let mut task = format!("Instructions:\n{}", call.str("instructions"));
    if !call.str("context").trim().is_empty() {
        task.push_str(&format!("\n\nContext:\n{}", call.str("context")));
    }
    fields_answer(call, fx, sys, task, Vec::new()).await
}

const CHART: &str = "Design one Plotly chart for the user's data and request. Choose the chart \
type that fits the data (scatter, line, bar, histogram, box, violin, heatmap or pie). Answer \
with one Plotly figure as a JSON object with `data` (the traces, with the values taken from the \
table) and `layout`, and nothing else.";

/// `ChartGenerator`: NodeTool's `PlotlyConfig` (`{"type": "plotly_config", "config"}`).
async fn chart<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let table = call.get("data");
    let columns = table.get("columns").filter(|c| !c.is_null());
    let Some(columns) = columns else {
        return Err("Define columns".into());
    };
    let rows = table
        .get("data")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    let schema = serde_json::to_string_pretty(&schema_of(&["data".into(), "layout".into()]))
        .unwrap_or_default();
    let task = format!(
        "{}\n\nAvailable columns in the dataset:\n{}\n\nData:\n{}",
        call.str("prompt"),
        serde_json::to_string_pretty(columns).unwrap_or_default(),
        serde_json::to_string_pretty(&rows).unwrap_or_default()
    );
    let messages = vec![
        json!({"role": "system", "content": format!("{CHART}\n\nJSON schema:\n{schema}")}),
        json!({"role": "user", "content": task}),
    ];
    let reply = ask(call, fx, messages, Vec::new()).await?;
    let config = json_object(&reply.text).ok_or("the model did not answer with a JSON object")?;
    Ok(vec![(
        "output".into(),
        json!({"type": "plotly_config", "config": config}),
    )])
}

async fn classify<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let categories: Vec<String> = call
        .get("categories")
        .as_array()
        .into_iter()
        .flatten()
        .map(py_str)
        .collect();
    if categories.len() < 2 {
        return Err("At least 2 categories are required".into());
    }
    let sys = match call.str("system_prompt") {
        "" => CLASSIFY,
        s => s,
    };
    let messages = vec![
        json!({"role": "system", "content": format!("{sys}\n\nCategories: {}", categories.join(", "))}),
        user(call.str("text").to_string(), media_parts(call, fx).await?),
    ];
    let reply = ask(call, fx, messages, Vec::new()).await?;
    Ok(vec![(
        "output".into(),
        json!(pick_category(&reply.text, &categories)),
    )])
}

/// The category the answer names: an exact match, then one without case or quotes, then the
/// first category the answer mentions, else the first category (as NodeTool falls back).
fn pick_category(answer: &str, categories: &[String]) -> String {
    let clean = answer
        .trim()
        .trim_matches(|c: char| c == '"' || c == '\'' || c == '.' || c == '`');
    if let Some(c) = categories.iter().find(|c| c.as_str() == clean) {
        return c.clone();
    }
    if let Some(c) = categories.iter().find(|c| c.eq_ignore_ascii_case(clean)) {
        return c.clone();
    }
    let lower = answer.to_lowercase();
    categories
        .iter()
        .filter_map(|c| lower.find(&c.to_lowercase()).map(|at| (at, c)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, c)| c.clone())
        .unwrap_or_else(|| categories[0].clone())
}

fn generator_prompt(call: &Call<'_>, how: &str) -> String {
    let mut p = format!("{}\n\n{how}", call.str("prompt"));
    if !call.str("input_text").trim().is_empty() {
        p.push_str(&format!("\n\nInput:\n{}", call.str("input_text")));
    }
    p
}

/// The items between `<LIST_ITEM>` and `</LIST_ITEM>`, in order, cleaned as NodeTool cleans
/// them: Markdown bold markers (`**`) dropped, and every run of white space one space, trimmed.
pub fn list_items(text: &str) -> Vec<String> {
    const OPEN: &str = "<LIST_ITEM>";
    const CLOSE: &str = "</LIST_ITEM>";
    let mut items = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find(CLOSE) else {
            break;
        };
        let item = after[..end].replace("**", "");
        let words: Vec<&str> = item
            .split(crate::graph::pytext::py_isspace)
            .filter(|w| !w.is_empty())
            .collect();
        items.push(words.join(" "));
        rest = &after[end + CLOSE.len()..];
    }
    items
}

async fn list<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let prompt = generator_prompt(
        call,
        "Answer with the list only, each item wrapped in <LIST_ITEM>...</LIST_ITEM> tags; an \
         item may span several lines.",
    );
    let reply = ask(call, fx, vec![user(prompt, Vec::new())], Vec::new()).await?;
    let items = list_items(&reply.text);
    if items.is_empty() {
        return Err("ListGenerator did not find any <LIST_ITEM> tags in the response".into());
    }
    let mut out = Vec::with_capacity(items.len() * 2);
    for (i, item) in items.into_iter().enumerate() {
        out.push(("item".into(), Value::String(item)));
        out.push(("index".into(), json!(i)));
    }
    Ok(out)
}

/// NodeTool's `RecordType` columns: `{"columns": [{"name", "data_type"}]}`.
fn columns(call: &Call<'_>) -> Vec<(String, String)> {
    call.get("columns")
        .get("columns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let name = c.get("name")?.as_str()?.to_string();
            let ty = c
                .get("data_type")
                .and_then(Value::as_str)
                .unwrap_or("string");
            Some((name, ty.to_string()))
        })
        .collect()
}

/// A table cell as its column's type (a cell that does not parse stays text).
fn cell(raw: &str, data_type: &str) -> Value {
    let ty = data_type.to_ascii_lowercase();
    if ty.contains("int") {
        if let Ok(n) = raw.parse::<i64>() {
            return json!(n);
        }
    } else if ty.contains("float") || ty.contains("number") {
        if let Ok(f) = raw.parse::<f64>() {
            return json!(f);
        }
    } else if ty.contains("bool") {
        match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => return json!(true),
            "false" | "no" | "0" => return json!(false),
            _ => {}
        }
    }
    json!(raw)
}

/// The rows of the first Markdown table in `text`, by header.
pub fn markdown_rows(text: &str) -> Vec<Vec<(String, String)>> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('|'))
        .collect();
    if lines.len() < 3 {
        return Vec::new();
    }
    let split = |l: &str| -> Vec<String> {
        l.trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let headers = split(lines[0]);
    lines[2..]
        .iter()
        .map(|l| headers.iter().cloned().zip(split(l)).collect())
        .collect()
}

async fn data<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let cols = columns(call);
    if cols.is_empty() {
        return Err("Define columns for the data".into());
    }
    let spec: Vec<String> = cols.iter().map(|(n, t)| format!("- {n} ({t})")).collect();
    let prompt = generator_prompt(
        call,
        &format!(
            "Answer with one Markdown table and nothing else. Its columns, in this order:\n{}",
            spec.join("\n")
        ),
    );
    let reply = ask(call, fx, vec![user(prompt, Vec::new())], Vec::new()).await?;
    let rows = markdown_rows(&reply.text);
    let mut out = Vec::new();
    let mut data = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let record: Map<String, Value> = cols
            .iter()
            .filter_map(|(n, t)| {
                row.iter()
                    .find(|(h, _)| h == n)
                    .map(|(_, v)| (n.clone(), cell(v, t)))
            })
            .collect();
        data.push(
            cols.iter()
                .map(|(n, _)| record.get(n).cloned().unwrap_or(Value::Null))
                .collect::<Vec<_>>(),
        );
        out.push(("record".into(), Value::Object(record)));
        out.push(("index".into(), json!(i)));
    }
    let columns: Vec<Value> = cols
        .iter()
        .map(|(n, t)| json!({"name": n, "data_type": t, "description": ""}))
        .collect();
    let table =
        json!({"type": "dataframe", "uri": "", "asset_id": null, "data": data, "columns": columns});
    out.push(("dataframe".into(), table.clone()));
    out.push(("output".into(), table));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_nodetool_asks_for_them() {
        assert_eq!(
            list_items(
                "Sure:\n<LIST_ITEM>A</LIST_ITEM>\n<LIST_ITEM> B\nC </LIST_ITEM><LIST_ITEM>open"
            ),
            ["A", "B C"]
        );
        // NodeTool drops bold markers and folds white space (`\x1c` is white space to Python).
        assert_eq!(
            list_items(
                "<LIST_ITEM>**Milk**\n\t Eggs\u{1c}and  ham</LIST_ITEM><LIST_ITEM>*a*</LIST_ITEM>"
            ),
            ["Milk Eggs and ham", "*a*"]
        );
        assert_eq!(
            json_object("Here:\n```json\n{\"a\": 1}\n```").unwrap()["a"],
            1
        );
        assert_eq!(json_object("x {\"b\": [1]} y").unwrap()["b"], json!([1]));
        assert!(json_object("no json").is_none());
        let rows = markdown_rows("| name | age |\n|---|---|\n| Ada | 36 |\n| Alan | 41 |");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][1], ("age".to_string(), "41".to_string()));
        assert_eq!(cell("41", "int"), json!(41));
        assert_eq!(cell("x", "int"), json!("x"));
        let cats = ["spam".to_string(), "ham".to_string()];
        assert_eq!(pick_category("\"Ham\".", &cats), "ham");
        assert_eq!(pick_category("I think this is spam", &cats), "spam");
        assert_eq!(pick_category("unclear", &cats), "spam");
    }
}
