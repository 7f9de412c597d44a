//! The built-in node types: their type strings (reference 6.4), declared properties with
//! defaults, output handles, and what each computes. Semantics follow NodeTool's Python nodes,
//! including Python's arithmetic (`7 // -2`-style modulo, `/` always a float).

use serde_json::{Map, Value, json};

use super::template;
use super::value::{
    Kind, Num, as_num, coerce, py_eq, py_repr, py_str, splitlines, too_long, truthy, type_name,
};

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

const OUT: &[&str] = &["output"];
const NUM_AB: &[Prop] = &[("a", Kind::Number, "0.0"), ("b", Kind::Number, "0.0")];
const NUM_AB_DIV: &[Prop] = &[("a", Kind::Number, "0.0"), ("b", Kind::Number, "1.0")];
const TEXT: &[Prop] = &[("text", Kind::Str, "\"\"")];

const fn op(op: Op, props: &'static [Prop]) -> Spec {
    Spec {
        behaviour: Behaviour::Op(op),
        props,
        outputs: OUT,
        dynamic: false,
    }
}

const fn source(behaviour: Behaviour, value: Kind) -> Spec {
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

/// The spec for a type string, or `None` for a type we do not implement.
pub fn spec(ty: &str) -> Option<Spec> {
    if let Some(name) = ty.strip_prefix("nodetool.constant.") {
        let kind = match name {
            "String" | "Select" => Kind::Str,
            "Integer" => Kind::Int,
            "Float" => Kind::Float,
            "Bool" => Kind::Bool,
            "List" | "TextList" => Kind::List,
            "Dict" => Kind::Dict,
            "JSON" | "Image" | "Audio" | "Video" | "Document" | "DataFrame" | "Model3D" => {
                Kind::Any
            }
            _ => return None,
        };
        return Some(source(Behaviour::Constant, kind));
    }
    if let Some(name) = ty.strip_prefix("nodetool.input.") {
        let kind = match name {
            "StringInput" | "SelectInput" => Kind::Str,
            "IntegerInput" => Kind::Int,
            "FloatInput" => Kind::Float,
            "BooleanInput" => Kind::Bool,
            "StringListInput" => Kind::List,
            "ImageInput" | "AudioInput" | "VideoInput" | "DocumentInput" => Kind::Any,
            _ => return None,
        };
        return Some(source(Behaviour::Input, kind));
    }
    if ty.starts_with("nodetool.output.") {
        return Some(output_spec());
    }
    if let Some(name) = ty.strip_prefix("nodetool.workflows.test_helper.") {
        return match name {
            "StringInput" => Some(source(Behaviour::Input, Kind::Str)),
            "FloatInput" => Some(source(Behaviour::Input, Kind::Float)),
            "IntInput" => Some(source(Behaviour::Input, Kind::Int)),
            "FormatText" => Some(Spec {
                behaviour: Behaviour::Op(Op::FormatText),
                props: &[
                    ("template", Kind::Str, "\"Hello, {{ text }}\""),
                    ("text", Kind::Str, "\"\""),
                ],
                outputs: OUT,
                dynamic: false,
            }),
            n if n.ends_with("Output") => Some(output_spec()),
            _ => None,
        };
    }
    if let Some(name) = ty
        .strip_prefix("lib.math.")
        .or_else(|| ty.strip_prefix("nodetool.math."))
    {
        return math_spec(name);
    }
    if let Some(name) = ty.strip_prefix("nodetool.text.") {
        return text_spec(name);
    }
    if let Some(name) = ty.strip_prefix("nodetool.boolean.") {
        return boolean_spec(name);
    }
    if let Some(name) = ty.strip_prefix("nodetool.control.") {
        return control_spec(name);
    }
    match ty {
        "nodetool.workflows.base_node.Comment" => Some(Spec {
            behaviour: Behaviour::Ignored,
            props: &[],
            outputs: &[],
            dynamic: true,
        }),
        "nodetool.agents.Agent" => Some(Spec {
            behaviour: Behaviour::Chat,
            props: &[
                ("model", Kind::Any, "null"),
                ("system", Kind::Str, "\"You are a helpful assistant.\""),
                ("prompt", Kind::Str, "\"\""),
                ("history", Kind::List, "[]"),
                ("max_tokens", Kind::Int, "8192"),
                ("image", Kind::Any, "null"),
                ("audio", Kind::Any, "null"),
                ("tools", Kind::List, "[]"),
            ],
            outputs: &["text", "chunk"],
            dynamic: false,
        }),
        "nodetool.workflows.base_node.Preview" => Some(Spec {
            behaviour: Behaviour::Preview,
            props: &[("value", Kind::Any, "null"), ("name", Kind::Str, "\"\"")],
            outputs: &[],
            dynamic: false,
        }),
        _ => None,
    }
}

fn output_spec() -> Spec {
    Spec {
        behaviour: Behaviour::Output,
        props: &[("value", Kind::Any, "null")],
        outputs: OUT,
        // Older typed outputs and NodeTool's own graphs connect to `value`; accept any handle.
        dynamic: true,
    }
}

fn math_spec(name: &str) -> Option<Spec> {
    Some(match name {
        "Add" => op(Op::Add, NUM_AB),
        "Subtract" => op(Op::Subtract, NUM_AB),
        "Multiply" => op(Op::Multiply, NUM_AB),
        "Divide" => op(Op::Divide, NUM_AB_DIV),
        "Modulus" => op(Op::Modulus, NUM_AB_DIV),
        "Power" => op(
            Op::Power,
            &[
                ("base", Kind::Number, "0.0"),
                ("exponent", Kind::Number, "1.0"),
            ],
        ),
        "Sqrt" => op(Op::Sqrt, &[("x", Kind::Number, "0.0")]),
        "Sine" => op(Op::Sine, &[("angle_rad", Kind::Number, "0.0")]),
        "Cosine" => op(Op::Cosine, &[("angle_rad", Kind::Number, "0.0")]),
        "MathFunction" => op(
            Op::MathFunction,
            &[
                ("input", Kind::Number, "0.0"),
                ("operation", Kind::Str, "\"negate\""),
            ],
        ),
        _ => return None,
    })
}

fn text_spec(name: &str) -> Option<Spec> {
    Some(match name {
        "Concat" => op(
            Op::Concat,
            &[("a", Kind::Str, "\"\""), ("b", Kind::Str, "\"\"")],
        ),
        "Join" => op(
            Op::Join,
            &[
                ("strings", Kind::List, "[]"),
                ("separator", Kind::Str, "\"\""),
            ],
        ),
        "FormatText" => Spec {
            dynamic: true,
            ..op(Op::FormatText, &[("template", Kind::Str, "\"\"")])
        },
        "Template" => Spec {
            dynamic: true,
            ..op(
                Op::Template,
                &[("string", Kind::Str, "\"\""), ("values", Kind::Any, "{}")],
            )
        },
        "Replace" => op(
            Op::Replace,
            &[
                ("text", Kind::Str, "\"\""),
                ("old", Kind::Str, "\"\""),
                ("new", Kind::Str, "\"\""),
            ],
        ),
        "Split" => op(
            Op::Split,
            &[
                ("text", Kind::Str, "\"\""),
                ("delimiter", Kind::Str, "\",\""),
            ],
        ),
        "ToUppercase" => op(Op::Upper, TEXT),
        "ToLowercase" => op(Op::Lower, TEXT),
        "Length" => op(
            Op::Length,
            &[
                ("text", Kind::Str, "\"\""),
                ("measure", Kind::Str, "\"characters\""),
                ("trim_whitespace", Kind::Bool, "false"),
            ],
        ),
        "Contains" => op(
            Op::Contains,
            &[
                ("text", Kind::Str, "\"\""),
                ("substring", Kind::Str, "\"\""),
                ("search_values", Kind::List, "[]"),
                ("case_sensitive", Kind::Bool, "true"),
                ("match_mode", Kind::Str, "\"any\""),
            ],
        ),
        "Slice" => op(
            Op::Slice,
            &[
                ("text", Kind::Str, "\"\""),
                ("start", Kind::Int, "0"),
                ("stop", Kind::Int, "0"),
                ("step", Kind::Int, "1"),
            ],
        ),
        "ParseJSON" => op(Op::ParseJson, TEXT),
        "ToString" => op(
            Op::ToString,
            &[("value", Kind::Any, "[]"), ("mode", Kind::Str, "\"str\"")],
        ),
        "StartsWith" => op(
            Op::StartsWith,
            &[("text", Kind::Str, "\"\""), ("prefix", Kind::Str, "\"\"")],
        ),
        "EndsWith" => op(
            Op::EndsWith,
            &[("text", Kind::Str, "\"\""), ("suffix", Kind::Str, "\"\"")],
        ),
        "Collect" => Spec {
            behaviour: Behaviour::CollectText,
            props: &[
                ("input_item", Kind::Str, "\"\""),
                ("separator", Kind::Str, "\"\""),
            ],
            outputs: OUT,
            dynamic: false,
        },
        _ => return None,
    })
}

fn boolean_spec(name: &str) -> Option<Spec> {
    Some(match name {
        "Compare" => op(
            Op::Compare,
            &[
                ("a", Kind::Number, "0"),
                ("b", Kind::Number, "0"),
                ("comparison", Kind::Str, "\"==\""),
            ],
        ),
        "LogicalOperator" => op(
            Op::LogicalOperator,
            &[
                ("a", Kind::Bool, "false"),
                ("b", Kind::Bool, "false"),
                ("operation", Kind::Str, "\"and\""),
            ],
        ),
        "Not" => op(Op::Not, &[("value", Kind::Bool, "false")]),
        "ConditionalSwitch" => op(
            Op::ConditionalSwitch,
            &[
                ("condition", Kind::Bool, "false"),
                ("if_true", Kind::Any, "[]"),
                ("if_false", Kind::Any, "[]"),
            ],
        ),
        "IsNone" => op(Op::IsNone, &[("value", Kind::Any, "[]")]),
        "IsIn" => op(
            Op::IsIn,
            &[("value", Kind::Any, "[]"), ("options", Kind::List, "[]")],
        ),
        "All" => op(Op::All, &[("values", Kind::List, "[]")]),
        "Some" => op(Op::Some, &[("values", Kind::List, "[]")]),
        _ => return None,
    })
}

fn control_spec(name: &str) -> Option<Spec> {
    Some(match name {
        "If" => Spec {
            behaviour: Behaviour::Op(Op::If),
            props: &[
                ("condition", Kind::Bool, "false"),
                ("value", Kind::Any, "[]"),
            ],
            outputs: &["if_true", "if_false"],
            dynamic: false,
        },
        "Reroute" => op(Op::Reroute, &[("input_value", Kind::Any, "[]")]),
        "ForEach" => Spec {
            behaviour: Behaviour::ForEach,
            props: &[("input_list", Kind::List, "[]")],
            outputs: &["output", "index"],
            dynamic: false,
        },
        "Collect" => Spec {
            behaviour: Behaviour::Collect,
            props: &[("input_item", Kind::Any, "[]")],
            outputs: OUT,
            dynamic: false,
        },
        _ => return None,
    })
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
    fn get(&self, name: &str) -> &Value {
        self.values.get(name).unwrap_or(&Value::Null)
    }
    fn str(&self, name: &str) -> &str {
        self.get(name).as_str().unwrap_or_default()
    }
    fn num(&self, name: &str) -> Num {
        as_num(self.get(name)).unwrap_or(Num::Int(0))
    }
    fn int(&self, name: &str) -> i64 {
        self.get(name).as_i64().unwrap_or_default()
    }
    fn bool(&self, name: &str) -> bool {
        self.get(name).as_bool().unwrap_or_default()
    }
    fn list(&self, name: &str) -> &[Value] {
        self.get(name).as_array().map(Vec::as_slice).unwrap_or(&[])
    }
}

/// What one run of a node produced: `(output handle, value)` pairs.
pub type Emitted = Vec<(&'static str, Value)>;

fn one(v: Value) -> Result<Emitted, String> {
    Ok(vec![("output", v)])
}

fn num_out(n: Num) -> Result<Emitted, String> {
    one(n.to_value()?)
}

fn float_out(f: f64) -> Result<Emitted, String> {
    num_out(Num::Float(f))
}

const DOMAIN: &str = "math domain error";

fn int_op(a: i64, b: i64, f: fn(i64, i64) -> Option<i64>) -> Result<Num, String> {
    f(a, b)
        .map(Num::Int)
        .ok_or_else(|| "integer overflow".to_string())
}

/// Python's `%`: the result takes the divisor's sign.
fn py_mod(a: Num, b: Num) -> Result<Num, String> {
    match (a, b) {
        (Num::Int(_), Num::Int(0)) => Err("integer modulo by zero".into()),
        (Num::Int(x), Num::Int(y)) => int_op(x, y, |x, y| {
            let r = x.checked_rem(y)?;
            Some(if r != 0 && ((r < 0) != (y < 0)) {
                r + y
            } else {
                r
            })
        }),
        _ => {
            let (x, y) = (a.as_f64(), b.as_f64());
            if y == 0.0 {
                return Err("float modulo by zero".into());
            }
            let mut r = x % y;
            if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                r += y;
            }
            Ok(Num::Float(r))
        }
    }
}

fn arith(a: Num, b: Num, op: Op) -> Result<Num, String> {
    if let (Num::Int(x), Num::Int(y)) = (a, b) {
        return match op {
            Op::Add => int_op(x, y, i64::checked_add),
            Op::Subtract => int_op(x, y, i64::checked_sub),
            _ => int_op(x, y, i64::checked_mul),
        };
    }
    let (x, y) = (a.as_f64(), b.as_f64());
    Ok(Num::Float(match op {
        Op::Add => x + y,
        Op::Subtract => x - y,
        _ => x * y,
    }))
}

fn domain(ok: bool, f: f64) -> Result<Emitted, String> {
    if ok { float_out(f) } else { Err(DOMAIN.into()) }
}

fn math_function(x: Num, operation: &str) -> Result<Emitted, String> {
    let f = x.as_f64();
    match operation {
        "negate" => num_out(match x {
            Num::Int(i) => Num::Int(i.checked_neg().ok_or("integer overflow")?),
            Num::Float(f) => Num::Float(-f),
        }),
        "absolute" => num_out(match x {
            Num::Int(i) => Num::Int(i.checked_abs().ok_or("integer overflow")?),
            Num::Float(f) => Num::Float(f.abs()),
        }),
        "square" => num_out(arith(x, x, Op::Multiply)?),
        "cube" => num_out(arith(arith(x, x, Op::Multiply)?, x, Op::Multiply)?),
        "square_root" => domain(f >= 0.0, f.sqrt()),
        "cube_root" => float_out(f.abs().powf(1.0 / 3.0).copysign(f)),
        "sine" => float_out(f.sin()),
        "cosine" => float_out(f.cos()),
        "tangent" => float_out(f.tan()),
        "arcsin" => domain((-1.0..=1.0).contains(&f), f.asin()),
        "arccos" => domain((-1.0..=1.0).contains(&f), f.acos()),
        "arctan" => float_out(f.atan()),
        "log" => domain(f > 0.0, f.ln()),
        other => Err(format!("unsupported operation '{other}'")),
    }
}

/// Python's slice of a sequence of length `len`: the indices `s[start:stop:step]` selects.
pub fn py_slice_indices(
    len: usize,
    start: i64,
    stop: i64,
    step: i64,
) -> Result<Vec<usize>, String> {
    if step == 0 {
        return Err("slice step cannot be zero".into());
    }
    let len = len as i64;
    let clamp = |i: i64, lo: i64, hi: i64| {
        let i = if i < 0 { i + len } else { i };
        i.clamp(lo, hi)
    };
    let mut out = Vec::new();
    if step > 0 {
        let (mut i, stop) = (clamp(start, 0, len), clamp(stop, 0, len));
        while i < stop {
            out.push(i as usize);
            i += step;
        }
    } else {
        let (mut i, stop) = (clamp(start, -1, len - 1), clamp(stop, -1, len - 1));
        while i > stop {
            out.push(i as usize);
            i += step;
        }
    }
    Ok(out)
}

fn contains(p: &Props) -> Result<Emitted, String> {
    let search = p.list("search_values");
    let targets: Vec<String> = if search.is_empty() {
        vec![p.str("substring").to_string()]
    } else {
        search
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "property 'search_values' must hold strings, got {}",
                    type_name(other)
                )),
            })
            .collect::<Result<_, _>>()?
    };
    let case = p.bool("case_sensitive");
    let norm = |s: &str| {
        if case {
            s.to_string()
        } else {
            s.to_lowercase()
        }
    };
    let hay = norm(p.str("text"));
    let mut hits = targets.iter().map(|t| hay.contains(&norm(t)));
    let result = match p.str("match_mode") {
        "all" => hits.all(|h| h),
        "none" => hits.all(|h| !h),
        "any" => hits.any(|h| h),
        other => return Err(format!("unsupported match_mode '{other}'")),
    };
    one(Value::Bool(result))
}

