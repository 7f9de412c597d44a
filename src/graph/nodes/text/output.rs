//! What a text node may build: lists bounded in items and in total text, and code-point
//! slices of a text.

use serde_json::Value;

use crate::graph::nodes::spec::{Emitted, one};
use crate::graph::value::too_long;

/// Longest list a node may build (the engine refuses longer outputs; we refuse before building).
pub(super) const MAX_ITEMS: usize = 100_000;

pub(super) fn too_many(n: usize) -> Result<(), String> {
    if n > MAX_ITEMS {
        Err(format!("the list would exceed {MAX_ITEMS} items"))
    } else {
        Ok(())
    }
}

/// A list of strings under both bounds: item count and total text, since pieces of one input
/// can repeat (overlapping chunks, groups inside lookaheads) and add up past any one string.
pub(super) struct Bounded {
    items: Vec<Value>,
    bytes: usize,
    max_len: usize,
}

impl Bounded {
    pub(super) fn new(max_len: usize) -> Self {
        Bounded {
            items: Vec::new(),
            bytes: 0,
            max_len,
        }
    }

    /// Counts `s` against the text budget and returns it as a value.
    pub(super) fn text(&mut self, s: String) -> Result<Value, String> {
        self.bytes = self.bytes.saturating_add(s.len());
        too_long(self.bytes, self.max_len)?;
        Ok(Value::String(s))
    }

    pub(super) fn push(&mut self, v: Value) -> Result<(), String> {
        too_many(self.items.len() + 1)?;
        self.items.push(v);
        Ok(())
    }

    pub(super) fn push_text(&mut self, s: String) -> Result<(), String> {
        let v = self.text(s)?;
        self.push(v)
    }

    pub(super) fn done(self) -> Result<Emitted, String> {
        one(Value::Array(self.items))
    }
}

pub(super) fn chars_of(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// A code-point slice `[start, end)` of `chars` as a string (callers pass valid bounds).
pub(super) fn string_of(chars: &[char], start: usize, end: usize) -> String {
    chars.get(start..end).unwrap_or_default().iter().collect()
}
