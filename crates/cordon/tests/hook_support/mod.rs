//! Shared helpers for the `cordon hook claude` / `cordon init claude` tests:
//! a throwaway home, workspace and data directory, and a way to feed one
//! fixture event to the real binary.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_cordon");

#[path = "../common/stdin.rs"]
mod stdin;
pub use stdin::output_with_stdin;

/// One isolated environment: nothing is read from or written to the real home.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub session: String,
    pub extra: Vec<(String, String)>,
    pub args: Vec<String>,
}

/// What one hook process did.
#[derive(Debug)]
pub struct Reply {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Reply {
    /// stdout as JSON (panics with the whole reply if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
    /// The PreToolUse decision, checking the documented shape on the way.
    pub fn decision(&self) -> String {
        assert_eq!(self.code, 0, "{self:?}");
        let v = self.json();
        let h = &v["hookSpecificOutput"];
        assert_eq!(h["hookEventName"], "PreToolUse", "{self:?}");
        let reason = h["permissionDecisionReason"].as_str().unwrap_or_default();
        assert!(
            reason.starts_with("cordon"),
            "reason should say who decided: {self:?}"
        );
        let d = h["permissionDecision"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(["allow", "ask", "deny"].contains(&d.as_str()), "{self:?}");
        d
    }
    pub fn reason(&self) -> String {
        self.json()["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        for d in ["ws/src", "home/.ssh", "data", "xdg"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("ws/src/main.rs"), "fn main() {}\n").unwrap();
        std::fs::write(
            dir.path().join("home/.ssh/id_rsa"),
            "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        )
        .unwrap();
        Env {
            dir,
            session: "3f6c1d0a-8e2b-4c7d-9a51-0d2f6c8e1b7a".into(),
            extra: vec![],
            args: vec![],
        }
    }
    pub fn ws(&self) -> PathBuf {
        self.dir.path().join("ws")
    }
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    pub fn state_file(&self) -> PathBuf {
        self.data()
            .join("sessions")
            .join(format!("{}.json", self.session))
    }
    /// The session's state as JSON.
    pub fn state(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.state_file()).unwrap()).unwrap()
    }

    /// A fixture with its placeholders filled in.
    pub fn fixture(&self, name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/claude")
            .join(name);
        let raw =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        raw.replace("@WS@", self.ws().to_str().unwrap())
            .replace("@HOME@", self.home().to_str().unwrap())
            .replace("@SESSION@", &self.session)
    }

    /// The command line environment of one hook process.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .args(&self.args)
            .current_dir(self.ws())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("CORDON_DATA_DIR", self.data())
            .env("CLAUDE_PROJECT_DIR", self.ws());
        for (k, v) in &self.extra {
            c.env(k, v);
        }
        c
    }

    /// Run `cordon hook claude` with these bytes on stdin.
    pub fn send_bytes(&self, input: &[u8]) -> Reply {
        let out = output_with_stdin(self.command(&["hook", "claude"]), input);
        Reply {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).trim().to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        }
    }

    /// Run `cordon hook claude` on a fixture.
    pub fn send(&self, fixture: &str) -> Reply {
        self.send_bytes(self.fixture(fixture).as_bytes())
    }

    /// Run `cordon hook claude` on a JSON value.
    pub fn send_json(&self, v: &Value) -> Reply {
        self.send_bytes(v.to_string().as_bytes())
    }

    /// A fixture as JSON, to edit before sending.
    pub fn event(&self, fixture: &str) -> Value {
        serde_json::from_str(&self.fixture(fixture)).unwrap()
    }
}

/// One journal record, as the tests look at it.
#[derive(Debug, Clone)]
pub struct Rec {
    pub session: String,
    pub source: String,
    pub kind: String,
    pub payload: Value,
}

impl Env {
    /// Every record in this environment's journal, oldest first; the chain must verify.
    pub fn journal(&self) -> Vec<Rec> {
        let j = cordon_audit::Journal::open_read_only(&self.data()).unwrap();
        let report = j.verify().unwrap();
        assert!(report.ok(), "{report}");
        j.records(&cordon_audit::Filter::default())
            .unwrap()
            .into_iter()
            .map(|r| Rec {
                payload: r.payload_json(),
                session: r.session,
                source: r.source,
                kind: r.kind,
            })
            .collect()
    }
}
