//! Stream filters: a value that passes is emitted, one that does not emits nothing.

use serde_json::Value;

use super::output::chars_of;
use crate::graph::nodes::pyre::{self, py_int};
use crate::graph::nodes::spec::{Emitted, Props};

pub(crate) fn filter_string(p: &Props) -> Result<Emitted, String> {
    let Value::String(value) = p.get("value") else {
        return Ok(Vec::new());
    };
    let criteria = p.str("criteria");
    let len = value.chars().count() as i128;
    let matched = match p.str("filter_type") {
        "contains" => value.contains(criteria),
        "starts_with" => value.starts_with(criteria),
        "ends_with" => value.ends_with(criteria),
        // A criteria that is not an integer lets nothing through, as in NodeTool.
        "length_greater" => py_int(criteria).is_some_and(|n| len > n),
        "length_less" => py_int(criteria).is_some_and(|n| len < n),
        "exact_length" => py_int(criteria).is_some_and(|n| len == n),
        other => return Err(format!("unsupported filter_type '{other}'")),
    };
    Ok(if matched {
        vec![("output", Value::String(value.clone()))]
    } else {
        Vec::new()
    })
}

/// An invalid pattern lets nothing through, as in NodeTool.
pub(crate) fn filter_regex_string(p: &Props) -> Result<Emitted, String> {
    let Value::String(value) = p.get("value") else {
        return Ok(Vec::new());
    };
    let Ok(re) = pyre::Regex::new(p.str("pattern"), 0) else {
        return Ok(Vec::new());
    };
    let mode = if p.bool("full_match") {
        pyre::Mode::Full
    } else {
        pyre::Mode::Search
    };
    let chars = chars_of(value);
    let hit = re.exec(
        &chars,
        0,
        false,
        mode,
        &mut pyre::Budget::for_text(chars.len()),
    )?;
    Ok(match hit {
        Some(_) => vec![("output", Value::String(value.clone()))],
        None => Vec::new(),
    })
}
