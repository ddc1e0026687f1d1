//! The head anchor: the last committed sequence number and hash, kept in a
//! small file beside the database so that cutting records off the tail (or
//! restoring an older copy of the database) is detected.
//!
//! Writers update it after each commit, under an exclusive `flock` on
//! `head.lock`, and only forwards (a writer that committed earlier but arrives
//! later leaves a newer anchor alone). The file is replaced atomically
//! (write `head.tmp`, rename), so a writer killed mid-update leaves either the
//! old or the new anchor.
use crate::{hex, unhex32, AuditError};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &str = "cordon-audit-head v1";

/// What the anchor file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub journal_id: String,
    pub seq: u64,
    pub hash: [u8; 32],
}

impl Anchor {
    fn encode(&self) -> String {
        format!(
            "{MAGIC}\n{}\n{}\n{}\n",
            self.journal_id,
            self.seq,
            hex(&self.hash)
        )
    }

    fn decode(text: &str) -> Option<Anchor> {
        let mut lines = text.lines();
        if lines.next()? != MAGIC {
            return None;
        }
        let journal_id = lines.next()?.to_string();
        let seq = lines.next()?.parse().ok()?;
        let hash = unhex32(lines.next()?)?;
        Some(Anchor {
            journal_id,
            seq,
            hash,
        })
    }
}

/// The anchor files of one journal directory.
#[derive(Debug)]
pub struct AnchorFile {
    path: PathBuf,
    tmp: PathBuf,
    lock: Option<File>,
}

/// Result of reading the anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorRead {
    Missing,
    Unreadable(String),
    Found(Anchor),
}

impl AnchorFile {
    /// For writers: opens (creates) the lock file, which also proves the directory is writable.
    pub fn open_rw(dir: &Path) -> Result<AnchorFile, AuditError> {
        let lock_path = dir.join("head.lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| AuditError::io("write", &lock_path, &e))?;
        Ok(AnchorFile {
            path: dir.join("head"),
            tmp: dir.join("head.tmp"),
            lock: Some(lock),
        })
    }

    /// For readers.
    pub fn open_ro(dir: &Path) -> AnchorFile {
        AnchorFile {
            path: dir.join("head"),
            tmp: dir.join("head.tmp"),
            lock: None,
        }
    }

    pub fn read(&self) -> AnchorRead {
        match std::fs::read_to_string(&self.path) {
            Ok(t) => match Anchor::decode(&t) {
                Some(a) => AnchorRead::Found(a),
                None => {
                    AnchorRead::Unreadable(format!("{} is not a head anchor", self.path.display()))
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => AnchorRead::Missing,
            Err(e) => AnchorRead::Unreadable(format!("{}: {e}", self.path.display())),
        }
    }

    /// Move the anchor forward to `new` (no-op if it already is at or past `new.seq`).
    /// With `force`, replace it whatever it says (used when the journal is created).
    pub fn advance(&self, new: &Anchor, force: bool) -> Result<(), AuditError> {
        let Some(lock) = &self.lock else {
            return Ok(());
        };
        let _guard = FlockGuard::lock(lock).map_err(|e| AuditError::io("lock", &self.path, &e))?;
        if !force {
            if let AnchorRead::Found(cur) = self.read() {
                if cur.journal_id == new.journal_id && cur.seq >= new.seq {
                    return Ok(());
                }
            }
        }
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&self.tmp)?;
            f.write_all(new.encode().as_bytes())?;
            drop(f);
            std::fs::rename(&self.tmp, &self.path)
        };
        write().map_err(|e| AuditError::io("write the head anchor", &self.path, &e))
    }
}

struct FlockGuard<'a>(&'a File);

impl<'a> FlockGuard<'a> {
    fn lock(f: &'a File) -> std::io::Result<Self> {
        loop {
            match rustix::fs::flock(f, rustix::fs::FlockOperation::LockExclusive) {
                Ok(()) => return Ok(FlockGuard(f)),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Drop for FlockGuard<'_> {
    fn drop(&mut self) {
        let _ = rustix::fs::flock(self.0, rustix::fs::FlockOperation::Unlock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_moves_forward() {
        let dir = tempfile::tempdir().unwrap();
        let a = AnchorFile::open_rw(dir.path()).unwrap();
        assert_eq!(a.read(), AnchorRead::Missing);
        let at = |seq| Anchor {
            journal_id: "j".into(),
            seq,
            hash: [seq as u8; 32],
        };
        a.advance(&at(5), false).unwrap();
        a.advance(&at(3), false).unwrap();
        assert_eq!(a.read(), AnchorRead::Found(at(5)));
        a.advance(&at(2), true).unwrap();
        assert_eq!(a.read(), AnchorRead::Found(at(2)));
    }
}
