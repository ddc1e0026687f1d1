//! `cordon init claude`: merges into settings.json idempotently, keeps the
//! user's settings, backs up, prints the diff, and writes hooks that match
//! Claude Code's documented settings schema and actually run.

mod hook_support;
use hook_support::Env;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};

/// Claude Code's documented `hooks` schema (settings reference and the
/// published settings JSON schema): event name → matcher groups → hooks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    matcher: Option<String>,
    hooks: Vec<Hook>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "snake_case")]
enum Hook {
    Command {
        command: String,
        timeout: Option<f64>,
        #[serde(rename = "statusMessage")]
        _status_message: Option<String>,
    },
}

/// Hook events Claude Code documents; the tool events take a tool-name matcher.
const DOCUMENTED_EVENTS: &[(&str, bool)] = &[
    ("PreToolUse", true),
    ("PostToolUse", true),
    ("PostToolUseFailure", true),
    ("PermissionRequest", true),
    ("UserPromptSubmit", false),
    ("Notification", false),
    ("Stop", false),
    ("SubagentStop", false),
    ("PreCompact", false),
    ("SessionStart", false),
    ("SessionEnd", false),
];

fn init(env: &Env, args: &[&str]) -> (i32, String, String) {
    let mut a = vec!["init", "claude"];
    a.extend_from_slice(args);
    let out = env.command(&a).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn settings(env: &Env) -> Value {
    let p = env.ws().join(".claude/settings.json");
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// Check the written settings against the documented schema; return the hook commands.
fn check_schema(v: &Value) -> Vec<String> {
    let hooks = v["hooks"].as_object().expect("hooks is an object");
    let mut commands = vec![];
    for (event, groups) in hooks {
        let takes_matcher = DOCUMENTED_EVENTS
            .iter()
            .find(|(e, _)| e == event)
            .unwrap_or_else(|| panic!("{event} is not a documented hook event"))
            .1;
        let groups: Vec<Group> = serde_json::from_value(groups.clone())
            .unwrap_or_else(|e| panic!("hooks.{event} does not match the schema: {e}"));
        for g in groups {
            let ours = g.hooks.iter().any(
                |h| matches!(h, Hook::Command { command, .. } if command.contains(" hook claude")),
            );
            if let Some(m) = &g.matcher {
                assert!(takes_matcher, "{event} takes no matcher, got {m}");
                check_matcher(m, ours);
            }
            for h in g.hooks {
                let Hook::Command {
                    command, timeout, ..
                } = h;
                assert!(!command.trim().is_empty());
                if let Some(t) = timeout {
                    assert!(t > 0.0, "timeout must be positive seconds");
                }
                if command.contains(" hook claude") {
                    commands.push(command);
                }
            }
        }
    }
    commands
}

/// The matcher is a valid regex (checked by Python's `re`, which agrees with
/// JavaScript on this syntax) that selects exactly the tools cordon decides.
fn check_matcher(m: &str, ours: bool) {
    let script = r#"
import re, sys
m = re.compile(sys.argv[1])
want = ["Bash", "Read", "Write", "Edit", "MultiEdit", "NotebookEdit", "Glob", "Grep",
        "WebFetch", "WebSearch", "Task", "mcp__github__create_issue"]
skip = ["TodoWrite", "AskUserQuestion", "ExitPlanMode", "BashOutput", "ReadXYZ"]
bad = [t for t in want if not m.search(t)] + [t for t in skip if m.search(t)]
print(" ".join(bad) if sys.argv[2] == "1" else "")
"#;
    let out = Command::new("python3")
        .args(["-c", script, m, if ours { "1" } else { "0" }])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "matcher {m} does not compile: {out:?}"
    );
    let wrong = String::from_utf8_lossy(&out.stdout);
    assert!(
        wrong.trim().is_empty(),
        "matcher {m} gets these tools wrong: {wrong}"
    );
}

#[test]
fn fresh_project_gets_schema_valid_hooks_that_run() {
    let env = Env::new();
    let (code, out, err) = init(&env, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("+++ ") && out.contains("wrote "), "{out}");
    let v = settings(&env);
    let commands = check_schema(&v);
    assert_eq!(commands.len(), 7, "{v:#}");
    for e in [
        "PreToolUse",
        "PermissionRequest",
        "PostToolUse",
        "UserPromptSubmit",
        "SessionStart",
        "SessionEnd",
    ] {
        assert!(v["hooks"][e].is_array(), "{e}: {v:#}");
    }
    // The installed command line works as Claude Code runs it: through a shell.
    let mut sh = Command::new("sh");
    sh.arg("-c").arg(&commands[0]);
    for (k, val) in env.command(&[]).get_envs() {
        if let Some(val) = val {
            sh.env(k, val);
        }
    }
    let mut c = sh
        .current_dir(env.ws())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    c.stdin
        .take()
        .unwrap()
        .write_all(env.fixture("pre_task.json").as_bytes())
        .unwrap();
    let out = c.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["hookSpecificOutput"]["permissionDecision"], "allow",
        "{v}"
    );
}

