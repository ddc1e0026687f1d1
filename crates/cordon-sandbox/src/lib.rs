//! Linux containment for cordon.
//!
//! [`Sandbox::spawn`] starts a command in new user, mount, pid, ipc, uts,
//! cgroup and network namespaces, with the host's tree read-only, the
//! workspace writable, secrets hidden, Landlock as a second filesystem layer,
//! every capability dropped, a seccomp filter, resource limits, a scrubbed
//! environment and, when stdin is a terminal, a private pseudo-terminal.
//!
//! ```no_run
//! use cordon_sandbox::{plan::{FsInputs, FsPlan}, Spec, Sandbox};
//! let fs = FsPlan::build(&FsInputs {
//!     home: std::env::var_os("HOME").map(Into::into),
//!     workspace: std::env::current_dir().unwrap(),
//!     ..Default::default()
//! }).unwrap();
//! let spec = Spec::new(vec!["bash".into()], fs);
//! let sandbox = Sandbox::spawn(spec).unwrap();
//! let outcome = sandbox.wait().unwrap();
//! std::process::exit(outcome.code.into());
//! ```
//!
//! Setup follows a fixed order (see [`init`]); each step that fails is
//! reported by name and the command is not started: the sandbox never runs a
//! command with weaker containment than asked for.
//!
//! The process structure: the supervisor (the caller) clones the sandbox's
//! init (pid 1 of the new pid namespace). Init sets everything up, hands the
//! pty master and the proxy's listening sockets to the supervisor over a
//! socket, then forks the command and reaps. When init dies, the kernel kills
//! every process of the sandbox; when the supervisor dies, init gets SIGKILL.

pub mod caps;
pub mod cgroup;
pub mod timing;
use std::os::fd::AsFd;
pub mod env;
mod fence;
pub mod home;
mod init;
mod mounts;
mod msg;
pub mod plan;
pub mod points;
pub mod probe;
pub mod quarantine;
mod relay;
pub mod seccomp;
mod sys;
pub mod tables;
pub mod term;
pub mod unotify;

pub use relay::Outcome;

use std::ffi::OsString;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::OwnedFd;
use std::path::PathBuf;

/// How the command's stdin/stdout/stderr are connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StdioMode {
    /// Pass the caller's descriptors through untouched (pipes, files; binary-safe).
    #[default]
    Inherit,
    /// A pseudo-terminal of the sandbox's own, relayed by the supervisor.
    Pty,
}

/// Protections the user explicitly accepts to run without.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Degraded {
    /// Run even where the kernel enforces no Landlock.
    pub landlock: bool,
    /// Run with rlimits only where no cgroup can be created.
    pub cgroups: bool,
}

/// Resource limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_procs: u64,
    /// Bytes; `None` leaves memory unlimited (only with cgroups it defaults to 3/4 of RAM).
    pub max_memory: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_procs: 4096,
            max_memory: None,
        }
    }
}

/// Everything the sandbox needs to know.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// The command and its arguments (looked up in the scrubbed PATH).
    pub argv: Vec<OsString>,
    /// The complete environment inside (already scrubbed).
    pub env: Vec<(OsString, OsString)>,
    /// Working directory inside.
    pub cwd: PathBuf,
    /// The filesystem plan.
    pub fs: plan::FsPlan,
    pub limits: Limits,
    pub stdio: StdioMode,
    /// With [`StdioMode::Pty`]: which of stdin, stdout, stderr get the pty
    /// (the others pass through, e.g. a redirected stdout stays a file).
    pub pty_streams: [bool; 3],
    /// Addresses to bind inside the sandbox's network namespace; the listening
    /// sockets are handed back in [`Sandbox::listeners`].
    pub net_listen: Vec<SocketAddr>,
    /// Unix sockets of cordon's own services made reachable inside: (host path,
    /// path inside). They are bound read-only; the sandbox can connect, not replace them.
    pub sockets: Vec<(PathBuf, PathBuf)>,
    /// Pathname unix sockets outside the sandbox's own mounts that may be
    /// connected to (`--allow-unix-socket`), as the sandbox sees them.
    pub unix_allow: Vec<PathBuf>,
    pub allow_degraded: Degraded,
    /// `$HOME` as an overlay (writes kept by cordon, never on the host);
    /// `None` leaves it read-only like the rest of the host tree.
    pub home: Option<home::HomeOverlay>,
    /// Filled in by [`Sandbox::spawn`].
    #[doc(hidden)]
    pub seccomp: Vec<seccompiler::BpfProgram>,
    #[doc(hidden)]
    pub seccomp_notify: seccompiler::BpfProgram,
    #[doc(hidden)]
    pub root_inside: bool,
}

