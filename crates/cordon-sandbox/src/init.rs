//! The sandbox's init: the first process in the new namespaces.
//!
//! Fixed order, each step failing with its own name (sent to the supervisor,
//! which refuses to run the command):
//! 1. new mount, ipc, uts and network namespaces (the clone made only the
//!    user and pid namespaces: the kernel builds the others here, about
//!    0.4 ms, while the supervisor writes the uid/gid maps and creates the
//!    cgroup); wait for the maps;
//! 2. hostname;
//! 3. the mount plan, then pivot_root into it;
//! 4. loopback up and the proxy's listeners bound, handed to the supervisor;
//! 5. the pseudo-terminal (from the sandbox's own devpts), master handed over;
//! 6. wait until the supervisor has moved init into the sandbox's cgroup (it
//!    does so while init mounts), new cgroup namespace; a fresh session
//!    keyring, descriptors closed;
//! 7. Landlock (no_new_privs), capabilities dropped, securebits locked;
//! 8. seccomp: the user-notification filter for unix sockets (its listener
//!    taken by the supervisor), then the table;
//! 9. fork the command (setsid, controlling terminal, exec), then reap zombies,
//!    forward signals, and report the exit status.
use crate::msg::{InitMsg, SupMsg};
use crate::sys;
use crate::timing;
use crate::{Spec, StdioMode};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};

/// How to fix a kernel without seccomp user notification.
pub(crate) const NOTIFY_HINT: &str = "cordon mediates unix sockets with seccomp user notification and pidfd_getfd: it needs Linux 5.9 or later, a container seccomp profile that allows them, and kernel.yama.ptrace_scope at most 1 (2 as root); run `cordon doctor`";

/// A failed setup step.
struct StepError {
    step: &'static str,
    detail: String,
    hint: Option<String>,
}

fn step<T>(name: &'static str, r: io::Result<T>) -> Result<T, StepError> {
    r.map_err(|e| StepError {
        step: name,
        detail: e.to_string(),
        hint: None,
    })
}

fn send(sock: &OwnedFd, m: &InitMsg, fds: &[RawFd]) {
    let _ = sys::send_msg(sock, &serde_json::to_vec(m).unwrap_or_default(), fds);
}

/// Entry point of the cloned child. Never returns.
pub fn run(spec: &Spec, sock: OwnedFd) -> ! {
    match setup_and_run(spec, &sock) {
        Ok(code) => {
            // SAFETY: _exit is always safe; no destructors must run after fork.
            unsafe { libc::_exit(code as i32) }
        }
        Err(e) => {
            send(
                &sock,
                &InitMsg::Failed {
                    step: e.step.to_string(),
                    detail: e.detail,
                    hint: e.hint,
                },
                &[],
            );
            // SAFETY: as above.
            unsafe { libc::_exit(125) }
        }
    }
}

