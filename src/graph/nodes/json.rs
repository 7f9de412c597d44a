//! `lib.json.*`: JSON text in and out, dotted paths, filters, templates and schema validation.
//!
//! NodeTool runs these on Python's `json` module, so its text is this module's contract: `dumps`
//! writes what `json.dumps` writes (separators, `ensure_ascii`, indentation, `repr` floats) and
//! `loads` accepts what `json.loads` accepts and fails with its messages and positions.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Number, Value};

use super::dictionary::{PyDict, py_regex, py_type};
use super::spec::{Emitted, Family, Props, one, op};
use crate::graph::value::{
    Kind, Num, as_num, py_eq, py_float, py_repr, py_str, too_long, truthy, type_name,
};

pub(crate) const FAMILY: Family = Family {
    prefixes: &["lib.json."],
    nodes: &[
        ("ParseDict", op(parse_dict, JSON_STRING)),
        ("ParseList", op(parse_list, JSON_STRING)),
        (
            "StringifyJSON",
            op(
                stringify_json,
                &[("data", Kind::Any, "{}"), ("indent", Kind::Int, "2")],
            ),
        ),
        (
            "GetJSONPathStr",
            op(path_str, &[DATA, PATH, ("default", Kind::Str, "\"\"")]),
        ),
        (
            "GetJSONPathInt",
            op(path_int, &[DATA, PATH, ("default", Kind::Int, "0")]),
        ),
        (
            "GetJSONPathFloat",
            op(path_float, &[DATA, PATH, ("default", Kind::Float, "0.0")]),
        ),
        (
            "GetJSONPathBool",
            op(path_bool, &[DATA, PATH, ("default", Kind::Bool, "false")]),
        ),
        (
            "GetJSONPathList",
            op(path_list, &[DATA, PATH, ("default", Kind::List, "[]")]),
        ),
        (
            "GetJSONPathDict",
            op(path_dict, &[DATA, PATH, ("default", Kind::Dict, "{}")]),
        ),
        (
            "ValidateJSON",
            op(
                validate_json,
                &[("data", Kind::Any, "{}"), ("json_schema", Kind::Dict, "{}")],
            ),
        ),
        (
            "FilterJSON",
            op(
                filter_json,
                &[
                    ("array", Kind::List, "[]"),
                    ("key", Kind::Str, "\"\""),
                    ("value", Kind::Any, "{}"),
                ],
            ),
        ),
        (
            "JSONTemplate",
            op(
                json_template,
                &[
                    ("template", Kind::Str, "\"\""),
                    ("values", Kind::Dict, "{}"),
                ],
            ),
        ),
    ],
};

const JSON_STRING: &[(&str, Kind, &str)] = &[("json_string", Kind::Str, "\"\"")];
const DATA: (&str, Kind, &str) = ("data", Kind::Any, "{}");
const PATH: (&str, Kind, &str) = ("path", Kind::Str, "\"\"");

/// Longest list a node may build (the engine refuses longer outputs anyway; this refuses them
/// before the memory is spent).
const MAX_ITEMS: usize = 100_000;

/// Deepest nesting `loads` builds: the engine's own JSON parser stops at the same depth, so every
/// value in a run stays within it.
const MAX_PARSE_DEPTH: usize = 128;

/// Deepest nesting the writers walk (Python stops near 1000 with a RecursionError; values here
/// are at most 128 deep when parsed, so this only stops pathological input).
pub(crate) const MAX_WALK_DEPTH: usize = 256;

/// Deepest chain of subschemas (and references) one validation follows.
const MAX_SCHEMA_DEPTH: usize = 128;

// ---------------------------------------------------------------------------------------------
// json.loads

/// Python's `json.loads` (its C scanner): the same accepted text and the same error messages,
/// positions counted in code points as Python counts them. Values Python can hold but JSON
/// cannot (NaN, infinities, unpaired surrogates) are refused by name.
pub(crate) fn loads(text: &str) -> Result<Value, String> {
    let chars: Vec<char> = text.chars().collect();
    let scanner = Scanner {
        s: &chars,
        unrepresentable: RefCell::new(None),
    };
    let fail = |f: Fail| f.render(&chars);
    if chars.first() == Some(&'\u{feff}') {
        return Err(fail(Fail::At(
            "Unexpected UTF-8 BOM (decode using utf-8-sig)",
            0,
        )));
    }
    let (value, end) = scanner.value(scanner.ws(0), 0).map_err(fail)?;
    let end = scanner.ws(end);
    if end != chars.len() {
        return Err(fail(Fail::At("Extra data", end)));
    }
    // Python would have succeeded; say what it produced that cannot be passed on.
    if let Some(msg) = scanner.unrepresentable.into_inner() {
        return Err(msg);
    }
    Ok(value)
}

enum Fail {
    /// A `JSONDecodeError`: message and position.
    At(&'static str, usize),
    /// Anything else, already worded.
    Text(String),
}

impl Fail {
    fn render(self, s: &[char]) -> String {
        match self {
            Fail::At(msg, pos) => {
                let before = &s[..pos.min(s.len())];
                let line = before.iter().filter(|c| **c == '\n').count() + 1;
                let col = match before.iter().rposition(|c| *c == '\n') {
                    Some(nl) => pos - nl,
                    None => pos + 1,
                };
                format!("{msg}: line {line} column {col} (char {pos})")
            }
            Fail::Text(t) => t,
        }
    }
}

struct Scanner<'a> {
    s: &'a [char],
    /// The first value Python accepts but JSON cannot carry (NaN, an unpaired surrogate).
    /// Parsing goes on, so text that is also malformed later fails as Python fails on it.
    unrepresentable: RefCell<Option<String>>,
}

type Scan<T> = Result<(T, usize), Fail>;

