//! AUTH_PROVIDER=supabase against a stand-in auth server over real HTTP: tokens signed with
//! HS256, ES256 and RS256 by keys generated here, the attacks a verifier must refuse, key
//! caching and rotation, the optional session check, and public mode.

use nodetool_edge_conformance::supabase::{EcKey, RsaKey, StandIn, claims, raw_token, sign_hs256};
use nodetool_edge_conformance::{Reply, Server, bearer, skip_when_external};
use serde_json::{Value, json};

const STATIC: &str = "supabase-static-token-0123456789abcdef";
const HS_SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";
const INVALID: &str = "Invalid authentication token";

struct Deployment {
    server: Server,
}

impl Deployment {
    fn start(stand_in: &StandIn, extra: &[(&str, &str)]) -> Deployment {
        let mut env = vec![
            ("NODETOOL_SERVER_MODE", "private"),
            ("AUTH_PROVIDER", "supabase"),
            ("SUPABASE_URL", stand_in.url.as_str()),
            ("SERVER_AUTH_TOKEN", STATIC),
            ("SECRETS_MASTER_KEY", "supabase-test-master-key"),
        ];
        env.extend_from_slice(extra);
        Deployment {
            server: Server::start(&env),
        }
    }

    fn call(&self, method: &str, path: &str, token: &str, body: &[u8]) -> Reply {
        bearer(&self.server.base, method, path, token, body)
    }

    /// The user the server took the token for: a secret saved with it names its owner.
    fn whoami(&self, token: &str) -> Result<String, Reply> {
        let r = self.call(
            "PUT",
            "/api/settings/secrets/OPENAI_API_KEY",
            token,
            br#"{"value":"sk-test"}"#,
        );
        if r.status != 200 {
            return Err(r);
        }
        Ok(r.json()["user_id"].as_str().unwrap().to_string())
    }
}

fn assert_generic_401(r: &Reply, what: &str) {
    assert_eq!(r.status, 401, "{what}: {}", r.text());
    assert_eq!(r.json(), json!({ "detail": INVALID }), "{what}");
    assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{what}");
}

#[test]
fn es256_rs256_and_hs256_tokens_are_their_sub() {
    if skip_when_external() {
        return;
    }
    let auth = StandIn::start();
    let ec = EcKey::generate("ec-1");
    let rsa = RsaKey::generate("rsa-1");
    auth.set_keys(vec![ec.jwk(), rsa.jwk()]);
    let d = Deployment::start(&auth, &[("SUPABASE_JWT_SECRET", HS_SECRET)]);

    let sub = "3f2b8c1e-7a4d-4e2f-9b1a-0c5d6e7f8a9b";
    let es = ec.sign(&claims(&auth.issuer(), sub));
    assert_eq!(d.whoami(&es).unwrap(), sub);
    let rs = rsa.sign(&claims(&auth.issuer(), "rsa-user"));
    assert_eq!(d.whoami(&rs).unwrap(), "rsa-user");
    let hs = sign_hs256(
        HS_SECRET.as_bytes(),
        None,
        &claims(&auth.issuer(), "hs-user"),
    );
    assert_eq!(d.whoami(&hs).unwrap(), "hs-user");

    // A plain user is not an admin; app_metadata.role = admin is.
    let r = d.call("GET", "/admin/assets", &es, b"");
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["detail"], "Admin access required");
    let mut admin = claims(&auth.issuer(), "boss");
    admin["app_metadata"]["role"] = json!("admin");
    let r = d.call("GET", "/admin/assets", &ec.sign(&admin), b"");
    assert_eq!(r.status, 200, "{}", r.text());
    // The top-level `role` claim is Postgres's role, not ours.
    let mut pg = claims(&auth.issuer(), "pg");
    pg["role"] = json!("admin");
    assert_eq!(
        d.call("GET", "/admin/assets", &ec.sign(&pg), b"").status,
        403
    );

    // The static token keeps working as the admin user "1".
    assert_eq!(d.whoami(STATIC).unwrap(), "1");
    assert_eq!(d.call("GET", "/admin/assets", STATIC, b"").status, 200);

    // Users see only their own workflows; a token is its sub wherever it was signed.
    let wf = br#"{"name":"mine","access":"private","graph":{"nodes":[],"edges":[]}}"#;
    let r = d.call("POST", "/api/workflows/", &es, wf);
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let path = format!("/api/workflows/{id}");
    assert_eq!(d.call("GET", &path, &rs, b"").status, 404);
    let same_sub = sign_hs256(HS_SECRET.as_bytes(), None, &claims(&auth.issuer(), sub));
    assert_eq!(d.call("GET", &path, &same_sub, b"").status, 200);
    let listed = d.call("GET", "/api/workflows/", &rs, b"").json();
    assert_eq!(listed["workflows"], json!([]), "{listed}");
}

