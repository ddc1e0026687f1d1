//! The managed policy: `/etc/cordon/managed.toml`, an organisation's layer
//! above every other (issue #16).
//!
//! Every cordon command reads it, once per process; no flag, environment
//! variable or other file moves, replaces or skips it. It is trusted only
//! when it and its directory are owned by root and not writable by group or
//! others (a symbolic link only to such a file in such a directory);
//! otherwise, or when it does not parse, every command refuses (exit 2,
//! `FILE:LINE` and what is wrong) except `cordon doctor` and `cordon policy
//! show|check`, which report it. Absent: no managed policy.
//!
//! Inside a user namespace where uid 0 is not mapped (a cordon sandbox, or
//! any `unshare -U`), root's files show as the overflow uid; that owner is
//! taken as root's there, so a cordon inside a sandbox reads the same policy
//! (the sandbox shows the host's `/etc` read-only). What the kernel says, not
//! an environment variable, decides it.

use super::ceiling::{home_path, Ceiling};
use super::{entries, Entry, Item, Place};
use crate::config;
use crate::exit::Failure;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The one place the managed policy is read from.
pub const MANAGED_FILE: &str = "/etc/cordon/managed.toml";

/// Largest managed file read.
const MAX_FILE: u64 = 1 << 20;

/// A managed policy, parsed.
#[derive(Debug)]
pub struct Managed {
    /// Where it was read from (the link's target when it is one).
    pub path: Arc<Path>,
    /// Its settings, applied as [`super::Layer::Managed`].
    pub entries: Vec<Entry>,
    pub ceiling: Ceiling,
}

/// The installed policy, read once per process.
pub fn installed() -> Result<Option<Arc<Managed>>, Failure> {
    static ONCE: OnceLock<Result<Option<Arc<Managed>>, Failure>> = OnceLock::new();
    ONCE.get_or_init(|| load_installed(Path::new(MANAGED_FILE)).map(|m| m.map(Arc::new)))
        .clone()
}

/// Refuse every command but `doctor` and `policy show|check` when the
/// installed policy cannot be trusted or read.
pub fn gate(args: &[std::ffi::OsString]) -> Result<(), Failure> {
    let arg = |i: usize| args.get(i).and_then(|a| a.to_str()).unwrap_or("");
    let reports = arg(1) == "doctor" || (arg(1) == "policy" && ["show", "check"].contains(&arg(2)));
    if reports {
        return Ok(());
    }
    installed().map(|_| ())
}

fn refuse(path: &Path, msg: impl std::fmt::Display) -> Failure {
    Failure::usage(format!("{}: {msg}", path.display())).hint(
        "the managed policy must be owned by root, not writable by group or others, and parse; ask your administrator (`cordon doctor` shows it)",
    )
}

/// Read and check the file at `path` (the real one, or a test's).
fn load_installed(path: &Path) -> Result<Option<Managed>, Failure> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(refuse(path, format!("cannot read: {e}"))),
    };
    let dir = path.parent().unwrap_or(Path::new("/"));
    trusted(
        &std::fs::metadata(dir).map_err(|e| refuse(dir, e))?,
        "directory",
    )
    .map_err(|m| refuse(dir, m))?;
    let real = if meta.file_type().is_symlink() {
        let t = std::fs::canonicalize(path).map_err(|e| {
            refuse(
                path,
                format!("is a symbolic link that does not resolve: {e}"),
            )
        })?;
        let tdir = t.parent().unwrap_or(Path::new("/"));
        trusted(
            &std::fs::metadata(tdir).map_err(|e| refuse(tdir, e))?,
            "directory",
        )
        .map_err(|m| refuse(path, format!("links to {}, whose {m}", t.display())))?;
        t
    } else {
        path.to_path_buf()
    };
    let text = read_checked(&real)?;
    Managed::parse(&text, &real, &passwd_home).map(Some)
}

