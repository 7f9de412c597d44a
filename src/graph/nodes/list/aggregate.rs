//! Aggregates over numbers: sum, average, product, minimum and maximum.

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::compare::{num_cmp, number};
use crate::graph::nodes::spec::{Emitted, Props, float_out, one};
use crate::graph::value::Num;

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
