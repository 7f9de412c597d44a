//! `nodetool.list.*`: lists (and NodeTool's number filters).

use super::spec::Family;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.list."],
    nodes: &[],
};

pub(crate) const NUMBERS: Family = Family {
    prefixes: &["nodetool.numbers."],
    nodes: &[],
};
