//! Escapes: character escapes, categories (`\d`, `\s`, `\w`), anchors, octal escapes and
//! group references by number.

use super::parser::Parser;
use super::syntax::{At, Cat, Item, Node, PErr, err};

impl Parser<'_> {
    /// `\x..`, `\u....`, `\U........` (exactly that many hex digits).
    fn hex_escape(&mut self, kind: char, n: usize) -> Result<u32, PErr> {
        let digits = self.take_while(n, |c| c.is_ascii_hexdigit())?;
        let text = format!("\\{kind}{digits}");
        let len = text.chars().count();
        if digits.chars().count() != n {
            return err(format!("incomplete escape {text}"), self.i - len);
        }
        let v = u32::from_str_radix(&digits, 16).unwrap_or(u32::MAX);
        if v > 0x10ffff {
            return err(format!("bad escape {text}"), self.i - len);
        }
        Ok(v)
    }

    fn category(c: char) -> Option<Item> {
        Some(match c {
            'd' => Item::Cat(Cat::Digit, false),
            'D' => Item::Cat(Cat::Digit, true),
            's' => Item::Cat(Cat::Space, false),
            'S' => Item::Cat(Cat::Space, true),
            'w' => Item::Cat(Cat::Word, false),
            'W' => Item::Cat(Cat::Word, true),
            _ => return None,
        })
    }

    pub(super) fn simple_escape(c: char) -> Option<u32> {
        Some(match c {
            'a' => 7,
            'b' => 8,
            'f' => 12,
            'n' => 10,
            'r' => 13,
            't' => 9,
            'v' => 11,
            '\\' => 92,
            _ => return None,
        })
    }

    fn named_escape(&mut self) -> Result<u32, PErr> {
        // Python looks names up in the Unicode database, which this server does not carry.
        self.server_limit = true;
        err(
            "bad escape \\N (character names are not supported on this server)",
            self.i - 2,
        )
    }

    pub(super) fn class_escape(&mut self, c: char) -> Result<Item, PErr> {
        if let Some(v) = Self::simple_escape(c) {
            return Ok(Item::Ch(v));
        }
        if let Some(cat) = Self::category(c) {
            return Ok(cat);
        }
        match c {
            'x' => self.hex_escape('x', 2).map(Item::Ch),
            'u' => self.hex_escape('u', 4).map(Item::Ch),
            'U' => self.hex_escape('U', 8).map(Item::Ch),
            'N' => self.named_escape().map(Item::Ch),
            '0'..='7' => {
                let more = self.take_while(2, |c| ('0'..='7').contains(&c))?;
                let text = format!("\\{c}{more}");
                let v = u32::from_str_radix(&text[1..], 8).unwrap_or(0);
                if v > 0o377 {
                    let len = text.chars().count();
                    return err(
                        format!("octal escape value {text} outside of range 0-0o377"),
                        self.i - len,
                    );
                }
                Ok(Item::Ch(v))
            }
            c if c.is_ascii_alphanumeric() => err(format!("bad escape \\{c}"), self.i - 2),
            c => Ok(Item::Ch(c as u32)),
        }
    }

    pub(super) fn escape(&mut self, c: char, fl: u32) -> Result<Node, PErr> {
        let at = match c {
            'A' => Some(At::BeginString),
            'Z' => Some(At::EndString),
            'b' => Some(At::Boundary),
            'B' => Some(At::NonBoundary),
            _ => None,
        };
        if let Some(at) = at {
            return Ok(Node::At(at, fl));
        }
        if let Some(cat) = Self::category(c) {
            return Ok(Node::Set(vec![cat], false, fl));
        }
        if let Some(v) = Self::simple_escape(c) {
            return Ok(Node::Lit(v, fl));
        }
        let lit = match c {
            'x' => self.hex_escape('x', 2)?,
            'u' => self.hex_escape('u', 4)?,
            'U' => self.hex_escape('U', 8)?,
            'N' => self.named_escape()?,
            '0' => {
                let more = self.take_while(2, |c| ('0'..='7').contains(&c))?;
                u32::from_str_radix(&format!("0{more}"), 8).unwrap_or(0)
            }
            '1'..='9' => return self.digit_escape(c, fl),
            c if c.is_ascii_alphabetic() => {
                return err(format!("bad escape \\{c}"), self.i - 2);
            }
            c => c as u32,
        };
        Ok(Node::Lit(lit, fl))
    }

    /// `\1`..`\99` is a group reference unless three octal digits make it a character.
    fn digit_escape(&mut self, c: char, fl: u32) -> Result<Node, PErr> {
        let mut text = format!("\\{c}");
        if let Some(&d) = self.p.get(self.i).filter(|d| d.is_ascii_digit()) {
            text.push(d);
            self.seek(self.i + 1)?;
            let octal = |c: char| ('0'..='7').contains(&c);
            if let Some(&e) = self
                .p
                .get(self.i)
                .filter(|e| octal(c) && octal(d) && octal(**e))
            {
                text.push(e);
                self.seek(self.i + 1)?;
                let v = u32::from_str_radix(&text[1..], 8).unwrap_or(0);
                if v > 0o377 {
                    return err(
                        format!("octal escape value {text} outside of range 0-0o377"),
                        self.i - 4,
                    );
                }
                return Ok(Node::Lit(v, fl));
            }
        }
        let len = text.chars().count();
        let group: usize = text[1..].parse().unwrap_or(0);
        if group < self.groups() {
            if !self.closed(group) {
                return err("cannot refer to an open group", self.i - len);
            }
            self.check_lookbehind_group(group)?;
            return Ok(Node::Backref(group, fl));
        }
        err(
            format!("invalid group reference {group}"),
            self.i - (len - 1),
        )
    }
}
