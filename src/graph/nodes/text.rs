//! `nodetool.text.*`: the text family's specs and the helpers its operations share.

use serde_json::{Map, Value, json};

use super::spec::{Behaviour, Emitted, Family, OUT, Prop, Props, Spec, TEXT, one, op};
use crate::graph::template;
use crate::graph::value::{Kind, py_repr, py_str, splitlines, too_long, type_name};

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.text."],
    nodes: &[
        (
            "Concat",
            op(
                concat,
                &[("a", Kind::Str, "\"\""), ("b", Kind::Str, "\"\"")],
            ),
        ),
        (
            "Join",
            op(
                join,
                &[
                    ("strings", Kind::List, "[]"),
                    ("separator", Kind::Str, "\"\""),
                ],
            ),
        ),
        (
            "FormatText",
            Spec {
                dynamic: true,
                ..op(format_text, &[("template", Kind::Str, "\"\"")])
            },
        ),
        (
            "Template",
            Spec {
                dynamic: true,
                ..op(
                    template_text,
                    &[("string", Kind::Str, "\"\""), ("values", Kind::Any, "{}")],
                )
            },
        ),
        (
            "Replace",
            op(
                replace,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("old", Kind::Str, "\"\""),
                    ("new", Kind::Str, "\"\""),
                ],
            ),
        ),
        (
            "Split",
            op(
                split,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("delimiter", Kind::Str, "\",\""),
                ],
            ),
        ),
        ("ToUppercase", op(upper, TEXT)),
        ("ToLowercase", op(lower, TEXT)),
        (
            "Length",
            op(
                length,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("measure", Kind::Str, "\"characters\""),
                    ("trim_whitespace", Kind::Bool, "false"),
                ],
            ),
        ),
        (
            "Contains",
            op(
                contains,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("substring", Kind::Str, "\"\""),
                    ("search_values", Kind::List, "[]"),
                    ("case_sensitive", Kind::Bool, "true"),
                    ("match_mode", Kind::Str, "\"any\""),
                ],
            ),
        ),
        (
            "Slice",
            op(
                slice,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("start", Kind::Int, "0"),
                    ("stop", Kind::Int, "0"),
                    ("step", Kind::Int, "1"),
                ],
            ),
        ),
        ("ParseJSON", op(parse_json, TEXT)),
        (
            "ToString",
            op(
                to_string,
                &[("value", Kind::Any, "[]"), ("mode", Kind::Str, "\"str\"")],
            ),
        ),
        (
            "StartsWith",
            op(
                starts_with,
                &[("text", Kind::Str, "\"\""), ("prefix", Kind::Str, "\"\"")],
            ),
        ),
        (
            "EndsWith",
            op(
                ends_with,
                &[("text", Kind::Str, "\"\""), ("suffix", Kind::Str, "\"\"")],
            ),
        ),
        (
            "Collect",
            Spec {
                behaviour: Behaviour::CollectText,
                props: &[
                    ("input_item", Kind::Str, "\"\""),
                    ("separator", Kind::Str, "\"\""),
                ],
                outputs: OUT,
                dynamic: false,
            },
        ),
        (
            "Extract",
            op(
                extract,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("start", Kind::Int, "0"),
                    ("end", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "Chunk",
            op(
                chunk,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("length", Kind::Int, "100"),
                    ("overlap", Kind::Int, "0"),
                    ("separator", Kind::Str, "\" \""),
                ],
            ),
        ),
        ("ExtractRegex", op(extract_regex, REGEX_WITH_FLAGS)),
        ("FindAllRegex", op(find_all_regex, REGEX_WITH_FLAGS)),
        (
            "ExtractJSON",
            op(
                extract_json,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("json_path", Kind::Str, "\"$.*\""),
                    ("find_all", Kind::Bool, "false"),
                ],
            ),
        ),
        (
            "RegexMatch",
            op(
                regex_match,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("pattern", Kind::Str, "\"\""),
                    ("group", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "RegexReplace",
            op(
                regex_replace,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("pattern", Kind::Str, "\"\""),
                    ("replacement", Kind::Str, "\"\""),
                    ("count", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "RegexSplit",
            op(
                regex_split,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("pattern", Kind::Str, "\"\""),
                    ("maxsplit", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "RegexValidate",
            op(
                regex_validate,
                &[("text", Kind::Str, "\"\""), ("pattern", Kind::Str, "\"\"")],
            ),
        ),
        ("Compare", op(compare, TWO_TEXTS)),
        ("Equals", op(equals, TWO_TEXTS)),
        ("ToTitlecase", op(titlecase, TEXT)),
        ("CapitalizeText", op(capitalize, TEXT)),
        (
            "TrimWhitespace",
            op(
                trim_whitespace,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("trim_start", Kind::Bool, "true"),
                    ("trim_end", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "CollapseWhitespace",
            op(
                collapse_whitespace,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("preserve_newlines", Kind::Bool, "false"),
                    ("replacement", Kind::Str, "\" \""),
                    ("trim_edges", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "IsEmpty",
            op(
                is_empty,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("trim_whitespace", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "RemovePunctuation",
            op(
                remove_punctuation,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("replacement", Kind::Str, "\"\""),
                    // Python's `string.punctuation`.
                    (
                        "punctuation",
                        Kind::Str,
                        r##""!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~""##,
                    ),
                ],
            ),
        ),
        (
            "StripAccents",
            op(
                strip_accents,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("preserve_non_ascii", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "Slugify",
            op(
                slugify,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("separator", Kind::Str, "\"-\""),
                    ("lowercase", Kind::Bool, "true"),
                    ("allow_unicode", Kind::Bool, "false"),
                ],
            ),
        ),
        (
            "HasLength",
            op(
                has_length,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("min_length", Kind::Int, "0"),
                    ("max_length", Kind::Int, "0"),
                    ("exact_length", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "TruncateText",
            op(
                truncate_text,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("max_length", Kind::Int, "100"),
                    ("ellipsis", Kind::Str, "\"\""),
                ],
            ),
        ),
        (
            "PadText",
            op(
                pad_text,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("length", Kind::Int, "0"),
                    ("pad_character", Kind::Str, "\" \""),
                    ("direction", Kind::Str, "\"right\""),
                ],
            ),
        ),
        (
            "IndexOf",
            op(
                index_of,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("substring", Kind::Str, "\"\""),
                    ("case_sensitive", Kind::Bool, "true"),
                    ("start_index", Kind::Int, "0"),
                    ("end_index", Kind::Int, "0"),
                    ("search_from_end", Kind::Bool, "false"),
                ],
            ),
        ),
        (
            "SurroundWith",
            op(
                surround_with,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("prefix", Kind::Str, "\"\""),
                    ("suffix", Kind::Str, "\"\""),
                    ("skip_if_wrapped", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "FilterString",
            op(
                filter_string,
                &[
                    // `Any`: NodeTool skips non-strings in the stream instead of failing.
                    ("value", Kind::Any, "\"\""),
                    ("filter_type", Kind::Str, "\"contains\""),
                    ("criteria", Kind::Str, "\"\""),
                ],
            ),
        ),
        (
            "FilterRegexString",
            op(
                filter_regex_string,
                &[
                    ("value", Kind::Any, "\"\""),
                    ("pattern", Kind::Str, "\"\""),
                    ("full_match", Kind::Bool, "false"),
                ],
            ),
        ),
    ],
};

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

const REGEX_WITH_FLAGS: &[Prop] = &[
    ("text", Kind::Str, "\"\""),
    ("regex", Kind::Str, "\"\""),
    ("dotall", Kind::Bool, "false"),
    ("ignorecase", Kind::Bool, "false"),
    ("multiline", Kind::Bool, "false"),
];

const TWO_TEXTS: &[Prop] = &[
    ("text_a", Kind::Str, "\"\""),
    ("text_b", Kind::Str, "\"\""),
    ("case_sensitive", Kind::Bool, "true"),
    ("trim_whitespace", Kind::Bool, "false"),
];

/// Longest list a node may build (the engine refuses longer outputs; we refuse before building).
const MAX_ITEMS: usize = 100_000;

fn too_many(n: usize) -> Result<(), String> {
    if n > MAX_ITEMS {
        Err(format!("the list would exceed {MAX_ITEMS} items"))
    } else {
        Ok(())
    }
}

/// A list of strings under both bounds: item count and total text, since pieces of one input
/// can repeat (overlapping chunks, groups inside lookaheads) and add up past any one string.
struct Bounded {
    items: Vec<Value>,
    bytes: usize,
    max_len: usize,
}

impl Bounded {
    fn new(max_len: usize) -> Self {
        Bounded {
            items: Vec::new(),
            bytes: 0,
            max_len,
        }
    }

    /// Counts `s` against the text budget and returns it as a value.
    fn text(&mut self, s: String) -> Result<Value, String> {
        self.bytes = self.bytes.saturating_add(s.len());
        too_long(self.bytes, self.max_len)?;
        Ok(Value::String(s))
    }

    fn push(&mut self, v: Value) -> Result<(), String> {
        too_many(self.items.len() + 1)?;
        self.items.push(v);
        Ok(())
    }

    fn push_text(&mut self, s: String) -> Result<(), String> {
        let v = self.text(s)?;
        self.push(v)
    }

    fn done(self) -> Result<Emitted, String> {
        one(Value::Array(self.items))
    }
}

// ---------------------------------------------------------------------------
// Python's notion of characters: `str.isspace`, `str.isdecimal`, `str.isalnum`, case mappings.
// Rust's `char` methods follow slightly different Unicode properties; these close the gaps that
// change results.
// ---------------------------------------------------------------------------

/// `str.isspace`: Rust's White_Space plus the ASCII separators U+001C..U+001F.
fn py_isspace(c: char) -> bool {
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
fn py_decimal(c: char) -> Option<u32> {
    let u = c as u32;
    let i = DECIMAL_RUNS.partition_point(|&start| start <= u);
    let start = *DECIMAL_RUNS.get(i.checked_sub(1)?)?;
    (u - start < 10).then_some(u - start)
}

/// `str.isalnum`: letters and numbers, but not the marks and circled letters that Rust's
/// Alphabetic property adds.
fn py_isalnum(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    let circled = matches!(c as u32, 0x24b6..=0x24e9 | 0x1f130..=0x1f149 | 0x1f150..=0x1f169 | 0x1f170..=0x1f189);
    c.is_alphanumeric() && !circled && !unicode_normalization::char::is_combining_mark(c)
}

/// Python's simple (one code point) lowercase mapping, which `re` uses to ignore case.
fn simple_lower(c: char) -> char {
    // Only U+0130 lowercases to two code points; its simple mapping is the first.
    c.to_lowercase().next().unwrap_or(c)
}

/// Python's simple uppercase mapping: where the full mapping has several code points, the
/// simple one keeps the character.
fn simple_upper(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

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

/// `str.strip()` / `lstrip()` / `rstrip()` with Python's whitespace.
fn py_trim(s: &str, start: bool, end: bool) -> &str {
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
fn py_int(s: &str) -> Option<i128> {
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

fn chars_of(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// A code-point slice `[start, end)` of `chars` as a string (callers pass valid bounds).
fn string_of(chars: &[char], start: usize, end: usize) -> String {
    chars.get(start..end).unwrap_or_default().iter().collect()
}

// ---------------------------------------------------------------------------
// Substrings and chunks
// ---------------------------------------------------------------------------

pub(crate) fn extract(p: &Props) -> Result<Emitted, String> {
    let chars = chars_of(p.str("text"));
    let idx = py_slice_indices(chars.len(), p.int("start"), p.int("end"), 1)?;
    one(Value::String(idx.into_iter().map(|i| chars[i]).collect()))
}

/// `text.split(separator)` in windows of `length` words that start every `length - overlap`
/// words, each joined with a space (whatever the separator was), as NodeTool does.
pub(crate) fn chunk(p: &Props) -> Result<Emitted, String> {
    let sep = p.str("separator");
    if sep.is_empty() {
        return Err("empty separator".into());
    }
    let words: Vec<&str> = p.str("text").split(sep).collect();
    let length = i128::from(p.int("length"));
    let step = length - i128::from(p.int("overlap"));
    if step == 0 {
        return Err("range() arg 3 must not be zero".into());
    }
    let mut out = Bounded::new(p.max_len);
    if step < 0 {
        return out.done();
    }
    let n = words.len() as i128;
    let mut i: i128 = 0;
    while i < n {
        // `words[i:i + length]`: a negative end counts from the back, as in Python.
        let stop =
            i64::try_from(i + length).unwrap_or(if length < 0 { i64::MIN } else { i64::MAX });
        let idx = py_slice_indices(words.len(), i as i64, stop, 1)?;
        let piece: Vec<&str> = idx.into_iter().map(|j| words[j]).collect();
        out.push_text(piece.join(" "))?;
        i += step;
    }
    out.done()
}

// ---------------------------------------------------------------------------
// Comparison and case
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Whitespace, punctuation, accents, slugs
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Length, truncation, padding, search, wrapping
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Stream filters: a value that passes is emitted, one that does not emits nothing
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Regular expressions
// ---------------------------------------------------------------------------

fn regex_flags(p: &Props) -> u32 {
    let mut flags = 0;
    for (name, flag) in [
        ("dotall", pyre::DOTALL),
        ("ignorecase", pyre::IGNORECASE),
        ("multiline", pyre::MULTILINE),
    ] {
        if p.bool(name) {
            flags |= flag;
        }
    }
    flags
}

/// A group's text, or null where the group did not take part (Python's None).
fn group_value(
    out: &mut Bounded,
    chars: &[char],
    span: Option<(usize, usize)>,
) -> Result<Value, String> {
    match span {
        Some((s, e)) => out.text(string_of(chars, s, e)),
        None => Ok(Value::Null),
    }
}

/// `re.search(regex, text, flags).groups()`, or an empty list when nothing matches.
pub(crate) fn extract_regex(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("regex"), regex_flags(p))?;
    let chars = chars_of(p.str("text"));
    let mut out = Bounded::new(p.max_len);
    if let Some(m) = re.exec(
        &chars,
        0,
        false,
        pyre::Mode::Search,
        &mut pyre::Budget::for_text(chars.len()),
    )? {
        for span in m.into_iter().skip(1) {
            let v = group_value(&mut out, &chars, span)?;
            out.push(v)?;
        }
    }
    out.done()
}

/// `re.findall`: whole matches without groups, the group with one, lists of groups with
/// several (a group that did not take part is an empty string there).
pub(crate) fn find_all_regex(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("regex"), regex_flags(p))?;
    find_all(&re, p.str("text"), p.max_len)
}

fn find_all(re: &pyre::Regex, text: &str, max_len: usize) -> Result<Emitted, String> {
    let chars = chars_of(text);
    let mut out = Bounded::new(max_len);
    let text_of =
        |span: Option<(usize, usize)>| span.map_or(String::new(), |(s, e)| string_of(&chars, s, e));
    re.for_each(&chars, &mut pyre::Budget::for_text(chars.len()), |m| {
        let item = match m.len() {
            1 => out.text(text_of(m[0]))?,
            2 => out.text(text_of(m[1]))?,
            _ => {
                let mut groups = Vec::with_capacity(m.len() - 1);
                for span in &m[1..] {
                    groups.push(out.text(text_of(*span))?);
                }
                Value::Array(groups)
            }
        };
        out.push(item)?;
        Ok(true)
    })?;
    out.done()
}

/// `[m.group(group) for m in re.finditer(pattern, text)]`.
pub(crate) fn regex_match(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("pattern"), 0)?;
    let chars = chars_of(p.str("text"));
    let group = p.int("group");
    let mut out = Bounded::new(p.max_len);
    re.for_each(&chars, &mut pyre::Budget::for_text(chars.len()), |m| {
        let span = usize::try_from(group)
            .ok()
            .and_then(|g| m.get(g))
            .ok_or("no such group")?;
        let v = group_value(&mut out, &chars, *span)?;
        out.push(v)?;
        Ok(true)
    })?;
    out.done()
}

/// `re.sub(pattern, replacement, text, count=count)`: 0 replaces all, a negative count none.
pub(crate) fn regex_replace(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("pattern"), 0)?;
    let chars = chars_of(p.str("text"));
    let out = re.sub(
        &chars,
        p.str("replacement"),
        p.int("count"),
        p.max_len,
        &mut pyre::Budget::for_text(chars.len()),
    )?;
    one(Value::String(out))
}

/// `re.split(pattern, text, maxsplit=maxsplit)`: groups in the pattern are kept in the result
/// (null where a group did not take part); 0 splits everywhere, a negative count nowhere.
pub(crate) fn regex_split(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("pattern"), 0)?;
    let chars = chars_of(p.str("text"));
    let maxsplit = p.int("maxsplit");
    let mut out = Bounded::new(p.max_len);
    let mut last = 0;
    if maxsplit >= 0 {
        let mut n: i64 = 0;
        re.for_each(&chars, &mut pyre::Budget::for_text(chars.len()), |m| {
            let (s, e) = m[0].unwrap_or((last, last));
            out.push_text(string_of(&chars, last, s))?;
            for span in &m[1..] {
                let v = group_value(&mut out, &chars, *span)?;
                out.push(v)?;
            }
            last = e;
            n += 1;
            Ok(maxsplit == 0 || n < maxsplit)
        })?;
    }
    out.push_text(string_of(&chars, last, chars.len()))?;
    out.done()
}

/// `bool(re.match(pattern, text))`: anchored at the start only.
pub(crate) fn regex_validate(p: &Props) -> Result<Emitted, String> {
    let re = pyre::Regex::new(p.str("pattern"), 0)?;
    let chars = chars_of(p.str("text"));
    let hit = re.exec(
        &chars,
        0,
        false,
        pyre::Mode::Match,
        &mut pyre::Budget::for_text(chars.len()),
    )?;
    one(Value::Bool(hit.is_some()))
}

// ---------------------------------------------------------------------------
// Python's `re`, rebuilt. NodeTool's regex nodes take Python patterns, and Rust's regex crates
// differ from them in syntax (lookaround, backreferences, conditionals, atomic groups), in
// Unicode classes (`\w`, `\d`), in how empty matches are iterated, and in replacement
// templates. This is a backtracking matcher that follows `sre` instruction for instruction
// where it matters: leftmost-first alternation, greedy/lazy/possessive repeats with sre's
// empty-iteration rule, and Python's error messages. It never recurses on the text and counts
// its steps, so a pathological pattern fails with a message instead of hanging the run.
// ---------------------------------------------------------------------------

mod pyre {
    use super::{py_decimal, py_isalnum, py_isspace, simple_lower, simple_upper};
    use crate::graph::value::py_repr;
    use serde_json::Value;

    // Python's flag values, so the inline-flag rules read as in `re._parser`.
    const TEMPLATE: u32 = 1;
    pub const IGNORECASE: u32 = 2;
    const LOCALE: u32 = 4;
    pub const MULTILINE: u32 = 8;
    pub const DOTALL: u32 = 16;
    const UNICODE: u32 = 32;
    const VERBOSE: u32 = 64;
    const ASCII: u32 = 256;
    const TYPE_FLAGS: u32 = ASCII | LOCALE | UNICODE;

    const MAXREPEAT: u64 = 4_294_967_295;
    /// An unbounded repeat.
    const INF: u32 = u32::MAX;
    /// Far below Python's limit, far above any real pattern; bounds the matcher's registers.
    const MAX_GROUPS: usize = 10_000;
    /// Bounds the parser's recursion (one level per parenthesis).
    const MAX_NESTING: usize = 200;
    const MAX_STEPS: u64 = 20_000_000;
    const STEPS_PER_CHAR: u64 = 64;
    const MAX_STACK: usize = 2_000_000;
    const UNSET: usize = usize::MAX;

    /// Work left for one node run, shared by every search it makes: a fixed allowance plus
    /// some per character, so long texts scan fully while runaway backtracking stops.
    pub struct Budget(u64);

    impl Budget {
        pub fn for_text(chars: usize) -> Budget {
            Budget(MAX_STEPS.saturating_add((chars as u64).saturating_mul(STEPS_PER_CHAR)))
        }
    }

    fn too_complex() -> String {
        "the regular expression needs too many steps on this text; simplify the pattern \
         (nested repeats can backtrack exponentially)"
            .to_string()
    }

    // ----- syntax tree -----

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Cat {
        Digit,
        Space,
        Word,
    }

    #[derive(Clone, Copy)]
    enum Item {
        /// One code point (kept as a number: `\ud800` is valid Python and matches nothing here).
        Ch(u32),
        Range(u32, u32),
        Cat(Cat, bool),
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum At {
        Begin,
        End,
        BeginString,
        EndString,
        Boundary,
        NonBoundary,
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Rep {
        Greedy,
        Lazy,
        Possessive,
    }

    /// Flags are resolved into the nodes they affect (`u32` fields), since scoped flags
    /// (`(?i:...)`) give different parts of one pattern different flags.
    enum Node {
        Lit(u32, u32),
        Any(u32),
        Set(Vec<Item>, bool, u32),
        At(At, u32),
        Group(Option<usize>, Box<Node>),
        Seq(Vec<Node>),
        Alt(Vec<Node>),
        Repeat(Box<Node>, u32, u32, Rep),
        Backref(usize, u32),
        Look(bool, bool, Box<Node>),
        Atomic(Box<Node>),
        Cond(usize, Box<Node>, Option<Box<Node>>),
    }

    /// A parse error: message and code-point position, rendered as `re.error` renders.
    struct PErr(String, Option<usize>);

    fn err<T>(msg: impl Into<String>, pos: usize) -> Result<T, PErr> {
        Err(PErr(msg.into(), Some(pos)))
    }

    fn render(pattern: &[char], e: PErr) -> String {
        let PErr(msg, pos) = e;
        let Some(pos) = pos else { return msg };
        let mut s = format!("{msg} at position {pos}");
        if pattern.contains(&'\n') {
            let before = &pattern[..pos.min(pattern.len())];
            let line = before.iter().filter(|c| **c == '\n').count() + 1;
            let col = match before.iter().rposition(|c| *c == '\n') {
                Some(nl) => pos - nl,
                None => pos + 1,
            };
            s.push_str(&format!(" (line {line}, column {col})"));
        }
        s
    }

    fn quoted(name: &str) -> String {
        py_repr(&Value::String(name.to_string()))
    }

    fn flag_of(c: char) -> Option<u32> {
        Some(match c {
            'i' => IGNORECASE,
            'L' => LOCALE,
            'm' => MULTILINE,
            's' => DOTALL,
            'x' => VERBOSE,
            'a' => ASCII,
            't' => TEMPLATE,
            'u' => UNICODE,
            _ => return None,
        })
    }

    fn is_identifier(s: &str) -> bool {
        let mut cs = s.chars();
        cs.next().is_some_and(|c| c == '_' || c.is_alphabetic())
            && cs.all(|c| {
                c == '_' || c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
            })
    }

    /// A token as Python's tokenizer sees it: a character, or a backslash and the next one.
    #[derive(Clone, Copy, PartialEq, Eq)]
    struct Tok {
        c: char,
        esc: bool,
    }

    impl Tok {
        fn width(self) -> usize {
            if self.esc { 2 } else { 1 }
        }
        fn text(self) -> String {
            if self.esc {
                format!("\\{}", self.c)
            } else {
                self.c.to_string()
            }
        }
        fn is(self, c: char) -> bool {
            !self.esc && self.c == c
        }
    }

    /// Scoped flag changes: on and off masks applied over the global flags.
    #[derive(Clone, Copy, Default)]
    struct Scope {
        on: u32,
        off: u32,
    }

    impl Scope {
        fn with(self, add: u32, del: u32) -> Scope {
            // Turning on a type flag (`a`, `u`) replaces the other, as `_combine_flags` does.
            let del = if add & UNICODE != 0 { del | ASCII } else { del };
            Scope {
                on: (self.on & !del) | add,
                off: (self.off & !add) | del,
            }
        }
    }

    struct Parser<'p> {
        p: &'p [char],
        i: usize,
        flags: u32,
        /// Width of each closed group (index 0 stands for the whole pattern); None while open.
        widths: Vec<Option<(u64, u64)>>,
        names: Vec<(String, usize)>,
        lookbehind_groups: Option<usize>,
        cond_refs: Vec<(usize, usize)>,
        /// A compile-time error Python raises after parsing succeeds.
        late: Option<String>,
        /// Set when `(?flags)` turned on global flags, which must come first.
        global_flags_pending: bool,
    }

    impl<'p> Parser<'p> {
        fn peek(&self) -> Result<Option<Tok>, PErr> {
            match self.p.get(self.i) {
                None => Ok(None),
                Some('\\') => match self.p.get(self.i + 1) {
                    Some(&c) => Ok(Some(Tok { c, esc: true })),
                    None => err("bad escape (end of pattern)", self.p.len() - 1),
                },
                Some(&c) => Ok(Some(Tok { c, esc: false })),
            }
        }

        /// Moves to `i`. Python's tokenizer reads the next token as it moves, so a lone
        /// trailing backslash is reported as soon as the parser reaches it.
        fn seek(&mut self, i: usize) -> Result<(), PErr> {
            self.i = i;
            if i + 1 == self.p.len() && self.p[i] == '\\' {
                return err("bad escape (end of pattern)", i);
            }
            Ok(())
        }

        fn get(&mut self) -> Result<Option<Tok>, PErr> {
            let t = self.peek()?;
            if let Some(t) = t {
                self.seek(self.i + t.width())?;
            }
            Ok(t)
        }

        fn eat(&mut self, c: char) -> Result<bool, PErr> {
            if self.peek()?.is_some_and(|t| t.is(c)) {
                self.seek(self.i + 1)?;
                return Ok(true);
            }
            Ok(false)
        }

        fn groups(&self) -> usize {
            self.widths.len()
        }

        fn eff(&self, scope: Scope) -> u32 {
            (self.flags | scope.on) & !scope.off
        }

        /// Up to `n` characters from `set`, raw (escapes are not digits).
        fn take_while(&mut self, n: usize, ok: impl Fn(char) -> bool) -> Result<String, PErr> {
            let mut s = String::new();
            while s.chars().count() < n {
                match self.p.get(self.i) {
                    Some(&c) if ok(c) => {
                        s.push(c);
                        self.seek(self.i + 1)?;
                    }
                    _ => break,
                }
            }
            Ok(s)
        }

        fn get_until(&mut self, term: char, name: &str) -> Result<String, PErr> {
            let mut out = String::new();
            loop {
                let Some(t) = self.get()? else {
                    if out.is_empty() {
                        return err(format!("missing {name}"), self.i);
                    }
                    let n = out.chars().count();
                    return err(format!("missing {term}, unterminated name"), self.i - n);
                };
                if t.is(term) {
                    if out.is_empty() {
                        return err(format!("missing {name}"), self.i - 1);
                    }
                    return Ok(out);
                }
                out.push_str(&t.text());
            }
        }

        fn check_name(&self, name: &str, offset: usize) -> Result<(), PErr> {
            if is_identifier(name) {
                return Ok(());
            }
            let at = self.i.saturating_sub(name.chars().count() + offset);
            err(format!("bad character in group name {}", quoted(name)), at)
        }

        fn group_named(&self, name: &str) -> Option<usize> {
            self.names.iter().find(|(n, _)| n == name).map(|(_, g)| *g)
        }

        fn closed(&self, g: usize) -> bool {
            self.widths.get(g).is_some_and(Option::is_some)
        }

        fn check_lookbehind_group(&self, g: usize) -> Result<(), PErr> {
            if let Some(first) = self.lookbehind_groups {
                if !self.closed(g) {
                    return err("cannot refer to an open group", self.i);
                }
                if g >= first {
                    return err(
                        "cannot refer to group defined in the same lookbehind subpattern",
                        self.i,
                    );
                }
            }
            Ok(())
        }

        fn parse_sub(
            &mut self,
            mut verbose: bool,
            nested: usize,
            scope: Scope,
        ) -> Result<Node, PErr> {
            if nested > MAX_NESTING {
                return err("too many nested parentheses", self.i);
            }
            let mut items = Vec::new();
            loop {
                let first = nested == 0 && items.is_empty();
                items.push(self.parse_seq(verbose, nested + 1, first, scope)?);
                if !self.eat('|')? {
                    break;
                }
                if nested == 0 {
                    verbose = self.flags & VERBOSE != 0;
                }
            }
            Ok(if items.len() == 1 {
                items.pop().unwrap_or(Node::Seq(Vec::new()))
            } else {
                Node::Alt(items)
            })
        }

        fn parse_seq(
            &mut self,
            mut verbose: bool,
            nested: usize,
            first: bool,
            scope: Scope,
        ) -> Result<Node, PErr> {
            let mut seq: Vec<Node> = Vec::new();
            while let Some(t) = self.peek()? {
                if t.is('|') || t.is(')') {
                    break;
                }
                self.seek(self.i + t.width())?;
                let fl = self.eff(scope);
                if verbose && !t.esc {
                    if matches!(t.c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}') {
                        continue;
                    }
                    if t.c == '#' {
                        while let Some(t) = self.get()? {
                            if t.is('\n') {
                                break;
                            }
                        }
                        continue;
                    }
                }
                if t.esc {
                    seq.push(self.escape(t.c, fl)?);
                    continue;
                }
                match t.c {
                    '[' => seq.push(self.parse_set(fl)?),
                    '*' | '+' | '?' | '{' => self.parse_repeat(t.c, &mut seq, fl)?,
                    '.' => seq.push(Node::Any(fl)),
                    '^' => seq.push(Node::At(At::Begin, fl)),
                    '$' => seq.push(Node::At(At::End, fl)),
                    '(' => {
                        let start = self.i - 1;
                        match self.parse_group(verbose, nested, scope, start)? {
                            Some(n) => seq.push(n),
                            None if self.global_flags_pending => {
                                self.global_flags_pending = false;
                                if !first || !seq.is_empty() {
                                    return err(
                                        "global flags not at the start of the expression",
                                        start,
                                    );
                                }
                                verbose = self.flags & VERBOSE != 0;
                            }
                            None => {}
                        }
                    }
                    c => seq.push(Node::Lit(c as u32, fl)),
                }
            }
            // A plain non-capturing group is only a bracket.
            let mut flat = Vec::with_capacity(seq.len());
            for n in seq {
                match n {
                    Node::Group(None, inner) => match *inner {
                        Node::Seq(v) => flat.extend(v),
                        other => flat.push(other),
                    },
                    other => flat.push(other),
                }
            }
            Ok(Node::Seq(flat))
        }

        fn parse_repeat(&mut self, c: char, seq: &mut Vec<Node>, fl: u32) -> Result<(), PErr> {
            let here = self.i;
            let (min, max) = match c {
                '?' => (0, 1),
                '*' => (0, INF),
                '+' => (1, INF),
                _ => {
                    if self.peek()?.is_some_and(|t| t.is('}')) {
                        seq.push(Node::Lit('{' as u32, fl));
                        return Ok(());
                    }
                    let lo = self.take_while(usize::MAX, |c| c.is_ascii_digit())?;
                    let hi = if self.eat(',')? {
                        self.take_while(usize::MAX, |c| c.is_ascii_digit())?
                    } else {
                        lo.clone()
                    };
                    if !self.eat('}')? {
                        seq.push(Node::Lit('{' as u32, fl));
                        self.seek(here)?;
                        return Ok(());
                    }
                    let number = |s: &str| -> Result<u32, PErr> {
                        let v = s.bytes().fold(0u64, |v, d| {
                            v.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                        });
                        if v >= MAXREPEAT {
                            return Err(PErr("the repetition number is too large".into(), None));
                        }
                        Ok(v as u32)
                    };
                    let min = if lo.is_empty() { 0 } else { number(&lo)? };
                    let max = if hi.is_empty() { INF } else { number(&hi)? };
                    if max < min {
                        return err("min repeat greater than max repeat", here);
                    }
                    (min, max)
                }
            };
            let pos = here - 1;
            let Some(last) = seq.pop() else {
                return err("nothing to repeat", pos);
            };
            match last {
                Node::At(..) => return err("nothing to repeat", pos),
                Node::Repeat(..) => return err("multiple repeat", pos),
                _ => {}
            }
            let item = match last {
                Node::Group(None, inner) => inner,
                other => Box::new(other),
            };
            let kind = if self.eat('?')? {
                Rep::Lazy
            } else if self.eat('+')? {
                Rep::Possessive
            } else {
                Rep::Greedy
            };
            seq.push(Node::Repeat(item, min, max, kind));
            Ok(())
        }

        fn parse_set(&mut self, fl: u32) -> Result<Node, PErr> {
            let here = self.i - 1;
            let negate = self.eat('^')?;
            let mut items: Vec<Item> = Vec::new();
            let mut any = false;
            loop {
                let Some(this) = self.get()? else {
                    return err("unterminated character set", here);
                };
                if this.is(']') && any {
                    break;
                }
                any = true;
                let code1 = if this.esc {
                    self.class_escape(this.c)?
                } else {
                    Item::Ch(this.c as u32)
                };
                if self.eat('-')? {
                    let Some(that) = self.get()? else {
                        return err("unterminated character set", here);
                    };
                    if that.is(']') {
                        items.push(code1);
                        items.push(Item::Ch('-' as u32));
                        break;
                    }
                    let code2 = if that.esc {
                        self.class_escape(that.c)?
                    } else {
                        Item::Ch(that.c as u32)
                    };
                    let bad = || {
                        let msg = format!("bad character range {}-{}", this.text(), that.text());
                        let at = self.i.saturating_sub(this.width() + 1 + that.width());
                        err(msg, at)
                    };
                    match (code1, code2) {
                        (Item::Ch(lo), Item::Ch(hi)) if lo <= hi => items.push(Item::Range(lo, hi)),
                        _ => return bad(),
                    }
                } else {
                    items.push(code1);
                }
            }
            Ok(Node::Set(items, negate, fl))
        }

        /// `\x..`, `\u....`, `\U........` (exactly that many hex digits).
        fn hex_escape(&mut self, kind: char, n: usize) -> Result<u32, PErr> {
            let digits = self.take_while(n, |c| c.is_ascii_hexdigit())?;
            let text = format!("\\{kind}{digits}");
            let len = text.chars().count();
            if digits.chars().count() != n {
                return err(format!("incomplete escape {text}"), self.i - len);
            }
            let v = u32::from_str_radix(&digits, 16).unwrap_or(u32::MAX);
            if v > 0x10ffff {
                return err(format!("bad escape {text}"), self.i - len);
            }
            Ok(v)
        }

        fn category(c: char) -> Option<Item> {
            Some(match c {
                'd' => Item::Cat(Cat::Digit, false),
                'D' => Item::Cat(Cat::Digit, true),
                's' => Item::Cat(Cat::Space, false),
                'S' => Item::Cat(Cat::Space, true),
                'w' => Item::Cat(Cat::Word, false),
                'W' => Item::Cat(Cat::Word, true),
                _ => return None,
            })
        }

        fn simple_escape(c: char) -> Option<u32> {
            Some(match c {
                'a' => 7,
                'b' => 8,
                'f' => 12,
                'n' => 10,
                'r' => 13,
                't' => 9,
                'v' => 11,
                '\\' => 92,
                _ => return None,
            })
        }

        fn named_escape(&mut self) -> Result<u32, PErr> {
            // Python looks names up in the Unicode database, which this server does not carry.
            err(
                "bad escape \\N (character names are not supported on this server)",
                self.i - 2,
            )
        }

        fn class_escape(&mut self, c: char) -> Result<Item, PErr> {
            if let Some(v) = Self::simple_escape(c) {
                return Ok(Item::Ch(v));
            }
            if let Some(cat) = Self::category(c) {
                return Ok(cat);
            }
            match c {
                'x' => self.hex_escape('x', 2).map(Item::Ch),
                'u' => self.hex_escape('u', 4).map(Item::Ch),
                'U' => self.hex_escape('U', 8).map(Item::Ch),
                'N' => self.named_escape().map(Item::Ch),
                '0'..='7' => {
                    let more = self.take_while(2, |c| ('0'..='7').contains(&c))?;
                    let text = format!("\\{c}{more}");
                    let v = u32::from_str_radix(&text[1..], 8).unwrap_or(0);
                    if v > 0o377 {
                        let len = text.chars().count();
                        return err(
                            format!("octal escape value {text} outside of range 0-0o377"),
                            self.i - len,
                        );
                    }
                    Ok(Item::Ch(v))
                }
                c if c.is_ascii_alphanumeric() => err(format!("bad escape \\{c}"), self.i - 2),
                c => Ok(Item::Ch(c as u32)),
            }
        }

        fn escape(&mut self, c: char, fl: u32) -> Result<Node, PErr> {
            let at = match c {
                'A' => Some(At::BeginString),
                'Z' => Some(At::EndString),
                'b' => Some(At::Boundary),
                'B' => Some(At::NonBoundary),
                _ => None,
            };
            if let Some(at) = at {
                return Ok(Node::At(at, fl));
            }
            if let Some(cat) = Self::category(c) {
                return Ok(Node::Set(vec![cat], false, fl));
            }
            if let Some(v) = Self::simple_escape(c) {
                return Ok(Node::Lit(v, fl));
            }
            let lit = match c {
                'x' => self.hex_escape('x', 2)?,
                'u' => self.hex_escape('u', 4)?,
                'U' => self.hex_escape('U', 8)?,
                'N' => self.named_escape()?,
                '0' => {
                    let more = self.take_while(2, |c| ('0'..='7').contains(&c))?;
                    u32::from_str_radix(&format!("0{more}"), 8).unwrap_or(0)
                }
                '1'..='9' => return self.digit_escape(c, fl),
                c if c.is_ascii_alphabetic() => {
                    return err(format!("bad escape \\{c}"), self.i - 2);
                }
                c => c as u32,
            };
            Ok(Node::Lit(lit, fl))
        }

        /// `\1`..`\99` is a group reference unless three octal digits make it a character.
        fn digit_escape(&mut self, c: char, fl: u32) -> Result<Node, PErr> {
            let mut text = format!("\\{c}");
            if let Some(&d) = self.p.get(self.i).filter(|d| d.is_ascii_digit()) {
                text.push(d);
                self.seek(self.i + 1)?;
                let octal = |c: char| ('0'..='7').contains(&c);
                if let Some(&e) = self
                    .p
                    .get(self.i)
                    .filter(|e| octal(c) && octal(d) && octal(**e))
                {
                    text.push(e);
                    self.seek(self.i + 1)?;
                    let v = u32::from_str_radix(&text[1..], 8).unwrap_or(0);
                    if v > 0o377 {
                        return err(
                            format!("octal escape value {text} outside of range 0-0o377"),
                            self.i - 4,
                        );
                    }
                    return Ok(Node::Lit(v, fl));
                }
            }
            let len = text.chars().count();
            let group: usize = text[1..].parse().unwrap_or(0);
            if group < self.groups() {
                if !self.closed(group) {
                    return err("cannot refer to an open group", self.i - len);
                }
                self.check_lookbehind_group(group)?;
                return Ok(Node::Backref(group, fl));
            }
            err(
                format!("invalid group reference {group}"),
                self.i - (len - 1),
            )
        }

        fn open_group(&mut self, name: Option<String>) -> Result<usize, PErr> {
            let gid = self.groups();
            if gid > MAX_GROUPS {
                return Err(PErr(
                    format!("too many groups (more than {MAX_GROUPS})"),
                    None,
                ));
            }
            if let Some(name) = name {
                if let Some(old) = self.group_named(&name) {
                    let msg = format!(
                        "redefinition of group name {} as group {gid}; was group {old}",
                        quoted(&name)
                    );
                    return err(msg, self.i - (name.chars().count() + 1));
                }
                self.names.push((name, gid));
            }
            self.widths.push(None);
            Ok(gid)
        }

        /// After `(`. None for a comment or for global flags (then `global_flags_pending`).
        fn parse_group(
            &mut self,
            verbose: bool,
            nested: usize,
            scope: Scope,
            start: usize,
        ) -> Result<Option<Node>, PErr> {
            let mut name = None;
            let mut capture = true;
            let mut atomic = false;
            let mut inner = scope;
            if self.eat('?')? {
                let Some(t) = self.get()? else {
                    return err("unexpected end of pattern", self.i);
                };
                let fl = self.eff(scope);
                match (t.esc, t.c) {
                    (false, 'P') => {
                        if self.eat('<')? {
                            let n = self.get_until('>', "group name")?;
                            self.check_name(&n, 1)?;
                            name = Some(n);
                        } else if self.eat('=')? {
                            let n = self.get_until(')', "group name")?;
                            self.check_name(&n, 1)?;
                            let at = self.i - (n.chars().count() + 1);
                            let Some(gid) = self.group_named(&n) else {
                                return err(format!("unknown group name {}", quoted(&n)), at);
                            };
                            if !self.closed(gid) {
                                return err("cannot refer to an open group", at);
                            }
                            self.check_lookbehind_group(gid)?;
                            return Ok(Some(Node::Backref(gid, fl)));
                        } else {
                            let Some(t2) = self.get()? else {
                                return err("unexpected end of pattern", self.i);
                            };
                            return err(
                                format!("unknown extension ?P{}", t2.text()),
                                self.i - (t2.width() + 2),
                            );
                        }
                    }
                    (false, ':') => capture = false,
                    (false, '#') => {
                        loop {
                            match self.get()? {
                                None => return err("missing ), unterminated comment", start),
                                Some(t) if t.is(')') => break,
                                Some(_) => {}
                            }
                        }
                        return Ok(None);
                    }
                    (false, '=' | '!' | '<') => {
                        return self
                            .parse_look(t.c, verbose, nested, scope, start)
                            .map(Some);
                    }
                    (false, '(') => {
                        return self.parse_cond(verbose, nested, scope, start).map(Some);
                    }
                    (false, '>') => {
                        capture = false;
                        atomic = true;
                    }
                    (false, c) if flag_of(c).is_some() || c == '-' => match self.parse_flags(c)? {
                        None => {
                            self.global_flags_pending = true;
                            return Ok(None);
                        }
                        Some((add, del)) => {
                            capture = false;
                            inner = scope.with(add, del);
                        }
                    },
                    _ => {
                        return err(
                            format!("unknown extension ?{}", t.text()),
                            self.i - (t.width() + 1),
                        );
                    }
                }
            }
            let gid = if capture {
                Some(self.open_group(name)?)
            } else {
                None
            };
            let sub_verbose = (verbose || inner.on & VERBOSE != 0) && inner.off & VERBOSE == 0;
            let body = self.parse_sub(sub_verbose, nested + 1, inner)?;
            if !self.eat(')')? {
                return err("missing ), unterminated subpattern", start);
            }
            if let Some(g) = gid {
                self.widths[g] = Some(self.width(&body));
            }
            Ok(Some(if atomic {
                Node::Atomic(Box::new(body))
            } else {
                Node::Group(gid, Box::new(body))
            }))
        }

        fn parse_look(
            &mut self,
            c: char,
            verbose: bool,
            nested: usize,
            scope: Scope,
            start: usize,
        ) -> Result<Node, PErr> {
            let (behind, negate) = match c {
                '=' => (false, false),
                '!' => (false, true),
                _ => {
                    let Some(t) = self.get()? else {
                        return err("unexpected end of pattern", self.i);
                    };
                    match (t.esc, t.c) {
                        (false, '=') => (true, false),
                        (false, '!') => (true, true),
                        _ => {
                            return err(
                                format!("unknown extension ?<{}", t.text()),
                                self.i - (t.width() + 2),
                            );
                        }
                    }
                }
            };
            let outermost = behind && self.lookbehind_groups.is_none();
            if outermost {
                self.lookbehind_groups = Some(self.groups());
            }
            let body = self.parse_sub(verbose, nested + 1, scope)?;
            if outermost {
                self.lookbehind_groups = None;
            }
            if !self.eat(')')? {
                return err("missing ), unterminated subpattern", start);
            }
            if behind {
                let (lo, hi) = self.width(&body);
                if lo != hi && self.late.is_none() {
                    self.late = Some("look-behind requires fixed-width pattern".into());
                }
            }
            Ok(Node::Look(behind, negate, Box::new(body)))
        }

        fn parse_cond(
            &mut self,
            verbose: bool,
            nested: usize,
            scope: Scope,
            start: usize,
        ) -> Result<Node, PErr> {
            let name = self.get_until(')', "group name")?;
            let at = self.i - (name.chars().count() + 1);
            let gid = if is_identifier(&name) {
                match self.group_named(&name) {
                    Some(g) => g,
                    None => return err(format!("unknown group name {}", quoted(&name)), at),
                }
            } else {
                let g = match super::py_int(&name) {
                    Some(g) if g >= 0 => g,
                    _ => return err(format!("bad character in group name {}", quoted(&name)), at),
                };
                if g == 0 {
                    return err("bad group number", at);
                }
                if g > MAX_GROUPS as i128 {
                    return err(format!("invalid group reference {g}"), at);
                }
                let g = g as usize;
                if !self.cond_refs.iter().any(|(r, _)| *r == g) {
                    self.cond_refs.push((g, at));
                }
                g
            };
            self.check_lookbehind_group(gid)?;
            let yes = self.parse_seq(verbose, nested + 1, false, scope)?;
            let no = if self.eat('|')? {
                let no = self.parse_seq(verbose, nested + 1, false, scope)?;
                if self.peek()?.is_some_and(|t| t.is('|')) {
                    return err("conditional backref with more than two branches", self.i);
                }
                Some(Box::new(no))
            } else {
                None
            };
            if !self.eat(')')? {
                return err("missing ), unterminated subpattern", start);
            }
            Ok(Node::Cond(gid, Box::new(yes), no))
        }

        /// Inline flags after `(?`: None for global ones `(?i)`, else the scoped changes.
        fn parse_flags(&mut self, first: char) -> Result<Option<(u32, u32)>, PErr> {
            let (mut add, mut del) = (0, 0);
            let mut c = Tok {
                c: first,
                esc: false,
            };
            if first != '-' {
                loop {
                    let flag = flag_of(c.c).unwrap_or(0);
                    if c.c == 'L' {
                        return err(
                            "bad inline flags: cannot use 'L' flag with a str pattern",
                            self.i,
                        );
                    }
                    add |= flag;
                    if flag & TYPE_FLAGS != 0 && add & TYPE_FLAGS != flag {
                        return err(
                            "bad inline flags: flags 'a', 'u' and 'L' are incompatible",
                            self.i,
                        );
                    }
                    c = match self.get()? {
                        Some(t) => t,
                        None => return err("missing -, : or )", self.i),
                    };
                    if !c.esc && matches!(c.c, ')' | '-' | ':') {
                        break;
                    }
                    if c.esc || flag_of(c.c).is_none() {
                        let msg = if !c.esc && c.c.is_alphabetic() {
                            "unknown flag"
                        } else {
                            "missing -, : or )"
                        };
                        return err(msg, self.i - c.width());
                    }
                }
            }
            if c.is(')') {
                self.flags |= add;
                return Ok(None);
            }
            if add & TEMPLATE != 0 {
                return err("bad inline flags: cannot turn on global flag", self.i - 1);
            }
            if c.is('-') {
                c = match self.get()? {
                    Some(t) => t,
                    None => return err("missing flag", self.i),
                };
                if c.esc || flag_of(c.c).is_none() {
                    let msg = if !c.esc && c.c.is_alphabetic() {
                        "unknown flag"
                    } else {
                        "missing flag"
                    };
                    return err(msg, self.i - c.width());
                }
                loop {
                    let flag = flag_of(c.c).unwrap_or(0);
                    if flag & TYPE_FLAGS != 0 {
                        return err(
                            "bad inline flags: cannot turn off flags 'a', 'u' and 'L'",
                            self.i,
                        );
                    }
                    del |= flag;
                    c = match self.get()? {
                        Some(t) => t,
                        None => return err("missing :", self.i),
                    };
                    if c.is(':') {
                        break;
                    }
                    if c.esc || flag_of(c.c).is_none() {
                        let msg = if !c.esc && c.c.is_alphabetic() {
                            "unknown flag"
                        } else {
                            "missing :"
                        };
                        return err(msg, self.i - c.width());
                    }
                }
            }
            if del & TEMPLATE != 0 {
                return err("bad inline flags: cannot turn off global flag", self.i - 1);
            }
            if add & del != 0 {
                return err("bad inline flags: flag turned on and off", self.i - 1);
            }
            Ok(Some((add, del)))
        }

        /// Shortest and longest text a node can match (`SubPattern.getwidth`).
        fn width(&self, n: &Node) -> (u64, u64) {
            match n {
                Node::Lit(..) | Node::Any(_) | Node::Set(..) => (1, 1),
                Node::At(..) | Node::Look(..) => (0, 0),
                Node::Group(_, n) | Node::Atomic(n) => self.width(n),
                Node::Seq(v) => v.iter().fold((0, 0), |(lo, hi), n| {
                    let (a, b) = self.width(n);
                    (lo.saturating_add(a), hi.saturating_add(b))
                }),
                Node::Alt(v) => {
                    let ws: Vec<_> = v.iter().map(|n| self.width(n)).collect();
                    let lo = ws.iter().map(|w| w.0).min().unwrap_or(0);
                    let hi = ws.iter().map(|w| w.1).max().unwrap_or(0);
                    (lo, hi)
                }
                Node::Repeat(n, min, max, _) => {
                    let (a, b) = self.width(n);
                    let hi = if *max == INF && b > 0 {
                        u64::MAX
                    } else {
                        b.saturating_mul(u64::from(*max))
                    };
                    (a.saturating_mul(u64::from(*min)), hi)
                }
                Node::Backref(g, _) => self.widths.get(*g).copied().flatten().unwrap_or((0, 0)),
                Node::Cond(_, yes, no) => {
                    let (a, b) = self.width(yes);
                    match no {
                        Some(no) => {
                            let (c, d) = self.width(no);
                            (a.min(c), b.max(d))
                        }
                        None => (0, b),
                    }
                }
            }
        }
    }

    // ----- program -----

    /// What one character position is tested against.
    #[derive(Clone, Copy)]
    enum Atom {
        Ch(char),
        /// Case-insensitive: the character's case fold must equal this one.
        Fold(char),
        FoldAscii(char),
        Any,
        AnyAll,
        Set(usize),
        Never,
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Look {
        Ahead,
        NotAhead,
        Behind,
        NotBehind,
        Atomic,
    }

    #[derive(Clone, Copy)]
    enum Assert {
        Begin,
        BeginLine,
        End,
        EndLine,
        BeginString,
        EndString,
        Boundary(bool),
        NonBoundary(bool),
    }

    #[derive(Clone, Copy)]
    enum Inst {
        One(Atom),
        /// A repeated single-character atom, matched without one backtrack entry per character.
        Rep1 {
            atom: Atom,
            min: u32,
            max: u32,
            greedy: bool,
        },
        Assert(Assert),
        Save(usize),
        Split(usize, usize),
        Jmp(usize),
        Backref {
            group: usize,
            fold: u8,
        },
        RepInit(usize),
        /// sre's MAX_UNTIL / MIN_UNTIL: body follows, `exit` after it.
        RepLoop {
            reg: usize,
            min: u32,
            max: u32,
            greedy: bool,
            exit: usize,
        },
        LookStart {
            kind: Look,
            back: usize,
            cont: usize,
        },
        LookEnd,
        Cond {
            group: usize,
            no: usize,
        },
        Match,
    }

    struct SetDef {
        items: Vec<Item>,
        negate: bool,
        /// 0: exact, 1: Unicode case-insensitive, 2: ASCII case-insensitive.
        fold: u8,
        ascii: bool,
    }

    /// Case fold used for IGNORECASE: lower(upper(c)) with simple mappings, which puts
    /// K/k/K (Kelvin), S/s/ſ, I/i/ı/İ in one class as Python's case fixes do.
    fn fold(c: char) -> char {
        simple_lower(simple_upper(c))
    }

    fn has_case(c: char) -> bool {
        simple_lower(c) != c || simple_upper(c) != c || fold(c) != c
    }

    fn cat_test(cat: Cat, c: char, ascii: bool) -> bool {
        match (cat, ascii) {
            (Cat::Digit, true) => c.is_ascii_digit(),
            (Cat::Digit, false) => py_decimal(c).is_some(),
            (Cat::Space, true) => matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}'),
            (Cat::Space, false) => py_isspace(c),
            (Cat::Word, true) => c.is_ascii_alphanumeric() || c == '_',
            (Cat::Word, false) => py_isalnum(c) || c == '_',
        }
    }

    impl SetDef {
        fn member(&self, c: char) -> bool {
            let u = c as u32;
            self.items.iter().any(|it| match *it {
                Item::Ch(x) => u == x,
                Item::Range(lo, hi) => lo <= u && u <= hi,
                Item::Cat(cat, neg) => cat_test(cat, c, self.ascii) != neg,
            })
        }

        fn matches(&self, c: char) -> bool {
            let hit = match self.fold {
                0 => self.member(c),
                2 => {
                    self.member(c)
                        || self.member(c.to_ascii_lowercase())
                        || self.member(c.to_ascii_uppercase())
                }
                _ => {
                    let (lo, up) = (simple_lower(c), simple_upper(c));
                    self.member(c)
                        || self.member(lo)
                        || self.member(up)
                        || self.member(fold(c))
                        || self.member(simple_upper(lo))
                }
            };
            hit != self.negate
        }
    }

    /// A compiled pattern.
    pub struct Regex {
        prog: Vec<Inst>,
        sets: Vec<SetDef>,
        /// Number of capturing groups.
        pub groups: usize,
        names: Vec<(String, usize)>,
        regs: usize,
        /// A literal every match starts with, to skip hopeless start positions.
        first: Option<char>,
    }

    struct Compiler {
        prog: Vec<Inst>,
        sets: Vec<SetDef>,
        regs: usize,
        widths: Vec<Option<(u64, u64)>>,
    }

    impl Compiler {
        fn emit(&mut self, i: Inst) -> usize {
            self.prog.push(i);
            self.prog.len() - 1
        }

        fn atom(&mut self, n: &Node) -> Option<Atom> {
            Some(match n {
                Node::Lit(u, fl) => match char::from_u32(*u) {
                    None => Atom::Never,
                    Some(c)
                        if fl & IGNORECASE != 0 && fl & ASCII != 0 && c.is_ascii_alphabetic() =>
                    {
                        Atom::FoldAscii(c.to_ascii_lowercase())
                    }
                    Some(c) if fl & IGNORECASE != 0 && fl & ASCII == 0 && has_case(c) => {
                        Atom::Fold(fold(c))
                    }
                    Some(c) => Atom::Ch(c),
                },
                Node::Any(fl) if fl & DOTALL != 0 => Atom::AnyAll,
                Node::Any(_) => Atom::Any,
                Node::Set(items, negate, fl) => {
                    let ascii = fl & ASCII != 0;
                    let fold = match (fl & IGNORECASE != 0, ascii) {
                        (false, _) => 0,
                        (true, false) => 1,
                        (true, true) => 2,
                    };
                    self.sets.push(SetDef {
                        items: items.clone(),
                        negate: *negate,
                        fold,
                        ascii,
                    });
                    Atom::Set(self.sets.len() - 1)
                }
                _ => return None,
            })
        }

        fn node(&mut self, n: &Node) {
            if let Some(a) = self.atom(n) {
                self.emit(Inst::One(a));
                return;
            }
            match n {
                Node::At(at, fl) => {
                    let (multi, ascii) = (fl & MULTILINE != 0, fl & ASCII != 0);
                    let a = match at {
                        At::Begin if multi => Assert::BeginLine,
                        At::Begin => Assert::Begin,
                        At::End if multi => Assert::EndLine,
                        At::End => Assert::End,
                        At::BeginString => Assert::BeginString,
                        At::EndString => Assert::EndString,
                        At::Boundary => Assert::Boundary(ascii),
                        At::NonBoundary => Assert::NonBoundary(ascii),
                    };
                    self.emit(Inst::Assert(a));
                }
                Node::Group(Some(g), body) => {
                    self.emit(Inst::Save(2 * g));
                    self.node(body);
                    self.emit(Inst::Save(2 * g + 1));
                }
                Node::Group(None, body) => self.node(body),
                Node::Seq(v) => v.iter().for_each(|n| self.node(n)),
                Node::Alt(v) => {
                    let mut jumps = Vec::new();
                    for (i, branch) in v.iter().enumerate() {
                        if i + 1 == v.len() {
                            self.node(branch);
                        } else {
                            let split = self.emit(Inst::Split(0, 0));
                            self.node(branch);
                            jumps.push(self.emit(Inst::Jmp(0)));
                            self.prog[split] = Inst::Split(split + 1, self.prog.len());
                        }
                    }
                    let end = self.prog.len();
                    for j in jumps {
                        self.prog[j] = Inst::Jmp(end);
                    }
                }
                Node::Repeat(body, min, max, kind) => self.repeat(body, *min, *max, *kind),
                Node::Backref(g, fl) => {
                    let fold = match (fl & IGNORECASE != 0, fl & ASCII != 0) {
                        (false, _) => 0,
                        (true, false) => 1,
                        (true, true) => 2,
                    };
                    self.emit(Inst::Backref { group: *g, fold });
                }
                Node::Look(behind, negate, body) => {
                    let kind = match (behind, negate) {
                        (false, false) => Look::Ahead,
                        (false, true) => Look::NotAhead,
                        (true, false) => Look::Behind,
                        (true, true) => Look::NotBehind,
                    };
                    let back = if *behind { self.width(body) } else { 0 };
                    self.look(kind, back, body);
                }
                Node::Atomic(body) => self.look(Look::Atomic, 0, body),
                Node::Cond(g, yes, no) => {
                    let c = self.emit(Inst::Cond { group: *g, no: 0 });
                    self.node(yes);
                    let j = self.emit(Inst::Jmp(0));
                    self.prog[c] = Inst::Cond {
                        group: *g,
                        no: self.prog.len(),
                    };
                    if let Some(no) = no {
                        self.node(no);
                    }
                    self.prog[j] = Inst::Jmp(self.prog.len());
                }
                Node::Lit(..) | Node::Any(_) | Node::Set(..) => {}
            }
        }

        /// A lookbehind's fixed width (the parser has refused variable ones).
        fn width(&self, n: &Node) -> usize {
            let p = Parser {
                p: &[],
                i: 0,
                flags: 0,
                widths: self.widths.clone(),
                names: Vec::new(),
                lookbehind_groups: None,
                cond_refs: Vec::new(),
                late: None,
                global_flags_pending: false,
            };
            usize::try_from(p.width(n).0).unwrap_or(usize::MAX)
        }

        fn look(&mut self, kind: Look, back: usize, body: &Node) {
            let start = self.emit(Inst::LookStart {
                kind,
                back,
                cont: 0,
            });
            self.node(body);
            self.emit(Inst::LookEnd);
            self.prog[start] = Inst::LookStart {
                kind,
                back,
                cont: self.prog.len(),
            };
        }

        fn repeat(&mut self, body: &Node, min: u32, max: u32, kind: Rep) {
            if kind == Rep::Possessive {
                // `x*+` is `(?>x*)`.
                let start = self.emit(Inst::LookStart {
                    kind: Look::Atomic,
                    back: 0,
                    cont: 0,
                });
                self.repeat(body, min, max, Rep::Greedy);
                self.emit(Inst::LookEnd);
                self.prog[start] = Inst::LookStart {
                    kind: Look::Atomic,
                    back: 0,
                    cont: self.prog.len(),
                };
                return;
            }
            let greedy = kind == Rep::Greedy;
            if let Some(atom) = self.atom(body) {
                self.emit(Inst::Rep1 {
                    atom,
                    min,
                    max,
                    greedy,
                });
                return;
            }
            let reg = self.regs;
            self.regs += 1;
            self.emit(Inst::RepInit(reg));
            let at = self.emit(Inst::RepLoop {
                reg,
                min,
                max,
                greedy,
                exit: 0,
            });
            self.node(body);
            self.emit(Inst::Jmp(at));
            let exit = self.prog.len();
            self.prog[at] = Inst::RepLoop {
                reg,
                min,
                max,
                greedy,
                exit,
            };
        }
    }

    /// How a search is anchored: `re.search`, `re.match`, `re.fullmatch`.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub enum Mode {
        Search,
        Match,
        Full,
    }

    /// Spans of group 0 (the match) and each group; None where a group did not take part.
    pub type Captures = Vec<Option<(usize, usize)>>;

    impl Regex {
        /// Compiles a Python pattern; errors read as Python's `re.error` messages.
        pub fn new(pattern: &str, flags: u32) -> Result<Regex, String> {
            let chars: Vec<char> = pattern.chars().collect();
            let mut p = Parser {
                p: &chars,
                i: 0,
                flags,
                widths: vec![None],
                names: Vec::new(),
                lookbehind_groups: None,
                cond_refs: Vec::new(),
                late: None,
                global_flags_pending: false,
            };
            let tree = p
                .seek(0)
                .and_then(|()| Self::parse(&mut p))
                .map_err(|e| render(&chars, e))?;
            if let Some(msg) = p.late.take() {
                return Err(msg);
            }
            let mut c = Compiler {
                prog: Vec::new(),
                sets: Vec::new(),
                regs: 0,
                widths: p.widths.clone(),
            };
            c.node(&tree);
            c.emit(Inst::Match);
            let first = match c.prog.first() {
                Some(Inst::One(Atom::Ch(ch))) => Some(*ch),
                _ => None,
            };
            Ok(Regex {
                prog: c.prog,
                sets: c.sets,
                groups: p.groups() - 1,
                names: p.names,
                regs: c.regs,
                first,
            })
        }

        fn parse(p: &mut Parser) -> Result<Node, PErr> {
            let verbose = p.flags & VERBOSE != 0;
            let tree = p.parse_sub(verbose, 0, Scope::default())?;
            if p.flags & ASCII != 0 && p.flags & UNICODE != 0 {
                return Err(PErr(
                    "ASCII and UNICODE flags are incompatible".into(),
                    None,
                ));
            }
            if p.peek()?.is_some() {
                return err("unbalanced parenthesis", p.i);
            }
            for &(g, at) in &p.cond_refs {
                if g >= p.groups() {
                    return err(format!("invalid group reference {g}"), at);
                }
            }
            Ok(tree)
        }

        /// One search from `pos` (sre's `search`/`match`/`fullmatch`). `must_advance` refuses
        /// an empty match at `pos` itself, which is how Python steps past an empty match.
        pub fn exec(
            &self,
            text: &[char],
            pos: usize,
            must_advance: bool,
            mode: Mode,
            budget: &mut Budget,
        ) -> Result<Option<Captures>, String> {
            self.vm(text, budget).search(pos, must_advance, mode)
        }

        fn vm<'a>(&'a self, text: &'a [char], budget: &'a mut Budget) -> Vm<'a> {
            Vm {
                re: self,
                text,
                slots: vec![UNSET; 2 * (self.groups + 1)],
                counts: vec![0; self.regs],
                lasts: vec![UNSET; self.regs],
                trail: Vec::new(),
                stack: Vec::new(),
                barriers: Vec::new(),
                budget,
            }
        }

        /// Every match left to right as `re.finditer` finds them; `f` returns whether to go on.
        pub fn for_each(
            &self,
            text: &[char],
            budget: &mut Budget,
            mut f: impl FnMut(&Captures) -> Result<bool, String>,
        ) -> Result<(), String> {
            let (mut pos, mut must_advance) = (0, false);
            let mut vm = self.vm(text, budget);
            while pos <= text.len() {
                let Some(m) = vm.search(pos, must_advance, Mode::Search)? else {
                    break;
                };
                let (s, e) = m[0].unwrap_or((pos, pos));
                if !f(&m)? {
                    break;
                }
                must_advance = s == e;
                pos = e;
            }
            Ok(())
        }

        /// `re.sub(pattern, repl, text, count)`.
        pub fn sub(
            &self,
            text: &[char],
            repl: &str,
            count: i64,
            max_len: usize,
            budget: &mut Budget,
        ) -> Result<String, String> {
            let template = self.template(repl)?;
            let mut out = String::new();
            let mut last = 0;
            if count >= 0 {
                let mut n: i64 = 0;
                self.for_each(text, budget, |m| {
                    let (s, e) = m[0].unwrap_or((last, last));
                    out.extend(&text[last..s]);
                    for piece in &template {
                        match piece {
                            Piece::Lit(l) => out.push_str(l),
                            Piece::Group(g) => {
                                if let Some(Some((gs, ge))) = m.get(*g) {
                                    out.extend(&text[*gs..(*ge).max(*gs)]);
                                }
                            }
                        }
                    }
                    super::too_long(out.len(), max_len)?;
                    last = e;
                    n += 1;
                    Ok(count == 0 || n < count)
                })?;
            }
            out.extend(&text[last..]);
            super::too_long(out.len(), max_len)?;
            Ok(out)
        }

        /// Parses a replacement template as `re._parser.parse_template` does.
        fn template(&self, repl: &str) -> Result<Vec<Piece>, String> {
            let chars: Vec<char> = repl.chars().collect();
            self.parse_template(&chars).map_err(|e| render(&chars, e))
        }

        fn parse_template(&self, chars: &[char]) -> Result<Vec<Piece>, PErr> {
            let mut s = Parser {
                p: chars,
                i: 0,
                flags: 0,
                widths: Vec::new(),
                names: Vec::new(),
                lookbehind_groups: None,
                cond_refs: Vec::new(),
                late: None,
                global_flags_pending: false,
            };
            s.seek(0)?;
            let mut out: Vec<Piece> = Vec::new();
            let mut lit = String::new();
            while let Some(t) = s.get()? {
                if !t.esc {
                    lit.push(t.c);
                    continue;
                }
                match t.c {
                    'g' => {
                        if !s.eat('<')? {
                            return err("missing <", s.i);
                        }
                        let name = s.get_until('>', "group name")?;
                        let at = s.i - (name.chars().count() + 1);
                        let g = if is_identifier(&name) {
                            match self.names.iter().find(|(n, _)| *n == name) {
                                Some((_, g)) => *g,
                                None => {
                                    return Err(PErr(
                                        format!("unknown group name {}", quoted(&name)),
                                        None,
                                    ));
                                }
                            }
                        } else {
                            match super::py_int(&name) {
                                Some(g) if g >= 0 => usize::try_from(g).unwrap_or(usize::MAX),
                                _ => {
                                    return err(
                                        format!("bad character in group name {}", quoted(&name)),
                                        at,
                                    );
                                }
                            }
                        };
                        self.add_group(&mut out, &mut lit, g, at)?;
                    }
                    '0' => {
                        let more = s.take_while(2, |c| ('0'..='7').contains(&c))?;
                        let v = u32::from_str_radix(&format!("0{more}"), 8).unwrap_or(0) & 0xff;
                        lit.extend(char::from_u32(v));
                    }
                    '1'..='9' => {
                        let c = t.c;
                        let mut text = c.to_string();
                        let mut octal = false;
                        if let Some(&d) = chars.get(s.i).filter(|d| d.is_ascii_digit()) {
                            text.push(d);
                            s.seek(s.i + 1)?;
                            let oct = |c: char| ('0'..='7').contains(&c);
                            if let Some(&e) =
                                chars.get(s.i).filter(|e| oct(c) && oct(d) && oct(**e))
                            {
                                text.push(e);
                                s.seek(s.i + 1)?;
                                octal = true;
                                let v = u32::from_str_radix(&text, 8).unwrap_or(0);
                                if v > 0o377 {
                                    return err(
                                        format!(
                                            "octal escape value \\{text} outside of range 0-0o377"
                                        ),
                                        s.i - 4,
                                    );
                                }
                                lit.extend(char::from_u32(v));
                            }
                        }
                        if !octal {
                            let g: usize = text.parse().unwrap_or(0);
                            self.add_group(&mut out, &mut lit, g, s.i - text.len())?;
                        }
                    }
                    c => match Parser::simple_escape(c).and_then(char::from_u32) {
                        Some(ch) => lit.push(ch),
                        None if c.is_ascii_alphabetic() => {
                            return err(format!("bad escape \\{c}"), s.i - 2);
                        }
                        None => {
                            lit.push('\\');
                            lit.push(c);
                        }
                    },
                }
            }
            if !lit.is_empty() {
                out.push(Piece::Lit(lit));
            }
            Ok(out)
        }
    }

    enum Piece {
        Lit(String),
        Group(usize),
    }

    impl Regex {
        fn add_group(
            &self,
            out: &mut Vec<Piece>,
            lit: &mut String,
            g: usize,
            at: usize,
        ) -> Result<(), PErr> {
            if g > self.groups {
                return err(format!("invalid group reference {g}"), at);
            }
            if !lit.is_empty() {
                out.push(Piece::Lit(std::mem::take(lit)));
            }
            out.push(Piece::Group(g));
            Ok(())
        }
    }

    // ----- matcher -----

    #[derive(Clone, Copy)]
    enum Undo {
        Slot(usize, usize),
        Count(usize, u32),
        Last(usize, usize),
    }

    /// A point to come back to when what follows fails.
    #[derive(Clone, Copy)]
    enum Bt {
        Alt {
            pc: usize,
            pos: usize,
            trail: usize,
        },
        /// A greedy single-character repeat giving back one character.
        Fewer {
            pc: usize,
            start: usize,
            count: usize,
            min: usize,
            trail: usize,
        },
        /// A lazy single-character repeat taking one more (`pc` is the repeat).
        More {
            pc: usize,
            start: usize,
            count: usize,
            trail: usize,
        },
        /// A lazy loop trying one more iteration (`pc` is the loop).
        Again {
            pc: usize,
            pos: usize,
            trail: usize,
        },
        /// The start of a lookaround or atomic group (`pc` is its LookStart).
        Barrier {
            pc: usize,
            pos: usize,
            trail: usize,
        },
    }

    struct Vm<'a> {
        re: &'a Regex,
        text: &'a [char],
        slots: Vec<usize>,
        counts: Vec<u32>,
        lasts: Vec<usize>,
        trail: Vec<Undo>,
        stack: Vec<Bt>,
        barriers: Vec<usize>,
        budget: &'a mut Budget,
    }

    impl Vm<'_> {
        fn search(
            &mut self,
            pos: usize,
            must_advance: bool,
            mode: Mode,
        ) -> Result<Option<Captures>, String> {
            let (re, text) = (self.re, self.text);
            let last = if mode == Mode::Search {
                text.len()
            } else {
                pos.min(text.len())
            };
            for start in pos..=last {
                if let Some(c) = re.first
                    && text.get(start) != Some(&c)
                {
                    continue;
                }
                self.reset();
                let full = mode == Mode::Full;
                let accept = |e: usize| {
                    !(must_advance && start == pos && e == start) && (!full || e == text.len())
                };
                if let Some(end) = self.run(start, accept)? {
                    let mut caps = vec![Some((start, end))];
                    for g in 1..=re.groups {
                        caps.push(self.span(g));
                    }
                    return Ok(Some(caps));
                }
            }
            Ok(None)
        }

        /// Back to the initial state: every change since is on the trail, so this costs what
        /// the failed attempt did, not the number of groups.
        fn reset(&mut self) {
            self.undo(0);
            self.stack.clear();
            self.barriers.clear();
        }

        fn tick(&mut self, n: u64) -> Result<(), String> {
            self.budget.0 = self.budget.0.checked_sub(n).ok_or_else(too_complex)?;
            Ok(())
        }

        fn push(&mut self, b: Bt) -> Result<(), String> {
            if self.stack.len() >= MAX_STACK || self.trail.len() >= 2 * MAX_STACK {
                return Err(too_complex());
            }
            self.stack.push(b);
            Ok(())
        }

        fn set_slot(&mut self, s: usize, v: usize) {
            if let Some(old) = self.slots.get(s).copied() {
                self.trail.push(Undo::Slot(s, old));
                self.slots[s] = v;
            }
        }

        fn set_count(&mut self, r: usize, v: u32) {
            self.trail.push(Undo::Count(r, self.counts[r]));
            self.counts[r] = v;
        }

        fn set_last(&mut self, r: usize, v: usize) {
            self.trail.push(Undo::Last(r, self.lasts[r]));
            self.lasts[r] = v;
        }

        fn undo(&mut self, to: usize) {
            while self.trail.len() > to {
                match self.trail.pop() {
                    Some(Undo::Slot(s, v)) => self.slots[s] = v,
                    Some(Undo::Count(r, v)) => self.counts[r] = v,
                    Some(Undo::Last(r, v)) => self.lasts[r] = v,
                    None => break,
                }
            }
        }

        /// A group's span if it took part (both ends set, in order), as sre reads its marks.
        fn span(&self, g: usize) -> Option<(usize, usize)> {
            let (s, e) = (*self.slots.get(2 * g)?, *self.slots.get(2 * g + 1)?);
            (s != UNSET && e != UNSET && e >= s).then_some((s, e))
        }

        fn atom(&self, a: Atom, pos: usize) -> bool {
            let Some(&c) = self.text.get(pos) else {
                return false;
            };
            match a {
                Atom::Ch(x) => c == x,
                Atom::Fold(x) => fold(c) == x,
                Atom::FoldAscii(x) => c.to_ascii_lowercase() == x,
                Atom::Any => c != '\n',
                Atom::AnyAll => true,
                Atom::Set(i) => self.re.sets[i].matches(c),
                Atom::Never => false,
            }
        }

        fn word_at(&self, pos: usize, ascii: bool) -> bool {
            self.text
                .get(pos)
                .is_some_and(|&c| cat_test(Cat::Word, c, ascii))
        }

        fn assert(&self, a: Assert, pos: usize) -> bool {
            let n = self.text.len();
            let before = |p: usize| {
                p > 0
                    && self.word_at(
                        p - 1,
                        matches!(a, Assert::Boundary(true) | Assert::NonBoundary(true)),
                    )
            };
            match a {
                Assert::Begin | Assert::BeginString => pos == 0,
                Assert::BeginLine => pos == 0 || self.text.get(pos - 1) == Some(&'\n'),
                Assert::End => pos == n || (pos + 1 == n && self.text[pos] == '\n'),
                Assert::EndLine => pos == n || self.text.get(pos) == Some(&'\n'),
                Assert::EndString => pos == n,
                // sre: no boundary, and no non-boundary either, in an empty string.
                Assert::Boundary(ascii) => n > 0 && before(pos) != self.word_at(pos, ascii),
                Assert::NonBoundary(ascii) => n > 0 && before(pos) == self.word_at(pos, ascii),
            }
        }

        fn backref(&self, g: usize, fold_kind: u8, pos: usize) -> Option<usize> {
            let (s, e) = self.span(g)?;
            let len = e - s;
            let here = self.text.get(pos..pos + len)?;
            let same = self.text[s..e]
                .iter()
                .zip(here)
                .all(|(&a, &b)| match fold_kind {
                    0 => a == b,
                    2 => a.eq_ignore_ascii_case(&b),
                    _ => a == b || fold(a) == fold(b),
                });
            same.then_some(pos + len)
        }

        /// Runs the program from `start`; the end of the first accepted match, if any.
        fn run(
            &mut self,
            start: usize,
            accept: impl Fn(usize) -> bool,
        ) -> Result<Option<usize>, String> {
            let re: &Regex = self.re;
            let prog = &re.prog;
            let (mut pc, mut pos) = (0usize, start);
            loop {
                self.tick(1)?;
                let ok = match prog[pc] {
                    Inst::One(a) => {
                        let hit = self.atom(a, pos);
                        if hit {
                            pos += 1;
                            pc += 1;
                        }
                        hit
                    }
                    Inst::Rep1 {
                        atom,
                        min,
                        max,
                        greedy,
                    } => {
                        let (min, max) = (
                            min as usize,
                            if max == INF { usize::MAX } else { max as usize },
                        );
                        let want = if greedy { max } else { min };
                        let mut k = 0;
                        while k < want && self.atom(atom, pos + k) {
                            k += 1;
                        }
                        self.tick(k as u64)?;
                        if k < min {
                            false
                        } else {
                            let trail = self.trail.len();
                            if greedy && k > min {
                                self.push(Bt::Fewer {
                                    pc: pc + 1,
                                    start: pos,
                                    count: k,
                                    min,
                                    trail,
                                })?;
                            } else if !greedy && k < max {
                                self.push(Bt::More {
                                    pc,
                                    start: pos,
                                    count: k,
                                    trail,
                                })?;
                            }
                            pos += k;
                            pc += 1;
                            true
                        }
                    }
                    Inst::Assert(a) => {
                        let hit = self.assert(a, pos);
                        pc += 1;
                        hit
                    }
                    Inst::Save(s) => {
                        self.set_slot(s, pos);
                        pc += 1;
                        true
                    }
                    Inst::Split(a, b) => {
                        let trail = self.trail.len();
                        self.push(Bt::Alt { pc: b, pos, trail })?;
                        pc = a;
                        true
                    }
                    Inst::Jmp(a) => {
                        pc = a;
                        true
                    }
                    Inst::Backref { group, fold } => match self.backref(group, fold, pos) {
                        Some(end) => {
                            self.tick((end - pos) as u64)?;
                            pos = end;
                            pc += 1;
                            true
                        }
                        None => false,
                    },
                    Inst::RepInit(r) => {
                        self.set_count(r, 0);
                        self.set_last(r, UNSET);
                        pc += 1;
                        true
                    }
                    Inst::RepLoop {
                        reg,
                        min,
                        max,
                        greedy,
                        exit,
                    } => {
                        let k = self.counts[reg];
                        if k < min {
                            self.set_count(reg, k + 1);
                            pc += 1;
                        } else if greedy {
                            if (max == INF || k < max) && pos != self.lasts[reg] {
                                let trail = self.trail.len();
                                self.push(Bt::Alt {
                                    pc: exit,
                                    pos,
                                    trail,
                                })?;
                                self.set_count(reg, k + 1);
                                self.set_last(reg, pos);
                                pc += 1;
                            } else {
                                pc = exit;
                            }
                        } else {
                            let trail = self.trail.len();
                            self.push(Bt::Again { pc, pos, trail })?;
                            pc = exit;
                        }
                        true
                    }
                    Inst::LookStart { kind, back, cont } => {
                        let behind = matches!(kind, Look::Behind | Look::NotBehind);
                        if behind && pos < back {
                            // Too close to the start: a lookbehind cannot match here.
                            pc = cont;
                            kind == Look::NotBehind
                        } else {
                            let trail = self.trail.len();
                            self.push(Bt::Barrier { pc, pos, trail })?;
                            self.barriers.push(self.stack.len() - 1);
                            if behind {
                                pos -= back;
                            }
                            pc += 1;
                            true
                        }
                    }
                    Inst::LookEnd => {
                        let b = self.barriers.pop().unwrap_or(0);
                        let Some(Bt::Barrier {
                            pc: lpc,
                            pos: saved,
                            trail,
                        }) = self.stack.get(b).copied()
                        else {
                            return Err("internal error: unbalanced lookaround".into());
                        };
                        self.stack.truncate(b);
                        let Inst::LookStart { kind, cont, .. } = prog[lpc] else {
                            return Err("internal error: unbalanced lookaround".into());
                        };
                        match kind {
                            Look::Ahead | Look::Behind => {
                                pos = saved;
                                pc = cont;
                                true
                            }
                            Look::Atomic => {
                                pc = cont;
                                true
                            }
                            Look::NotAhead | Look::NotBehind => {
                                self.undo(trail);
                                false
                            }
                        }
                    }
                    Inst::Cond { group, no } => {
                        pc = if self.span(group).is_some() {
                            pc + 1
                        } else {
                            no
                        };
                        true
                    }
                    Inst::Match => {
                        if accept(pos) {
                            return Ok(Some(pos));
                        }
                        false
                    }
                };
                if ok && pc < prog.len() {
                    continue;
                }
                // Backtrack to the newest choice that can still go another way.
                loop {
                    let Some(bt) = self.stack.pop() else {
                        return Ok(None);
                    };
                    self.tick(1)?;
                    match bt {
                        Bt::Alt {
                            pc: p,
                            pos: q,
                            trail,
                        } => {
                            self.undo(trail);
                            (pc, pos) = (p, q);
                            break;
                        }
                        Bt::Fewer {
                            pc: p,
                            start: s,
                            count,
                            min,
                            trail,
                        } => {
                            self.undo(trail);
                            let k = count - 1;
                            if k > min {
                                self.push(Bt::Fewer {
                                    pc: p,
                                    start: s,
                                    count: k,
                                    min,
                                    trail,
                                })?;
                            }
                            (pc, pos) = (p, s + k);
                            break;
                        }
                        Bt::More {
                            pc: p,
                            start: s,
                            count,
                            trail,
                        } => {
                            self.undo(trail);
                            let Inst::Rep1 { atom, max, .. } = prog[p] else {
                                continue;
                            };
                            let max = if max == INF { usize::MAX } else { max as usize };
                            if count < max && self.atom(atom, s + count) {
                                let k = count + 1;
                                if k < max {
                                    self.push(Bt::More {
                                        pc: p,
                                        start: s,
                                        count: k,
                                        trail,
                                    })?;
                                }
                                (pc, pos) = (p + 1, s + k);
                                break;
                            }
                        }
                        Bt::Again {
                            pc: p,
                            pos: q,
                            trail,
                        } => {
                            self.undo(trail);
                            let Inst::RepLoop { reg, max, .. } = prog[p] else {
                                continue;
                            };
                            let k = self.counts[reg];
                            if (max == INF || k < max) && q != self.lasts[reg] {
                                self.set_count(reg, k + 1);
                                self.set_last(reg, q);
                                (pc, pos) = (p + 1, q);
                                break;
                            }
                        }
                        Bt::Barrier {
                            pc: p,
                            pos: q,
                            trail,
                        } => {
                            self.barriers.pop();
                            self.undo(trail);
                            let Inst::LookStart { kind, cont, .. } = prog[p] else {
                                continue;
                            };
                            if matches!(kind, Look::NotAhead | Look::NotBehind) {
                                // The body failed everywhere: the negative assertion holds.
                                (pc, pos) = (cont, q);
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// JSONPath, as `jsonpath_ng.parse(...).find(...)` reads and evaluates it (ExtractJSON)
// ---------------------------------------------------------------------------

/// `json.loads(text)`, then the JSONPath matches: all their values, or the first one.
pub(crate) fn extract_json(p: &Props) -> Result<Emitted, String> {
    let doc: jsonpath::Doc =
        serde_json::from_str(p.str("text")).map_err(|e| format!("invalid JSON: {e}"))?;
    let path = jsonpath::parse(p.str("json_path"))?;
    let found = jsonpath::find(&path, &doc, p.max_len)?;
    if p.bool("find_all") {
        too_many(found.len())?;
        one(Value::Array(found))
    } else {
        found
            .into_iter()
            .next()
            .ok_or_else(|| "list index out of range".to_string())
            .and_then(one)
    }
}

mod jsonpath {
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::{Number, Value};
    use std::collections::HashMap;

    use super::{py_decimal, py_slice_indices};

    /// A JSON document with objects in document order, as Python's dicts keep them (the
    /// engine's own objects are sorted by key, which would reorder `$.*`).
    pub enum Doc {
        Null,
        Bool(bool),
        Num(Number),
        Str(String),
        List(Vec<Doc>),
        Obj(Vec<(String, Doc)>),
    }

    struct DocVisitor;

    impl<'de> Visitor<'de> for DocVisitor {
        type Value = Doc;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Doc, E> {
            Ok(Doc::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Doc, E> {
            Ok(Doc::Num(v.into()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Doc, E> {
            Ok(Doc::Num(v.into()))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Doc, E> {
            Number::from_f64(v)
                .map(Doc::Num)
                .ok_or_else(|| E::custom("the number is not finite"))
        }
        fn visit_str<E>(self, v: &str) -> Result<Doc, E> {
            Ok(Doc::Str(v.to_string()))
        }
        fn visit_string<E>(self, v: String) -> Result<Doc, E> {
            Ok(Doc::Str(v))
        }
        fn visit_unit<E>(self) -> Result<Doc, E> {
            Ok(Doc::Null)
        }
        fn visit_none<E>(self) -> Result<Doc, E> {
            Ok(Doc::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(Doc::List(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
            // A repeated key keeps its first place and its last value, as in a Python dict.
            let mut pairs: Vec<(String, Doc)> = Vec::new();
            let mut at: HashMap<String, usize> = HashMap::new();
            while let Some((k, v)) = map.next_entry::<String, Doc>()? {
                match at.get(&k) {
                    Some(&i) => pairs[i].1 = v,
                    None => {
                        at.insert(k.clone(), pairs.len());
                        pairs.push((k, v));
                    }
                }
            }
            Ok(Doc::Obj(pairs))
        }
    }

    impl<'de> Deserialize<'de> for Doc {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Doc, D::Error> {
            d.deserialize_any(DocVisitor)
        }
    }

    static NULL: Doc = Doc::Null;

    impl Doc {
        fn to_value(&self) -> Value {
            match self {
                Doc::Null => Value::Null,
                Doc::Bool(b) => Value::Bool(*b),
                Doc::Num(n) => Value::Number(n.clone()),
                Doc::Str(s) => Value::String(s.clone()),
                Doc::List(items) => Value::Array(items.iter().map(Doc::to_value).collect()),
                Doc::Obj(pairs) => Value::Object(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_value()))
                        .collect(),
                ),
            }
        }

        /// Rough serialized size, counted only up to `cap`.
        fn size(&self, cap: usize) -> usize {
            match self {
                Doc::Null | Doc::Bool(_) | Doc::Num(_) => 8,
                Doc::Str(s) => s.len() + 2,
                Doc::List(items) => items
                    .iter()
                    .fold(2, |n, d| if n > cap { n } else { n + 1 + d.size(cap - n) }),
                Doc::Obj(pairs) => pairs.iter().fold(2, |n, (k, d)| {
                    if n > cap {
                        n
                    } else {
                        n + k.len() + 4 + d.size(cap - n)
                    }
                }),
            }
        }
    }

    // ----- expressions -----

    #[derive(Clone, Copy, PartialEq, Eq)]
    pub enum Op {
        Child,
        Descendants,
        Where,
        WhereNot,
        Union,
        Intersect,
    }

    pub enum Path {
        Root,
        This,
        Parent,
        /// Field names; `*` means every key.
        Fields(Vec<String>),
        Index(Vec<i128>),
        Slice([Option<i128>; 3]),
        Bin(Op, Box<Path>, Box<Path>),
    }

    #[derive(Clone, PartialEq)]
    enum Tok {
        Id(String),
        Num(i128),
        Named(String),
        Where,
        WhereNot,
        DoubleDot,
        Lit(char),
        /// A lexer error, raised when the parser reaches it (PLY lexes lazily).
        Bad(String),
    }

    struct Token {
        tok: Tok,
        line: usize,
        col: usize,
        /// Offset in the whole expression (PLY's `lexpos`).
        pos: usize,
    }

    fn id_start(c: char) -> bool {
        c.is_ascii_alphabetic() || c == '_' || c == '@' || is_cjk_or_emoji(c)
    }

    fn id_char(c: char) -> bool {
        id_start(c) || c.is_ascii_digit() || c == '-'
    }

    fn is_cjk_or_emoji(c: char) -> bool {
        matches!(c as u32, 0x4e00..=0x9fa5 | 0x1f600..=0x1f64f)
    }

    /// jsonpath_ng's lexer: identifiers, numbers, quoted names, backquoted operators.
    fn lex(s: &str) -> Vec<Token> {
        let chars: Vec<char> = s.chars().collect();
        let (mut out, mut i, mut line, mut line_start) = (Vec::new(), 0, 1, 0);
        while i < chars.len() {
            let c = chars[i];
            let (col, pos) = (i - line_start, i);
            let mut push = |tok, at: usize| {
                out.push(Token {
                    tok,
                    line,
                    col: col + at - pos,
                    pos: at,
                })
            };
            if c == ' ' || c == '\t' {
                i += 1;
            } else if c == '\n' {
                line += 1;
                line_start = i;
                i += 1;
            } else if id_start(c) {
                let start = i;
                while i < chars.len() && id_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let tok = match word.as_str() {
                    "where" => Tok::Where,
                    "wherenot" => Tok::WhereNot,
                    _ => Tok::Id(word),
                };
                push(tok, pos);
            } else if py_decimal(c).is_some()
                || (c == '-' && chars.get(i + 1).is_some_and(|d| py_decimal(*d).is_some()))
            {
                let neg = c == '-';
                i += usize::from(neg);
                let mut v: i128 = 0;
                while let Some(d) = chars.get(i).and_then(|d| py_decimal(*d)) {
                    v = v.saturating_mul(10).saturating_add(d.into());
                    i += 1;
                }
                push(Tok::Num(if neg { -v } else { v }), pos);
            } else if matches!(c, '\'' | '"' | '`') {
                let mut value = String::new();
                i += 1;
                let mut closed = false;
                while i < chars.len() {
                    match chars[i] {
                        '\\' if i + 1 < chars.len() => {
                            value.push(chars[i + 1]);
                            i += 2;
                        }
                        q if q == c => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        other => {
                            value.push(other);
                            i += 1;
                        }
                    }
                }
                if !closed {
                    push(
                        Tok::Bad("Unexpected EOF in string literal or identifier".into()),
                        pos,
                    );
                    break;
                }
                // PLY places a quoted token at its closing quote.
                let tok = if c == '`' {
                    Tok::Named(value)
                } else {
                    Tok::Id(value)
                };
                push(tok, i - 1);
            } else if c == '.' && chars.get(i + 1) == Some(&'.') {
                push(Tok::DoubleDot, pos);
                i += 2;
            } else if "*.[]()$,:|&~".contains(c) {
                push(Tok::Lit(c), pos);
                i += 1;
            } else {
                let msg = format!("Error on line {line}, col {col}: Unexpected character: {c} ");
                push(Tok::Bad(msg), pos);
                break;
            }
        }
        out
    }

    struct Parser {
        toks: Vec<Token>,
        i: usize,
        depth: usize,
    }

    impl Parser {
        fn peek(&self) -> Option<&Tok> {
            self.toks.get(self.i).map(|t| &t.tok)
        }

        /// PLY's message for an unexpected token (or the end), or the lexer's own error.
        fn error<T>(&self) -> Result<T, String> {
            let Some(t) = self.toks.get(self.i) else {
                return Err("Parse error near the end of string!".into());
            };
            let (value, kind) = match &t.tok {
                Tok::Bad(msg) => return Err(msg.clone()),
                Tok::Id(s) => (s.clone(), "ID".to_string()),
                Tok::Num(n) => (n.to_string(), "NUMBER".into()),
                Tok::Named(s) => (s.clone(), "NAMED_OPERATOR".into()),
                Tok::Where => ("where".into(), "WHERE".into()),
                Tok::WhereNot => ("wherenot".into(), "WHERENOT".into()),
                Tok::DoubleDot => ("..".into(), "DOUBLEDOT".into()),
                Tok::Lit(c) => (c.to_string(), c.to_string()),
            };
            Err(format!(
                "Parse error at {}:{} near token {value} ({kind})",
                t.line, t.col
            ))
        }

        fn expect(&mut self, c: char) -> Result<(), String> {
            if self.peek() == Some(&Tok::Lit(c)) {
                self.i += 1;
                Ok(())
            } else {
                self.error()
            }
        }

        /// Binary operators, loosest first, all left-associative (the grammar's precedence
        /// table: `..` < `.` < `|` < `&` < `where` < `wherenot`).
        fn op(&self) -> Option<(Op, u8)> {
            Some(match self.peek()? {
                Tok::DoubleDot => (Op::Descendants, 1),
                Tok::Lit('.') => (Op::Child, 2),
                Tok::Lit('|') => (Op::Union, 3),
                Tok::Lit('&') => (Op::Intersect, 4),
                Tok::Where => (Op::Where, 5),
                Tok::WhereNot => (Op::WhereNot, 6),
                _ => return None,
            })
        }

        fn expr(&mut self, min: u8) -> Result<Path, String> {
            self.depth += 1;
            if self.depth > 100 {
                return Err("the JSONPath expression is nested too deeply".into());
            }
            let mut lhs = self.primary()?;
            while let Some((op, prec)) = self.op() {
                if prec < min {
                    break;
                }
                self.i += 1;
                let rhs = self.expr(prec + 1)?;
                lhs = Path::Bin(op, Box::new(lhs), Box::new(rhs));
            }
            self.depth -= 1;
            Ok(lhs)
        }

        fn fields(&mut self, first: String) -> Result<Vec<String>, String> {
            let mut names = vec![first];
            while self.peek() == Some(&Tok::Lit(',')) {
                self.i += 1;
                match self.peek() {
                    Some(Tok::Id(s)) => {
                        names.push(s.clone());
                        self.i += 1;
                    }
                    _ => return self.error(),
                }
            }
            Ok(names)
        }

        fn primary(&mut self) -> Result<Path, String> {
            let Some(tok) = self.peek().cloned() else {
                return self.error();
            };
            let here = self.i;
            self.i += 1;
            let mut p = match tok {
                Tok::Id(s) => Path::Fields(self.fields(s)?),
                Tok::Lit('*') => Path::Fields(vec!["*".into()]),
                Tok::Num(n) => Path::Fields(vec![n.to_string()]),
                Tok::Named(name) => match name.as_str() {
                    "this" => Path::This,
                    "parent" => Path::Parent,
                    _ => {
                        let t = &self.toks[here];
                        return Err(format!(
                            "Unknown named operator `{name}` at {}:{}",
                            t.line, t.pos
                        ));
                    }
                },
                Tok::Lit('$') => Path::Root,
                Tok::Lit('[') => {
                    let inner = self.bracket()?;
                    self.expect(']')?;
                    inner
                }
                Tok::Lit('(') => {
                    let inner = self.expr(0)?;
                    self.expect(')')?;
                    inner
                }
                _ => {
                    self.i = here;
                    return self.error();
                }
            };
            while self.peek() == Some(&Tok::Lit('[')) {
                self.i += 1;
                let inner = self.bracket()?;
                self.expect(']')?;
                p = Path::Bin(Op::Child, Box::new(p), Box::new(inner));
            }
            Ok(p)
        }

        fn maybe_int(&mut self) -> Option<i128> {
            match self.peek() {
                Some(Tok::Num(n)) => {
                    let n = *n;
                    self.i += 1;
                    Some(n)
                }
                _ => None,
            }
        }

        /// Inside `[...]`: names, indices, `*` or a slice.
        fn bracket(&mut self) -> Result<Path, String> {
            match self.peek().cloned() {
                Some(Tok::Id(s)) => {
                    self.i += 1;
                    return Ok(Path::Fields(self.fields(s)?));
                }
                Some(Tok::Lit('*')) => {
                    self.i += 1;
                    return Ok(Path::Slice([None; 3]));
                }
                _ => {}
            }
            let start = self.maybe_int();
            if self.peek() == Some(&Tok::Lit(':')) {
                self.i += 1;
                let end = self.maybe_int();
                let mut step = None;
                if self.peek() == Some(&Tok::Lit(':')) {
                    self.i += 1;
                    step = self.maybe_int();
                }
                return Ok(Path::Slice([start, end, step]));
            }
            let Some(first) = start else {
                return self.error();
            };
            let mut idx = vec![first];
            while self.peek() == Some(&Tok::Lit(',')) {
                self.i += 1;
                match self.maybe_int() {
                    Some(n) => idx.push(n),
                    None => return self.error(),
                }
            }
            Ok(Path::Index(idx))
        }
    }

    /// `jsonpath_ng.parse`.
    pub fn parse(s: &str) -> Result<Path, String> {
        let mut p = Parser {
            toks: lex(s),
            i: 0,
            depth: 0,
        };
        let path = p.expr(0)?;
        if p.i < p.toks.len() {
            return p.error();
        }
        Ok(path)
    }

    // ----- evaluation -----

    /// A value: a document node, or one character indexed out of a string.
    #[derive(Clone, Copy)]
    enum Item<'d> {
        Doc(&'d Doc),
        Char(char),
    }

    impl Item<'_> {
        fn to_value(self) -> Value {
            match self {
                Item::Doc(d) => d.to_value(),
                Item::Char(c) => Value::String(c.to_string()),
            }
        }

        fn size(self, cap: usize) -> usize {
            match self {
                Item::Doc(d) => d.size(cap),
                Item::Char(c) => c.len_utf8() + 2,
            }
        }
    }

    /// What a match holds: a value, or the one-item list jsonpath_ng wraps around a non-list
    /// before slicing it.
    #[derive(Clone, Copy)]
    enum Val<'d> {
        One(Item<'d>),
        Wrapped(Item<'d>),
    }

    /// A match and the match it was found in (`DatumInContext`). `bare` is Python's None that
    /// `parent` of the root gives, which is not a match at all.
    #[derive(Clone, Copy)]
    struct Datum<'d> {
        val: Val<'d>,
        parent: Option<usize>,
        bare: bool,
    }

    /// Matches are indices into one arena, so parents can be shared.
    struct Eval<'d> {
        arena: Vec<Datum<'d>>,
    }

    const MAX_DATUMS: usize = 1_000_000;

    impl<'d> Eval<'d> {
        fn add(&mut self, val: Val<'d>, parent: Option<usize>) -> Result<usize, String> {
            if self.arena.len() >= MAX_DATUMS {
                return Err(format!(
                    "the JSONPath expression visits more than {MAX_DATUMS} values; narrow it"
                ));
            }
            self.arena.push(Datum {
                val,
                parent,
                bare: false,
            });
            Ok(self.arena.len() - 1)
        }

        fn find(&mut self, path: &Path, d: usize) -> Result<Vec<usize>, String> {
            let datum = self.arena[d];
            match path {
                Path::This => Ok(vec![d]),
                Path::Root => {
                    let mut top = datum;
                    while let Some(p) = top.parent {
                        top = self.arena[p];
                    }
                    Ok(vec![self.add(top.val, None)?])
                }
                Path::Parent => match datum.parent {
                    Some(p) => Ok(vec![p]),
                    None => {
                        let n = self.add(Val::One(Item::Doc(&NULL)), None)?;
                        self.arena[n].bare = true;
                        Ok(vec![n])
                    }
                },
                Path::Fields(names) => self.fields(names, d),
                Path::Index(idx) => idx.iter().try_fold(Vec::new(), |mut out, &i| {
                    if let Some(m) = self.index(d, i)? {
                        out.push(m);
                    }
                    Ok(out)
                }),
                Path::Slice(bounds) => self.slice(d, bounds),
                Path::Bin(op, l, r) => self.binary(*op, l, r, d),
            }
        }

        fn binary(&mut self, op: Op, l: &Path, r: &Path, d: usize) -> Result<Vec<usize>, String> {
            let mut out = Vec::new();
            match op {
                Op::Child => {
                    for sub in self.find(l, d)? {
                        out.extend(self.find(r, sub)?);
                    }
                }
                Op::Where | Op::WhereNot => {
                    for sub in self.find(l, d)? {
                        if self.find(r, sub)?.is_empty() == (op == Op::WhereNot) {
                            out.push(sub);
                        }
                    }
                }
                Op::Union => {
                    out = self.find(l, d)?;
                    out.extend(self.find(r, d)?);
                }
                Op::Descendants => {
                    for sub in self.find(l, d)? {
                        self.descend(r, sub, &mut out, 0)?;
                    }
                }
                Op::Intersect => {
                    return Err("the JSONPath intersection operator '&' is not implemented".into());
                }
            }
            Ok(out)
        }

        /// `right` at `d`, then at every value below it, depth first.
        fn descend(
            &mut self,
            r: &Path,
            d: usize,
            out: &mut Vec<usize>,
            depth: usize,
        ) -> Result<(), String> {
            out.extend(self.find(r, d)?);
            if depth > 200 {
                return Err("the JSON document is nested too deeply".into());
            }
            let children: Vec<Item<'d>> = match self.arena[d].val {
                Val::Wrapped(v) => vec![v],
                Val::One(Item::Doc(Doc::List(items))) => items.iter().map(Item::Doc).collect(),
                Val::One(Item::Doc(Doc::Obj(pairs))) => {
                    pairs.iter().map(|(_, v)| Item::Doc(v)).collect()
                }
                Val::One(_) => Vec::new(),
            };
            for child in children {
                let c = self.add(Val::One(child), Some(d))?;
                self.descend(r, c, out, depth + 1)?;
            }
            Ok(())
        }

        /// Only objects have fields; anything else has none.
        fn fields(&mut self, names: &[String], d: usize) -> Result<Vec<usize>, String> {
            let Val::One(Item::Doc(Doc::Obj(pairs))) = self.arena[d].val else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            if names.iter().any(|n| n == "*") {
                for (_, v) in pairs {
                    out.push(self.add(Val::One(Item::Doc(v)), Some(d))?);
                }
            } else {
                for name in names {
                    if let Some((_, v)) = pairs.iter().find(|(k, _)| k == name) {
                        out.push(self.add(Val::One(Item::Doc(v)), Some(d))?);
                    }
                }
            }
            Ok(out)
        }

        /// `if datum.value and len(datum.value) > index: datum.value[index]`, with Python's
        /// errors for what cannot be indexed.
        fn index(&mut self, d: usize, i: i128) -> Result<Option<usize>, String> {
            let val = self.arena[d].val;
            let (truthy, len) = match val {
                Val::Wrapped(_) | Val::One(Item::Char(_)) => (true, 1),
                Val::One(Item::Doc(doc)) => match doc {
                    Doc::Null => (false, 0),
                    Doc::Bool(b) => (*b, 0),
                    Doc::Num(n) => (n.as_f64().is_some_and(|f| f != 0.0), 0),
                    Doc::Str(s) => (!s.is_empty(), s.chars().count()),
                    Doc::List(items) => (!items.is_empty(), items.len()),
                    Doc::Obj(pairs) => (!pairs.is_empty(), pairs.len()),
                },
            };
            if !truthy {
                return Ok(None);
            }
            let kind = match val {
                Val::One(Item::Doc(Doc::Bool(_))) => Some("bool"),
                Val::One(Item::Doc(Doc::Num(n))) if n.is_f64() => Some("float"),
                Val::One(Item::Doc(Doc::Num(_))) => Some("int"),
                _ => None,
            };
            if let Some(kind) = kind {
                return Err(format!("object of type '{kind}' has no len()"));
            }
            if len as i128 <= i {
                return Ok(None);
            }
            let at = if i < 0 { len as i128 + i } else { i };
            let pos = usize::try_from(at).ok();
            let found = match val {
                Val::Wrapped(item) => pos.filter(|p| *p == 0).map(|_| item),
                Val::One(Item::Char(c)) => pos.filter(|p| *p == 0).map(|_| Item::Char(c)),
                Val::One(Item::Doc(Doc::List(items))) => {
                    pos.and_then(|p| items.get(p)).map(Item::Doc)
                }
                Val::One(Item::Doc(Doc::Str(s))) => match pos.and_then(|p| s.chars().nth(p)) {
                    Some(c) => Some(Item::Char(c)),
                    None => return Err("string index out of range".into()),
                },
                // A dict indexed by an int: JSON keys are strings, so Python's KeyError.
                _ => return Err(i.to_string()),
            };
            match found {
                Some(v) => Ok(Some(self.add(Val::One(v), Some(d))?)),
                None => Err(if matches!(val, Val::One(Item::Char(_))) {
                    "string index out of range".into()
                } else {
                    "list index out of range".into()
                }),
            }
        }

        fn slice(&mut self, d: usize, bounds: &[Option<i128>; 3]) -> Result<Vec<usize>, String> {
            let datum = self.arena[d];
            let (list, items): (usize, Vec<Item<'d>>) = match datum.val {
                Val::One(Item::Doc(Doc::Null)) => return Ok(Vec::new()),
                Val::One(Item::Doc(Doc::List(items))) => (d, items.iter().map(Item::Doc).collect()),
                Val::Wrapped(v) => (d, vec![v]),
                // jsonpath_ng slices a non-list as a one-item list around it.
                Val::One(v) => {
                    let w = self.add(Val::Wrapped(v), datum.parent)?;
                    (w, vec![v])
                }
            };
            let clamp = |b: Option<i128>, default: i64| {
                b.map_or(default, |v| {
                    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
                })
            };
            let step = clamp(bounds[2], 1);
            let (start, stop) = if step > 0 {
                (clamp(bounds[0], 0), clamp(bounds[1], i64::MAX))
            } else {
                (clamp(bounds[0], i64::MAX), clamp(bounds[1], i64::MIN))
            };
            let mut out = Vec::new();
            for i in py_slice_indices(items.len(), start, stop, step)? {
                out.push(self.add(Val::One(items[i]), Some(list))?);
            }
            Ok(out)
        }
    }

    /// The values of every match, in jsonpath_ng's order.
    pub fn find(path: &Path, doc: &Doc, max_len: usize) -> Result<Vec<Value>, String> {
        let mut e = Eval { arena: Vec::new() };
        let root = e.add(Val::One(Item::Doc(doc)), None)?;
        let found = e.find(path, root)?;
        let mut size = 0usize;
        let mut out = Vec::with_capacity(found.len().min(super::MAX_ITEMS + 1));
        for m in found {
            let datum = e.arena[m];
            if datum.bare {
                return Err("'NoneType' object has no attribute 'value'".into());
            }
            let (v, wrapped) = match datum.val {
                Val::One(v) => (v, false),
                Val::Wrapped(v) => (v, true),
            };
            size = size.saturating_add(v.size(max_len.saturating_sub(size)));
            super::too_long(size, max_len)?;
            super::too_many(out.len() + 1)?;
            let v = v.to_value();
            out.push(if wrapped { Value::Array(vec![v]) } else { v });
        }
        Ok(out)
    }
}
