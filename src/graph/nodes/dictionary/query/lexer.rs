//! The query's tokens, and its string and number literals as Python reads them.

use super::values::{Q, QueryFail, Qv, unsupported_query};
use crate::graph::nodes::pyjson::numbers::py_int_text;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Num(String),
    Str(String),
    Name(String),
    Column(String),
    Op(&'static str),
}

pub(super) fn tokenize(s: &str) -> Q<Vec<Tok>> {
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

/// `n` hex digits at `at` as a character.
fn hex_char(chars: &[char], at: usize, n: usize) -> Option<char> {
    let digits = chars.get(at..at + n)?;
    let code = digits
        .iter()
        .try_fold(0u32, |acc, c| Some(acc * 16 + c.to_digit(16)?))?;
    char::from_u32(code)
}

/// The `&'static str` of an operator token.
pub(super) fn match_op(op: &str) -> &'static str {
    const OPS: [&str; 25] = [
        "**", "//", "==", "!=", "<=", ">=", "<<", ">>", "<", ">", "+", "-", "*", "/", "%", "&",
        "|", "~", "(", ")", "[", "]", ",", ".", "@",
    ];
    OPS.into_iter().find(|o| *o == op).unwrap_or("")
}

pub(super) fn is_keyword(w: &str) -> bool {
    const KEYWORDS: [&str; 30] = [
        "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    ];
    KEYWORDS.contains(&w) || w == "with" || w == "yield"
}

pub(super) fn number_literal(text: &str) -> Q<Qv> {
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
