//! Cases for the rest of `nodetool.text.*`, from NodeTool's node semantics.

#[allow(unused_imports)]
use super::run;
