//! Nodes that save what a workflow made into the caller's assets: `nodetool.dictionary.SaveJSON`
//! and `nodetool.text.SaveText`.
//!
//! NodeTool's `SaveJSON` writes into a local folder when `folder` is set and otherwise only
//! returns the JSON text; a server has no local folder to offer, so here the JSON is stored as
//! an asset of the caller (named by `name`, with its date placeholders filled) and the node
//! still outputs the JSON text. `SaveText` stores the text and outputs NodeTool's `TextRef`.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::{Value, json};

use super::{Call, Effects, Outputs};
use crate::graph::value::py_str;

/// The date placeholders NodeTool fills in asset names, from the run's clock (UTC).
pub fn timestamped_name(pattern: &str, now_micros: i64) -> String {
    let now: DateTime<Utc> = DateTime::from_timestamp_micros(now_micros).unwrap_or_default();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", now.year())),
            Some('m') => out.push_str(&format!("{:02}", now.month())),
            Some('d') => out.push_str(&format!("{:02}", now.day())),
            Some('H') => out.push_str(&format!("{:02}", now.hour())),
            Some('M') => out.push_str(&format!("{:02}", now.minute())),
            Some('S') => out.push_str(&format!("{:02}", now.second())),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Python's `json.dumps(v, indent=n)`: `", "`-free item separators on indented output, ASCII
/// only (non-ASCII as `\uXXXX`), as NodeTool writes the file.
pub fn python_json(v: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_value(v, indent, 0, &mut out);
    out
}

fn write_value(v: &Value, indent: usize, depth: usize, out: &mut String) {
    let pad = |out: &mut String, d: usize| {
        out.push('\n');
        out.push_str(&" ".repeat(indent * d));
    };
    match v {
        Value::Array(a) if !a.is_empty() => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(out, depth + 1);
                write_value(item, indent, depth + 1, out);
            }
            pad(out, depth);
            out.push(']');
        }
        Value::Object(o) if !o.is_empty() => {
            out.push('{');
            for (i, (k, item)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(out, depth + 1);
                write_string(k, out);
                out.push_str(": ");
                write_value(item, indent, depth + 1, out);
            }
            pad(out, depth);
            out.push('}');
        }
        Value::String(s) => write_string(s, out),
        Value::Number(_) => out.push_str(&py_str(v)),
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
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
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

pub async fn save_json<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let indent = call.get("indent").as_i64().unwrap_or(2).clamp(0, 16) as usize;
    let text = python_json(call.get("data"), indent);
    if text.len() > call.max_len {
        return Err("the JSON is too large to save".into());
    }
    let name = timestamped_name(call.str("name"), call.now_micros);
    fx.save_asset(&name, "application/json", text.clone().into_bytes())
        .await?;
    Ok(vec![("output".into(), Value::String(text))])
}

pub async fn save_text<E: Effects>(call: &Call<'_>, fx: &E) -> Result<Outputs, String> {
    let name = timestamped_name(call.str("name"), call.now_micros);
    let saved = fx
        .save_asset(&name, "text/plain", call.str("text").as_bytes().to_vec())
        .await?;
    let text_ref = json!({
        "type": "text",
        "uri": saved["uri"],
        "asset_id": saved["asset_id"],
        "data": null,
    });
    Ok(vec![("output".into(), text_ref)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_json_follow_nodetool() {
        // 2023-11-14 22:13:20 UTC.
        let t = 1_700_000_000_000_000;
        assert_eq!(
            timestamped_name("run-%Y%m%d-%H%M%S.json", t),
            "run-20231114-221320.json"
        );
        assert_eq!(timestamped_name("100%% %q %", t), "100% %q %");
        assert_eq!(
            python_json(&json!({"a": [1, 2.0], "é": "ü", "e": {}}), 2),
            "{\n  \"a\": [\n    1,\n    2.0\n  ],\n  \"e\": {},\n  \"\\u00e9\": \"\\u00fc\"\n}"
        );
    }
}
