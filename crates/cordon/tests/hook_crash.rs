//! cordon never crashes open: adversarial sizes and shapes fed to the real
//! `cordon hook claude` and `cordon check`, and real fatal signals delivered
//! to running processes. A crash must end as a refusal (exit 2 or a deny for
//! the hook, exit 125 for check), never as an allow and never as a death by
//! signal (which Claude Code treats as "go ahead").

mod hook_support;
use hook_support::{Env, Reply, BIN};
use serde_json::{json, Value};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn nested_subst(depth: usize) -> String {
    format!("echo {}x{}", "$(".repeat(depth), ")".repeat(depth))
}

fn pre_bash(env: &Env, command: &str) -> Value {
    let mut ev = env.event("pre_bash.json");
    ev["tool_input"]["command"] = json!(command);
    ev
}

/// The hook refused or decided without allowing, and did not die of a signal.
fn not_allowed(what: &str, r: &Reply) {
    assert!(r.code == 0 || r.code == 2, "{what}: exit {} {r:?}", r.code);
    if r.code == 2 {
        assert_eq!(r.stderr.lines().count(), 1, "{what}: {r:?}");
        assert!(r.stderr.starts_with("cordon: "), "{what}: {r:?}");
        return;
    }
    let d = r.decision();
    assert_ne!(d, "allow", "{what}: {r:?}");
}

