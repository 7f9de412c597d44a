//! Parsing a `query` condition: Python's tokens and precedence, with pandas' reading of `&`
//! and `|` as `and` and `or`.

use super::super::table::Cell;

/// Deepest nesting of parentheses, lists and prefix operators.
const MAX_NESTING: usize = 64;
/// Most tokens in a condition.
const MAX_TOKENS: usize = 2_000;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Num(Cell),
    Str(String),
    Name(String),
    Quoted(String),
    Op(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Unary {
    Neg,
    Pos,
    Invert,
}

#[derive(Debug)]
pub(super) enum Expr {
    Lit(Cell),
    List(Vec<Expr>),
    Name(String),
    Unary(Unary, Box<Expr>),
    /// `first op e op e ...`, left to right.
    Chain(Box<Expr>, Vec<(Arith, Expr)>),
    /// `first op e op e ...`: every adjacent pair must hold.
    Compare(Box<Expr>, Vec<(Cmp, Expr)>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

pub(super) fn syntax(detail: &str) -> String {
    format!("invalid syntax in the condition: {detail}")
}

pub(super) fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(c) => format!("number {}", c.py_str()),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Name(n) => format!("'{n}'"),
        Tok::Quoted(n) => format!("`{n}`"),
        Tok::Op(o) => format!("'{o}'"),
    }
}

const KEYWORDS: &[&str] = &["and", "or", "not", "in", "is", "True", "False", "None"];
const OTHER_KEYWORDS: &[&str] = &[
    "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
    "except", "finally", "for", "from", "global", "if", "import", "lambda", "nonlocal", "pass",
    "raise", "return", "try", "while", "with", "yield",
];
const OPS: &[&str] = &[
    "==", "!=", "<=", ">=", "//", "**", "(", ")", "[", "]", ",", "<", ">", "+", "-", "*", "/", "%",
    "~", "&", "|",
];

pub(super) fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if toks.len() > MAX_TOKENS {
            return Err(format!(
                "the condition is too long (over {MAX_TOKENS} tokens)"
            ));
        }
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let (tok, next) = number(&chars, i)?;
            toks.push(tok);
            i = next;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if OTHER_KEYWORDS.contains(&word.as_str()) {
                return Err(syntax(&format!("'{word}' is a Python keyword")));
            }
            toks.push(Tok::Name(word));
        } else if c == '`' {
            let end = chars[i + 1..]
                .iter()
                .position(|&c| c == '`')
                .ok_or_else(|| syntax("a backtick is not closed"))?;
            toks.push(Tok::Quoted(chars[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
        } else if c == '\'' || c == '"' {
            let (s, next) = string(&chars, i)?;
            toks.push(Tok::Str(s));
            i = next;
        } else if c == '@' {
            let name: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_alphanumeric() || **c == '_')
                .collect();
            return Err(format!("local variable '{name}' is not defined"));
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let op = OPS.iter().find(|op| rest.starts_with(**op));
            match op {
                Some(op) => {
                    toks.push(Tok::Op(op));
                    i += op.chars().count();
                }
                None if c == '=' => return Err("cannot assign without a target object".into()),
                None => return Err(syntax(&format!("unexpected character '{c}'"))),
            }
        }
    }
    Ok(toks)
}

/// A Python number literal: digits with optional `_` separators, fraction and exponent.
fn number(chars: &[char], start: usize) -> Result<(Tok, usize), String> {
    let mut i = start;
    let mut text = String::new();
    let mut float = false;
    let digits = |i: &mut usize, text: &mut String| {
        while *i < chars.len() && (chars[*i].is_ascii_digit() || chars[*i] == '_') {
            if chars[*i] != '_' {
                text.push(chars[*i]);
            }
            *i += 1;
        }
    };
    digits(&mut i, &mut text);
    if i < chars.len() && chars[i] == '.' {
        float = true;
        text.push('.');
        i += 1;
        digits(&mut i, &mut text);
    }
    if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
        let mut j = i + 1;
        let mut exp = String::from("e");
        if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
            exp.push(chars[j]);
            j += 1;
        }
        if j < chars.len() && chars[j].is_ascii_digit() {
            float = true;
            i = j;
            text.push_str(&exp);
            digits(&mut i, &mut text);
        }
    }
    if i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
        return Err(syntax("invalid decimal literal"));
    }
    let cell = if float {
        Cell::Float(text.parse().map_err(|_| syntax("invalid number"))?)
    } else {
        match text.parse::<i64>() {
            Ok(n) => Cell::Int(n),
            Err(_) => Cell::Float(text.parse().map_err(|_| syntax("invalid number"))?),
        }
    };
    Ok((Tok::Num(cell), i))
}

/// A quoted string with Python's common escapes; unknown escapes keep their backslash.
fn string(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let quote = chars[start];
    let mut out = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        let c = chars[i];
        if c == quote {
            return Ok((out, i + 1));
        }
        if c == '\\' && i + 1 < chars.len() {
            let e = chars[i + 1];
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '\\' | '\'' | '"' => out.push(e),
                _ => {
                    out.push('\\');
                    out.push(e);
                }
            }
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    Err(syntax("a string is not closed"))
}

