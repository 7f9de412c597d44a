//! Length, truncation, padding, search and wrapping.

use serde_json::{Value, json};

use super::output::chars_of;
use crate::graph::nodes::spec::{Emitted, Props, one};
use crate::graph::value::too_long;

/// NodeTool tests `exact_length is not None` first, and an int field is never None, so the
/// result is always `len(text) == exact_length`; the bounds are accepted and unused.
pub(crate) fn has_length(p: &Props) -> Result<Emitted, String> {
    let n = p.str("text").chars().count() as i128;
    one(Value::Bool(n == i128::from(p.int("exact_length"))))
}

pub(crate) fn truncate_text(p: &Props) -> Result<Emitted, String> {
    let (text, ellipsis, max) = (p.str("text"), p.str("ellipsis"), p.int("max_length"));
    if max <= 0 {
        return one(json!(ellipsis));
    }
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let len = text.chars().count();
    if len <= max {
        return one(json!(text));
    }
    let e_len = ellipsis.chars().count();
    let out: String = if !ellipsis.is_empty() && e_len < max {
        text.chars()
            .take(max - e_len)
            .chain(ellipsis.chars())
            .collect()
    } else {
        text.chars().take(max).collect()
    };
    one(Value::String(out))
}

pub(crate) fn pad_text(p: &Props) -> Result<Emitted, String> {
    let (text, pad) = (p.str("text"), p.str("pad_character"));
    let mut pad_chars = pad.chars();
    let (Some(pc), None) = (pad_chars.next(), pad_chars.next()) else {
        return Err("pad_character must be a single character".into());
    };
    let len = text.chars().count() as i128;
    let target = i128::from(p.int("length"));
    if target <= len {
        return one(json!(text));
    }
    let needed = usize::try_from(target - len).unwrap_or(usize::MAX);
    too_long(
        needed
            .saturating_mul(pc.len_utf8())
            .saturating_add(text.len()),
        p.max_len,
    )?;
    let (left, right) = match p.str("direction") {
        "left" => (needed, 0),
        "both" => (needed / 2, needed - needed / 2),
        // NodeTool pads right for anything that is not left or both.
        _ => (0, needed),
    };
    let side = |n: usize| std::iter::repeat_n(pc, n);
    one(Value::String(
        side(left).chain(text.chars()).chain(side(right)).collect(),
    ))
}

/// `str.find` / `str.rfind` over code points with Python's index rules. NodeTool passes
/// `end = max(start_index, end_index)` and `end_index` defaults to 0, so by default only the
/// empty substring is found; that is kept.
pub(crate) fn index_of(p: &Props) -> Result<Emitted, String> {
    let (text, sub) = if p.bool("case_sensitive") {
        (chars_of(p.str("text")), chars_of(p.str("substring")))
    } else {
        (
            chars_of(&p.str("text").to_lowercase()),
            chars_of(&p.str("substring").to_lowercase()),
        )
    };
    let start = p.int("start_index");
    let end = start.max(p.int("end_index"));
    one(json!(py_find(
        &text,
        &sub,
        start,
        end,
        p.bool("search_from_end")
    )))
}

fn py_find(hay: &[char], sub: &[char], start: i64, end: i64, last: bool) -> i64 {
    let len = hay.len() as i64;
    let adjust = |i: i64| if i < 0 { (i + len).max(0) } else { i };
    let (start, end) = (adjust(start), adjust(end).min(len));
    if end - start < sub.len() as i64 {
        return -1;
    }
    let (s, e) = (start as usize, end as usize);
    if sub.is_empty() {
        return if last { end } else { start };
    }
    let mut hits = hay[s..e]
        .windows(sub.len())
        .enumerate()
        .filter(|(_, w)| *w == sub);
    let hit = if last { hits.next_back() } else { hits.next() };
    hit.map_or(-1, |(i, _)| (s + i) as i64)
}

pub(crate) fn surround_with(p: &Props) -> Result<Emitted, String> {
    let (text, prefix, suffix) = (p.str("text"), p.str("prefix"), p.str("suffix"));
    if p.bool("skip_if_wrapped") && text.starts_with(prefix) && text.ends_with(suffix) {
        return one(json!(text));
    }
    too_long(prefix.len() + text.len() + suffix.len(), p.max_len)?;
    one(Value::String(format!("{prefix}{text}{suffix}")))
}
