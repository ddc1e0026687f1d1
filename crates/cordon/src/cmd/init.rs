//! `cordon init claude`: install cordon's hook into Claude Code's settings.
//!
//! ```text
//! $ cordon init claude             # .claude/settings.json of the project in the current directory
//! $ cordon init claude --user      # ~/.claude/settings.json (or $CLAUDE_CONFIG_DIR/settings.json)
//! $ cordon init claude --dry-run   # print the change, write nothing
//! $ cordon init claude --sandbox   # also explain how to run Claude Code itself under `cordon run`
//! ```
//!
//! The merge keeps everything else in the file (key order included), replaces
//! cordon's own entries where they already are, and adds them where they are
//! not, so running it again changes nothing. Before a file is changed it is
//! copied to `settings.json.cordon-backup-<unix time>`, and the change is
//! printed as a diff.

use crate::cmd::hook::tools;
use crate::exit::{CmdResult, Failure};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Set an agent up for cordon: hooks for Claude Code; for Codex, Aider and
/// Gemini CLI a checked recipe (their profile does the rest at run time).
///
/// `cordon init claude` makes Claude Code ask cordon before every tool call
/// (Bash, file tools, web tools, MCP tools) and show it every tool result,
/// prompt and session start and end. See docs/CLAUDE.md.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    agent: Agent,
}

#[derive(clap::Subcommand, Debug)]
enum Agent {
    /// Merge cordon's hook into Claude Code's settings.json (idempotent; backs up and prints the diff).
    #[command(after_long_help = EXAMPLES)]
    Claude(ClaudeArgs),
    /// Check Codex CLI and print how to run it inside cordon (writes nothing:
    /// cordon configures Codex at run time, see docs/CODEX.md).
    Codex,
    /// Check Aider and print how to run it inside cordon (writes nothing).
    Aider,
    /// Check Gemini CLI and print how to run it inside cordon (writes nothing).
    Gemini,
}

#[derive(clap::Args, Debug)]
struct ClaudeArgs {
    /// Write the project's .claude/settings.json in the current directory (the default).
    #[arg(long, conflicts_with = "user")]
    project: bool,
    /// Write your user settings: $CLAUDE_CONFIG_DIR/settings.json, else ~/.claude/settings.json.
    #[arg(long)]
    user: bool,
    /// Print what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also print how to run Claude Code itself inside `cordon run`.
    #[arg(long)]
    sandbox: bool,
    /// The hook command to install (default: this cordon binary's absolute path + ` hook claude`).
    #[arg(long, value_name = "COMMAND")]
    command: Option<String>,
}

pub fn main(args: Args) -> CmdResult {
    match args.agent {
        Agent::Claude(a) => claude(a),
        Agent::Codex => recipe("codex"),
        Agent::Aider => recipe("aider"),
        Agent::Gemini => recipe("gemini"),
    }
}

const EXAMPLES: &str = r#"Examples:
  $ cordon init claude --dry-run    # show what would change in ./.claude/settings.json
  $ cordon init claude              # write it (the old file is kept as settings.json.cordon-backup-<time>)
  $ cordon init claude --user       # for every project: ~/.claude/settings.json
  $ cordon init claude --sandbox    # also: how to run Claude Code itself under `cordon run`

Running it again changes nothing. Other settings and hooks in the file are kept.
Remove cordon by deleting the hook entries whose command ends in `hook claude`."#;

/// Seconds Claude Code waits for the hook (it answers in milliseconds).
const TIMEOUT_S: u64 = 30;

/// Hook events cordon installs, and whether they take the tool matcher.
const EVENTS: &[(&str, bool)] = &[
    ("PreToolUse", true),
    ("PermissionRequest", true),
    ("PostToolUse", true),
    ("PostToolUseFailure", true),
    ("UserPromptSubmit", false),
    ("SessionStart", false),
    ("SessionEnd", false),
];

/// JSON that keeps its object keys in file order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum J {
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(String),
    Arr(Vec<J>),
    Obj(IndexMap<String, J>),
}