impl Scanner<'_> {
    fn ws(&self, mut i: usize) -> usize {
        while matches!(self.s.get(i), Some(' ' | '\t' | '\n' | '\r')) {
            i += 1;
        }
        i
    }

    fn at(&self, i: usize) -> Option<char> {
        self.s.get(i).copied()
    }

    fn word(&self, i: usize, w: &str) -> bool {
        let n = w.chars().count();
        self.s.len() >= i + n && self.s[i..i + n].iter().copied().eq(w.chars())
    }

    fn value(&self, i: usize, depth: usize) -> Scan<Value> {
        let Some(c) = self.at(i) else {
            return Err(Fail::At("Expecting value", i));
        };
        match c {
            '"' => self.string(i + 1).map(|(s, e)| (Value::String(s), e)),
            '{' | '[' if depth >= MAX_PARSE_DEPTH => Err(Fail::Text(format!(
                "the JSON is nested more than {MAX_PARSE_DEPTH} levels deep"
            ))),
            '{' => self.object(i + 1, depth + 1),
            '[' => self.array(i + 1, depth + 1),
            'n' if self.word(i, "null") => Ok((Value::Null, i + 4)),
            't' if self.word(i, "true") => Ok((Value::Bool(true), i + 4)),
            'f' if self.word(i, "false") => Ok((Value::Bool(false), i + 5)),
            'N' if self.word(i, "NaN") => Ok((self.not_finite("NaN"), i + 3)),
            'I' if self.word(i, "Infinity") => Ok((self.not_finite("Infinity"), i + 8)),
            '-' if self.word(i, "-Infinity") => Ok((self.not_finite("-Infinity"), i + 9)),
            _ => self.number(i),
        }
    }

    fn digits(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        i
    }

    fn number(&self, start: usize) -> Scan<Value> {
        let mut i = start;
        if self.at(i) == Some('-') {
            i += 1;
        }
        match self.at(i) {
            Some('1'..='9') => i = self.digits(i + 1),
            Some('0') => i += 1,
            _ => return Err(Fail::At("Expecting value", start)),
        }
        let mut float = false;
        if self.at(i) == Some('.') && self.at(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            float = true;
            i = self.digits(i + 2);
        }
        // An exponent counts only with at least one digit; otherwise the number ends before it.
        if matches!(self.at(i), Some('e' | 'E')) && i + 1 < self.s.len() {
            let mut j = i + 1;
            if matches!(self.at(j), Some('+' | '-')) && j + 1 < self.s.len() {
                j += 1;
            }
            let end = self.digits(j);
            if end > j {
                float = true;
                i = end;
            }
        }
        let text: String = self.s[start..i].iter().collect();
        let v = if float {
            let f: f64 = text
                .parse()
                .map_err(|_| Fail::At("Expecting value", start))?;
            if f.is_finite() {
                Value::from(f)
            } else {
                self.not_finite(&text)
            }
        } else {
            self.int_value(&text)
        };
        Ok((v, i))
    }

    fn string(&self, mut end: usize) -> Scan<String> {
        let begin = end - 1;
        let mut out = String::new();
        loop {
            let mut next = end;
            while let Some(c) = self.at(next) {
                if c == '"' || c == '\\' {
                    break;
                }
                if (c as u32) <= 0x1f {
                    return Err(Fail::At("Invalid control character at", next));
                }
                next += 1;
            }
            out.extend(&self.s[end..next]);
            match self.at(next) {
                Some('"') => return Ok((out, next + 1)),
                Some('\\') => {}
                _ => return Err(Fail::At("Unterminated string starting at", begin)),
            }
            next += 1;
            let Some(c) = self.at(next) else {
                return Err(Fail::At("Unterminated string starting at", begin));
            };
            if c != 'u' {
                end = next + 1;
                out.push(match c {
                    '"' | '\\' | '/' => c,
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    _ => return Err(Fail::At("Invalid \\escape", end - 2)),
                });
                continue;
            }
            let (ch, after) = self.unicode_escape(next + 1)?;
            out.push(ch);
            end = after;
        }
    }

    /// `\uXXXX` (and a following low surrogate) starting at the first hex digit.
    fn unicode_escape(&self, next: usize) -> Scan<char> {
        let hex4 = |at: usize| -> Option<u32> {
            let digits = self.s.get(at..at + 4)?;
            digits
                .iter()
                .try_fold(0u32, |acc, c| Some(acc * 16 + c.to_digit(16)?))
        };
        let mut end = next + 4;
        if end >= self.s.len() {
            return Err(Fail::At("Invalid \\uXXXX escape", next - 1));
        }
        let c = hex4(next).ok_or(Fail::At("Invalid \\uXXXX escape", next - 1))?;
        let mut code = c;
        if (0xd800..0xdc00).contains(&c)
            && end + 6 < self.s.len()
            && self.at(end) == Some('\\')
            && self.at(end + 1) == Some('u')
        {
            let c2 = hex4(end + 2).ok_or(Fail::At("Invalid \\uXXXX escape", end + 1))?;
            if (0xdc00..0xe000).contains(&c2) {
                code = 0x10000 + ((c - 0xd800) << 10) + (c2 - 0xdc00);
                end += 6;
            }
        }
        let ch = char::from_u32(code).unwrap_or_else(|| {
            self.note_unrepresentable(format!(
                "the JSON text holds an unpaired surrogate (\\u{code:04x}), which this server \
                 cannot represent"
            ));
            char::REPLACEMENT_CHARACTER
        });
        Ok((ch, end))
    }

    fn object(&self, i: usize, depth: usize) -> Scan<Value> {
        let mut map = Map::new();
        let mut i = self.ws(i);
        if self.at(i) == Some('}') {
            return Ok((Value::Object(map), i + 1));
        }
        loop {
            if self.at(i) != Some('"') {
                return Err(Fail::At(
                    "Expecting property name enclosed in double quotes",
                    i,
                ));
            }
            let (key, after) = self.string(i + 1)?;
            i = self.ws(after);
            if self.at(i) != Some(':') {
                return Err(Fail::At("Expecting ':' delimiter", i));
            }
            let (v, after) = self.value(self.ws(i + 1), depth)?;
            map.insert(key, v);
            i = self.ws(after);
            match self.at(i) {
                Some('}') => return Ok((Value::Object(map), i + 1)),
                Some(',') => i = self.ws(i + 1),
                _ => return Err(Fail::At("Expecting ',' delimiter", i)),
            }
        }
    }

    fn array(&self, i: usize, depth: usize) -> Scan<Value> {
        let mut items = Vec::new();
        let mut i = self.ws(i);
        if self.at(i) == Some(']') {
            return Ok((Value::Array(items), i + 1));
        }
        loop {
            let (v, after) = self.value(i, depth)?;
            items.push(v);
            i = self.ws(after);
            match self.at(i) {
                Some(']') => return Ok((Value::Array(items), i + 1)),
                Some(',') => i = self.ws(i + 1),
                _ => return Err(Fail::At("Expecting ',' delimiter", i)),
            }
        }
    }

    /// Records the first value Python would hold that cannot go on; parsing continues.
    fn note_unrepresentable(&self, msg: String) {
        self.unrepresentable.borrow_mut().get_or_insert(msg);
    }

    fn not_finite(&self, what: &str) -> Value {
        self.note_unrepresentable(format!(
            "the JSON text holds {what}, which is not a finite number and cannot be passed on"
        ));
        Value::Null
    }

    /// An integer literal: exact within 64 bits; beyond, a float (as every JSON value entering
    /// the server is; Python would keep the exact integer).
    fn int_value(&self, text: &str) -> Value {
        if let Ok(i) = text.parse::<i64>() {
            return Value::from(i);
        }
        if let Ok(u) = text.parse::<u64>() {
            return Value::from(u);
        }
        match text.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Value::Number(n),
            None => {
                self.note_unrepresentable(format!(
                    "the JSON text holds an integer of {} digits, too large to pass on",
                    text.trim_start_matches('-').len()
                ));
                Value::Null
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// json.dumps

/// Python's `json.dumps(v, indent=indent)`: `ensure_ascii`, `", "`/`": "` separators without an
/// indent and `","` with one, floats as `repr`. Refuses text longer than `max` bytes.
pub(crate) fn dumps(v: &Value, indent: Option<usize>, max: usize) -> Result<String, String> {
    let mut w = JsonWriter {
        out: String::new(),
        indent,
        max,
    };
    w.value(v, 0)?;
    Ok(w.out)
}

struct JsonWriter {
    out: String,
    indent: Option<usize>,
    max: usize,
}

impl JsonWriter {
    fn push(&mut self, s: &str) -> Result<(), String> {
        too_long(self.out.len() + s.len(), self.max)?;
        self.out.push_str(s);
        Ok(())
    }

    fn newline(&mut self, level: usize) -> Result<(), String> {
        let Some(width) = self.indent else {
            return Ok(());
        };
        let spaces = width.saturating_mul(level);
        too_long(
            self.out.len().saturating_add(spaces).saturating_add(1),
            self.max,
        )?;
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', spaces));
        Ok(())
    }

    fn value(&mut self, v: &Value, level: usize) -> Result<(), String> {
        if level > MAX_WALK_DEPTH {
            return Err("the value is nested too deeply to write as JSON".into());
        }
        match v {
            Value::Null => self.push("null"),
            Value::Bool(b) => self.push(if *b { "true" } else { "false" }),
            Value::Number(n) => self.push(&number_text(n)),
            Value::String(s) => {
                let quoted = quote_ascii(s);
                self.push(&quoted)
            }
            Value::Array(items) => {
                if items.is_empty() {
                    return self.push("[]");
                }
                self.push("[")?;
                for (i, item) in items.iter().enumerate() {
                    self.separator(i)?;
                    self.newline(level + 1)?;
                    self.value(item, level + 1)?;
                }
                self.newline(level)?;
                self.push("]")
            }
            Value::Object(map) => {
                if map.is_empty() {
                    return self.push("{}");
                }
                self.push("{")?;
                for (i, (k, item)) in map.iter().enumerate() {
                    self.separator(i)?;
                    self.newline(level + 1)?;
                    self.push(&quote_ascii(k))?;
                    self.push(": ")?;
                    self.value(item, level + 1)?;
                }
                self.newline(level)?;
                self.push("}")
            }
        }
    }

    fn separator(&mut self, index: usize) -> Result<(), String> {
        match (index, self.indent) {
            (0, _) => Ok(()),
            (_, Some(_)) => self.push(","),
            (_, None) => self.push(", "),
        }
    }
}

/// A JSON number as Python writes it: integers exactly, floats as `repr`.
pub(crate) fn number_text(n: &Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() => py_float(f),
        _ => n.to_string(),
    }
}

/// A string as `json.dumps` quotes it with `ensure_ascii`: everything outside printable ASCII
/// escaped, astral characters as surrogate pairs.
pub(crate) fn quote_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// Python's conversions, as the path nodes apply them

/// Python's `int(text)` in base 10: surrounding whitespace, a sign, and digits with single
/// underscores between them. Saturates far beyond 64 bits (callers check the range).
pub(crate) fn py_int_text(text: &str) -> Option<i128> {
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if !underscored_digits(digits) {
        return None;
    }
    let mut n: i128 = 0;
    for d in digits.bytes().filter(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i128::from(d - b'0'));
    }
    Some(if negative { -n } else { n })
}

