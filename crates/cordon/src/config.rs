//! Configuration files as written: the TOML schema, strict parsing with
//! `FILE:LINE` errors, and path helpers. What the layers mean together (which
//! file wins, what a project file may change) is `crate::settings`.
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
//! Every value keeps its place in the file ([`toml::Spanned`]) so that a
//! later error or warning can name the line.

use crate::exit::Failure;
use crate::settings::{Degradable, HookMode};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
pub use toml::Spanned;

/// The name of the project file in a workspace.
pub const PROJECT_FILE: &str = ".cordon.toml";

/// A string as written, with its place in the file.
pub type Str = Spanned<String>;

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
    /// Only in the managed policy (`/etc/cordon/managed.toml`, issue #16).
    pub ceiling: Option<Spanned<CeilingSection>>,
}

/// `[ceiling]` of the managed policy: what no other layer may widen beyond.
/// A key left out sets no ceiling (see docs/CONFIG.md).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeilingSection {
    /// Patterns and preset names: every destination any layer allows must be inside.
    pub domains: Option<Vec<Str>>,
    /// `false`: only managed allow rules count.
    pub allow_rules: Option<Spanned<bool>>,
    /// `false`: `--allow-degraded` and `sandbox.allow_degraded` are refused.
    pub allow_degraded: Option<Spanned<bool>>,
    /// The only paths outside the workspace any layer may make writable.
    pub allow_write: Option<Vec<Str>>,
    /// The only hidden paths any layer may reveal.
    pub allow_read: Option<Vec<Str>>,
    /// `false`: `cordon allow-domain` on a running session is refused.
    pub live_widening: Option<Spanned<bool>>,
    /// `"enforce"`: the hook cannot be switched to `monitor`.
    pub hook_mode: Option<Spanned<HookMode>>,
}

/// `[sandbox]`: what `cordon run` lets the command touch.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxSection {
    #[serde(default)]
    pub allow_write: Vec<Str>,
    #[serde(default)]
    pub allow_read: Vec<Str>,
    #[serde(default)]
    pub deny_read: Vec<Str>,
    /// Pathname unix sockets outside the workspace the command may connect to.
    #[serde(default)]
    pub allow_unix_socket: Vec<Str>,
    #[serde(default)]
    pub env: Vec<Str>,
    pub max_procs: Option<Spanned<u64>>,
    pub max_memory: Option<Str>,
    #[serde(default)]
    pub allow_degraded: Vec<Spanned<Degradable>>,
}

/// `[network]`: the egress proxy's domain policy.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    #[serde(default)]
    pub allow: Vec<Str>,
    #[serde(default)]
    pub deny: Vec<Str>,
    #[serde(default)]
    pub presets: Vec<Str>,
    #[serde(default)]
    pub allow_private: Vec<Str>,
    /// Static host map consulted before DNS (tests use it so no query leaves the machine).
    #[serde(default)]
    pub hosts: BTreeMap<String, Str>,
}

/// `[permissions]`: rules for the decision engine in Claude Code's syntax
/// (`Bash(npm run test:*)`, `Read(~/.ssh/**)`, `WebFetch(domain:x.org)`,
/// `mcp__github__*`); deny beats ask beats allow. See docs/POLICY.md.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionsSection {
    #[serde(default)]
    pub allow: Vec<Str>,
    #[serde(default)]
    pub ask: Vec<Str>,
    #[serde(default)]
    pub deny: Vec<Str>,
}

/// `[hook]`: agent adapters (`cordon hook claude`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSection {
    pub mode: Option<Spanned<HookMode>>,
}

/// `[audit]`: the journal.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    pub max_age_days: Option<Spanned<u64>>,
    pub max_size: Option<Str>,
}

/// `[scan]`: the injection screen.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    pub suspicious_threshold: Option<Spanned<f64>>,
    pub injected_threshold: Option<Spanned<f64>>,
}

/// `[mcp]`: the MCP gateway, one table per server name (`[mcp.servers.github]`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpSection {
    #[serde(default)]
    pub servers: BTreeMap<String, Spanned<McpServer>>,
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
    pub allow_domain: Vec<Str>,
    /// Streamable HTTP mode: headers added to every request to the server, so the
    /// agent never holds the credentials (`"env:NAME"` takes the value from cordon's environment).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
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

/// Lines a project file may lose to errors before the whole file is ignored.
const MAX_BAD_LINES: usize = 32;

/// Parse a project file without ever failing: a line that does not parse or
/// names an unknown key is dropped with a warning (a bad `[section]` header
/// drops its whole section), the rest still applies; a file beyond repair
/// is ignored as a whole. Lines keep their numbers, so spans stay true.
/// Returns the file, the text its spans refer to, and the warnings.
pub fn parse_lenient(text: &str, path: &Path) -> (ConfigFile, String, Vec<String>) {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut warnings = Vec::new();
    for _ in 0..MAX_BAD_LINES {
        let t = lines.join("\n");
        let e = match toml::from_str::<ConfigFile>(&t) {
            Ok(f) => return (f, t, warnings),
            Err(e) => e,
        };
        let msg = e.message().trim().replace('\n', " ");
        let Some(n) = e.span().map(|s| line_of(&t, s.start)) else {
            break;
        };
        let line = lines
            .get(n - 1)
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        if line.is_empty() {
            break;
        }
        let what = if line.starts_with('[') {
            // The keys under a bad header would otherwise join the section above.
            let end = (n..lines.len())
                .find(|&i| lines[i].trim_start().starts_with('['))
                .unwrap_or(lines.len());
            lines[n - 1..end].iter_mut().for_each(String::clear);
            "this section is ignored"
        } else {
            lines[n - 1].clear();
            "this line is ignored"
        };
        warnings.push(format!("{}:{n}: {msg}; {what}", path.display()));
    }
    warnings.push(format!(
        "{}: cannot be read as a cordon config; the whole file is ignored (none of its settings apply)",
        path.display()
    ));
    (ConfigFile::default(), String::new(), warnings)
}

/// Largest project file read (a config is a few hundred bytes; this bounds
/// the repair passes of [`parse_lenient`] too).
const MAX_PROJECT_FILE: u64 = 64 << 10;

/// Read a workspace's project file, whatever the workspace put there: only a
/// regular file (a FIFO or device never blocks or floods cordon), not a
/// symbolic link (a repository could point it at any file cordon can read,
/// and warnings quote what they find), at most 64 KiB. `Ok(None)`: there is none.
pub fn read_project(path: &Path) -> Result<Option<String>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let f = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err("is a symbolic link (put shared settings in your user config)".into())
        }
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    let meta = f.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    if meta.len() > MAX_PROJECT_FILE {
        return Err(format!("is larger than {} KiB", MAX_PROJECT_FILE >> 10));
    }
    let mut buf = Vec::new();
    f.take(MAX_PROJECT_FILE)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| "is not UTF-8 text".into())
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
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
    fn sizes() {
        assert_eq!(parse_size("4G"), Some(4 << 30));
        assert_eq!(parse_size("512MiB"), Some(512 << 20));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("1.5k"), Some(1536));
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("lots"), None);
    }
}
