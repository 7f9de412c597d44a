//! `nodetool.list.*`: lists (and NodeTool's number filters, `nodetool.numbers.*`).
//!
//! NodeTool runs these nodes on CPython 3.11, and several of them expose CPython internals
//! to the user: `Dedupe`, `Intersection`, `Union` and `Difference` return `list(set(...))`,
//! whose order is the hash table's slot order, and `Sort` raises on the first pair of
//! values its algorithm happens to compare. So this module reproduces the set table
//! (hashes, probing, growth) and the start of CPython's sort, rather than only their
//! documented contracts.

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::spec::{Emitted, Family, Prop, Props, float_out, one, op};
use crate::graph::value::{Kind, Num, py_eq};

pub(crate) const FAMILY: Family = Family {
    prefixes: &["nodetool.list."],
    nodes: &[
        ("Length", op(length, VALUES)),
        ("ListRange", op(list_range, RANGE)),
        // NodeTool's TypeScript port names its range node `Range` and adds a count mode.
        (
            "Range",
            op(
                ts_range,
                &[
                    ("start", Kind::Int, "0"),
                    ("stop", Kind::Int, "-1"),
                    ("count", Kind::Int, "10"),
                    ("step", Kind::Int, "1"),
                    ("max_output_length", Kind::Int, "10000"),
                ],
            ),
        ),
        ("GenerateSequence", op(generate_sequence, RANGE)),
        (
            "Slice",
            op(
                slice,
                &[
                    ("values", Kind::List, "[]"),
                    ("start", Kind::Int, "0"),
                    ("stop", Kind::Int, "0"),
                    ("step", Kind::Int, "1"),
                ],
            ),
        ),
        (
            "SelectElements",
            op(
                select_elements,
                &[("values", Kind::List, "[]"), ("indices", Kind::List, "[]")],
            ),
        ),
        (
            "GetElement",
            op(
                get_element,
                &[("values", Kind::List, "[]"), ("index", Kind::Int, "0")],
            ),
        ),
        // NodeTool's default is an empty tuple, which reaches JSON as `[]`.
        (
            "Append",
            op(
                append,
                &[("values", Kind::List, "[]"), ("value", Kind::Any, "[]")],
            ),
        ),
        (
            "Extend",
            op(
                extend,
                &[
                    ("values", Kind::List, "[]"),
                    ("other_values", Kind::List, "[]"),
                ],
            ),
        ),
        ("Dedupe", op(dedupe, VALUES)),
        ("Reverse", op(reverse, VALUES)),
        ("Randomize", op(randomize, VALUES)),
        (
            "Sort",
            op(
                sort,
                &[
                    ("values", Kind::List, "[]"),
                    ("order", Kind::Str, "\"ascending\""),
                ],
            ),
        ),
        ("Intersection", op(intersection, TWO_LISTS)),
        ("Union", op(union, TWO_LISTS)),
        ("Difference", op(difference, TWO_LISTS)),
        (
            "Chunk",
            op(
                chunk,
                &[("values", Kind::List, "[]"), ("chunk_size", Kind::Int, "1")],
            ),
        ),
        ("Sum", op(sum, VALUES)),
        ("Average", op(average, VALUES)),
        ("Minimum", op(minimum, VALUES)),
        ("Maximum", op(maximum, VALUES)),
        ("Product", op(product, VALUES)),
        (
            "Flatten",
            op(
                flatten,
                &[("values", Kind::List, "[]"), ("max_depth", Kind::Int, "-1")],
            ),
        ),
    ],
};

pub(crate) const NUMBERS: Family = Family {
    prefixes: &["nodetool.numbers."],
    nodes: &[
        // The value and the thresholds arrive unconverted in NodeTool (they are streamed),
        // so they are taken as they come and judged the way Python would.
        (
            "FilterNumber",
            op(
                filter_number,
                &[
                    ("value", Kind::Any, "0.0"),
                    ("filter_type", Kind::Str, "\"greater_than\""),
                    ("compare_value", Kind::Any, "0"),
                ],
            ),
        ),
        (
            "FilterNumberRange",
            op(
                filter_number_range,
                &[
                    ("value", Kind::Any, "0.0"),
                    ("min_value", Kind::Any, "0"),
                    ("max_value", Kind::Any, "0"),
                    ("inclusive", Kind::Bool, "true"),
                ],
            ),
        ),
    ],
};

