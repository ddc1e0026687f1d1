//! Configuration: TOML files layered with flags.
//!
//! Order, lowest first: built-in defaults < user file
//! (`$XDG_CONFIG_HOME/cordon/config.toml`, else `~/.config/cordon/config.toml`)
//! < `--config FILE` < project file (`.cordon.toml` in the workspace, which may
//! only narrow) < flags.
//!
//! ```toml
//! [sandbox]
//! allow_write = ["~/.cache/cargo-target"]
//! deny_read = ["~/work/other-client"]
//! env = ["RUST_LOG", "FOO=bar"]
//! max_procs = 2048
//! max_memory = "8G"
//!
//! [network]
//! presets = ["registries", "anthropic"]
//! allow = ["docs.rs", "*.githubusercontent.com"]
//! deny = ["evil.example"]
//! allow_private = ["10.1.0.0/16"]
//! hosts = { "mirror.internal" = "10.1.2.3" }
//!
//! [permissions]
//! allow = ["Bash(npm run test:*)"]
//! ask = ["Bash(git push *)"]
//! deny = ["Read(~/.ssh/**)"]
//! ```
//!
//! A file inside the workspace is written by the agent or by whoever wrote the
//! repository, so it may only narrow: keys that would widen what is allowed are
//! ignored there, with a warning that names the file and line.

use crate::exit::Failure;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The name of the project file in a workspace.
pub const PROJECT_FILE: &str = ".cordon.toml";

/// One parsed config file, exactly as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub sandbox: SandboxSection,
    #[serde(default)]
    pub network: NetworkSection,
    #[serde(default)]
    pub permissions: PermissionsSection,
    #[serde(default)]
    pub hook: HookSection,
    #[serde(default)]
    pub audit: AuditSection,
    #[serde(default)]
    pub scan: ScanSection,
    #[serde(default)]
    pub mcp: McpSection,
}

/// `[sandbox]`: what `cordon run` lets the command touch.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxSection {
    /// Extra writable paths (widens).
    #[serde(default)]
    pub allow_write: Vec<String>,
    /// Paths un-hidden from the secret list (widens).
    #[serde(default)]
    pub allow_read: Vec<String>,
    /// Extra hidden paths (narrows).
    #[serde(default)]
    pub deny_read: Vec<String>,
    /// Environment variables passed in: `NAME` (host value) or `NAME=VALUE` (widens).
    #[serde(default)]
    pub env: Vec<String>,
    /// Process limit (lower narrows).
    pub max_procs: Option<u64>,
    /// Memory limit such as "4G" (lower narrows).
    pub max_memory: Option<String>,
    /// Protections the user accepts to run without (widens): "landlock", "seccomp", "cgroups".
    #[serde(default)]
    pub allow_degraded: Vec<String>,
}

/// `[network]`: the egress proxy's domain policy.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
    #[serde(default)]
    pub presets: Vec<String>,
    #[serde(default)]
    pub allow_private: Vec<String>,
    /// Static host map consulted before DNS (tests use it so no query leaves the machine).
    #[serde(default)]
    pub hosts: BTreeMap<String, String>,
}

/// `[permissions]`: rules for the decision engine in Claude Code's syntax
/// (`Bash(npm run test:*)`, `Read(~/.ssh/**)`, `WebFetch(domain:x.org)`,
/// `mcp__github__*`); deny beats ask beats allow. See docs/POLICY.md.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionsSection {
    /// Decided without asking (widens: ignored in a workspace's `.cordon.toml`).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Always asked (narrows).
    #[serde(default)]
    pub ask: Vec<String>,
    /// Always refused (narrows).
    #[serde(default)]
    pub deny: Vec<String>,
}

/// `[hook]`: agent adapters (`cordon hook claude`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSection {
    /// "enforce" (default): answer the agent with allow / ask / deny.
    /// "monitor": decide and journal only, give the agent no decision (widens;
    /// ignored in a project file).
    pub mode: Option<String>,
}

/// `[audit]`: the journal.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    /// Sessions older than this many days are pruned.
    pub max_age_days: Option<u64>,
    /// Whole sessions are pruned, oldest first, while the journal is larger than this ("500M").
    pub max_size: Option<String>,
}

