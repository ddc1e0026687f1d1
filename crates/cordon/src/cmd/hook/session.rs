//! Per-session state that outlives each hook process.
//!
//! Claude Code starts one `cordon hook claude` per event, several at once when
//! the model calls tools in parallel. What one process learns (the session is
//! tainted, an ask is waiting for the user) must reach the next, so each
//! session has one JSON file, `<data dir>/sessions/<session_id>.json`, and every
//! process changes it the same way:
//!
//! 1. `flock` `<session_id>.lock` (exclusive; held only around read-modify-write),
//! 2. read the JSON (missing means a new session; unreadable means stop: fail closed),
//! 3. change it in memory,
//! 4. write `<session_id>.json.<pid>.tmp` and `rename` it over the file, so a
//!    reader never sees half a file and a crash leaves the old state whole.
//!
//! Old sessions are pruned ([`Store::prune`], run at each session's start and
//! end, never on the tool-call path): a session's files go once they have not
//! changed for [`KEEP_DAYS`] days. An ended session is kept until then, because
//! `claude --resume` brings it back with the same id and its taint must come
//! back too; a session resumed after its state was pruned is treated as
//! tainted (cordon no longer knows what it read). Pruning takes the session's
//! lock without waiting (a session in use is skipped), removes the state and
//! then the lock file while holding it; [`Store::update`] checks after
//! locking that the lock file it holds is still the one in the directory, and
//! starts over if it was removed meanwhile, so two processes never both think
//! they hold a session's lock.
//!
//! The session id comes from the agent's input, so it is checked before it
//! becomes part of a path: letters, digits, `-`, `_`, `.`, at most 128, not
//! starting with a dot.

use super::engine::SessionState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Session files unchanged for this many days are removed by [`Store::prune`].
pub const KEEP_DAYS: u64 = 30;
/// A crashed writer's temporary file is removed after this many seconds.
const STALE_TMP_SECS: u64 = 3600;

/// At most this many unanswered asks are remembered per session.
const MAX_PENDING: usize = 256;

/// Everything cordon keeps about one agent session.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HookState {
    /// The decision engine's state: taint and what it has seen.
    pub policy: SessionState,
    pub started_ns: u64,
    pub ended_ns: Option<u64>,
    pub counts: Counts,
    /// Asks sent to Claude Code, by `tool_use_id`, until the agent reports
    /// the tool ran, or the session ends (declined or abandoned).
    pub pending_asks: BTreeMap<String, PendingAsk>,
}

/// How many of each thing happened in the session.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Counts {
    pub pre_tool_use: u64,
    pub permission_requests: u64,
    pub post_tool_use: u64,
    pub prompts: u64,
    pub allow: u64,
    pub ask: u64,
    pub deny: u64,
    pub no_opinion: u64,
    /// Asks the agent later reported as run (a PostToolUse or
    /// PostToolUseFailure for the same `tool_use_id`): a person's yes as the
    /// agent tells it; cordon cannot see the answer itself.
    #[serde(alias = "approved_asks")]
    pub reported_asks: u64,
    pub flagged: u64,
}

/// An ask that Claude Code put to the user.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct PendingAsk {
    pub tool: String,
    pub reason: String,
    pub asked_ns: u64,
}

impl HookState {
    /// Remember an ask, forgetting the oldest beyond [`MAX_PENDING`].
    pub fn remember_ask(&mut self, tool_use_id: &str, ask: PendingAsk) {
        self.pending_asks.insert(tool_use_id.to_string(), ask);
        while self.pending_asks.len() > MAX_PENDING {
            let oldest = self
                .pending_asks
                .iter()
                .min_by_key(|(_, a)| a.asked_ns)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.pending_asks.remove(&k),
                None => break,
            };
        }
    }
}

/// Check that a session id is safe to use as a file name.
pub fn validate_id(id: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if id.is_empty() || id.len() > 128 || id.starts_with('.') || !id.chars().all(ok_char) {
        let shown: String = id.chars().take(40).collect();
        return Err(format!(
            "session_id {shown:?} is not a valid session id (letters, digits, '-', '_', '.', at most 128, not starting with '.')"
        ));
    }
    Ok(())
}

