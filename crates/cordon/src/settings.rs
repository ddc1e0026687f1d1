//! The settings layer: one resolved, typed view of the built-in defaults,
//! the config files and the flags, which every subcommand reads.
//!
//! Three steps, after ripgrep's `defs.rs` -> `lowargs.rs` -> `hiargs.rs`:
//!
//! 1. [`defs`]: every setting defined once, with whether a value widens or
//!    narrows what is allowed.
//! 2. [`Entry`]: a value as one layer gave it (a file line or a flag),
//!    already typed (sizes in bytes, modes as enums).
//! 3. [`Settings`]: the layers merged, lowest first, every value remembering
//!    its [`Layer`] and [`Place`]; [`validate`] turns it into the network
//!    policy and the rules ([`Validated`], [`PolicyBuilder`]).
//!
//! ```text
//! built-in defaults < user file < --config FILE < .cordon.toml (narrow only) < flags < managed
//! ```
//!
//! The managed policy (`/etc/cordon/managed.toml`, [`managed`]) is applied
//! first and outranks every layer: its `deny` and `ask` rules always apply,
//! a limit it sets cannot be raised, and its `[ceiling]` bounds what any
//! other layer may widen. [`Settings::apply`] checks the ceiling for every
//! value: beyond it, a value from a flag or a trusted file is *refused*
//! ([`Settings::load`] fails, exit 2, naming the managed file and the
//! value), one from a project file is *ignored* with a warning naming both
//! files.
//!
//! A project file (`.cordon.toml` in the workspace) was written by the agent
//! or whoever wrote the repository: [`Settings::apply`] is the one place that
//! admits a value, and it ignores a widening value from a project file with a
//! warning naming the file and line. Nothing in a project file stops cordon:
//! a malformed line is dropped with a warning (see [`crate::config::parse_lenient`]).

pub mod ceiling;
mod defs;
pub mod managed;
mod validate;

pub use defs::{Effect, Key};
pub use managed::{Managed, MANAGED_FILE};
pub use validate::{validate_allow_pattern, NetPolicy, PolicyBuilder};

use crate::config::{self, ConfigFile, Spanned, PROJECT_FILE};
use crate::exit::Failure;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a value came from, lowest precedence first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    Default,
    /// `~/.config/cordon/config.toml`.
    User,
    /// `--config FILE`.
    Config,
    /// `.cordon.toml` in the workspace: may only narrow.
    Project,
    Flag,
    /// `/etc/cordon/managed.toml`: above every other layer.
    Managed,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Default => "default",
            Layer::User => "user",
            Layer::Config => "config",
            Layer::Project => "project",
            Layer::Flag => "flag",
            Layer::Managed => "managed",
        }
    }
}

/// Where exactly a value was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    Builtin,
    File {
        path: Arc<Path>,
        line: usize,
    },
    /// A flag (`--allow-domain`) or argument (`PATTERN`).
    Flag(&'static str),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Builtin => f.write_str("built-in default"),
            Place::File { path, line } => write!(f, "{}:{line}", path.display()),
            Place::Flag(flag) => f.write_str(flag),
        }
    }
}

/// A value and where it came from.
#[derive(Clone, Debug)]
pub struct Sourced<T> {
    pub value: T,
    pub layer: Layer,
    pub place: Place,
}

impl<T> Sourced<T> {
    /// `default`, or `LAYER at PLACE`.
    pub fn origin(&self) -> String {
        match self.place {
            Place::Builtin => self.layer.name().to_string(),
            _ => format!("{}, {}", self.layer.name(), self.place),
        }
    }

    fn builtin(value: T) -> Self {
        Sourced {
            value,
            layer: Layer::Default,
            place: Place::Builtin,
        }
    }
}

/// The message for a bad value: `--flag: MSG` or `FILE:LINE: section.key: MSG`.
/// The same value gets the same `MSG` from every command.
pub fn located(place: &Place, key: Key, msg: impl fmt::Display) -> String {
    match place {
        Place::Flag(_) => format!("{place}: {msg}"),
        _ => format!("{place}: {}: {msg}", key.name()),
    }
}

/// `[hook] mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum HookMode {
    /// Answer the agent with allow / ask / deny.
    Enforce,
    /// Decide and journal only; the agent gets no decision.
    Monitor,
}

impl HookMode {
    pub fn parse(s: &str) -> Option<HookMode> {
        match s {
            "enforce" => Some(HookMode::Enforce),
            "monitor" => Some(HookMode::Monitor),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            HookMode::Enforce => "enforce",
            HookMode::Monitor => "monitor",
        }
    }
}

/// A protection `cordon run` may do without (`--allow-degraded`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Degradable {
    /// Weaker filesystem containment.
    Landlock,
    /// rlimits only.
    Cgroups,
}

/// `[sandbox] max_memory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Memory {
    /// 3/4 of RAM with a cgroup, unlimited with rlimits only.
    Default,
    Bytes(u64),
}

