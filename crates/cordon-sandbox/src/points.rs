//! Persistence points at any depth of the workspace (the catalogue's
//! [`cordon_catalog::WORKSPACE_POINTS`]): found before a run, so that they
//! stay read-only during it, and swept after it, so that every one the run
//! created (or replaced) is moved to the [quarantine](crate::quarantine).
//!
//! Both walks open each directory relative to its parent without following
//! symlinks, and neither descends into a point, a symlink, or below the
//! first level of a `.git` directory. The sweep runs when every process of
//! the sandbox is dead, so nothing changes the tree while it walks.
use crate::quarantine::{entries, open_dir_at, open_root, rel_path, Item, Store};
use cordon_catalog::{Point, WORKSPACE_POINTS};
use rustix::fs::{AtFlags, FileType};
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Deepest directory level walked; deeper trees make the sweep fail loudly.
pub const MAX_DEPTH: usize = 128;

/// An inode: (device, inode number).
pub type Ino = (u64, u64);

/// A status-change time (seconds, nanoseconds): set by the kernel on every
/// change of a file's content, links or name, never by the caller.
pub type Ctime = (i64, i64);

/// The points that exist before a run, by inode. A point the run cannot
/// change in place (a read-only mount) is known by its inode alone; one it
/// could (a symlink, which is no mount point and may be replaced by a new file
/// that reuses its inode number; a file with other hard links in the writable
/// workspace, also inside a directory point) is known by inode and
/// status-change time.
pub type Known = std::collections::HashMap<Ino, Option<Ctime>>;

/// A point found in the workspace.
#[derive(Debug, Clone)]
pub struct Found {
    /// Relative to the workspace.
    pub rel: PathBuf,
    pub point: &'static Point,
    pub ino: Ino,
    pub file_type: FileType,
    /// What the run must not have changed: the point and, for a directory,
    /// the hard-linked files below it.
    pub known: Known,
}

// The field types differ between architectures.
#[allow(clippy::unnecessary_cast)]
fn ctime(st: &rustix::fs::Stat) -> Ctime {
    (st.st_ctime as i64, st.st_ctime_nsec as i64)
}

/// How `st` is known: by status-change time too if the run could change it
/// without going through its (read-only) path.
fn known_as(st: &rustix::fs::Stat) -> Option<Ctime> {
    let ft = FileType::from_raw_mode(st.st_mode);
    (ft == FileType::Symlink || (ft != FileType::Directory && st.st_nlink > 1)).then(|| ctime(st))
}

/// The hard-linked files below the directory `name` of `dir`, with their
/// status-change times.
fn linked_below(dir: BorrowedFd, name: &CStr, depth: usize, out: &mut Known) {
    let Ok(fd) = open_dir_at(dir, name) else {
        return;
    };
    let Ok(list) = entries(fd.as_fd()) else {
        return;
    };
    for (n, ft) in list {
        let Ok(st) = rustix::fs::statat(fd.as_fd(), &n, AtFlags::SYMLINK_NOFOLLOW) else {
            continue;
        };
        if ft == FileType::Directory && depth < MAX_DEPTH {
            linked_below(fd.as_fd(), &n, depth + 1, out);
        } else if ft != FileType::Symlink && st.st_nlink > 1 {
            out.insert((st.st_dev, st.st_ino), Some(ctime(&st)));
        }
    }
}

/// What a walk found besides the points.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub points: Vec<Found>,
    /// Git directories (relative to the workspace): `.git` directories at any
    /// depth, bare repositories, submodules' and linked worktrees' git directories.
    pub git_dirs: Vec<(PathBuf, GitDir)>,
}

/// The outcome of a sweep.
#[derive(Debug, Default)]
pub struct Sweep {
    /// What was quarantined.
    pub moved: Vec<Item>,
    /// What could not be examined or moved, with why: the caller must fail loudly.
    pub failed: Vec<(PathBuf, String)>,
}

/// A point's components, split once.
struct Compiled {
    point: &'static Point,
    segs: Vec<&'static [u8]>,
}

/// Each component of a point, with the point and the component's position.
type Index = HashMap<&'static [u8], Vec<(usize, &'static Compiled)>>;

