//! `nodetool.dictionary.*`: dictionaries, their stream filters, and JSON and YAML text.
//!
//! Also the Python behaviour the JSON family shares: dict keys as Python hashes them, Python
//! type names, and Python regular expressions as far as `regex-lite` can run them.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex_lite::Regex;
use serde_json::{Map, Value};

use super::json::{MAX_WALK_DEPTH, dumps, loads, num_order, number_text, py_int_text};
use super::spec::{Emitted, Family, Props, Spec, one, op};
use crate::graph::value::{
    Kind, Num, as_num, py_eq, py_float, py_str, too_long, truthy, type_name,
};

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.dictionary."],
    nodes: &[
        (
            "GetValue",
            op(
                get_value,
                &[
                    DICTIONARY,
                    ("key", Kind::Str, "\"\""),
                    ("default", Kind::Any, "[]"),
                ],
            ),
        ),
        (
            "Update",
            op(update, &[DICTIONARY, ("new_pairs", Kind::Dict, "{}")]),
        ),
        (
            "Remove",
            op(remove, &[DICTIONARY, ("key", Kind::Str, "\"\"")]),
        ),
        (
            "ParseJSON",
            op(parse_json, &[("json_string", Kind::Str, "\"\"")]),
        ),
        (
            "Zip",
            op(
                zip,
                &[("keys", Kind::List, "[]"), ("values", Kind::List, "[]")],
            ),
        ),
        (
            "Combine",
            op(
                combine,
                &[("dict_a", Kind::Dict, "{}"), ("dict_b", Kind::Dict, "{}")],
            ),
        ),
        (
            "Filter",
            op(filter, &[DICTIONARY, ("keys", Kind::List, "[]")]),
        ),
        (
            "ReduceDictionaries",
            op(
                reduce_dictionaries,
                &[
                    ("dictionaries", Kind::List, "[]"),
                    ("key_field", Kind::Str, "\"\""),
                    ("value_field", Kind::Str, "\"\""),
                    ("conflict_resolution", Kind::Str, "\"first\""),
                ],
            ),
        ),
        (
            "MakeDictionary",
            Spec {
                dynamic: true,
                ..op(make_dictionary, &[])
            },
        ),
        ("ArgMax", op(arg_max, &[("scores", Kind::Dict, "{}")])),
        (
            "FilterDictByValue",
            op(
                filter_by_value,
                &[
                    STREAM_VALUE,
                    STREAM_KEY,
                    ("filter_type", Kind::Str, "\"contains\""),
                    ("criteria", Kind::Str, "\"\""),
                ],
            ),
        ),
        (
            "FilterDictByRange",
            op(
                filter_by_range,
                &[
                    STREAM_VALUE,
                    STREAM_KEY,
                    ("min_value", Kind::Float, "0.0"),
                    ("max_value", Kind::Float, "0.0"),
                    ("inclusive", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "FilterDictByNumber",
            op(
                filter_by_number,
                &[
                    STREAM_VALUE,
                    STREAM_KEY,
                    ("filter_type", Kind::Str, "\"greater_than\""),
                    ("compare_value", Kind::Float, "0.0"),
                ],
            ),
        ),
        (
            "FilterDictRegex",
            op(
                filter_regex,
                &[
                    STREAM_VALUE,
                    STREAM_KEY,
                    ("pattern", Kind::Str, "\"\""),
                    ("full_match", Kind::Bool, "false"),
                ],
            ),
        ),
        (
            "FilterDictByQuery",
            op(
                filter_by_query,
                &[STREAM_VALUE, ("condition", Kind::Str, "\"\"")],
            ),
        ),
        ("ToJSON", op(to_json, &[DICTIONARY])),
        ("ToYAML", op(to_yaml, &[DICTIONARY])),
    ],
};

const DICTIONARY: (&str, Kind, &str) = ("dictionary", Kind::Dict, "{}");
/// The stream filters read their items unvalidated (NodeTool's `iter_any_input`): anything that
/// is not a dict is passed over, never an error.
const STREAM_VALUE: (&str, Kind, &str) = ("value", Kind::Any, "{}");
const STREAM_KEY: (&str, Kind, &str) = ("key", Kind::Str, "\"\"");

// ---------------------------------------------------------------------------------------------
// Python values

/// The name Python gives a value's type, as its error messages print it.
pub(crate) fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A Python dict built from keys of any hashable type. Keys Python holds equal (`1`, `1.0`,
/// `True`) are one entry that keeps its first key; the result's keys are the text `json.dumps`
/// writes for them, which is how NodeTool hands such a dict on.
#[derive(Default)]
pub(crate) struct PyDict {
    slots: HashMap<String, usize>,
    entries: Vec<(String, Value)>,
}

impl PyDict {
    pub(crate) fn insert(&mut self, key: &Value, value: Value) -> Result<(), String> {
        let hash = hash_key(key)?;
        match self.slots.get(&hash) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.slots.insert(hash, self.entries.len());
                self.entries.push((json_key(key), value));
            }
        }
        Ok(())
    }

    pub(crate) fn contains(&self, key: &Value) -> Result<bool, String> {
        Ok(self.slots.contains_key(&hash_key(key)?))
    }

    pub(crate) fn into_value(self) -> Value {
        Value::Object(self.entries.into_iter().collect())
    }
}

/// Text equal for keys Python's dict treats as the same key.
fn hash_key(key: &Value) -> Result<String, String> {
    Ok(match key {
        Value::Null => "N".into(),
        Value::String(s) => format!("s{s}"),
        Value::Bool(b) => format!("i{}", u8::from(*b)),
        Value::Number(n) => match (n.as_u64(), as_num(key)) {
            (Some(u), _) => format!("i{u}"),
            (_, Some(Num::Int(i))) => format!("i{i}"),
            (_, Some(Num::Float(f))) if f.fract() == 0.0 && f.abs() < 1.8e19 => {
                format!("i{}", f as i128)
            }
            (_, Some(Num::Float(f))) => format!("f{}", f.to_bits()),
            _ => format!("n{n}"),
        },
        other => return Err(format!("unhashable type: '{}'", py_type(other))),
    })
}

/// The key text `json.dumps` writes for a non-string key.
fn json_key(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_text(n),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Python regular expressions
//
// regex-lite runs Python's common syntax once a few spellings are translated (`\Z`, octal and
// `\u` escapes, `{,n}`, comment groups, the `a`/`u` flags). What it cannot run (look-around,
// back-references, conditionals, atomic groups, `\N{...}`) is an error rather than a silent
// non-match; patterns Python itself rejects compile to `None`, as Python's `re.error` paths do.
// It differs from Python in that `\d`, `\w`, `\s`, `\b` and case-insensitivity are ASCII-only and
// `$` matches only at the very end (Python also matches before a final newline).

/// Python's `re.compile(pattern)` for `search`.
pub(crate) fn py_regex(pattern: &str) -> Result<Option<Regex>, String> {
    compile_py(pattern, false)
}

/// The same, anchored at both ends, for `fullmatch`.
fn py_fullmatch_regex(pattern: &str) -> Result<Option<Regex>, String> {
    compile_py(pattern, true)
}

fn compile_py(pattern: &str, full: bool) -> Result<Option<Regex>, String> {
    let Some(translated) = translate_regex(pattern, full)? else {
        return Ok(None);
    };
    let checked = match Regex::new(&translated) {
        Ok(re) => re,
        Err(e) => {
            let msg = e.to_string();
            let lacking = [
                "not supported",
                "unrecognized inline flag",
                "limit",
                "nesting",
            ];
            if lacking.iter().any(|l| msg.contains(l)) {
                return Err(format!(
                    "the pattern uses regular expression syntax this server cannot run ({msg})"
                ));
            }
            return Ok(None);
        }
    };
    if !full {
        return Ok(Some(checked));
    }
    // In verbose mode a trailing comment would swallow the closing anchor; a newline ends it.
    let end = if inline_flags(pattern).contains('x') {
        "\n"
    } else {
        ""
    };
    Regex::new(&format!(r"\A(?:{translated}{end})\z"))
        .map(Some)
        .map_err(|e| format!("the pattern cannot be anchored for a full match ({e})"))
}

fn unsupported_regex(what: &str) -> String {
    format!("the pattern uses {what}, which this server's regular expressions cannot run")
}

/// The letters of every inline flag group, `(?i)` or `(?i:...)`, in a pattern.
fn inline_flags(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    let mut flags = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' {
            i += 2;
            continue;
        }
        if chars[i] == '(' && chars.get(i + 1) == Some(&'?') {
            let letters: String = chars[i + 2..]
                .iter()
                .take_while(|c| "aiLmsux".contains(**c))
                .collect();
            flags.push_str(&letters);
        }
        i += 1;
    }
    flags
}