#[test]
fn every_attack_is_a_generic_401() {
    if skip_when_external() {
        return;
    }
    let auth = StandIn::start();
    let ec = EcKey::generate("ec-1");
    let rsa = RsaKey::generate("rsa-1");
    auth.set_keys(vec![ec.jwk(), rsa.jwk()]);
    let d = Deployment::start(&auth, &[("SUPABASE_JWT_SECRET", HS_SECRET)]);
    let iss = auth.issuer();
    let good = claims(&iss, "victim");
    let valid = ec.sign(&good);
    assert!(d.whoami(&valid).is_ok());

    let now = chrono::Utc::now().timestamp();
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let mut cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            raw_token(&json!({"alg": "none", "typ": "JWT"}), &good, b""),
        ),
        (
            "alg None with kid",
            raw_token(&json!({"alg": "None", "kid": "ec-1"}), &good, b""),
        ),
        // HS256 signed with the public key the JWKS publishes.
        (
            "alg confusion (EC public key as HMAC secret)",
            sign_hs256(ec.jwk().to_string().as_bytes(), Some("ec-1"), &good),
        ),
        (
            "alg confusion (RSA public key as HMAC secret)",
            sign_hs256(rsa.jwk().to_string().as_bytes(), Some("rsa-1"), &good),
        ),
        (
            "HS256 with the wrong secret",
            sign_hs256(b"guessed-secret", None, &good),
        ),
        ("expired", ec.sign(&with("exp", json!(now - 120)))),
        ("no exp", {
            let mut c = good.clone();
            c.as_object_mut().unwrap().remove("exp");
            ec.sign(&c)
        }),
        ("not yet valid", ec.sign(&with("nbf", json!(now + 120)))),
        ("wrong audience", ec.sign(&with("aud", json!("anon")))),
        ("no audience", {
            let mut c = good.clone();
            c.as_object_mut().unwrap().remove("aud");
            ec.sign(&c)
        }),
        (
            "wrong issuer",
            ec.sign(&with("iss", json!("https://evil.example/auth/v1"))),
        ),
        ("empty sub", ec.sign(&with("sub", json!("")))),
        ("unknown kid", EcKey::generate("not-published").sign(&good)),
        ("right kid, wrong key", EcKey::generate("ec-1").sign(&good)),
        (
            "ES256 header on an RSA key's kid",
            ec.sign_with_kid(Some("rsa-1"), &good),
        ),
        (
            "no kid while the set has two keys",
            ec.sign_with_kid(None, &good),
        ),
        ("tampered payload", {
            let parts: Vec<&str> = valid.split('.').collect();
            let forged = raw_token(&json!({}), &with("sub", json!("admin")), b"");
            let payload = forged.split('.').nth(1).unwrap();
            format!("{}.{}.{}", parts[0], payload, parts[2])
        }),
        ("truncated", valid[..valid.len() - 10].to_string()),
        (
            "two segments",
            valid.rsplit_once('.').unwrap().0.to_string(),
        ),
        ("not a JWT", "definitely-not-a-jwt".to_string()),
        ("64 KiB token", "a".repeat(64 * 1024)),
    ];
    // A 64 KiB header segment in an otherwise well-formed token.
    let big_header = raw_token(
        &json!({"alg": "ES256", "kid": "ec-1", "pad": "x".repeat(64 * 1024)}),
        &good,
        b"sig",
    );
    cases.push(("64 KiB JWT header", big_header));
    for (what, token) in &cases {
        assert_generic_401(&d.call("GET", "/api/workflows/", token, b""), what);
    }
    // The valid token still works afterwards.
    assert!(d.whoami(&valid).is_ok());
}

#[test]
fn hs256_is_refused_without_a_configured_secret() {
    if skip_when_external() {
        return;
    }
    let auth = StandIn::start();
    let ec = EcKey::generate("only");
    auth.set_keys(vec![ec.jwk()]);
    let d = Deployment::start(&auth, &[]);
    let good = claims(&auth.issuer(), "u");
    let hs = sign_hs256(ec.jwk().to_string().as_bytes(), None, &good);
    assert_generic_401(
        &d.call("GET", "/api/workflows/", &hs, b""),
        "HS256 without secret",
    );
    // With one key in the set, a token without kid uses it.
    assert_eq!(d.whoami(&ec.sign_with_kid(None, &good)).unwrap(), "u");
}

