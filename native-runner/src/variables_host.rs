//! `spin:variables/variables@3.0.0`: the configuration the runner validated at start-up,
//! handed to the component by lower-case name as Spin does.

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::component::{Accessor, HasData};

use crate::bindings::spin::variables::variables::{Error, Host, HostWithStore};

pub struct VariablesView<'a> {
    pub values: &'a Arc<HashMap<String, String>>,
}

pub struct SpinVariables;

impl HasData for SpinVariables {
    type Data<'a> = VariablesView<'a>;
}

impl<T: Send> HostWithStore<T> for SpinVariables {
    async fn get(
        accessor: &Accessor<T, Self>,
        name: String,
    ) -> wasmtime::Result<Result<String, Error>> {
        Ok(accessor.with(|mut access| {
            access
                .get()
                .values
                .get(&name)
                .cloned()
                .ok_or(Error::Undefined(name))
        }))
    }
}

impl Host for VariablesView<'_> {}
