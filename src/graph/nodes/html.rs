//! `lib.markdown.*`: links, headers, lists, code blocks and tables found in Markdown text by
//! NodeTool's line patterns; and the `lib.beautifulsoup.*` nodes that read HTML text (links,
//! metadata, media sources, readable text) and split URLs.
//!
//! The HTML nodes parse with a small tokenizer and tree builder written here to behave like
//! BeautifulSoup over Python's `html.parser` (the parser NodeTool uses): the same tag and
//! attribute rules, entity decoding, whitespace-only strings collapsed to one character, and
//! the text of `script`, `style`, `template`, `rt` and `rp` left out of `get_text()`. Named
//! references cover HTML 4's names (others stay as written). It fails only where Python's
//! parser rejects the markup, or past its bounds (nodes, and rescanning of broken tags); it
//! walks the tree without recursion.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::spec::{Emitted, Family, Prop, Props, Spec, one, op};
use crate::graph::value::{Kind, too_long};

const MARKDOWN: &[Prop] = &[("markdown", Kind::Str, "\"\"")];
const HTML_AND_BASE: &[Prop] = &[("html", Kind::Str, "\"\""), ("base_url", Kind::Str, "\"\"")];

pub(crate) const FAMILY: Family = Family {
    // Both namespaces have an `ExtractLinks` with its own meaning, so the family answers to
    // `lib.` and each name carries its namespace.
    prefixes: &["lib."],
    nodes: &[
        (
            "markdown.ExtractLinks",
            op(
                md_links,
                &[
                    ("markdown", Kind::Str, "\"\""),
                    ("include_titles", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "markdown.ExtractHeaders",
            op(
                md_headers,
                &[
                    ("markdown", Kind::Str, "\"\""),
                    ("max_level", Kind::Int, "6"),
                ],
            ),
        ),
        ("markdown.ExtractBulletLists", op(md_bullet_lists, MARKDOWN)),
        (
            "markdown.ExtractNumberedLists",
            op(md_numbered_lists, MARKDOWN),
        ),
        ("markdown.ExtractCodeBlocks", op(md_code_blocks, MARKDOWN)),
        ("markdown.ExtractTables", op(md_tables, MARKDOWN)),
        (
            "beautifulsoup.BaseUrl",
            op(base_url, &[("url", Kind::Str, "\"\"")]),
        ),
        // The extractors below stream in NodeTool: one value per found item on each handle.
        (
            "beautifulsoup.ExtractLinks",
            Spec {
                outputs: &["href", "text", "type"],
                ..op(html_links, HTML_AND_BASE)
            },
        ),
        (
            "beautifulsoup.ExtractImages",
            Spec {
                outputs: &["image"],
                ..op(html_images, HTML_AND_BASE)
            },
        ),
        (
            "beautifulsoup.ExtractVideos",
            Spec {
                outputs: &["video"],
                ..op(html_videos, HTML_AND_BASE)
            },
        ),
        (
            "beautifulsoup.ExtractAudio",
            Spec {
                outputs: &["audio"],
                ..op(html_audio, HTML_AND_BASE)
            },
        ),
        (
            "beautifulsoup.ExtractMetadata",
            Spec {
                outputs: &["title", "description", "keywords"],
                ..op(html_metadata, &[("html", Kind::Str, "\"\"")])
            },
        ),
        (
            "beautifulsoup.WebsiteContentExtractor",
            op(website_content, &[("html_content", Kind::Str, "\"\"")]),
        ),
        (
            "beautifulsoup.HTMLToText",
            op(
                html_to_text,
                &[
                    ("text", Kind::Str, "\"\""),
                    ("preserve_linebreaks", Kind::Bool, "true"),
                ],
            ),
        ),
    ],
};

/// Most items one result may hold (a list's length, or values streamed on one handle).
const MAX_ITEMS: usize = 100_000;

fn too_many(n: usize) -> Result<(), String> {
    if n > MAX_ITEMS {
        Err(format!("the result would have more than {MAX_ITEMS} items"))
    } else {
        Ok(())
    }
}

/// Python's `str.isspace()`, which is also what its `\s` matches in text patterns.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

/// Python's `repr()` of a string: quoted, with characters Python does not print (controls,
/// format characters, separators other than the space, private use) escaped.
fn py_text_repr(s: &str) -> String {
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

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

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
fn md_links(p: &Props) -> Result<Emitted, String> {
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
fn md_headers(p: &Props) -> Result<Emitted, String> {
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
fn md_bullet_lists(p: &Props) -> Result<Emitted, String> {
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
fn md_numbered_lists(p: &Props) -> Result<Emitted, String> {
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
fn md_code_blocks(p: &Props) -> Result<Emitted, String> {
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
fn md_tables(p: &Props) -> Result<Emitted, String> {
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

// ---------------------------------------------------------------------------------------------
// Character references
// ---------------------------------------------------------------------------------------------

/// A named character reference: HTML 4's names (with HTML 5's values) plus `apos` and the
/// upper-case aliases. The flag marks the legacy names a browser also accepts without `;`.
fn entity(name: &str) -> Option<(char, bool)> {
    ENTITIES
        .binary_search_by(|(n, _, _)| (*n).cmp(name))
        .ok()
        .map(|i| (ENTITIES[i].1, ENTITIES[i].2))
}

/// Windows-1252's characters for 0x80..=0x9F, which pages often meant by `&#150;` and the
/// like; its five holes stay the code point itself.
const CP1252: [char; 32] = [
    '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}', '\u{8f}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}', '\u{178}',
];

/// Digits as a code point, saturating far above Unicode's range (which is then invalid).
fn code_point(digits: &str, radix: u32) -> u32 {
    digits.chars().fold(0u32, |n, c| {
        n.saturating_mul(radix)
            .saturating_add(c.to_digit(radix).unwrap_or(0))
    })
}

/// A numeric reference in text, as BeautifulSoup resolves it (the HTML standard's rules).
fn text_char_ref(n: u32) -> char {
    match n {
        0x80..=0x9f => CP1252[(n - 0x80) as usize],
        _ => char::from_u32(n).filter(|_| n != 0).unwrap_or('\u{fffd}'),
    }
}

/// A numeric reference in an attribute, as Python's `html.unescape` resolves it: controls and
/// non-characters vanish, CR stays CR.
fn attr_char_ref(n: u32, out: &mut String) {
    let c = match n {
        0 => '\u{fffd}',
        0x0d => '\r',
        0x80..=0x9f => CP1252[(n - 0x80) as usize],
        0xd800..=0xdfff => '\u{fffd}',
        0x1..=0x8 | 0xb | 0xe..=0x1f | 0x7f | 0xfdd0..=0xfdef => return,
        _ if n & 0xfffe == 0xfffe && n <= 0x10ffff => return,
        _ => char::from_u32(n).unwrap_or('\u{fffd}'),
    };
    out.push(c);
}

/// Python's `html.unescape`, used on attribute values: `&#NN;`, `&#xHH;` and named references,
/// legacy names also without `;` and as the longest prefix of a longer word.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let consumed = unescape_one(after, &mut out);
        if consumed == 0 {
            out.push('&');
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// Resolves the reference at the start of `s` (just after a `&`) into `out`; returns how much
/// of `s` it used, 0 when there is none.
fn unescape_one(s: &str, out: &mut String) -> usize {
    let b = s.as_bytes();
    if b.first() == Some(&b'#') {
        let hex = matches!(b.get(1), Some(b'x' | b'X'));
        let start = if hex { 2 } else { 1 };
        let radix = if hex { 16 } else { 10 };
        let len = s[start..]
            .bytes()
            .take_while(|c| (*c as char).is_digit(radix))
            .count();
        if len == 0 {
            return 0;
        }
        attr_char_ref(code_point(&s[start..start + len], radix), out);
        let end = start + len;
        return end + usize::from(b.get(end) == Some(&b';'));
    }
    // `[^\t\n\f <&#;]{1,32};?`
    let name_len: usize = s
        .chars()
        .take_while(|c| !matches!(c, '\t' | '\n' | '\x0c' | ' ' | '<' | '&' | '#' | ';'))
        .take(32)
        .map(char::len_utf8)
        .sum();
    if name_len == 0 {
        return 0;
    }
    let name = &s[..name_len];
    let semi = b.get(name_len) == Some(&b';');
    let used = name_len + usize::from(semi);
    match entity(name) {
        Some((c, legacy)) if semi || legacy => {
            out.push(c);
            return used;
        }
        _ => {}
    }
    // The longest legacy name (two characters or more) that begins the word.
    let ends: Vec<usize> = name.char_indices().map(|(i, _)| i).skip(2).collect();
    for &end in ends.iter().rev() {
        if let Some((c, true)) = entity(&name[..end]) {
            out.push(c);
            out.push_str(&s[end..used]);
            return used;
        }
    }
    out.push('&');
    out.push_str(&s[..used]);
    used
}

// ---------------------------------------------------------------------------------------------
// The document tree
// ---------------------------------------------------------------------------------------------

/// Most nodes (tags and strings) one page may have; about 60 MB of tree at most.
const MAX_NODES: usize = 500_000;

/// What kind of string a text node is, which decides whether `get_text()` reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strand {
    /// Ordinary text and CDATA sections: the readable text.
    Text,
    /// Text inside `script`, `style`, `template`, `rt` or `rp`.
    Hidden,
    /// Comments, the doctype, declarations and processing instructions.
    Markup,
}

#[derive(Debug)]
enum Data {
    Element {
        name: String,
        attrs: Vec<(String, String)>,
    },
    Text(String, Strand),
}

/// Nodes sit in document order, so an element's descendants are exactly the nodes after it
/// up to its `end`.
#[derive(Debug)]
struct Node {
    data: Data,
    end: usize,
}

#[derive(Debug)]
struct Doc {
    nodes: Vec<Node>,
}

impl Doc {
    fn name(&self, i: usize) -> Option<&str> {
        match &self.nodes[i].data {
            Data::Element { name, .. } => Some(name),
            Data::Text(..) => None,
        }
    }

    /// An attribute's value (`""` for one written without a value).
    fn attr(&self, i: usize, key: &str) -> Option<&str> {
        match &self.nodes[i].data {
            Data::Element { attrs, .. } => attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str()),
            Data::Text(..) => None,
        }
    }

    /// Elements with one of `names`, in document order.
    fn elements<'a>(&'a self, names: &'a [&str]) -> impl Iterator<Item = usize> + 'a {
        (0..self.nodes.len()).filter(|&i| self.name(i).is_some_and(|n| names.contains(&n)))
    }

    /// The first element matching `pred` as a CSS selector finds it: not looking inside
    /// `<template>` elements, whose contents are not part of the document.
    fn select_first(&self, pred: impl Fn(usize) -> bool) -> Option<usize> {
        let mut j = 1;
        while j < self.nodes.len() {
            if self.name(j).is_some() && pred(j) {
                return Some(j);
            }
            j = if self.name(j) == Some("template") {
                self.nodes[j].end
            } else {
                j + 1
            };
        }
        None
    }

    /// Visits the nodes below `root` in order; `visit` says whether to enter a node's subtree.
    fn walk(&self, root: usize, mut visit: impl FnMut(usize) -> bool) {
        let mut j = root + 1;
        while j < self.nodes[root].end {
            j = if visit(j) { j + 1 } else { self.nodes[j].end };
        }
    }

    /// `get_text()` of `root`, leaving out the subtrees `skip` names.
    fn text(&self, root: usize, skip: &[&str]) -> String {
        let mut out = String::new();
        self.walk(root, |j| match &self.nodes[j].data {
            Data::Text(s, Strand::Text) => {
                out.push_str(s);
                false
            }
            Data::Text(..) => false,
            Data::Element { name, .. } => !skip.contains(&name.as_str()),
        });
        out
    }

    /// BeautifulSoup's `.string`: the one string a node holds, looking through elements with a
    /// single child; `None` when there are several children or none.
    fn string(&self, mut i: usize) -> Option<&str> {
        loop {
            match &self.nodes[i].data {
                Data::Text(s, _) => return Some(s),
                Data::Element { .. } => {
                    let child = i + 1;
                    if child >= self.nodes[i].end || self.nodes[child].end != self.nodes[i].end {
                        return None;
                    }
                    i = child;
                }
            }
        }
    }
}

/// Bytes of readable text before each node, so any subtree's text length is one subtraction.
fn text_offsets(doc: &Doc) -> Vec<usize> {
    let mut sums = Vec::with_capacity(doc.nodes.len() + 1);
    let mut total = 0usize;
    sums.push(0);
    for n in &doc.nodes {
        if let Data::Text(s, Strand::Text) = &n.data {
            total += s.len();
        }
        sums.push(total);
    }
    sums
}

/// Tags closed as soon as they open (HTML's void elements, as BeautifulSoup lists them).
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "command", "embed", "frame", "hr", "image",
    "img", "input", "isindex", "keygen", "link", "menuitem", "meta", "nextid", "param", "source",
    "spacer", "track", "wbr",
];

/// Builds the tree from parser events as BeautifulSoup does: no implied end tags, an end tag
/// closes everything opened after its most recent match, an unmatched one is ignored.
struct Builder {
    nodes: Vec<Node>,
    stack: Vec<usize>,
    open: HashMap<String, usize>,
    /// Open `pre`/`textarea` elements, inside which whitespace-only strings stay as they are.
    preserving: usize,
    /// Open `script`/`style`/`template`/`rt`/`rp` elements, whose strings are hidden.
    hiding: Vec<usize>,
    pending: Option<String>,
    /// Void elements already closed, whose explicit end tag is then ignored once.
    closed_void: Vec<String>,
    full: bool,
}

impl Builder {
    fn new() -> Self {
        let root = Node {
            data: Data::Element {
                name: "[document]".into(),
                attrs: Vec::new(),
            },
            end: 1,
        };
        Builder {
            nodes: vec![root],
            stack: vec![0],
            open: HashMap::new(),
            preserving: 0,
            hiding: Vec::new(),
            pending: None,
            closed_void: Vec::new(),
            full: false,
        }
    }

    fn add(&mut self, data: Data) -> Option<usize> {
        if self.nodes.len() >= MAX_NODES {
            self.full = true;
            return None;
        }
        let i = self.nodes.len();
        self.nodes.push(Node { data, end: i + 1 });
        Some(i)
    }

    fn data(&mut self, s: &str) {
        self.pending.get_or_insert_with(String::new).push_str(s);
    }

    /// Ends the current run of text: one string, whitespace-only ones shrunk to a newline or a
    /// space, of the given kind or else of its surroundings.
    fn end_data(&mut self, kind: Option<Strand>) {
        let Some(mut s) = self.pending.take() else {
            return;
        };
        let blank = s
            .bytes()
            .all(|b| matches!(b, b' ' | b'\n' | b'\t' | 0x0c | b'\r'));
        if self.preserving == 0 && blank {
            s = if s.contains('\n') { "\n" } else { " " }.to_string();
        }
        let kind = kind.unwrap_or(if self.hiding.is_empty() {
            Strand::Text
        } else {
            Strand::Hidden
        });
        self.add(Data::Text(s, kind));
    }

    fn marked(&mut self, s: &str, kind: Strand) {
        self.end_data(None);
        self.data(s);
        self.end_data(Some(kind));
    }

    fn start_tag(&mut self, name: String, attrs: Vec<(String, String)>, self_closing: bool) {
        self.end_data(None);
        let void = VOID.contains(&name.as_str());
        let Some(i) = self.add(Data::Element {
            name: name.clone(),
            attrs,
        }) else {
            return;
        };
        self.stack.push(i);
        if matches!(name.as_str(), "pre" | "textarea") {
            self.preserving += 1;
        }
        if matches!(name.as_str(), "script" | "style" | "template" | "rt" | "rp") {
            self.hiding.push(i);
        }
        *self.open.entry(name.clone()).or_default() += 1;
        if self_closing {
            self.close(&name);
        } else if void {
            self.close(&name);
            self.closed_void.push(name);
        }
    }

    fn end_tag(&mut self, name: &str) {
        match self.closed_void.iter().position(|n| n == name) {
            Some(k) => {
                self.closed_void.remove(k);
            }
            None => self.close(name),
        }
    }

    /// Pops up to and including the most recent open element named `name`, if there is one.
    fn close(&mut self, name: &str) {
        self.end_data(None);
        while self.stack.len() > 1 && self.open.get(name).is_some_and(|n| *n > 0) {
            let top = self.pop();
            if top == name {
                break;
            }
        }
    }

    fn pop(&mut self) -> String {
        let Some(i) = self.stack.pop() else {
            return String::new();
        };
        self.nodes[i].end = self.nodes.len();
        if self.hiding.last() == Some(&i) {
            self.hiding.pop();
        }
        let name = match &self.nodes[i].data {
            Data::Element { name, .. } => name.clone(),
            Data::Text(..) => String::new(),
        };
        if matches!(name.as_str(), "pre" | "textarea") {
            self.preserving = self.preserving.saturating_sub(1);
        }
        if let Some(n) = self.open.get_mut(&name) {
            *n = n.saturating_sub(1);
        }
        name
    }

    fn finish(mut self) -> Result<Doc, String> {
        self.end_data(None);
        while self.stack.len() > 1 {
            self.pop();
        }
        if self.full {
            return Err(format!(
                "the HTML has more than {MAX_NODES} tags and text pieces; pass a smaller part of it"
            ));
        }
        self.nodes[0].end = self.nodes.len();
        Ok(Doc { nodes: self.nodes })
    }
}

// ---------------------------------------------------------------------------------------------
// The tokenizer: Python's `html.parser` as BeautifulSoup drives it
// ---------------------------------------------------------------------------------------------

/// The length of the `\s` character at `i`, or 0.
fn space_at(s: &str, i: usize) -> usize {
    s.get(i..)
        .and_then(|t| t.chars().next())
        .filter(|c| py_space(*c))
        .map_or(0, char::len_utf8)
}

fn skip_spaces(s: &str, mut i: usize) -> usize {
    loop {
        let n = space_at(s, i);
        if n == 0 {
            return i;
        }
        i += n;
    }
}

/// A tag name's characters after its first letter: anything but `\t\n\r\f />` and NUL.
fn tag_name_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && !matches!(b[i], b'\t' | b'\n' | b'\r' | 0x0c | b' ' | b'/' | b'>' | 0) {
        i += 1;
    }
    i
}

/// `(?:\s|/(?!>))*`
fn skip_attr_gap(s: &str, mut i: usize) -> usize {
    let b = s.as_bytes();
    loop {
        let n = space_at(s, i);
        if n > 0 {
            i += n;
        } else if b.get(i) == Some(&b'/') && b.get(i + 1) != Some(&b'>') {
            i += 1;
        } else {
            return i;
        }
    }
}

/// One attribute as the parser's attribute pattern reads it: its name, its raw value (quotes
/// included) if it has one, and where it ends.
struct RawAttr {
    name: (usize, usize),
    value: Option<(usize, usize)>,
    end: usize,
}

/// Where a start tag ends (just past its `>`), `None` if it is unfinished, or where the
/// parser gives up on it without a `>` (the tag is then text).
enum TagEnd {
    At(usize),
    Unfinished,
}

/// The parser's position, the tree it feeds, and how much scanning it has done: broken
/// markup can make Python's parser rescan the same text, and the budget keeps that linear.
struct Parser<'a> {
    s: &'a str,
    i: usize,
    /// Inside `script` or `style`, whose text runs raw up to the matching end tag.
    raw: Option<&'static str>,
    tree: Builder,
    work: usize,
    budget: usize,
    /// The last search for each pattern: (pattern, from, (start, end) of the match).
    found: Vec<Remembered>,
    error: Option<String>,
}

/// A search's last answer: pattern, where it started, and the (start, end) of its match.
type Remembered = (&'static str, usize, Option<(usize, usize)>);

/// Why one pass over the text stopped before its end.
enum Stop {
    Done,
    Stuck,
}

/// The message BeautifulSoup gives when Python's parser rejects the markup.
fn rejected(reason: String) -> String {
    format!(
        "The markup you provided was rejected by the parser. Trying a different parser or a \
         different encoding may help.\n\nOriginal exception(s) from parser:\n AssertionError: \
         {reason}"
    )
}

/// Parses HTML as `BeautifulSoup(html, "html.parser")` does.
fn parse(html: &str) -> Result<Doc, String> {
    let mut p = Parser {
        s: html,
        i: 0,
        raw: None,
        tree: Builder::new(),
        work: 0,
        budget: html.len().saturating_mul(8).saturating_add(1 << 16),
        found: Vec::new(),
        error: None,
    };
    // Python's parser is fed the page, then closed: two passes, the second treating anything
    // unfinished as text. A construct that stops the second pass leaves the rest as text.
    if let Stop::Stuck = p.pass(false)
        && let Stop::Stuck = p.pass(true)
        && p.raw.is_none()
        && p.i < html.len()
    {
        p.tree.data(&html[p.i..]);
    }
    if let Some(e) = p.error {
        return Err(e);
    }
    p.tree.finish()
}

impl Parser<'_> {
    /// Counts `n` more bytes scanned; past the budget the parse stops with an error.
    fn charge(&mut self, n: usize) -> bool {
        self.work = self.work.saturating_add(n);
        if self.work > self.budget && self.error.is_none() {
            self.error = Some(
                "the HTML is too malformed to parse within this server's limits (unclosed \
                 tags or quotes that make the parser rescan the page)"
                    .into(),
            );
        }
        self.error.is_none()
    }

    /// The first match at or after `from` of a pattern that starts with `lead` and is
    /// confirmed by `tail` (which gives the match's end), paying for the scan. The last answer
    /// for each pattern is kept: it still holds for any later start up to the match (or, when
    /// there was none, for any later start at all), which keeps rescans of broken markup cheap.
    fn search(
        &mut self,
        key: &'static str,
        from: usize,
        lead: &str,
        tail: impl Fn(&str, usize) -> Option<usize>,
    ) -> Option<(usize, usize)> {
        if let Some(&(_, start, found)) = self.found.iter().find(|(k, _, _)| *k == key)
            && start <= from
            && found.is_none_or(|(f, _)| from <= f)
        {
            return found;
        }
        let mut at = from;
        let found = loop {
            let Some(k) = self.s.get(at..).and_then(|h| h.find(lead)).map(|k| at + k) else {
                break None;
            };
            if let Some(end) = tail(self.s, k) {
                break Some((k, end));
            }
            at = k + 1;
        };
        let scanned = found.map_or(self.s.len(), |(_, e)| e).saturating_sub(from);
        self.charge(scanned);
        match self.found.iter_mut().find(|(k, _, _)| *k == key) {
            Some(slot) => *slot = (key, from, found),
            None => self.found.push((key, from, found)),
        }
        found
    }

    /// The next `pat` at or after `from`.
    fn find(&mut self, from: usize, pat: &'static str) -> Option<usize> {
        self.search(pat, from, pat, |_, k| Some(k + pat.len()))
            .map(|(k, _)| k)
    }

    fn pass(&mut self, closing: bool) -> Stop {
        let (s, b) = (self.s, self.s.as_bytes());
        let n = s.len();
        while self.i < n {
            if self.tree.full || self.error.is_some() {
                return Stop::Done;
            }
            let i = self.i;
            let j = match self.raw {
                Some(elem) => match self.raw_text_end(i, elem) {
                    Some(j) => j,
                    None => return Stop::Stuck,
                },
                None => s[i..].find(['<', '&']).map_or(n, |k| i + k),
            };
            if i < j {
                self.tree.data(&s[i..j]);
            }
            self.i = j;
            if j == n {
                break;
            }
            let step = if b[j] == b'<' {
                self.markup(j, closing)
            } else if s[j..].starts_with("&#") {
                self.char_ref(j)
            } else {
                self.entity_ref(j, closing)
            };
            match step {
                Some(k) => self.i = k,
                None => return Stop::Stuck,
            }
        }
        Stop::Done
    }

    /// A construct starting with `<` at `j`: where the parser goes on, or `None` to stop.
    fn markup(&mut self, j: usize, closing: bool) -> Option<usize> {
        let s = self.s;
        let n = s.len();
        let done = if s.as_bytes().get(j + 1).is_some_and(u8::is_ascii_alphabetic) {
            self.start_tag(j)
        } else if s[j..].starts_with("</") {
            self.end_tag(j)
        } else if s[j..].starts_with("<!--") {
            self.comment(j)
        } else if s[j..].starts_with("<?") {
            self.until_gt(j, Strand::Markup)
        } else if s[j..].starts_with("<!") {
            self.declaration(j)
        } else if j + 1 < n {
            self.tree.data("<");
            Some(j + 1)
        } else {
            return None;
        };
        if self.error.is_some() {
            return None;
        }
        match done {
            Some(k) => Some(k),
            None if !closing => None,
            None => {
                // Unfinished at the end of the page: its text up to the next `>` (or up to
                // the next `<`) is data.
                let k = match self.find(j + 1, ">") {
                    Some(g) => g + 1,
                    None => self.find(j + 1, "<").unwrap_or(j + 1),
                };
                self.tree.data(&s[j..k]);
                Some(k)
            }
        }
    }

    /// `&#NN;` or `&#xHH;` in text. A malformed one stops the pass (consuming `&#` when a `;`
    /// follows somewhere), as Python's parser does.
    fn char_ref(&mut self, j: usize) -> Option<usize> {
        let b = self.s.as_bytes();
        let hex = matches!(b.get(j + 2), Some(b'x' | b'X'));
        let (start, radix) = if hex { (j + 3, 16) } else { (j + 2, 10) };
        let mut e = start;
        while e < b.len() && (b[e] as char).is_digit(radix) {
            e += 1;
        }
        if e > start && b.get(e).is_some_and(|c| !c.is_ascii_hexdigit()) {
            let code = code_point(&self.s[start..e], radix);
            let mut buf = [0u8; 4];
            self.tree.data(text_char_ref(code).encode_utf8(&mut buf));
            return Some(if b[e] == b';' { e + 1 } else { e });
        }
        let semicolon = self.find(j, ";").is_some();
        if semicolon {
            self.tree.data("&#");
            self.i = j + 2;
        }
        None
    }

    /// `&name;` in text: `&([a-zA-Z][-.a-zA-Z0-9]*)` ended by anything but a letter or digit.
    fn entity_ref(&mut self, j: usize, closing: bool) -> Option<usize> {
        let s = self.s;
        let b = s.as_bytes();
        if b.get(j + 1).is_some_and(u8::is_ascii_alphabetic) {
            let mut e = j + 2;
            while e < b.len() && (b[e].is_ascii_alphanumeric() || matches!(b[e], b'-' | b'.')) {
                e += 1;
            }
            // At the very end the name gives back up to its last `-` or `.`, which then ends it.
            let end = if e == b.len() {
                (j + 2..e).rev().find(|&k| matches!(b[k], b'-' | b'.'))
            } else {
                Some(e)
            };
            if let Some(e) = end {
                let name = &s[j + 1..e];
                match entity(name) {
                    Some((c, _)) => {
                        let mut buf = [0u8; 4];
                        self.tree.data(c.encode_utf8(&mut buf));
                    }
                    None => {
                        self.tree.data("&");
                        self.tree.data(name);
                    }
                }
                return Some(if b[e] == b';' { e + 1 } else { e });
            }
            // An unfinished reference at the end; when it is just `&x`, the `&` is lost.
            if closing && b.len() - j == 2 {
                self.i = j + 1;
            }
            return None;
        }
        if j + 1 < b.len() {
            self.tree.data("&");
            return Some(j + 1);
        }
        None
    }

    fn attr_at(&mut self, i: usize) -> Option<RawAttr> {
        let s = self.s;
        let prev = s.get(..i)?.chars().next_back()?;
        if !(matches!(prev, '\'' | '"' | '/') || py_space(prev)) {
            return None;
        }
        let first = s[i..].chars().next()?;
        if py_space(first) || first == '/' || first == '>' {
            return None;
        }
        let mut j = i + first.len_utf8();
        while let Some(c) = s[j..].chars().next() {
            if py_space(c) || matches!(c, '/' | '=' | '>') {
                break;
            }
            j += c.len_utf8();
        }
        let (value, after) = match self.attr_value(j) {
            Some((v, e)) => (Some(v), e),
            None => (None, j),
        };
        Some(RawAttr {
            name: (i, j),
            value,
            end: skip_attr_gap(s, after),
        })
    }

    /// `\s*=+\s*('[^']*'|"[^"]*"|[^>\s]*)` after an attribute name, with the regex's fallbacks
    /// when a quote never closes: a space before it leaves an empty value, a second `=` starts
    /// a bare value there, and otherwise the attribute has no value.
    fn attr_value(&mut self, at: usize) -> Option<((usize, usize), usize)> {
        let s = self.s;
        let b = s.as_bytes();
        let eq = skip_spaces(s, at);
        if b.get(eq) != Some(&b'=') {
            return None;
        }
        let mut q = eq;
        while b.get(q) == Some(&b'=') {
            q += 1;
        }
        let v = skip_spaces(s, q);
        let bare = |from: usize| {
            let mut e = from;
            while e < b.len() && b[e] != b'>' && space_at(s, e) == 0 {
                e += s[e..].chars().next().map_or(1, char::len_utf8);
            }
            ((from, e), e)
        };
        match b.get(v) {
            Some(&quote @ (b'\'' | b'"')) => {
                let close = if quote == b'"' {
                    self.find(v + 1, "\"")
                } else {
                    self.find(v + 1, "'")
                };
                match close {
                    Some(c) => Some(((v, c + 1), c + 1)),
                    None if v > q => {
                        let last = s[..v].chars().next_back().map_or(1, char::len_utf8);
                        Some(((v - last, v - last), v - last))
                    }
                    None if q - eq >= 2 => Some(bare(q - 1)),
                    None => None,
                }
            }
            _ => Some(bare(v)),
        }
    }

    /// Where a start tag at `i` ends, as Python's parser locates it before reading it.
    fn start_tag_end(&mut self, i: usize) -> TagEnd {
        let s = self.s;
        let b = s.as_bytes();
        let mut j = tag_name_end(b, i + 2);
        // `[\s/]*` once, then attributes, then `\s*`.
        loop {
            let n = space_at(s, j);
            if n > 0 {
                j += n;
            } else if b.get(j) == Some(&b'/') {
                j += 1;
            } else {
                break;
            }
        }
        while let Some(a) = self.attr_at(j) {
            j = a.end;
        }
        j = skip_spaces(s, j);
        self.charge(j - i);
        match b.get(j) {
            Some(b'>') => TagEnd::At(j + 1),
            Some(b'/') if b.get(j + 1) == Some(&b'>') => TagEnd::At(j + 2),
            None | Some(b'/' | b'=') => TagEnd::Unfinished,
            Some(c) if c.is_ascii_alphabetic() => TagEnd::Unfinished,
            Some(_) => TagEnd::At(j),
        }
    }

    fn start_tag(&mut self, i: usize) -> Option<usize> {
        let s = self.s;
        let TagEnd::At(endpos) = self.start_tag_end(i) else {
            return None;
        };
        let name_end = tag_name_end(s.as_bytes(), i + 2);
        let name = s[i + 1..name_end].to_lowercase();
        let mut k = skip_attr_gap(s, name_end);
        let mut attrs: Vec<(String, String)> = Vec::new();
        while k < endpos {
            let Some(a) = self.attr_at(k) else {
                break;
            };
            let key = s[a.name.0..a.name.1].to_lowercase();
            let value = a.value.map_or_else(String::new, |(v0, v1)| {
                let raw = &s[v0..v1];
                let unquoted = match raw.as_bytes() {
                    [q @ (b'\'' | b'"'), .., last] if last == q => &raw[1..raw.len() - 1],
                    _ => raw,
                };
                unescape(unquoted)
            });
            // A repeated attribute keeps its last value.
            match attrs.iter_mut().find(|(k2, _)| *k2 == key) {
                Some(slot) => slot.1 = value,
                None => attrs.push((key, value)),
            }
            k = a.end;
        }
        let rest = py_strip(s.get(k..endpos).unwrap_or_default());
        if rest != ">" && rest != "/>" {
            // Python's parser passes a tag it cannot close on as text.
            self.tree.data(&s[i..endpos]);
            return Some(endpos);
        }
        let raw = match name.as_str() {
            "script" => Some("script"),
            "style" => Some("style"),
            _ => None,
        };
        if rest == "/>" {
            self.tree.start_tag(name, attrs, true);
        } else {
            self.tree.start_tag(name, attrs, false);
            self.raw = self.raw.or(raw);
        }
        Some(endpos)
    }

    fn end_tag(&mut self, i: usize) -> Option<usize> {
        let s = self.s;
        let b = s.as_bytes();
        let gt = self.find(i + 1, ">")?;
        if let Some((n0, n1, end)) = plain_end_tag(s, i) {
            let name = s[n0..n1].to_ascii_lowercase();
            if let Some(raw) = self.raw {
                if name != raw {
                    self.tree.data(&s[i..end]);
                    return Some(end);
                }
                self.raw = None;
            }
            self.tree.end_tag(&name);
            return Some(end);
        }
        if self.raw.is_some() {
            self.tree.data(&s[i..=gt]);
            return Some(gt + 1);
        }
        if !b.get(i + 2).is_some_and(u8::is_ascii_alphabetic) {
            if s[i..].starts_with("</>") {
                return Some(i + 3);
            }
            // A bogus comment, up to the `>`.
            self.tree.marked(&s[i + 2..gt], Strand::Markup);
            return Some(gt + 1);
        }
        // Anything between the name and the `>` is ignored.
        let name_end = tag_name_end(b, i + 3);
        let name = s[i + 2..name_end].to_lowercase();
        let close = s[name_end..].find('>').map_or(gt, |k| name_end + k);
        self.tree.end_tag(&name);
        Some(close + 1)
    }

    /// A comment, closed by `--\s*>`.
    fn comment(&mut self, i: usize) -> Option<usize> {
        let (k, end) = self.search("--\\s*>", i + 4, "--", |s, k| {
            let gt = skip_spaces(s, k + 2);
            (s.as_bytes().get(gt) == Some(&b'>')).then_some(gt + 1)
        })?;
        self.tree.marked(&self.s[i + 4..k], Strand::Markup);
        Some(end)
    }

    /// `<?...>` and bogus comments: everything after the two opening characters up to `>`.
    fn until_gt(&mut self, i: usize, kind: Strand) -> Option<usize> {
        let gt = self.find(i + 2, ">")?;
        self.tree.marked(&self.s[i + 2..gt], kind);
        Some(gt + 1)
    }

    fn declaration(&mut self, i: usize) -> Option<usize> {
        let s = self.s;
        if s[i..].starts_with("<![") {
            return self.marked_section(i);
        }
        let doctype = s
            .get(i..i + 9)
            .is_some_and(|t| t.eq_ignore_ascii_case("<!doctype"));
        if doctype {
            let gt = self.find(i + 9, ">")?;
            let decl = &s[i + 2..gt];
            self.tree.marked(
                decl.strip_prefix("DOCTYPE ").unwrap_or(decl),
                Strand::Markup,
            );
            return Some(gt + 1);
        }
        self.until_gt(i, Strand::Markup)
    }

    /// `<![CDATA[...]]>` (readable text) and Office's `<![if ...]>` sections (markup). Python's
    /// parser rejects the page at a marked section it does not know.
    fn marked_section(&mut self, i: usize) -> Option<usize> {
        let s = self.s;
        let b = s.as_bytes();
        let kw_start = i + 3;
        if kw_start >= b.len() {
            return None;
        }
        if !b[kw_start].is_ascii_alphabetic() {
            let near: String = s[i..].chars().take(20).collect();
            self.error = Some(rejected(format!(
                "expected name token at {}",
                py_text_repr(&near)
            )));
            return None;
        }
        let mut kw_end = kw_start + 1;
        while kw_end < b.len()
            && (b[kw_end].is_ascii_alphanumeric() || matches!(b[kw_end], b'-' | b'_' | b'.'))
        {
            kw_end += 1;
        }
        let after_kw = skip_spaces(s, kw_end);
        if after_kw >= b.len() {
            return None;
        }
        let double = match s[kw_start..kw_end].to_ascii_lowercase().as_str() {
            "temp" | "cdata" | "ignore" | "include" | "rcdata" => true,
            "if" | "else" | "endif" => false,
            _ => {
                let keyword = &s[kw_start..after_kw];
                self.error = Some(rejected(format!(
                    "unknown status keyword {} in marked section",
                    py_text_repr(keyword)
                )));
                return None;
            }
        };
        let (start, end) = self.section_close(kw_start, double)?;
        let body = &s[kw_start..start];
        match body.get(..6) {
            Some(head) if head.eq_ignore_ascii_case("cdata[") => {
                self.tree.marked(&body[6..], Strand::Text)
            }
            _ => self.tree.marked(body, Strand::Markup),
        }
        Some(end)
    }

    /// `]\s*]\s*>` (or, for Office's conditional sections, `]\s*>`) from `from`: where it
    /// starts and ends.
    fn section_close(&mut self, from: usize, double: bool) -> Option<(usize, usize)> {
        let key = if double { "]\\s*]\\s*>" } else { "]\\s*>" };
        self.search(key, from, "]", |s, k| {
            let b = s.as_bytes();
            let mut e = skip_spaces(s, k + 1);
            if double {
                if b.get(e) != Some(&b']') {
                    return None;
                }
                e = skip_spaces(s, e + 1);
            }
            (b.get(e) == Some(&b'>')).then_some(e + 1)
        })
    }

    /// Where raw `script`/`style` text ends: the next `</\s*name\s*>` in any letter case.
    fn raw_text_end(&mut self, from: usize, name: &'static str) -> Option<usize> {
        let key = if name == "script" {
            "</script>"
        } else {
            "</style>"
        };
        self.search(key, from, "</", |s, k| {
            let n0 = skip_spaces(s, k + 2);
            let n1 = n0 + name.len();
            let named = s.get(n0..n1).is_some_and(|t| t.eq_ignore_ascii_case(name));
            let gt = skip_spaces(s, n1);
            (named && s.as_bytes().get(gt) == Some(&b'>')).then_some(gt + 1)
        })
        .map(|(k, _)| k)
    }
}

/// `</\s*([a-zA-Z][-.a-zA-Z0-9:_]*)\s*>` at `i`: the name's span and the end past `>`.
fn plain_end_tag(s: &str, i: usize) -> Option<(usize, usize, usize)> {
    let b = s.as_bytes();
    let start = skip_spaces(s, i + 2);
    if !b.get(start).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let mut e = start + 1;
    while e < b.len() && (b[e].is_ascii_alphanumeric() || matches!(b[e], b'-' | b'.' | b':' | b'_'))
    {
        e += 1;
    }
    let gt = skip_spaces(s, e);
    (b.get(gt) == Some(&b'>')).then_some((start, e, gt + 1))
}

// ---------------------------------------------------------------------------------------------
// URLs: Python's `urllib.parse` as `urlparse` and `urljoin` use it
// ---------------------------------------------------------------------------------------------

const USES_RELATIVE: &[&str] = &[
    "", "ftp", "http", "gopher", "nntp", "imap", "wais", "file", "https", "shttp", "mms",
    "prospero", "rtsp", "rtsps", "rtspu", "sftp", "svn", "svn+ssh", "ws", "wss",
];
const USES_NETLOC: &[&str] = &[
    "", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp",
    "snews", "prospero", "rtsp", "rtsps", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git",
    "git+ssh", "ws", "wss",
];
const USES_PARAMS: &[&str] = &[
    "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtsps", "rtspu",
    "sip", "sips", "mms", "sftp", "tel",
];

/// A URL's six parts, as `urlparse` returns them.
#[derive(Debug, Default)]
struct Url {
    scheme: String,
    netloc: String,
    path: String,
    params: String,
    query: String,
    fragment: String,
}

/// Python's `urlparse(url, scheme)`, including the errors it raises on bracketed hosts.
fn urlparse(url: &str, default_scheme: &str) -> Result<Url, String> {
    let controls = |c: char| c <= ' ';
    let unsafe_chars = |c: &char| !matches!(c, '\t' | '\r' | '\n');
    let url: String = url
        .trim_start_matches(controls)
        .chars()
        .filter(unsafe_chars)
        .collect();
    let mut scheme: String = default_scheme
        .trim_matches(controls)
        .chars()
        .filter(unsafe_chars)
        .collect();
    let mut rest = url.as_str();
    if let Some(colon) = rest.find(':')
        && colon > 0
        && rest.as_bytes()[0].is_ascii_alphabetic()
        && rest[..colon]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        scheme = rest[..colon].to_ascii_lowercase();
        rest = &rest[colon + 1..];
    }
    let mut netloc = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = &after[..end];
        rest = &after[end..];
        if netloc.contains('[') != netloc.contains(']') {
            return Err("Invalid IPv6 URL".into());
        }
        if let Some((_, after_open)) = netloc.split_once('[')
            && netloc.contains(']')
        {
            let host = after_open.split_once(']').map_or(after_open, |(h, _)| h);
            check_bracketed_host(host)?;
        }
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (mut path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut params = "";
    if USES_PARAMS.contains(&scheme.as_str()) && path.contains(';') {
        let from = path.rfind('/').unwrap_or(0);
        if let Some(k) = path[from..].find(';').map(|k| from + k) {
            params = &path[k + 1..];
            path = &path[..k];
        }
    }
    Ok(Url {
        scheme,
        netloc: netloc.into(),
        path: path.into(),
        params: params.into(),
        query: query.into(),
        fragment: fragment.into(),
    })
}

/// What Python accepts between `[` and `]` in a host: an IPv6 address (with an optional zone)
/// or an `IPvFuture` literal.
fn check_bracketed_host(host: &str) -> Result<(), String> {
    if let Some(rest) = host.strip_prefix('v') {
        let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        let ok = hex > 0 && rest[hex..].strip_prefix('.').is_some_and(|t| !t.is_empty());
        return if ok {
            Ok(())
        } else {
            Err("IPvFuture address is invalid".into())
        };
    }
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("An IPv4 address cannot be in brackets".into());
    }
    let (addr, zone) = host.split_once('%').unwrap_or((host, "x"));
    if addr.parse::<std::net::Ipv6Addr>().is_ok() && !zone.is_empty() && !zone.contains('%') {
        return Ok(());
    }
    Err(format!(
        "{} does not appear to be an IPv4 or IPv6 address",
        py_text_repr(host)
    ))
}

/// Python's `urlunparse`.
fn urlunparse(u: &Url) -> String {
    let mut path = u.path.clone();
    if !u.params.is_empty() {
        path = format!("{path};{}", u.params);
    }
    let netloc_scheme = !u.scheme.is_empty() && USES_NETLOC.contains(&u.scheme.as_str());
    if !u.netloc.is_empty() || (netloc_scheme && !path.starts_with("//")) {
        if !path.is_empty() && !path.starts_with('/') {
            path.insert(0, '/');
        }
        path = format!("//{}{path}", u.netloc);
    }
    if !u.scheme.is_empty() {
        path = format!("{}:{path}", u.scheme);
    }
    if !u.query.is_empty() {
        path = format!("{path}?{}", u.query);
    }
    if !u.fragment.is_empty() {
        path = format!("{path}#{}", u.fragment);
    }
    path
}

/// Python's `urljoin(base, url)`: `url` resolved against `base`.
fn urljoin(base: &str, url: &str) -> Result<String, String> {
    if base.is_empty() {
        return Ok(url.into());
    }
    if url.is_empty() {
        return Ok(base.into());
    }
    let b = urlparse(base, "")?;
    let mut u = urlparse(url, &b.scheme)?;
    if u.scheme != b.scheme || !USES_RELATIVE.contains(&u.scheme.as_str()) {
        return Ok(url.into());
    }
    if USES_NETLOC.contains(&u.scheme.as_str()) {
        if !u.netloc.is_empty() {
            return Ok(urlunparse(&u));
        }
        u.netloc = b.netloc.clone();
    }
    if u.path.is_empty() && u.params.is_empty() {
        u.path = b.path.clone();
        u.params = b.params.clone();
        if u.query.is_empty() {
            u.query = b.query.clone();
        }
        return Ok(urlunparse(&u));
    }
    let mut base_parts: Vec<&str> = b.path.split('/').collect();
    if base_parts.last().is_some_and(|p| !p.is_empty()) {
        base_parts.pop();
    }
    let segments: Vec<&str> = if u.path.starts_with('/') {
        u.path.split('/').collect()
    } else {
        let mut all = base_parts;
        all.extend(u.path.split('/'));
        // Empty segments in the middle would double slashes; the ends stay.
        let last = all.len().saturating_sub(1);
        all.iter()
            .enumerate()
            .filter(|(k, seg)| *k == 0 || *k == last || !seg.is_empty())
            .map(|(_, seg)| *seg)
            .collect()
    };
    let mut resolved: Vec<&str> = Vec::new();
    for seg in &segments {
        match *seg {
            ".." => {
                resolved.pop();
            }
            "." => {}
            other => resolved.push(other),
        }
    }
    if matches!(segments.last(), Some(&"." | &"..")) {
        resolved.push("");
    }
    let joined = resolved.join("/");
    u.path = if joined.is_empty() {
        "/".into()
    } else {
        joined
    };
    Ok(urlunparse(&u))
}

// ---------------------------------------------------------------------------------------------
// BeautifulSoup nodes
// ---------------------------------------------------------------------------------------------

/// `scheme://netloc` of a URL.
fn base_url(p: &Props) -> Result<Emitted, String> {
    let url = p.str("url");
    if url.is_empty() {
        return Err("URL must not be empty".into());
    }
    let u = urlparse(url, "")?;
    one(Value::String(format!("{}://{}", u.scheme, u.netloc)))
}

/// NodeTool's empty media reference with a URI.
fn media_ref(kind: &str, uri: String) -> Value {
    let mut r = Map::new();
    r.insert("type".into(), json!(kind));
    r.insert("uri".into(), Value::String(uri));
    for key in ["asset_id", "data", "metadata"] {
        r.insert(key.into(), Value::Null);
    }
    if kind == "video" {
        r.insert("duration".into(), Value::Null);
        r.insert("format".into(), Value::Null);
    }
    Value::Object(r)
}

/// Counts what a streaming node emits: items and text, against the result limits. The text
/// budget is twice the longest value, since links' texts may nest and repeat.
struct Stream {
    out: Emitted,
    items: usize,
    bytes: usize,
    max_bytes: usize,
}

impl Stream {
    fn new(p: &Props) -> Self {
        Stream {
            out: Vec::new(),
            items: 0,
            bytes: 0,
            max_bytes: p.max_len.saturating_mul(2),
        }
    }

    /// Reserves `len` more bytes of output text.
    fn reserve(&mut self, len: usize) -> Result<(), String> {
        self.bytes = self.bytes.saturating_add(len);
        too_long(self.bytes, self.max_bytes)
    }

    fn item(&mut self, values: Vec<(&'static str, Value)>) -> Result<(), String> {
        self.items += 1;
        too_many(self.items)?;
        self.out.extend(values);
        Ok(())
    }
}

/// Every `<a>` with an `href`: the link, its stripped text, and whether it is internal (it
/// starts with the base URL, or with `/`). With no base URL every link counts as internal.
fn html_links(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html"))?;
    let base = p.str("base_url");
    let offsets = text_offsets(&doc);
    let mut out = Stream::new(p);
    for a in doc.elements(&["a"]) {
        let Some(href) = doc.attr(a, "href") else {
            continue;
        };
        out.reserve(href.len() + offsets[doc.nodes[a].end] - offsets[a + 1])?;
        let text = doc.text(a, &[]);
        let kind = if href.starts_with(base) || href.starts_with('/') {
            "internal"
        } else {
            "external"
        };
        out.item(vec![
            ("href", json!(href)),
            ("text", json!(py_strip(&text))),
            ("type", json!(kind)),
        ])?;
    }
    Ok(out.out)
}

/// Streams a media reference for each source found, resolved against the base URL.
fn media_refs(
    p: &Props,
    kind: &'static str,
    sources: impl Iterator<Item = String>,
) -> Result<Emitted, String> {
    let base = p.str("base_url");
    let mut out = Stream::new(p);
    for src in sources {
        out.reserve(base.len() + src.len())?;
        let uri = urljoin(base, &src)?;
        out.item(vec![(kind, media_ref(kind, uri))])?;
    }
    Ok(out.out)
}

/// Every `<img>`. NodeTool's loop reuses the previous image's URL for an `<img>` without a
/// `src`, and fails on one that comes first; so does this.
fn html_images(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html"))?;
    let base = p.str("base_url");
    let mut out = Stream::new(p);
    let mut last: Option<String> = None;
    for img in doc.elements(&["img"]) {
        if let Some(src) = doc.attr(img, "src").filter(|s| !s.is_empty()) {
            out.reserve(base.len() + src.len())?;
            last = Some(urljoin(base, src)?);
        }
        let Some(uri) = &last else {
            return Err(
                "cannot access local variable 'full_url' where it is not associated with a value"
                    .into(),
            );
        };
        out.reserve(uri.len())?;
        out.item(vec![("image", media_ref("image", uri.clone()))])?;
    }
    Ok(out.out)
}

/// `<video>` (its `src`, else its first `<source>`'s) and `<iframe>` sources.
fn html_videos(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html"))?;
    let sources: Vec<usize> = doc.elements(&["source"]).collect();
    let found = doc.elements(&["video", "iframe"]).filter_map(|v| {
        let own = doc.attr(v, "src").filter(|s| !s.is_empty());
        let src = if doc.name(v) == Some("video") {
            // The first `<source>` anywhere inside the video.
            own.or_else(|| {
                let k = sources.partition_point(|&s| s <= v);
                sources
                    .get(k)
                    .filter(|&&s| s < doc.nodes[v].end)
                    .and_then(|&s| doc.attr(s, "src"))
            })
        } else {
            own
        };
        src.filter(|s| !s.is_empty()).map(str::to_string)
    });
    let found: Vec<String> = found.collect();
    media_refs(p, "video", found.into_iter())
}

/// `<audio>` and `<source>` sources (a video's `<source>` too, as in NodeTool).
fn html_audio(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html"))?;
    let found: Vec<String> = doc
        .elements(&["audio", "source"])
        .filter_map(|a| doc.attr(a, "src").filter(|s| !s.is_empty()))
        .map(str::to_string)
        .collect();
    media_refs(p, "audio", found.into_iter())
}

/// The first `<title>`'s string, and the `content` of the first `<meta name="description">`
/// and `<meta name="keywords">`; `null` for what is missing.
fn html_metadata(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html"))?;
    let title = doc
        .elements(&["title"])
        .next()
        .and_then(|t| doc.string(t))
        .map_or(Value::Null, |s| json!(s));
    let meta = |name: &str| -> Result<Value, String> {
        let Some(m) = doc
            .elements(&["meta"])
            .find(|&m| doc.attr(m, "name") == Some(name))
        else {
            return Ok(Value::Null);
        };
        // Python's `tag["content"]` on a tag without one raises KeyError('content').
        doc.attr(m, "content")
            .map(|c| json!(c))
            .ok_or_else(|| "'content'".to_string())
    };
    Ok(vec![
        ("title", title),
        ("description", meta("description")?),
        ("keywords", meta("keywords")?),
    ])
}

/// The main content's text with whitespace runs made single spaces: the first `<article>`,
/// else `<main>`, else a `<div>` whose id or class mentions "content", else `<body>`, without
/// its nav, sidebar, footer and header elements.
fn website_content(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("html_content"))?;
    let div_with = |attr: &str| {
        doc.select_first(|d| {
            doc.name(d) == Some("div") && doc.attr(d, attr).is_some_and(|v| v.contains("content"))
        })
    };
    let main = doc
        .select_first(|d| doc.name(d) == Some("article"))
        .or_else(|| doc.select_first(|d| doc.name(d) == Some("main")))
        .or_else(|| div_with("id"))
        .or_else(|| div_with("class"))
        // `soup.body` is a plain search, which does look inside templates.
        .or_else(|| doc.elements(&["body"]).next());
    let Some(main) = main else {
        return one(json!("No main content found"));
    };
    let text = doc.text(main, &["nav", "sidebar", "footer", "header"]);
    let mut clean = String::with_capacity(text.len());
    for word in text.split(py_space).filter(|w| !w.is_empty()) {
        if !clean.is_empty() {
            clean.push(' ');
        }
        clean.push_str(word);
    }
    too_long(clean.len(), p.max_len)?;
    one(Value::String(clean))
}

/// The page's text: with line breaks kept, each `<br>` is a newline and each paragraph, div,
/// heading and list item ends with one; blank lines then shrink to one empty line and runs of
/// spaces to one.
fn html_to_text(p: &Props) -> Result<Emitted, String> {
    let doc = parse(p.str("text"))?;
    // The page's text plus a newline per block: no longer than the page and its node count.
    let text = if p.bool("preserve_linebreaks") {
        lines_text(&doc)
    } else {
        doc.text(0, &[])
    };
    let text = collapse_spaces(&collapse_blank_lines(&text));
    let text = py_strip(&text);
    too_long(text.len(), p.max_len)?;
    one(Value::String(text.to_string()))
}

const BLOCKS: &[&str] = &["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li"];

/// `get_text()` after NodeTool's edits: `<br>` replaced by a newline, one appended to blocks.
fn lines_text(doc: &Doc) -> String {
    let mut out = String::new();
    let mut open_blocks: Vec<usize> = Vec::new();
    let close_until = |j: usize, out: &mut String, open_blocks: &mut Vec<usize>| {
        while open_blocks.last().is_some_and(|&end| end <= j) {
            open_blocks.pop();
            out.push('\n');
        }
    };
    for j in 1..doc.nodes.len() {
        close_until(j, &mut out, &mut open_blocks);
        match &doc.nodes[j].data {
            Data::Element { name, .. } if name == "br" => out.push('\n'),
            Data::Element { name, .. } if BLOCKS.contains(&name.as_str()) => {
                open_blocks.push(doc.nodes[j].end)
            }
            Data::Text(s, Strand::Text) => out.push_str(s),
            _ => {}
        }
    }
    close_until(usize::MAX, &mut out, &mut open_blocks);
    out
}

/// `re.sub(r"\n\s*\n", "\n\n", text)`: a whitespace run holding two newlines or more becomes
/// one blank line, keeping what follows its last newline.
fn collapse_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(nl) = rest.find('\n') {
        out.push_str(&rest[..nl]);
        let after = &rest[nl + 1..];
        let run = after.len() - after.trim_start_matches(py_space).len();
        match after[..run].rfind('\n') {
            Some(last) => {
                out.push_str("\n\n");
                rest = &after[last + 1..];
            }
            None => {
                out.push('\n');
                out.push_str(&after[..run]);
                rest = &after[run..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `re.sub(r" +", " ", text)`
fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_space = false;
    for c in text.chars() {
        if c == ' ' && prev_space {
            continue;
        }
        prev_space = c == ' ';
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/// Named references, sorted by name: (name, character, accepted without `;`).
const ENTITIES: &[(&str, char, bool)] = &[
    ("AElig", '\u{c6}', true),
    ("AMP", '\u{26}', true),
    ("Aacute", '\u{c1}', true),
    ("Acirc", '\u{c2}', true),
    ("Agrave", '\u{c0}', true),
    ("Alpha", '\u{391}', false),
    ("Aring", '\u{c5}', true),
    ("Atilde", '\u{c3}', true),
    ("Auml", '\u{c4}', true),
    ("Beta", '\u{392}', false),
    ("COPY", '\u{a9}', true),
    ("Ccedil", '\u{c7}', true),
    ("Chi", '\u{3a7}', false),
    ("Dagger", '\u{2021}', false),
    ("Delta", '\u{394}', false),
    ("ETH", '\u{d0}', true),
    ("Eacute", '\u{c9}', true),
    ("Ecirc", '\u{ca}', true),
    ("Egrave", '\u{c8}', true),
    ("Epsilon", '\u{395}', false),
    ("Eta", '\u{397}', false),
    ("Euml", '\u{cb}', true),
    ("GT", '\u{3e}', true),
    ("Gamma", '\u{393}', false),
    ("Iacute", '\u{cd}', true),
    ("Icirc", '\u{ce}', true),
    ("Igrave", '\u{cc}', true),
    ("Iota", '\u{399}', false),
    ("Iuml", '\u{cf}', true),
    ("Kappa", '\u{39a}', false),
    ("LT", '\u{3c}', true),
    ("Lambda", '\u{39b}', false),
    ("Mu", '\u{39c}', false),
    ("Ntilde", '\u{d1}', true),
    ("Nu", '\u{39d}', false),
    ("OElig", '\u{152}', false),
    ("Oacute", '\u{d3}', true),
    ("Ocirc", '\u{d4}', true),
    ("Ograve", '\u{d2}', true),
    ("Omega", '\u{3a9}', false),
    ("Omicron", '\u{39f}', false),
    ("Oslash", '\u{d8}', true),
    ("Otilde", '\u{d5}', true),
    ("Ouml", '\u{d6}', true),
    ("Phi", '\u{3a6}', false),
    ("Pi", '\u{3a0}', false),
    ("Prime", '\u{2033}', false),
    ("Psi", '\u{3a8}', false),
    ("QUOT", '\u{22}', true),
    ("REG", '\u{ae}', true),
    ("Rho", '\u{3a1}', false),
    ("Scaron", '\u{160}', false),
    ("Sigma", '\u{3a3}', false),
    ("THORN", '\u{de}', true),
    ("Tau", '\u{3a4}', false),
    ("Theta", '\u{398}', false),
    ("Uacute", '\u{da}', true),
    ("Ucirc", '\u{db}', true),
    ("Ugrave", '\u{d9}', true),
    ("Upsilon", '\u{3a5}', false),
    ("Uuml", '\u{dc}', true),
    ("Xi", '\u{39e}', false),
    ("Yacute", '\u{dd}', true),
    ("Yuml", '\u{178}', false),
    ("Zeta", '\u{396}', false),
    ("aacute", '\u{e1}', true),
    ("acirc", '\u{e2}', true),
    ("acute", '\u{b4}', true),
    ("aelig", '\u{e6}', true),
    ("agrave", '\u{e0}', true),
    ("alefsym", '\u{2135}', false),
    ("alpha", '\u{3b1}', false),
    ("amp", '\u{26}', true),
    ("and", '\u{2227}', false),
    ("ang", '\u{2220}', false),
    ("apos", '\u{27}', false),
    ("aring", '\u{e5}', true),
    ("asymp", '\u{2248}', false),
    ("atilde", '\u{e3}', true),
    ("auml", '\u{e4}', true),
    ("bdquo", '\u{201e}', false),
    ("beta", '\u{3b2}', false),
    ("brvbar", '\u{a6}', true),
    ("bull", '\u{2022}', false),
    ("cap", '\u{2229}', false),
    ("ccedil", '\u{e7}', true),
    ("cedil", '\u{b8}', true),
    ("cent", '\u{a2}', true),
    ("chi", '\u{3c7}', false),
    ("circ", '\u{2c6}', false),
    ("clubs", '\u{2663}', false),
    ("cong", '\u{2245}', false),
    ("copy", '\u{a9}', true),
    ("crarr", '\u{21b5}', false),
    ("cup", '\u{222a}', false),
    ("curren", '\u{a4}', true),
    ("dArr", '\u{21d3}', false),
    ("dagger", '\u{2020}', false),
    ("darr", '\u{2193}', false),
    ("deg", '\u{b0}', true),
    ("delta", '\u{3b4}', false),
    ("diams", '\u{2666}', false),
    ("divide", '\u{f7}', true),
    ("eacute", '\u{e9}', true),
    ("ecirc", '\u{ea}', true),
    ("egrave", '\u{e8}', true),
    ("empty", '\u{2205}', false),
    ("emsp", '\u{2003}', false),
    ("ensp", '\u{2002}', false),
    ("epsilon", '\u{3b5}', false),
    ("equiv", '\u{2261}', false),
    ("eta", '\u{3b7}', false),
    ("eth", '\u{f0}', true),
    ("euml", '\u{eb}', true),
    ("euro", '\u{20ac}', false),
    ("exist", '\u{2203}', false),
    ("fnof", '\u{192}', false),
    ("forall", '\u{2200}', false),
    ("frac12", '\u{bd}', true),
    ("frac14", '\u{bc}', true),
    ("frac34", '\u{be}', true),
    ("frasl", '\u{2044}', false),
    ("gamma", '\u{3b3}', false),
    ("ge", '\u{2265}', false),
    ("gt", '\u{3e}', true),
    ("hArr", '\u{21d4}', false),
    ("harr", '\u{2194}', false),
    ("hearts", '\u{2665}', false),
    ("hellip", '\u{2026}', false),
    ("iacute", '\u{ed}', true),
    ("icirc", '\u{ee}', true),
    ("iexcl", '\u{a1}', true),
    ("igrave", '\u{ec}', true),
    ("image", '\u{2111}', false),
    ("infin", '\u{221e}', false),
    ("int", '\u{222b}', false),
    ("iota", '\u{3b9}', false),
    ("iquest", '\u{bf}', true),
    ("isin", '\u{2208}', false),
    ("iuml", '\u{ef}', true),
    ("kappa", '\u{3ba}', false),
    ("lArr", '\u{21d0}', false),
    ("lambda", '\u{3bb}', false),
    ("lang", '\u{27e8}', false),
    ("laquo", '\u{ab}', true),
    ("larr", '\u{2190}', false),
    ("lceil", '\u{2308}', false),
    ("ldquo", '\u{201c}', false),
    ("le", '\u{2264}', false),
    ("lfloor", '\u{230a}', false),
    ("lowast", '\u{2217}', false),
    ("loz", '\u{25ca}', false),
    ("lrm", '\u{200e}', false),
    ("lsaquo", '\u{2039}', false),
    ("lsquo", '\u{2018}', false),
    ("lt", '\u{3c}', true),
    ("macr", '\u{af}', true),
    ("mdash", '\u{2014}', false),
    ("micro", '\u{b5}', true),
    ("middot", '\u{b7}', true),
    ("minus", '\u{2212}', false),
    ("mu", '\u{3bc}', false),
    ("nabla", '\u{2207}', false),
    ("nbsp", '\u{a0}', true),
    ("ndash", '\u{2013}', false),
    ("ne", '\u{2260}', false),
    ("ni", '\u{220b}', false),
    ("not", '\u{ac}', true),
    ("notin", '\u{2209}', false),
    ("nsub", '\u{2284}', false),
    ("ntilde", '\u{f1}', true),
    ("nu", '\u{3bd}', false),
    ("oacute", '\u{f3}', true),
    ("ocirc", '\u{f4}', true),
    ("oelig", '\u{153}', false),
    ("ograve", '\u{f2}', true),
    ("oline", '\u{203e}', false),
    ("omega", '\u{3c9}', false),
    ("omicron", '\u{3bf}', false),
    ("oplus", '\u{2295}', false),
    ("or", '\u{2228}', false),
    ("ordf", '\u{aa}', true),
    ("ordm", '\u{ba}', true),
    ("oslash", '\u{f8}', true),
    ("otilde", '\u{f5}', true),
    ("otimes", '\u{2297}', false),
    ("ouml", '\u{f6}', true),
    ("para", '\u{b6}', true),
    ("part", '\u{2202}', false),
    ("permil", '\u{2030}', false),
    ("perp", '\u{22a5}', false),
    ("phi", '\u{3c6}', false),
    ("pi", '\u{3c0}', false),
    ("piv", '\u{3d6}', false),
    ("plusmn", '\u{b1}', true),
    ("pound", '\u{a3}', true),
    ("prime", '\u{2032}', false),
    ("prod", '\u{220f}', false),
    ("prop", '\u{221d}', false),
    ("psi", '\u{3c8}', false),
    ("quot", '\u{22}', true),
    ("rArr", '\u{21d2}', false),
    ("radic", '\u{221a}', false),
    ("rang", '\u{27e9}', false),
    ("raquo", '\u{bb}', true),
    ("rarr", '\u{2192}', false),
    ("rceil", '\u{2309}', false),
    ("rdquo", '\u{201d}', false),
    ("real", '\u{211c}', false),
    ("reg", '\u{ae}', true),
    ("rfloor", '\u{230b}', false),
    ("rho", '\u{3c1}', false),
    ("rlm", '\u{200f}', false),
    ("rsaquo", '\u{203a}', false),
    ("rsquo", '\u{2019}', false),
    ("sbquo", '\u{201a}', false),
    ("scaron", '\u{161}', false),
    ("sdot", '\u{22c5}', false),
    ("sect", '\u{a7}', true),
    ("shy", '\u{ad}', true),
    ("sigma", '\u{3c3}', false),
    ("sigmaf", '\u{3c2}', false),
    ("sim", '\u{223c}', false),
    ("spades", '\u{2660}', false),
    ("sub", '\u{2282}', false),
    ("sube", '\u{2286}', false),
    ("sum", '\u{2211}', false),
    ("sup", '\u{2283}', false),
    ("sup1", '\u{b9}', true),
    ("sup2", '\u{b2}', true),
    ("sup3", '\u{b3}', true),
    ("supe", '\u{2287}', false),
    ("szlig", '\u{df}', true),
    ("tau", '\u{3c4}', false),
    ("there4", '\u{2234}', false),
    ("theta", '\u{3b8}', false),
    ("thetasym", '\u{3d1}', false),
    ("thinsp", '\u{2009}', false),
    ("thorn", '\u{fe}', true),
    ("tilde", '\u{2dc}', false),
    ("times", '\u{d7}', true),
    ("trade", '\u{2122}', false),
    ("uArr", '\u{21d1}', false),
    ("uacute", '\u{fa}', true),
    ("uarr", '\u{2191}', false),
    ("ucirc", '\u{fb}', true),
    ("ugrave", '\u{f9}', true),
    ("uml", '\u{a8}', true),
    ("upsih", '\u{3d2}', false),
    ("upsilon", '\u{3c5}', false),
    ("uuml", '\u{fc}', true),
    ("weierp", '\u{2118}', false),
    ("xi", '\u{3be}', false),
    ("yacute", '\u{fd}', true),
    ("yen", '\u{a5}', true),
    ("yuml", '\u{ff}', true),
    ("zeta", '\u{3b6}', false),
    ("zwj", '\u{200d}', false),
    ("zwnj", '\u{200c}', false),
];

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
