//! What a search node's spec is made of: its outputs, the properties several nodes share, and
//! the spec and engine that tie a node to SerpApi.

use serde_json::Value;

use crate::graph::nodes::serp::{Args, Engine, Query, Shaped};
use crate::graph::nodes::spec::{Behaviour, Effect, Prop, Spec};
use crate::graph::value::Kind;

/// `output` is the older single output (the results list) of Google and DuckDuckGo Search,
/// which NodeTool's examples still wire (Competitive Analysis); it is kept on those two.
pub(super) const RESULTS_TEXT_OUTPUT: &[&str] = &["results", "text", "output"];
pub(super) const RESULTS_TEXT: &[&str] = &["results", "text"];
pub(super) const OUTPUT: &[&str] = &["output"];

pub(super) const QUERY_NUM: &[Prop] = &[
    ("query", Kind::Str, "\"\""),
    ("num_results", Kind::Int, "10"),
];
pub(super) const PRODUCT_ID: &[Prop] = &[("product_id", Kind::Str, "\"\"")];

pub(super) const fn node(props: &'static [Prop], engine: &'static Engine) -> Spec {
    Spec {
        behaviour: Behaviour::Effect(Effect::Search(engine)),
        props,
        outputs: engine.outputs,
        dynamic: false,
    }
}

pub(super) const fn engine(
    name: &'static str,
    outputs: &'static [&'static str],
    request: fn(&Args) -> Result<Query, String>,
    shape: fn(&Args, Value) -> Shaped,
) -> Engine {
    Engine {
        engine: name,
        outputs,
        request,
        shape,
    }
}
