//! The list a node puts out, and the most items one may hold.

use serde_json::Value;

use crate::graph::nodes::spec::{Emitted, one};

/// The most items a node may put in one list (the engine refuses larger outputs anyway;
/// checking first means never building them).
const MAX_ITEMS: usize = 100_000;

pub(super) fn room_for(n: usize) -> Result<(), String> {
    if n > MAX_ITEMS {
        Err(format!("the list would exceed {MAX_ITEMS} items"))
    } else {
        Ok(())
    }
}

pub(super) fn list_out(items: Vec<Value>) -> Result<Emitted, String> {
    one(Value::Array(items))
}
