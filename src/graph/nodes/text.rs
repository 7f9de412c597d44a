//! `nodetool.text.*`: the text family's specs and the helpers its operations share.

use serde_json::{Value, json};

use super::spec::{Behaviour, Emitted, OUT, Op, Props, Spec, TEXT, one, op};
use crate::graph::value::{Kind, splitlines, type_name};

pub(crate) fn text_spec(name: &str) -> Option<Spec> {
    Some(match name {
        "Concat" => op(
            Op::Concat,
            &[("a", Kind::Str, "\"\""), ("b", Kind::Str, "\"\"")],
        ),
        "Join" => op(
            Op::Join,
            &[
                ("strings", Kind::List, "[]"),
                ("separator", Kind::Str, "\"\""),
            ],
        ),
        "FormatText" => Spec {
            dynamic: true,
            ..op(Op::FormatText, &[("template", Kind::Str, "\"\"")])
        },
        "Template" => Spec {
            dynamic: true,
            ..op(
                Op::Template,
                &[("string", Kind::Str, "\"\""), ("values", Kind::Any, "{}")],
            )
        },
        "Replace" => op(
            Op::Replace,
            &[
                ("text", Kind::Str, "\"\""),
                ("old", Kind::Str, "\"\""),
                ("new", Kind::Str, "\"\""),
            ],
        ),
        "Split" => op(
            Op::Split,
            &[
                ("text", Kind::Str, "\"\""),
                ("delimiter", Kind::Str, "\",\""),
            ],
        ),
        "ToUppercase" => op(Op::Upper, TEXT),
        "ToLowercase" => op(Op::Lower, TEXT),
        "Length" => op(
            Op::Length,
            &[
                ("text", Kind::Str, "\"\""),
                ("measure", Kind::Str, "\"characters\""),
                ("trim_whitespace", Kind::Bool, "false"),
            ],
        ),
        "Contains" => op(
            Op::Contains,
            &[
                ("text", Kind::Str, "\"\""),
                ("substring", Kind::Str, "\"\""),
                ("search_values", Kind::List, "[]"),
                ("case_sensitive", Kind::Bool, "true"),
                ("match_mode", Kind::Str, "\"any\""),
            ],
        ),
        "Slice" => op(
            Op::Slice,
            &[
                ("text", Kind::Str, "\"\""),
                ("start", Kind::Int, "0"),
                ("stop", Kind::Int, "0"),
                ("step", Kind::Int, "1"),
            ],
        ),
        "ParseJSON" => op(Op::ParseJson, TEXT),
        "ToString" => op(
            Op::ToString,
            &[("value", Kind::Any, "[]"), ("mode", Kind::Str, "\"str\"")],
        ),
        "StartsWith" => op(
            Op::StartsWith,
            &[("text", Kind::Str, "\"\""), ("prefix", Kind::Str, "\"\"")],
        ),
        "EndsWith" => op(
            Op::EndsWith,
            &[("text", Kind::Str, "\"\""), ("suffix", Kind::Str, "\"\"")],
        ),
        "Collect" => Spec {
            behaviour: Behaviour::CollectText,
            props: &[
                ("input_item", Kind::Str, "\"\""),
                ("separator", Kind::Str, "\"\""),
            ],
            outputs: OUT,
            dynamic: false,
        },
        _ => return None,
    })
}

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
            i += step;
        }
    } else {
        let (mut i, stop) = (clamp(start, -1, len - 1), clamp(stop, -1, len - 1));
        while i > stop {
            out.push(i as usize);
            i += step;
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
