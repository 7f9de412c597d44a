//! AUTH_PROVIDER=multi_user: users made with the CLI and `/api/users`, a NodeTool users.yaml
//! imported as it is, and each user confined to their own workflows and secrets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nodetool_edge_conformance::runner::binary;
use nodetool_edge_conformance::{
    Host, Reply, Runner, Server as Deployment, bearer, request, skip_unless_native,
    skip_when_external,
};
use serde_json::{Value, json};

const STATIC: &str = "multi-user-static-token-0123456789";

fn users_cli(db: &Path, args: &[&str]) -> Output {
    Command::new(binary())
        .arg("users")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DB_PATH", db)
        .output()
        .expect("running nodetool-edge users")
}

fn token_from(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert_eq!(out.len(), 43, "the token alone on stdout: {out:?}");
    out
}

struct Server {
    server: Deployment,
    /// Natively, the database the CLI writes users into.
    db: Option<PathBuf>,
}

impl Server {
    /// A private multi_user server with `alice` (admin) and `bob` (user). Natively the CLI adds
    /// them before it starts; on Workers, which has no CLI, the operator's token adds them
    /// through the API.
    fn start() -> (Server, String, String) {
        Server::start_with(&[])
    }

    /// [`Server::start`] with more variables (natively: on Workers the users are added with
    /// the static token alone).
    fn start_with(extra: &[(&str, &str)]) -> (Server, String, String) {
        let mut env = vec![
            ("NODETOOL_SERVER_MODE", "private"),
            ("AUTH_PROVIDER", "multi_user"),
            ("SERVER_AUTH_TOKEN", STATIC),
            ("SECRETS_MASTER_KEY", "multi-user-master-key"),
        ];
        env.extend_from_slice(extra);
        if Host::current() == Host::Native {
            let dir = tempfile::tempdir().unwrap();
            let db = dir.path().join("nodetool-edge.sqlite3");
            let alice = token_from(&users_cli(&db, &["add", "alice", "--role", "admin"]));
            let bob = token_from(&users_cli(&db, &["add", "bob"]));
            let runner = Runner::start(&["serve"], &env, dir.path());
            let s = Server {
                server: Deployment::native(runner, dir),
                db: Some(db),
            };
            return (s, alice, bob);
        }
        let s = Server {
            server: Deployment::start(&env),
            db: None,
        };
        let add = |body: Value| {
            let r = s.json("POST", "/api/users/", STATIC, body);
            assert_eq!(r.status, 200, "{}", r.text());
            r.json()["token"].as_str().unwrap().to_string()
        };
        let alice = add(json!({"username": "alice", "role": "admin"}));
        let bob = add(json!({"username": "bob"}));
        (s, alice, bob)
    }

    fn call(&self, method: &str, path: &str, token: &str, body: &[u8]) -> Reply {
        bearer(&self.server.base, method, path, token, body)
    }

    fn json(&self, method: &str, path: &str, token: &str, body: Value) -> Reply {
        self.call(method, path, token, body.to_string().as_bytes())
    }
}

fn workflow(name: &str) -> Value {
    json!({"name": name, "access": "private", "graph": {"nodes": [], "edges": []}})
}

#[test]
fn a_user_cannot_read_another_users_workflow_or_reach_admin() {
    if skip_when_external() {
        return;
    }
    let (s, alice, bob) = Server::start();
    let r = s.json("POST", "/api/workflows/", &alice, workflow("alice's"));
    assert_eq!(r.status, 200, "{}", r.text());
    let alice_wf = r.json()["id"].as_str().unwrap().to_string();
    let r = s.json("POST", "/api/workflows/", &bob, workflow("bob's"));
    let bob_wf = r.json()["id"].as_str().unwrap().to_string();

    for path in [
        format!("/api/workflows/{alice_wf}"),
        format!("/workflows/{alice_wf}"),
    ] {
        let r = s.call("GET", &path, &bob, b"");
        assert_eq!(r.status, 404, "{path}: {}", r.text());
    }
    let r = s.call("DELETE", &format!("/api/workflows/{alice_wf}"), &bob, b"");
    assert_eq!(r.status, 404);
    let r = s.json(
        "PUT",
        &format!("/api/workflows/{alice_wf}"),
        &bob,
        workflow("hijack"),
    );
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        s.call("GET", &format!("/api/workflows/{alice_wf}"), &alice, b"")
            .json()["name"],
        "alice's"
    );
    let listed = s.call("GET", "/api/workflows/", &bob, b"").json();
    let ids: Vec<&str> = listed["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![bob_wf.as_str()]);

    // Admin surface: 403 for bob, open to alice and to the static token.
    for path in ["/admin/assets", "/admin/collections", "/admin/cache/size"] {
        let r = s.call("GET", path, &bob, b"");
        assert_eq!(r.status, 403, "{path}");
        assert_eq!(r.json(), json!({"detail": "Admin access required"}));
        assert_eq!(s.call("GET", path, &alice, b"").status, 200, "{path}");
        assert_eq!(s.call("GET", path, STATIC, b"").status, 200, "{path}");
    }

    // Secrets are per user.
    let r = s.json(
        "PUT",
        "/api/settings/secrets/OPENAI_API_KEY",
        &bob,
        json!({"value": "sk-bob"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json()["user_id"]
            .as_str()
            .unwrap()
            .starts_with("user_bob_")
    );
    let r = s.call(
        "GET",
        "/api/settings/secrets/OPENAI_API_KEY?decrypt=true",
        &alice,
        b"",
    );
    assert_eq!(r.status, 404, "{}", r.text());
    let r = s.call(
        "GET",
        "/api/settings/secrets/OPENAI_API_KEY?decrypt=true",
        &bob,
        b"",
    );
    assert_eq!(r.json()["value"], "sk-bob");

    let r = s.call("GET", "/api/workflows/", "not-a-user-token", b"");
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"detail": "Invalid authentication token"}));
}

