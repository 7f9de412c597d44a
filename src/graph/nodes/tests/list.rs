//! Cases for `nodetool.list.*`, from NodeTool's node semantics.

#[allow(unused_imports)]
use super::run;