const VALUES: &[Prop] = &[("values", Kind::List, "[]")];
const TWO_LISTS: &[Prop] = &[("list1", Kind::List, "[]"), ("list2", Kind::List, "[]")];
const RANGE: &[Prop] = &[
    ("start", Kind::Int, "0"),
    ("stop", Kind::Int, "0"),
    ("step", Kind::Int, "1"),
];

/// The most items a node may put in one list (the engine refuses larger outputs anyway;
/// checking first means never building them).
const MAX_ITEMS: usize = 100_000;

fn room_for(n: usize) -> Result<(), String> {
    if n > MAX_ITEMS {
        Err(format!("the list would exceed {MAX_ITEMS} items"))
    } else {
        Ok(())
    }
}

fn list_out(items: Vec<Value>) -> Result<Emitted, String> {
    one(Value::Array(items))
}

/// Python's name for the type of a value's counterpart, as its error messages spell it.
fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A Python `int`/`float` (a `bool` is an `int` there); strings are not numbers here.
fn number(v: &Value) -> Option<Num> {
    match v {
        Value::Bool(b) => Some(Num::Int(*b as i64)),
        Value::Number(n) => n
            .as_i64()
            .map(Num::Int)
            .or_else(|| n.as_f64().map(Num::Float)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Indexing and ranges

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

// ---------------------------------------------------------------------------------------
// Randomize: `random.shuffle` with the host's entropy

/// Random words from the host, fetched a block at a time.
struct Entropy<'a> {
    fill: &'a dyn Fn(&mut [u8]),
    buf: [u8; 256],
    pos: usize,
}

impl Entropy<'_> {
    fn next_u64(&mut self) -> u64 {
        if self.pos + 8 > self.buf.len() {
            (self.fill)(&mut self.buf);
            self.pos = 0;
        }
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.buf[self.pos..self.pos + 8]);
        self.pos += 8;
        u64::from_le_bytes(word)
    }

    /// Uniform in `0..n` (`n > 0`): words from the incomplete last stretch are redrawn.
    fn below(&mut self, n: u64) -> u64 {
        let skew = (u64::MAX % n + 1) % n; // 2^64 mod n
        loop {
            let r = self.next_u64();
            if skew == 0 || r < u64::MAX - skew + 1 {
                return r % n;
            }
        }
    }
}

pub(crate) fn randomize(p: &Props) -> Result<Emitted, String> {
    let mut items = p.list("values").to_vec();
    let mut rng = Entropy {
        fill: p.random,
        buf: [0; 256],
        pos: 256,
    };
    // Fisher-Yates from the end, as `random.shuffle` walks it.
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
    list_out(items)
}

// ---------------------------------------------------------------------------------------
// Python's comparisons

/// Deep enough for any sensible data, shallow enough for any stack.
const MAX_NESTING: usize = 200;
const TOO_DEEP: &str = "maximum recursion depth exceeded in comparison";

/// Exact ordering of two Python numbers (an `int` against a `float` is compared exactly,
/// not through a rounded conversion). `None` only for a NaN.
fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(i), Num::Float(f)) => int_float_cmp(i, f),
        (Num::Float(f), Num::Int(i)) => int_float_cmp(i, f).map(Ordering::reverse),
    }
}

fn int_float_cmp(i: i64, f: f64) -> Option<Ordering> {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        return None;
    }
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    // `whole` is within i64 here, so the conversion is exact.
    Some(i.cmp(&(whole as i64)).then_with(|| {
        let frac = f - whole;
        0.0f64.partial_cmp(&frac).unwrap_or(Ordering::Equal)
    }))
}

/// Python's `==` with a bound on nesting.
fn eq_bounded(a: &Value, b: &Value, depth: usize) -> Result<bool, String> {
    if depth > MAX_NESTING {
        return Err(TOO_DEEP.into());
    }
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y) {
                if !eq_bounded(p, q, depth + 1)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, p) in x {
                match y.get(k) {
                    Some(q) if eq_bounded(p, q, depth + 1)? => {}
                    _ => return Ok(false),
                }
            }
            Ok(true)
        }
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => Ok(num_cmp(x, y) == Some(Ordering::Equal)),
            _ => Ok(a == b),
        },
    }
}

