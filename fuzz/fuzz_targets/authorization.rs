//! Any `Authorization` header on a static-token deployment: it gets in exactly when it carries
//! the token, and is otherwise a 401 with a `detail`.

#![no_main]

use http::Method;
use libfuzzer_sys::fuzz_target;
use nodetool_edge_fuzz::{TOKEN, call, static_server};

fuzz_target!(|header: &[u8]| {
    let host = static_server();
    let Some(answer) = call(
        &host,
        &Method::GET,
        "/api/workflows/",
        &[("authorization", header)],
        b"",
    ) else {
        return;
    };
    let carries_token = header.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes());
    match answer.status {
        200 => assert!(carries_token, "let in without the token: {header:?}"),
        401 => assert_eq!(answer.header("www-authenticate"), Some("Bearer")),
        other => panic!("{other} for {header:?}"),
    }
});
