//! `spin up` serving the component: Spin's own runtime, with its default key-value store (SQLite
//! in a state directory of the test's own) and the test's settings as `SPIN_VARIABLE_*`. One
//! instance per test, so tests never see each other's data.
//!
//! It runs the project's `spin.toml` as written, except that the component's `source` is an
//! absolute path (the manifest is copied into the test's directory) and the suite's stand-ins
//! on loopback (Supabase, the OpenAI-compatible upstream) are allowed outbound. The component
//! must be built first (`spin build`, which scripts/test-spin runs).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::process_group::ServerGroup;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Spin CLI: `NODETOOL_EDGE_SPIN`, else the one beside the project (`../shared/tools/spin`).
pub fn spin_binary() -> PathBuf {
    match std::env::var_os("NODETOOL_EDGE_SPIN") {
        Some(path) => PathBuf::from(path),
        None => root().join("../shared/tools/spin"),
    }
}

/// Origins the suite's stand-ins listen on: any loopback port.
const LOOPBACK_ORIGINS: &str = "\"http://127.0.0.1:*\", \"http://localhost:*\"";

/// The project's `spin.toml` as a test runs it: `source` made absolute and loopback added to
/// `allowed_outbound_hosts`. Everything else (variables, key-value store, routes) is the
/// file's own.
pub fn test_manifest(project: &str, wasm: &Path) -> String {
    let mut out = String::new();
    for line in project.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("source = ") {
            out.push_str(&format!("source = {:?}\n", wasm.display().to_string()));
        } else if let Some(list) = trimmed.strip_prefix("allowed_outbound_hosts = [") {
            out.push_str(&format!(
                "allowed_outbound_hosts = [{LOOPBACK_ORIGINS}, {list}\n"
            ));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A running `spin up`, killed with its process group when dropped.
pub struct SpinUp {
    _server: ServerGroup,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl SpinUp {
    /// Starts `spin up` on a free loopback port with exactly `env` as its variables.
    pub fn start(env: &[(&str, &str)]) -> SpinUp {
        SpinUp::start_with(env, &[])
    }

    /// As [`SpinUp::start`], with more arguments for `spin up` (a runtime-config file, say).
    pub fn start_with(env: &[(&str, &str)], args: &[&std::ffi::OsStr]) -> SpinUp {
        let root = root();
        let wasm = root
            .join("target/component/wasm32-wasip2/component/nodetool_edge_spin.wasm")
            .canonicalize()
            .expect("the component is missing: scripts/test-spin runs `spin build` first");
        let project = std::fs::read_to_string(root.join("spin.toml")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("spin.toml");
        std::fs::write(&manifest, test_manifest(&project, &wasm)).unwrap();

        let mut command = Command::new(spin_binary());
        command
            .arg("up")
            .arg("--from")
            .arg(&manifest)
            .args(["--listen", "127.0.0.1:0"])
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .args(args)
            .current_dir(dir.path())
            // Spin reads application variables from SPIN_VARIABLE_<NAME>.
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            // One home for every test's Spin, so its compiled-component cache is shared and
            // only the first `spin up` compiles.
            .env("HOME", root.join("target/spin-home"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so dropping it takes everything it started down too.
            .process_group(0);
        for (name, value) in env {
            command.env(
                format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()),
                value,
            );
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", spin_binary().display()));
        let (server, address) = ServerGroup::wait_ready(child, "Serving ", "spin up");
        SpinUp {
            _server: server,
            base: address,
            _dir: dir,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_manifest_changes_only_source_and_outbound_hosts() {
        let project = "[component.x]\nsource = \"target/x.wasm\"\nkey_value_stores = \
                       [\"default\"]\nallowed_outbound_hosts = [\"https://a.example\"]\n";
        let got = test_manifest(project, Path::new("/abs/x.wasm"));
        assert_eq!(
            got,
            "[component.x]\nsource = \"/abs/x.wasm\"\nkey_value_stores = [\"default\"]\n\
             allowed_outbound_hosts = [\"http://127.0.0.1:*\", \"http://localhost:*\", \
             \"https://a.example\"]\n"
        );
    }
}