fn length(p: &Props) -> Result<Emitted, String> {
    let trim = p.bool("trim_whitespace");
    let text = if trim {
        p.str("text").trim()
    } else {
        p.str("text")
    };
    let n = match p.str("measure") {
        "characters" => text.chars().count(),
        "words" => text.split_whitespace().count(),
        "lines" => splitlines(text)
            .into_iter()
            .filter(|l| !l.is_empty() || !trim)
            .count(),
        other => return Err(format!("unsupported measure '{other}'")),
    };
    one(json!(n))
}

/// Runs an `Op` node on its (already typed) properties.
pub fn compute(op: Op, p: &Props) -> Result<Emitted, String> {
    match op {
        Op::Concat => one(Value::String(format!("{}{}", p.str("a"), p.str("b")))),
        Op::Join => {
            let sep = p.str("separator");
            let mut out = String::new();
            for (i, item) in p.list("strings").iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                out.push_str(&py_str(item));
                too_long(out.len(), p.max_len)?;
            }
            one(Value::String(out))
        }
        Op::FormatText => {
            let mut vars = Map::new();
            for name in p.dynamic {
                vars.insert(name.clone(), p.get(name).clone());
            }
            if p.values.contains_key("text") && p.dynamic.is_empty() {
                // NodeTool's test-helper FormatText: a declared `text` variable.
                vars.insert("text".into(), p.get("text").clone());
            }
            one(Value::String(template::format_text(
                p.str("template"),
                &vars,
                p.max_len,
            )?))
        }
        Op::Template => {
            let mut vars: Vec<(String, Value)> = Vec::new();
            if let Value::Object(values) = p.get("values") {
                vars.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            for name in p.dynamic {
                vars.retain(|(k, _)| k != name);
                vars.push((name.clone(), p.get(name).clone()));
            }
            one(Value::String(template::substitute(
                p.str("string"),
                &vars,
                p.max_len,
            )?))
        }
        Op::Replace => {
            let (text, old, new) = (p.str("text"), p.str("old"), p.str("new"));
            let hits = if old.is_empty() {
                text.chars().count() + 1
            } else {
                text.matches(old).count()
            };
            too_long(
                text.len() + hits.saturating_mul(new.len().saturating_sub(old.len())),
                p.max_len,
            )?;
            one(Value::String(text.replace(old, new)))
        }
        Op::Split => {
            let d = p.str("delimiter");
            if d.is_empty() {
                return Err("empty separator".into());
            }
            one(p.str("text").split(d).map(|s| json!(s)).collect())
        }
        Op::Upper => one(Value::String(p.str("text").to_uppercase())),
        Op::Lower => one(Value::String(p.str("text").to_lowercase())),
        Op::Length => length(p),
        Op::Contains => contains(p),
        Op::Slice => {
            let chars: Vec<char> = p.str("text").chars().collect();
            let idx = py_slice_indices(chars.len(), p.int("start"), p.int("stop"), p.int("step"))?;
            one(Value::String(idx.into_iter().map(|i| chars[i]).collect()))
        }
        Op::ParseJson => serde_json::from_str(p.str("text"))
            .map_err(|e| format!("invalid JSON: {e}"))
            .and_then(one),
        Op::ToString => match p.str("mode") {
            "str" => one(Value::String(py_str(p.get("value")))),
            "repr" => one(Value::String(py_repr(p.get("value")))),
            other => Err(format!("unsupported mode '{other}'")),
        },
        Op::StartsWith => one(Value::Bool(p.str("text").starts_with(p.str("prefix")))),
        Op::EndsWith => one(Value::Bool(p.str("text").ends_with(p.str("suffix")))),
        Op::Add | Op::Subtract | Op::Multiply => num_out(arith(p.num("a"), p.num("b"), op)?),
        Op::Divide => {
            let (a, b) = (p.num("a"), p.num("b"));
            if b.as_f64() == 0.0 {
                return Err(match (a, b) {
                    (Num::Int(_), Num::Int(_)) => "division by zero".into(),
                    _ => "float division by zero".into(),
                });
            }
            float_out(a.as_f64() / b.as_f64())
        }
        Op::Modulus => num_out(py_mod(p.num("a"), p.num("b"))?),
        Op::Power => {
            let (b, e) = (p.num("base").as_f64(), p.num("exponent").as_f64());
            if (b == 0.0 && e < 0.0) || (b < 0.0 && e.fract() != 0.0) {
                return Err(DOMAIN.into());
            }
            let r = b.powf(e);
            if r.is_infinite() {
                return Err("math range error".into());
            }
            float_out(r)
        }
        Op::Sqrt => {
            let x = p.num("x").as_f64();
            domain(x >= 0.0, x.sqrt())
        }
        Op::Sine => float_out(p.num("angle_rad").as_f64().sin()),
        Op::Cosine => float_out(p.num("angle_rad").as_f64().cos()),
        Op::MathFunction => math_function(p.num("input"), p.str("operation")),
        Op::Compare => {
            let (a, b) = (p.num("a"), p.num("b"));
            let ord = match (a, b) {
                (Num::Int(x), Num::Int(y)) => x.partial_cmp(&y),
                _ => a.as_f64().partial_cmp(&b.as_f64()),
            };
            use std::cmp::Ordering::*;
            let r = match p.str("comparison") {
                "==" => ord == Some(Equal),
                "!=" => ord != Some(Equal),
                ">" => ord == Some(Greater),
                "<" => ord == Some(Less),
                ">=" => matches!(ord, Some(Greater | Equal)),
                "<=" => matches!(ord, Some(Less | Equal)),
                other => return Err(format!("unsupported comparison '{other}'")),
            };
            one(Value::Bool(r))
        }
        Op::LogicalOperator => {
            let (a, b) = (p.bool("a"), p.bool("b"));
            let r = match p.str("operation") {
                "and" => a && b,
                "or" => a || b,
                "xor" => a ^ b,
                "nand" => !(a && b),
                "nor" => !(a || b),
                other => return Err(format!("unsupported operation '{other}'")),
            };
            one(Value::Bool(r))
        }
        Op::Not => one(Value::Bool(!p.bool("value"))),
        Op::ConditionalSwitch => one(if p.bool("condition") {
            p.get("if_true").clone()
        } else {
            p.get("if_false").clone()
        }),
        Op::IsNone => one(Value::Bool(p.get("value").is_null())),
        Op::IsIn => {
            let v = p.get("value");
            one(Value::Bool(p.list("options").iter().any(|o| py_eq(o, v))))
        }
        Op::All => one(Value::Bool(p.list("values").iter().all(truthy))),
        Op::Some => one(Value::Bool(p.list("values").iter().any(truthy))),
        Op::If => {
            // As NodeTool: the taken branch gets the value, the other `None`.
            let v = p.get("value").clone();
            Ok(if p.bool("condition") {
                vec![("if_true", v), ("if_false", Value::Null)]
            } else {
                vec![("if_true", Value::Null), ("if_false", v)]
            })
        }
        Op::Reroute => one(p.get("input_value").clone()),
    }
}

