//! The journal itself: opening, appending, verifying, querying, pruning.
use crate::anchor::{Anchor, AnchorFile, AnchorRead};
use crate::canon::{canonical_json, record_hash, sha256, GENESIS};
use crate::{hex, AuditError, ErrorKind};
use cordon_event::{Event, EventSink, Source};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The session that prune records are written under (never pruned itself).
pub const PRUNE_SESSION: &str = "cordon-audit";
/// The kind of a prune record.
pub const PRUNE_KIND: &str = "audit.prune";

/// File name of the database inside the journal directory.
pub const DB_FILE: &str = "journal.db";

/// The WAL size, in pages, above which a [short-lived](Journal::open_short_lived)
/// writer folds the WAL into the database after its append.
pub const SHORT_LIVED_WAL_PAGES: u32 = 64;

/// How long a writer waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

const SCHEMA: &str = "
CREATE TABLE records (
    seq       INTEGER PRIMARY KEY,
    time_ns   INTEGER NOT NULL,
    session   TEXT NOT NULL,
    source    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    payload   TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL
);
CREATE INDEX records_session ON records(session, seq);
CREATE INDEX records_time ON records(time_ns);
CREATE TABLE pruned (
    first_seq INTEGER PRIMARY KEY,
    last_seq  INTEGER NOT NULL,
    last_hash BLOB NOT NULL,
    prune_seq INTEGER NOT NULL
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// A pruned range: first seq, last seq, hash of the last record, seq of the prune record.
type Run = (u64, u64, [u8; 32], u64);
/// Sequence numbers assigned, and the new head (seq, hash).
type Inserted = (Vec<u64>, (u64, [u8; 32]));

/// The kind of the record that ties two sessions (an agent's and the `cordon
/// run` that contained it): journaled under the agent's session with the
/// run's id in `payload.run_session`. A [`Filter`] on either session matches both.
pub const LINK_KIND: &str = "session.link";

const COLUMNS: &str = "seq, time_ns, session, source, kind, payload, prev_hash, hash";

/// One stored record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub seq: u64,
    pub time_ns: u64,
    pub session: String,
    pub source: String,
    pub kind: String,
    /// Canonical JSON text, exactly as hashed.
    pub payload: String,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

impl Record {
    /// The payload parsed (an empty object if the stored text is not JSON).
    pub fn payload_json(&self) -> Value {
        serde_json::from_str(&self.payload).unwrap_or_else(|_| json!({}))
    }

    /// The hash recomputed from the stored fields.
    pub fn computed_hash(&self) -> [u8; 32] {
        record_hash(
            self.seq,
            self.time_ns,
            &self.session,
            &self.source,
            &self.kind,
            &self.payload,
            &self.prev_hash,
        )
    }

    /// The record as one JSON object (`cordon audit list --json`, JSONL export).
    pub fn to_json(&self) -> Value {
        json!({
            "seq": self.seq,
            "time": crate::time::rfc3339(self.time_ns),
            "time_ns": self.time_ns,
            "session": self.session,
            "source": self.source,
            "kind": self.kind,
            "payload": self.payload_json(),
            "prev_hash": hex(&self.prev_hash),
            "hash": hex(&self.hash),
        })
    }

    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
        Ok(Record {
            seq: row.get::<_, i64>(0)? as u64,
            time_ns: row.get::<_, i64>(1)? as u64,
            session: row.get(2)?,
            source: row.get(3)?,
            kind: row.get(4)?,
            payload: row.get(5)?,
            prev_hash: blob32(row.get_ref(6)?.as_blob_or_null()?),
            hash: blob32(row.get_ref(7)?.as_blob_or_null()?),
        })
    }
}

fn blob32(b: Option<&[u8]>) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Some(b) = b {
        let n = b.len().min(32);
        out[..n].copy_from_slice(&b[..n]);
    }
    out
}

/// Which records a query returns. All fields are optional and combine with AND.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Exactly this session.
    pub session: Option<String>,
    /// This kind exactly, or every kind under it: `net` matches `net.connect`;
    /// a trailing `*` matches any suffix (`hook.pre*`).
    pub kind: Option<String>,
    /// Records at or after this time.
    pub since_ns: Option<u64>,
    /// Records with a larger sequence number.
    pub after_seq: Option<u64>,
    /// Only the last N matching records (still returned oldest first).
    pub last: Option<usize>,
}

/// Retention settings: whole sessions are pruned when they are older than
/// `max_age_ns` (by their last record) or, oldest first, while the journal is
/// larger than `max_size` bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Retention {
    pub max_age_ns: Option<u64>,
    pub max_size: Option<u64>,
}

/// What [`Journal::prune`] did (or would do, with `dry_run`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PruneReport {
    pub sessions: Vec<String>,
    pub records: u64,
    pub runs: u64,
    pub prune_seq: Option<u64>,
    pub size_before: u64,
    pub size_after: u64,
    pub dry_run: bool,
}

/// One thing wrong with the journal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The first sequence number affected, when one can be named.
    pub seq: Option<u64>,
    pub what: String,
}

/// The outcome of [`Journal::verify`].
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct VerifyReport {
    pub journal_id: String,
    /// Records present and checked.
    pub records: u64,
    /// Records removed by retention (covered by prune records).
    pub pruned: u64,
    /// The last sequence number and its hash.
    pub head_seq: u64,
    #[serde(serialize_with = "ser_hex")]
    pub head_hash: [u8; 32],
    /// What the head anchor said, if it could be read.
    pub anchor_seq: Option<u64>,
    /// Everything wrong, in the order found (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<Problem>,
    /// Remarks that are not failures.
    pub notes: Vec<String>,
}

/// Verification stops collecting problems after this many.
pub const MAX_PROBLEMS: usize = 50;