/// Points indexed by each of their components: a name found in a walk is
/// the point itself when it is the last component, and stands for the point
/// when it is an earlier one but not a real directory (a `.cargo` symlink, a
/// `.git` file): what it leads to cannot be known from the workspace.
fn index() -> &'static Index {
    static IDX: OnceLock<Index> = OnceLock::new();
    IDX.get_or_init(|| {
        let compiled: &'static [Compiled] = Box::leak(
            WORKSPACE_POINTS
                .iter()
                .map(|p| Compiled {
                    point: p,
                    segs: p.path.split('/').map(str::as_bytes).collect(),
                })
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let mut m: Index = HashMap::new();
        for c in compiled {
            for (i, s) in c.segs.iter().enumerate() {
                m.entry(*s).or_default().push((i, c));
            }
        }
        m
    })
}

/// The point that `name` (of type `ft`, below `parents`) is, if any.
fn point_of(parents: &[CString], name: &[u8], ft: FileType) -> Option<&'static Point> {
    let cands = index().get(name)?;
    cands.iter().find_map(|(i, c)| {
        let last = *i + 1 == c.segs.len();
        if !last && ft == FileType::Directory {
            return None;
        }
        let before = &c.segs[..*i];
        let ok = parents.len() >= before.len()
            && parents[parents.len() - before.len()..]
                .iter()
                .zip(before)
                .all(|(a, b)| a.as_bytes() == *b);
        ok.then_some(c.point)
    })
}

fn ino_at(dir: BorrowedFd, name: &CStr) -> io::Result<Ino> {
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    Ok((st.st_dev, st.st_ino))
}

/// Does `name` (below `ctx`) lead to a point further down (`objects` of
/// `.git/objects/info/alternates`)?
fn leads_to_point(ctx: &[CString], name: &[u8]) -> bool {
    index().get(name).is_some_and(|cands| {
        cands.iter().any(|(i, c)| {
            *i + 1 < c.segs.len()
                && ctx.len() >= *i
                && ctx[ctx.len() - i..]
                    .iter()
                    .zip(&c.segs[..*i])
                    .all(|(a, b)| a.as_bytes() == *b)
        })
    })
}

/// What a walk does at each point, at each git directory and at each
/// directory it cannot read.
trait Visit {
    fn point(&mut self, dir: BorrowedFd, name: &CStr, parents: &[CString], p: &'static Point);
    fn git_dir(&mut self, _parents: &[CString], _kind: GitDir) {}
    fn unreadable(&mut self, rel: PathBuf, ino: Option<Ino>, e: io::Error);
}

/// A git directory found by a walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitDir {
    /// A `.git` directory, a bare repository, or a submodule's in `.git/modules`.
    Repo,
    /// A linked worktree's administrative directory (`.git/worktrees/NAME`).
    Worktree,
}

/// How a directory is walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The workspace's own tree: every directory, points matched by their real path.
    Tree,
    /// Inside a git directory: points matched as if it were `.git`, and only
    /// the directories that lead to one (`objects/info`), `modules` and `worktrees`.
    Git,
    /// Inside `.git/modules`: submodule names, down to their git directories.
    Modules,
}

const DOT_GIT: &[u8] = b".git";

/// Entries of a git directory (`HEAD`, a file or a symlink; `objects/`, `refs/`), wherever it is:
/// host git uses a bare repository it is run in.
fn looks_like_git_dir(list: &[(CString, FileType)]) -> bool {
    let has = |n: &[u8], ft: FileType| list.iter().any(|(e, t)| e.as_bytes() == n && *t == ft);
    let head = list
        .iter()
        .any(|(e, t)| e.as_bytes() == b"HEAD" && *t != FileType::Directory);
    head && has(b"objects", FileType::Directory) && has(b"refs", FileType::Directory)
}

fn dot_git() -> Vec<CString> {
    vec![CString::new(DOT_GIT).expect("no NUL")]
}

