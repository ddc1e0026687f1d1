//! `cordon check`: decide allow / ask / deny for agent actions, with reasons.
//!
//! One action from the command line, or a JSONL batch. The decision engine is
//! `cordon-policy`; this file only builds actions and contexts and prints.

use crate::exit::{CmdResult, Failure};
use crate::settings::{Entry, Item, Load, Settings};
use cordon_policy::{Action, Context, Decision, Policy, Reason, RiskClass, SessionState, Verdict};
use serde::Serialize;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Decide allow / ask / deny for an agent action, and say why.
///
/// Every simple command inside a compound command is checked (&&, ||, ;, |,
/// subshells, $(...), backticks, bash -c strings, xargs, find -exec, sudo and
/// other wrappers); rules come from [permissions] in the config, in Claude
/// Code's syntax (deny beats ask beats allow).
///
/// Examples:
///
///   cordon check -- 'git status && git push --force'
///
///   cordon check --sandboxed --workspace ~/src/app -- 'cargo test'
///
///   cordon check --tool Read --path ~/.ssh/id_rsa
///
///   cordon check --tool WebFetch --url https://docs.rs/serde
///
///   cordon check --tool mcp__github__create_issue --input '{"title": "x"}'
///
///   printf '%s\n' '{"command": "ls"}' '{"tool": "Read", "input": {"file_path": ".env"}}' | cordon check --batch -
///
/// Exit status for one action: 0 allow, 1 ask, 3 deny (2 is bad usage).
/// With --batch, 0 when every line was decided; one JSON line is written per
/// input line: {"decision": "allow|ask|deny", "classes": [...], "reasons": [...]}.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The tool: Bash (default), Read, Write, Edit, WebFetch, WebSearch, Net or mcp__SERVER__TOOL.
    #[arg(long, value_name = "TOOL", default_value = "Bash")]
    tool: String,
    /// The file for Read, Write and Edit.
    #[arg(long, value_name = "PATH")]
    path: Option<String>,
    /// The URL for WebFetch.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// The query for WebSearch.
    #[arg(long, value_name = "TEXT")]
    query: Option<String>,
    /// The host for Net.
    #[arg(long, value_name = "HOST")]
    host: Option<String>,
    /// The port for Net.
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
    /// The tool input as JSON, exactly as the agent sends it (any tool).
    #[arg(long, value_name = "JSON")]
    input: Option<String>,
    /// Read JSONL actions from FILE (`-` for stdin) and write one JSON decision per line.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["path", "url", "query", "host", "input"])]
    batch: Option<PathBuf>,
    /// The action runs inside cordon's sandbox (`cordon run`): builds, tests and
    /// writes that the sandbox confines are allowed.
    #[arg(long)]
    sandboxed: bool,
    /// The workspace root, inside which the agent is free [default: the current directory].
    #[arg(long, value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// The working directory the action runs in [default: the current directory].
    #[arg(long, value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// A host the sandbox's network policy allows (repeatable; adds to [network] allow).
    /// Validated as `cordon run --allow-domain` is.
    #[arg(long = "allow-domain", value_name = "PATTERN")]
    allow_domain: Vec<String>,
    /// Session state (JSON, as the agent adapters keep it): taint and credential history.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// A config file to read after the user's own (its [permissions] rules apply).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
    /// The Bash command (after `--`).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    command: Vec<String>,
}

/// One decision as printed (`--json` and `--batch`).
#[derive(Serialize)]
struct Out<'a> {
    decision: Verdict,
    classes: &'a [RiskClass],
    reasons: &'a [Reason],
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    taint: Option<&'a cordon_policy::TaintSource>,
}

impl<'a> From<&'a Decision> for Out<'a> {
    fn from(d: &'a Decision) -> Self {
        Out {
            decision: d.verdict,
            classes: &d.classes,
            reasons: &d.reasons,
            hint: d.hint.as_deref(),
            taint: d.taint.as_ref(),
        }
    }
}

/// Exit status of a single check.
fn code(v: Verdict) -> u8 {
    match v {
        Verdict::Allow => 0,
        Verdict::Ask => 1,
        Verdict::Deny => 3,
    }
}

pub fn main(args: Args) -> CmdResult {
    let cwd_now = std::env::current_dir()
        .map_err(|e| Failure::usage(format!("cannot read the current directory: {e}")))?;
    let workspace = absolute(
        args.workspace.clone().unwrap_or_else(|| cwd_now.clone()),
        &cwd_now,
    );
    let cwd = absolute(
        args.cwd.clone().unwrap_or_else(|| cwd_now.clone()),
        &cwd_now,
    );
    let flags = args
        .allow_domain
        .iter()
        .map(|d| Entry::flag("--allow-domain", Item::NetAllow(d.clone())))
        .collect();
    let cfg = Settings::load(Load {
        config: args.config.as_deref(),
        workspace: Some(&workspace),
        flags,
    })?;
    cfg.print_warnings();
    let engine = cfg.policy()?;
    let policy = engine.policy();
    let ctx = engine.context(cwd, workspace, args.sandboxed);
    let state = match &args.state {
        Some(p) => read_state(p)?,
        None => SessionState::default(),
    };

    if let Some(batch) = &args.batch {
        if !args.command.is_empty() {
            return Err(Failure::usage(
                "--batch reads actions from a file; do not also give a command",
            )
            .hint("drop the command, or drop --batch"));
        }
        return run_batch(batch, &policy, &ctx, &state);
    }

    let action = single_action(&args)?;
    let d = policy.decide(&action, &ctx, &state);
    let mut text = String::new();
    if args.json {
        text = serde_json::to_string(&Out::from(&d)).map_err(io_fail)?;
        text.push('\n');
    } else {
        text.push_str(&d.summary());
        text.push('\n');
        for r in &d.reasons {
            text.push_str(&format!("  - {}", r.text));
            if let Some(c) = r.class {
                text.push_str(&format!(" [{}]", c.name()));
            }
            if let Some(rule) = &r.rule {
                text.push_str(&format!(" [rule {rule}]"));
            }
            text.push('\n');
        }
    }
    let c = code(d.verdict);
    let mut out = std::io::stdout().lock();
    if let Err(r) = write_result(out.write_all(text.as_bytes()).and_then(|_| out.flush()), c) {
        return r;
    }
    Ok(c)
}

