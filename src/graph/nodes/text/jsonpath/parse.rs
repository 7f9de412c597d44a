//! jsonpath_ng's expression language: its lexer and its parser.

use crate::graph::nodes::pyre::py_decimal;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Child,
    Descendants,
    Where,
    WhereNot,
    Union,
    Intersect,
}

pub enum Path {
    Root,
    This,
    Parent,
    /// Field names; `*` means every key.
    Fields(Vec<String>),
    Index(Vec<i128>),
    Slice([Option<i128>; 3]),
    Bin(Op, Box<Path>, Box<Path>),
}

#[derive(Clone, PartialEq)]
enum Tok {
    Id(String),
    Num(i128),
    Named(String),
    Where,
    WhereNot,
    DoubleDot,
    Lit(char),
    /// A lexer error, raised when the parser reaches it (PLY lexes lazily).
    Bad(String),
}

struct Token {
    tok: Tok,
    line: usize,
    col: usize,
    /// Offset in the whole expression (PLY's `lexpos`).
    pos: usize,
}

fn id_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '@' || is_cjk_or_emoji(c)
}

fn id_char(c: char) -> bool {
    id_start(c) || c.is_ascii_digit() || c == '-'
}

fn is_cjk_or_emoji(c: char) -> bool {
    matches!(c as u32, 0x4e00..=0x9fa5 | 0x1f600..=0x1f64f)
}

