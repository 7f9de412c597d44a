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
}
