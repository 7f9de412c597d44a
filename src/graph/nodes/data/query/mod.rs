//! Conditions for `Filter` and `FindRow`: the part of pandas' `DataFrame.query` people write.
//! Column names (backticked when they are not identifiers), `index`, number, string, `True`,
//! `False` and `None` literals, list and tuple literals, comparisons (chained as in Python),
//! `in` / `not in`, arithmetic, `and` / `or` / `not` and their `&` / `|` / `~` spellings, and
//! parentheses.
//!
//! pandas rewrites `&` and `|` to `and` and `or` before parsing, so they bind more loosely than
//! comparisons (`a > 1 & b < 2` means what it says), and treats `not` as an elementwise `~`.
//! Operator chains are kept flat, so only parentheses and prefix operators nest, and those are
//! bounded.

mod parse;

use std::collections::HashSet;

use super::table::{Cell, Dtype, Key, Table, infer, not_supported, py_cmp};
use crate::graph::value::too_long;
use parse::{Arith, Cmp, Expr, Parser, Unary, describe, lex, syntax};

/// Most tokens times rows one condition may evaluate (each column reference is a pass over
/// the table).
const MAX_WORK: usize = 20_000_000;

/// The rows (by position) where `condition` holds.
pub(crate) fn query(table: &Table, condition: &str, max_len: usize) -> Result<Vec<usize>, String> {
    if condition.trim().is_empty() {
        return Err("expr cannot be an empty string".into());
    }
    let tokens = lex(condition)?;
    if tokens.len().saturating_mul(table.nrows()) > MAX_WORK {
        return Err(format!(
            "the condition is too long for a table of {} rows; split it into several filters",
            table.nrows()
        ));
    }
    let mut parser = Parser::new(tokens);
    let expr = parser.or_expr()?;
    if let Some(t) = parser.peek() {
        return Err(syntax(&format!("unexpected {}", describe(t))));
    }
    let ctx = Ctx {
        table,
        columns: table.positions(),
        max_len,
    };
    match ctx.eval(&expr)? {
        V::Col(cells, _) => {
            let mut rows = Vec::new();
            for (r, c) in cells.iter().enumerate() {
                match c {
                    Cell::Bool(true) => rows.push(r),
                    Cell::Bool(false) => {}
                    other => return Err(not_a_mask(other.py_type())),
                }
            }
            Ok(rows)
        }
        V::Scalar(_) | V::List(_) => Err(
            "the condition gives one value, not one per row: compare a column, e.g. `age > 30`"
                .into(),
        ),
    }
}

fn not_a_mask(ty: &str) -> String {
    format!(
        "the condition must give True or False for each row (it gave {ty} values): compare a \
         column, e.g. `age > 30`"
    )
}

/// A value during evaluation: one value, a column of them, or a list literal.
#[derive(Debug, Clone)]
enum V {
    Scalar(Cell),
    Col(Vec<Cell>, Dtype),
    List(Vec<Cell>),
}

struct Ctx<'a> {
    table: &'a Table,
    columns: std::collections::HashMap<&'a str, usize>,
    max_len: usize,
}

