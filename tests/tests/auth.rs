//! Bearer authentication under AUTH_PROVIDER=static, with the exact bodies of the seed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use nodetool_edge_conformance::runner::STATIC_TOKEN;
use nodetool_edge_conformance::{Host, Profile, Reply, Runner, Target, parse, skip_unless_native};

const REQUIRED: &str = "Authorization header required. Use 'Authorization: Bearer YOUR_TOKEN'";
const MALFORMED: &str =
    "Invalid authorization header format. Use 'Authorization: Bearer YOUR_TOKEN'";
const INVALID: &str = "Invalid authentication token";

fn assert_401(r: &nodetool_edge_conformance::Reply, detail: &str) {
    assert_eq!(r.status, 401, "body: {}", r.text());
    assert_eq!(r.json(), serde_json::json!({ "detail": detail }));
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn missing_header_is_401_with_the_seed_body() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    assert_401(&t.anon("GET", "/workflows", &[], b""), REQUIRED);
    assert_401(
        &t.anon("GET", "/api/workflows/", &[("Authorization", b"")], b""),
        REQUIRED,
    );
    assert_401(
        &t.anon("GET", "/workflows", &[("Authorization", b"   ")], b""),
        REQUIRED,
    );
}

#[test]
fn malformed_headers_are_401_invalid_format() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let token = t.token.clone().unwrap();
    let three_parts = format!("Bearer {token} extra");
    let cases: Vec<Vec<u8>> = vec![
        b"Bearer".to_vec(),
        b"Basic dXNlcjpwYXNz".to_vec(),
        token.clone().into_bytes(),
        three_parts.into_bytes(),
        b"Token abc".to_vec(),
        b"Bearer \xff\xfe".to_vec(),
    ];
    for value in cases {
        let r = t.anon("GET", "/workflows", &[("Authorization", &value)], b"");
        // Spin's HTTP trigger refuses a header value that is not UTF-8 itself, with an empty
        // 500, before the component runs; every other host hands it over and we answer 401.
        if Host::current() == Host::Spin && std::str::from_utf8(&value).is_err() {
            assert_eq!((r.status, r.body.len()), (500, 0), "{}", r.text());
            continue;
        }
        assert_401(&r, MALFORMED);
    }
    // Two Authorization headers are ambiguous, even if both carry the right token.
    let good = format!("Bearer {token}");
    let r = t.anon(
        "GET",
        "/workflows",
        &[
            ("Authorization", good.as_bytes()),
            ("Authorization", good.as_bytes()),
        ],
        b"",
    );
    assert_401(&r, MALFORMED);
}

#[test]
fn wrong_token_is_401_invalid_token() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let token = t.token.clone().unwrap();
    let prefix = format!("Bearer {}", &token[..token.len() - 1]);
    let longer = format!("Bearer {token}x");
    for value in ["Bearer nope", prefix.as_str(), longer.as_str()] {
        assert_401(
            &t.anon(
                "GET",
                "/workflows",
                &[("Authorization", value.as_bytes())],
                b"",
            ),
            INVALID,
        );
    }
}

#[test]
fn right_token_in_any_scheme_case_and_spacing_is_accepted() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    let token = t.token.clone().unwrap();
    for value in [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER  {token} "),
    ] {
        let r = t.anon(
            "GET",
            "/workflows",
            &[("Authorization", value.as_bytes())],
            b"",
        );
        assert_eq!(r.status, 200, "{value:?}: {}", r.text());
        assert_eq!(r.json()["workflows"], serde_json::json!([]));
    }
}

#[test]
fn auth_comes_before_routing() {
    let Some(t) = Target::new(Profile::Static) else {
        return;
    };
    assert_401(&t.anon("GET", "/definitely/not/here", &[], b""), REQUIRED);
    assert_401(&t.anon("DELETE", "/health/x", &[], b""), REQUIRED);
    let r = t.get("/definitely/not/here");
    assert_eq!((r.status, r.detail()), (404, "Not Found".to_string()));
}

#[test]
fn cors_preflight_is_exempt_and_401s_carry_cors() {
    let Some(t) = Target::with_env(Profile::Static, &[("CORS_ORIGINS", "https://app.example")])
    else {
        return;
    };
    let r = t.anon(
        "OPTIONS",
        "/api/workflows/",
        &[
            ("Origin", b"https://app.example"),
            ("Access-Control-Request-Method", b"PUT"),
        ],
        b"",
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(
        r.header("access-control-allow-headers")
            .unwrap()
            .contains("Authorization")
    );
    let r = t.anon(
        "GET",
        "/workflows",
        &[("Origin", b"https://app.example")],
        b"",
    );
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
}

#[test]
fn local_mode_needs_no_token_and_ignores_a_wrong_one() {
    let Some(t) = Target::new(Profile::Local) else {
        return;
    };
    assert_eq!(t.anon("GET", "/workflows", &[], b"").status, 200);
    assert_eq!(
        t.anon(
            "GET",
            "/workflows",
            &[("Authorization", b"Bearer whatever")],
            b""
        )
        .status,
        200
    );
}

/// `GET path` with `Authorization: Bearer token`, sent from the loopback address `from`.
fn get_from(from: &str, base: &str, path: &str, token: &str) -> Reply {
    let to: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let local: SocketAddr = format!("{from}:0").parse().unwrap();
    socket.bind(&local.into()).unwrap();
    socket.connect(&to.into()).unwrap();
    let mut stream: TcpStream = socket.into();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {to}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse(&raw, false)
}

#[test]
fn the_fiftieth_wrong_token_in_a_minute_gets_429_and_other_addresses_still_get_in() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = Runner::start(&["serve"], &Profile::Static.env(), dir.path());
    let guess = "not-the-token-0123456789-guess";
    for i in 1..50 {
        let reply = get_from("127.0.0.1", &r.base, "/api/workflows/", guess);
        assert_401(&reply, INVALID);
        assert_eq!(reply.header("retry-after"), None, "attempt {i}");
    }
    let reply = get_from("127.0.0.1", &r.base, "/api/workflows/", guess);
    assert_eq!(reply.status, 429, "{}", reply.text());
    assert!(
        reply
            .detail()
            .contains("Too many failed authentication attempts")
    );
    let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    // The address is shut out, even with the right token, until the minute is over...
    let reply = get_from("127.0.0.1", &r.base, "/api/workflows/", STATIC_TOKEN);
    assert_eq!(reply.status, 429, "{}", reply.text());
    // ...but not from what needs no credentials,
    let reply = nodetool_edge_conformance::request(&r.base, "GET", "/health", &[], b"");
    assert_eq!(reply.status, 200);
    // and another address gets in.
    let reply = get_from("127.0.0.2", &r.base, "/api/workflows/", STATIC_TOKEN);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_401(
        &get_from("127.0.0.2", &r.base, "/api/workflows/", guess),
        INVALID,
    );

    // One log line for the flood, naming the address and never a guess.
    let lines = r.stderr_lines_once("failed credential attempts", Duration::from_secs(5));
    let about: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("failed credential attempts"))
        .collect();
    assert_eq!(about.len(), 1, "{lines:#?}");
    assert!(
        about[0].contains("49 failed credential attempts from 127.0.0.1"),
        "{}",
        about[0]
    );
    assert!(!lines.iter().any(|l| l.contains(guess)), "{lines:#?}");
}
