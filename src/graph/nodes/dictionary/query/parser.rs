//! The query's grammar, Python's precedence, evaluated as it parses.

use serde_json::{Map, Value};

use super::lexer::{Tok, is_keyword, match_op, number_literal};
use super::values::{
    Q, QueryFail, Qv, Qval, arith_values, compare_values, logic, qbool, unary, unsupported_query,
};

const QUERY_DEPTH: usize = 64;

pub(super) struct QueryParser<'a> {
    pub(super) toks: Vec<Tok>,
    pub(super) pos: usize,
    pub(super) row: &'a Map<String, Value>,
    pub(super) depth: usize,
}

impl QueryParser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.peek() == Some(&Tok::Op(match_op(op))) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Name(n)) if n == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn deeper(&mut self) -> Q<()> {
        self.depth += 1;
        if self.depth > QUERY_DEPTH {
            return Err(unsupported_query("more nesting than it can follow"));
        }
        Ok(())
    }

    pub(super) fn or_expr(&mut self) -> Q<Qval> {
        self.deeper()?;
        let mut left = self.and_expr()?;
        while self.eat_word("or") || self.eat_op("|") {
            let right = self.and_expr()?;
            left = logic(left, right, |a, b| a || b)?;
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and_expr(&mut self) -> Q<Qval> {
        let mut left = self.not_expr()?;
        while self.eat_word("and") || self.eat_op("&") {
            let right = self.not_expr()?;
            left = logic(left, right, |a, b| a && b)?;
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> Q<Qval> {
        if self.eat_word("not") {
            self.deeper()?;
            let v = self.not_expr()?;
            self.depth -= 1;
            return match v.v {
                Qv::Bool(b) => Ok(qbool(!b, v.col)),
                _ => Err(QueryFail::Skip),
            };
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Q<Qval> {
        let mut left = self.arith()?;
        let mut result: Option<Qval> = None;
        while let Some(op) = self.comp_op()? {
            let right = self.arith()?;
            let step = compare_values(op, &left, &right)?;
            result = Some(match result {
                None => step,
                Some(prev) => logic(prev, step, |a, b| a && b)?,
            });
            left = right;
        }
        Ok(result.unwrap_or(left))
    }

    fn comp_op(&mut self) -> Q<Option<&'static str>> {
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if self.eat_op(op) {
                return Ok(Some(match_op(op)));
            }
        }
        if self.eat_word("in") {
            return Ok(Some("in"));
        }
        if matches!(self.peek(), Some(Tok::Name(n)) if n == "not")
            && matches!(self.toks.get(self.pos + 1), Some(Tok::Name(n)) if n == "in")
        {
            self.pos += 2;
            return Ok(Some("not in"));
        }
        if matches!(self.peek(), Some(Tok::Name(n)) if n == "is") {
            // pandas: "'Is' nodes are not implemented".
            return Err(QueryFail::Skip);
        }
        Ok(None)
    }

    fn arith(&mut self) -> Q<Qval> {
        let mut left = self.term()?;
        loop {
            let op = if self.eat_op("+") {
                "+"
            } else if self.eat_op("-") {
                "-"
            } else {
                return Ok(left);
            };
            let right = self.term()?;
            left = arith_values(op, left, right)?;
        }
    }

    fn term(&mut self) -> Q<Qval> {
        let mut left = self.factor()?;
        loop {
            let op = ["*", "//", "/", "%"].into_iter().find(|op| self.eat_op(op));
            let Some(op) = op else {
                return Ok(left);
            };
            let right = self.factor()?;
            left = arith_values(op, left, right)?;
        }
    }

    fn factor(&mut self) -> Q<Qval> {
        for op in ["-", "+", "~"] {
            if self.eat_op(op) {
                self.deeper()?;
                let v = self.factor()?;
                self.depth -= 1;
                return unary(op, v);
            }
        }
        self.power()
    }

    fn power(&mut self) -> Q<Qval> {
        let base = self.atom()?;
        if matches!(self.peek(), Some(Tok::Op("(" | "[" | "."))) {
            return Err(unsupported_query("a function call, attribute or subscript"));
        }
        if self.eat_op("**") {
            self.deeper()?;
            let exp = self.factor()?;
            self.depth -= 1;
            return arith_values("**", base, exp);
        }
        Ok(base)
    }

    fn atom(&mut self) -> Q<Qval> {
        let tok = self.peek().cloned().ok_or(QueryFail::Skip)?;
        self.pos += 1;
        let lit = |v: Qv| Ok(Qval { v, col: false });
        match tok {
            Tok::Num(text) => lit(number_literal(&text)?),
            Tok::Str(s) => lit(Qv::Str(s)),
            Tok::Column(name) => self.column(&name),
            Tok::Name(n) => match n.as_str() {
                "True" => lit(Qv::Bool(true)),
                "False" => lit(Qv::Bool(false)),
                "None" => lit(Qv::Null),
                _ if is_keyword(&n) => Err(QueryFail::Skip),
                _ => self.column(&n),
            },
            Tok::Op("(") => self.sequence(")"),
            Tok::Op("[") => self.sequence("]"),
            // `@name` reads a local variable, and the node passes none.
            _ => Err(QueryFail::Skip),
        }
    }

    /// A parenthesised expression, or a tuple or list literal.
    fn sequence(&mut self, close: &'static str) -> Q<Qval> {
        self.deeper()?;
        let mut items = Vec::new();
        let mut trailing_comma = false;
        while !self.eat_op(close) {
            if !items.is_empty() && !trailing_comma {
                return Err(QueryFail::Skip);
            }
            items.push(self.or_expr()?);
            trailing_comma = self.eat_op(",");
        }
        self.depth -= 1;
        if close == ")" && items.len() == 1 && !trailing_comma {
            return Ok(items.remove(0));
        }
        let col = items.iter().any(|v| v.col);
        Ok(Qval {
            v: Qv::List(items.into_iter().map(|v| v.v).collect()),
            col,
        })
    }

    fn column(&self, name: &str) -> Q<Qval> {
        let v = match self.row.get(name) {
            Some(v) => v,
            // The one row's index label.
            None if name == "index" || name == "ilevel_0" => &Value::Null,
            None => return Err(QueryFail::Skip),
        };
        let v = match v {
            Value::Null if !self.row.contains_key(name) => Qv::Int(0),
            Value::Null => Qv::Null,
            Value::Bool(b) => Qv::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) if !n.is_f64() => Qv::Int(i),
                _ => Qv::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Qv::Str(s.clone()),
            Value::Array(_) | Value::Object(_) => Qv::Other(v.clone()),
        };
        Ok(Qval { v, col: true })
    }
}
