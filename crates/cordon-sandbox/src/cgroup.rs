//! Resource limits through cgroups: v2 where this process's cgroup delegates
//! the memory and pids controllers, else v1 (root), else none (the caller then
//! falls back to rlimits, or refuses).
use std::io;
use std::path::{Path, PathBuf};

/// A cgroup created for one sandbox; removed on drop.
#[derive(Debug)]
pub struct Cgroup {
    /// One directory (v2) or one per controller (v1).
    dirs: Vec<PathBuf>,
    v2: bool,
}

fn own_paths() -> Vec<(String, String)> {
    // Lines "ID:controllers:path".
    std::fs::read_to_string("/proc/self/cgroup")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let _id = it.next()?;
            let ctrl = it.next()?.to_string();
            let path = it.next()?.to_string();
            Some((ctrl, path))
        })
        .collect()
}

fn rel(p: &str) -> &str {
    p.trim_start_matches('/')
}

impl Cgroup {
    /// A unique cgroup name for this process: `cordon-PID-NANOS` (a pid alone
    /// could be reused while a SIGKILLed cordon's cgroup is still there).
    pub fn unique_name(prefix: &str) -> String {
        let ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("{prefix}-{}-{ns:x}", std::process::id())
    }

    /// Remove cgroups left by cordon processes that died without cleaning up
    /// (SIGKILL): `cordon-PID-...` siblings whose PID is gone. rmdir only
    /// succeeds on an empty cgroup, so a live sandbox is never touched.
    fn reap_stale(parent: &Path) {
        let Ok(rd) = std::fs::read_dir(parent) else {
            return;
        };
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix("cordon-")) else {
                continue;
            };
            let pid = rest.split('-').find_map(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir(e.path());
                }
            }
        }
    }

    /// Create a cgroup with these limits, or say why none could be made.
    pub fn create(name: &str, max_procs: u64, max_memory: Option<u64>) -> Result<Cgroup, String> {
        match Self::create_v2(name, max_procs, max_memory) {
            Ok(c) => Ok(c),
            Err(e2) => Self::create_v1(name, max_procs, max_memory)
                .map_err(|e1| format!("cgroup v2: {e2}; cgroup v1: {e1}")),
        }
    }

    /// A v2 cgroup only (made before the clone: init is born inside it).
    pub(crate) fn create_v2(
        name: &str,
        max_procs: u64,
        max_memory: Option<u64>,
    ) -> Result<Cgroup, String> {
        let base = if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
            PathBuf::from("/sys/fs/cgroup")
        } else if Path::new("/sys/fs/cgroup/unified/cgroup.controllers").exists() {
            PathBuf::from("/sys/fs/cgroup/unified")
        } else {
            return Err("no cgroup2 hierarchy mounted".into());
        };
        let own = own_paths()
            .into_iter()
            .find(|(c, _)| c.is_empty())
            .map(|(_, p)| p)
            .ok_or("no cgroup2 entry in /proc/self/cgroup")?;
        let parent = base.join(rel(&own));
        let enabled =
            std::fs::read_to_string(parent.join("cgroup.subtree_control")).unwrap_or_default();
        let has = |c: &str| enabled.split_whitespace().any(|x| x == c);
        if !(has("memory") && has("pids")) {
            // Try to enable them (works where this cgroup holds no processes of its own).
            let _ = std::fs::write(parent.join("cgroup.subtree_control"), "+memory +pids");
            let enabled =
                std::fs::read_to_string(parent.join("cgroup.subtree_control")).unwrap_or_default();
            let has = |c: &str| enabled.split_whitespace().any(|x| x == c);
            if !(has("memory") && has("pids")) {
                return Err(format!(
                    "{} does not delegate the memory and pids controllers",
                    parent.display()
                ));
            }
        }
        let dir = parent.join(name);
        Self::reap_stale(&parent);
        std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        let cg = Cgroup {
            dirs: vec![dir.clone()],
            v2: true,
        };
        std::fs::write(dir.join("pids.max"), max_procs.to_string())
            .map_err(|e| format!("pids.max: {e}"))?;
        if let Some(m) = max_memory {
            std::fs::write(dir.join("memory.max"), m.to_string())
                .map_err(|e| format!("memory.max: {e}"))?;
            let _ = std::fs::write(dir.join("memory.swap.max"), "0");
        }
        Ok(cg)
    }

    /// A v1 cgroup only (one directory per controller; init joins it).
    pub(crate) fn create_v1(
        name: &str,
        max_procs: u64,
        max_memory: Option<u64>,
    ) -> Result<Cgroup, String> {
        let own = own_paths();
        let find = |ctrl: &str| {
            own.iter()
                .find(|(c, _)| c.split(',').any(|x| x == ctrl))
                .map(|(_, p)| p.clone())
        };
        let mut cg = Cgroup {
            dirs: vec![],
            v2: false,
        };
        let pids = find("pids").ok_or("no pids controller")?;
        let dir = Path::new("/sys/fs/cgroup/pids").join(rel(&pids)).join(name);
        Self::reap_stale(dir.parent().unwrap_or(Path::new("/")));
        std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        cg.dirs.push(dir.clone());
        std::fs::write(dir.join("pids.max"), max_procs.to_string())
            .map_err(|e| format!("pids.max: {e}"))?;
        if let Some(m) = max_memory {
            let mem = find("memory").ok_or("no memory controller")?;
            let dir = Path::new("/sys/fs/cgroup/memory")
                .join(rel(&mem))
                .join(name);
            Self::reap_stale(dir.parent().unwrap_or(Path::new("/")));
            std::fs::create_dir(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
            cg.dirs.push(dir.clone());
            std::fs::write(dir.join("memory.limit_in_bytes"), m.to_string())
                .map_err(|e| format!("memory.limit_in_bytes: {e}"))?;
        }
        Ok(cg)
    }

    /// Move a process into the cgroup.
    pub fn add(&self, pid: libc::pid_t) -> io::Result<()> {
        for d in &self.dirs {
            std::fs::write(d.join("cgroup.procs"), pid.to_string())?;
        }
        Ok(())
    }

    /// The directory of a v2 cgroup, which a child can be cloned straight into
    /// (`CLONE_INTO_CGROUP`); `None` for v1.
    pub fn v2_dir(&self) -> Option<&Path> {
        if self.v2 {
            self.dirs.first().map(PathBuf::as_path)
        } else {
            None
        }
    }

    /// "cgroup v2" or "cgroup v1".
    pub fn describe(&self) -> &'static str {
        if self.v2 {
            "cgroup v2"
        } else {
            "cgroup v1"
        }
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        for d in &self.dirs {
            // Anything left (there should be nothing: init kills all) is killed first.
            if self.v2 {
                let _ = std::fs::write(d.join("cgroup.kill"), "1");
            } else if let Ok(s) = std::fs::read_to_string(d.join("cgroup.procs")) {
                for pid in s.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                    // SAFETY: kill of a pid that is in our own sandbox cgroup.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
            }
            for _ in 0..50 {
                if std::fs::remove_dir(d).is_ok() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::fs::OpenOptionsExt;

    /// The cgroup2 mount and this process's directory in it.
    fn own_v2_dir() -> Option<PathBuf> {
        let base = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
            .into_iter()
            .map(PathBuf::from)
            .find(|b| b.join("cgroup.controllers").exists())?;
        let own = own_paths().into_iter().find(|(c, _)| c.is_empty())?.1;
        Some(base.join(rel(&own)))
    }

    /// A sandbox's init is born inside its v2 cgroup (CLONE_INTO_CGROUP, with
    /// the namespaces the clone makes): it never runs outside it, and nothing has to
    /// migrate. Any cgroup2 directory proves the mechanism, controllers or not.
    #[test]
    fn clone3_puts_the_child_in_the_cgroup_from_birth() {
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("needs root to create a cgroup; CI runs it as root");
            return;
        }
        let parent = own_v2_dir().expect("a cgroup2 hierarchy (CI has one)");
        let name = Cgroup::unique_name("cordon-test-clone3");
        let dir = parent.join(&name);
        std::fs::create_dir(&dir).expect("mkdir in our cgroup2 directory");
        let fd: OwnedFd = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(&dir)
            .unwrap()
            .into();
        let mut pipe = [0; 2];
        // SAFETY: pipe2 fills the two-element array.
        assert_eq!(
            unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) },
            0
        );
        let pid = crate::sys::clone_into_cgroup(crate::sys::CLONE_NAMESPACES, fd.as_fd())
            .expect("clone3 with CLONE_INTO_CGROUP");
        if pid == 0 {
            // Child of a multi-threaded test process: async-signal-safe calls only.
            let mut b = [0u8; 1];
            // SAFETY: read into a local buffer, then _exit.
            unsafe {
                libc::read(pipe[0], b.as_mut_ptr().cast(), 1);
                libc::_exit(0);
            }
        }
        let seen = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap();
        // SAFETY: release the child and reap it.
        unsafe {
            libc::write(pipe[1], b"x".as_ptr().cast(), 1);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
            libc::close(pipe[0]);
            libc::close(pipe[1]);
        }
        let _ = std::fs::remove_dir(&dir);
        let line = seen.lines().find(|l| l.starts_with("0::")).unwrap();
        assert!(line.ends_with(&format!("/{name}")), "child is in {line}");
        assert!(
            procs.lines().any(|l| l.trim() == pid.to_string()),
            "{pid} not in cgroup.procs: {procs}"
        );
    }
}
