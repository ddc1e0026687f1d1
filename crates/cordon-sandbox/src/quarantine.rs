//! The quarantine: what a run created where code runs from on the host
//! (`pkg/.envrc`, `.claude/`, a new `.git/hooks/...`), moved out of the
//! workspace into cordon's data directory, which no sandbox can see.
//!
//! ```text
//! <data dir>/quarantine/<session>/manifest.json   what was taken, from where, why
//! <data dir>/quarantine/<session>/items/<id>      the file, directory or symlink itself
//! ```
//!
//! Every move is made relative to directory descriptors opened without
//! following symlinks (`openat(O_NOFOLLOW)`, `renameat2(RENAME_NOREPLACE)`),
//! so a symlink in the workspace can neither redirect a move nor make one
//! overwrite anything. Nothing is ever left in place silently: a move that
//! fails is returned to the caller, which refuses loudly.
use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, RenameFlags};
use serde::{Deserialize, Serialize};
use std::ffi::{CStr, CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

/// Largest amount one run's sweep copies when the quarantine is on another
/// filesystem than the workspace (a rename is free; a copy is bounded so a
/// run cannot fill the disk that holds cordon's journal).
pub const COPY_BUDGET: u64 = 256 << 20;

/// What a quarantined item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    File,
    Dir,
    Symlink,
    /// A fifo, socket or device node.
    Other,
}

/// One quarantined item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: u32,
    /// Where it was, relative to the workspace.
    pub path: PathBuf,
    pub kind: ItemKind,
    /// Bytes (regular files, summed for a directory).
    pub size: u64,
    /// What on the host would have run it.
    pub why: String,
    /// Put back by `cordon quarantine restore`.
    #[serde(default)]
    pub restored: bool,
    /// What `path` is relative to when it is not the workspace (a git
    /// directory made writable with `--allow-write`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<PathBuf>,
}

/// One run's quarantine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub session: String,
    pub workspace: PathBuf,
    /// Milliseconds since the epoch when the run ended.
    pub time_ms: u64,
    pub items: Vec<Item>,
}

impl Manifest {
    /// Where `item` was.
    pub fn full_path(&self, item: &Item) -> PathBuf {
        item.root
            .as_ref()
            .unwrap_or(&self.workspace)
            .join(&item.path)
    }
}

/// A run's quarantine directory, created on first use.
pub struct Store {
    dir: PathBuf,
    items: Option<OwnedFd>,
    /// What the paths of items taken now are relative to (`None`: the workspace).
    root: Option<PathBuf>,
    /// Bytes this run may still copy across filesystems.
    budget: u64,
    next_id: u32,
    pub manifest: Manifest,
}

fn cstr(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Open the directory `name` of `dir` without following a symlink.
pub fn open_dir_at(dir: BorrowedFd, name: &CStr) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty())?)
}

/// Open `root` (a trusted path) as a directory.
pub fn open_root(root: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Open `rel` (a relative directory path) beneath `root`, one component at
/// a time, never following a symlink; with `create`, make missing ones.
pub fn open_beneath(root: BorrowedFd, rel: &Path, create: bool) -> io::Result<OwnedFd> {
    let mut fd = rustix::io::fcntl_dupfd_cloexec(root, 0)?;
    for c in rel.components() {
        let Component::Normal(name) = c else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a plain relative path", rel.display()),
            ));
        };
        let name = cstr(name)?;
        fd = match open_dir_at(fd.as_fd(), &name) {
            Err(e) if create && e.kind() == io::ErrorKind::NotFound => {
                rustix::fs::mkdirat(fd.as_fd(), &name, Mode::from_raw_mode(0o755))?;
                open_dir_at(fd.as_fd(), &name)?
            }
            r => r.map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("{}: {e} (a symlink is never followed)", rel.display()),
                )
            })?,
        };
    }
    Ok(fd)
}

fn kind_of(ft: FileType) -> ItemKind {
    match ft {
        FileType::RegularFile => ItemKind::File,
        FileType::Directory => ItemKind::Dir,
        FileType::Symlink => ItemKind::Symlink,
        _ => ItemKind::Other,
    }
}

