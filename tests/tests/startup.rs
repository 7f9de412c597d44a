//! Start-up: refused configurations, the worker's token resolution and banner, `token`.
//! These start the native runner themselves, so they do not run against an external server.

use std::path::Path;
use std::process::Command;

use nodetool_edge_conformance::runner::{Runner, binary};
use nodetool_edge_conformance::{request, skip_unless_native};

fn refused(args: &[&str], env: &[(&str, &str)], message: &str) {
    let dir = tempfile::tempdir().unwrap();
    let r = Runner::try_start(args, env, dir.path())
        .err()
        .unwrap_or_else(|| panic!("{env:?} should be refused"));
    assert_ne!(r.code, Some(0), "{env:?}");
    assert!(r.code.is_some(), "exited on its own, not killed: {r:?}");
    assert!(r.stderr.contains(message), "{env:?}: stderr {:?}", r.stderr);
    assert!(
        !r.stdout.contains("Listening"),
        "never bound: {:?}",
        r.stdout
    );
    assert!(
        !dir.path().join("deployment.yaml").exists(),
        "no token generated for a refused start"
    );
}

#[test]
fn production_refuses_weak_tokens_and_keys_naming_each_and_development_warns() {
    if skip_unless_native() {
        return;
    }
    let strong = "conformance-strong-value-0123456789abcdef";
    let production = |name: &'static str, value: &'static str| {
        let mut env = vec![
            ("ENV", "production"),
            ("NODETOOL_SERVER_MODE", "private"),
            ("AUTH_PROVIDER", "static"),
            ("SERVER_AUTH_TOKEN", strong),
            ("SECRETS_MASTER_KEY", strong),
        ];
        env.retain(|(n, _)| *n != name);
        env.push((name, value));
        env
    };
    for (name, value, why) in [
        ("SERVER_AUTH_TOKEN", "a", "shorter than 32 characters"),
        ("ADMIN_TOKEN", "x", "shorter than 32 characters"),
        ("SECRETS_MASTER_KEY", "1", "shorter than 32 characters"),
        (
            "ADMIN_TOKEN",
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
            "one character repeated",
        ),
        (
            "SERVER_AUTH_TOKEN",
            "conformance strong value 0123456789abcdef",
            "whitespace inside",
        ),
    ] {
        refused(
            &["serve"],
            &production(name, value),
            &format!("{name} is too weak for production: {why}"),
        );
    }
    // Development starts and warns, naming the variable and never its value.
    let dir = tempfile::tempdir().unwrap();
    let r = Runner::start(
        &["serve"],
        &[("AUTH_PROVIDER", "static"), ("SERVER_AUTH_TOKEN", "tiny")],
        dir.path(),
    );
    let out = r.banner.join("\n");
    assert!(
        out.contains("SERVER_AUTH_TOKEN is weak (shorter than 32 characters)"),
        "{out}"
    );
    assert!(!out.contains("tiny"), "{out}");
}

#[test]
fn development_makes_a_master_key_once_keeps_it_0600_and_secrets_survive_a_restart() {
    if skip_unless_native() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("secrets-master-key");
    let secret = "/api/settings/secrets/OPENAI_API_KEY";
    let key = {
        let r = Runner::start(&["serve"], &[], dir.path());
        let banner = r.banner.join("\n");
        assert!(
            banner.contains(&format!(
                "Secrets master key: generated and saved to {}",
                key_file.display()
            )),
            "{banner}"
        );
        let put = request(&r.base, "PUT", secret, &[], br#"{"value": "sk-restart"}"#);
        assert_eq!(put.status, 200, "{}", put.text());
        let key = std::fs::read_to_string(&key_file).unwrap();
        assert!(!banner.contains(key.trim()), "the key is never printed");
        key
    };
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(key.trim().len(), 64);
    let r = Runner::start(&["serve"], &[], dir.path());
    assert!(
        r.banner
            .join("\n")
            .contains("Secrets master key: read from")
    );
    let got = request(&r.base, "GET", &format!("{secret}?decrypt=true"), &[], b"");
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json()["value"], "sk-restart");
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        key,
        "kept, not replaced"
    );
    drop(r);
    // A configured key wins, and no file is made for it.
    let other = tempfile::tempdir().unwrap();
    let r = Runner::start(
        &["serve"],
        &[(
            "SECRETS_MASTER_KEY",
            "an-operator-chosen-master-key-0123456789",
        )],
        other.path(),
    );
    assert!(!r.banner.join("\n").contains("Secrets master key"));
    assert!(!other.path().join("secrets-master-key").exists());
}

