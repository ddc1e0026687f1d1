//! Every setting, defined once: where it is written, its flag, and whether a
//! value widens or narrows what is allowed. The merge (`Settings::apply`),
//! the warnings and the table in docs/CONFIG.md all read this table.

/// A setting, by its place in the config file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    AllowWrite,
    AllowRead,
    DenyRead,
    AllowUnixSocket,
    Env,
    MaxProcs,
    MaxMemory,
    AllowDegraded,
    NetAllow,
    NetDeny,
    Presets,
    AllowPrivate,
    Hosts,
    RuleAllow,
    RuleAsk,
    RuleDeny,
    HookMode,
    MaxAgeDays,
    MaxSize,
    Suspicious,
    Injected,
    McpServers,
}

/// What a value does to the box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Every value lets more through (lists that add paths, hosts, rules).
    Widens,
    /// Every value lets less through.
    Narrows,
    /// A limit or threshold: below the value in force narrows, above widens.
    LowerNarrows,
    /// `enforce` narrows, `monitor` widens.
    EnforceNarrows,
    /// About the host, not the project (the journal, MCP servers): never
    /// taken from a project file.
    HostOnly,
}

impl Effect {
    /// For the docs table (checked against docs/CONFIG.md by a test).
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn describe(self) -> &'static str {
        match self {
            Effect::Widens => "widens",
            Effect::Narrows => "narrows",
            Effect::LowerNarrows => "lower narrows, higher widens",
            Effect::EnforceNarrows => "`enforce` narrows, `monitor` widens",
            Effect::HostOnly => "host setting (never from a project file)",
        }
    }
}

/// One setting's definition.
#[derive(Debug)]
pub struct Def {
    pub key: Key,
    /// `section.key` in the config file.
    pub name: &'static str,
    /// The flag that sets it, if any (`cordon run` unless said otherwise).
    pub flag: Option<&'static str>,
    pub effect: Effect,
}

const fn def(key: Key, name: &'static str, flag: Option<&'static str>, effect: Effect) -> Def {
    Def {
        key,
        name,
        flag,
        effect,
    }
}

use Effect::*;

/// Every setting, in file order.
pub const DEFS: &[Def] = &[
    def(
        Key::AllowWrite,
        "sandbox.allow_write",
        Some("--allow-write"),
        Widens,
    ),
    def(
        Key::AllowRead,
        "sandbox.allow_read",
        Some("--allow-read"),
        Widens,
    ),
    def(
        Key::DenyRead,
        "sandbox.deny_read",
        Some("--deny-read"),
        Narrows,
    ),
    def(
        Key::AllowUnixSocket,
        "sandbox.allow_unix_socket",
        Some("--allow-unix-socket"),
        Widens,
    ),
    def(Key::Env, "sandbox.env", Some("--env"), Widens),
    def(
        Key::MaxProcs,
        "sandbox.max_procs",
        Some("--max-procs"),
        LowerNarrows,
    ),
    def(
        Key::MaxMemory,
        "sandbox.max_memory",
        Some("--max-memory"),
        LowerNarrows,
    ),
    def(
        Key::AllowDegraded,
        "sandbox.allow_degraded",
        Some("--allow-degraded"),
        Widens,
    ),
    def(
        Key::NetAllow,
        "network.allow",
        Some("--allow-domain"),
        Widens,
    ),
    def(Key::NetDeny, "network.deny", Some("--deny-domain"), Narrows),
    def(Key::Presets, "network.presets", Some("--net"), Widens),
    def(
        Key::AllowPrivate,
        "network.allow_private",
        Some("--allow-private"),
        Widens,
    ),
    def(Key::Hosts, "network.hosts", None, Widens),
    def(Key::RuleAllow, "permissions.allow", None, Widens),
    def(Key::RuleAsk, "permissions.ask", None, Narrows),
    def(Key::RuleDeny, "permissions.deny", None, Narrows),
    def(Key::HookMode, "hook.mode", Some("--mode"), EnforceNarrows),
    def(
        Key::MaxAgeDays,
        "audit.max_age_days",
        Some("--max-age-days"),
        HostOnly,
    ),
    def(Key::MaxSize, "audit.max_size", Some("--max-size"), HostOnly),
    def(
        Key::Suspicious,
        "scan.suspicious_threshold",
        Some("--suspicious"),
        LowerNarrows,
    ),
    def(
        Key::Injected,
        "scan.injected_threshold",
        Some("--injected"),
        LowerNarrows,
    ),
    def(Key::McpServers, "mcp.servers", None, HostOnly),
];

impl Key {
    /// This key's definition.
    pub fn def(self) -> &'static Def {
        DEFS.iter()
            .find(|d| d.key == self)
            .expect("every key is defined in DEFS")
    }
    /// `section.key`.
    pub fn name(self) -> &'static str {
        self.def().name
    }
    pub fn effect(self) -> Effect {
        self.def().effect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_defined_once() {
        for (i, d) in DEFS.iter().enumerate() {
            assert_eq!(
                DEFS.iter().filter(|e| e.key == d.key).count(),
                1,
                "{:?}",
                d.key
            );
            assert!(DEFS[i + 1..].iter().all(|e| e.name != d.name), "{}", d.name);
        }
    }

    /// docs/CONFIG.md has one row per setting with its effect, so the docs
    /// cannot drift from what the merge does.
    #[test]
    fn the_docs_table_matches_the_definitions() {
        let doc = include_str!("../../../../docs/CONFIG.md");
        for d in DEFS {
            let flag = d.flag.map(|f| format!("`{f}`")).unwrap_or("-".into());
            let row = format!("| `{}` | {flag} | {} |", d.name, d.effect.describe());
            assert!(doc.contains(&row), "docs/CONFIG.md lacks the row: {row}");
        }
    }
}