#[test]
fn admins_manage_users_through_the_api() {
    if skip_when_external() {
        return;
    }
    let (s, alice, bob) = Server::start();
    let r = s.call("GET", "/api/users/", &bob, b"");
    assert_eq!(r.status, 403);
    assert_eq!(r.json(), json!({"detail": "Admin access required"}));

    let listed = s.call("GET", "/api/users/", &alice, b"").json();
    let users = listed["users"].as_array().unwrap();
    assert_eq!(users.len(), 2, "{listed}");
    for u in users {
        let hash = u["token_hash"].as_str().unwrap();
        assert_eq!(hash.len(), 19, "first 16 hex digits and ...: {hash}");
        assert!(hash.ends_with("..."));
    }
    let r = s.call("GET", "/api/users/bob", &alice, b"");
    assert_eq!(r.json()["role"], "user");
    let r = s.call("GET", "/api/users/nobody", &alice, b"");
    assert_eq!(r.status, 404);
    assert_eq!(r.json(), json!({"detail": "User 'nobody' not found"}));

    let r = s.json("POST", "/api/users/", &alice, json!({"username": "carol"}));
    assert_eq!(r.status, 200, "{}", r.text());
    let carol = r.json();
    assert_eq!(carol["role"], "user");
    let carol_token = carol["token"].as_str().unwrap().to_string();
    assert_eq!(
        s.call("GET", "/api/workflows/", &carol_token, b"").status,
        200
    );
    let r = s.json("POST", "/api/users/", &alice, json!({"username": "carol"}));
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), json!({"detail": "User 'carol' already exists"}));
    for bad in [
        json!({"username": "x", "role": "root"}),
        json!({"username": "a/b"}),
        json!({"role": "user"}),
        json!({"username": 7}),
    ] {
        let r = s.json("POST", "/api/users/", &alice, bad.clone());
        assert!(matches!(r.status, 400 | 422), "{bad}: {}", r.text());
        assert!(r.json()["detail"].is_string() || r.json()["errors"].is_array());
    }
    // A user's token is never stored or shown again.
    assert!(
        !s.call("GET", "/api/users/", &alice, b"")
            .text()
            .contains(&carol_token)
    );

    let r = s.json(
        "POST",
        "/api/users/reset-token",
        &alice,
        json!({"username": "carol"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let fresh = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(r.json()["user_id"], carol["user_id"]);
    assert_eq!(
        s.call("GET", "/api/workflows/", &carol_token, b"").status,
        401
    );
    assert_eq!(s.call("GET", "/api/workflows/", &fresh, b"").status, 200);
    let r = s.json(
        "POST",
        "/api/users/reset-token",
        &alice,
        json!({"username": "nobody"}),
    );
    assert_eq!(r.status, 404);

    let r = s.call("DELETE", "/api/users/carol", &alice, b"");
    assert_eq!(
        r.json(),
        json!({"message": "User 'carol' removed successfully"})
    );
    assert_eq!(s.call("GET", "/api/workflows/", &fresh, b"").status, 401);
    assert_eq!(
        s.call("DELETE", "/api/users/carol", &alice, b"").status,
        404
    );
    // Bob was never an admin, and the static token is one.
    assert_eq!(s.call("DELETE", "/api/users/alice", &bob, b"").status, 403);
    assert_eq!(s.call("GET", "/api/users/", STATIC, b"").status, 200);
}

#[test]
fn the_cli_lists_resets_removes_and_imports_nodetool_users() {
    if skip_unless_native() {
        return;
    }
    let (s, _alice, bob) = Server::start();
    let db = s.db.clone().unwrap();
    let listed = users_cli(&db, &["list"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains("alice\tuser_alice_") && text.contains("\tadmin\t"),
        "{text}"
    );
    assert!(!text.contains(&bob));

    let fresh = token_from(&users_cli(&db, &["reset-token", "bob"]));
    assert_eq!(s.call("GET", "/api/workflows/", &bob, b"").status, 401);
    assert_eq!(s.call("GET", "/api/workflows/", &fresh, b"").status, 200);

    let o = users_cli(&db, &["add", "bob"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("User 'bob' already exists"));

    assert!(users_cli(&db, &["remove", "bob"]).status.success());
    assert_eq!(s.call("GET", "/api/workflows/", &fresh, b"").status, 401);

    // NodeTool's file: the reference's example hash is sha256("multi-user-token").
    let file = db.with_file_name("users.yaml");
    std::fs::write(
        &file,
        r#"version: "1.0"
users:
  dana:
    user_id: user_dana_0001
    username: dana
    role: user
    token_hash: 5aa266fe39b9095429b31f8025dc1f3099f6f31b62b48de1316d1b77b1b8d6b3
    created_at: "2026-01-01T00:00:00Z"
"#,
    )
    .unwrap();
    let o = users_cli(&db, &["import", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = s.json(
        "PUT",
        "/api/settings/secrets/OPENAI_API_KEY",
        "multi-user-token",
        json!({"value": "sk-dana"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["user_id"], "user_dana_0001");

    // A file that would move dana's user_id to someone else is refused whole.
    std::fs::write(
        &file,
        r#"users:
  erin:
    user_id: user_erin_0001
    role: user
    token_hash: 0000000000000000000000000000000000000000000000000000000000000001
  mallory:
    user_id: user_dana_0001
    role: admin
    token_hash: 0000000000000000000000000000000000000000000000000000000000000002
"#,
    )
    .unwrap();
    let o = users_cli(&db, &["import", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("belongs to another user"));
    let text = String::from_utf8_lossy(&users_cli(&db, &["list"]).stdout).into_owned();
    assert!(
        !text.contains("erin") && !text.contains("mallory"),
        "{text}"
    );
}

#[test]
fn user_management_is_501_under_other_providers() {
    if skip_when_external() {
        return;
    }
    let r = Deployment::start(&[
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "static"),
        ("SERVER_AUTH_TOKEN", STATIC),
    ]);
    let reply = bearer(&r.base, "GET", "/api/users/", STATIC, b"");
    assert_eq!(reply.status, 501);
    assert_eq!(
        reply.json(),
        json!({"detail": "User management not available for current auth provider"})
    );
}

#[test]
fn with_admin_token_user_management_asks_an_admin_for_it_and_tells_others_nothing() {
    if skip_unless_native() {
        return;
    }
    let admin_token = "users-admin-token-0123456789abcdef";
    let (s, alice, bob) = Server::start_with(&[("ADMIN_TOKEN", admin_token)]);
    let call = |token: &str, admin: Option<&str>| {
        let auth = format!("Bearer {token}");
        let mut headers: Vec<(&str, &[u8])> = vec![("Authorization", auth.as_bytes())];
        if let Some(a) = admin {
            headers.push(("X-Admin-Token", a.as_bytes()));
        }
        request(&s.server.base, "GET", "/api/users/", &headers, b"")
    };
    // An admin needs the admin token, as on /admin.
    let r = call(&alice, None);
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"detail": "Admin token required. Use X-Admin-Token header."})
    );
    let r = call(&alice, Some("wrong"));
    assert_eq!(r.status, 403, "{}", r.text());
    let r = call(&alice, Some(admin_token));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["users"].as_array().unwrap().len(), 2);
    // A user who is not an admin gets one answer whatever the header holds.
    for admin in [None, Some("wrong"), Some(admin_token)] {
        let r = call(&bob, admin);
        assert_eq!(r.status, 403, "{admin:?}");
        assert_eq!(
            r.json(),
            json!({"detail": "Admin access required"}),
            "{admin:?}"
        );
    }
    // The same on /admin.
    for admin in ["wrong", admin_token] {
        let auth = format!("Bearer {bob}");
        let r = request(
            &s.server.base,
            "GET",
            "/admin/collections",
            &[
                ("Authorization", auth.as_bytes()),
                ("X-Admin-Token", admin.as_bytes()),
            ],
            b"",
        );
        assert_eq!(r.status, 403);
        assert_eq!(r.json(), json!({"detail": "Admin access required"}));
    }
}

#[test]
fn concurrent_creates_of_one_name_make_one_user() {
    // Workers KV has no compare-and-swap (docs/workers.md).
    if Host::current() == Host::Wrangler {
        eprintln!("skipped: Workers KV has no atomic swap");
        return;
    }
    let (s, alice, _) = Server::start();
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                let (s, alice) = (&s, &alice);
                scope.spawn(move || {
                    s.json("POST", "/api/users/", alice, json!({"username": "carol"}))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        created.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.text()).collect::<Vec<_>>()
    );
    for r in replies.iter().filter(|r| r.status != 200) {
        // Refused by the check (NodeTool's 400) or by the claim of the name (409).
        assert!(
            (r.status == 400 && r.detail() == "User 'carol' already exists")
                || (r.status == 409
                    && r.detail() == "User 'carol' was just created by another request"),
            "{} {}",
            r.status,
            r.text()
        );
    }
    let token = created[0].json()["token"].as_str().unwrap().to_string();
    assert_eq!(s.call("GET", "/api/workflows/", &token, b"").status, 200);
    let users = s.call("GET", "/api/users/", &alice, b"").json();
    let carols = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["username"] == "carol")
        .count();
    assert_eq!(carols, 1);
}
