//! Python's `hash` of the values a list can hold, as CPython computes it.

use serde_json::Value;

use super::compare::py_type;

const HASH_BITS: u32 = 61;
/// Python hashes numbers modulo this prime, which makes `hash(2) == hash(2.0)`.
const HASH_MODULUS: u64 = (1 << HASH_BITS) - 1;
/// `hash(None)`: a constant from Python 3.12 on (3.11 uses an address, i.e. arbitrary).
const NONE_HASH: i64 = 0xFCA8_6420;

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
pub(super) fn py_hash(v: &Value) -> Result<i64, String> {
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
