//! `lib.markdown.*`: links, headers, lists, code blocks and tables found in Markdown text by
//! NodeTool's line patterns.

use serde_json::{Value, json};

use super::pytext::{py_space, py_strip, too_many};
use crate::graph::nodes::spec::{Emitted, Props, one};

/// The next index of `needle` at or after `from`, remembered: the answer from one start
/// holds for any later start up to it (or, when there was none, for any later start), so a
/// left-to-right scan asking with growing starts reads the text once in all.
struct NextByte<'a> {
    hay: &'a [u8],
    needle: u8,
    /// The last start asked about and its answer.
    last: Option<(usize, Option<usize>)>,
}

impl<'a> NextByte<'a> {
    fn new(hay: &'a [u8], needle: u8) -> Self {
        NextByte {
            hay,
            needle,
            last: None,
        }
    }

    fn from(&mut self, from: usize) -> Option<usize> {
        if let Some((start, found)) = self.last
            && start <= from
            && found.is_none_or(|f| from <= f)
        {
            return found;
        }
        let found = self
            .hay
            .get(from..)
            .and_then(|h| h.iter().position(|b| *b == self.needle))
            .map(|p| p + from);
        self.last = Some((from, found));
        found
    }
}

/// `[text](url)` and `<url>` links, in order (NodeTool's one pattern for both).
pub(super) fn md_links(p: &Props) -> Result<Emitted, String> {
    let md = p.str("markdown");
    let b = md.as_bytes();
    let titles = p.bool("include_titles");
    let (mut close_bracket, mut close_paren, mut close_angle) = (
        NextByte::new(b, b']'),
        NextByte::new(b, b')'),
        NextByte::new(b, b'>'),
    );
    let mut links = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // `\[([^\]]+)\]\(([^)]+)\)`: the text runs to the first `]`, the URL to the first `)`.
        let bracketed = (b[i] == b'[')
            .then(|| close_bracket.from(i + 1))
            .flatten()
            .filter(|&t| t > i + 1 && b.get(t + 1) == Some(&b'('))
            .and_then(|t| {
                close_paren
                    .from(t + 2)
                    .filter(|&u| u > t + 2)
                    .map(|u| (t, u))
            });
        if let Some((t, u)) = bracketed {
            let title = if titles { &md[i + 1..t] } else { "" };
            links.push(json!({"url": &md[t + 2..u], "title": title}));
            too_many(links.len())?;
            i = u + 1;
            continue;
        }
        // `<([^>]+)>`
        if b[i] == b'<'
            && let Some(g) = close_angle.from(i + 1).filter(|&g| g > i + 1)
        {
            links.push(json!({"url": &md[i + 1..g], "title": ""}));
            too_many(links.len())?;
            i = g + 1;
            continue;
        }
        i += 1;
    }
    one(Value::Array(links))
}

/// `\s+(.+)$` over what follows a marker: the captured text, stripped as NodeTool strips it,
/// or `None` when the marker is not followed by a space and at least one more character.
fn spaced_rest(rest: &str) -> Option<&str> {
    let mut chars = rest.chars();
    let first = chars.next()?;
    (py_space(first) && chars.next().is_some()).then(|| py_strip(rest))
}

/// `# Title` lines up to `max_level`, numbered in order of appearance.
pub(super) fn md_headers(p: &Props) -> Result<Emitted, String> {
    let max_level = p.int("max_level");
    let mut headers = Vec::new();
    for line in p.str("markdown").split('\n') {
        let level = line.bytes().take_while(|b| *b == b'#').count();
        if !(1..=6).contains(&level) {
            continue;
        }
        let Some(text) = spaced_rest(&line[level..]) else {
            continue;
        };
        if level as i64 <= max_level {
            let index = headers.len();
            headers.push(json!({"level": level, "text": text, "index": index}));
            too_many(headers.len())?;
        }
    }
    one(Value::Array(headers))
}

/// Groups consecutive matching lines into lists: any other line ends the current list.
fn grouped_lines(md: &str, item: impl Fn(&str) -> Option<Value>) -> Result<Vec<Value>, String> {
    let (mut lists, mut current) = (Vec::new(), Vec::new());
    for line in md.split('\n') {
        match item(line) {
            Some(v) => {
                current.push(v);
                too_many(current.len())?;
            }
            None if !current.is_empty() => {
                lists.push(Value::Array(std::mem::take(&mut current)));
                too_many(lists.len())?;
            }
            None => {}
        }
    }
    if !current.is_empty() {
        lists.push(Value::Array(current));
        too_many(lists.len())?;
    }
    Ok(lists)
}

/// `- item` / `* item` / `+ item` lists, each item as `{"text": ...}`.
pub(super) fn md_bullet_lists(p: &Props) -> Result<Emitted, String> {
    let lists = grouped_lines(p.str("markdown"), |line| {
        let rest = line
            .trim_start_matches(py_space)
            .strip_prefix(['-', '*', '+'])?;
        spaced_rest(rest).map(|t| json!({"text": t}))
    })?;
    one(Value::Array(lists))
}

/// `1. item` lists, each item as its text. Digits are any Unicode decimal digits, as
/// Python's `\d` matches them.
pub(super) fn md_numbered_lists(p: &Props) -> Result<Emitted, String> {
    let lists = grouped_lines(p.str("markdown"), |line| {
        let rest = line.trim_start_matches(py_space);
        let digits = rest.trim_start_matches(is_decimal);
        if digits.len() == rest.len() {
            return None;
        }
        spaced_rest(digits.strip_prefix('.')?).map(|t| json!(t))
    })?;
    one(Value::Array(lists))
}

