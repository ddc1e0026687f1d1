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
///
/// What is deliberately *not* here, and why:
/// - the project's own code and build (`Makefile`, `build.rs`, `package.json` scripts, tests,
///   `.bazelrc`): running it is what building means, the person runs it knowingly and reviews it
///   as the diff; the entries below run on other events (`cd`, opening an editor or an agent, any
///   git or package-manager command) or change how a tool behaves beyond the project's build;
/// - instructions a model reads (`AGENTS.md`, `CLAUDE.md`, `.cursorrules`): text, not code the host
///   runs; agents edit them as normal work, and an agent that reads them is what cordon contains;
/// - version pins (`.python-version`, `.nvmrc`, `.node-version`): pyenv (since 2.3.3) and nvm take
///   a version name, not a path; `.tool-versions` is here because asdf and mise accept `path:`;
/// - `.gitattributes`: it only selects filters and diff drivers that git config defines, and
///   config is protected.
pub static WORKSPACE_POINTS: &[Point] = &[
    // version control
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
    p(
        ".git/info",
        Dir,
        Git,
        "git attributes select filters and diff drivers",
    ),
    p(
        ".git/commondir",
        File,
        Git,
        "git takes config and hooks from the directory it names",
    ),
    p(
        ".git/config.worktree",
        File,
        Git,
        "per-worktree git config can run programs",
    ),
    p(
        ".git/objects/info/alternates",
        File,
        Git,
        "git reads objects from the repositories it names",
    ),
    p(".gitmodules", File, Git, "submodule definitions"),
    p(
        ".hg/hgrc",
        File,
        Git,
        "Mercurial hooks run on the host's next hg command",
    ),
    p(
        ".jj/repo/config.toml",
        File,
        Git,
        "Jujutsu repository config names programs to run",
    ),
    // git hook managers
    p(".husky", Dir, GitHooks, "husky git hooks"),
    p(
        ".pre-commit-config.yaml",
        File,
        GitHooks,
        "pre-commit hooks",
    ),
    p("lefthook.yml", File, GitHooks, "lefthook git hooks"),
    p("lefthook.yaml", File, GitHooks, "lefthook git hooks"),
    p(".lefthook.yml", File, GitHooks, "lefthook git hooks"),
    p(".lefthook.yaml", File, GitHooks, "lefthook git hooks"),
    p("lefthook-local.yml", File, GitHooks, "lefthook git hooks"),
    p(".lefthook", Dir, GitHooks, "lefthook hook scripts"),
    // AI agents: hooks, MCP servers, commands they run on start
    p(
        ".claude",
        Dir,
        Agent,
        "Claude Code project settings and hooks",
    ),
    p(".mcp.json", File, Agent, "MCP servers an agent would start"),
    p(
        ".codex",
        Dir,
        Agent,
        "Codex project settings and MCP servers",
    ),
    p(
        ".cursor",
        Dir,
        Agent,
        "Cursor settings, hooks and MCP servers",
    ),
    p(".gemini", Dir, Agent, "Gemini CLI settings and MCP servers"),
    p(".windsurf", Dir, Agent, "Windsurf settings and MCP servers"),
    p(".roo", Dir, Agent, "Roo Code settings and MCP servers"),
    p(".kiro", Dir, Agent, "Kiro settings, hooks and MCP servers"),
    p(".amazonq", Dir, Agent, "Amazon Q settings and MCP servers"),
    p(".continue", Dir, Agent, "Continue settings and MCP servers"),
    p(
        "opencode.json",
        File,
        Agent,
        "opencode settings and MCP servers",
    ),
    p(
        "opencode.jsonc",
        File,
        Agent,
        "opencode settings and MCP servers",
    ),
    p(".opencode", Dir, Agent, "opencode plugins and settings"),
    p(".qwen", Dir, Agent, "Qwen Code settings and MCP servers"),
    p(".trae", Dir, Agent, "Trae settings and MCP servers"),
    p(
        "crush.json",
        File,
        Agent,
        "Crush settings, MCP and language servers",
    ),
    p(
        ".crush.json",
        File,
        Agent,
        "Crush settings, MCP and language servers",
    ),
    p(
        ".aider.conf.yml",
        File,
        Agent,
        "aider runs its lint and test commands",
    ),
    // editors and IDEs: tasks, language servers, run configurations
    p(
        ".vscode",
        Dir,
        Editor,
        "VS Code tasks, settings and MCP servers that run code",
    ),
    p(".idea", Dir, Editor, "JetBrains run configurations"),
    p(".fleet", Dir, Editor, "Fleet run configurations"),
    p(".devcontainer", Dir, Editor, "dev container definitions"),
    p(
        ".devcontainer.json",
        File,
        Editor,
        "dev container definition",
    ),
    p(
        ".zed",
        Dir,
        Editor,
        "Zed tasks, language servers and MCP servers",
    ),
    p(".helix", Dir, Editor, "Helix language servers"),
    p(".theia", Dir, Editor, "Theia tasks and settings"),
    p(".nvim.lua", File, Editor, "Neovim runs it on start (exrc)"),
    p(".nvimrc", File, Editor, "Neovim runs it on start (exrc)"),
    p(".exrc", File, Editor, "vi and Vim run it on start (exrc)"),
    p(".vimrc", File, Editor, "Vim runs it on start (exrc)"),
    p(
        ".dir-locals.el",
        File,
        Editor,
        "Emacs evaluates it on opening a file",
    ),
    // build and package tools: config that runs programs
    p(
        ".cargo/config.toml",
        File,
        Tool,
        "cargo runs its runner, rustc-wrapper and aliases",
    ),
    p(
        ".cargo/config",
        File,
        Tool,
        "cargo runs its runner, rustc-wrapper and aliases",
    ),
    p(
        ".npmrc",
        File,
        Tool,
        "npm runs its script-shell and node-options",
    ),
    p(".yarnrc", File, Tool, "yarn runs its yarn-path"),
    p(
        ".yarnrc.yml",
        File,
        Tool,
        "yarn runs its yarnPath and plugins",
    ),
    p(".pnpmfile.cjs", File, Tool, "pnpm runs it on install"),
    p(".pnpmfile.mjs", File, Tool, "pnpm runs it on install"),
    p("bunfig.toml", File, Tool, "bun runs its preload scripts"),
    p(".bunfig.toml", File, Tool, "bun runs its preload scripts"),
    p(
        ".tool-versions",
        File,
        Tool,
        "asdf and mise run the tools it names (also by path)",
    ),
    // shell extensions that run on cd
    p(".envrc", File, Shell, "direnv runs it on cd"),
    p(
        "mise.toml",
        File,
        Shell,
        "mise runs its hooks, tasks and env scripts on cd",
    ),
    p(
        ".mise.toml",
        File,
        Shell,
        "mise runs its hooks, tasks and env scripts on cd",
    ),
    p(
        "mise.local.toml",
        File,
        Shell,
        "mise runs its hooks, tasks and env scripts on cd",
    ),
    p(
        ".mise.local.toml",
        File,
        Shell,
        "mise runs its hooks, tasks and env scripts on cd",
    ),
    p(".mise", Dir, Shell, "mise config and tasks"),
    p(
        ".config/mise.toml",
        File,
        Shell,
        "mise runs its hooks, tasks and env scripts on cd",
    ),
    p(".config/mise", Dir, Shell, "mise config and tasks"),
    // cordon
    p(".cordon.toml", File, Cordon, "cordon's project config"),
];