fn setup_and_run(spec: &Spec, sock: &OwnedFd) -> Result<u8, StepError> {
    // The supervisor's marks came along with the copy of its memory.
    let _ = timing::take();
    timing::mark("init");
    // Die with the supervisor.
    step(
        "parent-death signal",
        sys::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            "prctl(PDEATHSIG)",
        ),
    )?;
    // 1. Namespaces (the clone made only the user and pid ones).
    // SAFETY: unshare with namespace flags; affects only this process.
    if unsafe { libc::unshare(sys::INIT_NAMESPACES) } != 0 {
        return Err(StepError {
            step: "namespaces",
            detail: format!("unshare: {}", io::Error::last_os_error()),
            hint: None,
        });
    }
    timing::mark("namespaces");
    // Wait for the supervisor's go.
    let (buf, _) = step("waiting for the supervisor", sys::recv_msg(sock))?;
    match serde_json::from_slice::<SupMsg>(&buf) {
        Ok(SupMsg::Go) => {}
        _ => {
            return Err(StepError {
                step: "waiting for the supervisor",
                detail: "supervisor went away".into(),
                hint: None,
            })
        }
    }
    if spec.root_inside {
        // Drop supplementary groups inherited from the host (root only: an
        // unprivileged user namespace cannot, because setgroups is denied).
        // SAFETY: setgroups with an empty list.
        if unsafe { libc::setgroups(0, std::ptr::null()) } != 0 {
            return Err(StepError {
                step: "dropping supplementary groups",
                detail: io::Error::last_os_error().to_string(),
                hint: None,
            });
        }
    }
    timing::mark("wait for the uid map");
    // 2. Hostname.
    let host = b"cordon";
    // SAFETY: valid buffer and length.
    unsafe { libc::sethostname(host.as_ptr() as *const libc::c_char, host.len()) };

    // 3. Mounts.
    crate::mounts::build(spec).map_err(|(s, e)| StepError {
        step: s,
        detail: e.to_string(),
        hint: Some(if s == crate::home::STEP {
            crate::home::HINT.into()
        } else {
            "run `cordon doctor` to see what this kernel supports".into()
        }),
    })?;
    step(
        "entering the workspace",
        std::env::set_current_dir(&spec.cwd),
    )?;
    timing::mark("mounts");

    // 4. Network: enter the namespace the thread built (loopback up,
    // listeners for the proxy bound in it).
    let mut pass: Vec<OwnedFd> = Vec::new();
    step("loopback interface", loopback_up())?;
    for addr in &spec.net_listen {
        let l = step("proxy listener", std::net::TcpListener::bind(addr))?;
        pass.push(l.into());
    }
    let n_listeners = pass.len();

    // 5. Pseudo-terminal from the sandbox's own devpts.
    let mut slave: Option<OwnedFd> = None;
    if spec.stdio == StdioMode::Pty {
        let (m, s) = step("pseudo-terminal", open_pty())?;
        pass.push(m);
        slave = Some(s);
    }

    timing::mark("network and terminal");
    // Wait until the supervisor has moved us into the sandbox's cgroup, then
    // make that cgroup the root of a new cgroup namespace.
    let (buf, _) = step("joining the cgroup", sys::recv_msg(sock))?;
    let rlimits = match serde_json::from_slice::<SupMsg>(&buf) {
        Ok(SupMsg::Joined { rlimits }) => rlimits,
        _ => {
            return Err(StepError {
                step: "joining the cgroup",
                detail: "supervisor went away".into(),
                hint: None,
            })
        }
    };
    // SAFETY: unshare with a namespace flag; affects only this process.
    if unsafe { libc::unshare(libc::CLONE_NEWCGROUP) } != 0 {
        return Err(StepError {
            step: "cgroup namespace",
            detail: io::Error::last_os_error().to_string(),
            hint: None,
        });
    }

    timing::mark("wait for the cgroup");
    // 6. Fresh session keyring; close every inherited descriptor.
    // SAFETY: KEYCTL_JOIN_SESSION_KEYRING with a null name creates an anonymous keyring.
    unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            1, /* KEYCTL_JOIN_SESSION_KEYRING */
            0usize,
        )
    };
    let mut keep = vec![sock.as_raw_fd()];
    keep.extend(pass.iter().map(|f| f.as_raw_fd()));
    if let Some(s) = &slave {
        keep.push(s.as_raw_fd());
    }
    sys::close_fds_except(&keep);

    // 7. Landlock, capabilities.
    let ll = crate::fence::apply(spec).map_err(|e| StepError {
        step: "Landlock",
        detail: e,
        hint: Some("pass --allow-degraded landlock to run without it (weaker), or use a kernel with Landlock enabled".into()),
    })?;
    step(
        "no_new_privs",
        sys::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, "prctl(NO_NEW_PRIVS)"),
    )?;
    step("dropping capabilities", crate::caps::drop_all())?;

    timing::mark("keyring/descriptors/Landlock/capabilities");
    // Hand the listeners and the pty master to the supervisor now: after
    // seccomp, sendmsg stops in the supervisor's unix-socket mediation.
    let raw: Vec<RawFd> = pass.iter().map(|f| f.as_raw_fd()).collect();
    send(
        sock,
        &InitMsg::Handoff {
            listeners: n_listeners,
            pty: slave.is_some(),
        },
        &raw,
    );
    drop(pass);
    // 8. seccomp: first the user-notification filter (connect and sends to
    // an address are performed by the supervisor), then the table, which
    // refuses any further listener.
    let notify = crate::seccomp::apply_notify(&spec.seccomp_notify).map_err(|e| StepError {
        step: "unix-socket mediation",
        detail: format!("seccomp user notification: {e}"),
        hint: Some(NOTIFY_HINT.into()),
    })?;
    step(
        "seccomp",
        crate::seccomp::apply(&spec.seccomp).map_err(io::Error::other),
    )?;

    if let Some((max_procs, max_memory)) = rlimits {
        step("rlimits", set_rlimit(libc::RLIMIT_NPROC, max_procs))?;
        if let Some(m) = max_memory {
            step("rlimits", set_rlimit(libc::RLIMIT_AS, m))?;
        }
    }

    timing::mark("seccomp and rlimits");
    // A plain send: the listener travels by number (the supervisor takes it
    // with pidfd_getfd), since sendmsg now waits for the supervisor.
    send(
        sock,
        &InitMsg::Ready {
            landlock: ll,
            notify_fd: notify.as_raw_fd(),
            timing: timing::take(),
        },
        &[],
    );

    // The supervisor says when the command may start (after it opened the journal).
    let (buf, _) = step("waiting for the start", sys::recv_msg(sock))?;
    if !matches!(serde_json::from_slice::<SupMsg>(&buf), Ok(SupMsg::Start)) {
        return Err(StepError {
            step: "waiting for the start",
            detail: "supervisor went away".into(),
            hint: None,
        });
    }
    // The supervisor holds its own copy now; none stays in the sandbox.
    drop(notify);

    // 9. The command.
    let launch =
        Launch::new(spec, slave.as_ref().map(|s| s.as_raw_fd())).map_err(|detail| StepError {
            step: "command",
            detail,
            hint: None,
        })?;
    install_forwarders();
    let (pid, exec_errno) = launch.spawn().map_err(|e| StepError {
        step: "fork",
        detail: e.to_string(),
        hint: None,
    })?;
    drop(slave);
    let code = reap(pid);
    if let Some(errno) = exec_errno {
        let (code, what) = match errno {
            libc::ENOENT => (127u8, "command not found"),
            _ => (126u8, "cannot execute"),
        };
        send(
            sock,
            &InitMsg::Exit {
                code,
                exec_error: Some(format!(
                    "{}: {what}: {}",
                    spec.argv[0].to_string_lossy(),
                    io::Error::from_raw_os_error(errno)
                )),
            },
            &[],
        );
        return Ok(code);
    }
    send(
        sock,
        &InitMsg::Exit {
            code,
            exec_error: None,
        },
        &[],
    );
    Ok(code)
}

