//! The one validation of destinations and rules, for every command that
//! reads them (`run`, `check`, `hook`, `mcp`, `allow-domain`), and the one
//! builder of the decision engine.
//!
//! Validating is building: the network policy is built with the proxy's own
//! parser (`cordon_net`), the rules with the engine's (`cordon_policy`), so a
//! value accepted here is exactly one the enforcing side understands. Every
//! error names the flag or `FILE:LINE` and the key, with the same message
//! from every command; exit status 2.

use super::{located, Item, Key, Place, Settings, Sourced};
use crate::exit::Failure;
use cordon_net::{Policy as NetRules, Resolver};
use cordon_policy::{Context, Policy, Rules};
use cordon_scan::{Screen, Thresholds};
use std::path::PathBuf;

const NET_HINT: &str = "see docs/NETWORK.md for destination patterns, presets and ranges";
const RULE_HINT: &str =
    "write rules as Tool or Tool(specifier), e.g. Bash(npm run test:*) or Read(~/.ssh/**)";

/// The egress proxy's policy and static host map.
#[derive(Clone)]
pub struct NetPolicy {
    pub rules: NetRules,
    pub resolver: Resolver,
    /// Host loopback services forwarded into the sandbox (allow patterns
    /// such as `127.0.0.1:8080`; see `cordon_net::forward`).
    pub forwards: Vec<cordon_net::Forward>,
    /// The managed ceiling on live `cordon allow-domain` requests, for the
    /// running proxy (a live request never passes through the settings).
    pub gate: Option<cordon_net::LiveGate>,
}

/// Settings that passed the one validation.
#[derive(Clone)]
pub struct Validated {
    pub net: NetPolicy,
    pub rules: Rules,
    /// The allow patterns (config and flags) the decision engine counts as
    /// reachable from the sandbox.
    pub allowed_domains: Vec<String>,
}

fn bad(place: &Place, key: Key, msg: impl std::fmt::Display, hint: &str) -> Failure {
    Failure::usage(located(place, key, msg)).hint(hint)
}

/// Check one allow pattern as every entry point does (`*`, `*.com`,
/// `0.0.0.0/0` and malformed ports are refused).
pub fn validate_allow_pattern(p: &Sourced<String>, key: Key) -> Result<(), Failure> {
    cordon_net::Policy::new()
        .allow(&p.value, p.place.to_string())
        .map_err(|e| bad(&p.place, key, e, NET_HINT))
}

/// Check one narrowing value of a project file before it is admitted, with
/// the same parsers and message as [`Settings::validate`]: one that does not
/// validate is dropped with a warning there, never fatal.
pub(super) fn check_project_item(item: &Item) -> Result<(), String> {
    match item {
        Item::NetDeny(p) => NetRules::new().deny(p, ""),
        Item::RuleAsk(r) | Item::RuleDeny(r) => cordon_policy::rules::Rule::parse(r)
            .map(|_| ())
            .map_err(|problem| format!("`{r}`: {problem}")),
        _ => Ok(()),
    }
}

impl Settings {
    /// Validate destinations, presets, ports, private ranges, host maps,
    /// `[mcp.servers.*] allow_domain` and permission rules.
    pub fn validate(&self) -> Result<Validated, Failure> {
        Ok(Validated {
            net: self.net_policy()?,
            rules: self.rules()?,
            allowed_domains: self.network.allow.iter().map(|p| p.value.clone()).collect(),
        })
    }

