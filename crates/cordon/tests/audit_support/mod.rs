//! Helpers shared by the `audit_*` integration tests: run the real binary
//! against a fresh data directory.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_cordon");

/// A fresh data directory for one test.
pub struct Data {
    pub tmp: tempfile::TempDir,
}

impl Data {
    pub fn new() -> Data {
        Data {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    pub fn db(&self) -> PathBuf {
        self.dir().join("journal.db")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("CORDON_DATA_DIR", self.dir())
            .env("HOME", self.tmp.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME");
        // Exports to 127.0.0.1 must not detour through a proxy from the environment.
        for v in [
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
        ] {
            c.env_remove(v);
        }
        c
    }

    /// Run with `stdin` fed in; returns the output.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The command may exit before reading its input (a refusal): ignore EPIPE.
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        child.wait_with_output().unwrap()
    }

    /// Run and require exit 0; returns stdout.
    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let o = self.run(args, stdin);
        assert!(
            o.status.success(),
            "cordon {args:?} failed: {:?}\nstdout: {}\nstderr: {}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    /// Append whole events (JSON objects, one per line).
    pub fn append_events(&self, lines: &[serde_json::Value]) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        self.ok(&["audit", "append"], &text);
    }

    /// `cordon audit verify --json` parsed, with the exit code.
    pub fn verify(&self, extra: &[&str]) -> (i32, serde_json::Value) {
        let mut args = vec!["audit", "verify", "--json"];
        args.extend_from_slice(extra);
        let o = self.run(&args, "");
        let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
            panic!(
                "verify printed no JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        });
        (o.status.code().unwrap_or(-1), v)
    }

    /// Every record, via `cordon audit list --json`.
    pub fn records(&self) -> Vec<serde_json::Value> {
        self.ok(&["audit", "list", "--json"], "")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Run a Python snippet against the journal database (`db` is its path).
    pub fn sql(&self, script: &str) {
        python(&format!(
            "import sqlite3\ndb = sqlite3.connect({:?})\n{script}\ndb.commit()\ndb.close()\n",
            self.db().to_str().unwrap()
        ));
    }
}

/// Run python3 with a script; panics on failure.
pub fn python(script: &str) -> String {
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .output()
        .expect("python3 is needed by the audit tests");
    assert!(
        o.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A decision event line for `cordon audit append`.
pub fn decision(
    session: &str,
    source: &str,
    kind: &str,
    payload: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({"session": session, "source": source, "kind": kind, "payload": payload})
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
