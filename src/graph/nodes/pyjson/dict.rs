//! Python values as a dict sees them: type names, and keys as Python hashes them.

use std::collections::HashMap;

use serde_json::Value;

use super::encode::number_text;
use crate::graph::value::{Num, as_num};

/// The name Python gives a value's type, as its error messages print it.
pub(crate) fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A Python dict built from keys of any hashable type. Keys Python holds equal (`1`, `1.0`,
/// `True`) are one entry that keeps its first key; the result's keys are the text `json.dumps`
/// writes for them, which is how NodeTool hands such a dict on.
#[derive(Default)]
pub(crate) struct PyDict {
    slots: HashMap<String, usize>,
    entries: Vec<(String, Value)>,
}

impl PyDict {
    pub(crate) fn insert(&mut self, key: &Value, value: Value) -> Result<(), String> {
        let hash = hash_key(key)?;
        match self.slots.get(&hash) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.slots.insert(hash, self.entries.len());
                self.entries.push((json_key(key), value));
            }
        }
        Ok(())
    }

    pub(crate) fn contains(&self, key: &Value) -> Result<bool, String> {
        Ok(self.slots.contains_key(&hash_key(key)?))
    }

    pub(crate) fn into_value(self) -> Value {
        Value::Object(self.entries.into_iter().collect())
    }
}

/// Text equal for keys Python's dict treats as the same key.
fn hash_key(key: &Value) -> Result<String, String> {
    Ok(match key {
        Value::Null => "N".into(),
        Value::String(s) => format!("s{s}"),
        Value::Bool(b) => format!("i{}", u8::from(*b)),
        Value::Number(n) => match (n.as_u64(), as_num(key)) {
            (Some(u), _) => format!("i{u}"),
            (_, Some(Num::Int(i))) => format!("i{i}"),
            (_, Some(Num::Float(f))) if f.fract() == 0.0 && f.abs() < 1.8e19 => {
                format!("i{}", f as i128)
            }
            (_, Some(Num::Float(f))) => format!("f{}", f.to_bits()),
            _ => format!("n{n}"),
        },
        other => return Err(format!("unhashable type: '{}'", py_type(other))),
    })
}

/// The key text `json.dumps` writes for a non-string key.
fn json_key(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_text(n),
        other => other.to_string(),
    }
}