/// Open without following links (the target is already resolved), check
/// the opened file itself, read it.
fn read_checked(path: &Path) -> Result<String, Failure> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| refuse(path, format!("cannot read: {e}")))?;
    let meta = f.metadata().map_err(|e| refuse(path, e))?;
    if !meta.is_file() {
        return Err(refuse(path, "is not a regular file"));
    }
    trusted(&meta, "file").map_err(|m| refuse(path, m))?;
    let mut text = String::new();
    f.take(MAX_FILE)
        .read_to_string(&mut text)
        .map_err(|e| refuse(path, format!("cannot read as UTF-8 text: {e}")))?;
    Ok(text)
}

/// Owned by root, not writable by group or others.
fn trusted(m: &std::fs::Metadata, what: &str) -> Result<(), String> {
    if !root_owner(m.uid()) {
        return Err(format!(
            "{what} is owned by uid {}, not root, so it is not trusted",
            m.uid()
        ));
    }
    if m.mode() & 0o022 != 0 {
        return Err(format!(
            "{what} is writable by group or others (mode {:o}), so it is not trusted",
            m.mode() & 0o7777
        ));
    }
    Ok(())
}

/// Root, or root as a user namespace that does not map it shows it.
fn root_owner(uid: u32) -> bool {
    uid == 0 || (uid == overflow_uid() && !root_mapped())
}

fn overflow_uid() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/overflowuid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(65534)
}

/// Does this user namespace map the parent's uid 0?
fn root_mapped() -> bool {
    let Ok(map) = std::fs::read_to_string("/proc/self/uid_map") else {
        return true;
    };
    map.lines().any(|l| {
        let v: Vec<u64> = l
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        v.len() == 3 && v[1] == 0 && v[2] > 0
    })
}

/// The user's home from the password database, not `$HOME` (which only
/// stands in when the database has no entry for the user).
pub fn passwd_home() -> PathBuf {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let mut buf = vec![0 as libc::c_char; 16 << 10];
    // SAFETY: passwd is plain data; an all-zero value is valid before getpwuid_r fills it.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call and buf's length is passed.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    if rc != 0 || out.is_null() || pw.pw_dir.is_null() {
        // No entry (a name service this static binary cannot load): `$HOME`
        // is the only home known; a fixed nonexistent path would make every
        // managed `~` rule miss.
        return crate::config::home_dir().unwrap_or_else(|| PathBuf::from("/"));
    }
    // SAFETY: pw_dir points at a NUL-terminated string inside buf, alive here.
    let dir = unsafe { std::ffi::CStr::from_ptr(pw.pw_dir) };
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(dir.to_bytes()))
}

impl Managed {
    /// A managed file's text: strict (any problem is an error naming
    /// `FILE:LINE`); `~` is what `home` gives (looked up only when the file
    /// has one: the password database costs more than the rest of the read).
    pub fn parse(text: &str, path: &Path, home: &dyn Fn() -> PathBuf) -> Result<Managed, Failure> {
        let home = if text.contains('~') {
            home()
        } else {
            PathBuf::from("/")
        };
        let mut file = config::parse(text, path)?;
        let ceiling = file.ceiling.take();
        let (list, problems) = entries(file, text, path);
        if let Some((place, key, msg)) = problems.into_iter().next() {
            return Err(super::usage(&place, key, msg));
        }
        let arc: Arc<Path> = Arc::from(path);
        let at = |span: std::ops::Range<usize>| Place::File {
            path: arc.clone(),
            line: config::line_of(text, span.start),
        };
        let ceiling = match ceiling {
            Some(c) => Ceiling::from_section(c.into_inner(), &at, &home)
                .map_err(|(place, m)| Failure::usage(format!("{place}: {m}")))?,
            None => Ceiling::default(),
        };
        let entries = list
            .into_iter()
            .map(|e| Entry {
                item: with_home(e.item, &home),
                place: e.place,
            })
            .collect();
        let m = Managed {
            path: arc,
            entries,
            ceiling,
        };
        // Its rules and destinations validate as every command would build
        // them, so a bad one stops every command, not only those that decide.
        let mut s = super::Settings::defaults();
        for e in m.entries.iter().cloned() {
            s.apply(e, super::Layer::Managed);
        }
        s.validate()?;
        Ok(m)
    }

