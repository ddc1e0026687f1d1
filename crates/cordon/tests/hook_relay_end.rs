//! The hook relay outlives the agent: a signal to cordon's process group
//! (Ctrl-C in a terminal, `kill -TERM -PGID`) reaches the agent, whose last
//! hook (SessionEnd) is still answered and journaled before the relay stops.
#[path = "sandbox_support/mod.rs"]
mod sandbox_support;

use sandbox_support::{cordon_bin, err, As, World};
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

#[test]
fn session_end_is_answered_after_a_group_signal() {
    let w = World::new(As::Root);
    let bin = cordon_bin();
    let sid = "6b0c8a52-1d7e-4f3a-9c2b-5e8d7f6a4b31";
    let event = format!(
        r#"{{"session_id":"{sid}","transcript_path":"/dev/null","cwd":"{}","permission_mode":"default","hook_event_name":"SessionEnd","reason":"other"}}"#,
        w.ws.display()
    );
    // The "agent": on SIGTERM or SIGINT it runs its SessionEnd hook, then exits.
    let script = format!(
        "on_end() {{ printf '%s' '{event}' | {bin} hook claude > {ws}/end.out 2>&1; echo rc=$? >> {ws}/end.out; exit 0; }}; \
         trap on_end TERM INT; touch {ws}/ready; while :; do sleep 0.1; done",
        bin = bin.display(),
        ws = w.ws.display(),
    );
    let mut c = w.cordon();
    c.args(["run", "--hook-relay", "--", "bash", "-c", &script])
        .process_group(0);
    let mut child = c.spawn().unwrap();
    let t = Instant::now();
    while !w.ws.join("ready").exists() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the sandbox did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // What a terminal's Ctrl-C does: the signal goes to the whole group.
    let pgid = child.id() as i32;
    // SAFETY: kill(2) on the process group this test just made.
    assert_eq!(unsafe { libc::kill(-pgid, libc::SIGINT) }, 0);
    let st = child.wait().unwrap();
    let out = std::fs::read_to_string(w.ws.join("end.out")).unwrap_or_default();
    assert!(
        out.contains("rc=0"),
        "SessionEnd hook: {out} (cordon: {st:?})"
    );
    let l = w
        .cordon()
        .args([
            "audit",
            "list",
            "--session",
            sid,
            "--kind",
            "hook.session_end",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&l.stdout).contains("hook.session_end"),
        "not journaled: {}",
        err(&l)
    );
}
