//! `lib.date.*`: dates and times as NodeTool's `Date` and `Datetime` objects.
//!
//! A `Datetime` travels as `{"type": "datetime", "year", "month", "day", "hour", "minute",
//! "second", "microsecond", "tzinfo", "utc_offset"}` and a `Date` as `{"type": "date", "year",
//! "month", "day"}`. NodeTool turns them into Python `datetime`s to compute, so Python's rules
//! and error texts apply: a nonzero `utc_offset` (seconds) is a fixed zone named `tzinfo`, zero
//! is UTC; fields are checked when a node converts them (the all-zero default is "year 0 is out
//! of range"), and results come back with the zone's name and offset.
//!
//! Where NodeTool's Python uses the machine's local zone (`Today`) this uses UTC: a server has
//! no local zone that means anything to the person running the workflow.

use chrono::{Datelike, NaiveDate};
use serde_json::{Map, Value, json};

use super::spec::{Emitted, Family, Prop, Props, Spec, one, op};
use crate::graph::value::{Kind, coerce, py_str, too_long, type_name};

const DATETIME: &str = r#"{"type":"datetime","year":0,"month":0,"day":0,"hour":0,"minute":0,"second":0,"microsecond":0,"tzinfo":"UTC","utc_offset":0}"#;
const DATE: &str = r#"{"type":"date","year":0,"month":0,"day":0}"#;

/// NodeTool's `DateFormat` choices (two of its members share the last value).
const FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%B %d, %Y",
    "%Y%m%d",
    "%Y%m%d_%H%M%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
];

const fn dt_prop(name: &'static str) -> Prop {
    (name, Kind::Dict, DATETIME)
}

pub(crate) const FAMILY: Family = Family {
    prefixes: &["lib.date."],
    nodes: &[
        ("Today", op(today, &[])),
        ("Now", op(now, &[])),
        (
            "ParseDate",
            op(
                parse_date,
                &[
                    ("date_string", Kind::Str, "\"\""),
                    ("input_format", Kind::Str, "\"%Y-%m-%d\""),
                ],
            ),
        ),
        (
            "ParseDateTime",
            op(
                parse_datetime,
                &[
                    ("datetime_string", Kind::Str, "\"\""),
                    ("input_format", Kind::Str, "\"%Y-%m-%d\""),
                ],
            ),
        ),
        (
            "AddTimeDelta",
            op(
                add_time_delta,
                &[
                    dt_prop("input_datetime"),
                    ("days", Kind::Int, "0"),
                    ("hours", Kind::Int, "0"),
                    ("minutes", Kind::Int, "0"),
                ],
            ),
        ),
        (
            "DateDifference",
            Spec {
                outputs: &["total_seconds", "days", "hours", "minutes", "seconds"],
                ..op(
                    date_difference,
                    &[dt_prop("start_date"), dt_prop("end_date")],
                )
            },
        ),
        (
            "FormatDateTime",
            op(
                format_datetime,
                &[
                    dt_prop("input_datetime"),
                    ("output_format", Kind::Str, "\"%B %d, %Y\""),
                ],
            ),
        ),
        (
            "GetWeekday",
            op(
                get_weekday,
                &[dt_prop("input_datetime"), ("as_name", Kind::Bool, "true")],
            ),
        ),
        (
            "DateRange",
            op(
                date_range,
                &[
                    dt_prop("start_date"),
                    dt_prop("end_date"),
                    ("step_days", Kind::Int, "1"),
                ],
            ),
        ),
        (
            "IsDateInRange",
            op(
                is_date_in_range,
                &[
                    dt_prop("check_date"),
                    dt_prop("start_date"),
                    dt_prop("end_date"),
                    ("inclusive", Kind::Bool, "true"),
                ],
            ),
        ),
        (
            "GetQuarter",
            Spec {
                outputs: &["quarter", "quarter_start", "quarter_end"],
                ..op(get_quarter, &[dt_prop("input_datetime")])
            },
        ),
        (
            "DateToDatetime",
            op(date_to_datetime, &[("input_date", Kind::Dict, DATE)]),
        ),
        (
            "DatetimeToDate",
            op(datetime_to_date, &[dt_prop("input_datetime")]),
        ),
        (
            "RelativeTime",
            op(
                relative_time,
                &[
                    ("amount", Kind::Int, "1"),
                    ("unit", Kind::Str, "\"days\""),
                    ("direction", Kind::Str, "\"future\""),
                ],
            ),
        ),
        (
            "BoundaryTime",
            op(
                boundary_time,
                &[
                    dt_prop("input_datetime"),
                    ("period", Kind::Str, "\"day\""),
                    ("boundary", Kind::Str, "\"start\""),
                    ("start_monday", Kind::Bool, "true"),
                ],
            ),
        ),
    ],
};

// ---- Python's text rules, shared with `lib.uuid.*` ----