/// Digits, with underscores allowed only between two digits (Python's numeric literal rule).
fn underscored_digits(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('_')
        && !s.ends_with('_')
        && !s.contains("__")
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

/// Python's `float(text)`: decimal forms with underscores between digits, `inf`, `infinity` and
/// `nan` in any case. `None` when Python raises.
fn py_float_text(text: &str) -> Option<f64> {
    let t = text.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return t.to_ascii_lowercase().parse().ok();
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mantissa, None),
    };
    let part_ok = |p: &str| p.is_empty() || underscored_digits(p);
    let mantissa_ok = part_ok(int)
        && frac.is_none_or(part_ok)
        && !(int.is_empty() && frac.is_none_or(str::is_empty));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        underscored_digits(e)
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    t.replace('_', "").parse().ok()
}

/// The name Python's error messages give a value's type.
fn iterable_error(v: &Value) -> String {
    format!("'{}' object is not iterable", py_type(v))
}

/// Python's `int(v)`.
pub(crate) fn py_int(v: &Value) -> Result<Value, String> {
    match v {
        Value::Bool(b) => Ok(Value::from(i64::from(*b))),
        Value::Number(n) if !n.is_f64() => Ok(v.clone()),
        Value::Number(n) => {
            let t = n.as_f64().unwrap_or(0.0).trunc();
            if t.abs() < 9_223_372_036_854_775_808.0 {
                Ok(Value::from(t as i64))
            } else {
                Err("integer overflow: the value does not fit in 64 bits".into())
            }
        }
        Value::String(s) => {
            let n = py_int_text(s)
                .ok_or_else(|| format!("invalid literal for int() with base 10: {}", py_repr(v)))?;
            i64::try_from(n)
                .map(Value::from)
                .map_err(|_| "integer overflow: the value does not fit in 64 bits".into())
        }
        _ => Err(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            py_type(v)
        )),
    }
}

/// Python's `float(v)`.
pub(crate) fn py_float_of(v: &Value) -> Result<Value, String> {
    let f = match v {
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => py_float_text(s)
            .ok_or_else(|| format!("could not convert string to float: {}", py_repr(v)))?,
        _ => {
            return Err(format!(
                "float() argument must be a string or a real number, not '{}'",
                py_type(v)
            ));
        }
    };
    Num::Float(f).to_value()
}