/// What Python's `\s` matches in a str pattern (`str.isspace`), as class items.
const PY_SPACE: &str = r"\t\n\x0B\x0C\r\x1C-\x1F\x20\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}";

/// Python regex syntax → regex-lite syntax. `Ok(None)`: Python rejects the pattern too.
fn translate_regex(p: &str, full: bool) -> Result<Option<String>, String> {
    // Python's `$` also matches before a final newline; for a search that is an optional
    // newline at the very end (multi-line mode keeps regex-lite's own `$`, which agrees).
    let dollar = if full || inline_flags(p).contains('m') {
        "$"
    } else {
        r"(?:\n?\z)"
    };
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let Some(n) = escape(&chars, i + 1, in_class, &mut out)? else {
                return Ok(None);
            };
            i = n;
            continue;
        }
        if in_class {
            match c {
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                // Literal in Python; set operators or nesting to regex-lite.
                '[' | '&' | '~' => push_hex(&mut out, c),
                _ => out.push(c),
            }
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A leading ']' is a literal.
                if chars.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            '(' if chars.get(i + 1) == Some(&'?') => {
                let Some(n) = group_opening(&chars, i, &mut out)? else {
                    return Ok(None);
                };
                i = n;
            }
            '{' => i = repetition(&chars, i, &mut out),
            '$' => {
                out.push_str(dollar);
                i += 1;
            }
            '}' => {
                out.push_str(r"\}");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    if in_class {
        return Ok(None);
    }
    Ok(Some(out))
}

fn push_hex(out: &mut String, c: char) {
    out.push_str(&format!("\\x{{{:X}}}", c as u32));
}

/// `n` hex digits at `at` as a character.
fn hex_char(chars: &[char], at: usize, n: usize) -> Option<char> {
    let digits = chars.get(at..at + n)?;
    let code = digits
        .iter()
        .try_fold(0u32, |acc, c| Some(acc * 16 + c.to_digit(16)?))?;
    char::from_u32(code)
}

/// One escape after a backslash at `i - 1`; returns where the pattern continues.
fn escape(
    chars: &[char],
    i: usize,
    in_class: bool,
    out: &mut String,
) -> Result<Option<usize>, String> {
    let Some(&c) = chars.get(i) else {
        return Ok(None);
    };
    let literal = |out: &mut String, ch: char, next: usize| {
        push_hex(out, ch);
        Ok(Some(next))
    };
    match c {
        's' if in_class => {
            out.push_str(PY_SPACE);
            Ok(Some(i + 1))
        }
        // A negated class cannot nest in a class here; ASCII `\S` is the nearest.
        'S' if in_class => {
            out.push_str(r"\S");
            Ok(Some(i + 1))
        }
        's' | 'S' => {
            out.push_str(if c == 's' { "[" } else { "[^" });
            out.push_str(PY_SPACE);
            out.push(']');
            Ok(Some(i + 1))
        }
        'd' | 'D' | 'w' | 'W' | 'n' | 't' | 'r' | 'f' => {
            out.push('\\');
            out.push(c);
            Ok(Some(i + 1))
        }
        'b' if in_class => literal(out, '\u{8}', i + 1),
        'A' | 'b' | 'B' if !in_class => {
            out.push('\\');
            out.push(c);
            Ok(Some(i + 1))
        }
        'Z' if !in_class => {
            out.push_str(r"\z");
            Ok(Some(i + 1))
        }
        'a' => literal(out, '\u{7}', i + 1),
        'v' => literal(out, '\u{b}', i + 1),
        'x' => match hex_char(chars, i + 1, 2) {
            Some(ch) => literal(out, ch, i + 3),
            None => Ok(None),
        },
        'u' => match hex_char(chars, i + 1, 4) {
            Some(ch) => literal(out, ch, i + 5),
            None => Ok(None),
        },
        'U' => match hex_char(chars, i + 1, 8) {
            Some(ch) => literal(out, ch, i + 9),
            None => Ok(None),
        },
        'N' => Err(unsupported_regex(r"a named character (\N{...})")),
        '0'..='9' => octal_or_backref(chars, i, in_class, out),
        c if c.is_ascii_alphabetic() => Ok(None),
        c => literal(out, c, i + 1),
    }
}

/// `\0`, `\12`, `\123`: octal escapes or group references, as Python tells them apart.
fn octal_or_backref(
    chars: &[char],
    i: usize,
    in_class: bool,
    out: &mut String,
) -> Result<Option<usize>, String> {
    let octal = |k: usize| chars.get(k).and_then(|c| c.to_digit(8));
    let mut end = i;
    let mut value = 0u32;
    let three_digit = octal(i).is_some() && octal(i + 1).is_some() && octal(i + 2).is_some();
    if chars[i] == '0' || in_class || three_digit {
        while end < i + 3 {
            match octal(end) {
                Some(d) => value = value * 8 + d,
                None => break,
            }
            end += 1;
        }
        if end == i || value > 0o377 {
            return Ok(None);
        }
        push_hex(out, char::from_u32(value).unwrap_or('\0'));
        return Ok(Some(end));
    }
    Err(unsupported_regex("a back-reference to a group"))
}

/// `(?...)` at `i`: comments dropped, the `a`/`u` flags dropped, Python-only groups refused.
fn group_opening(chars: &[char], i: usize, out: &mut String) -> Result<Option<usize>, String> {
    let rest: String = chars[i + 2..chars.len().min(i + 4)].iter().collect();
    if rest.starts_with('#') {
        return Ok(chars[i..]
            .iter()
            .position(|c| *c == ')')
            .map(|close| i + close + 1));
    }
    if rest.starts_with("P=") {
        return Err(unsupported_regex("a back-reference to a named group"));
    }
    if rest.starts_with('(') {
        return Err(unsupported_regex("a conditional group"));
    }
    if rest.starts_with('>') {
        return Err(unsupported_regex("an atomic group"));
    }
    let flags_end = (i + 2..chars.len()).find(|&k| !"aiLmsux-".contains(chars[k]));
    let Some(end) = flags_end.filter(|&k| k > i + 2 && matches!(chars[k], ')' | ':')) else {
        // Look-around and named groups pass through; regex-lite judges them.
        out.push_str("(?");
        return Ok(Some(i + 2));
    };
    let flags: String = chars[i + 2..end].iter().collect();
    if flags.contains('L') {
        return Ok(None);
    }
    let kept: String = flags.chars().filter(|c| !matches!(c, 'a' | 'u')).collect();
    match (kept.is_empty() || kept == "-", chars[end]) {
        (true, ')') => {}
        (true, _) => out.push_str("(?:"),
        (false, close) => {
            out.push_str("(?");
            out.push_str(&kept);
            out.push(close);
        }
    }
    Ok(Some(end + 1))
}

/// `{m,n}` at `i`: a repetition with Python's optional bounds, or else a literal brace.
fn repetition(chars: &[char], i: usize, out: &mut String) -> usize {
    let digits = |mut k: usize| {
        let start = k;
        while chars.get(k).is_some_and(char::is_ascii_digit) {
            k += 1;
        }
        (chars[start..k].iter().collect::<String>(), k)
    };
    let (lo, k) = digits(i + 1);
    let (hi, comma, k) = if chars.get(k) == Some(&',') {
        let (hi, k) = digits(k + 1);
        (hi, true, k)
    } else {
        (String::new(), false, k)
    };
    if chars.get(k) != Some(&'}') || (lo.is_empty() && !comma) {
        out.push_str(r"\{");
        return i + 1;
    }
    let lo = if lo.is_empty() { "0".to_string() } else { lo };
    out.push('{');
    out.push_str(&lo);
    if comma {
        out.push(',');
        out.push_str(&hi);
    }
    out.push('}');
    k + 1
}

// ---------------------------------------------------------------------------------------------
// Nodes

fn dict_prop(p: &Props, name: &str) -> Map<String, Value> {
    p.dict(name).cloned().unwrap_or_default()
}

fn get_value(p: &Props) -> Result<Emitted, String> {
    let found = p.dict("dictionary").and_then(|d| d.get(p.str("key")));
    one(found.unwrap_or(p.get("default")).clone())
}

fn update(p: &Props) -> Result<Emitted, String> {
    let mut d = dict_prop(p, "dictionary");
    d.extend(dict_prop(p, "new_pairs"));
    one(Value::Object(d))
}

fn remove(p: &Props) -> Result<Emitted, String> {
    let mut d = dict_prop(p, "dictionary");
    d.remove(p.str("key"));
    one(Value::Object(d))
}

fn parse_json(p: &Props) -> Result<Emitted, String> {
    match loads(p.str("json_string"))? {
        v @ Value::Object(_) => one(v),
        _ => Err("Input JSON is not a dictionary".into()),
    }
}

fn zip(p: &Props) -> Result<Emitted, String> {
    let mut out = PyDict::default();
    for (k, v) in p.list("keys").iter().zip(p.list("values")) {
        out.insert(k, v.clone())?;
    }
    one(out.into_value())
}

fn combine(p: &Props) -> Result<Emitted, String> {
    let mut d = dict_prop(p, "dict_a");
    d.extend(dict_prop(p, "dict_b"));
    one(Value::Object(d))
}

fn filter(p: &Props) -> Result<Emitted, String> {
    let d = p.dict("dictionary");
    let mut out = Map::new();
    for key in p.list("keys") {
        let Value::String(key) = key else {
            return Err(format!(
                "property 'keys' must hold strings, got {}",
                type_name(key)
            ));
        };
        if let Some(v) = d.and_then(|d| d.get(key)) {
            out.insert(key.clone(), v.clone());
        }
    }
    one(Value::Object(out))
}

fn reduce_dictionaries(p: &Props) -> Result<Emitted, String> {
    let policy = p.str("conflict_resolution");
    if !matches!(policy, "first" | "last" | "error") {
        return Err(format!("unsupported conflict_resolution '{policy}'"));
    }
    let (key_field, value_field) = (p.str("key_field"), p.str("value_field"));
    let mut result = PyDict::default();
    for item in p.list("dictionaries") {
        let Value::Object(d) = item else {
            return Err(format!(
                "property 'dictionaries' must hold objects, got {}",
                type_name(item)
            ));
        };
        let key = d
            .get(key_field)
            .ok_or_else(|| format!("Key field '{key_field}' not found in dictionary"))?;
        let value = if value_field.is_empty() {
            let mut rest = d.clone();
            rest.remove(key_field);
            Value::Object(rest)
        } else {
            d.get(value_field)
                .cloned()
                .ok_or_else(|| format!("Value field '{value_field}' not found in dictionary"))?
        };
        if result.contains(key)? {
            match policy {
                "first" => continue,
                "last" => {}
                _ => return Err(format!("Duplicate key found: {}", py_str(key))),
            }
        }
        result.insert(key, value)?;
    }
    one(result.into_value())
}

fn make_dictionary(p: &Props) -> Result<Emitted, String> {
    let d: Map<String, Value> = p
        .dynamic
        .iter()
        .map(|name| (name.clone(), p.get(name).clone()))
        .collect();
    one(Value::Object(d))
}

fn arg_max(p: &Props) -> Result<Emitted, String> {
    let mut best: Option<(&String, Num)> = None;
    for (label, score) in p.dict("scores").into_iter().flatten() {
        let n = as_num(score).ok_or_else(|| {
            format!(
                "property 'scores' must hold numbers, got {}",
                type_name(score)
            )
        })?;
        // The first of equal maxima wins, as Python's max() keeps it.
        let better = best.is_none_or(|(_, b)| num_order(n, b) == Some(std::cmp::Ordering::Greater));
        if better {
            best = Some((label, n));
        }
    }
    match best {
        Some((label, _)) => one(Value::String(label.clone())),
        None => Err("Input dictionary cannot be empty".into()),
    }
}

/// The dict a stream filter received and the value under its key, or `None` when NodeTool's
/// filter would pass over the item.
fn stream_item<'a>(p: &'a Props) -> Option<(&'a Value, &'a Value)> {
    let item = p.get("value");
    let field = item.as_object()?.get(p.str("key"))?;
    Some((item, field))
}

