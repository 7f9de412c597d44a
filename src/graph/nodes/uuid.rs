//! `lib.uuid.*`: UUIDs, read and written as Python's `uuid` module does.
//!
//! A 128-bit integer does not fit a JSON number here, so `ParseUUID`'s `int` and
//! `FormatUUID`'s `int` format are its exact decimal text.

use std::sync::atomic::{AtomicI64, Ordering};

use md5::Md5;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use super::date::{clip, echo, is_py_space, py_decimal};
use super::spec::{Emitted, Family, Prop, Props, one, op};
use crate::graph::value::Kind;

const NAME_BASED: &[Prop] = &[
    ("namespace", Kind::Str, "\"dns\""),
    ("name", Kind::Str, "\"\""),
];
const UUID_STRING: &[Prop] = &[("uuid_string", Kind::Str, "\"\"")];

pub(crate) const FAMILY: Family = Family {
    prefixes: &["lib.uuid."],
    nodes: &[
        ("GenerateUUID4", op(generate_uuid4, &[])),
        ("GenerateUUID1", op(generate_uuid1, &[])),
        ("GenerateUUID3", op(generate_uuid3, NAME_BASED)),
        ("GenerateUUID5", op(generate_uuid5, NAME_BASED)),
        ("ParseUUID", op(parse_uuid, UUID_STRING)),
        (
            "FormatUUID",
            op(
                format_uuid,
                &[
                    ("uuid_string", Kind::Str, "\"\""),
                    ("format", Kind::Str, "\"standard\""),
                ],
            ),
        ),
        ("IsValidUUID", op(is_valid_uuid, UUID_STRING)),
    ],
};

/// RFC 4122's namespaces, by the names NodeTool accepts.
const NAMESPACES: &[(&str, u128)] = &[
    ("dns", 0x6ba7b810_9dad_11d1_80b4_00c04fd430c8),
    ("url", 0x6ba7b811_9dad_11d1_80b4_00c04fd430c8),
    ("oid", 0x6ba7b812_9dad_11d1_80b4_00c04fd430c8),
    ("x500", 0x6ba7b814_9dad_11d1_80b4_00c04fd430c8),
];

const FORMATS: &[&str] = &["standard", "hex", "urn", "int", "bytes_hex"];

/// 100-ns intervals from the UUID epoch (1582-10-15) to the Unix epoch.
const UUID_EPOCH_OFFSET: i128 = 0x01b2_1dd2_1381_4000;

/// The last version-1 timestamp handed out, so each is later than the one before (as Python
/// keeps it per process; here per instance).
static LAST_TIMESTAMP: AtomicI64 = AtomicI64::new(i64::MIN);

/// Sets the RFC 4122 variant and the version, as `UUID(..., version=n)` does.
fn with_version(u: u128, version: u128) -> u128 {
    let u = (u & !(0xc000 << 48)) | (0x8000 << 48);
    (u & !(0xf000 << 64)) | (version << 76)
}

fn to_text(u: u128) -> String {
    let h = format!("{u:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn variant(u: u128) -> &'static str {
    if u & (0x8000 << 48) == 0 {
        "reserved for NCS compatibility"
    } else if u & (0x4000 << 48) == 0 {
        "specified in RFC 4122"
    } else if u & (0x2000 << 48) == 0 {
        "reserved for Microsoft compatibility"
    } else {
        "reserved for future definition"
    }
}

/// `UUID.version`: only RFC 4122 UUIDs have one.
fn version(u: u128) -> Value {
    if variant(u) == "specified in RFC 4122" {
        json!(((u >> 76) & 0xf) as u8)
    } else {
        Value::Null
    }
}

/// `uuid.UUID(text)`, with Python's errors.
fn parse(text: &str) -> Result<u128, String> {
    let hex = text.replace("urn:", "").replace("uuid:", "");
    let hex = hex.trim_matches(['{', '}']).replace('-', "");
    if hex.chars().count() != 32 {
        return Err("badly formed hexadecimal UUID string".into());
    }
    py_int_hex(&hex)
}

/// Python's `int(text, 16)` for a 32-character string: surrounding white space, a `+`, a
/// `0x` prefix, single underscores between digits and any Unicode decimal digit all pass.
fn py_int_hex(text: &str) -> Result<u128, String> {
    let invalid = || {
        // Python quotes at most 200 characters of the repr; 32 input characters rarely reach it.
        let quoted: String = echo(text, usize::MAX).chars().take(200).collect();
        format!("invalid literal for int() with base 16: {quoted}")
    };
    let bytes = ascii_form(text);
    let mut i = 0;
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    while at(i).is_ascii_whitespace() || at(i) == 0x0b {
        i += 1;
    }
    let negative = at(i) == b'-';
    if matches!(at(i), b'+' | b'-') {
        i += 1;
    }
    if at(i) == b'0' && matches!(at(i + 1), b'x' | b'X') {
        i += 2;
        if at(i) == b'_' {
            i += 1;
        }
    }
    let mut value: u128 = 0;
    let (mut digits, mut after_underscore) = (0, true);
    while let Some(c) = bytes.get(i) {
        if *c == b'_' {
            if after_underscore {
                return Err(invalid());
            }
            after_underscore = true;
        } else if let Some(d) = (*c as char).to_digit(16) {
            value = value
                .checked_mul(16)
                .and_then(|v| v.checked_add(d.into()))
                .ok_or("int is out of range (need a 128-bit value)")?;
            digits += 1;
            after_underscore = false;
        } else {
            break;
        }
        i += 1;
    }
    while at(i).is_ascii_whitespace() || at(i) == 0x0b {
        i += 1;
    }
    if digits == 0 || after_underscore || i != bytes.len() {
        return Err(invalid());
    }
    if negative && value != 0 {
        return Err("int is out of range (need a 128-bit value)".into());
    }
    Ok(value)
}

/// The text CPython's `int()` parses: ASCII as is, other white space as a space, other
/// decimal digits as ASCII digits; anything else ends it with a `?` that cannot parse.
fn ascii_form(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if (c as u32) < 127 {
            out.push(c as u8);
        } else if is_py_space(c) {
            out.push(b' ');
        } else if let Some(d) = py_decimal(c) {
            out.push(b'0' + d);
        } else {
            out.push(b'?');
            break;
        }
    }
    out
}

