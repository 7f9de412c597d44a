//! The parser: Python's tokenizer, sequences, alternatives, repeats and character sets, and the
//! widths `re._parser` computes. Escapes and groups are in their own modules.

use super::flags::VERBOSE;
use super::limits::{INF, MAX_NESTING, MAXREPEAT};
use super::syntax::{At, Item, Node, PErr, Rep, Scope, Tok, err, is_identifier, quoted};

pub(super) struct Parser<'p> {
    pub(super) p: &'p [char],
    pub(super) i: usize,
    pub(super) flags: u32,
    /// Width of each closed group (index 0 stands for the whole pattern); None while open.
    pub(super) widths: Vec<Option<(u64, u64)>>,
    pub(super) names: Vec<(String, usize)>,
    pub(super) lookbehind_groups: Option<usize>,
    pub(super) cond_refs: Vec<(usize, usize)>,
    /// A compile-time error Python raises after parsing succeeds.
    pub(super) late: Option<String>,
    /// Set when `(?flags)` turned on global flags, which must come first.
    pub(super) global_flags_pending: bool,
    /// Set with an error that is this server's limit rather than Python's refusal: Python
    /// compiles the pattern.
    pub(super) server_limit: bool,
}

impl<'p> Parser<'p> {
    pub(super) fn peek(&self) -> Result<Option<Tok>, PErr> {
        match self.p.get(self.i) {
            None => Ok(None),
            Some('\\') => match self.p.get(self.i + 1) {
                Some(&c) => Ok(Some(Tok { c, esc: true })),
                None => err("bad escape (end of pattern)", self.p.len() - 1),
            },
            Some(&c) => Ok(Some(Tok { c, esc: false })),
        }
    }

    /// Moves to `i`. Python's tokenizer reads the next token as it moves, so a lone
    /// trailing backslash is reported as soon as the parser reaches it.
    pub(super) fn seek(&mut self, i: usize) -> Result<(), PErr> {
        self.i = i;
        if i + 1 == self.p.len() && self.p[i] == '\\' {
            return err("bad escape (end of pattern)", i);
        }
        Ok(())
    }

    pub(super) fn get(&mut self) -> Result<Option<Tok>, PErr> {
        let t = self.peek()?;
        if let Some(t) = t {
            self.seek(self.i + t.width())?;
        }
        Ok(t)
    }

    pub(super) fn eat(&mut self, c: char) -> Result<bool, PErr> {
        if self.peek()?.is_some_and(|t| t.is(c)) {
            self.seek(self.i + 1)?;
            return Ok(true);
        }
        Ok(false)
    }

    pub(super) fn groups(&self) -> usize {
        self.widths.len()
    }

    pub(super) fn eff(&self, scope: Scope) -> u32 {
        (self.flags | scope.on) & !scope.off
    }

    /// Up to `n` characters from `set`, raw (escapes are not digits).
    pub(super) fn take_while(
        &mut self,
        n: usize,
        ok: impl Fn(char) -> bool,
    ) -> Result<String, PErr> {
        let mut s = String::new();
        while s.chars().count() < n {
            match self.p.get(self.i) {
                Some(&c) if ok(c) => {
                    s.push(c);
                    self.seek(self.i + 1)?;
                }
                _ => break,
            }
        }
        Ok(s)
    }

    pub(super) fn get_until(&mut self, term: char, name: &str) -> Result<String, PErr> {
        let mut out = String::new();
        loop {
            let Some(t) = self.get()? else {
                if out.is_empty() {
                    return err(format!("missing {name}"), self.i);
                }
                let n = out.chars().count();
                return err(format!("missing {term}, unterminated name"), self.i - n);
            };
            if t.is(term) {
                if out.is_empty() {
                    return err(format!("missing {name}"), self.i - 1);
                }
                return Ok(out);
            }
            out.push_str(&t.text());
        }
    }

    pub(super) fn check_name(&self, name: &str, offset: usize) -> Result<(), PErr> {
        if is_identifier(name) {
            return Ok(());
        }
        let at = self.i.saturating_sub(name.chars().count() + offset);
        err(format!("bad character in group name {}", quoted(name)), at)
    }

