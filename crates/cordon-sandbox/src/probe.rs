//! What this kernel supports, for `cordon doctor`.
use std::path::Path;

/// One line of the doctor's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    /// `true` when the protection is available as cordon needs it.
    pub ok: bool,
    pub detail: String,
    /// What happens without it, or how to fix it.
    pub fix: Option<String>,
}

/// The Landlock ABI the kernel reports (0: none).
pub fn landlock_abi() -> i32 {
    // SAFETY: landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) only returns a number.
    let v = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, 0usize, 0usize, 1u32) };
    v.max(0) as i32
}

fn seccomp_available() -> bool {
    // SAFETY: PR_GET_SECCOMP only reads the current mode.
    unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 }
}

/// What the unix-socket mediation needs: seccomp user notification
/// (`SECCOMP_GET_NOTIF_SIZES` answers) and `pidfd_getfd` (`EBADF` for a bad
/// descriptor rather than `ENOSYS`).
fn unix_mediation() -> Result<(), String> {
    let mut sizes = [0u16; 3];
    // SAFETY: GET_NOTIF_SIZES writes three u16.
    if unsafe { libc::syscall(libc::SYS_seccomp, 3, 0, sizes.as_mut_ptr()) } != 0 {
        return Err(format!(
            "seccomp user notification: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: pidfd_getfd on an invalid pidfd only returns an error.
    let r = unsafe {
        libc::syscall(438 /* pidfd_getfd */, -1, 0, 0)
    };
    if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS) {
        return Err("pidfd_getfd: not implemented".into());
    }
    // Yama: 2 lets only CAP_SYS_PTRACE read another process's memory and
    // descriptors, 3 nobody (the supervisor's reads are ptrace-checked).
    let yama = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .ok()
        .and_then(|v| v.trim().parse::<u8>().ok())
        .unwrap_or(0);
    // SAFETY: getuid cannot fail.
    let root = unsafe { libc::getuid() } == 0;
    if yama >= 3 || (yama == 2 && !root) {
        return Err(format!(
            "kernel.yama.ptrace_scope = {yama} forbids the supervisor to read the sandbox's calls"
        ));
    }
    Ok(())
}

/// The namespaces as `cordon run` makes them: the clone creates the user and
/// pid namespaces, the child unshares the others.
fn userns_works() -> Result<(), String> {
    let pid = crate::sys::clone_into(crate::sys::CLONE_NAMESPACES).map_err(|e| e.to_string())?;
    if pid == 0 {
        // SAFETY: unshare and _exit in the child; the exit status carries errno.
        unsafe {
            let code = if libc::unshare(crate::sys::INIT_NAMESPACES) == 0 {
                0
            } else {
                (*libc::__errno_location()).clamp(1, 255)
            };
            libc::_exit(code)
        };
    }
    let mut st = 0;
    // SAFETY: reaping our own child.
    unsafe { libc::waitpid(pid, &mut st, 0) };
    match libc::WIFEXITED(st).then(|| libc::WEXITSTATUS(st)) {
        Some(0) => Ok(()),
        Some(errno) => Err(format!(
            "unshare of the mount, ipc, uts and network namespaces: {}",
            std::io::Error::from_raw_os_error(errno)
        )),
        None => Err("the namespace probe was killed".into()),
    }
}

fn cgroup_mode() -> (bool, String) {
    let name = crate::cgroup::Cgroup::unique_name("cordon");
    match crate::cgroup::Cgroup::create(&name, 16, Some(64 << 20)) {
        Ok(c) => (
            true,
            if c.v2_dir().is_some() {
                format!(
                    "{} (writable; init is cloned straight into it)",
                    c.describe()
                )
            } else {
                format!(
                    "{} (writable; joining it costs each start one kernel RCU grace period, see `cordon run -v`)",
                    c.describe()
                )
            },
        ),
        Err(e) => (false, e),
    }
}

/// Probe everything. Creates and removes a test cgroup and a test namespace.
pub fn checks() -> Vec<Check> {
    let mut out = Vec::new();
    out.push(Check {
        name: "kernel",
        ok: true,
        detail: crate::sys::kernel_release(),
        fix: None,
    });
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    out.push(Check {
        name: "running as",
        ok: true,
        detail: if uid == 0 {
            "root: the sandbox maps root to root but drops every capability, masks kernel knobs and keeps the host read-only".into()
        } else {
            format!("uid {uid} (unprivileged user namespace)")
        },
        fix: None,
    });
    let u = userns_works();
    out.push(Check {
        name: "namespaces",
        ok: u.is_ok(),
        detail: match &u {
            Ok(()) => "user, mount, pid, ipc, uts, cgroup, network: available".into(),
            Err(e) => format!("user namespaces unavailable: {e}"),
        },
        fix: u.err().map(|_| {
            "cordon cannot run without them: allow unprivileged user namespaces or run as root"
                .into()
        }),
    });
    let abi = landlock_abi();
    out.push(Check {
        name: "Landlock",
        ok: abi > 0,
        detail: match abi {
            0 => "not available".into(),
            1 => "ABI 1: files; renames across directories are always refused".into(),
            2..=3 => format!("ABI {abi}: files (no device ioctl control, no signal/socket scoping)"),
            4..=5 => format!("ABI {abi}: files (no signal/abstract-socket scoping)"),
            6..=8 => format!("ABI {abi}: files, signal and abstract unix socket scoping (pathname unix sockets: ABI 9; cordon mediates them itself, see below)"),
            _ => format!("ABI {abi}: files, scoping and pathname unix sockets"),
        },
        fix: (abi == 0).then(|| {
            "cordon refuses to run without it; boot with lsm=...,landlock or pass --allow-degraded landlock (weaker)".into()
        }),
    });
    let sc = seccomp_available();
    out.push(Check {
        name: "seccomp",
        ok: sc,
        detail: if sc {
            format!("available; {} rules", crate::seccomp::table().len())
        } else {
            "not available".into()
        },
        fix: (!sc).then(|| "cordon cannot run without seccomp".into()),
    });
    let un = unix_mediation();
    out.push(Check {
        name: "unix sockets",
        ok: un.is_ok(),
        detail: match &un {
            Ok(()) => "seccomp user notification and pidfd_getfd: the supervisor performs connect and sends to an address; pathname sockets outside the workspace and the private directories are refused unless --allow-unix-socket".into(),
            Err(e) => format!("not available: {e}"),
        },
        fix: un.err().map(|_| {
            "cordon refuses to run without it: use Linux 5.9 or later, a container seccomp profile that allows seccomp() and pidfd_getfd(), and kernel.yama.ptrace_scope at most 1 (2 as root)".into()
        }),
    });
    let (cg_ok, cg) = cgroup_mode();
    out.push(Check {
        name: "limits",
        ok: cg_ok || uid != 0,
        detail: if cg_ok { cg } else { format!("no cgroup: {cg}") },
        fix: if cg_ok {
            None
        } else if uid == 0 {
            Some("as root cordon refuses without a cgroup; pass --allow-degraded cgroups to use rlimits (root is exempt from the process limit)".into())
        } else {
            Some("process and memory limits fall back to rlimits (per process, not per sandbox)".into())
        },
    });
    let tiocsti = std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti").ok();
    out.push(Check {
        name: "terminal",
        ok: Path::new("/dev/ptmx").exists(),
        detail: format!(
            "private pty when stdin is a terminal; TIOCSTI/TIOCLINUX refused by seccomp{}",
            tiocsti
                .map(|v| format!(" (kernel legacy_tiocsti={})", v.trim()))
                .unwrap_or_default()
        ),
        fix: None,
    });
    out
}