static CHILD: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward(sig: libc::c_int) {
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe. The command leads its own process group.
        unsafe {
            libc::kill(-pid, sig);
        }
    }
}

fn install_forwarders() {
    for sig in [
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGUSR2,
    ] {
        // SAFETY: a zeroed sigaction with a valid handler; forward() is async-signal-safe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = forward as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = libc::SA_RESTART;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Reap until the command exits; then end every other process in the sandbox
/// and reap them too. Returns the command's status as an exit code.
fn reap(cmd: libc::pid_t) -> u8 {
    let mut code: Option<u8> = None;
    loop {
        let mut status = 0;
        // SAFETY: waitpid with a valid status pointer.
        let r = unsafe { libc::waitpid(-1, &mut status, 0) };
        if r < 0 {
            if io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            break; // ECHILD: nothing left
        }
        if r == cmd {
            code = Some(if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status) as u8
            } else if libc::WIFSIGNALED(status) {
                128u8.wrapping_add(libc::WTERMSIG(status) as u8)
            } else {
                continue;
            });
            // The command is done: nothing else in the sandbox outlives it.
            // SAFETY: pid 1 killing every process of its namespace.
            unsafe { libc::kill(-1, libc::SIGKILL) };
        }
    }
    code.unwrap_or(125)
}

