//! The built-in node types: their type strings (reference 6.4), declared properties with
//! defaults, output handles, and what each computes. Semantics follow NodeTool's Python nodes,
//! including Python's arithmetic (`7 // -2`-style modulo, `/` always a float).

use serde_json::{Map, Value, json};

use super::template;
use super::value::{Kind, Num, coerce, py_eq, py_repr, py_str, too_long, truthy};

mod boolean;
mod control;
mod math;
mod spec;
mod text;

use boolean::boolean_spec;
use control::control_spec;
use math::{DOMAIN, arith, domain, math_function, math_spec, py_mod};
pub use spec::{Behaviour, Emitted, Op, Prop, Props, Spec, prop_kind};
use spec::{OUT, float_out, num_out, one, source};
pub use text::py_slice_indices;
use text::{contains, length, text_spec};

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
mod tests;
