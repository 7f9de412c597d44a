//! The dictionary stream filters: each passes a dict on, or over, by the value under a key.

use serde_json::Value;

use super::query::{QueryFail, query};
use crate::graph::nodes::pyjson::dict::py_type;
use crate::graph::nodes::pyjson::numbers::{num_order, py_int_text};
use crate::graph::nodes::pyre::{Budget, Mode, Regex};
use crate::graph::nodes::spec::{Emitted, Props};
use crate::graph::value::{Num, as_num, py_str};

/// The dict a stream filter received and the value under its key, or `None` when NodeTool's
/// filter would pass over the item.
fn stream_item<'a>(p: &'a Props) -> Option<(&'a Value, &'a Value)> {
    let item = p.get("value");
    let field = item.as_object()?.get(p.str("key"))?;
    Some((item, field))
}

fn pass(item: &Value, matched: bool) -> Result<Emitted, String> {
    Ok(if matched {
        vec![("output", item.clone())]
    } else {
        Vec::new()
    })
}

/// `len(v)` where Python has one.
fn py_len(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => Some(s.chars().count()),
        Value::Array(a) => Some(a.len()),
        Value::Object(m) => Some(m.len()),
        _ => None,
    }
}

pub(super) fn filter_by_value(p: &Props) -> Result<Emitted, String> {
    let kind = p.str("filter_type");
    const KINDS: [&str; 8] = [
        "contains",
        "starts_with",
        "ends_with",
        "equals",
        "type_is",
        "length_greater",
        "length_less",
        "exact_length",
    ];
    if !KINDS.contains(&kind) {
        return Err(format!("unsupported filter_type '{kind}'"));
    }
    let Some((item, val)) = stream_item(p) else {
        return Ok(Vec::new());
    };
    let criteria = p.str("criteria");
    let text = py_str(val);
    let length = if kind.starts_with("length") || kind == "exact_length" {
        // A criterion that is not an integer passes the item over.
        match py_int_text(criteria) {
            Some(n) => n,
            None => return Ok(Vec::new()),
        }
    } else {
        0
    };
    let len = py_len(val).map(|n| n as i128);
    let matched = match kind {
        "contains" => text.contains(criteria),
        "starts_with" => text.starts_with(criteria),
        "ends_with" => text.ends_with(criteria),
        "equals" => text == criteria,
        "type_is" => py_type(val) == criteria,
        "length_greater" => len.is_some_and(|n| n > length),
        "length_less" => len.is_some_and(|n| n < length),
        _ => len == Some(length),
    };
    pass(item, matched)
}

/// A dict value Python's `isinstance(v, (int, float))` accepts (booleans are ints there).
fn real_number(v: &Value) -> Option<Num> {
    match v {
        Value::Number(_) | Value::Bool(_) => as_num(v),
        _ => None,
    }
}

pub(super) fn filter_by_range(p: &Props) -> Result<Emitted, String> {
    let Some((item, val)) = stream_item(p) else {
        return Ok(Vec::new());
    };
    let Some(n) = real_number(val) else {
        return Ok(Vec::new());
    };
    use std::cmp::Ordering::*;
    let lo = num_order(Num::Float(p.float("min_value")), n);
    let hi = num_order(n, Num::Float(p.float("max_value")));
    let matched = if p.bool("inclusive") {
        matches!(lo, Some(Less | Equal)) && matches!(hi, Some(Less | Equal))
    } else {
        lo == Some(Less) && hi == Some(Less)
    };
    pass(item, matched)
}

pub(super) fn filter_by_number(p: &Props) -> Result<Emitted, String> {
    let kind = p.str("filter_type");
    const KINDS: [&str; 7] = [
        "greater_than",
        "less_than",
        "equal_to",
        "even",
        "odd",
        "positive",
        "negative",
    ];
    if !KINDS.contains(&kind) {
        return Err(format!("unsupported filter_type '{kind}'"));
    }
    let Some((item, val)) = stream_item(p) else {
        return Ok(Vec::new());
    };
    let Some(n) = real_number(val) else {
        return Ok(Vec::new());
    };
    use std::cmp::Ordering::*;
    let against = |b: f64| num_order(n, Num::Float(b));
    // Only ints (and booleans) have a parity; floats never match even or odd.
    let odd = match val {
        Value::Bool(b) => Some(*b),
        Value::Number(x) if !x.is_f64() => x
            .as_i64()
            .map(|i| i % 2 != 0)
            .or(x.as_u64().map(|u| u % 2 == 1)),
        _ => None,
    };
    let matched = match kind {
        "greater_than" => against(p.float("compare_value")) == Some(Greater),
        "less_than" => against(p.float("compare_value")) == Some(Less),
        "equal_to" => against(p.float("compare_value")) == Some(Equal),
        "even" => odd == Some(false),
        "odd" => odd == Some(true),
        "positive" => against(0.0) == Some(Greater),
        _ => against(0.0) == Some(Less),
    };
    pass(item, matched)
}

pub(super) fn filter_regex(p: &Props) -> Result<Emitted, String> {
    let Some((item, val)) = stream_item(p) else {
        return Ok(Vec::new());
    };
    // NodeTool passes every item over when its pattern does not compile.
    let Some(re) = Regex::compile(p.str("pattern"))? else {
        return Ok(Vec::new());
    };
    // `pattern.fullmatch(text)` or `pattern.search(text)`.
    let mode = if p.bool("full_match") {
        Mode::Full
    } else {
        Mode::Search
    };
    let text = py_str(val);
    let budget = &mut Budget::for_text(text.chars().count());
    pass(item, re.is_match(&text, mode, budget)?)
}

pub(super) fn filter_by_query(p: &Props) -> Result<Emitted, String> {
    let item = p.get("value");
    let Value::Object(row) = item else {
        return Ok(Vec::new());
    };
    let condition = p.str("condition");
    if condition.is_empty() {
        return pass(item, true);
    }
    match query(condition, row) {
        Ok(matched) => pass(item, matched),
        Err(QueryFail::Skip) => Ok(Vec::new()),
        Err(QueryFail::Unsupported(msg)) => Err(msg),
    }
}
