//! `lib.uuid.*`: UUIDs.

use super::spec::Family;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["lib.uuid."],
    nodes: &[],
};
