//! What the journal says in numbers: decisions by kind, the allow/ask/deny
//! split, prompts asked and avoided, top blocked hosts and commands, taint.
//!
//! Records are read through the payload conventions that every component
//! follows (see docs/AUDIT.md), kept here as tables:
//!
//! | payload field | meaning |
//! | --- | --- |
//! | `decision` | one of [`DECISION_WORDS`]: the record is a decision |
//! | `host` | the network host a decision is about |
//! | `command` | the shell command a decision is about |
//! | `prompt_avoided` | `true`/`false` overrides [`PROMPT_AVOIDING_SOURCES`] |
//! | `taint_event` | `true`: a taint event |
//! | `untrusted` | a non-empty string (where untrusted content came from): a taint event |
//! | `verdict`, `level`, `scan.verdict`, `scan.level` | a [`TAINT_VERDICTS`] value: a taint event |
//!
//! A kind containing `taint` (`taint.set`, `policy.tainted`) is always a taint
//! event. (`tainted: true` on a decision only says the session *was* tainted
//! and is not counted again.)
//!
//! ```
//! use cordon_audit::stats::{classify_parts, Decision};
//! let c = classify_parts("proxy", "net.connect", &serde_json::json!({"host": "evil.example", "decision": "deny"}));
//! assert_eq!(c.decision, Some(Decision::Deny));
//! assert_eq!(c.blocked_host.as_deref(), Some("evil.example"));
//! ```
use crate::Record;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The three outcomes of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Ask,
    Deny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Ask => "ask",
            Decision::Deny => "deny",
        }
    }
}

/// Words accepted in a payload's `decision` field (case-insensitive).
pub const DECISION_WORDS: &[(&str, Decision)] = &[
    ("allow", Decision::Allow),
    ("allowed", Decision::Allow),
    ("approve", Decision::Allow),
    ("approved", Decision::Allow),
    ("ask", Decision::Ask),
    ("prompt", Decision::Ask),
    ("deny", Decision::Deny),
    ("denied", Decision::Deny),
    ("block", Decision::Deny),
    ("blocked", Decision::Deny),
];

/// Sources whose allow/deny answers stand in for a permission prompt the
/// agent would otherwise have shown (unless the payload says `prompt_avoided: false`).
pub const PROMPT_AVOIDING_SOURCES: &[&str] = &["hook", "mcp"];

/// Screening results that count as taint events.
pub const TAINT_VERDICTS: &[&str] = &["suspicious", "injected"];

/// Payload paths whose value is checked against [`TAINT_VERDICTS`].
pub const TAINT_VERDICT_FIELDS: &[&[&str]] = &[
    &["verdict"],
    &["level"],
    &["scan", "verdict"],
    &["scan", "level"],
];

/// What one record means for the statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Class {
    pub decision: Option<Decision>,
    /// `Some(true)`: a prompt avoided; `Some(false)`: the user was asked.
    pub prompt_avoided: Option<bool>,
    pub blocked_host: Option<String>,
    pub blocked_command: Option<String>,
    pub taint: bool,
}

/// Classify one record.
pub fn classify(r: &Record) -> Class {
    classify_parts(&r.source, &r.kind, &r.payload_json())
}

/// Classify a record given its parts.
pub fn classify_parts(source: &str, kind: &str, p: &Value) -> Class {
    let decision = p["decision"].as_str().and_then(|d| {
        DECISION_WORDS
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(d.trim()))
            .map(|(_, v)| *v)
    });
    let prompt_avoided = match decision {
        Some(Decision::Ask) => Some(false),
        Some(_) => match p["prompt_avoided"].as_bool() {
            Some(b) => b.then_some(true),
            None => PROMPT_AVOIDING_SOURCES.contains(&source).then_some(true),
        },
        None => None,
    };
    let denied = decision == Some(Decision::Deny);
    let text = |f: &str| {
        p[f].as_str()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let taint = kind.contains("taint")
        || p["taint_event"].as_bool() == Some(true)
        || p["untrusted"].as_str().is_some_and(|s| !s.is_empty())
        || TAINT_VERDICT_FIELDS.iter().any(|path| {
            path.iter()
                .fold(p, |v, k| &v[*k])
                .as_str()
                .is_some_and(|v| TAINT_VERDICTS.iter().any(|t| t.eq_ignore_ascii_case(v)))
        });
    Class {
        decision,
        prompt_avoided,
        blocked_host: if denied { text("host") } else { None },
        blocked_command: if denied { text("command") } else { None },
        taint,
    }
}

/// Allow / ask / deny counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Split {
    pub allow: u64,
    pub ask: u64,
    pub deny: u64,
}

impl Split {
    pub fn add(&mut self, d: Decision) {
        match d {
            Decision::Allow => self.allow += 1,
            Decision::Ask => self.ask += 1,
            Decision::Deny => self.deny += 1,
        }
    }
    pub fn total(&self) -> u64 {
        self.allow + self.ask + self.deny
    }
}

