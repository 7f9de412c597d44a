//! Cases for `nodetool.dictionary.*`, from NodeTool's node semantics.

#[allow(unused_imports)]
use super::run;
