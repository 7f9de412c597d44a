//! The tokenizer: Python's `html.parser` as BeautifulSoup drives it, its passes over the page,
//! and character and entity references in text. Tags, comments and declarations are in `tags`.

use super::entities::{code_point, entity, text_char_ref};
use super::tree::{Builder, Doc, Strand};

/// The parser's position, the tree it feeds, and how much scanning it has done: broken
/// markup can make Python's parser rescan the same text, and the budget keeps that linear.
pub(super) struct Parser<'a> {
    pub(super) s: &'a str,
    i: usize,
    /// Inside `script` or `style`, whose text runs raw up to the matching end tag.
    pub(super) raw: Option<&'static str>,
    pub(super) tree: Builder,
    work: usize,
    budget: usize,
    /// The last search for each pattern: (pattern, from, (start, end) of the match).
    found: Vec<Remembered>,
    pub(super) error: Option<String>,
}

/// A search's last answer: pattern, where it started, and the (start, end) of its match.
type Remembered = (&'static str, usize, Option<(usize, usize)>);

/// Why one pass over the text stopped before its end.
enum Stop {
    Done,
    Stuck,
}

/// Parses HTML as `BeautifulSoup(html, "html.parser")` does.
pub(super) fn parse(html: &str) -> Result<Doc, String> {
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
    pub(super) fn charge(&mut self, n: usize) -> bool {
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
    pub(super) fn search(
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
    pub(super) fn find(&mut self, from: usize, pat: &'static str) -> Option<usize> {
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
}
