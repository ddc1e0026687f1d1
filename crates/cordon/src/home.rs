//! cordon's homes: where what a sandboxed command writes under `$HOME` is
//! kept from run to run, never on the host.
//!
//! ```text
//! <data dir>/home/<name>/upper   the overlay's upper layer (the agent's writes, whiteouts)
//! <data dir>/home/<name>/work    overlayfs's work directory
//! <data dir>/home/<name>/lock    flock held by the run using it; names that run
//! ```
//!
//! After each run, what it left in the upper layer at a place that would
//! run or instruct a later session (shell start-up files, agent hooks,
//! settings, memory and MCP servers, git and ssh config) is moved out to
//! `<data dir>/quarantine/<session>-home/` and reported: it is never carried
//! silently into the next run.
use crate::exit::Failure;
use cordon_sandbox::home::{HomeLayer, HomeOverlay};
use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

/// The home used when `--home` is not given.
pub const DEFAULT: &str = "default";

pub use cordon_catalog::{HomeWatch as Watch, HOME_POINTS};

/// Is `name` usable as a home's name (one plain path component)?
pub fn check_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "--home {name:?}: a home's name is letters, digits, '.', '_' and '-' (not starting with '.')"
        )))
    }
}

/// `<data dir>/home/<name>`.
pub fn dir(name: &str) -> PathBuf {
    crate::paths::data_dir().join("home").join(name)
}

/// The host's home, canonical, if there is one to overlay.
pub fn host_home() -> Option<PathBuf> {
    let h = crate::config::home_dir().and_then(|h| std::fs::canonicalize(h).ok())?;
    (h.is_dir() && h != Path::new("/")).then_some(h)
}

/// A home taken by one run (or by `cordon home reset`) until dropped.
pub struct Lock {
    _file: std::fs::File,
}

/// Take `dir`'s lock without waiting. `Err(Some(owner))` names the holder.
pub fn lock(dir: &Path, owner: &str) -> Result<Lock, Option<String>> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join("lock"))
        .map_err(|_| None)?;
    if rustix::fs::flock(f.as_fd(), FlockOperation::NonBlockingLockExclusive).is_err() {
        let mut s = String::new();
        let _ = f.read_to_string(&mut s);
        return Err(Some(s.trim().to_string()));
    }
    // Overwritten in place, padded to a fixed width: no truncation (a
    // journaled metadata change on every run), and a reader trims it.
    let _ = std::os::unix::fs::FileExt::write_all_at(&f, format!("{owner:<120}").as_bytes(), 0);
    Ok(Lock { _file: f })
}

fn mkdir_private(p: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(p)
}

/// The home of one run: the overlay to mount and the lock held meanwhile.
pub struct RunHome {
    pub overlay: Option<HomeOverlay>,
    /// The persistent home's name (`None`: `--home-tmp` or no home).
    pub name: Option<String>,
    _lock: Option<Lock>,
}

impl RunHome {
    /// Choose and take the run's home. A home in use by another run is a
    /// refusal naming it; nothing is shared silently.
    pub fn take(name: Option<&str>, tmp: bool, session: &str) -> Result<RunHome, Failure> {
        let Some(home) = host_home() else {
            return Ok(RunHome {
                overlay: None,
                name: None,
                _lock: None,
            });
        };
        if tmp {
            return Ok(RunHome {
                overlay: Some(HomeOverlay {
                    home,
                    layer: HomeLayer::Tmp,
                }),
                name: None,
                _lock: None,
            });
        }
        let name = name.unwrap_or(DEFAULT);
        check_name(name)?;
        let d = dir(name);
        let (upper, work) = (d.join("upper"), d.join("work"));
        for p in [&upper, &work] {
            mkdir_private(p).map_err(|e| {
                Failure::refuse(format!("cannot create {}: {e}", p.display()))
                    .hint("make cordon's data directory writable or set CORDON_DATA_DIR; to run anyway, \
                           --home-tmp (a throwaway home), and --no-journal if the journal cannot be written either")
            })?;
        }
        let owner = format!("run {session} (pid {})", std::process::id());
        let lock = lock(&d, &owner).map_err(|holder| in_use(name, holder))?;
        Ok(RunHome {
            overlay: Some(HomeOverlay {
                home,
                layer: HomeLayer::Persistent { upper, work },
            }),
            name: Some(name.to_string()),
            _lock: Some(lock),
        })
    }

