//! Reliability of the journal under real process behaviour: writers killed
//! with SIGKILL in the middle of heavy appends, concurrent writers, a
//! read-only data directory and a full disk.
mod audit_support;
use audit_support::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Start a writer that appends payloads `{"n": i}` for i = 0, 1, ... under
/// `session`, printing each committed seq. Returns the child and the thread
/// collecting printed seqs.
fn writer(
    d: &Data,
    session: &str,
    batch: usize,
) -> (std::process::Child, thread::JoinHandle<Vec<u64>>) {
    let mut child = d
        .cmd(&[
            "audit",
            "append",
            "--session",
            session,
            "--source",
            "hook",
            "--kind",
            "crash.test",
            "--batch",
            &batch.to_string(),
            "--print-seq",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    thread::spawn(move || {
        let pad = "x".repeat(300);
        for i in 0u64.. {
            if writeln!(stdin, "{{\"n\":{i},\"pad\":\"{pad}\"}}").is_err() {
                break;
            }
        }
    });
    let stdout = child.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    });
    (child, reader)
}

/// Sessions -> their payload counters in seq order, plus seq -> session.
fn by_session(d: &Data) -> (BTreeMap<String, Vec<u64>>, BTreeMap<u64, String>) {
    let mut sessions: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut seqs = BTreeMap::new();
    for r in d.records() {
        let s = r["session"].as_str().unwrap().to_string();
        seqs.insert(r["seq"].as_u64().unwrap(), s.clone());
        if let Some(n) = r["payload"]["n"].as_u64() {
            sessions.entry(s).or_default().push(n);
        }
    }
    (sessions, seqs)
}

#[test]
fn kill_9_mid_append_loses_no_committed_record() {
    let d = Data::new();
    d.ok(&["audit", "append", "--kind", "start"], "{}\n");
    let started = Instant::now();
    let mut printed: Vec<(String, Vec<u64>)> = Vec::new();
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rounds = 0;
    // Bounded: at most 10 rounds, and no new round after 40 s.
    while rounds < 10 && started.elapsed() < Duration::from_secs(40) {
        let mut writers = Vec::new();
        for w in 0..3 {
            let session = format!("r{rounds}w{w}");
            // Odd writers commit 7 events per transaction: kills land mid-batch too.
            let batch = if w % 2 == 1 { 7 } else { 1 };
            writers.push((session.clone(), writer(&d, &session, batch)));
        }
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        thread::sleep(Duration::from_millis(150 + (rng >> 33) % 400));
        for (session, (mut child, reader)) in writers {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            printed.push((session, reader.join().unwrap()));
        }
        rounds += 1;
    }
    let (code, v) = d.verify(&[]);
    assert_eq!(code, 0, "verify after {rounds} rounds of kill -9: {v}");

    let (sessions, seqs) = by_session(&d);
    let mut committed = 0;
    for (session, seen) in &printed {
        // Every seq a writer reported as committed is in the journal, under its session.
        for s in seen {
            assert_eq!(
                seqs.get(s),
                Some(session),
                "committed seq {s} of {session} is missing"
            );
        }
        // Within a session nothing is lost or reordered: counters are 0..n in seq order.
        let ns = sessions.get(session).cloned().unwrap_or_default();
        assert!(
            ns.len() >= seen.len(),
            "{session}: {} in journal < {} reported",
            ns.len(),
            seen.len()
        );
        assert!(
            ns.iter().enumerate().all(|(i, n)| *n == i as u64),
            "{session} out of order: {ns:?}"
        );
        committed += ns.len();
    }
    assert!(
        committed > 100,
        "writers made progress before being killed ({committed} records)"
    );
    // New writers still work after all that.
    d.ok(&["audit", "append", "--kind", "after"], "{}\n");
    assert_eq!(d.verify(&[]).0, 0);
}

