//! The filesystem plan: what is hidden, what is writable, what stays read-only
//! inside the writable workspace. Computed on the host before the sandbox
//! starts, from the tables in [`crate::tables`] and the user's settings.
use crate::points::{self, GitDir, Known};
use crate::quarantine::Store;
use crate::tables::glob_match;
use std::path::{Path, PathBuf};

/// A resolved filesystem plan (all paths absolute and canonical).
#[derive(Debug, Clone, Default)]
pub struct FsPlan {
    /// The writable workspace.
    pub workspace: PathBuf,
    /// Extra writable paths.
    pub writable: Vec<PathBuf>,
    /// Paths hidden from the sandbox (existing files and directories).
    pub hidden: Vec<PathBuf>,
    /// Those hidden files that read as empty rather than failing
    /// (`cordon_catalog::Cover::Empty`).
    pub blank: Vec<PathBuf>,
    /// Read-only islands inside writable areas.
    pub protected: Vec<PathBuf>,
    /// Directories created for the run so they can be kept read-only; removed afterwards if empty.
    pub created_dirs: Vec<PathBuf>,
    /// The persistence points that exist before the run (kept read-only during it): after
    /// the run, a point at any depth that is not one of these inodes is quarantined.
    pub known: Known,
    /// Git directories bound onto themselves (writable) so that they cannot be renamed or
    /// removed during the run; their code-bearing files are among `protected`.
    pub pinned: Vec<PathBuf>,
    /// `--allow-write` paths that are git directories: scanned and swept like the workspace.
    pub git_roots: Vec<PathBuf>,
}

/// Inputs to [`FsPlan::build`].
#[derive(Debug, Clone, Default)]
pub struct FsInputs {
    pub home: Option<PathBuf>,
    pub workspace: PathBuf,
    pub allow_write: Vec<PathBuf>,
    pub allow_read: Vec<PathBuf>,
    pub deny_read: Vec<PathBuf>,
    /// cordon's own directories (config, data): always hidden.
    pub own: Vec<PathBuf>,
}

/// Why a plan cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// Bad user input (exit 2).
    Usage(String),
    /// A protection cannot be set up on this workspace (exit 125).
    Unprotectable(String),
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::Usage(m) | PlanError::Unprotectable(m) => f.write_str(m),
        }
    }
}

fn expand(entry: &str, home: Option<&Path>) -> Option<PathBuf> {
    if let Some(rest) = entry.strip_prefix("~/") {
        home.map(|h| h.join(rest))
    } else {
        Some(PathBuf::from(entry))
    }
}

/// Expand a path whose last component may hold `*` into existing paths.
fn glob_last(p: &Path) -> Vec<PathBuf> {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !name.contains('*') {
        return if p.symlink_metadata().is_ok() {
            vec![p.to_path_buf()]
        } else {
            vec![]
        };
    }
    let Some(dir) = p.parent() else { return vec![] };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| glob_match(name, n)))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

fn canon(p: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(p).ok()
}

fn is_within(p: &Path, root: &Path) -> bool {
    p.starts_with(root)
}

