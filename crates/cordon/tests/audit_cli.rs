//! `cordon audit` end to end: append, list, show, stats, tail -f, checkpoint, prune.
mod audit_support;
use audit_support::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn seed(d: &Data) {
    d.append_events(&[
        decision(
            "s1",
            "proxy",
            "net.connect",
            json!({"host": "evil.example", "port": 443, "decision": "deny"}),
        ),
        decision(
            "s1",
            "proxy",
            "net.connect",
            json!({"host": "crates.io", "port": 443, "decision": "allow"}),
        ),
        decision(
            "s1",
            "proxy",
            "net.connect",
            json!({"host": "evil.example", "port": 80, "decision": "deny"}),
        ),
        decision(
            "s2",
            "hook",
            "hook.pre_tool_use",
            json!({"tool": "Bash", "command": "rm -rf ~", "decision": "deny"}),
        ),
        decision(
            "s2",
            "hook",
            "hook.pre_tool_use",
            json!({"tool": "Bash", "command": "git push", "decision": "ask"}),
        ),
        decision(
            "s2",
            "hook",
            "hook.pre_tool_use",
            json!({"tool": "Read", "path": "src/a.rs", "decision": "allow"}),
        ),
        decision(
            "s2",
            "hook",
            "hook.post_tool_use",
            json!({"tool": "WebFetch", "untrusted": "web", "scan": {"level": "suspicious"}}),
        ),
        decision("s3", "sandbox", "sandbox.exit", json!({"exit_code": 0})),
    ]);
}

#[test]
fn path_is_in_the_data_dir() {
    let d = Data::new();
    let out = d.ok(&["audit", "path"], "");
    assert_eq!(out.trim(), d.db().to_str().unwrap());
}

#[test]
fn list_show_and_filters() {
    let d = Data::new();
    seed(&d);
    let all = d.records();
    assert_eq!(all.len(), 8);
    for (i, r) in all.iter().enumerate() {
        assert_eq!(r["seq"], i as u64 + 1);
        if i > 0 {
            assert_eq!(r["prev_hash"], all[i - 1]["hash"]);
        }
    }
    let by = |args: &[&str]| -> Vec<u64> {
        let mut a = vec!["audit", "list", "--json"];
        a.extend_from_slice(args);
        d.ok(&a, "")
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(by(&["--session", "s1"]), [1, 2, 3]);
    assert_eq!(by(&["--kind", "hook"]), [4, 5, 6, 7]);
    assert_eq!(
        by(&["--kind", "hook.pre_tool_use", "--session", "s2"]),
        [4, 5, 6]
    );
    assert_eq!(by(&["--last", "2"]), [7, 8]);
    assert_eq!(by(&["--since", "1h"]).len(), 8);
    assert!(by(&["--since", "2999-01-01"]).is_empty());

    let text = d.ok(&["audit", "list", "--session", "s2"], "");
    assert!(text.contains("rm -rf ~") && text.contains("deny"), "{text}");

    let show = d.ok(&["audit", "show", "4", "--json"], "");
    let v: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert_eq!(v["payload"]["command"], "rm -rf ~");
    assert_eq!(v["hash_matches_content"], true);
    let missing = d.run(&["audit", "show", "99"], "");
    assert_eq!(missing.status.code(), Some(1));

    let bad = d.run(&["audit", "list", "--since", "yesterday-ish"], "");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("fix:"));
}

#[test]
fn stats_numbers() {
    let d = Data::new();
    seed(&d);
    let s: serde_json::Value =
        serde_json::from_str(&d.ok(&["audit", "stats", "--json"], "")).unwrap();
    assert_eq!(s["records"], 8);
    assert_eq!(s["sessions"], 3);
    assert_eq!(s["decisions"], json!({"allow": 2, "ask": 1, "deny": 3}));
    assert_eq!(s["prompts_asked"], 1);
    // hook allow + hook deny answered by policy; the proxy's are not prompts
    assert_eq!(s["prompts_avoided"], 2);
    assert_eq!(s["taint_events"], 1);
    assert_eq!(
        s["blocked_hosts"][0],
        json!({"name": "evil.example", "count": 2, "last_seq": 3})
    );
    assert_eq!(s["blocked_commands"][0]["name"], "rm -rf ~");
    assert_eq!(s["blocked_hosts_total"], 1);
    assert_eq!(s["blocked_commands_total"], 1);
    assert_eq!(
        s["decisions_by_kind"]["net.connect"],
        json!({"allow": 1, "ask": 0, "deny": 2})
    );
    let text = d.ok(&["audit", "stats"], "");
    assert!(text.contains("prompts: asked 1  avoided 2"), "{text}");
}