impl Memory {
    /// The most it can be, for the narrowing check.
    fn bound(self) -> u64 {
        match self {
            Memory::Default => cordon_sandbox::default_max_memory().unwrap_or(u64::MAX),
            Memory::Bytes(b) => b,
        }
    }
    /// The limit to give the sandbox (`None`: its default).
    pub fn bytes(self) -> Option<u64> {
        match self {
            Memory::Default => None,
            Memory::Bytes(b) => Some(b),
        }
    }
}

/// One value of one setting, typed.
#[derive(Clone, Debug)]
pub enum Item {
    AllowWrite(String),
    AllowRead(String),
    DenyRead(String),
    AllowUnixSocket(String),
    Env(String),
    MaxProcs(u64),
    MaxMemory(u64),
    AllowDegraded(Degradable),
    NetAllow(String),
    NetDeny(String),
    Preset(String),
    AllowPrivate(String),
    Host(String, String),
    RuleAllow(String),
    RuleAsk(String),
    RuleDeny(String),
    HookMode(HookMode),
    MaxAgeDays(u64),
    MaxSize(u64),
    Suspicious(f32),
    Injected(f32),
    McpServer(String, Box<McpServer>),
}

impl Item {
    pub fn key(&self) -> Key {
        match self {
            Item::AllowWrite(_) => Key::AllowWrite,
            Item::AllowRead(_) => Key::AllowRead,
            Item::DenyRead(_) => Key::DenyRead,
            Item::AllowUnixSocket(_) => Key::AllowUnixSocket,
            Item::Env(_) => Key::Env,
            Item::MaxProcs(_) => Key::MaxProcs,
            Item::MaxMemory(_) => Key::MaxMemory,
            Item::AllowDegraded(_) => Key::AllowDegraded,
            Item::NetAllow(_) => Key::NetAllow,
            Item::NetDeny(_) => Key::NetDeny,
            Item::Preset(_) => Key::Presets,
            Item::AllowPrivate(_) => Key::AllowPrivate,
            Item::Host(..) => Key::Hosts,
            Item::RuleAllow(_) => Key::RuleAllow,
            Item::RuleAsk(_) => Key::RuleAsk,
            Item::RuleDeny(_) => Key::RuleDeny,
            Item::HookMode(_) => Key::HookMode,
            Item::MaxAgeDays(_) => Key::MaxAgeDays,
            Item::MaxSize(_) => Key::MaxSize,
            Item::Suspicious(_) => Key::Suspicious,
            Item::Injected(_) => Key::Injected,
            Item::McpServer(..) => Key::McpServers,
        }
    }

    /// The value as a person wrote it, for warnings.
    pub fn shown(&self) -> String {
        match self {
            Item::AllowWrite(s)
            | Item::AllowRead(s)
            | Item::DenyRead(s)
            | Item::AllowUnixSocket(s)
            | Item::Env(s)
            | Item::NetAllow(s)
            | Item::NetDeny(s)
            | Item::Preset(s)
            | Item::AllowPrivate(s)
            | Item::RuleAllow(s)
            | Item::RuleAsk(s)
            | Item::RuleDeny(s) => format!("{s:?}"),
            Item::MaxProcs(n) | Item::MaxAgeDays(n) => n.to_string(),
            Item::MaxMemory(b) | Item::MaxSize(b) => human_size(*b),
            Item::AllowDegraded(d) => format!("{d:?}").to_ascii_lowercase(),
            Item::Host(k, v) => format!("{k:?} = {v:?}"),
            Item::HookMode(m) => format!("{:?}", m.as_str()),
            Item::Suspicious(v) | Item::Injected(v) => v.to_string(),
            Item::McpServer(name, _) => format!("[mcp.servers.{name}]"),
        }
    }
}

/// A list key's item from its text (`Item::NetAllow`...).
pub type MakeItem = fn(String) -> Item;

/// `900G`, `512M`, or bytes when not a whole number of either.
fn human_size(b: u64) -> String {
    [(40, "T"), (30, "G"), (20, "M"), (10, "K")]
        .iter()
        .find(|(shift, _)| b >= 1 << shift && b.is_multiple_of(1 << shift))
        .map(|(shift, unit)| format!("{:?}", format!("{}{unit}", b >> shift)))
        .unwrap_or_else(|| format!("{b} bytes"))
}

/// One value as one layer gave it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub item: Item,
    pub place: Place,
}

impl Entry {
    /// A value given on the command line.
    pub fn flag(flag: &'static str, item: Item) -> Entry {
        Entry {
            item,
            place: Place::Flag(flag),
        }
    }
}

/// A size flag (`--max-memory 4G`) as an entry; a bad size is a usage error.
pub fn size_flag(
    flag: &'static str,
    raw: &str,
    item: fn(u64) -> Item,
    key: Key,
) -> Result<Entry, Failure> {
    let place = Place::Flag(flag);
    let b = size(raw).map_err(|m| usage(&place, key, m))?;
    Ok(Entry {
        item: item(b),
        place,
    })
}

