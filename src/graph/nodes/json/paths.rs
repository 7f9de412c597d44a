//! The `GetJSONPath*` nodes, and Python's conversions as they apply them.

use serde_json::Value;

use crate::graph::nodes::pyjson::dict::{PyDict, py_type};
use crate::graph::nodes::pyjson::numbers::{py_float_text, py_int_text};
use crate::graph::nodes::spec::{Emitted, Props, one};
use crate::graph::value::{Num, py_repr, py_str, truthy};

/// Longest list a node may build (the engine refuses longer outputs anyway; this refuses them
/// before the memory is spent).
const MAX_ITEMS: usize = 100_000;

/// The name Python's error messages give a value's type.
fn iterable_error(v: &Value) -> String {
    format!("'{}' object is not iterable", py_type(v))
}

/// Python's `int(v)`.
pub(crate) fn py_int(v: &Value) -> Result<Value, String> {
    match v {
        Value::Bool(b) => Ok(Value::from(i64::from(*b))),
        Value::Number(n) if !n.is_f64() => Ok(v.clone()),
        Value::Number(n) => {
            let t = n.as_f64().unwrap_or(0.0).trunc();
            if t.abs() < 9_223_372_036_854_775_808.0 {
                Ok(Value::from(t as i64))
            } else {
                Err("integer overflow: the value does not fit in 64 bits".into())
            }
        }
        Value::String(s) => {
            let n = py_int_text(s)
                .ok_or_else(|| format!("invalid literal for int() with base 10: {}", py_repr(v)))?;
            i64::try_from(n)
                .map(Value::from)
                .map_err(|_| "integer overflow: the value does not fit in 64 bits".into())
        }
        _ => Err(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            py_type(v)
        )),
    }
}

/// Python's `float(v)`.
pub(crate) fn py_float_of(v: &Value) -> Result<Value, String> {
    let f = match v {
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => py_float_text(s)
            .ok_or_else(|| format!("could not convert string to float: {}", py_repr(v)))?,
        _ => {
            return Err(format!(
                "float() argument must be a string or a real number, not '{}'",
                py_type(v)
            ));
        }
    };
    Num::Float(f).to_value()
}

/// Python's `list(v)`: a list's items, a dict's keys, a string's characters.
fn py_list(v: &Value) -> Result<Value, String> {
    match v {
        Value::Array(_) => Ok(v.clone()),
        Value::Object(m) => Ok(m.keys().map(|k| Value::String(k.clone())).collect()),
        Value::String(s) => {
            if s.chars().nth(MAX_ITEMS).is_some() {
                return Err(format!("the list would exceed {MAX_ITEMS} items"));
            }
            Ok(s.chars().map(|c| Value::String(c.to_string())).collect())
        }
        _ => Err(iterable_error(v)),
    }
}

/// The items of one element of `dict(sequence)`: the element must itself be iterable.
fn pair_items(item: &Value, index: usize) -> Result<Vec<Value>, String> {
    match item {
        Value::Array(a) => Ok(a.clone()),
        Value::String(s) => Ok(s.chars().map(|c| Value::String(c.to_string())).collect()),
        Value::Object(m) => Ok(m.keys().map(|k| Value::String(k.clone())).collect()),
        _ => Err(format!(
            "cannot convert dictionary update sequence element #{index} to a sequence"
        )),
    }
}

/// Python's `dict(v)`: a dict copied, or a sequence of key/value pairs.
fn py_dict(v: &Value) -> Result<Value, String> {
    let items: Vec<Value> = match v {
        Value::Object(_) => return Ok(v.clone()),
        Value::Array(a) => a.clone(),
        Value::String(s) => s.chars().map(|c| Value::String(c.to_string())).collect(),
        _ => return Err(iterable_error(v)),
    };
    let mut out = PyDict::default();
    for (i, item) in items.iter().enumerate() {
        let pair = pair_items(item, i)?;
        let [key, value] = <[Value; 2]>::try_from(pair).map_err(|p| {
            format!(
                "dictionary update sequence element #{i} has length {}; 2 is required",
                p.len()
            )
        })?;
        out.insert(&key, value)?;
    }
    Ok(out.into_value())
}

/// NodeTool's dotted path: dict keys by name, list items by a decimal index; anything else (or a
/// missing step) is `None`, and so is a JSON `null` found on the way.
fn extract<'a>(data: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = data;
    for key in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(key)?,
            Value::Array(a) if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) => {
                a.get(key.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    (!cur.is_null()).then_some(cur)
}

/// Runs a path node: the converted value at the path, or the node's default when there is none.
fn path_node(p: &Props, convert: fn(&Value) -> Result<Value, String>) -> Result<Emitted, String> {
    match extract(p.get("data"), p.str("path")) {
        Some(v) => one(convert(v)?),
        None => one(p.get("default").clone()),
    }
}

pub(super) fn path_str(p: &Props) -> Result<Emitted, String> {
    path_node(p, |v| Ok(Value::String(py_str(v))))
}

pub(super) fn path_int(p: &Props) -> Result<Emitted, String> {
    path_node(p, py_int)
}

pub(super) fn path_float(p: &Props) -> Result<Emitted, String> {
    path_node(p, py_float_of)
}

pub(super) fn path_bool(p: &Props) -> Result<Emitted, String> {
    path_node(p, |v| Ok(Value::Bool(truthy(v))))
}

pub(super) fn path_list(p: &Props) -> Result<Emitted, String> {
    path_node(p, py_list)
}

pub(super) fn path_dict(p: &Props) -> Result<Emitted, String> {
    path_node(p, py_dict)
}