#[test]
fn append_rejects_malformed_lines_with_line_number() {
    let d = Data::new();
    let o = d.run(
        &["audit", "append"],
        "{\"session\":\"s\",\"source\":\"hook\",\"kind\":\"k\"}\nnot json\n",
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("stdin:2:"), "{err}");
    let o = d.run(
        &["audit", "append", "--kind", "k", "--source", "martian"],
        "{}\n",
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn reading_a_missing_journal_says_where_it_looked() {
    let d = Data::new();
    let o = d.run(&["audit", "list"], "");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no journal at") && err.contains("fix:"),
        "{err}"
    );
}

#[test]
fn tail_follow_prints_new_records() {
    let d = Data::new();
    seed(&d);
    let mut child = d
        .cmd(&["audit", "tail", "-f", "-n", "2", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Watchdog: if tail never prints, kill it so the reads below end instead of hanging.
    let (done, watch) = std::sync::mpsc::channel::<()>();
    let pid = child.id().to_string();
    let watchdog = std::thread::spawn(move || {
        if watch.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid])
                .status();
        }
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seqs = Vec::new();
    for _ in 0..2 {
        let l = lines.next().expect("tail -f printed nothing").unwrap();
        seqs.push(
            serde_json::from_str::<serde_json::Value>(&l).unwrap()["seq"]
                .as_u64()
                .unwrap(),
        );
    }
    assert_eq!(seqs, [7, 8]);
    // Appends from other processes show up.
    for i in 0..3 {
        d.append_events(&[decision("s9", "mcp", "mcp.call", json!({"i": i}))]);
    }
    let start = Instant::now();
    let mut got = Vec::new();
    while got.len() < 3 && start.elapsed() < Duration::from_secs(20) {
        let l = lines.next().expect("tail -f printed nothing").unwrap();
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        got.push((
            v["seq"].as_u64().unwrap(),
            v["payload"]["i"].as_u64().unwrap(),
        ));
    }
    let _ = done.send(());
    watchdog.join().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(got, [(9, 0), (10, 1), (11, 2)]);
}

#[test]
fn checkpoint_is_a_signed_note_and_later_journals_extend_it() {
    let d = Data::new();
    seed(&d);
    let note = d.ok(&["audit", "checkpoint"], "");
    let lines: Vec<&str> = note.lines().collect();
    let id = std::fs::read_to_string(d.dir().join("head")).unwrap();
    let id = id.lines().nth(1).unwrap();
    assert_eq!(lines[0], format!("cordon-audit/{id}"));
    assert_eq!(lines[1], "8");
    assert_eq!(lines[2].len(), 44, "base64 of a SHA-256 hash");
    assert_eq!(lines[3], "");
    assert!(
        lines[4].starts_with(&format!("\u{2014} cordon-audit/{id} ")),
        "{}",
        lines[4]
    );
    let vkey = std::fs::read_to_string(d.dir().join("audit.pub")).unwrap();
    assert!(vkey.starts_with(&format!("cordon-audit/{id}+")), "{vkey}");
    let key_mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(d.dir().join("audit.key"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(key_mode & 0o077, 0, "the signing key is private");

    let cp = d.tmp.path().join("cp.txt");
    std::fs::write(&cp, &note).unwrap();
    d.append_events(&[decision("s4", "cli", "cli.x", json!({}))]);
    let (code, v) = d.verify(&["--checkpoint", cp.to_str().unwrap(), "--key", vkey.trim()]);
    assert_eq!(code, 0, "{v}");
    assert!(
        v["lines"]
            .to_string()
            .contains("extends the checkpoint at 8"),
        "{v}"
    );

    // A checkpoint whose signature was altered is rejected.
    let forged = note.replace("\n8\n", "\n7\n");
    std::fs::write(&cp, forged).unwrap();
    let (code, v) = d.verify(&["--checkpoint", cp.to_str().unwrap()]);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["lines"].to_string().contains("signature does not match"),
        "{v}"
    );
}

#[test]
fn prune_removes_whole_old_sessions_and_keeps_the_chain_verifiable() {
    let d = Data::new();
    let day = 86_400_000_000_000u64;
    let now = cordon_event::now_ns();
    let mut lines = Vec::new();
    // Interleaved old sessions and one recent one.
    for i in 0..60u64 {
        let (s, t) = match i % 3 {
            0 => ("old-a", now - 40 * day + i),
            1 => ("old-b", now - 35 * day + i),
            _ => ("new", now - i),
        };
        lines.push(json!({"session": s, "source": "hook", "kind": "hook.pre_tool_use", "time_ns": t, "payload": {"i": i, "decision": "allow"}}));
    }
    d.append_events(&lines);
    let dry = d.ok(&["audit", "prune", "--max-age-days", "30", "--dry-run"], "");
    assert!(
        dry.contains("would remove 40 records of 2 sessions"),
        "{dry}"
    );
    assert_eq!(d.records().len(), 60);

    let out = d.ok(&["audit", "prune", "--max-age-days", "30"], "");
    assert!(out.contains("removed 40 records of 2 sessions"), "{out}");
    let recs = d.records();
    assert_eq!(recs.len(), 21, "20 kept + the prune record");
    let last = recs.last().unwrap();
    assert_eq!(last["kind"], "audit.prune");
    assert_eq!(last["payload"]["records"], 40);
    assert!(recs[..20].iter().all(|r| r["session"] == "new"));
    let (code, v) = d.verify(&[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["report"]["pruned"], 40);
    // The chain continues after a prune; pruned records say so.
    d.append_events(&[decision("new", "hook", "k", json!({}))]);
    assert_eq!(d.verify(&[]).0, 0);
    let o = d.run(&["audit", "show", "1"], "");
    assert!(String::from_utf8_lossy(&o.stderr).contains("removed by retention"));

    // Config [audit] max_age_days is used when no flag is given.
    std::fs::create_dir_all(d.tmp.path().join(".config/cordon")).unwrap();
    std::fs::write(
        d.tmp.path().join(".config/cordon/config.toml"),
        "[audit]\nmax_age_days = 3650\n",
    )
    .unwrap();
    let out = d.ok(&["audit", "prune"], "");
    assert!(out.contains("removed 0 records"), "{out}");
}

/// The checkpoint's signed-note encoding, checked with independent tools:
/// key id recomputed with Python's hashlib, signature verified by OpenSSL.
#[test]
fn checkpoint_signature_verifies_with_openssl() {
    let d = Data::new();
    seed(&d);
    let note = d.ok(&["audit", "checkpoint"], "");
    let vkey = std::fs::read_to_string(d.dir().join("audit.pub")).unwrap();
    let work = d.tmp.path().join("ossl");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("note"), &note).unwrap();
    std::fs::write(work.join("vkey"), vkey.trim()).unwrap();
    let out = python(&format!(
        r#"
import base64, hashlib, os
w = {w:?}
name, idhex, b64 = open(w + "/vkey").read().split("+", 2)
raw = base64.b64decode(b64)
assert raw[0] == 1 and len(raw) == 33, "Ed25519 verifier key"
assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == idhex, "key id"
note = open(w + "/note", encoding="utf-8").read()
cut = note.rindex("\n\n")
text, sigs = note[:cut + 1], note[cut + 2:]
line = sigs.splitlines()[0]
dash, signer, sig64 = line.split(" ")
assert dash == "\u2014" and signer == name
sig = base64.b64decode(sig64)
assert sig[:4].hex() == idhex and len(sig) == 68
open(w + "/msg", "wb").write(text.encode())
open(w + "/bad", "wb").write(text.replace("\n", "\n ", 1).encode())
open(w + "/sig", "wb").write(sig[4:])
der = bytes.fromhex("302a300506032b6570032100") + raw[1:]
pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----\n"
open(w + "/pub.pem", "w").write(pem)
print("ok")
"#,
        w = work.to_str().unwrap()
    ));
    assert_eq!(out.trim(), "ok");
    let verify = |msg: &str| {
        std::process::Command::new("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-rawin", "-inkey"])
            .arg(work.join("pub.pem"))
            .arg("-in")
            .arg(work.join(msg))
            .arg("-sigfile")
            .arg(work.join("sig"))
            .output()
            .expect("openssl is needed")
    };
    let good = verify("msg");
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(String::from_utf8_lossy(&good.stdout).contains("Signature Verified Successfully"));
    assert!(
        !verify("bad").status.success(),
        "a changed note must not verify"
    );
}
