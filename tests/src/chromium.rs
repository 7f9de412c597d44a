//! A real headless Chromium (Debian's `chromium`, which scripts/test installs, or
//! `NODETOOL_EDGE_CHROMIUM`), for tests of what a page or a browser origin sees. Names under
//! `.test` resolve to loopback inside it, so a page can have a foreign origin while everything
//! stays on this machine.

use std::process::{Child, Command, Stdio};

/// A headless browser with a profile of its own, removed with it.
pub struct Chromium {
    binary: String,
    profile: tempfile::TempDir,
}

impl Chromium {
    pub fn new() -> Chromium {
        Chromium {
            binary: std::env::var("NODETOOL_EDGE_CHROMIUM").unwrap_or_else(|_| "chromium".into()),
            profile: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self, extra: &[&str], url: &str) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--host-resolver-rules=MAP *.test 127.0.0.1",
        ])
        .arg(format!("--user-data-dir={}", self.profile.path().display()))
        .args(extra)
        .arg(url);
        cmd
    }

    fn missing(&self, e: std::io::Error) -> ! {
        panic!(
            "{} could not start ({e}): scripts/test installs Debian's chromium",
            self.binary
        )
    }

    /// The page at `url` as the browser leaves it once its scripts have run.
    pub fn rendered(&self, url: &str) -> String {
        let out = self
            .command(&["--virtual-time-budget=10000", "--dump-dom"], url)
            .output()
            .unwrap_or_else(|e| self.missing(e));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Shows `url` until the returned page is dropped.
    pub fn open(self, url: &str) -> OpenPage {
        let child = self
            .command(&[], url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| self.missing(e));
        OpenPage {
            child,
            _browser: self,
        }
    }
}

impl Default for Chromium {
    fn default() -> Chromium {
        Chromium::new()
    }
}

/// A page a browser shows; the browser is stopped when this is dropped.
pub struct OpenPage {
    child: Child,
    /// Its profile outlives the process.
    _browser: Chromium,
}

impl Drop for OpenPage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
