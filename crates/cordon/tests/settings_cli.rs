//! The settings layer through the real binary: every entry point validates
//! destinations and rules alike, and a project file can only narrow, never
//! stopping cordon (docs/CONFIG.md).
mod sandbox_support;
use sandbox_support::*;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

/// Allow patterns every entry point refuses.
const BAD_DESTINATIONS: &[&str] = &[
    "*",
    "*.com",
    "0.0.0.0/0",
    "::/0",
    "a.example:0",
    "a.example:99999",
    "a.example:x",
    "a.*.example",
    "",
];

/// The message after `PLACE: ` and before ` (fix: ...)`.
fn core(stderr: &str, place: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.contains(place))
        .unwrap_or_else(|| panic!("no line naming {place}: {stderr}"));
    let rest = &line[line.find(place).unwrap() + place.len()..];
    rest.split(" (fix:").next().unwrap().to_string()
}

fn with_stdin(mut c: std::process::Command, input: &str) -> Output {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

fn session_start(w: &World) -> String {
    serde_json::json!({
        "session_id": "settings-1",
        "cwd": w.ws,
        "hook_event_name": "SessionStart",
        "source": "startup",
    })
    .to_string()
}

/// Each entry point given `config` (and nothing else that could fail).
fn with_config(w: &World, config: &Path) -> Vec<(&'static str, Output)> {
    let c = config.to_str().unwrap();
    let cmd = |args: &[&str]| w.cordon().args(args).output().unwrap();
    let mut hook = w.cordon();
    hook.args(["hook", "claude", "--no-journal", "--config", c]);
    vec![
        ("run", cmd(&["run", "--config", c, "--", "true"])),
        ("check", cmd(&["check", "--config", c, "--", "ls"])),
        ("hook", with_stdin(hook, &session_start(w))),
        (
            "mcp",
            cmd(&[
                "mcp",
                "--name",
                "x",
                "--no-journal",
                "--config",
                c,
                "--",
                "true",
            ]),
        ),
    ]
}

#[test]
fn bad_destinations_are_refused_alike_by_every_entry_point() {
    let w = World::new(As::Root);
    for bad in BAD_DESTINATIONS {
        // By flag: run, check, allow-domain.
        let flag = |args: &[&str]| w.cordon().args(args).output().unwrap();
        let by_flag = [
            (
                "run",
                flag(&["run", "--allow-domain", bad, "--", "true"]),
                "--allow-domain: ",
            ),
            (
                "check",
                flag(&["check", "--allow-domain", bad, "--", "ls"]),
                "--allow-domain: ",
            ),
            (
                "allow-domain",
                flag(&["allow-domain", "--session", "s-1", bad]),
                "PATTERN: ",
            ),
        ];
        let want = core(&err(&by_flag[0].1), "--allow-domain: ");
        for (name, o, place) in &by_flag {
            assert_eq!(o.status.code(), Some(2), "{name} {bad:?}: {}", err(o));
            assert_eq!(core(&err(o), place), want, "{name} {bad:?}");
        }
        // By config file: run, check, hook, mcp.
        let cfg = w.root.path().join("c.toml");
        std::fs::write(&cfg, format!("[network]\nallow = [{bad:?}]\n")).unwrap();
        let place = format!("{}:2: network.allow: ", cfg.display());
        for (name, o) in with_config(&w, &cfg) {
            assert_eq!(o.status.code(), Some(2), "{name} {bad:?}: {}", err(&o));
            assert_eq!(core(&err(&o), &place), want, "{name} {bad:?}");
        }
    }
}

#[test]
fn bad_rules_presets_ranges_and_hosts_are_refused_alike() {
    let w = World::new(As::Root);
    let cfg = w.root.path().join("c.toml");
    for (text, place) in [
        (
            "[permissions]\ndeny = [\"Bash(rm\"]\n",
            ":2: permissions.deny: ",
        ),
        (
            "[network]\npresets = [\"everything\"]\n",
            ":2: network.presets: ",
        ),
        (
            "[network]\nallow_private = [\"10.0.0.0/33\"]\n",
            ":2: network.allow_private: ",
        ),
        (
            "[network]\nhosts = { \"a.example\" = \"not-an-ip\" }\n",
            ":2: network.hosts: ",
        ),
        (
            "[mcp.servers.x]\nallow_domain = [\"*.com\"]\n",
            ":2: mcp.servers: ",
        ),
    ] {
        std::fs::write(&cfg, text).unwrap();
        let place = format!("{}{place}", cfg.display());
        let results = with_config(&w, &cfg);
        let want = core(&err(&results[0].1), &place);
        for (name, o) in results {
            assert_eq!(o.status.code(), Some(2), "{name} {text}: {}", err(&o));
            assert_eq!(core(&err(&o), &place), want, "{name} {text}");
        }
    }
}

/// Good destinations still work everywhere (the validation is not a wall).
#[test]
fn good_destinations_pass_every_entry_point() {
    let w = World::new(As::Root);
    let cfg = w.root.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[network]\nallow = [\"*.example.com\", \"a.example:8443\", \"10.0.0.0/8\"]\n\
         presets = [\"anthropic\"]\n[permissions]\ndeny = [\"Bash(rm -rf *)\"]\n",
    )
    .unwrap();
    for (name, o) in with_config(&w, &cfg) {
        if name == "mcp" {
            // The server (`true`) exits at once; the gateway passes its status on.
            assert_ne!(o.status.code(), Some(2), "{name}: {}", err(&o));
        } else {
            assert_eq!(o.status.code(), Some(0), "{name}: {}", err(&o));
        }
    }
}

/// Every widening key of `.cordon.toml`, with a value wider than the
/// built-in defaults (line, key, text).
const WIDENING: &[(usize, &str, &str)] = &[
    (2, "sandbox.allow_write", "allow_write = [\"OUTSIDE\"]"),
    (3, "sandbox.allow_read", "allow_read = [\"~/.ssh\"]"),
    (4, "sandbox.env", "env = [\"WIDENED=1\"]"),
    (5, "sandbox.max_procs", "max_procs = 999999"),
    (6, "sandbox.max_memory", "max_memory = \"900G\""),
    (
        7,
        "sandbox.allow_degraded",
        "allow_degraded = [\"landlock\"]",
    ),
    (9, "network.allow", "allow = [\"evil.example\"]"),
    (10, "network.presets", "presets = [\"registries\"]"),
    (
        11,
        "network.allow_private",
        "allow_private = [\"127.0.0.0/8\"]",
    ),
    (
        12,
        "network.hosts",
        "hosts = { \"evil.example\" = \"127.0.0.1\" }",
    ),
    (14, "permissions.allow", "allow = [\"Bash\"]"),
    (16, "hook.mode", "mode = \"monitor\""),
    (18, "audit.max_age_days", "max_age_days = 0"),
    (
        20,
        "scan.suspicious_threshold",
        "suspicious_threshold = 0.99",
    ),
];

fn widening_project(w: &World) -> String {
    let mut lines = vec![String::new(); 20];
    for (n, _, t) in WIDENING {
        lines[n - 1] = t.replace("OUTSIDE", w.outside.to_str().unwrap());
    }
    for (n, h) in [
        (1, "[sandbox]"),
        (8, "[network]"),
        (13, "[permissions]"),
        (15, "[hook]"),
        (17, "[audit]"),
        (19, "[scan]"),
    ] {
        lines[n - 1] = h.to_string();
    }
    lines.join("\n")
}

#[test]
fn project_file_widening_is_ignored_with_file_and_line_and_the_run_goes_on() {
    let w = World::new(As::Root);
    let project = w.ws.join(".cordon.toml");
    std::fs::write(&project, widening_project(&w)).unwrap();
    let o = w.run(
        &["-v"],
        &format!(
            "touch {}/x 2>/dev/null && echo WROTE; cat ~/.ssh/id_rsa 2>/dev/null; echo env=$WIDENED; echo done",
            w.outside.display()
        ),
    );
    let e = err(&o);
    assert_eq!(o.status.code(), Some(0), "{e}");
    for (line, key, _) in WIDENING {
        let at = format!("{}:{line}: `{key}", project.display());
        assert!(e.contains(&at), "no warning {at}: {e}");
    }
    let stdout = out(&o);
    assert!(
        stdout.contains("done") && stdout.contains("env=\n"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("WROTE") && !stdout.contains(SECRET),
        "{stdout}"
    );
    // The limits are the built-in ones.
    assert!(e.contains(" 4096 processes"), "{e}");
    assert!(e.contains("max_procs from default"), "{e}");
    assert!(e.contains("max_memory from default"), "{e}");
    // The hook stays enforcing, check does not take the allow rule.
    let o = w
        .cordon()
        .args(["check", "--", "frobnicate"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains(":14: `permissions.allow"), "{}", err(&o));
}

#[test]
fn narrowing_project_values_apply() {
    let w = World::new(As::Root);
    let project = w.ws.join(".cordon.toml");
    std::fs::write(
        &project,
        "[sandbox]\nmax_procs = 64\nmax_memory = \"1G\"\ndeny_read = [\"OUT\"]\n\
         [permissions]\ndeny = [\"Bash(make *)\"]\n"
            .replace("OUT", w.outside.to_str().unwrap()),
    )
    .unwrap();
    let o = w.run(
        &["-v"],
        &format!(
            "cat {}/host-file 2>/dev/null || echo HIDDEN",
            w.outside.display()
        ),
    );
    let e = err(&o);
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert!(!e.contains("warning"), "{e}");
    assert!(out(&o).contains("HIDDEN"), "{}", out(&o));
    assert!(e.contains(" 64 processes"), "{e}");
    assert!(
        e.contains(&format!("max_procs from project, {}:2", project.display())),
        "{e}"
    );
    assert!(
        e.contains(&format!("max_memory from project, {}:3", project.display())),
        "{e}"
    );
    let o = w
        .cordon()
        .args(["check", "--", "make all"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
}

/// Whatever is in `.cordon.toml`, every command still runs (with warnings).
#[test]
fn a_malformed_project_file_never_stops_cordon() {
    let w = World::new(As::Root);
    let project = w.ws.join(".cordon.toml");
    for text in [
        "[sandbox\nmax_procs = = 1\n",
        "[sandbox]\nmax_procs = \"many\"\nnot_a_key = 1\n",
        "[network]\nallow = [\"*\"]\n[permissions]\ndeny = [\"Bash(rm\"]\n",
        "\u{0}\u{1}binary",
    ] {
        std::fs::write(&project, text).unwrap();
        let o = w.run(&[], "echo ran");
        assert_eq!(o.status.code(), Some(0), "{text:?}: {}", err(&o));
        assert!(out(&o).contains("ran"));
        assert!(err(&o).contains(".cordon.toml"), "{text:?}: {}", err(&o));
        let o = w.cordon().args(["check", "--", "ls"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{text:?}: {}", err(&o));
        let mut hook = w.cordon();
        hook.args(["hook", "claude", "--no-journal"]);
        let o = with_stdin(hook, &session_start(&w));
        assert_eq!(o.status.code(), Some(0), "{text:?}: {}", err(&o));
    }
}

/// Flags are typed once: a bad limit names its flag (exit 2) before anything starts.
#[test]
fn bad_limit_flags_name_the_flag() {
    let w = World::new(As::Root);
    for (args, want) in [
        (&["--max-procs", "0"][..], "--max-procs: must be at least 1"),
        (
            &["--max-memory", "lots"][..],
            "--max-memory: `lots` is not a size",
        ),
    ] {
        let o = w.run(args, "true");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).contains(want), "{args:?}: {}", err(&o));
    }
    let o = w.run(&["--allow-degraded", "seccomp"], "true");
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
}

#[test]
fn a_legacy_prefix_rule_is_read_as_a_prefix_with_a_warning_naming_its_line() {
    let w = World::new(As::Root);
    let cfg = w.outside.join("legacy.toml");
    std::fs::write(
        &cfg,
        "[permissions]\n\nallow = [\"Bash(npm run test:*)\"]\n",
    )
    .unwrap();
    let o = w
        .cordon()
        .args([
            "check",
            "--config",
            cfg.to_str().unwrap(),
            "--",
            "npm run test -- --watch",
        ])
        .output()
        .unwrap();
    assert!(out(&o).starts_with("allow"), "{}", out(&o));
    let e = err(&o);
    assert!(e.contains(&format!("{}:3:", cfg.display())), "{e}");
    assert!(
        e.contains("legacy prefix form") && e.contains("Bash(npm run test *)"),
        "{e}"
    );
}
