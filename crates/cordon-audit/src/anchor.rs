//! The head anchor: the last committed sequence number and hash, kept in a
//! small file beside the database so that cutting records off the tail (or
//! restoring an older copy of the database) is detected.
//!
//! Writers update it after each commit, under an exclusive `flock` on the
//! file, and only forwards (a writer that committed earlier but arrives later
//! leaves a newer anchor alone; an anchor naming another journal is left as
//! evidence). Every anchor has the same length and is written in place with
//! one `pwrite` (no rename: that costs a third of an append on ext4), so a
//! writer killed mid-update leaves either the old or the new anchor. Readers
//! take a shared lock.
use crate::{hex, unhex32, AuditError};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
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
        // Fixed width (seq padded to 20 digits) so every write covers the whole file.
        format!(
            "{MAGIC}\n{}\n{:020}\n{}\n",
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

/// The anchor file of one journal directory.
#[derive(Debug)]
pub struct AnchorFile {
    path: PathBuf,
    /// Open read-write for writers.
    file: Option<File>,
}

/// Result of reading the anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorRead {
    Missing,
    Unreadable(String),
    Found(Anchor),
}

impl AnchorFile {
    /// For writers: opens (creates) the anchor, which also proves the directory is writable.
    pub fn open_rw(dir: &Path) -> Result<AnchorFile, AuditError> {
        let path = dir.join("head");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| AuditError::io("write", &path, &e))?;
        Ok(AnchorFile {
            path,
            file: Some(file),
        })
    }

    /// For readers.
    pub fn open_ro(dir: &Path) -> AnchorFile {
        AnchorFile {
            path: dir.join("head"),
            file: None,
        }
    }

    fn read_from(&self, f: &File) -> AnchorRead {
        let mut buf = vec![0u8; 512];
        let n = match f.read_at(&mut buf, 0) {
            Ok(n) => n,
            Err(e) => return AnchorRead::Unreadable(format!("{}: {e}", self.path.display())),
        };
        if n == 0 {
            // Created by a writer that has not committed anything yet.
            return AnchorRead::Missing;
        }
        match std::str::from_utf8(&buf[..n]).ok().and_then(Anchor::decode) {
            Some(a) => AnchorRead::Found(a),
            None => AnchorRead::Unreadable(format!("{} is not a head anchor", self.path.display())),
        }
    }

    /// What the anchor says now (under a shared lock).
    pub fn read(&self) -> AnchorRead {
        let opened;
        let f = match &self.file {
            Some(f) => f,
            None => match File::open(&self.path) {
                Ok(f) => {
                    opened = f;
                    &opened
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return AnchorRead::Missing,
                Err(e) => return AnchorRead::Unreadable(format!("{}: {e}", self.path.display())),
            },
        };
        let _guard = FlockGuard::lock(f, rustix::fs::FlockOperation::LockShared);
        self.read_from(f)
    }

    /// Move the anchor forward to `new` (no-op if it already is at or past
    /// `new.seq`, or names another journal). With `force`, replace it whatever it says.
    pub fn advance(&self, new: &Anchor, force: bool) -> Result<(), AuditError> {
        let Some(f) = &self.file else {
            return Ok(());
        };
        let _guard = FlockGuard::lock(f, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| AuditError::io("lock", &self.path, &e))?;
        if !force {
            match self.read_from(f) {
                AnchorRead::Found(cur) if cur.journal_id != new.journal_id => return Ok(()),
                AnchorRead::Found(cur) if cur.seq >= new.seq => return Ok(()),
                _ => {}
            }
        }
        f.write_all_at(new.encode().as_bytes(), 0)
            .map_err(|e| AuditError::io("write the head anchor", &self.path, &e))
    }
}

struct FlockGuard<'a>(&'a File);

impl<'a> FlockGuard<'a> {
    fn lock(f: &'a File, op: rustix::fs::FlockOperation) -> std::io::Result<Self> {
        loop {
            match rustix::fs::flock(f, op) {
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
        assert_eq!(
            AnchorFile::open_ro(dir.path()).read(),
            AnchorRead::Found(at(2))
        );
        // Another journal's anchor is left alone as evidence.
        let other = Anchor {
            journal_id: "k".into(),
            seq: 9,
            hash: [9; 32],
        };
        a.advance(&other, false).unwrap();
        assert_eq!(a.read(), AnchorRead::Found(at(2)));
    }
}