/// Unicode 14 (Python 3.11) code points where a run of ten decimal digits `0`..`9` starts:
/// Python's `\d` and `int()` accept every one of them.
const DIGIT_RUNS: &[u32] = &[
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// The value of a character Python counts as a decimal digit.
pub(crate) fn py_decimal(c: char) -> Option<u8> {
    let c = c as u32;
    let i = DIGIT_RUNS.partition_point(|&start| start <= c);
    let start = *DIGIT_RUNS.get(i.checked_sub(1)?)?;
    u8::try_from(c - start).ok().filter(|d| *d < 10)
}

/// Python's `str.isspace()` (and regex `\s`): Unicode white space plus the four ASCII
/// separators U+001C..U+001F.
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// At most what an error message may quote of `s`: text near the length limit is cut, since a
/// repr can be four times its input.
pub(crate) fn clip(s: &str, max_len: usize) -> (&str, &'static str) {
    let room = (max_len / 4).saturating_sub(64).max(16);
    if s.len() <= room {
        return (s, "");
    }
    let mut cut = room;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    (&s[..cut], "...")
}

/// `repr(s)` for an error message, shortened when the input is too long to echo in full.
pub(crate) fn echo(s: &str, max_len: usize) -> String {
    let (s, more) = clip(s, max_len);
    format!("{}{more}", repr(s))
}

/// The assigned characters Python's `repr` escapes (controls, separators, format characters,
/// private use), as inclusive ranges. Unassigned code points, which it also escapes, are left
/// out: listing them would take hundreds of ranges.
const NOT_PRINTABLE: &[(u32, u32)] = &[
    (0x0, 0x1f),
    (0x7f, 0xa0),
    (0xad, 0xad),
    (0x600, 0x605),
    (0x61c, 0x61c),
    (0x6dd, 0x6dd),
    (0x70f, 0x70f),
    (0x890, 0x891),
    (0x8e2, 0x8e2),
    (0x1680, 0x1680),
    (0x180e, 0x180e),
    (0x2000, 0x200f),
    (0x2028, 0x202f),
    (0x205f, 0x2064),
    (0x2066, 0x206f),
    (0x3000, 0x3000),
    (0xe000, 0xf8ff),
    (0xfeff, 0xfeff),
    (0xfff9, 0xfffb),
    (0x110bd, 0x110bd),
    (0x110cd, 0x110cd),
    (0x13430, 0x13438),
    (0x1bca0, 0x1bca3),
    (0x1d173, 0x1d17a),
    (0xe0001, 0xe0001),
    (0xe0020, 0xe007f),
    (0xf0000, 0xffffd),
    (0x100000, 0x10fffd),
];

/// Python's `repr()` of a string.
fn repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        let n = c as u32;
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            _ if !NOT_PRINTABLE.iter().any(|(a, b)| (*a..=*b).contains(&n)) => out.push(c),
            _ if n < 0x100 => out.push_str(&format!("\\x{n:02x}")),
            _ if n < 0x10000 => out.push_str(&format!("\\u{n:04x}")),
            _ => out.push_str(&format!("\\U{n:08x}")),
        }
    }
    out.push(quote);
    out
}