/// How a secret path is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Hidden from every sandbox (neither readable nor listable), and a
    /// credential to the policy engine (reading it asks).
    Hidden,
    /// A credential to the policy engine only: a file name that may be
    /// anywhere (`*.pem`, `.env`), where a sandbox cannot know it in advance,
    /// or a system path a sandbox already keeps out by other means (its own
    /// `/proc`, `/dev`, `/tmp`, `/run`).
    Named,
    /// cordon's own config and data: hidden from every sandbox; the policy
    /// engine guards writes to them as evasion, not reads as credentials.
    Own,
}

/// A path holding secrets. `~/` is the home directory, a leading `/` is
/// absolute, a path without either is a name matched at any depth. A `*`
/// matches within one component. A path covers everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secret {
    pub path: &'static str,
    pub scope: Scope,
    pub why: &'static str,
    /// How the sandbox covers it when it is a file.
    pub cover: Cover,
}

/// What a hidden file reads as inside the sandbox. Either way its content
/// is gone; a hidden directory is always an empty, unlistable one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// Reading fails (`EACCES`): the file is plainly withheld.
    Unreadable,
    /// An empty file: for a configuration file with credentials in it that
    /// tools read at every start and stop on when they cannot (yarn stops on
    /// an unreadable `~/.npmrc`); they run as if it were empty.
    Empty,
}

