//! The date nodes that compute: deltas, differences, weekdays, ranges, quarters, relative
//! times and the boundaries of a period.

use serde_json::{Value, json};

use super::datetime::{Dt, OUT_OF_RANGE, US_PER_DAY, US_PER_SEC, Zone, make, now_dt};
use super::delta::delta;
use super::formats::strftime;
use super::model::{DtModel, dt_value, read_dt};
use super::pytext::choice;
use crate::graph::nodes::spec::{Emitted, Props, one};
use crate::graph::value::too_long;

/// Longest list a node builds.
const MAX_ITEMS: usize = 100_000;

pub(super) fn add_time_delta(p: &Props) -> Result<Emitted, String> {
    let minutes = (i128::from(p.int("days")) * 24 + i128::from(p.int("hours"))) * 60
        + i128::from(p.int("minutes"));
    let model = DtModel::read(p, "input_datetime")?;
    // The timedelta is built before the datetime is converted.
    let d = delta(minutes * 60 * i128::from(US_PER_SEC))?;
    one(dt_value(&model.to_dt()?.add(d)?))
}

pub(super) fn date_difference(p: &Props) -> Result<Emitted, String> {
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

pub(super) fn get_weekday(p: &Props) -> Result<Emitted, String> {
    let dt = read_dt(p, "input_datetime")?;
    if p.bool("as_name") {
        one(json!(strftime(&dt, "%A")))
    } else {
        one(json!(dt.weekday()))
    }
}

pub(super) fn date_range(p: &Props) -> Result<Emitted, String> {
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

pub(super) fn is_date_in_range(p: &Props) -> Result<Emitted, String> {
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

pub(super) fn get_quarter(p: &Props) -> Result<Emitted, String> {
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

pub(super) fn relative_time(p: &Props) -> Result<Emitted, String> {
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

pub(super) fn boundary_time(p: &Props) -> Result<Emitted, String> {
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