/// The command, ready to start: everything the child needs is built before
/// it exists, because the child shares init's memory until it calls execve
/// (`CLONE_VM | CLONE_VFORK`, like posix_spawn). That spares copying init's
/// address space (a copy of the supervisor's) for a child that replaces it
/// at once. posix_spawn itself cannot be used: it has no way to make the
/// pty the child's controlling terminal (TIOCSCTTY).
struct Launch {
    /// execve's arguments and environment (NULL-terminated pointer arrays
    /// into `_argv` and `_env`).
    argvp: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
    _argv: Vec<CString>,
    _env: Vec<CString>,
    /// The paths to try, in PATH order (like execvp).
    candidates: Vec<CString>,
    /// The pty slave, and which of stdin/stdout/stderr it becomes.
    slave: Option<RawFd>,
    pty_streams: [bool; 3],
    /// Set by the child when no candidate could be executed.
    errno: AtomicI32,
}

impl Launch {
    fn new(spec: &Spec, slave: Option<RawFd>) -> Result<Launch, String> {
        let env: Vec<CString> = spec
            .env
            .iter()
            .filter_map(|(k, v)| {
                let mut b = k.as_bytes().to_vec();
                b.push(b'=');
                b.extend_from_slice(v.as_bytes());
                CString::new(b).ok()
            })
            .collect();
        let argv: Vec<CString> = spec
            .argv
            .iter()
            .filter_map(|a| CString::new(a.as_bytes()).ok())
            .collect();
        if argv.len() != spec.argv.len() || argv.is_empty() {
            return Err("the command line contains a NUL byte".into());
        }
        let prog = spec.argv[0].as_bytes();
        let candidates: Vec<PathBuf> = if prog.contains(&b'/') {
            vec![PathBuf::from(&spec.argv[0])]
        } else {
            let path = spec
                .env
                .iter()
                .find(|(k, _)| k == "PATH")
                .map(|(_, v)| v.to_string_lossy().into_owned())
                .unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
            path.split(':')
                .filter(|d| !d.is_empty())
                .map(|d| Path::new(d).join(&spec.argv[0]))
                .collect()
        };
        let candidates = candidates
            .iter()
            .filter_map(|c| sys::cstr(c).ok())
            .collect();
        let mut envp: Vec<*const libc::c_char> = env.iter().map(|c| c.as_ptr()).collect();
        envp.push(std::ptr::null());
        let mut argvp: Vec<*const libc::c_char> = argv.iter().map(|c| c.as_ptr()).collect();
        argvp.push(std::ptr::null());
        Ok(Launch {
            argvp,
            envp,
            _argv: argv,
            _env: env,
            candidates,
            slave,
            pty_streams: spec.pty_streams,
            errno: AtomicI32::new(0),
        })
    }

    /// Start the child and return its pid once it has called execve, with
    /// the errno of the failure if no candidate could be executed (the
    /// child then exits 127).
    fn spawn(&self) -> io::Result<(libc::pid_t, Option<i32>)> {
        // execve and a few system calls: a small stack is plenty.
        const STACK: usize = 32 * 1024;
        // Not zeroed: only the pages the child touches are ever faulted in.
        let mut stack: Vec<u8> = Vec::with_capacity(STACK);
        // Signals stay blocked until the child has reset every handler, so
        // none of init's handlers ever runs in the child.
        // SAFETY: zeroed sigsets are valid; sigfillset/sigprocmask only
        // touch the masks passed.
        let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
        let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
        unsafe {
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        }
        // SAFETY: the child runs `launch_child` on its own stack (the top of
        // `stack`, which outlives it: with CLONE_VFORK this call returns only
        // once the child has exec'd or exited), reads `self` and writes only
        // the atomic `errno`. No CLONE_FILES/CLONE_SIGHAND: its descriptors
        // and signal handlers are its own copies.
        let pid = unsafe {
            libc::clone(
                launch_child,
                stack.as_mut_ptr().add(stack.capacity()) as *mut libc::c_void,
                libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                self as *const Launch as *mut libc::c_void,
            )
        };
        let spawn_err = io::Error::last_os_error();
        if pid > 0 {
            // Before signals are unblocked: a signal pending now is forwarded.
            CHILD.store(pid, Ordering::SeqCst);
        }
        // SAFETY: restores the mask saved above.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
        if pid < 0 {
            return Err(spawn_err);
        }
        let errno = self.errno.load(Ordering::SeqCst);
        Ok((pid, (errno != 0).then_some(errno)))
    }
}