#[test]
fn keys_are_cached_unknown_kids_do_not_refetch_and_removed_keys_stop_within_the_ttl() {
    if skip_when_external() {
        return;
    }
    let auth = StandIn::start();
    let old = EcKey::generate("old");
    auth.set_keys(vec![old.jwk()]);
    let d = Deployment::start(&auth, &[("AUTH_CACHE_TTL", "6")]);
    let iss = auth.issuer();

    for i in 0..5 {
        let t = old.sign(&claims(&iss, &format!("user-{i}")));
        assert!(d.whoami(&t).is_ok());
    }
    assert_eq!(auth.jwks_hits(), 1, "one fetch serves many tokens");

    // Random kids cannot make us hammer the auth server.
    for i in 0..5 {
        let t = EcKey::generate(&format!("random-{i}")).sign(&claims(&iss, "x"));
        assert_generic_401(&d.call("GET", "/api/workflows/", &t, b""), "unknown kid");
    }
    assert_eq!(
        auth.jwks_hits(),
        1,
        "unknown kids refetch at most once a minute"
    );

    // Rotation: the project publishes a new key and drops the old one.
    let kept = old.sign(&claims(&iss, "kept"));
    assert!(d.whoami(&kept).is_ok());
    let new = EcKey::generate("new");
    auth.set_keys(vec![new.jwk()]);
    std::thread::sleep(std::time::Duration::from_millis(6_500));
    // Past the TTL the set is refetched: the new key works, the old key's tokens (cached or
    // not) do not.
    assert!(d.whoami(&new.sign(&claims(&iss, "fresh"))).is_ok());
    assert_generic_401(&d.call("GET", "/api/workflows/", &kept, b""), "removed key");
    assert_eq!(auth.jwks_hits(), 2);
}

#[test]
fn an_unreachable_key_server_is_503_not_a_pass() {
    if skip_when_external() {
        return;
    }
    let auth = StandIn::start();
    let ec = EcKey::generate("k");
    auth.set_keys(vec![ec.jwk()]);
    auth.state.lock().unwrap().down = true;
    let d = Deployment::start(&auth, &[]);
    let r = d.call(
        "GET",
        "/api/workflows/",
        &ec.sign(&claims(&auth.issuer(), "u")),
        b"",
    );
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(
        r.json()["detail"],
        "Authentication is temporarily unavailable; try again later"
    );
    // The static token does not depend on Supabase.
    assert_eq!(d.call("GET", "/api/workflows/", STATIC, b"").status, 200);
    auth.state.lock().unwrap().down = false;
    assert!(d.whoami(&ec.sign(&claims(&auth.issuer(), "u"))).is_ok());
}

#[test]
fn the_remote_check_follows_signed_out_sessions() {
    if skip_when_external() {
        return;
    }
    let auth = StandIn::start();
    let ec = EcKey::generate("k");
    auth.set_keys(vec![ec.jwk()]);
    let d = Deployment::start(
        &auth,
        &[
            ("SUPABASE_REMOTE_CHECK", "true"),
            ("SUPABASE_KEY", "anon-key-123"),
            ("AUTH_CACHE_TTL", "0"),
        ],
    );
    let token = ec.sign(&claims(&auth.issuer(), "session-user"));
    assert_eq!(d.whoami(&token).unwrap(), "session-user");
    {
        let s = auth.state.lock().unwrap();
        assert_eq!(s.user_hits, 1);
        assert_eq!(s.last_apikey.as_deref(), Some("anon-key-123"));
    }
    auth.state.lock().unwrap().signed_out.insert(token.clone());
    assert_generic_401(&d.call("GET", "/api/workflows/", &token, b""), "signed out");
    // A forged token never reaches Supabase.
    let before = auth.state.lock().unwrap().user_hits;
    let forged = EcKey::generate("k").sign(&claims(&auth.issuer(), "x"));
    assert_generic_401(&d.call("GET", "/api/workflows/", &forged, b""), "forged");
    assert_eq!(auth.state.lock().unwrap().user_hits, before);
}

#[test]
fn public_mode_keeps_admin_writes_for_admins() {
    if skip_when_external() {
        return;
    }
    let auth = StandIn::start();
    let ec = EcKey::generate("k");
    auth.set_keys(vec![ec.jwk()]);
    let d = Deployment::start(&auth, &[("NODETOOL_SERVER_MODE", "public")]);
    let user = ec.sign(&claims(&auth.issuer(), "signup"));
    let mut admin_claims = claims(&auth.issuer(), "operator");
    admin_claims["app_metadata"]["role"] = json!("admin");
    let admin = ec.sign(&admin_claims);
    let import = br#"{"secrets":[]}"#;
    for (method, path, body) in [
        ("PUT", "/admin/storage/assets/site.png", &b"png"[..]),
        ("DELETE", "/admin/storage/assets/site.png", &b""[..]),
        ("POST", "/admin/secrets/import", &import[..]),
        ("POST", "/admin/collections", &br#"{"name":"c"}"#[..]),
    ] {
        let r = d.call(method, path, &user, body);
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
        assert_eq!(r.json()["detail"], "Admin access required");
    }
    let r = d.call("PUT", "/admin/storage/assets/site.png", &admin, b"png");
    assert_eq!(r.status, 200, "{}", r.text());
    // Signed-up users still use their own API.
    assert_eq!(d.whoami(&user).unwrap(), "signup");
    // User management belongs to multi_user.
    let r = d.call("GET", "/api/users/", &admin, b"");
    assert_eq!(r.status, 501);
}
