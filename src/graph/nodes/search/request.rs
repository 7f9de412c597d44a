//! Building a SerpApi request: parameters in NodeTool's order, and its checks of the properties.

use serde_json::Value;

use crate::graph::nodes::serp::{Args, Query};
use crate::graph::value::{as_num, py_float, py_repr, type_name};

/// A request being built. Setting a parameter twice keeps its first place, as a Python dict
/// does, so the order is NodeTool's.
pub(super) struct Request(Query);

impl Request {
    pub(super) fn new(engine: &'static str) -> Self {
        Request(vec![("engine", engine.to_string())])
    }

    pub(super) fn set(mut self, key: &'static str, value: impl Into<String>) -> Self {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
        self
    }

    pub(super) fn set_if(self, cond: bool, key: &'static str, value: impl Into<String>) -> Self {
        if cond { self.set(key, value) } else { self }
    }

    /// Sets a text property's value unless it is empty.
    pub(super) fn text(self, key: &'static str, a: &Args, prop: &str) -> Self {
        let v = a.str(prop);
        self.set_if(!v.is_empty(), key, v)
    }

    pub(super) fn remove(mut self, key: &str) -> Self {
        self.0.retain(|(k, _)| *k != key);
        self
    }

    /// The provider's own methods send exactly what they set.
    pub(super) fn sent(self) -> Result<Query, String> {
        Ok(self.0)
    }

    /// The provider's generic method: language and country default to English and the US.
    pub(super) fn raw(self) -> Result<Query, String> {
        let mut q = self.0;
        for (k, v) in [("hl", "en"), ("gl", "us")] {
            if !q.iter().any(|(key, _)| *key == k) {
                q.push((k, v.to_string()));
            }
        }
        Ok(q)
    }
}

pub(super) fn need(ok: bool, message: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message.to_string()) }
}

/// An optional number (`float | None`) as Python writes it into a query (`10.0`).
pub(super) fn opt_float(a: &Args, name: &str) -> Result<Option<String>, String> {
    match a.get(name) {
        Value::Null => Ok(None),
        v => as_num(v)
            .map(|n| Some(py_float(n.as_f64())))
            .ok_or_else(|| format!("property '{name}' must be a number, got {}", type_name(v))),
    }
}

/// An enumerated property's value, or the error NodeTool gives when converting another one.
pub(super) fn choice<'a>(
    a: &'a Args,
    name: &str,
    options: &[&str],
    class: &str,
) -> Result<&'a str, String> {
    let v = a.str(name);
    if options.contains(&v) {
        return Ok(v);
    }
    let shown = py_repr(a.get(name));
    let shown: String = if shown.chars().count() > 200 {
        shown.chars().take(200).chain("...".chars()).collect()
    } else {
        shown
    };
    Err(format!(
        "Error converting value for property `{name}`: {shown} is not a valid {class}"
    ))
}

/// A request for nodes that send one required text property as one parameter, with
/// `num_results` as another (or not at all), through the generic method.
macro_rules! query_raw {
    ($name:ident, $engine:literal, $q:literal $(, $num:literal)?) => {
        fn $name(a: &Args) -> Result<Query, String> {
            need(!a.str("query").is_empty(), "Query is required")?;
            Request::new($engine)
                .set($q, a.str("query"))
                $(.set($num, a.int("num_results").to_string()))?
                .raw()
        }
    };
}

pub(super) use query_raw;