/// Python's `list(v)`: a list's items, a dict's keys, a string's characters.
fn py_list(v: &Value) -> Result<Value, String> {
    match v {
        Value::Array(_) => Ok(v.clone()),
        Value::Object(m) => Ok(m.keys().map(|k| Value::String(k.clone())).collect()),
        Value::String(s) => {
            if s.chars().nth(MAX_ITEMS).is_some() {
                return Err(format!("the list would exceed {MAX_ITEMS} items"));
            }
            Ok(s.chars().map(|c| Value::String(c.to_string())).collect())
        }
        _ => Err(iterable_error(v)),
    }
}

/// The items of one element of `dict(sequence)`: the element must itself be iterable.
fn pair_items(item: &Value, index: usize) -> Result<Vec<Value>, String> {
    match item {
        Value::Array(a) => Ok(a.clone()),
        Value::String(s) => Ok(s.chars().map(|c| Value::String(c.to_string())).collect()),
        Value::Object(m) => Ok(m.keys().map(|k| Value::String(k.clone())).collect()),
        _ => Err(format!(
            "cannot convert dictionary update sequence element #{index} to a sequence"
        )),
    }
}

/// Python's `dict(v)`: a dict copied, or a sequence of key/value pairs.
fn py_dict(v: &Value) -> Result<Value, String> {
    let items: Vec<Value> = match v {
        Value::Object(_) => return Ok(v.clone()),
        Value::Array(a) => a.clone(),
        Value::String(s) => s.chars().map(|c| Value::String(c.to_string())).collect(),
        _ => return Err(iterable_error(v)),
    };
    let mut out = PyDict::default();
    for (i, item) in items.iter().enumerate() {
        let pair = pair_items(item, i)?;
        let [key, value] = <[Value; 2]>::try_from(pair).map_err(|p| {
            format!(
                "dictionary update sequence element #{i} has length {}; 2 is required",
                p.len()
            )
        })?;
        out.insert(&key, value)?;
    }
    Ok(out.into_value())
}

// ---------------------------------------------------------------------------------------------
// Nodes

fn parse_dict(p: &Props) -> Result<Emitted, String> {
    match loads(p.str("json_string"))? {
        v @ Value::Object(_) => one(v),
        _ => Err("JSON string must represent an object/dictionary".into()),
    }
}

fn parse_list(p: &Props) -> Result<Emitted, String> {
    match loads(p.str("json_string"))? {
        v @ Value::Array(_) => one(v),
        _ => Err("JSON string must represent an array/list".into()),
    }
}

/// Python's `' ' * indent`: a negative indent is no spaces, but still one item per line.
fn indent_width(n: i64) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX)
}

fn stringify_json(p: &Props) -> Result<Emitted, String> {
    let text = dumps(
        p.get("data"),
        Some(indent_width(p.int("indent"))),
        p.max_len,
    )?;
    one(Value::String(text))
}

/// NodeTool's dotted path: dict keys by name, list items by a decimal index; anything else (or a
/// missing step) is `None`, and so is a JSON `null` found on the way.
fn extract<'a>(data: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = data;
    for key in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(key)?,
            Value::Array(a) if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) => {
                a.get(key.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    (!cur.is_null()).then_some(cur)
}

/// Runs a path node: the converted value at the path, or the node's default when there is none.
fn path_node(p: &Props, convert: fn(&Value) -> Result<Value, String>) -> Result<Emitted, String> {
    match extract(p.get("data"), p.str("path")) {
        Some(v) => one(convert(v)?),
        None => one(p.get("default").clone()),
    }
}

fn path_str(p: &Props) -> Result<Emitted, String> {
    path_node(p, |v| Ok(Value::String(py_str(v))))
}

fn path_int(p: &Props) -> Result<Emitted, String> {
    path_node(p, py_int)
}

fn path_float(p: &Props) -> Result<Emitted, String> {
    path_node(p, py_float_of)
}

fn path_bool(p: &Props) -> Result<Emitted, String> {
    path_node(p, |v| Ok(Value::Bool(truthy(v))))
}

fn path_list(p: &Props) -> Result<Emitted, String> {
    path_node(p, py_list)
}

fn path_dict(p: &Props) -> Result<Emitted, String> {
    path_node(p, py_dict)
}

fn filter_json(p: &Props) -> Result<Emitted, String> {
    let key = p.str("key");
    let want = p.get("value");
    let mut out = Vec::new();
    for item in p.list("array") {
        let Value::Object(m) = item else {
            return Err(format!(
                "property 'array' must hold objects, got {}",
                type_name(item)
            ));
        };
        if py_eq(m.get(key).unwrap_or(&Value::Null), want) {
            out.push(item.clone());
        }
    }
    one(Value::Array(out))
}

/// Replaces every `from` in `text`, refusing a result longer than `max` before building it.
fn replace_bounded(text: &str, from: &str, to: &str, max: usize) -> Result<String, String> {
    let hits = text.matches(from).count();
    let grow = to.len().saturating_sub(from.len());
    too_long(text.len().saturating_add(hits.saturating_mul(grow)), max)?;
    Ok(text.replace(from, to))
}

fn json_template(p: &Props) -> Result<Emitted, String> {
    let mut result = p.str("template").to_string();
    for (key, value) in p.dict("values").into_iter().flatten() {
        let json_value = dumps(value, None, p.max_len)?;
        // A placeholder that is a whole JSON string becomes the value itself...
        let quoted = format!("\"${key}\"");
        if result.contains(&quoted) {
            result = replace_bounded(&result, &quoted, &json_value, p.max_len)?;
        }
        // ...and one inside a string gets the value's escaped text without quotes.
        let inner = match value {
            Value::String(_) => &json_value[1..json_value.len() - 1],
            _ => json_value.as_str(),
        };
        result = replace_bounded(&result, &format!("${key}"), inner, p.max_len)?;
    }
    match loads(&result) {
        Ok(v @ Value::Object(_)) => one(v),
        Ok(other) => Err(format!(
            "Resulting JSON must be a dictionary: {}",
            py_str(&other)
        )),
        Err(e) => Err(format!("Resulting JSON is invalid: {e} \n {result}")),
    }
}

fn validate_json(p: &Props) -> Result<Emitted, String> {
    let schema = p.get("json_schema");
    let draft = Draft::of(schema)?;
    check_schema(schema, draft, 0)?;
    let mut v = Validator {
        root: schema,
        draft,
        steps: 0,
        patterns: HashMap::new(),
    };
    let ok = v.valid(p.get("data"), schema, 0)?.is_some();
    one(Value::Bool(ok))
}

// ---------------------------------------------------------------------------------------------
// JSON Schema, as the `jsonschema` package applies it (Draft 2020-12 unless `$schema` names an
// older draft). Formats are annotations only, as there. What cannot be checked here (remote
// references, dynamic references) fails the node instead of answering wrongly.

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Draft {
    D4,
    D6,
    D7,
    D2019,
    D2020,
}

impl Draft {
    fn of(schema: &Value) -> Result<Draft, String> {
        let Some(uri) = schema.get("$schema").and_then(Value::as_str) else {
            return Ok(Draft::D2020);
        };
        let uri = uri.strip_suffix('#').unwrap_or(uri);
        Ok(match uri {
            "http://json-schema.org/draft-04/schema" => Draft::D4,
            "http://json-schema.org/draft-06/schema" => Draft::D6,
            "http://json-schema.org/draft-07/schema" => Draft::D7,
            "https://json-schema.org/draft/2019-09/schema" => Draft::D2019,
            "http://json-schema.org/draft-03/schema" => {
                return Err("JSON Schema draft 3 is not supported on this server".into());
            }
            // jsonschema validates an unknown `$schema` with the newest draft.
            _ => Draft::D2020,
        })
    }
}

/// Work budget for one validation: references can make a schema revisit itself.
const MAX_SCHEMA_STEPS: usize = 1_000_000;

/// Properties and items a successful validation evaluated (for `unevaluated*`).
#[derive(Default)]
struct Seen {
    props: HashSet<String>,
    all_props: bool,
    items: HashSet<usize>,
    all_items: bool,
}

impl Seen {
    fn merge(&mut self, other: Seen) {
        self.props.extend(other.props);
        self.items.extend(other.items);
        self.all_props |= other.all_props;
        self.all_items |= other.all_items;
    }
}

/// `Ok(None)`: the instance is invalid; `Err`: the schema cannot be applied.
type Outcome = Result<Option<Seen>, String>;

struct Validator<'a> {
    root: &'a Value,
    draft: Draft,
    steps: usize,
    /// Compiled `pattern`s and `patternProperties`, so a long array compiles each once.
    patterns: HashMap<String, regex_lite::Regex>,
}

