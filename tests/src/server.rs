//! A server started for one test, on the host the suite runs against: the native runner (the
//! default), `wrangler dev` (`NODETOOL_EDGE_HOST=wrangler`, as scripts/test-cloudflare sets) or
//! `spin up` (`NODETOOL_EDGE_HOST=spin`, as scripts/test-spin sets).

use crate::runner::Runner;
use crate::spin::SpinUp;
use crate::wrangler::WranglerDev;

/// What serves the component in this run of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// `nodetool-edge serve`: wasmtime and SQLite.
    Native,
    /// `wrangler dev`: workerd and its local KV.
    Wrangler,
    /// `spin up`: Spin's runtime and its default key-value store.
    Spin,
}

impl Host {
    pub fn current() -> Host {
        match std::env::var("NODETOOL_EDGE_HOST").as_deref() {
            Err(_) | Ok("") | Ok("native") => Host::Native,
            Ok("wrangler") => Host::Wrangler,
            Ok("spin") => Host::Spin,
            Ok(other) => panic!("NODETOOL_EDGE_HOST={other:?}: expected native, wrangler or spin"),
        }
    }
}

/// The suite points at a server it did not start (`NODETOOL_EDGE_BASE_URL`).
fn external() -> bool {
    std::env::var_os("NODETOOL_EDGE_BASE_URL").is_some()
}

/// True, with a line saying so (scripts/summarize counts them), when the suite points at a
/// server it did not start: a test that needs a configuration of its own skips.
pub fn skip_when_external() -> bool {
    let skip = external();
    if skip {
        eprintln!("skipped: this test starts a server with settings of its own");
    }
    skip
}

/// True, with a line saying so, when a test that drives the native runner itself (its CLI, its
/// flags, restarts, process isolation) should skip because the suite targets another host.
pub fn skip_unless_native() -> bool {
    let skip = external() || Host::current() != Host::Native;
    if skip {
        eprintln!("skipped: this test drives the native runner itself");
    }
    skip
}

/// Kept only to be dropped with the server, which stops it.
enum Process {
    Native {
        _runner: Runner,
        _dir: tempfile::TempDir,
    },
    Wrangler {
        _dev: WranglerDev,
    },
    Spin {
        _up: SpinUp,
    },
}

/// A running server with exactly the given configuration and empty storage.
pub struct Server {
    pub base: String,
    _process: Process,
}

impl Server {
    /// A native runner the caller started in `dir` (after preparing its database, say).
    pub fn native(runner: Runner, dir: tempfile::TempDir) -> Server {
        Server {
            base: runner.base.clone(),
            _process: Process::Native {
                _runner: runner,
                _dir: dir,
            },
        }
    }

    pub fn start(env: &[(&str, &str)]) -> Server {
        match Host::current() {
            Host::Native => {
                let dir = tempfile::tempdir().unwrap();
                let runner = Runner::start(&["serve"], env, dir.path());
                Server::native(runner, dir)
            }
            Host::Wrangler => {
                let dev = WranglerDev::start(env);
                Server {
                    base: dev.base.clone(),
                    _process: Process::Wrangler { _dev: dev },
                }
            }
            Host::Spin => {
                let up = SpinUp::start(env);
                Server {
                    base: up.base.clone(),
                    _process: Process::Spin { _up: up },
                }
            }
        }
    }
}