/// The entries of a directory (without `.` and `..`), read to the end first
/// so that the caller may change the directory afterwards.
pub fn entries(dir: BorrowedFd) -> io::Result<Vec<(CString, FileType)>> {
    let mut d = Dir::read_from(dir)?;
    let mut out = Vec::new();
    while let Some(e) = d.read() {
        let e = e?;
        let name = e.file_name();
        if name.to_bytes() == b"." || name.to_bytes() == b".." {
            continue;
        }
        let mut ft = e.file_type();
        if ft == FileType::Unknown {
            ft = FileType::from_raw_mode(
                rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?.st_mode,
            );
        }
        out.push((name.to_owned(), ft));
    }
    Ok(out)
}

/// Bytes of regular files in `name` of `dir` (not following symlinks).
fn size_at(dir: BorrowedFd, name: &CStr) -> io::Result<u64> {
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => Ok(st.st_size as u64),
        FileType::Directory => {
            let d = open_dir_at(dir, name)?;
            let mut n = 0;
            for (c, _) in entries(d.as_fd())? {
                n += size_at(d.as_fd(), &c)?;
            }
            Ok(n)
        }
        _ => Ok(0),
    }
}

/// Copy `name` of `src` to `dst_name` of `dst` (never following a symlink,
/// never overwriting), spending at most `budget` bytes.
fn copy_at(
    src: BorrowedFd,
    name: &CStr,
    dst: BorrowedFd,
    dst_name: &CStr,
    budget: &mut u64,
) -> io::Result<()> {
    let st = rustix::fs::statat(src, name, AtFlags::SYMLINK_NOFOLLOW)?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::Directory => {
            let s = open_dir_at(src, name)?;
            rustix::fs::mkdirat(dst, dst_name, Mode::from_raw_mode(0o700))?;
            let d = open_dir_at(dst, dst_name)?;
            for (c, _) in entries(s.as_fd())? {
                copy_at(s.as_fd(), &c, d.as_fd(), &c, budget)?;
            }
            Ok(())
        }
        FileType::Symlink => {
            let target = rustix::fs::readlinkat(src, name, Vec::new())?;
            Ok(rustix::fs::symlinkat(&target, dst, dst_name)?)
        }
        FileType::RegularFile => {
            let size = st.st_size as u64;
            if size > *budget {
                return Err(io::Error::other(format!(
                    "more than {} MiB to copy across filesystems",
                    COPY_BUDGET >> 20
                )));
            }
            *budget -= size;
            let from = rustix::fs::openat(
                src,
                name,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            let to = rustix::fs::openat(
                dst,
                dst_name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )?;
            let mut from = io::Read::take(std::fs::File::from(from), size);
            let mut to = std::fs::File::from(to);
            io::copy(&mut from, &mut to)?;
            Ok(())
        }
        // A fifo, socket or device node: its name is all there is to keep.
        _ => {
            rustix::fs::openat(
                dst,
                dst_name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )?;
            Ok(())
        }
    }
}

/// Remove `name` of `dir` and everything below it (never following a symlink).
fn remove_at(dir: BorrowedFd, name: &CStr) -> io::Result<()> {
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
        let d = open_dir_at(dir, name)?;
        for (c, _) in entries(d.as_fd())? {
            remove_at(d.as_fd(), &c)?;
        }
        Ok(rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)
    } else {
        Ok(rustix::fs::unlinkat(dir, name, AtFlags::empty())?)
    }
}

/// Move `name` of `src` to `dst_name` of `dst`: a rename (never replacing
/// anything), or across filesystems a bounded copy and a removal.
fn move_at(
    src: BorrowedFd,
    name: &CStr,
    dst: BorrowedFd,
    dst_name: &CStr,
    budget: &mut u64,
) -> io::Result<()> {
    match rustix::fs::renameat_with(src, name, dst, dst_name, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::XDEV) => {
            if let Err(e) = copy_at(src, name, dst, dst_name, budget) {
                let _ = remove_at(dst, dst_name);
                return Err(e);
            }
            remove_at(src, name)
        }
        Err(e) => Err(e.into()),
    }
}

