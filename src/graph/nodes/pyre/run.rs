//! The matcher's loop: the program's instructions one by one, and backtracking to the newest
//! choice that can still go another way.

use super::limits::INF;
use super::matcher::{Bt, UNSET, Vm};
use super::program::{Inst, Look};
use super::regex::Regex;

impl Vm<'_> {
    /// Runs the program from `start`; the end of the first accepted match, if any.
    pub(super) fn run(
        &mut self,
        start: usize,
        accept: impl Fn(usize) -> bool,
    ) -> Result<Option<usize>, String> {
        let re: &Regex = self.re;
        let prog = &re.prog;
        let (mut pc, mut pos) = (0usize, start);
        loop {
            self.tick(1)?;
            let ok = match prog[pc] {
                Inst::One(a) => {
                    let hit = self.atom(a, pos);
                    if hit {
                        pos += 1;
                        pc += 1;
                    }
                    hit
                }
                Inst::Rep1 {
                    atom,
                    min,
                    max,
                    greedy,
                } => {
                    let (min, max) = (
                        min as usize,
                        if max == INF { usize::MAX } else { max as usize },
                    );
                    let want = if greedy { max } else { min };
                    let mut k = 0;
                    while k < want && self.atom(atom, pos + k) {
                        k += 1;
                    }
                    self.tick(k as u64)?;
                    if k < min {
                        false
                    } else {
                        let trail = self.trail.len();
                        if greedy && k > min {
                            self.push(Bt::Fewer {
                                pc: pc + 1,
                                start: pos,
                                count: k,
                                min,
                                trail,
                            })?;
                        } else if !greedy && k < max {
                            self.push(Bt::More {
                                pc,
                                start: pos,
                                count: k,
                                trail,
                            })?;
                        }
                        pos += k;
                        pc += 1;
                        true
                    }
                }
                Inst::Assert(a) => {
                    let hit = self.assert(a, pos);
                    pc += 1;
                    hit
                }
                Inst::Save(s) => {
                    self.set_slot(s, pos);
                    pc += 1;
                    true
                }
                Inst::Split(a, b) => {
                    let trail = self.trail.len();
                    self.push(Bt::Alt { pc: b, pos, trail })?;
                    pc = a;
                    true
                }
                Inst::Jmp(a) => {
                    pc = a;
                    true
                }
                Inst::Backref { group, fold } => match self.backref(group, fold, pos) {
                    Some(end) => {
                        self.tick((end - pos) as u64)?;
                        pos = end;
                        pc += 1;
                        true
                    }
                    None => false,
                },
                Inst::RepInit(r) => {
                    self.set_count(r, 0);
                    self.set_last(r, UNSET);
                    pc += 1;
                    true
                }
                Inst::RepLoop {
                    reg,
                    min,
                    max,
                    greedy,
                    exit,
                } => {
                    let k = self.counts[reg];
                    if k < min {
                        self.set_count(reg, k + 1);
                        pc += 1;
                    } else if greedy {
                        if (max == INF || k < max) && pos != self.lasts[reg] {
                            let trail = self.trail.len();
                            self.push(Bt::Alt {
                                pc: exit,
                                pos,
                                trail,
                            })?;
                            self.set_count(reg, k + 1);
                            self.set_last(reg, pos);
                            pc += 1;
                        } else {
                            pc = exit;
                        }
                    } else {
                        let trail = self.trail.len();
                        self.push(Bt::Again { pc, pos, trail })?;
                        pc = exit;
                    }
                    true
                }
                Inst::LookStart { kind, back, cont } => {
                    let behind = matches!(kind, Look::Behind | Look::NotBehind);
                    if behind && pos < back {
                        // Too close to the start: a lookbehind cannot match here.
                        pc = cont;
                        kind == Look::NotBehind
                    } else {
                        let trail = self.trail.len();
                        self.push(Bt::Barrier { pc, pos, trail })?;
                        self.barriers.push(self.stack.len() - 1);
                        if behind {
                            pos -= back;
                        }
                        pc += 1;
                        true
                    }
                }
                Inst::LookEnd => {
                    let b = self.barriers.pop().unwrap_or(0);
                    let Some(Bt::Barrier {
                        pc: lpc,
                        pos: saved,
                        trail,
                    }) = self.stack.get(b).copied()
                    else {
                        return Err("internal error: unbalanced lookaround".into());
                    };
                    self.stack.truncate(b);
                    let Inst::LookStart { kind, cont, .. } = prog[lpc] else {
                        return Err("internal error: unbalanced lookaround".into());
                    };
                    match kind {
                        Look::Ahead | Look::Behind => {
                            pos = saved;
                            pc = cont;
                            true
                        }
                        Look::Atomic => {
                            pc = cont;
                            true
                        }
                        Look::NotAhead | Look::NotBehind => {
                            self.undo(trail);
                            false
                        }
                    }
                }
                Inst::Cond { group, no } => {
                    pc = if self.span(group).is_some() {
                        pc + 1
                    } else {
                        no
                    };
                    true
                }
                Inst::Match => {
                    if accept(pos) {
                        return Ok(Some(pos));
                    }
                    false
                }
            };
            if ok && pc < prog.len() {
                continue;
            }
            // Backtrack to the newest choice that can still go another way.
            loop {
                let Some(bt) = self.stack.pop() else {
                    return Ok(None);
                };
                self.tick(1)?;
                match bt {
                    Bt::Alt {
                        pc: p,
                        pos: q,
                        trail,
                    } => {
                        self.undo(trail);
                        (pc, pos) = (p, q);
                        break;
                    }
                    Bt::Fewer {
                        pc: p,
                        start: s,
                        count,
                        min,
                        trail,
                    } => {
                        self.undo(trail);
                        let k = count - 1;
                        if k > min {
                            self.push(Bt::Fewer {
                                pc: p,
                                start: s,
                                count: k,
                                min,
                                trail,
                            })?;
                        }
                        (pc, pos) = (p, s + k);
                        break;
                    }
                    Bt::More {
                        pc: p,
                        start: s,
                        count,
                        trail,
                    } => {
                        self.undo(trail);
                        let Inst::Rep1 { atom, max, .. } = prog[p] else {
                            continue;
                        };
                        let max = if max == INF { usize::MAX } else { max as usize };
                        if count < max && self.atom(atom, s + count) {
                            let k = count + 1;
                            if k < max {
                                self.push(Bt::More {
                                    pc: p,
                                    start: s,
                                    count: k,
                                    trail,
                                })?;
                            }
                            (pc, pos) = (p + 1, s + k);
                            break;
                        }
                    }
                    Bt::Again {
                        pc: p,
                        pos: q,
                        trail,
                    } => {
                        self.undo(trail);
                        let Inst::RepLoop { reg, max, .. } = prog[p] else {
                            continue;
                        };
                        let k = self.counts[reg];
                        if (max == INF || k < max) && q != self.lasts[reg] {
                            self.set_count(reg, k + 1);
                            self.set_last(reg, q);
                            (pc, pos) = (p + 1, q);
                            break;
                        }
                    }
                    Bt::Barrier {
                        pc: p,
                        pos: q,
                        trail,
                    } => {
                        self.barriers.pop();
                        self.undo(trail);
                        let Inst::LookStart { kind, cont, .. } = prog[p] else {
                            continue;
                        };
                        if matches!(kind, Look::NotAhead | Look::NotBehind) {
                            // The body failed everywhere: the negative assertion holds.
                            (pc, pos) = (cont, q);
                            break;
                        }
                    }
                }
            }
        }
    }
}
