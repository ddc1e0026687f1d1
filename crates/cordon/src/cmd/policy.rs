//! `cordon policy`: the effective settings and the managed policy (`show`,
//! `check`), and `import`.
//!
//! `cordon policy show` prints every value in force with the layer it came
//! from and every widening the managed policy refused or ignored.
//! `cordon policy check [--managed CANDIDATE] [FILE...]` proves config files
//! stay inside a managed policy's ceiling before anything is deployed: exit
//! 0 inside, 1 with each violation at `FILE:LINE`, 2 for a file that cannot
//! be read.
//!
//! `cordon policy import PATH`: Claude Code's `permissions` into cordon rules.
//!
//! Claude Code and cordon share the rule syntax, so importing is copying the
//! three lists after checking every rule parses. Rules for tools cordon does
//! not model (`Agent(...)`, `Skill(...)`) are kept and reported.

use crate::exit::{CmdResult, Failure};
use crate::settings::{self, managed, Ignored, Load, Managed, Settings, MANAGED_FILE};
use cordon_policy::Rules;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Show the effective settings, check configs against the managed policy, import rules.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    cmd: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    Show(ShowArgs),
    Check(CheckArgs),
    Import(ImportArgs),
}

/// Print the effective settings, the layer each value came from (managed,
/// flag, user, config, project, default), and every value the managed
/// policy refused or ignored.
#[derive(clap::Args, Debug)]
struct ShowArgs {
    /// JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Also read this config file (as `--config` of the other commands).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The workspace whose .cordon.toml applies (default: the current directory).
    #[arg(long, value_name = "DIR")]
    workspace: Option<PathBuf>,
}

/// Check config files against the managed policy's ceiling.
///
/// Exit 0 when every value is inside, 1 with each violation at FILE:LINE,
/// 2 when a file cannot be read. Without FILE: your user config and the
/// current directory's .cordon.toml. With --managed, against a candidate
/// managed policy instead of the installed /etc/cordon/managed.toml (check
/// before rolling it out); --managed without FILE only checks that the
/// candidate parses (exit 0, or 2 naming FILE:LINE).
///
/// Examples:
///
///   cordon policy check
///
///   cordon policy check --managed ./managed.toml ~/.config/cordon/config.toml
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
struct CheckArgs {
    /// A candidate managed policy.
    #[arg(long, value_name = "CANDIDATE")]
    managed: Option<PathBuf>,
    /// Config files to check.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Import the permission rules of a Claude Code settings.json.
///
/// Reads permissions.allow, permissions.ask and permissions.deny (the same rule
/// syntax cordon uses, e.g. Bash(npm run test:*), Read(~/.ssh/**),
/// WebFetch(domain:docs.rs), mcp__github__*), checks every rule, and prints a
/// [permissions] section for a cordon config, or merges it into one.
///
/// Examples:
///
///   cordon policy import .claude/settings.json
///
///   cordon policy import ~/.claude/settings.json --merge ~/.config/cordon/config.toml
///
/// With --merge, rules are added to the file's [permissions] lists (duplicates
/// are skipped) and the file is rewritten; comments in it are not kept, so a
/// copy is saved as FILE.bak first.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
struct ImportArgs {
    /// Claude Code settings file (settings.json or settings.local.json).
    #[arg(value_name = "PATH")]
    path: PathBuf,
    /// Merge the rules into this cordon TOML config instead of printing them.
    #[arg(long, value_name = "FILE")]
    merge: Option<PathBuf>,
}

pub fn main(args: Args) -> CmdResult {
    match args.cmd {
        Sub::Import(a) => import(a),
        Sub::Show(a) => show(a),
        Sub::Check(a) => check(a),
    }
}

fn show(a: ShowArgs) -> CmdResult {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::usage(format!("cannot read the current directory: {e}")))?;
    let workspace = a.workspace.clone().unwrap_or(cwd);
    let (managed, problem) = match managed::installed() {
        Ok(m) => (m, None),
        Err(f) => (None, Some(f.to_string())),
    };
    let s = Settings::load_under(
        Load {
            config: a.config.as_deref(),
            workspace: Some(&workspace),
            flags: Vec::new(),
        },
        managed.clone(),
    )?;
    let rows = s.effective();
    let why = |v: &[Ignored]| -> Vec<serde_json::Value> {
        v.iter()
            .map(|i| {
                json!({"key": i.key.name(), "value": i.value, "layer": i.layer.name(),
                       "place": i.place.to_string(), "reason": i.reason})
            })
            .collect()
    };
    if a.json {
        let m = managed
            .as_ref()
            .map(|m| json!({"path": m.shown(), "locks": m.ceiling.locks()}));
        let out = json!({
            "managed": m,
            "managed_file": MANAGED_FILE,
            "managed_error": problem,
            "files": s.files,
            "settings": rows,
            "refused": why(&s.refused),
            "ignored": why(&s.ignored),
            "warnings": s.warnings,
        });
        println!("{out:#}");
    } else {
        match (&managed, &problem) {
            (Some(m), _) => {
                println!("managed policy: {} (in force)", m.shown());
                for l in m.ceiling.locks() {
                    println!("  locks: {l}");
                }
            }
            (None, Some(p)) => println!("managed policy: NOT TRUSTED, every command refuses: {p}"),
            (None, None) => println!("managed policy: none ({MANAGED_FILE} is absent)"),
        }
        println!();
        let w = rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
        for r in &rows {
            match r.layer {
                "default" => println!("{:w$}  {}  (default)", r.key, r.value),
                layer => println!("{:w$}  {}  ({layer}: {})", r.key, r.value, r.place),
            }
        }
        for (title, list) in [("refused", &s.refused), ("ignored", &s.ignored)] {
            if !list.is_empty() {
                println!("\n{title}:");
            }
            for i in list {
                println!(
                    "  {}: `{} = {}`: {}",
                    i.place,
                    i.key.name(),
                    i.value,
                    i.reason
                );
            }
        }
        for w in &s.warnings {
            eprintln!("cordon: warning: {w}");
        }
    }
    Ok(if problem.is_some() { 2 } else { 0 })
}

