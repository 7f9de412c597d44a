//! `nodetool.dictionary.*`: dictionaries.

use super::spec::Family;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.dictionary."],
    nodes: &[],
};
