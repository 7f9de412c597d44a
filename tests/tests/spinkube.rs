//! The SpinKube manifest (`deploy/spinkube/spinapp.yaml`) has the shape SpinKube's `SpinApp`
//! resource takes, and says what the component needs: every variable it sets is one spin.toml
//! declares, every secret comes from a Kubernetes Secret rather than the file, a production
//! deployment gets its tokens, and the key-value store spin.toml names is on Redis. No cluster
//! runs here; this is what can be checked without one.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::Value;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(root().join("deploy/spinkube/spinapp.yaml")).unwrap();
    serde_yaml::from_str(&text).expect("the manifest is YAML")
}

/// spin.toml's declared variables (name → secret?) and the component's key-value stores.
fn spin_toml() -> (BTreeMap<String, bool>, Vec<String>) {
    let text = std::fs::read_to_string(root().join("spin.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let variables = doc["variables"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(name, decl)| {
            let secret = decl.get("secret").and_then(|s| s.as_bool()) == Some(true);
            (name.clone(), secret)
        })
        .collect();
    let stores = doc["component"]["nodetool-edge"]["key_value_stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    (variables, stores)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut at = v;
    for key in path {
        at = at.get(*key)?;
    }
    at.as_str()
}

/// `valueFrom.secretKeyRef` with a name and a key.
fn from_secret(v: &Value) -> bool {
    str_at(v, &["valueFrom", "secretKeyRef", "name"]).is_some_and(|s| !s.is_empty())
        && str_at(v, &["valueFrom", "secretKeyRef", "key"]).is_some_and(|s| !s.is_empty())
}

/// A value given exactly one way: inline, or from a source.
fn one_value(v: &Value) -> bool {
    v.get("value").is_some() != v.get("valueFrom").is_some()
}

#[test]
fn the_spinapp_has_spinkubes_shape() {
    let m = manifest();
    assert_eq!(
        str_at(&m, &["apiVersion"]),
        Some("core.spinkube.dev/v1alpha1")
    );
    assert_eq!(str_at(&m, &["kind"]), Some("SpinApp"));
    assert!(str_at(&m, &["metadata", "name"]).is_some_and(|n| !n.is_empty()));
    let spec = m.get("spec").expect("spec");
    // The fields of SpinAppSpec (SpinKube's v1alpha1 API); a misspelt one is silently dropped
    // by a lenient apply, so it fails here.
    let known = [
        "executor",
        "image",
        "imagePullSecrets",
        "checks",
        "replicas",
        "enableAutoscaling",
        "runtimeConfig",
        "volumes",
        "volumeMounts",
        "variables",
        "serviceAnnotations",
        "deploymentAnnotations",
        "podAnnotations",
        "podLabels",
        "resources",
        "components",
        "serviceAccountName",
        "invocationLimits",
    ];
    for key in spec.as_mapping().unwrap().keys() {
        let key = key.as_str().unwrap();
        assert!(known.contains(&key), "spec.{key} is not a SpinApp field");
    }
    assert!(str_at(spec, &["image"]).is_some_and(|i| i.contains(':')));
    assert_eq!(str_at(spec, &["executor"]), Some("containerd-shim-spin"));
    assert!(spec["replicas"].as_i64().is_some_and(|n| n >= 1));
    for probe in ["readiness", "liveness"] {
        assert_eq!(
            str_at(spec, &["checks", probe, "httpGet", "path"]),
            Some("/health"),
            "{probe}: the unauthenticated health route"
        );
    }
}

#[test]
fn the_spinapp_sets_declared_variables_with_secrets_from_a_secret() {
    let (declared, _) = spin_toml();
    let spec = &manifest()["spec"];
    let mut set = BTreeMap::new();
    for var in spec["variables"].as_sequence().expect("spec.variables") {
        let name = str_at(var, &["name"]).expect("a variable has a name");
        let secret = *declared
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not declared in spin.toml"));
        assert!(one_value(var), "{name}: value or valueFrom, not both");
        if secret {
            assert!(from_secret(var), "{name} is secret: it comes from a Secret");
        }
        assert!(set.insert(name, var).is_none(), "{name} is set twice");
    }
    // Production with static tokens refuses to start without these.
    assert_eq!(str_at(set["env"], &["value"]), Some("production"));
    assert_eq!(str_at(set["auth_provider"], &["value"]), Some("static"));
    for needed in ["server_auth_token", "admin_token", "secrets_master_key"] {
        assert!(set.contains_key(needed), "{needed} is not set");
    }
}

#[test]
fn the_spinapp_puts_the_components_store_on_redis() {
    let (_, stores) = spin_toml();
    let spec = &manifest()["spec"];
    let configured = spec["runtimeConfig"]["keyValueStores"]
        .as_sequence()
        .expect("runtimeConfig.keyValueStores");
    for store in &stores {
        let found = configured
            .iter()
            .find(|s| str_at(s, &["name"]) == Some(store.as_str()))
            .unwrap_or_else(|| panic!("the store {store:?} spin.toml names is not configured"));
        assert_eq!(str_at(found, &["type"]), Some("redis"));
        let url = found["options"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|o| str_at(o, &["name"]) == Some("url"))
            .expect("a url option");
        assert!(
            one_value(url) && from_secret(url),
            "the URL holds a password"
        );
    }
}
