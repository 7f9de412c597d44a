//! `wrangler dev` serving the Workers build on workerd from npm: one instance per test, with the
//! test's configuration and a KV state of its own, so tests never see each other's data.
//!
//! It serves the bundle `scripts/cloudflare-build` left in `edge/cloudflare/build` (scripts/
//! test-cloudflare builds it first); the project's `wrangler.toml` would rebuild it on every
//! start.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::process_group::ServerGroup;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The project's `wrangler.toml` as a test runs it: without the `[build]` step, without the
/// `[vars]` (the test sets every variable itself), and with `main` pointing at the built
/// bundle. Everything else (compatibility date, the KV binding) is the file's own.
pub fn test_config(project_config: &str, bundle: &Path) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in project_config.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            skipping = trimmed == "[build]" || trimmed == "[vars]";
        }
        if skipping {
            continue;
        }
        if trimmed.starts_with("main ") || trimmed.starts_with("main=") {
            out.push_str(&format!("main = {:?}\n", bundle.display().to_string()));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `KEY="value"` lines for `.dev.vars`, which wrangler dev hands to the Worker as secrets.
fn dev_vars(env: &[(&str, &str)]) -> String {
    env.iter()
        .map(|(k, v)| {
            assert!(
                !v.contains(['"', '\\', '\n']),
                "{k}: the suite passes plain values only"
            );
            format!("{k}=\"{v}\"\n")
        })
        .collect()
}

/// A running `wrangler dev`, killed with its workerd when dropped.
pub struct WranglerDev {
    _server: ServerGroup,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl WranglerDev {
    /// Starts `wrangler dev` on a free loopback port with exactly `env` as its variables.
    pub fn start(env: &[(&str, &str)]) -> WranglerDev {
        let root = root();
        let bundle = root.join("edge/cloudflare/build/index.js");
        assert!(
            bundle.exists(),
            "{} is missing: scripts/test-cloudflare builds it",
            bundle.display()
        );
        let project = std::fs::read_to_string(root.join("wrangler.toml")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("wrangler.toml"),
            test_config(&project, &bundle),
        )
        .unwrap();
        std::fs::write(dir.path().join(".dev.vars"), dev_vars(env)).unwrap();

        // wrangler needs the Node.js from package.json, not whatever the machine has.
        let path = format!(
            "{}:{}",
            root.join("node_modules/.bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let child = Command::new(root.join("node_modules/.bin/wrangler"))
            .args([
                "dev",
                "--ip",
                "127.0.0.1",
                "--port",
                "0",
                "--inspector-port",
                "0",
            ])
            .arg("--persist-to")
            .arg(dir.path().join("state"))
            .arg("--show-interactive-dev-session=false")
            .current_dir(dir.path())
            .env("PATH", path)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("WRANGLER_LOG_PATH", dir.path().join("logs"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so dropping it takes workerd down too.
            .process_group(0)
            .spawn()
            .expect("spawning wrangler dev (scripts/cloudflare-setup installs it)");
        let (server, base) = ServerGroup::wait_ready(child, "Ready on ", "wrangler dev");
        WranglerDev {
            _server: server,
            base,
            _dir: dir,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_config_keeps_the_binding_and_drops_build_and_vars() {
        let project = "name = \"x\"\nmain = \"edge/build/index.js\"\ncompatibility_date = \
                       \"2026-11-01\"\n\n[build]\ncommand = \"b\"\n\n[[kv_namespaces]]\nbinding \
                       = \"NODETOOL_KV\"\nid = \"local\"\n\n[vars]\nAUTH_PROVIDER = \"static\"\n";
        let got = test_config(project, Path::new("/b/index.js"));
        assert_eq!(
            got,
            "name = \"x\"\nmain = \"/b/index.js\"\ncompatibility_date = \"2026-11-01\"\n\n\
             [[kv_namespaces]]\nbinding = \"NODETOOL_KV\"\nid = \"local\"\n\n"
        );
    }

    #[test]
    fn dev_vars_are_quoted() {
        assert_eq!(
            dev_vars(&[("A", "1"), ("B", "x y")]),
            "A=\"1\"\nB=\"x y\"\n"
        );
    }
}
