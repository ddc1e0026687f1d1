//! The catalogue (`cordon_catalog`) is what every component enforces: each
//! workspace point, in every family, is tried at depth against the sandbox
//! (created: quarantined; existing: read-only) and against the policy engine
//! (a Write asks); each secret path is tried against both (hidden; a Read asks).
mod sandbox_support;
use cordon_catalog::{Kind, Scope, SECRETS, WORKSPACE_POINTS};
use sandbox_support::*;
use std::io::Write;
use std::path::Path;

/// Where point `i` is tried: below `base/i/` (at depth, never at the root).
fn at(base: &str, i: usize, path: &str) -> String {
    format!("{base}/{i}/{path}")
}

#[test]
fn every_point_created_at_depth_is_quarantined() {
    for who in BOTH {
        let w = World::new(who);
        let mut script = String::new();
        for (i, p) in WORKSPACE_POINTS.iter().enumerate() {
            let rel = at("deep/er", i, p.path);
            match p.kind {
                Kind::Dir => script.push_str(&format!(
                    "mkdir -p '{rel}' && echo 'echo pwned' > '{rel}/run'\n"
                )),
                Kind::File => script.push_str(&format!(
                    "mkdir -p \"$(dirname '{rel}')\" && echo 'echo pwned' > '{rel}'\n"
                )),
            }
        }
        script.push_str("echo done\n");
        let o = w.run(&[], &script);
        let (stdout, stderr) = (ok(&o), err(&o));
        assert!(stdout.contains("done"), "{stdout}\n{stderr}");
        let mut list = w.cordon();
        let list = out(&list.args(["quarantine", "list"]).output().unwrap());
        let ws = std::fs::canonicalize(&w.ws).unwrap();
        for (i, p) in WORKSPACE_POINTS.iter().enumerate() {
            let rel = at("deep/er", i, p.path);
            assert!(
                w.ws.join(&rel).symlink_metadata().is_err(),
                "{who:?}: {:?} {} left in place:\n{stderr}",
                p.family,
                p.path
            );
            let full = format!("\t{}\t", ws.join(&rel).display());
            assert!(list.contains(&full), "{rel} not listed:\n{list}");
        }
        assert!(stderr.contains("more quarantined"), "{stderr}");
    }
}

#[test]
fn every_existing_point_at_depth_stays_read_only() {
    for who in BOTH {
        let w = World::new(who);
        let mut script = String::new();
        for (i, p) in WORKSPACE_POINTS.iter().enumerate() {
            let rel = at("pre", i, p.path);
            let file = match p.kind {
                Kind::Dir => format!("{rel}/f"),
                Kind::File => rel.clone(),
            };
            std::fs::create_dir_all(w.ws.join(&file).parent().unwrap()).unwrap();
            std::fs::write(w.ws.join(&file), "person's\n").unwrap();
            script.push_str(&format!(
                "echo x >> '{file}' 2>/dev/null && echo 'WROTE {file}'\n"
            ));
            if p.kind == Kind::Dir {
                script.push_str(&format!(
                    "echo x > '{rel}/new' 2>/dev/null && echo 'CREATED {rel}/new'\n"
                ));
            }
            script.push_str(&format!(
                "mv '{rel}' '{rel}.moved' 2>/dev/null && echo 'MOVED {rel}'\n"
            ));
        }
        if who == As::Nobody {
            let _ = std::process::Command::new("chown")
                .args(["-R", "65534:65534"])
                .arg(&w.ws)
                .status();
        }
        script.push_str("echo done\n");
        let o = w.run(&[], &script);
        let (stdout, stderr) = (ok(&o), err(&o));
        assert!(stdout.contains("done"), "{stdout}\n{stderr}");
        for bad in ["WROTE", "CREATED", "MOVED"] {
            assert!(!stdout.contains(bad), "{who:?}: {stdout}");
        }
        assert!(!stderr.contains("quarantined"), "{stderr}");
        for (i, p) in WORKSPACE_POINTS.iter().enumerate() {
            let rel = at("pre", i, p.path);
            let file = match p.kind {
                Kind::Dir => format!("{rel}/f"),
                Kind::File => rel,
            };
            assert_eq!(
                std::fs::read_to_string(w.ws.join(&file)).unwrap(),
                "person's\n"
            );
        }
    }
}

/// `~/x*y` planted as `~/xXy` (a glob entry gets one concrete name).
fn concrete(path: &str) -> String {
    path.replace('*', "X")
}