impl Ctx<'_> {
    fn eval(&self, e: &Expr) -> Result<V, String> {
        match e {
            Expr::Lit(c) => Ok(V::Scalar(c.clone())),
            Expr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match self.eval(item)? {
                        V::Scalar(c) => out.push(c),
                        _ => {
                            return Err(
                                "a list in the condition may hold only literal values".into()
                            );
                        }
                    }
                }
                Ok(V::List(out))
            }
            Expr::Name(n) => self.name(n),
            Expr::Unary(op, inner) => {
                let v = self.eval(inner)?;
                // An object column's gaps are `None`, which has no unary operators.
                let object = matches!(v, V::Col(_, Dtype::Object));
                // pandas negates a boolean column by inverting it.
                let op = match (op, &v) {
                    (Unary::Neg, V::Col(_, Dtype::Bool)) => &Unary::Invert,
                    (Unary::Pos, V::Col(_, Dtype::Bool)) => return Ok(v),
                    _ => op,
                };
                if *op == Unary::Invert && matches!(v, V::Col(_, Dtype::Float)) {
                    return Err("ufunc 'invert' not supported for the input types, and the \
                                inputs could not be safely coerced to any supported types \
                                according to the casting rule ''safe''"
                        .into());
                }
                map1(v, |c| match c {
                    Cell::Null if object => Err(format!(
                        "bad operand type for unary {}: 'NoneType'",
                        unary_symbol(*op)
                    )),
                    c => unary(*op, c),
                })
            }
            Expr::Chain(first, rest) => {
                let mut acc = self.eval(first)?;
                for (op, e) in rest {
                    let rhs = self.eval(e)?;
                    object_operands(*op, &acc, &rhs)?;
                    acc = if is_bool(&acc) && is_bool(&rhs) {
                        map2(&acc, &rhs, |a, b| bool_arith(*op, a, b, self.max_len))?
                    } else {
                        map2(&acc, &rhs, |a, b| arith(*op, a, b, self.max_len))?
                    };
                }
                Ok(acc)
            }
            Expr::Compare(first, rest) => {
                let mut left = self.eval(first)?;
                let mut result: Option<V> = None;
                for (op, e) in rest {
                    let right = self.eval(e)?;
                    let step = compare(*op, &left, &right)?;
                    result = Some(match result {
                        None => step,
                        Some(prev) => logic(&prev, &step, "and")?,
                    });
                    left = right;
                }
                result.ok_or_else(|| syntax("empty comparison"))
            }
            Expr::And(parts) | Expr::Or(parts) => {
                let word = if matches!(e, Expr::And(_)) {
                    "and"
                } else {
                    "or"
                };
                let mut acc: Option<V> = None;
                for p in parts {
                    let v = self.eval(p)?;
                    acc = Some(match acc {
                        None => v,
                        Some(prev) => logic(&prev, &v, word)?,
                    });
                }
                acc.ok_or_else(|| syntax("empty condition"))
            }
        }
    }

    /// A column by name, else the row labels for `index` (columns win, as in pandas).
    fn name(&self, n: &str) -> Result<V, String> {
        if let Some(&i) = self.columns.get(n) {
            let c = &self.table.cols[i];
            return Ok(V::Col(c.cells.clone(), c.dtype));
        }
        if n == "index" {
            let (dtype, cells) = infer(self.table.index.clone());
            return Ok(V::Col(cells, dtype));
        }
        Err(format!("name '{n}' is not defined"))
    }
}

fn map1(v: V, f: impl Fn(&Cell) -> Result<Cell, String>) -> Result<V, String> {
    match v {
        V::Scalar(c) => Ok(V::Scalar(f(&c)?)),
        V::Col(cells, _) => {
            let out = cells.iter().map(f).collect::<Result<Vec<_>, _>>()?;
            let (dtype, out) = infer(out);
            Ok(V::Col(out, dtype))
        }
        V::List(_) => Err("a list cannot be used in arithmetic".into()),
    }
}

/// Applies `f` elementwise, broadcasting single values over columns.
fn map2(a: &V, b: &V, f: impl Fn(&Cell, &Cell) -> Result<Cell, String>) -> Result<V, String> {
    let out: Vec<Cell> = match (a, b) {
        (V::Scalar(x), V::Scalar(y)) => return Ok(V::Scalar(f(x, y)?)),
        (V::Col(xs, _), V::Scalar(y)) => xs.iter().map(|x| f(x, y)).collect::<Result<_, _>>()?,
        (V::Scalar(x), V::Col(ys, _)) => ys.iter().map(|y| f(x, y)).collect::<Result<_, _>>()?,
        (V::Col(xs, _), V::Col(ys, _)) => xs
            .iter()
            .zip(ys)
            .map(|(x, y)| f(x, y))
            .collect::<Result<_, _>>()?,
        _ => return Err("a list cannot be used in arithmetic".into()),
    };
    let (dtype, cells) = infer(out);
    Ok(V::Col(cells, dtype))
}

/// pandas refuses arithmetic between an object column and anything but another object
/// column, before looking at the values.
fn object_operands(op: Arith, l: &V, r: &V) -> Result<(), String> {
    let object = |v: &V| matches!(v, V::Col(_, Dtype::Object));
    if object(l) == object(r) {
        return Ok(());
    }
    let name = |v: &V| match v {
        V::Col(_, d) => d.numpy().to_string(),
        V::Scalar(c) => format!("<class '{}'>", c.py_type()),
        V::List(_) => "<class 'list'>".to_string(),
    };
    let sym = match op {
        Arith::Pow => "**",
        other => op_symbol(other),
    };
    Err(format!(
        "unsupported operand type(s) for {sym}: '{}' and '{}'",
        name(l),
        name(r)
    ))
}

fn is_bool(v: &V) -> bool {
    matches!(v, V::Col(_, Dtype::Bool) | V::Scalar(Cell::Bool(_)))
}

