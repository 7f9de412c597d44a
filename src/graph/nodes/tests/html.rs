//! Cases for `lib.markdown.*`, from NodeTool's node semantics.

#[allow(unused_imports)]
use super::run;