fn ser_hex<S: serde::Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(h))
}

impl VerifyReport {
    /// True when no problem was found.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The first bad sequence number, if any problem names one.
    pub fn first_bad(&self) -> Option<u64> {
        self.problems.iter().filter_map(|p| p.seq).min()
    }

    fn problem(&mut self, seq: Option<u64>, what: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem { seq, what });
        }
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ok() {
            write!(
                f,
                "ok: {} records verified (head seq {}, hash {}), {} pruned by retention",
                self.records,
                self.head_seq,
                hex(&self.head_hash),
                self.pruned
            )?;
        } else {
            match self.first_bad() {
                Some(s) => write!(f, "TAMPERED: first bad seq {s}")?,
                None => write!(f, "TAMPERED")?,
            }
            for p in &self.problems {
                match p.seq {
                    Some(s) => write!(f, "\n  seq {s}: {}", p.what)?,
                    None => write!(f, "\n  {}", p.what)?,
                }
            }
        }
        for n in &self.notes {
            write!(f, "\n  note: {n}")?;
        }
        Ok(())
    }
}

/// The audit journal in one directory. Cheap to open; safe to share between
/// threads; several processes may append at once.
pub struct Journal {
    dir: PathBuf,
    db_path: PathBuf,
    conn: Mutex<Connection>,
    anchor: AnchorFile,
    id: String,
    /// Short-lived writers: truncate the WAL after an append that leaves it larger (bytes).
    wal_limit: Option<u64>,
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("dir", &self.dir)
            .field("id", &self.id)
            .finish()
    }
}

impl Journal {
    /// Open the journal in `dir` for writing, creating the directory and the
    /// database as needed. Fails with a clear error when the directory is
    /// read-only or the disk is full, and refuses to start a new database
    /// where the head anchor shows an earlier one existed (it was deleted).
    pub fn open(dir: &Path) -> Result<Journal, AuditError> {
        Self::open_writer(dir, None)
    }

    /// [`Journal::open`] for a process that appends a few events and exits
    /// (one hook call). Such a process is usually the only one with the
    /// journal open, so SQLite rebuilds the WAL index by reading the whole
    /// WAL before its first read, and an auto-checkpoint in one process never
    /// lets the next restart the WAL (what was checkpointed is forgotten with
    /// the WAL index): the WAL, and every open, grows without bound. This
    /// writer instead folds the WAL into the database and truncates it after
    /// an append that leaves more than [`SHORT_LIVED_WAL_PAGES`] pages in it
    /// (when no other process is using the journal at that moment; otherwise
    /// a later append does). The records and their guarantees are the same
    /// as with [`Journal::open`].
    pub fn open_short_lived(dir: &Path) -> Result<Journal, AuditError> {
        Self::open_writer(dir, Some(SHORT_LIVED_WAL_PAGES))
    }