#[test]
fn merge_keeps_user_settings_and_is_idempotent() {
    let env = Env::new();
    let dir = env.ws().join(".claude");
    std::fs::create_dir_all(&dir).unwrap();
    // Written the way serde_json and most editors pretty-print, in the user's key order.
    let original = r#"{
  "model": "opus",
  "permissions": {
    "allow": [
      "Bash(npm run test:*)"
    ],
    "deny": [
      "Read(./.env)"
    ]
  },
  "hooks": {
    "PostToolUse": [
      {
        "matcher": "Edit|Write",
        "hooks": [
          {
            "type": "command",
            "command": "npx prettier --write",
            "timeout": 20
          }
        ]
      }
    ],
    "Stop": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "notify-send done"
          }
        ]
      }
    ]
  },
  "env": {
    "FOO": "1"
  }
}
"#;
    std::fs::write(dir.join("settings.json"), original).unwrap();
    let (code, out, err) = init(&env, &["--project"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("backed up"), "{out}");
    let backups: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("cordon-backup"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(
        std::fs::read_to_string(backups[0].path()).unwrap(),
        original
    );
    let v = settings(&env);
    check_schema(&v);
    assert_eq!(v["model"], "opus");
    assert_eq!(v["permissions"]["deny"][0], "Read(./.env)");
    assert_eq!(v["env"]["FOO"], "1");
    assert_eq!(
        v["hooks"]["Stop"][0]["hooks"][0]["command"],
        "notify-send done"
    );
    let post = v["hooks"]["PostToolUse"].as_array().unwrap();
    assert_eq!(post.len(), 2);
    assert_eq!(post[0]["hooks"][0]["command"], "npx prettier --write");
    // Key order is the user's.
    let text = std::fs::read_to_string(dir.join("settings.json")).unwrap();
    let pos = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
    assert!(
        pos("model") < pos("permissions")
            && pos("permissions") < pos("hooks")
            && pos("hooks") < pos("env")
    );
    // The diff shows additions only.
    assert!(
        out.lines()
            .any(|l| l.starts_with('+') && l.contains("hook claude")),
        "{out}"
    );
    assert!(
        !out.lines()
            .any(|l| l.starts_with('-') && !l.starts_with("---")),
        "{out}"
    );
    // Again: nothing changes, no new backup.
    let (code, out, _) = init(&env, &[]);
    assert_eq!(code, 0);
    assert!(out.contains("already installed"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.join("settings.json")).unwrap(),
        text
    );
    let n = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(n, 2, "settings.json and one backup");
}

#[test]
fn dry_run_writes_nothing() {
    let env = Env::new();
    let (code, out, _) = init(&env, &["--dry-run"]);
    assert_eq!(code, 0);
    assert!(out.contains("dry run: nothing written"), "{out}");
    assert!(out.contains("+    \"PreToolUse\""), "{out}");
    assert!(!env.ws().join(".claude").exists());
}

#[test]
fn user_scope_honours_claude_config_dir() {
    let mut env = Env::new();
    let (code, out, err) = init(&env, &["--user"]);
    assert_eq!(code, 0, "{out}{err}");
    let p = env.home().join(".claude/settings.json");
    check_schema(&serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap());
    let other = env.dir.path().join("claude-cfg");
    env.extra
        .push(("CLAUDE_CONFIG_DIR".into(), other.to_str().unwrap().into()));
    let (code, _, _) = init(&env, &["--user"]);
    assert_eq!(code, 0);
    assert!(other.join("settings.json").is_file());
}

#[test]
fn broken_settings_are_not_overwritten() {
    let env = Env::new();
    let dir = env.ws().join(".claude");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("settings.json"),
        "{\n  \"model\": \"opus\",\n  \"hooks\": [,]\n}\n",
    )
    .unwrap();
    let (code, out, err) = init(&env, &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.starts_with("cordon: ") && err.contains("settings.json:3:"),
        "{err}"
    );
    std::fs::write(
        dir.join("settings.json"),
        "{\"hooks\": {\"PreToolUse\": {}}}",
    )
    .unwrap();
    let (code, _, err) = init(&env, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("hooks.PreToolUse"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("settings.json")).unwrap(),
        "{\"hooks\": {\"PreToolUse\": {}}}"
    );
}

#[test]
fn sandbox_guide_is_printed() {
    let env = Env::new();
    let (code, out, _) = init(&env, &["--sandbox", "--dry-run"]);
    assert_eq!(code, 0);
    assert!(out.contains("cordon run --hook-relay -- claude"), "{out}");
}

#[test]
fn hook_groups_of_other_tools_are_left_alone() {
    let env = Env::new();
    let dir = env.ws().join(".claude");
    std::fs::create_dir_all(&dir).unwrap();
    // Someone put cordon's hook next to their own in one group, with an old path.
    let shared = serde_json::json!({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
        {"type": "command", "command": "/old/path/cordon hook claude"},
        {"type": "command", "command": "./guard.sh"}]}]}});
    std::fs::write(dir.join("settings.json"), shared.to_string()).unwrap();
    let (code, _, _) = init(&env, &[]);
    assert_eq!(code, 0);
    let v = settings(&env);
    let groups: BTreeMap<String, Value> = serde_json::from_value(v["hooks"].clone()).unwrap();
    let pre = groups["PreToolUse"].as_array().unwrap();
    assert_eq!(pre.len(), 2, "{pre:#?}");
    assert_eq!(pre[0]["hooks"].as_array().unwrap().len(), 1);
    assert_eq!(pre[0]["hooks"][0]["command"], "./guard.sh");
    assert!(!v.to_string().contains("/old/path"));
}