/// `[scan]`: the injection screen.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    /// Score at or above which text is "suspicious".
    pub suspicious_threshold: Option<f64>,
    /// Score at or above which text is "injected".
    pub injected_threshold: Option<f64>,
}

/// `[mcp]`: the MCP gateway, one table per server name
/// (`[mcp.servers.github]`). Only trusted files set it: a workspace's
/// `.cordon.toml` cannot widen what a server's sandbox may reach.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpSection {
    #[serde(default)]
    pub servers: BTreeMap<String, McpServer>,
}

/// `[mcp.servers.NAME]`: the sandbox one MCP server runs in (flags of `cordon run`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServer {
    /// The server's writable workspace (default: the current directory).
    pub workspace: Option<String>,
    /// Extra writable paths.
    #[serde(default)]
    pub allow_write: Vec<String>,
    /// Paths un-hidden from the secret list.
    #[serde(default)]
    pub allow_read: Vec<String>,
    /// Extra hidden paths.
    #[serde(default)]
    pub deny_read: Vec<String>,
    /// Environment passed to the server (`NAME` or `NAME=VALUE`).
    #[serde(default)]
    pub env: Vec<String>,
    /// Domains the server may reach (`api.github.com`, `*.example.com`).
    #[serde(default)]
    pub allow_domain: Vec<String>,
    /// Streamable HTTP mode: headers added to every request to the server, so the
    /// agent never holds the credentials (`"env:NAME"` takes the value from cordon's environment).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// Where a config file came from; decides whether it may widen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The user's own file or `--config`: trusted.
    User,
    /// `.cordon.toml` inside the workspace: may only narrow.
    Project,
}

/// The merged configuration after all layers.
#[derive(Debug, Default, Clone)]
pub struct Config {
    pub file: ConfigFile,
    /// Files that were read, in order.
    pub sources: Vec<PathBuf>,
    /// Warnings for the user (widening keys ignored in project files).
    pub warnings: Vec<String>,
}

/// The user's config file path, if a home or XDG dir is known.
pub fn user_config_path() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("cordon/config.toml"));
    }
    home_dir().map(|h| h.join(".config/cordon/config.toml"))
}

/// `$HOME`, if set and absolute.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// Expand a leading `~/` against `$HOME`; make relative paths relative to `base`.
pub fn expand_path(raw: &str, base: &Path) -> PathBuf {
    if raw == "~" {
        return home_dir().unwrap_or_else(|| PathBuf::from("/"));
    }
    if let Some(rest) = raw.strip_prefix("~/") {
        return home_dir().unwrap_or_else(|| PathBuf::from("/")).join(rest);
    }
    let p = PathBuf::from(raw);
    if p.is_absolute() {
        p
    } else {
        base.join(p)
    }
}

/// Parse one config file's text. Errors name the file and the line.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, Failure> {
    toml::from_str::<ConfigFile>(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| line_of(text, s.start))
            .map(|l| format!(":{l}"))
            .unwrap_or_default();
        let msg = e.message().trim().replace('\n', " ");
        Failure::usage(format!("{}{line}: {msg}", path.display()))
            .hint("correct the file; `cordon run --help` lists every key")
    })
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

/// The line on which `key = ` first appears inside `[section]`, for warnings.
fn key_line(text: &str, section: &str, key: &str) -> usize {
    let mut in_section = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            in_section = t.trim_start_matches('[').trim_end_matches(']').trim() == section;
            continue;
        }
        if in_section {
            if let Some(rest) = t.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    return i + 1;
                }
            }
        }
    }
    0
}

impl Config {
    /// Built-in defaults only.
    pub fn defaults() -> Self {
        Config::default()
    }

