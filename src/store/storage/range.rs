//! `Range: bytes=...` per RFC 9110 section 14: one range is served as 206, an unsatisfiable one
//! is 416, and anything we do not serve (malformed, other units, several ranges) is ignored so
//! the whole object is sent, as the RFC allows.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    Full,
    /// Inclusive byte positions.
    Partial(u64, u64),
    Unsatisfiable,
}

/// A position: digits only. One past what u64 holds is still a valid position (RFC 9110 puts
/// no bound on them), so it saturates: an end beyond the object is clamped to its last byte,
/// a start beyond it is unsatisfiable.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse().unwrap_or(u64::MAX))
}

pub fn parse(header: Option<&str>, len: u64) -> RangeRequest {
    let Some(h) = header else {
        return RangeRequest::Full;
    };
    let h = h.trim();
    let Some(spec) = h
        .get(..6)
        .filter(|unit| unit.eq_ignore_ascii_case("bytes="))
        .map(|_| h[6..].trim())
    else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return RangeRequest::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // A suffix: the last N bytes.
        return match digits(last) {
            None => RangeRequest::Full,
            Some(0) => RangeRequest::Unsatisfiable,
            Some(_) if len == 0 => RangeRequest::Unsatisfiable,
            Some(n) => RangeRequest::Partial(len - n.min(len), len - 1),
        };
    }
    let Some(start) = digits(first) else {
        return RangeRequest::Full;
    };
    let end = if last.is_empty() {
        None
    } else {
        match digits(last) {
            Some(e) if e >= start => Some(e),
            _ => return RangeRequest::Full,
        }
    };
    if start >= len {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Partial(start, end.unwrap_or(u64::MAX).min(len - 1))
}

#[cfg(test)]
mod tests {
    use super::RangeRequest::*;
    use super::*;

    #[test]
    fn rfc_9110_cases() {
        let p = |h: &str| parse(Some(h), 10);
        assert_eq!(parse(None, 10), Full);
        assert_eq!(p("bytes=0-3"), Partial(0, 3));
        assert_eq!(p("bytes=2-"), Partial(2, 9));
        assert_eq!(p("bytes=5-100"), Partial(5, 9));
        assert_eq!(p("bytes=-3"), Partial(7, 9));
        assert_eq!(p("bytes=-30"), Partial(0, 9));
        assert_eq!(p("BYTES=9-9"), Partial(9, 9));
        assert_eq!(p("bytes=10-"), Unsatisfiable);
        assert_eq!(p("bytes=-0"), Unsatisfiable);
        assert_eq!(parse(Some("bytes=-5"), 0), Unsatisfiable);
        // Positions past u64 are clamped, not ignored.
        assert_eq!(p("bytes=2-99999999999999999999999"), Partial(2, 9));
        assert_eq!(p("bytes=-99999999999999999999999"), Partial(0, 9));
        assert_eq!(p("bytes=99999999999999999999999-"), Unsatisfiable);
        for ignored in [
            "bytes=3-1",
            "bytes=a-b",
            "items=0-1",
            "bytes=0-1,3-4",
            "bytes=",
            "bytes=1",
        ] {
            assert_eq!(p(ignored), Full, "{ignored}");
        }
    }
}
