//! Cases for `lib.json.*`, from NodeTool's node semantics.

#[allow(unused_imports)]
use super::run;