fn size(raw: &str) -> Result<u64, String> {
    config::parse_size(raw).ok_or_else(|| format!("`{raw}` is not a size such as 512M or 4G"))
}

/// A score flag or key: between 0 and 1.
pub fn score(v: f64) -> Result<f32, String> {
    if (0.0..=1.0).contains(&v) {
        Ok(v as f32)
    } else {
        Err(format!("{v} is not a score between 0 and 1"))
    }
}

/// A process count: at least 1.
pub fn procs(n: u64) -> Result<u64, String> {
    if n == 0 {
        Err("must be at least 1".into())
    } else {
        Ok(n)
    }
}

fn usage(place: &Place, key: Key, msg: impl fmt::Display) -> Failure {
    Failure::usage(located(place, key, msg))
        .hint("see docs/CONFIG.md for every key, its values and its flag")
}

/// `[mcp.servers.NAME]`, resolved.
#[derive(Clone, Debug, Default)]
pub struct McpServer {
    pub workspace: Option<String>,
    pub allow_write: Vec<String>,
    pub allow_read: Vec<String>,
    pub deny_read: Vec<String>,
    pub env: Vec<String>,
    pub allow_domain: Vec<Sourced<String>>,
    pub headers: BTreeMap<String, String>,
}

/// `[sandbox]`, resolved. Paths are as written: relative ones are relative
/// to the workspace (flags are made absolute before they get here).
#[derive(Clone, Debug)]
pub struct Sandbox {
    pub allow_write: Vec<Sourced<String>>,
    pub allow_read: Vec<Sourced<String>>,
    pub deny_read: Vec<Sourced<String>>,
    pub allow_unix_socket: Vec<Sourced<String>>,
    pub env: Vec<Sourced<String>>,
    pub max_procs: Sourced<u64>,
    pub max_memory: Sourced<Memory>,
    pub allow_degraded: Vec<Sourced<Degradable>>,
}

/// `[network]`, resolved (validated into a policy by [`validate`]).
#[derive(Clone, Debug, Default)]
pub struct Network {
    pub allow: Vec<Sourced<String>>,
    pub deny: Vec<Sourced<String>>,
    pub presets: Vec<Sourced<String>>,
    pub allow_private: Vec<Sourced<String>>,
    pub hosts: Vec<Sourced<(String, String)>>,
}

/// `[permissions]`, resolved.
#[derive(Clone, Debug, Default)]
pub struct Permissions {
    pub allow: Vec<Sourced<String>>,
    pub ask: Vec<Sourced<String>>,
    pub deny: Vec<Sourced<String>>,
}

/// `[audit]`, resolved.
#[derive(Clone, Debug, Default)]
pub struct Audit {
    pub max_age_days: Option<Sourced<u64>>,
    /// Bytes.
    pub max_size: Option<Sourced<u64>>,
}

/// `[scan]`, resolved.
#[derive(Clone, Debug)]
pub struct Scan {
    pub suspicious: Sourced<f32>,
    pub injected: Sourced<f32>,
}

/// A value that was not applied, and why (for `cordon policy show`).
#[derive(Clone, Debug)]
pub struct Ignored {
    pub key: Key,
    pub value: String,
    pub layer: Layer,
    pub place: Place,
    /// Why, in a few words.
    pub reason: String,
}

/// Every setting, resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    pub sandbox: Sandbox,
    pub network: Network,
    pub permissions: Permissions,
    pub hook_mode: Sourced<HookMode>,
    pub audit: Audit,
    pub scan: Scan,
    pub mcp_servers: BTreeMap<String, Sourced<McpServer>>,
    /// Files that were read, in order.
    pub files: Vec<PathBuf>,
    /// Values a project file could not widen, and allow rules the managed
    /// ceiling turns off.
    pub ignored: Vec<Ignored>,
    /// Values beyond the managed ceiling from a flag or a trusted file:
    /// [`Settings::load`] fails on the first.
    pub refused: Vec<Ignored>,
    /// The managed policy in force, if any.
    pub managed: Option<Arc<Managed>>,
    /// The workspace (relative paths are relative to it).
    pub workspace: Option<PathBuf>,
    /// For the user: widening values ignored, project-file lines dropped.
    pub warnings: Vec<String>,
}

/// What to load: the explicit config file, the workspace (for its project
/// file) and the flags, each command giving what it has.
#[derive(Default)]
pub struct Load<'a> {
    pub config: Option<&'a Path>,
    pub workspace: Option<&'a Path>,
    pub flags: Vec<Entry>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::defaults()
    }
}

