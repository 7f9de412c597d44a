//! The syntax tree a pattern parses into, parse errors as `re.error` renders them, and the
//! tokens and flag scopes the parser works with.

use serde_json::Value;

use super::flags::{ASCII, UNICODE};
use crate::graph::value::py_repr;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Cat {
    Digit,
    Space,
    Word,
}

#[derive(Clone, Copy)]
pub(super) enum Item {
    /// One code point (kept as a number: `\ud800` is valid Python and matches nothing here).
    Ch(u32),
    Range(u32, u32),
    Cat(Cat, bool),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum At {
    Begin,
    End,
    BeginString,
    EndString,
    Boundary,
    NonBoundary,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Rep {
    Greedy,
    Lazy,
    Possessive,
}

/// Flags are resolved into the nodes they affect (`u32` fields), since scoped flags
/// (`(?i:...)`) give different parts of one pattern different flags.
pub(super) enum Node {
    Lit(u32, u32),
    Any(u32),
    Set(Vec<Item>, bool, u32),
    At(At, u32),
    Group(Option<usize>, Box<Node>),
    Seq(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, u32, Rep),
    Backref(usize, u32),
    Look(bool, bool, Box<Node>),
    Atomic(Box<Node>),
    Cond(usize, Box<Node>, Option<Box<Node>>),
}

/// A parse error: message and code-point position, rendered as `re.error` renders.
pub(super) struct PErr(pub(super) String, pub(super) Option<usize>);

pub(super) fn err<T>(msg: impl Into<String>, pos: usize) -> Result<T, PErr> {
    Err(PErr(msg.into(), Some(pos)))
}

pub(super) fn render(pattern: &[char], e: PErr) -> String {
    let PErr(msg, pos) = e;
    let Some(pos) = pos else { return msg };
    let mut s = format!("{msg} at position {pos}");
    if pattern.contains(&'\n') {
        let before = &pattern[..pos.min(pattern.len())];
        let line = before.iter().filter(|c| **c == '\n').count() + 1;
        let col = match before.iter().rposition(|c| *c == '\n') {
            Some(nl) => pos - nl,
            None => pos + 1,
        };
        s.push_str(&format!(" (line {line}, column {col})"));
    }
    s
}

pub(super) fn quoted(name: &str) -> String {
    py_repr(&Value::String(name.to_string()))
}

pub(super) fn is_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && cs.all(|c| {
            c == '_' || c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
        })
}

/// A token as Python's tokenizer sees it: a character, or a backslash and the next one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Tok {
    pub(super) c: char,
    pub(super) esc: bool,
}

impl Tok {
    pub(super) fn width(self) -> usize {
        if self.esc { 2 } else { 1 }
    }
    pub(super) fn text(self) -> String {
        if self.esc {
            format!("\\{}", self.c)
        } else {
            self.c.to_string()
        }
    }
    pub(super) fn is(self, c: char) -> bool {
        !self.esc && self.c == c
    }
}

/// Scoped flag changes: on and off masks applied over the global flags.
#[derive(Clone, Copy, Default)]
pub(super) struct Scope {
    pub(super) on: u32,
    pub(super) off: u32,
}

impl Scope {
    pub(super) fn with(self, add: u32, del: u32) -> Scope {
        // Turning on a type flag (`a`, `u`) replaces the other, as `_combine_flags` does.
        let del = if add & UNICODE != 0 { del | ASCII } else { del };
        Scope {
            on: (self.on & !del) | add,
            off: (self.off & !add) | del,
        }
    }
}
