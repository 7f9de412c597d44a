//! Cases for `nodetool.data.*`, from NodeTool's node semantics.

#[allow(unused_imports)]
use super::run;
