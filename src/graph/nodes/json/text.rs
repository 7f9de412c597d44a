//! The JSON text nodes: parsing, writing, filtering and filling in templates.

use serde_json::Value;

use crate::graph::nodes::pyjson::decode::loads;
use crate::graph::nodes::pyjson::encode::dumps;
use crate::graph::nodes::spec::{Emitted, Props, one};
use crate::graph::value::{py_eq, py_str, too_long, type_name};

pub(super) fn parse_dict(p: &Props) -> Result<Emitted, String> {
    match loads(p.str("json_string"))? {
        v @ Value::Object(_) => one(v),
        _ => Err("JSON string must represent an object/dictionary".into()),
    }
}

pub(super) fn parse_list(p: &Props) -> Result<Emitted, String> {
    match loads(p.str("json_string"))? {
        v @ Value::Array(_) => one(v),
        _ => Err("JSON string must represent an array/list".into()),
    }
}

/// Python's `' ' * indent`: a negative indent is no spaces, but still one item per line.
fn indent_width(n: i64) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX)
}

pub(super) fn stringify_json(p: &Props) -> Result<Emitted, String> {
    let text = dumps(
        p.get("data"),
        Some(indent_width(p.int("indent"))),
        p.max_len,
    )?;
    one(Value::String(text))
}

pub(super) fn filter_json(p: &Props) -> Result<Emitted, String> {
    let key = p.str("key");
    let want = p.get("value");
    let mut out = Vec::new();
    for item in p.list("array") {
        let Value::Object(m) = item else {
            return Err(format!(
                "property 'array' must hold objects, got {}",
                type_name(item)
            ));
        };
        if py_eq(m.get(key).unwrap_or(&Value::Null), want) {
            out.push(item.clone());
        }
    }
    one(Value::Array(out))
}

/// Replaces every `from` in `text`, refusing a result longer than `max` before building it.
fn replace_bounded(text: &str, from: &str, to: &str, max: usize) -> Result<String, String> {
    let hits = text.matches(from).count();
    let grow = to.len().saturating_sub(from.len());
    too_long(text.len().saturating_add(hits.saturating_mul(grow)), max)?;
    Ok(text.replace(from, to))
}

pub(super) fn json_template(p: &Props) -> Result<Emitted, String> {
    let mut result = p.str("template").to_string();
    for (key, value) in p.dict("values").into_iter().flatten() {
        let json_value = dumps(value, None, p.max_len)?;
        // A placeholder that is a whole JSON string becomes the value itself...
        let quoted = format!("\"${key}\"");
        if result.contains(&quoted) {
            result = replace_bounded(&result, &quoted, &json_value, p.max_len)?;
        }
        // ...and one inside a string gets the value's escaped text without quotes.
        let inner = match value {
            Value::String(_) => &json_value[1..json_value.len() - 1],
            _ => json_value.as_str(),
        };
        result = replace_bounded(&result, &format!("${key}"), inner, p.max_len)?;
    }
    match loads(&result) {
        Ok(v @ Value::Object(_)) => one(v),
        Ok(other) => Err(format!(
            "Resulting JSON must be a dictionary: {}",
            py_str(&other)
        )),
        Err(e) => Err(format!("Resulting JSON is invalid: {e} \n {result}")),
    }
}