#[test]
fn out_of_range_flags_are_errors_naming_the_flag() {
    if skip_unless_native() {
        return;
    }
    for (flag, value) in [
        ("--timeout-ms", "999999999999"),
        ("--deadline-ms", "0"),
        ("--memory-mb", "1"),
        ("--max-concurrency", "0"),
        ("--header-timeout-ms", "5"),
        ("--max-connections", "0"),
        ("--compute-slots", "0"),
    ] {
        refused(&["serve", flag, value], &[], flag);
    }
    // Two flags that only make sense together.
    refused(
        &["serve", "--deadline-ms", "5000", "--timeout-ms", "1000"],
        &[],
        "--timeout-ms 1000 is below --deadline-ms 5000",
    );
}

#[test]
fn binding_every_interface_without_auth_warns_as_nodetool_does() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = Runner::start(&["serve", "--host", "0.0.0.0"], &[], dir.path());
    let out = r.banner.join("\n");
    assert!(
        out.contains("SECURITY WARNING: Server is binding to '0.0.0.0' (all network interfaces) with AUTH_PROVIDER='local'"),
        "{out}"
    );
    // Loopback, or an enforcing provider, needs no warning.
    let dir = tempfile::tempdir().unwrap();
    let r = Runner::start(&["serve"], &[], dir.path());
    assert!(!r.banner.join("\n").contains("SECURITY WARNING"));
    let dir = tempfile::tempdir().unwrap();
    let r = Runner::start(
        &["serve", "--host", "0.0.0.0"],
        &[
            ("AUTH_PROVIDER", "static"),
            ("SERVER_AUTH_TOKEN", "conformance-static-token-0123456789"),
        ],
        dir.path(),
    );
    assert!(!r.banner.join("\n").contains("SECURITY WARNING"));
}

#[test]
fn invalid_combinations_refuse_to_start_before_binding() {
    if skip_unless_native() {
        return;
    }
    let public = "Public server mode requires AUTH_PROVIDER=supabase.";
    let private = "Private server mode requires AUTH_PROVIDER=static, multi_user, or supabase.";
    refused(
        &["serve"],
        &[
            ("NODETOOL_SERVER_MODE", "public"),
            ("AUTH_PROVIDER", "static"),
        ],
        public,
    );
    refused(&["serve"], &[("NODETOOL_SERVER_MODE", "public")], public);
    refused(
        &["serve"],
        &[
            ("NODETOOL_SERVER_MODE", "private"),
            ("AUTH_PROVIDER", "local"),
        ],
        private,
    );
    refused(
        &["serve"],
        &[
            ("NODETOOL_SERVER_MODE", "private"),
            ("AUTH_PROVIDER", "none"),
        ],
        private,
    );
    refused(&["serve"], &[("NODETOOL_SERVER_MODE", "private")], private);
    refused(
        &["serve"],
        &[
            ("ENV", "production"),
            ("NODETOOL_SERVER_MODE", "private"),
            ("AUTH_PROVIDER", "static"),
            ("SERVER_AUTH_TOKEN", "t"),
        ],
        "SECRETS_MASTER_KEY environment variable must be set in production",
    );
    refused(&["serve"], &[("ENV", "production")], "SECRETS_MASTER_KEY");
    refused(
        &["serve"],
        &[("AUTH_PROVIDER", "ldap")],
        "Invalid AUTH_PROVIDER 'ldap'",
    );
    refused(
        &["serve"],
        &[("NODETOOL_SERVER_MODE", "cloud")],
        "Invalid server mode 'cloud'",
    );
    refused(&["serve"], &[("ENV", "staging")], "Invalid ENV 'staging'");
    refused(
        &["serve"],
        &[("MAX_BODY_BYTES", "lots")],
        "Invalid MAX_BODY_BYTES",
    );
    refused(
        &["worker"],
        &[("AUTH_PROVIDER", "local")],
        "the worker always uses AUTH_PROVIDER=static",
    );
    refused(
        &["serve"],
        &[("AUTH_PROVIDER", "supabase")],
        "AUTH_PROVIDER=supabase requires SUPABASE_URL",
    );
    refused(
        &["serve"],
        &[
            ("NODETOOL_SERVER_MODE", "public"),
            ("AUTH_PROVIDER", "supabase"),
        ],
        "AUTH_PROVIDER=supabase requires SUPABASE_URL",
    );
    let supabase = [
        ("AUTH_PROVIDER", "supabase"),
        ("SUPABASE_URL", "https://abc.supabase.co"),
    ];
    for (extra, message) in [
        (("SUPABASE_URL", "abc.supabase.co"), "Invalid SUPABASE_URL"),
        (
            ("SUPABASE_URL", "ftp://abc.supabase.co"),
            "Invalid SUPABASE_URL",
        ),
        (
            ("SUPABASE_REMOTE_CHECK", "true"),
            "SUPABASE_REMOTE_CHECK=true requires SUPABASE_KEY",
        ),
        (
            ("SUPABASE_REMOTE_CHECK", "sometimes"),
            "Invalid SUPABASE_REMOTE_CHECK 'sometimes'",
        ),
        (("AUTH_CACHE_TTL", "1m"), "Invalid AUTH_CACHE_TTL '1m'"),
        (
            ("REMOTE_AUTH_CACHE_MAX", "-1"),
            "Invalid REMOTE_AUTH_CACHE_MAX '-1'",
        ),
        (
            ("ALLOWED_OUTBOUND_HOSTS", "api.openai.com"),
            "needs an http:// or https:// scheme",
        ),
    ] {
        let mut env = supabase.to_vec();
        env.push(extra);
        refused(&["serve"], &env, message);
    }
}