impl Spec {
    /// A spec with defaults: inherited stdio, default limits, cwd = workspace.
    pub fn new(argv: Vec<OsString>, fs: plan::FsPlan) -> Spec {
        Spec {
            argv,
            cwd: fs.workspace.clone(),
            fs,
            pty_streams: [true; 3],
            ..Default::default()
        }
    }
}

/// A setup failure: which step, what happened, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxError {
    pub step: String,
    pub detail: String,
    pub hint: Option<String>,
}

impl std::fmt::Display for SandboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot set up the sandbox ({}): {}",
            self.step, self.detail
        )
    }
}

impl std::error::Error for SandboxError {}

fn err(step: &str, detail: impl ToString) -> SandboxError {
    SandboxError {
        step: step.into(),
        detail: detail.to_string(),
        hint: None,
    }
}

/// Init exited during setup: the step that failed is usually still queued
/// on the socket (`Failed`) behind the error its exit caused (a reset, a
/// broken pipe); report that step rather than the socket error.
fn init_gone(sock: &OwnedFd, fallback: SandboxError) -> SandboxError {
    for _ in 0..2 {
        match sys::recv_msg(sock) {
            Ok((data, _)) => {
                if let Ok(msg::InitMsg::Failed { step, detail, hint }) =
                    serde_json::from_slice(&data)
                {
                    return SandboxError { step, detail, hint };
                }
                break;
            }
            Err(e) if e.raw_os_error() == Some(libc::ECONNRESET) => continue,
            Err(_) => break,
        }
    }
    fallback
}

/// What was actually enforced, for `-v` and the journal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enforced {
    pub landlock: String,
    pub limits: String,
}

/// A running sandbox.
pub struct Sandbox {
    pid: libc::pid_t,
    sock: OwnedFd,
    master: Option<OwnedFd>,
    /// Listening sockets bound inside the sandbox's network namespace.
    pub listeners: Vec<TcpListener>,
    /// What is enforced.
    pub enforced: Enforced,
    pty_streams: [bool; 3],
    started: bool,
    waited: bool,
    _cgroup: Option<cgroup::Cgroup>,
    unix: unotify::Server,
    /// Init's setup phases, as [`timing::format_marks`] words them (for `-v`).
    pub init_timing: String,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if !self.waited {
            kill_and_reap(self.pid);
        }
    }
}

fn kill_and_reap(pid: libc::pid_t) {
    // SAFETY: killing and reaping our own child (the sandbox's init).
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
}

/// A sandbox whose init is still setting up (see [`Sandbox::launch`]).
pub struct Pending {
    pid: Option<libc::pid_t>,
    sock: Option<OwnedFd>,
    limits: String,
    pty_streams: [bool; 3],
    cgroup: Option<cgroup::Cgroup>,
    init_timing: String,
    unix_policy: unotify::UnixPolicy,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(pid) = self.pid {
            kill_and_reap(pid);
        }
    }
}

