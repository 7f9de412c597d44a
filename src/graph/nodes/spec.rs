//! The node model: how the engine drives a node, its operations, declared properties and
//! outputs, and the typed view of its properties when it runs.

use serde_json::{Map, Value};

use crate::graph::value::{Kind, Num, as_num};

/// How the engine drives a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Emits its `value` once; `params[data.name]` overrides it.
    Input,
    /// Emits its `value` once.
    Constant,
    /// Records every value it receives under `data.name`; falls back to its own `value`.
    Output,
    /// Editor furniture: never runs, never connects.
    Ignored,
    /// Accepts values and does nothing with them (NodeTool shows them in the editor).
    Preview,
    /// Emits `output` and `index` once per item of `input_list`.
    ForEach,
    /// Gathers `input_item` values until its inputs end, then emits them as a list.
    Collect,
    /// The same, joined with `separator` (`nodetool.text.Collect`).
    CollectText,
    /// A function of its properties, run each time its inputs change.
    Op(Op),
    /// One chat completion from the configured provider (`nodetool.agents.Agent`): emits the
    /// answer on `text` (and, whole, on `chunk`, where NodeTool streams it).
    Chat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Concat,
    Join,
    FormatText,
    Template,
    Replace,
    Split,
    Upper,
    Lower,
    Length,
    Contains,
    Slice,
    ParseJson,
    ToString,
    StartsWith,
    EndsWith,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulus,
    Power,
    Sqrt,
    Sine,
    Cosine,
    MathFunction,
    Compare,
    LogicalOperator,
    Not,
    ConditionalSwitch,
    IsNone,
    IsIn,
    All,
    Some,
    If,
    Reroute,
}

/// A property: name, type, default as JSON text.
pub type Prop = (&'static str, Kind, &'static str);

#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub behaviour: Behaviour,
    pub props: &'static [Prop],
    pub outputs: &'static [&'static str],
    /// Dynamic nodes take extra properties by any name (NodeTool's `_is_dynamic`).
    pub dynamic: bool,
}

pub(crate) const OUT: &[&str] = &["output"];
pub(crate) const NUM_AB: &[Prop] = &[("a", Kind::Number, "0.0"), ("b", Kind::Number, "0.0")];
pub(crate) const NUM_AB_DIV: &[Prop] = &[("a", Kind::Number, "0.0"), ("b", Kind::Number, "1.0")];
pub(crate) const TEXT: &[Prop] = &[("text", Kind::Str, "\"\"")];

pub(crate) const fn op(op: Op, props: &'static [Prop]) -> Spec {
    Spec {
        behaviour: Behaviour::Op(op),
        props,
        outputs: OUT,
        dynamic: false,
    }
}

pub(crate) const fn source(behaviour: Behaviour, value: Kind) -> Spec {
    // The value is typed per node type; the name, description and label are metadata.
    let props: &'static [Prop] = match value {
        Kind::Str => &[("value", Kind::Str, "\"\"")],
        Kind::Int => &[("value", Kind::Int, "0")],
        Kind::Float => &[("value", Kind::Float, "0.0")],
        Kind::Bool => &[("value", Kind::Bool, "false")],
        Kind::List => &[("value", Kind::List, "[]")],
        Kind::Dict => &[("value", Kind::Dict, "{}")],
        Kind::Number | Kind::Any => &[("value", Kind::Any, "null")],
    };
    Spec {
        behaviour,
        props,
        outputs: OUT,
        dynamic: false,
    }
}

/// The declared type of property `name`, if declared.
pub fn prop_kind(spec: &Spec, name: &str) -> Option<Kind> {
    spec.props
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, k, _)| *k)
}

/// A node's properties at the moment it runs, already converted to their declared types.
pub struct Props<'a> {
    pub values: &'a Map<String, Value>,
    pub dynamic: &'a [String],
    /// Longest text a node may build; checked before building, not after.
    pub max_len: usize,
}

impl Props<'_> {
    pub(crate) fn get(&self, name: &str) -> &Value {
        self.values.get(name).unwrap_or(&Value::Null)
    }
    pub(crate) fn str(&self, name: &str) -> &str {
        self.get(name).as_str().unwrap_or_default()
    }
    pub(crate) fn num(&self, name: &str) -> Num {
        as_num(self.get(name)).unwrap_or(Num::Int(0))
    }
    pub(crate) fn int(&self, name: &str) -> i64 {
        self.get(name).as_i64().unwrap_or_default()
    }
    pub(crate) fn bool(&self, name: &str) -> bool {
        self.get(name).as_bool().unwrap_or_default()
    }
    pub(crate) fn list(&self, name: &str) -> &[Value] {
        self.get(name).as_array().map(Vec::as_slice).unwrap_or(&[])
    }
}

/// What one run of a node produced: `(output handle, value)` pairs.
pub type Emitted = Vec<(&'static str, Value)>;

pub(crate) fn one(v: Value) -> Result<Emitted, String> {
    Ok(vec![("output", v)])
}

pub(crate) fn num_out(n: Num) -> Result<Emitted, String> {
    one(n.to_value()?)
}

pub(crate) fn float_out(f: f64) -> Result<Emitted, String> {
    num_out(Num::Float(f))
}
