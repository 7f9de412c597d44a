//! Python regular expressions, translated for `regex-lite`.
//!
//! regex-lite runs Python's common syntax once a few spellings are translated (`\Z`, octal and
//! `\u` escapes, `{,n}`, comment groups, the `a`/`u` flags). What it cannot run (look-around,
//! back-references, conditionals, atomic groups, `\N{...}`) is an error rather than a silent
//! non-match; patterns Python itself rejects compile to `None`, as Python's `re.error` paths do.
//! It differs from Python in that `\d`, `\w`, `\s`, `\b` and case-insensitivity are ASCII-only and
//! `$` matches only at the very end (Python also matches before a final newline).

use regex_lite::Regex;

/// Python's `re.compile(pattern)` for `search`.
pub(crate) fn py_regex(pattern: &str) -> Result<Option<Regex>, String> {
    compile_py(pattern, false)
}

/// The same, anchored at both ends, for `fullmatch`.
pub(crate) fn py_fullmatch_regex(pattern: &str) -> Result<Option<Regex>, String> {
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
pub(crate) fn hex_char(chars: &[char], at: usize, n: usize) -> Option<char> {
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
