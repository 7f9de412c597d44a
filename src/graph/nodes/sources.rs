//! Where values enter and leave a graph: `nodetool.constant.*`, `nodetool.input.*`,
//! `nodetool.output.*`, NodeTool's test helpers, and the editor's own nodes.

use super::spec::{Behaviour, Family, OUT, Op, Spec, source};
use super::text::format_text;
use crate::graph::value::Kind;

const fn constant(kind: Kind) -> Spec {
    source(Behaviour::Constant, kind)
}

const fn input(kind: Kind) -> Spec {
    source(Behaviour::Input, kind)
}

pub(crate) const OUTPUT_SPEC: Spec = Spec {
    behaviour: Behaviour::Output,
    props: &[("value", Kind::Any, "null")],
    outputs: OUT,
    // Older typed outputs and NodeTool's own graphs connect to `value`; accept any handle.
    dynamic: true,
};

pub(crate) const CONSTANT: Family = Family {
    prefixes: &["nodetool.constant."],
    nodes: &[
        ("String", constant(Kind::Str)),
        ("Select", constant(Kind::Str)),
        ("Integer", constant(Kind::Int)),
        ("Float", constant(Kind::Float)),
        ("Bool", constant(Kind::Bool)),
        ("List", constant(Kind::List)),
        ("TextList", constant(Kind::List)),
        ("Dict", constant(Kind::Dict)),
        ("JSON", constant(Kind::Any)),
        ("Image", constant(Kind::Any)),
        ("Audio", constant(Kind::Any)),
        ("Video", constant(Kind::Any)),
        ("Document", constant(Kind::Any)),
        ("DataFrame", constant(Kind::Any)),
        ("Model3D", constant(Kind::Any)),
    ],
};

pub(crate) const INPUT: Family = Family {
    prefixes: &["nodetool.input."],
    nodes: &[
        ("StringInput", input(Kind::Str)),
        ("SelectInput", input(Kind::Str)),
        ("IntegerInput", input(Kind::Int)),
        ("FloatInput", input(Kind::Float)),
        ("BooleanInput", input(Kind::Bool)),
        ("StringListInput", input(Kind::List)),
        ("ImageInput", input(Kind::Any)),
        ("AudioInput", input(Kind::Any)),
        ("VideoInput", input(Kind::Any)),
        ("DocumentInput", input(Kind::Any)),
    ],
};

pub(crate) const OUTPUT: Family = Family {
    prefixes: &["nodetool.output."],
    nodes: &[("Output", OUTPUT_SPEC)],
};

pub(crate) const TEST_HELPER: Family = Family {
    prefixes: &["nodetool.workflows.test_helper."],
    nodes: &[
        ("StringInput", input(Kind::Str)),
        ("FloatInput", input(Kind::Float)),
        ("IntInput", input(Kind::Int)),
        (
            "FormatText",
            Spec {
                behaviour: Behaviour::Op(Op(format_text)),
                props: &[
                    ("template", Kind::Str, "\"Hello, {{ text }}\""),
                    ("text", Kind::Str, "\"\""),
                ],
                outputs: OUT,
                dynamic: false,
            },
        ),
        ("StringOutput", OUTPUT_SPEC),
        ("FloatOutput", OUTPUT_SPEC),
        ("IntOutput", OUTPUT_SPEC),
    ],
};

pub(crate) const BASE_NODE: Family = Family {
    prefixes: &["nodetool.workflows.base_node."],
    nodes: &[
        (
            "Comment",
            Spec {
                behaviour: Behaviour::Ignored,
                props: &[],
                outputs: &[],
                dynamic: true,
            },
        ),
        (
            "Preview",
            Spec {
                behaviour: Behaviour::Preview,
                props: &[("value", Kind::Any, "null"), ("name", Kind::Str, "\"\"")],
                outputs: &[],
                dynamic: false,
            },
        ),
    ],
};
