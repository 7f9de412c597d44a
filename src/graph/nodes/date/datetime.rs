//! Python's datetime arithmetic: a datetime as microseconds on its wall clock in a fixed zone,
//! built and checked as Python builds it.

use chrono::{Datelike, NaiveDate};

use crate::graph::nodes::spec::Props;

pub(super) const US_PER_SEC: i64 = 1_000_000;
pub(super) const US_PER_DAY: i64 = 86_400 * US_PER_SEC;
/// `date(9999, 12, 31).toordinal()`.
const MAX_ORDINAL: i64 = 3_652_059;
/// `date(1970, 1, 1).toordinal() - 1`: days from 0001-01-01 to the Unix epoch.
const EPOCH_DAYS: i64 = 719_162;

pub(super) const OUT_OF_RANGE: &str = "date value out of range";

pub(super) const MONTHS: [&str; 12] = [
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
pub(super) const WEEKDAYS: [&str; 7] = [
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
pub(super) struct Zone {
    pub(super) offset_us: i64,
    pub(super) name: Option<String>,
}

impl Zone {
    pub(super) const UTC: Zone = Zone {
        offset_us: 0,
        name: None,
    };

    /// `tzinfo.tzname()`.
    pub(super) fn tzname(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None if self.offset_us == 0 => "UTC".into(),
            None => format!("UTC{}", offset_text(self.offset_us, ":")),
        }
    }
}

/// `±HH<sep>MM[<sep>SS[.ffffff]]`, as Python writes an offset.
pub(super) fn offset_text(us: i64, sep: &str) -> String {
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
pub(super) struct Dt {
    local_us: i64,
    pub(super) zone: Zone,
}

/// A datetime's fields, as Python names them.
pub(super) struct Fields {
    pub(super) year: i64,
    pub(super) month: i64,
    pub(super) day: i64,
    pub(super) hour: i64,
    pub(super) minute: i64,
    pub(super) second: i64,
    pub(super) micro: i64,
}

impl Dt {
    pub(super) fn ordinal(&self) -> i64 {
        self.local_us.div_euclid(US_PER_DAY) + 1
    }

    pub(super) fn fields(&self) -> Fields {
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
    pub(super) fn weekday(&self) -> i64 {
        (self.ordinal() + 6) % 7
    }

    /// The instant, for comparing and subtracting aware datetimes.
    pub(super) fn utc_us(&self) -> i64 {
        self.local_us - self.zone.offset_us
    }

    /// `self + timedelta(microseconds=delta)`.
    pub(super) fn add(&self, delta: i128) -> Result<Dt, String> {
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
    pub(super) fn replace(&self, args: [i128; 7]) -> Result<Dt, String> {
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
pub(super) fn ordinal(year: i64, month: i64, day: i64) -> Result<i64, String> {
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
pub(super) fn make(args: [i128; 7], zone: Zone) -> Result<Dt, String> {
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

/// The host's clock as an aware UTC datetime.
pub(super) fn now_dt(p: &Props) -> Result<Dt, String> {
    let local = i128::from(p.now_micros) + i128::from(EPOCH_DAYS * US_PER_DAY);
    Dt {
        local_us: 0,
        zone: Zone::UTC,
    }
    .add(local)
}
