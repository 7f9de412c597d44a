//! `nodetool.data.*`: tables (NodeTool's DataFrame as {"columns", "data"}).

use super::spec::Family;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.data."],
    nodes: &[],
};