    pub(super) fn group_named(&self, name: &str) -> Option<usize> {
        self.names.iter().find(|(n, _)| n == name).map(|(_, g)| *g)
    }

    pub(super) fn closed(&self, g: usize) -> bool {
        self.widths.get(g).is_some_and(Option::is_some)
    }

    pub(super) fn check_lookbehind_group(&self, g: usize) -> Result<(), PErr> {
        if let Some(first) = self.lookbehind_groups {
            if !self.closed(g) {
                return err("cannot refer to an open group", self.i);
            }
            if g >= first {
                return err(
                    "cannot refer to group defined in the same lookbehind subpattern",
                    self.i,
                );
            }
        }
        Ok(())
    }

    pub(super) fn parse_sub(
        &mut self,
        mut verbose: bool,
        nested: usize,
        scope: Scope,
    ) -> Result<Node, PErr> {
        if nested > MAX_NESTING {
            self.server_limit = true;
            return err("too many nested parentheses", self.i);
        }
        let mut items = Vec::new();
        loop {
            let first = nested == 0 && items.is_empty();
            items.push(self.parse_seq(verbose, nested + 1, first, scope)?);
            if !self.eat('|')? {
                break;
            }
            if nested == 0 {
                verbose = self.flags & VERBOSE != 0;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Node::Seq(Vec::new()))
        } else {
            Node::Alt(items)
        })
    }

    pub(super) fn parse_seq(
        &mut self,
        mut verbose: bool,
        nested: usize,
        first: bool,
        scope: Scope,
    ) -> Result<Node, PErr> {
        let mut seq: Vec<Node> = Vec::new();
        while let Some(t) = self.peek()? {
            if t.is('|') || t.is(')') {
                break;
            }
            self.seek(self.i + t.width())?;
            let fl = self.eff(scope);
            if verbose && !t.esc {
                if matches!(t.c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}') {
                    continue;
                }
                if t.c == '#' {
                    while let Some(t) = self.get()? {
                        if t.is('\n') {
                            break;
                        }
                    }
                    continue;
                }
            }
            if t.esc {
                seq.push(self.escape(t.c, fl)?);
                continue;
            }
            match t.c {
                '[' => seq.push(self.parse_set(fl)?),
                '*' | '+' | '?' | '{' => self.parse_repeat(t.c, &mut seq, fl)?,
                '.' => seq.push(Node::Any(fl)),
                '^' => seq.push(Node::At(At::Begin, fl)),
                '$' => seq.push(Node::At(At::End, fl)),
                '(' => {
                    let start = self.i - 1;
                    match self.parse_group(verbose, nested, scope, start)? {
                        Some(n) => seq.push(n),
                        None if self.global_flags_pending => {
                            self.global_flags_pending = false;
                            if !first || !seq.is_empty() {
                                return err(
                                    "global flags not at the start of the expression",
                                    start,
                                );
                            }
                            verbose = self.flags & VERBOSE != 0;
                        }
                        None => {}
                    }
                }
                c => seq.push(Node::Lit(c as u32, fl)),
            }
        }
        // A plain non-capturing group is only a bracket.
        let mut flat = Vec::with_capacity(seq.len());
        for n in seq {
            match n {
                Node::Group(None, inner) => match *inner {
                    Node::Seq(v) => flat.extend(v),
                    other => flat.push(other),
                },
                other => flat.push(other),
            }
        }
        Ok(Node::Seq(flat))
    }

    fn parse_repeat(&mut self, c: char, seq: &mut Vec<Node>, fl: u32) -> Result<(), PErr> {
        let here = self.i;
        let (min, max) = match c {
            '?' => (0, 1),
            '*' => (0, INF),
            '+' => (1, INF),
            _ => {
                if self.peek()?.is_some_and(|t| t.is('}')) {
                    seq.push(Node::Lit('{' as u32, fl));
                    return Ok(());
                }
                let lo = self.take_while(usize::MAX, |c| c.is_ascii_digit())?;
                let hi = if self.eat(',')? {
                    self.take_while(usize::MAX, |c| c.is_ascii_digit())?
                } else {
                    lo.clone()
                };
                if !self.eat('}')? {
                    seq.push(Node::Lit('{' as u32, fl));
                    self.seek(here)?;
                    return Ok(());
                }
                let number = |s: &str| -> Result<u32, PErr> {
                    let v = s.bytes().fold(0u64, |v, d| {
                        v.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                    });
                    if v >= MAXREPEAT {
                        return Err(PErr("the repetition number is too large".into(), None));
                    }
                    Ok(v as u32)
                };
                let min = if lo.is_empty() { 0 } else { number(&lo)? };
                let max = if hi.is_empty() { INF } else { number(&hi)? };
                if max < min {
                    return err("min repeat greater than max repeat", here);
                }
                (min, max)
            }
        };
        let pos = here - 1;
        let Some(last) = seq.pop() else {
            return err("nothing to repeat", pos);
        };
        match last {
            Node::At(..) => return err("nothing to repeat", pos),
            Node::Repeat(..) => return err("multiple repeat", pos),
            _ => {}
        }
        let item = match last {
            Node::Group(None, inner) => inner,
            other => Box::new(other),
        };
        let kind = if self.eat('?')? {
            Rep::Lazy
        } else if self.eat('+')? {
            Rep::Possessive
        } else {
            Rep::Greedy
        };
        seq.push(Node::Repeat(item, min, max, kind));
        Ok(())
    }

    fn parse_set(&mut self, fl: u32) -> Result<Node, PErr> {
        let here = self.i - 1;
        let negate = self.eat('^')?;
        let mut items: Vec<Item> = Vec::new();
        let mut any = false;
        loop {
            let Some(this) = self.get()? else {
                return err("unterminated character set", here);
            };
            if this.is(']') && any {
                break;
            }
            any = true;
            let code1 = if this.esc {
                self.class_escape(this.c)?
            } else {
                Item::Ch(this.c as u32)
            };
            if self.eat('-')? {
                let Some(that) = self.get()? else {
                    return err("unterminated character set", here);
                };
                if that.is(']') {
                    items.push(code1);
                    items.push(Item::Ch('-' as u32));
                    break;
                }
                let code2 = if that.esc {
                    self.class_escape(that.c)?
                } else {
                    Item::Ch(that.c as u32)
                };
                let bad = || {
                    let msg = format!("bad character range {}-{}", this.text(), that.text());
                    let at = self.i.saturating_sub(this.width() + 1 + that.width());
                    err(msg, at)
                };
                match (code1, code2) {
                    (Item::Ch(lo), Item::Ch(hi)) if lo <= hi => items.push(Item::Range(lo, hi)),
                    _ => return bad(),
                }
            } else {
                items.push(code1);
            }
        }
        Ok(Node::Set(items, negate, fl))
    }

    /// Shortest and longest text a node can match (`SubPattern.getwidth`).
    pub(super) fn width(&self, n: &Node) -> (u64, u64) {
        match n {
            Node::Lit(..) | Node::Any(_) | Node::Set(..) => (1, 1),
            Node::At(..) | Node::Look(..) => (0, 0),
            Node::Group(_, n) | Node::Atomic(n) => self.width(n),
            Node::Seq(v) => v.iter().fold((0, 0), |(lo, hi), n| {
                let (a, b) = self.width(n);
                (lo.saturating_add(a), hi.saturating_add(b))
            }),
            Node::Alt(v) => {
                let ws: Vec<_> = v.iter().map(|n| self.width(n)).collect();
                let lo = ws.iter().map(|w| w.0).min().unwrap_or(0);
                let hi = ws.iter().map(|w| w.1).max().unwrap_or(0);
                (lo, hi)
            }
            Node::Repeat(n, min, max, _) => {
                let (a, b) = self.width(n);
                let hi = if *max == INF && b > 0 {
                    u64::MAX
                } else {
                    b.saturating_mul(u64::from(*max))
                };
                (a.saturating_mul(u64::from(*min)), hi)
            }
            Node::Backref(g, _) => self.widths.get(*g).copied().flatten().unwrap_or((0, 0)),
            Node::Cond(_, yes, no) => {
                let (a, b) = self.width(yes);
                match no {
                    Some(no) => {
                        let (c, d) = self.width(no);
                        (a.min(c), b.max(d))
                    }
                    None => (0, b),
                }
            }
        }
    }
}