/// The directory of session files.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// Sessions under `<data_dir>/sessions`.
    pub fn new(data_dir: &Path) -> Self {
        Store {
            dir: data_dir.join("sessions"),
        }
    }

    /// Where a session's state lives.
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Whether cordon keeps anything for this session (its state or its lock).
    pub fn known(&self, id: &str) -> bool {
        self.path(id).exists() || self.dir.join(format!("{id}.lock")).exists()
    }

    /// Read, change and write one session's state under its lock.
    pub fn update<T>(
        &self,
        id: &str,
        change: impl FnOnce(&mut HookState) -> T,
    ) -> Result<T, String> {
        validate_id(id)?;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let lock = self
            .lock(id, true)?
            .ok_or("a blocking lock is always taken")?;
        let path = self.path(id);
        let mut state = read(&path)?;
        let out = change(&mut state);
        write(&path, &state)?;
        // The lock is released when `lock` is closed.
        drop(lock);
        Ok(out)
    }
}

impl Store {
    /// Take the session's lock (`wait`: block for it; else `None` when busy).
    fn lock(&self, id: &str, wait: bool) -> Result<Option<File>, String> {
        lock_file(&self.dir.join(format!("{id}.lock")), wait)
    }

    /// Remove the files of sessions unchanged for `keep` (state and lock,
    /// under the session's lock; busy sessions are skipped) and writers'
    /// temporary files left by a crash. Returns how many sessions were removed.
    /// Best effort: what cannot be removed now is tried again next time.
    pub fn prune(&self, keep: Duration) -> usize {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let old = |p: &Path, age: Duration| {
            fs::symlink_metadata(p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|e| e > age)
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let path = entry.path();
            if name.ends_with(".tmp") {
                if old(&path, Duration::from_secs(STALE_TMP_SECS)) {
                    let _ = fs::remove_file(&path);
                }
                continue;
            }
            let Some(id) = name.strip_suffix(".json") else {
                continue;
            };
            if validate_id(id).is_err() || !old(&path, keep) {
                continue;
            }
            let Ok(Some(lock)) = self.lock(id, false) else {
                continue;
            };
            // Checked again under the lock: an update may have just happened.
            if old(&path, keep) && fs::remove_file(&path).is_ok() {
                removed += 1;
                let _ = fs::remove_file(self.dir.join(format!("{id}.lock")));
            }
            drop(lock);
        }
        removed
    }
}

/// Take the exclusive `flock` on a session's lock file (`wait`: block for
/// it; else `None` when busy). A lock file removed by [`Store::prune`]
/// between our open and our lock is not the session's lock any more: open
/// the new one and try again. Anything else that changes a session's files
/// (the MCP gateway's shared taint) must lock it through here too.
pub(crate) fn lock_file(lock_path: &Path, wait: bool) -> Result<Option<File>, String> {
    use rustix::fs::FlockOperation::{LockExclusive, NonBlockingLockExclusive};
    loop {
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(lock_path)
            .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
        let op = if wait {
            LockExclusive
        } else {
            NonBlockingLockExclusive
        };
        match rustix::fs::flock(&lock, op) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) if !wait => return Ok(None),
            Err(e) => return Err(format!("cannot lock {}: {e}", lock_path.display())),
        }
        let held = rustix::fs::fstat(&lock)
            .map_err(|e| format!("cannot stat {}: {e}", lock_path.display()))?;
        match rustix::fs::stat(lock_path) {
            Ok(now) if (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino) => {
                return Ok(Some(lock))
            }
            Ok(_) | Err(rustix::io::Errno::NOENT) => continue,
            Err(e) => return Err(format!("cannot stat {}: {e}", lock_path.display())),
        }
    }
}