fn seed_grep_token(config: &Path) -> String {
    // The seed's recipe: grep worker_auth_token | cut -d' ' -f2
    let text = std::fs::read_to_string(config).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("worker_auth_token"))
        .expect("worker_auth_token line");
    line.split(' ').nth(1).unwrap().to_string()
}

#[test]
fn worker_generates_a_token_once_saves_it_0600_and_reuses_it() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("deployment.yaml");
    let first = Runner::start(&["worker"], &[], dir.path());
    let banner = first.banner.join("\n");
    assert!(
        banner.contains("🚀 Starting NodeTool worker on"),
        "{banner}"
    );
    assert!(banner.contains("AUTHENTICATION"));
    assert!(banner.contains("🔒 Status: ENABLED"));
    assert!(banner.contains(&format!(
        "📍 Source: Auto-generated and saved to {}",
        config.display()
    )));

    let token = seed_grep_token(&config);
    assert_eq!(token.len(), 43);
    assert!(
        banner.contains(&format!("   Authorization: Bearer {token}")),
        "full token right after generation"
    );
    assert!(banner.contains(&format!("🔑 Token: {}...{}", &token[..8], &token[39..])));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&config).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let bearer = format!("Bearer {token}");
    let r = request(
        &first.base,
        "GET",
        "/workflows",
        &[("Authorization", bearer.as_bytes())],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        request(&first.base, "GET", "/workflows", &[], b"").status,
        401
    );
    drop(first);

    let second = Runner::start(&["worker"], &[], dir.path());
    let banner = second.banner.join("\n");
    assert!(
        banner.contains(&format!("📍 Source: Config file ({})", config.display())),
        "{banner}"
    );
    assert!(
        !banner.contains(&token),
        "the full token is printed only when generated"
    );
    let r = request(
        &second.base,
        "GET",
        "/workflows",
        &[("Authorization", bearer.as_bytes())],
        b"",
    );
    assert_eq!(r.status, 200);
}

#[test]
fn environment_token_wins_and_is_only_shown_masked() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deployment.yaml"),
        "worker_auth_token: from-the-file-token\n",
    )
    .unwrap();
    let secret = "my-custom-secure-token-from-env";
    let r = Runner::start(&["worker"], &[("WORKER_AUTH_TOKEN", secret)], dir.path());
    let banner = r.banner.join("\n");
    assert!(
        banner.contains("📍 Source: Environment variable (WORKER_AUTH_TOKEN)"),
        "{banner}"
    );
    assert!(banner.contains("🔑 Token: my-custo...-env"));
    assert!(!banner.contains(secret));
    let ok = request(
        &r.base,
        "GET",
        "/workflows",
        &[("Authorization", format!("Bearer {secret}").as_bytes())],
        b"",
    );
    assert_eq!(ok.status, 200);
    let file = request(
        &r.base,
        "GET",
        "/workflows",
        &[("Authorization", b"Bearer from-the-file-token")],
        b"",
    );
    assert_eq!(file.status, 401);
}

