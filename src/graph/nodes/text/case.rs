//! Comparison and case: `str.title`, `str.capitalize` with Python's titlecase mapping, and
//! comparing texts with or without case and surrounding whitespace.

use serde_json::{Value, json};

use crate::graph::nodes::pyre::py_trim;
use crate::graph::nodes::spec::{Emitted, Props, one};
use crate::graph::value::too_long;

/// Titlecase letters (General_Category Lt), which are cased but neither upper nor lower.
fn is_titlecase_letter(c: char) -> bool {
    matches!(c as u32, 0x1c5 | 0x1c8 | 0x1cb | 0x1f2 | 0x1f88..=0x1f8f | 0x1f98..=0x1f9f | 0x1fa8..=0x1faf | 0x1fbc | 0x1fcc | 0x1ffc)
}

/// Unicode's Cased property, which decides where `str.title` starts a word.
fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase() || is_titlecase_letter(c)
}

/// Python's full titlecase mapping of one character, which differs from uppercase for
/// digraphs, ligatures, Georgian and Greek letters with a subscript iota.
fn push_title(c: char, out: &mut String) {
    let u = c as u32;
    let single = match u {
        0x1c4..=0x1c6 => Some(0x1c5),
        0x1c7..=0x1c9 => Some(0x1c8),
        0x1ca..=0x1cc => Some(0x1cb),
        0x1f1..=0x1f3 => Some(0x1f2),
        0x10d0..=0x10fa | 0x10fd..=0x10ff => Some(u),
        0x1f80..=0x1faf => Some(u | 8),
        0x1fb3 | 0x1fbc => Some(0x1fbc),
        0x1fc3 | 0x1fcc => Some(0x1fcc),
        0x1ff3 | 0x1ffc => Some(0x1ffc),
        _ => None,
    };
    if let Some(t) = single.and_then(char::from_u32) {
        out.push(t);
        return;
    }
    let upper: Vec<char> = c.to_uppercase().collect();
    match u {
        // Greek with a subscript iota: the uppercase form's trailing capital iota stays a
        // combining iota.
        0x1fb2 | 0x1fb4 | 0x1fb7 | 0x1fc2 | 0x1fc4 | 0x1fc7 | 0x1ff2 | 0x1ff4 | 0x1ff7 => {
            let n = upper.len().saturating_sub(1);
            out.extend(&upper[..n]);
            out.push('\u{345}');
        }
        // Ligatures (ß, ﬁ, և, ...): the first letter capital, the rest small. Other
        // characters that uppercase to several (ŉ, ǰ, ΐ) titlecase the same way.
        0xdf | 0x587 | 0xfb00..=0xfb06 | 0xfb13..=0xfb17 => {
            out.extend(upper.first());
            out.extend(upper[1..].iter().flat_map(|c| c.to_lowercase()));
        }
        _ => out.extend(upper),
    }
}

/// `s.lower()` split per input character: Rust lowercases Σ by its context (final sigma) as
/// Python does, and every other character's lowercase is context-free, so walking both
/// strings side by side gives each character's share.
fn lower_pieces(s: &str) -> impl Iterator<Item = (char, String)> + '_ {
    let lowered = s.to_lowercase();
    let mut at = 0;
    s.chars().map(move |c| {
        let n = if c == 'Σ' {
            'σ'.len_utf8()
        } else {
            c.to_lowercase().map(char::len_utf8).sum()
        };
        let piece = lowered.get(at..at + n).unwrap_or_default().to_string();
        at += n;
        (c, piece)
    })
}

fn normalized<'a>(p: &Props, s: &'a str) -> std::borrow::Cow<'a, str> {
    let s = if p.bool("trim_whitespace") {
        py_trim(s, true, true)
    } else {
        s
    };
    if p.bool("case_sensitive") {
        s.into()
    } else {
        s.to_lowercase().into()
    }
}

/// Orders by code point, as Python compares strings (UTF-8 byte order is the same order).
pub(crate) fn compare(p: &Props) -> Result<Emitted, String> {
    let (a, b) = (
        normalized(p, p.str("text_a")),
        normalized(p, p.str("text_b")),
    );
    let word = match a.cmp(&b) {
        std::cmp::Ordering::Less => "less",
        std::cmp::Ordering::Greater => "greater",
        std::cmp::Ordering::Equal => "equal",
    };
    one(json!(word))
}

pub(crate) fn equals(p: &Props) -> Result<Emitted, String> {
    let (a, b) = (
        normalized(p, p.str("text_a")),
        normalized(p, p.str("text_b")),
    );
    one(Value::Bool(a == b))
}

/// `str.title()`: a cased character after another cased one is lowercased, any other is
/// titlecased; "word" has no other meaning (so "they're" becomes "They'Re", as in Python).
pub(crate) fn titlecase(p: &Props) -> Result<Emitted, String> {
    let mut out = String::new();
    let mut prev_cased = false;
    for (c, lower) in lower_pieces(p.str("text")) {
        if prev_cased {
            out.push_str(&lower);
        } else {
            push_title(c, &mut out);
        }
        prev_cased = is_cased(c);
        too_long(out.len(), p.max_len)?;
    }
    one(Value::String(out))
}

/// `str.capitalize()` (Python 3.8+): the first character titlecased, the rest lowercased.
pub(crate) fn capitalize(p: &Props) -> Result<Emitted, String> {
    let mut out = String::new();
    for (i, (c, lower)) in lower_pieces(p.str("text")).enumerate() {
        if i == 0 {
            push_title(c, &mut out);
        } else {
            out.push_str(&lower);
        }
        too_long(out.len(), p.max_len)?;
    }
    one(Value::String(out))
}
