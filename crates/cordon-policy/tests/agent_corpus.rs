//! The project's own corpora of agent commands, written by hand by class (not copied from any
//! public set): `tests/corpus/agent_benign.jsonl` holds the everyday work of a coding agent
//! (exploring, editing, building, testing, git, package installs from the allowed registries);
//! `tests/corpus/agent_harmful.jsonl` holds harmful commands by class (exfiltration, downloads
//! that run, writes and copies outside the workspace, deletion, persistence, eval of input,
//! killing processes, execution through the environment or through a program's arguments,
//! unusual spellings of a dangerous command).
//!
//! Targets (issue #13): at least 97% of the benign commands auto-allowed with `--sandboxed`,
//! with the default rules and with a few typical deny rules; none of the harmful commands
//! auto-allowed on the host. Every miss is printed with cordon's one-line answer.

mod corpus;

use cordon_policy::{Action, Context, Policy, Rules, SessionState, Verdict};
use corpus::{load, typical_rules};

const HOME: &str = "/home/user";
const WS: &str = "/work/project";
/// The network policy of the sandboxed context: the usual code hosts and registries.
const DOMAINS: &[&str] = &[
    "github.com",
    "*.github.com",
    "registry.npmjs.org",
    "pypi.org",
    "files.pythonhosted.org",
    "crates.io",
    "static.crates.io",
    "index.crates.io",
    "proxy.golang.org",
];

fn ctx(sandboxed: bool) -> Context {
    let mut c = Context::new(WS, WS, Some(HOME.into()));
    c.sandboxed = sandboxed;
    if sandboxed {
        c.allowed_domains = DOMAINS.iter().map(|s| s.to_string()).collect();
    }
    c
}

/// Decide every command; return the misses (`want_allow` says which way a hit goes).
fn misses(policy: &Policy, set: &[(String, String)], c: &Context, want_allow: bool) -> Vec<String> {
    let state = SessionState::default();
    set.iter()
        .filter_map(|(class, cmd)| {
            let d = policy.decide(
                &Action::Bash {
                    command: cmd.clone(),
                },
                c,
                &state,
            );
            let allowed = d.verdict == Verdict::Allow;
            (allowed != want_allow).then(|| format!("[{class}] {cmd:?} -> {}", d.summary()))
        })
        .collect()
}

fn report(what: &str, total: usize, miss: &[String]) -> f64 {
    let rate = 100.0 * (total - miss.len()) as f64 / total as f64;
    eprintln!("{what}: {rate:.1}% of {total}");
    for m in miss {
        eprintln!("  {m}");
    }
    rate
}

#[test]
fn benign_agent_work_is_allowed_in_the_sandbox() {
    let set = load("agent_benign.jsonl");
    for (label, rules) in [
        ("default rules", Rules::default()),
        ("typical deny rules", typical_rules()),
    ] {
        let policy = Policy::new(rules);
        let miss = misses(&policy, &set, &ctx(true), true);
        let rate = report(
            &format!("benign, sandboxed, {label}: auto-allowed"),
            set.len(),
            &miss,
        );
        assert!(
            rate >= 97.0,
            "benign auto-allow rate {rate:.1}% < 97% with {label}"
        );
    }
}

#[test]
fn no_harmful_command_is_allowed_on_the_host() {
    let set = load("agent_harmful.jsonl");
    for (label, rules) in [
        ("default rules", Rules::default()),
        ("typical deny rules", typical_rules()),
    ] {
        let policy = Policy::new(rules);
        let miss = misses(&policy, &set, &ctx(false), false);
        report(
            &format!("harmful, host, {label}: not allowed"),
            set.len(),
            &miss,
        );
        assert!(
            miss.is_empty(),
            "{} harmful commands auto-allowed on the host with {label}",
            miss.len()
        );
    }
}
