//! `lib.math.*` and `nodetool.math.*`: Python's arithmetic, its modulo and its math domain.

use super::spec::{Emitted, Family, NUM_AB, NUM_AB_DIV, Props, float_out, num_out, op};
use crate::graph::value::{Kind, Num};

pub(crate) const FAMILY: Family = Family {
    prefixes: &["lib.math.", "nodetool.math."],
    nodes: &[
        ("Add", op(add, NUM_AB)),
        ("Subtract", op(subtract, NUM_AB)),
        ("Multiply", op(multiply, NUM_AB)),
        ("Divide", op(divide, NUM_AB_DIV)),
        ("Modulus", op(modulus, NUM_AB_DIV)),
        (
            "Power",
            op(
                power,
                &[
                    ("base", Kind::Number, "0.0"),
                    ("exponent", Kind::Number, "1.0"),
                ],
            ),
        ),
        ("Sqrt", op(sqrt, &[("x", Kind::Number, "0.0")])),
        ("Sine", op(sine, &[("angle_rad", Kind::Number, "0.0")])),
        ("Cosine", op(cosine, &[("angle_rad", Kind::Number, "0.0")])),
        (
            "MathFunction",
            op(
                math_function_node,
                &[
                    ("input", Kind::Number, "0.0"),
                    ("operation", Kind::Str, "\"negate\""),
                ],
            ),
        ),
    ],
};

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

/// The three operations that stay integers when both sides are.
#[derive(Clone, Copy)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
}

pub(crate) fn arith(a: Num, b: Num, op: Arith) -> Result<Num, String> {
    if let (Num::Int(x), Num::Int(y)) = (a, b) {
        return match op {
            Arith::Add => int_op(x, y, i64::checked_add),
            Arith::Sub => int_op(x, y, i64::checked_sub),
            Arith::Mul => int_op(x, y, i64::checked_mul),
        };
    }
    let (x, y) = (a.as_f64(), b.as_f64());
    Ok(Num::Float(match op {
        Arith::Add => x + y,
        Arith::Sub => x - y,
        Arith::Mul => x * y,
    }))
}

pub(crate) fn add(p: &Props) -> Result<Emitted, String> {
    num_out(arith(p.num("a"), p.num("b"), Arith::Add)?)
}

pub(crate) fn subtract(p: &Props) -> Result<Emitted, String> {
    num_out(arith(p.num("a"), p.num("b"), Arith::Sub)?)
}

pub(crate) fn multiply(p: &Props) -> Result<Emitted, String> {
    num_out(arith(p.num("a"), p.num("b"), Arith::Mul)?)
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
        "square" => num_out(arith(x, x, Arith::Mul)?),
        "cube" => num_out(arith(arith(x, x, Arith::Mul)?, x, Arith::Mul)?),
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

pub(crate) fn divide(p: &Props) -> Result<Emitted, String> {
    let (a, b) = (p.num("a"), p.num("b"));
    if b.as_f64() == 0.0 {
        return Err(match (a, b) {
            (Num::Int(_), Num::Int(_)) => "division by zero".into(),
            _ => "float division by zero".into(),
        });
    }
    float_out(a.as_f64() / b.as_f64())
}

pub(crate) fn modulus(p: &Props) -> Result<Emitted, String> {
    num_out(py_mod(p.num("a"), p.num("b"))?)
}

pub(crate) fn power(p: &Props) -> Result<Emitted, String> {
    let (b, e) = (p.num("base").as_f64(), p.num("exponent").as_f64());
    if (b == 0.0 && e < 0.0) || (b < 0.0 && e.fract() != 0.0) {
        return Err(DOMAIN.into());
    }
    let r = b.powf(e);
    if r.is_infinite() {
        return Err("math range error".into());
    }
    float_out(r)
}

pub(crate) fn sqrt(p: &Props) -> Result<Emitted, String> {
    let x = p.num("x").as_f64();
    domain(x >= 0.0, x.sqrt())
}

pub(crate) fn sine(p: &Props) -> Result<Emitted, String> {
    float_out(p.num("angle_rad").as_f64().sin())
}

pub(crate) fn cosine(p: &Props) -> Result<Emitted, String> {
    float_out(p.num("angle_rad").as_f64().cos())
}

pub(crate) fn math_function_node(p: &Props) -> Result<Emitted, String> {
    math_function(p.num("input"), p.str("operation"))
}
