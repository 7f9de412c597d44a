//! The compiler: a syntax tree into a program, as `sre_compile` lays it out.

use super::flags::{ASCII, DOTALL, IGNORECASE, MULTILINE};
use super::parser::Parser;
use super::program::{Assert, Atom, Inst, Look, SetDef, fold, has_case};
use super::syntax::{At, Node, Rep};

pub(super) struct Compiler {
    pub(super) prog: Vec<Inst>,
    pub(super) sets: Vec<SetDef>,
    pub(super) regs: usize,
    pub(super) widths: Vec<Option<(u64, u64)>>,
}

impl Compiler {
    pub(super) fn emit(&mut self, i: Inst) -> usize {
        self.prog.push(i);
        self.prog.len() - 1
    }

    fn atom(&mut self, n: &Node) -> Option<Atom> {
        Some(match n {
            Node::Lit(u, fl) => match char::from_u32(*u) {
                None => Atom::Never,
                Some(c) if fl & IGNORECASE != 0 && fl & ASCII != 0 && c.is_ascii_alphabetic() => {
                    Atom::FoldAscii(c.to_ascii_lowercase())
                }
                Some(c) if fl & IGNORECASE != 0 && fl & ASCII == 0 && has_case(c) => {
                    Atom::Fold(fold(c))
                }
                Some(c) => Atom::Ch(c),
            },
            Node::Any(fl) if fl & DOTALL != 0 => Atom::AnyAll,
            Node::Any(_) => Atom::Any,
            Node::Set(items, negate, fl) => {
                let ascii = fl & ASCII != 0;
                let fold = match (fl & IGNORECASE != 0, ascii) {
                    (false, _) => 0,
                    (true, false) => 1,
                    (true, true) => 2,
                };
                self.sets.push(SetDef {
                    items: items.clone(),
                    negate: *negate,
                    fold,
                    ascii,
                });
                Atom::Set(self.sets.len() - 1)
            }
            _ => return None,
        })
    }

    pub(super) fn node(&mut self, n: &Node) {
        if let Some(a) = self.atom(n) {
            self.emit(Inst::One(a));
            return;
        }
        match n {
            Node::At(at, fl) => {
                let (multi, ascii) = (fl & MULTILINE != 0, fl & ASCII != 0);
                let a = match at {
                    At::Begin if multi => Assert::BeginLine,
                    At::Begin => Assert::Begin,
                    At::End if multi => Assert::EndLine,
                    At::End => Assert::End,
                    At::BeginString => Assert::BeginString,
                    At::EndString => Assert::EndString,
                    At::Boundary => Assert::Boundary(ascii),
                    At::NonBoundary => Assert::NonBoundary(ascii),
                };
                self.emit(Inst::Assert(a));
            }
            Node::Group(Some(g), body) => {
                self.emit(Inst::Save(2 * g));
                self.node(body);
                self.emit(Inst::Save(2 * g + 1));
            }
            Node::Group(None, body) => self.node(body),
            Node::Seq(v) => v.iter().for_each(|n| self.node(n)),
            Node::Alt(v) => {
                let mut jumps = Vec::new();
                for (i, branch) in v.iter().enumerate() {
                    if i + 1 == v.len() {
                        self.node(branch);
                    } else {
                        let split = self.emit(Inst::Split(0, 0));
                        self.node(branch);
                        jumps.push(self.emit(Inst::Jmp(0)));
                        self.prog[split] = Inst::Split(split + 1, self.prog.len());
                    }
                }
                let end = self.prog.len();
                for j in jumps {
                    self.prog[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat(body, min, max, kind) => self.repeat(body, *min, *max, *kind),
            Node::Backref(g, fl) => {
                let fold = match (fl & IGNORECASE != 0, fl & ASCII != 0) {
                    (false, _) => 0,
                    (true, false) => 1,
                    (true, true) => 2,
                };
                self.emit(Inst::Backref { group: *g, fold });
            }
            Node::Look(behind, negate, body) => {
                let kind = match (behind, negate) {
                    (false, false) => Look::Ahead,
                    (false, true) => Look::NotAhead,
                    (true, false) => Look::Behind,
                    (true, true) => Look::NotBehind,
                };
                let back = if *behind { self.width(body) } else { 0 };
                self.look(kind, back, body);
            }
            Node::Atomic(body) => self.look(Look::Atomic, 0, body),
            Node::Cond(g, yes, no) => {
                let c = self.emit(Inst::Cond { group: *g, no: 0 });
                self.node(yes);
                let j = self.emit(Inst::Jmp(0));
                self.prog[c] = Inst::Cond {
                    group: *g,
                    no: self.prog.len(),
                };
                if let Some(no) = no {
                    self.node(no);
                }
                self.prog[j] = Inst::Jmp(self.prog.len());
            }
            Node::Lit(..) | Node::Any(_) | Node::Set(..) => {}
        }
    }

    /// A lookbehind's fixed width (the parser has refused variable ones).
    fn width(&self, n: &Node) -> usize {
        let p = Parser {
            p: &[],
            i: 0,
            flags: 0,
            widths: self.widths.clone(),
            names: Vec::new(),
            lookbehind_groups: None,
            cond_refs: Vec::new(),
            late: None,
            global_flags_pending: false,
            server_limit: false,
        };
        usize::try_from(p.width(n).0).unwrap_or(usize::MAX)
    }

    fn look(&mut self, kind: Look, back: usize, body: &Node) {
        let start = self.emit(Inst::LookStart {
            kind,
            back,
            cont: 0,
        });
        self.node(body);
        self.emit(Inst::LookEnd);
        self.prog[start] = Inst::LookStart {
            kind,
            back,
            cont: self.prog.len(),
        };
    }

    fn repeat(&mut self, body: &Node, min: u32, max: u32, kind: Rep) {
        if kind == Rep::Possessive {
            // `x*+` is `(?>x*)`.
            let start = self.emit(Inst::LookStart {
                kind: Look::Atomic,
                back: 0,
                cont: 0,
            });
            self.repeat(body, min, max, Rep::Greedy);
            self.emit(Inst::LookEnd);
            self.prog[start] = Inst::LookStart {
                kind: Look::Atomic,
                back: 0,
                cont: self.prog.len(),
            };
            return;
        }
        let greedy = kind == Rep::Greedy;
        if let Some(atom) = self.atom(body) {
            self.emit(Inst::Rep1 {
                atom,
                min,
                max,
                greedy,
            });
            return;
        }
        let reg = self.regs;
        self.regs += 1;
        self.emit(Inst::RepInit(reg));
        let at = self.emit(Inst::RepLoop {
            reg,
            min,
            max,
            greedy,
            exit: 0,
        });
        self.node(body);
        self.emit(Inst::Jmp(at));
        let exit = self.prog.len();
        self.prog[at] = Inst::RepLoop {
            reg,
            min,
            max,
            greedy,
            exit,
        };
    }
}
