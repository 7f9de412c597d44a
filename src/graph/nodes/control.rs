//! `nodetool.control.*`: branching, iteration and collection.

use super::spec::{Behaviour, OUT, Op, Spec, op};
use crate::graph::value::Kind;

pub(crate) fn control_spec(name: &str) -> Option<Spec> {
    Some(match name {
        "If" => Spec {
            behaviour: Behaviour::Op(Op::If),
            props: &[
                ("condition", Kind::Bool, "false"),
                ("value", Kind::Any, "[]"),
            ],
            outputs: &["if_true", "if_false"],
            dynamic: false,
        },
        "Reroute" => op(Op::Reroute, &[("input_value", Kind::Any, "[]")]),
        "ForEach" => Spec {
            behaviour: Behaviour::ForEach,
            props: &[("input_list", Kind::List, "[]")],
            outputs: &["output", "index"],
            dynamic: false,
        },
        "Collect" => Spec {
            behaviour: Behaviour::Collect,
            props: &[("input_item", Kind::Any, "[]")],
            outputs: OUT,
            dynamic: false,
        },
        _ => return None,
    })
}
