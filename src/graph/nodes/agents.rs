//! `nodetool.agents.*`: nodes that ask a language model.

use super::spec::{Behaviour, Family, Spec};
use crate::graph::value::Kind;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.agents."],
    nodes: &[(
        "Agent",
        Spec {
            behaviour: Behaviour::Chat,
            props: &[
                ("model", Kind::Any, "null"),
                ("system", Kind::Str, "\"You are a helpful assistant.\""),
                ("prompt", Kind::Str, "\"\""),
                ("history", Kind::List, "[]"),
                ("max_tokens", Kind::Int, "8192"),
                ("image", Kind::Any, "null"),
                ("audio", Kind::Any, "null"),
                ("tools", Kind::List, "[]"),
            ],
            outputs: &["text", "chunk"],
            dynamic: false,
        },
    )],
};