impl Settings {
    /// The built-in defaults, filled once.
    pub fn defaults() -> Settings {
        let t = cordon_scan::Thresholds::default();
        Settings {
            sandbox: Sandbox {
                allow_write: Vec::new(),
                allow_read: Vec::new(),
                deny_read: Vec::new(),
                allow_unix_socket: Vec::new(),
                env: Vec::new(),
                max_procs: Sourced::builtin(cordon_sandbox::Limits::default().max_procs),
                max_memory: Sourced::builtin(Memory::Default),
                allow_degraded: Vec::new(),
            },
            network: Network::default(),
            permissions: Permissions::default(),
            hook_mode: Sourced::builtin(HookMode::Enforce),
            audit: Audit::default(),
            scan: Scan {
                suspicious: Sourced::builtin(t.suspicious),
                injected: Sourced::builtin(t.injected),
            },
            mcp_servers: BTreeMap::new(),
            files: Vec::new(),
            ignored: Vec::new(),
            refused: Vec::new(),
            managed: None,
            workspace: None,
            warnings: Vec::new(),
        }
    }

    /// Every layer: the managed policy first (it outranks the rest), then
    /// lowest first: user file, `--config FILE` (missing: an error), the
    /// workspace's project file (never an error), flags. A value beyond the
    /// managed ceiling from a flag or trusted file is refused (exit 2).
    pub fn load(l: Load) -> Result<Settings, Failure> {
        let s = Settings::load_under(l, managed::installed()?)?;
        s.refusal()?;
        Ok(s)
    }

    /// The first refused value as the command's failure.
    pub fn refusal(&self) -> Result<(), Failure> {
        let Some(r) = self.refused.first() else {
            return Ok(());
        };
        let file = self.managed.as_ref().map(|m| m.shown()).unwrap_or_default();
        Err(Failure::usage(format!(
            "{}: `{} = {}` is refused by the managed policy {file}: {}",
            r.place,
            r.key.name(),
            r.value,
            r.reason
        ))
        .hint(format!(
            "the managed policy is your organisation's; remove the value (`cordon policy show` lists what {file} allows)"
        )))
    }

    /// [`Settings::load`] under a given managed policy (the installed one, or
    /// a candidate for `cordon policy check`), keeping refused values in
    /// [`Settings::refused`] instead of failing (`cordon policy show`).
    pub fn load_under(l: Load, managed: Option<Arc<Managed>>) -> Result<Settings, Failure> {
        let mut s = Settings::defaults();
        // Relative paths are the workspace's; a command without one (the MCP
        // gateway, `allow-domain`) has the current directory.
        s.workspace = l
            .workspace
            .map(Path::to_path_buf)
            .or_else(|| std::env::current_dir().ok());
        if let Some(m) = managed {
            s.files.push(m.path.to_path_buf());
            s.put_managed(m);
        }
        if let Some(p) = config::user_config_path().filter(|p| p.is_file()) {
            s.merge_trusted(&p, Layer::User)?;
        }
        if let Some(p) = l.config {
            if !p.is_file() {
                return Err(
                    Failure::usage(format!("{}: no such config file", p.display()))
                        .hint("check the path given to --config"),
                );
            }
            s.merge_trusted(p, Layer::Config)?;
        }
        if let Some(ws) = l.workspace {
            s.merge_project(&ws.join(PROJECT_FILE));
        }
        for e in l.flags {
            s.apply(e, Layer::Flag);
        }
        s.warn_ignored_rules();
        Ok(s)
    }