/// Converts a property value to its declared type (`Any` for dynamic ones).
pub fn typed(spec: &Spec, name: &str, v: &Value) -> Result<Value, String> {
    let kind = prop_kind(spec, name).unwrap_or(Kind::Any);
    coerce(v, kind).map_err(|e| format!("property '{name}' {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ty: &str, props: Value) -> Result<Value, String> {
        let spec = spec(ty).expect("known type");
        let Behaviour::Op(op) = spec.behaviour else {
            panic!("not an op")
        };
        let mut values = Map::new();
        for (name, _, default) in spec.props {
            values.insert((*name).into(), serde_json::from_str(default).unwrap());
        }
        let mut dynamic = Vec::new();
        for (k, v) in props.as_object().unwrap() {
            if prop_kind(&spec, k).is_none() {
                dynamic.push(k.clone());
            }
            values.insert(k.clone(), typed(&spec, k, v)?);
        }
        let out = compute(
            op,
            &Props {
                values: &values,
                dynamic: &dynamic,
                max_len: 1 << 20,
            },
        )?;
        Ok(if out.len() == 1 {
            out[0].1.clone()
        } else {
            Value::Object(out.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        })
    }

    #[test]
    fn math_follows_python() {
        assert_eq!(run("lib.math.Add", json!({"a": 2, "b": 3})), Ok(json!(5)));
        assert_eq!(
            run("lib.math.Add", json!({"a": 2, "b": 0.5})),
            Ok(json!(2.5))
        );
        assert_eq!(
            run("nodetool.math.Subtract", json!({"a": 2, "b": 5})),
            Ok(json!(-3))
        );
        assert_eq!(
            run("lib.math.Multiply", json!({"a": 4, "b": 2.5})),
            Ok(json!(10.0))
        );
        assert_eq!(
            run("lib.math.Divide", json!({"a": 7, "b": 2})),
            Ok(json!(3.5))
        );
        assert_eq!(
            run("lib.math.Divide", json!({"a": 6, "b": 3})),
            Ok(json!(2.0))
        );
        assert_eq!(
            run("lib.math.Divide", json!({"a": 1, "b": 0})),
            Err("division by zero".into())
        );
        assert_eq!(
            run("lib.math.Divide", json!({"a": 1.5, "b": 0})),
            Err("float division by zero".into())
        );
        assert_eq!(
            run("lib.math.Modulus", json!({"a": -7, "b": 3})),
            Ok(json!(2))
        );
        assert_eq!(
            run("lib.math.Modulus", json!({"a": 7, "b": -3})),
            Ok(json!(-2))
        );
        assert_eq!(
            run("lib.math.Modulus", json!({"a": 5.5, "b": 2})),
            Ok(json!(1.5))
        );
        assert_eq!(
            run("lib.math.Modulus", json!({"a": 1, "b": 0})),
            Err("integer modulo by zero".into())
        );
        assert_eq!(
            run("lib.math.Power", json!({"base": 2, "exponent": 10})),
            Ok(json!(1024.0))
        );
        assert_eq!(
            run("lib.math.Power", json!({"base": -8, "exponent": 0.5})),
            Err(DOMAIN.into())
        );
        assert_eq!(run("lib.math.Sqrt", json!({"x": 16})), Ok(json!(4.0)));
        assert_eq!(run("lib.math.Sqrt", json!({"x": -1})), Err(DOMAIN.into()));
        assert_eq!(
            run("lib.math.Sine", json!({"angle_rad": 0})),
            Ok(json!(0.0))
        );
        assert_eq!(
            run("lib.math.Cosine", json!({"angle_rad": 0})),
            Ok(json!(1.0))
        );
        assert_eq!(
            run("lib.math.Add", json!({"a": i64::MAX, "b": 1})),
            Err("integer overflow".into())
        );
    }

    #[test]
    fn math_function_operations() {
        let f = |x: Value, op: &str| {
            run(
                "lib.math.MathFunction",
                json!({"input": x, "operation": op}),
            )
        };
        assert_eq!(f(json!(3), "negate"), Ok(json!(-3)));
        assert_eq!(f(json!(-2.5), "absolute"), Ok(json!(2.5)));
        assert_eq!(f(json!(3), "square"), Ok(json!(9)));
        assert_eq!(f(json!(2), "cube"), Ok(json!(8)));
        assert_eq!(f(json!(9), "square_root"), Ok(json!(3.0)));
        assert_eq!(f(json!(-8), "cube_root"), Ok(json!(-2.0)));
        assert_eq!(f(json!(0), "tangent"), Ok(json!(0.0)));
        assert_eq!(f(json!(2), "arcsin"), Err(DOMAIN.into()));
        assert_eq!(f(json!(0), "log"), Err(DOMAIN.into()));
        assert_eq!(
            f(json!(1), "arctan"),
            Ok(json!(std::f64::consts::FRAC_PI_4))
        );
        assert_eq!(
            f(json!(1), "frobnicate"),
            Err("unsupported operation 'frobnicate'".into())
        );
    }

    #[test]
    fn text_nodes() {
        assert_eq!(
            run("nodetool.text.Concat", json!({"a": "ab", "b": "cd"})),
            Ok(json!("abcd"))
        );
        assert_eq!(
            run("nodetool.text.Concat", json!({"a": 1})),
            Err("property 'a' must be a string, got integer".into())
        );
        assert_eq!(
            run(
                "nodetool.text.Join",
                json!({"strings": ["a", 1, true, 2.0], "separator": "-"})
            ),
            Ok(json!("a-1-True-2.0"))
        );
        assert_eq!(
            run(
                "nodetool.text.Replace",
                json!({"text": "a.b.c", "old": ".", "new": "/"})
            ),
            Ok(json!("a/b/c"))
        );
        assert_eq!(
            run("nodetool.text.Split", json!({"text": "a,b,,c"})),
            Ok(json!(["a", "b", "", "c"]))
        );
        assert_eq!(
            run("nodetool.text.Split", json!({"text": "a", "delimiter": ""})),
            Err("empty separator".into())
        );
        assert_eq!(
            run("nodetool.text.ToUppercase", json!({"text": "straße"})),
            Ok(json!("STRASSE"))
        );
        assert_eq!(
            run("nodetool.text.ToLowercase", json!({"text": "ÀB"})),
            Ok(json!("àb"))
        );
        assert_eq!(
            run("nodetool.text.Length", json!({"text": "héllo"})),
            Ok(json!(5))
        );
        assert_eq!(
            run(
                "nodetool.text.Length",
                json!({"text": " a  b c ", "measure": "words"})
            ),
            Ok(json!(3))
        );
        assert_eq!(
            run(
                "nodetool.text.Length",
                json!({"text": "a\n\nb\n", "measure": "lines"})
            ),
            Ok(json!(3))
        );
        assert_eq!(
            run(
                "nodetool.text.Length",
                json!({"text": "a\n\nb\n", "measure": "lines", "trim_whitespace": true})
            ),
            Ok(json!(2))
        );
        assert_eq!(
            run(
                "nodetool.text.Contains",
                json!({"text": "Hello World", "substring": "world"})
            ),
            Ok(json!(false))
        );
        assert_eq!(
            run(
                "nodetool.text.Contains",
                json!({"text": "Hello World", "substring": "world", "case_sensitive": false})
            ),
            Ok(json!(true))
        );
        assert_eq!(
            run(
                "nodetool.text.Contains",
                json!({"text": "abc", "search_values": ["a", "z"], "match_mode": "all"})
            ),
            Ok(json!(false))
        );
        assert_eq!(
            run(
                "nodetool.text.Contains",
                json!({"text": "abc", "search_values": ["x", "z"], "match_mode": "none"})
            ),
            Ok(json!(true))
        );
        assert_eq!(
            run(
                "nodetool.text.Slice",
                json!({"text": "hello", "start": 1, "stop": 4})
            ),
            Ok(json!("ell"))
        );
        assert_eq!(
            run("nodetool.text.Slice", json!({"text": "hello"})),
            Ok(json!(""))
        );
        assert_eq!(
            run(
                "nodetool.text.Slice",
                json!({"text": "hello", "start": -1, "stop": -6, "step": -1})
            ),
            Ok(json!("olleh"))
        );
        assert_eq!(
            run(
                "nodetool.text.Slice",
                json!({"text": "hello", "start": -3, "stop": 100})
            ),
            Ok(json!("llo"))
        );
        assert_eq!(
            run("nodetool.text.Slice", json!({"text": "hello", "step": 0})),
            Err("slice step cannot be zero".into())
        );
        assert_eq!(
            run(
                "nodetool.text.ParseJSON",
                json!({"text": "{\"a\": [1, 2.5]}"})
            ),
            Ok(json!({"a": [1, 2.5]}))
        );
        assert!(
            run("nodetool.text.ParseJSON", json!({"text": "{"}))
                .unwrap_err()
                .starts_with("invalid JSON")
        );
        assert_eq!(
            run("nodetool.text.ToString", json!({"value": {"a": null}})),
            Ok(json!("{'a': None}"))
        );
        assert_eq!(
            run(
                "nodetool.text.ToString",
                json!({"value": "x", "mode": "repr"})
            ),
            Ok(json!("'x'"))
        );
        assert_eq!(
            run(
                "nodetool.text.StartsWith",
                json!({"text": "abc", "prefix": "ab"})
            ),
            Ok(json!(true))
        );
        assert_eq!(
            run(
                "nodetool.text.EndsWith",
                json!({"text": "abc", "suffix": "ab"})
            ),
            Ok(json!(false))
        );
    }

    #[test]
    fn templates() {
        assert_eq!(
            run(
                "nodetool.text.FormatText",
                json!({"template": "Hi {{ Name|upper }} and {who}!", "name": "ann", "who": "bob"})
            ),
            Ok(json!("Hi ANN and bob!"))
        );
        assert_eq!(
            run(
                "nodetool.text.FormatText",
                json!({"template": "{{ n }} {{ flag }} {{ xs }} {{ missing }}.", "n": 2.0, "flag": true, "xs": [1, "a"]})
            ),
            Ok(json!("2.0 True [1, 'a'] ."))
        );
        assert_eq!(
            run(
                "nodetool.text.FormatText",
                json!({"template": "{{ t|truncate(9) }}", "t": "hello wonderful world"})
            ),
            Ok(json!("hello..."))
        );
        assert!(
            run("nodetool.text.FormatText", json!({"template": "{{ x "}))
                .unwrap_err()
                .starts_with("Template error")
        );
        assert_eq!(
            run(
                "nodetool.text.Template",
                json!({"string": "{{ a }}+{b}={{c}} {{ d }}", "values": {"a": 1, "b": 2}, "c": 3.0})
            ),
            Ok(json!("1+2=3.0 {{ d }}"))
        );
        assert_eq!(
            run(
                "nodetool.workflows.test_helper.FormatText",
                json!({"text": "World"})
            ),
            Ok(json!("Hello, World"))
        );
    }

    #[test]
    fn boolean_and_control() {
        assert_eq!(
            run(
                "nodetool.boolean.Compare",
                json!({"a": 2, "b": 2.0, "comparison": "=="})
            ),
            Ok(json!(true))
        );
        assert_eq!(
            run(
                "nodetool.boolean.Compare",
                json!({"a": 1, "b": 2, "comparison": ">="})
            ),
            Ok(json!(false))
        );
        for (op, want) in [
            ("and", false),
            ("or", true),
            ("xor", true),
            ("nand", true),
            ("nor", false),
        ] {
            assert_eq!(
                run(
                    "nodetool.boolean.LogicalOperator",
                    json!({"a": true, "b": false, "operation": op})
                ),
                Ok(json!(want)),
                "{op}"
            );
        }
        assert_eq!(
            run("nodetool.boolean.Not", json!({"value": "yes"})),
            Ok(json!(false))
        );
        assert_eq!(
            run(
                "nodetool.boolean.ConditionalSwitch",
                json!({"condition": true, "if_true": "y", "if_false": "n"})
            ),
            Ok(json!("y"))
        );
        assert_eq!(
            run("nodetool.boolean.IsNone", json!({"value": null})),
            Ok(json!(true))
        );
        assert_eq!(run("nodetool.boolean.IsNone", json!({})), Ok(json!(false)));
        assert_eq!(
            run(
                "nodetool.boolean.IsIn",
                json!({"value": 1, "options": [1.0, 2]})
            ),
            Ok(json!(true))
        );
        assert_eq!(
            run("nodetool.boolean.All", json!({"values": [true, 1]})),
            Ok(json!(true))
        );
        assert_eq!(
            run("nodetool.boolean.Some", json!({"values": [false, 0]})),
            Ok(json!(false))
        );
        assert_eq!(
            run(
                "nodetool.control.If",
                json!({"condition": true, "value": 5})
            ),
            Ok(json!({"if_true": 5, "if_false": null}))
        );
        assert_eq!(
            run("nodetool.control.Reroute", json!({"input_value": [1]})),
            Ok(json!([1]))
        );
    }

    #[test]
    fn unknown_types_are_none() {
        assert!(spec("nodetool.text.Frobnicate").is_none());
        assert!(spec("nodetool.constant.Date").is_none());
        assert!(spec("default").is_none());
        assert!(spec("nodetool.output.ImageOutput").is_some());
    }
}
