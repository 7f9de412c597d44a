//! `json.dumps`: JSON text as Python writes it, numbers and `ensure_ascii` strings included.

use serde_json::{Number, Value};

use crate::graph::value::{py_float, too_long};

/// Deepest nesting the writers walk (Python stops near 1000 with a RecursionError; values here
/// are at most 128 deep when parsed, so this only stops pathological input).
pub(crate) const MAX_WALK_DEPTH: usize = 256;

/// Python's `json.dumps(v, indent=indent)`: `ensure_ascii`, `", "`/`": "` separators without an
/// indent and `","` with one, floats as `repr`. Refuses text longer than `max` bytes.
pub(crate) fn dumps(v: &Value, indent: Option<usize>, max: usize) -> Result<String, String> {
    let mut w = JsonWriter {
        out: String::new(),
        indent,
        max,
    };
    w.value(v, 0)?;
    Ok(w.out)
}

struct JsonWriter {
    out: String,
    indent: Option<usize>,
    max: usize,
}

impl JsonWriter {
    fn push(&mut self, s: &str) -> Result<(), String> {
        too_long(self.out.len() + s.len(), self.max)?;
        self.out.push_str(s);
        Ok(())
    }

    fn newline(&mut self, level: usize) -> Result<(), String> {
        let Some(width) = self.indent else {
            return Ok(());
        };
        let spaces = width.saturating_mul(level);
        too_long(
            self.out.len().saturating_add(spaces).saturating_add(1),
            self.max,
        )?;
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', spaces));
        Ok(())
    }

    fn value(&mut self, v: &Value, level: usize) -> Result<(), String> {
        if level > MAX_WALK_DEPTH {
            return Err("the value is nested too deeply to write as JSON".into());
        }
        match v {
            Value::Null => self.push("null"),
            Value::Bool(b) => self.push(if *b { "true" } else { "false" }),
            Value::Number(n) => self.push(&number_text(n)),
            Value::String(s) => {
                let quoted = quote_ascii(s);
                self.push(&quoted)
            }
            Value::Array(items) => {
                if items.is_empty() {
                    return self.push("[]");
                }
                self.push("[")?;
                for (i, item) in items.iter().enumerate() {
                    self.separator(i)?;
                    self.newline(level + 1)?;
                    self.value(item, level + 1)?;
                }
                self.newline(level)?;
                self.push("]")
            }
            Value::Object(map) => {
                if map.is_empty() {
                    return self.push("{}");
                }
                self.push("{")?;
                for (i, (k, item)) in map.iter().enumerate() {
                    self.separator(i)?;
                    self.newline(level + 1)?;
                    self.push(&quote_ascii(k))?;
                    self.push(": ")?;
                    self.value(item, level + 1)?;
                }
                self.newline(level)?;
                self.push("}")
            }
        }
    }

    fn separator(&mut self, index: usize) -> Result<(), String> {
        match (index, self.indent) {
            (0, _) => Ok(()),
            (_, Some(_)) => self.push(","),
            (_, None) => self.push(", "),
        }
    }
}

/// A JSON number as Python writes it: integers exactly, floats as `repr`.
pub(crate) fn number_text(n: &Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() => py_float(f),
        _ => n.to_string(),
    }
}

/// A string as `json.dumps` quotes it with `ensure_ascii`: everything outside printable ASCII
/// escaped, astral characters as surrogate pairs.
pub(crate) fn quote_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}
