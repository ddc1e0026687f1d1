//! TEMPORARY stand-ins for cordon-policy / cordon-scan / cordon-audit until they land.
#![allow(dead_code)]
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Bash {
        command: String,
    },
    Read {
        path: PathBuf,
    },
    Write {
        path: PathBuf,
    },
    Edit {
        path: PathBuf,
    },
    WebFetch {
        url: String,
    },
    WebSearch {
        query: String,
    },
    Mcp {
        server: String,
        tool: String,
        arguments: serde_json::Value,
    },
    Net {
        host: String,
        port: u16,
    },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionState {
    pub taint: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Context {
    pub cwd: PathBuf,
    pub workspace: PathBuf,
    pub home: Option<PathBuf>,
    pub sandboxed: bool,
    pub allowed_domains: Vec<String>,
}

use super::protocol::Permission;

/// One decision as the hook needs it.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub verdict: Permission,
    pub classes: Vec<String>,
    pub reasons: Vec<String>,
    /// One line a person can act on.
    pub summary: String,
    /// The action can move data off the machine or fetch from it.
    pub network: bool,
}

pub struct Engine {}

impl Engine {
    pub fn new(_cfg: &crate::config::Config) -> Result<Engine, String> {
        Ok(Engine {})
    }
    pub fn decide(&self, a: &Action, _ctx: &Context, _st: &mut SessionState) -> Judgement {
        Judgement {
            verdict: Permission::Ask,
            classes: vec![],
            reasons: vec![format!("{a:?}: decision engine not built")],
            summary: "decision engine not built".into(),
            network: false,
        }
    }
    pub fn touches_network(&self, _a: &Action, _ctx: &Context) -> bool {
        false
    }
    pub fn screen(&self, _text: &str) -> Screened {
        Screened {
            level: Level::Clean,
            score: 0.0,
            findings: vec![],
        }
    }
}

pub fn taint(st: &mut SessionState, source: &str, detail: &str) {
    st.taint.push((source.into(), detail.into()));
}
pub fn is_tainted(st: &SessionState) -> bool {
    !st.taint.is_empty()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Clean,
    Suspicious,
    Injected,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub excerpt: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Screened {
    pub level: Level,
    pub score: f64,
    pub findings: Vec<Finding>,
}

/// The audit journal, as the hook uses it: errors are (what happened, how to fix it).
pub struct Journal(cordon_audit::Journal);

impl Journal {
    pub fn open(dir: &std::path::Path) -> Result<Journal, (String, String)> {
        cordon_audit::Journal::open(dir)
            .map(Journal)
            .map_err(|e| (e.what, e.fix))
    }
    pub fn append(&self, ev: &cordon_event::Event) -> Result<(), (String, String)> {
        self.0.append(ev).map(|_| ()).map_err(|e| (e.what, e.fix))
    }
}