fn unorderable(op: &str, a: &Value, b: &Value) -> String {
    format!(
        "'{op}' not supported between instances of '{}' and '{}'",
        py_type(a),
        py_type(b)
    )
}

/// Python's `a < b`: numbers, strings (by code point, which UTF-8 byte order preserves) and
/// lists (at the first unequal item, else by length); anything else is a `TypeError`.
fn py_lt(a: &Value, b: &Value, depth: usize) -> Result<bool, String> {
    if depth > MAX_NESTING {
        return Err(TOO_DEEP.into());
    }
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return Ok(num_cmp(x, y) == Some(Ordering::Less));
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => Ok(x < y),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                if !eq_bounded(p, q, depth + 1)? {
                    return py_lt(p, q, depth + 1);
                }
            }
            Ok(x.len() < y.len())
        }
        _ => Err(unorderable("<", a, b)),
    }
}

fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    py_lt(a, b, 0)
}

// ---------------------------------------------------------------------------------------
// Sort: CPython's list.sort

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

// ---------------------------------------------------------------------------------------
// Sets: CPython's set table, so that `list(set(...))` comes out in CPython's order

const HASH_BITS: u32 = 61;
/// Python hashes numbers modulo this prime, which makes `hash(2) == hash(2.0)`.
const HASH_MODULUS: u64 = (1 << HASH_BITS) - 1;
/// `hash(None)`: a constant from Python 3.12 on (3.11 uses an address, i.e. arbitrary).
const NONE_HASH: i64 = 0xFCA8_6420;
const LINEAR_PROBES: u64 = 9;
const PERTURB_SHIFT: u32 = 5;

fn fix_minus_one(h: i64) -> i64 {
    if h == -1 { -2 } else { h }
}

fn hash_int(i: i64) -> i64 {
    let m = (i.unsigned_abs() % HASH_MODULUS) as i64;
    fix_minus_one(if i < 0 { -m } else { m })
}

/// `frexp`: `f == m * 2^e` with `0.5 <= |m| < 1`, for finite non-zero `f`.
fn frexp(f: f64) -> (f64, i32) {
    if f == 0.0 || !f.is_finite() {
        return (f, 0);
    }
    let (f, bias) = if f.abs() < f64::MIN_POSITIVE {
        (f * 2f64.powi(64), 64) // subnormal: scale into the normal range first
    } else {
        (f, 0)
    };
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1022;
    let mantissa = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (mantissa, exp - bias)
}

/// CPython's `hash(float)`: the value modulo 2^61 - 1, so integral floats hash as integers.
fn hash_float(v: f64) -> i64 {
    if v.is_infinite() {
        return if v > 0.0 { 314_159 } else { -314_159 };
    }
    if v.is_nan() {
        return 0;
    }
    let (mut m, mut e) = frexp(v);
    let negative = m < 0.0;
    if negative {
        m = -m;
    }
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & HASH_MODULUS) | (x >> (HASH_BITS - 28));
        m *= 268_435_456.0; // 2^28
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= HASH_MODULUS {
            x -= HASH_MODULUS;
        }
    }
    let bits = HASH_BITS as i32;
    let e = if e >= 0 {
        e % bits
    } else {
        bits - 1 - ((-1 - e) % bits)
    } as u32;
    x = ((x << e) & HASH_MODULUS) | (x >> (HASH_BITS - e));
    let h = if negative { x.wrapping_neg() } else { x } as i64;
    fix_minus_one(h)
}