/// The value of an enumerated property, or the error NodeTool gives for one it does not know.
fn choice(p: &Props, name: &str, options: &[&'static str]) -> Result<&'static str, String> {
    let v = p.str(name);
    options.iter().copied().find(|o| *o == v).ok_or_else(|| {
        format!(
            "Invalid value for property `{name}`: {} (expected one of {})",
            echo(v, p.max_len),
            options.join(", ")
        )
    })
}

// ---- Python's datetime arithmetic ----

const US_PER_SEC: i64 = 1_000_000;
const US_PER_DAY: i64 = 86_400 * US_PER_SEC;
/// `date(9999, 12, 31).toordinal()`.
const MAX_ORDINAL: i64 = 3_652_059;
/// `date(1970, 1, 1).toordinal() - 1`: days from 0001-01-01 to the Unix epoch.
const EPOCH_DAYS: i64 = 719_162;
/// `timedelta`'s limit on days.
const MAX_DELTA_DAYS: i128 = 999_999_999;
/// Longest list a node builds.
const MAX_ITEMS: usize = 100_000;

const OUT_OF_RANGE: &str = "date value out of range";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A fixed UTC offset. `name: None` is Python's unnamed zone (UTC, or `UTC+05:30` from `%z`).
#[derive(Clone, Debug, PartialEq)]
struct Zone {
    offset_us: i64,
    name: Option<String>,
}

impl Zone {
    const UTC: Zone = Zone {
        offset_us: 0,
        name: None,
    };

    /// `tzinfo.tzname()`.
    fn tzname(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None if self.offset_us == 0 => "UTC".into(),
            None => format!("UTC{}", offset_text(self.offset_us, ":")),
        }
    }
}

/// `±HH<sep>MM[<sep>SS[.ffffff]]`, as Python writes an offset.
fn offset_text(us: i64, sep: &str) -> String {
    let sign = if us < 0 { '-' } else { '+' };
    let us = us.unsigned_abs();
    let (secs, micros) = (us / 1_000_000, us % 1_000_000);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = format!("{sign}{h:02}{sep}{m:02}");
    if micros != 0 || s != 0 {
        out.push_str(&format!("{sep}{s:02}"));
    }
    if micros != 0 {
        out.push_str(&format!(".{micros:06}"));
    }
    out
}

/// A Python `datetime`: the wall clock (microseconds since 0001-01-01T00:00) and its zone.
/// A naive result (from `strptime` without `%z`) is kept as UTC: NodeTool reports both alike.
#[derive(Clone, Debug)]
struct Dt {
    local_us: i64,
    zone: Zone,
}

/// A datetime's fields, as Python names them.
struct Fields {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micro: i64,
}

impl Dt {
    fn ordinal(&self) -> i64 {
        self.local_us.div_euclid(US_PER_DAY) + 1
    }

    fn fields(&self) -> Fields {
        // `local_us` is always within 0001-01-01..=9999-12-31, so the date exists.
        let date = i32::try_from(self.ordinal())
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .unwrap_or(NaiveDate::MIN);
        let t = self.local_us.rem_euclid(US_PER_DAY);
        let secs = t / US_PER_SEC;
        Fields {
            year: date.year().into(),
            month: date.month().into(),
            day: date.day().into(),
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            micro: t % US_PER_SEC,
        }
    }

    /// `date.weekday()`: Monday is 0.
    fn weekday(&self) -> i64 {
        (self.ordinal() + 6) % 7
    }

    /// The instant, for comparing and subtracting aware datetimes.
    fn utc_us(&self) -> i64 {
        self.local_us - self.zone.offset_us
    }

    /// `self + timedelta(microseconds=delta)`.
    fn add(&self, delta: i128) -> Result<Dt, String> {
        let local = i128::from(self.local_us) + delta;
        if local < 0 || local >= i128::from(MAX_ORDINAL * US_PER_DAY) {
            return Err(OUT_OF_RANGE.into());
        }
        Ok(Dt {
            local_us: local as i64,
            zone: self.zone.clone(),
        })
    }

    /// `self.replace(...)` with every date and time field given.
    fn replace(&self, args: [i128; 7]) -> Result<Dt, String> {
        make(args, self.zone.clone())
    }
}

/// An argument Python passes to C as an `int`, with Python's overflow errors.
fn c_int(v: i128) -> Result<i64, String> {
    if v > i128::from(i64::MAX) || v < i128::from(i64::MIN) {
        Err("Python int too large to convert to C long".into())
    } else if v > i128::from(i32::MAX) {
        Err("signed integer is greater than maximum".into())
    } else if v < i128::from(i32::MIN) {
        Err("signed integer is less than minimum".into())
    } else {
        Ok(v as i64)
    }
}

/// `date(year, month, day).toordinal()`, with Python's checks in Python's order.
fn ordinal(year: i64, month: i64, day: i64) -> Result<i64, String> {
    if !(1..=9999).contains(&year) {
        return Err(format!("year {year} is out of range"));
    }
    if !(1..=12).contains(&month) {
        return Err("month must be in 1..12".into());
    }
    let date = u32::try_from(day)
        .ok()
        .and_then(|d| NaiveDate::from_ymd_opt(year as i32, month as u32, d));
    match date {
        Some(d) => Ok(d.num_days_from_ce().into()),
        None => Err("day is out of range for month".into()),
    }
}

/// `datetime(year, month, day, hour, minute, second, microsecond, tzinfo=zone)`.
fn make(args: [i128; 7], zone: Zone) -> Result<Dt, String> {
    let mut v = [0i64; 7];
    for (slot, a) in v.iter_mut().zip(args) {
        *slot = c_int(a)?;
    }
    let [year, month, day, hour, minute, second, micro] = v;
    let ord = ordinal(year, month, day)?;
    let checks = [
        (hour, 23, "hour must be in 0..23"),
        (minute, 59, "minute must be in 0..59"),
        (second, 59, "second must be in 0..59"),
        (micro, 999_999, "microsecond must be in 0..999999"),
    ];
    for (value, max, message) in checks {
        if !(0..=max).contains(&value) {
            return Err(message.into());
        }
    }
    Ok(Dt {
        local_us: (ord - 1) * US_PER_DAY
            + ((hour * 60 + minute) * 60 + second) * US_PER_SEC
            + micro,
        zone,
    })
}

/// A `timedelta` of `us` microseconds, refused as Python refuses one beyond 999999999 days.
fn delta(us: i128) -> Result<i128, String> {
    let days = us.div_euclid(i128::from(US_PER_DAY));
    if days.abs() > MAX_DELTA_DAYS {
        return Err(format!("days={days}; must have magnitude <= 999999999"));
    }
    Ok(us)
}

/// `repr(timedelta)`, for the offset error.
fn delta_repr(us: i128) -> String {
    let day = i128::from(US_PER_DAY);
    let (days, rest) = (us.div_euclid(day), us.rem_euclid(day));
    let (secs, micros) = (rest / 1_000_000, rest % 1_000_000);
    let parts: Vec<String> = [("days", days), ("seconds", secs), ("microseconds", micros)]
        .iter()
        .filter(|(_, v)| *v != 0)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if parts.is_empty() {
        "datetime.timedelta(0)".into()
    } else {
        format!("datetime.timedelta({})", parts.join(", "))
    }
}

/// `timedelta(seconds=x)` for a float: whole microseconds, rounding the way CPython does
/// (half to even, judged on the total so far).
fn float_seconds(x: f64) -> Result<i128, String> {
    if x.abs() >= 1e26 {
        // Far beyond any timedelta: Python names the day count, then gives up.
        return Err(format!(
            "days={}; must have magnitude <= 999999999",
            (x / 86_400.0).floor()
        ));
    }
    let whole = x.trunc();
    let mut total = whole as i128 * 1_000_000;
    let frac = x - whole;
    if frac != 0.0 {
        let scaled = frac * 1e6;
        let int_part = scaled.trunc();
        total += int_part as i128;
        let left = scaled - int_part;
        let mut us = left.round();
        if (us - left).abs() == 0.5 {
            let odd = total.rem_euclid(2) as f64;
            us = 2.0 * ((left + odd) * 0.5).round() - odd;
        }
        total += us as i128;
    }
    delta(total)
}

/// `timezone(timedelta(seconds=x), name)`.
fn fixed_zone(x: f64, name: &str) -> Result<Zone, String> {
    let us = float_seconds(x)?;
    offset_zone(us, Some(name.into()))
}

fn offset_zone(us: i128, name: Option<String>) -> Result<Zone, String> {
    let day = i128::from(US_PER_DAY);
    if us <= -day || us >= day {
        return Err(format!(
            "offset must be a timedelta strictly between -timedelta(hours=24) and \
             timedelta(hours=24), not {}.",
            delta_repr(us)
        ));
    }
    Ok(Zone {
        offset_us: us as i64,
        name,
    })
}

/// The host's clock as an aware UTC datetime.
fn now_dt(p: &Props) -> Result<Dt, String> {
    let local = i128::from(p.now_micros) + i128::from(EPOCH_DAYS * US_PER_DAY);
    Dt {
        local_us: 0,
        zone: Zone::UTC,
    }
    .add(local)
}

// ---- NodeTool's Date and Datetime objects ----

const DT_FIELDS: [&str; 7] = [
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "microsecond",
];

/// A `Datetime` object as NodeTool validates it: integer fields (not yet checked as a date),
/// the zone's name and its offset in seconds. An offset left out stays pydantic's unvalidated
/// default, the integer 0, and is written back as such.
#[derive(Clone, Debug)]
struct DtModel {
    f: [i64; 7],
    tzinfo: String,
    utc_offset: Option<f64>,
}

/// The object a property holds, checked to be of NodeTool type `ty` when it says.
fn typed_object<'a>(p: &'a Props, prop: &str, ty: &str) -> Result<&'a Map<String, Value>, String> {
    let obj = p.dict(prop).ok_or_else(|| {
        format!(
            "property '{prop}' must be a {ty} object, got {}",
            type_name(p.get(prop))
        )
    })?;
    match obj.get("type") {
        None => Ok(obj),
        Some(Value::String(t)) if t == ty => Ok(obj),
        Some(t) => {
            let t = py_str(t);
            let (t, more) = clip(&t, p.max_len);
            Err(format!(
                "Invalid value for property `{prop}`: a {t}{more} object is not a {ty}"
            ))
        }
    }
}