    /// Read a candidate policy (`cordon policy check --managed FILE`): parsed
    /// like the installed one, owner not checked (it is not deployed yet).
    pub fn candidate(path: &Path) -> Result<Managed, Failure> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("{}: cannot read: {e}", path.display())))?;
        Managed::parse(&text, path, &passwd_home)
    }

    /// The managed file as messages name it.
    pub fn shown(&self) -> String {
        self.path.display().to_string()
    }
}

/// `~` in a managed path or rule is the password database's home.
fn with_home(item: Item, home: &Path) -> Item {
    let path = |s: String| home_path(&s, home).display().to_string();
    let h = home.display().to_string();
    let rule = |s: String| {
        s.replace("(~/", &format!("({h}/"))
            .replace("(~)", &format!("({h})"))
    };
    match item {
        Item::AllowWrite(s) => Item::AllowWrite(path(s)),
        Item::AllowRead(s) => Item::AllowRead(path(s)),
        Item::DenyRead(s) => Item::DenyRead(path(s)),
        Item::AllowUnixSocket(s) => Item::AllowUnixSocket(path(s)),
        Item::RuleAllow(s) => Item::RuleAllow(rule(s)),
        Item::RuleAsk(s) => Item::RuleAsk(rule(s)),
        Item::RuleDeny(s) => Item::RuleDeny(rule(s)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(dir: &Path, mode: u32, text: &str) -> PathBuf {
        let p = dir.join("managed.toml");
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    /// Ownership and mode: these tests run as root (CI), so files are root's.
    #[test]
    fn only_a_root_owned_unwritable_file_is_trusted() {
        let d = tempfile::tempdir().unwrap();
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(load_installed(&d.path().join("managed.toml"))
            .unwrap()
            .is_none());
        let p = write(d.path(), 0o644, "[ceiling]\nallow_degraded = false\n");
        let m = load_installed(&p).unwrap().unwrap();
        assert!(m.ceiling.allow_degraded.is_some());
        let p = write(d.path(), 0o664, "");
        let e = load_installed(&p).unwrap_err();
        assert!(e.msg.contains("writable by group or others"), "{}", e.msg);
        assert_eq!(e.code, 2);
        let p = write(d.path(), 0o644, "[permissions]\n\ndeny = [\"mcp__*__x\"]\n");
        let e = load_installed(&p).unwrap_err();
        assert!(e.msg.contains("managed.toml:3"), "{}", e.msg);
        let p = write(d.path(), 0o644, "[ceiling]\nbogus = 1\n");
        let e = load_installed(&p).unwrap_err();
        assert!(e.msg.contains("managed.toml:2"), "{}", e.msg);
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let p = write(d.path(), 0o644, "");
        let e = load_installed(&p).unwrap_err();
        assert!(e.msg.contains("directory is writable"), "{}", e.msg);
    }

    #[test]
    fn a_link_only_to_a_trusted_file() {
        let d = tempfile::tempdir().unwrap();
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let bad = tempfile::tempdir().unwrap();
        std::fs::set_permissions(bad.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let target = write(bad.path(), 0o644, "");
        let link = d.path().join("managed.toml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = load_installed(&link).unwrap_err();
        assert!(e.msg.contains("links to"), "{}", e.msg);
        std::fs::set_permissions(bad.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(load_installed(&link).unwrap().is_some());
    }

    #[test]
    fn tilde_is_the_password_databases_home() {
        let m = Managed::parse(
            "[permissions]\ndeny = [\"Read(~/.ssh/**)\"]\n[sandbox]\ndeny_read = [\"~/x\"]\n",
            Path::new("/m.toml"),
            &|| PathBuf::from("/home/pw"),
        )
        .unwrap();
        let shown: Vec<String> = m.entries.iter().map(|e| e.item.shown()).collect();
        assert!(
            shown.contains(&"\"Read(/home/pw/.ssh/**)\"".to_string()),
            "{shown:?}"
        );
        assert!(shown.contains(&"\"/home/pw/x\"".to_string()), "{shown:?}");
    }
}
