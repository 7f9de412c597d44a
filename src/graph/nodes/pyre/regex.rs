//! A compiled pattern: compiling it, and searching with it as `re.search`, `re.match`,
//! `re.fullmatch` and `re.finditer` do.

use super::compiler::Compiler;
use super::flags::{ASCII, UNICODE, VERBOSE};
use super::limits::Budget;
use super::parser::Parser;
use super::program::{Atom, Inst, SetDef};
use super::syntax::{Node, PErr, Scope, err, render};

/// A compiled pattern.
pub struct Regex {
    pub(super) prog: Vec<Inst>,
    pub(super) sets: Vec<SetDef>,
    /// Number of capturing groups.
    pub groups: usize,
    pub(super) names: Vec<(String, usize)>,
    pub(super) regs: usize,
    /// A literal every match starts with, to skip hopeless start positions.
    pub(super) first: Option<char>,
}

/// How a search is anchored: `re.search`, `re.match`, `re.fullmatch`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Search,
    Match,
    Full,
}

/// Spans of group 0 (the match) and each group; None where a group did not take part.
pub type Captures = Vec<Option<(usize, usize)>>;

impl Regex {
    /// Compiles a Python pattern; errors read as Python's `re.error` messages.
    pub fn new(pattern: &str, flags: u32) -> Result<Regex, String> {
        Self::build(pattern, flags).map_err(|(msg, _)| msg)
    }

    /// `re.compile(pattern)` for callers that act on Python's refusal: `Ok(None)` where Python
    /// raises `re.error`, an error where Python compiles the pattern and this server cannot
    /// (character names, more groups or nesting than its limits).
    pub fn compile(pattern: &str) -> Result<Option<Regex>, String> {
        match Self::build(pattern, 0) {
            Ok(re) => Ok(Some(re)),
            Err((msg, true)) => Err(msg),
            Err((_, false)) => Ok(None),
        }
    }

    /// The compiled pattern, or the error and whether it is this server's limit.
    fn build(pattern: &str, flags: u32) -> Result<Regex, (String, bool)> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut p = Parser {
            p: &chars,
            i: 0,
            flags,
            widths: vec![None],
            names: Vec::new(),
            lookbehind_groups: None,
            cond_refs: Vec::new(),
            late: None,
            global_flags_pending: false,
            server_limit: false,
        };
        let tree = p
            .seek(0)
            .and_then(|()| Self::parse(&mut p))
            .map_err(|e| (render(&chars, e), p.server_limit))?;
        if let Some(msg) = p.late.take() {
            return Err((msg, false));
        }
        let mut c = Compiler {
            prog: Vec::new(),
            sets: Vec::new(),
            regs: 0,
            widths: p.widths.clone(),
        };
        c.node(&tree);
        c.emit(Inst::Match);
        let first = match c.prog.first() {
            Some(Inst::One(Atom::Ch(ch))) => Some(*ch),
            _ => None,
        };
        Ok(Regex {
            prog: c.prog,
            sets: c.sets,
            groups: p.groups() - 1,
            names: p.names,
            regs: c.regs,
            first,
        })
    }

    fn parse(p: &mut Parser) -> Result<Node, PErr> {
        let verbose = p.flags & VERBOSE != 0;
        let tree = p.parse_sub(verbose, 0, Scope::default())?;
        if p.flags & ASCII != 0 && p.flags & UNICODE != 0 {
            return Err(PErr(
                "ASCII and UNICODE flags are incompatible".into(),
                None,
            ));
        }
        if p.peek()?.is_some() {
            return err("unbalanced parenthesis", p.i);
        }
        for &(g, at) in &p.cond_refs {
            if g >= p.groups() {
                return err(format!("invalid group reference {g}"), at);
            }
        }
        Ok(tree)
    }

    /// One search from `pos` (sre's `search`/`match`/`fullmatch`). `must_advance` refuses
    /// an empty match at `pos` itself, which is how Python steps past an empty match.
    pub fn exec(
        &self,
        text: &[char],
        pos: usize,
        must_advance: bool,
        mode: Mode,
        budget: &mut Budget,
    ) -> Result<Option<Captures>, String> {
        self.vm(text, budget).search(pos, must_advance, mode)
    }

    /// Whether `text` matches as `re.search`, `re.match` or `re.fullmatch` finds it, the work
    /// charged to `budget`.
    pub fn is_match(&self, text: &str, mode: Mode, budget: &mut Budget) -> Result<bool, String> {
        let chars: Vec<char> = text.chars().collect();
        Ok(self.exec(&chars, 0, false, mode, budget)?.is_some())
    }

    /// Every match left to right as `re.finditer` finds them; `f` returns whether to go on.
    pub fn for_each(
        &self,
        text: &[char],
        budget: &mut Budget,
        mut f: impl FnMut(&Captures) -> Result<bool, String>,
    ) -> Result<(), String> {
        let (mut pos, mut must_advance) = (0, false);
        let mut vm = self.vm(text, budget);
        while pos <= text.len() {
            let Some(m) = vm.search(pos, must_advance, Mode::Search)? else {
                break;
            };
            let (s, e) = m[0].unwrap_or((pos, pos));
            if !f(&m)? {
                break;
            }
            must_advance = s == e;
            pos = e;
        }
        Ok(())
    }
}
