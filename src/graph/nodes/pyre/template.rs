//! `re.sub`: replacement templates as `re._parser.parse_template` reads them, and substitution.

use super::chars::py_int;
use super::limits::Budget;
use super::parser::Parser;
use super::regex::Regex;
use super::syntax::{PErr, err, is_identifier, quoted, render};
use crate::graph::value::too_long;

impl Regex {
    /// `re.sub(pattern, repl, text, count)`.
    pub fn sub(
        &self,
        text: &[char],
        repl: &str,
        count: i64,
        max_len: usize,
        budget: &mut Budget,
    ) -> Result<String, String> {
        let template = self.template(repl)?;
        let mut out = String::new();
        let mut last = 0;
        if count >= 0 {
            let mut n: i64 = 0;
            self.for_each(text, budget, |m| {
                let (s, e) = m[0].unwrap_or((last, last));
                out.extend(&text[last..s]);
                for piece in &template {
                    match piece {
                        Piece::Lit(l) => out.push_str(l),
                        Piece::Group(g) => {
                            if let Some(Some((gs, ge))) = m.get(*g) {
                                out.extend(&text[*gs..(*ge).max(*gs)]);
                            }
                        }
                    }
                }
                too_long(out.len(), max_len)?;
                last = e;
                n += 1;
                Ok(count == 0 || n < count)
            })?;
        }
        out.extend(&text[last..]);
        too_long(out.len(), max_len)?;
        Ok(out)
    }

    /// Parses a replacement template as `re._parser.parse_template` does.
    fn template(&self, repl: &str) -> Result<Vec<Piece>, String> {
        let chars: Vec<char> = repl.chars().collect();
        self.parse_template(&chars).map_err(|e| render(&chars, e))
    }

    fn parse_template(&self, chars: &[char]) -> Result<Vec<Piece>, PErr> {
        let mut s = Parser {
            p: chars,
            i: 0,
            flags: 0,
            widths: Vec::new(),
            names: Vec::new(),
            lookbehind_groups: None,
            cond_refs: Vec::new(),
            late: None,
            global_flags_pending: false,
            server_limit: false,
        };
        s.seek(0)?;
        let mut out: Vec<Piece> = Vec::new();
        let mut lit = String::new();
        while let Some(t) = s.get()? {
            if !t.esc {
                lit.push(t.c);
                continue;
            }
            match t.c {
                'g' => {
                    if !s.eat('<')? {
                        return err("missing <", s.i);
                    }
                    let name = s.get_until('>', "group name")?;
                    let at = s.i - (name.chars().count() + 1);
                    let g = if is_identifier(&name) {
                        match self.names.iter().find(|(n, _)| *n == name) {
                            Some((_, g)) => *g,
                            None => {
                                return Err(PErr(
                                    format!("unknown group name {}", quoted(&name)),
                                    None,
                                ));
                            }
                        }
                    } else {
                        match py_int(&name) {
                            Some(g) if g >= 0 => usize::try_from(g).unwrap_or(usize::MAX),
                            _ => {
                                return err(
                                    format!("bad character in group name {}", quoted(&name)),
                                    at,
                                );
                            }
                        }
                    };
                    self.add_group(&mut out, &mut lit, g, at)?;
                }
                '0' => {
                    let more = s.take_while(2, |c| ('0'..='7').contains(&c))?;
                    let v = u32::from_str_radix(&format!("0{more}"), 8).unwrap_or(0) & 0xff;
                    lit.extend(char::from_u32(v));
                }
                '1'..='9' => {
                    let c = t.c;
                    let mut text = c.to_string();
                    let mut octal = false;
                    if let Some(&d) = chars.get(s.i).filter(|d| d.is_ascii_digit()) {
                        text.push(d);
                        s.seek(s.i + 1)?;
                        let oct = |c: char| ('0'..='7').contains(&c);
                        if let Some(&e) = chars.get(s.i).filter(|e| oct(c) && oct(d) && oct(**e)) {
                            text.push(e);
                            s.seek(s.i + 1)?;
                            octal = true;
                            let v = u32::from_str_radix(&text, 8).unwrap_or(0);
                            if v > 0o377 {
                                return err(
                                    format!("octal escape value \\{text} outside of range 0-0o377"),
                                    s.i - 4,
                                );
                            }
                            lit.extend(char::from_u32(v));
                        }
                    }
                    if !octal {
                        let g: usize = text.parse().unwrap_or(0);
                        self.add_group(&mut out, &mut lit, g, s.i - text.len())?;
                    }
                }
                c => match Parser::simple_escape(c).and_then(char::from_u32) {
                    Some(ch) => lit.push(ch),
                    None if c.is_ascii_alphabetic() => {
                        return err(format!("bad escape \\{c}"), s.i - 2);
                    }
                    None => {
                        lit.push('\\');
                        lit.push(c);
                    }
                },
            }
        }
        if !lit.is_empty() {
            out.push(Piece::Lit(lit));
        }
        Ok(out)
    }
}

enum Piece {
    Lit(String),
    Group(usize),
}

impl Regex {
    fn add_group(
        &self,
        out: &mut Vec<Piece>,
        lit: &mut String,
        g: usize,
        at: usize,
    ) -> Result<(), PErr> {
        if g > self.groups {
            return err(format!("invalid group reference {g}"), at);
        }
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(lit)));
        }
        out.push(Piece::Group(g));
        Ok(())
    }
}