/// SipHash-1-3 with a zero key: CPython's string hash when `PYTHONHASHSEED=0`. (NodeTool
/// runs with a random seed, so any string order is one Python could produce; this one is
/// reproducible.)
fn siphash13(data: &[u8]) -> u64 {
    let mut v = [
        0x736f_6d65_7073_6575u64,
        0x646f_7261_6e64_6f6d,
        0x6c79_6765_6e65_7261,
        0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    let mut blocks = data.chunks_exact(8);
    for block in blocks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(block);
        let m = u64::from_le_bytes(word);
        v[3] ^= m;
        round(&mut v);
        v[0] ^= m;
    }
    let mut last = [0u8; 8];
    let tail = blocks.remainder();
    last[..tail.len()].copy_from_slice(tail);
    last[7] = data.len() as u8;
    let b = u64::from_le_bytes(last);
    v[3] ^= b;
    round(&mut v);
    v[0] ^= b;
    v[2] ^= 0xff;
    for _ in 0..3 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// CPython hashes a string's internal form: one, two or four bytes per code point, the
/// narrowest that holds its largest character.
fn hash_str(s: &str) -> i64 {
    if s.is_empty() {
        return 0;
    }
    let widest = s.chars().map(|c| c as u32).max().unwrap_or(0);
    let bytes: Vec<u8> = if widest < 0x100 {
        s.chars().map(|c| c as u8).collect()
    } else if widest < 0x1_0000 {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    } else {
        s.chars().flat_map(|c| (c as u32).to_le_bytes()).collect()
    };
    fix_minus_one(siphash13(&bytes) as i64)
}

/// Python's `hash()`, or its `TypeError` for lists and dicts.
fn py_hash(v: &Value) -> Result<i64, String> {
    match v {
        Value::Null => Ok(NONE_HASH),
        Value::Bool(b) => Ok(*b as i64),
        Value::Number(n) => Ok(match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => hash_int(i),
            (None, Some(u), _) => (u % HASH_MODULUS) as i64,
            (None, None, Some(f)) => hash_float(f),
            _ => 0,
        }),
        Value::String(s) => Ok(hash_str(s)),
        other => Err(format!("unhashable type: '{}'", py_type(other))),
    }
}

#[derive(Clone, Copy)]
enum Slot<'v> {
    Empty,
    /// A removed entry: searches step over it.
    Dummy,
    Live(i64, &'v Value),
}

/// CPython's set: open addressing with nine linear probes, then perturbed jumps; grows at
/// 60% full. Iteration is slot order.
#[derive(Clone)]
struct PySet<'v> {
    table: Vec<Slot<'v>>,
    /// Live and dummy slots.
    fill: usize,
    used: usize,
}

/// The next probe start after `i`, as CPython's probe sequence goes.
fn next_probe(i: u64, perturb: &mut u64, mask: u64) -> u64 {
    *perturb >>= PERTURB_SHIFT;
    i.wrapping_mul(5).wrapping_add(1).wrapping_add(*perturb) & mask
}

fn growth(used: usize) -> usize {
    if used > 50_000 { used * 2 } else { used * 4 }
}

impl<'v> PySet<'v> {
    fn new() -> Self {
        PySet {
            table: vec![Slot::Empty; 8],
            fill: 0,
            used: 0,
        }
    }

    fn from_list(items: &'v [Value]) -> Result<Self, String> {
        let mut set = PySet::new();
        for item in items {
            set.add(item, py_hash(item)?);
        }
        Ok(set)
    }

    fn mask(&self) -> u64 {
        self.table.len() as u64 - 1
    }

