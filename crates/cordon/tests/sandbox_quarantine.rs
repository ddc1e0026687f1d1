//! The quarantine: every place code runs from on the host that a contained
//! command creates, at any depth of the workspace, is moved out of it after
//! the run, cannot be jammed, and comes back only on `cordon quarantine restore`.
mod sandbox_support;
use sandbox_support::*;
use std::path::Path;

/// `cordon quarantine ARGS` in the world; (status code, stdout, stderr).
fn q(w: &World, args: &[&str]) -> (i32, String, String) {
    let mut c = w.cordon();
    c.arg("quarantine").args(args);
    let o = c.output().unwrap();
    (o.status.code().unwrap_or(-1), out(&o), err(&o))
}

/// The ids `cordon quarantine list` prints, by the path they came from.
fn ids(w: &World) -> Vec<(String, String)> {
    let (code, o, e) = q(w, &["list"]);
    assert_eq!(code, 0, "{e}");
    o.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let rel = Path::new(f[3])
                .strip_prefix(std::fs::canonicalize(&w.ws).unwrap())
                .unwrap()
                .display()
                .to_string();
            (rel, f[0].to_string())
        })
        .collect()
}

fn id_of(w: &World, rel: &str) -> String {
    ids(w)
        .into_iter()
        .find(|(r, _)| r == rel)
        .unwrap_or_else(|| panic!("{rel} not in the quarantine: {:?}", ids(w)))
        .1
}

#[test]
fn created_points_at_any_depth_are_moved_out_and_reported() {
    for who in BOTH {
        let w = World::new(who);
        let script = r#"
            mkdir -p pkg/sub a/b/.claude x .cargo tools/.git/hooks
            echo 'echo pwned' > pkg/sub/.envrc
            echo '{"hooks":{}}' > a/b/.claude/settings.json
            echo '{"mcpServers":{}}' > x/.mcp.json
            echo 'echo pwned' > tools/.git/hooks/post-checkout
            echo ordinary > pkg/sub/main.rs
            echo done
        "#;
        let o = w.run(&[], script);
        let (stdout, stderr) = (ok(&o), err(&o));
        assert!(stdout.contains("done"), "{stdout}");
        for p in [
            "pkg/sub/.envrc",
            "a/b/.claude",
            "x/.mcp.json",
            "tools/.git/hooks",
        ] {
            assert!(!w.ws.join(p).exists(), "{who:?}: {p} left in place");
            assert!(stderr.contains(&format!("quarantined {p} (")), "{stderr}");
        }
        assert!(w.ws.join("pkg/sub/main.rs").exists(), "ordinary work stays");
        assert!(w.ws.join("a/b").is_dir(), "only the point itself moves");
        // The store is outside the workspace, in cordon's data directory.
        let id = id_of(&w, "a/b/.claude");
        let (code, shown, _) = q(&w, &["show", &id]);
        assert_eq!(code, 0);
        assert!(
            shown.contains("settings.json") && shown.contains("hooks"),
            "{shown}"
        );
    }
}

#[test]
fn existing_points_below_the_root_stay_read_only() {
    for who in BOTH {
        let w = World::new(who);
        std::fs::create_dir_all(w.ws.join("pkg/.claude")).unwrap();
        std::fs::write(w.ws.join("pkg/.claude/settings.json"), "{}").unwrap();
        std::fs::write(w.ws.join("pkg/.envrc"), "# person's\n").unwrap();
        if who == As::Nobody {
            let _ = std::process::Command::new("chown")
                .args(["-R", "65534:65534"])
                .arg(&w.ws)
                .status();
        }
        let script = r#"
            echo '{"hooks":{}}' > pkg/.claude/settings.json 2>/dev/null && echo CLAUDE-WRITTEN
            echo evil >> pkg/.envrc 2>/dev/null && echo ENVRC-WRITTEN
            rm -f pkg/.envrc 2>/dev/null; mv pkg/.claude pkg/old 2>/dev/null && echo MOVED
            echo done
        "#;
        let o = ok(&w.run(&[], script));
        assert!(o.contains("done"), "{o}");
        for bad in ["CLAUDE-WRITTEN", "ENVRC-WRITTEN", "MOVED"] {
            assert!(!o.contains(bad), "{who:?}: {bad}: {o}");
        }
        assert_eq!(
            std::fs::read_to_string(w.ws.join("pkg/.envrc")).unwrap(),
            "# person's\n"
        );
        assert_eq!(
            std::fs::read_to_string(w.ws.join("pkg/.claude/settings.json")).unwrap(),
            "{}"
        );
    }
}

