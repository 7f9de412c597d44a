//! `lib.math.*` and `nodetool.math.*`: Python's arithmetic, its modulo and its math domain.

use super::spec::{Emitted, NUM_AB, NUM_AB_DIV, Op, Spec, float_out, num_out, op};
use crate::graph::value::{Kind, Num};

pub(crate) fn math_spec(name: &str) -> Option<Spec> {
    Some(match name {
        "Add" => op(Op::Add, NUM_AB),
        "Subtract" => op(Op::Subtract, NUM_AB),
        "Multiply" => op(Op::Multiply, NUM_AB),
        "Divide" => op(Op::Divide, NUM_AB_DIV),
        "Modulus" => op(Op::Modulus, NUM_AB_DIV),
        "Power" => op(
            Op::Power,
            &[
                ("base", Kind::Number, "0.0"),
                ("exponent", Kind::Number, "1.0"),
            ],
        ),
        "Sqrt" => op(Op::Sqrt, &[("x", Kind::Number, "0.0")]),
        "Sine" => op(Op::Sine, &[("angle_rad", Kind::Number, "0.0")]),
        "Cosine" => op(Op::Cosine, &[("angle_rad", Kind::Number, "0.0")]),
        "MathFunction" => op(
            Op::MathFunction,
            &[
                ("input", Kind::Number, "0.0"),
                ("operation", Kind::Str, "\"negate\""),
            ],
        ),
        _ => return None,
    })
}

pub(crate) const DOMAIN: &str = "math domain error";

pub(crate) fn int_op(a: i64, b: i64, f: fn(i64, i64) -> Option<i64>) -> Result<Num, String> {
    f(a, b)
        .map(Num::Int)
        .ok_or_else(|| "integer overflow".to_string())
}

/// Python's `%`: the result takes the divisor's sign.
pub(crate) fn py_mod(a: Num, b: Num) -> Result<Num, String> {
    match (a, b) {
        (Num::Int(_), Num::Int(0)) => Err("integer modulo by zero".into()),
        (Num::Int(x), Num::Int(y)) => int_op(x, y, |x, y| {
            let r = x.checked_rem(y)?;
            Some(if r != 0 && ((r < 0) != (y < 0)) {
                r + y
            } else {
                r
            })
        }),
        _ => {
            let (x, y) = (a.as_f64(), b.as_f64());
            if y == 0.0 {
                return Err("float modulo by zero".into());
            }
            let mut r = x % y;
            if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                r += y;
            }
            Ok(Num::Float(r))
        }
    }
}

pub(crate) fn arith(a: Num, b: Num, op: Op) -> Result<Num, String> {
    if let (Num::Int(x), Num::Int(y)) = (a, b) {
        return match op {
            Op::Add => int_op(x, y, i64::checked_add),
            Op::Subtract => int_op(x, y, i64::checked_sub),
            _ => int_op(x, y, i64::checked_mul),
        };
    }
    let (x, y) = (a.as_f64(), b.as_f64());
    Ok(Num::Float(match op {
        Op::Add => x + y,
        Op::Subtract => x - y,
        _ => x * y,
    }))
}

pub(crate) fn domain(ok: bool, f: f64) -> Result<Emitted, String> {
    if ok { float_out(f) } else { Err(DOMAIN.into()) }
}

pub(crate) fn math_function(x: Num, operation: &str) -> Result<Emitted, String> {
    let f = x.as_f64();
    match operation {
        "negate" => num_out(match x {
            Num::Int(i) => Num::Int(i.checked_neg().ok_or("integer overflow")?),
            Num::Float(f) => Num::Float(-f),
        }),
        "absolute" => num_out(match x {
            Num::Int(i) => Num::Int(i.checked_abs().ok_or("integer overflow")?),
            Num::Float(f) => Num::Float(f.abs()),
        }),
        "square" => num_out(arith(x, x, Op::Multiply)?),
        "cube" => num_out(arith(arith(x, x, Op::Multiply)?, x, Op::Multiply)?),
        "square_root" => domain(f >= 0.0, f.sqrt()),
        "cube_root" => float_out(f.abs().powf(1.0 / 3.0).copysign(f)),
        "sine" => float_out(f.sin()),
        "cosine" => float_out(f.cos()),
        "tangent" => float_out(f.tan()),
        "arcsin" => domain((-1.0..=1.0).contains(&f), f.asin()),
        "arccos" => domain((-1.0..=1.0).contains(&f), f.acos()),
        "arctan" => float_out(f.atan()),
        "log" => domain(f > 0.0, f.ln()),
        other => Err(format!("unsupported operation '{other}'")),
    }
}
