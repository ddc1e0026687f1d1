//! The managed policy's `[ceiling]`: what no user, project, flag or live
//! request may widen beyond, and the one subset check that decides it, used
//! both to enforce ([`super::Settings::apply`], the proxy's live gate) and to
//! prove a config before it is deployed (`cordon policy check`).
//!
//! Deterministic: destination patterns against patterns (ports each on their
//! own, presets expanded to their patterns, ranges inside ranges), paths
//! against paths after lexical normalisation; never DNS, never the disk
//! beyond resolving symbolic links of paths that exist.

use super::{HookMode, Item, Place, Sourced};
use crate::config::CeilingSection;
use cordon_net::Pattern;
use std::path::{Component, Path, PathBuf};

/// `[ceiling]`, resolved. `None` for a key: no ceiling on it.
#[derive(Clone, Debug, Default)]
pub struct Ceiling {
    /// As written (patterns and preset names), with their lines.
    pub domains: Option<Vec<Sourced<String>>>,
    /// The same, presets expanded and parsed, on first use (the presets'
    /// patterns cost more to parse than the rest of the file).
    patterns: std::sync::OnceLock<Vec<Pattern>>,
    pub allow_rules: Option<Sourced<bool>>,
    pub allow_degraded: Option<Sourced<bool>>,
    pub allow_write: Option<Vec<Sourced<PathBuf>>>,
    pub allow_read: Option<Vec<Sourced<PathBuf>>>,
    pub live_widening: Option<Sourced<bool>>,
    pub hook_mode: Option<Sourced<HookMode>>,
}

/// One pattern or preset name of `domains`, expanded.
fn expand(entry: &str) -> Result<Vec<Pattern>, String> {
    match cordon_net::presets::find(&entry.trim().to_ascii_lowercase()) {
        Some(p) => p.hosts.iter().map(|h| Pattern::parse(h)).collect(),
        None => Pattern::parse(entry).map(|p| vec![p]),
    }
}

impl Ceiling {
    /// `[ceiling]` as written; `at` gives a span's place, `home` expands `~`.
    pub fn from_section(
        c: CeilingSection,
        at: &dyn Fn(std::ops::Range<usize>) -> Place,
        home: &Path,
    ) -> Result<Ceiling, (Place, String)> {
        let src = |v: crate::config::Str| Sourced {
            place: at(v.span()),
            layer: super::Layer::Managed,
            value: v.into_inner(),
        };
        let flag = |v: Option<toml::Spanned<bool>>| {
            v.map(|b| Sourced {
                place: at(b.span()),
                layer: super::Layer::Managed,
                value: b.into_inner(),
            })
        };
        let paths = |v: Option<Vec<crate::config::Str>>| {
            v.map(|l| {
                l.into_iter()
                    .map(src)
                    .map(|s| Sourced {
                        value: normalise(&home_path(&s.value, home)),
                        layer: s.layer,
                        place: s.place,
                    })
                    .collect::<Vec<_>>()
            })
        };
        let domains: Option<Vec<Sourced<String>>> =
            c.domains.map(|l| l.into_iter().map(src).collect());
        for d in domains.iter().flatten() {
            // A preset's own patterns are valid (a cordon-net test checks them).
            if cordon_net::presets::find(&d.value.trim().to_ascii_lowercase()).is_none() {
                Pattern::parse(&d.value)
                    .map_err(|e| (d.place.clone(), format!("ceiling.domains: {e}")))?;
            }
        }
        Ok(Ceiling {
            domains,
            patterns: Default::default(),
            allow_rules: flag(c.allow_rules),
            allow_degraded: flag(c.allow_degraded),
            allow_write: paths(c.allow_write),
            allow_read: paths(c.allow_read),
            live_widening: flag(c.live_widening),
            hook_mode: c.hook_mode.map(|m| Sourced {
                place: at(m.span()),
                layer: super::Layer::Managed,
                value: m.into_inner(),
            }),
        })
    }

    fn patterns(&self) -> &[Pattern] {
        self.patterns.get_or_init(|| {
            let d = self.domains.iter().flatten();
            d.flat_map(|d| expand(&d.value).unwrap_or_default())
                .collect()
        })
    }

    /// Is a destination pattern (an allow pattern, a forward, an MCP
    /// upstream) inside `domains`? `Err(why)` when not.
    pub fn destination(&self, raw: &str) -> Result<(), String> {
        let Some(d) = &self.domains else {
            return Ok(());
        };
        let p = Pattern::parse(raw)?;
        if p.within(self.patterns()) {
            return Ok(());
        }
        Err(format!(
            "`{}` is outside ceiling.domains ({})",
            raw.trim(),
            list(d)
        ))
    }

