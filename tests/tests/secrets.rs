//! `/api/settings/secrets` and `/admin/secrets/import` (reference 4.8, 5.2): NodeTool's
//! encryption, checked with the reference's known-answer ciphertext.

use nodetool_edge_conformance::{Host, Profile, Target};
use serde_json::{Value, json};

/// Reference 5.2: `sk-test` for user "1" under master key `test-master-key`, made by NodeTool.
const NODETOOL_TOKEN: &str = "gAAAAABlU_EAAAAAAAAAAAAAAAAAAAAAAJczasMUAhTxv22wxACz-VlwFRs5wBYbjEBiPr7Z555W5kj3lvwZQI8vjPTRJIIEvA==";

fn secret_entry<'a>(list: &'a Value, key: &str) -> &'a Value {
    list["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("{key} not listed"))
}

#[test]
fn put_get_decrypt_list_delete() {
    let Some(t) = Target::new(Profile::ProductionAdmin) else {
        return;
    };
    let path = "/api/settings/secrets/OPENAI_API_KEY";
    let r = t.call(
        "PUT",
        path,
        br#"{"value": "sk-abc", "description": "mine"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let saved = r.json();
    assert_eq!(saved["key"], "OPENAI_API_KEY");
    assert_eq!(saved["user_id"], "1");
    assert_eq!(saved["description"], "mine");
    assert_eq!(saved["is_configured"], true);
    assert!(saved.get("value").is_none() && saved.get("encrypted_value").is_none());
    assert!(!r.text().contains("sk-abc"));

    let r = t.get(path);
    assert_eq!(r.status, 200);
    assert!(r.json().get("value").is_none());
    let r = t.get(&format!("{path}?decrypt=true"));
    assert_eq!(r.json()["value"], "sk-abc");

    // Updating keeps the id and creation time.
    let r = t.call("PUT", path, br#"{"value": "sk-new"}"#);
    assert_eq!(r.json()["id"], saved["id"]);
    assert_eq!(r.json()["created_at"], saved["created_at"]);
    assert_eq!(r.json()["description"], "mine");
    assert_eq!(
        t.get(&format!("{path}?decrypt=1")).json()["value"],
        "sk-new"
    );

    let list = t.get("/api/settings/secrets").json();
    assert_eq!(secret_entry(&list, "OPENAI_API_KEY")["is_configured"], true);
    let other = secret_entry(&list, "ANTHROPIC_API_KEY");
    assert_eq!(other["is_configured"], false);
    assert_eq!(other["id"], Value::Null);
    assert_eq!(list["next_key"], Value::Null);
    assert!(!list.to_string().contains("sk-new"));
    let page = t.get("/api/settings/secrets?limit=2").json();
    assert_eq!(page["secrets"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_key"], "OPENROUTER_API_KEY");
    let next = t
        .get("/api/settings/secrets?limit=2&start_key=OPENROUTER_API_KEY")
        .json();
    assert_eq!(next["secrets"][0]["key"], "OPENROUTER_API_KEY");

    let r = t.call("DELETE", path, b"");
    assert_eq!(r.json(), json!({"message": "Secret deleted successfully"}));
    let r = t.get(path);
    assert_eq!(
        (r.status, r.detail()),
        (404, "Secret not found".to_string())
    );
    assert_eq!(t.call("DELETE", path, b"").status, 404);
}

#[test]
fn bad_requests_are_clear() {
    let Some(t) = Target::new(Profile::ProductionAdmin) else {
        return;
    };
    let r = t.call(
        "PUT",
        "/api/settings/secrets/MY_OWN_KEY",
        br#"{"value": "x"}"#,
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        r.detail(),
        "Secret key 'MY_OWN_KEY' is not available. Only secrets from the registry can be configured."
    );
    let r = t.call(
        "PUT",
        "/api/settings/secrets/HF_TOKEN",
        br#"{"description": "x"}"#,
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["errors"][0]["loc"], json!(["body", "value"]));
    let r = t.call("PUT", "/api/settings/secrets/HF_TOKEN", br#"{"value": 5}"#);
    assert_eq!(r.status, 422);
    let big = json!({"value": "x".repeat(20_000)}).to_string();
    assert_eq!(
        t.call("PUT", "/api/settings/secrets/HF_TOKEN", big.as_bytes())
            .status,
        422
    );
    assert_eq!(
        t.call("PUT", "/api/settings/secrets/HF_TOKEN", b"{").status,
        422
    );
    assert_eq!(
        t.call("POST", "/api/settings/secrets/HF_TOKEN", b"{}")
            .status,
        405
    );
    assert_eq!(t.anon("GET", "/api/settings/secrets", &[], b"").status, 401);
}

#[test]
fn nodetool_ciphertext_imports_and_decrypts() {
    let Some(t) = Target::with_env(
        Profile::Static,
        &[("SECRETS_MASTER_KEY", "test-master-key")],
    ) else {
        return;
    };
    let item = |user: &str, token: &str| {
        json!({"user_id": user, "key": "OPENAI_API_KEY", "encrypted_value": token,
               "description": "from NodeTool", "created_at": "2026-01-01T00:00:00", "updated_at": null})
    };
    let r = t.call(
        "POST",
        "/admin/secrets/import",
        json!([item("1", NODETOOL_TOKEN)]).to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"imported": 1}));
    let r = t.get("/api/settings/secrets/OPENAI_API_KEY?decrypt=true");
    assert_eq!(r.json()["value"], "sk-test");
    assert_eq!(r.json()["created_at"], "2026-01-01T00:00:00");

    // Ciphertext for another salt (user) or not Fernet at all: nothing is imported.
    for (bad, why) in [
        (
            json!([item("1", NODETOOL_TOKEN), item("2", NODETOOL_TOKEN)]),
            "Item 1 (OPENAI_API_KEY of user 2)",
        ),
        (
            json!([item("1", "plaintext-key")]),
            "Item 0 (OPENAI_API_KEY of user 1)",
        ),
    ] {
        let r = t.call("POST", "/admin/secrets/import", bad.to_string().as_bytes());
        assert_eq!(r.status, 400);
        assert!(r.detail().starts_with(why), "{}", r.detail());
    }
    let r = t.call("POST", "/admin/secrets/import", br#"{"user_id": "1"}"#);
    assert_eq!(r.status, 422);
    // Each user costs a key derivation: an import naming too many is refused up front; a user
    // id with control characters is refused like a bad key.
    let many: Vec<Value> = (0..101)
        .map(|u| item(&u.to_string(), NODETOOL_TOKEN))
        .collect();
    let r = t.call(
        "POST",
        "/admin/secrets/import",
        json!(many).to_string().as_bytes(),
    );
    assert_eq!(
        (r.status, r.detail()),
        (
            400,
            "An import may hold the secrets of at most 100 users; split it".into()
        )
    );
    let r = t.call(
        "POST",
        "/admin/secrets/import",
        json!([item("1\n2", NODETOOL_TOKEN)]).to_string().as_bytes(),
    );
    assert_eq!(r.status, 400);
    assert!(
        r.detail().starts_with("Item 0: the user_id"),
        "{}",
        r.detail()
    );
    let r = t.call(
        "POST",
        "/admin/secrets/import",
        br#"[{"user_id": "1", "key": "K"}]"#,
    );
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["errors"][0]["loc"],
        json!(["body", "0", "encrypted_value"])
    );
}

#[test]
fn import_needs_the_admin_token_in_production() {
    let Some(t) = Target::new(Profile::ProductionAdmin) else {
        return;
    };
    let bearer = format!("Bearer {}", t.token.as_deref().unwrap());
    let r = t.anon(
        "POST",
        "/admin/secrets/import",
        &[("Authorization", bearer.as_bytes())],
        b"[]",
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        t.call("POST", "/admin/secrets/import", b"[]").json(),
        json!({"imported": 0})
    );
}

#[test]
fn without_a_master_key_the_runner_makes_one_and_other_hosts_say_which_to_set() {
    let Some(t) = Target::new(Profile::Local) else {
        return;
    };
    let r = t.call(
        "PUT",
        "/api/settings/secrets/OPENAI_API_KEY",
        br#"{"value": "sk"}"#,
    );
    if Host::current() == Host::Native {
        // Development on the runner: a key of its own (the restart is tested in startup.rs).
        assert_eq!(r.status, 200, "{}", r.text());
        let r = t.get("/api/settings/secrets/OPENAI_API_KEY?decrypt=true");
        assert_eq!(r.json()["value"], "sk");
        return;
    }
    assert_eq!(r.status, 503);
    assert_eq!(
        r.detail(),
        "Secrets are unavailable: the server has no SECRETS_MASTER_KEY"
    );
    // Listing works: nothing needs decrypting.
    assert_eq!(t.get("/api/settings/secrets").status, 200);
}