impl Pending {
    /// Wait for init to finish setting up. The command has not started yet.
    pub fn ready(mut self) -> Result<Sandbox, SandboxError> {
        let (Some(pid), Some(sock)) = (self.pid, self.sock.take()) else {
            return Err(err("starting init", "already used"));
        };
        let (data, mut fds) =
            sys::recv_msg(&sock).map_err(|e| init_gone(&sock, err("starting init", e)))?;
        let (listeners, pty) = match init_msg(&data)? {
            msg::InitMsg::Handoff { listeners, pty } => (listeners, pty),
            _ => return Err(err("starting init", "unexpected message")),
        };
        if fds.len() != listeners + usize::from(pty) {
            return Err(err("starting init", "descriptors missing"));
        }
        let master = if pty { fds.pop() } else { None };
        let listeners = fds.into_iter().map(TcpListener::from).collect();
        let (data, _) = sys::recv_msg(&sock).map_err(|e| err("starting init", e))?;
        timing::mark("rest of init's setup");
        let msg::InitMsg::Ready {
            landlock,
            notify_fd,
            timing: init_marks,
        } = init_msg(&data)?
        else {
            return Err(err("starting init", "unexpected message"));
        };
        let unix = unotify::take_fd(pid, notify_fd)
            .and_then(|l| unotify::Server::start(l, pid, &self.unix_policy))
            .map_err(|e| SandboxError {
                step: "unix-socket mediation".into(),
                detail: format!("taking init's seccomp listener: {e}"),
                hint: Some(init::NOTIFY_HINT.into()),
            })?;
        timing::mark("unix-socket mediation");
        self.pid = None; // the Sandbox owns init from here
        self.init_timing = timing::format_marks(&init_marks);
        if let (Some(o), Some(first)) = (timing::origin(), init_marks.first()) {
            self.init_timing = format!(
                "{} (init began {:.2} ms after cordon's start)",
                self.init_timing,
                first.1.saturating_sub(o) as f64 / 1e6
            );
        }
        Ok(Sandbox {
            pid,
            sock,
            master,
            listeners,
            enforced: Enforced {
                landlock,
                limits: std::mem::take(&mut self.limits),
            },
            init_timing: std::mem::take(&mut self.init_timing),
            pty_streams: self.pty_streams,
            started: false,
            waited: false,
            _cgroup: self.cgroup.take(),
            unix,
        })
    }
}

/// A message from init; a reported failure becomes the error.
fn init_msg(data: &[u8]) -> Result<msg::InitMsg, SandboxError> {
    match serde_json::from_slice(data) {
        Ok(msg::InitMsg::Failed { step, detail, hint }) => {
            // Init exits after reporting; Drop reaps it.
            Err(SandboxError { step, detail, hint })
        }
        Ok(m) => Ok(m),
        Err(_) => Err(err("starting init", "the sandbox's init died during setup")),
    }
}

/// The memory limit when none is given and a cgroup enforces it: 3/4 of
/// RAM (`None` if RAM is unknown). The widest value a config that does not
/// name one gets; a project file may only go below it.
pub fn default_max_memory() -> Option<u64> {
    total_ram().map(|r| r / 4 * 3)
}

fn total_ram() -> Option<u64> {
    // SAFETY: sysconf has no memory-safety preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    // SAFETY: as above.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    (pages > 0 && size > 0).then(|| pages as u64 * size as u64)
}

impl Sandbox {
    /// Start the command in a new sandbox. Must be called while the calling
    /// process has a single thread (before starting a runtime): the sandbox's
    /// init is forked from it. The calling thread must outlive the sandbox.
    pub fn spawn(spec: Spec) -> Result<Sandbox, SandboxError> {
        let mut sb = Sandbox::launch(spec)?.ready()?;
        sb.start()?;
        Ok(sb)
    }

