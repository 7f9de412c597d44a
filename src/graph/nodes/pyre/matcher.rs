//! The matcher's state: capture slots, repeat registers, the trail that undoes them, the
//! backtrack stack; and one search over start positions. Its loop is in `run`.

use super::limits::{Budget, MAX_STACK, too_complex};
use super::program::{Assert, Atom, cat_test, fold};
use super::regex::{Captures, Mode, Regex};
use super::syntax::Cat;

pub(super) const UNSET: usize = usize::MAX;

#[derive(Clone, Copy)]
pub(super) enum Undo {
    Slot(usize, usize),
    Count(usize, u32),
    Last(usize, usize),
}

/// A point to come back to when what follows fails.
#[derive(Clone, Copy)]
pub(super) enum Bt {
    Alt {
        pc: usize,
        pos: usize,
        trail: usize,
    },
    /// A greedy single-character repeat giving back one character.
    Fewer {
        pc: usize,
        start: usize,
        count: usize,
        min: usize,
        trail: usize,
    },
    /// A lazy single-character repeat taking one more (`pc` is the repeat).
    More {
        pc: usize,
        start: usize,
        count: usize,
        trail: usize,
    },
    /// A lazy loop trying one more iteration (`pc` is the loop).
    Again {
        pc: usize,
        pos: usize,
        trail: usize,
    },
    /// The start of a lookaround or atomic group (`pc` is its LookStart).
    Barrier {
        pc: usize,
        pos: usize,
        trail: usize,
    },
}

pub(super) struct Vm<'a> {
    pub(super) re: &'a Regex,
    text: &'a [char],
    slots: Vec<usize>,
    pub(super) counts: Vec<u32>,
    pub(super) lasts: Vec<usize>,
    pub(super) trail: Vec<Undo>,
    pub(super) stack: Vec<Bt>,
    pub(super) barriers: Vec<usize>,
    budget: &'a mut Budget,
}

impl Regex {
    pub(super) fn vm<'a>(&'a self, text: &'a [char], budget: &'a mut Budget) -> Vm<'a> {
        Vm {
            re: self,
            text,
            slots: vec![UNSET; 2 * (self.groups + 1)],
            counts: vec![0; self.regs],
            lasts: vec![UNSET; self.regs],
            trail: Vec::new(),
            stack: Vec::new(),
            barriers: Vec::new(),
            budget,
        }
    }
}

impl Vm<'_> {
    pub(super) fn search(
        &mut self,
        pos: usize,
        must_advance: bool,
        mode: Mode,
    ) -> Result<Option<Captures>, String> {
        let (re, text) = (self.re, self.text);
        let last = if mode == Mode::Search {
            text.len()
        } else {
            pos.min(text.len())
        };
        for start in pos..=last {
            if let Some(c) = re.first
                && text.get(start) != Some(&c)
            {
                continue;
            }
            self.reset();
            let full = mode == Mode::Full;
            let accept = |e: usize| {
                !(must_advance && start == pos && e == start) && (!full || e == text.len())
            };
            if let Some(end) = self.run(start, accept)? {
                let mut caps = vec![Some((start, end))];
                for g in 1..=re.groups {
                    caps.push(self.span(g));
                }
                return Ok(Some(caps));
            }
        }
        Ok(None)
    }

    /// Back to the initial state: every change since is on the trail, so this costs what
    /// the failed attempt did, not the number of groups.
    fn reset(&mut self) {
        self.undo(0);
        self.stack.clear();
        self.barriers.clear();
    }

    pub(super) fn tick(&mut self, n: u64) -> Result<(), String> {
        self.budget.0 = self.budget.0.checked_sub(n).ok_or_else(too_complex)?;
        Ok(())
    }

    pub(super) fn push(&mut self, b: Bt) -> Result<(), String> {
        if self.stack.len() >= MAX_STACK || self.trail.len() >= 2 * MAX_STACK {
            return Err(too_complex());
        }
        self.stack.push(b);
        Ok(())
    }

    pub(super) fn set_slot(&mut self, s: usize, v: usize) {
        if let Some(old) = self.slots.get(s).copied() {
            self.trail.push(Undo::Slot(s, old));
            self.slots[s] = v;
        }
    }

    pub(super) fn set_count(&mut self, r: usize, v: u32) {
        self.trail.push(Undo::Count(r, self.counts[r]));
        self.counts[r] = v;
    }

    pub(super) fn set_last(&mut self, r: usize, v: usize) {
        self.trail.push(Undo::Last(r, self.lasts[r]));
        self.lasts[r] = v;
    }

    pub(super) fn undo(&mut self, to: usize) {
        while self.trail.len() > to {
            match self.trail.pop() {
                Some(Undo::Slot(s, v)) => self.slots[s] = v,
                Some(Undo::Count(r, v)) => self.counts[r] = v,
                Some(Undo::Last(r, v)) => self.lasts[r] = v,
                None => break,
            }
        }
    }

    /// A group's span if it took part (both ends set, in order), as sre reads its marks.
    pub(super) fn span(&self, g: usize) -> Option<(usize, usize)> {
        let (s, e) = (*self.slots.get(2 * g)?, *self.slots.get(2 * g + 1)?);
        (s != UNSET && e != UNSET && e >= s).then_some((s, e))
    }

    pub(super) fn atom(&self, a: Atom, pos: usize) -> bool {
        let Some(&c) = self.text.get(pos) else {
            return false;
        };
        match a {
            Atom::Ch(x) => c == x,
            Atom::Fold(x) => fold(c) == x,
            Atom::FoldAscii(x) => c.to_ascii_lowercase() == x,
            Atom::Any => c != '\n',
            Atom::AnyAll => true,
            Atom::Set(i) => self.re.sets[i].matches(c),
            Atom::Never => false,
        }
    }

    fn word_at(&self, pos: usize, ascii: bool) -> bool {
        self.text
            .get(pos)
            .is_some_and(|&c| cat_test(Cat::Word, c, ascii))
    }

    pub(super) fn assert(&self, a: Assert, pos: usize) -> bool {
        let n = self.text.len();
        let before = |p: usize| {
            p > 0
                && self.word_at(
                    p - 1,
                    matches!(a, Assert::Boundary(true) | Assert::NonBoundary(true)),
                )
        };
        match a {
            Assert::Begin | Assert::BeginString => pos == 0,
            Assert::BeginLine => pos == 0 || self.text.get(pos - 1) == Some(&'\n'),
            Assert::End => pos == n || (pos + 1 == n && self.text[pos] == '\n'),
            Assert::EndLine => pos == n || self.text.get(pos) == Some(&'\n'),
            Assert::EndString => pos == n,
            // sre: no boundary, and no non-boundary either, in an empty string.
            Assert::Boundary(ascii) => n > 0 && before(pos) != self.word_at(pos, ascii),
            Assert::NonBoundary(ascii) => n > 0 && before(pos) == self.word_at(pos, ascii),
        }
    }

    pub(super) fn backref(&self, g: usize, fold_kind: u8, pos: usize) -> Option<usize> {
        let (s, e) = self.span(g)?;
        let len = e - s;
        let here = self.text.get(pos..pos + len)?;
        let same = self.text[s..e]
            .iter()
            .zip(here)
            .all(|(&a, &b)| match fold_kind {
                0 => a == b,
                2 => a.eq_ignore_ascii_case(&b),
                _ => a == b || fold(a) == fold(b),
            });
        same.then_some(pos + len)
    }
}
