//! `nodetool.numbers`: filters over a stream of numbers.
//!
//! NodeTool judges each value as it arrives and emits it only if it passes. Here the node
//! runs whenever an input changes, with the latest of each, so a threshold arriving later
//! re-judges the latest value.

use std::cmp::Ordering;

use serde_json::Value;

use super::compare::{num_cmp, number, unorderable};
use crate::graph::nodes::spec::{Emitted, Props};
use crate::graph::value::Num;

/// The ordering behind Python's `a <op> b`: defined between numbers only (one side is always
/// the number being filtered), a `TypeError` otherwise.
fn py_order(op: &str, a: &Value, b: &Value) -> Result<Option<Ordering>, String> {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => Ok(num_cmp(x, y)),
        _ => Err(unorderable(op, a, b)),
    }
}

/// The value on `output` when it passes, nothing otherwise.
fn pass_if(value: &Value, passed: bool) -> Result<Emitted, String> {
    Ok(if passed {
        vec![("output", value.clone())]
    } else {
        Vec::new()
    })
}

pub(crate) fn filter_number(p: &Props) -> Result<Emitted, String> {
    let value = p.get("value");
    // NodeTool skips stream items that are not numbers.
    let Some(num) = number(value) else {
        return pass_if(value, false);
    };
    let threshold = p.get("compare_value");
    use Ordering::*;
    let passed = match p.str("filter_type") {
        // A missing threshold matches nothing rather than failing.
        "greater_than" | "less_than" if threshold.is_null() => false,
        "greater_than" => py_order(">", value, threshold)? == Some(Greater),
        "less_than" => py_order("<", value, threshold)? == Some(Less),
        "equal_to" => number(threshold).is_some_and(|t| num_cmp(num, t) == Some(Equal)),
        "even" | "odd" => {
            let rem = crate::graph::nodes::math::py_mod(num, Num::Int(2))?;
            let even = rem.as_f64() == 0.0;
            even == (p.str("filter_type") == "even")
        }
        "positive" => num_cmp(num, Num::Int(0)) == Some(Greater),
        "negative" => num_cmp(num, Num::Int(0)) == Some(Less),
        other => return Err(format!("unsupported filter_type '{other}'")),
    };
    pass_if(value, passed)
}

pub(crate) fn filter_number_range(p: &Props) -> Result<Emitted, String> {
    let value = p.get("value");
    if number(value).is_none() {
        return pass_if(value, false);
    }
    let (lo, hi) = (p.get("min_value"), p.get("max_value"));
    use Ordering::*;
    // `lo <= value <= hi` (or `<`) as Python chains it: the upper bound is only looked at
    // when the lower one holds.
    let passed = if p.bool("inclusive") {
        py_order("<=", lo, value).map(|o| matches!(o, Some(Less | Equal)))?
            && py_order("<=", value, hi).map(|o| matches!(o, Some(Less | Equal)))?
    } else {
        py_order("<", lo, value)? == Some(Less) && py_order("<", value, hi)? == Some(Less)
    };
    pass_if(value, passed)
}