const fn h(path: &'static str, why: &'static str) -> Secret {
    Secret {
        path,
        scope: Scope::Hidden,
        why,
        cover: Cover::Unreadable,
    }
}

/// Hidden, and read as empty (a tool's configuration with a credential in it).
const fn hc(path: &'static str, why: &'static str) -> Secret {
    Secret {
        path,
        scope: Scope::Hidden,
        why,
        cover: Cover::Empty,
    }
}

const fn n(path: &'static str, why: &'static str) -> Secret {
    Secret {
        path,
        scope: Scope::Named,
        why,
        cover: Cover::Unreadable,
    }
}

/// Every secret path: the sandbox hides the [`Scope::Hidden`] and
/// [`Scope::Own`] ones, the policy engine treats the [`Scope::Hidden`] and
/// [`Scope::Named`] ones as credentials.
pub static SECRETS: &[Secret] = &[
    // keys and agents
    h("~/.ssh", "SSH keys and config"),
    h("~/.gnupg", "GnuPG keys"),
    h("/root/.ssh", "root's SSH keys"),
    // cloud and cluster credentials
    h("~/.aws", "AWS credentials"),
    h("~/.config/gcloud", "Google Cloud credentials"),
    h("~/.azure", "Azure credentials"),
    h("~/.kube", "Kubernetes credentials"),
    h("~/.oci", "Oracle Cloud credentials"),
    h("~/.config/doctl", "DigitalOcean credentials"),
    h("~/.config/hcloud", "Hetzner Cloud credentials"),
    h("~/.boto", "boto credentials"),
    h("~/.s3cfg", "s3cmd credentials"),
    h("~/.config/rclone", "rclone remotes and tokens"),
    hc("~/.docker/config.json", "Docker registry credentials"),
    h("~/.docker/run", "Docker Desktop engine socket"),
    h("~/.vault-token", "HashiCorp Vault token"),
    h("~/.terraform.d/credentials*", "Terraform Cloud token"),
    // forge and package registry tokens
    h("~/.netrc", "netrc passwords"),
    h("~/.git-credentials", "git stored credentials"),
    h("~/.config/git/credentials", "git stored credentials"),
    h("~/.config/gh", "GitHub CLI token"),
    h("~/.config/hub", "hub token"),
    h("~/.config/glab-cli", "GitLab CLI token"),
    h("~/.pypirc", "PyPI upload token"),
    h("~/.cargo/credentials*", "crates.io token"),
    hc("~/.npmrc", "npm token"),
    hc("~/.yarnrc.yml", "yarn registry token"),
    h("~/.gem/credentials", "RubyGems token"),
    h("~/.m2/settings-security.xml", "Maven master password"),
    hc("~/.gradle/gradle.properties", "Gradle credentials"),
    // database clients
    h("~/.pgpass", "PostgreSQL passwords"),
    h("~/.my.cnf", "MySQL password"),
    // password stores and keyrings
    h("~/.password-store", "pass password store"),
    h("~/.local/share/keyrings", "GNOME keyring"),
    h("~/.config/op", "1Password CLI"),
    h("~/.config/Bitwarden CLI", "Bitwarden CLI"),
    h("~/.pki", "NSS certificate and key database"),
    h("~/Library/Keychains", "macOS keychains"),
    h("/Library/Keychains", "macOS system keychains"),
    // browser profiles (cookies, saved passwords)
    h("~/.mozilla", "Firefox profiles"),
    h("~/.config/google-chrome", "Chrome profiles"),
    h("~/.config/chromium", "Chromium profiles"),
    h("~/.config/BraveSoftware", "Brave profiles"),
    h("~/.config/microsoft-edge", "Edge profiles"),
    h("~/.config/vivaldi", "Vivaldi profiles"),
    h("~/snap/firefox", "Firefox (snap) profiles"),
    h("~/snap/chromium", "Chromium (snap) profiles"),
    h("~/Library/Cookies", "macOS cookies"),
    h(
        "~/Library/Application Support/Google/Chrome",
        "Chrome profiles (macOS)",
    ),
    // shell history often holds pasted secrets
    h("~/.bash_history", "shell history"),
    h("~/.zsh_history", "shell history"),
    h("~/.local/share/fish/fish_history", "shell history"),
    h("~/.python_history", "Python history"),
    h("~/.psql_history", "psql history"),
    h("~/.mysql_history", "MySQL history"),
    // system secrets readable by root
    h("/etc/shadow", "system password hashes"),
    h("/etc/shadow-", "system password hashes (backup)"),
    h("/etc/gshadow", "system group password hashes"),
    h("/etc/gshadow-", "system group password hashes (backup)"),
    h("/etc/master.passwd", "BSD password hashes"),
    h("/etc/security/opasswd", "old password hashes"),
    h("/etc/ssh/ssh_host_*_key", "SSH host private keys"),
    h("/etc/krb5.keytab", "Kerberos host keys"),
    h("/etc/sudoers", "sudo rules"),
    h("/etc/sudoers.d", "sudo rules"),
    h("/var/lib/sss", "SSSD cached credentials"),
    // kept out by the sandbox's own /proc, /dev, /tmp and /run
    n("/proc/*/environ", "another process's environment"),
    n("/proc/*/mem", "another process's memory"),
    n("/proc/kcore", "kernel memory"),
    n("/dev/mem", "physical memory"),
    n("/tmp/krb5cc*", "Kerberos tickets"),
    n("/var/run/secrets", "container secrets"),
    n("/run/secrets", "container secrets"),
    // names that hold credentials wherever they are
    n(".ssh", "SSH keys"),
    n(".ssh/id_*", "SSH private keys"),
    n(".ssh/*key*", "SSH keys"),
    n(".aws", "AWS credentials"),
    n(".azure", "Azure credentials"),
    n(".oci", "Oracle Cloud credentials"),
    n(".config/gcloud", "Google Cloud credentials"),
    n(".gnupg", "GnuPG keys"),
    n(".docker/config.json", "Docker registry credentials"),
    n(".kube/config", "Kubernetes credentials"),
    n(".git-credentials", "git stored credentials"),
    n(".vault-token", "HashiCorp Vault token"),
    n(".password-store", "pass password store"),
    n(".netrc", "netrc passwords"),
    n(".pgpass", "PostgreSQL passwords"),
    n(".my.cnf", "MySQL password"),
    n(".history", "shell history"),
    n("*_history", "shell or REPL history"),
    n(".env", "environment secrets"),
    n(".env.*", "environment secrets"),
    n("*.pem", "a key or certificate"),
    n("*.key", "a private key"),
    n("*.p12", "a key store"),
    n("*.pfx", "a key store"),
    n("*.kdbx", "a KeePass database"),
    n("*.keytab", "Kerberos keys"),
    n("id_rsa", "an SSH private key"),
    n("id_dsa", "an SSH private key"),
    n("id_ecdsa", "an SSH private key"),
    n("id_ed25519", "an SSH private key"),
    n("credentials.json", "service credentials"),
    n("Cookies", "browser cookies"),
    n("*.binarycookies", "browser cookies"),
    n("cookies.sqlite", "browser cookies"),
    n("*.sqlite-wal", "a browser database journal"),
    n("Login Data", "browser saved passwords"),
    n("Web Data", "browser saved cards"),
    n("key3.db", "browser key database"),
    n("key4.db", "browser key database"),
    n("logins.json", "browser saved passwords"),
    n("login.keychain*", "a macOS keychain"),
    // cordon's own (added with their real paths by the caller too)
    Secret {
        path: "~/.config/cordon",
        scope: Scope::Own,
        why: "cordon's own configuration",
        cover: Cover::Unreadable,
    },
    Secret {
        path: "~/.local/share/cordon",
        scope: Scope::Own,
        why: "cordon's own journal, state and quarantine",
        cover: Cover::Unreadable,
    },
];