    fn live(&self) -> impl Iterator<Item = (i64, &'v Value)> + '_ {
        self.table.iter().filter_map(|s| match s {
            Slot::Live(h, k) => Some((*h, *k)),
            _ => None,
        })
    }

    fn add(&mut self, key: &'v Value, hash: i64) {
        let mask = self.mask();
        let mut i = hash as u64 & mask;
        let mut perturb = hash as u64;
        let mut free = None;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                match self.table[j as usize] {
                    Slot::Empty => {
                        self.used += 1;
                        if let Some(f) = free {
                            self.table[f] = Slot::Live(hash, key);
                            return;
                        }
                        self.table[j as usize] = Slot::Live(hash, key);
                        self.fill += 1;
                        if self.fill as u64 * 5 >= mask * 3 {
                            self.resize(growth(self.used));
                        }
                        return;
                    }
                    Slot::Live(h, k) if h == hash && py_eq(k, key) => return,
                    Slot::Dummy => free = Some(j as usize),
                    Slot::Live(..) => {}
                }
            }
            i = next_probe(i, &mut perturb, mask);
        }
    }

    /// The slot holding an item equal to `key`.
    fn find(&self, key: &Value, hash: i64) -> Option<usize> {
        let mask = self.mask();
        let mut i = hash as u64 & mask;
        let mut perturb = hash as u64;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                match self.table[j as usize] {
                    Slot::Empty => return None,
                    Slot::Live(h, k) if h == hash && py_eq(k, key) => return Some(j as usize),
                    _ => {}
                }
            }
            i = next_probe(i, &mut perturb, mask);
        }
    }

    fn contains(&self, key: &Value, hash: i64) -> bool {
        self.find(key, hash).is_some()
    }

    fn discard(&mut self, key: &Value, hash: i64) {
        if let Some(j) = self.find(key, hash) {
            self.table[j] = Slot::Dummy;
            self.used -= 1;
        }
    }

    /// Places a key known to be absent into a table without dummies.
    fn insert_clean(table: &mut [Slot<'v>], key: &'v Value, hash: i64) {
        let mask = table.len() as u64 - 1;
        let mut i = hash as u64 & mask;
        let mut perturb = hash as u64;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                if let Slot::Empty = table[j as usize] {
                    table[j as usize] = Slot::Live(hash, key);
                    return;
                }
            }
            i = next_probe(i, &mut perturb, mask);
        }
    }

    /// Rebuilds the table with the smallest power-of-two size above `min_used` (at least 8).
    fn resize(&mut self, min_used: usize) {
        let mut size = 8;
        while size <= min_used {
            size <<= 1;
        }
        if size == 8 && self.table.len() == 8 && self.fill == self.used {
            return;
        }
        let old = std::mem::replace(&mut self.table, vec![Slot::Empty; size]);
        for slot in old {
            if let Slot::Live(h, k) = slot {
                Self::insert_clean(&mut self.table, k, h);
            }
        }
        self.fill = self.used;
    }

    /// `self |= other`, by CPython's `set_merge` (which a copy also goes through).
    fn merge(&mut self, other: &PySet<'v>) {
        if other.used == 0 {
            return;
        }
        if (self.fill + other.used) as u64 * 5 >= self.mask() * 3 {
            self.resize((self.used + other.used) * 2);
        }
        if self.fill == 0 && self.mask() == other.mask() && other.fill == other.used {
            self.table.clone_from(&other.table);
        } else if self.fill == 0 {
            for (h, k) in other.live() {
                Self::insert_clean(&mut self.table, k, h);
            }
        } else {
            for (h, k) in other.live() {
                self.add(k, h);
            }
            return;
        }
        self.fill = other.used;
        self.used = other.used;
    }

    fn copy(&self) -> PySet<'v> {
        let mut out = PySet::new();
        out.merge(self);
        out
    }

    /// `a.intersection(b)`: walks the smaller set, keeping its items.
    fn intersection(&self, other: &PySet<'v>) -> PySet<'v> {
        let (big, small) = if other.used > self.used {
            (other, self)
        } else {
            (self, other)
        };
        let mut out = PySet::new();
        for (h, k) in small.live() {
            if big.contains(k, h) {
                out.add(k, h);
            }
        }
        out
    }

    fn union(&self, other: &PySet<'v>) -> PySet<'v> {
        let mut out = self.copy();
        out.merge(other);
        out
    }

    fn difference(&self, other: &PySet<'v>) -> PySet<'v> {
        if (self.used >> 2) > other.used {
            let mut out = self.copy();
            out.difference_update(other);
            return out;
        }
        let mut out = PySet::new();
        for (h, k) in self.live() {
            if !other.contains(k, h) {
                out.add(k, h);
            }
        }
        out
    }

    fn difference_update(&mut self, other: &PySet<'v>) {
        let narrowed;
        let other = if (other.used >> 3) > self.used {
            narrowed = self.intersection(other);
            &narrowed
        } else {
            other
        };
        let removals: Vec<_> = other.live().collect();
        for (h, k) in removals {
            self.discard(k, h);
        }
        if (self.fill - self.used) as u64 > self.mask() / 4 {
            self.resize(growth(self.used));
        }
    }

    fn to_list(&self) -> Vec<Value> {
        self.live().map(|(_, k)| k.clone()).collect()
    }
}

pub(crate) fn dedupe(p: &Props) -> Result<Emitted, String> {
    list_out(PySet::from_list(p.list("values"))?.to_list())
}

fn two_sets<'v>(p: &'v Props) -> Result<(PySet<'v>, PySet<'v>), String> {
    Ok((
        PySet::from_list(p.list("list1"))?,
        PySet::from_list(p.list("list2"))?,
    ))
}

pub(crate) fn intersection(p: &Props) -> Result<Emitted, String> {
    let (a, b) = two_sets(p)?;
    list_out(a.intersection(&b).to_list())
}

pub(crate) fn union(p: &Props) -> Result<Emitted, String> {
    let (a, b) = two_sets(p)?;
    list_out(a.union(&b).to_list())
}

pub(crate) fn difference(p: &Props) -> Result<Emitted, String> {
    let (a, b) = two_sets(p)?;
    list_out(a.difference(&b).to_list())
}

// ---------------------------------------------------------------------------------------
// Aggregates over numbers

/// The numbers of a non-empty list, or NodeTool's messages for an empty list (`empty`) and
/// for a list holding anything but numbers.
fn numbers<'a>(p: &'a Props, empty: &str) -> Result<(&'a [Value], Vec<Num>), String> {
    let values = p.list("values");
    if values.is_empty() {
        return Err(empty.into());
    }
    let nums = values
        .iter()
        .map(number)
        .collect::<Option<Vec<_>>>()
        .ok_or("All values must be numbers")?;
    Ok((values, nums))
}

