//! Groups: capturing and named groups, comments, look-arounds, conditionals, atomic groups and
//! inline flags.

use super::chars::py_int;
use super::flags::{TEMPLATE, TYPE_FLAGS, VERBOSE, flag_of};
use super::limits::MAX_GROUPS;
use super::parser::Parser;
use super::syntax::{Node, PErr, Scope, Tok, err, is_identifier, quoted};

impl Parser<'_> {
    fn open_group(&mut self, name: Option<String>) -> Result<usize, PErr> {
        let gid = self.groups();
        if gid > MAX_GROUPS {
            self.server_limit = true;
            return Err(PErr(
                format!("too many groups (more than {MAX_GROUPS})"),
                None,
            ));
        }
        if let Some(name) = name {
            if let Some(old) = self.group_named(&name) {
                let msg = format!(
                    "redefinition of group name {} as group {gid}; was group {old}",
                    quoted(&name)
                );
                return err(msg, self.i - (name.chars().count() + 1));
            }
            self.names.push((name, gid));
        }
        self.widths.push(None);
        Ok(gid)
    }

    /// After `(`. None for a comment or for global flags (then `global_flags_pending`).
    pub(super) fn parse_group(
        &mut self,
        verbose: bool,
        nested: usize,
        scope: Scope,
        start: usize,
    ) -> Result<Option<Node>, PErr> {
        let mut name = None;
        let mut capture = true;
        let mut atomic = false;
        let mut inner = scope;
        if self.eat('?')? {
            let Some(t) = self.get()? else {
                return err("unexpected end of pattern", self.i);
            };
            let fl = self.eff(scope);
            match (t.esc, t.c) {
                (false, 'P') => {
                    if self.eat('<')? {
                        let n = self.get_until('>', "group name")?;
                        self.check_name(&n, 1)?;
                        name = Some(n);
                    } else if self.eat('=')? {
                        let n = self.get_until(')', "group name")?;
                        self.check_name(&n, 1)?;
                        let at = self.i - (n.chars().count() + 1);
                        let Some(gid) = self.group_named(&n) else {
                            return err(format!("unknown group name {}", quoted(&n)), at);
                        };
                        if !self.closed(gid) {
                            return err("cannot refer to an open group", at);
                        }
                        self.check_lookbehind_group(gid)?;
                        return Ok(Some(Node::Backref(gid, fl)));
                    } else {
                        let Some(t2) = self.get()? else {
                            return err("unexpected end of pattern", self.i);
                        };
                        return err(
                            format!("unknown extension ?P{}", t2.text()),
                            self.i - (t2.width() + 2),
                        );
                    }
                }
                (false, ':') => capture = false,
                (false, '#') => {
                    loop {
                        match self.get()? {
                            None => return err("missing ), unterminated comment", start),
                            Some(t) if t.is(')') => break,
                            Some(_) => {}
                        }
                    }
                    return Ok(None);
                }
                (false, '=' | '!' | '<') => {
                    return self
                        .parse_look(t.c, verbose, nested, scope, start)
                        .map(Some);
                }
                (false, '(') => {
                    return self.parse_cond(verbose, nested, scope, start).map(Some);
                }
                (false, '>') => {
                    capture = false;
                    atomic = true;
                }
                (false, c) if flag_of(c).is_some() || c == '-' => match self.parse_flags(c)? {
                    None => {
                        self.global_flags_pending = true;
                        return Ok(None);
                    }
                    Some((add, del)) => {
                        capture = false;
                        inner = scope.with(add, del);
                    }
                },
                _ => {
                    return err(
                        format!("unknown extension ?{}", t.text()),
                        self.i - (t.width() + 1),
                    );
                }
            }
        }
        let gid = if capture {
            Some(self.open_group(name)?)
        } else {
            None
        };
        let sub_verbose = (verbose || inner.on & VERBOSE != 0) && inner.off & VERBOSE == 0;
        let body = self.parse_sub(sub_verbose, nested + 1, inner)?;
        if !self.eat(')')? {
            return err("missing ), unterminated subpattern", start);
        }
        if let Some(g) = gid {
            self.widths[g] = Some(self.width(&body));
        }
        Ok(Some(if atomic {
            Node::Atomic(Box::new(body))
        } else {
            Node::Group(gid, Box::new(body))
        }))
    }

    fn parse_look(
        &mut self,
        c: char,
        verbose: bool,
        nested: usize,
        scope: Scope,
        start: usize,
    ) -> Result<Node, PErr> {
        let (behind, negate) = match c {
            '=' => (false, false),
            '!' => (false, true),
            _ => {
                let Some(t) = self.get()? else {
                    return err("unexpected end of pattern", self.i);
                };
                match (t.esc, t.c) {
                    (false, '=') => (true, false),
                    (false, '!') => (true, true),
                    _ => {
                        return err(
                            format!("unknown extension ?<{}", t.text()),
                            self.i - (t.width() + 2),
                        );
                    }
                }
            }
        };
        let outermost = behind && self.lookbehind_groups.is_none();
        if outermost {
            self.lookbehind_groups = Some(self.groups());
        }
        let body = self.parse_sub(verbose, nested + 1, scope)?;
        if outermost {
            self.lookbehind_groups = None;
        }
        if !self.eat(')')? {
            return err("missing ), unterminated subpattern", start);
        }
        if behind {
            let (lo, hi) = self.width(&body);
            if lo != hi && self.late.is_none() {
                self.late = Some("look-behind requires fixed-width pattern".into());
            }
        }
        Ok(Node::Look(behind, negate, Box::new(body)))
    }

    fn parse_cond(
        &mut self,
        verbose: bool,
        nested: usize,
        scope: Scope,
        start: usize,
    ) -> Result<Node, PErr> {
        let name = self.get_until(')', "group name")?;
        let at = self.i - (name.chars().count() + 1);
        let gid = if is_identifier(&name) {
            match self.group_named(&name) {
                Some(g) => g,
                None => return err(format!("unknown group name {}", quoted(&name)), at),
            }
        } else {
            let g = match py_int(&name) {
                Some(g) if g >= 0 => g,
                _ => return err(format!("bad character in group name {}", quoted(&name)), at),
            };
            if g == 0 {
                return err("bad group number", at);
            }
            if g > MAX_GROUPS as i128 {
                return err(format!("invalid group reference {g}"), at);
            }
            let g = g as usize;
            if !self.cond_refs.iter().any(|(r, _)| *r == g) {
                self.cond_refs.push((g, at));
            }
            g
        };
        self.check_lookbehind_group(gid)?;
        let yes = self.parse_seq(verbose, nested + 1, false, scope)?;
        let no = if self.eat('|')? {
            let no = self.parse_seq(verbose, nested + 1, false, scope)?;
            if self.peek()?.is_some_and(|t| t.is('|')) {
                return err("conditional backref with more than two branches", self.i);
            }
            Some(Box::new(no))
        } else {
            None
        };
        if !self.eat(')')? {
            return err("missing ), unterminated subpattern", start);
        }
        Ok(Node::Cond(gid, Box::new(yes), no))
    }

    /// Inline flags after `(?`: None for global ones `(?i)`, else the scoped changes.
    fn parse_flags(&mut self, first: char) -> Result<Option<(u32, u32)>, PErr> {
        let (mut add, mut del) = (0, 0);
        let mut c = Tok {
            c: first,
            esc: false,
        };
        if first != '-' {
            loop {
                let flag = flag_of(c.c).unwrap_or(0);
                if c.c == 'L' {
                    return err(
                        "bad inline flags: cannot use 'L' flag with a str pattern",
                        self.i,
                    );
                }
                add |= flag;
                if flag & TYPE_FLAGS != 0 && add & TYPE_FLAGS != flag {
                    return err(
                        "bad inline flags: flags 'a', 'u' and 'L' are incompatible",
                        self.i,
                    );
                }
                c = match self.get()? {
                    Some(t) => t,
                    None => return err("missing -, : or )", self.i),
                };
                if !c.esc && matches!(c.c, ')' | '-' | ':') {
                    break;
                }
                if c.esc || flag_of(c.c).is_none() {
                    let msg = if !c.esc && c.c.is_alphabetic() {
                        "unknown flag"
                    } else {
                        "missing -, : or )"
                    };
                    return err(msg, self.i - c.width());
                }
            }
        }
        if c.is(')') {
            self.flags |= add;
            return Ok(None);
        }
        if add & TEMPLATE != 0 {
            return err("bad inline flags: cannot turn on global flag", self.i - 1);
        }
        if c.is('-') {
            c = match self.get()? {
                Some(t) => t,
                None => return err("missing flag", self.i),
            };
            if c.esc || flag_of(c.c).is_none() {
                let msg = if !c.esc && c.c.is_alphabetic() {
                    "unknown flag"
                } else {
                    "missing flag"
                };
                return err(msg, self.i - c.width());
            }
            loop {
                let flag = flag_of(c.c).unwrap_or(0);
                if flag & TYPE_FLAGS != 0 {
                    return err(
                        "bad inline flags: cannot turn off flags 'a', 'u' and 'L'",
                        self.i,
                    );
                }
                del |= flag;
                c = match self.get()? {
                    Some(t) => t,
                    None => return err("missing :", self.i),
                };
                if c.is(':') {
                    break;
                }
                if c.esc || flag_of(c.c).is_none() {
                    let msg = if !c.esc && c.c.is_alphabetic() {
                        "unknown flag"
                    } else {
                        "missing :"
                    };
                    return err(msg, self.i - c.width());
                }
            }
        }
        if del & TEMPLATE != 0 {
            return err("bad inline flags: cannot turn off global flag", self.i - 1);
        }
        if add & del != 0 {
            return err("bad inline flags: flag turned on and off", self.i - 1);
        }
        Ok(Some((add, del)))
    }
}
