//! The shape of a SerpApi-backed search node: how its properties become one request, and how
//! the answer becomes its outputs. The nodes themselves are in `search`; the call is made by
//! `graph::effects::search`.

use serde_json::{Map, Value};

/// The query parameters of one SerpApi request, in the order NodeTool sends them (`engine`
/// first; the API key is added by the host side).
pub type Query = Vec<(&'static str, String)>;

/// A node's outputs: `(handle, value)` pairs.
pub type Shaped = Vec<(&'static str, Value)>;

/// A search node: the checks and parameters of its request, and how the answer is shaped.
/// Both steps are pure, so they are tested without a network.
pub struct Engine {
    /// The SerpApi engine the node calls (a node may switch engines on its properties, as
    /// Google Images does for reverse image search).
    pub engine: &'static str,
    /// The node's output handles, in NodeTool's order.
    pub outputs: &'static [&'static str],
    /// Checks the properties (NodeTool's errors) and builds the request.
    pub request: fn(&Args) -> Result<Query, String>,
    /// Shapes an accepted answer (errors checked, inline images removed) into the outputs.
    pub shape: fn(&Args, Value) -> Shaped,
}

/// Engines are statics: one is the same as another when it is the same static.
impl PartialEq for Engine {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Engine {}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Engine({})", self.engine)
    }
}

/// A search node's properties, already converted to their declared types.
#[derive(Clone, Copy)]
pub struct Args<'a>(pub &'a Map<String, Value>);

impl Args<'_> {
    pub fn get(&self, name: &str) -> &Value {
        self.0.get(name).unwrap_or(&Value::Null)
    }
    /// A text property ("" when unset).
    pub fn str(&self, name: &str) -> &str {
        self.get(name).as_str().unwrap_or_default()
    }
    /// An integer property (0 when unset).
    pub fn int(&self, name: &str) -> i64 {
        self.get(name).as_i64().unwrap_or_default()
    }
}