fn read(path: &Path) -> Result<HookState, String> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "session state {} is unreadable ({e}); remove it to start the session over",
                path.display()
            )
        }),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(HookState::default()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn write(path: &Path, state: &HookState) -> Result<(), String> {
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let bytes =
        serde_json::to_vec(state).map_err(|e| format!("cannot encode session state: {e}"))?;
    let result = (|| {
        let mut f: File = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&bytes)?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_could_leave_the_directory_are_refused() {
        for bad in [
            "",
            "..",
            "../x",
            "a/b",
            ".hidden",
            "a\0b",
            "x y",
            &"a".repeat(129),
        ] {
            assert!(validate_id(bad).is_err(), "{bad:?}");
        }
        for good in ["9f1c2c3e-7a4b-4c3e-9a51-0d2f6c8e1b7a", "s1", "a.b_c-d"] {
            validate_id(good).unwrap();
        }
    }

    #[test]
    fn state_persists_and_a_corrupt_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.update("s1", |s| s.counts.allow += 2).unwrap();
        store.update("s1", |s| s.counts.allow += 1).unwrap();
        assert_eq!(store.update("s1", |s| s.clone()).unwrap().counts.allow, 3);
        fs::write(store.path("s1"), b"{oops").unwrap();
        let e = store.update("s1", |_| ()).unwrap_err();
        assert!(e.contains("unreadable"), "{e}");
    }

    #[test]
    fn concurrent_updates_are_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        store
                            .update("busy", |s| s.counts.pre_tool_use += 1)
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(
            store
                .update("busy", |s| s.clone())
                .unwrap()
                .counts
                .pre_tool_use,
            400
        );
    }

    #[test]
    fn old_sessions_are_pruned_and_busy_or_recent_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        for id in ["old", "busy", "new"] {
            store.update(id, |s| s.counts.prompts += 1).unwrap();
        }
        let tmp = store.dir.join("old.json.999.tmp");
        fs::write(&tmp, b"{}").unwrap();
        let past = std::time::SystemTime::now() - Duration::from_secs(40 * 86400);
        for f in ["old.json", "busy.json", "old.json.999.tmp"] {
            File::options()
                .write(true)
                .open(store.dir.join(f))
                .unwrap()
                .set_modified(past)
                .unwrap();
        }
        let held = store.lock("busy", true).unwrap().unwrap();
        assert_eq!(store.prune(Duration::from_secs(KEEP_DAYS * 86400)), 1);
        assert!(!store.path("old").exists());
        assert!(!store.dir.join("old.lock").exists());
        assert!(!tmp.exists());
        assert!(store.path("busy").exists(), "a session in use is kept");
        assert!(store.path("new").exists(), "a recent session is kept");
        drop(held);
        // A pruned session starts over; the lock still works.
        assert_eq!(store.update("old", |s| s.counts.prompts).unwrap(), 0);
    }

    #[test]
    fn pruning_while_others_update_loses_no_update() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.update("s", |_| ()).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let pruner = {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // Everything counts as old: prune removes the session whenever it can.
                    store.prune(Duration::ZERO);
                }
            })
        };
        let inside = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (store, inside) = (store.clone(), inside.clone());
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        store
                            .update("s", |s| {
                                // Never two holders of the session's lock at once,
                                // even while prune removes and recreates the lock file.
                                assert!(!inside.swap(true, std::sync::atomic::Ordering::SeqCst));
                                s.counts.pre_tool_use += 1;
                                std::thread::yield_now();
                                inside.store(false, std::sync::atomic::Ordering::SeqCst);
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        pruner.join().unwrap();
    }

    #[test]
    fn pending_asks_are_bounded() {
        let mut s = HookState::default();
        for i in 0..(MAX_PENDING as u64 + 10) {
            s.remember_ask(
                &format!("t{i}"),
                PendingAsk {
                    asked_ns: i,
                    ..Default::default()
                },
            );
        }
        assert_eq!(s.pending_asks.len(), MAX_PENDING);
        assert!(!s.pending_asks.contains_key("t0"));
    }
}
