//! Any workflow document and run parameters: stored or refused with a `detail`, and a stored
//! one runs (whole and streamed) to a result or an error, never a crash or a hang.
//!
//! Input: the workflow JSON up to a NUL byte, then the `params` JSON.

#![no_main]

use http::Method;
use libfuzzer_sys::fuzz_target;
use nodetool_edge_fuzz::{authorized, call, static_server};

fuzz_target!(|data: &[u8]| {
    let (workflow, params) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"{}"[..]),
    };
    let host = static_server();
    let auth = authorized();
    let Some(put) = call(&host, &Method::PUT, "/api/workflows/f", &auth, workflow) else {
        return;
    };
    if put.status != 200 {
        return;
    }
    let mut body = br#"{"params":"#.to_vec();
    body.extend_from_slice(params);
    body.push(b'}');
    for path in ["/api/workflows/f/run", "/api/workflows/f/run?stream=true"] {
        call(&host, &Method::POST, path, &auth, &body);
    }
});