pub(super) struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl Parser {
    pub(super) fn new(tokens: Vec<Tok>) -> Parser {
        Parser {
            tokens,
            pos: 0,
            depth: 0,
        }
    }

    pub(super) fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(n)) if n == w)
    }

    fn is_word_at(&self, at: usize, w: &str) -> bool {
        matches!(self.tokens.get(at), Some(Tok::Name(n)) if n == w)
    }

    fn expect(&mut self, op: &str) -> Result<(), String> {
        if self.is_op(op) {
            self.pos += 1;
            Ok(())
        } else {
            let found = self.peek().map_or("the end".to_string(), describe);
            Err(syntax(&format!("expected '{op}', found {found}")))
        }
    }

    /// Runs a nested parse, refusing nesting deeper than `MAX_NESTING`.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, String>) -> Result<T, String> {
        if self.depth >= MAX_NESTING {
            return Err(format!(
                "the condition nests too deeply (over {MAX_NESTING} levels)"
            ));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    pub(super) fn or_expr(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and_expr()?];
        while self.is_word("or") || self.is_op("|") {
            self.pos += 1;
            parts.push(self.and_expr()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and_expr(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.not_expr()?];
        while self.is_word("and") || self.is_op("&") {
            self.pos += 1;
            parts.push(self.not_expr()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not_expr(&mut self) -> Result<Expr, String> {
        if self.is_word("not") {
            self.pos += 1;
            let inner = self.nested(Self::not_expr)?;
            return Ok(Expr::Unary(Unary::Invert, Box::new(inner)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, String> {
        let first = self.sum()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Some(Tok::Op("==")) => Cmp::Eq,
                Some(Tok::Op("!=")) => Cmp::Ne,
                Some(Tok::Op("<")) => Cmp::Lt,
                Some(Tok::Op("<=")) => Cmp::Le,
                Some(Tok::Op(">")) => Cmp::Gt,
                Some(Tok::Op(">=")) => Cmp::Ge,
                Some(Tok::Name(n)) if n == "in" => Cmp::In,
                Some(Tok::Name(n)) if n == "not" && self.is_word_at(self.pos + 1, "in") => {
                    self.pos += 1;
                    Cmp::NotIn
                }
                Some(Tok::Name(n)) if n == "is" => {
                    return Err("'Is' nodes are not implemented: use == or !=".into());
                }
                _ => break,
            };
            self.pos += 1;
            rest.push((op, self.sum()?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Expr::Compare(Box::new(first), rest)
        })
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let first = self.term()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Some(Tok::Op("+")) => Arith::Add,
                Some(Tok::Op("-")) => Arith::Sub,
                _ => break,
            };
            self.pos += 1;
            rest.push((op, self.term()?));
        }
        Ok(chain(first, rest))
    }

    fn term(&mut self) -> Result<Expr, String> {
        let first = self.unary()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Some(Tok::Op("*")) => Arith::Mul,
                Some(Tok::Op("/")) => Arith::Div,
                Some(Tok::Op("//")) => Arith::FloorDiv,
                Some(Tok::Op("%")) => Arith::Mod,
                _ => break,
            };
            self.pos += 1;
            rest.push((op, self.unary()?));
        }
        Ok(chain(first, rest))
    }

    fn unary(&mut self) -> Result<Expr, String> {
        let op = match self.peek() {
            Some(Tok::Op("-")) => Unary::Neg,
            Some(Tok::Op("+")) => Unary::Pos,
            Some(Tok::Op("~")) => Unary::Invert,
            _ => return self.power(),
        };
        self.pos += 1;
        let inner = self.nested(Self::unary)?;
        Ok(Expr::Unary(op, Box::new(inner)))
    }

    fn power(&mut self) -> Result<Expr, String> {
        let base = self.atom()?;
        if self.is_op("**") {
            self.pos += 1;
            let exp = self.nested(Self::unary)?;
            return Ok(Expr::Chain(Box::new(base), vec![(Arith::Pow, exp)]));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        let Some(tok) = self.peek().cloned() else {
            return Err(syntax("the condition ends too early"));
        };
        self.pos += 1;
        match tok {
            Tok::Num(c) => Ok(Expr::Lit(c)),
            Tok::Str(s) => Ok(Expr::Lit(Cell::Str(s))),
            Tok::Quoted(n) => Ok(Expr::Name(n)),
            Tok::Name(n) => match n.as_str() {
                "True" => Ok(Expr::Lit(Cell::Bool(true))),
                "False" => Ok(Expr::Lit(Cell::Bool(false))),
                "None" => Ok(Expr::Lit(Cell::Null)),
                w if KEYWORDS.contains(&w) => Err(syntax(&format!("unexpected '{w}'"))),
                _ => Ok(Expr::Name(n)),
            },
            Tok::Op("(") => self.nested(|p| p.group(")", false)),
            Tok::Op("[") => self.nested(|p| p.group("]", true)),
            Tok::Op(o) => Err(syntax(&format!("unexpected '{o}'"))),
        }
    }

    /// The inside of `( ... )` or `[ ... ]`: a list when bracketed or when it has a comma.
    fn group(&mut self, close: &str, list: bool) -> Result<Expr, String> {
        let mut items = Vec::new();
        let mut comma = false;
        while !self.is_op(close) {
            items.push(self.or_expr()?);
            if self.is_op(",") {
                self.pos += 1;
                comma = true;
            } else {
                break;
            }
        }
        self.expect(close)?;
        if list || comma || items.is_empty() {
            Ok(Expr::List(items))
        } else {
            Ok(items.remove(0))
        }
    }
}

fn chain(first: Expr, rest: Vec<(Arith, Expr)>) -> Expr {
    if rest.is_empty() {
        first
    } else {
        Expr::Chain(Box::new(first), rest)
    }
}