fn walk(
    dir: BorrowedFd,
    parents: &mut Vec<CString>,
    virt: &mut Vec<CString>,
    mode: Mode,
    v: &mut dyn Visit,
) {
    let list = match entries(dir) {
        Ok(l) => l,
        Err(e) => {
            let ino = rustix::fs::fstat(dir).ok().map(|st| (st.st_dev, st.st_ino));
            v.unreadable(rel_path(parents), ino, e);
            return;
        }
    };
    let mut mode = mode;
    let mut own_virt;
    let virt = if mode != Mode::Git && looks_like_git_dir(&list) {
        v.git_dir(parents, GitDir::Repo);
        mode = Mode::Git;
        own_virt = dot_git();
        &mut own_virt
    } else {
        virt
    };
    for (name, ft) in list {
        let ctx: &[CString] = if mode == Mode::Git { virt } else { parents };
        if mode != Mode::Modules {
            if let Some(p) = point_of(ctx, name.as_bytes(), ft) {
                v.point(dir, &name, parents, p);
                continue;
            }
        }
        if ft != FileType::Directory {
            continue;
        }
        let top = mode == Mode::Git && virt.len() == 1;
        let (next, mut next_virt, worktree) = match mode {
            Mode::Tree if name.as_bytes() == DOT_GIT => {
                parents.push(name.clone());
                v.git_dir(parents, GitDir::Repo);
                parents.pop();
                (Mode::Git, dot_git(), false)
            }
            Mode::Tree => (Mode::Tree, Vec::new(), false),
            Mode::Git if top && name.as_bytes() == b"modules" => (Mode::Modules, Vec::new(), false),
            Mode::Git if top && name.as_bytes() == b"worktrees" => (Mode::Git, Vec::new(), true),
            Mode::Git if leads_to_point(virt, name.as_bytes()) => {
                let mut nv = virt.clone();
                nv.push(name.clone());
                (Mode::Git, nv, false)
            }
            Mode::Git => continue,
            Mode::Modules => (Mode::Modules, Vec::new(), false),
        };
        if parents.len() >= MAX_DEPTH {
            v.unreadable(
                rel_of(parents, &name),
                None,
                io::Error::other(format!("deeper than {MAX_DEPTH} levels")),
            );
            continue;
        }
        match open_dir_at(dir, &name).or_else(|e| unlock(dir, &name, e)) {
            Ok(fd) => {
                parents.push(name);
                if worktree {
                    walk_worktrees(fd.as_fd(), parents, v);
                } else {
                    walk(fd.as_fd(), parents, &mut next_virt, next, v);
                }
                parents.pop();
            }
            Err(e) => v.unreadable(rel_of(parents, &name), ino_at(dir, &name).ok(), e),
        }
    }
}

/// `.git/worktrees`: each directory is a linked worktree's git directory.
fn walk_worktrees(dir: BorrowedFd, parents: &mut Vec<CString>, v: &mut dyn Visit) {
    let list = match entries(dir) {
        Ok(l) => l,
        Err(e) => return v.unreadable(rel_path(parents), None, e),
    };
    for (name, ft) in list {
        if ft != FileType::Directory {
            continue;
        }
        match open_dir_at(dir, &name).or_else(|e| unlock(dir, &name, e)) {
            Ok(fd) => {
                parents.push(name);
                v.git_dir(parents, GitDir::Worktree);
                walk(fd.as_fd(), parents, &mut dot_git(), Mode::Git, v);
                parents.pop();
            }
            Err(e) => v.unreadable(rel_of(parents, &name), ino_at(dir, &name).ok(), e),
        }
    }
}

/// A directory of ours that we may not read (the run made it `chmod 000`):
/// give ourselves read and search permission back, and open it.
fn unlock(dir: BorrowedFd, name: &CStr, e: io::Error) -> io::Result<std::os::fd::OwnedFd> {
    if e.kind() != io::ErrorKind::PermissionDenied {
        return Err(e);
    }
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    if !crate::quarantine::own_dir(&st) {
        return Err(e);
    }
    let mode = rustix::fs::Mode::from_raw_mode(st.st_mode & 0o7777 | 0o700);
    rustix::fs::chmodat(dir, name, mode, AtFlags::empty())?;
    open_dir_at(dir, name)
}

fn rel_of(parents: &[CString], name: &CStr) -> PathBuf {
    let mut r = rel_path(parents);
    r.push(std::ffi::OsStr::from_bytes(name.to_bytes()));
    r
}