/// numpy's arithmetic between booleans: `+` is or, `*` is and, and the rest are refused.
fn bool_arith(op: Arith, a: &Cell, b: &Cell, max_len: usize) -> Result<Cell, String> {
    let name = match op {
        Arith::Sub => {
            return Err(
                "numpy boolean subtract, the `-` operator, is not supported, use the \
                        bitwise_xor, the `^` operator, or the logical_xor function instead."
                    .into(),
            );
        }
        Arith::Div => "truediv",
        Arith::FloorDiv => "floordiv",
        Arith::Pow => "pow",
        Arith::Add | Arith::Mul | Arith::Mod => "",
    };
    if !name.is_empty() {
        return Err(format!("operator '{name}' not implemented for bool dtypes"));
    }
    match (op, a, b) {
        (Arith::Add, Cell::Bool(x), Cell::Bool(y)) => Ok(Cell::Bool(*x || *y)),
        (Arith::Mul, Cell::Bool(x), Cell::Bool(y)) => Ok(Cell::Bool(*x && *y)),
        _ => arith(op, a, b, max_len),
    }
}

fn op_symbol(op: Arith) -> &'static str {
    match op {
        Arith::Add => "+",
        Arith::Sub => "-",
        Arith::Mul => "*",
        Arith::Div => "/",
        Arith::FloorDiv => "//",
        Arith::Mod => "%",
        Arith::Pow => "** or pow()",
    }
}

fn as_int(c: &Cell) -> Option<i64> {
    match c {
        Cell::Int(i) => Some(*i),
        Cell::Bool(b) => Some(*b as i64),
        _ => None,
    }
}

/// numpy's arithmetic on one pair: integers wrap, `/` is true division, division by zero
/// gives 0 for integers and inf/NaN for floats; missing values stay missing.
fn arith(op: Arith, a: &Cell, b: &Cell, max_len: usize) -> Result<Cell, String> {
    if a.is_null() || b.is_null() {
        return Ok(Cell::Null);
    }
    match (a, b, op) {
        (Cell::Str(x), Cell::Str(y), Arith::Add) => {
            too_long(x.len() + y.len(), max_len)?;
            return Ok(Cell::Str(format!("{x}{y}")));
        }
        // Text times an integer repeats it, as in Python.
        (Cell::Str(t), n, Arith::Mul) | (n, Cell::Str(t), Arith::Mul) => {
            let Some(n) = as_int(n) else {
                return Err(format!(
                    "can't multiply sequence by non-int of type '{}'",
                    if a.py_type() == "str" {
                        b.py_type()
                    } else {
                        a.py_type()
                    }
                ));
            };
            let n = usize::try_from(n).unwrap_or(0);
            too_long(t.len().saturating_mul(n), max_len)?;
            return Ok(Cell::Str(t.repeat(n)));
        }
        _ => {}
    }
    if let (Some(x), Some(y)) = (as_int(a), as_int(b)) {
        return int_arith(op, x, y);
    }
    match (a.num(), b.num()) {
        (Some(x), Some(y)) => Ok(Cell::float(float_arith(op, x, y))),
        _ => Err(format!(
            "unsupported operand type(s) for {}: '{}' and '{}'",
            op_symbol(op),
            a.py_type(),
            b.py_type()
        )),
    }
}

fn int_arith(op: Arith, x: i64, y: i64) -> Result<Cell, String> {
    Ok(Cell::Int(match op {
        Arith::Add => x.wrapping_add(y),
        Arith::Sub => x.wrapping_sub(y),
        Arith::Mul => x.wrapping_mul(y),
        Arith::Div => return Ok(Cell::float(x as f64 / y as f64)),
        Arith::FloorDiv if y == 0 => 0,
        Arith::FloorDiv => {
            let q = x.wrapping_div(y);
            if x.wrapping_rem(y) != 0 && ((x < 0) != (y < 0)) {
                q.wrapping_sub(1)
            } else {
                q
            }
        }
        Arith::Mod if y == 0 => 0,
        Arith::Mod => {
            let r = x.wrapping_rem(y);
            if r != 0 && ((r < 0) != (y < 0)) {
                r.wrapping_add(y)
            } else {
                r
            }
        }
        Arith::Pow if y < 0 => {
            return Err("Integers to negative integer powers are not allowed.".into());
        }
        Arith::Pow => wrapping_pow(x, y as u64),
    }))
}

