//! A JSON document with objects in document order, as Python's dicts keep them.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};
use std::collections::HashMap;

/// A JSON document with objects in document order, as Python's dicts keep them (the
/// engine's own objects are sorted by key, which would reorder `$.*`).
pub enum Doc {
    Null,
    Bool(bool),
    Num(Number),
    Str(String),
    List(Vec<Doc>),
    Obj(Vec<(String, Doc)>),
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Doc, E> {
        Ok(Doc::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Doc, E> {
        Ok(Doc::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Doc, E> {
        Ok(Doc::Num(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Doc, E> {
        Number::from_f64(v)
            .map(Doc::Num)
            .ok_or_else(|| E::custom("the number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Doc, E> {
        Ok(Doc::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Doc, E> {
        Ok(Doc::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }
    fn visit_none<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        // A repeated key keeps its first place and its last value, as in a Python dict.
        let mut pairs: Vec<(String, Doc)> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        while let Some((k, v)) = map.next_entry::<String, Doc>()? {
            match at.get(&k) {
                Some(&i) => pairs[i].1 = v,
                None => {
                    at.insert(k.clone(), pairs.len());
                    pairs.push((k, v));
                }
            }
        }
        Ok(Doc::Obj(pairs))
    }
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Doc, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

pub(super) static NULL: Doc = Doc::Null;

impl Doc {
    pub(super) fn to_value(&self) -> Value {
        match self {
            Doc::Null => Value::Null,
            Doc::Bool(b) => Value::Bool(*b),
            Doc::Num(n) => Value::Number(n.clone()),
            Doc::Str(s) => Value::String(s.clone()),
            Doc::List(items) => Value::Array(items.iter().map(Doc::to_value).collect()),
            Doc::Obj(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// Rough serialized size, counted only up to `cap`.
    pub(super) fn size(&self, cap: usize) -> usize {
        match self {
            Doc::Null | Doc::Bool(_) | Doc::Num(_) => 8,
            Doc::Str(s) => s.len() + 2,
            Doc::List(items) => items
                .iter()
                .fold(2, |n, d| if n > cap { n } else { n + 1 + d.size(cap - n) }),
            Doc::Obj(pairs) => pairs.iter().fold(2, |n, (k, d)| {
                if n > cap {
                    n
                } else {
                    n + k.len() + 4 + d.size(cap - n)
                }
            }),
        }
    }
}
