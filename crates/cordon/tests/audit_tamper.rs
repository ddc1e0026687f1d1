//! Every way of tampering with the journal is detected by `cordon audit
//! verify`, which names the first bad sequence number. The database is edited
//! with Python's sqlite3 module, as someone with access to the file would.
mod audit_support;
use audit_support::*;
use serde_json::json;

/// A journal of 20 records over two sessions.
fn journal() -> Data {
    let d = Data::new();
    let lines: Vec<_> = (0..20)
        .map(|i| {
            decision(
                if i % 2 == 0 { "a" } else { "b" },
                "hook",
                "hook.pre_tool_use",
                json!({"i": i, "command": format!("echo {i}"), "decision": "allow"}),
            )
        })
        .collect();
    d.append_events(&lines);
    assert_eq!(d.verify(&[]).0, 0);
    d
}

fn assert_tampered(d: &Data, first_bad: u64, words: &str) {
    let (code, v) = d.verify(&[]);
    assert_eq!(code, 1, "verify must fail: {v}");
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_bad_seq"], first_bad, "{v}");
    assert!(v["lines"].to_string().contains(words), "{v}");
    // The human output names the seq too.
    let o = d.run(&["audit", "verify"], "");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!("first bad seq {first_bad}")),
        "{text}"
    );
}

#[test]
fn edited_payload() {
    let d = journal();
    d.sql("db.execute(\"UPDATE records SET payload = replace(payload, 'allow', 'deny') WHERE seq = 7\")");
    assert_tampered(&d, 7, "was modified");
}

#[test]
fn edited_time_or_session() {
    let d = journal();
    d.sql("db.execute(\"UPDATE records SET session = 'x' WHERE seq = 12\")");
    assert_tampered(&d, 12, "was modified");
}

#[test]
fn deleted_row() {
    let d = journal();
    d.sql("db.execute('DELETE FROM records WHERE seq = 9')");
    assert_tampered(&d, 9, "deleted");
}

#[test]
fn swapped_rows() {
    let d = journal();
    // Swap the contents of records 5 and 6 (sequence numbers stay in place).
    d.sql(
        "cols = 'time_ns, session, source, kind, payload, prev_hash, hash'
a = db.execute(f'SELECT {cols} FROM records WHERE seq = 5').fetchone()
b = db.execute(f'SELECT {cols} FROM records WHERE seq = 6').fetchone()
upd = 'UPDATE records SET time_ns=?, session=?, source=?, kind=?, payload=?, prev_hash=?, hash=? WHERE seq=?'
db.execute(upd, (*b, 5))
db.execute(upd, (*a, 6))",
    );
    assert_tampered(&d, 5, "record");
}

#[test]
fn renumbered_rows() {
    let d = journal();
    // Move record 4 to the end, renumbering: a reordering.
    d.sql("db.execute('UPDATE records SET seq = 21 WHERE seq = 4')");
    assert_tampered(&d, 4, "deleted");
}

#[test]
fn inserted_row() {
    let d = journal();
    d.sql(
        "for s in range(20, 9, -1):
    db.execute('UPDATE records SET seq = ? WHERE seq = ?', (s + 1, s))
db.execute(\"INSERT INTO records VALUES (10, 1, 'a', 'hook', 'k', '{}', zeroblob(32), zeroblob(32))\")",
    );
    assert_tampered(&d, 10, "record");
}

#[test]
fn truncated_tail() {
    let d = journal();
    d.sql("db.execute('DELETE FROM records WHERE seq > 17')");
    assert_tampered(&d, 18, "cut off the tail");
}

#[test]
fn older_copy_restored() {
    let d = journal();
    let copy = d.tmp.path().join("old.db");
    // A consistent copy of the journal at 20 records.
    python(&format!(
        "import sqlite3\nsrc = sqlite3.connect({:?})\ndst = sqlite3.connect({:?})\nsrc.backup(dst)\ndst.close()\n",
        d.db().to_str().unwrap(),
        copy.to_str().unwrap()
    ));
    d.append_events(&[
        decision("c", "cli", "k", json!({})),
        decision("c", "cli", "k", json!({})),
    ]);
    for f in ["journal.db-wal", "journal.db-shm"] {
        let _ = std::fs::remove_file(d.dir().join(f));
    }
    std::fs::copy(&copy, d.db()).unwrap();
    assert_tampered(&d, 21, "older copy");
}

#[test]
fn deleted_database_is_refused_not_recreated() {
    let d = journal();
    for f in ["journal.db", "journal.db-wal", "journal.db-shm"] {
        let _ = std::fs::remove_file(d.dir().join(f));
    }
    let (code, v) = d.verify(&[]);
    assert_eq!(code, 1, "{v}");
    assert!(v["lines"].to_string().contains("was deleted"), "{v}");
    let o = d.run(&["audit", "append", "--kind", "k"], "{}\n");
    assert_eq!(o.status.code(), Some(125));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("was deleted") && err.contains("fix:"), "{err}");
}

