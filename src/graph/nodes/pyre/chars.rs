//! Python's notion of characters, which the engine's classes and case folding follow and the
//! text nodes share: `str.isspace`, `str.isdecimal`, `str.isalnum`, the simple case mappings,
//! `str.strip` and `int()`. Rust's `char` methods follow slightly different Unicode
//! properties; these close the gaps that change results.

/// `str.isspace`: Rust's White_Space plus the ASCII separators U+001C..U+001F.
pub(super) fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// First code point of every run of ten decimal digits (General_Category Nd).
const DECIMAL_RUNS: &[u32] = &[
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The value of a decimal digit in any script (`str.isdecimal`), as Python's `int()` reads it.
pub(crate) fn py_decimal(c: char) -> Option<u32> {
    let u = c as u32;
    let i = DECIMAL_RUNS.partition_point(|&start| start <= u);
    let start = *DECIMAL_RUNS.get(i.checked_sub(1)?)?;
    (u - start < 10).then_some(u - start)
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