struct Scanner {
    out: Scan,
    error: Option<(PathBuf, io::Error)>,
}

impl Visit for Scanner {
    fn point(&mut self, dir: BorrowedFd, name: &CStr, parents: &[CString], p: &'static Point) {
        let Ok(st) = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) else {
            return;
        };
        let ino = (st.st_dev, st.st_ino);
        let file_type = FileType::from_raw_mode(st.st_mode);
        let mut known = Known::new();
        known.insert(ino, known_as(&st));
        if file_type == FileType::Directory {
            linked_below(dir, name, parents.len(), &mut known);
        }
        self.out.points.push(Found {
            rel: rel_of(parents, name),
            point: p,
            ino,
            file_type,
            known,
        });
    }
    fn git_dir(&mut self, parents: &[CString], kind: GitDir) {
        self.out.git_dirs.push((rel_path(parents), kind));
    }
    fn unreadable(&mut self, rel: PathBuf, _ino: Option<Ino>, e: io::Error) {
        if self.error.is_none() {
            self.error = Some((rel, e));
        }
    }
}

/// Find every point in the workspace `root`. A directory that cannot be
/// read is an error (`(its relative path, why)`): a point below it could be
/// neither protected nor told apart from one the run creates.
pub fn scan(root: &Path) -> Result<Scan, (PathBuf, io::Error)> {
    let fd = open_root(root).map_err(|e| (PathBuf::from("."), e))?;
    let mut s = Scanner {
        out: Scan::default(),
        error: None,
    };
    walk(
        fd.as_fd(),
        &mut Vec::new(),
        &mut Vec::new(),
        Mode::Tree,
        &mut s,
    );
    match s.error {
        Some(e) => Err(e),
        None => Ok(s.out),
    }
}

/// Why `name` is quarantined: the point's reason, and for a file or a link
/// in place of one of its directories (a `.git` file), which point it stands for.
fn why(name: &CStr, p: &Point) -> String {
    if p.path.rsplit('/').next().map(str::as_bytes) == Some(name.to_bytes()) {
        p.why.to_string()
    } else {
        format!("in place of `{}`: {}", p.path, p.why)
    }
}

struct Sweeper<'a> {
    known: &'a Known,
    store: &'a mut Store,
    out: Sweep,
}

impl Sweeper<'_> {
    /// Is `st` a point (or a file below one) as it was before the run?
    fn unchanged(&self, st: &rustix::fs::Stat) -> bool {
        match self.known.get(&(st.st_dev, st.st_ino)) {
            Some(None) => true,
            Some(Some(c)) => *c == ctime(st),
            None => false,
        }
    }

    fn take(&mut self, dir: BorrowedFd, name: &CStr, rel: PathBuf, why: &str) {
        match self.store.take(dir, name, &rel, why) {
            Ok(item) => self.out.moved.push(item.clone()),
            // Gone already (another run's sweep of the same workspace took it).
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => self.out.failed.push((rel, e.to_string())),
        }
    }

    /// Below a directory point that existed before the run (read-only during
    /// it): take each hard-linked file the run changed through another link.
    fn below(&mut self, dir: BorrowedFd, rel: &Path, p: &'static Point, depth: usize) {
        let Ok(list) = entries(dir) else { return };
        for (n, ft) in list {
            let Ok(st) = rustix::fs::statat(dir, &n, AtFlags::SYMLINK_NOFOLLOW) else {
                continue;
            };
            let r = rel.join(std::ffi::OsStr::from_bytes(n.as_bytes()));
            if ft == FileType::Directory {
                if let (true, Ok(fd)) = (depth < MAX_DEPTH, open_dir_at(dir, &n)) {
                    self.below(fd.as_fd(), &r, p, depth + 1);
                }
            } else if ft != FileType::Symlink
                && st.st_nlink > 1
                && self.known.contains_key(&(st.st_dev, st.st_ino))
                && !self.unchanged(&st)
            {
                self.take(
                    dir,
                    &n,
                    r,
                    &format!("changed through another hard link: {}", p.why),
                );
            }
        }
    }
}