#[test]
fn removed_head_anchor_is_reported() {
    let d = journal();
    std::fs::remove_file(d.dir().join("head")).unwrap();
    let (code, v) = d.verify(&[]);
    assert_eq!(code, 1, "{v}");
    assert!(v["lines"].to_string().contains("anchor"), "{v}");
}

/// The record hash of docs/AUDIT.md, written independently in Python.
const PY_HASH: &str = r#"
import hashlib, struct
def rec_hash(seq, t, session, source, kind, payload, prev):
    h = hashlib.sha256()
    h.update(b"cordon-audit/v1\n")
    h.update(struct.pack(">QQ", seq, t))
    for f in (session, source, kind, payload):
        b = f.encode()
        h.update(struct.pack(">I", len(b)))
        h.update(b)
    h.update(prev)
    return h.digest()
"#;

#[test]
fn python_recomputes_the_documented_hash() {
    let d = journal();
    let out = python(&format!(
        "{PY_HASH}
import sqlite3
db = sqlite3.connect({:?})
prev = bytes(32)
for seq, t, s, src, k, p, ph, h in db.execute('SELECT * FROM records ORDER BY seq'):
    assert ph == prev, seq
    assert rec_hash(seq, t, s, src, k, p, prev) == h, seq
    prev = h
print('ok')
",
        d.db().to_str().unwrap()
    ));
    assert_eq!(out.trim(), "ok");
}

#[test]
fn full_rewrite_is_caught_by_an_earlier_checkpoint() {
    let d = journal();
    let note = d.ok(&["audit", "checkpoint"], "");
    let kept = d.tmp.path().join("cp.txt");
    std::fs::write(&kept, &note).unwrap();
    let vkey = std::fs::read_to_string(d.dir().join("audit.pub")).unwrap();
    // An attacker with write access edits record 3, recomputes the whole chain,
    // rewrites the head anchor and deletes the stored checkpoint.
    d.sql(&format!(
        "{PY_HASH}
db.execute(\"UPDATE records SET payload = replace(payload, 'allow', 'deny') WHERE seq = 3\")
prev = bytes(32)
for seq, t, s, src, k, p in db.execute('SELECT seq, time_ns, session, source, kind, payload FROM records ORDER BY seq').fetchall():
    h = rec_hash(seq, t, s, src, k, p, prev)
    db.execute('UPDATE records SET prev_hash = ?, hash = ? WHERE seq = ?', (prev, h, seq))
    prev = h
lines = open({anchor:?}).read().split('\\n')
lines[3] = prev.hex()
open({anchor:?}, 'w').write('\\n'.join(lines))
",
        anchor = d.dir().join("head").to_str().unwrap()
    ));
    std::fs::remove_file(d.dir().join("checkpoint")).unwrap();
    // The chain alone looks intact ...
    assert_eq!(d.verify(&[]).0, 0);
    // ... but the checkpoint someone kept proves history was rewritten.
    let (code, v) = d.verify(&["--checkpoint", kept.to_str().unwrap(), "--key", vkey.trim()]);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["lines"].to_string().contains("history was rewritten"),
        "{v}"
    );
}

#[test]
fn stored_checkpoint_catches_an_older_copy_with_an_older_anchor() {
    let d = journal();
    let copy_db = d.tmp.path().join("old.db");
    let copy_head = d.tmp.path().join("old.head");
    python(&format!(
        "import sqlite3\nsrc = sqlite3.connect({:?})\ndst = sqlite3.connect({:?})\nsrc.backup(dst)\ndst.close()\n",
        d.db().to_str().unwrap(),
        copy_db.to_str().unwrap()
    ));
    std::fs::copy(d.dir().join("head"), &copy_head).unwrap();
    d.append_events(&[decision("c", "cli", "k", json!({}))]);
    d.ok(&["audit", "checkpoint"], "");
    // Restore database and anchor from the older copy.
    for f in ["journal.db-wal", "journal.db-shm"] {
        let _ = std::fs::remove_file(d.dir().join(f));
    }
    std::fs::copy(&copy_db, d.db()).unwrap();
    std::fs::copy(&copy_head, d.dir().join("head")).unwrap();
    let (code, v) = d.verify(&[]);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["lines"].to_string().contains("older copy restored"),
        "{v}"
    );
}
