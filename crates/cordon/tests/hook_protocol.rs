//! `cordon hook claude` against Claude Code's documented hook protocol: one
//! fixture per event and tool, malformed input, fail-closed paths, modes and
//! concurrent hook processes of one session. Every test runs the real binary.

mod hook_support;
use hook_support::Env;
use serde_json::{json, Value};

/// Every tool call cordon decides gets a documented allow/ask/deny answer.
#[test]
fn every_tool_gets_a_documented_decision() {
    let env = Env::new();
    for f in [
        "pre_bash.json",
        "pre_bash_exfil.json",
        "pre_read.json",
        "pre_read_ssh_key.json",
        "pre_write.json",
        "pre_edit.json",
        "pre_multiedit.json",
        "pre_notebookedit.json",
        "pre_glob.json",
        "pre_glob_ssh.json",
        "pre_grep.json",
        "pre_webfetch.json",
        "pre_websearch.json",
        "pre_task.json",
        "pre_mcp.json",
    ] {
        let r = env.send(f);
        let d = r.decision();
        assert!(!r.reason().is_empty(), "{f}: {r:?}");
        eprintln!("{f}: {d}: {}", r.reason());
    }
}

#[test]
fn secrets_and_exfiltration_are_never_allowed() {
    let env = Env::new();
    for f in [
        "pre_read_ssh_key.json",
        "pre_glob_ssh.json",
        "pre_bash_exfil.json",
    ] {
        let r = env.send(f);
        assert_ne!(r.decision(), "allow", "{f}: {r:?}");
    }
}

#[test]
fn subagents_are_allowed_with_a_reason() {
    let env = Env::new();
    let r = env.send("pre_task.json");
    assert_eq!(r.decision(), "allow");
    assert!(r.reason().contains("subagent"), "{r:?}");
}

#[test]
fn conversation_only_tools_get_no_opinion() {
    let env = Env::new();
    let r = env.send("pre_todowrite.json");
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
}

/// Input that cannot be decided is denied (PreToolUse) with the reason.
#[test]
fn undecidable_tool_calls_are_denied_with_the_reason() {
    let env = Env::new();
    for (f, says) in [
        ("pre_unknown_tool.json", "Teleport"),
        ("pre_bad_tool_input.json", "tool_input.command"),
        ("pre_tool_input_not_object.json", "not an object"),
        ("malformed_missing_tool_name.json", "tool_name"),
        ("malformed_session_traversal.json", "not a valid session id"),
        ("malformed_missing_session.json", "session_id"),
    ] {
        let r = env.send(f);
        assert_eq!(r.decision(), "deny", "{f}: {r:?}");
        assert!(r.reason().contains(says), "{f}: {r:?}");
    }
    // Nothing was created outside the data directory by the traversal attempt.
    assert!(!env.dir.path().join("evil.json").exists());
    assert!(!std::path::Path::new("/tmp/evil.json").exists());
}

/// Input that is not an event at all: exit 2 (blocking) with one line on stderr.
#[test]
fn malformed_input_is_a_blocking_error() {
    let env = Env::new();
    for (f, says) in [
        ("malformed_not_json.txt", "not JSON"),
        ("malformed_truncated.json", "not JSON"),
        ("malformed_array.json", "not an object"),
        ("malformed_unknown_event.json", "Teleported"),
        ("malformed_post_missing_session.json", "session_id"),
        ("post_missing_response.json", "tool_response"),
    ] {
        let r = env.send(f);
        assert_eq!(r.code, 2, "{f}: {r:?}");
        assert_eq!(r.stdout, "", "{f}: {r:?}");
        assert!(r.stderr.starts_with("cordon: "), "{f}: {r:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{f}: {r:?}");
        assert!(r.stderr.contains(says), "{f}: {r:?}");
    }
    let r = env.send_bytes(b"");
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn huge_input_is_refused_not_allowed() {
    let env = Env::new();
    // A PreToolUse whose command is 70 MiB long.
    let mut ev = env.event("pre_bash.json");
    ev["tool_input"]["command"] = json!(format!("echo {}", "a".repeat(70 << 20)));
    let r = env.send_json(&ev);
    if r.code == 0 {
        assert_eq!(
            r.decision(),
            "deny",
            "{}",
            &r.stdout[..r.stdout.len().min(500)]
        );
    } else {
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("larger than"), "{}", r.stderr);
    }
    assert!(!r.stdout.contains("\"allow\""));
}

