//! The node model: how the engine drives a node, its operations, declared properties and
//! outputs, and the typed view of its properties when it runs.

use serde_json::{Map, Value};

use crate::graph::value::{Kind, Num, as_num};

/// How the engine drives a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Emits its `value` once; `params[data.name]` overrides it.
    Input,
    /// Emits its `value` once.
    Constant,
    /// Records every value it receives under `data.name`; falls back to its own `value`.
    Output,
    /// Editor furniture: never runs, never connects.
    Ignored,
    /// Accepts values and does nothing with them (NodeTool shows them in the editor).
    Preview,
    /// Emits `output` and `index` once per item of `input_list`.
    ForEach,
    /// Gathers `input_item` values until its inputs end, then emits them as a list.
    Collect,
    /// The same, joined with `separator` (`nodetool.text.Collect`).
    CollectText,
    /// A function of its properties, run each time its inputs change.
    Op(Op),
    /// A node that reaches beyond the graph: a language model, a search service, the asset
    /// store (`graph::effects` runs them).
    Effect(Effect),
}

/// What an image node computes: from the encoded images its `inputs` properties name (in
/// order; a list property contributes each of its images) and its properties, one encoded PNG.
pub type ImageFn = fn(&[Vec<u8>], &Map<String, Value>) -> Result<Vec<u8>, String>;

#[derive(Clone, Copy)]
pub struct ImageNode {
    pub inputs: &'static [&'static str],
    pub run: ImageFn,
}

impl PartialEq for ImageNode {
    fn eq(&self, other: &Self) -> bool {
        self.inputs == other.inputs && std::ptr::fn_addr_eq(self.run, other.run)
    }
}

impl Eq for ImageNode {}

impl std::fmt::Debug for ImageNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ImageNode({:?})", self.inputs)
    }
}

/// The request a `lib.http` node makes and how it reads the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpCall {
    /// GET, POST (with `data`), PUT (with `data`), DELETE: the body as text.
    Text(&'static str),
    /// HEAD: the response headers.
    Head,
    /// GET, POST, PUT or PATCH with JSON: the body parsed as JSON.
    Json(&'static str),
}

impl Behaviour {
    /// Agents drive the nodes at the end of their control edges as tools.
    pub fn drives_tools(self) -> bool {
        matches!(self, Behaviour::Effect(Effect::Agent | Effect::ClaudeAgent))
    }

    /// A node can serve as a tool when it computes from its properties alone, searches, or
    /// makes an image on a task-queue provider.
    pub fn usable_as_tool(self) -> bool {
        matches!(
            self,
            Behaviour::Op(_)
                | Behaviour::Effect(Effect::Search(_) | Effect::KieImage(_) | Effect::FalImage(_))
        )
    }
}

/// The nodes that need the world outside the graph, by what they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `nodetool.agents.Agent`: one conversation turn, with control-edge tools.
    Agent,
    /// `anthropic.agents.ClaudeAgent`: an Anthropic model in a tool-calling loop.
    ClaudeAgent,
    Summarizer,
    Extractor,
    Classifier,
    /// `nodetool.agents.ResearchAgent`: the objective answered into its dynamic outputs.
    ResearchAgent,
    ListGenerator,
    DataGenerator,
    StructuredOutput,
    /// `nodetool.generators.ChartGenerator`: a Plotly figure for a table.
    ChartGenerator,
    /// A SerpApi search (`search.*`).
    Search(&'static super::serp::Engine),
    /// `lib.http.*`: one request to a URL the host's outbound allow-list admits.
    Http(HttpCall),
    /// `lib.rss.FetchRSSFeed`: a feed's entries, one at a time.
    RssFeed,
    /// `lib.rss.ExtractFeedMetadata`: a feed's own fields.
    FeedMetadata,
    /// `lib.pillow.*` and the like: a computation on images read from their references; the
    /// result is saved as a PNG asset.
    Image(ImageNode),
    /// `nodetool.image.TextToImage`: an image from a provider, saved as an asset.
    TextToImage,
    /// `nodetool.image.ImageToImage`: an image edited by a provider, saved as an asset.
    ImageToImage,
    /// `kie.image.*`: an image made by this kie.ai model (a task polled until done), saved as
    /// an asset.
    KieImage(&'static str),
    /// `fal.*` image nodes: an image made by this fal.ai model (a queued request polled until
    /// done), saved as an asset.
    FalImage(&'static str),
    /// `nodetool.text.AutomaticSpeechRecognition`: a transcription from a provider.
    SpeechToText,
    /// `nodetool.audio.TextToSpeech`: speech from a provider, saved as an asset.
    TextToSpeech,
    /// `nodetool.dictionary.SaveJSON`, `nodetool.text.SaveText`: an asset of the caller.
    SaveJson,
    SaveText,
}

/// What an `Op` node computes from its typed properties. Each family defines its own, so the
/// dispatch is the spec lookup itself.
pub type ComputeFn = fn(&Props) -> Result<Emitted, String>;

/// A node's computation, comparable by identity (a spec is looked up, never built by hand).
#[derive(Clone, Copy)]
pub struct Op(pub ComputeFn);

impl PartialEq for Op {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.0, other.0)
    }
}

impl Eq for Op {}

impl Op {
    pub fn run(&self, p: &Props) -> Result<Emitted, String> {
        (self.0)(p)
    }
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Op")
    }
}