/// `x ** e` with 64-bit wraparound, as numpy computes it.
fn wrapping_pow(mut base: i64, mut e: u64) -> i64 {
    let mut acc: i64 = 1;
    while e > 0 {
        if e & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        e >>= 1;
    }
    acc
}

fn float_arith(op: Arith, x: f64, y: f64) -> f64 {
    match op {
        Arith::Add => x + y,
        Arith::Sub => x - y,
        Arith::Mul => x * y,
        Arith::Div => x / y,
        Arith::FloorDiv => (x / y).floor(),
        Arith::Mod => {
            let r = x % y;
            if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                r + y
            } else {
                r
            }
        }
        Arith::Pow => x.powf(y),
    }
}

fn unary_symbol(op: Unary) -> &'static str {
    match op {
        Unary::Neg => "-",
        Unary::Pos => "+",
        Unary::Invert => "~",
    }
}

fn unary(op: Unary, c: &Cell) -> Result<Cell, String> {
    let sym = unary_symbol(op);
    Ok(match (op, c) {
        (_, Cell::Null) => Cell::Null,
        (Unary::Invert, Cell::Bool(b)) => Cell::Bool(!b),
        (Unary::Invert, Cell::Int(i)) => Cell::Int(!i),
        (Unary::Neg, Cell::Int(i)) => Cell::Int(i.wrapping_neg()),
        (Unary::Neg, Cell::Bool(b)) => Cell::Int(-(*b as i64)),
        (Unary::Neg, Cell::Float(f)) => Cell::Float(-f),
        (Unary::Pos, Cell::Int(_) | Cell::Float(_)) => c.clone(),
        (Unary::Pos, Cell::Bool(b)) => Cell::Int(*b as i64),
        _ => {
            return Err(format!(
                "bad operand type for unary {sym}: '{}'",
                c.py_type()
            ));
        }
    })
}

/// Elementwise `and` / `or` over true/false values (missing counts as false).
/// Elementwise `and` / `or` (pandas' `&` / `|`). When the left side is boolean, pandas reads
/// a float or object column on the right by Python truthiness (gaps as false); any other
/// left side is refused, as Python refuses `1.5 & True`. Integer columns pandas would combine
/// bitwise and then use as row labels, which is never a condition, so they are refused too.
fn logic(a: &V, b: &V, word: &str) -> Result<V, String> {
    let sym = if word == "and" { "&" } else { "|" };
    let left_bool = matches!(a, V::Col(_, Dtype::Bool) | V::Scalar(Cell::Bool(_)));
    let b = match b {
        V::Col(cells, Dtype::Float | Dtype::Object) if left_bool => V::Col(
            cells
                .iter()
                .map(|c| Cell::Bool(crate::graph::value::truthy(&c.to_json())))
                .collect(),
            Dtype::Bool,
        ),
        other => other.clone(),
    };
    let left_float = matches!(a, V::Col(_, Dtype::Float));
    let f = |x: &Cell, y: &Cell| -> Result<Cell, String> {
        // A gap in an object column on the left counts as false.
        let flag = |c: &Cell| match c {
            Cell::Bool(v) => Some(*v),
            Cell::Null if !left_float => Some(false),
            _ => None,
        };
        match (flag(x), flag(y)) {
            (Some(x), Some(y)) => Ok(Cell::Bool(if word == "and" { x && y } else { x || y })),
            _ => Err(format!(
                "unsupported operand type(s) for {sym}: '{}' and '{}' ('{word}' needs True or \
                 False on both sides)",
                if left_float { "float" } else { x.py_type() },
                y.py_type()
            )),
        }
    };
    map2(a, &b, f)
}

fn cmp_symbol(op: Cmp) -> &'static str {
    match op {
        Cmp::Eq => "==",
        Cmp::Ne => "!=",
        Cmp::Lt => "<",
        Cmp::Le => "<=",
        Cmp::Gt => ">",
        Cmp::Ge => ">=",
        Cmp::In => "in",
        Cmp::NotIn => "not in",
    }
}