    fn net_policy(&self) -> Result<NetPolicy, Failure> {
        let n = &self.network;
        let mut p = NetRules::new();
        for s in &n.presets {
            p.add_preset(&s.value)
                .map_err(|e| bad(&s.place, Key::Presets, e, NET_HINT))?;
        }
        let mut forwards: Vec<cordon_net::Forward> = Vec::new();
        for s in &n.allow {
            let fwd = crate::cmd::netrun::forward(&s.value)
                .map_err(|e| bad(&s.place, Key::NetAllow, e, NET_HINT))?;
            match fwd {
                Some(f) if !forwards.iter().any(|g| g.addr == f.addr) => forwards.push(f),
                Some(_) => {}
                None => p
                    .allow(&s.value, s.place.to_string())
                    .map_err(|e| bad(&s.place, Key::NetAllow, e, NET_HINT))?,
            }
        }
        for s in &n.deny {
            p.deny(&s.value, s.place.to_string())
                .map_err(|e| bad(&s.place, Key::NetDeny, e, NET_HINT))?;
        }
        for s in &n.allow_private {
            p.allow_private(&s.value)
                .map_err(|e| bad(&s.place, Key::AllowPrivate, e, NET_HINT))?;
        }
        let mut resolver = Resolver::new();
        for s in &n.hosts {
            resolver
                .add_static(&s.value.0, &s.value.1)
                .map_err(|e| bad(&s.place, Key::Hosts, e, NET_HINT))?;
        }
        for server in self.mcp_servers.values() {
            for d in &server.value.allow_domain {
                validate_allow_pattern(d, Key::McpServers)?;
            }
        }
        let gate = self.managed.clone().map(|m| {
            let file = m.shown();
            cordon_net::LiveGate(std::sync::Arc::new(move |raw: &str| {
                m.ceiling
                    .live(raw)
                    .map_err(|why| format!("refused by the managed policy {file}: {why}"))
            }))
        });
        Ok(NetPolicy {
            rules: p,
            resolver,
            forwards,
            gate,
        })
    }

    fn rules(&self) -> Result<Rules, Failure> {
        let p = &self.permissions;
        let text = |v: &[Sourced<String>]| v.iter().map(|s| s.value.clone()).collect::<Vec<_>>();
        Rules::from_lists(&text(&p.allow), &text(&p.ask), &text(&p.deny)).map_err(|e| {
            let (list, key) = match e.list {
                "allow" => (&p.allow, Key::RuleAllow),
                "ask" => (&p.ask, Key::RuleAsk),
                _ => (&p.deny, Key::RuleDeny),
            };
            let place = list.get(e.index).map(|s| s.place.clone());
            let msg = format!("`{}`: {}", e.rule, e.problem);
            bad(&place.unwrap_or(Place::Builtin), key, msg, RULE_HINT)
        })
    }

    /// The decision engine's builder: rules validated, thresholds, and the
    /// destinations the sandbox allows. Rule warnings are printed here.
    pub fn policy(&self) -> Result<PolicyBuilder, Failure> {
        let v = self.validate()?;
        for w in rule_warnings(&v.rules, self) {
            eprintln!("cordon: warning: {w}");
        }
        Ok(PolicyBuilder {
            rules: v.rules,
            thresholds: Thresholds {
                suspicious: self.scan.suspicious.value,
                injected: self.scan.injected.value,
            },
            allowed_domains: v.allowed_domains,
        })
    }
}

/// Warnings about rules that parse but may not do what they seem to (the
/// legacy `Bash(x:*)` prefix form), each naming the rule's `FILE:LINE`: the
/// one place that prints them for every command.
fn rule_warnings(rules: &Rules, settings: &Settings) -> Vec<String> {
    let p = &settings.permissions;
    rules
        .warnings()
        .into_iter()
        .map(|w| {
            let (list, key) = match w.list {
                "allow" => (&p.allow, Key::RuleAllow),
                "ask" => (&p.ask, Key::RuleAsk),
                _ => (&p.deny, Key::RuleDeny),
            };
            let place = list
                .get(w.index)
                .map(|s| s.place.clone())
                .unwrap_or(Place::Builtin);
            located(&place, key, w)
        })
        .collect()
}

/// Builds the decision engine the same way for every command: `check`, the
/// hook, and the MCP gateway (each of its threads and connections).
#[derive(Clone)]
pub struct PolicyBuilder {
    rules: Rules,
    thresholds: Thresholds,
    allowed_domains: Vec<String>,
}

impl PolicyBuilder {
    pub fn policy(&self) -> Policy {
        Policy::new(self.rules.clone())
    }
    /// Consumes the builder where only one engine is needed (a hook process).
    pub fn into_policy(self) -> Policy {
        Policy::new(self.rules)
    }
    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }
    pub fn screen(&self) -> Screen {
        Screen::new(self.thresholds)
    }
    /// The context an action is decided in.
    pub fn context(&self, cwd: PathBuf, workspace: PathBuf, sandboxed: bool) -> Context {
        let mut c = Context::new(cwd, workspace, crate::config::home_dir());
        c.sandboxed = sandboxed;
        c.allowed_domains = self.allowed_domains.clone();
        c
    }
}