/// Unicode category Nd: a handful of runs of ten (Unicode 14, as Python 3.11 has it).
fn is_decimal(c: char) -> bool {
    let c = c as u32;
    DECIMAL_RUNS
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Python's `\w` in text patterns: letters, digits and the underscore, in any script.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Fenced blocks: ```` ```lang ```` on its own line, the code, then `\n```` ```; the language
/// defaults to `text` and the code is stripped.
pub(super) fn md_code_blocks(p: &Props) -> Result<Emitted, String> {
    let md = p.str("markdown");
    let mut blocks = Vec::new();
    let mut from = 0;
    while let Some(found) = md[from..].find("```") {
        let open = from + found;
        let after = &md[open + 3..];
        let lang_len = after.len() - after.trim_start_matches(is_word).len();
        if after.as_bytes().get(lang_len) != Some(&b'\n') {
            from = open + 1;
            continue;
        }
        let code_start = open + 3 + lang_len + 1;
        // The code is the shortest run up to a "\n```"; without one, no later fence can close.
        let Some(len) = md[code_start..].find("\n```") else {
            break;
        };
        let language = match &after[..lang_len] {
            "" => "text",
            lang => lang,
        };
        let code = py_strip(&md[code_start..code_start + len]);
        blocks.push(json!({"language": language, "code": code}));
        too_many(blocks.len())?;
        from = code_start + len + 4;
    }
    one(Value::Array(blocks))
}

/// The first run of lines containing `|`: its first row names the columns, its second (the
/// `---` separator) is skipped, the rest are data rows as written. Fewer than three rows give
/// an empty table.
pub(super) fn md_tables(p: &Props) -> Result<Emitted, String> {
    let mut rows: Vec<Vec<&str>> = Vec::new();
    for line in p.str("markdown").split('\n') {
        if line.contains('|') {
            let parts: Vec<&str> = line.split('|').collect();
            if parts.len() > 2 {
                rows.push(
                    parts[1..parts.len() - 1]
                        .iter()
                        .map(|c| py_strip(c))
                        .collect(),
                );
                too_many(rows.len())?;
            }
        } else if !rows.is_empty() {
            break;
        }
    }
    if rows.len() <= 2 {
        return one(dataframe(&[], &[]));
    }
    one(dataframe(&rows[0], &rows[2..]))
}

/// A DataframeRef of string columns.
fn dataframe(headers: &[&str], rows: &[Vec<&str>]) -> Value {
    let columns: Vec<Value> = headers
        .iter()
        .map(|h| json!({"name": h, "data_type": "string", "description": ""}))
        .collect();
    json!({
        "type": "dataframe",
        "uri": "",
        "asset_id": null,
        "columns": columns,
        "data": rows,
    })
}

/// Unicode's decimal digit runs (category Nd, Unicode 14), sorted.
const DECIMAL_RUNS: &[(u32, u32)] = &[
    (0x30, 0x39),
    (0x660, 0x669),
    (0x6f0, 0x6f9),
    (0x7c0, 0x7c9),
    (0x966, 0x96f),
    (0x9e6, 0x9ef),
    (0xa66, 0xa6f),
    (0xae6, 0xaef),
    (0xb66, 0xb6f),
    (0xbe6, 0xbef),
    (0xc66, 0xc6f),
    (0xce6, 0xcef),
    (0xd66, 0xd6f),
    (0xde6, 0xdef),
    (0xe50, 0xe59),
    (0xed0, 0xed9),
    (0xf20, 0xf29),
    (0x1040, 0x1049),
    (0x1090, 0x1099),
    (0x17e0, 0x17e9),
    (0x1810, 0x1819),
    (0x1946, 0x194f),
    (0x19d0, 0x19d9),
    (0x1a80, 0x1a89),
    (0x1a90, 0x1a99),
    (0x1b50, 0x1b59),
    (0x1bb0, 0x1bb9),
    (0x1c40, 0x1c49),
    (0x1c50, 0x1c59),
    (0xa620, 0xa629),
    (0xa8d0, 0xa8d9),
    (0xa900, 0xa909),
    (0xa9d0, 0xa9d9),
    (0xa9f0, 0xa9f9),
    (0xaa50, 0xaa59),
    (0xabf0, 0xabf9),
    (0xff10, 0xff19),
    (0x104a0, 0x104a9),
    (0x10d30, 0x10d39),
    (0x11066, 0x1106f),
    (0x110f0, 0x110f9),
    (0x11136, 0x1113f),
    (0x111d0, 0x111d9),
    (0x112f0, 0x112f9),
    (0x11450, 0x11459),
    (0x114d0, 0x114d9),
    (0x11650, 0x11659),
    (0x116c0, 0x116c9),
    (0x11730, 0x11739),
    (0x118e0, 0x118e9),
    (0x11950, 0x11959),
    (0x11c50, 0x11c59),
    (0x11d50, 0x11d59),
    (0x11da0, 0x11da9),
    (0x16a60, 0x16a69),
    (0x16ac0, 0x16ac9),
    (0x16b50, 0x16b59),
    (0x1d7ce, 0x1d7ff),
    (0x1e140, 0x1e149),
    (0x1e2f0, 0x1e2f9),
    (0x1e950, 0x1e959),
    (0x1fbf0, 0x1fbf9),
];
