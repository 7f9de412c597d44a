//! YAML collections: block sequences and mappings, and the value at each place.

use serde_json::{Map, Value};

use super::emitter::{Ctx, Emitter};
use super::scalar::{analyze, yaml_float};
use crate::graph::nodes::pyjson::encode::MAX_WALK_DEPTH;

impl Emitter {
    pub(super) fn node(&mut self, v: &Value, ctx: Ctx, depth: usize) -> Result<(), String> {
        if depth > MAX_WALK_DEPTH {
            return Err("the value is nested too deeply to write as YAML".into());
        }
        match v {
            Value::Array(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Object(m) if m.is_empty() => self.empty_flow("{", "}"),
            Value::Array(items) => self.sequence(items, ctx, depth),
            Value::Object(m) => self.mapping(m, depth),
            Value::String(s) => self.scalar(s, true, ctx),
            Value::Null => self.scalar("null", false, ctx),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, false, ctx),
            Value::Number(n) => {
                let text = match n.as_f64() {
                    Some(f) if n.is_f64() => yaml_float(f),
                    _ => n.to_string(),
                };
                self.scalar(&text, false, ctx)
            }
        }
    }

    /// Empty collections are always written in flow style.
    fn empty_flow(&mut self, open: &str, close: &str) -> Result<(), String> {
        self.write_indicator(open, true, true, false)?;
        self.write_indicator(close, false, false, false)
    }

    fn sequence(&mut self, items: &[Value], ctx: Ctx, depth: usize) -> Result<(), String> {
        // A sequence that is a mapping's value sits at the mapping's own indentation.
        let indentless = ctx.mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent()?;
            self.write_indicator("-", true, false, true)?;
            self.node(item, Ctx::default(), depth + 1)?;
        }
        self.pop_indent();
        Ok(())
    }

    fn mapping(&mut self, m: &Map<String, Value>, depth: usize) -> Result<(), String> {
        self.increase_indent(false, false);
        let value_ctx = Ctx {
            mapping: true,
            simple_key: false,
        };
        for (key, value) in m {
            self.write_indent()?;
            let chars: Vec<char> = key.chars().collect();
            let a = analyze(&chars);
            // The key's length counts its tag ("!!str") too, as PyYAML measures it.
            if chars.len() + 5 < 128 && !a.empty && !a.multiline {
                let key_ctx = Ctx {
                    mapping: true,
                    simple_key: true,
                };
                self.scalar(key, true, key_ctx)?;
                self.write_indicator(":", false, false, false)?;
            } else {
                self.write_indicator("?", true, false, true)?;
                self.scalar(key, true, value_ctx)?;
                self.write_indent()?;
                self.write_indicator(":", true, false, true)?;
            }
            self.node(value, value_ctx, depth + 1)?;
        }
        self.pop_indent();
        Ok(())
    }
}
