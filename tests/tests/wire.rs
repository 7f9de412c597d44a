//! Every answer whose body is known in advance carries `Content-Length` and is not chunked:
//! JSON, errors, preflights and HEAD. A small chunked answer on a kept-alive connection meets
//! Nagle's algorithm and delayed ACKs in hosts that leave TCP_NODELAY off (Spin), and some
//! clients and proxies want the length.

use nodetool_edge_conformance::{Profile, Reply, Target};

/// The declared length is the body's, and nothing is chunked; a 204 declares none.
fn assert_sized(what: &str, r: &Reply) {
    if r.status == 204 {
        assert_eq!(r.header("content-length"), None, "{what}");
        assert_eq!(r.header("transfer-encoding"), None, "{what}");
        return;
    }
    let length = r
        .header("content-length")
        .unwrap_or_else(|| panic!("{what}: no Content-Length in {:?}", r.headers));
    assert_eq!(length, r.body.len().to_string(), "{what}");
    assert_eq!(r.header("transfer-encoding"), None, "{what}");
}

#[test]
fn whole_answers_carry_their_length() {
    let Some(t) = Target::new(Profile::ProductionAdmin) else {
        return;
    };
    let cases: Vec<(&str, Reply, u16)> = vec![
        ("health", t.anon("GET", "/health", &[], b""), 200),
        ("no token", t.anon("GET", "/api/workflows/", &[], b""), 401),
        ("list", t.get("/api/workflows/"), 200),
        ("not found", t.get("/api/workflows/nope"), 404),
        ("unknown route", t.get("/no/such/route"), 404),
        ("bad JSON", t.call("POST", "/api/workflows/", b"{"), 422),
        (
            "created",
            t.call(
                "POST",
                "/api/workflows/",
                br#"{"name":"w","access":"private","graph":{"nodes":[],"edges":[]}}"#,
            ),
            200,
        ),
        (
            "preflight",
            t.anon(
                "OPTIONS",
                "/api/workflows/",
                &[
                    ("Origin", b"http://localhost:3000"),
                    ("Access-Control-Request-Method", b"POST"),
                ],
                b"",
            ),
            0,
        ),
        (
            "stored object",
            {
                let r = t.call_with("PUT", "/admin/storage/assets/a.txt", &[], b"hello");
                assert_eq!(r.status, 200, "{}", r.text());
                t.call_with("GET", "/admin/storage/assets/a.txt", &[], b"")
            },
            200,
        ),
    ];
    for (what, r, status) in &cases {
        if *status != 0 {
            assert_eq!(r.status, *status, "{what}: {}", r.text());
        }
        assert_sized(what, r);
    }
}

#[test]
fn head_tells_the_length_get_would_send() {
    let Some(t) = Target::new(Profile::ProductionAdmin) else {
        return;
    };
    let r = t.anon("HEAD", "/health", &[], b"");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(
        r.header("content-length"),
        Some("4"),
        "the length of \"OK\""
    );

    let object = vec![b'x'; 3000];
    let r = t.call_with("PUT", "/admin/storage/assets/big.bin", &[], &object);
    assert_eq!(r.status, 200, "{}", r.text());
    let r = t.call_with("HEAD", "/admin/storage/assets/big.bin", &[], b"");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), Some("3000"));
    let r = t.call_with(
        "HEAD",
        "/admin/storage/assets/big.bin",
        &[("Range", "bytes=10-19")],
        b"",
    );
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-length"), Some("10"));
    assert_eq!(r.header("content-range"), Some("bytes 10-19/3000"));
    // An end past what u64 holds is clamped to the last byte, as any end past the object is.
    for method in ["GET", "HEAD"] {
        let r = t.call_with(
            method,
            "/admin/storage/assets/big.bin",
            &[("Range", "bytes=2990-99999999999999999999999")],
            b"",
        );
        assert_eq!(r.status, 206, "{method}");
        assert_eq!(r.header("content-range"), Some("bytes 2990-2999/3000"));
        assert_eq!(r.header("content-length"), Some("10"));
    }

    // HEAD works wherever GET does, with GET's headers and no body.
    let r = t.call(
        "PUT",
        "/api/workflows/w",
        br#"{"name":"w","access":"private","graph":{"nodes":[],"edges":[]}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    for path in [
        "/api/workflows/",
        "/workflows/w",
        "/api/settings/secrets",
        "/admin/collections",
        "/admin/cache/size",
    ] {
        let get = t.call("GET", path, b"");
        let head = t.call("HEAD", path, b"");
        assert_eq!(
            (get.status, head.status),
            (200, 200),
            "{path}: {}",
            get.text()
        );
        assert!(head.body.is_empty(), "{path}");
        assert_eq!(
            head.header("content-length").map(str::to_string),
            Some(get.body.len().to_string()),
            "{path}"
        );
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{path}"
        );
    }
    let r = t.call("DELETE", "/api/settings/secrets", b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}
