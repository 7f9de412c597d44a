//! Python's number text (`int(text)`, `float(text)`) and its exact ordering across int and float.

use std::cmp::Ordering;

use serde_json::Value;

use crate::graph::value::{Num, as_num};

/// Python's `int(text)` in base 10: surrounding whitespace, a sign, and digits with single
/// underscores between them. Saturates far beyond 64 bits (callers check the range).
pub(crate) fn py_int_text(text: &str) -> Option<i128> {
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if !underscored_digits(digits) {
        return None;
    }
    let mut n: i128 = 0;
    for d in digits.bytes().filter(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i128::from(d - b'0'));
    }
    Some(if negative { -n } else { n })
}

/// Digits, with underscores allowed only between two digits (Python's numeric literal rule).
fn underscored_digits(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('_')
        && !s.ends_with('_')
        && !s.contains("__")
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

/// Python's `float(text)`: decimal forms with underscores between digits, `inf`, `infinity` and
/// `nan` in any case. `None` when Python raises.
pub(crate) fn py_float_text(text: &str) -> Option<f64> {
    let t = text.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return t.to_ascii_lowercase().parse().ok();
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mantissa, None),
    };
    let part_ok = |p: &str| p.is_empty() || underscored_digits(p);
    let mantissa_ok = part_ok(int)
        && frac.is_none_or(part_ok)
        && !(int.is_empty() && frac.is_none_or(str::is_empty));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        underscored_digits(e)
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    t.replace('_', "").parse().ok()
}

/// Python's ordering of two numbers, exact across int and float.
pub(crate) fn num_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    num_order(as_num(a)?, as_num(b)?)
}

/// Exact comparison of a Python int or float with another.
pub(crate) fn num_order(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(x), Num::Float(y)) => int_float_cmp(x, y),
        (Num::Float(x), Num::Int(y)) => int_float_cmp(y, x).map(Ordering::reverse),
    }
}

fn int_float_cmp(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f >= 9_223_372_036_854_775_808.0 {
        return Some(Ordering::Less);
    }
    if f < -9_223_372_036_854_775_808.0 {
        return Some(Ordering::Greater);
    }
    let whole = f.floor();
    match i.cmp(&(whole as i64)) {
        Ordering::Equal if f > whole => Some(Ordering::Less),
        o => Some(o),
    }
}
