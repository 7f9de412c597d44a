//! SerpApi's answers: what NodeTool drops from every one, and the pieces the shapers take out.

use serde_json::{Value, json};

use crate::graph::nodes::serp::{Args, Shaped};
use crate::graph::value::py_str;

/// Keys NodeTool drops from every answer, at any depth, with text values that are data URIs.
const INLINE_IMAGE_KEYS: &[&str] = &["image", "image_alt", "image_base64", "image_url"];

/// SerpApi's answer as NodeTool accepts it: an `error` in it becomes the node's error (its
/// text as is), a search whose status is `Error` fails, and inline images are removed.
pub fn accept(answer: Value) -> Result<Value, String> {
    if let Some(e) = answer.get("error") {
        let text = py_str(e);
        return Err(if text.is_empty() {
            "SerpApi returned an error".to_string()
        } else {
            text
        });
    }
    let status = answer.get("search_metadata").and_then(|m| m.get("status"));
    if status.and_then(Value::as_str) == Some("Error") {
        let shown = py_str(&answer);
        let shown: String = if shown.chars().count() > 1000 {
            shown.chars().take(1000).chain("...".chars()).collect()
        } else {
            shown
        };
        return Err(format!("SerpApi returned an error: {shown}"));
    }
    Ok(without_inline_images(answer))
}

/// Removes image keys and data-URI texts from every object in `v` (lists keep their items).
pub fn without_inline_images(mut v: Value) -> Value {
    let mut stack: Vec<&mut Value> = vec![&mut v];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                map.retain(|k, v| {
                    !INLINE_IMAGE_KEYS.contains(&k.as_str())
                        && !v.as_str().is_some_and(|s| s.starts_with("data:"))
                });
                stack.extend(map.values_mut());
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    v
}

/// The list under `key` (none when it is missing or not a list).
pub(super) fn take_list(answer: &mut Value, key: &str) -> Vec<Value> {
    match answer.get_mut(key).map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// Python's `items[:n]`: a negative `n` drops that many from the end.
pub(super) fn head(mut items: Vec<Value>, n: i64) -> Vec<Value> {
    let len = items.len() as i64;
    let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) };
    items.truncate(keep as usize);
    items
}

pub(super) fn results_text(results: Vec<Value>, text: String) -> Shaped {
    vec![("results", Value::Array(results)), ("text", json!(text))]
}

/// NodeTool's `ImageRef` for an image at `uri`.
pub(super) fn image_ref(uri: &str) -> Value {
    json!({"type": "image", "uri": uri, "asset_id": null, "data": null, "metadata": null})
}

/// `answer[key]` when present (even null), else the whole answer.
pub(super) fn part_or_whole(mut answer: Value, key: &str) -> Value {
    match answer.as_object_mut().and_then(|m| m.remove(key)) {
        Some(part) => part,
        None => answer,
    }
}

pub(super) fn whole(_: &Args, answer: Value) -> Shaped {
    vec![("output", answer)]
}

pub(super) fn product_result(_: &Args, answer: Value) -> Shaped {
    vec![("output", part_or_whole(answer, "product_result"))]
}
