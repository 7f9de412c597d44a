//! `lib.markdown.*`: extraction from Markdown and HTML.

use super::spec::Family;

pub(crate) const FAMILY: Family = Family {
    prefixes: &["lib.markdown.", "lib.beautifulsoup."],
    nodes: &[],
};