/// A Python number while it is being accumulated: integers as wide as 100,000 items of
/// 64 bits can sum to, so an intermediate total may leave 64 bits and come back as
/// Python's unbounded integers allow.
#[derive(Clone, Copy)]
enum Acc {
    Int(i128),
    Float(f64),
}

impl Acc {
    fn of(n: Num) -> Acc {
        match n {
            Num::Int(i) => Acc::Int(i as i128),
            Num::Float(f) => Acc::Float(f),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Acc::Int(i) => i as f64, // rounds to nearest, as Python's int-to-float does
            Acc::Float(f) => f,
        }
    }

    /// `self + n`, or `self * n` when `multiply`.
    fn combine(self, n: Num, multiply: bool) -> Result<Acc, String> {
        match (self, Acc::of(n)) {
            (Acc::Int(a), Acc::Int(b)) => {
                let r = if multiply {
                    a.checked_mul(b)
                } else {
                    a.checked_add(b)
                };
                r.map(Acc::Int)
                    .ok_or_else(|| "integer overflow".to_string())
            }
            (a, b) => Ok(Acc::Float(if multiply {
                a.as_f64() * b.as_f64()
            } else {
                a.as_f64() + b.as_f64()
            })),
        }
    }

    /// As JSON: an integer beyond 64 bits (which Python would print) cannot be carried.
    fn out(self) -> Result<Emitted, String> {
        match self {
            Acc::Int(i) => match (i64::try_from(i), u64::try_from(i)) {
                (Ok(v), _) => one(json!(v)),
                (_, Ok(v)) => one(json!(v)),
                _ => Err("integer overflow".into()),
            },
            Acc::Float(f) => float_out(f),
        }
    }
}

/// Python's `sum()`: exact while the items are integers, float from the first float on.
fn py_sum(nums: &[Num]) -> Result<Acc, String> {
    nums.iter()
        .try_fold(Acc::Int(0), |acc, n| acc.combine(*n, false))
}

pub(crate) fn sum(p: &Props) -> Result<Emitted, String> {
    let (_, nums) = numbers(p, "Cannot sum empty list")?;
    py_sum(&nums)?.out()
}

pub(crate) fn average(p: &Props) -> Result<Emitted, String> {
    let (_, nums) = numbers(p, "Cannot average empty list")?;
    let count = nums.len() as u64;
    float_out(match py_sum(&nums)? {
        Acc::Int(total) => int_true_div(total, count),
        Acc::Float(total) => total / count as f64,
    })
}

/// Python's `int / int`: the exact quotient, rounded once to the nearest float. `b` is a
/// list length, so far below 2^53.
fn int_true_div(a: i128, b: u64) -> f64 {
    const EXACT: u128 = 1 << 53;
    let n = a.unsigned_abs();
    let q = if n <= EXACT {
        // Both exact as floats: IEEE division rounds the exact quotient once.
        n as f64 / b as f64
    } else {
        // Scale the dividend so the quotient carries well over 53 bits, then round to 53
        // by hand: ties to even, a non-zero remainder breaking ties upward.
        let shift = n.leading_zeros().min(64);
        let wide = n << shift;
        let (quot, rem) = (wide / b as u128, wide % b as u128);
        let bits = 128 - quot.leading_zeros();
        let drop = bits.saturating_sub(53);
        let mut mant = quot >> drop;
        if drop > 0 {
            let cut = quot & ((1u128 << drop) - 1);
            let half = 1u128 << (drop - 1);
            if cut > half || (cut == half && (rem != 0 || mant & 1 == 1)) {
                mant += 1;
            }
        }
        mant as f64 * 2f64.powi(drop as i32 - shift as i32)
    };
    if a < 0 { -q } else { q }
}

