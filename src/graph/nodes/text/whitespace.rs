//! Whitespace, punctuation, accents and slugs.

use serde_json::{Value, json};

use super::output::chars_of;
use crate::graph::nodes::pyre::{self, py_trim};
use crate::graph::nodes::spec::{Emitted, Props, one};
use crate::graph::value::too_long;

pub(crate) fn trim_whitespace(p: &Props) -> Result<Emitted, String> {
    let t = py_trim(p.str("text"), p.bool("trim_start"), p.bool("trim_end"));
    one(json!(t))
}

pub(crate) fn is_empty(p: &Props) -> Result<Emitted, String> {
    let t = py_trim(
        p.str("text"),
        p.bool("trim_whitespace"),
        p.bool("trim_whitespace"),
    );
    one(Value::Bool(t.is_empty()))
}

/// `re.sub` with one of the node's fixed patterns; the replacement is a Python template, so
/// backslashes in it mean what they mean to Python.
fn sub_fixed(pattern: &str, repl: &str, text: &str, max_len: usize) -> Result<String, String> {
    let re = pyre::Regex::new(pattern, 0)?;
    let chars = chars_of(text);
    re.sub(
        &chars,
        repl,
        0,
        max_len,
        &mut pyre::Budget::for_text(chars.len()),
    )
}

pub(crate) fn collapse_whitespace(p: &Props) -> Result<Emitted, String> {
    let text = py_trim(p.str("text"), p.bool("trim_edges"), p.bool("trim_edges"));
    let pattern = if p.bool("preserve_newlines") {
        r"[^\S\r\n]+"
    } else {
        r"\s+"
    };
    one(Value::String(sub_fixed(
        pattern,
        p.str("replacement"),
        text,
        p.max_len,
    )?))
}

/// `str.translate` mapping every punctuation character to the replacement.
pub(crate) fn remove_punctuation(p: &Props) -> Result<Emitted, String> {
    let marks: std::collections::HashSet<char> = p.str("punctuation").chars().collect();
    let repl = p.str("replacement");
    let mut out = String::new();
    for c in p.str("text").chars() {
        if marks.contains(&c) {
            out.push_str(repl);
        } else {
            out.push(c);
        }
        too_long(out.len(), p.max_len)?;
    }
    one(Value::String(out))
}

/// NFKD, then without combining characters (`unicodedata.combining`), optionally ASCII only.
pub(crate) fn strip_accents(p: &Props) -> Result<Emitted, String> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::canonical_combining_class;
    let ascii_only = !p.bool("preserve_non_ascii");
    let mut out = String::new();
    for c in p.str("text").nfkd() {
        if canonical_combining_class(c) == 0 && (!ascii_only || c.is_ascii()) {
            out.push(c);
            too_long(out.len(), p.max_len)?;
        }
    }
    one(Value::String(out))
}

/// Django-style slug as NodeTool builds it: NFKD, optionally ASCII only, drop what is not a
/// word character, space or hyphen, join runs of spaces, underscores and hyphens with the
/// separator, strip separator characters from both ends, optionally lowercase.
pub(crate) fn slugify(p: &Props) -> Result<Emitted, String> {
    use unicode_normalization::UnicodeNormalization;
    let ascii_only = !p.bool("allow_unicode");
    let mut value = String::new();
    for c in p.str("text").nfkd() {
        if !ascii_only || c.is_ascii() {
            value.push(c);
            too_long(value.len(), p.max_len)?;
        }
    }
    let sep = p.str("separator");
    let value = sub_fixed(r"[^\w\s-]", "", &value, p.max_len)?;
    let value = sub_fixed(r"[\s_-]+", sep, &value, p.max_len)?;
    // `str.strip(chars)` takes the separator as a set of characters.
    let value = value.trim_matches(|c| sep.contains(c));
    let value = if p.bool("lowercase") {
        value.to_lowercase()
    } else {
        value.to_string()
    };
    too_long(value.len(), p.max_len)?;
    one(Value::String(value))
}
