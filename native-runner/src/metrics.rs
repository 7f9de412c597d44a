//! Prometheus metrics, served in the text exposition format on `--metrics-addr` (off by
//! default). Labels are bounded: route patterns (never ids), status codes, refusal reasons
//! and key-value operations.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, d: Duration) {
        let s = d.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if s <= *le {
                self.counts[i] += 1;
            }
        }
        self.sum += s;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, label: &str) {
        for (le, n) in BUCKETS.iter().zip(self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{label},le=\"{le}\"}} {n}");
        }
        let _ = writeln!(out, "{name}_bucket{{{label},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{label}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{label}}} {}", self.count);
    }
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    kv: Mutex<BTreeMap<&'static str, Histogram>>,
    instances_created: AtomicU64,
    instances_dropped: AtomicU64,
    instance_reuses: AtomicU64,
    connections_open: AtomicI64,
    sockets_open: AtomicI64,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Metrics {
    /// One answered request (`route` is its pattern, or "unmatched").
    pub fn request(&self, route: &'static str, status: u16, took: Duration) {
        *locked(&self.requests).entry((route, status)).or_default() += 1;
        locked(&self.latency)
            .entry(route)
            .or_default()
            .observe(took);
    }

    pub fn refusal(&self, reason: &'static str) {
        *locked(&self.refusals).entry(reason).or_default() += 1;
    }

    pub fn kv_operation(&self, op: &'static str, took: Duration) {
        locked(&self.kv).entry(op).or_default().observe(took);
    }

    pub fn instance_created(&self) {
        self.instances_created.fetch_add(1, Ordering::Relaxed);
    }

    pub fn instance_dropped(&self) {
        self.instances_dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub fn instance_reused(&self) {
        self.instance_reuses.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn socket_opened(&self) {
        self.sockets_open.fetch_add(1, Ordering::Relaxed);
    }

    pub fn socket_closed(&self) {
        self.sockets_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// The text exposition format, version 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let created = self.instances_created.load(Ordering::Relaxed);
        let dropped = self.instances_dropped.load(Ordering::Relaxed);
        let scalars = [
            (
                "nodetool_edge_instances_live",
                "gauge",
                "Component instances alive now.",
                created.saturating_sub(dropped) as i64,
            ),
            (
                "nodetool_edge_instances_created_total",
                "counter",
                "Component instances created.",
                created as i64,
            ),
            (
                "nodetool_edge_instance_reuses_total",
                "counter",
                "Requests served by an instance that had served before.",
                self.instance_reuses.load(Ordering::Relaxed) as i64,
            ),
            (
                "nodetool_edge_connections_open",
                "gauge",
                "Client connections open now.",
                self.connections_open.load(Ordering::Relaxed),
            ),
            (
                "nodetool_edge_websockets_open",
                "gauge",
                "WebSockets (`/ws`) open now.",
                self.sockets_open.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, value) in scalars {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }

        let name = "nodetool_edge_requests_total";
        let _ = writeln!(
            out,
            "# HELP {name} Requests answered, by route pattern and status.\n# TYPE {name} counter"
        );
        for ((route, status), n) in locked(&self.requests).iter() {
            let _ = writeln!(out, "{name}{{route=\"{route}\",status=\"{status}\"}} {n}");
        }

        let name = "nodetool_edge_refusals_total";
        let _ = writeln!(
            out,
            "# HELP {name} Requests the host refused or cut short, by reason.\n# TYPE {name} counter"
        );
        for (reason, n) in locked(&self.refusals).iter() {
            let _ = writeln!(out, "{name}{{reason=\"{reason}\"}} {n}");
        }

        let name = "nodetool_edge_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to the response head, by route pattern.\n# TYPE {name} histogram"
        );
        for (route, h) in locked(&self.latency).iter() {
            h.render(&mut out, name, &format!("route=\"{route}\""));
        }

        let name = "nodetool_edge_kv_operation_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Key-value store operations, by kind.\n# TYPE {name} histogram"
        );
        for (op, h) in locked(&self.kv).iter() {
            h.render(&mut out, name, &format!("op=\"{op}\""));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_counts_what_happened() {
        let m = Metrics::default();
        m.request("/health", 200, Duration::from_micros(300));
        m.request("/health", 200, Duration::from_millis(2));
        m.refusal("busy");
        m.instance_created();
        m.instance_reused();
        m.kv_operation("get", Duration::from_micros(20));
        let text = m.render();
        assert!(text.contains("nodetool_edge_requests_total{route=\"/health\",status=\"200\"} 2"));
        assert!(text.contains("nodetool_edge_refusals_total{reason=\"busy\"} 1"));
        assert!(text.contains("nodetool_edge_instances_live 1"));
        assert!(text.contains(
            "nodetool_edge_request_duration_seconds_bucket{route=\"/health\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains(
            "nodetool_edge_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains("nodetool_edge_kv_operation_duration_seconds_count{op=\"get\"} 1"));
    }
}