    fn open_writer(dir: &Path, wal_pages: Option<u32>) -> Result<Journal, AuditError> {
        create_dir(dir)?;
        let anchor = AnchorFile::open_rw(dir)?;
        let db_path = dir.join(DB_FILE);
        let fresh = !db_path.exists();
        if fresh {
            if let AnchorRead::Found(a) = anchor.read() {
                return Err(deleted(dir, &a));
            }
        }
        let conn = Connection::open_with_flags(
            &db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| AuditError::db("open", &db_path, &e))?;
        // Several processes opening a new journal at once can see SQLITE_BUSY
        // where SQLite does not wait (changing the journal mode, creating the
        // schema): retry for as long as an append would wait.
        let start = std::time::Instant::now();
        let id = loop {
            match setup(&conn, &db_path, true) {
                Err(e) if e.kind == ErrorKind::Busy && start.elapsed() < BUSY_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(5 + (std::process::id() % 20) as u64));
                }
                other => break other?,
            }
        };
        Ok(Journal {
            dir: dir.to_path_buf(),
            db_path,
            conn: Mutex::new(conn),
            anchor,
            id,
            wal_limit: wal_pages.map(|p| u64::from(p) * 4096),
        })
    }

    /// Open an existing journal for reading only (list, verify, export...).
    pub fn open_read_only(dir: &Path) -> Result<Journal, AuditError> {
        let db_path = dir.join(DB_FILE);
        if !db_path.exists() {
            if let AnchorRead::Found(a) = AnchorFile::open_ro(dir).read() {
                return Err(deleted(dir, &a));
            }
            return Err(AuditError::invalid(
                format!("audit journal: no journal at {}", db_path.display()),
                "nothing has been recorded yet; `cordon audit path` shows where cordon looks (CORDON_DATA_DIR overrides it)",
            ));
        }
        let conn = Connection::open_with_flags(
            &db_path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| AuditError::db("open", &db_path, &e))?;
        let id = setup(&conn, &db_path, false)?;
        Ok(Journal {
            dir: dir.to_path_buf(),
            db_path,
            conn: Mutex::new(conn),
            anchor: AnchorFile::open_ro(dir),
            id,
            wal_limit: None,
        })
    }

    /// The journal directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database file.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// This journal's random identity (also the checkpoint origin's suffix).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: SQLite
        // rolls back any open transaction when the next one begins.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn dberr(&self, doing: &str) -> impl Fn(rusqlite::Error) -> AuditError + '_ {
        let doing = doing.to_string();
        move |e| AuditError::db(&doing, &self.db_path, &e)
    }

    /// Append one event; returns its sequence number once it is committed.
    pub fn append(&self, ev: &Event) -> Result<u64, AuditError> {
        let seqs = self.append_batch(std::slice::from_ref(ev))?;
        Ok(seqs.last().copied().unwrap_or(0))
    }

    /// Append several events in one transaction (all or none).
    pub fn append_all(&self, evs: &[Event]) -> Result<(), AuditError> {
        self.append_batch(evs).map(|_| ())
    }

    /// Append several events in one transaction; returns their sequence numbers.
    pub fn append_batch(&self, evs: &[Event]) -> Result<Vec<u64>, AuditError> {
        if evs.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Row> = evs.iter().map(Row::from_event).collect::<Result<_, _>>()?;
        let (seqs, head) = {
            let mut conn = self.conn();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(self.dberr("write to"))?;
            let (seqs, head) = insert_rows(&tx, &rows).map_err(self.dberr("write to"))?;
            tx.commit().map_err(self.dberr("commit to"))?;
            (seqs, head)
        };
        self.anchor.advance(
            &Anchor {
                journal_id: self.id.clone(),
                seq: head.0,
                hash: head.1,
            },
            false,
        )?;
        self.fold_wal_if_large();
        Ok(seqs)
    }

    /// For short-lived writers: when the WAL has grown past the limit, copy
    /// it into the database and truncate it, without waiting for anyone
    /// (busy: a later append does it). Housekeeping after the record is
    /// committed and anchored, so a failure here loses nothing.
    fn fold_wal_if_large(&self) {
        let Some(limit) = self.wal_limit else { return };
        let mut wal = self.db_path.clone().into_os_string();
        wal.push("-wal");
        if std::fs::metadata(&wal).map_or(true, |m| m.len() <= limit) {
            return;
        }
        let conn = self.conn();
        if conn.busy_timeout(Duration::ZERO).is_ok() {
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        let _ = conn.busy_timeout(BUSY_TIMEOUT);
    }

    /// The last record's sequence number and hash (`None` for an empty journal).
    pub fn head(&self) -> Result<Option<(u64, [u8; 32])>, AuditError> {
        let conn = self.conn();
        let h = head_of(&conn).map_err(self.dberr("read"))?;
        Ok((h.0 > 0).then_some(h))
    }

    /// The hash of record `seq`: from the record, or from the prune range
    /// that ends at it. `Ok(None)` if the journal has no such hash (never
    /// written, or inside a pruned range).
    pub fn hash_at(&self, seq: u64) -> Result<Option<[u8; 32]>, AuditError> {
        let conn = self.conn();
        let q = |sql: &str| {
            conn.query_row(sql, [seq as i64], |r| {
                Ok(blob32(r.get_ref(0)?.as_blob_or_null()?))
            })
            .optional()
        };
        let h = q("SELECT hash FROM records WHERE seq = ?1").map_err(self.dberr("read"))?;
        if h.is_some() {
            return Ok(h);
        }
        q("SELECT last_hash FROM pruned WHERE last_seq = ?1").map_err(self.dberr("read"))
    }

    /// One record by sequence number.
    pub fn get(&self, seq: u64) -> Result<Option<Record>, AuditError> {
        let conn = self.conn();
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM records WHERE seq = ?1"),
            [seq as i64],
            Record::from_row,
        )
        .optional()
        .map_err(self.dberr("read"))
    }

    /// Whether `seq` lies in a range removed by retention.
    pub fn is_pruned(&self, seq: u64) -> Result<bool, AuditError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT 1 FROM pruned WHERE first_seq <= ?1 AND last_seq >= ?1",
            [seq as i64],
            |_| Ok(()),
        )
        .optional()
        .map(|o| o.is_some())
        .map_err(self.dberr("read"))
    }

    /// Call `f` for every record matching `filter`, oldest first.
    pub fn for_each(
        &self,
        filter: &Filter,
        mut f: impl FnMut(Record) -> Result<(), AuditError>,
    ) -> Result<(), AuditError> {
        let mut clauses = Vec::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(s) = &filter.session {
            args.push(s.clone().into());
            let n = args.len();
            // The session itself, and the sessions a `session.link` record ties
            // it to either way (an agent's session and the run that contained it).
            clauses.push(format!(
                "(session = ?{n} \
                 OR session IN (SELECT json_extract(payload, '$.run_session') FROM records \
                                WHERE session = ?{n} AND kind = '{LINK_KIND}') \
                 OR session IN (SELECT session FROM records \
                                WHERE kind = '{LINK_KIND}' AND json_extract(payload, '$.run_session') = ?{n}))"
            ));
        }
        if let Some(k) = &filter.kind {
            if let Some(prefix) = k.strip_suffix('*') {
                args.push(prefix.to_string().into());
                let n = args.len();
                clauses.push(format!("substr(kind, 1, length(?{n})) = ?{n}"));
            } else {
                args.push(k.clone().into());
                let n = args.len();
                clauses.push(format!(
                    "(kind = ?{n} OR substr(kind, 1, length(?{n}) + 1) = ?{n} || '.')"
                ));
            }
        }
        if let Some(t) = filter.since_ns {
            args.push((t.min(i64::MAX as u64) as i64).into());
            clauses.push(format!("time_ns >= ?{}", args.len()));
        }
        if let Some(s) = filter.after_seq {
            args.push((s.min(i64::MAX as u64) as i64).into());
            clauses.push(format!("seq > ?{}", args.len()));
        }
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = match filter.last {
            Some(n) => format!(
                "SELECT {COLUMNS} FROM (SELECT {COLUMNS} FROM records {filter_sql} ORDER BY seq DESC LIMIT {n}) ORDER BY seq"
            ),
            None => format!("SELECT {COLUMNS} FROM records {filter_sql} ORDER BY seq"),
        };
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql).map_err(self.dberr("read"))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(args))
            .map_err(self.dberr("read"))?;
        while let Some(row) = rows.next().map_err(self.dberr("read"))? {
            f(Record::from_row(row).map_err(self.dberr("read"))?)?;
        }
        Ok(())
    }

    /// Every record matching `filter`, oldest first.
    pub fn records(&self, filter: &Filter) -> Result<Vec<Record>, AuditError> {
        let mut out = Vec::new();
        self.for_each(filter, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// Apply `retention` unless it was applied less than `interval_ns` ago
    /// (by any process). For commands that start often (`cordon run`): the
    /// check itself is one small read. Returns `None` when it was not due.
    pub fn prune_if_due(
        &self,
        retention: &Retention,
        now_ns: u64,
        interval_ns: u64,
    ) -> Result<Option<PruneReport>, AuditError> {
        if retention.max_age_ns.is_none() && retention.max_size.is_none() {
            return Ok(None);
        }
        {
            let conn = self.conn();
            let last: Option<String> = conn
                .query_row(
                    "SELECT value FROM meta WHERE key = 'last_prune_ns'",
                    [],
                    |r| r.get(0),
                )
                .optional()
                .map_err(self.dberr("read"))?;
            let last: u64 = last.and_then(|v| v.parse().ok()).unwrap_or(0);
            if now_ns.saturating_sub(last) < interval_ns {
                return Ok(None);
            }
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('last_prune_ns', ?1)",
                [now_ns.to_string()],
            )
            .map_err(self.dberr("write to"))?;
        }
        self.prune(retention, now_ns, false).map(Some)
    }

    /// Bytes the database uses (pages in use, excluding free pages).
    pub fn size_bytes(&self) -> Result<u64, AuditError> {
        let conn = self.conn();
        used_bytes(&conn).map_err(self.dberr("read"))
    }

    /// Check the whole chain, the prune records and the head anchor.
    /// Returns `Ok` with a report that lists problems; `Err` only when the
    /// journal cannot be read at all.
    pub fn verify(&self) -> Result<VerifyReport, AuditError> {
        // Read the anchor before taking the snapshot: every anchor value was
        // written after its records committed, so it cannot be ahead of it.
        let anchor = self.anchor.read();
        let mut rep = VerifyReport {
            journal_id: self.id.clone(),
            ..Default::default()
        };
        let conn = self.conn();
        let tx = conn.unchecked_transaction().map_err(self.dberr("read"))?;
        let runs: Vec<Run> = {
            let mut st = tx
                .prepare("SELECT first_seq, last_seq, last_hash, prune_seq FROM pruned ORDER BY first_seq")
                .map_err(self.dberr("read"))?;
            let it = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)? as u64,
                        r.get::<_, i64>(1)? as u64,
                        blob32(r.get_ref(2)?.as_blob_or_null()?),
                        r.get::<_, i64>(3)? as u64,
                    ))
                })
                .map_err(self.dberr("read"))?;
            it.collect::<Result<_, _>>().map_err(self.dberr("read"))?
        };
        let anchor_seq = match &anchor {
            AnchorRead::Found(a) => Some(a.seq),
            _ => None,
        };
        rep.anchor_seq = anchor_seq;
        let mut hash_at_anchor: Option<[u8; 32]> = None;
        let mut expected: u64 = 1;
        let mut prev = GENESIS;
        let mut next_run = 0usize;
        // prune_seq -> (ranges, digest) as claimed by the prune record.
        let mut claims: HashMap<u64, (u64, String)> = HashMap::new();

        let take_run = |rep: &mut VerifyReport,
                        expected: &mut u64,
                        prev: &mut [u8; 32],
                        at_anchor: &mut Option<[u8; 32]>,
                        run: &Run| {
            if run.0 != *expected {
                rep.problem(
                    Some(run.0.min(*expected)),
                    format!(
                        "pruned range {}..{} does not start where the journal left off (seq {})",
                        run.0, run.1, expected
                    ),
                );
            }
            if anchor_seq == Some(run.1) {
                *at_anchor = Some(run.2);
            }
            *prev = run.2;
            *expected = run.1 + 1;
            rep.pruned += run.1.saturating_sub(run.0) + 1;
        };

        {
            let mut st = tx
                .prepare(&format!("SELECT {COLUMNS} FROM records ORDER BY seq"))
                .map_err(self.dberr("read"))?;
            let mut rows = st.query([]).map_err(self.dberr("read"))?;
            while let Some(row) = rows.next().map_err(self.dberr("read"))? {
                let seq = row.get::<_, i64>(0).map_err(self.dberr("read"))? as u64;
                while next_run < runs.len() && runs[next_run].0 <= seq {
                    take_run(
                        &mut rep,
                        &mut expected,
                        &mut prev,
                        &mut hash_at_anchor,
                        &runs[next_run],
                    );
                    next_run += 1;
                }
                let get_str = |i: usize| -> Result<&str, AuditError> {
                    row.get_ref(i)
                        .and_then(|v| v.as_str().map_err(Into::into))
                        .map_err(self.dberr("read"))
                };
                let time_ns = row.get::<_, i64>(1).map_err(self.dberr("read"))? as u64;
                let (session, source, kind, payload) =
                    (get_str(2)?, get_str(3)?, get_str(4)?, get_str(5)?);
                let prev_hash = blob32(
                    row.get_ref(6)
                        .and_then(|v| v.as_blob_or_null().map_err(Into::into))
                        .map_err(self.dberr("read"))?,
                );
                let hash = blob32(
                    row.get_ref(7)
                        .and_then(|v| v.as_blob_or_null().map_err(Into::into))
                        .map_err(self.dberr("read"))?,
                );
                if seq > expected {
                    rep.problem(
                        Some(expected),
                        format!(
                            "records {expected}..{} are missing: they were deleted",
                            seq - 1
                        ),
                    );
                } else if seq < expected {
                    rep.problem(
                        Some(seq),
                        "record lies inside a pruned range: it was inserted".into(),
                    );
                }
                if prev_hash != prev {
                    rep.problem(
                        Some(seq),
                        "does not link to the record before it: a record was deleted, inserted or moved here".into(),
                    );
                }
                if record_hash(seq, time_ns, session, source, kind, payload, &prev_hash) != hash {
                    rep.problem(
                        Some(seq),
                        "content does not match its hash: the record was modified".into(),
                    );
                }
                if kind == PRUNE_KIND && session == PRUNE_SESSION {
                    let p: Value = serde_json::from_str(payload).unwrap_or_default();
                    claims.insert(
                        seq,
                        (
                            p["runs"].as_u64().unwrap_or(0),
                            p["runs_sha256"].as_str().unwrap_or("").to_string(),
                        ),
                    );
                }
                if anchor_seq == Some(seq) {
                    hash_at_anchor = Some(hash);
                }
                prev = hash;
                expected = seq + 1;
                rep.records += 1;
            }
        }
        while next_run < runs.len() {
            take_run(
                &mut rep,
                &mut expected,
                &mut prev,
                &mut hash_at_anchor,
                &runs[next_run],
            );
            next_run += 1;
        }
        rep.head_seq = expected - 1;
        rep.head_hash = prev;

        // Every pruned range must be claimed by the prune record that made it.
        let mut by_prune: BTreeMap<u64, Vec<&Run>> = BTreeMap::new();
        for r in &runs {
            by_prune.entry(r.3).or_default().push(r);
        }
        for (pseq, rs) in &by_prune {
            let digest = runs_digest(rs.iter().map(|r| (r.0, r.1, r.2)));
            let first = rs[0].0;
            match claims.get(pseq) {
                Some((n, d)) if *n == rs.len() as u64 && *d == digest => {
                    if rs.iter().any(|r| r.1 >= *pseq) {
                        rep.problem(Some(first), format!("pruned range lies after its prune record {pseq}"));
                    }
                }
                _ => rep.problem(
                    Some(first),
                    format!("records {first}..{} were removed without a matching prune record (seq {pseq} does not list them)", rs[rs.len() - 1].1),
                ),
            }
        }
        for (pseq, (n, _)) in &claims {
            if *n > 0 && !by_prune.contains_key(pseq) {
                rep.problem(
                    Some(*pseq),
                    format!("prune record lists {n} removed ranges that are no longer in the journal's pruned table"),
                );
            }
        }
        drop(tx);
        drop(conn);

        let anchor_path = self.dir.join("head");
        match anchor {
            AnchorRead::Missing if rep.head_seq > 0 => rep.problem(
                None,
                format!(
                    "the head anchor {} is missing, so a truncated tail cannot be ruled out",
                    anchor_path.display()
                ),
            ),
            AnchorRead::Missing => {}
            AnchorRead::Unreadable(e) => {
                rep.problem(None, format!("the head anchor cannot be read: {e}"))
            }
            AnchorRead::Found(a) => {
                if a.journal_id != self.id {
                    rep.problem(
                        None,
                        format!(
                            "the head anchor belongs to journal {}, but the database is journal {}: the database was replaced",
                            a.journal_id, self.id
                        ),
                    );
                } else if a.seq > rep.head_seq {
                    rep.problem(
                        Some(rep.head_seq + 1),
                        format!(
                            "the journal ends at seq {} but the head anchor says {}: records {}..{} were cut off the tail, or an older copy was restored",
                            rep.head_seq,
                            a.seq,
                            rep.head_seq + 1,
                            a.seq
                        ),
                    );
                } else {
                    match hash_at_anchor {
                        Some(h) if h == a.hash => {}
                        Some(_) => rep.problem(
                            Some(a.seq),
                            "differs from the head anchor's hash: the journal was rewritten or replaced".into(),
                        ),
                        None => rep.notes.push(format!(
                            "the head anchor's record {} was pruned; it cannot be compared",
                            a.seq
                        )),
                    }
                }
            }
        }
        rep.problems.sort_by_key(|p| p.seq.unwrap_or(u64::MAX));
        Ok(rep)
    }

    /// Remove whole sessions according to `retention`, keeping the chain
    /// verifiable: each removed range leaves its last hash behind, and a prune
    /// record (session [`PRUNE_SESSION`], kind [`PRUNE_KIND`]) appended to the
    /// chain commits to the list of removed ranges. The most recently active
    /// session and prune records are never removed.
    pub fn prune(
        &self,
        retention: &Retention,
        now_ns: u64,
        dry_run: bool,
    ) -> Result<PruneReport, AuditError> {
        let mut report = PruneReport {
            dry_run,
            ..Default::default()
        };
        let head = {
            let mut conn = self.conn();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(self.dberr("prune"))?;
            report.size_before = used_bytes(&tx).map_err(self.dberr("prune"))?;
            report.size_after = report.size_before;
            let live: Option<String> = tx
                .query_row(
                    "SELECT session FROM records WHERE session != ?1 ORDER BY seq DESC LIMIT 1",
                    [PRUNE_SESSION],
                    |r| r.get(0),
                )
                .optional()
                .map_err(self.dberr("prune"))?;
            let sessions: Vec<(String, u64, u64)> = {
                let mut st = tx
                    .prepare(
                        "SELECT session, MAX(time_ns), SUM(length(payload) + length(session) + length(kind) + 100)
                         FROM records WHERE session != ?1 GROUP BY session ORDER BY MAX(time_ns), session",
                    )
                    .map_err(self.dberr("prune"))?;
                let it = st
                    .query_map([PRUNE_SESSION], |r| {
                        Ok((
                            r.get(0)?,
                            r.get::<_, i64>(1)? as u64,
                            r.get::<_, i64>(2)? as u64,
                        ))
                    })
                    .map_err(self.dberr("prune"))?;
                it.collect::<Result<_, _>>().map_err(self.dberr("prune"))?
            };
            let cutoff = retention.max_age_ns.map(|a| now_ns.saturating_sub(a));
            let mut estimate = report.size_before;
            let mut chosen = Vec::new();
            for (name, last, bytes) in sessions {
                if Some(&name) == live.as_ref() {
                    continue;
                }
                let too_old = cutoff.is_some_and(|c| last < c);
                let too_big = retention.max_size.is_some_and(|m| estimate > m);
                if too_old || too_big {
                    estimate = estimate.saturating_sub(bytes);
                    chosen.push(name);
                }
            }
            if chosen.is_empty() {
                return Ok(report);
            }
            tx.execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS prune_sessions(name TEXT PRIMARY KEY); DELETE FROM temp.prune_sessions;",
            )
            .map_err(self.dberr("prune"))?;
            for s in &chosen {
                tx.execute("INSERT INTO temp.prune_sessions(name) VALUES (?1)", [s])
                    .map_err(self.dberr("prune"))?;
            }
            let mut runs: Vec<(u64, u64, [u8; 32])> = Vec::new();
            {
                let mut st = tx
                    .prepare("SELECT seq, hash FROM records WHERE session IN (SELECT name FROM temp.prune_sessions) ORDER BY seq")
                    .map_err(self.dberr("prune"))?;
                let mut rows = st.query([]).map_err(self.dberr("prune"))?;
                while let Some(r) = rows.next().map_err(self.dberr("prune"))? {
                    let seq = r.get::<_, i64>(0).map_err(self.dberr("prune"))? as u64;
                    let h = blob32(
                        r.get_ref(1)
                            .and_then(|v| v.as_blob_or_null().map_err(Into::into))
                            .map_err(self.dberr("prune"))?,
                    );
                    report.records += 1;
                    match runs.last_mut() {
                        Some(last) if last.1 + 1 == seq => {
                            last.1 = seq;
                            last.2 = h;
                        }
                        _ => runs.push((seq, seq, h)),
                    }
                }
            }
            report.sessions = chosen;
            report.runs = runs.len() as u64;
            if dry_run {
                report.size_after = estimate;
                return Ok(report);
            }
            let mut reason = Vec::new();
            if let Some(a) = retention.max_age_ns {
                reason.push(format!("max_age_days={}", a / 86_400_000_000_000));
            }
            if let Some(m) = retention.max_size {
                reason.push(format!("max_size={m}"));
            }
            let listed: Vec<&String> = report.sessions.iter().take(1000).collect();
            let ev = Event::new(Source::Cli, PRUNE_KIND, PRUNE_SESSION).with(json!({
                "sessions": listed,
                "sessions_count": report.sessions.len(),
                "records": report.records,
                "runs": runs.len(),
                "runs_sha256": runs_digest(runs.iter().copied()),
                "reason": reason.join(" "),
            }));
            let (seqs, head) =
                insert_rows(&tx, &[Row::from_event(&ev)?]).map_err(self.dberr("prune"))?;
            let pseq = seqs[0];
            for (a, b, h) in &runs {
                tx.execute(
                    "INSERT INTO pruned(first_seq, last_seq, last_hash, prune_seq) VALUES (?1, ?2, ?3, ?4)",
                    params![*a as i64, *b as i64, &h[..], pseq as i64],
                )
                .map_err(self.dberr("prune"))?;
            }
            tx.execute(
                "DELETE FROM records WHERE session IN (SELECT name FROM temp.prune_sessions) AND seq < ?1",
                [pseq as i64],
            )
            .map_err(self.dberr("prune"))?;
            tx.commit().map_err(self.dberr("prune"))?;
            report.prune_seq = Some(pseq);
            head
        };
        self.anchor.advance(
            &Anchor {
                journal_id: self.id.clone(),
                seq: head.0,
                hash: head.1,
            },
            false,
        )?;
        let conn = self.conn();
        conn.execute_batch("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(self.dberr("compact"))?;
        report.size_after = used_bytes(&conn).map_err(self.dberr("read"))?;
        Ok(report)
    }
}

