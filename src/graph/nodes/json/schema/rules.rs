//! JSON Schema's drafts, and its notions of type, equality, multiples, anchors and patterns.

use std::cmp::Ordering;

use serde_json::Value;

use crate::graph::nodes::pyjson::encode::{MAX_WALK_DEPTH, quote_ascii};
use crate::graph::nodes::pyjson::numbers::num_cmp;
use crate::graph::nodes::pyre::Regex;
use crate::graph::value::{Num, as_num, py_repr};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Draft {
    D4,
    D6,
    D7,
    D2019,
    D2020,
}

impl Draft {
    pub(super) fn of(schema: &Value) -> Result<Draft, String> {
        let Some(uri) = schema.get("$schema").and_then(Value::as_str) else {
            return Ok(Draft::D2020);
        };
        let uri = uri.strip_suffix('#').unwrap_or(uri);
        Ok(match uri {
            "http://json-schema.org/draft-04/schema" => Draft::D4,
            "http://json-schema.org/draft-06/schema" => Draft::D6,
            "http://json-schema.org/draft-07/schema" => Draft::D7,
            "https://json-schema.org/draft/2019-09/schema" => Draft::D2019,
            "http://json-schema.org/draft-03/schema" => {
                return Err("JSON Schema draft 3 is not supported on this server".into());
            }
            // jsonschema validates an unknown `$schema` with the newest draft.
            _ => Draft::D2020,
        })
    }
}

/// JSON Schema's type test. Booleans are never numbers; an integral float is an integer (except
/// in draft 4).
pub(super) fn is_type(v: &Value, ty: &str, draft: Draft) -> bool {
    match (ty, v) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => {
            !n.is_f64() || (draft > Draft::D4 && n.as_f64().is_some_and(|f| f.fract() == 0.0))
        }
        _ => false,
    }
}

/// JSON Schema equality: `1 == 1.0`, but `true != 1`.
pub(super) fn schema_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => num_cmp(a, b) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| schema_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| schema_eq(p, q)))
        }
        _ => a == b,
    }
}

/// A hashable text standing for a value under `schema_eq`, so `uniqueItems` stays linear.
pub(super) fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Number(n) => match as_num(v) {
            Some(Num::Float(f)) if f.fract() == 0.0 && f.abs() < 1.8e19 => {
                out.push_str(&format!("n{}", f as i128));
            }
            Some(Num::Float(f)) => out.push_str(&format!("f{}", f.to_bits())),
            _ => out.push_str(&format!("n{n}")),
        },
        Value::Array(a) => {
            out.push('[');
            for item in a {
                canonical(item, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (k, item) in m {
                out.push_str(&quote_ascii(k));
                canonical(item, out);
                out.push(',');
            }
            out.push('}');
        }
        Value::String(s) => out.push_str(&quote_ascii(s)),
        other => out.push_str(&other.to_string()),
    }
}

pub(super) fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

pub(super) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The subschema whose `$anchor` (or, before 2019-09, `$id: "#name"`) is `name`.
pub(super) fn find_anchor<'a>(schema: &'a Value, name: &str, depth: usize) -> Option<&'a Value> {
    if depth > MAX_WALK_DEPTH {
        return None;
    }
    match schema {
        Value::Object(m) => {
            let anchored = m.get("$anchor").and_then(Value::as_str) == Some(name)
                || m.get("$id").and_then(Value::as_str) == Some(format!("#{name}").as_str());
            if anchored {
                return Some(schema);
            }
            m.values().find_map(|v| find_anchor(v, name, depth + 1))
        }
        Value::Array(a) => a.iter().find_map(|v| find_anchor(v, name, depth + 1)),
        _ => None,
    }
}

/// A schema `pattern` as `re.compile` reads it (the `regex` format); the validator searches
/// anywhere in the text with it, as `re.search` does.
pub(super) fn compiled(pattern: &str) -> Result<Regex, String> {
    Regex::compile(pattern)?.ok_or_else(|| format!("{} is not a 'regex'", py_repr(&pattern.into())))
}

pub(super) fn multiple_of(inst: &Value, divisor: &Value) -> bool {
    let (Some(x), Some(d)) = (as_num(inst), as_num(divisor)) else {
        return true;
    };
    match (x, d) {
        (Num::Int(a), Num::Int(b)) if b != 0 => a.checked_rem(b).is_none_or(|r| r == 0),
        // A float divisor: the float quotient must be integral; when it overflows, jsonschema
        // decides exactly, as fractions.
        (_, Num::Float(b)) => {
            let q = x.as_f64() / b;
            if q.is_finite() {
                q.trunc() == q
            } else {
                exact_multiple(x.as_f64(), b)
            }
        }
        (Num::Float(a), Num::Int(b)) if b != 0 => (a % b as f64) == 0.0,
        _ => true,
    }
}

/// Whether `x` is an exact multiple of `d`, both finite and non-zero floats: writing each as an
/// odd integer times a power of two, the odd part of `d` must divide that of `x` and its power
/// must not exceed `x`'s.
fn exact_multiple(x: f64, d: f64) -> bool {
    let odd_form = |f: f64| -> (u64, i32) {
        let bits = f.abs().to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        let (mut m, mut e) = if exp == 0 {
            (frac, -1074)
        } else {
            (frac | (1 << 52), exp - 1075)
        };
        let zeros = m.trailing_zeros();
        m >>= zeros;
        e += zeros as i32;
        (m, e)
    };
    if x == 0.0 {
        return true;
    }
    if d == 0.0 {
        return false;
    }
    let ((a, p), (b, q)) = (odd_form(x), odd_form(d));
    b != 0 && a % b == 0 && p >= q
}
