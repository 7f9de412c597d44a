//! Bearer authentication under AUTH_PROVIDER=static, with the exact bodies of the seed.

use nodetool_edge_conformance::{Host, Profile, Target};

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
    let Some(t) = Target::new(Profile::Static) else {
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
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
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
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
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