impl Visit for Sweeper<'_> {
    fn point(&mut self, dir: BorrowedFd, name: &CStr, parents: &[CString], p: &'static Point) {
        let rel = rel_of(parents, name);
        match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if self.unchanged(&st) => {
                if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
                    if let Ok(fd) = open_dir_at(dir, name) {
                        self.below(fd.as_fd(), &rel, p, parents.len());
                    }
                }
            }
            Ok(_) => self.take(dir, name, rel, &why(name, p)),
            Err(e) => self.out.failed.push((rel, e.to_string())),
        }
    }
    fn unreadable(&mut self, rel: PathBuf, _ino: Option<Ino>, e: io::Error) {
        self.out
            .failed
            .push((rel, format!("cannot be examined: {e}")));
    }
}

/// After a run: quarantine every point in `root` that is not one of the
/// `known` ones (the points that existed, read-only, during the run).
pub fn sweep(root: &Path, known: &Known, store: &mut Store) -> Sweep {
    let fd = match open_root(root) {
        Ok(fd) => fd,
        Err(e) => {
            return Sweep {
                moved: vec![],
                failed: vec![(root.to_path_buf(), e.to_string())],
            }
        }
    };
    let mut s = Sweeper {
        known,
        store,
        out: Sweep::default(),
    };
    walk(
        fd.as_fd(),
        &mut Vec::new(),
        &mut Vec::new(),
        Mode::Tree,
        &mut s,
    );
    if !s.out.moved.is_empty() {
        if let Err(e) = s.store.save() {
            let manifest = s.store.dir().join("manifest.json");
            s.out.failed.push((manifest, e.to_string()));
        }
    }
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &Scan) -> Vec<String> {
        let mut v: Vec<String> = s
            .points
            .iter()
            .map(|f| f.rel.display().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn finds_points_at_any_depth_without_following_links() {
        let t = tempfile::tempdir().unwrap();
        let ws = t.path().join("ws");
        let out = t.path().join("out");
        std::fs::create_dir_all(ws.join("a/b/.claude")).unwrap();
        std::fs::create_dir_all(ws.join(".git/hooks")).unwrap();
        std::fs::create_dir_all(ws.join("sub/.git")).unwrap();
        std::fs::write(ws.join("sub/.git/config"), "").unwrap();
        std::fs::write(ws.join("a/.envrc"), "").unwrap();
        std::fs::write(ws.join("gitfile-repo"), "").unwrap();
        std::fs::create_dir_all(ws.join("w")).unwrap();
        std::fs::write(ws.join("w/.git"), "gitdir: ../x").unwrap();
        std::fs::create_dir_all(out.join(".claude")).unwrap();
        std::os::unix::fs::symlink(&out, ws.join("link")).unwrap();
        let s = scan(&ws).unwrap();
        assert_eq!(
            names(&s),
            [
                ".git/hooks",
                "a/.envrc",
                "a/b/.claude",
                "sub/.git/config",
                "w/.git"
            ]
        );
        assert_eq!(s.git_dirs.len(), 2);
    }

    #[test]
    fn sweep_takes_only_unknown_points() {
        let t = tempfile::tempdir().unwrap();
        let ws = t.path().join("ws");
        std::fs::create_dir_all(ws.join("keep/.vscode")).unwrap();
        let known: Known = scan(&ws)
            .unwrap()
            .points
            .iter()
            .flat_map(|f| f.known.clone())
            .collect();
        std::fs::create_dir_all(ws.join("new/deep/.claude")).unwrap();
        std::fs::write(ws.join("new/deep/.claude/settings.json"), "{}").unwrap();
        std::fs::write(ws.join(".mcp.json"), "{}").unwrap();
        let mut store = Store::new(&t.path().join("q"), "run-t", &ws);
        let sw = sweep(&ws, &known, &mut store);
        assert!(sw.failed.is_empty(), "{:?}", sw.failed);
        let mut moved: Vec<String> = sw
            .moved
            .iter()
            .map(|i| i.path.display().to_string())
            .collect();
        moved.sort();
        assert_eq!(moved, [".mcp.json", "new/deep/.claude"]);
        assert!(ws.join("keep/.vscode").exists());
        assert!(!ws.join("new/deep/.claude").exists());
    }
}