    /// Is every host of a name or range (a host map's name, a private
    /// range) inside `domains`, whatever the port?
    fn host(&self, raw: &str) -> Result<(), String> {
        let Some(d) = &self.domains else {
            return Ok(());
        };
        let p = Pattern::parse(raw)?;
        if self.patterns().iter().any(|o| p.host_within(o)) {
            return Ok(());
        }
        Err(format!(
            "`{}` is outside ceiling.domains ({})",
            raw.trim(),
            list(d)
        ))
    }

    /// Why this value goes beyond the ceiling, or `Ok`. `base` is what a
    /// relative path is relative to (the workspace), and paths inside it are
    /// never limited; `home` expands `~`.
    pub fn admits(&self, item: &Item, base: Option<&Path>, home: &Path) -> Result<(), String> {
        let off = |s: &Option<Sourced<bool>>, what: &str| match s {
            Some(v) if !v.value => Err(format!("{what} = false (at {})", v.place)),
            _ => Ok(()),
        };
        match item {
            Item::NetAllow(p) => self.destination(p).or_else(|e| {
                // A forward (`localhost:11434`) may be listed by its address.
                match crate::cmd::netrun::forward(p) {
                    Ok(Some(f)) => self.destination(&f.addr.to_string()).map_err(|_| e),
                    _ => Err(e),
                }
            }),
            Item::Preset(name) => {
                let patterns = expand(name)?;
                for p in &patterns {
                    self.destination(&p.text)
                        .map_err(|e| format!("preset `{name}` includes {e}"))?;
                }
                Ok(())
            }
            Item::AllowPrivate(r) => self.host(r),
            Item::Host(name, _) => self.host(name),
            Item::McpServer(_, s) => s
                .allow_domain
                .iter()
                .try_for_each(|d| self.destination(&d.value)),
            Item::RuleAllow(_) => off(&self.allow_rules, "ceiling.allow_rules"),
            Item::AllowDegraded(_) => off(&self.allow_degraded, "ceiling.allow_degraded"),
            Item::AllowWrite(p) => paths(&self.allow_write, "ceiling.allow_write", p, base, home),
            // Connecting to a socket is writing to it (and to whatever
            // listens there): only where the ceiling lets any layer write.
            Item::AllowUnixSocket(p) => {
                paths(&self.allow_write, "ceiling.allow_write", p, base, home)
            }
            Item::AllowRead(p) => paths(&self.allow_read, "ceiling.allow_read", p, base, home),
            Item::HookMode(HookMode::Monitor) => match &self.hook_mode {
                Some(m) if m.value == HookMode::Enforce => {
                    Err(format!("ceiling.hook_mode is \"enforce\" (at {})", m.place))
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// May `cordon allow-domain` widen a running session, and to this pattern?
    pub fn live(&self, raw: &str) -> Result<(), String> {
        match &self.live_widening {
            Some(v) if !v.value => Err(format!(
                "live widening is off (ceiling.live_widening = false at {})",
                v.place
            )),
            _ => self.destination(raw),
        }
    }

    /// What this ceiling locks, one line each (for `cordon doctor` and
    /// `cordon policy show`).
    pub fn locks(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(d) = &self.domains {
            out.push(format!("destinations only inside: {}", list(d)));
        }
        let flags = [
            (
                &self.allow_rules,
                "user and project allow rules are ignored",
            ),
            (&self.allow_degraded, "--allow-degraded is refused"),
            (&self.live_widening, "`cordon allow-domain` is refused"),
        ];
        for (f, what) in flags {
            if f.as_ref().is_some_and(|v| !v.value) {
                out.push(what.to_string());
            }
        }
        for (l, what) in [
            (&self.allow_write, "writable"),
            (&self.allow_read, "revealed"),
        ] {
            if let Some(l) = l {
                let shown: Vec<String> = l.iter().map(|p| p.value.display().to_string()).collect();
                out.push(format!(
                    "paths outside the workspace made {what} only inside: [{}]",
                    shown.join(", ")
                ));
            }
        }
        if self.hook_mode.as_ref().map(|m| m.value) == Some(HookMode::Enforce) {
            out.push("the hook always enforces (no monitor mode)".into());
        }
        out
    }
}

fn list(d: &[Sourced<String>]) -> String {
    let v: Vec<&str> = d.iter().map(|s| s.value.as_str()).collect();
    format!("[{}]", v.join(", "))
}

/// `~` and `~/x` against `home`.
pub fn home_path(raw: &str, home: &Path) -> PathBuf {
    match raw.strip_prefix('~') {
        Some("") => home.to_path_buf(),
        Some(rest) if rest.starts_with('/') => home.join(&rest[1..]),
        _ => PathBuf::from(raw),
    }
}

/// `a/./b/../c` as `a/c`, without the disk.
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// The path as the sandbox will see it: resolved through symbolic links
/// when it exists (a link in the workspace may point anywhere).
fn real(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| normalise(p))
}

fn paths(
    limit: &Option<Vec<Sourced<PathBuf>>>,
    what: &str,
    raw: &str,
    base: Option<&Path>,
    home: &Path,
) -> Result<(), String> {
    let Some(limit) = limit else {
        return Ok(());
    };
    let p = home_path(raw, home);
    let p = match (p.is_absolute(), base) {
        (true, _) => p,
        (false, Some(b)) => b.join(p),
        (false, None) => return Err(format!("`{raw}` is relative, with no workspace")),
    };
    let p = real(&p);
    if base.is_some_and(|b| p.starts_with(real(b))) {
        return Ok(());
    }
    if limit.iter().any(|l| p.starts_with(&l.value)) {
        return Ok(());
    }
    let shown: Vec<String> = limit
        .iter()
        .map(|l| l.value.display().to_string())
        .collect();
    Err(format!(
        "`{}` is outside the workspace and outside {what} ([{}])",
        p.display(),
        shown.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ceiling(toml: &str) -> Ceiling {
        let c: CeilingSection = toml::from_str(toml).unwrap();
        Ceiling::from_section(c, &|_| Place::Builtin, Path::new("/home/u")).unwrap()
    }

    #[test]
    fn destinations_presets_ranges_and_hosts() {
        let c =
            ceiling(r#"domains = ["*.corp.example", "anthropic", "10.0.0.0/8", "127.0.0.1:8080"]"#);
        let ok = |i: Item| c.admits(&i, None, Path::new("/home/u")).is_ok();
        assert!(ok(Item::NetAllow("*.a.corp.example".into())));
        assert!(ok(Item::NetAllow("git.corp.example:443".into())));
        assert!(!ok(Item::NetAllow("git.corp.example:8443".into())));
        assert!(!ok(Item::NetAllow("*.example".into())));
        assert!(!ok(Item::NetAllow("evil.example".into())));
        assert!(ok(Item::NetAllow("127.0.0.1:8080".into())));
        assert!(!ok(Item::NetAllow("127.0.0.1:9090".into())));
        assert!(ok(Item::Preset("anthropic".into())));
        assert!(!ok(Item::Preset("registries".into())));
        assert!(ok(Item::AllowPrivate("10.1.0.0/16".into())));
        assert!(!ok(Item::AllowPrivate("192.168.0.0/16".into())));
        assert!(ok(Item::Host("db.corp.example".into(), "10.1.2.3".into())));
        assert!(!ok(Item::Host("pypi.org".into(), "10.1.2.3".into())));
        assert!(c.live("a.corp.example").is_ok());
        assert!(c.live("evil.example").is_err());
    }

    #[test]
    fn paths_inside_paths_and_the_workspace() {
        let c = ceiling(r#"allow_write = ["~/.cache", "/opt/build"]"#);
        let ws = Path::new("/nonexistent-ws");
        let ok = |p: &str| {
            c.admits(&Item::AllowWrite(p.into()), Some(ws), Path::new("/home/u"))
                .is_ok()
        };
        assert!(ok("~/.cache/pip"));
        assert!(ok("/home/u/.cache"));
        assert!(ok("/opt/build/x"));
        assert!(ok("target"));
        assert!(ok("/nonexistent-ws/sub"));
        assert!(!ok("/opt/buildx"));
        assert!(!ok("~/.ssh"));
        assert!(!ok("../elsewhere"));
        assert!(!ok("/opt/build/../../etc"));
    }

    #[test]
    fn switches() {
        let c = ceiling(
            "allow_rules = false\nallow_degraded = false\nlive_widening = false\nhook_mode = \"enforce\"",
        );
        let h = Path::new("/h");
        assert!(c
            .admits(&Item::RuleAllow("Bash(ls)".into()), None, h)
            .is_err());
        assert!(c
            .admits(
                &Item::AllowDegraded(super::super::Degradable::Cgroups),
                None,
                h
            )
            .is_err());
        assert!(c
            .admits(&Item::HookMode(HookMode::Monitor), None, h)
            .is_err());
        assert!(c
            .admits(&Item::HookMode(HookMode::Enforce), None, h)
            .is_ok());
        assert!(c.live("a.example").is_err());
        assert!(ceiling("").live("a.example").is_ok());
        assert_eq!(c.locks().len(), 4);
    }
}