#[test]
fn local_mode_writes_no_token_file() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = Runner::start(&["serve"], &[], dir.path());
    assert_eq!(request(&r.base, "GET", "/workflows", &[], b"").status, 200);
    assert!(!dir.path().join("deployment.yaml").exists());
}

fn token_cli(dir: &Path, action: &str, env: &[(&str, &str)]) -> (String, String) {
    let mut cmd = Command::new(binary());
    cmd.args(["token", action])
        .env_clear()
        .env("HOME", dir)
        .env("NODETOOL_CONFIG_PATH", dir.join("deployment.yaml"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    (
        String::from_utf8(out.stdout).unwrap().trim().to_string(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn token_show_and_rotate_for_scripts() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deployment.yaml"),
        "deployments:\n  keep: {type: local, port: 8000}\n",
    )
    .unwrap();
    let (shown, err) = token_cli(dir.path(), "show", &[]);
    assert_eq!(shown.len(), 43);
    assert!(err.contains("Auto-generated"));
    let (again, err) = token_cli(dir.path(), "show", &[]);
    assert_eq!(again, shown);
    assert!(err.contains("Config file"));
    let (rotated, _) = token_cli(dir.path(), "rotate", &[]);
    assert_ne!(rotated, shown);
    assert_eq!(token_cli(dir.path(), "show", &[]).0, rotated);
    assert_eq!(
        seed_grep_token(&dir.path().join("deployment.yaml")),
        rotated
    );
    let text = std::fs::read_to_string(dir.path().join("deployment.yaml")).unwrap();
    assert!(text.contains("keep"), "other keys survive rotation: {text}");
    // The environment wins over the file, and rotate says so.
    let (env_shown, err) = token_cli(dir.path(), "show", &[("SERVER_AUTH_TOKEN", "env-token")]);
    assert_eq!(env_shown, "env-token");
    assert!(err.contains("SERVER_AUTH_TOKEN"));
    let (_, err) = token_cli(dir.path(), "rotate", &[("SERVER_AUTH_TOKEN", "env-token")]);
    assert!(err.contains("takes precedence"));
}

/// The banner's account of where the compiled component came from.
fn component_line(r: &Runner) -> String {
    r.banner
        .iter()
        .find(|l| l.starts_with("Component: "))
        .cloned()
        .unwrap_or_else(|| panic!("no Component line in {:?}", r.banner))
}

#[test]
fn the_compiled_component_is_cached_0600_and_a_damaged_entry_is_compiled_again() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("compile-cache");
    let cache_env = cache.to_str().unwrap();
    let env = [("NODETOOL_EDGE_COMPILE_CACHE", cache_env)];
    let entries = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };

    let first = Runner::start(&["serve"], &env, dir.path());
    assert!(
        component_line(&first).contains("cached at"),
        "{}",
        component_line(&first)
    );
    assert_eq!(request(&first.base, "GET", "/health", &[], b"").status, 200);
    drop(first);
    let stored = entries();
    assert_eq!(stored.len(), 1, "{stored:?}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&stored[0]), 0o600);
        assert_eq!(mode(&cache), 0o700);
    }

    let second = Runner::start(&["serve"], &env, dir.path());
    assert!(
        component_line(&second).contains("loaded compiled"),
        "{}",
        component_line(&second)
    );
    assert_eq!(
        request(&second.base, "GET", "/health", &[], b"").status,
        200
    );
    drop(second);

    // A damaged entry (here: cut short) is never loaded; the component is compiled again and
    // the entry replaced whole.
    let whole = std::fs::read(&stored[0]).unwrap();
    std::fs::write(&stored[0], &whole[..whole.len() - 1]).unwrap();
    let third = Runner::start(&["serve"], &env, dir.path());
    assert!(
        component_line(&third).contains("cached at"),
        "{}",
        component_line(&third)
    );
    assert_eq!(request(&third.base, "GET", "/health", &[], b"").status, 200);
    drop(third);
    assert_eq!(std::fs::read(&stored[0]).unwrap().len(), whole.len());
    assert_eq!(entries().len(), 1);

    // Turned off: compiled, nothing read or written.
    let off = Runner::start(&["serve", "--no-compile-cache"], &env, dir.path());
    assert!(
        component_line(&off).contains("compile cache off"),
        "{}",
        component_line(&off)
    );
    assert_eq!(request(&off.base, "GET", "/health", &[], b"").status, 200);
}

/// A CA made for the test, and a certificate it signed for `localhost` and `127.0.0.1`, as
/// PEM files in `dir`: (CA certificate, server certificate, server key).
fn test_pki(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "nodetool-edge test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = leaf.signed_by(&key, &ca).unwrap();
    let paths = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

/// curl's exit code, and what it printed: the body, then the HTTP version it used.
fn curl(args: &[&str], url: &str) -> (Option<i32>, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "-w", "\n%{http_version}"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl (scripts/test installs it)");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn https_with_a_test_ca_negotiates_http2_and_a_plain_request_is_told_to_use_https() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = test_pki(dir.path());
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let r = Runner::start(
        &["serve", "--tls-cert", cert, "--tls-key", key],
        &[],
        dir.path(),
    );
    let port = r.base.strip_prefix("https://127.0.0.1:").expect(&r.base);
    let url = format!("https://localhost:{port}/health");
    let ca = ca.to_str().unwrap();

    let (code, out) = curl(&["--cacert", ca, "--http2"], &url);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out, "\"OK\"\n2", "HTTP/2 by ALPN");
    let (code, out) = curl(&["--cacert", ca, "--http1.1"], &url);
    assert_eq!((code, out.as_str()), (Some(0), "\"OK\"\n1.1"));
    // A client that does not trust the CA is refused by its own TLS check.
    let (code, _) = curl(&[], &url);
    assert_eq!(
        code,
        Some(60),
        "curl: peer certificate cannot be authenticated"
    );

    // Plain HTTP to the TLS port: a 400 that says what to use, and the server goes on.
    let plain = request(
        &format!("http://127.0.0.1:{port}"),
        "GET",
        "/health",
        &[],
        b"",
    );
    assert_eq!(plain.status, 400, "{}", plain.text());
    assert_eq!(plain.detail(), "This port serves HTTPS: use https://");
    let (code, out) = curl(&["--cacert", ca, "--http2"], &url);
    assert_eq!((code, out.as_str()), (Some(0), "\"OK\"\n2"));
    // An authenticated route works over HTTP/2 too (the authority stands in for Host).
    let (code, out) = curl(
        &["--cacert", ca, "--http2"],
        &format!("https://localhost:{port}/api/workflows/"),
    );
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out, "{\"next\":\"\",\"workflows\":[]}\n2");
    assert!(r.panics().is_empty(), "{:?}", r.panics());
}