    /// `cordon init`: the hook command it installs may not widen beyond the
    /// managed policy (`--mode monitor`, `--allow-domain X`): its flags are
    /// admitted as the hook would admit them.
    pub fn admit_hook_command(command: &str) -> Result<(), Failure> {
        let words: Vec<&str> = command.split_whitespace().collect();
        let mut flags = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let (name, inline) = w.split_once('=').unwrap_or((w, ""));
            let value = if inline.is_empty() {
                words.get(i + 1).copied().unwrap_or("")
            } else {
                inline
            };
            let value = value.trim_matches(|c| c == '\'' || c == '"').to_string();
            match name {
                "--mode" => flags.extend(
                    HookMode::parse(&value).map(|m| Entry::flag("--command", Item::HookMode(m))),
                ),
                "--allow-domain" => flags.push(Entry::flag("--command", Item::NetAllow(value))),
                _ => {}
            }
        }
        let mut s = Settings::defaults();
        if let Some(m) = managed::installed()? {
            s.workspace = std::env::current_dir().ok();
            s.put_managed(m);
        }
        for e in flags {
            s.apply(e, Layer::Flag);
        }
        s.refusal()
    }

    /// Apply the managed policy's values (above every layer) and keep its
    /// ceiling for the values that follow.
    fn put_managed(&mut self, m: Arc<Managed>) {
        for e in m.entries.iter().cloned() {
            self.apply(e, Layer::Managed);
        }
        self.managed = Some(m);
    }

    /// One warning naming every allow rule `[ceiling] allow_rules = false`
    /// turned off.
    fn warn_ignored_rules(&mut self) {
        let rules: Vec<String> = self
            .ignored
            .iter()
            .filter(|i| i.key == Key::RuleAllow && i.reason.starts_with("ceiling.allow_rules"))
            .map(|i| format!("{} ({})", i.value, i.place))
            .collect();
        if let (false, Some(m)) = (rules.is_empty(), &self.managed) {
            self.warnings.push(format!(
                "the managed policy {} sets ceiling.allow_rules = false: only its own allow rules count, so these are ignored: {}",
                m.shown(),
                rules.join(", ")
            ));
        }
    }

    /// May a destination named outside the settings (a live `cordon
    /// allow-domain`, an MCP `--upstream`) be reached? Refused (exit 2)
    /// beyond the managed ceiling.
    pub fn admit_destination(&self, place: &Place, raw: &str, live: bool) -> Result<(), Failure> {
        let Some(m) = &self.managed else {
            return Ok(());
        };
        let r = if live {
            m.ceiling.live(raw)
        } else {
            m.ceiling.destination(raw)
        };
        r.map_err(|why| {
            Failure::usage(format!(
                "{place}: `{}` is refused by the managed policy {}: {why}",
                raw.trim(),
                m.shown()
            ))
            .hint("the managed policy is your organisation's; ask your administrator")
        })
    }

    /// Print the warnings, one line each.
    pub fn print_warnings(&self) {
        for w in &self.warnings {
            eprintln!("cordon: warning: {w}");
        }
    }

    /// A user or `--config` file: any error stops the command (exit 2).
    fn merge_trusted(&mut self, path: &Path, layer: Layer) -> Result<(), Failure> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::usage(format!("{}: cannot read: {e}", path.display()))
                .hint("fix the file's permissions or remove it")
        })?;
        let file = config::parse(&text, path)?;
        if let Some(c) = &file.ceiling {
            let line = config::line_of(&text, c.span().start);
            return Err(Failure::usage(format!(
                "{}:{line}: [ceiling] belongs only in the managed policy {MANAGED_FILE}",
                path.display()
            ))
            .hint("remove the section; your administrator sets the ceiling"));
        }
        let (entries, problems) = entries(file, &text, path);
        if let Some((place, key, msg)) = problems.into_iter().next() {
            return Err(usage(&place, key, msg));
        }
        self.files.push(path.to_path_buf());
        for e in entries {
            self.apply(e, layer);
        }
        Ok(())
    }

    /// The project file: whatever is wrong with it is a warning, never fatal
    /// (a cloned repository must not be able to stop cordon).
    fn merge_project(&mut self, path: &Path) {
        let text = match config::read_project(path) {
            Ok(Some(t)) => t,
            Ok(None) => return,
            Err(e) => {
                self.warnings.push(format!(
                    "{}: {e}; the project file is ignored (none of its settings apply)",
                    path.display()
                ));
                return;
            }
        };
        let (mut file, text, dropped) = config::parse_lenient(&text, path);
        self.warnings.extend(dropped);
        if let Some(c) = file.ceiling.take() {
            self.warnings.push(format!(
                "{}:{}: [ceiling] belongs only in the managed policy {MANAGED_FILE}; it is ignored",
                path.display(),
                config::line_of(&text, c.span().start)
            ));
        }
        let (entries, problems) = entries(file, &text, path);
        for (place, key, msg) in problems {
            self.warnings
                .push(format!("{}; it is ignored", located(&place, key, msg)));
        }
        self.files.push(path.to_path_buf());
        for e in entries {
            match validate::check_project_item(&e.item) {
                Ok(()) => self.apply(e, Layer::Project),
                Err(m) => self.warnings.push(format!(
                    "{}; it is ignored",
                    located(&e.place, e.item.key(), m)
                )),
            }
        }
    }

    /// Would this value let more through than the value in force (the
    /// built-in default, or what a lower layer set)?
    fn widens(&self, item: &Item) -> bool {
        match item.key().effect() {
            Effect::Widens | Effect::HostOnly => true,
            Effect::Narrows => false,
            Effect::LowerNarrows | Effect::EnforceNarrows => match item {
                Item::MaxProcs(n) => *n > self.sandbox.max_procs.value,
                Item::MaxMemory(b) => *b > self.sandbox.max_memory.value.bound(),
                Item::Suspicious(v) => *v > self.scan.suspicious.value,
                Item::Injected(v) => *v > self.scan.injected.value,
                Item::HookMode(m) => {
                    *m == HookMode::Monitor && self.hook_mode.value == HookMode::Enforce
                }
                _ => true,
            },
        }
    }

    /// Why this value goes beyond the managed policy: outside its
    /// `[ceiling]`, or above a limit it set. `None` when it does not (or
    /// there is no managed policy). The one check for every entry point.
    pub fn beyond_managed(&self, item: &Item) -> Option<String> {
        let m = self.managed.as_ref()?;
        let ws = self.workspace.as_deref();
        // A `~` in the user's own values is expanded by the sandbox with
        // `$HOME`, so it is checked that way (the ceiling's own with the
        // password database's home).
        let home = config::home_dir().unwrap_or_else(|| PathBuf::from("/"));
        if let Err(why) = m.ceiling.admits(item, ws, &home) {
            return Some(why);
        }
        let locked = match item {
            Item::MaxProcs(_) => Some(&self.sandbox.max_procs.place)
                .filter(|_| self.sandbox.max_procs.layer == Layer::Managed),
            Item::MaxMemory(_) => Some(&self.sandbox.max_memory.place)
                .filter(|_| self.sandbox.max_memory.layer == Layer::Managed),
            Item::Suspicious(_) => Some(&self.scan.suspicious.place)
                .filter(|_| self.scan.suspicious.layer == Layer::Managed),
            Item::Injected(_) => Some(&self.scan.injected.place)
                .filter(|_| self.scan.injected.layer == Layer::Managed),
            Item::HookMode(_) => {
                Some(&self.hook_mode.place).filter(|_| self.hook_mode.layer == Layer::Managed)
            }
            _ => None,
        };
        locked
            .filter(|_| self.widens(item))
            .map(|at| format!("it is set at {at} and may only be narrowed"))
    }

    /// Admit one value: the one place that decides whether a layer may set
    /// it. Beyond the managed policy, a value is refused (flags, trusted
    /// files) or ignored with a warning (project files, and allow rules under
    /// `allow_rules = false`). A project file may only narrow; a widening
    /// value from it is ignored with a warning naming the file and line.
    pub fn apply(&mut self, e: Entry, layer: Layer) {
        if layer != Layer::Managed {
            if let Some(why) = self.beyond_managed(&e.item) {
                self.beyond(e, layer, why);
                return;
            }
        }
        if layer == Layer::Project && self.widens(&e.item) {
            self.ignore(e, layer);
            return;
        }
        let Entry { item, place } = e;
        let src = Src(layer, &place);
        let (sb, net, perms) = (&mut self.sandbox, &mut self.network, &mut self.permissions);
        match item {
            Item::AllowWrite(v) => sb.allow_write.push(src.of(v)),
            Item::AllowRead(v) => sb.allow_read.push(src.of(v)),
            Item::DenyRead(v) => sb.deny_read.push(src.of(v)),
            Item::AllowUnixSocket(v) => sb.allow_unix_socket.push(src.of(v)),
            Item::Env(v) => sb.env.push(src.of(v)),
            Item::MaxProcs(v) => sb.max_procs = src.of(v),
            Item::MaxMemory(v) => sb.max_memory = src.of(Memory::Bytes(v)),
            Item::AllowDegraded(v) => sb.allow_degraded.push(src.of(v)),
            Item::NetAllow(v) => net.allow.push(src.of(v)),
            Item::NetDeny(v) => net.deny.push(src.of(v)),
            Item::Preset(v) => net.presets.push(src.of(v)),
            Item::AllowPrivate(v) => net.allow_private.push(src.of(v)),
            Item::Host(k, v) => {
                net.hosts.retain(|h| h.value.0 != k);
                net.hosts.push(src.of((k, v)))
            }
            Item::RuleAllow(v) => perms.allow.push(src.of(v)),
            Item::RuleAsk(v) => perms.ask.push(src.of(v)),
            Item::RuleDeny(v) => perms.deny.push(src.of(v)),
            Item::HookMode(v) => self.hook_mode = src.of(v),
            Item::MaxAgeDays(v) => self.audit.max_age_days = Some(src.of(v)),
            Item::MaxSize(v) => self.audit.max_size = Some(src.of(v)),
            Item::Suspicious(v) => self.scan.suspicious = src.of(v),
            Item::Injected(v) => self.scan.injected = src.of(v),
            Item::McpServer(name, v) => {
                let mut v = *v;
                v.allow_domain.iter_mut().for_each(|d| d.layer = layer);
                self.mcp_servers.insert(name, src.of(v));
            }
        }
    }

    fn ignore(&mut self, e: Entry, layer: Layer) {
        let key = e.item.key();
        let value = e.item.shown();
        let why = match key.effect() {
            Effect::HostOnly => "is a host setting, which a workspace file cannot change",
            Effect::LowerNarrows => "is above the value in force (built-in default or your own config), so it would widen",
            _ => "would widen what is allowed",
        };
        let put = config::user_config_path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "your user config".into());
        let flag = key
            .def()
            .flag
            .map(|f| format!(" or pass {f}"))
            .unwrap_or_default();
        self.warnings.push(format!(
            "{}: `{} = {value}` {why}; a workspace file may only narrow, so it is ignored (put it in {put}{flag})",
            e.place,
            key.name()
        ));
        self.ignored.push(Ignored {
            key,
            value,
            layer,
            place: e.place,
            reason: why.to_string(),
        });
    }

    /// A value beyond the managed policy: refused, or ignored with a warning.
    fn beyond(&mut self, e: Entry, layer: Layer, reason: String) {
        let file = self.managed.as_ref().map(|m| m.shown()).unwrap_or_default();
        let (key, value) = (e.item.key(), e.item.shown());
        let one = Ignored {
            key,
            value,
            layer,
            place: e.place,
            reason,
        };
        if key == Key::RuleAllow {
            // One warning for all of them (`warn_ignored_rules`).
            self.ignored.push(one);
        } else if layer == Layer::Project {
            self.warnings.push(format!(
                "{}: `{} = {}` is outside the managed policy {file}: {}; a project file cannot widen it, so it is ignored",
                one.place,
                key.name(),
                one.value,
                one.reason
            ));
            self.ignored.push(one);
        } else {
            self.refused.push(one);
        }
    }
}