/// jsonpath_ng's lexer: identifiers, numbers, quoted names, backquoted operators.
fn lex(s: &str) -> Vec<Token> {
    let chars: Vec<char> = s.chars().collect();
    let (mut out, mut i, mut line, mut line_start) = (Vec::new(), 0, 1, 0);
    while i < chars.len() {
        let c = chars[i];
        let (col, pos) = (i - line_start, i);
        let mut push = |tok, at: usize| {
            out.push(Token {
                tok,
                line,
                col: col + at - pos,
                pos: at,
            })
        };
        if c == ' ' || c == '\t' {
            i += 1;
        } else if c == '\n' {
            line += 1;
            line_start = i;
            i += 1;
        } else if id_start(c) {
            let start = i;
            while i < chars.len() && id_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let tok = match word.as_str() {
                "where" => Tok::Where,
                "wherenot" => Tok::WhereNot,
                _ => Tok::Id(word),
            };
            push(tok, pos);
        } else if py_decimal(c).is_some()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| py_decimal(*d).is_some()))
        {
            let neg = c == '-';
            i += usize::from(neg);
            let mut v: i128 = 0;
            while let Some(d) = chars.get(i).and_then(|d| py_decimal(*d)) {
                v = v.saturating_mul(10).saturating_add(d.into());
                i += 1;
            }
            push(Tok::Num(if neg { -v } else { v }), pos);
        } else if matches!(c, '\'' | '"' | '`') {
            let mut value = String::new();
            i += 1;
            let mut closed = false;
            while i < chars.len() {
                match chars[i] {
                    '\\' if i + 1 < chars.len() => {
                        value.push(chars[i + 1]);
                        i += 2;
                    }
                    q if q == c => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    other => {
                        value.push(other);
                        i += 1;
                    }
                }
            }
            if !closed {
                push(
                    Tok::Bad("Unexpected EOF in string literal or identifier".into()),
                    pos,
                );
                break;
            }
            // PLY places a quoted token at its closing quote.
            let tok = if c == '`' {
                Tok::Named(value)
            } else {
                Tok::Id(value)
            };
            push(tok, i - 1);
        } else if c == '.' && chars.get(i + 1) == Some(&'.') {
            push(Tok::DoubleDot, pos);
            i += 2;
        } else if "*.[]()$,:|&~".contains(c) {
            push(Tok::Lit(c), pos);
            i += 1;
        } else {
            let msg = format!("Error on line {line}, col {col}: Unexpected character: {c} ");
            push(Tok::Bad(msg), pos);
            break;
        }
    }
    out
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.tok)
    }

    /// PLY's message for an unexpected token (or the end), or the lexer's own error.
    fn error<T>(&self) -> Result<T, String> {
        let Some(t) = self.toks.get(self.i) else {
            return Err("Parse error near the end of string!".into());
        };
        let (value, kind) = match &t.tok {
            Tok::Bad(msg) => return Err(msg.clone()),
            Tok::Id(s) => (s.clone(), "ID".to_string()),
            Tok::Num(n) => (n.to_string(), "NUMBER".into()),
            Tok::Named(s) => (s.clone(), "NAMED_OPERATOR".into()),
            Tok::Where => ("where".into(), "WHERE".into()),
            Tok::WhereNot => ("wherenot".into(), "WHERENOT".into()),
            Tok::DoubleDot => ("..".into(), "DOUBLEDOT".into()),
            Tok::Lit(c) => (c.to_string(), c.to_string()),
        };
        Err(format!(
            "Parse error at {}:{} near token {value} ({kind})",
            t.line, t.col
        ))
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.peek() == Some(&Tok::Lit(c)) {
            self.i += 1;
            Ok(())
        } else {
            self.error()
        }
    }

    /// Binary operators, loosest first, all left-associative (the grammar's precedence
    /// table: `..` < `.` < `|` < `&` < `where` < `wherenot`).
    fn op(&self) -> Option<(Op, u8)> {
        Some(match self.peek()? {
            Tok::DoubleDot => (Op::Descendants, 1),
            Tok::Lit('.') => (Op::Child, 2),
            Tok::Lit('|') => (Op::Union, 3),
            Tok::Lit('&') => (Op::Intersect, 4),
            Tok::Where => (Op::Where, 5),
            Tok::WhereNot => (Op::WhereNot, 6),
            _ => return None,
        })
    }

    fn expr(&mut self, min: u8) -> Result<Path, String> {
        self.depth += 1;
        if self.depth > 100 {
            return Err("the JSONPath expression is nested too deeply".into());
        }
        let mut lhs = self.primary()?;
        while let Some((op, prec)) = self.op() {
            if prec < min {
                break;
            }
            self.i += 1;
            let rhs = self.expr(prec + 1)?;
            lhs = Path::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn fields(&mut self, first: String) -> Result<Vec<String>, String> {
        let mut names = vec![first];
        while self.peek() == Some(&Tok::Lit(',')) {
            self.i += 1;
            match self.peek() {
                Some(Tok::Id(s)) => {
                    names.push(s.clone());
                    self.i += 1;
                }
                _ => return self.error(),
            }
        }
        Ok(names)
    }

    fn primary(&mut self) -> Result<Path, String> {
        let Some(tok) = self.peek().cloned() else {
            return self.error();
        };
        let here = self.i;
        self.i += 1;
        let mut p = match tok {
            Tok::Id(s) => Path::Fields(self.fields(s)?),
            Tok::Lit('*') => Path::Fields(vec!["*".into()]),
            Tok::Num(n) => Path::Fields(vec![n.to_string()]),
            Tok::Named(name) => match name.as_str() {
                "this" => Path::This,
                "parent" => Path::Parent,
                _ => {
                    let t = &self.toks[here];
                    return Err(format!(
                        "Unknown named operator `{name}` at {}:{}",
                        t.line, t.pos
                    ));
                }
            },
            Tok::Lit('$') => Path::Root,
            Tok::Lit('[') => {
                let inner = self.bracket()?;
                self.expect(']')?;
                inner
            }
            Tok::Lit('(') => {
                let inner = self.expr(0)?;
                self.expect(')')?;
                inner
            }
            _ => {
                self.i = here;
                return self.error();
            }
        };
        while self.peek() == Some(&Tok::Lit('[')) {
            self.i += 1;
            let inner = self.bracket()?;
            self.expect(']')?;
            p = Path::Bin(Op::Child, Box::new(p), Box::new(inner));
        }
        Ok(p)
    }

    fn maybe_int(&mut self) -> Option<i128> {
        match self.peek() {
            Some(Tok::Num(n)) => {
                let n = *n;
                self.i += 1;
                Some(n)
            }
            _ => None,
        }
    }

    /// Inside `[...]`: names, indices, `*` or a slice.
    fn bracket(&mut self) -> Result<Path, String> {
        match self.peek().cloned() {
            Some(Tok::Id(s)) => {
                self.i += 1;
                return Ok(Path::Fields(self.fields(s)?));
            }
            Some(Tok::Lit('*')) => {
                self.i += 1;
                return Ok(Path::Slice([None; 3]));
            }
            _ => {}
        }
        let start = self.maybe_int();
        if self.peek() == Some(&Tok::Lit(':')) {
            self.i += 1;
            let end = self.maybe_int();
            let mut step = None;
            if self.peek() == Some(&Tok::Lit(':')) {
                self.i += 1;
                step = self.maybe_int();
            }
            return Ok(Path::Slice([start, end, step]));
        }
        let Some(first) = start else {
            return self.error();
        };
        let mut idx = vec![first];
        while self.peek() == Some(&Tok::Lit(',')) {
            self.i += 1;
            match self.maybe_int() {
                Some(n) => idx.push(n),
                None => return self.error(),
            }
        }
        Ok(Path::Index(idx))
    }
}

/// `jsonpath_ng.parse`.
pub fn parse(s: &str) -> Result<Path, String> {
    let mut p = Parser {
        toks: lex(s),
        i: 0,
        depth: 0,
    };
    let path = p.expr(0)?;
    if p.i < p.toks.len() {
        return p.error();
    }
    Ok(path)
}