impl FsPlan {
    /// Resolve the plan. The workspace and every `allow_write` path must exist.
    pub fn build(i: &FsInputs) -> Result<FsPlan, PlanError> {
        let workspace = canon(&i.workspace).ok_or_else(|| {
            PlanError::Usage(format!(
                "workspace {} does not exist or cannot be resolved",
                i.workspace.display()
            ))
        })?;
        if !workspace.is_dir() {
            return Err(PlanError::Usage(format!(
                "workspace {} is not a directory",
                workspace.display()
            )));
        }
        let home = i.home.as_deref().and_then(canon);
        // A workspace that contains the home directory (or is /) would make
        // shell rc files and every dotfile writable: refuse.
        if workspace == Path::new("/") || home.as_deref().is_some_and(|h| is_within(h, &workspace))
        {
            return Err(PlanError::Usage(format!(
                "workspace {} contains your home directory or the whole filesystem; \
                 run cordon from a project directory or pass --workspace DIR",
                workspace.display()
            )));
        }
        let mut writable = Vec::new();
        for w in &i.allow_write {
            let c = canon(w).ok_or_else(|| {
                PlanError::Usage(format!(
                    "--allow-write {}: no such file or directory",
                    w.display()
                ))
            })?;
            if c == Path::new("/") || home.as_deref() == Some(c.as_path()) {
                return Err(PlanError::Usage(format!(
                    "--allow-write {}: refusing to make {} writable as a whole",
                    w.display(),
                    c.display()
                )));
            }
            writable.push(c);
        }

        // Hidden: the table, plus --deny-read, plus cordon's own dirs; minus --allow-read.
        let allow_read: Vec<PathBuf> = i.allow_read.iter().filter_map(|p| canon(p)).collect();
        let mut hidden: Vec<PathBuf> = Vec::new();
        let mut blank: Vec<PathBuf> = Vec::new();
        let mut add_hidden = |p: PathBuf, forced: bool, empty: bool| {
            for found in glob_last(&p) {
                if let Some(c) = canon(&found) {
                    let unhidden = !forced && allow_read.iter().any(|a| is_within(&c, a));
                    if !unhidden && !hidden.contains(&c) {
                        if empty {
                            blank.push(c.clone());
                        }
                        hidden.push(c);
                    }
                }
            }
        };
        for entry in cordon_catalog::hidden() {
            if let Some(p) = expand(entry.path, i.home.as_deref()) {
                add_hidden(p, false, entry.cover == cordon_catalog::Cover::Empty);
            }
        }
        for p in &i.deny_read {
            if p.symlink_metadata().is_err() && !p.to_string_lossy().contains('*') {
                // A path that does not exist cannot leak; say nothing.
                continue;
            }
            add_hidden(p.clone(), false, false);
        }
        for p in &i.own {
            add_hidden(p.clone(), true, false);
        }
        // Never hide the workspace itself or a parent of it (that would hide the work).
        hidden.retain(|h| !is_within(&workspace, h));
        blank.retain(|b| hidden.contains(b));

        // Persistence points and git directories at any depth of the workspace,
        // and in any --allow-write path that is a git directory (to commit from a
        // linked worktree, say): its config and hooks stay read-only there too.
        let unprotectable = |root: &Path, (rel, e): (PathBuf, std::io::Error)| {
            PlanError::Unprotectable(format!(
                "cannot read {} ({e}); cordon must see every directory of the workspace \
                 to protect what runs on the host later (make it readable, or pass --workspace DIR)",
                root.join(rel).display()
            ))
        };
        let git_roots: Vec<PathBuf> = writable.iter().filter(|w| is_git_dir(w)).cloned().collect();
        let mut scans = vec![(
            workspace.clone(),
            points::scan(&workspace).map_err(|e| unprotectable(&workspace, e))?,
        )];
        for g in &git_roots {
            scans.push((g.clone(), points::scan(g).map_err(|e| unprotectable(g, e))?));
        }
        let mut protected = Vec::new();
        let mut known = Known::new();
        let mut created_dirs = Vec::new();
        let mut pinned = Vec::new();
        for (root, scan) in &scans {
            for f in &scan.points {
                // A symlink is protected through its target; a dangling one is not
                // known, so it is quarantined after the run if still there.
                if let Some(c) = canon(&root.join(&f.rel)) {
                    known.extend(f.known.iter().map(|(k, v)| (*k, *v)));
                    if !protected.contains(&c) {
                        protected.push(c);
                    }
                }
            }
            for (g, kind) in &scan.git_dirs {
                // A missing hooks directory is created for the run (invisible
                // inside the git directory) and kept read-only: a hook planted
                // mid-run would fire on the user's next git command.
                let hooks = root.join(g).join("hooks");
                if *kind == GitDir::Repo && hooks.symlink_metadata().is_err() {
                    created_dirs.push(hooks);
                }
                // Bound onto itself: a mount point cannot be renamed or removed,
                // so a git directory cannot be moved aside for a new one.
                pinned.push(root.join(g));
            }
        }
        Ok(FsPlan {
            workspace,
            writable,
            hidden,
            blank,
            protected,
            created_dirs,
            known,
            pinned,
            git_roots,
        })
    }

