//! Substrings and chunks: a code-point range of a text, and overlapping windows of words.

use serde_json::Value;

use super::output::{Bounded, chars_of};
use super::strings::py_slice_indices;
use crate::graph::nodes::spec::{Emitted, Props, one};

pub(crate) fn extract(p: &Props) -> Result<Emitted, String> {
    let chars = chars_of(p.str("text"));
    let idx = py_slice_indices(chars.len(), p.int("start"), p.int("end"), 1)?;
    one(Value::String(idx.into_iter().map(|i| chars[i]).collect()))
}

/// `text.split(separator)` in windows of `length` words that start every `length - overlap`
/// words, each joined with a space (whatever the separator was), as NodeTool does.
pub(crate) fn chunk(p: &Props) -> Result<Emitted, String> {
    let sep = p.str("separator");
    if sep.is_empty() {
        return Err("empty separator".into());
    }
    let words: Vec<&str> = p.str("text").split(sep).collect();
    let length = i128::from(p.int("length"));
    let step = length - i128::from(p.int("overlap"));
    if step == 0 {
        return Err("range() arg 3 must not be zero".into());
    }
    let mut out = Bounded::new(p.max_len);
    if step < 0 {
        return out.done();
    }
    let n = words.len() as i128;
    let mut i: i128 = 0;
    while i < n {
        // `words[i:i + length]`: a negative end counts from the back, as in Python.
        let stop =
            i64::try_from(i + length).unwrap_or(if length < 0 { i64::MIN } else { i64::MAX });
        let idx = py_slice_indices(words.len(), i as i64, stop, 1)?;
        let piece: Vec<&str> = idx.into_iter().map(|j| words[j]).collect();
        out.push_text(piece.join(" "))?;
        i += step;
    }
    out.done()
}