/// A directory owned by the user cordon runs as.
pub(crate) fn own_dir(st: &rustix::fs::Stat) -> bool {
    FileType::from_raw_mode(st.st_mode) == FileType::Directory
        && st.st_uid == rustix::process::geteuid().as_raw()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Where every run's quarantine lives, under cordon's data directory.
pub fn root(data_dir: &Path) -> PathBuf {
    data_dir.join("quarantine")
}

/// Create a directory (and its parents) readable by its owner only.
pub fn private_dir(p: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(p)
}

impl Store {
    /// The quarantine of `session` (nothing is created until an item is taken).
    pub fn new(root: &Path, session: &str, workspace: &Path) -> Store {
        Store {
            dir: root.join(session),
            items: None,
            root: None,
            budget: COPY_BUDGET,
            next_id: 1,
            manifest: Manifest {
                session: session.to_string(),
                workspace: workspace.to_path_buf(),
                time_ms: now_ms(),
                items: Vec::new(),
            },
        }
    }

    /// Open an existing run's quarantine.
    pub fn open(root: &Path, session: &str) -> io::Result<Store> {
        if session.is_empty() || session.contains('/') || session.starts_with('.') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{session}` is not a session id"),
            ));
        }
        let dir = root.join(session);
        let text = std::fs::read_to_string(dir.join("manifest.json"))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", dir.join("manifest.json").display()),
            )
        })?;
        Ok(Store {
            dir,
            items: None,
            root: None,
            budget: COPY_BUDGET,
            next_id: manifest.items.iter().map(|i| i.id).max().unwrap_or(0) + 1,
            manifest,
        })
    }

    /// Every run's quarantine under `root`, oldest first.
    pub fn all(root: &Path) -> io::Result<Vec<Store>> {
        let mut out = Vec::new();
        let rd = match std::fs::read_dir(root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for e in rd.flatten() {
            if let Some(s) = e.file_name().to_str() {
                if let Ok(st) = Store::open(root, s) {
                    out.push(st);
                }
            }
        }
        out.sort_by_key(|s| (s.manifest.time_ms, s.manifest.session.clone()));
        Ok(out)
    }

    /// Make the paths of the items taken from now on relative to `root`
    /// (`None`: the workspace).
    pub fn set_root(&mut self, root: Option<PathBuf>) {
        self.root = root;
    }

    /// This run's quarantine directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where item `id` is stored.
    pub fn item_path(&self, id: u32) -> PathBuf {
        self.dir.join("items").join(id.to_string())
    }

    fn open_items(&mut self) -> io::Result<()> {
        if self.items.is_none() {
            let items = self.dir.join("items");
            private_dir(&items)?;
            self.items = Some(open_root(&items)?);
        }
        Ok(())
    }

    /// Take `name` of `parent` (workspace path `rel`) into the quarantine.
    /// The manifest is written by [`Store::save`], once after a sweep.
    pub fn take(
        &mut self,
        parent: BorrowedFd,
        name: &CStr,
        rel: &Path,
        why: &str,
    ) -> io::Result<&Item> {
        let st = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW)?;
        let kind = kind_of(FileType::from_raw_mode(st.st_mode));
        let id = self.next_id;
        let idc = CString::new(id.to_string()).expect("digits");
        self.open_items()?;
        let items = self.items.as_ref().expect("opened above").as_fd();
        match move_at(parent, name, items, &idc, &mut self.budget) {
            // A directory moves to a new parent only if its owner may write it
            // (`..` changes): the run may have made its own one `chmod 000`.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied && own_dir(&st) => {
                let mode = Mode::from_raw_mode(st.st_mode & 0o7777 | 0o700);
                rustix::fs::chmodat(parent, name, mode, AtFlags::empty())?;
                move_at(parent, name, items, &idc, &mut self.budget)?;
            }
            r => r?,
        }
        self.next_id += 1;
        let size = size_at(items, &idc).unwrap_or(0);
        self.manifest.items.push(Item {
            id,
            path: rel.to_path_buf(),
            kind,
            size,
            why: why.to_string(),
            restored: false,
            root: self.root.clone(),
        });
        Ok(self.manifest.items.last().expect("pushed above"))
    }

    /// Write the manifest (atomically: a new file renamed over the old one).
    pub fn save(&self) -> io::Result<()> {
        private_dir(&self.dir)?;
        let tmp = self.dir.join(".manifest.json.tmp");
        let text = serde_json::to_string_pretty(&self.manifest).map_err(io::Error::other)?;
        std::fs::write(&tmp, text + "\n")?;
        std::fs::rename(&tmp, self.dir.join("manifest.json"))
    }

    /// Put item `id` back where it was. Refuses to overwrite anything, and
    /// to pass through a symlink on the way (a directory of the workspace
    /// that the agent replaced by a link elsewhere).
    pub fn restore(&mut self, id: u32) -> io::Result<PathBuf> {
        let item = self
            .manifest
            .items
            .iter()
            .find(|i| i.id == id)
            .cloned()
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no item {id} in {}", self.manifest.session),
                )
            })?;
        if item.restored {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("item {id} was already restored"),
            ));
        }
        let (Some(parent), Some(name)) = (item.path.parent(), item.path.file_name()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad path {}", item.path.display()),
            ));
        };
        let ws = open_root(item.root.as_ref().unwrap_or(&self.manifest.workspace))?;
        let dst = open_beneath(ws.as_fd(), parent, true)?;
        let idc = CString::new(id.to_string()).expect("digits");
        let items = open_root(&self.dir.join("items"))?;
        let target = self.manifest.full_path(&item);
        let mut unbounded = u64::MAX;
        move_at(
            items.as_fd(),
            &idc,
            dst.as_fd(),
            &cstr(name)?,
            &mut unbounded,
        )
        .map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                io::Error::new(
                    e.kind(),
                    format!("{} exists; not overwriting it", target.display()),
                )
            } else {
                io::Error::new(e.kind(), format!("{}: {e}", target.display()))
            }
        })?;
        for i in &mut self.manifest.items {
            if i.id == id {
                i.restored = true;
            }
        }
        self.save()?;
        Ok(target)
    }
}

/// One file of a quarantined item, for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the item (empty for the item itself).
    pub rel: PathBuf,
    pub kind: ItemKind,
    pub size: u64,
    /// A symlink's target.
    pub target: Option<Vec<u8>>,
    /// A regular file's first `max` bytes.
    pub content: Option<Vec<u8>>,
}

fn describe_at(
    dir: BorrowedFd,
    name: &CStr,
    rel: &Path,
    max: u64,
    out: &mut Vec<Entry>,
) -> io::Result<()> {
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    let kind = kind_of(FileType::from_raw_mode(st.st_mode));
    let mut e = Entry {
        rel: rel.to_path_buf(),
        kind,
        size: st.st_size as u64,
        target: None,
        content: None,
    };
    match kind {
        ItemKind::Symlink => {
            e.target = Some(rustix::fs::readlinkat(dir, name, Vec::new())?.into_bytes())
        }
        ItemKind::File => {
            let f = rustix::fs::openat(
                dir,
                name,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            let mut buf = Vec::new();
            io::Read::read_to_end(&mut io::Read::take(std::fs::File::from(f), max), &mut buf)?;
            e.content = Some(buf);
        }
        _ => {}
    }
    out.push(e);
    if kind == ItemKind::Dir {
        let d = open_dir_at(dir, name)?;
        let mut list = entries(d.as_fd())?;
        list.sort_by(|a, b| a.0.cmp(&b.0));
        for (c, _) in list {
            let r = rel.join(OsStr::from_bytes(c.as_bytes()));
            describe_at(d.as_fd(), &c, &r, max, out)?;
        }
    }
    Ok(())
}

impl Store {
    /// What item `id` holds: each file with its first `max` bytes, each
    /// symlink with its target (none is followed).
    pub fn describe(&self, id: u32, max: u64) -> io::Result<Vec<Entry>> {
        let items = open_root(&self.dir.join("items"))?;
        let mut out = Vec::new();
        describe_at(
            items.as_fd(),
            &CString::new(id.to_string()).expect("digits"),
            Path::new(""),
            max,
            &mut out,
        )?;
        Ok(out)
    }
}

/// A workspace-relative path from components collected during a walk.
pub fn rel_path(parts: &[CString]) -> PathBuf {
    parts
        .iter()
        .map(|c| OsString::from_vec(c.as_bytes().to_vec()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> CString {
        CString::new(s).unwrap()
    }

    #[test]
    fn take_and_restore_never_overwrite() {
        let t = tempfile::tempdir().unwrap();
        let ws = t.path().join("ws");
        std::fs::create_dir_all(ws.join("pkg/.claude")).unwrap();
        std::fs::write(ws.join("pkg/.claude/settings.json"), "{}").unwrap();
        let root = root(&t.path().join("data"));
        let mut st = Store::new(&root, "run-1", &ws);
        let wsfd = open_root(&ws).unwrap();
        let pkg = open_beneath(wsfd.as_fd(), Path::new("pkg"), false).unwrap();
        let it = st
            .take(pkg.as_fd(), &c(".claude"), Path::new("pkg/.claude"), "test")
            .unwrap()
            .clone();
        assert_eq!(it.kind, ItemKind::Dir);
        assert_eq!(it.size, 2);
        assert!(!ws.join("pkg/.claude").exists());
        assert!(st.item_path(1).join("settings.json").exists());
        // A second take of the same name gets a new id.
        std::fs::write(ws.join("pkg/.claude"), "x").unwrap();
        st.take(pkg.as_fd(), &c(".claude"), Path::new("pkg/.claude"), "test")
            .unwrap();
        st.save().unwrap();
        // Restoring over a file now in place is refused.
        std::fs::write(ws.join("pkg/.claude"), "person's").unwrap();
        let mut again = Store::open(&root, "run-1").unwrap();
        assert_eq!(again.manifest.items.len(), 2);
        let e = again.restore(1).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists, "{e}");
        std::fs::remove_file(ws.join("pkg/.claude")).unwrap();
        again.restore(1).unwrap();
        assert!(ws.join("pkg/.claude/settings.json").exists());
        assert!(again.restore(1).is_err(), "restored twice");
    }

    #[test]
    fn restore_refuses_a_symlinked_parent() {
        let t = tempfile::tempdir().unwrap();
        let ws = t.path().join("ws");
        let elsewhere = t.path().join("elsewhere");
        std::fs::create_dir_all(ws.join("pkg")).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(ws.join("pkg/.envrc"), "x").unwrap();
        let root = root(&t.path().join("data"));
        let mut st = Store::new(&root, "run-2", &ws);
        let wsfd = open_root(&ws).unwrap();
        let pkg = open_beneath(wsfd.as_fd(), Path::new("pkg"), false).unwrap();
        st.take(pkg.as_fd(), &c(".envrc"), Path::new("pkg/.envrc"), "t")
            .unwrap();
        st.save().unwrap();
        drop(pkg);
        std::fs::remove_dir(ws.join("pkg")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, ws.join("pkg")).unwrap();
        assert!(st.restore(1).is_err());
        assert!(!elsewhere.join(".envrc").exists());
    }

    #[test]
    fn across_filesystems_a_bounded_copy_keeps_links_as_links() {
        use std::os::unix::fs::MetadataExt;
        let t = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir_in("/dev/shm").unwrap();
        let dev = |p: &Path| std::fs::metadata(p).unwrap().dev();
        assert_ne!(dev(t.path()), dev(other.path()), "needs two filesystems");
        let ws = t.path().join("ws");
        std::fs::create_dir_all(ws.join(".vscode/sub")).unwrap();
        std::fs::write(ws.join(".vscode/tasks.json"), "{}").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", ws.join(".vscode/sub/link")).unwrap();
        std::fs::write(ws.join(".envrc"), vec![b'x'; 1 << 20]).unwrap();
        let mut st = Store::new(&root(other.path()), "run-x", &ws);
        st.budget = 1 << 10;
        let wsfd = open_root(&ws).unwrap();
        st.take(wsfd.as_fd(), &c(".vscode"), Path::new(".vscode"), "t")
            .unwrap();
        assert!(!ws.join(".vscode").exists());
        let link = st.item_path(1).join("sub/link");
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("/etc/passwd"));
        // Over the budget: refused, and the point stays where it is (the
        // caller fails loudly); nothing half-copied is left in the store.
        assert!(st
            .take(wsfd.as_fd(), &c(".envrc"), Path::new(".envrc"), "t")
            .is_err());
        assert!(ws.join(".envrc").exists());
        assert!(!st.item_path(2).exists());
        st.save().unwrap();
        st.restore(1).unwrap();
        assert_eq!(
            std::fs::read_to_string(ws.join(".vscode/tasks.json")).unwrap(),
            "{}"
        );
    }
}