impl EventSink for Journal {
    fn emit(&self, event: Event) {
        if let Err(e) = self.append(&event) {
            eprintln!(
                "cordon: audit: event {} of session {} was NOT recorded: {e}",
                event.kind, event.session
            );
        }
    }
}

/// A record ready to insert (payload already canonical).
struct Row {
    time_ns: i64,
    session: String,
    source: &'static str,
    kind: String,
    payload: String,
}

impl Row {
    fn from_event(ev: &Event) -> Result<Row, AuditError> {
        let time_ns = i64::try_from(ev.time_ns).map_err(|_| {
            AuditError::invalid(
                format!(
                    "event {} has time_ns {} beyond the year 2262",
                    ev.kind, ev.time_ns
                ),
                "stamp events with cordon_event::now_ns()",
            )
        })?;
        Ok(Row {
            time_ns,
            session: ev.session.clone(),
            source: ev.source.as_str(),
            kind: ev.kind.clone(),
            payload: canonical_json(&ev.payload),
        })
    }
}

/// Insert rows after the current head inside an open write transaction.
/// Returns the new sequence numbers and the new head.
fn insert_rows(conn: &Connection, rows: &[Row]) -> rusqlite::Result<Inserted> {
    let (mut seq, mut prev) = head_of(conn)?;
    let mut st = conn.prepare_cached(
        "INSERT INTO records(seq, time_ns, session, source, kind, payload, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut seqs = Vec::with_capacity(rows.len());
    for r in rows {
        seq += 1;
        let h = record_hash(
            seq,
            r.time_ns as u64,
            &r.session,
            r.source,
            &r.kind,
            &r.payload,
            &prev,
        );
        st.execute(params![
            seq as i64,
            r.time_ns,
            r.session,
            r.source,
            r.kind,
            r.payload,
            &prev[..],
            &h[..]
        ])?;
        prev = h;
        seqs.push(seq);
    }
    Ok((seqs, (seq, prev)))
}

/// The last sequence number and hash, counting pruned ranges (0, GENESIS if empty).
fn head_of(conn: &Connection) -> rusqlite::Result<(u64, [u8; 32])> {
    let rec = conn
        .query_row(
            "SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    blob32(r.get_ref(1)?.as_blob_or_null()?),
                ))
            },
        )
        .optional()?;
    let run = conn
        .query_row(
            "SELECT last_seq, last_hash FROM pruned ORDER BY last_seq DESC LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    blob32(r.get_ref(1)?.as_blob_or_null()?),
                ))
            },
        )
        .optional()?;
    Ok(match (rec, run) {
        (Some(a), Some(b)) => {
            if a.0 >= b.0 {
                a
            } else {
                b
            }
        }
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => (0, GENESIS),
    })
}

