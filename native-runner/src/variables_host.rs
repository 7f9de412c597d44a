//! `fermyon:spin/variables@2.0.0`: the configuration the runner validated at start-up,
//! handed to the component by lower-case name as Spin does.

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::component::HasData;

use crate::bindings::fermyon::spin::variables::{Error, Host};

pub struct VariablesView<'a> {
    pub values: &'a Arc<HashMap<String, String>>,
}

pub struct SpinVariables;

impl HasData for SpinVariables {
    type Data<'a> = VariablesView<'a>;
}

impl Host for VariablesView<'_> {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, Error>> {
        Ok(self
            .values
            .get(&name)
            .cloned()
            .ok_or(Error::Undefined(name)))
    }
}
