//! The plain string nodes: containment, length, joining, formatting, replacing, splitting,
//! case, slicing, JSON parsing and conversion to text; and Python's slice indices.

use serde_json::{Map, Value, json};

use crate::graph::nodes::spec::{Emitted, Props, one};
use crate::graph::template;
use crate::graph::value::{py_repr, py_str, splitlines, too_long, type_name};

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
            // Past i64 is past `stop` too.
            let Some(next) = i.checked_add(step) else {
                break;
            };
            i = next;
        }
    } else {
        let (mut i, stop) = (clamp(start, -1, len - 1), clamp(stop, -1, len - 1));
        while i > stop {
            out.push(i as usize);
            let Some(next) = i.checked_add(step) else {
                break;
            };
            i = next;
        }
    }
    Ok(out)
}

pub(crate) fn contains(p: &Props) -> Result<Emitted, String> {
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

pub(crate) fn length(p: &Props) -> Result<Emitted, String> {
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

pub(crate) fn concat(p: &Props) -> Result<Emitted, String> {
    one(Value::String(format!("{}{}", p.str("a"), p.str("b"))))
}

pub(crate) fn join(p: &Props) -> Result<Emitted, String> {
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

pub(crate) fn format_text(p: &Props) -> Result<Emitted, String> {
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

pub(crate) fn template_text(p: &Props) -> Result<Emitted, String> {
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

pub(crate) fn replace(p: &Props) -> Result<Emitted, String> {
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

pub(crate) fn split(p: &Props) -> Result<Emitted, String> {
    let d = p.str("delimiter");
    if d.is_empty() {
        return Err("empty separator".into());
    }
    one(p.str("text").split(d).map(|s| json!(s)).collect())
}

pub(crate) fn upper(p: &Props) -> Result<Emitted, String> {
    one(Value::String(p.str("text").to_uppercase()))
}

pub(crate) fn lower(p: &Props) -> Result<Emitted, String> {
    one(Value::String(p.str("text").to_lowercase()))
}

pub(crate) fn slice(p: &Props) -> Result<Emitted, String> {
    let chars: Vec<char> = p.str("text").chars().collect();
    let idx = py_slice_indices(chars.len(), p.int("start"), p.int("stop"), p.int("step"))?;
    one(Value::String(idx.into_iter().map(|i| chars[i]).collect()))
}

pub(crate) fn parse_json(p: &Props) -> Result<Emitted, String> {
    serde_json::from_str(p.str("text"))
        .map_err(|e| format!("invalid JSON: {e}"))
        .and_then(one)
}

pub(crate) fn to_string(p: &Props) -> Result<Emitted, String> {
    match p.str("mode") {
        "str" => one(Value::String(py_str(p.get("value")))),
        "repr" => one(Value::String(py_repr(p.get("value")))),
        other => Err(format!("unsupported mode '{other}'")),
    }
}

pub(crate) fn starts_with(p: &Props) -> Result<Emitted, String> {
    one(Value::Bool(p.str("text").starts_with(p.str("prefix"))))
}

pub(crate) fn ends_with(p: &Props) -> Result<Emitted, String> {
    one(Value::Bool(p.str("text").ends_with(p.str("suffix"))))
}
