//! Environment scrubbing: only an allowlist of harmless variables passes.
//!
//! ```
//! use cordon_sandbox::env::scrub;
//! let host = vec![("PATH".into(), "/bin".into()), ("GITHUB_TOKEN".into(), "x".into())];
//! let out = scrub(&host, &[]);
//! assert_eq!(out.kept, vec![("PATH".to_string(), "/bin".to_string())]);
//! assert_eq!(out.dropped, vec!["GITHUB_TOKEN".to_string()]);
//! ```
use crate::tables::{glob_match, ENV_ALLOW, ENV_SECRET};

/// The result of scrubbing: what passes and the names that were dropped.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scrubbed {
    pub kept: Vec<(String, String)>,
    pub dropped: Vec<String>,
}

/// Is this name one that looks like a secret?
pub fn looks_secret(name: &str) -> bool {
    // Names are matched upper-cased; most already are, so avoid the copy then.
    if name.bytes().any(|b| b.is_ascii_lowercase()) {
        let up = name.to_ascii_uppercase();
        ENV_SECRET.iter().any(|p| glob_match(p, &up))
    } else {
        ENV_SECRET.iter().any(|p| glob_match(p, name))
    }
}

fn allowed_by_default(name: &str) -> bool {
    ENV_ALLOW.iter().any(|p| glob_match(p, name)) && !looks_secret(name)
}

/// Scrub `host` (name, value pairs). `extra` are the user's `--env` entries:
/// `NAME` passes the host's value (even if it looks secret: the user named it),
/// `NAME=VALUE` sets it.
pub fn scrub(host: &[(String, String)], extra: &[String]) -> Scrubbed {
    let mut kept: Vec<(String, String)> = Vec::new();
    let mut dropped = Vec::new();
    let named: Vec<&str> = extra
        .iter()
        .filter(|e| !e.contains('='))
        .map(|s| s.as_str())
        .collect();
    for (k, v) in host {
        if allowed_by_default(k) || named.contains(&k.as_str()) {
            kept.push((k.clone(), v.clone()));
        } else {
            dropped.push(k.clone());
        }
    }
    for e in extra {
        if let Some((k, v)) = e.split_once('=') {
            kept.retain(|(n, _)| n != k);
            kept.push((k.to_string(), v.to_string()));
        }
    }
    dropped.sort();
    Scrubbed { kept, dropped }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn secrets_never_pass_by_default() {
        let host = h(&[
            ("PATH", "/bin"),
            ("LC_ALL", "C"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("ANTHROPIC_API_KEY", "x"),
            ("MY_TOKEN", "x"),
            ("LC_TOKEN", "sneaky"),
            ("RANDOM_THING", "x"),
        ]);
        let s = scrub(&host, &[]);
        let names: Vec<_> = s.kept.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["PATH", "LC_ALL"]);
        assert!(s.dropped.contains(&"LC_TOKEN".to_string()));
    }

    #[test]
    fn named_variables_pass() {
        let host = h(&[("ANTHROPIC_API_KEY", "k"), ("HOME", "/h")]);
        let s = scrub(
            &host,
            &[
                "ANTHROPIC_API_KEY".into(),
                "FOO=bar".into(),
                "HOME=/x".into(),
            ],
        );
        assert!(s.kept.contains(&("ANTHROPIC_API_KEY".into(), "k".into())));
        assert!(s.kept.contains(&("FOO".into(), "bar".into())));
        assert!(s.kept.contains(&("HOME".into(), "/x".into())));
        assert!(!s.kept.contains(&("HOME".into(), "/h".into())));
    }
}
