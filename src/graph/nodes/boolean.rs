//! `nodetool.boolean.*`: comparisons, logic and membership.

use serde_json::Value;

use super::spec::{Emitted, Family, Props, one, op};
use crate::graph::value::{Kind, Num, py_eq, truthy};

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.boolean."],
    nodes: &[
        (
            "Compare",
            op(
                compare,
                &[
                    ("a", Kind::Number, "0"),
                    ("b", Kind::Number, "0"),
                    ("comparison", Kind::Str, "\"==\""),
                ],
            ),
        ),
        (
            "LogicalOperator",
            op(
                logical_operator,
                &[
                    ("a", Kind::Bool, "false"),
                    ("b", Kind::Bool, "false"),
                    ("operation", Kind::Str, "\"and\""),
                ],
            ),
        ),
        ("Not", op(not, &[("value", Kind::Bool, "false")])),
        (
            "ConditionalSwitch",
            op(
                conditional_switch,
                &[
                    ("condition", Kind::Bool, "false"),
                    ("if_true", Kind::Any, "[]"),
                    ("if_false", Kind::Any, "[]"),
                ],
            ),
        ),
        ("IsNone", op(is_none, &[("value", Kind::Any, "[]")])),
        (
            "IsIn",
            op(
                is_in,
                &[("value", Kind::Any, "[]"), ("options", Kind::List, "[]")],
            ),
        ),
        ("All", op(all, &[("values", Kind::List, "[]")])),
        ("Some", op(some, &[("values", Kind::List, "[]")])),
    ],
};

pub(crate) fn compare(p: &Props) -> Result<Emitted, String> {
    let (a, b) = (p.num("a"), p.num("b"));
    let ord = match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.partial_cmp(&y),
        _ => a.as_f64().partial_cmp(&b.as_f64()),
    };
    use std::cmp::Ordering::*;
    let r = match p.str("comparison") {
        "==" => ord == Some(Equal),
        "!=" => ord != Some(Equal),
        ">" => ord == Some(Greater),
        "<" => ord == Some(Less),
        ">=" => matches!(ord, Some(Greater | Equal)),
        "<=" => matches!(ord, Some(Less | Equal)),
        other => return Err(format!("unsupported comparison '{other}'")),
    };
    one(Value::Bool(r))
}

pub(crate) fn logical_operator(p: &Props) -> Result<Emitted, String> {
    let (a, b) = (p.bool("a"), p.bool("b"));
    let r = match p.str("operation") {
        "and" => a && b,
        "or" => a || b,
        "xor" => a ^ b,
        "nand" => !(a && b),
        "nor" => !(a || b),
        other => return Err(format!("unsupported operation '{other}'")),
    };
    one(Value::Bool(r))
}

pub(crate) fn not(p: &Props) -> Result<Emitted, String> {
    one(Value::Bool(!p.bool("value")))
}

pub(crate) fn conditional_switch(p: &Props) -> Result<Emitted, String> {
    one(if p.bool("condition") {
        p.get("if_true").clone()
    } else {
        p.get("if_false").clone()
    })
}

pub(crate) fn is_none(p: &Props) -> Result<Emitted, String> {
    one(Value::Bool(p.get("value").is_null()))
}

pub(crate) fn is_in(p: &Props) -> Result<Emitted, String> {
    let v = p.get("value");
    one(Value::Bool(p.list("options").iter().any(|o| py_eq(o, v))))
}

pub(crate) fn all(p: &Props) -> Result<Emitted, String> {
    one(Value::Bool(p.list("values").iter().all(truthy)))
}

pub(crate) fn some(p: &Props) -> Result<Emitted, String> {
    one(Value::Bool(p.list("values").iter().any(truthy)))
}
