//! `nodetool.control.*`: branching, iteration and collection.

use serde_json::Value;

use super::spec::{Behaviour, Emitted, Family, OUT, Op, Props, Spec, one, op};
use crate::graph::value::Kind;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.control."],
    nodes: &[
        (
            "If",
            Spec {
                behaviour: Behaviour::Op(Op(if_node)),
                props: &[
                    ("condition", Kind::Bool, "false"),
                    ("value", Kind::Any, "[]"),
                ],
                outputs: &["if_true", "if_false"],
                dynamic: false,
            },
        ),
        ("Reroute", op(reroute, &[("input_value", Kind::Any, "[]")])),
        (
            "ForEach",
            Spec {
                behaviour: Behaviour::ForEach,
                props: &[("input_list", Kind::List, "[]")],
                outputs: &["output", "index"],
                dynamic: false,
            },
        ),
        (
            "Collect",
            Spec {
                behaviour: Behaviour::Collect,
                props: &[("input_item", Kind::Any, "[]")],
                outputs: OUT,
                dynamic: false,
            },
        ),
    ],
};

pub(crate) fn if_node(p: &Props) -> Result<Emitted, String> {
    // As NodeTool: the taken branch gets the value, the other `None`.
    let v = p.get("value").clone();
    Ok(if p.bool("condition") {
        vec![("if_true", v), ("if_false", Value::Null)]
    } else {
        vec![("if_true", Value::Null), ("if_false", v)]
    })
}

pub(crate) fn reroute(p: &Props) -> Result<Emitted, String> {
    one(p.get("input_value").clone())
}
