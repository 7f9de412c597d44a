//! Graph pieces for the tests that save and run workflows, in NodeTool's JSON.

use serde_json::{Value, json};

/// A node of type `ty` with its properties.
pub fn node(id: &str, ty: &str, data: Value) -> Value {
    json!({"id": id, "type": ty, "data": data})
}

/// An edge from `"src.handle->dst.handle"`.
pub fn edge(spec: &str) -> Value {
    let (from, to) = spec.split_once("->").unwrap();
    let (s, sh) = from.split_once('.').unwrap();
    let (t, th) = to.split_once('.').unwrap();
    json!({"id": spec, "source": s, "sourceHandle": sh, "target": t, "targetHandle": th})
}