fn pass(item: &Value, matched: bool) -> Result<Emitted, String> {
    Ok(if matched {
        vec![("output", item.clone())]
    } else {
        Vec::new()
    })
}

/// `len(v)` where Python has one.
fn py_len(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => Some(s.chars().count()),
        Value::Array(a) => Some(a.len()),
        Value::Object(m) => Some(m.len()),
        _ => None,
    }
}

fn filter_by_value(p: &Props) -> Result<Emitted, String> {
    let kind = p.str("filter_type");
    const KINDS: [&str; 8] = [
        "contains",
        "starts_with",
        "ends_with",
        "equals",
        "type_is",
        "length_greater",
        "length_less",
        "exact_length",
    ];
    if !KINDS.contains(&kind) {
        return Err(format!("unsupported filter_type '{kind}'"));
    }
    let Some((item, val)) = stream_item(p) else {
        return Ok(Vec::new());
    };
    let criteria = p.str("criteria");
    let text = py_str(val);
    let length = if kind.starts_with("length") || kind == "exact_length" {
        // A criterion that is not an integer passes the item over.
        match py_int_text(criteria) {
            Some(n) => n,
            None => return Ok(Vec::new()),
        }
    } else {
        0
    };
    let len = py_len(val).map(|n| n as i128);
    let matched = match kind {
        "contains" => text.contains(criteria),
        "starts_with" => text.starts_with(criteria),
        "ends_with" => text.ends_with(criteria),
        "equals" => text == criteria,
        "type_is" => py_type(val) == criteria,
        "length_greater" => len.is_some_and(|n| n > length),
        "length_less" => len.is_some_and(|n| n < length),
        _ => len == Some(length),
    };
    pass(item, matched)
}

