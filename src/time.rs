//! Timestamps in the shapes NodeTool's clients parse, from a Unix time in microseconds.

/// `2026-03-19T10:00:00.123456` (UTC; the reference writes naive local time in this shape).
pub fn naive_iso(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}",
        tod / 3600,
        (tod / 60) % 60,
        tod % 60
    )
}

/// `2026-03-19T10:00:00.123456+00:00`, Python's `datetime.now(timezone.utc).isoformat()`.
pub fn utc_iso(micros: i64) -> String {
    format!("{}+00:00", naive_iso(micros))
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// RFC 9110 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, always UTC.
pub fn http_date(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[m as usize - 1],
        tod / 3600,
        (tod / 60) % 60,
        tod % 60
    )
}

/// Seconds since the epoch of an IMF-fixdate; `None` for anything else (callers then ignore
/// the header, as RFC 9110 asks for invalid dates).
pub fn parse_http_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let d: u32 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let m = MONTHS.iter().position(|x| x == month)? as u32 + 1;
    let y: i64 = year.parse().ok().filter(|_| year.len() == 4)?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok().filter(|_| p.len() == 2))
        .collect::<Option<_>>()?;
    let [h, mi, se] = hms.as_slice() else {
        return None;
    };
    if *h > 23 || *mi > 59 || *se > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// A proleptic Gregorian date to days since 1970-01-01 (inverse of `civil_from_days`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(naive_iso(0), "1970-01-01T00:00:00.000000");
        // 1700000000 s is the reference's Fernet known-answer timestamp.
        assert_eq!(
            naive_iso(1_700_000_000_000_000),
            "2023-11-14T22:13:20.000000"
        );
        assert_eq!(
            utc_iso(951_782_400_000_001),
            "2000-02-29T00:00:00.000001+00:00"
        );
        assert_eq!(naive_iso(-1), "1969-12-31T23:59:59.999999");
    }

    #[test]
    fn http_dates_round_trip() {
        assert_eq!(
            http_date(784_111_777_000_000),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            http_date(951_782_400_000_000),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"),
            Some(951_782_400)
        );
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
        assert_eq!(parse_http_date("garbage"), None);
    }
}
