//! The one catalogue of protected paths, as data.
//!
//! Every component of cordon that protects a path reads it from here: the
//! sandbox (what stays read-only in the workspace, what is quarantined after
//! a run, what is hidden), the policy engine (which writes are persistence,
//! which reads touch credentials) and the docs (`docs/SANDBOX.md` lists the
//! same entries; a test in the `cordon` crate checks that it does).
//!
//! ```
//! use cordon_catalog::{points_named, Kind};
//! // `.envrc` is a point at any depth of the workspace: direnv runs it on `cd`.
//! let p = points_named(".envrc").next().unwrap();
//! assert_eq!(p.kind, Kind::File);
//! ```
//!
//! This crate has no dependencies and no code beyond lookups: the policy
//! crate stays pure, the sandbox crate does not depend on the policy crate,
//! and neither holds a second copy of a list.

/// What a workspace point is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A directory: everything below it is protected.
    Dir,
    /// A single file.
    File,
}

/// Why a workspace point matters: what on the host runs it later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Git's own metadata: hooks and config run on the host's next git command.
    Git,
    /// Git hook managers and pre-commit frameworks.
    GitHooks,
    /// An AI agent's project settings: hooks, MCP servers it starts.
    Agent,
    /// An editor's or IDE's project settings: tasks, language servers, run configurations.
    Editor,
    /// A build or package tool's project config that runs programs.
    Tool,
    /// Run by a shell extension on `cd` (direnv, mise).
    Shell,
    /// cordon's own project config.
    Cordon,
}

/// A place in the workspace from which code runs on the host later. Matched
/// at any depth: `.envrc` is also `pkg/.envrc`; `.cargo/config.toml` is
/// `crates/x/.cargo/config.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Relative path (one or more components, `/`-separated).
    pub path: &'static str,
    pub kind: Kind,
    pub family: Family,
    /// What runs it, in words for the user.
    pub why: &'static str,
}

const fn p(path: &'static str, kind: Kind, family: Family, why: &'static str) -> Point {
    Point {
        path,
        kind,
        family,
        why,
    }
}

use Family::*;
use Kind::*;

/// Places in a workspace from which code runs on the host later, at any depth.
pub static WORKSPACE_POINTS: &[Point] = &[
    p(
        ".git/hooks",
        Dir,
        Git,
        "git hooks run on the host's next git command",
    ),
    p(
        ".git/config",
        File,
        Git,
        "git config can run programs (core.fsmonitor, core.hooksPath, filters)",
    ),
    p(".gitmodules", File, Git, "submodule definitions"),
    p(".husky", Dir, GitHooks, "husky git hooks"),
    p(
        ".pre-commit-config.yaml",
        File,
        GitHooks,
        "pre-commit hooks",
    ),
    p(".cordon.toml", File, Cordon, "cordon's project config"),
    p(
        ".claude",
        Dir,
        Agent,
        "Claude Code project settings and hooks",
    ),
    p(".codex", Dir, Agent, "Codex project settings"),
    p(".mcp.json", File, Agent, "MCP servers an agent would start"),
    p(
        ".vscode",
        Dir,
        Editor,
        "VS Code tasks and settings that run code",
    ),
    p(".idea", Dir, Editor, "JetBrains run configurations"),
    p(".devcontainer", Dir, Editor, "dev container definitions"),
    p(".envrc", File, Shell, "direnv runs it on cd"),
];

/// The workspace points whose last component is `name`.
pub fn points_named(name: &str) -> impl Iterator<Item = &'static Point> + '_ {
    WORKSPACE_POINTS
        .iter()
        .filter(move |p| p.path.rsplit('/').next() == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_relative_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in WORKSPACE_POINTS {
            assert!(
                !p.path.starts_with('/') && !p.path.ends_with('/'),
                "{}",
                p.path
            );
            assert!(!p.path.contains(['*', '?']), "no globs: {}", p.path);
            assert!(seen.insert(p.path), "duplicate point {}", p.path);
        }
    }
}