#[test]
fn every_hidden_secret_is_hidden() {
    for who in BOTH {
        let w = World::new(who);
        let mut script = String::new();
        for s in SECRETS.iter().filter(|s| s.scope == Scope::Hidden) {
            let Some(rel) = s.path.strip_prefix("~/") else {
                continue; // system paths: tested in sandbox_escape
            };
            let mut p = w.home.join(concrete(rel));
            if p.is_dir() {
                p = p.join("planted");
            }
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, SECRET).unwrap();
            script.push_str(&format!("cat '{}' 2>/dev/null\n", p.display()));
        }
        if who == As::Nobody {
            let _ = std::process::Command::new("chown")
                .args(["-R", "65534:65534"])
                .arg(&w.home)
                .status();
        }
        script.push_str("echo done\n");
        let o = ok(&w.run(&[], &script));
        assert!(o.contains("done"), "{o}");
        assert!(
            !o.contains(SECRET),
            "{who:?}: a catalogue secret leaked: {o}"
        );
    }
}

/// Decide a batch of actions with `cordon check`; one decision per line.
fn check_batch(w: &World, lines: &[String]) -> Vec<String> {
    let mut c = w.cordon();
    c.args(["check", "--workspace", "/w", "--batch", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    for l in lines {
        writeln!(input, "{l}").unwrap();
    }
    drop(input);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    out(&o).lines().map(str::to_string).collect()
}

fn decision(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["decision"].as_str().unwrap().to_string()
}

#[test]
fn the_policy_engine_reads_the_same_catalogue() {
    let w = World::new(As::Root);
    // A Write to every point, at depth, asks (or is denied).
    let writes: Vec<(String, String)> = WORKSPACE_POINTS
        .iter()
        .map(|p| {
            let path = match p.kind {
                Kind::Dir => format!("/w/sub/dir/{}/x.json", p.path),
                Kind::File => format!("/w/sub/dir/{}", p.path),
            };
            let line =
                serde_json::json!({"tool": "Write", "input": {"file_path": path, "content": "x"}});
            (path, line.to_string())
        })
        .collect();
    let lines: Vec<String> = writes.iter().map(|(_, l)| l.clone()).collect();
    for ((path, _), got) in writes.iter().zip(check_batch(&w, &lines)) {
        assert_ne!(decision(&got), "allow", "Write({path}) was allowed: {got}");
    }
    // A Read of every secret asks; the same path hidden by `cordon run`.
    let reads: Vec<(String, String)> = SECRETS
        .iter()
        .filter(|s| s.scope != Scope::Own)
        .map(|s| {
            let p = concrete(s.path);
            let path = if let Some(rest) = p.strip_prefix("~/") {
                format!("{}/{rest}/x", w.home.display())
            } else if p.starts_with('/') {
                p.replace("/proc/X/", "/proc/1/")
            } else {
                format!("/w/sub/{p}")
            };
            let line = serde_json::json!({"tool": "Read", "input": {"file_path": path}});
            (path, line.to_string())
        })
        .collect();
    let lines: Vec<String> = reads.iter().map(|(_, l)| l.clone()).collect();
    for ((path, _), got) in reads.iter().zip(check_batch(&w, &lines)) {
        assert_ne!(decision(&got), "allow", "Read({path}) was allowed: {got}");
    }
    // Ordinary work is still allowed.
    let ok_lines = [
        serde_json::json!({"tool": "Write", "input": {"file_path": "/w/src/main.rs", "content": "x"}}).to_string(),
        serde_json::json!({"tool": "Read", "input": {"file_path": "/w/Makefile"}}).to_string(),
    ];
    for got in check_batch(&w, &ok_lines) {
        assert_eq!(decision(&got), "allow", "{got}");
    }
}

#[test]
fn the_docs_list_the_whole_catalogue() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/SANDBOX.md"),
    )
    .unwrap();
    for p in WORKSPACE_POINTS {
        assert!(
            doc.contains(&format!("`{}`", p.path)),
            "docs/SANDBOX.md lacks `{}`",
            p.path
        );
    }
    for s in SECRETS.iter().filter(|s| s.scope == Scope::Hidden) {
        assert!(
            doc.contains(&format!("`{}`", s.path)),
            "docs/SANDBOX.md lacks `{}`",
            s.path
        );
    }
}