fn used_bytes(conn: &Connection) -> rusqlite::Result<u64> {
    let get = |p: &str| conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, i64>(0));
    let pages = get("page_count")? - get("freelist_count")?;
    Ok((pages.max(0) as u64) * get("page_size")? as u64)
}

/// The digest a prune record carries over the ranges it removed.
fn runs_digest(runs: impl Iterator<Item = (u64, u64, [u8; 32])>) -> String {
    let mut text = String::new();
    for (a, b, h) in runs {
        text.push_str(&format!("{a}-{b} {}\n", hex(&h)));
    }
    hex(&sha256(text.as_bytes()))
}

/// The database is gone but the anchor shows it existed.
fn deleted(dir: &Path, a: &Anchor) -> AuditError {
    let db_path = dir.join(DB_FILE);
    let head = dir.join("head");
    AuditError::new(
        ErrorKind::Corrupt,
        format!(
            "audit journal: {} is missing but the head anchor {} says journal {} had {} records: the journal was deleted",
            db_path.display(),
            head.display(),
            a.journal_id,
            a.seq
        ),
        format!(
            "restore {} from a backup, or move {} aside to start a new journal",
            db_path.display(),
            head.display()
        ),
    )
}

fn create_dir(dir: &Path) -> Result<(), AuditError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| AuditError::io("create", dir, &e))
}