/// One field of an object property, converted as pydantic would, or its default.
fn field(
    obj: &Map<String, Value>,
    prop: &str,
    key: &str,
    kind: Kind,
) -> Result<Option<Value>, String> {
    obj.get(key)
        .map(|v| coerce(v, kind).map_err(|e| format!("property '{prop}' field '{key}' {e}")))
        .transpose()
}

fn int_fields<const N: usize>(
    obj: &Map<String, Value>,
    prop: &str,
    keys: [&str; N],
) -> Result<[i64; N], String> {
    let mut out = [0i64; N];
    for (slot, key) in out.iter_mut().zip(keys) {
        if let Some(v) = field(obj, prop, key, Kind::Int)? {
            *slot = v.as_i64().unwrap_or_default();
        }
    }
    Ok(out)
}

impl DtModel {
    fn read(p: &Props, prop: &str) -> Result<DtModel, String> {
        let obj = typed_object(p, prop, "datetime")?;
        let f = int_fields(obj, prop, DT_FIELDS)?;
        let tzinfo = match field(obj, prop, "tzinfo", Kind::Str)? {
            Some(Value::String(s)) => s,
            _ => "UTC".into(),
        };
        let utc_offset = field(obj, prop, "utc_offset", Kind::Float)?.and_then(|v| v.as_f64());
        Ok(DtModel {
            f,
            tzinfo,
            utc_offset,
        })
    }

    /// `Datetime.from_datetime(dt)`.
    fn from_dt(dt: &Dt) -> DtModel {
        let x = dt.fields();
        let name = dt.zone.tzname();
        DtModel {
            f: [x.year, x.month, x.day, x.hour, x.minute, x.second, x.micro],
            tzinfo: if name.is_empty() { "UTC".into() } else { name },
            // Exact: an offset is under a day, well within a float's integers.
            utc_offset: Some(dt.zone.offset_us as f64 / 1e6),
        }
    }

    /// `Datetime.to_datetime()`: the zone is built first, so its errors come first.
    fn to_dt(&self) -> Result<Dt, String> {
        let zone = if let Some(x) = self.utc_offset.filter(|x| *x != 0.0) {
            fixed_zone(x, &self.tzinfo)?
        } else {
            Zone::UTC
        };
        make(self.f.map(i128::from), zone)
    }

    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), json!("datetime"));
        for (k, v) in DT_FIELDS.iter().zip(self.f) {
            m.insert((*k).into(), json!(v));
        }
        m.insert("tzinfo".into(), json!(self.tzinfo));
        let offset = self.utc_offset.map_or(json!(0), |x| json!(x));
        m.insert("utc_offset".into(), offset);
        Value::Object(m)
    }
}

fn dt_value(dt: &Dt) -> Value {
    DtModel::from_dt(dt).to_value()
}

fn date_value(dt: &Dt) -> Value {
    let x = dt.fields();
    json!({"type": "date", "year": x.year, "month": x.month, "day": x.day})
}

/// A `Datetime` property converted to a Python datetime.
fn read_dt(p: &Props, prop: &str) -> Result<Dt, String> {
    DtModel::read(p, prop)?.to_dt()
}

// ---- strftime and strptime for NodeTool's formats ----

