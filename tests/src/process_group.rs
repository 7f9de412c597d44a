//! A server process started in a process group of its own (`wrangler dev`, `spin up`): waiting
//! for the line that says it is ready, and taking the whole group down with it.

use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::Duration;

use crate::runner::forward_lines;

/// Reads the child's output until a line contains `marker` and returns what follows it on that
/// line (the address it serves). Its output keeps being drained afterwards, so it never blocks
/// on a full pipe. If it exits or says nothing of the kind in two minutes, the group is killed
/// and the test fails with everything it printed.
pub fn wait_ready(child: &mut Child, marker: &str, what: &str) -> String {
    let (tx, rx) = mpsc::channel();
    forward_lines(child.stdout.take().unwrap(), tx.clone());
    forward_lines(child.stderr.take().unwrap(), tx);
    let mut seen = Vec::new();
    loop {
        let line = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => line,
            Err(_) => {
                kill_group(child);
                panic!("{what} did not get ready:\n{}", seen.join("\n"));
            }
        };
        if let Some(at) = line.find(marker) {
            let rest = line[at + marker.len()..].trim().to_string();
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return rest;
        }
        seen.push(line);
    }
}

/// Kills the child's process group (it was started with `process_group(0)`) and reaps it.
pub fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
}