/// A namespace by name (any case) or as a UUID.
fn namespace(p: &Props) -> Result<u128, String> {
    let ns = p.str("namespace");
    let lower = ns.to_lowercase();
    if let Some((_, u)) = NAMESPACES.iter().find(|(n, _)| *n == lower) {
        return Ok(*u);
    }
    parse(ns).map_err(|_| {
        let (ns, more) = clip(ns, p.max_len);
        format!("Invalid namespace: {ns}{more}. Use dns, url, oid, x500, or a valid UUID string")
    })
}

/// The first 16 bytes of a digest as a UUID of the given version.
fn from_digest(digest: &[u8], version: u128) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    to_text(with_version(u128::from_be_bytes(b), version))
}

fn generate_uuid3(p: &Props) -> Result<Emitted, String> {
    let ns = namespace(p)?;
    let digest = Md5::new()
        .chain_update(ns.to_be_bytes())
        .chain_update(p.str("name").as_bytes())
        .finalize();
    one(json!(from_digest(&digest, 3)))
}

fn generate_uuid5(p: &Props) -> Result<Emitted, String> {
    let ns = namespace(p)?;
    let digest = Sha1::new()
        .chain_update(ns.to_be_bytes())
        .chain_update(p.str("name").as_bytes())
        .finalize();
    one(json!(from_digest(&digest, 5)))
}

fn generate_uuid4(p: &Props) -> Result<Emitted, String> {
    let mut b = [0u8; 16];
    (p.random)(&mut b);
    one(json!(to_text(with_version(u128::from_be_bytes(b), 4))))
}

/// The next version-1 timestamp: the clock in 100-ns steps, moved past the last one given.
fn next_timestamp(now_micros: i64) -> i64 {
    let now = i128::from(now_micros) * 10 + UUID_EPOCH_OFFSET;
    let now = i64::try_from(now).unwrap_or(if now < 0 { i64::MIN } else { i64::MAX });
    let bump = |last: i64| {
        if now <= last {
            last.saturating_add(1)
        } else {
            now
        }
    };
    match LAST_TIMESTAMP.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| Some(bump(l))) {
        Ok(last) | Err(last) => bump(last),
    }
}

/// Python's own version 1: the time, 14 random bits of clock sequence and, with no hardware
/// address to read, a random node with the multicast bit set (RFC 4122, section 4.5).
fn generate_uuid1(p: &Props) -> Result<Emitted, String> {
    let ts = i128::from(next_timestamp(p.now_micros));
    let mut b = [0u8; 8];
    (p.random)(&mut b);
    let clock_seq = u128::from(u16::from_be_bytes([b[0], b[1]]) & 0x3fff);
    let node = (u128::from(u64::from_be_bytes(b)) & 0xffff_ffff_ffff) | (1 << 40);
    let (time_low, time_mid, time_hi) =
        (ts & 0xffff_ffff, (ts >> 32) & 0xffff, (ts >> 48) & 0x0fff);
    let u = ((time_low as u128) << 96)
        | ((time_mid as u128) << 80)
        | ((time_hi as u128) << 64)
        | (clock_seq << 48)
        | node;
    one(json!(to_text(with_version(u, 1))))
}

fn parse_uuid(p: &Props) -> Result<Emitted, String> {
    let text = p.str("uuid_string");
    one(match parse(text) {
        Ok(u) => json!({
            "uuid": to_text(u),
            "version": version(u),
            "variant": variant(u),
            "hex": format!("{u:032x}"),
            "int": u.to_string(),
            "is_valid": true,
        }),
        Err(e) => json!({"uuid": text, "is_valid": false, "error": e}),
    })
}

fn format_uuid(p: &Props) -> Result<Emitted, String> {
    let format = p.str("format");
    if !FORMATS.contains(&format) {
        return Err(format!(
            "Invalid value for property `format`: {} (expected one of {})",
            echo(format, p.max_len),
            FORMATS.join(", ")
        ));
    }
    let text = p.str("uuid_string");
    let u = parse(text).map_err(|_| {
        let (text, more) = clip(text, p.max_len);
        format!("Invalid UUID string: {text}{more}")
    })?;
    one(json!(match format {
        "standard" => to_text(u),
        "urn" => format!("urn:uuid:{}", to_text(u)),
        "int" => u.to_string(),
        _ => format!("{u:032x}"),
    }))
}

fn is_valid_uuid(p: &Props) -> Result<Emitted, String> {
    one(json!(parse(p.str("uuid_string")).is_ok()))
}