    /// Start building the sandbox and return at once: init sets up in the
    /// background while the caller prepares (e.g. opens the journal). The
    /// command starts only after [`Pending::ready`] and [`Sandbox::start`];
    /// dropping a `Pending` or an unstarted `Sandbox` kills init.
    pub fn launch(mut spec: Spec) -> Result<Pending, SandboxError> {
        if spec.argv.is_empty() {
            return Err(err("command", "no command given"));
        }
        // SAFETY: getuid/getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        spec.root_inside = uid == 0;
        spec.seccomp = seccomp::compile().map_err(|e| err("seccomp", e))?;
        spec.seccomp_notify = seccomp::compile_notify().map_err(|e| err("seccomp", e))?;
        // An allowed socket under a directory that is private inside (an ssh
        // agent's in /tmp, Docker's in /run) would be hidden by the private
        // mount: it is bound in at its own path, read-only like cordon's own.
        for p in &spec.unix_allow {
            let private = unotify::PRIVATE_DIRS.iter().any(|d| p.starts_with(d));
            if private && p.exists() && !spec.sockets.iter().any(|(_, inside)| inside == p) {
                spec.sockets.push((p.clone(), p.clone()));
            }
        }
        let unix_policy = unotify::UnixPolicy::for_spec(&spec);

        // Limits: a cgroup where possible; otherwise rlimits for an
        // unprivileged user (root is exempt from RLIMIT_NPROC, so root needs a
        // cgroup). A v2 cgroup is made before the clone, so that init is born
        // inside it; a v1 cgroup after it, while init builds its namespaces.
        let name = cgroup::Cgroup::unique_name("cordon");
        let mem = spec.limits.max_memory.or_else(default_max_memory);
        let (v2, v2_err) = match cgroup::Cgroup::create_v2(&name, spec.limits.max_procs, mem) {
            Ok(c) => (Some(c), String::new()),
            Err(e) => (None, e),
        };

        let (sup_sock, init_sock) = sys::seqpacket_pair().map_err(|e| err("control socket", e))?;
        // The child gets a copy of this single-threaded process and never returns here.
        // With cgroup v2 it is born in its cgroup; otherwise it joins it below.
        let (cloned, born_inside) = match v2.as_ref().and_then(|c| c.v2_dir()) {
            Some(dir) => match open_dir(dir) {
                Ok(fd) => match sys::clone_into_cgroup(sys::CLONE_NAMESPACES, fd.as_fd()) {
                    Ok(pid) => (Ok(pid), true),
                    // Kernels before 5.7 have no clone3/CLONE_INTO_CGROUP.
                    Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::E2BIG)) => {
                        (sys::clone_into(sys::CLONE_NAMESPACES), false)
                    }
                    Err(e) => (Err(e), true),
                },
                Err(e) => {
                    return Err(err(
                        "resource limits",
                        format!("opening {}: {e}", dir.display()),
                    ))
                }
            },
            None => (sys::clone_into(sys::CLONE_NAMESPACES), false),
        };
        let pid = match cloned {
            Ok(pid) => pid,
            Err(e) => {
                return Err(SandboxError {
                step: "namespaces".into(),
                detail: format!("clone: {e}"),
                hint: Some(
                    "this kernel or container forbids user namespaces; allow them (sysctl user.max_user_namespaces, or the container runtime's seccomp/AppArmor profile) and run `cordon doctor`".into(),
                ),
            })
            }
        };
        if pid == 0 {
            drop(sup_sock);
            init::run(&spec, init_sock);
        }
        drop(init_sock);
        let kill_child = |e: SandboxError| {
            // SAFETY: killing and reaping our own child after a failed setup.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
            e
        };
        // uid/gid maps.
        let maps = if spec.root_inside {
            vec![
                ("uid_map", "0 0 1".to_string()),
                ("gid_map", "0 0 1".to_string()),
            ]
        } else {
            vec![
                ("setgroups", "deny".to_string()),
                ("uid_map", format!("{uid} {uid} 1")),
                ("gid_map", format!("{gid} {gid} 1")),
            ]
        };
        for (file, content) in maps {
            std::fs::write(format!("/proc/{pid}/{file}"), content)
                .map_err(|e| kill_child(err("user namespace maps", format!("{file}: {e}"))))?;
        }
        let send = |m: msg::SupMsg| {
            sys::send_msg(&sup_sock, &serde_json::to_vec(&m).unwrap_or_default(), &[])
        };
        send(msg::SupMsg::Go)
            .map_err(|e| kill_child(init_gone(&sup_sock, err("starting init", e))))?;
        timing::mark("clone");
        let (cg, rlimits) = match v2 {
            Some(c) => (Some(c), None),
            None => match cgroup::Cgroup::create_v1(&name, spec.limits.max_procs, mem) {
                Ok(c) => (Some(c), None),
                Err(v1_err) => {
                    let why = format!("cgroup v2: {v2_err}; cgroup v1: {v1_err}");
                    if spec.root_inside && !spec.allow_degraded.cgroups {
                        return Err(kill_child(SandboxError {
                            step: "resource limits".into(),
                            detail: format!("no cgroup could be created ({why}); as root, process limits need one"),
                            hint: Some("run on a host with cgroups writable by root, or pass --allow-degraded cgroups".into()),
                        }));
                    }
                    (None, Some(why))
                }
            },
        };
        let limits_desc = match (&cg, &rlimits) {
            (Some(c), _) => format!(
                "{}: {} processes, {} memory",
                c.describe(),
                spec.limits.max_procs,
                mem.map(human).unwrap_or_else(|| "unlimited".into())
            ),
            (None, why) => format!(
                "rlimits: {} processes, {} address space (no cgroup: {})",
                spec.limits.max_procs,
                spec.limits
                    .max_memory
                    .map(human)
                    .unwrap_or_else(|| "unlimited".into()),
                why.as_deref().unwrap_or_default()
            ),
        };
        timing::mark("cgroup created");
        // Joining a cgroup (v1, or v2 on kernels without CLONE_INTO_CGROUP)
        // waits for an RCU grace period (milliseconds): done while init
        // builds its namespaces and mounts.
        if let (Some(c), false) = (&cg, born_inside) {
            c.add(pid).map_err(|e| {
                kill_child(err("resource limits", format!("joining the cgroup: {e}")))
            })?;
        }
        let rlimits = rlimits.map(|_| (spec.limits.max_procs, spec.limits.max_memory));
        send(msg::SupMsg::Joined { rlimits })
            .map_err(|e| kill_child(init_gone(&sup_sock, err("starting init", e))))?;
        timing::mark(if born_inside {
            "cgroup join (none: born inside)"
        } else {
            "cgroup join"
        });
        Ok(Pending {
            pid: Some(pid),
            sock: Some(sup_sock),
            limits: limits_desc,
            pty_streams: spec.pty_streams,
            cgroup: cg,
            init_timing: String::new(),
            unix_policy,
        })
    }

    /// Let the command start (idempotent).
    pub fn start(&mut self) -> Result<(), SandboxError> {
        if !self.started {
            sys::send_msg(
                &self.sock,
                &serde_json::to_vec(&msg::SupMsg::Start).unwrap_or_default(),
                &[],
            )
            .map_err(|e| err("starting the command", e))?;
            self.started = true;
        }
        Ok(())
    }

    /// Pathname unix sockets the sandbox was refused so far (connect or a
    /// datagram), for the end-of-run summary.
    pub fn unix_refusals(&self) -> Vec<unotify::Refusal> {
        self.unix.refusals()
    }

    /// The sandbox init's pid on the host.
    pub fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// Relay the terminal, forward signals, and wait for the command to end
    /// and the sandbox to be gone (init reaped, cgroup removed).
    pub fn wait(mut self) -> Result<Outcome, SandboxError> {
        self.relay(false)
    }

    /// Like [`Sandbox::wait`], but returns as soon as init reports how the
    /// command ended, when every process of the sandbox but init is already
    /// dead. The kernel tears the namespaces down as init exits, meanwhile;
    /// dropping the `Sandbox` reaps init and removes the cgroup. A caller
    /// with its own work to finish (stopping the proxy, journaling the end)
    /// does it in that time.
    pub fn wait_command(&mut self) -> Result<Outcome, SandboxError> {
        self.relay(true)
    }

    fn relay(&mut self, until_report: bool) -> Result<Outcome, SandboxError> {
        self.start()?;
        let master = self.master.take();
        // The terminal's output goes to stdout if it holds the pty, else to stderr.
        let out_fd = if self.pty_streams[1] || !self.pty_streams[2] {
            1
        } else {
            2
        };
        let streams = relay::PtyStreams {
            stdin: self.pty_streams[0],
            winsize_from: (0..3).find(|&i| self.pty_streams[i]).unwrap_or(0) as i32,
        };
        let outcome = relay::supervise(self.pid, &self.sock, master, streams, out_fd, until_report)
            .map_err(|e| err("supervising", e));
        // Reaped by supervise unless it returned at the report (or failed):
        // then Drop reaps init.
        self.waited = !until_report && outcome.is_ok();
        outcome
    }
}

/// A read-only descriptor of a directory (for CLONE_INTO_CGROUP).
fn open_dir(dir: &std::path::Path) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(dir)
        .map(std::os::fd::OwnedFd::from)
}

fn human(b: u64) -> String {
    const G: u64 = 1 << 30;
    const M: u64 = 1 << 20;
    if b >= G {
        format!("{:.1} GiB", b as f64 / G as f64)
    } else {
        format!("{} MiB", b / M)
    }
}