    /// The upper layer must be hidden inside (else the command could read
    /// and edit it beside the overlay): refuse if the plan does not cover it.
    pub fn check_hidden(&self, hidden: &[PathBuf]) -> Result<(), Failure> {
        let Some(HomeOverlay {
            layer: HomeLayer::Persistent { upper, .. },
            ..
        }) = &self.overlay
        else {
            return Ok(());
        };
        let c = std::fs::canonicalize(upper).unwrap_or_else(|_| upper.clone());
        if hidden.iter().any(|h| c.starts_with(h)) {
            return Ok(());
        }
        Err(Failure::refuse(format!(
            "cordon's home {} would be visible inside the sandbox",
            upper.display()
        ))
        .hint("do not un-hide cordon's data directory with --allow-read"))
    }

    /// After the run (the sandbox gone, the lock still held): move what it
    /// left at catalogued places out of the upper layer.
    pub fn sweep(&self, session: &str) -> Result<Vec<Moved>, Failure> {
        let (Some(o), Some(_)) = (&self.overlay, &self.name) else {
            return Ok(Vec::new());
        };
        let HomeLayer::Persistent { upper, .. } = &o.layer else {
            return Ok(Vec::new());
        };
        let store = crate::paths::data_dir()
            .join("quarantine")
            .join(format!("{session}-home"));
        sweep(upper, &o.home, &store, session).map_err(|e| {
            Failure::refuse(format!(
                "could not move a persistence point out of cordon's home {}: {e}",
                upper.display()
            ))
            .hint("inspect it with `cordon home show`, or clear it with `cordon home reset`")
        })
    }
}

/// The refusal when another run holds a home.
pub fn in_use(name: &str, holder: Option<String>) -> Failure {
    let who = holder
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "another cordon process".into());
    Failure::refuse(format!("cordon home '{name}' is in use by {who}")).hint(
        "wait for it, pass --home NAME for a separate home, or --home-tmp for a throwaway one for this run",
    )
}

/// One entry moved out of a home's upper layer.
#[derive(Debug, Clone)]
pub struct Moved {
    /// Relative to `$HOME`.
    pub rel: PathBuf,
    pub why: &'static str,
    pub to: PathBuf,
    /// A whiteout: the run deleted the host's entry.
    pub deleted: bool,
}

/// The same manifest shape as the workspace quarantine (`cordon quarantine`):
/// `root` is the upper layer, where a restore puts an item back.
#[derive(serde::Serialize)]
struct Manifest<'a> {
    session: &'a str,
    workspace: &'a Path,
    time_ms: u64,
    items: Vec<Item>,
}

#[derive(serde::Serialize)]
struct Item {
    id: u32,
    path: PathBuf,
    kind: &'static str,
    size: u64,
    why: String,
    restored: bool,
    root: PathBuf,
}

