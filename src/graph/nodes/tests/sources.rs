//! Cases for constants, inputs and outputs.

#[allow(unused_imports)]
use super::run;
