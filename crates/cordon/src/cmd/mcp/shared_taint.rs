//! Taint shared by the gateways of one agent.
//!
//! An agent runs one `cordon mcp` per server. Text injected through one server
//! may steer the agent to send data out through another, so when a gateway
//! flags content it records the taint where its sibling gateways (same parent
//! process, same parent start time) read it before each decision:
//! `<data dir>/mcp/sessions/<ppid>-<start>.json`, changed under `flock`.

use cordon_policy::SessionState;
use std::fs::{self, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;

/// The file of this process's agent, if its parent can be identified.
pub fn path() -> Option<PathBuf> {
    let ppid = rustix::process::getppid()?.as_raw_nonzero().get();
    let stat = fs::read_to_string(format!("/proc/{ppid}/stat")).ok()?;
    // Field 22 (start time) counts from after the command name's closing parenthesis.
    let start = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .to_string();
    Some(
        crate::paths::data_dir()
            .join("mcp/sessions")
            .join(format!("{ppid}-{start}.json")),
    )
}

/// Read, change and write the shared state under its lock; errors are for a warning.
pub fn update(
    path: &PathBuf,
    change: impl FnOnce(&mut SessionState),
) -> Result<SessionState, String> {
    let dir = path.parent().ok_or("no parent directory")?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path.with_extension("lock"))
        .map_err(|e| format!("cannot open the lock of {}: {e}", path.display()))?;
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    let mut st: SessionState = match fs::read(path) {
        Ok(b) => serde_json::from_slice(&b).unwrap_or_default(),
        Err(_) => SessionState::default(),
    };
    change(&mut st);
    let bytes = serde_json::to_vec(&st).map_err(|e| e.to_string())?;
    cordon_mcp::pin::write_private(path, &bytes)?;
    Ok(st)
}

/// Take in the taint sibling gateways recorded.
pub fn merge_into(own: &mut SessionState, shared: &SessionState) {
    for t in &shared.taint_sources {
        own.taint(&t.source, &t.detail);
    }
}