#[test]
fn deeply_nested_commands_are_never_allowed_and_never_kill_the_hook() {
    let env = Env::new();
    for depth in [3_000, 100_000] {
        let r = env.send_json(&pre_bash(&env, &nested_subst(depth)));
        not_allowed(&format!("{depth} nested $("), &r);
        for (open, close) in [
            ("( ", " )"),
            ("{ ", "; }"),
            ("`", "`"),
            ("cat <(", ")"),
            ("$( ", " )"),
        ] {
            let cmd = format!("{}rm -rf /{}", open.repeat(depth), close.repeat(depth));
            let r = env.send_json(&pre_bash(&env, &cmd));
            not_allowed(&format!("{depth} nested {open}"), &r);
        }
        let mut bash_c = "rm -rf /".to_string();
        while bash_c.len() < depth * 10 {
            bash_c = format!("bash -c {}", shell_quote(&bash_c));
        }
        let r = env.send_json(&pre_bash(&env, &bash_c));
        not_allowed("nested bash -c", &r);
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn hostile_input_shapes_are_refused_not_crashed() {
    let env = Env::new();
    let deep_json = format!(
        r#"{{"session_id":"{}","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{{"command":"ls","x":{}1{}}}}}"#,
        env.session,
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    let mut invalid_utf8 = br#"{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf /"#.to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0xc0, 0x80]);
    invalid_utf8.extend_from_slice(br#""}}"#);
    let huge = format!(
        r#"{{"session_id":"{}","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{{"command":"echo {}"}}}}"#,
        env.session,
        "a".repeat(70 << 20)
    );
    let many_words = pre_bash(&env, &"x ".repeat(2 << 20)).to_string();
    let many_pipes = pre_bash(&env, &"true | ".repeat(200_000)).to_string();
    let cases: [(&str, &[u8]); 6] = [
        ("deep JSON", deep_json.as_bytes()),
        ("invalid UTF-8", &invalid_utf8),
        ("huge input", huge.as_bytes()),
        ("many words", many_words.as_bytes()),
        ("many pipes", many_pipes.as_bytes()),
        (
            "NUL bytes",
            b"{\"session_id\":\"s\0\",\"hook_event_name\":\"PreToolUse\"}\0\0",
        ),
    ];
    for (what, bytes) in cases {
        let r = env.send_bytes(bytes);
        not_allowed(what, &r);
    }
}

/// `cordon check` on the same sizes: exit 1 (ask), 3 (deny), 2 (bad input)
/// or 125 (crashed, one line), never 0 and never a signal.
#[test]
fn check_never_allows_what_it_cannot_analyse() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for depth in [3_000, 100_000] {
        lines.push_str(&json!({ "command": nested_subst(depth) }).to_string());
        lines.push('\n');
    }
    let out = check(dir.path(), &["check", "--batch", "-"], lines.as_bytes());
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(125),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_ne!(v["decision"], "allow", "{l}");
    }
    if code == Some(125) {
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    }
    let out = check(dir.path(), &["check", "--", &nested_subst(3_000)], b"");
    assert!(
        matches!(out.status.code(), Some(1 | 3 | 125)),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check(dir: &std::path::Path, args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("xdg"))
        .env("CORDON_DATA_DIR", dir.join("data"));
    hook_support::output_with_stdin(c, stdin)
}

/// Wait for a thread of `pid` named `name` and return its id.
fn thread_named(pid: u32, name: &str, within: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for t in rd.flatten() {
                let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
                if comm.trim() == name {
                    return t.file_name().to_str()?.parse().ok();
                }
            }
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    None
}

const SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGABRT,
];

/// An event big enough that decoding it keeps the hook busy for a while.
fn big_event(env: &Env) -> Vec<u8> {
    pre_bash(env, &format!("echo {}", "a ".repeat(24 << 20)))
        .to_string()
        .into_bytes()
}

/// Start `cordon hook claude` on `input` written by a thread of its own,
/// with `stack` bytes as its soft `RLIMIT_STACK` (at most the hard limit).
fn start_hook(
    env: &Env,
    input: Vec<u8>,
    stack: u64,
) -> (std::process::Child, std::thread::JoinHandle<()>) {
    use std::os::unix::process::CommandExt;
    let mut c = env.command(&["hook", "claude"]);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: between fork and exec the closure only calls getrlimit and
    // setrlimit (async-signal-safe) on values it owns.
    unsafe {
        c.pre_exec(move || {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_STACK, &mut lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The soft limit only: raising the hard one needs privilege.
            lim.rlim_cur = stack.min(lim.rlim_max);
            if libc::setrlimit(libc::RLIMIT_STACK, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    (child, writer)
}

fn finish(child: std::process::Child, writer: std::thread::JoinHandle<()>, sig: i32) -> Reply {
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.signal(), None, "signal {sig}: {:?}", out.status);
    Reply {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).trim().to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    }
}

fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count())
}

/// The one-shot hook decides on its main thread (no thread is started): a
/// real fatal signal delivered while it decides an event (as a stack
/// overflow would be) ends as exit 2 with one line, which Claude Code treats
/// as a blocking error; never an allow, never a death by signal.
#[test]
fn a_fatal_signal_while_deciding_on_the_main_thread_is_exit_2_with_one_line() {
    let env = Env::new();
    // One event decided undisturbed: the session and its journal exist.
    let first = env.send_json(&pre_bash(&env, "ls"));
    assert_eq!(first.code, 0, "{first:?}");
    let bytes = big_event(&env);
    let mut caught = 0;
    for sig in SIGNALS {
        // The usual 8 MiB limit, whatever the test runner's is.
        let (child, writer) = start_hook(&env, bytes.clone(), 8 << 20);
        let pid = child.id();
        // Its input is in: it decodes and decides from here on.
        while !writer.is_finished() {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(20));
        let alone = threads(pid);
        // SAFETY: kill sends a signal to our own child (a zombie if it is done).
        unsafe { libc::kill(pid as i32, sig) };
        let r = finish(child, writer, sig);
        if r.code == 2 {
            assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
            assert!(
                r.stderr
                    .starts_with("cordon: internal error in `cordon hook claude`: fatal signal "),
                "{r:?}"
            );
            assert!(r.stderr.contains("the event was refused"), "{r:?}");
            assert!(r.stdout.is_empty(), "{r:?}");
            assert_eq!(alone, 1, "the hook decides on its only thread");
            caught += 1;
        } else {
            // The decision ended first: the undisturbed answer.
            assert_eq!(r.code, 0, "{r:?}");
            assert!(!r.stdout.is_empty(), "{r:?}");
        }
    }
    assert!(
        caught >= 3,
        "only {caught} of 5 signals came while deciding"
    );
    // A fatal signal cannot be journaled (its handler only writes and exits).
    assert!(env.journal().iter().all(|r| r.kind != "hook.crash"));
}

/// Under a stack limit too small for deciding on the main thread
/// (`fatal::MAIN_STACK`), the hook decides on a thread of its own: a real
/// fatal signal delivered to that thread ends as a deny with the reason,
/// journaled as `hook.crash`; the crashed thread never answers.
#[test]
fn under_a_small_stack_limit_a_fatal_signal_while_deciding_is_a_journaled_deny() {
    let env = Env::new();
    let bytes = big_event(&env);
    let mut caught = 0;
    for sig in SIGNALS {
        let (child, writer) = start_hook(&env, bytes.clone(), 1 << 20);
        let pid = child.id();
        let tid = thread_named(pid, "cordon-decide", Duration::from_secs(20));
        if let Some(tid) = tid {
            // Past the thread's first instructions (its guard), well before
            // it is done decoding.
            std::thread::sleep(Duration::from_millis(30));
            // SAFETY: tgkill sends a signal to a thread of our own child.
            unsafe { libc::syscall(libc::SYS_tgkill, pid as i32, tid, sig) };
        }
        let r = finish(child, writer, sig);
        // The signal lands on the deciding thread (a journaled deny), or, on
        // a machine so loaded that the thread had not yet armed its guard,
        // on the process's guard (exit 2, one line); if the decision ended
        // first, the answer is the undisturbed one.
        if r.code == 2 {
            assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
            assert!(r.stderr.contains("internal error"), "{r:?}");
        } else if r.reason().contains("crashed") {
            assert_eq!(r.decision(), "deny", "signal {sig}: {r:?}");
            caught += 1;
        } else {
            assert!(tid.is_none() || !r.stdout.is_empty(), "{r:?}");
        }
    }
    assert!(
        caught >= 3,
        "only {caught} of 5 signals reached the deciding thread"
    );
    let crashes: Vec<_> = env
        .journal()
        .into_iter()
        .filter(|r| r.kind == "hook.crash")
        .collect();
    assert_eq!(crashes.len(), caught, "one hook.crash record per crash");
    for c in &crashes {
        assert_eq!(c.session, env.session);
        assert_eq!(c.payload["decision"], "deny", "{c:?}");
        assert!(
            c.payload["crash"]
                .as_str()
                .unwrap()
                .contains("fatal signal"),
            "{c:?}"
        );
    }
}

/// A fatal signal anywhere else in the process (here: while it waits for
/// its input) is exit 2 with one line, for every fatal signal.
#[test]
fn a_fatal_signal_anywhere_is_exit_2_with_one_line() {
    let env = Env::new();
    for sig in SIGNALS {
        let child = env
            .command(&["hook", "claude"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Let it install its guard and block reading stdin.
        wait_blocked(child.id());
        // SAFETY: kill sends a signal to our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "signal {sig}: {:?} {err}",
            out.status
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("cordon: internal error in `cordon hook claude`: fatal signal"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    // `cordon check --batch -` blocked on its input: exit 125, one line.
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(BIN)
        .args(["check", "--batch", "-"])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("CORDON_DATA_DIR", dir.path().join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_blocked(child.id());
    // SAFETY: kill sends a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGSEGV) };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{:?} {err}", out.status);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}

/// Wait until every thread of `pid` sleeps (blocked on its input).
fn wait_blocked(pid: u32) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|s| s.split_whitespace().next());
        if state == Some("S") {
            std::thread::sleep(Duration::from_millis(50));
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
