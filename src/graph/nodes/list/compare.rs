//! Python's view of values: type names, numbers, equality and `<`.

use std::cmp::Ordering;

use serde_json::Value;

use crate::graph::value::Num;

/// Python's name for the type of a value's counterpart, as its error messages spell it.
pub(super) fn py_type(v: &Value) -> &'static str {
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

/// A Python `int`/`float` (a `bool` is an `int` there); strings are not numbers here.
pub(super) fn number(v: &Value) -> Option<Num> {
    match v {
        Value::Bool(b) => Some(Num::Int(*b as i64)),
        Value::Number(n) => n
            .as_i64()
            .map(Num::Int)
            .or_else(|| n.as_f64().map(Num::Float)),
        _ => None,
    }
}

/// Deep enough for any sensible data, shallow enough for any stack.
const MAX_NESTING: usize = 200;
const TOO_DEEP: &str = "maximum recursion depth exceeded in comparison";

/// Exact ordering of two Python numbers (an `int` against a `float` is compared exactly,
/// not through a rounded conversion). `None` only for a NaN.
pub(super) fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(i), Num::Float(f)) => int_float_cmp(i, f),
        (Num::Float(f), Num::Int(i)) => int_float_cmp(i, f).map(Ordering::reverse),
    }
}

fn int_float_cmp(i: i64, f: f64) -> Option<Ordering> {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        return None;
    }
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    // `whole` is within i64 here, so the conversion is exact.
    Some(i.cmp(&(whole as i64)).then_with(|| {
        let frac = f - whole;
        0.0f64.partial_cmp(&frac).unwrap_or(Ordering::Equal)
    }))
}

/// Python's `==` with a bound on nesting.
fn eq_bounded(a: &Value, b: &Value, depth: usize) -> Result<bool, String> {
    if depth > MAX_NESTING {
        return Err(TOO_DEEP.into());
    }
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y) {
                if !eq_bounded(p, q, depth + 1)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, p) in x {
                match y.get(k) {
                    Some(q) if eq_bounded(p, q, depth + 1)? => {}
                    _ => return Ok(false),
                }
            }
            Ok(true)
        }
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => Ok(num_cmp(x, y) == Some(Ordering::Equal)),
            _ => Ok(a == b),
        },
    }
}

pub(super) fn unorderable(op: &str, a: &Value, b: &Value) -> String {
    format!(
        "'{op}' not supported between instances of '{}' and '{}'",
        py_type(a),
        py_type(b)
    )
}

/// Python's `a < b`: numbers, strings (by code point, which UTF-8 byte order preserves) and
/// lists (at the first unequal item, else by length); anything else is a `TypeError`.
fn py_lt(a: &Value, b: &Value, depth: usize) -> Result<bool, String> {
    if depth > MAX_NESTING {
        return Err(TOO_DEEP.into());
    }
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return Ok(num_cmp(x, y) == Some(Ordering::Less));
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => Ok(x < y),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                if !eq_bounded(p, q, depth + 1)? {
                    return py_lt(p, q, depth + 1);
                }
            }
            Ok(x.len() < y.len())
        }
        _ => Err(unorderable("<", a, b)),
    }
}

pub(super) fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    py_lt(a, b, 0)
}
