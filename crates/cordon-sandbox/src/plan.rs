//! The filesystem plan: what is hidden, what is writable, what stays read-only
//! inside the writable workspace. Computed on the host before the sandbox
//! starts, from the tables in [`crate::tables`] and the user's settings.
use crate::tables::{glob_match, PointKind, HIDDEN, PERSISTENCE};
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
    /// Read-only islands inside writable areas.
    pub protected: Vec<PathBuf>,
    /// Directories created for the run so they can be kept read-only; removed afterwards if empty.
    pub created_dirs: Vec<PathBuf>,
    /// Files that must not be created by the command (checked after the run).
    pub watched_files: Vec<PathBuf>,
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

/// Why a plan cannot be built (bad user input: exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError(pub String);

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
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
            PlanError(format!(
                "workspace {} does not exist or cannot be resolved",
                i.workspace.display()
            ))
        })?;
        if !workspace.is_dir() {
            return Err(PlanError(format!(
                "workspace {} is not a directory",
                workspace.display()
            )));
        }
        let home = i.home.as_deref().and_then(canon);
        // A workspace that contains the home directory (or is /) would make
        // shell rc files and every dotfile writable: refuse.
        if workspace == Path::new("/") || home.as_deref().is_some_and(|h| is_within(h, &workspace))
        {
            return Err(PlanError(format!(
                "workspace {} contains your home directory or the whole filesystem; \
                 run cordon from a project directory or pass --workspace DIR",
                workspace.display()
            )));
        }
        let mut writable = Vec::new();
        for w in &i.allow_write {
            let c = canon(w).ok_or_else(|| {
                PlanError(format!(
                    "--allow-write {}: no such file or directory",
                    w.display()
                ))
            })?;
            if c == Path::new("/") || home.as_deref() == Some(c.as_path()) {
                return Err(PlanError(format!(
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
        let mut add_hidden = |p: PathBuf, forced: bool| {
            for found in glob_last(&p) {
                if let Some(c) = canon(&found) {
                    let unhidden = !forced && allow_read.iter().any(|a| is_within(&c, a));
                    if !unhidden && !hidden.contains(&c) {
                        hidden.push(c);
                    }
                }
            }
        };
        for (entry, _) in HIDDEN {
            if let Some(p) = expand(entry, i.home.as_deref()) {
                add_hidden(p, false);
            }
        }
        for p in &i.deny_read {
            if p.symlink_metadata().is_err() && !p.to_string_lossy().contains('*') {
                // A path that does not exist cannot leak; say nothing.
                continue;
            }
            add_hidden(p.clone(), false);
        }
        for p in &i.own {
            add_hidden(p.clone(), true);
        }
        // Never hide the workspace itself or a parent of it (that would hide the work).
        hidden.retain(|h| !is_within(&workspace, h));

        // Persistence points inside the workspace.
        let mut protected = Vec::new();
        let mut created_dirs = Vec::new();
        let mut watched_files = Vec::new();
        for (rel, kind, _) in PERSISTENCE {
            let p = workspace.join(rel);
            match p.symlink_metadata() {
                Ok(_) => {
                    if let Some(c) = canon(&p) {
                        if !protected.contains(&c) {
                            protected.push(c);
                        }
                    }
                }
                Err(_) => match kind {
                    PointKind::Dir => {
                        // Only create inside a parent that exists and is a real directory
                        // of the workspace (e.g. .git/hooks only in a repository).
                        // Creating a directory in the user's tree is intrusive; do it only
                        // inside .git (invisible to git and to the user), where a hook planted
                        // mid-run would fire on the user's next git command on the host.
                        // Other missing directories are quarantined after the run.
                        let parent_ok = rel.starts_with(".git/")
                            && p.parent()
                                .and_then(canon)
                                .is_some_and(|par| par.is_dir() && is_within(&par, &workspace));
                        if parent_ok {
                            created_dirs.push(p.clone());
                        } else {
                            watched_files.push(p.clone());
                        }
                    }
                    PointKind::File => watched_files.push(p),
                },
            }
        }
        Ok(FsPlan {
            workspace,
            writable,
            hidden,
            protected,
            created_dirs,
            watched_files,
        })
    }

    /// Create the missing persistence directories for the run.
    pub fn prepare(&mut self) -> std::io::Result<()> {
        let mut made = Vec::new();
        for d in &self.created_dirs {
            if std::fs::create_dir(d).is_ok() {
                made.push(d.clone());
                self.protected.push(d.clone());
            }
        }
        self.created_dirs = made;
        Ok(())
    }

    /// After the run: remove the directories created for it (if still empty)
    /// and quarantine persistence files the command created. Returns
    /// `(created path, quarantined as)` for each quarantined file.
    pub fn finish(&self) -> Vec<(PathBuf, PathBuf)> {
        for d in &self.created_dirs {
            let _ = std::fs::remove_dir(d);
        }
        let mut out = Vec::new();
        for f in &self.watched_files {
            if f.symlink_metadata().is_ok() {
                let mut q = f.clone().into_os_string();
                q.push(".cordon-quarantine");
                let q = PathBuf::from(q);
                if std::fs::rename(f, &q).is_ok() {
                    out.push((f.clone(), q));
                }
            }
        }
        out
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
        assert!(e.0.contains("home"), "{e}");
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
        assert!(p.watched_files.contains(&w.join(".claude")));
        assert!(p.watched_files.contains(&w.join(".envrc")));
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