/// One effective value, for `cordon policy show`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Shown {
    pub key: &'static str,
    pub value: String,
    pub layer: &'static str,
    /// `FILE:LINE`, the flag, or `built-in default`.
    pub place: String,
}

impl Settings {
    /// Every value in force with the layer and place it came from.
    pub fn effective(&self) -> Vec<Shown> {
        let mut out = Vec::new();
        let mut one = |key: Key, value: String, layer: Layer, place: &Place| {
            out.push(Shown {
                key: key.name(),
                value,
                layer: layer.name(),
                place: place.to_string(),
            })
        };
        let lists: [(Key, &Vec<Sourced<String>>); 12] = [
            (Key::AllowWrite, &self.sandbox.allow_write),
            (Key::AllowRead, &self.sandbox.allow_read),
            (Key::DenyRead, &self.sandbox.deny_read),
            (Key::AllowUnixSocket, &self.sandbox.allow_unix_socket),
            (Key::Env, &self.sandbox.env),
            (Key::NetAllow, &self.network.allow),
            (Key::NetDeny, &self.network.deny),
            (Key::Presets, &self.network.presets),
            (Key::AllowPrivate, &self.network.allow_private),
            (Key::RuleAllow, &self.permissions.allow),
            (Key::RuleAsk, &self.permissions.ask),
            (Key::RuleDeny, &self.permissions.deny),
        ];
        for (key, list) in lists {
            for v in list {
                one(key, format!("{:?}", v.value), v.layer, &v.place);
            }
        }
        let sb = &self.sandbox;
        one(
            Key::MaxProcs,
            sb.max_procs.value.to_string(),
            sb.max_procs.layer,
            &sb.max_procs.place,
        );
        let mem = match sb.max_memory.value {
            Memory::Default => "3/4 of RAM".to_string(),
            Memory::Bytes(b) => human_size(b),
        };
        one(
            Key::MaxMemory,
            mem,
            sb.max_memory.layer,
            &sb.max_memory.place,
        );
        for d in &sb.allow_degraded {
            one(
                Key::AllowDegraded,
                Item::AllowDegraded(d.value).shown(),
                d.layer,
                &d.place,
            );
        }
        for h in &self.network.hosts {
            let v = Item::Host(h.value.0.clone(), h.value.1.clone()).shown();
            one(Key::Hosts, v, h.layer, &h.place);
        }
        let h = &self.hook_mode;
        one(
            Key::HookMode,
            format!("{:?}", h.value.as_str()),
            h.layer,
            &h.place,
        );
        let a = &self.audit;
        if let Some(v) = &a.max_age_days {
            one(Key::MaxAgeDays, v.value.to_string(), v.layer, &v.place);
        }
        if let Some(v) = &a.max_size {
            one(Key::MaxSize, human_size(v.value), v.layer, &v.place);
        }
        let sc = &self.scan;
        one(
            Key::Suspicious,
            sc.suspicious.value.to_string(),
            sc.suspicious.layer,
            &sc.suspicious.place,
        );
        one(
            Key::Injected,
            sc.injected.value.to_string(),
            sc.injected.layer,
            &sc.injected.place,
        );
        for (name, v) in &self.mcp_servers {
            one(
                Key::McpServers,
                format!("[mcp.servers.{name}]"),
                v.layer,
                &v.place,
            );
        }
        out
    }
}