/// A dict value Python's `isinstance(v, (int, float))` accepts (booleans are ints there).
fn real_number(v: &Value) -> Option<Num> {
    match v {
        Value::Number(_) | Value::Bool(_) => as_num(v),
        _ => None,
    }
}

fn filter_by_range(p: &Props) -> Result<Emitted, String> {
    let Some((item, val)) = stream_item(p) else {
        return Ok(Vec::new());
    };
    let Some(n) = real_number(val) else {
        return Ok(Vec::new());
    };
    use std::cmp::Ordering::*;
    let lo = num_order(Num::Float(p.float("min_value")), n);
    let hi = num_order(n, Num::Float(p.float("max_value")));
    let matched = if p.bool("inclusive") {
        matches!(lo, Some(Less | Equal)) && matches!(hi, Some(Less | Equal))
    } else {
        lo == Some(Less) && hi == Some(Less)
    };
    pass(item, matched)
}

fn filter_by_number(p: &Props) -> Result<Emitted, String> {
    let kind = p.str("filter_type");
    const KINDS: [&str; 7] = [
        "greater_than",
        "less_than",
        "equal_to",
        "even",
        "odd",
        "positive",
        "negative",
    ];
    if !KINDS.contains(&kind) {
        return Err(format!("unsupported filter_type '{kind}'"));
    }
    let Some((item, val)) = stream_item(p) else {
        return Ok(Vec::new());
    };
    let Some(n) = real_number(val) else {
        return Ok(Vec::new());
    };
    use std::cmp::Ordering::*;
    let against = |b: f64| num_order(n, Num::Float(b));
    // Only ints (and booleans) have a parity; floats never match even or odd.
    let odd = match val {
        Value::Bool(b) => Some(*b),
        Value::Number(x) if !x.is_f64() => x
            .as_i64()
            .map(|i| i % 2 != 0)
            .or(x.as_u64().map(|u| u % 2 == 1)),
        _ => None,
    };
    let matched = match kind {
        "greater_than" => against(p.float("compare_value")) == Some(Greater),
        "less_than" => against(p.float("compare_value")) == Some(Less),
        "equal_to" => against(p.float("compare_value")) == Some(Equal),
        "even" => odd == Some(false),
        "odd" => odd == Some(true),
        "positive" => against(0.0) == Some(Greater),
        _ => against(0.0) == Some(Less),
    };
    pass(item, matched)
}

fn filter_regex(p: &Props) -> Result<Emitted, String> {
    let Some((item, val)) = stream_item(p) else {
        return Ok(Vec::new());
    };
    let full = p.bool("full_match");
    let compiled = if full {
        py_fullmatch_regex(p.str("pattern"))?
    } else {
        py_regex(p.str("pattern"))?
    };
    // NodeTool passes every item over when its pattern does not compile.
    let Some(re) = compiled else {
        return Ok(Vec::new());
    };
    pass(item, re.is_match(&py_str(val)))
}

fn filter_by_query(p: &Props) -> Result<Emitted, String> {
    let item = p.get("value");
    let Value::Object(row) = item else {
        return Ok(Vec::new());
    };
    let condition = p.str("condition");
    if condition.is_empty() {
        return pass(item, true);
    }
    match query(condition, row) {
        Ok(matched) => pass(item, matched),
        Err(QueryFail::Skip) => Ok(Vec::new()),
        Err(QueryFail::Unsupported(msg)) => Err(msg),
    }
}

fn to_json(p: &Props) -> Result<Emitted, String> {
    let d = Value::Object(dict_prop(p, "dictionary"));
    one(Value::String(dumps(&d, None, p.max_len)?))
}

fn to_yaml(p: &Props) -> Result<Emitted, String> {
    let d = Value::Object(dict_prop(p, "dictionary"));
    one(Value::String(yaml_dump(&d, p.max_len)?))
}

// ---------------------------------------------------------------------------------------------
// FilterDictByQuery: pandas' `DataFrame.query` on a one-row frame.
//
// Supported: column names (bare or in backticks, plus `index`), numbers, strings, True/False/
// None, list and tuple literals, arithmetic (`+ - * / // % **`), comparisons (chained),
// `in`/`not in`, `and`/`&`, `or`/`|`, `not`/`~`. As in pandas, a query that fails (an unknown
// column, mismatched types, a result that is not a boolean) drops the row; function calls,
// attributes and subscripts are refused as unsupported instead of dropping every row.

enum QueryFail {
    /// pandas would raise; NodeTool swallows it and passes the row over.
    Skip,
    /// Valid pandas this evaluator does not run.
    Unsupported(String),
}

type Q<T> = Result<T, QueryFail>;

#[derive(Clone, Debug)]
enum Qv {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Qv>),
    /// A list or dict held in a column: comparable for equality only.
    Other(Value),
}

/// A value and whether it came from the row (pandas needs a column to index the frame with).
#[derive(Clone, Debug)]
struct Qval {
    v: Qv,
    col: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(String),
    Str(String),
    Name(String),
    Column(String),
    Op(&'static str),
}

const QUERY_DEPTH: usize = 64;

fn query(condition: &str, row: &Map<String, Value>) -> Q<bool> {
    let toks = tokenize(condition)?;
    let mut parser = QueryParser {
        toks,
        pos: 0,
        row,
        depth: 0,
    };
    let result = parser.or_expr()?;
    if parser.pos != parser.toks.len() {
        return Err(QueryFail::Skip);
    }
    // pandas indexes the frame with the result: a boolean selects the row, and a number
    // selects it by label, which only the one row's label, 0, matches.
    match (result.v, result.col) {
        (Qv::Bool(b), true) => Ok(b),
        (Qv::Int(0), true) => Ok(true),
        (Qv::Float(0.0), true) => Ok(true),
        _ => Err(QueryFail::Skip),
    }
}

fn unsupported_query(what: &str) -> QueryFail {
    QueryFail::Unsupported(format!(
        "the condition uses {what}, which this server's FilterDictByQuery does not support \
         (it supports comparisons, arithmetic, in/not in and and/or/not over columns)"
    ))
}

fn tokenize(s: &str) -> Q<Vec<Tok>> {
    let chars: Vec<char> = s.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || chars[i] == '_'
                    || chars[i] == '.'
                    || (matches!(chars[i], '+' | '-')
                        && matches!(chars[i - 1], 'e' | 'E')
                        && !chars[start..i].iter().any(|c| matches!(c, 'x' | 'X'))))
            {
                i += 1;
            }
            toks.push(Tok::Num(chars[start..i].iter().collect()));
        } else if c == '\'' || c == '"' {
            let (text, next) = string_literal(&chars, i, false)?;
            push_string(&mut toks, text);
            i = next;
        } else if c == '`' {
            let close = chars[i + 1..]
                .iter()
                .position(|c| *c == '`')
                .ok_or(QueryFail::Skip)?;
            toks.push(Tok::Column(chars[i + 1..i + 1 + close].iter().collect()));
            i += close + 2;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // String prefixes: r'' is raw, u'' plain; bytes and f-strings are not supported.
            if matches!(chars.get(i), Some('\'' | '"')) && word.len() <= 2 {
                let lower = word.to_ascii_lowercase();
                if lower == "r" || lower == "u" {
                    let (text, next) = string_literal(&chars, i, lower == "r")?;
                    push_string(&mut toks, text);
                    i = next;
                    continue;
                }
                return Err(unsupported_query("a bytes or f-string literal"));
            }
            toks.push(Tok::Name(word));
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            const TWO: [&str; 8] = ["**", "//", "==", "!=", "<=", ">=", "<<", ">>"];
            const ONE: [&str; 17] = [
                "<", ">", "+", "-", "*", "/", "%", "&", "|", "~", "(", ")", "[", "]", ",", ".", "@",
            ];
            if let Some(op) = TWO.iter().find(|o| **o == two) {
                toks.push(Tok::Op(op));
                i += 2;
            } else if let Some(op) = ONE.iter().find(|o| o.starts_with(c)) {
                toks.push(Tok::Op(op));
                i += 1;
            } else if c == '^' {
                return Err(unsupported_query("the ^ operator"));
            } else {
                return Err(QueryFail::Skip);
            }
        }
    }
    Ok(toks)
}

