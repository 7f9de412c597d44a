//! `GET /api/nodes/metadata`: the node types this server runs, in the shape of NodeTool's node
//! metadata (type string, namespace, title, properties with types and defaults, outputs), so a
//! client can tell before a run which of a workflow's nodes this host can execute.

use serde_json::{Value, json};

use crate::graph::nodes::{self, Spec};
use crate::graph::value::Kind;
use crate::http::response::{Response, ok_json};

/// NodeTool's type names for a property's declared kind.
fn type_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Str => "str",
        Kind::Int => "int",
        Kind::Float | Kind::Number => "float",
        Kind::Bool => "bool",
        Kind::List => "list",
        Kind::Dict => "dict",
        Kind::Any => "any",
    }
}

fn metadata(namespace: &str, name: &str, spec: &Spec) -> Value {
    let properties: Vec<Value> = spec
        .props
        .iter()
        .map(|(prop, kind, default)| {
            json!({
                "name": prop,
                "type": {"type": type_name(*kind)},
                "default": serde_json::from_str::<Value>(default).unwrap_or(Value::Null),
            })
        })
        .collect();
    let outputs: Vec<Value> = spec
        .outputs
        .iter()
        .map(|o| json!({"name": o, "type": {"type": "any"}}))
        .collect();
    json!({
        "node_type": format!("{namespace}.{name}"),
        "namespace": namespace,
        "title": name,
        "properties": properties,
        "outputs": outputs,
        "is_dynamic": spec.dynamic,
    })
}

pub fn list() -> Response {
    let all: Vec<Value> = nodes::catalogue()
        .into_iter()
        .map(|(prefix, name, spec)| metadata(prefix.trim_end_matches('.'), name, &spec))
        .collect();
    ok_json(&all)
}
