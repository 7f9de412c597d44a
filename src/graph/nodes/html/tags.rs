//! The tokenizer's constructs that start with `<`: start tags and their attributes, end tags,
//! comments, declarations, marked sections, and the raw text of `script` and `style`.

use super::entities::unescape;
use super::pytext::{py_space, py_strip, py_text_repr};
use super::tokenizer::Parser;
use super::tree::Strand;

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

/// The message BeautifulSoup gives when Python's parser rejects the markup.
fn rejected(reason: String) -> String {
    format!(
        "The markup you provided was rejected by the parser. Trying a different parser or a \
         different encoding may help.\n\nOriginal exception(s) from parser:\n AssertionError: \
         {reason}"
    )
}

impl Parser<'_> {
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

    pub(super) fn start_tag(&mut self, i: usize) -> Option<usize> {
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

    pub(super) fn end_tag(&mut self, i: usize) -> Option<usize> {
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
    pub(super) fn comment(&mut self, i: usize) -> Option<usize> {
        let (k, end) = self.search("--\\s*>", i + 4, "--", |s, k| {
            let gt = skip_spaces(s, k + 2);
            (s.as_bytes().get(gt) == Some(&b'>')).then_some(gt + 1)
        })?;
        self.tree.marked(&self.s[i + 4..k], Strand::Markup);
        Some(end)
    }

    /// `<?...>` and bogus comments: everything after the two opening characters up to `>`.
    pub(super) fn until_gt(&mut self, i: usize, kind: Strand) -> Option<usize> {
        let gt = self.find(i + 2, ">")?;
        self.tree.marked(&self.s[i + 2..gt], kind);
        Some(gt + 1)
    }

    pub(super) fn declaration(&mut self, i: usize) -> Option<usize> {
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
    pub(super) fn raw_text_end(&mut self, from: usize, name: &'static str) -> Option<usize> {
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