/// Adjacent string literals concatenate, as in Python.
fn push_string(toks: &mut Vec<Tok>, text: String) {
    if let Some(Tok::Str(prev)) = toks.last_mut() {
        prev.push_str(&text);
    } else {
        toks.push(Tok::Str(text));
    }
}

/// A Python string literal starting at its quote; returns the text and where it ends.
fn string_literal(chars: &[char], i: usize, raw: bool) -> Q<(String, usize)> {
    let quote = chars[i];
    if chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote) {
        return Err(unsupported_query("a triple-quoted string"));
    }
    let mut out = String::new();
    let mut k = i + 1;
    loop {
        let c = *chars.get(k).ok_or(QueryFail::Skip)?;
        if c == quote {
            return Ok((out, k + 1));
        }
        if c == '\n' {
            return Err(QueryFail::Skip);
        }
        if c != '\\' || raw {
            out.push(c);
            if c == '\\' {
                // A raw string still cannot end in an odd backslash before the quote.
                out.push(*chars.get(k + 1).ok_or(QueryFail::Skip)?);
                k += 1;
            }
            k += 1;
            continue;
        }
        let e = *chars.get(k + 1).ok_or(QueryFail::Skip)?;
        let hex = |n: usize| hex_char(chars, k + 2, n).ok_or(QueryFail::Skip);
        let (ch, used) = match e {
            'n' => ('\n', 2),
            't' => ('\t', 2),
            'r' => ('\r', 2),
            '0' => ('\0', 2),
            'a' => ('\u{7}', 2),
            'b' => ('\u{8}', 2),
            'f' => ('\u{c}', 2),
            'v' => ('\u{b}', 2),
            '\\' | '\'' | '"' => (e, 2),
            'x' => (hex(2)?, 4),
            'u' => (hex(4)?, 6),
            'U' => (hex(8)?, 10),
            _ => {
                // Python keeps unknown escapes as written.
                out.push('\\');
                (e, 2)
            }
        };
        out.push(ch);
        k += used;
    }
}

struct QueryParser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    row: &'a Map<String, Value>,
    depth: usize,
}

fn qbool(b: bool, col: bool) -> Qval {
    Qval {
        v: Qv::Bool(b),
        col,
    }
}

