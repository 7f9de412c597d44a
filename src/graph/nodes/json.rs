//! `lib.json.*`: JSON values: paths, filters, validation.

use super::spec::Family;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["lib.json."],
    nodes: &[],
};