fn claude(args: ClaudeArgs) -> CmdResult {
    let path = settings_path(args.user)?;
    let command = match args.command {
        Some(c) if !c.trim().is_empty() => c,
        Some(_) => {
            return Err(
                Failure::usage("--command is empty").hint("give the hook command to install")
            )
        }
        None => default_command()?,
    };
    crate::settings::Settings::admit_hook_command(&command)?;
    let before = match fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => {
            return Err(
                Failure::usage(format!("{}: cannot read: {e}", path.display()))
                    .hint("fix the file's permissions"),
            )
        }
    };
    let mut doc = match &before {
        Some(t) if !t.trim().is_empty() => serde_json::from_str::<J>(t).map_err(|e| {
            Failure::usage(format!(
                "{}:{}:{}: not valid JSON: {e}",
                path.display(),
                e.line(),
                e.column()
            ))
            .hint("fix the JSON by hand, then run `cordon init claude` again")
        })?,
        _ => J::Obj(IndexMap::new()),
    };
    merge(&mut doc, &command).map_err(|m| {
        Failure::usage(format!("{}: {m}", path.display()))
            .hint("fix the settings by hand, then run `cordon init claude` again")
    })?;
    let after = pretty(&doc);
    let unchanged = match &before {
        Some(t) => serde_json::from_str::<J>(t).ok().as_ref() == Some(&doc) || *t == after,
        None => false,
    };
    if unchanged {
        println!(
            "{}: cordon's hook is already installed; nothing to change",
            path.display()
        );
    } else {
        print!("{}", diff(before.as_deref().unwrap_or(""), &after, &path));
        if args.dry_run {
            println!("dry run: nothing written");
        } else {
            write_settings(&path, before.is_some(), &after)?;
        }
    }
    if args.sandbox {
        print!("{}", SANDBOX_GUIDE);
    }
    Ok(0)
}

fn settings_path(user: bool) -> Result<PathBuf, Failure> {
    if user {
        if let Some(d) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|v| !v.is_empty()) {
            return Ok(PathBuf::from(d).join("settings.json"));
        }
        let home = crate::config::home_dir()
            .ok_or_else(|| Failure::usage("$HOME is not set").hint("set HOME, or use --project"))?;
        return Ok(home.join(".claude/settings.json"));
    }
    let cwd = std::env::current_dir().map_err(|e| {
        Failure::usage(format!("cannot read the current directory: {e}"))
            .hint("cd into the project")
    })?;
    Ok(cwd.join(".claude/settings.json"))
}

/// This binary's absolute path, quoted for the shell, + ` hook claude`.
fn default_command() -> Result<String, Failure> {
    let exe = std::env::current_exe().map_err(|e| {
        Failure::usage(format!("cannot find cordon's own path: {e}")).hint("pass --command")
    })?;
    let exe = installed_path(exe)?;
    let s = exe.to_str().ok_or_else(|| {
        Failure::usage(format!("cordon's path {} is not UTF-8", exe.display()))
            .hint("pass --command")
    })?;
    Ok(format!("{} hook claude", shell_quote(s)))
}

/// The path to write into a hook: Linux names a running binary that was
/// replaced or removed (an upgrade) `PATH (deleted)`; the binary now at PATH
/// is the one to run, and none there is an error, never a hook that cannot
/// start (Claude Code would then fall back to its own permission prompts).
fn installed_path(exe: PathBuf) -> Result<PathBuf, Failure> {
    let Some(live) = exe
        .to_str()
        .and_then(|s| s.strip_suffix(" (deleted)"))
        .map(PathBuf::from)
    else {
        return Ok(exe);
    };
    if live.is_file() {
        Ok(live)
    } else {
        Err(Failure::usage(format!(
            "this cordon binary was removed while it ran ({}); no hook can start it",
            live.display()
        ))
        .hint("run the installed cordon, or pass --command"))
    }
}

fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Is this hook command one that cordon installed (whatever cordon's path was)?
fn is_ours(command: &str) -> bool {
    let t = command.trim();
    let Some(prog_end) = t.rfind(" hook claude") else {
        return false;
    };
    let rest = t[prog_end + " hook claude".len()..].trim();
    let prog = t[..prog_end].trim().trim_matches('\'').trim_matches('"');
    let base = prog.rsplit('/').next().unwrap_or(prog);
    base.starts_with("cordon") && (rest.is_empty() || rest.starts_with("--"))
}

fn our_group(with_matcher: bool, command: &str) -> J {
    let mut hook = IndexMap::new();
    hook.insert("type".into(), J::Str("command".into()));
    hook.insert("command".into(), J::Str(command.into()));
    hook.insert("timeout".into(), J::Num(TIMEOUT_S.into()));
    let mut group = IndexMap::new();
    if with_matcher {
        group.insert("matcher".into(), J::Str(matcher()));
    }
    group.insert("hooks".into(), J::Arr(vec![J::Obj(hook)]));
    J::Obj(group)
}

/// The tool matcher: every tool cordon decides, anchored, and every MCP tool.
pub fn matcher() -> String {
    let m = tools::matcher();
    let (names, mcp) = m.rsplit_once('|').unwrap_or((&m, ""));
    format!("^({names})$|^{mcp}")
}

fn is_our_hook(h: &J) -> bool {
    matches!(h, J::Obj(o) if matches!(o.get("command"), Some(J::Str(c)) if is_ours(c)))
}

/// Put cordon's groups into `hooks`, replacing any it put there before.
fn merge(doc: &mut J, command: &str) -> Result<(), String> {
    let J::Obj(root) = doc else {
        return Err("the settings are not a JSON object".into());
    };
    let hooks = root
        .entry("hooks".to_string())
        .or_insert_with(|| J::Obj(IndexMap::new()));
    let J::Obj(hooks) = hooks else {
        return Err("`hooks` is not an object".into());
    };
    for &(event, with_matcher) in EVENTS {
        let groups = hooks
            .entry(event.to_string())
            .or_insert_with(|| J::Arr(vec![]));
        let J::Arr(groups) = groups else {
            return Err(format!("`hooks.{event}` is not an array"));
        };
        let ours = our_group(with_matcher, command);
        // A group that holds only cordon's hook is replaced where it stands.
        let mut placed = false;
        let mut kept = Vec::with_capacity(groups.len() + 1);
        for g in groups.drain(..) {
            let J::Obj(mut obj) = g else {
                kept.push(g);
                continue;
            };
            let Some(J::Arr(list)) = obj.get_mut("hooks") else {
                kept.push(J::Obj(obj));
                continue;
            };
            if !list.iter().any(is_our_hook) {
                kept.push(J::Obj(obj));
                continue;
            }
            if list.iter().all(is_our_hook) {
                if !placed {
                    kept.push(ours.clone());
                    placed = true;
                }
                continue;
            }
            // Shared with the user's own hooks: take ours out, leave theirs.
            list.retain(|h| !is_our_hook(h));
            kept.push(J::Obj(obj));
        }
        if !placed {
            kept.push(ours);
        }
        *groups = kept;
    }
    Ok(())
}

fn pretty(doc: &J) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

fn write_settings(path: &Path, existed: bool, text: &str) -> Result<(), Failure> {
    let fail = |what: &str, e: std::io::Error| {
        Failure::usage(format!("{}: cannot {what}: {e}", path.display()))
            .hint("check the directory's permissions")
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| fail("create its directory", e))?;
    }
    let mode = fs::metadata(path)
        .map(|m| m.permissions().mode())
        .unwrap_or(0o644);
    if existed {
        let secs = cordon_event::now_ns() / 1_000_000_000;
        let backup = path.with_file_name(format!(
            "{}.cordon-backup-{secs}",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("settings.json")
        ));
        fs::copy(path, &backup).map_err(|e| fail("back up", e))?;
        println!("backed up {} to {}", path.display(), backup.display());
    }
    let tmp = path.with_extension(format!("json.cordon-{}.tmp", std::process::id()));
    fs::write(&tmp, text)
        .and_then(|_| fs::set_permissions(&tmp, fs::Permissions::from_mode(mode)))
        .and_then(|_| fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            fail("write", e)
        })?;
    println!("wrote {}", path.display());
    Ok(())
}

/// A line diff (`-`/`+`, two lines of context) of two small texts.
fn diff(old: &str, new: &str, path: &Path) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut out = format!("--- {p}\n+++ {p}\n", p = path.display());
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        a.iter().for_each(|l| out.push_str(&format!("-{l}\n")));
        b.iter().for_each(|l| out.push_str(&format!("+{l}\n")));
        return out;
    }
    // Longest common subsequence table, then walk it.
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    const CONTEXT: usize = 2;
    let changed: Vec<bool> = ops.iter().map(|(c, _)| *c != ' ').collect();
    let near = |k: usize| {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT + 1).min(ops.len());
        changed[lo..hi].iter().any(|c| *c)
    };
    let mut gap = false;
    for (k, (c, l)) in ops.iter().enumerate() {
        if near(k) {
            if gap {
                out.push_str("@@\n");
                gap = false;
            }
            out.push_str(&format!("{c}{l}\n"));
        } else {
            gap = true;
        }
    }
    out
}

