//! Sort: `sorted()` with CPython's runs and binary insertion, so incomparable values fail as
//! they do in NodeTool.

use serde_json::Value;

use super::compare::lt;
use super::output::list_out;
use crate::graph::nodes::spec::{Emitted, Props};

/// CPython's minimum run length: `n` itself below 64, else between 32 and 64.
fn min_run(mut n: usize) -> usize {
    let mut r = 0;
    while n >= 64 {
        r |= n & 1;
        n >>= 1;
    }
    n + r
}

/// The length of the run at the start of `s` and whether it is strictly descending, found
/// with the comparisons CPython makes.
fn count_run(s: &[&Value]) -> Result<(usize, bool), String> {
    if s.len() < 2 {
        return Ok((s.len(), false));
    }
    let mut n = 2;
    if lt(s[1], s[0])? {
        while n < s.len() && lt(s[n], s[n - 1])? {
            n += 1;
        }
        Ok((n, true))
    } else {
        while n < s.len() && !lt(s[n], s[n - 1])? {
            n += 1;
        }
        Ok((n, false))
    }
}

/// Binary insertion of `s[sorted..]` into the sorted prefix; equal items keep their order.
fn binary_insertion(s: &mut [&Value], sorted: usize) -> Result<(), String> {
    for i in sorted.max(1)..s.len() {
        let pivot = s[i];
        let (mut l, mut r) = (0, i);
        while l < r {
            let mid = l + (r - l) / 2;
            if lt(pivot, s[mid])? {
                r = mid;
            } else {
                l = mid + 1;
            }
        }
        s[l..=i].rotate_right(1);
    }
    Ok(())
}

/// Stable merge of the adjacent sorted runs `s[..mid]` and `s[mid..]`.
fn merge_runs(s: &mut [&Value], mid: usize) -> Result<(), String> {
    let mut merged = Vec::with_capacity(s.len());
    let (mut i, mut j) = (0, mid);
    while i < mid && j < s.len() {
        if lt(s[j], s[i])? {
            merged.push(s[j]);
            j += 1;
        } else {
            merged.push(s[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&s[i..mid]);
    merged.extend_from_slice(&s[j..]);
    s.copy_from_slice(&merged);
    Ok(())
}

/// Python's `sorted()`. Runs are found and extended exactly as CPython does, so a list of
/// fewer than 64 items meets an incomparable pair (and fails) just as it does in NodeTool;
/// longer lists merge their runs pairwise rather than by timsort's galloping, which gives
/// the same result whenever the values are comparable.
fn py_sorted(items: &[Value], reverse: bool) -> Result<Vec<Value>, String> {
    let mut v: Vec<&Value> = items.iter().collect();
    // CPython sorts a descending request by reversing, sorting and reversing back, which
    // keeps equal items in their original order.
    if reverse {
        v.reverse();
    }
    let n = v.len();
    let minrun = min_run(n);
    let mut runs = Vec::new();
    let mut lo = 0;
    while lo < n {
        let (mut len, descending) = count_run(&v[lo..])?;
        if descending {
            v[lo..lo + len].reverse();
        }
        if len < minrun {
            let force = (n - lo).min(minrun);
            binary_insertion(&mut v[lo..lo + force], len)?;
            len = force;
        }
        runs.push((lo, len));
        lo += len;
    }
    while runs.len() > 1 {
        let mut next = Vec::with_capacity(runs.len().div_ceil(2));
        for pair in runs.chunks(2) {
            match *pair {
                [(a, la), (_, lb)] => {
                    merge_runs(&mut v[a..a + la + lb], la)?;
                    next.push((a, la + lb));
                }
                [single] => next.push(single),
                _ => {}
            }
        }
        runs = next;
    }
    if reverse {
        v.reverse();
    }
    Ok(v.into_iter().cloned().collect())
}

pub(crate) fn sort(p: &Props) -> Result<Emitted, String> {
    let reverse = match p.str("order") {
        "ascending" => false,
        "descending" => true,
        other => return Err(format!("unsupported order '{other}'")),
    };
    list_out(py_sorted(p.list("values"), reverse)?)
}
