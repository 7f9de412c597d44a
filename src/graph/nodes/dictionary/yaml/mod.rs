//! `yaml.dump`: PyYAML's emitter with its defaults (block style, sorted keys, indent 2, width 80,
//! no unicode), for the values JSON can hold.

mod emitter;
mod scalar;
mod tree;

use serde_json::Value;

use emitter::{Ctx, Emitter};

pub(super) fn yaml_dump(v: &Value, max: usize) -> Result<String, String> {
    let mut e = Emitter {
        out: String::new(),
        max,
        column: 0,
        whitespace: true,
        indention: true,
        indent: None,
        indents: Vec::new(),
    };
    e.node(v, Ctx::default(), 0)?;
    e.write_indent()?;
    Ok(e.out)
}
