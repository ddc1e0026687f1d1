//! The journal's one error type: what happened, and what to do about it.
use std::fmt;
use std::path::Path;

/// Broad class of an [`AuditError`], for callers that react differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The data directory or journal cannot be written (read-only mount, permissions).
    ReadOnly,
    /// No space left on the device holding the journal.
    DiskFull,
    /// Another process held the journal's write lock for too long.
    Busy,
    /// The file is not a cordon journal, or SQLite reports corruption.
    Corrupt,
    /// Input given to the journal is invalid (bad event, bad checkpoint text, unknown record).
    Invalid,
    /// A network export failed.
    Network,
    /// Any other I/O or database failure.
    Io,
}

/// A journal failure. `Display` prints one line: what happened and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditError {
    pub kind: ErrorKind,
    /// What happened.
    pub what: String,
    /// What the user can do about it.
    pub fix: String,
}

impl AuditError {
    pub fn new(kind: ErrorKind, what: impl Into<String>, fix: impl Into<String>) -> Self {
        AuditError {
            kind,
            what: what.into(),
            fix: fix.into(),
        }
    }

    /// Invalid input.
    pub fn invalid(what: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, what, fix)
    }

    /// Classify an I/O error on `path` while doing `doing`.
    pub fn io(doing: &str, path: &Path, e: &std::io::Error) -> Self {
        let code = e.raw_os_error().unwrap_or(0);
        let (kind, fix) = if code == libc::EROFS
            || code == libc::EACCES
            || code == libc::EPERM
            || e.kind() == std::io::ErrorKind::PermissionDenied
        {
            (ErrorKind::ReadOnly, read_only_fix(path))
        } else if code == libc::ENOSPC || code == libc::EDQUOT {
            (ErrorKind::DiskFull, disk_full_fix(path))
        } else {
            (
                ErrorKind::Io,
                format!("check that {} is a usable directory", parent(path)),
            )
        };
        let what = match kind {
            ErrorKind::DiskFull => format!(
                "audit journal: cannot {doing} {}: the disk is full ({e})",
                path.display()
            ),
            _ => format!("audit journal: cannot {doing} {}: {e}", path.display()),
        };
        AuditError::new(kind, what, fix)
    }

    /// Classify a SQLite error on the journal at `path`.
    pub fn db(doing: &str, path: &Path, e: &rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        let code = match e {
            rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
            _ => None,
        };
        let (kind, fix) = match code {
            Some(C::ReadOnly) | Some(C::CannotOpen) | Some(C::PermissionDenied) => {
                (ErrorKind::ReadOnly, read_only_fix(path))
            }
            Some(C::DiskFull) => (ErrorKind::DiskFull, disk_full_fix(path)),
            Some(C::DatabaseBusy) | Some(C::DatabaseLocked) => (
                ErrorKind::Busy,
                "another process held the journal's write lock for more than 30 s; find it with `fuser` on the journal and retry".to_string(),
            ),
            Some(C::NotADatabase) | Some(C::DatabaseCorrupt) => (
                ErrorKind::Corrupt,
                format!(
                    "{} is damaged or not a journal; move it aside (keep it as evidence) and run `cordon audit verify`",
                    path.display()
                ),
            ),
            _ => (
                ErrorKind::Io,
                "run `cordon audit verify` to check the journal".to_string(),
            ),
        };
        AuditError::new(
            kind,
            format!("audit journal: cannot {doing} {}: {e}", path.display()),
            fix,
        )
    }
}

fn parent(path: &Path) -> String {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn read_only_fix(path: &Path) -> String {
    format!(
        "make {} writable, or point CORDON_DATA_DIR at a writable directory",
        parent(path)
    )
}

fn disk_full_fix(path: &Path) -> String {
    format!(
        "free space on the file system holding {}, or prune old sessions with `cordon audit prune`",
        parent(path)
    )
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (fix: {})", self.what, self.fix)
    }
}

impl std::error::Error for AuditError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_say_what_and_how_to_fix() {
        let p = Path::new("/data/cordon/head");
        let full = AuditError::io("write", p, &std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert_eq!(full.kind, ErrorKind::DiskFull);
        assert!(full.to_string().contains("the disk is full"), "{full}");
        assert!(full.to_string().contains("(fix: free space"), "{full}");
        let ro = AuditError::io("write", p, &std::io::Error::from_raw_os_error(libc::EROFS));
        assert_eq!(ro.kind, ErrorKind::ReadOnly);
        assert!(
            ro.to_string().contains("make /data/cordon writable"),
            "{ro}"
        );
    }
}
