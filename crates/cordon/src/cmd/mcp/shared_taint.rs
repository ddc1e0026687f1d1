//! Taint shared by the gateways of one agent, and with its Claude Code hook.
//!
//! An agent runs one `cordon mcp` per server. Text injected through one server
//! may steer the agent to send data out through another, so when a gateway
//! flags content it records the taint where its sibling gateways (same parent
//! process, same parent start time) read it before each decision:
//! `<data dir>/mcp/sessions/<ppid>-<start>.json`, changed under `flock`.
//!
//! The same agent's `cordon hook claude` keeps its own state per Claude Code
//! session (`<data dir>/sessions/<session_id>.json`), and nothing a gateway
//! is given names that session: Claude Code tells MCP servers neither its
//! session id nor anything the hook could match. When the user names it, with
//! `CORDON_HOOK_SESSION` in the gateway's environment (set it to the id given
//! to `claude -p --session-id ID`, or to the Agent SDK's `session_id`), the
//! gateway also reads the hook session's taint before each decision and adds
//! its own to it, under the hook's lock, keeping every other field the hook
//! stores. Taint then flows both ways: the hook's next decision sees what a
//! gateway flagged, and a gateway's what the hook flagged.

use crate::exit::Failure;
use cordon_policy::SessionState;
use serde_json::Value;
use std::fs;
use std::path::PathBuf;

/// Names the Claude Code session whose hook state a gateway shares taint with.
pub const HOOK_SESSION_ENV: &str = "CORDON_HOOK_SESSION";

/// The file of this process's agent, if its parent can be identified.
pub fn path() -> Option<PathBuf> {
    let ppid = rustix::process::getppid()?.as_raw_nonzero().get();
    let start = start_time(&ppid.to_string())?;
    Some(
        crate::paths::data_dir()
            .join("mcp/sessions")
            .join(format!("{ppid}-{start}.json")),
    )
}

/// A state file shared under a lock: where the policy state sits in it
/// (`None`: the whole file, `Some(field)`: one field, the rest kept as is).
#[derive(Debug, Clone)]
pub struct SharedFile {
    path: PathBuf,
    lock: PathBuf,
    field: Option<&'static str>,
}

impl SharedFile {
    /// The agent's file (see [`path`]).
    pub fn agent(path: PathBuf) -> SharedFile {
        SharedFile {
            lock: path.with_extension("lock"),
            path,
            field: None,
        }
    }

    /// The hook session named by `$CORDON_HOOK_SESSION`, if set. An id that
    /// could leave the sessions directory is refused (exit 2).
    pub fn hook_from_env() -> Result<Option<SharedFile>, Failure> {
        let Some(id) = std::env::var_os(HOOK_SESSION_ENV) else {
            return Ok(None);
        };
        let id = id.to_string_lossy();
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if id.is_empty() || id.len() > 128 || id.starts_with('.') || !id.chars().all(ok) {
            return Err(Failure::usage(format!(
                "${HOOK_SESSION_ENV} {id:?} is not a session id"
            ))
            .hint("set it to the Claude Code session id (letters, digits, '-', '_', '.'), or unset it"));
        }
        let dir = crate::paths::data_dir().join("sessions");
        Ok(Some(SharedFile {
            path: dir.join(format!("{id}.json")),
            lock: dir.join(format!("{id}.lock")),
            field: Some("policy"),
        }))
    }

    /// The policy state in the file now (default if there is none yet).
    pub fn read(&self) -> Result<SessionState, String> {
        let v = match fs::read(&self.path) {
            Ok(b) => serde_json::from_slice::<Value>(&b)
                .map_err(|e| format!("{} is unreadable: {e}", self.path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
            Err(e) => return Err(format!("cannot read {}: {e}", self.path.display())),
        };
        let slot = match self.field {
            Some(f) => v.get(f).cloned().unwrap_or(Value::Null),
            None => v,
        };
        if slot.is_null() {
            return Ok(SessionState::default());
        }
        serde_json::from_value(slot).map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// Read, change and write the policy state under the file's lock.
    pub fn update(&self, change: impl FnOnce(&mut SessionState)) -> Result<(), String> {
        let lock = if self.field.is_some() {
            // A hook session's file: take the hook's own lock, which re-checks
            // after flock that the lock file is still the one on disk (the
            // hook's pruner may have replaced it meanwhile).
            crate::cmd::hook::session::lock_file(&self.lock, true)?
                .ok_or_else(|| format!("cannot lock {}", self.lock.display()))?
        } else {
            cordon_mcp::pin::lock_exclusive(&self.lock)?
        };
        let mut st = self.read()?;
        change(&mut st);
        let st = serde_json::to_value(&st).map_err(|e| e.to_string())?;
        let whole = match self.field {
            None => st,
            Some(f) => {
                let mut v: Value = match fs::read(&self.path) {
                    Ok(b) => serde_json::from_slice(&b).map_err(|e| e.to_string())?,
                    Err(_) => Value::Object(Default::default()),
                };
                let Some(o) = v.as_object_mut() else {
                    return Err(format!("{} is not a JSON object", self.path.display()));
                };
                o.insert(f.to_string(), st);
                v
            }
        };
        let bytes = serde_json::to_vec(&whole).map_err(|e| e.to_string())?;
        cordon_mcp::pin::write_private(&self.path, &bytes)?;
        // The lock is released when `lock` is closed.
        drop(lock);
        Ok(())
    }
}

/// Take in the taint another holder recorded.
pub fn merge_into(own: &mut SessionState, shared: &SessionState) {
    for t in &shared.taint_sources {
        own.taint(&t.source, &t.detail);
    }
}

/// The start time (field 22 of `/proc/PID/stat`) of a running process.
fn start_time(pid: &str) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Counted from after the command name's closing parenthesis.
    Some(
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(19)?
            .to_string(),
    )
}

/// Remove the files of agents that have ended (no process with that id and
/// start time), so taint does not pile up; called when a gateway starts.
pub fn sweep() {
    let dir = crate::paths::data_dir().join("mcp/sessions");
    let Ok(rd) = fs::read_dir(&dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let Some(stem) = p.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let Some((pid, start)) = stem.split_once('-') else {
            continue;
        };
        if start_time(pid).as_deref() != Some(start) {
            let _ = fs::remove_file(&p);
        }
    }
}