/// Every value of a config file that goes beyond `managed`, at its line
/// (`cordon policy check`): the same check as [`Settings::apply`]. A file
/// that does not parse is an error (exit 2).
pub fn outside(
    managed: Arc<Managed>,
    path: &Path,
    workspace: &Path,
) -> Result<Vec<Ignored>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("{}: cannot read: {e}", path.display())))?;
    let mut file = config::parse(&text, path)?;
    let mut out = Vec::new();
    if let Some(c) = file.ceiling.take() {
        out.push(Ignored {
            key: Key::McpServers,
            value: "[ceiling]".into(),
            layer: Layer::User,
            place: Place::File {
                path: Arc::from(path),
                line: config::line_of(&text, c.span().start),
            },
            reason: format!("[ceiling] belongs only in the managed policy {MANAGED_FILE}"),
        });
    }
    let (list, problems) = entries(file, &text, path);
    if let Some((place, key, msg)) = problems.into_iter().next() {
        return Err(usage(&place, key, msg));
    }
    let mut s = Settings::defaults();
    s.workspace = Some(workspace.to_path_buf());
    s.put_managed(managed);
    for e in list {
        if let Some(reason) = s.beyond_managed(&e.item) {
            out.push(Ignored {
                key: e.item.key(),
                value: e.item.shown(),
                layer: Layer::User,
                place: e.place,
                reason,
            });
        }
    }
    Ok(out)
}