/// `dt.strftime(fmt)` for the directives NodeTool's formats use. `%Y` is not padded, as
/// glibc writes it under Python 3.11.
fn strftime(dt: &Dt, fmt: &str) -> String {
    let x = dt.fields();
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&x.year.to_string()),
            Some('m') => out.push_str(&format!("{:02}", x.month)),
            Some('d') => out.push_str(&format!("{:02}", x.day)),
            Some('H') => out.push_str(&format!("{:02}", x.hour)),
            Some('M') => out.push_str(&format!("{:02}", x.minute)),
            Some('S') => out.push_str(&format!("{:02}", x.second)),
            Some('B') => out.push_str(MONTHS[(x.month - 1) as usize % 12]),
            Some('A') => out.push_str(WEEKDAYS[dt.weekday() as usize % 7]),
            Some('z') => out.push_str(&offset_text(dt.zone.offset_us, "")),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// A piece of a compiled format: a literal, a run of white space (`\s+`) or a directive.
#[derive(Clone, Copy)]
enum Pat {
    Lit(char),
    Space,
    Dir(char),
}

fn compile(fmt: &str) -> Vec<Pat> {
    let mut out = Vec::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            if let Some(d) = chars.next() {
                out.push(Pat::Dir(d));
            }
        } else if is_py_space(c) {
            while chars.peek().is_some_and(|c| is_py_space(*c)) {
                chars.next();
            }
            out.push(Pat::Space);
        } else {
            out.push(Pat::Lit(c));
        }
    }
    out
}

/// A character class in a directive's pattern.
#[derive(Clone, Copy)]
enum Cls {
    Ch(char),
    Range(char, char),
    Digit,
}

use Cls::{Ch, Digit, Range};

// Python's `_strptime` patterns, alternatives in the order its regex tries them.
const ALT_D: &[&[Cls]] = &[
    &[Ch('3'), Range('0', '1')],
    &[Range('1', '2'), Digit],
    &[Ch('0'), Range('1', '9')],
    &[Range('1', '9')],
    &[Ch(' '), Range('1', '9')],
];
const ALT_M: &[&[Cls]] = &[
    &[Ch('1'), Range('0', '2')],
    &[Ch('0'), Range('1', '9')],
    &[Range('1', '9')],
];
const ALT_Y: &[&[Cls]] = &[&[Digit, Digit, Digit, Digit]];
const ALT_HOUR: &[&[Cls]] = &[
    &[Ch('2'), Range('0', '3')],
    &[Range('0', '1'), Digit],
    &[Digit],
];
const ALT_MIN: &[&[Cls]] = &[&[Range('0', '5'), Digit], &[Digit]];
const ALT_SEC: &[&[Cls]] = &[
    &[Ch('6'), Range('0', '1')],
    &[Range('0', '5'), Digit],
    &[Digit],
];

fn is_digit(c: char) -> bool {
    py_decimal(c).is_some()
}

fn cls_matches(cls: Cls, c: char) -> bool {
    match cls {
        Ch(x) => c == x,
        Range(a, b) => (a..=b).contains(&c),
        Digit => is_digit(c),
    }
}

/// The regex's case-insensitive match of one month-name letter: ASCII case, plus the two
/// non-ASCII letters Python's `re` folds onto `i` and `s`.
fn letter_matches(want: char, c: char) -> bool {
    c.to_ascii_lowercase() == want
        || (want == 'i' && matches!(c, '\u{130}' | '\u{131}'))
        || (want == 's' && c == '\u{17f}')
}

struct Matcher<'a> {
    s: &'a [char],
    pats: &'a [Pat],
}

