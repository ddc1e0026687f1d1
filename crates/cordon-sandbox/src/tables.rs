//! Policy as data: what the sandbox hides, what it keeps read-only inside the
//! workspace, and which environment variables pass.
//!
//! Every list here is documented in `docs/SANDBOX.md`; change both together.

/// Paths hidden from the sandbox by default (not readable, not listable).
/// `~/` is the invoking user's home. A `*` may appear in the last component.
pub const HIDDEN: &[(&str, &str)] = &[
    // keys and agents
    ("~/.ssh", "SSH keys and config"),
    ("~/.gnupg", "GnuPG keys"),
    // cloud and cluster credentials
    ("~/.aws", "AWS credentials"),
    ("~/.config/gcloud", "Google Cloud credentials"),
    ("~/.azure", "Azure credentials"),
    ("~/.kube", "Kubernetes credentials"),
    ("~/.oci", "Oracle Cloud credentials"),
    ("~/.config/doctl", "DigitalOcean credentials"),
    ("~/.config/hcloud", "Hetzner Cloud credentials"),
    ("~/.boto", "boto credentials"),
    ("~/.s3cfg", "s3cmd credentials"),
    ("~/.config/rclone", "rclone remotes and tokens"),
    ("~/.docker/config.json", "Docker registry credentials"),
    ("~/.docker/run", "Docker Desktop engine socket"),
    ("~/.vault-token", "HashiCorp Vault token"),
    (
        "~/.terraform.d/credentials.tfrc.json",
        "Terraform Cloud token",
    ),
    // forge and package registry tokens
    ("~/.netrc", "netrc passwords"),
    ("~/.git-credentials", "git stored credentials"),
    ("~/.config/git/credentials", "git stored credentials"),
    ("~/.config/gh", "GitHub CLI token"),
    ("~/.config/hub", "hub token"),
    ("~/.config/glab-cli", "GitLab CLI token"),
    ("~/.pypirc", "PyPI upload token"),
    ("~/.cargo/credentials", "crates.io token"),
    ("~/.cargo/credentials*", "crates.io token"),
    ("~/.npmrc", "npm token"),
    ("~/.yarnrc.yml", "yarn registry token"),
    ("~/.gem/credentials", "RubyGems token"),
    ("~/.m2/settings-security.xml", "Maven master password"),
    ("~/.gradle/gradle.properties", "Gradle credentials"),
    // password stores and keyrings
    ("~/.password-store", "pass password store"),
    ("~/.local/share/keyrings", "GNOME keyring"),
    ("~/.config/op", "1Password CLI"),
    ("~/.config/Bitwarden CLI", "Bitwarden CLI"),
    ("~/.pki", "NSS certificate and key database"),
    // browser profiles (cookies, saved passwords)
    ("~/.mozilla", "Firefox profiles"),
    ("~/.config/google-chrome", "Chrome profiles"),
    ("~/.config/chromium", "Chromium profiles"),
    ("~/.config/BraveSoftware", "Brave profiles"),
    ("~/.config/microsoft-edge", "Edge profiles"),
    ("~/.config/vivaldi", "Vivaldi profiles"),
    ("~/snap/firefox", "Firefox (snap) profiles"),
    ("~/snap/chromium", "Chromium (snap) profiles"),
    // shell history often holds pasted secrets
    ("~/.bash_history", "shell history"),
    ("~/.zsh_history", "shell history"),
    ("~/.local/share/fish/fish_history", "shell history"),
    ("~/.python_history", "Python history"),
    ("~/.psql_history", "psql history"),
    ("~/.mysql_history", "MySQL history"),
    // cordon's own config and journal (added with their real paths by the caller too)
    ("~/.config/cordon", "cordon's own configuration"),
    ("~/.local/share/cordon", "cordon's own journal and state"),
    // system secrets readable by root
    ("/etc/shadow", "system password hashes"),
    ("/etc/gshadow", "system group password hashes"),
    ("/etc/ssh/ssh_host_*_key", "SSH host private keys"),
    ("/etc/sudoers.d", "sudo rules"),
    ("/root/.ssh", "root's SSH keys"),
];

/// Kind of a persistence point inside the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointKind {
    /// A directory: kept read-only; if missing, created empty for the run inside `.git` (removed
    /// afterwards), elsewhere quarantined after the run if the command creates it.
    Dir,
    /// A file: kept read-only if present; if the command creates it, it is quarantined after the run.
    File,
}

