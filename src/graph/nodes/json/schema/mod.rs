//! JSON Schema, as the `jsonschema` package applies it (Draft 2020-12 unless `$schema` names an
//! older draft). Formats are annotations only, as there. What cannot be checked here (remote
//! references, dynamic references) fails the node instead of answering wrongly.

mod applicators;
mod containers;
mod metaschema;
mod rules;
mod validator;

use std::collections::HashMap;

use serde_json::Value;

use metaschema::check_schema;
use rules::Draft;
use validator::Validator;

use crate::graph::nodes::pyre::Budget;
use crate::graph::nodes::spec::{Emitted, Props, one};

pub(super) fn validate_json(p: &Props) -> Result<Emitted, String> {
    let schema = p.get("json_schema");
    let draft = Draft::of(schema)?;
    check_schema(schema, draft, 0)?;
    let mut v = Validator {
        root: schema,
        draft,
        steps: 0,
        patterns: HashMap::new(),
        budget: Budget::for_text(0),
    };
    let ok = v.valid(p.get("data"), schema, 0)?.is_some();
    one(Value::Bool(ok))
}
