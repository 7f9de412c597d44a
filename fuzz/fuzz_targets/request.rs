//! Any request line, headers and body through routing, auth and every handler, on a
//! deployment that already holds a workflow and a stored file.
//!
//! Input: one byte picks the method; then the path up to a newline; then `name: value` header
//! lines up to an empty line (after the token's own headers); the rest is the body.

#![no_main]

use http::Method;
use libfuzzer_sys::fuzz_target;
use nodetool_edge_fuzz::{authorized, call, line, static_server};

const METHODS: [Method; 7] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::HEAD,
    Method::PATCH,
    Method::OPTIONS,
];

fuzz_target!(|data: &[u8]| {
    let Some((&m, rest)) = data.split_first() else {
        return;
    };
    let method = &METHODS[usize::from(m) % METHODS.len()];
    let (path, mut rest) = line(rest);
    let Ok(path) = std::str::from_utf8(path) else {
        return;
    };
    let mut headers = authorized();
    let mut owned = Vec::new();
    loop {
        let (h, after) = line(rest);
        rest = after;
        if h.is_empty() {
            break;
        }
        let Some(colon) = h.iter().position(|&b| b == b':') else {
            break;
        };
        let Ok(name) = std::str::from_utf8(&h[..colon]) else {
            break;
        };
        owned.push((name.to_string(), h[colon + 1..].trim_ascii().to_vec()));
    }
    for (name, value) in &owned {
        headers.push((name.as_str(), value.as_slice()));
    }

    let host = static_server();
    let auth = authorized();
    let workflow = br#"{"name":"w","access":"private","graph":{"nodes":[],"edges":[]}}"#;
    let seeded = [
        call(&host, &Method::PUT, "/api/workflows/w1", &auth, workflow),
        call(
            &host,
            &Method::PUT,
            "/admin/storage/assets/a.txt",
            &auth,
            b"0123456789",
        ),
    ];
    for answer in seeded {
        assert_eq!(
            answer.map(|a| a.status),
            Some(200),
            "seeding the deployment"
        );
    }
    call(&host, method, path, &headers, rest);
});