/// Places inside the writable workspace from which code would later run on the
/// host (git hooks, agent and editor configs, direnv). They stay read-only.
pub const PERSISTENCE: &[(&str, PointKind, &str)] = &[
    (
        ".git/hooks",
        PointKind::Dir,
        "git hooks run on the host's next git command",
    ),
    (
        ".git/config",
        PointKind::File,
        "git config can run programs (core.fsmonitor, core.hooksPath, filters)",
    ),
    (".gitmodules", PointKind::File, "submodule definitions"),
    (".husky", PointKind::Dir, "husky git hooks"),
    (
        ".pre-commit-config.yaml",
        PointKind::File,
        "pre-commit hooks",
    ),
    (".cordon.toml", PointKind::File, "cordon's project config"),
    (
        ".claude",
        PointKind::Dir,
        "Claude Code project settings and hooks",
    ),
    (".codex", PointKind::Dir, "Codex project settings"),
    (
        ".mcp.json",
        PointKind::File,
        "MCP servers an agent would start",
    ),
    (
        ".vscode",
        PointKind::Dir,
        "VS Code tasks and settings that run code",
    ),
    (".idea", PointKind::Dir, "JetBrains run configurations"),
    (".devcontainer", PointKind::Dir, "dev container definitions"),
    (".envrc", PointKind::File, "direnv runs it on cd"),
];

/// Environment variables that pass into the sandbox by default: harmless
/// settings of the terminal, locale and user. A trailing `*` is a prefix.
pub const ENV_ALLOW: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TERM",
    "COLORTERM",
    "TERM_PROGRAM",
    "TERM_PROGRAM_VERSION",
    "TZ",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "LESS",
    "COLUMNS",
    "LINES",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "FORCE_COLOR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "GOPATH",
    "GOROOT",
    "JAVA_HOME",
    "PYENV_ROOT",
    "PYENV_VERSION",
    "VIRTUAL_ENV",
    "NVM_DIR",
    "DEBIAN_FRONTEND",
    "CI",
    // where CA certificates live (paths, not secrets; proxies and corporate CAs need them)
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "*_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
    "PIP_CERT",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "RUST_BACKTRACE",
];

/// Names that look like secrets. They never pass unless named with `--env`,
/// even if a broader allow entry would match them.
pub const ENV_SECRET: &[&str] = &[
    "*TOKEN*",
    "*_KEY",
    "*_KEY_*",
    "*KEY_ID*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*CREDENTIAL*",
    "*_AUTH",
    "*AUTH_*",
    "AWS_*",
    "AZURE_*",
    "GOOGLE_*",
    "GCP_*",
    "GITHUB_*",
    "GH_*",
    "GITLAB_*",
    "NPM_*",
    "ANTHROPIC_*",
    "OPENAI_*",
    "SSH_*",
    "*COOKIE*",
    "*SESSION*",
    "DOCKER_*",
    "KUBECONFIG",
    "VAULT_*",
    "DATABASE_URL",
    "*_DSN",
];

/// Does `name` match a pattern with `*` wildcards (any number, anywhere)?
/// Works on bytes and allocates nothing: it runs for every environment
/// variable against every pattern on each `cordon run`.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    // Hand-written: a few lines of wildcard matching do not justify a dependency.
    let (p, s) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut si) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while si < s.len() {
        if pi < p.len() && p[pi] != b'*' && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globbing() {
        assert!(glob_match("*TOKEN*", "GITHUB_TOKEN"));
        assert!(glob_match("LC_*", "LC_ALL"));
        assert!(!glob_match("LC_*", "XLC_ALL"));
        assert!(glob_match("ssh_host_*_key", "ssh_host_ed25519_key"));
        assert!(!glob_match("ssh_host_*_key", "ssh_host_ed25519_key.pub"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a", ""));
    }

    #[test]
    fn tables_have_no_duplicates() {
        let mut seen = std::collections::HashSet::new();
        for (p, _) in HIDDEN {
            assert!(seen.insert(*p), "duplicate hidden entry {p}");
        }
        for (p, _, _) in PERSISTENCE {
            assert!(
                !p.starts_with('/'),
                "persistence points are workspace-relative: {p}"
            );
        }
    }
}