/// `cordon init codex|aider|gemini`: what the agent's profile does, what of
/// it this machine has (the program, its API variables), and the command
/// line to use. These agents need no settings file written: the profile is
/// applied by `cordon run` (crate::profile).
fn recipe(name: &str) -> CmdResult {
    let p = crate::profile::find(name)
        .ok_or_else(|| Failure::usage(format!("no profile for {name}")))?;
    let var = |v: &str| std::env::var(v).ok().filter(|x| !x.is_empty());
    print!("{}", recipe_text(p, &var, which(p.programs[0]).as_deref()));
    Ok(0)
}

/// The guide for one profile, from the table and what the machine has.
fn recipe_text(
    p: &crate::profile::Profile,
    var: &dyn Fn(&str) -> Option<String>,
    found: Option<&Path>,
) -> String {
    let mut o = format!("{} inside cordon\n", p.title);
    o.push_str(&format!("{}\n", "-".repeat(o.len() - 1)));
    o.push_str(&match found {
        Some(path) => format!("Found `{}` at {}.\n", p.programs[0], path.display()),
        None => format!(
            "`{}` is not on PATH: install {} first (cordon runs it from the host's PATH).\n",
            p.programs[0], p.title
        ),
    });
    // The network: a loopback base URL is forwarded, else the API preset.
    let mut net = vec!["registries".to_string()];
    let mut flags = Vec::new();
    let local = p.base_url.iter().find_map(|v| {
        let u = var(v)?;
        let addr = crate::profile::loopback_authority(&u)?;
        Some((*v, u, addr))
    });
    match &local {
        Some((v, u, addr)) => {
            o.push_str(&format!(
                "{v} points at the host's loopback ({u}): cordon forwards that port into the sandbox.\n"
            ));
            flags.push(format!("--allow-domain {addr}"));
        }
        None => net.insert(0, p.presets[0].to_string()),
    }
    if let Some(key) = p.base_url_config {
        o.push_str(&format!(
            "{} reads its base URL from its config, not a variable: for a model server on the \
             host's loopback, add `--allow-domain 127.0.0.1:PORT` to cordon and `-c \
             {key}=\"http://127.0.0.1:PORT/v1\"` to {}.\n",
            p.title, p.programs[0]
        ));
    }
    let set: Vec<&str> = p.env.iter().copied().filter(|v| var(v).is_some()).collect();
    o.push_str(&if set.is_empty() {
        format!(
            "None of its API variables is set ({}); set the key before starting it, or log in on \
             the host first (a host login is visible inside, read-only).\n",
            p.env.join(", ")
        )
    } else {
        format!(
            "Set here and passed into the sandbox by its profile: {}.\n",
            set.join(", ")
        )
    });
    o.push_str(&format!(
        "\nRun it from the project directory:\n\n    cordon run --net {} {}-- {}\n\n",
        net.join(","),
        flags.iter().map(|f| format!("{f} ")).collect::<String>(),
        p.programs[0]
    ));
    o.push_str(&format!(
        "What its profile does (`cordon run --agent none` turns it off):\n\
         - passes its API variables when they are set: {}\n",
        p.env.join(", ")
    ));
    if let Some(n) = &p.nested {
        o.push_str(&format!(
            "- its own sandbox: {}, which a process inside cordon cannot do (Landlock forbids \
             mounts to a landlocked process; cordon refuses new user namespaces). cordon starts \
             it as `{} {} ...`, so cordon's sandbox is the boundary: writes only in the \
             workspace, secrets hidden, network only through cordon's proxy.\n",
            n.why,
            p.programs[0],
            n.args.join(" ")
        ));
    }
    o.push_str(&format!(
        "- its state ({}) lives in cordon's home overlay: it persists between runs and never \
         changes the host's files (`cordon home show`). A change there to what runs or instructs \
         its next session (settings, hooks, memory files, MCP servers) is moved out after the run \
         for review (`cordon quarantine list`).\n",
        p.state
            .iter()
            .map(|s| format!("~/{s}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    o
}

/// The first executable `name` on PATH.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

const SANDBOX_GUIDE: &str = r#"
Running Claude Code itself inside cordon's sandbox
---------------------------------------------------
The hook decides each tool call; the sandbox makes sure that whatever slips
through still cannot reach your secrets, the rest of the machine or the
network beyond policy. Give Claude Code what it needs and nothing more, in
~/.config/cordon/config.toml:

    [sandbox]
    env = ["ANTHROPIC_API_KEY"]                     # or your login's token variable

    [network]
    presets = ["anthropic", "registries"]           # the API, and package registries

then start it from the project directory:

    cordon run --hook-relay -- claude

or, without a config file:

    cordon run --hook-relay --net registries,anthropic --env ANTHROPIC_API_KEY -- claude

Claude Code's own state (~/.claude, ~/.claude.json) needs no --allow-write:
$HOME inside is an overlay kept in cordon's home (`cordon home show`), so it
persists from run to run without ever changing the host's files.

Claude Code starts the hook inside the sandbox, where cordon's state and
journal are out of reach. --hook-relay serves the hook relay
(CORDON_HOOK_SOCKET, `cordon hook serve` run outside), so events are
decided outside as contained actions, so builds and tests inside the
workspace need no prompt. Without the relay the hook fails closed: every tool
call is denied. See docs/CLAUDE.md.
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_binary_is_named_by_its_path_and_a_removed_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("cordon");
        std::fs::write(&bin, "").unwrap();
        let deleted = PathBuf::from(format!("{} (deleted)", bin.display()));
        assert_eq!(installed_path(deleted.clone()).unwrap(), bin);
        assert_eq!(installed_path(bin.clone()).unwrap(), bin);
        std::fs::remove_file(&bin).unwrap();
        let e = installed_path(deleted).unwrap_err();
        assert!(e.msg.contains("removed while it ran"), "{}", e.msg);
    }

    #[test]
    fn codex_recipe_says_what_its_profile_does() {
        let codex = crate::profile::find("codex").unwrap();
        let none = |_: &str| None;
        let t = recipe_text(codex, &none, None);
        assert!(
            t.contains("cordon run --net openai,registries -- codex"),
            "{t}"
        );
        assert!(
            t.contains(r#"codex -c sandbox_mode="danger-full-access""#),
            "{t}"
        );
        assert!(t.contains("not on PATH"), "{t}");
        assert!(t.contains("~/.codex"), "{t}");
        assert!(
            t.contains(r#"-c openai_base_url="http://127.0.0.1:PORT/v1""#),
            "{t}"
        );
        let claude = crate::profile::find("claude").unwrap();
        let local =
            |v: &str| (v == "ANTHROPIC_BASE_URL").then(|| "http://127.0.0.1:8089".to_string());
        let t = recipe_text(claude, &local, Some(Path::new("/usr/bin/claude")));
        assert!(
            t.contains("cordon run --net registries --allow-domain 127.0.0.1:8089 -- claude"),
            "{t}"
        );
        assert!(
            t.contains("passed into the sandbox by its profile: ANTHROPIC_BASE_URL"),
            "{t}"
        );
    }

    #[test]
    fn recognises_its_own_commands_only() {
        assert!(is_ours("/usr/local/bin/cordon hook claude"));
        assert!(is_ours("'/opt/my tools/cordon' hook claude"));
        assert!(is_ours("cordon hook claude --config /etc/c.toml"));
        assert!(!is_ours("/usr/bin/python3 guard.py"));
        assert!(!is_ours("othertool hook claude"));
        assert!(!is_ours("cordon hook claude; rm -rf /"));
    }

    #[test]
    fn merge_keeps_other_settings_and_order_and_is_idempotent() {
        let text = r#"{"model":"opus","permissions":{"allow":["Bash(ls)"]},"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"mine.sh"}]}]},"zeta":1}"#;
        let mut doc: J = serde_json::from_str(text).unwrap();
        merge(&mut doc, "/bin/cordon hook claude").unwrap();
        let once = pretty(&doc);
        let keys: Vec<_> = match &doc {
            J::Obj(o) => o.keys().cloned().collect(),
            _ => unreachable!(),
        };
        assert_eq!(keys, ["model", "permissions", "hooks", "zeta"]);
        assert!(once.contains("mine.sh"));
        let mut again: J = serde_json::from_str(&once).unwrap();
        merge(&mut again, "/bin/cordon hook claude").unwrap();
        assert_eq!(pretty(&again), once);
        // A new path replaces the old entry instead of adding a second one.
        merge(&mut again, "/new/cordon hook claude").unwrap();
        let moved = pretty(&again);
        assert!(!moved.contains("/bin/cordon"), "{moved}");
        assert_eq!(
            moved.matches("/new/cordon hook claude").count(),
            EVENTS.len()
        );
    }

    #[test]
    fn diff_shows_only_changes_with_context() {
        let d = diff(
            "a\nb\nc\nd\ne\nf\ng\n",
            "a\nb\nc\nX\ne\nf\ng\n",
            Path::new("s"),
        );
        assert!(d.contains("-d\n+X\n"), "{d}");
        assert!(!d.contains(" a\n"), "{d}");
        assert!(d.contains(" b\n") && d.contains(" f\n"), "{d}");
    }
}
