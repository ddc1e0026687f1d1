//! cordon's tamper-evident audit journal.
//!
//! Every cordon component (sandbox, proxy, decision engine, hook adapter, MCP
//! gateway) describes what happened as a [`cordon_event::Event`]; this crate
//! stores those events in a SQLite database (WAL mode) as a hash chain, so
//! that any edit, deletion, insertion or reordering of a record is detected by
//! [`Journal::verify`], which names the first bad sequence number.
//!
//! ```
//! use cordon_audit::Journal;
//! use cordon_event::{Event, Source};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let journal = Journal::open(dir.path()).unwrap();
//! let seq = journal
//!     .append(&Event::new(Source::Proxy, "net.connect", "sess-1")
//!         .with(serde_json::json!({"host": "crates.io", "decision": "allow"})))
//!     .unwrap();
//! assert_eq!(seq, 1);
//! let report = journal.verify().unwrap();
//! assert!(report.ok(), "{report}");
//! assert_eq!(report.head_seq, 1);
//! ```
//!
//! What lives in the journal directory:
//!
//! | file | what |
//! | --- | --- |
//! | `journal.db` (+ `-wal`, `-shm`) | the records, hash-chained ([`record_hash`]) |
//! | `head` | the head anchor: last sequence number and hash, kept outside the database so a truncated tail is detected (writers `flock` it) |
//! | `audit.key`, `audit.pub` | the Ed25519 checkpoint key (created by the first checkpoint) |
//! | `checkpoint` | the latest signed checkpoint (C2SP signed-note / tlog-checkpoint) |
//!
//! The rest of the crate reads the journal: [`stats`] summarises it,
//! [`export`] writes JSON Lines or OpenTelemetry logs, [`report`] renders a
//! self-contained HTML page, [`checkpoint`] signs and checks checkpoints.

mod anchor;
pub mod canon;
pub mod checkpoint;
mod error;
pub mod export;
mod journal;
pub mod report;
pub mod stats;
pub mod time;

pub use canon::{record_hash, GENESIS};
pub use error::{AuditError, ErrorKind};
pub use journal::{
    Filter, Journal, Problem, PruneReport, Record, Retention, VerifyReport, LINK_KIND, PRUNE_KIND,
    PRUNE_SESSION, SHORT_LIVED_WAL_PAGES,
};

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Parse 64 hex digits into a 32-byte hash.
pub fn unhex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
        let txt = std::str::from_utf8(chunk).ok()?;
        out[i] = u8::from_str_radix(txt, 16).ok()?;
    }
    Some(out)
}
