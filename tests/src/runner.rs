//! Starting the real native runner for a test, or pointing at an external server.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use crate::client::{Reply, request};
use crate::process_group::{TAIL_LINES, forward_lines, report};
use crate::server::Server;

pub const STATIC_TOKEN: &str = "conformance-static-token-0123456789";
pub const ADMIN_TOKEN: &str = "conformance-admin-token-9876543210";

/// A server configuration the suite knows how to start (and how to recognise externally).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// desktop mode, AUTH_PROVIDER=local.
    Local,
    /// private mode, AUTH_PROVIDER=static with a known token.
    Static,
    /// ENV=production, private/static, with ADMIN_TOKEN and SECRETS_MASTER_KEY.
    ProductionAdmin,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Local => "local",
            Profile::Static => "static",
            Profile::ProductionAdmin => "production-admin",
        }
    }

    pub fn env(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Profile::Local => vec![],
            Profile::Static => vec![
                ("NODETOOL_SERVER_MODE", "private"),
                ("AUTH_PROVIDER", "static"),
                ("SERVER_AUTH_TOKEN", STATIC_TOKEN),
            ],
            Profile::ProductionAdmin => vec![
                ("ENV", "production"),
                ("NODETOOL_SERVER_MODE", "private"),
                ("AUTH_PROVIDER", "static"),
                ("SERVER_AUTH_TOKEN", STATIC_TOKEN),
                (
                    "SECRETS_MASTER_KEY",
                    "conformance-master-key-0123456789abcdef",
                ),
                ("ADMIN_TOKEN", ADMIN_TOKEN),
            ],
        }
    }
}

/// The runner binary: `NODETOOL_EDGE_BIN`, else the workspace's release build.
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("NODETOOL_EDGE_BIN") {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/nodetool-edge");
    assert!(
        p.exists(),
        "{} is missing: build it with `cargo build --release -p nodetool-edge-runner` (scripts/test does)",
        p.display()
    );
    p
}

/// One compile cache for every runner the suite starts (next to the binary, so a new build
/// gets new entries): each test's runner then starts in milliseconds instead of compiling the
/// component again. The tests of the cache itself pass their own directory.
pub fn shared_compile_cache() -> PathBuf {
    binary().with_file_name("nodetool-edge-compile-cache")
}

/// Collects the lines `rx` receives, from a thread of its own.
fn keep_lines(rx: mpsc::Receiver<String>) -> Arc<Mutex<Vec<String>>> {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let into = kept.clone();
    std::thread::spawn(move || {
        while let Ok(line) = rx.recv() {
            into.lock().unwrap().push(line);
        }
    });
    kept
}

/// A running `nodetool-edge` process, killed when dropped.
pub struct Runner {
    child: Child,
    pub base: String,
    /// Everything the runner printed on stdout up to and including its "Listening" line.
    pub banner: Vec<String>,
    /// What it printed on stdout after that (request logs in the JSON format).
    stdout: Arc<Mutex<Vec<String>>>,
    /// What it printed on stderr after that, read continuously so a chatty runner never blocks
    /// on a full pipe during a long test, and kept so a test can look for a panic.
    stderr: Arc<Mutex<Vec<String>>>,
}

/// A start-up the runner refused.
#[derive(Debug)]
pub struct Refusal {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Runner {
    /// Starts `nodetool-edge <args> --port 0` with a clean environment: `HOME`, `DB_PATH` and
    /// `NODETOOL_CONFIG_PATH` point into `dir` unless `env` says otherwise.
    pub fn try_start(args: &[&str], env: &[(&str, &str)], dir: &Path) -> Result<Runner, Refusal> {
        Runner::try_start_with(args, env, dir, |_| {})
    }