pub(crate) fn product(p: &Props) -> Result<Emitted, String> {
    let (values, nums) = numbers(p, "Cannot calculate product of empty list")?;
    // `reduce` without a start value hands back a lone item untouched (`True` stays `True`).
    if let [only] = values {
        return one(only.clone());
    }
    let mut acc = Acc::of(nums[0]);
    for n in &nums[1..] {
        acc = acc.combine(*n, true)?;
    }
    acc.out()
}

/// Python's `min`/`max`: the first item that no later item beats (`wanted` is the ordering
/// a later item needs against the current pick to replace it).
fn extreme(p: &Props, empty: &str, wanted: Ordering) -> Result<Emitted, String> {
    let (values, nums) = numbers(p, empty)?;
    let mut best = 0;
    for (i, n) in nums.iter().enumerate().skip(1) {
        if num_cmp(*n, nums[best]) == Some(wanted) {
            best = i;
        }
    }
    one(values[best].clone())
}

pub(crate) fn minimum(p: &Props) -> Result<Emitted, String> {
    extreme(p, "Cannot find minimum of empty list", Ordering::Less)
}

pub(crate) fn maximum(p: &Props) -> Result<Emitted, String> {
    extreme(p, "Cannot find maximum of empty list", Ordering::Greater)
}

// ---------------------------------------------------------------------------------------
// nodetool.numbers: filters over a stream of numbers
//
// NodeTool judges each value as it arrives and emits it only if it passes. Here the node
// runs whenever an input changes, with the latest of each, so a threshold arriving later
// re-judges the latest value.

/// The ordering behind Python's `a <op> b`: defined between numbers only (one side is always
/// the number being filtered), a `TypeError` otherwise.
fn py_order(op: &str, a: &Value, b: &Value) -> Result<Option<Ordering>, String> {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => Ok(num_cmp(x, y)),
        _ => Err(unorderable(op, a, b)),
    }
}

/// The value on `output` when it passes, nothing otherwise.
fn pass_if(value: &Value, passed: bool) -> Result<Emitted, String> {
    Ok(if passed {
        vec![("output", value.clone())]
    } else {
        Vec::new()
    })
}

pub(crate) fn filter_number(p: &Props) -> Result<Emitted, String> {
    let value = p.get("value");
    // NodeTool skips stream items that are not numbers.
    let Some(num) = number(value) else {
        return pass_if(value, false);
    };
    let threshold = p.get("compare_value");
    use Ordering::*;
    let passed = match p.str("filter_type") {
        // A missing threshold matches nothing rather than failing.
        "greater_than" | "less_than" if threshold.is_null() => false,
        "greater_than" => py_order(">", value, threshold)? == Some(Greater),
        "less_than" => py_order("<", value, threshold)? == Some(Less),
        "equal_to" => number(threshold).is_some_and(|t| num_cmp(num, t) == Some(Equal)),
        "even" | "odd" => {
            let rem = super::math::py_mod(num, Num::Int(2))?;
            let even = rem.as_f64() == 0.0;
            even == (p.str("filter_type") == "even")
        }
        "positive" => num_cmp(num, Num::Int(0)) == Some(Greater),
        "negative" => num_cmp(num, Num::Int(0)) == Some(Less),
        other => return Err(format!("unsupported filter_type '{other}'")),
    };
    pass_if(value, passed)
}

pub(crate) fn filter_number_range(p: &Props) -> Result<Emitted, String> {
    let value = p.get("value");
    if number(value).is_none() {
        return pass_if(value, false);
    }
    let (lo, hi) = (p.get("min_value"), p.get("max_value"));
    use Ordering::*;
    // `lo <= value <= hi` (or `<`) as Python chains it: the upper bound is only looked at
    // when the lower one holds.
    let passed = if p.bool("inclusive") {
        py_order("<=", lo, value).map(|o| matches!(o, Some(Less | Equal)))?
            && py_order("<=", value, hi).map(|o| matches!(o, Some(Less | Equal)))?
    } else {
        py_order("<", lo, value)? == Some(Less) && py_order("<", value, hi)? == Some(Less)
    };
    pass_if(value, passed)
}