/// One row of a top list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Top {
    pub name: String,
    pub count: u64,
    /// The most recent record, to link to.
    pub last_seq: u64,
}

/// The summary `cordon audit stats` prints and `cordon report` draws.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub records: u64,
    pub sessions: u64,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    pub by_source: BTreeMap<String, u64>,
    pub by_kind: BTreeMap<String, u64>,
    pub decisions: Split,
    pub decisions_by_kind: BTreeMap<String, Split>,
    pub prompts_asked: u64,
    pub prompts_avoided: u64,
    /// The most blocked hosts (at most the `top` asked for).
    pub blocked_hosts: Vec<Top>,
    /// The most blocked commands.
    pub blocked_commands: Vec<Top>,
    /// Distinct hosts and commands blocked at least once.
    pub blocked_hosts_total: u64,
    pub blocked_commands_total: u64,
    pub taint_events: u64,
}

/// Accumulates [`Stats`] one record at a time.
#[derive(Debug, Default)]
pub struct Collector {
    stats: Stats,
    sessions: HashSet<String>,
    first_ns: Option<u64>,
    last_ns: Option<u64>,
    hosts: HashMap<String, (u64, u64)>,
    commands: HashMap<String, (u64, u64)>,
}

impl Collector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one record; returns its classification for callers that want it.
    pub fn add(&mut self, r: &Record) -> Class {
        let c = classify(r);
        let s = &mut self.stats;
        s.records += 1;
        if !self.sessions.contains(&r.session) {
            self.sessions.insert(r.session.clone());
        }
        self.first_ns = Some(self.first_ns.map_or(r.time_ns, |f| f.min(r.time_ns)));
        self.last_ns = Some(self.last_ns.map_or(r.time_ns, |l| l.max(r.time_ns)));
        *s.by_source.entry(r.source.clone()).or_default() += 1;
        *s.by_kind.entry(r.kind.clone()).or_default() += 1;
        if let Some(d) = c.decision {
            s.decisions.add(d);
            s.decisions_by_kind
                .entry(r.kind.clone())
                .or_default()
                .add(d);
        }
        match c.prompt_avoided {
            Some(true) => s.prompts_avoided += 1,
            Some(false) => s.prompts_asked += 1,
            None => {}
        }
        if c.taint {
            s.taint_events += 1;
        }
        for (map, key) in [
            (&mut self.hosts, &c.blocked_host),
            (&mut self.commands, &c.blocked_command),
        ] {
            if let Some(k) = key {
                let e = map.entry(k.clone()).or_default();
                e.0 += 1;
                e.1 = e.1.max(r.seq);
            }
        }
        c
    }

    /// The statistics, with top lists cut to `top` entries.
    pub fn finish(mut self, top: usize) -> Stats {
        let rank = |m: HashMap<String, (u64, u64)>| {
            let mut v: Vec<Top> = m
                .into_iter()
                .map(|(name, (count, last_seq))| Top {
                    name,
                    count,
                    last_seq,
                })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
            v.truncate(top);
            v
        };
        self.stats.sessions = self.sessions.len() as u64;
        self.stats.first_time = self.first_ns.map(crate::time::rfc3339);
        self.stats.last_time = self.last_ns.map(crate::time::rfc3339);
        self.stats.blocked_hosts_total = self.hosts.len() as u64;
        self.stats.blocked_commands_total = self.commands.len() as u64;
        self.stats.blocked_hosts = rank(self.hosts);
        self.stats.blocked_commands = rank(self.commands);
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prompts() {
        let allow = json!({"decision": "allow"});
        assert_eq!(
            classify_parts("hook", "k", &allow).prompt_avoided,
            Some(true)
        );
        assert_eq!(classify_parts("proxy", "k", &allow).prompt_avoided, None);
        let ask = json!({"decision": "ASK"});
        assert_eq!(
            classify_parts("proxy", "k", &ask).prompt_avoided,
            Some(false)
        );
        let opt_out = json!({"decision": "deny", "prompt_avoided": false, "command": "rm -rf /"});
        let c = classify_parts("hook", "k", &opt_out);
        assert_eq!(c.prompt_avoided, None);
        assert_eq!(c.blocked_command.as_deref(), Some("rm -rf /"));
    }

    #[test]
    fn taint() {
        assert!(classify_parts("scan", "scan.result", &json!({"verdict": "injected"})).taint);
        assert!(!classify_parts("scan", "scan.result", &json!({"verdict": "clean"})).taint);
        assert!(classify_parts("hook", "h", &json!({"scan": {"level": "Suspicious"}})).taint);
        assert!(classify_parts("policy", "taint.set", &json!({})).taint);
        assert!(classify_parts("hook", "x", &json!({"untrusted": "web"})).taint);
        assert!(!classify_parts("hook", "x", &json!({"tainted": true, "untrusted": null})).taint);
    }
}
