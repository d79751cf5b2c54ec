//! The `auth0-local` binary run as another process, for the tests that
//! start it (`binary.rs`, `tls_product.rs`).

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The child process, killed when the test ends however it ends.
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "auth0-local-tls-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a run of the binary printed up to `ready` (or its end), and the
/// process if it got there.
pub(crate) struct Started {
    pub(crate) printed: String,
    pub(crate) running: Option<Running>,
    pub(crate) stderr: String,
}

pub(crate) fn start_binary(args: &[&str], env: &[(&str, &Path)]) -> Started {
    let mut command = Command::new(env!("CARGO_BIN_EXE_auth0-local"));
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let mut running = Running(child);
    let mut printed = String::new();
    let mut ready = false;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line == "ready" {
            ready = true;
            break;
        }
        printed.push_str(&line);
        printed.push('\n');
    }
    let mut stderr = String::new();
    if !ready {
        let _ = running.0.wait();
        let _ = stderr_pipe.read_to_string(&mut stderr);
    }
    Started {
        printed,
        running: ready.then_some(running),
        stderr,
    }
}
