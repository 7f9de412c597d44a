//! Indexing and ranges: the list nodes that count, slice, pick, extend and reshape.

use serde_json::{Value, json};

use super::compare::py_type;
use super::output::{list_out, room_for};
use crate::graph::nodes::spec::{Emitted, Props, one};

/// Python's `seq[i]` position for `i` (negative counts from the end).
fn position(len: usize, i: i64) -> Option<usize> {
    let len = len as i128;
    let i = i as i128;
    let i = if i < 0 { i + len } else { i };
    (0..len).contains(&i).then_some(i as usize)
}

/// How many values `range(start, stop, step)` yields; `step` is not zero.
fn range_len(start: i64, stop: i64, step: i64) -> i128 {
    let (a, b, s) = (start as i128, stop as i128, step as i128);
    if s > 0 && a < b {
        (b - a - 1) / s + 1
    } else if s < 0 && a > b {
        (a - b - 1) / -s + 1
    } else {
        0
    }
}

/// The values of a range with `n` items, `n` already known to be within bounds: every item
/// lies between `start` and `stop`, so none overflows.
fn range_items(start: i64, step: i64, n: i128) -> Vec<Value> {
    (0..n)
        .map(|k| json!((start as i128 + k * step as i128) as i64))
        .collect()
}

fn python_range(p: &Props) -> Result<(i64, i64, usize), String> {
    let (start, stop, step) = (p.int("start"), p.int("stop"), p.int("step"));
    if step == 0 {
        return Err("range() arg 3 must not be zero".into());
    }
    let n = range_len(start, stop, step);
    room_for(usize::try_from(n).unwrap_or(usize::MAX))?;
    Ok((start, step, n as usize))
}

pub(crate) fn list_range(p: &Props) -> Result<Emitted, String> {
    let (start, step, n) = python_range(p)?;
    list_out(range_items(start, step, n as i128))
}

/// One `output` per value, as NodeTool's generator yields them.
pub(crate) fn generate_sequence(p: &Props) -> Result<Emitted, String> {
    let (start, step, n) = python_range(p)?;
    Ok(range_items(start, step, n as i128)
        .into_iter()
        .map(|v| ("output", v))
        .collect())
}

/// The TypeScript port's `Range`: `range(start, stop, step)` when `stop` is not negative,
/// otherwise `range(count)`; refuses more than `max_output_length` items.
pub(crate) fn ts_range(p: &Props) -> Result<Emitted, String> {
    let stop = p.int("stop");
    let (start, step, n) = if stop >= 0 {
        let (start, step) = (p.int("start"), p.int("step"));
        if step == 0 {
            return Err("Range step must not be zero.".into());
        }
        (start, step, range_len(start, stop, step))
    } else {
        (0, 1, p.int("count").max(0) as i128)
    };
    let max = p.int("max_output_length").max(1);
    if n > max as i128 {
        return Err(format!(
            "Range would produce {n} items, exceeding max_output_length ({max})."
        ));
    }
    room_for(usize::try_from(n).unwrap_or(usize::MAX))?;
    list_out(range_items(start, step, n))
}

/// Python's slice positions `seq[start:stop:step]` for a sequence of `len` items, `None`
/// standing for an omitted bound.
fn slice_positions(
    len: usize,
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
) -> Result<Vec<usize>, String> {
    if step == 0 {
        return Err("slice step cannot be zero".into());
    }
    let (len, step) = (len as i128, step as i128);
    // Clamped as CPython's PySlice_AdjustIndices does: into [0, len] going forward and
    // [-1, len - 1] going backward.
    let (lo, hi) = if step > 0 { (0, len) } else { (-1, len - 1) };
    let adjust = |bound: Option<i64>, omitted: i128| match bound {
        None => omitted,
        Some(i) => {
            let i = i as i128;
            (if i < 0 { i + len } else { i }).clamp(lo, hi)
        }
    };
    let (first, end) = if step > 0 {
        (adjust(start, 0), adjust(stop, len))
    } else {
        (adjust(start, len - 1), adjust(stop, -1))
    };
    let count = if step > 0 && first < end {
        (end - first - 1) / step + 1
    } else if step < 0 && first > end {
        (first - end - 1) / -step + 1
    } else {
        0
    };
    Ok((0..count).map(|k| (first + k * step) as usize).collect())
}

pub(crate) fn length(p: &Props) -> Result<Emitted, String> {
    one(json!(p.list("values").len()))
}

/// `stop = 0` means "to the end", as NodeTool documents.
pub(crate) fn slice(p: &Props) -> Result<Emitted, String> {
    let values = p.list("values");
    let stop = Some(p.int("stop")).filter(|s| *s != 0);
    let picked = slice_positions(values.len(), Some(p.int("start")), stop, p.int("step"))?;
    list_out(picked.into_iter().map(|i| values[i].clone()).collect())
}

pub(crate) fn select_elements(p: &Props) -> Result<Emitted, String> {
    let values = p.list("values");
    let indices = p.list("indices");
    room_for(indices.len())?;
    let mut out = Vec::with_capacity(indices.len());
    for index in indices {
        let i = match index {
            Value::Number(n) if !n.is_f64() => n.as_i64(),
            other => {
                return Err(format!(
                    "list indices must be integers or slices, not {}",
                    py_type(other)
                ));
            }
        };
        let at = i.and_then(|i| position(values.len(), i));
        out.push(at.ok_or("list index out of range")?);
    }
    list_out(out.into_iter().map(|i| values[i].clone()).collect())
}

pub(crate) fn get_element(p: &Props) -> Result<Emitted, String> {
    let values = p.list("values");
    let i = position(values.len(), p.int("index")).ok_or("list index out of range")?;
    one(values[i].clone())
}

pub(crate) fn append(p: &Props) -> Result<Emitted, String> {
    let values = p.list("values");
    room_for(values.len() + 1)?;
    let mut out = values.to_vec();
    out.push(p.get("value").clone());
    list_out(out)
}

pub(crate) fn extend(p: &Props) -> Result<Emitted, String> {
    let (values, other) = (p.list("values"), p.list("other_values"));
    room_for(values.len() + other.len())?;
    list_out([values, other].concat())
}

pub(crate) fn reverse(p: &Props) -> Result<Emitted, String> {
    list_out(p.list("values").iter().rev().cloned().collect())
}

/// `chunk_size` is not range-checked by NodeTool: zero fails as `range()` does and a negative
/// size yields no chunks.
pub(crate) fn chunk(p: &Props) -> Result<Emitted, String> {
    let values = p.list("values");
    let size = p.int("chunk_size");
    if size == 0 {
        return Err("range() arg 3 must not be zero".into());
    }
    if size < 0 {
        return list_out(Vec::new());
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    list_out(
        values
            .chunks(size)
            .map(|c| Value::Array(c.to_vec()))
            .collect(),
    )
}

/// Without recursion: nesting may be deeper than the stack allows. `max_depth = -1` means no
/// limit; other negative depths flatten nothing, as in NodeTool.
pub(crate) fn flatten(p: &Props) -> Result<Emitted, String> {
    let max_depth = p.int("max_depth");
    let mut out = Vec::new();
    let mut stack = vec![p.list("values").iter()];
    while let Some(top) = stack.last_mut() {
        let Some(item) = top.next() else {
            stack.pop();
            continue;
        };
        let depth = stack.len() as i64 - 1;
        match item {
            Value::Array(inner) if max_depth == -1 || depth < max_depth => {
                stack.push(inner.iter());
            }
            other => {
                room_for(out.len() + 1)?;
                out.push(other.clone());
            }
        }
    }
    list_out(out)
}
