//! A server process started in a process group of its own (`wrangler dev`, `spin up`): waiting
//! for the line that says it is ready, keeping the last lines it prints, and taking the whole
//! group down with it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// Lines of the server's output kept for a failing test to show.
pub const TAIL_LINES: usize = 20;

/// A server in a process group of its own, killed with its group when dropped. When the test
/// is failing, the drop first prints whether the server was still running and the last lines
/// it printed (each starting with `[server] `, which scripts/summarize keeps): a test that saw
/// the connection close can then tell a crash from a slow answer.
pub struct ServerGroup {
    child: Child,
    what: &'static str,
    tail: Arc<Mutex<VecDeque<String>>>,
}

impl ServerGroup {
    /// Reads the child's output until a line contains `marker`; returns the server and what
    /// follows the marker on that line (the address it serves). Its output keeps being read
    /// afterwards, so it never blocks on a full pipe. If it exits or says nothing of the kind
    /// in two minutes, the group is killed and the test fails with everything it printed.
    pub fn wait_ready(mut child: Child, marker: &str, what: &'static str) -> (ServerGroup, String) {
        let (tx, rx) = mpsc::channel();
        forward_lines(child.stdout.take().unwrap(), tx.clone());
        forward_lines(child.stderr.take().unwrap(), tx);
        let mut seen = Vec::new();
        loop {
            let line = match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(line) => line,
                Err(_) => {
                    kill_group(&mut child);
                    panic!("{what} did not get ready:\n{}", seen.join("\n"));
                }
            };
            if let Some(at) = line.find(marker) {
                let rest = line[at + marker.len()..].trim().to_string();
                let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
                let into = tail.clone();
                std::thread::spawn(move || {
                    while let Ok(line) = rx.recv() {
                        let mut tail = into.lock().unwrap();
                        if tail.len() == TAIL_LINES {
                            tail.pop_front();
                        }
                        tail.push_back(line);
                    }
                });
                return (ServerGroup { child, what, tail }, rest);
            }
            seen.push(line);
        }
    }
}

impl Drop for ServerGroup {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Ok(tail) = self.tail.lock()
        {
            report(self.what, &mut self.child, tail.iter());
        }
        kill_group(&mut self.child);
    }
}

/// For a failing test: whether the server `child` was still running, and `lines`, the last
/// it printed, each starting with `[server] `.
pub fn report<'a>(what: &str, child: &mut Child, lines: impl Iterator<Item = &'a String>) {
    let state = match child.try_wait() {
        Ok(Some(status)) => format!("had exited ({status})"),
        _ => "was still running".to_string(),
    };
    eprintln!("[server] {what} {state}; the last lines it printed:");
    for line in lines {
        eprintln!("[server] {line}");
    }
}

/// Kills the child's process group (it was started with `process_group(0)`) and reaps it.
pub fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
}

/// Sends each line `stream` prints to `tx`, from a thread of its own, until either side closes.
pub fn forward_lines(stream: impl Read + Send + 'static, tx: mpsc::Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
}
