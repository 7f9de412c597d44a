//! `json.loads`: Python's JSON scanner, its accepted text and its error messages.

use std::cell::RefCell;

use serde_json::{Map, Number, Value};

/// Deepest nesting `loads` builds: the engine's own JSON parser stops at the same depth, so every
/// value in a run stays within it.
const MAX_PARSE_DEPTH: usize = 128;

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