#[test]
fn the_quarantine_cannot_be_jammed() {
    for who in BOTH {
        let w = World::new(who);
        let outside = w.outside.display().to_string();
        // The old quarantine name made a non-empty directory; a symlink to a
        // directory outside; a file where a directory point goes; a parent
        // directory replaced by a symlink; a point made unreadable.
        let script = format!(
            r#"
            mkdir -p .envrc.cordon-quarantine/full && echo x > .envrc.cordon-quarantine/full/f
            echo 'echo pwned' > .envrc
            ln -s {outside} .claude
            echo 'not a dir' > .vscode
            mkdir -p deep/.codex && echo x > deep/.codex/config.toml && chmod 000 deep/.codex
            ln -s {outside} pkg
            echo done
            "#
        );
        let o = w.run(&["--allow-write", &outside], &script);
        let (stdout, stderr) = (ok(&o), err(&o));
        assert!(stdout.contains("done"), "{stdout}");
        for p in [".envrc", ".claude", ".vscode", "deep/.codex"] {
            assert!(
                w.ws.join(p).symlink_metadata().is_err(),
                "{who:?}: {p} left in place: {stderr}"
            );
        }
        // The symlink moved, not what it points to.
        assert!(w.outside.join("host-file").exists());
        assert!(w.ws.join(".envrc.cordon-quarantine/full/f").exists());
        let id = id_of(&w, ".claude");
        let (_, shown, _) = q(&w, &["show", &id]);
        assert!(shown.contains(&format!("-> {outside}")), "{shown}");
    }
}

#[test]
fn a_point_that_cannot_be_moved_is_a_loud_failure() {
    // An unprivileged run: the command makes the parent directory read-only,
    // so the point cannot be renamed out of it (root would ignore the mode).
    let w = World::new(As::Nobody);
    let o = w.run(
        &[],
        "mkdir -p pkg && echo 'echo pwned' > pkg/.envrc && chmod 555 pkg && echo done",
    );
    assert!(out(&o).contains("done"));
    assert_eq!(o.status.code(), Some(125), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("could not quarantine") && e.contains("pkg/.envrc"),
        "{e}"
    );
    assert!(e.contains("the command exited 0"), "{e}");
}

#[test]
fn restore_puts_back_only_on_request_and_never_overwrites() {
    for who in BOTH {
        let w = World::new(who);
        let o = w.run(&[], "mkdir -p pkg && echo 'export A=1' > pkg/.envrc");
        ok(&o);
        assert!(!w.ws.join("pkg/.envrc").exists());
        let id = id_of(&w, "pkg/.envrc");
        let (_, shown, _) = q(&w, &["show", &id]);
        assert!(shown.contains("export A=1"), "{shown}");
        // Something is in the way: refused, nothing overwritten.
        std::fs::write(w.ws.join("pkg/.envrc"), "person's\n").unwrap();
        let (code, _, e) = q(&w, &["restore", &id]);
        assert_eq!(code, 1, "{e}");
        assert!(e.contains("not overwriting"), "{e}");
        assert_eq!(
            std::fs::read_to_string(w.ws.join("pkg/.envrc")).unwrap(),
            "person's\n"
        );
        std::fs::remove_file(w.ws.join("pkg/.envrc")).unwrap();
        let (code, o, e) = q(&w, &["restore", &id]);
        assert_eq!(code, 0, "{e}");
        assert!(o.contains("restored"), "{o}");
        assert_eq!(
            std::fs::read_to_string(w.ws.join("pkg/.envrc")).unwrap(),
            "export A=1\n"
        );
        let (code, _, _) = q(&w, &["restore", &id]);
        assert_eq!(code, 1, "restored twice");
        assert!(ids(&w).is_empty(), "a restored item is no longer listed");
    }
}

#[test]
fn points_changed_through_a_hard_link_or_replaced_links_are_quarantined() {
    for who in BOTH {
        let w = World::new(who);
        std::fs::create_dir_all(w.ws.join(".claude")).unwrap();
        std::fs::create_dir_all(w.ws.join("pkg")).unwrap();
        std::fs::create_dir_all(w.ws.join("mcp")).unwrap();
        std::fs::write(w.ws.join("notes.txt"), "{}").unwrap();
        std::fs::hard_link(w.ws.join("notes.txt"), w.ws.join(".claude/settings.json")).unwrap();
        std::fs::write(w.ws.join("env.sh"), "# person's\n").unwrap();
        std::fs::hard_link(w.ws.join("env.sh"), w.ws.join("pkg/.envrc")).unwrap();
        std::fs::write(w.ws.join("keep.sh"), "# kept\n").unwrap();
        std::fs::hard_link(w.ws.join("keep.sh"), w.ws.join(".envrc")).unwrap();
        std::fs::write(w.ws.join("mcp/real.json"), "{}").unwrap();
        std::os::unix::fs::symlink("mcp/real.json", w.ws.join(".mcp.json")).unwrap();
        if who == As::Nobody {
            let _ = std::process::Command::new("chown")
                .args(["-R", "65534:65534"])
                .arg(&w.ws)
                .status();
        }
        let script = r#"
            echo '{"hooks":{}}' > notes.txt
            echo 'echo pwned' >> env.sh
            rm .mcp.json && ln -s mcp/other.json .mcp.json && echo '{}' > mcp/other.json
            echo done
        "#;
        let o = w.run(&[], script);
        let (stdout, stderr) = (ok(&o), err(&o));
        assert!(stdout.contains("done"), "{stdout}\n{stderr}");
        for p in [".claude/settings.json", "pkg/.envrc", ".mcp.json"] {
            assert!(
                w.ws.join(p).symlink_metadata().is_err(),
                "{who:?}: {p} left in place:\n{stderr}"
            );
        }
        assert!(w.ws.join(".claude").is_dir(), "the directory itself stays");
        assert!(
            w.ws.join(".envrc").exists(),
            "an unchanged hard-linked point stays"
        );
        assert!(w.ws.join("notes.txt").exists() && w.ws.join("env.sh").exists());
    }
}