/// The secret paths a sandbox hides.
pub fn hidden() -> impl Iterator<Item = &'static Secret> {
    SECRETS
        .iter()
        .filter(|s| matches!(s.scope, Scope::Hidden | Scope::Own))
}

/// The path patterns the policy engine treats as credentials.
pub fn credential_patterns() -> impl Iterator<Item = &'static str> {
    SECRETS
        .iter()
        .filter(|s| matches!(s.scope, Scope::Hidden | Scope::Named))
        .map(|s| s.path)
}

/// The path patterns (names at any depth) of the workspace points, for the
/// policy engine: a write below one of them is persistence. A `.git/X` point
/// also stands for `X` of every submodule's and linked worktree's git
/// directory (`.git/modules/**/X`, `.git/worktrees/*/X`).
pub fn point_patterns() -> impl Iterator<Item = &'static str> {
    static GIT: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let git = GIT.get_or_init(|| {
        WORKSPACE_POINTS
            .iter()
            .filter_map(|p| p.path.strip_prefix(".git/"))
            .flat_map(|x| {
                [
                    format!(".git/modules/**/{x}"),
                    format!(".git/worktrees/*/{x}"),
                ]
            })
            .collect()
    });
    WORKSPACE_POINTS
        .iter()
        .map(|p| p.path)
        .chain(git.iter().map(String::as_str))
}

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

    #[test]
    fn hidden_secrets_are_anchored_and_glob_only_their_last_component() {
        let mut seen = std::collections::HashSet::new();
        for s in SECRETS {
            assert!(seen.insert(s.path), "duplicate secret {}", s.path);
            assert!(
                !s.path.contains("**") && !s.path.ends_with('/'),
                "{}",
                s.path
            );
        }
        for s in hidden() {
            assert!(
                s.path.starts_with("~/") || s.path.starts_with('/'),
                "a hidden path is anchored: {}",
                s.path
            );
            let (dir, _) = s.path.rsplit_once('/').unwrap();
            assert!(
                !dir.contains('*'),
                "only the last component globs: {}",
                s.path
            );
        }
    }
}

