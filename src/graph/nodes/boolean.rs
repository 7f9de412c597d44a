//! `nodetool.boolean.*`: comparisons, logic and membership.

use super::spec::{Op, Spec, op};
use crate::graph::value::Kind;

pub(crate) fn boolean_spec(name: &str) -> Option<Spec> {
    Some(match name {
        "Compare" => op(
            Op::Compare,
            &[
                ("a", Kind::Number, "0"),
                ("b", Kind::Number, "0"),
                ("comparison", Kind::Str, "\"==\""),
            ],
        ),
        "LogicalOperator" => op(
            Op::LogicalOperator,
            &[
                ("a", Kind::Bool, "false"),
                ("b", Kind::Bool, "false"),
                ("operation", Kind::Str, "\"and\""),
            ],
        ),
        "Not" => op(Op::Not, &[("value", Kind::Bool, "false")]),
        "ConditionalSwitch" => op(
            Op::ConditionalSwitch,
            &[
                ("condition", Kind::Bool, "false"),
                ("if_true", Kind::Any, "[]"),
                ("if_false", Kind::Any, "[]"),
            ],
        ),
        "IsNone" => op(Op::IsNone, &[("value", Kind::Any, "[]")]),
        "IsIn" => op(
            Op::IsIn,
            &[("value", Kind::Any, "[]"), ("options", Kind::List, "[]")],
        ),
        "All" => op(Op::All, &[("values", Kind::List, "[]")]),
        "Some" => op(Op::Some, &[("values", Kind::List, "[]")]),
        _ => return None,
    })
}