    /// Load the standard layers: user file, `--config FILE` (if any), the
    /// workspace's `.cordon.toml` (narrowing only). A missing user or project
    /// file is fine; a missing `--config` file is an error.
    pub fn load(explicit: Option<&Path>, workspace: Option<&Path>) -> Result<Self, Failure> {
        let mut cfg = Config::defaults();
        if let Some(p) = user_config_path() {
            if p.is_file() {
                cfg.merge_file(&p, Origin::User)?;
            }
        }
        if let Some(p) = explicit {
            if !p.is_file() {
                return Err(
                    Failure::usage(format!("{}: no such config file", p.display()))
                        .hint("check the path given to --config"),
                );
            }
            cfg.merge_file(p, Origin::User)?;
        }
        if let Some(ws) = workspace {
            let p = ws.join(PROJECT_FILE);
            if p.is_file() {
                cfg.merge_file(&p, Origin::Project)?;
            }
        }
        Ok(cfg)
    }

    /// Read, parse and merge one file.
    pub fn merge_file(&mut self, path: &Path, origin: Origin) -> Result<(), Failure> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::usage(format!("{}: cannot read: {e}", path.display()))
                .hint("fix the file's permissions or remove it")
        })?;
        let file = parse(&text, path)?;
        self.merge(file, origin, path, &text);
        self.sources.push(path.to_path_buf());
        Ok(())
    }

    /// Merge one parsed file. Lists add up; limits take the lower value from a
    /// project file and the later value from a user file.
    pub fn merge(&mut self, f: ConfigFile, origin: Origin, path: &Path, text: &str) {
        let project = origin == Origin::Project;
        let mut widen = |section: &str, key: &str, non_empty: bool| -> bool {
            if project && non_empty {
                self.warnings.push(format!(
                    "{}:{}: `{section}.{key}` would widen what is allowed; a workspace file may only narrow it, so it is ignored (put it in {} or pass it as a flag)",
                    path.display(),
                    key_line(text, section, key),
                    user_config_path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "your user config".into())
                ));
                false
            } else {
                true
            }
        };
        // [sandbox]
        let s = f.sandbox;
        let take_aw = widen("sandbox", "allow_write", !s.allow_write.is_empty());
        let take_ar = widen("sandbox", "allow_read", !s.allow_read.is_empty());
        let take_env = widen("sandbox", "env", !s.env.is_empty());
        let take_deg = widen("sandbox", "allow_degraded", !s.allow_degraded.is_empty());
        // [network]
        let n = f.network;
        let take_na = widen("network", "allow", !n.allow.is_empty());
        let take_np = widen("network", "presets", !n.presets.is_empty());
        let take_npriv = widen("network", "allow_private", !n.allow_private.is_empty());
        let take_hosts = widen("network", "hosts", !n.hosts.is_empty());
        // [permissions]
        let p = f.permissions;
        let take_pa = widen("permissions", "allow", !p.allow.is_empty());
        // `enforce` narrows and is welcome anywhere; `monitor` turns enforcement off.
        let take_hook = widen(
            "hook",
            "mode",
            f.hook.mode.as_deref().is_some_and(|m| m != "enforce"),
        );

        let me = &mut self.file;
        if take_aw {
            me.sandbox.allow_write.extend(s.allow_write);
        }
        if take_ar {
            me.sandbox.allow_read.extend(s.allow_read);
        }
        if take_env {
            me.sandbox.env.extend(s.env);
        }
        if take_deg {
            me.sandbox.allow_degraded.extend(s.allow_degraded);
        }
        me.sandbox.deny_read.extend(s.deny_read);
        me.sandbox.max_procs = narrow_u64(me.sandbox.max_procs, s.max_procs, project);
        if let Some(m) = s.max_memory {
            let keep_old = project
                && match (&me.sandbox.max_memory, parse_size(&m)) {
                    (Some(old), Some(new)) => parse_size(old).is_some_and(|o| o <= new),
                    _ => false,
                };
            if !keep_old {
                me.sandbox.max_memory = Some(m);
            }
        }
        if take_na {
            me.network.allow.extend(n.allow);
        }
        if take_np {
            me.network.presets.extend(n.presets);
        }
        if take_npriv {
            me.network.allow_private.extend(n.allow_private);
        }
        if take_hosts {
            me.network.hosts.extend(n.hosts);
        }
        me.network.deny.extend(n.deny);
        if take_pa {
            me.permissions.allow.extend(p.allow);
        }
        me.permissions.ask.extend(p.ask);
        me.permissions.deny.extend(p.deny);
        if take_hook {
            if let Some(m) = f.hook.mode {
                me.hook.mode = Some(m);
            }
        }
        // [scan]: a project file may only lower thresholds (screen more strictly).
        let d = cordon_scan::Thresholds::default();
        me.scan.suspicious_threshold = narrow_score(
            me.scan.suspicious_threshold,
            f.scan.suspicious_threshold,
            d.suspicious,
            project,
        );
        me.scan.injected_threshold = narrow_score(
            me.scan.injected_threshold,
            f.scan.injected_threshold,
            d.injected,
            project,
        );
        if !project {
            if f.audit.max_age_days.is_some() {
                me.audit.max_age_days = f.audit.max_age_days;
            }
            if f.audit.max_size.is_some() {
                me.audit.max_size = f.audit.max_size;
            }
            me.mcp.servers.extend(f.mcp.servers);
        }
    }
}