/// The child of [`Launch::spawn`]: default signal handling, a new session
/// (no controlling terminal from the host), the pty as controlling terminal
/// and standard streams, then execve. Only system calls on data built before
/// the clone: no allocation, no locks (the memory is init's).
extern "C" fn launch_child(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `&Launch` that `Launch::spawn` passed, alive
    // until this child execs or exits.
    let l = unsafe { &*(arg as *const Launch) };
    let fail = |errno: i32| -> libc::c_int {
        l.errno.store(errno, Ordering::SeqCst);
        // SAFETY: _exit, never returning into init's code.
        unsafe { libc::_exit(127) }
    };
    // SAFETY: in the child, before execve: resetting its own (copied) signal
    // handlers and mask, session and descriptors.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = libc::SIG_DFL;
        for sig in 1..32 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        if libc::setsid() < 0 {
            return fail(*libc::__errno_location());
        }
        if let Some(fd) = l.slave {
            // The controlling terminal only when it receives the person's
            // input: a program opening /dev/tty to prompt fails rather than
            // waiting for input that never comes.
            if l.pty_streams[0] {
                libc::ioctl(fd, libc::TIOCSCTTY, 0);
            }
            for (i, on) in l.pty_streams.iter().enumerate() {
                if *on {
                    libc::dup2(fd, i as libc::c_int);
                }
            }
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
    let mut errno = libc::ENOENT;
    for c in &l.candidates {
        // SAFETY: valid NUL-terminated path, argv and envp arrays.
        unsafe { libc::execve(c.as_ptr(), l.argvp.as_ptr(), l.envp.as_ptr()) };
        // SAFETY: reading this thread's errno.
        let e = unsafe { *libc::__errno_location() };
        if e != libc::ENOENT && e != libc::ENOTDIR {
            errno = e; // remember EACCES etc. but keep searching like execvp
        }
    }
    fail(errno)
}

fn loopback_up() -> io::Result<()> {
    // SAFETY: plain socket for the interface ioctls.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: we own fd.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: zeroed ifreq is valid; name "lo" fits.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (i, b) in b"lo".iter().enumerate() {
        req.ifr_name[i] = *b as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS/SIOCSIFFLAGS with a valid ifreq.
    unsafe {
        if libc::ioctl(fd.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) < 0 {
            return Err(io::Error::last_os_error());
        }
        req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        if libc::ioctl(fd.as_raw_fd(), libc::SIOCSIFFLAGS, &req) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn open_pty() -> io::Result<(OwnedFd, OwnedFd)> {
    let ptmx = sys::cstr("/dev/pts/ptmx")?;
    // SAFETY: valid path.
    let m = unsafe {
        libc::open(
            ptmx.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if m < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: we own m.
    let master = unsafe { OwnedFd::from_raw_fd(m) };
    let mut unlock: libc::c_int = 0;
    let mut n: libc::c_uint = 0;
    // SAFETY: TIOCSPTLCK/TIOCGPTN with valid int pointers on a pty master.
    unsafe {
        if libc::ioctl(m, libc::TIOCSPTLCK, &mut unlock) < 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::ioctl(m, libc::TIOCGPTN, &mut n) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    let name = sys::cstr(format!("/dev/pts/{n}"))?;
    // SAFETY: valid path.
    let s = unsafe {
        libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if s < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: we own s.
    Ok((master, unsafe { OwnedFd::from_raw_fd(s) }))
}

fn set_rlimit(res: libc::__rlimit_resource_t, v: u64) -> io::Result<()> {
    let r = libc::rlimit {
        rlim_cur: v,
        rlim_max: v,
    };
    // SAFETY: valid rlimit struct.
    if unsafe { libc::setrlimit(res, &r) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
