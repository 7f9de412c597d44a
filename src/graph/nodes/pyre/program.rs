//! The compiled program: instructions, what one character position is tested against, and
//! character sets with Python's case-insensitive matching.

use super::chars::{py_decimal, py_isalnum, py_isspace, simple_lower, simple_upper};
use super::syntax::{Cat, Item};

/// What one character position is tested against.
#[derive(Clone, Copy)]
pub(super) enum Atom {
    Ch(char),
    /// Case-insensitive: the character's case fold must equal this one.
    Fold(char),
    FoldAscii(char),
    Any,
    AnyAll,
    Set(usize),
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Look {
    Ahead,
    NotAhead,
    Behind,
    NotBehind,
    Atomic,
}

#[derive(Clone, Copy)]
pub(super) enum Assert {
    Begin,
    BeginLine,
    End,
    EndLine,
    BeginString,
    EndString,
    Boundary(bool),
    NonBoundary(bool),
}

#[derive(Clone, Copy)]
pub(super) enum Inst {
    One(Atom),
    /// A repeated single-character atom, matched without one backtrack entry per character.
    Rep1 {
        atom: Atom,
        min: u32,
        max: u32,
        greedy: bool,
    },
    Assert(Assert),
    Save(usize),
    Split(usize, usize),
    Jmp(usize),
    Backref {
        group: usize,
        fold: u8,
    },
    RepInit(usize),
    /// sre's MAX_UNTIL / MIN_UNTIL: body follows, `exit` after it.
    RepLoop {
        reg: usize,
        min: u32,
        max: u32,
        greedy: bool,
        exit: usize,
    },
    LookStart {
        kind: Look,
        back: usize,
        cont: usize,
    },
    LookEnd,
    Cond {
        group: usize,
        no: usize,
    },
    Match,
}

pub(super) struct SetDef {
    pub(super) items: Vec<Item>,
    pub(super) negate: bool,
    /// 0: exact, 1: Unicode case-insensitive, 2: ASCII case-insensitive.
    pub(super) fold: u8,
    pub(super) ascii: bool,
}

/// Case fold used for IGNORECASE: lower(upper(c)) with simple mappings, which puts
/// K/k/K (Kelvin), S/s/ſ, I/i/ı/İ in one class as Python's case fixes do.
pub(super) fn fold(c: char) -> char {
    simple_lower(simple_upper(c))
}

pub(super) fn has_case(c: char) -> bool {
    simple_lower(c) != c || simple_upper(c) != c || fold(c) != c
}

pub(super) fn cat_test(cat: Cat, c: char, ascii: bool) -> bool {
    match (cat, ascii) {
        (Cat::Digit, true) => c.is_ascii_digit(),
        (Cat::Digit, false) => py_decimal(c).is_some(),
        (Cat::Space, true) => matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}'),
        (Cat::Space, false) => py_isspace(c),
        (Cat::Word, true) => c.is_ascii_alphanumeric() || c == '_',
        (Cat::Word, false) => py_isalnum(c) || c == '_',
    }
}

impl SetDef {
    fn member(&self, c: char) -> bool {
        let u = c as u32;
        self.items.iter().any(|it| match *it {
            Item::Ch(x) => u == x,
            Item::Range(lo, hi) => lo <= u && u <= hi,
            Item::Cat(cat, neg) => cat_test(cat, c, self.ascii) != neg,
        })
    }

    pub(super) fn matches(&self, c: char) -> bool {
        let hit = match self.fold {
            0 => self.member(c),
            2 => {
                self.member(c)
                    || self.member(c.to_ascii_lowercase())
                    || self.member(c.to_ascii_uppercase())
            }
            _ => {
                let (lo, up) = (simple_lower(c), simple_upper(c));
                self.member(c)
                    || self.member(lo)
                    || self.member(up)
                    || self.member(fold(c))
                    || self.member(simple_upper(lo))
            }
        };
        hit != self.negate
    }
}