    /// [`Runner::try_start`], with a last say over the command (a `pre_exec` that sets resource
    /// limits, say) before it is spawned.
    pub fn try_start_with(
        args: &[&str],
        env: &[(&str, &str)],
        dir: &Path,
        customize: impl FnOnce(&mut Command),
    ) -> Result<Runner, Refusal> {
        let mut cmd = Command::new(binary());
        cmd.args(args)
            .args(["--port", "0"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("DB_PATH", dir.join("nodetool-edge.sqlite3"))
            .env("NODETOOL_CONFIG_PATH", dir.join("deployment.yaml"))
            .env("NODETOOL_EDGE_COMPILE_CACHE", shared_compile_cache())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // The instance isolation the whole suite runs in (CI runs it in both).
        if let Some(mode) = std::env::var_os("NODETOOL_EDGE_ISOLATION") {
            cmd.env("NODETOOL_EDGE_ISOLATION", mode);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        customize(&mut cmd);
        let mut child = cmd.spawn().expect("spawning nodetool-edge");
        let (tx, rx) = mpsc::channel();
        forward_lines(child.stdout.take().unwrap(), tx);
        let mut banner = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(line) => {
                    let addr = line.strip_prefix("Listening on ").map(str::to_string);
                    banner.push(line);
                    if let Some(base) = addr {
                        // Keep draining both pipes so the runner never blocks on a full one.
                        let stdout = keep_lines(rx);
                        let (etx, erx) = mpsc::channel();
                        forward_lines(child.stderr.take().unwrap(), etx);
                        let stderr = keep_lines(erx);
                        return Ok(Runner {
                            child,
                            base,
                            banner,
                            stdout,
                            stderr,
                        });
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    let mut stderr = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = e.read_to_string(&mut stderr);
                    }
                    return Err(Refusal {
                        code: status.and_then(|s| s.code()),
                        stdout: banner.join("\n"),
                        stderr,
                    });
                }
            }
        }
    }

    pub fn start(args: &[&str], env: &[(&str, &str)], dir: &Path) -> Runner {
        Runner::try_start(args, env, dir)
            .unwrap_or_else(|r| panic!("runner refused to start: {r:?}"))
    }

    /// [`Runner::try_start_with`], panicking on a refusal.
    pub fn start_with(
        args: &[&str],
        env: &[(&str, &str)],
        dir: &Path,
        customize: impl FnOnce(&mut Command),
    ) -> Runner {
        Runner::try_start_with(args, env, dir, customize)
            .unwrap_or_else(|r| panic!("runner refused to start: {r:?}"))
    }

    /// The process id, to read its memory use from /proc or signal it.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some` once the process has exited (crashed, say), without waiting.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The stdout lines printed after the banner so far.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// The stderr lines printed since start-up so far.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// The stderr lines once one of them contains `needle`, or after `wait` without one: the
    /// runner writes a line before it answers, but the thread that reads the pipe may not have
    /// seen it yet when the answer reaches the test.
    pub fn stderr_lines_once(&self, needle: &str, wait: Duration) -> Vec<String> {
        let until = std::time::Instant::now() + wait;
        loop {
            let lines = self.stderr_lines();
            if lines.iter().any(|l| l.contains(needle)) || std::time::Instant::now() >= until {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The lines of a Rust panic in what the runner printed on stderr (none expected, ever).
    pub fn panics(&self) -> Vec<String> {
        self.stderr
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("panicked"))
            .cloned()
            .collect()
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit; returns the exit code.
    pub fn terminate(mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().ok().and_then(|s| s.code())
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        // A failing test shows whether the runner was still up and what it last said on
        // stderr, as `ServerGroup` does for the other hosts.
        if std::thread::panicking()
            && let Ok(lines) = self.stderr.lock()
        {
            let from = lines.len().saturating_sub(TAIL_LINES);
            report("the runner", &mut self.child, lines[from..].iter());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a test talks to: a server it started (native or `wrangler dev`), or an external one.
pub struct Target {
    pub base: String,
    pub profile: Profile,
    pub token: Option<String>,
    pub admin_token: Option<String>,
    _server: Option<Server>,
}

impl Profile {
    /// The bearer token and admin token a client of this profile sends.
    fn tokens(self) -> (Option<String>, Option<String>) {
        match self {
            Profile::Local => (None, None),
            Profile::Static => (Some(STATIC_TOKEN.to_string()), None),
            Profile::ProductionAdmin => (
                Some(STATIC_TOKEN.to_string()),
                Some(ADMIN_TOKEN.to_string()),
            ),
        }
    }
}

impl Target {
    /// The server at `base`, which the caller started and keeps (a runner it restarts).
    pub fn at(base: &str, profile: Profile) -> Target {
        let (token, admin_token) = profile.tokens();
        Target {
            base: base.to_string(),
            profile,
            token,
            admin_token,
            _server: None,
        }
    }

    /// `None` when the suite runs against an external server of another profile: the caller
    /// skips.
    pub fn new(profile: Profile) -> Option<Target> {
        Target::with_env(profile, &[])
    }

    pub fn with_env(profile: Profile, extra: &[(&str, &str)]) -> Option<Target> {
        let (token, admin_token) = profile.tokens();
        if let Ok(base) = std::env::var("NODETOOL_EDGE_BASE_URL") {
            let wanted = std::env::var("NODETOOL_EDGE_PROFILE").unwrap_or_default();
            if wanted != profile.name() || !extra.is_empty() {
                eprintln!(
                    "skipped: needs profile {} (external server is {wanted:?})",
                    profile.name()
                );
                return None;
            }
            return Some(Target {
                base,
                profile,
                token: std::env::var("NODETOOL_EDGE_TOKEN").ok().or(token),
                admin_token: std::env::var("NODETOOL_EDGE_ADMIN_TOKEN")
                    .ok()
                    .or(admin_token),
                _server: None,
            });
        }
        let mut env = profile.env();
        env.extend_from_slice(extra);
        let server = Server::start(&env);
        Some(Target {
            base: server.base.clone(),
            profile,
            token,
            admin_token,
            _server: Some(server),
        })
    }

    /// A request with no credentials.
    pub fn anon(&self, method: &str, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Reply {
        request(&self.base, method, path, headers, body)
    }

    /// A request with the profile's bearer token (and admin token on admin paths).
    pub fn call(&self, method: &str, path: &str, body: &[u8]) -> Reply {
        let bearer = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, &[u8])> = vec![("Content-Type", b"application/json")];
        if let Some(b) = &bearer {
            headers.push(("Authorization", b.as_bytes()));
        }
        if let Some(a) = &self.admin_token
            && path.starts_with("/admin")
        {
            headers.push(("X-Admin-Token", a.as_bytes()));
        }
        request(&self.base, method, path, &headers, body)
    }

    pub fn get(&self, path: &str) -> Reply {
        self.call("GET", path, b"")
    }

    /// A request with `extra` headers plus the profile's bearer token and admin token, whatever
    /// the path.
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let bearer = self.token.as_ref().map(|tok| format!("Bearer {tok}"));
        let mut headers: Vec<(&str, &[u8])> =
            extra.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
        if let Some(b) = &bearer {
            headers.push(("Authorization", b.as_bytes()));
        }
        if let Some(a) = &self.admin_token {
            headers.push(("X-Admin-Token", a.as_bytes()));
        }
        self.anon(method, path, &headers, body)
    }
}
