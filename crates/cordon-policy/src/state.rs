//! Session state the adapters persist between actions: taint, credential
//! access seen, counters and approvals.

use crate::class::RiskClass;
use crate::{Action, Decision, Verdict};
use serde::{Deserialize, Serialize};

/// How many taint sources are kept (the first ones explain the taint best).
const MAX_SOURCES: usize = 16;

/// Where untrusted content came from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TaintSource {
    /// What kind of source: `web`, `mcp`, `file`, `command`, `scan`...
    pub source: String,
    /// Which one: a URL, tool, path or command.
    pub detail: String,
}

/// Decisions counted in a session.
#[derive(Default, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counters {
    pub allow: u64,
    pub ask: u64,
    pub deny: u64,
}

/// What the engine remembers about a session. Serialize it between calls.
#[derive(Default, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct SessionState {
    /// The session has taken in untrusted content.
    pub tainted: bool,
    /// The first sources of untrusted content.
    pub taint_sources: Vec<TaintSource>,
    /// Credentials were read (or an action that reads them was let through).
    pub credential_seen: bool,
    /// What read them.
    pub credential_detail: Option<String>,
    pub counters: Counters,
    /// Actions a person approved (text as shown to them), for the record.
    pub approvals: Vec<String>,
}

impl SessionState {
    /// Mark the session tainted by untrusted content.
    pub fn taint(&mut self, source: &str, detail: &str) {
        self.tainted = true;
        if self.taint_sources.len() < MAX_SOURCES
            && !self
                .taint_sources
                .iter()
                .any(|s| s.source == source && s.detail == detail)
        {
            self.taint_sources.push(TaintSource {
                source: source.to_string(),
                detail: detail.to_string(),
            });
        }
    }

    pub fn is_tainted(&self) -> bool {
        self.tainted
    }

    /// Record a decided action that runs when allowed (and, when asked,
    /// as if the person said yes): [`count`](Self::count), then
    /// [`ran`](Self::ran) unless it was denied. Adapters that learn whether
    /// an action really ran (the Claude Code hook's PostToolUse) call the two
    /// separately, so a declined ask neither taints nor counts as credential
    /// access.
    pub fn record(&mut self, action: &Action, decision: &Decision) {
        self.count(decision);
        if decision.verdict != Verdict::Deny {
            self.ran(action, decision);
        }
    }

    /// Count a decision.
    pub fn count(&mut self, decision: &Decision) {
        match decision.verdict {
            Verdict::Allow => self.counters.allow += 1,
            Verdict::Ask => self.counters.ask += 1,
            Verdict::Deny => self.counters.deny += 1,
        }
    }

    /// The action ran: note credential access and the taint it brings in
    /// (`decision` is the engine's judgement of it).
    pub fn ran(&mut self, action: &Action, decision: &Decision) {
        if decision.classes.contains(&RiskClass::Credential) && !self.credential_seen {
            self.credential_seen = true;
            self.credential_detail = Some(action.describe());
        }
        if let Some(t) = &decision.taint {
            self.taint(&t.source, &t.detail);
        }
    }

    /// Note that a person approved an action that was asked about.
    pub fn approve(&mut self, action: &Action) {
        if self.approvals.len() < 256 {
            self.approvals.push(action.describe());
        }
    }

    /// One line on where the taint came from.
    pub fn taint_summary(&self) -> String {
        match self.taint_sources.first() {
            Some(s) if self.taint_sources.len() > 1 => format!(
                "{} {} and {} more",
                s.source,
                s.detail,
                self.taint_sources.len() - 1
            ),
            Some(s) => format!("{} {}", s.source, s.detail),
            None => "untrusted content".to_string(),
        }
    }
}