impl Matcher<'_> {
    fn at(&self, i: usize) -> Option<char> {
        self.s.get(i).copied()
    }

    fn alts(&self, alts: &[&[Cls]], pos: usize) -> Vec<usize> {
        alts.iter()
            .filter(|alt| {
                alt.iter()
                    .enumerate()
                    .all(|(k, cls)| self.at(pos + k).is_some_and(|c| cls_matches(*cls, c)))
            })
            .map(|alt| pos + alt.len())
            .collect()
    }

    fn month_name(&self, pos: usize) -> Vec<usize> {
        MONTHS
            .iter()
            .filter(|name| {
                name.chars().enumerate().all(|(k, want)| {
                    self.at(pos + k)
                        .is_some_and(|c| letter_matches(want.to_ascii_lowercase(), c))
                })
            })
            .map(|name| pos + name.len())
            .collect()
    }

    /// `:?` (greedy): after a colon first, then without.
    fn colon(&self, pos: usize) -> Vec<usize> {
        if self.at(pos) == Some(':') {
            vec![pos + 1, pos]
        } else {
            vec![pos]
        }
    }

    fn two(&self, pos: usize, first: Cls) -> bool {
        self.at(pos).is_some_and(|c| cls_matches(first, c))
            && self.at(pos + 1).is_some_and(is_digit)
    }

    /// `[+-]\d\d:?[0-5]\d(:?[0-5]\d(\.\d{1,6})?)?|Z`, every way it can end, in the regex's
    /// order of preference.
    fn offset(&self, pos: usize) -> Vec<usize> {
        let mut out = Vec::new();
        if matches!(self.at(pos), Some('+' | '-')) && self.two(pos + 1, Digit) {
            for p1 in self.colon(pos + 3) {
                if !self.two(p1, Range('0', '5')) {
                    continue;
                }
                for p2 in self.colon(p1 + 2) {
                    if !self.two(p2, Range('0', '5')) {
                        continue;
                    }
                    let p3 = p2 + 2;
                    if self.at(p3) == Some('.') {
                        let n = (1..=6)
                            .take_while(|k| self.at(p3 + k).is_some_and(is_digit))
                            .count();
                        out.extend((1..=n).rev().map(|k| p3 + 1 + k));
                    }
                    out.push(p3);
                }
                out.push(p1 + 2);
            }
        }
        if self.at(pos) == Some('Z') {
            out.push(pos + 1);
        }
        out
    }

    fn candidates(&self, pat: Pat, pos: usize) -> Vec<usize> {
        match pat {
            Pat::Lit(l) => match self.at(pos) {
                Some(c) if c.eq_ignore_ascii_case(&l) => vec![pos + 1],
                _ => Vec::new(),
            },
            // Runs of white space are walked in `run`, without listing every length.
            Pat::Space => Vec::new(),
            Pat::Dir('d') => self.alts(ALT_D, pos),
            Pat::Dir('m') => self.alts(ALT_M, pos),
            Pat::Dir('Y') => self.alts(ALT_Y, pos),
            Pat::Dir('H') => self.alts(ALT_HOUR, pos),
            Pat::Dir('M') => self.alts(ALT_MIN, pos),
            Pat::Dir('S') => self.alts(ALT_SEC, pos),
            Pat::Dir('B') => self.month_name(pos),
            Pat::Dir('z') => self.offset(pos),
            Pat::Dir(_) => Vec::new(),
        }
    }

    /// Matches pieces `i..` from `pos` the way a backtracking regex does: the first way that
    /// gets through every piece wins. Recursion is one level per piece of a fixed format.
    fn run(&self, i: usize, pos: usize, caps: &mut Vec<(char, usize, usize)>) -> Option<usize> {
        let Some(&pat) = self.pats.get(i) else {
            return Some(pos);
        };
        if let Pat::Space = pat {
            // `\s+` is greedy: the longest run first, then one shorter at a time.
            let n = self.s.get(pos..).unwrap_or_default();
            let n = n.iter().take_while(|c| is_py_space(**c)).count();
            return (1..=n).rev().find_map(|k| self.run(i + 1, pos + k, caps));
        }
        for end in self.candidates(pat, pos) {
            if let Pat::Dir(d) = pat {
                caps.push((d, pos, end));
            }
            if let Some(done) = self.run(i + 1, end, caps) {
                return Some(done);
            }
            if let Pat::Dir(_) = pat {
                caps.pop();
            }
        }
        None
    }
}

/// Python's `int()` of a captured run of digits (an `%d` may start with a space).
fn py_int(chars: &[char]) -> Result<i64, String> {
    let digits: Vec<u8> = chars
        .iter()
        .skip_while(|c| **c == ' ')
        .map(|c| py_decimal(*c))
        .collect::<Option<_>>()
        .filter(|d: &Vec<u8>| !d.is_empty())
        .ok_or_else(|| {
            let text: String = chars.iter().collect();
            format!("invalid literal for int() with base 10: {}", repr(&text))
        })?;
    // The patterns let at most six digits through; saturating keeps even more harmless.
    Ok(digits.iter().fold(0i64, |n, d| {
        n.saturating_mul(10).saturating_add(i64::from(*d))
    }))
}

