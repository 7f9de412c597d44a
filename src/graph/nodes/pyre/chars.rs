//! Python's notion of characters, which the engine's classes and case folding follow and the
//! text nodes share: `str.isspace`, `str.isdecimal`, `str.isalnum`, the simple case mappings,
//! `str.strip` and `int()`. Rust's `char` methods follow slightly different Unicode
//! properties; these close the gaps that change results.

pub(super) use crate::graph::pytext::py_isspace;

/// The value of a decimal digit in any script (`str.isdecimal`), as Python's `int()` reads it.
pub(crate) fn py_decimal(c: char) -> Option<u32> {
    crate::graph::pytext::py_decimal(c).map(u32::from)
}

/// `str.isalnum`: letters and numbers, but not the marks and circled letters that Rust's
/// Alphabetic property adds.
pub(super) fn py_isalnum(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    let circled = matches!(c as u32, 0x24b6..=0x24e9 | 0x1f130..=0x1f149 | 0x1f150..=0x1f169 | 0x1f170..=0x1f189);
    c.is_alphanumeric() && !circled && !unicode_normalization::char::is_combining_mark(c)
}

/// Python's simple (one code point) lowercase mapping, which `re` uses to ignore case.
pub(super) fn simple_lower(c: char) -> char {
    // Only U+0130 lowercases to two code points; its simple mapping is the first.
    c.to_lowercase().next().unwrap_or(c)
}

/// Python's simple uppercase mapping: where the full mapping has several code points, the
/// simple one keeps the character.
pub(super) fn simple_upper(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// `str.strip()` / `lstrip()` / `rstrip()` with Python's whitespace.
pub(crate) fn py_trim(s: &str, start: bool, end: bool) -> &str {
    let s = if start {
        s.trim_start_matches(py_isspace)
    } else {
        s
    };
    if end {
        s.trim_end_matches(py_isspace)
    } else {
        s
    }
}

/// Python's `int(s)` for a string: surrounding whitespace, one sign, decimal digits of any
/// script with single underscores between them. Values past `i128` saturate, which keeps every
/// comparison with a text length right.
pub(crate) fn py_int(s: &str) -> Option<i128> {
    let t = py_trim(s, true, true);
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let mut v: i128 = 0;
    for c in body.chars().filter(|c| *c != '_') {
        v = v.saturating_mul(10).saturating_add(py_decimal(c)?.into());
    }
    Some(if neg { -v } else { v })
}
