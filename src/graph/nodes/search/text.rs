//! The numbered text the search nodes write about their results.

use serde_json::Value;

use crate::graph::value::{py_float, py_str, truthy};

/// `r[key]` when it is truthy (Python's `if r.get(key):`).
pub(super) fn set<'a>(r: &'a Value, key: &str) -> Option<&'a Value> {
    r.get(key).filter(|v| truthy(v))
}

/// `r[key]` when present and not null (Python's `if r.get(key) is not None:`).
pub(super) fn known<'a>(r: &'a Value, key: &str) -> Option<&'a Value> {
    r.get(key).filter(|v| !v.is_null())
}

/// Python's `r.get(key, default)` as text.
pub(super) fn or(r: &Value, key: &str, default: &str) -> String {
    r.get(key).map_or_else(|| default.to_string(), py_str)
}

/// `[position] title`, the first line of each result.
pub(super) fn heading(r: &Value, i: usize) -> String {
    let pos = r
        .get("position")
        .map_or_else(|| (i + 1).to_string(), py_str);
    format!("[{pos}] {}", or(r, "title", "Untitled"))
}

/// `    Rating: 4.5 (120 reviews)`, when the result has a rating.
pub(super) fn rating_line(r: &Value) -> Option<String> {
    let rating = known(r, "rating")?;
    let mut line = format!("    Rating: {}", py_str(rating));
    if let Some(reviews) = known(r, "reviews") {
        line.push_str(&format!(" ({} reviews)", py_str(reviews)));
    }
    Some(line)
}

/// Python's `text[:n]`, by characters; other values as they print.
pub(super) fn first_chars(v: &Value, n: usize) -> String {
    match v {
        Value::String(s) => s.chars().take(n).collect(),
        other => py_str(other),
    }
}

/// The items Python's `', '.join(str(t) for t in v)` walks: a list's items, a text's
/// characters, an object's keys.
pub(super) fn joined(v: &Value) -> String {
    let parts: Vec<String> = match v {
        Value::Array(items) => items.iter().map(py_str).collect(),
        Value::String(s) => s.chars().map(String::from).collect(),
        Value::Object(m) => m.keys().cloned().collect(),
        other => vec![py_str(other)],
    };
    parts.join(", ")
}

/// Python's `f"{n:,}"`: digits grouped by thousands.
pub(super) fn thousands(v: &Value) -> String {
    fn group(digits: &str) -> String {
        let (sign, digits) = match digits.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", digits),
        };
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    }
    match v {
        Value::Bool(b) => (*b as i64).to_string(),
        Value::Number(n) if n.is_i64() || n.is_u64() => group(&n.to_string()),
        Value::Number(n) => {
            let s = py_float(n.as_f64().unwrap_or_default());
            match s.split_once('.') {
                Some((int, frac)) if !s.contains('e') => format!("{}.{frac}", group(int)),
                _ => s,
            }
        }
        other => py_str(other),
    }
}

/// NodeTool's numbered text of search results: `[position] title`, then each field that is
/// set, under its label or bare, then a blank line.
pub fn format_results(results: &[Value], fields: &[(&str, &str)]) -> String {
    let mut lines = Vec::new();
    for (i, r) in results.iter().enumerate() {
        lines.push(heading(r, i));
        for (key, label) in fields {
            if let Some(v) = set(r, key) {
                if label.is_empty() {
                    lines.push(format!("    {}", py_str(v)));
                } else {
                    lines.push(format!("    {label}: {}", py_str(v)));
                }
            }
        }
        lines.push(String::new());
    }
    lines.join("\n")
}

/// A shaper for nodes whose text is [`format_results`] over one list of the answer.
macro_rules! listed {
    ($name:ident, $key:literal, $fields:expr, cut) => {
        fn $name(a: &Args, mut answer: Value) -> Shaped {
            let results = head(take_list(&mut answer, $key), a.int("num_results"));
            let text = format_results(&results, $fields);
            results_text(results, text)
        }
    };
    ($name:ident, $key:literal, $fields:expr) => {
        fn $name(_: &Args, mut answer: Value) -> Shaped {
            let results = take_list(&mut answer, $key);
            let text = format_results(&results, $fields);
            results_text(results, text)
        }
    };
}

pub(super) use listed;