/// The offset `%z` read, as `_strptime` computes it (slicing by code point).
fn parse_offset(z: &[char]) -> Result<i128, String> {
    if z == ['Z'] {
        return Ok(0);
    }
    let original: String = z.iter().collect();
    let mut z = z.to_vec();
    if z.get(3) == Some(&':') {
        z.remove(3);
        if z.len() > 5 {
            if z.get(5) != Some(&':') {
                return Err(format!("Inconsistent use of : in {original}"));
            }
            z.remove(5);
        }
    }
    let slice = |a: usize, b: usize| &z[a.min(z.len())..b.min(z.len())];
    let hours = py_int(slice(1, 3))?;
    let minutes = py_int(slice(3, 5))?;
    let seconds = match slice(5, 7) {
        [] => 0,
        s => py_int(s)?,
    };
    let rest = slice(8, z.len());
    let mut frac: Vec<char> = rest.to_vec();
    frac.resize(frac.len().max(6), '0');
    let frac = py_int(&frac)?;
    let sign = if z.first() == Some(&'-') { -1 } else { 1 };
    Ok(sign * (i128::from((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + i128::from(frac)))
}

/// `datetime.strptime(text, fmt)` for NodeTool's formats, with Python's errors.
fn strptime(text: &str, fmt: &str, max_len: usize) -> Result<Dt, String> {
    let s: Vec<char> = text.chars().collect();
    let pats = compile(fmt);
    let m = Matcher { s: &s, pats: &pats };
    let mut caps = Vec::new();
    let Some(end) = m.run(0, 0, &mut caps) else {
        return Err(format!(
            "time data {} does not match format {}",
            echo(text, max_len),
            repr(fmt)
        ));
    };
    if end != s.len() {
        let rest: String = s[end..].iter().collect();
        let (rest, more) = clip(&rest, max_len);
        return Err(format!("unconverted data remains: {rest}{more}"));
    }
    let (mut year, mut month, mut day) = (1900, 1, 1);
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    let mut offset = None;
    for (d, a, b) in caps {
        let got = &s[a..b];
        match d {
            'Y' => year = py_int(got)?,
            'm' => month = py_int(got)?,
            'd' => day = py_int(got)?,
            'H' => hour = py_int(got)?,
            'M' => minute = py_int(got)?,
            'S' => second = py_int(got)?,
            'B' => month = month_index(got)?,
            'z' => offset = Some(parse_offset(got)?),
            _ => {}
        }
    }
    // `_strptime` works out the day of the year, which checks the date...
    ordinal(year, month, day)?;
    // ...then the zone is built, then the datetime checks the time.
    let zone = match offset {
        Some(us) => offset_zone(us, None)?,
        None => Zone::UTC,
    };
    make(
        [year, month, day, hour, minute, second, 0].map(i128::from),
        zone,
    )
}

/// The month a `%B` match names; Python looks the lower-cased text up in its list of names,
/// which a folded non-ASCII letter (`ſ`, `ı`, `İ`) does not survive.
fn month_index(got: &[char]) -> Result<i64, String> {
    let lower: String = got.iter().collect::<String>().to_lowercase();
    MONTHS
        .iter()
        .position(|m| m.to_ascii_lowercase() == lower)
        .map(|i| i as i64 + 1)
        .ok_or_else(|| format!("{} is not in list", repr(&lower)))
}

// ---- the nodes ----

/// Today in UTC: NodeTool's Python asks for the machine's local date.
fn today(p: &Props) -> Result<Emitted, String> {
    one(date_value(&now_dt(p)?))
}

fn now(p: &Props) -> Result<Emitted, String> {
    one(dt_value(&now_dt(p)?))
}

fn parse_date(p: &Props) -> Result<Emitted, String> {
    let fmt = choice(p, "input_format", FORMATS)?;
    one(date_value(&strptime(p.str("date_string"), fmt, p.max_len)?))
}

fn parse_datetime(p: &Props) -> Result<Emitted, String> {
    let fmt = choice(p, "input_format", FORMATS)?;
    one(dt_value(&strptime(
        p.str("datetime_string"),
        fmt,
        p.max_len,
    )?))
}

fn add_time_delta(p: &Props) -> Result<Emitted, String> {
    let minutes = (i128::from(p.int("days")) * 24 + i128::from(p.int("hours"))) * 60
        + i128::from(p.int("minutes"));
    let model = DtModel::read(p, "input_datetime")?;
    // The timedelta is built before the datetime is converted.
    let d = delta(minutes * 60 * i128::from(US_PER_SEC))?;
    one(dt_value(&model.to_dt()?.add(d)?))
}

fn date_difference(p: &Props) -> Result<Emitted, String> {
    let (start, end) = (
        DtModel::read(p, "start_date")?,
        DtModel::read(p, "end_date")?,
    );
    let (end, start) = (end.to_dt()?, start.to_dt()?);
    let diff = end.utc_us() - start.utc_us();
    let (days, rest) = (diff.div_euclid(US_PER_DAY), diff.rem_euclid(US_PER_DAY));
    let secs = rest / US_PER_SEC;
    // `int(diff.total_seconds())`: the float quotient, truncated.
    let (q, r) = (diff / US_PER_SEC, diff % US_PER_SEC);
    let total = (q as f64 + r as f64 / 1e6).trunc() as i64;
    Ok(vec![
        ("total_seconds", json!(total)),
        ("days", json!(days)),
        ("hours", json!(secs / 3600)),
        ("minutes", json!(secs % 3600 / 60)),
        ("seconds", json!(secs % 60)),
    ])
}

fn format_datetime(p: &Props) -> Result<Emitted, String> {
    let model = DtModel::read(p, "input_datetime")?;
    let fmt = choice(p, "output_format", FORMATS)?;
    one(json!(strftime(&model.to_dt()?, fmt)))
}

fn get_weekday(p: &Props) -> Result<Emitted, String> {
    let dt = read_dt(p, "input_datetime")?;
    if p.bool("as_name") {
        one(json!(strftime(&dt, "%A")))
    } else {
        one(json!(dt.weekday()))
    }
}

fn date_range(p: &Props) -> Result<Emitted, String> {
    let mut current = DtModel::read(p, "start_date")?;
    let end = DtModel::read(p, "end_date")?;
    let mut dt = current.to_dt()?;
    let end = end.to_dt()?.utc_us();
    if dt.utc_us() > end {
        return one(json!([]));
    }
    let step_days = p.int("step_days");
    let step = i128::from(step_days) * i128::from(US_PER_DAY);
    // NodeTool loops while the date has not passed the end: a step back never gets there (it
    // runs off the calendar), and no step never ends.
    if step_days < 0 {
        delta(step)?;
        return Err(OUT_OF_RANGE.into());
    }
    let count = match step {
        0 => usize::MAX,
        _ => usize::try_from(i128::from(end - dt.utc_us()) / step + 1).unwrap_or(usize::MAX),
    };
    if count > MAX_ITEMS {
        return Err(format!("the list would exceed {MAX_ITEMS} items"));
    }
    // Each item repeats its zone's name (an empty one comes back as "UTC"); keep the copies
    // within the text limit.
    too_long(count.saturating_mul(current.tzinfo.len().max(3)), p.max_len)?;
    let mut out = Vec::with_capacity(count);
    while dt.utc_us() <= end {
        out.push(current.to_value());
        // Like NodeTool, each next date goes through a `Datetime` object and back.
        current = DtModel::from_dt(&dt.add(delta(step)?)?);
        dt = current.to_dt()?;
    }
    one(Value::Array(out))
}

fn is_date_in_range(p: &Props) -> Result<Emitted, String> {
    let check = DtModel::read(p, "check_date")?;
    let (start, end) = (
        DtModel::read(p, "start_date")?,
        DtModel::read(p, "end_date")?,
    );
    let start = start.to_dt()?.utc_us();
    let check = check.to_dt()?.utc_us();
    let inclusive = p.bool("inclusive");
    // A chained comparison stops at the first false, before the end date is read.
    let lower = if inclusive {
        start <= check
    } else {
        start < check
    };
    if !lower {
        return one(json!(false));
    }
    let end = end.to_dt()?.utc_us();
    one(json!(if inclusive { check <= end } else { check < end }))
}

fn get_quarter(p: &Props) -> Result<Emitted, String> {
    // NodeTool reads the year and month straight off the object, unchecked.
    let m = DtModel::read(p, "input_datetime")?;
    let (year, month) = (i128::from(m.f[0]), i128::from(m.f[1]));
    let quarter = (month - 1).div_euclid(3) + 1;
    let start = make([year, 3 * quarter - 2, 1, 0, 0, 0, 0], Zone::UTC)?;
    let next = if quarter == 4 {
        make([year + 1, 1, 1, 0, 0, 0, 0], Zone::UTC)?
    } else {
        make([year, 3 * quarter + 1, 1, 0, 0, 0, 0], Zone::UTC)?
    };
    let end = next.add(-i128::from(US_PER_DAY))?;
    Ok(vec![
        ("quarter", json!(quarter as i64)),
        ("quarter_start", dt_value(&start)),
        ("quarter_end", dt_value(&end)),
    ])
}

fn date_to_datetime(p: &Props) -> Result<Emitted, String> {
    let obj = typed_object(p, "input_date", "date")?;
    let [y, m, d] = int_fields(obj, "input_date", ["year", "month", "day"])?;
    let dt = make([y, m, d, 0, 0, 0, 0].map(i128::from), Zone::UTC)?;
    one(dt_value(&dt))
}

fn datetime_to_date(p: &Props) -> Result<Emitted, String> {
    one(date_value(&read_dt(p, "input_datetime")?))
}

fn relative_time(p: &Props) -> Result<Emitted, String> {
    let unit = choice(p, "unit", &["hours", "days", "months"])?;
    let past = choice(p, "direction", &["past", "future"])? == "past";
    let amount = i128::from(p.int("amount"));
    let current = now_dt(p)?;
    let sign = if past { -1 } else { 1 };
    match unit {
        "hours" => one(dt_value(
            &current.add(sign * delta(amount * 3600 * 1_000_000)?)?,
        )),
        "days" => one(dt_value(
            &current.add(sign * delta(amount * i128::from(US_PER_DAY))?)?,
        )),
        _ => {
            let x = current.fields();
            let (mut year, mut month) = (i128::from(x.year), i128::from(x.month));
            // NodeTool steps a year at a time only in the direction it moves, so a negative
            // amount can leave the month outside 1..12 (and Python then refuses it).
            month += sign * amount;
            if (past && month <= 0) || (!past && month > 12) {
                year += (month - 1).div_euclid(12);
                month = (month - 1).rem_euclid(12) + 1;
            }
            let f = [x.day, x.hour, x.minute, x.second, x.micro].map(i128::from);
            one(dt_value(
                &current.replace([year, month, f[0], f[1], f[2], f[3], f[4]])?,
            ))
        }
    }
}

fn boundary_time(p: &Props) -> Result<Emitted, String> {
    let model = DtModel::read(p, "input_datetime")?;
    let period = choice(p, "period", &["day", "week", "month", "year"])?;
    let start = choice(p, "boundary", &["start", "end"])? == "start";
    let dt = model.to_dt()?;
    let x = dt.fields();
    let (y, m) = (i128::from(x.year), i128::from(x.month));
    let first = |dt: &Dt| -> Result<Dt, String> {
        let x = dt.fields();
        dt.replace([x.year, x.month, x.day, 0, 0, 0, 0].map(i128::from))
    };
    let last = |dt: &Dt| -> Result<Dt, String> {
        let x = dt.fields();
        dt.replace([x.year, x.month, x.day, 23, 59, 59, 999_999].map(i128::from))
    };
    let day = i128::from(US_PER_DAY);
    let out = match (period, start) {
        ("day", true) => first(&dt)?,
        ("day", false) => last(&dt)?,
        ("week", _) => {
            let back = if p.bool("start_monday") {
                dt.weekday()
            } else {
                (dt.weekday() + 1) % 7
            };
            if start {
                first(&dt.add(-i128::from(back) * day)?)?
            } else {
                last(&dt.add(i128::from(6 - back) * day)?)?
            }
        }
        ("month", true) => dt.replace([y, m, 1, 0, 0, 0, 0])?,
        ("month", false) => {
            let next = if m == 12 {
                dt.replace([y + 1, 1, 1, 23, 59, 59, 999_999])?
            } else {
                dt.replace([y, m + 1, 1, 23, 59, 59, 999_999])?
            };
            next.add(-day)?
        }
        (_, true) => dt.replace([y, 1, 1, 0, 0, 0, 0])?,
        (_, false) => dt.replace([y, 12, 31, 23, 59, 59, 999_999])?,
    };
    one(dt_value(&out))
}