fn io_fail(e: impl std::fmt::Display) -> Failure {
    Failure::refuse(format!("cannot write the decision: {e}"))
}

/// A closed pipe (`cordon check ... | head -1`) ends the output quietly.
fn write_result(r: std::io::Result<()>, code: u8) -> Result<(), CmdResult> {
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Ok(code)),
        Err(e) => Err(Err(io_fail(e))),
    }
}

fn absolute(p: PathBuf, base: &Path) -> PathBuf {
    if p.is_absolute() {
        p
    } else {
        base.join(p)
    }
}

fn read_state(p: &Path) -> Result<SessionState, Failure> {
    let text = std::fs::read_to_string(p).map_err(|e| {
        Failure::usage(format!("{}: cannot read: {e}", p.display()))
            .hint("check the path given to --state")
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::usage(format!(
            "{}:{}: not a session state: {e}",
            p.display(),
            e.line()
        ))
        .hint("give a state file written by a cordon adapter, or drop --state")
    })
}

/// The action described by the flags.
fn single_action(a: &Args) -> Result<Action, Failure> {
    let usage =
        |m: String| Failure::usage(m).hint("see `cordon check --help` for one example per tool");
    let mut input = match &a.input {
        Some(j) => serde_json::from_str::<serde_json::Value>(j)
            .map_err(|e| usage(format!("--input is not JSON: {e}")))?,
        None => serde_json::json!({}),
    };
    let obj = input
        .as_object_mut()
        .ok_or_else(|| usage("--input must be a JSON object".into()))?;
    let mut put = |k: &str, v: Option<serde_json::Value>| {
        if let Some(v) = v {
            obj.insert(k.to_string(), v);
        }
    };
    put("file_path", a.path.clone().map(Into::into));
    put("url", a.url.clone().map(Into::into));
    put("query", a.query.clone().map(Into::into));
    put("host", a.host.clone().map(Into::into));
    put("port", a.port.map(Into::into));
    if !a.command.is_empty() {
        if a.tool != "Bash" {
            return Err(usage(format!(
                "a command was given but --tool is {}",
                a.tool
            )));
        }
        put("command", Some(a.command.join(" ").into()));
    }
    if a.tool == "Bash" && input.get("command").is_none() {
        return Err(usage(
            "no command given: write it after `--`, as in `cordon check -- 'ls -la'`".into(),
        ));
    }
    Action::from_tool_input(&a.tool, &input).map_err(usage)
}

/// One batch line: `{"command": ...}` or `{"tool": ..., "input": {...}}`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    command: Option<String>,
    tool: Option<String>,
    input: Option<serde_json::Value>,
}

fn run_batch(src: &Path, policy: &Policy, ctx: &Context, state: &SessionState) -> CmdResult {
    let name = if src == Path::new("-") {
        "<stdin>".to_string()
    } else {
        src.display().to_string()
    };
    let reader: Box<dyn BufRead> = if src == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(src).map_err(|e| {
            Failure::usage(format!("{name}: cannot open: {e}"))
                .hint("check the path given to --batch")
        })?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, f))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| Failure::usage(format!("{name}:{n}: cannot read: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |m: String| {
            Failure::usage(format!("{name}:{n}: {m}"))
                .hint(r#"each line is {"command": "..."} or {"tool": "Read", "input": {"file_path": "..."}}"#)
        };
        let l: Line = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        let action = match (l.command, l.tool, l.input) {
            (Some(command), None, None) => Action::Bash { command },
            (None, Some(tool), input) => {
                Action::from_tool_input(&tool, &input.unwrap_or_else(|| serde_json::json!({})))
                    .map_err(bad)?
            }
            _ => {
                return Err(bad(
                    "give either \"command\" or \"tool\" (with \"input\")".into()
                ))
            }
        };
        let d = policy.decide(&action, ctx, state);
        let line = serde_json::to_vec(&Out::from(&d)).map_err(io_fail)?;
        let r = out.write_all(&line).and_then(|_| out.write_all(b"\n"));
        if let Err(r) = write_result(r, 0) {
            return r;
        }
    }
    if let Err(r) = write_result(out.flush(), 0) {
        return r;
    }
    Ok(0)
}
