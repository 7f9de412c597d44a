//! Guessing costs: failed bearer and admin-token attempts are counted per client address, and
//! the address's `limit`-th attempt within a window, and every later one, is refused with 429
//! before the component runs. NodeTool has no lockout anywhere (reference section 9, item 24).
//!
//! A failure is a 401 to a request that carried `Authorization`, or a 403 to one that carried
//! `X-Admin-Token`: a request without credentials is not a guess. While an address is refused,
//! only its requests that carry credentials are; `/health` and the like still answer. IPv6
//! clients are counted by their /64, which one host usually holds whole.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The counting window.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Addresses kept at most; past that, expired windows are dropped, and if none is, new
/// addresses are not counted until some expire (memory stays bounded under a flood).
const MAX_TRACKED: usize = 100_000;

struct Window {
    started: Instant,
    failures: u32,
}

pub struct AuthFailures {
    /// The attempt within one window that is refused: `limit - 1` failures are answered.
    limit: u32,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

/// The key an address is counted under.
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl AuthFailures {
    pub fn new(limit: u32) -> AuthFailures {
        AuthFailures {
            limit: limit.max(2),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// How long `ip` must still wait, if it is refused now.
    pub fn refused_for(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let w = windows.get(&bucket(ip))?;
        let ends = w.started + WINDOW;
        (w.failures >= self.limit - 1 && now < ends).then(|| ends - now)
    }

    /// Counts one failure of `ip`. True exactly when this one makes the address refused, so the
    /// caller logs it once per window.
    pub fn record(&self, ip: IpAddr, now: Instant) -> bool {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let key = bucket(ip);
        if !windows.contains_key(&key) && windows.len() >= MAX_TRACKED {
            windows.retain(|_, w| now < w.started + WINDOW);
            if windows.len() >= MAX_TRACKED {
                return false;
            }
        }
        let w = windows.entry(key).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now >= w.started + WINDOW {
            *w = Window {
                started: now,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
        w.failures == self.limit - 1
    }
}

/// Whether an answer of `status` to a request with these credentials is a failed guess.
pub fn is_failure(status: u16, had_bearer: bool, had_admin_token: bool) -> bool {
    (status == 401 && had_bearer) || (status == 403 && had_admin_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_th_failure_refuses_the_address_until_its_window_ends() {
        let f = AuthFailures::new(4);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        assert!(!f.record(a, t0));
        assert!(!f.record(a, t0));
        assert_eq!(f.refused_for(a, t0), None);
        // The third failure makes the fourth attempt the refused one.
        assert!(f.record(a, t0 + Duration::from_secs(10)), "logged once");
        assert!(!f.record(a, t0 + Duration::from_secs(11)), "and only once");
        assert_eq!(
            f.refused_for(a, t0 + Duration::from_secs(20)),
            Some(Duration::from_secs(40))
        );
        assert_eq!(f.refused_for(b, t0 + Duration::from_secs(20)), None);
        // A new window starts clean.
        assert_eq!(f.refused_for(a, t0 + WINDOW), None);
        assert!(!f.record(a, t0 + WINDOW));
        assert_eq!(f.refused_for(a, t0 + WINDOW), None);
    }

    #[test]
    fn ipv6_counts_by_slash_64_and_mapped_ipv4_as_ipv4() {
        let f = AuthFailures::new(3);
        let t0 = Instant::now();
        f.record("2001:db8:1:2::1".parse().unwrap(), t0);
        f.record("2001:db8:1:2:ffff::9".parse().unwrap(), t0);
        assert!(
            f.refused_for("2001:db8:1:2::77".parse().unwrap(), t0)
                .is_some()
        );
        assert!(
            f.refused_for("2001:db8:1:3::1".parse().unwrap(), t0)
                .is_none()
        );
        f.record("::ffff:192.0.2.9".parse().unwrap(), t0);
        f.record("192.0.2.9".parse().unwrap(), t0);
        assert!(f.refused_for("192.0.2.9".parse().unwrap(), t0).is_some());
    }

    #[test]
    fn only_answers_to_credentials_are_failures() {
        assert!(is_failure(401, true, false));
        assert!(!is_failure(401, false, false));
        assert!(is_failure(403, false, true));
        assert!(!is_failure(403, true, false));
        assert!(!is_failure(200, true, true));
    }
}