/// What in a cordon home (the overlay of `$HOME` that sandboxed runs write,
/// see `cordon home`) is held to the persistence catalogue after each run:
/// paths relative to `$HOME`, how a change is recognised, and what would run
/// or read it. Another later session would pick these up, so a change is
/// moved out and reported, never carried silently into the next run.
pub static HOME_POINTS: &[(&str, HomeWatch, &str)] = &[
    (".bashrc", HomeWatch::Whole, "shell start-up file"),
    (".bash_profile", HomeWatch::Whole, "shell start-up file"),
    (".bash_login", HomeWatch::Whole, "shell start-up file"),
    (".bash_logout", HomeWatch::Whole, "shell start-up file"),
    (".profile", HomeWatch::Whole, "shell start-up file"),
    (".zshrc", HomeWatch::Whole, "shell start-up file"),
    (".zshenv", HomeWatch::Whole, "shell start-up file"),
    (".zprofile", HomeWatch::Whole, "shell start-up file"),
    (".zlogin", HomeWatch::Whole, "shell start-up file"),
    (".zlogout", HomeWatch::Whole, "shell start-up file"),
    (".inputrc", HomeWatch::Whole, "readline key bindings"),
    (".config/fish", HomeWatch::Whole, "fish start-up files"),
    (
        ".claude.json",
        HomeWatch::JsonKeys(CLAUDE_JSON_KEYS),
        "Claude Code MCP servers and hooks",
    ),
    (
        ".claude/settings.json",
        HomeWatch::Whole,
        "Claude Code hooks and settings",
    ),
    (
        ".claude/settings.local.json",
        HomeWatch::Whole,
        "Claude Code hooks and settings",
    ),
    (
        ".claude/CLAUDE.md",
        HomeWatch::Whole,
        "Claude Code memory (instructions)",
    ),
    (
        ".claude/hooks",
        HomeWatch::Whole,
        "Claude Code hook scripts",
    ),
    (
        ".claude/commands",
        HomeWatch::Whole,
        "Claude Code commands (instructions)",
    ),
    (
        ".claude/agents",
        HomeWatch::Whole,
        "Claude Code subagents (instructions)",
    ),
    (
        ".claude/skills",
        HomeWatch::Whole,
        "Claude Code skills (instructions, scripts)",
    ),
    (
        ".claude/plugins",
        HomeWatch::Whole,
        "Claude Code plugins (hooks, MCP servers)",
    ),
    (
        ".codex/config.toml",
        HomeWatch::Whole,
        "Codex settings and MCP servers",
    ),
    (
        ".codex/AGENTS.md",
        HomeWatch::Whole,
        "Codex memory (instructions)",
    ),
    (
        ".codex/AGENTS.override.md",
        HomeWatch::Whole,
        "Codex memory (instructions)",
    ),
    (
        ".codex/prompts",
        HomeWatch::Whole,
        "Codex prompts (instructions)",
    ),
    (".codex/hooks.json", HomeWatch::Whole, "Codex hooks"),
    (
        ".codex/rules",
        HomeWatch::Whole,
        "Codex command rules (approve commands)",
    ),
    (
        ".gemini/settings.json",
        HomeWatch::Whole,
        "Gemini CLI settings and MCP servers",
    ),
    (
        ".gemini/GEMINI.md",
        HomeWatch::Whole,
        "Gemini CLI memory (instructions)",
    ),
    (".aider.conf.yml", HomeWatch::Whole, "Aider settings"),
    (
        ".gitconfig",
        HomeWatch::Whole,
        "git config (can run programs)",
    ),
    (
        ".config/git",
        HomeWatch::Whole,
        "git config (can run programs)",
    ),
    (
        ".ssh",
        HomeWatch::Whole,
        "ssh config (ProxyCommand runs programs)",
    ),
    (
        ".npmrc",
        HomeWatch::Whole,
        "npm config (script-shell runs programs)",
    ),
    (
        ".cargo/config.toml",
        HomeWatch::Whole,
        "cargo config (runners, rustflags)",
    ),
    (
        ".cargo/config",
        HomeWatch::Whole,
        "cargo config (runners, rustflags)",
    ),
];

/// Keys of `~/.claude.json` (at any depth, e.g. per project) whose change
/// makes a later session start a program; the rest of the file (onboarding,
/// usage counters) is Claude Code's own state and persists.
pub const CLAUDE_JSON_KEYS: &[&str] = &[
    "mcpServers",
    "hooks",
    "enabledMcpjsonServers",
    "enableAllProjectMcpServers",
];

/// How a change to a catalogued path is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeWatch {
    /// Any entry in the upper layer (written, replaced or deleted).
    Whole,
    /// A JSON file: only a change of these keys counts; one that does not
    /// parse counts.
    JsonKeys(&'static [&'static str]),
}