/// JSON Schema's type test. Booleans are never numbers; an integral float is an integer (except
/// in draft 4).
fn is_type(v: &Value, ty: &str, draft: Draft) -> bool {
    match (ty, v) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => {
            !n.is_f64() || (draft > Draft::D4 && n.as_f64().is_some_and(|f| f.fract() == 0.0))
        }
        _ => false,
    }
}

/// JSON Schema equality: `1 == 1.0`, but `true != 1`.
fn schema_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => num_cmp(a, b) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| schema_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| schema_eq(p, q)))
        }
        _ => a == b,
    }
}

/// A hashable text standing for a value under `schema_eq`, so `uniqueItems` stays linear.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Number(n) => match as_num(v) {
            Some(Num::Float(f)) if f.fract() == 0.0 && f.abs() < 1.8e19 => {
                out.push_str(&format!("n{}", f as i128));
            }
            Some(Num::Float(f)) => out.push_str(&format!("f{}", f.to_bits())),
            _ => out.push_str(&format!("n{n}")),
        },
        Value::Array(a) => {
            out.push('[');
            for item in a {
                canonical(item, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (k, item) in m {
                out.push_str(&quote_ascii(k));
                canonical(item, out);
                out.push(',');
            }
            out.push('}');
        }
        Value::String(s) => out.push_str(&quote_ascii(s)),
        other => out.push_str(&other.to_string()),
    }
}

/// Python's ordering of two numbers, exact across int and float.
pub(crate) fn num_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    num_order(as_num(a)?, as_num(b)?)
}

/// Exact comparison of a Python int or float with another.
pub(crate) fn num_order(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(x), Num::Float(y)) => int_float_cmp(x, y),
        (Num::Float(x), Num::Int(y)) => int_float_cmp(y, x).map(Ordering::reverse),
    }
}

