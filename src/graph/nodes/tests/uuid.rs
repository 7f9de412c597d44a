//! Cases for `lib.uuid.*`, from NodeTool's node semantics.

#[allow(unused_imports)]
use super::run;