/// Wraps values with one entry's layer and place.
struct Src<'a>(Layer, &'a Place);

impl Src<'_> {
    fn of<T>(&self, value: T) -> Sourced<T> {
        Sourced {
            value,
            layer: self.0,
            place: self.1.clone(),
        }
    }
}

/// A conversion problem: where, which key, what.
type Problem = (Place, Key, String);

/// One parsed file as typed entries, each with its line. Values that do not
/// convert (a size that is not one, a score above 1) are problems.
fn entries(f: ConfigFile, text: &str, path: &Path) -> (Vec<Entry>, Vec<Problem>) {
    let path: Arc<Path> = Arc::from(path);
    let at = |span: std::ops::Range<usize>| Place::File {
        path: path.clone(),
        line: config::line_of(text, span.start),
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let list = |v: Vec<Spanned<String>>, item: MakeItem, out: &mut Vec<Entry>| {
        for s in v {
            out.push(Entry {
                place: at(s.span()),
                item: item(s.into_inner()),
            });
        }
    };
    let (sb, net, p) = (f.sandbox, f.network, f.permissions);
    list(sb.allow_write, Item::AllowWrite, &mut out);
    list(sb.allow_read, Item::AllowRead, &mut out);
    list(sb.deny_read, Item::DenyRead, &mut out);
    list(sb.allow_unix_socket, Item::AllowUnixSocket, &mut out);
    list(sb.env, Item::Env, &mut out);
    list(net.allow, Item::NetAllow, &mut out);
    list(net.deny, Item::NetDeny, &mut out);
    list(net.presets, Item::Preset, &mut out);
    list(net.allow_private, Item::AllowPrivate, &mut out);
    list(p.allow, Item::RuleAllow, &mut out);
    list(p.ask, Item::RuleAsk, &mut out);
    list(p.deny, Item::RuleDeny, &mut out);
    for d in sb.allow_degraded {
        out.push(Entry {
            place: at(d.span()),
            item: Item::AllowDegraded(d.into_inner()),
        });
    }
    for (k, v) in net.hosts {
        out.push(Entry {
            place: at(v.span()),
            item: Item::Host(k, v.into_inner()),
        });
    }
    if let Some(m) = f.hook.mode {
        out.push(Entry {
            place: at(m.span()),
            item: Item::HookMode(m.into_inner()),
        });
    }
    let mut scalar = |place: Place, key: Key, r: Result<Item, String>| match r {
        Ok(item) => out.push(Entry { item, place }),
        Err(m) => problems.push((place, key, m)),
    };
    if let Some(n) = sb.max_procs {
        scalar(
            at(n.span()),
            Key::MaxProcs,
            procs(*n.get_ref()).map(Item::MaxProcs),
        );
    }
    if let Some(m) = sb.max_memory {
        scalar(
            at(m.span()),
            Key::MaxMemory,
            size(m.get_ref()).map(Item::MaxMemory),
        );
    }
    if let Some(d) = f.audit.max_age_days {
        scalar(
            at(d.span()),
            Key::MaxAgeDays,
            Ok(Item::MaxAgeDays(*d.get_ref())),
        );
    }
    if let Some(m) = f.audit.max_size {
        scalar(
            at(m.span()),
            Key::MaxSize,
            size(m.get_ref()).map(Item::MaxSize),
        );
    }
    for (v, key, item) in [
        (
            f.scan.suspicious_threshold,
            Key::Suspicious,
            Item::Suspicious as fn(f32) -> Item,
        ),
        (f.scan.injected_threshold, Key::Injected, Item::Injected),
    ] {
        if let Some(v) = v {
            scalar(at(v.span()), key, score(*v.get_ref()).map(item));
        }
    }
    for (name, s) in f.mcp.servers {
        let place = at(s.span());
        let s = s.into_inner();
        let server = McpServer {
            workspace: s.workspace,
            allow_write: s.allow_write,
            allow_read: s.allow_read,
            deny_read: s.deny_read,
            env: s.env,
            allow_domain: s
                .allow_domain
                .into_iter()
                .map(|d| Sourced {
                    place: at(d.span()),
                    layer: Layer::Default,
                    value: d.into_inner(),
                })
                .collect(),
            headers: s.headers,
        };
        out.push(Entry {
            item: Item::McpServer(name, Box::new(server)),
            place,
        });
    }
    // File order, so that warnings read top to bottom (each list keeps its order).
    let line = |p: &Place| match p {
        Place::File { line, .. } => *line,
        _ => 0,
    };
    out.sort_by_key(|e| line(&e.place));
    (out, problems)
}

#[cfg(test)]
mod tests;
