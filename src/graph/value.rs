//! Values flowing along edges are JSON values. This module holds the conversions NodeTool's
//! node properties apply (pydantic's lax mode: `"3"` is a valid integer, `1` a valid bool) and
//! Python's `str()`/`repr()` rendering, which text nodes use to turn values into text.

use super::pytext::py_str_repr;
use serde_json::{Map, Number, Value};

/// A property's declared type, as far as conversion is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Float,
    /// `int | float`: an integer stays an integer.
    Number,
    Bool,
    List,
    Dict,
    Any,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Int => "an integer",
            Kind::Float | Kind::Number => "a number",
            Kind::Bool => "a boolean",
            Kind::List => "a list",
            Kind::Dict => "an object",
            Kind::Any => "any value",
        }
    }
}

/// Refuses text longer than `max` bytes.
pub fn too_long(len: usize, max: usize) -> Result<(), String> {
    if len > max {
        Err(format!("the text would exceed {max} bytes"))
    } else {
        Ok(())
    }
}

/// The JSON type name of a value, for error messages (the value itself is never echoed).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// A number as Python sees it: an `int` or a `float`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    /// Back to JSON. Python would print `inf`/`nan`; JSON cannot carry them, so they are errors.
    pub fn to_value(self) -> Result<Value, String> {
        match self {
            Num::Int(i) => Ok(Value::from(i)),
            Num::Float(f) => Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| "the result is not a finite number".to_string()),
        }
    }
}

fn num_of(n: &Number) -> Option<Num> {
    n.as_i64()
        .map(Num::Int)
        .or_else(|| n.as_f64().map(Num::Float))
}

fn parse_num_str(s: &str) -> Option<Num> {
    let t = s.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(Num::Int(i));
    }
    // Only plain decimal forms; Rust would also accept "inf" and "NaN".
    let plain = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if plain {
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Num::Float)
    } else {
        None
    }
}

/// 2^63: integral floats below it in magnitude are exact i64 values.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

/// Converts `v` to `kind`, or says what was wrong. `Null` is the caller's business.
pub fn coerce(v: &Value, kind: Kind) -> Result<Value, String> {
    let mismatch = || format!("must be {}, got {}", kind.describe(), type_name(v));
    match kind {
        Kind::Any => Ok(v.clone()),
        Kind::Str => match v {
            Value::String(_) => Ok(v.clone()),
            _ => Err(mismatch()),
        },
        // NodeTool wraps a single value given to a list property into a one-item list.
        Kind::List => match v {
            Value::Array(_) => Ok(v.clone()),
            Value::Null => Err(mismatch()),
            other => Ok(Value::Array(vec![other.clone()])),
        },
        Kind::Dict => match v {
            Value::Object(_) => Ok(v.clone()),
            _ => Err(mismatch()),
        },
        Kind::Bool => as_bool(v).map(Value::Bool).ok_or_else(mismatch),
        Kind::Int => match as_num(v).ok_or_else(mismatch)? {
            Num::Int(i) => Ok(Value::from(i)),
            // Below 2^63 in magnitude an integral float converts exactly.
            Num::Float(f) if f.fract() == 0.0 && f.abs() < I64_BOUND => Ok(Value::from(f as i64)),
            Num::Float(f) if f.is_finite() && f.fract() == 0.0 => Err(format!(
                "must be {} that fits in 64 bits, got a larger one",
                kind.describe()
            )),
            Num::Float(_) => Err(format!(
                "must be {}, got a number with a fractional part",
                kind.describe()
            )),
        },
        Kind::Float => Num::Float(as_num(v).ok_or_else(mismatch)?.as_f64()).to_value(),
        Kind::Number => as_num(v).ok_or_else(mismatch)?.to_value(),
    }
}

/// A number from a JSON number, a bool (`True == 1`) or a numeric string.
pub fn as_num(v: &Value) -> Option<Num> {
    match v {
        Value::Number(n) => num_of(n),
        Value::Bool(b) => Some(Num::Int(*b as i64)),
        Value::String(s) => parse_num_str(s),
        _ => None,
    }
}