fn int_float_cmp(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f >= 9_223_372_036_854_775_808.0 {
        return Some(Ordering::Less);
    }
    if f < -9_223_372_036_854_775_808.0 {
        return Some(Ordering::Greater);
    }
    let whole = f.floor();
    match i.cmp(&(whole as i64)) {
        Ordering::Equal if f > whole => Some(Ordering::Less),
        o => Some(o),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

impl<'a> Validator<'a> {
    fn valid(&mut self, inst: &Value, schema: &Value, depth: usize) -> Outcome {
        self.steps += 1;
        if self.steps > MAX_SCHEMA_STEPS || depth > MAX_SCHEMA_DEPTH {
            return Err("the schema is too large or too deeply self-referencing to check".into());
        }
        let s = match schema {
            Value::Bool(true) => return Ok(Some(Seen::default())),
            Value::Bool(false) => return Ok(None),
            Value::Object(s) => s,
            // check_schema refuses these before validation starts.
            _ => return Ok(Some(Seen::default())),
        };
        for unsupported in ["$dynamicRef", "$recursiveRef"] {
            if s.contains_key(unsupported) {
                return Err(format!(
                    "the JSON Schema keyword '{unsupported}' is not supported on this server"
                ));
            }
        }
        let mut seen = Seen::default();
        if let Some(Value::String(r)) = s.get("$ref") {
            let target = self.resolve(r)?;
            let Some(got) = self.valid(inst, target, depth + 1)? else {
                return Ok(None);
            };
            // Up to draft 7 a reference replaces its siblings.
            if self.draft <= Draft::D7 {
                return Ok(Some(got));
            }
            seen.merge(got);
        }
        if !self.generic(inst, s) {
            return Ok(None);
        }
        let ok = match inst {
            Value::Number(_) => self.numeric(inst, s),
            Value::String(text) => self.string(text, s)?,
            _ => true,
        };
        if !ok {
            return Ok(None);
        }
        let ok = match inst {
            Value::Array(items) => self.array(items, s, depth, &mut seen)?,
            Value::Object(map) => self.object(inst, map, s, depth, &mut seen)?,
            _ => true,
        };
        if !ok || !self.applicators(inst, s, depth, &mut seen)? {
            return Ok(None);
        }
        if self.draft >= Draft::D2019 && !self.unevaluated(inst, s, depth, &mut seen)? {
            return Ok(None);
        }
        Ok(Some(seen))
    }

    fn resolve(&self, reference: &str) -> Result<&'a Value, String> {
        let root: &'a Value = self.root;
        let root_id = root.get("$id").and_then(Value::as_str).unwrap_or("");
        let local = match reference.split_once('#') {
            Some((base, frag)) if base.is_empty() || base == root_id => frag,
            None if !root_id.is_empty() && reference == root_id => "",
            _ => return Err(format!("Unresolvable: {reference}")),
        };
        if local.is_empty() {
            return Ok(root);
        }
        if !local.starts_with('/') {
            return find_anchor(root, local, 0).ok_or_else(|| format!("Unresolvable: {reference}"));
        }
        let mut cur = root;
        for raw in local[1..].split('/') {
            let token = percent_decode(raw).replace("~1", "/").replace("~0", "~");
            let next = match cur {
                Value::Object(m) => m.get(&token),
                Value::Array(a) => token.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            };
            cur = next.ok_or_else(|| {
                format!(
                    "PointerToNowhere: {} does not exist within {}",
                    py_repr(&Value::String(local.to_string())),
                    py_str(root)
                )
            })?;
        }
        Ok(cur)
    }

    /// `type`, `enum`, `const`: the keywords that apply to every instance.
    fn generic(&self, inst: &Value, s: &Map<String, Value>) -> bool {
        let type_ok = match s.get("type") {
            Some(Value::String(t)) => is_type(inst, t, self.draft),
            Some(Value::Array(ts)) => ts
                .iter()
                .any(|t| t.as_str().is_some_and(|t| is_type(inst, t, self.draft))),
            _ => true,
        };
        let enum_ok = match s.get("enum") {
            Some(Value::Array(options)) => options.iter().any(|o| schema_eq(o, inst)),
            _ => true,
        };
        let const_ok = self.draft < Draft::D6 || s.get("const").is_none_or(|c| schema_eq(c, inst));
        type_ok && enum_ok && const_ok
    }

    fn numeric(&self, inst: &Value, s: &Map<String, Value>) -> bool {
        let cmp = |key: &str| s.get(key).and_then(|b| num_cmp(inst, b));
        let flag = |key: &str| s.get(key) == Some(&Value::Bool(true));
        use Ordering::*;
        let (max_ok, min_ok) = if self.draft == Draft::D4 {
            // Draft 4's exclusive bounds are flags on maximum and minimum.
            (
                cmp("maximum")
                    .is_none_or(|o| o == Less || (o == Equal && !flag("exclusiveMaximum"))),
                cmp("minimum")
                    .is_none_or(|o| o == Greater || (o == Equal && !flag("exclusiveMinimum"))),
            )
        } else {
            (
                cmp("maximum").is_none_or(|o| o != Greater)
                    && cmp("exclusiveMaximum").is_none_or(|o| o == Less),
                cmp("minimum").is_none_or(|o| o != Less)
                    && cmp("exclusiveMinimum").is_none_or(|o| o == Greater),
            )
        };
        max_ok && min_ok && s.get("multipleOf").is_none_or(|m| multiple_of(inst, m))
    }

    fn regex(&mut self, pattern: &str) -> Result<regex_lite::Regex, String> {
        if let Some(re) = self.patterns.get(pattern) {
            return Ok(re.clone());
        }
        let re = compiled(pattern)?;
        self.patterns.insert(pattern.to_string(), re.clone());
        Ok(re)
    }

    fn string(&mut self, text: &str, s: &Map<String, Value>) -> Result<bool, String> {
        let len = text.chars().count() as f64;
        if number(s.get("maxLength").unwrap_or(&Value::Null)).is_some_and(|m| len > m)
            || number(s.get("minLength").unwrap_or(&Value::Null)).is_some_and(|m| len < m)
        {
            return Ok(false);
        }
        match s.get("pattern") {
            Some(Value::String(pat)) => Ok(self.regex(pat)?.is_match(text)),
            _ => Ok(true),
        }
    }

    fn array(
        &mut self,
        items: &[Value],
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        let len = items.len() as f64;
        let bound = |key: &str| s.get(key).and_then(number);
        if bound("maxItems").is_some_and(|m| len > m) || bound("minItems").is_some_and(|m| len < m)
        {
            return Ok(false);
        }
        if s.get("uniqueItems") == Some(&Value::Bool(true)) {
            let mut keys = HashSet::new();
            for item in items {
                let mut k = String::new();
                canonical(item, &mut k);
                if !keys.insert(k) {
                    return Ok(false);
                }
            }
        }
        // Positional schemas: `prefixItems` (2020-12) or an array `items` (earlier drafts), then
        // the schema for the rest.
        let (prefix, rest) = match (self.draft, s.get("prefixItems"), s.get("items")) {
            (Draft::D2020, Some(Value::Array(p)), rest) => (p.as_slice(), rest),
            (Draft::D2020, _, rest) => (&[][..], rest),
            (_, _, Some(Value::Array(p))) => (p.as_slice(), s.get("additionalItems")),
            (_, _, rest) => (&[][..], rest),
        };
        for (i, (item, sub)) in items.iter().zip(prefix).enumerate() {
            if self.valid(item, sub, depth + 1)?.is_none() {
                return Ok(false);
            }
            seen.items.insert(i);
        }
        if let Some(sub) = rest {
            for item in items.iter().skip(prefix.len()) {
                if self.valid(item, sub, depth + 1)?.is_none() {
                    return Ok(false);
                }
            }
            if items.len() > prefix.len() {
                seen.all_items = true;
            }
        }
        self.contains(items, s, depth, seen)
    }

    fn contains(
        &mut self,
        items: &[Value],
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        let Some(sub) = s.get("contains").filter(|_| self.draft >= Draft::D6) else {
            return Ok(true);
        };
        let mut hits = 0.0;
        for (i, item) in items.iter().enumerate() {
            if self.valid(item, sub, depth + 1)?.is_some() {
                hits += 1.0;
                seen.items.insert(i);
            }
        }
        let (min, max) = if self.draft >= Draft::D2019 {
            (
                s.get("minContains").and_then(number).unwrap_or(1.0),
                s.get("maxContains").and_then(number),
            )
        } else {
            (1.0, None)
        };
        Ok(hits >= min && max.is_none_or(|m| hits <= m))
    }

    fn object(
        &mut self,
        inst: &Value,
        map: &Map<String, Value>,
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        let len = map.len() as f64;
        let bound = |key: &str| s.get(key).and_then(number);
        if bound("maxProperties").is_some_and(|m| len > m)
            || bound("minProperties").is_some_and(|m| len < m)
        {
            return Ok(false);
        }
        if let Some(Value::Array(req)) = s.get("required")
            && req
                .iter()
                .any(|k| k.as_str().is_some_and(|k| !map.contains_key(k)))
        {
            return Ok(false);
        }
        if !self.dependencies(inst, map, s, depth, seen)? {
            return Ok(false);
        }
        let props = s.get("properties").and_then(Value::as_object);
        let mut patterns = Vec::new();
        if let Some(Value::Object(pp)) = s.get("patternProperties") {
            for (pat, sub) in pp {
                patterns.push((self.regex(pat)?, sub));
            }
        }
        let additional = s.get("additionalProperties");
        let names = s.get("propertyNames").filter(|_| self.draft >= Draft::D6);
        for (key, value) in map {
            if let Some(sub) = names
                && self
                    .valid(&Value::String(key.clone()), sub, depth + 1)?
                    .is_none()
            {
                return Ok(false);
            }
            let mut matched = false;
            if let Some(sub) = props.and_then(|p| p.get(key)) {
                matched = true;
                if self.valid(value, sub, depth + 1)?.is_none() {
                    return Ok(false);
                }
            }
            for (re, sub) in &patterns {
                if re.is_match(key) {
                    matched = true;
                    if self.valid(value, sub, depth + 1)?.is_none() {
                        return Ok(false);
                    }
                }
            }
            if !matched && let Some(sub) = additional {
                if self.valid(value, sub, depth + 1)?.is_none() {
                    return Ok(false);
                }
                matched = true;
            }
            if matched {
                seen.props.insert(key.clone());
            }
        }
        Ok(true)
    }

    /// `dependentRequired`, `dependentSchemas` (2019-09 on) and `dependencies` (before).
    fn dependencies(
        &mut self,
        inst: &Value,
        map: &Map<String, Value>,
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        let keyed: Vec<(&str, &Value)> = if self.draft >= Draft::D2019 {
            ["dependentRequired", "dependentSchemas"]
                .iter()
                .filter_map(|k| Some((*k, s.get(*k)?)))
                .collect()
        } else {
            s.get("dependencies")
                .map(|d| ("dependencies", d))
                .into_iter()
                .collect()
        };
        for (_, deps) in keyed {
            let Value::Object(deps) = deps else { continue };
            for (prop, dep) in deps {
                if !map.contains_key(prop) {
                    continue;
                }
                match dep {
                    Value::Array(required) => {
                        if required
                            .iter()
                            .any(|k| k.as_str().is_some_and(|k| !map.contains_key(k)))
                        {
                            return Ok(false);
                        }
                    }
                    sub => match self.valid(inst, sub, depth + 1)? {
                        Some(got) => seen.merge(got),
                        None => return Ok(false),
                    },
                }
            }
        }
        Ok(true)
    }

    /// `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`.
    fn applicators(
        &mut self,
        inst: &Value,
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        let subs = |key: &str| match s.get(key) {
            Some(Value::Array(a)) => a.as_slice(),
            _ => &[],
        };
        for sub in subs("allOf") {
            match self.valid(inst, sub, depth + 1)? {
                Some(got) => seen.merge(got),
                None => return Ok(false),
            }
        }
        if s.contains_key("anyOf") {
            let mut any = false;
            for sub in subs("anyOf") {
                if let Some(got) = self.valid(inst, sub, depth + 1)? {
                    any = true;
                    seen.merge(got);
                }
            }
            if !any {
                return Ok(false);
            }
        }
        if s.contains_key("oneOf") {
            let mut passing = Vec::new();
            for sub in subs("oneOf") {
                if let Some(got) = self.valid(inst, sub, depth + 1)? {
                    passing.push(got);
                }
            }
            if passing.len() != 1 {
                return Ok(false);
            }
            seen.merge(passing.remove(0));
        }
        if let Some(sub) = s.get("not")
            && self.valid(inst, sub, depth + 1)?.is_some()
        {
            return Ok(false);
        }
        if let Some(cond) = s.get("if").filter(|_| self.draft >= Draft::D7) {
            let branch = match self.valid(inst, cond, depth + 1)? {
                Some(got) => {
                    seen.merge(got);
                    s.get("then")
                }
                None => s.get("else"),
            };
            if let Some(sub) = branch {
                match self.valid(inst, sub, depth + 1)? {
                    Some(got) => seen.merge(got),
                    None => return Ok(false),
                }
            }
        }
        Ok(true)
    }

    /// `unevaluatedItems` and `unevaluatedProperties`: what no other keyword evaluated.
    fn unevaluated(
        &mut self,
        inst: &Value,
        s: &Map<String, Value>,
        depth: usize,
        seen: &mut Seen,
    ) -> Result<bool, String> {
        if let (Some(sub), Value::Array(items)) = (s.get("unevaluatedItems"), inst) {
            if !seen.all_items {
                for (i, item) in items.iter().enumerate() {
                    if !seen.items.contains(&i) && self.valid(item, sub, depth + 1)?.is_none() {
                        return Ok(false);
                    }
                }
            }
            seen.all_items = true;
        }
        if let (Some(sub), Value::Object(map)) = (s.get("unevaluatedProperties"), inst) {
            if !seen.all_props {
                for (k, v) in map {
                    if !seen.props.contains(k) && self.valid(v, sub, depth + 1)?.is_none() {
                        return Ok(false);
                    }
                }
            }
            seen.all_props = true;
        }
        Ok(true)
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The subschema whose `$anchor` (or, before 2019-09, `$id: "#name"`) is `name`.
fn find_anchor<'a>(schema: &'a Value, name: &str, depth: usize) -> Option<&'a Value> {
    if depth > MAX_WALK_DEPTH {
        return None;
    }
    match schema {
        Value::Object(m) => {
            let anchored = m.get("$anchor").and_then(Value::as_str) == Some(name)
                || m.get("$id").and_then(Value::as_str) == Some(format!("#{name}").as_str());
            if anchored {
                return Some(schema);
            }
            m.values().find_map(|v| find_anchor(v, name, depth + 1))
        }
        Value::Array(a) => a.iter().find_map(|v| find_anchor(v, name, depth + 1)),
        _ => None,
    }
}

/// A schema `pattern`, searched anywhere in the text as Python's `re.search` does.
fn compiled(pattern: &str) -> Result<regex_lite::Regex, String> {
    py_regex(pattern)?.ok_or_else(|| format!("{} is not a 'regex'", py_repr(&pattern.into())))
}

fn multiple_of(inst: &Value, divisor: &Value) -> bool {
    let (Some(x), Some(d)) = (as_num(inst), as_num(divisor)) else {
        return true;
    };
    match (x, d) {
        (Num::Int(a), Num::Int(b)) if b != 0 => a.checked_rem(b).is_none_or(|r| r == 0),
        // A float divisor: the float quotient must be integral; when it overflows, jsonschema
        // decides exactly, as fractions.
        (_, Num::Float(b)) => {
            let q = x.as_f64() / b;
            if q.is_finite() {
                q.trunc() == q
            } else {
                exact_multiple(x.as_f64(), b)
            }
        }
        (Num::Float(a), Num::Int(b)) if b != 0 => (a % b as f64) == 0.0,
        _ => true,
    }
}

/// Whether `x` is an exact multiple of `d`, both finite and non-zero floats: writing each as an
/// odd integer times a power of two, the odd part of `d` must divide that of `x` and its power
/// must not exceed `x`'s.
fn exact_multiple(x: f64, d: f64) -> bool {
    let odd_form = |f: f64| -> (u64, i32) {
        let bits = f.abs().to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        let (mut m, mut e) = if exp == 0 {
            (frac, -1074)
        } else {
            (frac | (1 << 52), exp - 1075)
        };
        let zeros = m.trailing_zeros();
        m >>= zeros;
        e += zeros as i32;
        (m, e)
    };
    if x == 0.0 {
        return true;
    }
    if d == 0.0 {
        return false;
    }
    let ((a, p), (b, q)) = (odd_form(x), odd_form(d));
    b != 0 && a % b == 0 && p >= q
}

/// The metaschema check `jsonschema.validate` makes first: keyword values of the wrong shape
/// are a schema error (reported with the first line of jsonschema's message), not a `False`.
fn check_schema(schema: &Value, draft: Draft, depth: usize) -> Result<(), String> {
    if depth > MAX_WALK_DEPTH {
        return Err("the schema is nested too deeply to check".into());
    }
    let s = match schema {
        Value::Object(s) => s,
        Value::Bool(_) if draft > Draft::D4 => return Ok(()),
        other => return Err(not_of_type(other, "'object', 'boolean'")),
    };
    for (key, v) in s {
        check_keyword(key, v, draft, depth)?;
    }
    Ok(())
}

fn not_of_type(v: &Value, ty: &str) -> String {
    format!("{} is not of type {ty}", py_repr(v))
}

fn check_keyword(key: &str, v: &Value, draft: Draft, depth: usize) -> Result<(), String> {
    let is_num = matches!(v, Value::Number(_));
    match key {
        "type" => check_type_keyword(v),
        "maximum" | "minimum" | "exclusiveMaximum" | "exclusiveMinimum"
            if !(is_num || draft == Draft::D4 && key.starts_with("exclusive")) =>
        {
            Err(not_of_type(v, "'number'"))
        }
        "multipleOf" if !is_num => Err(not_of_type(v, "'number'")),
        "multipleOf" if number(v).is_some_and(|d| d <= 0.0) => Err(format!(
            "{} is less than or equal to the minimum of 0",
            py_repr(v)
        )),
        "maxLength" | "minLength" | "maxItems" | "minItems" | "maxProperties" | "minProperties"
        | "maxContains" | "minContains" => match (v, as_num(v)) {
            (Value::Number(_), Some(Num::Float(f))) if f.fract() != 0.0 => {
                Err(not_of_type(v, "'integer'"))
            }
            (Value::Number(_), Some(n)) if n.as_f64() < 0.0 => {
                Err(format!("{} is less than the minimum of 0", py_repr(v)))
            }
            (Value::Number(_), _) => Ok(()),
            _ => Err(not_of_type(v, "'integer'")),
        },
        "required" => check_string_array(v, draft),
        "enum" if !v.is_array() => Err(not_of_type(v, "'array'")),
        "uniqueItems" if !v.is_boolean() => Err(not_of_type(v, "'boolean'")),
        "pattern" => match v {
            Value::String(p) => compiled(p).map(|_| ()),
            _ => Err(not_of_type(v, "'string'")),
        },
        "allOf" | "anyOf" | "oneOf" => match v {
            Value::Array(a) if a.is_empty() => Err("[] should be non-empty".into()),
            Value::Array(a) => a.iter().try_for_each(|s| check_schema(s, draft, depth + 1)),
            _ => Err(not_of_type(v, "'array'")),
        },
        "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas" => {
            let Value::Object(m) = v else {
                return Err(not_of_type(v, "'object'"));
            };
            if key == "patternProperties" {
                m.keys().try_for_each(|p| compiled(p).map(|_| ()))?;
            }
            m.values()
                .try_for_each(|s| check_schema(s, draft, depth + 1))
        }
        "items" if draft < Draft::D2020 && v.is_array() => v
            .as_array()
            .into_iter()
            .flatten()
            .try_for_each(|s| check_schema(s, draft, depth + 1)),
        "prefixItems" => match v {
            Value::Array(a) => a.iter().try_for_each(|s| check_schema(s, draft, depth + 1)),
            _ => Err(not_of_type(v, "'array'")),
        },
        "items"
        | "additionalItems"
        | "additionalProperties"
        | "contains"
        | "propertyNames"
        | "not"
        | "if"
        | "then"
        | "else"
        | "unevaluatedItems"
        | "unevaluatedProperties" => check_schema(v, draft, depth + 1),
        "$ref" if !v.is_string() => Err(not_of_type(v, "'string'")),
        _ => Ok(()),
    }
}

fn check_type_keyword(v: &Value) -> Result<(), String> {
    const TYPES: [&str; 7] = [
        "array", "boolean", "integer", "null", "number", "object", "string",
    ];
    let known = |t: &Value| t.as_str().is_some_and(|t| TYPES.contains(&t));
    let ok = match v {
        Value::String(_) => known(v),
        Value::Array(ts) => {
            let distinct: HashSet<&str> = ts.iter().filter_map(Value::as_str).collect();
            !ts.is_empty() && ts.iter().all(known) && distinct.len() == ts.len()
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} is not valid under any of the given schemas",
            py_repr(v)
        ))
    }
}

fn check_string_array(v: &Value, draft: Draft) -> Result<(), String> {
    let Value::Array(items) = v else {
        return Err(not_of_type(v, "'array'"));
    };
    if let Some(bad) = items.iter().find(|k| !k.is_string()) {
        return Err(not_of_type(bad, "'string'"));
    }
    let distinct: HashSet<&str> = items.iter().filter_map(Value::as_str).collect();
    if distinct.len() != items.len() && draft >= Draft::D6 {
        return Err(format!("{} has non-unique elements", py_repr(v)));
    }
    if items.is_empty() && draft == Draft::D4 {
        return Err("[] should be non-empty".into());
    }
    Ok(())
}