impl QueryParser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.peek() == Some(&Tok::Op(match_op(op))) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Name(n)) if n == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn deeper(&mut self) -> Q<()> {
        self.depth += 1;
        if self.depth > QUERY_DEPTH {
            return Err(unsupported_query("more nesting than it can follow"));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Q<Qval> {
        self.deeper()?;
        let mut left = self.and_expr()?;
        while self.eat_word("or") || self.eat_op("|") {
            let right = self.and_expr()?;
            left = logic(left, right, |a, b| a || b)?;
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and_expr(&mut self) -> Q<Qval> {
        let mut left = self.not_expr()?;
        while self.eat_word("and") || self.eat_op("&") {
            let right = self.not_expr()?;
            left = logic(left, right, |a, b| a && b)?;
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> Q<Qval> {
        if self.eat_word("not") {
            self.deeper()?;
            let v = self.not_expr()?;
            self.depth -= 1;
            return match v.v {
                Qv::Bool(b) => Ok(qbool(!b, v.col)),
                _ => Err(QueryFail::Skip),
            };
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Q<Qval> {
        let mut left = self.arith()?;
        let mut result: Option<Qval> = None;
        while let Some(op) = self.comp_op()? {
            let right = self.arith()?;
            let step = compare_values(op, &left, &right)?;
            result = Some(match result {
                None => step,
                Some(prev) => logic(prev, step, |a, b| a && b)?,
            });
            left = right;
        }
        Ok(result.unwrap_or(left))
    }

    fn comp_op(&mut self) -> Q<Option<&'static str>> {
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if self.eat_op(op) {
                return Ok(Some(match_op(op)));
            }
        }
        if self.eat_word("in") {
            return Ok(Some("in"));
        }
        if matches!(self.peek(), Some(Tok::Name(n)) if n == "not")
            && matches!(self.toks.get(self.pos + 1), Some(Tok::Name(n)) if n == "in")
        {
            self.pos += 2;
            return Ok(Some("not in"));
        }
        if matches!(self.peek(), Some(Tok::Name(n)) if n == "is") {
            // pandas: "'Is' nodes are not implemented".
            return Err(QueryFail::Skip);
        }
        Ok(None)
    }

    fn arith(&mut self) -> Q<Qval> {
        let mut left = self.term()?;
        loop {
            let op = if self.eat_op("+") {
                "+"
            } else if self.eat_op("-") {
                "-"
            } else {
                return Ok(left);
            };
            let right = self.term()?;
            left = arith_values(op, left, right)?;
        }
    }

    fn term(&mut self) -> Q<Qval> {
        let mut left = self.factor()?;
        loop {
            let op = ["*", "//", "/", "%"].into_iter().find(|op| self.eat_op(op));
            let Some(op) = op else {
                return Ok(left);
            };
            let right = self.factor()?;
            left = arith_values(op, left, right)?;
        }
    }

    fn factor(&mut self) -> Q<Qval> {
        for op in ["-", "+", "~"] {
            if self.eat_op(op) {
                self.deeper()?;
                let v = self.factor()?;
                self.depth -= 1;
                return unary(op, v);
            }
        }
        self.power()
    }

    fn power(&mut self) -> Q<Qval> {
        let base = self.atom()?;
        if matches!(self.peek(), Some(Tok::Op("(" | "[" | "."))) {
            return Err(unsupported_query("a function call, attribute or subscript"));
        }
        if self.eat_op("**") {
            self.deeper()?;
            let exp = self.factor()?;
            self.depth -= 1;
            return arith_values("**", base, exp);
        }
        Ok(base)
    }

    fn atom(&mut self) -> Q<Qval> {
        let tok = self.peek().cloned().ok_or(QueryFail::Skip)?;
        self.pos += 1;
        let lit = |v: Qv| Ok(Qval { v, col: false });
        match tok {
            Tok::Num(text) => lit(number_literal(&text)?),
            Tok::Str(s) => lit(Qv::Str(s)),
            Tok::Column(name) => self.column(&name),
            Tok::Name(n) => match n.as_str() {
                "True" => lit(Qv::Bool(true)),
                "False" => lit(Qv::Bool(false)),
                "None" => lit(Qv::Null),
                _ if is_keyword(&n) => Err(QueryFail::Skip),
                _ => self.column(&n),
            },
            Tok::Op("(") => self.sequence(")"),
            Tok::Op("[") => self.sequence("]"),
            // `@name` reads a local variable, and the node passes none.
            _ => Err(QueryFail::Skip),
        }
    }

    /// A parenthesised expression, or a tuple or list literal.
    fn sequence(&mut self, close: &'static str) -> Q<Qval> {
        self.deeper()?;
        let mut items = Vec::new();
        let mut trailing_comma = false;
        while !self.eat_op(close) {
            if !items.is_empty() && !trailing_comma {
                return Err(QueryFail::Skip);
            }
            items.push(self.or_expr()?);
            trailing_comma = self.eat_op(",");
        }
        self.depth -= 1;
        if close == ")" && items.len() == 1 && !trailing_comma {
            return Ok(items.remove(0));
        }
        let col = items.iter().any(|v| v.col);
        Ok(Qval {
            v: Qv::List(items.into_iter().map(|v| v.v).collect()),
            col,
        })
    }

    fn column(&self, name: &str) -> Q<Qval> {
        let v = match self.row.get(name) {
            Some(v) => v,
            // The one row's index label.
            None if name == "index" || name == "ilevel_0" => &Value::Null,
            None => return Err(QueryFail::Skip),
        };
        let v = match v {
            Value::Null if !self.row.contains_key(name) => Qv::Int(0),
            Value::Null => Qv::Null,
            Value::Bool(b) => Qv::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) if !n.is_f64() => Qv::Int(i),
                _ => Qv::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Qv::Str(s.clone()),
            Value::Array(_) | Value::Object(_) => Qv::Other(v.clone()),
        };
        Ok(Qval { v, col: true })
    }
}

/// The `&'static str` of an operator token.
fn match_op(op: &str) -> &'static str {
    const OPS: [&str; 25] = [
        "**", "//", "==", "!=", "<=", ">=", "<<", ">>", "<", ">", "+", "-", "*", "/", "%", "&",
        "|", "~", "(", ")", "[", "]", ",", ".", "@",
    ];
    OPS.into_iter().find(|o| *o == op).unwrap_or("")
}

fn is_keyword(w: &str) -> bool {
    const KEYWORDS: [&str; 30] = [
        "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    ];
    KEYWORDS.contains(&w) || w == "with" || w == "yield"
}

fn number_literal(text: &str) -> Q<Qv> {
    let lower = text.to_ascii_lowercase();
    let radix = match lower.get(..2) {
        Some("0x") => Some(16),
        Some("0o") => Some(8),
        Some("0b") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        let digits = lower[2..].trim_start_matches('_').replace('_', "");
        return i64::from_str_radix(&digits, radix)
            .map(Qv::Int)
            .map_err(|_| QueryFail::Skip);
    }
    if lower.ends_with('j') {
        return Err(unsupported_query("a complex number"));
    }
    let is_float = lower.contains(['.', 'e']);
    if !is_float {
        // Python forbids leading zeros in a non-zero decimal literal.
        if lower.len() > 1
            && lower.starts_with('0')
            && lower.bytes().any(|b| b != b'0' && b != b'_')
        {
            return Err(QueryFail::Skip);
        }
        return match py_int_text(&lower) {
            Some(n) => i64::try_from(n).map(Qv::Int).map_err(|_| QueryFail::Skip),
            None => Err(QueryFail::Skip),
        };
    }
    let valid = lower
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-' | b'_'));
    if !valid || lower.contains("__") {
        return Err(QueryFail::Skip);
    }
    lower
        .replace('_', "")
        .parse::<f64>()
        .map(Qv::Float)
        .map_err(|_| QueryFail::Skip)
}

/// `and`/`or` as pandas runs them: the left side must be boolean; a column on the right that is
/// not is taken by its truth value.
fn logic(a: Qval, b: Qval, f: fn(bool, bool) -> bool) -> Q<Qval> {
    let Qv::Bool(x) = a.v else {
        return Err(QueryFail::Skip);
    };
    let y = match b.v {
        Qv::Bool(y) => y,
        _ if !b.col => return Err(QueryFail::Skip),
        Qv::Null => false,
        Qv::Int(i) => i != 0,
        Qv::Float(v) => v != 0.0,
        Qv::Str(s) => !s.is_empty(),
        Qv::List(items) => !items.is_empty(),
        Qv::Other(v) => truthy(&v),
    };
    Ok(qbool(f(x, y), a.col || b.col))
}

fn qnum(v: &Qv) -> Option<Num> {
    match v {
        Qv::Bool(b) => Some(Num::Int(i64::from(*b))),
        Qv::Int(i) => Some(Num::Int(*i)),
        Qv::Float(f) => Some(Num::Float(*f)),
        _ => None,
    }
}

fn qnum_value(n: Num, col: bool) -> Qval {
    let v = match n {
        Num::Int(i) => Qv::Int(i),
        Num::Float(f) => Qv::Float(f),
    };
    Qval { v, col }
}

fn unary(op: &str, v: Qval) -> Q<Qval> {
    let col = v.col;
    match (op, &v.v) {
        ("~", Qv::Bool(b)) => Ok(qbool(!b, col)),
        ("~", Qv::Int(i)) => Ok(qnum_value(Num::Int(!i), col)),
        ("-", _) => match qnum(&v.v).ok_or(QueryFail::Skip)? {
            Num::Int(i) => Ok(qnum_value(
                Num::Int(i.checked_neg().ok_or(QueryFail::Skip)?),
                col,
            )),
            Num::Float(f) => Ok(qnum_value(Num::Float(-f), col)),
        },
        ("+", _) => Ok(qnum_value(qnum(&v.v).ok_or(QueryFail::Skip)?, col)),
        _ => Err(QueryFail::Skip),
    }
}

/// pandas arithmetic on one row: Python's semantics for ints, IEEE results (not errors) for
/// division by zero.
fn arith_values(op: &str, a: Qval, b: Qval) -> Q<Qval> {
    let col = a.col || b.col;
    let (Some(x), Some(y)) = (qnum(&a.v), qnum(&b.v)) else {
        return Err(QueryFail::Skip);
    };
    let ints = match (x, y) {
        (Num::Int(i), Num::Int(j)) => Some((i, j)),
        _ => None,
    };
    let (fx, fy) = (x.as_f64(), y.as_f64());
    let overflow = || QueryFail::Skip;
    let n = match (op, ints) {
        ("+", Some((i, j))) => Num::Int(i.checked_add(j).ok_or_else(overflow)?),
        ("-", Some((i, j))) => Num::Int(i.checked_sub(j).ok_or_else(overflow)?),
        ("*", Some((i, j))) => Num::Int(i.checked_mul(j).ok_or_else(overflow)?),
        ("+", None) => Num::Float(fx + fy),
        ("-", None) => Num::Float(fx - fy),
        ("*", None) => Num::Float(fx * fy),
        ("/", _) => Num::Float(fx / fy),
        ("//", Some((i, j))) if j != 0 => Num::Int(floor_div(i, j).ok_or_else(overflow)?),
        ("//", _) => Num::Float((fx / fy).floor()),
        ("%", _) if fy == 0.0 => Num::Float(f64::NAN),
        ("%", _) => super::math::py_mod(x, y).map_err(|_| QueryFail::Skip)?,
        ("**", Some((i, j))) => {
            let e = u32::try_from(j).map_err(|_| QueryFail::Skip)?;
            Num::Int(i.checked_pow(e).ok_or_else(overflow)?)
        }
        _ => Num::Float(fx.powf(fy)),
    };
    Ok(qnum_value(n, col))
}

fn floor_div(i: i64, j: i64) -> Option<i64> {
    let q = i.checked_div(j)?;
    Some(if (i % j != 0) && ((i < 0) != (j < 0)) {
        q - 1
    } else {
        q
    })
}

/// Equality as pandas applies it to one cell: numbers across int/float/bool, strings with
/// strings; anything else is unequal.
fn q_eq(a: &Qv, b: &Qv) -> bool {
    match (qnum(a), qnum(b)) {
        (Some(x), Some(y)) => num_order(x, y) == Some(std::cmp::Ordering::Equal),
        _ => matches!((a, b), (Qv::Str(x), Qv::Str(y)) if x == y),
    }
}

fn compare_values(op: &'static str, a: &Qval, b: &Qval) -> Q<Qval> {
    let col = a.col || b.col;
    if op == "in" || op == "not in" {
        let hit = match (&a.v, &b.v) {
            (Qv::List(_), _) => return Err(QueryFail::Skip),
            (x, Qv::List(items)) => items.iter().any(|i| q_eq(x, i)),
            // A column on the right is a list of its one cell.
            (x, y) if b.col => q_eq(x, y),
            _ => return Err(QueryFail::Skip),
        };
        return Ok(qbool(hit == (op == "in"), col));
    }
    // A one-item list broadcasts against the row; longer ones cannot line up with it.
    let single = |v: &Qv| -> Q<Qv> {
        match v {
            Qv::List(items) if items.len() == 1 => Ok(items[0].clone()),
            Qv::List(_) => Err(QueryFail::Skip),
            other => Ok(other.clone()),
        }
    };
    let (x, y) = (single(&a.v)?, single(&b.v)?);
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (&x, &y) {
        (Qv::Null, _) | (_, Qv::Null) => None,
        (Qv::Other(p), Qv::Other(q)) if op == "==" || op == "!=" => {
            py_eq(p, q).then_some(Ordering::Equal)
        }
        (Qv::Str(s), Qv::Str(t)) => Some(s.cmp(t)),
        _ => match (qnum(&x), qnum(&y)) {
            (Some(m), Some(n)) => num_order(m, n),
            // Mixed types: never equal, and not orderable.
            _ if op == "==" || op == "!=" => None,
            _ => return Err(QueryFail::Skip),
        },
    };
    let r = match op {
        "==" => ord == Some(Ordering::Equal),
        "!=" => ord != Some(Ordering::Equal),
        "<" => ord == Some(Ordering::Less),
        "<=" => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        ">" => ord == Some(Ordering::Greater),
        _ => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    };
    Ok(qbool(r, col))
}

// ---------------------------------------------------------------------------------------------
// yaml.dump: PyYAML's emitter with its defaults (block style, sorted keys, indent 2, width 80,
// no unicode), for the values JSON can hold.

const BEST_INDENT: usize = 2;
const BEST_WIDTH: usize = 80;

fn yaml_dump(v: &Value, max: usize) -> Result<String, String> {
    let mut e = Emitter {
        out: String::new(),
        max,
        column: 0,
        whitespace: true,
        indention: true,
        indent: None,
        indents: Vec::new(),
    };
    e.node(v, Ctx::default(), 0)?;
    e.write_indent()?;
    Ok(e.out)
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    mapping: bool,
    simple_key: bool,
}

struct Emitter {
    out: String,
    max: usize,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
}

#[derive(PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
}

/// What PyYAML's `analyze_scalar` finds in a string, reduced to what block context uses.
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_space_or_break(c: Option<char>) -> bool {
    c.is_none_or(|c| matches!(c, '\0' | ' ' | '\t' | '\r') || is_break(c))
}

fn analyze(s: &[char]) -> Analysis {
    if s.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let starts = |p: &str| s.len() >= 3 && s[..3].iter().copied().eq(p.chars());
    let mut block_indicators = starts("---") || starts("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_ws = true;
    for (i, &c) in s.iter().enumerate() {
        let followed_by_ws = is_space_or_break(s.get(i + 1).copied());
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) || (matches!(c, '?' | ':' | '-') && followed_by_ws) {
                block_indicators = true;
            }
        } else if (c == ':' && followed_by_ws) || (c == '#' && preceded_by_ws) {
            block_indicators = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        // Without allow_unicode every character outside printable ASCII needs double quotes.
        if !(c == '\n' || (' '..='~').contains(&c)) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == s.len() - 1;
            break_space |= previous_break;
            (previous_space, previous_break) = (true, false);
        } else if is_break(c) {
            leading_break |= i == 0;
            trailing_break |= i == s.len() - 1;
            space_break |= previous_space;
            (previous_space, previous_break) = (false, true);
        } else {
            (previous_space, previous_break) = (false, false);
        }
        preceded_by_ws = is_space_or_break(Some(c));
    }
    let edges = leading_space || leading_break || trailing_space || trailing_break;
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_block_plain: !(edges
            || break_space
            || space_break
            || special
            || line_breaks
            || block_indicators),
        allow_single_quoted: !(break_space || space_break || special),
    }
}

/// PyYAML's implicit resolvers: plain text that would read back as something other than a
/// string (bool, int, float, null, timestamp, merge, value, yaml).
fn resolves_to_non_string(text: &str) -> bool {
    static RESOLVERS: OnceLock<Vec<Regex>> = OnceLock::new();
    let resolvers = RESOLVERS.get_or_init(|| {
        [
            r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
            r"^(?:<<)$",
            r"^(?:~|null|Null|NULL|)$",
            r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
            r"^(?:=)$",
            r"^(?:!|&|\*)$",
        ]
        .iter()
        .filter_map(|p| Regex::new(p).ok())
        .collect()
    });
    resolvers.iter().any(|r| r.is_match(text))
}

/// PyYAML's `repr` of a float: Python's repr, lower case, with `.0` added before a bare exponent.
fn yaml_float(f: f64) -> String {
    let text = py_float(f).to_lowercase();
    if !text.contains('.') && text.contains('e') {
        text.replacen('e', ".0e", 1)
    } else {
        text
    }
}

impl Emitter {
    fn write(&mut self, s: &str) -> Result<(), String> {
        too_long(self.out.len() + s.len(), self.max)?;
        self.out.push_str(s);
        self.column += s.chars().count();
        Ok(())
    }

