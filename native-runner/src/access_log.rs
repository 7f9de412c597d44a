//! One line per request. `text` (the default) logs only what went wrong: refusals and
//! faults, on stderr. `json` logs every request as one JSON object per line on stdout, for
//! log shippers. Either way a line names the request's id, method and path.

use std::io::Write;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// What is known of a request once its answer's head is out.
pub struct Entry<'a> {
    pub id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub took: Duration,
    /// `Some(true)` when a warm instance served it; `None` when no instance did.
    pub reused: Option<bool>,
    pub refusal: Option<&'static str>,
}

pub fn write(format: LogFormat, e: &Entry<'_>) {
    match format {
        LogFormat::Json => {
            let line = serde_json::json!({
                "ts": nodetool_edge_now(),
                "request_id": e.id,
                "method": e.method,
                "path": e.path,
                "route": e.route,
                "status": e.status,
                "duration_ms": (e.took.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
                "instance": e.reused.map(|r| if r { "reused" } else { "fresh" }),
                "refusal": e.refusal,
            });
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
        }
        LogFormat::Text => {
            if let Some(reason) = e.refusal {
                eprintln!(
                    "request_id={} {} {} -> {} refused: {reason} after {} ms",
                    e.id,
                    e.method,
                    e.path,
                    e.status,
                    e.took.as_millis()
                );
            }
        }
    }
}

/// Seconds since the Unix epoch, with milliseconds.
fn nodetool_edge_now() -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now.as_millis() as f64) / 1000.0
}
