//! Nodes that reach beyond their graph: language models (through [`crate::llm`]'s adapters),
//! search services and the caller's asset store. The engine hands such a node its typed
//! properties and the nodes it controls; what the world answers comes through [`Effects`],
//! which the host side implements (providers, keys, allow-lists), so this module stays pure.

pub mod assets;
pub mod language;
pub mod media;
pub mod search;
pub mod web;

use serde_json::{Map, Value, json};

use super::Plan;
use super::nodes::{Behaviour, Effect, Props, Spec, typed};
use crate::llm;

/// What a run may ask of the world. Each error text becomes the node's error message.
#[allow(async_fn_in_trait)]
pub trait Effects {
    /// One model call. `provider` is NodeTool's provider name ("" for the server's default).
    async fn llm(&self, provider: &str, req: llm::Request) -> Result<llm::Reply, String>;
    /// One model call whose answer streams: `on_text` gets each piece of its text as it
    /// arrives, and the whole reply comes at the end. A host that cannot stream hands the
    /// text over in one piece.
    async fn llm_streamed(
        &self,
        provider: &str,
        req: llm::Request,
        on_text: &dyn Fn(&str),
    ) -> Result<llm::Reply, String> {
        let reply = self.llm(provider, req).await?;
        if !reply.text.is_empty() {
            on_text(&reply.text);
        }
        Ok(reply)
    }
    /// One SerpApi search (`GET /search.json` with these parameters; the key is added by the
    /// host side from the caller's `SERPAPI_API_KEY` secret or the server's setting).
    async fn search(&self, params: &[(&str, String)]) -> Result<Value, String>;
    /// One web request for a `lib.http`/`lib.rss` node, under the host's outbound allow-list.
    async fn fetch(&self, request: Fetch) -> Result<Fetched, String>;
    /// Makes or reads media through a provider (images, transcriptions, speech): the bytes
    /// made, or the transcription's text as UTF-8.
    async fn media(&self, provider: &str, request: Media) -> Result<Vec<u8>, String>;
    /// The bytes and content type a media reference points at: an asset of the caller, an
    /// http(s) URL (under the allow-list) or a `data:` URL.
    async fn read_media(&self, reference: &Value) -> Result<(Vec<u8>, String), String>;
    /// Stores `bytes` as an asset of the caller; answers NodeTool's reference to it.
    async fn save_asset(
        &self,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<Value, String>;
}

/// What an effect node produced: `(output handle, value)` pairs in order. Handles are owned
/// because some are the workflow's own (dynamic outputs).
pub type Outputs = Vec<(String, Value)>;

/// A web request a node makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetch {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// Its answer (the body bounded by the host).
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A media request to a provider.
#[derive(Debug, Clone, PartialEq)]
pub enum Media {
    Image {
        model: String,
        prompt: String,
        width: i64,
        height: i64,
    },
    /// An edit of `image` following `prompt`.
    ImageEdit {
        model: String,
        prompt: String,
        image: Vec<u8>,
        content_type: String,
        width: i64,
        height: i64,
    },
    Transcription {
        model: String,
        audio: Vec<u8>,
        content_type: String,
    },
    Speech {
        model: String,
        voice: String,
        text: String,
        speed: f64,
    },
    /// A task of a task-queue provider (kie.ai, fal.ai): `input` as its model takes it; the
    /// bytes of the task's first result.
    Task { model: String, input: Value },
}

/// For runs that cannot reach the world (unit tests).
pub struct NoEffects;

impl Effects for NoEffects {
    async fn llm(&self, _: &str, _: llm::Request) -> Result<llm::Reply, String> {
        Err("no language model provider is available".into())
    }
    async fn search(&self, _: &[(&str, String)]) -> Result<Value, String> {
        Err("no search service is available".into())
    }
    async fn fetch(&self, _: Fetch) -> Result<Fetched, String> {
        Err("no network is available".into())
    }
    async fn media(&self, _: &str, _: Media) -> Result<Vec<u8>, String> {
        Err("no media provider is available".into())
    }
    async fn read_media(&self, _: &Value) -> Result<(Vec<u8>, String), String> {
        Err("no asset store is available".into())
    }
    async fn save_asset(&self, _: &str, _: &str, _: Vec<u8>) -> Result<Value, String> {
        Err("no asset store is available".into())
    }
}

/// A node another one drives through a control edge, offered to its model as a tool.
pub struct ToolNode<'a> {
    /// The tool's name: the node's title in snake case, as NodeTool names control tools.
    pub name: String,
    pub description: String,
    pub spec: Spec,
    /// Its stored properties; the model's arguments override them.
    pub props: &'a Map<String, Value>,
}