/// A property: name, type, default as JSON text.
pub type Prop = (&'static str, Kind, &'static str);

#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub behaviour: Behaviour,
    pub props: &'static [Prop],
    pub outputs: &'static [&'static str],
    /// Dynamic nodes take extra properties by any name (NodeTool's `_is_dynamic`).
    pub dynamic: bool,
}

pub(crate) const OUT: &[&str] = &["output"];
pub(crate) const NUM_AB: &[Prop] = &[("a", Kind::Number, "0.0"), ("b", Kind::Number, "0.0")];
pub(crate) const NUM_AB_DIV: &[Prop] = &[("a", Kind::Number, "0.0"), ("b", Kind::Number, "1.0")];
pub(crate) const TEXT: &[Prop] = &[("text", Kind::Str, "\"\"")];

pub(crate) const fn op(f: ComputeFn, props: &'static [Prop]) -> Spec {
    Spec {
        behaviour: Behaviour::Op(Op(f)),
        props,
        outputs: OUT,
        dynamic: false,
    }
}

pub(crate) const fn source(behaviour: Behaviour, value: Kind) -> Spec {
    // The value is typed per node type; the name, description and label are metadata.
    let props: &'static [Prop] = match value {
        Kind::Str => &[("value", Kind::Str, "\"\"")],
        Kind::Int => &[("value", Kind::Int, "0")],
        Kind::Float => &[("value", Kind::Float, "0.0")],
        Kind::Bool => &[("value", Kind::Bool, "false")],
        Kind::List => &[("value", Kind::List, "[]")],
        Kind::Dict => &[("value", Kind::Dict, "{}")],
        Kind::Number | Kind::Any => &[("value", Kind::Any, "null")],
    };
    Spec {
        behaviour,
        props,
        outputs: OUT,
        dynamic: false,
    }
}

/// The declared type of property `name`, if declared.
pub fn prop_kind(spec: &Spec, name: &str) -> Option<Kind> {
    spec.props
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, k, _)| *k)
}

/// A node's properties at the moment it runs, already converted to their declared types.
pub struct Props<'a> {
    pub values: &'a Map<String, Value>,
    pub dynamic: &'a [String],
    /// Longest text a node may build; checked before building, not after.
    pub max_len: usize,
    /// The host's clock when the node runs (microseconds since the Unix epoch, UTC).
    pub now_micros: i64,
    /// The host's entropy.
    pub random: &'a dyn Fn(&mut [u8]),
}

impl Props<'_> {
    pub(crate) fn get(&self, name: &str) -> &Value {
        self.values.get(name).unwrap_or(&Value::Null)
    }
    pub(crate) fn str(&self, name: &str) -> &str {
        self.get(name).as_str().unwrap_or_default()
    }
    pub(crate) fn num(&self, name: &str) -> Num {
        as_num(self.get(name)).unwrap_or(Num::Int(0))
    }
    pub(crate) fn int(&self, name: &str) -> i64 {
        self.get(name).as_i64().unwrap_or_default()
    }
    pub(crate) fn bool(&self, name: &str) -> bool {
        self.get(name).as_bool().unwrap_or_default()
    }
    pub(crate) fn float(&self, name: &str) -> f64 {
        self.num(name).as_f64()
    }
    pub(crate) fn dict(&self, name: &str) -> Option<&Map<String, Value>> {
        self.get(name).as_object()
    }
    pub(crate) fn list(&self, name: &str) -> &[Value] {
        self.get(name).as_array().map(Vec::as_slice).unwrap_or(&[])
    }
}

/// What one run of a node produced: `(output handle, value)` pairs.
pub type Emitted = Vec<(&'static str, Value)>;

pub(crate) fn one(v: Value) -> Result<Emitted, String> {
    Ok(vec![("output", v)])
}

pub(crate) fn num_out(n: Num) -> Result<Emitted, String> {
    one(n.to_value()?)
}

pub(crate) fn float_out(f: f64) -> Result<Emitted, String> {
    num_out(Num::Float(f))
}

/// A family of node types: the type-string prefixes it answers to (NodeTool renamed some
/// namespaces, so a family may have several) and its nodes by short name. Names that NodeTool's
/// ports spell differently appear twice.
pub struct Family {
    pub prefixes: &'static [&'static str],
    pub nodes: &'static [(&'static str, Spec)],
}