fn check(a: CheckArgs) -> CmdResult {
    let m = match &a.managed {
        Some(p) => Arc::new(Managed::candidate(p)?),
        None => match managed::installed() {
            Ok(Some(m)) => m,
            Ok(None) => {
                println!("no managed policy ({MANAGED_FILE} is absent): nothing to check against; give one with --managed");
                return Ok(0);
            }
            Err(f) => return Err(f),
        },
    };
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::usage(format!("cannot read the current directory: {e}")))?;
    if a.files.is_empty() && a.managed.is_some() {
        // Only the candidate: it parsed (configuration management's validate step).
        println!("{}: a valid managed policy", m.shown());
        for l in m.ceiling.locks() {
            println!("  locks: {l}");
        }
        return Ok(0);
    }
    let files: Vec<PathBuf> = if a.files.is_empty() {
        crate::config::user_config_path()
            .into_iter()
            .chain([cwd.join(crate::config::PROJECT_FILE)])
            .filter(|p| p.is_file())
            .collect()
    } else {
        a.files.clone()
    };
    let mut bad = 0;
    for f in &files {
        let ws = f
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(&cwd);
        let ws = cwd.join(ws);
        let out = settings::outside(m.clone(), f, &ws)?;
        for i in &out {
            println!(
                "{}: `{} = {}` is outside the managed policy {}: {}",
                i.place,
                i.key.name(),
                i.value,
                m.shown(),
                i.reason
            );
        }
        if out.is_empty() {
            println!("{}: inside the managed policy {}", f.display(), m.shown());
        }
        bad += out.len();
    }
    if bad > 0 {
        eprintln!(
            "cordon: {bad} value(s) outside the managed policy {}",
            m.shown()
        );
        return Ok(1);
    }
    Ok(0)
}

/// The three lists of a settings file, checked.
struct Imported {
    allow: Vec<String>,
    ask: Vec<String>,
    deny: Vec<String>,
    unmodelled: Vec<String>,
    ignored_keys: Vec<String>,
}