/// A bool from a bool, `0`/`1`, or the strings pydantic accepts.
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match num_of(n)? {
            Num::Int(0) => Some(false),
            Num::Int(1) => Some(true),
            Num::Float(0.0) => Some(false),
            Num::Float(1.0) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
            "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Python's truthiness (`bool(x)`), used where NodeTool calls `bool()` on any value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => num_of(n).is_some_and(|n| n.as_f64() != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Python's `==` across int and float (`1 == 1.0`), and structurally elsewhere.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (num_of(x), num_of(y)) {
            (Some(Num::Int(i)), Some(Num::Int(j))) => i == j,
            (Some(p), Some(q)) => p.as_f64() == q.as_f64(),
            _ => false,
        },
        (Value::Bool(x), Value::Number(_)) | (Value::Number(_), Value::Bool(x)) => {
            let n = if matches!(a, Value::Bool(_)) { b } else { a };
            as_num(n).is_some_and(|n| n.as_f64() == (*x as i64) as f64)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, p)| y.get(k).is_some_and(|q| py_eq(p, q)))
        }
        _ => a == b,
    }
}

/// Python's `repr(float)`: shortest round-trip digits, exponent form outside `1e-4..1e16`.
pub fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` is the shortest round-trip form, e.g. "1.5e-7"; re-lay it out as Python does.
    let sci = format!("{:e}", f);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let m = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

/// Python's `repr()` of the value's Python counterpart.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::String(s) => py_str_repr(s),
        other => py_str(other),
    }
}

/// Python's `str()`: strings as they are, `True`/`False`/`None`, containers as their repr.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match num_of(n) {
            Some(Num::Int(i)) => i.to_string(),
            Some(Num::Float(f)) => py_float(f),
            None => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => py_dict(map),
    }
}

fn py_dict(map: &Map<String, Value>) -> String {
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{}: {}", py_str_repr(k), py_repr(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// Python's `splitlines()`: every line boundary Python knows, no trailing empty line.
pub fn splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let boundary = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if boundary {
            out.push(&s[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r'
                && let Some(&(j, '\n')) = chars.peek()
            {
                chars.next();
                next = j + 1;
            }
            start = next;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_render_like_python() {
        assert_eq!(py_float(3.0), "3.0");
        assert_eq!(py_float(0.1), "0.1");
        assert_eq!(py_float(2.5e-5), "2.5e-05");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(123456789.125), "123456789.125");
        assert_eq!(py_float(-0.0001), "-0.0001");
        assert_eq!(py_float(1.0 / 3.0), "0.3333333333333333");
    }

    #[test]
    fn str_and_repr_like_python() {
        assert_eq!(
            py_str(&json!([1, "a", true, null, 2.0])),
            "[1, 'a', True, None, 2.0]"
        );
        assert_eq!(py_str(&json!({"k": "it's"})), "{'k': \"it's\"}");
        assert_eq!(py_str(&json!("plain")), "plain");
    }

    #[test]
    fn lax_coercion() {
        assert_eq!(coerce(&json!("3"), Kind::Int), Ok(json!(3)));
        assert_eq!(coerce(&json!(3.0), Kind::Int), Ok(json!(3)));
        assert_eq!(
            coerce(&json!(3.5), Kind::Int),
            Err("must be an integer, got a number with a fractional part".into())
        );
        // Too large is said as such, not as a fraction it does not have.
        for big in [
            json!(18446744073709551615u64),
            json!("99999999999999999999"),
            json!(1e300),
        ] {
            assert_eq!(
                coerce(&big, Kind::Int),
                Err("must be an integer that fits in 64 bits, got a larger one".into()),
                "{big}"
            );
        }
        assert_eq!(
            coerce(&json!(1e16), Kind::Int),
            Ok(json!(10_000_000_000_000_000i64))
        );
        assert_eq!(coerce(&json!(i64::MIN), Kind::Int), Ok(json!(i64::MIN)));
        assert_eq!(coerce(&json!(2), Kind::Float), Ok(json!(2.0)));
        assert_eq!(coerce(&json!(2), Kind::Number), Ok(json!(2)));
        assert_eq!(coerce(&json!("yes"), Kind::Bool), Ok(json!(true)));
        assert_eq!(
            coerce(&json!(5), Kind::Str),
            Err("must be a string, got integer".into())
        );
        assert!(coerce(&json!("nan"), Kind::Float).is_err());
        assert!(coerce(&json!("abc"), Kind::Number).is_err());
    }

    #[test]
    fn equality_across_int_and_float() {
        assert!(py_eq(&json!(1), &json!(1.0)));
        assert!(py_eq(&json!(true), &json!(1)));
        assert!(!py_eq(&json!("1"), &json!(1)));
    }

    #[test]
    fn python_line_splitting() {
        assert_eq!(splitlines("a\r\nb\nc\n"), ["a", "b", "c"]);
        assert_eq!(splitlines("a\n\nb"), ["a", "", "b"]);
        assert!(splitlines("").is_empty());
    }
}
