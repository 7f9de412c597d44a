//! Runs a search node ([`crate::graph::nodes::search`]) through the host's SerpApi access.

use serde_json::{Map, Value, json};

use super::{Effects, Outputs};
use crate::graph::nodes::search::{Engine, Shape, format_results};
use crate::graph::value::py_str;

/// A property as a query parameter: text as is, numbers in decimal, nothing when empty.
fn param(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        other => Some(py_str(other)),
    }
}

pub async fn run<E: Effects>(
    engine: &Engine,
    values: &Map<String, Value>,
    fx: &E,
) -> Result<Outputs, String> {
    let get = |k: &str| values.get(k).unwrap_or(&Value::Null);
    let (needed, message) = engine.required;
    if !needed.is_empty() && needed.iter().all(|k| param(get(k)).is_none()) {
        return Err(message.to_string());
    }
    let mut params: Vec<(&str, String)> = vec![("engine", engine.engine.to_string())];
    params.extend(engine.fixed.iter().map(|(k, v)| (*k, v.to_string())));
    for (prop, name) in engine.params {
        if let Some(v) = param(get(prop)) {
            params.push((name, v));
        }
    }
    let answer = fx.search(&params).await?;
    if let Some(e) = answer.get("error").and_then(Value::as_str) {
        return Err(format!("SerpApi: {e}"));
    }
    let mut results: Vec<Value> = match answer.get(engine.results) {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    if let Some(n) = engine.limit.and_then(|k| get(k).as_i64()) {
        results.truncate(usize::try_from(n).unwrap_or(0));
    }
    Ok(match engine.shape {
        Shape::ResultsAndText => {
            let text = format_results(&results, engine.fields);
            vec![
                ("results".into(), Value::Array(results.clone())),
                ("text".into(), json!(text)),
                ("output".into(), Value::Array(results)),
            ]
        }
        Shape::Images => {
            let images: Vec<Value> = results
                .iter()
                .filter_map(|r| r.get("original").and_then(Value::as_str))
                .filter(|u| !u.is_empty())
                .map(|u| json!({"type": "image", "uri": u, "asset_id": null, "data": null}))
                .collect();
            vec![("output".into(), Value::Array(images))]
        }
        Shape::Whole => vec![("output".into(), answer)],
    })
}
