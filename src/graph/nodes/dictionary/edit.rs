//! The dictionary nodes that build, edit and convert whole dicts.

use serde_json::{Map, Value};

use super::yaml::yaml_dump;
use crate::graph::nodes::pyjson::decode::loads;
use crate::graph::nodes::pyjson::dict::PyDict;
use crate::graph::nodes::pyjson::encode::dumps;
use crate::graph::nodes::pyjson::numbers::num_order;
use crate::graph::nodes::spec::{Emitted, Props, one};
use crate::graph::value::{Num, as_num, py_str, type_name};

fn dict_prop(p: &Props, name: &str) -> Map<String, Value> {
    p.dict(name).cloned().unwrap_or_default()
}

pub(super) fn get_value(p: &Props) -> Result<Emitted, String> {
    let found = p.dict("dictionary").and_then(|d| d.get(p.str("key")));
    one(found.unwrap_or(p.get("default")).clone())
}

pub(super) fn update(p: &Props) -> Result<Emitted, String> {
    let mut d = dict_prop(p, "dictionary");
    d.extend(dict_prop(p, "new_pairs"));
    one(Value::Object(d))
}

pub(super) fn remove(p: &Props) -> Result<Emitted, String> {
    let mut d = dict_prop(p, "dictionary");
    d.remove(p.str("key"));
    one(Value::Object(d))
}

pub(super) fn parse_json(p: &Props) -> Result<Emitted, String> {
    match loads(p.str("json_string"))? {
        v @ Value::Object(_) => one(v),
        _ => Err("Input JSON is not a dictionary".into()),
    }
}

pub(super) fn zip(p: &Props) -> Result<Emitted, String> {
    let mut out = PyDict::default();
    for (k, v) in p.list("keys").iter().zip(p.list("values")) {
        out.insert(k, v.clone())?;
    }
    one(out.into_value())
}

pub(super) fn combine(p: &Props) -> Result<Emitted, String> {
    let mut d = dict_prop(p, "dict_a");
    d.extend(dict_prop(p, "dict_b"));
    one(Value::Object(d))
}

pub(super) fn filter(p: &Props) -> Result<Emitted, String> {
    let d = p.dict("dictionary");
    let mut out = Map::new();
    for key in p.list("keys") {
        let Value::String(key) = key else {
            return Err(format!(
                "property 'keys' must hold strings, got {}",
                type_name(key)
            ));
        };
        if let Some(v) = d.and_then(|d| d.get(key)) {
            out.insert(key.clone(), v.clone());
        }
    }
    one(Value::Object(out))
}

pub(super) fn reduce_dictionaries(p: &Props) -> Result<Emitted, String> {
    let policy = p.str("conflict_resolution");
    if !matches!(policy, "first" | "last" | "error") {
        return Err(format!("unsupported conflict_resolution '{policy}'"));
    }
    let (key_field, value_field) = (p.str("key_field"), p.str("value_field"));
    let mut result = PyDict::default();
    for item in p.list("dictionaries") {
        let Value::Object(d) = item else {
            return Err(format!(
                "property 'dictionaries' must hold objects, got {}",
                type_name(item)
            ));
        };
        let key = d
            .get(key_field)
            .ok_or_else(|| format!("Key field '{key_field}' not found in dictionary"))?;
        let value = if value_field.is_empty() {
            let mut rest = d.clone();
            rest.remove(key_field);
            Value::Object(rest)
        } else {
            d.get(value_field)
                .cloned()
                .ok_or_else(|| format!("Value field '{value_field}' not found in dictionary"))?
        };
        if result.contains(key)? {
            match policy {
                "first" => continue,
                "last" => {}
                _ => return Err(format!("Duplicate key found: {}", py_str(key))),
            }
        }
        result.insert(key, value)?;
    }
    one(result.into_value())
}

pub(super) fn make_dictionary(p: &Props) -> Result<Emitted, String> {
    let d: Map<String, Value> = p
        .dynamic
        .iter()
        .map(|name| (name.clone(), p.get(name).clone()))
        .collect();
    one(Value::Object(d))
}

pub(super) fn arg_max(p: &Props) -> Result<Emitted, String> {
    let mut best: Option<(&String, Num)> = None;
    for (label, score) in p.dict("scores").into_iter().flatten() {
        let n = as_num(score).ok_or_else(|| {
            format!(
                "property 'scores' must hold numbers, got {}",
                type_name(score)
            )
        })?;
        // The first of equal maxima wins, as Python's max() keeps it.
        let better = best.is_none_or(|(_, b)| num_order(n, b) == Some(std::cmp::Ordering::Greater));
        if better {
            best = Some((label, n));
        }
    }
    match best {
        Some((label, _)) => one(Value::String(label.clone())),
        None => Err("Input dictionary cannot be empty".into()),
    }
}

pub(super) fn to_json(p: &Props) -> Result<Emitted, String> {
    let d = Value::Object(dict_prop(p, "dictionary"));
    one(Value::String(dumps(&d, None, p.max_len)?))
}

pub(super) fn to_yaml(p: &Props) -> Result<Emitted, String> {
    let d = Value::Object(dict_prop(p, "dictionary"));
    one(Value::String(yaml_dump(&d, p.max_len)?))
}