/// Pragmas and schema; returns the journal id.
fn setup(conn: &Connection, path: &Path, write: bool) -> Result<String, AuditError> {
    let err = |doing: &'static str| move |e: rusqlite::Error| AuditError::db(doing, path, &e);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err("open"))?;
    if write {
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(err("open"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(AuditError::new(
                ErrorKind::Io,
                format!(
                    "audit journal: {} cannot use write-ahead logging (mode {mode})",
                    path.display()
                ),
                "keep the data directory on a local file system (not NFS)",
            ));
        }
        conn.execute_batch("PRAGMA synchronous=NORMAL;")
            .map_err(err("open"))?;
        // Short-lived writers (one hook call, one event) do not checkpoint on
        // exit: a checkpoint costs fsyncs, which dominate an append (a
        // 100-page auto-checkpoint cut single-writer appends 4x in
        // bench/audit.sh). SQLite's default auto-checkpoint (1000 pages)
        // folds the WAL in; the price is that a process opening the journal
        // alone rebuilds the WAL index from at most ~4 MB of WAL in the page cache.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .map_err(err("open"))?;
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err("read"))?;
    if version == 0 {
        if !write {
            return Err(AuditError::invalid(
                format!("audit journal: {} is empty", path.display()),
                "nothing has been recorded yet",
            ));
        }
        conn.execute_batch("PRAGMA auto_vacuum=INCREMENTAL;")
            .map_err(err("create"))?;
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(err("create"))?;
        let create = || -> rusqlite::Result<()> {
            let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if v == 0 {
                conn.execute_batch(SCHEMA)?;
                let mut id = [0u8; 16];
                getrandom::fill(&mut id).map_err(|e| {
                    rusqlite::Error::ToSqlConversionFailure(Box::new(std::io::Error::other(
                        e.to_string(),
                    )))
                })?;
                conn.execute("INSERT INTO meta(key, value) VALUES ('id', ?1)", [hex(&id)])?;
                conn.execute_batch("PRAGMA user_version=1")?;
            }
            conn.execute_batch("COMMIT")
        };
        if let Err(e) = create() {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(AuditError::db("create", path, &e));
        }
    } else if version != 1 {
        return Err(AuditError::new(
            ErrorKind::Corrupt,
            format!(
                "audit journal: {} has schema version {version}, which this cordon does not know",
                path.display()
            ),
            "use the cordon version that wrote it",
        ));
    }
    conn.query_row("SELECT value FROM meta WHERE key = 'id'", [], |r| r.get(0))
        .map_err(|e| {
            AuditError::new(
                ErrorKind::Corrupt,
                format!("audit journal: {} has no journal id: {e}", path.display()),
                "the file is not a cordon journal; move it aside",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(session: &str, kind: &str, v: Value) -> Event {
        Event::new(Source::Hook, kind, session).with(v)
    }

    #[test]
    fn appends_are_chained_and_verify() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(d.path()).unwrap();
        for i in 0..10 {
            assert_eq!(j.append(&ev("s", "k", json!({"i": i}))).unwrap(), i + 1);
        }
        j.append_all(&[ev("t", "k", json!({})), ev("t", "k", json!({}))])
            .unwrap();
        let r = j.verify().unwrap();
        assert!(r.ok(), "{r}");
        assert_eq!((r.records, r.head_seq, r.anchor_seq), (12, 12, Some(12)));
        let recs = j.records(&Filter::default()).unwrap();
        assert_eq!(recs[1].prev_hash, recs[0].hash);
    }

    #[test]
    fn a_session_filter_includes_linked_sessions_both_ways() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(d.path()).unwrap();
        j.append(&ev("run1", "net.connect", json!({}))).unwrap();
        j.append(&ev("agent", LINK_KIND, json!({"run_session": "run1"})))
            .unwrap();
        j.append(&ev(
            "agent",
            "hook.pre_tool_use",
            json!({"run_session": "run1"}),
        ))
        .unwrap();
        j.append(&ev("other", "net.connect", json!({}))).unwrap();
        j.append(&ev("agent2", LINK_KIND, json!({"run_session": "run2"})))
            .unwrap();
        let sessions = |s: &str| -> Vec<String> {
            j.records(&Filter {
                session: Some(s.into()),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|r| format!("{}:{}", r.session, r.kind))
            .collect()
        };
        let both = vec![
            "run1:net.connect".to_string(),
            format!("agent:{LINK_KIND}"),
            "agent:hook.pre_tool_use".to_string(),
        ];
        assert_eq!(sessions("agent"), both);
        assert_eq!(sessions("run1"), both);
        assert_eq!(sessions("other"), vec!["other:net.connect".to_string()]);
        // A quote in the id is data, not SQL.
        assert!(sessions("x' OR '1'='1").is_empty());
    }

    #[test]
    fn kind_filter_matches_prefix_groups() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(d.path()).unwrap();
        for k in ["net.connect", "network.x", "net", "hook.pre_tool_use"] {
            j.append(&ev("s", k, json!({}))).unwrap();
        }
        let kinds = |k: &str| -> Vec<String> {
            j.records(&Filter {
                kind: Some(k.into()),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|r| r.kind)
            .collect()
        };
        assert_eq!(kinds("net"), ["net.connect", "net"]);
        assert_eq!(kinds("net*"), ["net.connect", "network.x", "net"]);
        assert_eq!(kinds("hook.pre_tool_use"), ["hook.pre_tool_use"]);
    }

    #[test]
    fn prune_keeps_chain_verifiable_and_detects_forged_removal() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(d.path()).unwrap();
        for i in 0..30u64 {
            let mut e = ev(&format!("s{}", i % 3), "k", json!({"i": i}));
            e.time_ns = 1_000 + i;
            j.append(&e).unwrap();
        }
        let mut late = ev("s9", "k", json!({}));
        late.time_ns = 10_000_000;
        j.append(&late).unwrap();
        let rep = j
            .prune(
                &Retention {
                    max_age_ns: Some(5_000_000),
                    max_size: None,
                },
                10_000_001,
                false,
            )
            .unwrap();
        assert_eq!(rep.sessions, ["s0", "s1", "s2"]);
        assert_eq!(rep.records, 30);
        assert_eq!(rep.prune_seq, Some(32));
        let r = j.verify().unwrap();
        assert!(r.ok(), "{r}");
        assert_eq!((r.records, r.pruned, r.head_seq), (2, 30, 32));
        // appending after a prune continues the chain
        j.append(&ev("s9", "k", json!({}))).unwrap();
        assert!(j.verify().unwrap().ok());
        // a pruned range that no prune record covers is reported
        j.conn()
            .execute("UPDATE pruned SET prune_seq = 33", [])
            .unwrap();
        let r = j.verify().unwrap();
        assert_eq!(r.first_bad(), Some(1), "{r}");
    }

    #[test]
    fn prune_if_due_runs_at_most_once_per_interval() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(d.path()).unwrap();
        for s in ["old", "new"] {
            let mut e = ev(s, "k", json!({}));
            e.time_ns = if s == "old" { 10 } else { 1_000_000 };
            j.append(&e).unwrap();
        }
        let r = Retention {
            max_age_ns: Some(1_000),
            max_size: None,
        };
        let first = j.prune_if_due(&r, 1_000_000, 500).unwrap().unwrap();
        assert_eq!(first.sessions, ["old"]);
        assert!(j.prune_if_due(&r, 1_000_100, 500).unwrap().is_none());
        assert!(j.prune_if_due(&r, 1_000_600, 500).unwrap().is_some());
        assert!(j.verify().unwrap().ok());
    }

    #[test]
    fn short_lived_writers_keep_the_wal_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("journal.db-wal");
        let mut largest = 0;
        // One journal per append, as one hook process per event does.
        for i in 0..200 {
            let j = Journal::open_short_lived(dir.path()).unwrap();
            j.append(&ev(
                "s",
                "hook.pre_tool_use",
                json!({"i": i, "pad": "x".repeat(300)}),
            ))
            .unwrap();
            drop(j);
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        let limit = u64::from(SHORT_LIVED_WAL_PAGES) * 4096;
        assert!(largest <= limit + 16 * 4120, "WAL grew to {largest} bytes");
        let j = Journal::open_read_only(dir.path()).unwrap();
        let report = j.verify().unwrap();
        assert!(report.ok(), "{report}");
        assert_eq!(j.head().unwrap().unwrap().0, 200);
    }

    #[test]
    fn deleted_database_is_not_silently_recreated() {
        let d = tempfile::tempdir().unwrap();
        {
            let j = Journal::open(d.path()).unwrap();
            j.append(&ev("s", "k", json!({}))).unwrap();
        }
        for f in ["journal.db", "journal.db-wal", "journal.db-shm"] {
            let _ = std::fs::remove_file(d.path().join(f));
        }
        let e = Journal::open(d.path()).unwrap_err();
        assert!(e.to_string().contains("was deleted"), "{e}");
    }
}
