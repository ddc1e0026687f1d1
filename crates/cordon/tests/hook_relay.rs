//! The hook relay: inside a sandbox `cordon hook claude` cannot reach
//! cordon's state and journal, so it forwards each event over a Unix socket
//! to `cordon hook serve` running outside, which decides it (as sandboxed)
//! and answers. Real processes and a real socket.

mod hook_support;
use hook_support::Env;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `cordon hook serve` with the environment's (real) data directory.
fn serve(env: &Env, workspace: &std::path::Path) -> (Server, std::path::PathBuf) {
    let sock = env.dir.path().join("hook.sock");
    let child = env
        .command(&[
            "hook",
            "serve",
            "--socket",
            sock.to_str().unwrap(),
            "--workspace",
            workspace.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !sock.exists() {
        assert!(t.elapsed() < Duration::from_secs(10), "relay did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    (Server(child), sock)
}

/// The hook's environment inside a sandbox: the data directory is out of
/// reach (a file stands where it would be) and the relay socket is set.
/// (The relay is told the workspace; the two environments share the session id.)
fn inside(env: &Env, sock: &std::path::Path) -> Env {
    let mut e = Env {
        dir: tempfile::tempdir().unwrap(),
        session: env.session.clone(),
        extra: vec![],
        args: vec![],
    };
    for d in ["ws/src", "home", "xdg"] {
        std::fs::create_dir_all(e.dir.path().join(d)).unwrap();
    }
    std::fs::write(e.dir.path().join("data"), "").unwrap();
    e.extra
        .push(("CORDON_HOOK_SOCKET".into(), sock.to_str().unwrap().into()));
    e.extra.push(("CORDON_SANDBOX".into(), "1".into()));
    e
}

#[test]
fn relayed_events_are_decided_outside_with_state_and_journal() {
    let outside = Env::new();
    let sock = outside.dir.path().join("hook.sock");
    let env = inside(&outside, &sock);
    let (_server, _) = serve(&outside, &env.ws());
    // Without the relay this hook could not open its journal and would deny.
    let r = env.send("session_start.json");
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
    let r = env.send("pre_task.json");
    assert_eq!(r.decision(), "allow", "{r:?}");
    let r = env.send("post_webfetch_injected.json");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("additionalContext"), "{r:?}");
    let r = env.send("pre_bash_exfil.json");
    assert_eq!(r.decision(), "deny", "{r:?}");
    // Failures still fail closed, through the relay.
    let r = env.send("malformed_not_json.txt");
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.starts_with("cordon: "), "{r:?}");
    let r = env.send("pre_unknown_tool.json");
    assert_eq!(r.decision(), "deny", "{r:?}");
    // The state and the journal are the outside's, and know the actions ran sandboxed.
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outside.state_file()).unwrap()).unwrap();
    assert_eq!(s["policy"]["tainted"], true, "{s}");
    let recs = outside.journal();
    assert_eq!(recs[0].kind, "hook.session_start");
    assert_eq!(recs[0].payload["sandboxed"], true);
    assert_eq!(recs[0].payload["workspace"], env.ws().to_str().unwrap());
    assert!(recs
        .iter()
        .any(|r| r.kind == "hook.post_tool_use" && r.payload["tainted"] == true));
}

#[test]
fn parallel_relayed_events_lose_nothing() {
    let outside = Env::new();
    let sock = outside.dir.path().join("hook.sock");
    let env = inside(&outside, &sock);
    let (_server, _) = serve(&outside, &env.ws());
    let input = env.fixture("pre_read.json");
    let children: Vec<_> = (0..12)
        .map(|_| {
            let mut c = env
                .command(&["hook", "claude"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            c
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("permissionDecision"));
    }
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outside.state_file()).unwrap()).unwrap();
    assert_eq!(s["counts"]["pre_tool_use"], 12, "{s}");
}

#[test]
fn an_unreachable_relay_fails_closed() {
    let outside = Env::new();
    let env = inside(&outside, &outside.dir.path().join("nobody-listens.sock"));
    let r = env.send("pre_read.json");
    assert_eq!(r.decision(), "deny", "{r:?}");
    assert!(r.reason().contains("relay"), "{r:?}");
    let r = env.send("user_prompt_submit.json");
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("relay"), "{r:?}");
    // `cordon hook serve` itself refuses a socket it cannot create.
    let out = Command::new(hook_support::BIN)
        .args(["hook", "serve", "--socket", "/nonexistent-dir/x.sock"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{out:?}");
}