/// Takes an output a node streams while it runs: `(handle, value)`.
pub type Live<'a> = &'a dyn Fn(&str, Value);

/// One run of an effect node.
pub struct Call<'a> {
    pub node_id: &'a str,
    pub values: &'a Map<String, Value>,
    /// Output handles the workflow declared on the node (NodeTool's dynamic outputs).
    pub dynamic_outputs: &'a [String],
    pub tools: &'a [ToolNode<'a>],
    pub now_micros: i64,
    pub max_len: usize,
    pub random: &'a dyn Fn(&mut [u8]),
    /// Where the node's streamed outputs go while it runs (`(handle, value)`): given when one
    /// of them (a model's `chunk`) is wired, so the nodes it feeds see each piece as it comes.
    pub live: Option<Live<'a>>,
}

impl Call<'_> {
    pub fn get(&self, name: &str) -> &Value {
        self.values.get(name).unwrap_or(&Value::Null)
    }
    pub fn str(&self, name: &str) -> &str {
        self.get(name).as_str().unwrap_or_default()
    }
}

pub async fn run<E: Effects>(effect: Effect, call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    match effect {
        Effect::Search(engine) => search::run(engine, call.values, fx).await,
        Effect::SaveJson => assets::save_json(call, fx).await,
        Effect::SaveText => assets::save_text(call, fx).await,
        Effect::Http(http) => web::http(http, call.values, fx).await,
        Effect::RssFeed => web::rss_feed(call, fx).await,
        Effect::TextToImage => media::text_to_image(call, fx).await,
        Effect::ImageToImage => media::image_to_image(call, fx).await,
        Effect::KieImage(model) => media::kie_image(model, call, fx).await,
        Effect::FalImage(model) => media::fal_image(model, call, fx).await,
        Effect::Image(node) => media::image(node, call, fx).await,
        Effect::SpeechToText => media::speech_to_text(call, fx).await,
        Effect::TextToSpeech => media::text_to_speech(call, fx).await,
        Effect::FeedMetadata => web::feed_metadata(call, fx).await,
        llm_node => language::run(llm_node, call, fx).await,
    }
}

/// The nodes `controller` drives through its control edges, as tools. Two nodes of one title
/// get distinct names (`google_search`, `google_search_2`): a provider refuses duplicates.
pub fn tools_of(plan: &Plan, controller: usize) -> Vec<ToolNode<'_>> {
    let mut tools: Vec<ToolNode<'_>> = Vec::new();
    for &(_, t) in plan.controls.iter().filter(|(from, _)| *from == controller) {
        let target = &plan.nodes[t];
        let base = tool_name(&target.title);
        let mut name = base.clone();
        let mut n = 1;
        while tools.iter().any(|tool| tool.name == name) {
            n += 1;
            name = format!("{}_{n}", &base[..base.len().min(60)]);
        }
        tools.push(ToolNode {
            name,
            description: format!("Run {}", target.title),
            spec: target.spec,
            props: &target.props,
        });
    }
    tools
}

/// NodeTool's control-tool name: the title in snake case, letters and digits only, at most 64
/// characters (`"Google Search"` and `"GoogleSearch"` both give `google_search`).
pub fn tool_name(title: &str) -> String {
    let mut out = String::new();
    let mut prev: Option<char> = None;
    for c in title.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if c.is_ascii_uppercase() && prev.is_some_and(|p| p.is_ascii_lowercase()) {
            out.push('_');
        }
        if c != '_' || !out.ends_with('_') {
            out.push(c.to_ascii_lowercase());
        }
        prev = Some(c);
    }
    let out = out.trim_matches('_');
    let out = if out.is_empty() { "control_node" } else { out };
    out.chars().take(64).collect()
}

/// The JSON Schema of a tool node's arguments: its declared properties.
pub fn tool_schema(spec: &Spec) -> Value {
    use super::value::Kind;
    let mut props = Map::new();
    for (name, kind, _) in spec.props {
        let ty = match kind {
            Kind::Str => "string",
            Kind::Int => "integer",
            Kind::Float | Kind::Number => "number",
            Kind::Bool => "boolean",
            Kind::List => "array",
            Kind::Dict => "object",
            Kind::Any => continue,
        };
        props.insert((*name).to_string(), json!({"type": ty}));
    }
    json!({"type": "object", "properties": props, "required": []})
}

