//! Cases for `lib.date.*`, from NodeTool's node semantics.

#[allow(unused_imports)]
use super::run;