/// A score threshold: a project file may only lower it (below the current or built-in value).
fn narrow_score(old: Option<f64>, new: Option<f64>, default: f32, project: bool) -> Option<f64> {
    match (old, new) {
        (o, Some(n)) if project => Some(n.min(o.unwrap_or(default as f64))),
        (_, Some(n)) => Some(n),
        (o, None) => o,
    }
}

fn narrow_u64(old: Option<u64>, new: Option<u64>, project: bool) -> Option<u64> {
    match (old, new) {
        (Some(o), Some(n)) if project => Some(o.min(n)),
        (_, Some(n)) => Some(n),
        (o, None) => o,
    }
}

/// Parse a size such as `512M`, `4G`, `1.5G`, `1048576` into bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => {
            let unit = t[i..].to_ascii_lowercase();
            let m: u64 = match unit.trim_end_matches("ib").trim_end_matches('b') {
                "" => 1,
                "k" => 1 << 10,
                "m" => 1 << 20,
                "g" => 1 << 30,
                "t" => 1 << 40,
                _ => return None,
            };
            (&t[..i], m)
        }
        None => (t, 1),
    };
    let v: f64 = num.trim().parse().ok()?;
    if !(v.is_finite() && v > 0.0) {
        return None;
    }
    Some((v * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_file_and_line() {
        let text = "[sandbox]\nmax_procs = 10\nallow_writes = []\n";
        let e = parse(text, Path::new("/x/c.toml")).unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.msg.starts_with("/x/c.toml:3:"), "{}", e.msg);
        assert!(e.msg.contains("allow_writes"), "{}", e.msg);
    }

    #[test]
    fn project_file_cannot_widen() {
        let mut c = Config::defaults();
        let user = "[sandbox]\nmax_procs = 100\n[network]\nallow = [\"a.com\"]\n";
        c.merge(
            parse(user, Path::new("u")).unwrap(),
            Origin::User,
            Path::new("u"),
            user,
        );
        let proj = "[sandbox]\nmax_procs = 5000\nallow_write = [\"/etc\"]\ndeny_read = [\"x\"]\n[network]\nallow = [\"evil.com\"]\ndeny = [\"b.com\"]\n[permissions]\nallow = [\"Bash(*)\"]\n";
        c.merge(
            parse(proj, Path::new(".cordon.toml")).unwrap(),
            Origin::Project,
            Path::new(".cordon.toml"),
            proj,
        );
        assert_eq!(c.file.sandbox.max_procs, Some(100));
        assert!(c.file.sandbox.allow_write.is_empty());
        assert_eq!(c.file.sandbox.deny_read, ["x"]);
        assert_eq!(c.file.network.allow, ["a.com"]);
        assert_eq!(c.file.network.deny, ["b.com"]);
        assert!(c.file.permissions.allow.is_empty());
        assert_eq!(c.warnings.len(), 3, "{:?}", c.warnings);
        assert!(
            c.warnings[0].contains(".cordon.toml:3:"),
            "{}",
            c.warnings[0]
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4G"), Some(4 << 30));
        assert_eq!(parse_size("512MiB"), Some(512 << 20));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("1.5k"), Some(1536));
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("lots"), None);
    }
}