#[test]
fn session_events_answer_nothing_and_keep_state() {
    let env = Env::new();
    for f in ["session_start.json", "user_prompt_submit.json"] {
        let r = env.send(f);
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{f}: {r:?}");
    }
    let r = env.send("pre_bash.json");
    let asked = r.decision() == "ask";
    let r = env.send("post_bash.json");
    assert_eq!(r.code, 0, "{r:?}");
    let r = env.send("post_tool_use_failure.json");
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
    let s = env.state();
    assert!(s["started_ns"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(s["counts"]["prompts"], 1, "{s}");
    assert_eq!(s["counts"]["pre_tool_use"], 1, "{s}");
    assert_eq!(s["counts"]["post_tool_use"], 1, "{s}");
    // The ask (if any) was followed by the tool running: the agent reports it answered yes.
    assert_eq!(s["counts"]["reported_asks"], u64::from(asked), "{s}");
    assert!(s["pending_asks"].as_object().unwrap().is_empty(), "{s}");
    let r = env.send("session_end.json");
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
    assert!(env.state()["ended_ns"].as_u64().is_some());
}

#[test]
fn an_unanswered_ask_is_reported_at_session_end() {
    let env = Env::new();
    let r = env.send("pre_bash_exfil.json");
    if r.decision() != "ask" {
        return; // denied outright: nothing waits for the user.
    }
    assert!(env.state()["pending_asks"]["toolu_bash_exfil"].is_object());
    env.send("session_end.json");
    assert!(env.state()["pending_asks"].as_object().unwrap().is_empty());
}

#[test]
fn state_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.send("pre_bash.json");
    let mode = std::fs::metadata(env.state_file())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
    let dir = std::fs::metadata(env.data().join("sessions"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir & 0o077, 0, "{dir:o}");
}

/// A corrupt state file is not silently reset (taint would be lost): deny.
#[test]
fn unreadable_state_fails_closed() {
    let env = Env::new();
    env.send("session_start.json");
    std::fs::write(env.state_file(), "{ truncated").unwrap();
    let r = env.send("pre_read.json");
    assert_eq!(r.decision(), "deny", "{r:?}");
    assert!(r.reason().contains("unreadable"), "{r:?}");
    let r = env.send("post_webfetch_clean.json");
    assert_eq!(r.code, 2, "{r:?}");
}

/// Root ignores file permissions, so the data directory is made unusable by
/// putting a file where the directory should be.
#[test]
fn no_journal_no_decision() {
    let mut env = Env::new();
    let blocked = env.dir.path().join("not-a-dir");
    std::fs::write(&blocked, "").unwrap();
    env.extra
        .push(("CORDON_DATA_DIR".into(), blocked.to_str().unwrap().into()));
    let r = env.send("pre_read.json");
    assert_eq!(r.decision(), "deny", "{r:?}");
    assert!(
        r.reason().contains("journal") || r.reason().contains("data"),
        "{r:?}"
    );
    let r = env.send("user_prompt_submit.json");
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.starts_with("cordon: "), "{r:?}");
    // --no-journal is the explicit way to run unaudited; state still needs a place.
    env.extra.pop();
    env.args = vec!["--no-journal".into()];
    let r = env.send("pre_read.json");
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn a_bad_config_denies_with_the_file_and_line() {
    let env = Env::new();
    std::fs::create_dir_all(env.dir.path().join("xdg/cordon")).unwrap();
    std::fs::write(
        env.dir.path().join("xdg/cordon/config.toml"),
        "[hook]\nmode = \"enforce\"\nmood = 1\n",
    )
    .unwrap();
    let r = env.send("pre_bash.json");
    assert_eq!(r.decision(), "deny", "{r:?}");
    assert!(r.reason().contains("config.toml:3"), "{r:?}");
    std::fs::write(
        env.dir.path().join("xdg/cordon/config.toml"),
        "[hook]\nmode = \"lenient\"\n",
    )
    .unwrap();
    let r = env.send("pre_bash.json");
    assert_eq!(r.decision(), "deny", "{r:?}");
    assert!(r.reason().contains("lenient"), "{r:?}");
}

/// Monitor mode decides and journals but never gives a permission decision.
#[test]
fn monitor_mode_steps_aside() {
    let mut env = Env::new();
    let cfg = env.dir.path().join("monitor.toml");
    std::fs::write(&cfg, "[hook]\nmode = \"monitor\"\n").unwrap();
    env.args = vec!["--config".into(), cfg.to_str().unwrap().into()];
    for f in [
        "pre_bash_exfil.json",
        "pre_unknown_tool.json",
        "pre_read.json",
    ] {
        let r = env.send(f);
        assert_eq!(r.code, 0, "{f}: {r:?}");
        if !r.stdout.is_empty() {
            let v = r.json();
            assert!(v.get("hookSpecificOutput").is_none(), "{f}: {r:?}");
            assert!(
                v["systemMessage"].as_str().unwrap().contains("monitor"),
                "{f}: {r:?}"
            );
        }
    }
    let r = env.send("pre_unknown_tool.json");
    assert!(r.stdout.contains("would deny"), "{r:?}");
    // A project file may not switch a user's enforce off.
    let env2 = Env::new();
    std::fs::write(
        env2.ws().join(".cordon.toml"),
        "[hook]\nmode = \"monitor\"\n",
    )
    .unwrap();
    let r = env2.send("pre_unknown_tool.json");
    assert_eq!(r.decision(), "deny", "{r:?}");
}

/// Parallel tool calls start parallel hook processes: no update may be lost.
#[test]
fn concurrent_hook_processes_share_one_state() {
    let env = Env::new();
    let input = env.fixture("pre_read.json");
    let children: Vec<_> = (0..16)
        .map(|_| {
            let mut c = env
                .command(&["hook", "claude"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            c
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["hookSpecificOutput"]["permissionDecision"].is_string());
    }
    assert_eq!(env.state()["counts"]["pre_tool_use"], 16);
}

/// Every event is journaled, with the decision, what was answered and why.
#[test]
fn every_event_is_journaled() {
    let env = Env::new();
    for f in [
        "session_start.json",
        "user_prompt_submit.json",
        "pre_bash_exfil.json",
        "pre_todowrite.json",
        "post_bash.json",
        "post_tool_use_failure.json",
        "session_end.json",
    ] {
        assert_eq!(env.send(f).code, 0, "{f}");
    }
    let recs = env.journal();
    let kinds: Vec<&str> = recs.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "hook.session_start",
            "hook.user_prompt",
            "hook.pre_tool_use",
            "hook.pre_tool_use",
            "hook.post_tool_use",
            "hook.post_tool_use_failure",
            "hook.session_end"
        ]
    );
    for r in &recs {
        assert_eq!(r.source, "hook");
        assert_eq!(r.session, env.session);
        assert_eq!(r.payload["mode"], "enforce");
    }
    let exfil = &recs[2].payload;
    assert_eq!(exfil["tool"], "Bash");
    assert_eq!(exfil["action"], "bash");
    assert!(exfil["command"].as_str().unwrap().contains("id_rsa"));
    assert_ne!(exfil["decision"], "allow");
    assert_eq!(exfil["answered"], exfil["decision"]);
    assert!(!exfil["reasons"].as_array().unwrap().is_empty());
    assert_eq!(exfil["prompt_avoided"], exfil["decision"] == "deny");
    assert!(exfil["reason_text"]
        .as_str()
        .unwrap()
        .starts_with("cordon "));
    assert_eq!(recs[3].payload["decision"], "none");
    assert_eq!(recs[3].payload["prompt_avoided"], false);
    // The prompt's text is not copied into the journal, only its size.
    assert!(recs[1].payload.get("prompt").is_none());
    assert!(recs[1].payload["prompt_chars"].as_u64().unwrap() > 10);
}

/// In monitor mode the journal still has what would have happened.
#[test]
fn monitor_mode_journals_the_decision_it_did_not_give() {
    let mut env = Env::new();
    env.args = vec!["--mode".into(), "monitor".into()];
    env.send("pre_unknown_tool.json");
    let recs = env.journal();
    assert_eq!(recs[0].payload["decision"], "deny");
    assert_eq!(recs[0].payload["answered"], "none");
    assert_eq!(recs[0].payload["mode"], "monitor");
}

/// A hook stuck behind a lock must not outlive Claude Code's timeout (which
/// would let the call through): it gives up and refuses first.
#[test]
fn a_stuck_hook_refuses_before_the_timeout() {
    let mut env = Env::new();
    env.send("session_start.json");
    let lock = env
        .data()
        .join("sessions")
        .join(format!("{}.lock", env.session));
    // Another process holds the session's lock and does not let go.
    let mut holder = std::process::Command::new("python3")
        .args([
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
            lock.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(holder.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");
    env.args = vec!["--deadline".into(), "1".into()];
    let t = std::time::Instant::now();
    let r = env.send("pre_read.json");
    let took = t.elapsed();
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no decision within"), "{r:?}");
    assert!(!r.stdout.contains("allow"), "{r:?}");
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
}

/// Every prefix of a real event, and bytes that are not text, end in a
/// refusal: never a crash (no signal, no panic code), never an allow.
#[test]
fn truncated_and_garbled_input_never_allows() {
    let env = Env::new();
    let full = env.fixture("pre_read.json").into_bytes();
    let mut inputs: Vec<Vec<u8>> = (1..24)
        .map(|i| full[..full.len() * i / 24].to_vec())
        .collect();
    inputs.push(vec![0xff, 0xfe, 0x00, b'{']);
    inputs.push(b"{\"session_id\": \"\xff\xfe\", \"hook_event_name\": \"PreToolUse\"}".to_vec());
    inputs.push(b"{\"hook_event_name\": 7}".to_vec());
    inputs.push(b"null".to_vec());
    for input in inputs {
        let r = env.send_bytes(&input);
        let shown = String::from_utf8_lossy(&input).into_owned();
        assert!(r.code == 0 || r.code == 2, "{shown:?}: {r:?}");
        if r.code == 0 {
            assert_eq!(r.decision(), "deny", "{shown:?}: {r:?}");
        } else {
            assert!(r.stderr.starts_with("cordon: "), "{shown:?}: {r:?}");
        }
    }
}

/// `PermissionRequest` (Claude Code is about to ask the user): cordon denies
/// what it would deny and otherwise leaves the question to the user; it
/// never answers allow there.
#[test]
fn permission_requests_are_denied_or_left_to_the_user() {
    let env = Env::new();
    for f in [
        "permission_request_exfil.json",
        "permission_request_push.json",
    ] {
        // What PreToolUse says about the same call, in a session of its own.
        let other = Env::new();
        let mut pre = other.event(f);
        pre["hook_event_name"] = json!("PreToolUse");
        pre["tool_use_id"] = json!("toolu_same");
        let before = other.send_json(&pre).decision();
        let r = env.send(f);
        assert_eq!(r.code, 0, "{f}: {r:?}");
        if before == "deny" {
            let v = r.json();
            let h = &v["hookSpecificOutput"];
            assert_eq!(h["hookEventName"], "PermissionRequest", "{f}: {r:?}");
            assert_eq!(h["decision"]["behavior"], "deny", "{f}: {r:?}");
            let msg = h["decision"]["message"].as_str().unwrap();
            assert!(msg.starts_with("cordon denied this"), "{msg}");
        } else {
            // The user's dialog is shown; cordon says nothing.
            assert_eq!(r.stdout, "", "{f} ({before} at PreToolUse): {r:?}");
        }
    }
    // The exfiltration is denied (credentials + network), so one of each path ran.
    let recs: Vec<_> = env
        .journal()
        .into_iter()
        .filter(|r| r.kind == "hook.permission_request")
        .collect();
    assert_eq!(recs.len(), 2, "{recs:?}");
    assert_eq!(recs[0].payload["decision"], "deny");
    assert_eq!(recs[0].payload["answered"], "deny");
    assert_ne!(recs[1].payload["answered"], "allow");
    // Deciding again recorded nothing as a tool call.
    assert_eq!(env.state()["counts"]["permission_requests"], 2);
    assert_eq!(env.state()["counts"]["pre_tool_use"], 0);

    // Malformed: a clear deny, not a crash and not silence.
    let r = env.send("malformed_permission_request.json");
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    assert_eq!(
        v["hookSpecificOutput"]["decision"]["behavior"], "deny",
        "{r:?}"
    );
    assert!(
        v["hookSpecificOutput"]["decision"]["message"]
            .as_str()
            .unwrap()
            .contains("tool_name"),
        "{r:?}"
    );
}

/// A session resumed with no state in cordon (pruned, or older than cordon)
/// is treated as tainted: cordon cannot know what it read.
#[test]
fn a_resumed_session_without_state_is_tainted() {
    let env = Env::new();
    let r = env.send("session_start_resume.json");
    assert_eq!(r.code, 0, "{r:?}");
    let ctx = r.json()["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(ctx.contains("untrusted content"), "{r:?}");
    assert!(
        env.state()["policy"].to_string().contains("unknown"),
        "{}",
        env.state()
    );
    // A fresh start is not.
    let env = Env::new();
    let r = env.send("session_start.json");
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
}
