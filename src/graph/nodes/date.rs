//! `lib.date.*`: dates and times (UTC).

use super::spec::Family;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["lib.date."],
    nodes: &[],
};
