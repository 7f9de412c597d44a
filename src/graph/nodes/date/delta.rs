//! `timedelta` and fixed-offset `timezone`, with Python's limits and errors.

use super::datetime::{US_PER_DAY, Zone};

/// `timedelta`'s limit on days.
const MAX_DELTA_DAYS: i128 = 999_999_999;

/// A `timedelta` of `us` microseconds, refused as Python refuses one beyond 999999999 days.
pub(super) fn delta(us: i128) -> Result<i128, String> {
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
pub(super) fn fixed_zone(x: f64, name: &str) -> Result<Zone, String> {
    let us = float_seconds(x)?;
    offset_zone(us, Some(name.into()))
}

pub(super) fn offset_zone(us: i128, name: Option<String>) -> Result<Zone, String> {
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
