//! The decision engine, the injection screen and the journal, as the hook uses them.
//!
//! A thin layer over `cordon-policy`, `cordon-scan` and `cordon-audit` that
//! turns their answers into what the hook protocol needs (a permission, one
//! line of reasons, the taint an action brings) and keeps per-process costs
//! low: the screen's model is only loaded when a tool's output is screened.

use super::protocol::Permission;
use crate::settings::PolicyBuilder;
use cordon_policy::{Policy, Verdict};
use cordon_scan::{Screen, Thresholds};
use std::cell::OnceCell;

pub use cordon_policy::{Action, Context, SessionState};
pub use cordon_scan::{Level, Verdict as Screened};

/// One decision as the hook needs it.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub verdict: Permission,
    /// Effect classes, kebab-case (`net-send`, `credential`...).
    pub classes: Vec<String>,
    /// Every reason, in words.
    pub reasons: Vec<String>,
    /// One line a person can act on, without the verdict in front.
    pub summary: String,
    /// The action can move data off the machine (or fetch code to run).
    pub egress: bool,
}

/// Rules and thresholds from the config, the screen built on first use.
pub struct Engine {
    policy: Policy,
    thresholds: Thresholds,
    screen: OnceCell<Screen>,
}

impl Engine {
    /// The engine, from the settings layer's one builder.
    pub fn new(b: PolicyBuilder) -> Engine {
        Engine {
            thresholds: b.thresholds(),
            policy: b.into_policy(),
            screen: OnceCell::new(),
        }
    }

    /// Decide one action and count the decision in the session's state.
    /// Whether it ran is only known later (PostToolUse: [`Engine::ran`]), so
    /// neither its taint nor its credential access is recorded here.
    pub fn decide(&self, a: &Action, ctx: &Context, st: &mut SessionState) -> Judgement {
        let d = self.policy.decide(a, ctx, st);
        st.count(&d);
        let verdict = match d.verdict {
            Verdict::Allow => Permission::Allow,
            Verdict::Ask => Permission::Ask,
            Verdict::Deny => Permission::Deny,
        };
        let summary = d.summary();
        let summary = summary
            .strip_prefix(&format!("{}: ", d.verdict.as_str()))
            .unwrap_or(&summary)
            .to_string();
        Judgement {
            verdict,
            egress: d.classes.iter().any(|c| c.is_egress()),
            classes: d.classes.iter().map(|c| c.name().to_string()).collect(),
            reasons: d.reasons.into_iter().map(|r| r.text).collect(),
            summary,
        }
    }

    /// The action ran (Claude Code reports its result): record the
    /// credential access and the taint it brought in, once.
    pub fn ran(&self, a: &Action, ctx: &Context, st: &mut SessionState) {
        let d = self.policy.decide(a, ctx, &SessionState::default());
        st.ran(a, &d);
    }

    /// The untrusted source an action's output comes from, per the engine: (source, detail).
    pub fn taint_of(
        &self,
        a: &Action,
        ctx: &Context,
        st: &SessionState,
    ) -> Option<(String, String)> {
        self.policy
            .decide(a, ctx, st)
            .taint
            .map(|t| (t.source, t.detail))
    }

    /// Screen a tool's output for injected instructions.
    pub fn screen(&self, text: &str) -> Screened {
        self.screen
            .get_or_init(|| Screen::new(self.thresholds))
            .screen(text)
    }
}

/// Mark the session tainted.
pub fn taint(st: &mut SessionState, source: &str, detail: &str) {
    st.taint(source, detail);
}

pub fn is_tainted(st: &SessionState) -> bool {
    st.is_tainted()
}

/// Where the session's taint came from, in a few words.
pub fn taint_summary(st: &SessionState) -> String {
    st.taint_summary()
}

/// The audit journal, as the hook uses it: errors are (what happened, how to fix it).
pub struct Journal(cordon_audit::Journal);

impl Journal {
    pub fn open(dir: &std::path::Path) -> Result<Journal, (String, String)> {
        cordon_audit::Journal::open_short_lived(dir)
            .map(Journal)
            .map_err(|e| (e.what, e.fix))
    }
    pub fn append(&self, ev: &cordon_event::Event) -> Result<(), (String, String)> {
        self.0.append(ev).map(|_| ()).map_err(|e| (e.what, e.fix))
    }
}