    /// Create the missing persistence directories for the run.
    pub fn prepare(&mut self) -> std::io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        let mut made = Vec::new();
        for d in &self.created_dirs {
            if std::fs::create_dir(d).is_ok() {
                if let Ok(m) = d.symlink_metadata() {
                    self.known.insert((m.dev(), m.ino()), None);
                }
                made.push(d.clone());
                self.protected.push(d.clone());
            }
        }
        self.created_dirs = made;
        Ok(())
    }

    /// After the run, once every process of the sandbox is dead: remove the
    /// directories created for it (if still empty) and move every persistence
    /// point the run created, at any depth, into `store`.
    pub fn finish(&self, store: &mut Store) -> points::Sweep {
        for d in &self.created_dirs {
            let root = self.git_roots.iter().find(|g| d.starts_with(g));
            remove_empty_dir(root.unwrap_or(&self.workspace), d);
        }
        store.set_root(None);
        let mut out = points::sweep(&self.workspace, &self.known, store);
        for g in &self.git_roots {
            store.set_root(Some(g.clone()));
            let more = points::sweep(g, &self.known, store);
            out.moved.extend(more.moved);
            out.failed
                .extend(more.failed.into_iter().map(|(rel, e)| (g.join(rel), e)));
        }
        out
    }
}

/// Is `p` a git directory (`HEAD`, `objects/`, `refs/`)?
fn is_git_dir(p: &Path) -> bool {
    p.join("HEAD").is_file() && p.join("objects").is_dir() && p.join("refs").is_dir()
}

/// Remove `dir` (below `root`) if it is an empty directory, never following a symlink.
fn remove_empty_dir(root: &Path, dir: &Path) {
    use crate::quarantine::{open_beneath, open_root};
    use std::os::fd::AsFd;
    let (Ok(rel), Some(name)) = (dir.strip_prefix(root), dir.file_name()) else {
        return;
    };
    let Some(parent) = rel.parent() else { return };
    let Ok(r) = open_root(root) else { return };
    if let Ok(p) = open_beneath(r.as_fd(), parent, false) {
        let _ = rustix::fs::unlinkat(p.as_fd(), name, rustix::fs::AtFlags::REMOVEDIR);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_home_as_workspace() {
        let t = tempfile::tempdir().unwrap();
        let e = FsPlan::build(&FsInputs {
            home: Some(t.path().into()),
            workspace: t.path().into(),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("home"), "{e}");
    }

    #[test]
    fn hides_secrets_and_protects_points() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".ssh")).unwrap();
        std::fs::write(home.path().join(".cargo-credentials-x"), "").unwrap();
        let ws = home.path().join("proj");
        std::fs::create_dir_all(ws.join(".git/hooks")).unwrap();
        std::fs::write(ws.join(".git/config"), "").unwrap();
        let p = FsPlan::build(&FsInputs {
            home: Some(home.path().into()),
            workspace: ws.clone(),
            ..Default::default()
        })
        .unwrap();
        let h = std::fs::canonicalize(home.path()).unwrap();
        assert!(p.hidden.contains(&h.join(".ssh")));
        let w = std::fs::canonicalize(&ws).unwrap();
        assert!(p.protected.contains(&w.join(".git/hooks")));
        assert!(p.protected.contains(&w.join(".git/config")));
        assert!(p.created_dirs.is_empty(), "hooks exist; nothing to create");
        assert_eq!(p.known.len(), 2);
    }

    #[test]
    fn allow_read_unhides() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".aws")).unwrap();
        let ws = home.path().join("proj");
        std::fs::create_dir(&ws).unwrap();
        let p = FsPlan::build(&FsInputs {
            home: Some(home.path().into()),
            workspace: ws,
            allow_read: vec![home.path().join(".aws")],
            ..Default::default()
        })
        .unwrap();
        assert!(!p.hidden.iter().any(|h| h.ends_with(".aws")));
    }
}