/// Runs a controlled node with the model's arguments over its stored properties, and words
/// the result for the model as NodeTool does: text as is, anything else as indented JSON.
pub async fn run_tool<E: Effects>(
    tool: &ToolNode<'_>,
    args: &Value,
    call: &Call<'_>,
    fx: &E,
) -> Result<String, String> {
    let mut values = tool.props.clone();
    for (k, v) in args.as_object().into_iter().flatten() {
        values.insert(k.clone(), typed(&tool.spec, k, v)?);
    }
    let emitted = match tool.spec.behaviour {
        Behaviour::Op(op) => op
            .run(&Props {
                values: &values,
                dynamic: &[],
                max_len: call.max_len,
                now_micros: call.now_micros,
                random: call.random,
            })?
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        Behaviour::Effect(Effect::Search(engine)) => search::run(engine, &values, fx).await?,
        Behaviour::Effect(Effect::Http(http)) => web::http(http, &values, fx).await?,
        // An image a model asks for is kept as the caller's asset; the model gets its reference.
        Behaviour::Effect(Effect::KieImage(model)) => {
            media::kie_image(
                model,
                &Call {
                    values: &values,
                    ..*call
                },
                fx,
            )
            .await?
        }
        Behaviour::Effect(Effect::FalImage(model)) => {
            media::fal_image(
                model,
                &Call {
                    values: &values,
                    ..*call
                },
                fx,
            )
            .await?
        }
        _ => return Err(format!("'{}' cannot be used as a tool", tool.name)),
    };
    let result = match emitted.as_slice() {
        [] => return Ok(format!("{} completed (no output)", tool.name)),
        [(_, v)] => v.clone(),
        many => Value::Object(
            many.iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
        ),
    };
    let mut text = match result {
        Value::String(s) => s,
        other => serde_json::to_string_pretty(&other).unwrap_or_default(),
    };
    // Every result goes back to the model on each later turn: bound what one adds.
    if text.len() > MAX_TOOL_RESULT {
        let mut end = MAX_TOOL_RESULT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("\n[result truncated]");
    }
    Ok(text)
}

/// Longest tool result given back to a model, in bytes.
const MAX_TOOL_RESULT: usize = 256 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controlled_nodes_become_uniquely_named_tools_with_bounded_results() {
        use crate::graph::{LIMITS, compile};
        let plan = compile(
            &json!({"nodes": [
                {"id": "a", "type": "nodetool.agents.Agent", "data": {"prompt": "x"}},
                {"id": "s1", "type": "search.google.GoogleSearch", "data": {}},
                {"id": "s2", "type": "search.google.GoogleSearch", "data": {}},
                {"id": "c", "type": "nodetool.text.Concat", "data": {}},
            ], "edges": [
                {"id": "1", "source": "a", "sourceHandle": "__control__", "target": "s1", "targetHandle": "__control__", "edge_type": "control"},
                {"id": "2", "source": "a", "sourceHandle": "__control__", "target": "s2", "targetHandle": "__control__", "edge_type": "control"},
                {"id": "3", "source": "a", "sourceHandle": "__control__", "target": "c", "targetHandle": "__control__", "edge_type": "control"},
            ]}),
            &LIMITS,
        )
        .unwrap();
        let tools = tools_of(&plan, 0);
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["google_search", "google_search_2", "concat"]);
        assert!(plan.nodes[1].controlled && !plan.nodes[0].controlled);

        let values = Map::new();
        let call = Call {
            node_id: "a",
            values: &values,
            dynamic_outputs: &[],
            tools: &tools,
            now_micros: 0,
            max_len: 8 << 20,
            random: &|b: &mut [u8]| b.fill(0),
            live: None,
        };
        let long = "é".repeat(MAX_TOOL_RESULT);
        let out = futures_executor::block_on(run_tool(
            &tools[2],
            &json!({"a": long, "b": "!"}),
            &call,
            &NoEffects,
        ))
        .unwrap();
        assert!(out.len() <= MAX_TOOL_RESULT + 32);
        assert!(out.ends_with("[result truncated]"));
    }

    #[test]
    fn tool_names_follow_nodetool() {
        assert_eq!(tool_name("Google Search"), "google_search");
        assert_eq!(tool_name("GoogleSearch"), "google_search");
        assert_eq!(tool_name("DuckDuckGo  Search!"), "duck_duck_go_search");
        assert_eq!(tool_name(""), "control_node");
        assert_eq!(tool_name(&"x".repeat(100)).len(), 64);
    }
}
