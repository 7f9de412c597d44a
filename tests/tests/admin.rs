//! ADMIN_TOKEN on every /admin path, after bearer auth, segment-aware.

use nodetool_edge_conformance::{Profile, Target};
use serde_json::json;

const REQUIRED: &str = "Admin token required. Use X-Admin-Token header.";
const INVALID: &str = "Invalid admin token.";

#[test]
fn admin_paths_need_the_admin_token_after_bearer_auth() {
    let Some(t) = Target::new(Profile::ProductionAdmin) else {
        return;
    };
    let bearer = format!("Bearer {}", t.token.as_ref().unwrap());
    let admin = t.admin_token.clone().unwrap();
    // Every spelling of an admin path is covered, including the reference's gaps.
    for path in [
        "/admin",
        "/admin/",
        "/admin/collections",
        "/admin/collections/",
        "/admin/assets",
        "/admin/secrets/import",
        "/admin/cache/size",
    ] {
        // Without a bearer token: 401 first, even with a valid admin token.
        let r = t.anon("GET", path, &[("X-Admin-Token", admin.as_bytes())], b"");
        assert_eq!(r.status, 401, "{path}");

        let r = t.anon("GET", path, &[("Authorization", bearer.as_bytes())], b"");
        assert_eq!(
            (r.status, r.json()),
            (403, json!({"detail": REQUIRED})),
            "{path}"
        );
        assert!(r.header("www-authenticate").is_none());

        let r = t.anon(
            "GET",
            path,
            &[("Authorization", bearer.as_bytes()), ("X-Admin-Token", b"")],
            b"",
        );
        assert_eq!(
            (r.status, r.detail()),
            (403, REQUIRED.to_string()),
            "{path}"
        );

        let r = t.anon(
            "GET",
            path,
            &[
                ("Authorization", bearer.as_bytes()),
                ("X-Admin-Token", b"wrong"),
            ],
            b"",
        );
        assert_eq!(
            (r.status, r.json()),
            (403, json!({"detail": INVALID})),
            "{path}"
        );

        // Both tokens: the guard passes; what answers then is the route itself (a listing, a
        // 404 for a route not built yet, a 405 for GET on a POST-only route).
        let r = t.anon(
            "GET",
            path,
            &[
                ("Authorization", bearer.as_bytes()),
                ("X-Admin-Token", admin.as_bytes()),
            ],
            b"",
        );
        assert!(![401, 403].contains(&r.status), "{path}: {}", r.status);
    }
}

#[test]
fn non_admin_paths_do_not_need_the_admin_token() {
    let Some(t) = Target::new(Profile::ProductionAdmin) else {
        return;
    };
    let bearer = format!("Bearer {}", t.token.as_ref().unwrap());
    for path in ["/workflows", "/api/workflows/", "/administrator"] {
        let r = t.anon("GET", path, &[("Authorization", bearer.as_bytes())], b"");
        assert_ne!(r.status, 403, "{path}");
    }
}

#[test]
fn preflight_to_admin_paths_is_exempt() {
    let Some(t) = Target::with_env(
        Profile::ProductionAdmin,
        &[("CORS_ORIGINS", "https://app.example")],
    ) else {
        return;
    };
    let r = t.anon(
        "OPTIONS",
        "/admin/collections",
        &[
            ("Origin", b"https://app.example"),
            ("Access-Control-Request-Method", b"GET"),
        ],
        b"",
    );
    assert_eq!(r.status, 204);
    assert!(
        r.header("access-control-allow-headers")
            .unwrap()
            .contains("X-Admin-Token")
    );
}

#[test]
fn admin_token_is_enforced_outside_production_too() {
    let Some(t) = Target::with_env(Profile::Static, &[("ADMIN_TOKEN", "dev-admin")]) else {
        return;
    };
    let r = t.get("/admin/collections");
    assert_eq!((r.status, r.detail()), (403, REQUIRED.to_string()));
}