#[test]
fn concurrent_writers_lose_and_reorder_nothing() {
    let d = Data::new();
    let per = 150u64;
    // Four long-running writers (sessions) ...
    let mut kids = Vec::new();
    for w in 0..4 {
        let payloads: String = (0..per).map(|i| format!("{{\"n\":{i}}}\n")).collect();
        let mut c = d
            .cmd(&[
                "audit",
                "append",
                "--session",
                &format!("w{w}"),
                "--source",
                "proxy",
                "--kind",
                "net.connect",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = c.stdin.take().unwrap();
        thread::spawn(move || stdin.write_all(payloads.as_bytes()));
        kids.push(c);
    }
    // ... and twenty short-lived hook processes appending one event each.
    let errors = Arc::new(Mutex::new(Vec::new()));
    let hooks: Vec<_> = (0..20)
        .map(|i| {
            let mut c: Command = d.cmd(&[
                "audit",
                "append",
                "--session",
                "hooks",
                "--source",
                "hook",
                "--kind",
                "hook.pre_tool_use",
            ]);
            let errors = errors.clone();
            thread::spawn(move || {
                let mut child = c
                    .stdin(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(format!("{{\"h\":{i}}}\n").as_bytes())
                    .unwrap();
                let o = child.wait_with_output().unwrap();
                if !o.status.success() {
                    errors
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&o.stderr).to_string());
                }
            })
        })
        .collect();
    for h in hooks {
        h.join().unwrap();
    }
    for c in kids {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(
        errors.lock().unwrap().is_empty(),
        "{:?}",
        errors.lock().unwrap()
    );
    let (sessions, seqs) = by_session(&d);
    assert_eq!(seqs.len() as u64, 4 * per + 20);
    assert_eq!(
        seqs.keys().copied().collect::<Vec<_>>(),
        (1..=4 * per + 20).collect::<Vec<_>>()
    );
    for w in 0..4 {
        assert_eq!(sessions[&format!("w{w}")], (0..per).collect::<Vec<_>>());
    }
    assert_eq!(seqs.values().filter(|s| *s == "hooks").count(), 20);
    assert_eq!(d.verify(&[]).0, 0);
}

/// Run a shell script in a private mount namespace (needs root, as in CI).
fn in_mount_ns(script: &str) -> std::process::Output {
    Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-ec", script])
        .output()
        .expect("unshare (util-linux) is needed")
}

#[test]
fn read_only_data_dir_is_refused_clearly() {
    let d = Data::new();
    std::fs::create_dir_all(d.dir()).unwrap();
    let script = format!(
        "mount --bind {dir} {dir}; mount -o remount,bind,ro {dir}; echo '{{}}' | CORDON_DATA_DIR={dir} {bin} audit append --kind k",
        dir = d.dir().display(),
        bin = BIN
    );
    let o = in_mount_ns(&format!("{script}; echo unreachable"));
    assert!(
        !o.status.success(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("cordon:"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.contains("Read-only file system"), "{line}");
    assert!(
        line.contains("(fix: make") && line.contains("CORDON_DATA_DIR"),
        "{line}"
    );
    // Exit status 125: refused.
    let o = in_mount_ns(&format!("{script} || echo status=$?"));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("status=125"),
        "{o:?}"
    );
}

#[test]
fn full_disk_is_reported_and_nothing_half_written() {
    let d = Data::new();
    std::fs::create_dir_all(d.dir()).unwrap();
    let big = d.tmp.path().join("big.jsonl");
    let pad = "y".repeat(2000);
    let lines: String = (0..2000)
        .map(|i| format!("{{\"n\":{i},\"pad\":\"{pad}\"}}\n"))
        .collect();
    std::fs::write(&big, lines).unwrap();
    let o = in_mount_ns(&format!(
        "mount -t tmpfs -o size=512k tmpfs {dir}
status=0
CORDON_DATA_DIR={dir} {bin} audit append --session full --kind k < {big} || status=$?
echo status=$status
CORDON_DATA_DIR={dir} {bin} audit verify || echo verify=$?
CORDON_DATA_DIR={dir} {bin} audit list --json | wc -l",
        dir = d.dir().display(),
        bin = BIN,
        big = big.display()
    ));
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(out.contains("status=125"), "stdout: {out}\nstderr: {err}");
    assert!(
        err.contains("full") && err.contains("fix: free space"),
        "{err}"
    );
    assert!(
        out.contains("ok: "),
        "what was committed before the disk filled verifies: {out}"
    );
    assert!(!out.contains("verify="), "{out}");
}

#[test]
fn many_processes_creating_a_new_journal_at_once_all_succeed() {
    for round in 0..5 {
        let d = Data::new();
        let kids: Vec<_> = (0..8)
            .map(|i| {
                let mut c = d
                    .cmd(&[
                        "audit",
                        "append",
                        "--session",
                        &format!("p{i}"),
                        "--kind",
                        "k",
                    ])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                c.stdin.take().unwrap().write_all(b"{}\n").unwrap();
                c
            })
            .collect();
        for c in kids {
            let o = c.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        assert_eq!(d.records().len(), 8);
        assert_eq!(d.verify(&[]).0, 0);
    }
}
