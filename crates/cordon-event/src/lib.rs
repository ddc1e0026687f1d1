//! The one event type that every cordon component sends to the audit journal.
//!
//! The sandbox, the egress proxy, the decision engine, the agent adapters and the
//! MCP gateway all describe what happened as an [`Event`]; the journal
//! (`cordon-audit`) stores events without knowing how they were produced.
//!
//! ```
//! use cordon_event::{Event, Source};
//! let ev = Event::new(Source::Proxy, "net.connect", "sess-1")
//!     .with(serde_json::json!({"host": "crates.io", "port": 443, "decision": "allow"}));
//! assert_eq!(ev.kind, "net.connect");
//! assert!(ev.time_ns > 0);
//! ```
//!
//! Components that must stay pure (the decision engine has no clock) return
//! their results and let the caller wrap them in an event.

use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Which component produced an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `cordon run`'s containment: start, exit, violations, quarantined files.
    Sandbox,
    /// The egress proxy: every connection attempt and its decision.
    Proxy,
    /// The decision engine (`cordon check`, adapters): allow / ask / deny with reasons.
    Policy,
    /// Agent adapters such as `cordon hook claude`.
    Hook,
    /// The MCP gateway.
    Mcp,
    /// The injection screen.
    Scan,
    /// The command line itself (policy changes such as `cordon allow-domain`).
    Cli,
}

impl Source {
    /// The lowercase name used in the journal and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Sandbox => "sandbox",
            Source::Proxy => "proxy",
            Source::Policy => "policy",
            Source::Hook => "hook",
            Source::Mcp => "mcp",
            Source::Scan => "scan",
            Source::Cli => "cli",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing that happened, as the journal records it.
///
/// `kind` is a dotted name, `<area>.<what>`: `sandbox.start`, `sandbox.exit`,
/// `net.connect`, `policy.decision`, `hook.pre_tool_use`, `scan.flagged`, ...
/// `payload` is free-form JSON owned by the producing component; keep it flat
/// and use the same field names for the same things (`decision`, `reasons`,
/// `host`, `port`, `command`, `path`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Wall-clock time in nanoseconds since the Unix epoch.
    pub time_ns: u64,
    /// The session this event belongs to (a `cordon run`, an agent session id).
    pub session: String,
    pub source: Source,
    pub kind: String,
    pub payload: serde_json::Value,
}

impl Event {
    /// A new event stamped with the current time and an empty payload.
    pub fn new(source: Source, kind: impl Into<String>, session: impl Into<String>) -> Self {
        Event {
            time_ns: now_ns(),
            session: session.into(),
            source,
            kind: kind.into(),
            payload: serde_json::Value::Object(Default::default()),
        }
    }

    /// Replace the payload.
    pub fn with(mut self, payload: serde_json::Value) -> Self {
        self.payload = payload;
        self
    }
}

/// Nanoseconds since the Unix epoch (0 if the clock is before 1970).
pub fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Where components send events. The journal implements it; tests collect.
pub trait EventSink: Send + Sync {
    /// Record an event. Errors are the sink's to report: a sink that cannot
    /// record must say so loudly (the caller decides whether to stop).
    fn emit(&self, event: Event);
}

/// A sink that keeps events in memory (tests, and buffering before the journal opens).
#[derive(Debug, Default, Clone)]
pub struct MemorySink {
    events: Arc<Mutex<Vec<Event>>>,
}

impl MemorySink {
    pub fn new() -> Self {
        Self::default()
    }
    /// A copy of everything emitted so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl EventSink for MemorySink {
    fn emit(&self, event: Event) {
        if let Ok(mut e) = self.events.lock() {
            e.push(event);
        }
    }
}

/// A sink that drops everything (for commands run with journaling explicitly off).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _event: Event) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrips_through_json() {
        let ev =
            Event::new(Source::Sandbox, "sandbox.exit", "s1").with(serde_json::json!({"code": 3}));
        let s = serde_json::to_string(&ev).unwrap();
        assert!(s.contains("\"source\":\"sandbox\""));
        let back: Event = serde_json::from_str(&s).unwrap();
        assert_eq!(back, ev);
    }

    #[test]
    fn memory_sink_keeps_order() {
        let sink = MemorySink::new();
        for i in 0..3 {
            sink.emit(Event::new(Source::Policy, format!("k{i}"), "s"));
        }
        let kinds: Vec<_> = sink.events().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["k0", "k1", "k2"]);
    }
}