    fn write_chars(&mut self, s: &[char]) -> Result<(), String> {
        let text: String = s.iter().collect();
        self.write(&text)
    }

    fn line_break(&mut self, text: &str) -> Result<(), String> {
        self.whitespace = true;
        self.indention = true;
        self.write(text)?;
        self.column = 0;
        Ok(())
    }

    fn write_indent(&mut self) -> Result<(), String> {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.line_break("\n")?;
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = " ".repeat(indent - self.column);
            self.write(&pad)?;
        }
        Ok(())
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) -> Result<(), String> {
        let data = if self.whitespace || !need_whitespace {
            indicator.to_string()
        } else {
            format!(" {indicator}")
        };
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.write(&data)
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None => Some(if flow { BEST_INDENT } else { 0 }),
            Some(i) if !indentless => Some(i + BEST_INDENT),
            same => same,
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or_default();
    }

    fn node(&mut self, v: &Value, ctx: Ctx, depth: usize) -> Result<(), String> {
        if depth > MAX_WALK_DEPTH {
            return Err("the value is nested too deeply to write as YAML".into());
        }
        match v {
            Value::Array(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Object(m) if m.is_empty() => self.empty_flow("{", "}"),
            Value::Array(items) => self.sequence(items, ctx, depth),
            Value::Object(m) => self.mapping(m, depth),
            Value::String(s) => self.scalar(s, true, ctx),
            Value::Null => self.scalar("null", false, ctx),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, false, ctx),
            Value::Number(n) => {
                let text = match n.as_f64() {
                    Some(f) if n.is_f64() => yaml_float(f),
                    _ => n.to_string(),
                };
                self.scalar(&text, false, ctx)
            }
        }
    }

