//! Query values, and the operators pandas applies to them on one row.

use serde_json::Value;

use crate::graph::nodes::pyjson::numbers::num_order;
use crate::graph::value::{Num, py_eq, truthy};

pub(crate) enum QueryFail {
    /// pandas would raise; NodeTool swallows it and passes the row over.
    Skip,
    /// Valid pandas this evaluator does not run.
    Unsupported(String),
}

pub(super) type Q<T> = Result<T, QueryFail>;

#[derive(Clone, Debug)]
pub(super) enum Qv {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Qv>),
    /// A list or dict held in a column: comparable for equality only.
    Other(Value),
}

/// A value and whether it came from the row (pandas needs a column to index the frame with).
#[derive(Clone, Debug)]
pub(super) struct Qval {
    pub(super) v: Qv,
    pub(super) col: bool,
}

pub(super) fn unsupported_query(what: &str) -> QueryFail {
    QueryFail::Unsupported(format!(
        "the condition uses {what}, which this server's FilterDictByQuery does not support \
         (it supports comparisons, arithmetic, in/not in and and/or/not over columns)"
    ))
}

pub(super) fn qbool(b: bool, col: bool) -> Qval {
    Qval {
        v: Qv::Bool(b),
        col,
    }
}

/// `and`/`or` as pandas runs them: the left side must be boolean; a column on the right that is
/// not is taken by its truth value.
pub(super) fn logic(a: Qval, b: Qval, f: fn(bool, bool) -> bool) -> Q<Qval> {
    let Qv::Bool(x) = a.v else {
        return Err(QueryFail::Skip);
    };
    let y = match b.v {
        Qv::Bool(y) => y,
        _ if !b.col => return Err(QueryFail::Skip),
        Qv::Null => false,
        Qv::Int(i) => i != 0,
        Qv::Float(v) => v != 0.0,
        Qv::Str(s) => !s.is_empty(),
        Qv::List(items) => !items.is_empty(),
        Qv::Other(v) => truthy(&v),
    };
    Ok(qbool(f(x, y), a.col || b.col))
}

fn qnum(v: &Qv) -> Option<Num> {
    match v {
        Qv::Bool(b) => Some(Num::Int(i64::from(*b))),
        Qv::Int(i) => Some(Num::Int(*i)),
        Qv::Float(f) => Some(Num::Float(*f)),
        _ => None,
    }
}

fn qnum_value(n: Num, col: bool) -> Qval {
    let v = match n {
        Num::Int(i) => Qv::Int(i),
        Num::Float(f) => Qv::Float(f),
    };
    Qval { v, col }
}

pub(super) fn unary(op: &str, v: Qval) -> Q<Qval> {
    let col = v.col;
    match (op, &v.v) {
        ("~", Qv::Bool(b)) => Ok(qbool(!b, col)),
        ("~", Qv::Int(i)) => Ok(qnum_value(Num::Int(!i), col)),
        ("-", _) => match qnum(&v.v).ok_or(QueryFail::Skip)? {
            Num::Int(i) => Ok(qnum_value(
                Num::Int(i.checked_neg().ok_or(QueryFail::Skip)?),
                col,
            )),
            Num::Float(f) => Ok(qnum_value(Num::Float(-f), col)),
        },
        ("+", _) => Ok(qnum_value(qnum(&v.v).ok_or(QueryFail::Skip)?, col)),
        _ => Err(QueryFail::Skip),
    }
}

