//! Policy as data: which environment variables pass. What the sandbox hides
//! and what it keeps read-only inside the workspace is the catalogue shared
//! with the policy engine (`cordon_catalog::SECRETS`, `WORKSPACE_POINTS`).
//!
//! Every list here is documented in `docs/SANDBOX.md`; change both together.

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
}
