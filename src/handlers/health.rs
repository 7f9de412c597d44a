use serde_json::json;

use crate::host::Clock;
use crate::http::response::{Response, ok_json};
use crate::time::utc_iso;

/// `GET /health`: the JSON string `"OK"`, as the reference.
pub fn health() -> Response {
    ok_json("OK")
}

/// `GET /ping`: status and the current UTC time.
pub fn ping(clock: &impl Clock) -> Response {
    ok_json(&json!({"status": "healthy", "timestamp": utc_iso(clock.now_micros())}))
}
