//! Python's text rules the HTML and Markdown nodes share (`str.isspace`, `strip`, `repr`), and
//! the most items one result may hold.

/// Most items one result may hold (a list's length, or values streamed on one handle).
const MAX_ITEMS: usize = 100_000;

pub(super) fn too_many(n: usize) -> Result<(), String> {
    if n > MAX_ITEMS {
        Err(format!("the result would have more than {MAX_ITEMS} items"))
    } else {
        Ok(())
    }
}

/// Python's `str.isspace()`, which is also what its `\s` matches in text patterns.
pub(super) fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
pub(super) fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

/// Python's `repr()` of a string: quoted, with characters Python does not print (controls,
/// format characters, separators other than the space, private use) escaped.
pub(super) fn py_text_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        let n = c as u32;
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ if c == quote => {
                out.push('\\');
                out.push(c);
            }
            _ if !py_printable(c) && n < 0x100 => out.push_str(&format!("\\x{n:02x}")),
            _ if !py_printable(c) && n < 0x10000 => out.push_str(&format!("\\u{n:04x}")),
            _ if !py_printable(c) => out.push_str(&format!("\\U{n:08x}")),
            _ => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable()` for one character, for the characters pages carry: not the
/// controls, format characters, separators other than the space, or private use.
fn py_printable(c: char) -> bool {
    !matches!(c as u32,
        0..=0x1f | 0x7f..=0xa0 | 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x1680
        | 0x180e | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f
        | 0x3000 | 0xe000..=0xf8ff | 0xfeff | 0xfff9..=0xfffb | 0xf0000..)
}