fn compare(op: Cmp, l: &V, r: &V) -> Result<V, String> {
    // `value < column` runs as `column > value`, which is how pandas words its errors.
    if let (V::Scalar(_), V::Col(..)) = (l, r) {
        let flipped = match op {
            Cmp::Lt => Some(Cmp::Gt),
            Cmp::Le => Some(Cmp::Ge),
            Cmp::Gt => Some(Cmp::Lt),
            Cmp::Ge => Some(Cmp::Le),
            _ => None,
        };
        if let Some(f) = flipped {
            return compare(f, r, l);
        }
    }
    // `in`, and `==` / `!=` against a list, test membership.
    let member: Option<(&V, &[Cell], bool)> = match (op, l, r) {
        (Cmp::In, _, V::List(items) | V::Col(items, _)) => Some((l, items, true)),
        (Cmp::NotIn, _, V::List(items) | V::Col(items, _)) => Some((l, items, false)),
        (Cmp::Eq, _, V::List(items)) => Some((l, items, true)),
        (Cmp::Ne, _, V::List(items)) => Some((l, items, false)),
        (Cmp::Eq, V::List(items), _) => Some((r, items, true)),
        (Cmp::Ne, V::List(items), _) => Some((r, items, false)),
        _ => None,
    };
    if let Some((side, items, want)) = member {
        return isin(side, items, want);
    }
    let op = match op {
        Cmp::In => Cmp::Eq,
        Cmp::NotIn => Cmp::Ne,
        other => other,
    };
    // A typed column ordered against text fails as a whole, as numpy refuses it.
    let ordering = !matches!(op, Cmp::Eq | Cmp::Ne);
    if ordering {
        for (col, other) in [(l, r), (r, l)] {
            if let (
                V::Col(_, d @ (Dtype::Int | Dtype::Float | Dtype::Bool)),
                V::Scalar(Cell::Str(_)),
            ) = (col, other)
            {
                return Err(format!(
                    "Invalid comparison between dtype={} and str",
                    d.numpy()
                ));
            }
        }
    }
    // A numeric column ordered against an object column is compared by numpy, whose NaN
    // does not skip text the way pandas' object comparison skips gaps.
    if ordering
        && matches!(l, V::Col(_, Dtype::Int | Dtype::Float | Dtype::Bool))
        && matches!(r, V::Col(_, Dtype::Object))
    {
        return map2(l, r, |a, b| match (a, b) {
            (_, Cell::Null) | (Cell::Null, Cell::Str(_)) => {
                let left = if a.is_null() { "float" } else { a.py_type() };
                Err(not_supported(cmp_symbol(op), left, b.py_type()))
            }
            _ => cmp_cells(op, a, b).map(Cell::Bool),
        });
    }
    map2(l, r, |a, b| cmp_cells(op, a, b).map(Cell::Bool))
}

fn isin(side: &V, items: &[Cell], want: bool) -> Result<V, String> {
    let set: HashSet<Key> = items.iter().map(Cell::key).collect();
    // A float column's gaps are NaN, which `None` in a list does not match.
    let test = |c: &Cell, numeric: bool| {
        let hit = !(numeric && c.is_null()) && set.contains(&c.key());
        Cell::Bool(hit == want)
    };
    match side {
        V::Scalar(c) => Ok(V::Scalar(test(c, false))),
        V::Col(cells, d) => Ok(V::Col(
            cells.iter().map(|c| test(c, *d != Dtype::Object)).collect(),
            Dtype::Bool,
        )),
        V::List(_) => Err("'in' needs a column or a value on its left".into()),
    }
}

/// One comparison as pandas makes it elementwise: missing values compare false (but `!=`
/// true), numbers by value, text by code point, and values of different kinds are unequal
/// and cannot be ordered.
fn cmp_cells(op: Cmp, a: &Cell, b: &Cell) -> Result<bool, String> {
    if a.is_null() || b.is_null() {
        return Ok(op == Cmp::Ne);
    }
    let ord = match (a, b) {
        (Cell::Other(x), Cell::Other(y)) if matches!(op, Cmp::Eq | Cmp::Ne) => {
            let eq = crate::graph::value::py_eq(x, y);
            return Ok(eq == (op == Cmp::Eq));
        }
        _ => py_cmp(a, b),
    };
    let ord = match (ord, op) {
        (Ok(o), _) => o,
        (Err(_), Cmp::Eq) => return Ok(false),
        (Err(_), Cmp::Ne) => return Ok(true),
        (Err(_), _) => return Err(not_supported(cmp_symbol(op), a.py_type(), b.py_type())),
    };
    Ok(match op {
        Cmp::Eq => ord.is_eq(),
        Cmp::Ne => ord.is_ne(),
        Cmp::Lt => ord.is_lt(),
        Cmp::Le => ord.is_le(),
        Cmp::Gt => ord.is_gt(),
        Cmp::Ge => ord.is_ge(),
        Cmp::In | Cmp::NotIn => ord.is_eq(),
    })
}
