//! Claude Code tools → cordon actions, as one table.
//!
//! | tool | action(s) |
//! | --- | --- |
//! | `Bash` | `Bash(command)` |
//! | `Read`, `NotebookRead`, `LS` | `Read(path)` |
//! | `Write` | `Write(file_path)` |
//! | `Edit`, `MultiEdit`, `NotebookEdit` | `Edit(path)` (MultiEdit: one per file it edits) |
//! | `Glob`, `Grep` | `Read` of what they search: `path` (default: cwd) joined with the pattern or glob, so `Read(~/.ssh/**)` rules catch `Glob ~/.ssh/*` |
//! | `WebFetch` | `WebFetch(url)` |
//! | `WebSearch` | `WebSearch(query)` |
//! | `mcp__server__tool` | `Mcp(server, tool, arguments)` |
//! | `ReadMcpResourceTool` | `Mcp(server, "resources/read", input)` |
//! | `Task`, `Agent` | allowed: a subagent has no effect of its own, and each of its tool calls comes back through this hook |
//! | conversation-only tools (`TodoWrite`, `AskUserQuestion`, `ExitPlanMode`, ...) | no opinion: Claude Code's own rules apply |
//! | anything else | denied: cordon cannot judge what it does not know |

use super::engine::Action;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What to do with one tool call.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    /// Ask the decision engine about each action; the strictest verdict wins.
    Actions(Vec<Action>),
    /// Allowed without consulting the engine, for this reason.
    Allow(&'static str),
    /// No opinion: the tool only touches Claude Code's own conversation state.
    Passthrough(&'static str),
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    Bash,
    /// A single path field, read or written.
    Path(Access, &'static str),
    /// Glob / Grep: a search rooted at `path` (default cwd).
    Search(&'static str),
    WebFetch,
    WebSearch,
    McpResource,
    Allow(&'static str),
    Passthrough(&'static str),
}

#[derive(Debug, Clone, Copy)]
enum Access {
    Read,
    Write,
    Edit,
}

const SUBAGENT: &str = "a subagent has no effect of its own; each tool call it makes comes back through cordon's hook and is decided on its own";
const CONVERSATION: &str =
    "this tool only changes Claude Code's own conversation state, so cordon leaves it to Claude Code's permission rules";
const SHELL_CONTROL: &str =
    "this tool only reads or stops a shell that cordon already decided on, so cordon leaves it to Claude Code's permission rules";

/// Every tool cordon knows, with how its input becomes actions.
const TOOLS: &[(&str, Shape)] = &[
    ("Bash", Shape::Bash),
    ("Read", Shape::Path(Access::Read, "file_path")),
    ("NotebookRead", Shape::Path(Access::Read, "notebook_path")),
    ("LS", Shape::Path(Access::Read, "path")),
    ("Write", Shape::Path(Access::Write, "file_path")),
    ("Edit", Shape::Path(Access::Edit, "file_path")),
    ("MultiEdit", Shape::Path(Access::Edit, "file_path")),
    ("NotebookEdit", Shape::Path(Access::Edit, "notebook_path")),
    ("Glob", Shape::Search("pattern")),
    ("Grep", Shape::Search("glob")),
    ("WebFetch", Shape::WebFetch),
    ("WebSearch", Shape::WebSearch),
    ("ReadMcpResourceTool", Shape::McpResource),
    ("Task", Shape::Allow(SUBAGENT)),
    ("Agent", Shape::Allow(SUBAGENT)),
    ("TodoWrite", Shape::Passthrough(CONVERSATION)),
    ("TodoRead", Shape::Passthrough(CONVERSATION)),
    ("TaskCreate", Shape::Passthrough(CONVERSATION)),
    ("TaskGet", Shape::Passthrough(CONVERSATION)),
    ("TaskList", Shape::Passthrough(CONVERSATION)),
    ("TaskUpdate", Shape::Passthrough(CONVERSATION)),
    ("AskUserQuestion", Shape::Passthrough(CONVERSATION)),
    ("ExitPlanMode", Shape::Passthrough(CONVERSATION)),
    ("EnterPlanMode", Shape::Passthrough(CONVERSATION)),
    ("ToolSearch", Shape::Passthrough(CONVERSATION)),
    ("ListMcpResourcesTool", Shape::Passthrough(CONVERSATION)),
    ("BashOutput", Shape::Passthrough(SHELL_CONTROL)),
    ("TaskOutput", Shape::Passthrough(SHELL_CONTROL)),
    ("KillShell", Shape::Passthrough(SHELL_CONTROL)),
    ("TaskStop", Shape::Passthrough(SHELL_CONTROL)),
];

/// Tools for which Claude Code itself asks by default (its tools reference:
/// "permission required"); MCP tools too. Only for these does an allow or a
/// deny from cordon replace a prompt the user would otherwise have seen.
const PROMPTED: &[&str] = &[
    "Bash",
    "Write",
    "Edit",
    "MultiEdit",
    "NotebookEdit",
    "WebFetch",
    "WebSearch",
];

/// Would Claude Code have asked the user about this tool without cordon?
pub fn prompts_by_default(tool: &str) -> bool {
    PROMPTED.contains(&tool) || mcp_name(tool).is_some()
}

/// The tools `cordon init claude` routes through the hook (the settings matcher).
pub fn matcher() -> String {
    let mut names: Vec<&str> = TOOLS
        .iter()
        .filter(|(_, s)| !matches!(s, Shape::Passthrough(_)))
        .map(|(n, _)| *n)
        .collect();
    names.push("mcp__.*");
    names.join("|")
}

/// Split `mcp__server__tool` into its server and tool.
pub fn mcp_name(tool: &str) -> Option<(&str, &str)> {
    let rest = tool.strip_prefix("mcp__")?;
    let (server, t) = rest.split_once("__")?;
    (!server.is_empty() && !t.is_empty()).then_some((server, t))
}

/// Map one tool call. `Err` is a sentence saying what is wrong with the input.
pub fn map(tool: &str, input: &Value, cwd: &Path) -> Result<Mapped, String> {
    if let Some((server, t)) = mcp_name(tool) {
        return Ok(Mapped::Actions(vec![Action::Mcp {
            server: server.to_string(),
            tool: t.to_string(),
            arguments: input.clone(),
        }]));
    }
    let Some((_, shape)) = TOOLS.iter().find(|(n, _)| *n == tool) else {
        return Err(format!(
            "cordon does not know the tool `{tool}`, so it cannot judge what it would do; \
             if it is safe, narrow the hook's matcher in settings.json so it does not reach cordon"
        ));
    };
    if !input.is_object() {
        return Err(format!("{tool}: `tool_input` is not an object"));
    }
    let field = |name: &str| -> Result<&str, String> {
        input
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("{tool}: `tool_input.{name}` is missing or not a string"))
    };
    let action = match *shape {
        Shape::Bash => Action::Bash {
            command: field("command")?.to_string(),
        },
        Shape::Path(access, name) => {
            let path = text(absolute(field(name)?, cwd));
            match access {
                Access::Read => Action::Read { path },
                Access::Write => Action::Write { path },
                Access::Edit => Action::Edit { path },
            }
        }
        Shape::Search(pattern_field) => {
            let base = match input.get("path").and_then(Value::as_str) {
                Some(p) if !p.is_empty() => absolute(p, cwd),
                _ => cwd.to_path_buf(),
            };
            let pattern = input.get(pattern_field).and_then(Value::as_str);
            if tool == "Glob" && pattern.is_none_or(str::is_empty) {
                return Err("Glob: `tool_input.pattern` is missing or not a string".into());
            }
            if tool == "Grep" {
                field("pattern")?;
            }
            Action::Read {
                path: text(search_root(&base, pattern)),
            }
        }
        Shape::WebFetch => Action::WebFetch {
            url: field("url")?.to_string(),
        },
        Shape::WebSearch => Action::WebSearch {
            query: field("query")?.to_string(),
        },
        Shape::McpResource => Action::Mcp {
            server: field("server")?.to_string(),
            tool: "resources/read".to_string(),
            arguments: input.clone(),
        },
        Shape::Allow(why) => return Ok(Mapped::Allow(why)),
        Shape::Passthrough(why) => return Ok(Mapped::Passthrough(why)),
    };
    Ok(Mapped::Actions(vec![action]))
}

/// Make a tool path absolute (Claude Code sends absolute paths; be safe
/// anyway) and resolve `.` and `..` by hand, so `ws/../home/.ssh/id_rsa` is
/// judged, matched against rules and shown as `/home/.ssh/id_rsa`.
fn absolute(raw: &str, cwd: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in crate::config::expand_path(raw, cwd).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn text(p: PathBuf) -> String {
    p.to_string_lossy().into_owned()
}

/// What a search reads: the pattern joined to the root (so glob rules on the
/// path see `~/.ssh/*`), or everything below a directory, or the file itself.
fn search_root(base: &Path, pattern: Option<&str>) -> PathBuf {
    match pattern.filter(|p| !p.is_empty()) {
        Some(p) => absolute(p, base),
        None if base.is_file() => base.to_path_buf(),
        None => base.join("**"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(tool: &str, input: Value) -> Action {
        match map(tool, &input, Path::new("/w")).unwrap() {
            Mapped::Actions(mut v) => {
                assert_eq!(v.len(), 1);
                v.remove(0)
            }
            other => panic!("{tool}: {other:?}"),
        }
    }

    #[test]
    fn every_file_tool_maps_to_its_path() {
        let p = |s: &str| s.to_string();
        assert_eq!(
            one("Read", json!({"file_path": "/w/a.rs"})),
            Action::Read { path: p("/w/a.rs") }
        );
        assert_eq!(
            one("Write", json!({"file_path": "b.rs", "content": ""})),
            Action::Write { path: p("/w/b.rs") }
        );
        assert_eq!(
            one("MultiEdit", json!({"file_path": "/w/c", "edits": []})),
            Action::Edit { path: p("/w/c") }
        );
        assert_eq!(
            one(
                "NotebookEdit",
                json!({"notebook_path": "/w/n.ipynb", "new_source": ""})
            ),
            Action::Edit {
                path: p("/w/n.ipynb")
            }
        );
        assert_eq!(
            one("Glob", json!({"pattern": "**/*.rs"})),
            Action::Read {
                path: p("/w/**/*.rs")
            }
        );
        assert_eq!(
            one("Glob", json!({"pattern": "/etc/*.conf", "path": "/w"})),
            Action::Read {
                path: p("/etc/*.conf")
            }
        );
        assert_eq!(
            one("Read", json!({"file_path": "/w/../home/u/./.ssh/id_rsa"})),
            Action::Read {
                path: p("/home/u/.ssh/id_rsa")
            }
        );
        assert_eq!(
            one("Glob", json!({"pattern": "../../../etc/*"})),
            Action::Read { path: p("/etc/*") }
        );
        assert_eq!(
            one(
                "Grep",
                json!({"pattern": "key", "path": "/nonexistent-dir"})
            ),
            Action::Read {
                path: p("/nonexistent-dir/**")
            }
        );
    }

    #[test]
    fn mcp_tools_split_into_server_and_tool() {
        assert_eq!(
            mcp_name("mcp__github__create_issue"),
            Some(("github", "create_issue"))
        );
        assert_eq!(mcp_name("mcp__my_srv__do__it"), Some(("my_srv", "do__it")));
        assert_eq!(mcp_name("mcp__x"), None);
        assert!(matches!(
            one("mcp__fs__read", json!({"p": 1})),
            Action::Mcp { ref server, ref tool, .. } if server == "fs" && tool == "read"
        ));
    }

    #[test]
    fn unknown_tools_and_bad_inputs_are_errors() {
        assert!(map("Teleport", &json!({}), Path::new("/"))
            .unwrap_err()
            .contains("Teleport"));
        assert!(map("Bash", &json!({}), Path::new("/"))
            .unwrap_err()
            .contains("command"));
        assert!(map("Bash", &json!("ls"), Path::new("/")).is_err());
        assert!(map("Read", &json!({"file_path": 3}), Path::new("/")).is_err());
        assert!(matches!(
            map("Task", &json!({"prompt": "x"}), Path::new("/")),
            Ok(Mapped::Allow(_))
        ));
        assert!(matches!(
            map("TodoWrite", &json!({}), Path::new("/")),
            Ok(Mapped::Passthrough(_))
        ));
    }

    #[test]
    fn matcher_lists_decided_tools_and_mcp() {
        let m = matcher();
        assert!(m.starts_with("Bash|Read|"), "{m}");
        assert!(m.ends_with("|mcp__.*"), "{m}");
        assert!(!m.contains("TodoWrite"));
    }
}