/// pandas arithmetic on one row: Python's semantics for ints, IEEE results (not errors) for
/// division by zero.
pub(super) fn arith_values(op: &str, a: Qval, b: Qval) -> Q<Qval> {
    let col = a.col || b.col;
    let (Some(x), Some(y)) = (qnum(&a.v), qnum(&b.v)) else {
        return Err(QueryFail::Skip);
    };
    let ints = match (x, y) {
        (Num::Int(i), Num::Int(j)) => Some((i, j)),
        _ => None,
    };
    let (fx, fy) = (x.as_f64(), y.as_f64());
    let overflow = || QueryFail::Skip;
    let n = match (op, ints) {
        ("+", Some((i, j))) => Num::Int(i.checked_add(j).ok_or_else(overflow)?),
        ("-", Some((i, j))) => Num::Int(i.checked_sub(j).ok_or_else(overflow)?),
        ("*", Some((i, j))) => Num::Int(i.checked_mul(j).ok_or_else(overflow)?),
        ("+", None) => Num::Float(fx + fy),
        ("-", None) => Num::Float(fx - fy),
        ("*", None) => Num::Float(fx * fy),
        ("/", _) => Num::Float(fx / fy),
        ("//", Some((i, j))) if j != 0 => Num::Int(floor_div(i, j).ok_or_else(overflow)?),
        ("//", _) => Num::Float((fx / fy).floor()),
        ("%", _) if fy == 0.0 => Num::Float(f64::NAN),
        ("%", _) => crate::graph::nodes::math::py_mod(x, y).map_err(|_| QueryFail::Skip)?,
        ("**", Some((i, j))) => {
            let e = u32::try_from(j).map_err(|_| QueryFail::Skip)?;
            Num::Int(i.checked_pow(e).ok_or_else(overflow)?)
        }
        _ => Num::Float(fx.powf(fy)),
    };
    Ok(qnum_value(n, col))
}

fn floor_div(i: i64, j: i64) -> Option<i64> {
    let q = i.checked_div(j)?;
    Some(if (i % j != 0) && ((i < 0) != (j < 0)) {
        q - 1
    } else {
        q
    })
}

/// Equality as pandas applies it to one cell: numbers across int/float/bool, strings with
/// strings; anything else is unequal.
fn q_eq(a: &Qv, b: &Qv) -> bool {
    match (qnum(a), qnum(b)) {
        (Some(x), Some(y)) => num_order(x, y) == Some(std::cmp::Ordering::Equal),
        _ => matches!((a, b), (Qv::Str(x), Qv::Str(y)) if x == y),
    }
}

pub(super) fn compare_values(op: &'static str, a: &Qval, b: &Qval) -> Q<Qval> {
    let col = a.col || b.col;
    if op == "in" || op == "not in" {
        let hit = match (&a.v, &b.v) {
            (Qv::List(_), _) => return Err(QueryFail::Skip),
            (x, Qv::List(items)) => items.iter().any(|i| q_eq(x, i)),
            // A column on the right is a list of its one cell.
            (x, y) if b.col => q_eq(x, y),
            _ => return Err(QueryFail::Skip),
        };
        return Ok(qbool(hit == (op == "in"), col));
    }
    // A one-item list broadcasts against the row; longer ones cannot line up with it.
    let single = |v: &Qv| -> Q<Qv> {
        match v {
            Qv::List(items) if items.len() == 1 => Ok(items[0].clone()),
            Qv::List(_) => Err(QueryFail::Skip),
            other => Ok(other.clone()),
        }
    };
    let (x, y) = (single(&a.v)?, single(&b.v)?);
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (&x, &y) {
        (Qv::Null, _) | (_, Qv::Null) => None,
        (Qv::Other(p), Qv::Other(q)) if op == "==" || op == "!=" => {
            py_eq(p, q).then_some(Ordering::Equal)
        }
        (Qv::Str(s), Qv::Str(t)) => Some(s.cmp(t)),
        _ => match (qnum(&x), qnum(&y)) {
            (Some(m), Some(n)) => num_order(m, n),
            // Mixed types: never equal, and not orderable.
            _ if op == "==" || op == "!=" => None,
            _ => return Err(QueryFail::Skip),
        },
    };
    let r = match op {
        "==" => ord == Some(Ordering::Equal),
        "!=" => ord != Some(Ordering::Equal),
        "<" => ord == Some(Ordering::Less),
        "<=" => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        ">" => ord == Some(Ordering::Greater),
        _ => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    };
    Ok(qbool(r, col))
}
