//! NodeTool's date formats, and `strftime` for them.

use super::datetime::{Dt, MONTHS, WEEKDAYS, offset_text};

/// NodeTool's `DateFormat` choices (two of its members share the last value).
pub(super) const FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%B %d, %Y",
    "%Y%m%d",
    "%Y%m%d_%H%M%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
];

/// `dt.strftime(fmt)` for the directives NodeTool's formats use. `%Y` is not padded, as
/// glibc writes it under Python 3.11.
pub(super) fn strftime(dt: &Dt, fmt: &str) -> String {
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