/// Where the catalogued path `rel` has an entry in the upper layer: the
/// first component that is not a plain directory (a symlink there would
/// redirect the rest), or the path itself. Never follows a symlink.
fn find(upper: &OwnedFd, rel: &str) -> std::io::Result<Option<(OwnedFd, String, usize, bool)>> {
    let comps: Vec<&str> = rel.split('/').collect();
    let mut fd = rustix::io::fcntl_dupfd_cloexec(upper, 0)?;
    for (i, c) in comps.iter().enumerate() {
        let st = match rustix::fs::statat(&fd, *c, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let ft = FileType::from_raw_mode(st.st_mode);
        let last = i + 1 == comps.len();
        if last || ft != FileType::Directory {
            let whiteout = ft == FileType::CharacterDevice && st.st_rdev == 0;
            return Ok(Some((fd, c.to_string(), i + 1, whiteout)));
        }
        fd = rustix::fs::openat(
            &fd,
            *c,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
    }
    Ok(None)
}

/// The non-empty values of `keys` anywhere in `v`, by JSON path.
fn risky(v: &serde_json::Value, keys: &[&str], at: &str, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let here = format!("{at}/{k}");
                let empty = matches!(x, serde_json::Value::Null | serde_json::Value::Bool(false))
                    || x.as_object().is_some_and(|o| o.is_empty())
                    || x.as_array().is_some_and(|a| a.is_empty());
                if keys.contains(&k.as_str()) && !empty {
                    out.push((here.clone(), x.to_string()));
                }
                risky(x, keys, &here, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                risky(x, keys, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn risky_of(text: &[u8], keys: &[&str]) -> Option<Vec<(String, String)>> {
    let v: serde_json::Value = serde_json::from_slice(text).ok()?;
    let mut out = Vec::new();
    risky(&v, keys, "", &mut out);
    out.sort();
    Some(out)
}

/// Did the upper layer's JSON file change any of `keys` from the host's?
fn json_changed(dir: &OwnedFd, name: &str, host: &Path, keys: &[&str]) -> bool {
    let read = || -> std::io::Result<Vec<u8>> {
        let fd = rustix::fs::openat(
            dir,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut v = Vec::new();
        std::fs::File::from(fd).read_to_end(&mut v)?;
        Ok(v)
    };
    let Some(new) = read().ok().and_then(|t| risky_of(&t, keys)) else {
        return true; // unreadable or not JSON: it counts
    };
    let old = std::fs::read(host)
        .ok()
        .and_then(|t| risky_of(&t, keys))
        .unwrap_or_default();
    new != old
}

fn size_of(p: &Path) -> u64 {
    let Ok(m) = p.symlink_metadata() else {
        return 0;
    };
    if !m.is_dir() {
        return m.len();
    }
    std::fs::read_dir(p)
        .map(|rd| rd.flatten().map(|e| size_of(&e.path())).sum())
        .unwrap_or(0)
}

/// Move every catalogued entry of `upper` into `store/items/`, write
/// `store/manifest.json`. The sandbox is gone and the home's lock is held,
/// so nothing changes the upper layer meanwhile.
pub fn sweep(
    upper: &Path,
    home: &Path,
    store: &Path,
    session: &str,
) -> std::io::Result<Vec<Moved>> {
    let up = rustix::fs::open(
        upper,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let items_dir = store.join("items");
    let mut moved = Vec::new();
    let mut items = Vec::new();
    for (rel, watch, why) in HOME_POINTS {
        let Some((dir, name, depth, whiteout)) = find(&up, rel)? else {
            continue;
        };
        let full = depth == rel.split('/').count();
        if let (Watch::JsonKeys(keys), true, false) = (watch, full, whiteout) {
            if !json_changed(&dir, &name, &home.join(rel), keys) {
                continue;
            }
        }
        let at: PathBuf = rel.split('/').take(depth).collect();
        let size = size_of(&upper.join(&at));
        mkdir_private(&items_dir)?;
        let id = items.len() as u32 + 1;
        let dst = items_dir.join(id.to_string());
        let st = rustix::fs::statat(&dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW)?;
        let kind = match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => "file",
            FileType::Directory => "dir",
            FileType::Symlink => "symlink",
            _ => "other",
        };
        rustix::fs::renameat(&dir, name.as_str(), rustix::fs::CWD, &dst)?;
        items.push(Item {
            id,
            path: at.clone(),
            kind,
            size,
            why: why.to_string(),
            restored: false,
            root: upper.to_path_buf(),
        });
        moved.push(Moved {
            rel: at,
            why,
            to: dst,
            deleted: whiteout,
        });
    }
    if !items.is_empty() {
        let m = Manifest {
            session,
            workspace: home,
            time_ms: cordon_event::now_ns() / 1_000_000,
            items,
        };
        let text = serde_json::to_vec_pretty(&m).map_err(std::io::Error::other)?;
        std::fs::write(store.join("manifest.json"), text)?;
    }
    Ok(moved)
}

/// What differs from the host in a home's upper layer, by top-level entry:
/// (name, files, bytes, deleted entries).
pub fn summary(upper: &Path) -> Vec<(String, u64, u64, u64)> {
    fn walk(p: &Path, acc: &mut (u64, u64, u64)) {
        let Ok(m) = p.symlink_metadata() else { return };
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        if m.file_type().is_char_device() && m.rdev() == 0 {
            acc.2 += 1;
        } else if m.is_dir() {
            for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
                walk(&e.path(), acc);
            }
        } else {
            acc.0 += 1;
            acc.1 += m.len();
        }
    }
    let mut out: Vec<(String, u64, u64, u64)> = std::fs::read_dir(upper)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let mut acc = (0, 0, 0);
            walk(&e.path(), &mut acc);
            (
                e.file_name().to_string_lossy().into_owned(),
                acc.0,
                acc.1,
                acc.2,
            )
        })
        .collect();
    out.sort();
    out
}

/// Remove a directory tree, making its directories searchable first
/// (overlayfs leaves a mode-000 directory in its work dir).
pub fn remove_tree(p: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fn open_up(p: &Path) {
        let Ok(m) = p.symlink_metadata() else { return };
        if m.is_dir() {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700));
            for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
                open_up(&e.path());
            }
        }
    }
    if p.symlink_metadata().is_err() {
        return Ok(());
    }
    open_up(p);
    std::fs::remove_dir_all(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("default").is_ok());
        assert!(check_name("work-2").is_ok());
        for bad in ["", "..", ".x", "a/b", "a b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn claude_json_keys() {
        let k = cordon_catalog::CLAUDE_JSON_KEYS;
        let a = br#"{"numStartups":1,"projects":{"/p":{"mcpServers":{},"allowedTools":[]}}}"#;
        let b = br#"{"numStartups":9,"projects":{"/p":{"mcpServers":{}}},"x":2}"#;
        assert_eq!(risky_of(a, k), risky_of(b, k));
        let c = br#"{"projects":{"/p":{"mcpServers":{"s":{"command":"sh"}}}}}"#;
        assert_ne!(risky_of(a, k), risky_of(c, k));
        let d = br#"{"hooks":{"Stop":[1]}}"#;
        assert_ne!(risky_of(a, k), risky_of(d, k));
        assert!(risky_of(b"{not json", k).is_none());
    }

    #[test]
    fn sweep_moves_points_and_keeps_state() {
        let t = tempfile::tempdir().unwrap();
        let (upper, home, store) = (t.path().join("u"), t.path().join("h"), t.path().join("q"));
        std::fs::create_dir_all(upper.join(".cache")).unwrap();
        std::fs::create_dir_all(upper.join(".claude")).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(upper.join(".cache/x"), "x").unwrap();
        std::fs::write(upper.join(".bashrc"), "evil").unwrap();
        std::fs::write(upper.join(".claude/CLAUDE.md"), "obey").unwrap();
        std::fs::write(upper.join(".claude/state"), "s").unwrap();
        std::fs::write(upper.join(".claude.json"), r#"{"numStartups":2}"#).unwrap();
        std::fs::write(home.join(".claude.json"), r#"{"numStartups":1}"#).unwrap();
        // A symlinked directory in the upper layer is moved itself, never followed.
        std::os::unix::fs::symlink(&home, upper.join(".codex")).unwrap();
        std::fs::write(home.join("config.toml"), "host").unwrap();
        let m = sweep(&upper, &home, &store, "s1").unwrap();
        let rels: Vec<_> = m.iter().map(|m| m.rel.display().to_string()).collect();
        assert_eq!(rels, [".bashrc", ".claude/CLAUDE.md", ".codex"], "{rels:?}");
        assert!(upper.join(".cache/x").exists());
        assert!(upper.join(".claude/state").exists());
        assert!(upper.join(".claude.json").exists());
        assert!(home.join("config.toml").exists());
        assert!(store.join("manifest.json").exists());
        // A changed MCP server moves ~/.claude.json out.
        std::fs::write(
            upper.join(".claude.json"),
            r#"{"mcpServers":{"x":{"command":"sh"}}}"#,
        )
        .unwrap();
        let m = sweep(&upper, &home, &t.path().join("q2"), "s2").unwrap();
        assert_eq!(m.len(), 1);
        assert!(!upper.join(".claude.json").exists());
    }
}
