//! The managed policy (`/etc/cordon/managed.toml`, issue #16), through every
//! entry point, as real processes.
//!
//! The file is never placed in the real `/etc`: each cordon runs in a private
//! mount namespace (`unshare -m`, as root: CI runs as root) in which `/etc`
//! is an overlay whose upper layer is a temporary directory, so
//! `/etc/cordon/managed.toml` exists for that process only. The unprivileged
//! cases drop to uid 65534 inside that namespace (`setpriv`), so the file is
//! a real root-owned file the unprivileged cordon cannot change.

#[path = "sandbox_support/mod.rs"]
mod sandbox_support;
#[path = "common/stdin.rs"]
mod stdin;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const MANAGED: &str = "/etc/cordon/managed.toml";

/// The ceiling the table is tried against.
const POLICY: &str = r#"
[permissions]
deny = ["Bash(curl *)"]
ask = ["Bash(git push *)"]

[ceiling]
domains = ["*.corp.example", "anthropic", "10.0.0.0/8", "127.0.0.1:8080"]
allow_degraded = false
allow_write = ["/opt/shared"]
allow_read = ["~/.aws"]
live_widening = false
hook_mode = "enforce"
"#;

struct Host {
    dir: tempfile::TempDir,
    managed: String,
    mode: u32,
    /// Run cordon as uid/gid 65534 inside the namespace.
    nobody: bool,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn all(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

impl Host {
    fn new(managed: &str) -> Host {
        let dir = tempfile::tempdir().unwrap();
        for d in ["ws", "home/.config/cordon", "data"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        for d in [
            ".",
            "ws",
            "home",
            "home/.config",
            "home/.config/cordon",
            "data",
        ] {
            let p = dir.path().join(d);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Host {
            dir,
            managed: managed.to_string(),
            mode: 0o644,
            nobody: false,
        }
    }
    fn p(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    fn ws(&self) -> PathBuf {
        self.p("ws")
    }
    fn home(&self) -> PathBuf {
        self.p("home")
    }
    fn user_config(&self, t: &str) {
        std::fs::write(self.p("home/.config/cordon/config.toml"), t).unwrap();
    }
    fn project(&self, t: &str) {
        std::fs::write(self.p("ws/.cordon.toml"), t).unwrap();
    }
    fn clear(&self) {
        let _ = std::fs::remove_file(self.p("home/.config/cordon/config.toml"));
        let _ = std::fs::remove_file(self.p("ws/.cordon.toml"));
    }
    /// Give the test's files to uid 65534 (for the unprivileged cases).
    fn hand_to_nobody(&mut self) {
        self.nobody = true;
        let o = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(self.p("ws"))
            .arg(self.p("home"))
            .arg(self.p("data"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", all(&o));
    }

    /// `cordon ARGS` with the managed file in a private mount namespace.
    fn cordon_in(&self, args: &[&str], stdin: Option<&str>) -> Output {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let (up, work) = (self.p(&format!("up{n}")), self.p(&format!("work{n}")));
        std::fs::create_dir_all(&up).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        let src = self.p("managed.src");
        std::fs::write(&src, &self.managed).unwrap();
        let drop = if self.nobody {
            "setpriv --reuid=65534 --regid=65534 --clear-groups"
        } else {
            ""
        };
        let script = format!(
            "set -e; umask 022; \
             mount -t overlay overlay -o lowerdir=/etc,upperdir={up},workdir={work} /etc; \
             mkdir -p /etc/cordon; cp {src} {MANAGED}; chmod {mode:o} {MANAGED}; \
             cd {ws}; exec {drop} \"$@\"",
            up = up.display(),
            work = work.display(),
            src = src.display(),
            mode = self.mode,
            ws = self.ws().display(),
        );
        let mut c = Command::new("unshare");
        c.args([
            "-m",
            "sh",
            "-c",
            &script,
            "sh",
            env!("CARGO_BIN_EXE_cordon"),
        ])
        .args(args)
        .env("HOME", self.home())
        .env("XDG_CONFIG_HOME", self.p("home/.config"))
        .env("CORDON_DATA_DIR", self.p("data"))
        .env("CLAUDE_PROJECT_DIR", self.ws())
        .env_remove("CORDON_SANDBOX")
        .env_remove("CORDON_HOOK_SOCKET");
        stdin::output_with_stdin(c, stdin.unwrap_or("").as_bytes())
    }
    fn cordon(&self, args: &[&str]) -> Output {
        self.cordon_in(args, None)
    }

    /// A PreToolUse Bash event for the hook.
    fn pre(&self, command: &str) -> String {
        serde_json::json!({
            "session_id": "managed-test-1",
            "transcript_path": self.p("t.jsonl"),
            "cwd": self.ws(),
            "permission_mode": "default",
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": command},
            "tool_use_id": "toolu_1",
        })
        .to_string()
    }
    fn hook(&self, extra: &[&str], command: &str) -> Output {
        let mut args = vec!["hook", "claude"];
        args.extend_from_slice(extra);
        self.cordon_in(&args, Some(&self.pre(command)))
    }
}

/// Refused: exit 2 (or, from the hook, not allowed), naming the managed
/// file and the value.
fn assert_refused(o: &Output, value: &str, what: &str) {
    let t = all(o);
    assert!(t.contains(MANAGED), "{what}: no managed file named: {t}");
    assert!(t.contains(value), "{what}: value `{value}` not named: {t}");
    assert!(
        !o.status.success() || !t.contains("\"allow\""),
        "{what}: {t}"
    );
}

fn assert_refused_exit2(o: &Output, value: &str, what: &str) {
    assert_eq!(o.status.code(), Some(2), "{what}: {}", all(o));
    assert_refused(o, value, what);
}

/// One widening: as a config line, and as flags where a flag exists.
struct Widening {
    name: &'static str,
    file: &'static str,
    /// `cordon run` flags.
    run: &'static [&'static str],
    /// `cordon check` / `cordon hook claude` flags.
    check: &'static [&'static str],
    hook: &'static [&'static str],
    /// What the refusal names.
    value: &'static str,
}

const WIDENINGS: &[Widening] = &[
    Widening {
        name: "domain",
        file: "[network]\nallow = [\"evil.example\"]\n",
        run: &["--allow-domain", "evil.example"],
        check: &["--allow-domain", "evil.example"],
        hook: &["--allow-domain", "evil.example"],
        value: "evil.example",
    },
    Widening {
        name: "wider wildcard",
        file: "[network]\nallow = [\"*.example\"]\n",
        run: &["--allow-domain", "*.example"],
        check: &["--allow-domain", "*.example"],
        hook: &[],
        value: "*.example",
    },
    Widening {
        name: "port",
        file: "[network]\nallow = [\"git.corp.example:8443\"]\n",
        run: &["--allow-domain", "git.corp.example:8443"],
        check: &["--allow-domain", "git.corp.example:8443"],
        hook: &[],
        value: "git.corp.example:8443",
    },
    Widening {
        name: "preset",
        file: "[network]\npresets = [\"registries\"]\n",
        run: &["--net", "registries"],
        check: &[],
        hook: &[],
        value: "registries",
    },
    Widening {
        name: "private range",
        file: "[network]\nallow_private = [\"192.168.0.0/16\"]\n",
        run: &["--allow-private", "192.168.0.0/16"],
        check: &[],
        hook: &[],
        value: "192.168.0.0/16",
    },
    Widening {
        name: "host loopback forward",
        file: "[network]\nallow = [\"127.0.0.1:9090\"]\n",
        run: &["--allow-domain", "127.0.0.1:9090"],
        check: &["--allow-domain", "127.0.0.1:9090"],
        hook: &[],
        value: "127.0.0.1:9090",
    },
    Widening {
        name: "host map",
        file: "[network]\nhosts = { \"pypi.org\" = \"10.1.2.3\" }\n",
        run: &[],
        check: &[],
        hook: &[],
        value: "pypi.org",
    },
    Widening {
        name: "degraded",
        file: "[sandbox]\nallow_degraded = [\"cgroups\"]\n",
        run: &["--allow-degraded", "cgroups"],
        check: &[],
        hook: &[],
        value: "cgroups",
    },
    Widening {
        name: "write outside",
        file: "[sandbox]\nallow_write = [\"/srv/elsewhere\"]\n",
        run: &["--allow-write", "/srv/elsewhere"],
        check: &[],
        hook: &[],
        value: "/srv/elsewhere",
    },
    Widening {
        name: "unix socket outside",
        file: "[sandbox]\nallow_unix_socket = [\"/run/docker.sock\"]\n",
        run: &["--allow-unix-socket", "/run/docker.sock"],
        check: &[],
        hook: &[],
        value: "/run/docker.sock",
    },
    Widening {
        name: "reveal a secret",
        file: "[sandbox]\nallow_read = [\"/root/.ssh\"]\n",
        run: &["--allow-read", "/root/.ssh"],
        check: &[],
        hook: &[],
        value: "/root/.ssh",
    },
    Widening {
        name: "hook monitor mode",
        file: "[hook]\nmode = \"monitor\"\n",
        run: &[],
        check: &[],
        hook: &["--mode", "monitor"],
        value: "monitor",
    },
    Widening {
        name: "mcp server domain",
        file: "[mcp.servers.gh]\nallow_domain = [\"api.github.com\"]\n",
        run: &[],
        check: &[],
        hook: &[],
        value: "mcp.servers",
    },
];

/// Every widening through every entry point: flags and the user file are
/// refused naming the managed file; a project file is ignored with a
/// warning naming both files and the command goes on.
#[test]
fn every_widening_through_every_entry_point() {
    let h = Host::new(POLICY);
    for w in WIDENINGS {
        h.clear();
        h.user_config(w.file);
        let o = h.cordon(&["check", "--", "ls"]);
        assert_refused_exit2(&o, w.value, &format!("{}: user file, check", w.name));
        let o = h.cordon(&["run", "--", "true"]);
        assert_refused_exit2(&o, w.value, &format!("{}: user file, run", w.name));
        let o = h.hook(&[], "ls");
        assert_refused(&o, w.value, &format!("{}: user file, hook", w.name));
        let o = h.cordon(&["mcp", "--name", "gh", "--", "true"]);
        assert_refused_exit2(&o, w.value, &format!("{}: user file, mcp", w.name));

        h.clear();
        h.project(w.file);
        let o = h.cordon(&["check", "--", "ls"]);
        assert_eq!(o.status.code(), Some(0), "{}: project: {}", w.name, all(&o));
        let err = text(&o.stderr);
        let project = h.ws().join(".cordon.toml");
        let warning = err
            .lines()
            .find(|l| l.contains(&project.display().to_string()))
            .unwrap_or_else(|| panic!("{}: no warning naming the project file: {err}", w.name));
        assert!(warning.contains(MANAGED), "{}: project: {err}", w.name);
        assert!(warning.contains(w.value), "{}: project: {err}", w.name);
        h.clear();
        if !w.run.is_empty() {
            let mut a = vec!["run"];
            a.extend_from_slice(w.run);
            a.extend(["--", "true"]);
            assert_refused_exit2(&h.cordon(&a), w.value, &format!("{}: run flag", w.name));
        }
        if !w.check.is_empty() {
            let mut a = vec!["check"];
            a.extend_from_slice(w.check);
            a.extend(["--", "ls"]);
            assert_refused_exit2(&h.cordon(&a), w.value, &format!("{}: check flag", w.name));
        }
        if !w.hook.is_empty() {
            let o = h.hook(w.hook, "ls");
            assert_refused(&o, w.value, &format!("{}: hook flag", w.name));
        }
    }
    // An MCP gateway's upstream outside the ceiling.
    let o = h.cordon(&[
        "mcp",
        "--name",
        "up",
        "--upstream",
        "https://mcp.evil.example/mcp",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_refused_exit2(&o, "mcp.evil.example", "mcp --upstream");
    // `cordon init` may not install a hook that widens.
    for (cmd, value) in [
        ("/usr/bin/cordon hook claude --mode monitor", "monitor"),
        (
            "/usr/bin/cordon hook claude --allow-domain=evil.example",
            "evil.example",
        ),
    ] {
        let o = h.cordon(&["init", "claude", "--dry-run", "--command", cmd]);
        assert_refused_exit2(&o, value, &format!("init --command {cmd}"));
    }
    let o = h.cordon(&["init", "claude", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "init inside: {}", all(&o));
}

/// Inside the ceiling, work is unaffected: allowed destinations, presets,
/// paths and the managed rules themselves.
#[test]
fn work_inside_the_ceiling_is_unaffected() {
    let mut h = Host::new(POLICY);
    let shared = h.p("shared");
    std::fs::create_dir_all(shared.join("cache")).unwrap();
    std::fs::create_dir_all(h.ws().join("sub")).unwrap();
    h.managed = POLICY.replace("/opt/shared", &shared.display().to_string());
    h.user_config(&format!(
        "[network]\nallow = [\"git.corp.example\", \"*.a.corp.example\"]\npresets = [\"anthropic\"]\nallow_private = [\"10.1.0.0/16\"]\nhosts = {{ \"db.corp.example\" = \"10.1.2.3\" }}\n[sandbox]\nallow_write = [\"{}/cache\"]\n",
        shared.display()
    ));
    h.project("[network]\ndeny = [\"bad.corp.example\"]\n");
    let o = h.cordon(&["check", "--allow-domain", "b.corp.example", "--", "ls"]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    assert!(!text(&o.stderr).contains("warning"), "{}", all(&o));
    let o = h.cordon(&[
        "run",
        "--allow-domain",
        "127.0.0.1:8080",
        "--allow-write",
        &h.ws().join("sub").display().to_string(),
        "--",
        "true",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    let o = h.hook(&["--allow-domain", "c.corp.example"], "ls -la");
    assert!(o.status.success(), "{}", all(&o));
    assert!(text(&o.stdout).contains("\"allow\""), "{}", all(&o));
}

/// A managed deny (and ask) rule beats the user's allow rule, in the hook
/// and in `check`.
#[test]
fn managed_deny_beats_user_allow_in_the_hook() {
    let h = Host::new(POLICY);
    h.user_config("[permissions]\nallow = [\"Bash(curl *)\", \"Bash(git push *)\"]\n");
    let o = h.hook(&[], "curl https://a.corp.example/x");
    assert!(text(&o.stdout).contains("\"deny\""), "{}", all(&o));
    assert!(text(&o.stdout).contains("Bash(curl *)"), "{}", all(&o));
    let o = h.hook(&[], "git push origin main");
    assert!(text(&o.stdout).contains("\"ask\""), "{}", all(&o));
    let o = h.cordon(&["check", "--", "curl https://a.corp.example/x"]);
    assert_eq!(o.status.code(), Some(3), "{}", all(&o));
}

/// `allow_rules = false`: user and project allow rules are ignored with one
/// warning naming them and the managed file; managed allow rules count.
#[test]
fn allow_rules_off_keeps_only_managed_allow_rules() {
    let h =
        Host::new("[permissions]\nallow = [\"Bash(make *)\"]\n[ceiling]\nallow_rules = false\n");
    h.user_config("[permissions]\nallow = [\"Bash(curl *)\"]\n");
    h.project("[permissions]\nallow = [\"Bash(wget *)\"]\n");
    let o = h.cordon(&["check", "--", "curl https://x.example"]);
    assert_ne!(o.status.code(), Some(0), "{}", all(&o));
    let err = text(&o.stderr);
    assert!(
        err.contains(MANAGED) && err.contains("Bash(curl *)"),
        "{err}"
    );
    assert!(err.contains("Bash(wget *)"), "{err}");
    assert_eq!(err.matches("allow_rules").count(), 1, "{err}");
    let o = h.cordon(&["check", "--", "make test"]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
}

/// `live_widening`: off, `cordon allow-domain` is refused before it reaches
/// the session; on, a pattern outside `domains` is refused, by the command
/// and by the running proxy itself (a raw control request).
#[test]
fn live_widening_on_and_off() {
    let h = Host::new(POLICY);
    let o = h.cordon(&["allow-domain", "--session", "abc-123", "a.corp.example"]);
    assert_refused_exit2(&o, "live_widening", "live widening off");

    let on = POLICY.replace("live_widening = false", "live_widening = true");
    let h = Host::new(&on);
    let o = h.cordon(&["allow-domain", "--session", "abc-123", "evil.example"]);
    assert_refused_exit2(&o, "evil.example", "live widening outside domains");
    // Inside the ceiling the command goes on (to the missing session).
    let o = h.cordon(&["allow-domain", "--session", "abc-123", "b.corp.example"]);
    assert!(
        text(&o.stderr).contains("no running session"),
        "{}",
        all(&o)
    );

    // A running session's proxy enforces the ceiling on its control socket.
    std::fs::write(
        h.ws().join("wait.sh"),
        "i=0; while [ ! -e go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n",
    )
    .unwrap();
    let t = std::thread::scope(|s| {
        let run = s.spawn(|| h.cordon(&["run", "--no-journal", "--", "sh", "wait.sh"]));
        let run_dir = h.p("data/run");
        let mut sock = None;
        for _ in 0..200 {
            sock = std::fs::read_dir(&run_dir).ok().and_then(|mut d| {
                d.find_map(|e| {
                    let p = e.ok()?.path();
                    (p.extension()? == "sock").then_some(p)
                })
            });
            if sock.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let sock = sock.expect("the session's control socket");
        let outside = cordon_net::control::request_allow(&sock, "evil.example").unwrap();
        let inside = cordon_net::control::request_allow(&sock, "d.corp.example").unwrap();
        std::fs::write(h.ws().join("go"), "").unwrap();
        let o = run.join().unwrap();
        (outside, inside, o)
    });
    let (outside, inside, o) = t;
    let e = outside.expect_err("the proxy refuses a pattern outside the ceiling");
    assert!(e.contains(MANAGED) && e.contains("evil.example"), "{e}");
    inside.expect("inside the ceiling the proxy widens");
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
}

/// Every command the managed file stops when it cannot be trusted or read.
const COMMANDS: &[&[&str]] = &[
    &["check", "--", "ls"],
    &["run", "--", "true"],
    &["hook", "claude"],
    &["mcp", "--name", "x", "--", "true"],
    &["allow-domain", "--session", "abc-123", "a.corp.example"],
    &["init", "claude", "--dry-run"],
    &["scan", "--help"],
    &["audit", "path"],
    &["policy", "import", "x.json"],
];

fn assert_stops_everything(h: &Host, what: &str, why: &str) {
    for c in COMMANDS {
        let o = h.cordon_in(c, Some("{}"));
        assert_eq!(o.status.code(), Some(2), "{what}: {c:?}: {}", all(&o));
        let err = text(&o.stderr);
        assert!(
            err.contains(MANAGED) && err.contains(why),
            "{what}: {c:?}: {err}"
        );
    }
    let o = h.cordon(&["doctor"]);
    assert_eq!(o.status.code(), Some(1), "{what}: doctor: {}", all(&o));
    let out = text(&o.stdout);
    assert!(
        out.contains("FAIL managed policy") && out.contains(why),
        "{what}: {out}"
    );
    let o = h.cordon(&["policy", "show"]);
    assert!(
        text(&o.stdout).contains("NOT TRUSTED"),
        "{what}: {}",
        all(&o)
    );
    assert!(text(&o.stdout).contains(why), "{what}: {}", all(&o));
}

#[test]
fn a_malformed_or_writable_managed_file_stops_every_command_but_doctor() {
    let h = Host::new("[ceiling]\ndomains = [\"a.example\"]\nlive_widening = maybe\n");
    assert_stops_everything(&h, "malformed", "managed.toml:3");
    let h = Host::new("[ceiling]\nunknown = 1\n");
    assert_stops_everything(&h, "unknown key", "managed.toml:2");
    let mut h = Host::new(POLICY);
    h.mode = 0o664;
    assert_stops_everything(&h, "group-writable", "writable by group or others");
    h.mode = 0o646;
    assert_stops_everything(&h, "other-writable", "writable by group or others");
}

/// As an unprivileged user (uid 65534) the same root-owned file binds: a
/// widening flag is refused, and a group-writable file stops the command.
#[test]
fn an_unprivileged_user_is_bound_too() {
    let mut h = Host::new(POLICY);
    h.hand_to_nobody();
    let o = h.cordon(&["check", "--allow-domain", "evil.example", "--", "ls"]);
    assert_refused_exit2(&o, "evil.example", "nobody: check flag");
    let o = h.cordon(&["check", "--allow-domain", "a.corp.example", "--", "ls"]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    h.user_config("[sandbox]\nallow_degraded = [\"cgroups\"]\n");
    let o = h.cordon(&["check", "--", "ls"]);
    assert_refused_exit2(&o, "cgroups", "nobody: user file");
    h.mode = 0o664;
    let o = h.cordon(&["check", "--", "ls"]);
    assert_refused_exit2(&o, "writable by group or others", "nobody: writable");
    let o = h.cordon(&["doctor"]);
    assert!(
        text(&o.stdout).contains("FAIL managed policy"),
        "{}",
        all(&o)
    );
}

/// `cordon policy check` flags a widening config at its line, passes one
/// inside, against the installed file and against a `--managed` candidate.
#[test]
fn policy_check_installed_and_candidate() {
    let h = Host::new(POLICY);
    let wide = h.p("wide.toml");
    std::fs::write(
        &wide,
        "[network]\nallow = [\"git.corp.example\"]\n\nallow_private = [\"192.168.1.0/24\"]\n[sandbox]\nallow_degraded = [\"landlock\"]\n",
    )
    .unwrap();
    let inside = h.p("inside.toml");
    std::fs::write(&inside, "[network]\nallow = [\"*.b.corp.example\"]\n").unwrap();
    let (w, i) = (wide.display().to_string(), inside.display().to_string());
    let o = h.cordon(&["policy", "check", &w]);
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    let out = text(&o.stdout);
    assert!(out.contains(&format!("{w}:4:")), "{out}");
    assert!(out.contains(&format!("{w}:6:")), "{out}");
    assert!(!out.contains(&format!("{w}:2:")), "{out}");
    let o = h.cordon(&["policy", "check", &i]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));

    // A candidate: stricter than the installed one.
    let cand = h.p("candidate.toml");
    std::fs::write(&cand, "[ceiling]\n\ndomains = [\"*.c.corp.example\"]\n").unwrap();
    let c = cand.display().to_string();
    let o = h.cordon(&["policy", "check", "--managed", &c, &i]);
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    assert!(text(&o.stdout).contains(&format!("{i}:2:")), "{}", all(&o));
    std::fs::write(&inside, "[network]\nallow = [\"x.c.corp.example\"]\n").unwrap();
    let o = h.cordon(&["policy", "check", "--managed", &c, &i]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    // A broken candidate is an error naming its line.
    std::fs::write(&cand, "[ceiling]\ndomains = [\"*\"]\n").unwrap();
    let o = h.cordon(&["policy", "check", "--managed", &c, &i]);
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(text(&o.stderr).contains("candidate.toml:2"), "{}", all(&o));
    // Alone, --managed validates the candidate (configuration management's
    // validate step).
    let o = h.cordon(&["policy", "check", "--managed", &c]);
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    std::fs::write(&cand, "[ceiling]\ndomains = [\"registries\"]\n").unwrap();
    let o = h.cordon(&["policy", "check", "--managed", &c]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
}

/// `cordon policy show` shows the managed layer and what was refused or
/// ignored; `--json` too. `cordon doctor` says what it locks.
#[test]
fn policy_show_and_doctor_name_the_managed_layer() {
    let h = Host::new(POLICY);
    h.user_config("[network]\nallow = [\"a.corp.example\"]\n");
    h.project("[network]\nallow = [\"evil.example\"]\n");
    let o = h.cordon(&["policy", "show"]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    let out = text(&o.stdout);
    assert!(out.contains("managed: /etc/cordon/managed.toml:3"), "{out}");
    assert!(out.contains("user: "), "{out}");
    assert!(
        out.contains("ignored:") && out.contains("evil.example"),
        "{out}"
    );
    let o = h.cordon(&["policy", "show", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let layers: Vec<&str> = v["settings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["layer"].as_str())
        .collect();
    assert!(
        layers.contains(&"managed") && layers.contains(&"user"),
        "{v}"
    );
    assert_eq!(v["managed"]["path"], MANAGED, "{v}");
    assert_eq!(v["ignored"][0]["value"], "\"evil.example\"", "{v}");
    let o = h.cordon(&["doctor"]);
    let out = text(&o.stdout);
    assert!(
        out.contains("managed policy: in force, from /etc/cordon/managed.toml"),
        "{out}"
    );
    assert!(out.contains("`cordon allow-domain` is refused"), "{out}");
    // Without the file: no managed policy, nothing changes.
    let h = Host::new(POLICY);
    let o = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["check", "--allow-domain", "evil.example", "--", "ls"])
        .env("HOME", h.home())
        .env("XDG_CONFIG_HOME", h.p("home/.config"))
        .current_dir(h.ws())
        .output()
        .unwrap();
    assert!(!Path::new(MANAGED).exists());
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
}

/// A cordon started inside a cordon sandbox reads the same managed file (the
/// sandbox shows the host's `/etc` read-only; root's files show as the
/// overflow uid in an unprivileged sandbox, which counts as root's only
/// because uid 0 is not mapped there), as root and as uid 65534.
#[test]
fn a_cordon_inside_the_sandbox_is_bound_by_the_same_policy() {
    // A copy the sandbox can see (a target dir under /tmp is private inside).
    let inner = format!(
        "{} check --allow-domain evil.example -- ls; echo inner-rc=$?",
        sandbox_support::cordon_bin().display()
    );
    for nobody in [false, true] {
        let mut h = Host::new(POLICY);
        if nobody {
            h.hand_to_nobody();
        }
        let o = h.cordon(&["run", "--", "sh", "-c", &inner]);
        let t = all(&o);
        assert!(t.contains("inner-rc=2"), "nobody={nobody}: {t}");
        assert!(
            t.contains(MANAGED) && t.contains("evil.example"),
            "nobody={nobody}: {t}"
        );
    }
}