fn read_settings(path: &Path) -> Result<Imported, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::usage(format!("{}: cannot read: {e}", path.display()))
            .hint("give the path of a Claude Code settings.json")
    })?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Failure::usage(format!("{}:{}: not JSON: {e}", path.display(), e.line()))
            .hint("fix the JSON; Claude Code would not read it either")
    })?;
    let perms = match v.get("permissions") {
        Some(p) if p.is_object() => p,
        Some(_) => {
            return Err(Failure::usage(format!(
                "{}: `permissions` is not an object",
                path.display()
            ))
            .hint(r#"it looks like "permissions": {"allow": [...], "ask": [...], "deny": [...]}"#))
        }
        None => {
            return Err(
                Failure::usage(format!("{}: has no `permissions` object", path.display()))
                    .hint("nothing to import; rules live under \"permissions\""),
            )
        }
    };
    let list = |key: &str| -> Result<Vec<String>, Failure> {
        match perms.get(key) {
            None => Ok(Vec::new()),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    r.as_str().map(str::to_string).ok_or_else(|| {
                        Failure::usage(format!(
                            "{}: permissions.{key}[{i}] is not a string",
                            path.display()
                        ))
                        .hint("each rule is a string such as \"Bash(git status)\"")
                    })
                })
                .collect(),
            Some(_) => Err(Failure::usage(format!(
                "{}: permissions.{key} is not a list",
                path.display()
            ))
            .hint("write it as a JSON array of rule strings")),
        }
    };
    let (allow, ask, deny) = (list("allow")?, list("ask")?, list("deny")?);
    let rules = Rules::from_lists(&allow, &ask, &deny).map_err(|e| {
        Failure::usage(format!("{}: {e}", path.display()))
            .hint("fix or remove that rule; cordon uses Claude Code's rule syntax")
    })?;
    let unmodelled = rules.unmodelled().into_iter().map(str::to_string).collect();
    let ignored_keys = perms
        .as_object()
        .map(|o| {
            o.keys()
                .filter(|k| !matches!(k.as_str(), "allow" | "ask" | "deny"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Ok(Imported {
        allow,
        ask,
        deny,
        unmodelled,
        ignored_keys,
    })
}

fn import(a: ImportArgs) -> CmdResult {
    let imp = read_settings(&a.path)?;
    for k in &imp.ignored_keys {
        eprintln!(
            "cordon: note: {}: permissions.{k} has no cordon equivalent and is not imported",
            a.path.display()
        );
    }
    for r in &imp.unmodelled {
        eprintln!("cordon: note: `{r}` names a tool cordon does not decide for; it is kept but never matches");
    }
    match &a.merge {
        None => {
            let mut t = toml::Table::new();
            t.insert(
                "permissions".into(),
                toml::Value::Table(perm_table(&imp.allow, &imp.ask, &imp.deny)),
            );
            let body = toml::to_string_pretty(&t)
                .map_err(|e| Failure::refuse(format!("cannot format the rules: {e}")))?;
            print!(
                "# Imported from {} by `cordon policy import`\n{body}",
                a.path.display()
            );
            Ok(0)
        }
        Some(target) => merge(target, &imp),
    }
}

fn perm_table(allow: &[String], ask: &[String], deny: &[String]) -> toml::Table {
    let arr =
        |v: &[String]| toml::Value::Array(v.iter().cloned().map(toml::Value::String).collect());
    let mut p = toml::Table::new();
    p.insert("allow".into(), arr(allow));
    p.insert("ask".into(), arr(ask));
    p.insert("deny".into(), arr(deny));
    p
}

fn merge(target: &Path, imp: &Imported) -> CmdResult {
    let text = match std::fs::read_to_string(target) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(
                Failure::usage(format!("{}: cannot read: {e}", target.display()))
                    .hint("fix the file's permissions or choose another --merge file"),
            )
        }
    };
    // Parse with cordon's own schema first so a broken config is reported, not rewritten.
    crate::config::parse(&text, target)?;
    let mut doc: toml::Table = toml::from_str(&text)
        .map_err(|e| Failure::usage(format!("{}: {}", target.display(), e.message())))?;
    let existing = |key: &str| -> Vec<String> {
        doc.get("permissions")
            .and_then(|p| p.get(key))
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut added = 0;
    let mut lists = Vec::new();
    for (key, new) in [
        ("allow", &imp.allow),
        ("ask", &imp.ask),
        ("deny", &imp.deny),
    ] {
        let mut l = existing(key);
        for r in new {
            if !l.contains(r) {
                l.push(r.clone());
                added += 1;
            }
        }
        lists.push(l);
    }
    if added == 0 {
        eprintln!(
            "cordon: {} already has every rule; nothing changed",
            target.display()
        );
        return Ok(0);
    }
    doc.insert(
        "permissions".into(),
        toml::Value::Table(perm_table(&lists[0], &lists[1], &lists[2])),
    );
    let body = toml::to_string_pretty(&doc)
        .map_err(|e| Failure::refuse(format!("cannot format the config: {e}")))?;
    if !text.is_empty() {
        let bak = PathBuf::from(format!("{}.bak", target.display()));
        std::fs::write(&bak, &text).map_err(|e| {
            Failure::refuse(format!("{}: cannot save a backup: {e}", bak.display()))
        })?;
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::refuse(format!("{}: cannot create: {e}", dir.display())))?;
    }
    std::fs::write(target, body).map_err(|e| {
        Failure::refuse(format!("{}: cannot write: {e}", target.display()))
            .hint("check the file's permissions")
    })?;
    eprintln!("cordon: added {added} rule(s) to {}", target.display());
    Ok(0)
}