    /// Empty collections are always written in flow style.
    fn empty_flow(&mut self, open: &str, close: &str) -> Result<(), String> {
        self.write_indicator(open, true, true, false)?;
        self.write_indicator(close, false, false, false)
    }

    fn sequence(&mut self, items: &[Value], ctx: Ctx, depth: usize) -> Result<(), String> {
        // A sequence that is a mapping's value sits at the mapping's own indentation.
        let indentless = ctx.mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent()?;
            self.write_indicator("-", true, false, true)?;
            self.node(item, Ctx::default(), depth + 1)?;
        }
        self.pop_indent();
        Ok(())
    }

    fn mapping(&mut self, m: &Map<String, Value>, depth: usize) -> Result<(), String> {
        self.increase_indent(false, false);
        let value_ctx = Ctx {
            mapping: true,
            simple_key: false,
        };
        for (key, value) in m {
            self.write_indent()?;
            let chars: Vec<char> = key.chars().collect();
            let a = analyze(&chars);
            // The key's length counts its tag ("!!str") too, as PyYAML measures it.
            if chars.len() + 5 < 128 && !a.empty && !a.multiline {
                let key_ctx = Ctx {
                    mapping: true,
                    simple_key: true,
                };
                self.scalar(key, true, key_ctx)?;
                self.write_indicator(":", false, false, false)?;
            } else {
                self.write_indicator("?", true, false, true)?;
                self.scalar(key, true, value_ctx)?;
                self.write_indent()?;
                self.write_indicator(":", true, false, true)?;
            }
            self.node(value, value_ctx, depth + 1)?;
        }
        self.pop_indent();
        Ok(())
    }

    fn scalar(&mut self, text: &str, is_string: bool, ctx: Ctx) -> Result<(), String> {
        let chars: Vec<char> = text.chars().collect();
        let a = analyze(&chars);
        let implicit = !is_string || !resolves_to_non_string(text);
        let style =
            if implicit && !(ctx.simple_key && (a.empty || a.multiline)) && a.allow_block_plain {
                Style::Plain
            } else if a.allow_single_quoted && !(ctx.simple_key && a.multiline) {
                Style::Single
            } else {
                Style::Double
            };
        self.increase_indent(true, false);
        let split = !ctx.simple_key;
        match style {
            Style::Plain => self.plain(&chars, split)?,
            Style::Single => self.single_quoted(&chars, split)?,
            Style::Double => self.double_quoted(&chars, split)?,
        }
        self.pop_indent();
        Ok(())
    }

    fn plain(&mut self, s: &[char], split: bool) -> Result<(), String> {
        if s.is_empty() {
            return Ok(());
        }
        if !self.whitespace {
            self.write(" ")?;
        }
        self.whitespace = false;
        self.indention = false;
        let (mut spaces, mut start) = (false, 0);
        for end in 0..=s.len() {
            let ch = s.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split {
                        self.write_indent()?;
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write_chars(&s[start..end])?;
                    }
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                self.write_chars(&s[start..end])?;
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
            }
        }
        Ok(())
    }

    fn single_quoted(&mut self, s: &[char], split: bool) -> Result<(), String> {
        self.write_indicator("'", true, false, false)?;
        let (mut spaces, mut breaks, mut start) = (false, false, 0);
        for end in 0..=s.len() {
            let ch = s.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != s.len()
                    {
                        self.write_indent()?;
                    } else {
                        self.write_chars(&s[start..end])?;
                    }
                    start = end;
                }
            } else if breaks {
                if ch.is_none_or(|c| !is_break(c)) {
                    if s[start] == '\n' {
                        self.line_break("\n")?;
                    }
                    for &br in &s[start..end] {
                        let text = br.to_string();
                        self.line_break(if br == '\n' { "\n" } else { &text })?;
                    }
                    self.write_indent()?;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || c == '\'' || is_break(c)) && start < end {
                self.write_chars(&s[start..end])?;
                start = end;
            }
            if ch == Some('\'') {
                self.write("''")?;
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
        }
        self.write_indicator("'", false, false, false)
    }

    fn double_quoted(&mut self, s: &[char], split: bool) -> Result<(), String> {
        self.write_indicator("\"", true, false, false)?;
        let mut start = 0usize;
        for end in 0..=s.len() {
            let ch = s.get(end).copied();
            let escaped = ch.is_none_or(|c| {
                matches!(
                    c,
                    '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                ) || !(' '..='~').contains(&c)
            });
            if escaped {
                if start < end {
                    self.write_chars(&s[start..end])?;
                    start = end;
                }
                if let Some(c) = ch {
                    self.write(&yaml_escape(c))?;
                    start = end + 1;
                }
            }
            // Fold a long line at a space (or right after an escape), marking it with "\".
            let fold = end > 0
                && end + 1 < s.len()
                && (ch == Some(' ') || start >= end)
                && self.column as i64 + end as i64 - start as i64 > BEST_WIDTH as i64
                && split;
            if fold {
                let mut data: String = s[start.min(end)..end].iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write(&data)?;
                self.write_indent()?;
                self.whitespace = false;
                self.indention = false;
                if s.get(start) == Some(&' ') {
                    self.write("\\")?;
                }
            }
        }
        self.write_indicator("\"", false, false, false)
    }
}

fn yaml_escape(c: char) -> String {
    let named = match c {
        '\0' => "0",
        '\u{7}' => "a",
        '\u{8}' => "b",
        '\t' => "t",
        '\n' => "n",
        '\u{b}' => "v",
        '\u{c}' => "f",
        '\r' => "r",
        '\u{1b}' => "e",
        '"' => "\"",
        '\\' => "\\",
        '\u{85}' => "N",
        '\u{a0}' => "_",
        '\u{2028}' => "L",
        '\u{2029}' => "P",
        _ => "",
    };
    let code = c as u32;
    if !named.is_empty() {
        format!("\\{named}")
    } else if code <= 0xff {
        format!("\\x{code:02X}")
    } else if code <= 0xffff {
        format!("\\u{code:04X}")
    } else {
        format!("\\U{code:08X}")
    }
}
