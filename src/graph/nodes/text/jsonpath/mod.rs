//! JSONPath, as `jsonpath_ng.parse(...).find(...)` reads and evaluates it (ExtractJSON): the
//! document with objects in order (`doc`), the expression language (`parse`) and matching
//! (`eval`).

mod doc;
mod eval;
mod parse;

use serde_json::Value;

use doc::Doc;
use eval::find;

use super::output::too_many;
use crate::graph::nodes::spec::{Emitted, Props, one};

/// `json.loads(text)`, then the JSONPath matches: all their values, or the first one.
pub(crate) fn extract_json(p: &Props) -> Result<Emitted, String> {
    let doc: Doc = serde_json::from_str(p.str("text")).map_err(|e| format!("invalid JSON: {e}"))?;
    let path = parse::parse(p.str("json_path"))?;
    let found = find(&path, &doc, p.max_len)?;
    if p.bool("find_all") {
        too_many(found.len())?;
        one(Value::Array(found))
    } else {
        found
            .into_iter()
            .next()
            .ok_or_else(|| "list index out of range".to_string())
            .and_then(one)
    }
}