#[test]
fn a_bad_certificate_stops_start_up_and_plain_http_off_loopback_with_tokens_warns() {
    if skip_unless_native() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = test_pki(dir.path());
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let (cert, key, junk) = (
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
        junk.to_str().unwrap(),
    );
    refused(
        &["serve", "--tls-cert", junk, "--tls-key", key],
        &[],
        "--tls-cert",
    );
    refused(
        &["serve", "--tls-cert", cert, "--tls-key", junk],
        &[],
        "--tls-key",
    );
    refused(&["serve", "--tls-cert", cert], &[], "--tls-key");

    let token = [
        ("NODETOOL_SERVER_MODE", "private"),
        ("AUTH_PROVIDER", "static"),
        ("SERVER_AUTH_TOKEN", "startup-test-token-0123456789abcdef"),
    ];
    let warning = "bearer tokens cross the network unencrypted";
    let open = Runner::start(&["serve", "--host", "0.0.0.0"], &token, dir.path());
    assert!(
        open.banner.iter().any(|l| l.contains(warning)),
        "{:?}",
        open.banner
    );
    drop(open);
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = test_pki(dir.path());
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let tls = Runner::start(
        &[
            "serve",
            "--host",
            "0.0.0.0",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
        ],
        &token,
        dir.path(),
    );
    assert!(
        !tls.banner.iter().any(|l| l.contains(warning)),
        "{:?}",
        tls.banner
    );
    let local = Runner::start(&["serve"], &token, dir.path());
    assert!(
        !local.banner.iter().any(|l| l.contains(warning)),
        "{:?}",
        local.banner
    );
}
