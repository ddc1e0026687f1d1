//! The seccomp filter, as a table.
//!
//! Each [`Entry`] names a syscall, an optional argument condition and the errno
//! it gets. Everything not in the table is allowed: the filter closes kernel
//! attack surface and escape routes that the namespaces and Landlock do not
//! already cover. Syscalls of foreign ABIs (i386 `int 0x80`, x32) are refused
//! wholesale. Each entry has a test that calls it inside a real sandbox
//! (`crates/cordon/tests/sandbox_seccomp.rs`).
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// Condition on one syscall argument.
#[derive(Debug, Clone, Copy)]
pub enum Arg {
    /// Any call.
    Any,
    /// `arg[idx] & mask != 0`, tested bit by bit over the set bits of `mask`.
    AnyBit { idx: u8, mask: u64 },
    /// `(arg[idx] as u32) == value` (ioctl requests are 32-bit).
    Eq32 { idx: u8, value: u64 },
    /// `arg[idx]` is none of `values` (32-bit compare).
    NotIn32 { idx: u8, values: &'static [u64] },
    /// `arg[idx] != 0` (64-bit: a pointer that is not null).
    NonZero { idx: u8 },
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub name: &'static str,
    pub nr: i64,
    pub when: Arg,
    pub errno: i32,
    pub why: &'static str,
}

/// Namespace flags of clone/unshare.
pub const NS_FLAGS: u64 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWCGROUP
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET
    | 0x80/* CLONE_NEWTIME */) as u64;

const ALLOWED_FAMILIES: &[u64] = &[
    libc::AF_UNIX as u64,
    libc::AF_INET as u64,
    libc::AF_INET6 as u64,
];

macro_rules! e {
    ($name:ident, $when:expr, $errno:expr, $why:expr) => {
        Entry {
            name: stringify!($name),
            nr: libc::$name,
            when: $when,
            errno: $errno,
            why: $why,
        }
    };
}

/// The table. Order does not matter; each syscall may appear once per errno.
pub fn table() -> Vec<Entry> {
    use libc::*;
    let eperm = EPERM;
    vec![
        e!(
            SYS_io_uring_setup,
            Arg::Any,
            eperm,
            "io_uring bypasses seccomp and has a long CVE history"
        ),
        e!(SYS_io_uring_enter, Arg::Any, eperm, "io_uring"),
        e!(SYS_io_uring_register, Arg::Any, eperm, "io_uring"),
        e!(
            SYS_ptrace,
            Arg::Any,
            eperm,
            "tracing other processes reads their memory and secrets"
        ),
        e!(
            SYS_process_vm_readv,
            Arg::Any,
            eperm,
            "reads another process's memory"
        ),
        e!(
            SYS_process_vm_writev,
            Arg::Any,
            eperm,
            "writes another process's memory"
        ),
        e!(
            SYS_keyctl,
            Arg::Any,
            eperm,
            "kernel keyring holds credentials"
        ),
        e!(SYS_add_key, Arg::Any, eperm, "kernel keyring"),
        e!(SYS_request_key, Arg::Any, eperm, "kernel keyring"),
        e!(SYS_bpf, Arg::Any, eperm, "eBPF is kernel attack surface"),
        e!(
            SYS_perf_event_open,
            Arg::Any,
            eperm,
            "perf events leak kernel data and are attack surface"
        ),
        e!(
            SYS_userfaultfd,
            Arg::Any,
            eperm,
            "userfaultfd is a standard exploit primitive"
        ),
        e!(SYS_kexec_load, Arg::Any, eperm, "loads a new kernel"),
        e!(SYS_kexec_file_load, Arg::Any, eperm, "loads a new kernel"),
        e!(SYS_init_module, Arg::Any, eperm, "loads kernel modules"),
        e!(SYS_finit_module, Arg::Any, eperm, "loads kernel modules"),
        e!(SYS_delete_module, Arg::Any, eperm, "unloads kernel modules"),
        e!(SYS_mount, Arg::Any, eperm, "changes the mount plan"),
        e!(SYS_umount2, Arg::Any, eperm, "uncovers hidden paths"),
        e!(SYS_pivot_root, Arg::Any, eperm, "changes the root"),
        e!(SYS_chroot, Arg::Any, eperm, "changes the root"),
        e!(SYS_move_mount, Arg::Any, eperm, "new mount API"),
        e!(SYS_open_tree, Arg::Any, eperm, "new mount API"),
        e!(SYS_fsopen, Arg::Any, eperm, "new mount API"),
        e!(SYS_fsconfig, Arg::Any, eperm, "new mount API"),
        e!(SYS_fsmount, Arg::Any, eperm, "new mount API"),
        e!(SYS_fspick, Arg::Any, eperm, "new mount API"),
        e!(
            SYS_mount_setattr,
            Arg::Any,
            eperm,
            "would make read-only mounts writable"
        ),
        e!(SYS_setns, Arg::Any, eperm, "joins other namespaces"),
        e!(
            SYS_unshare,
            Arg::AnyBit {
                idx: 0,
                mask: NS_FLAGS
            },
            eperm,
            "nested namespaces regain capabilities"
        ),
        e!(
            SYS_clone,
            Arg::AnyBit {
                idx: 0,
                mask: NS_FLAGS
            },
            eperm,
            "nested namespaces regain capabilities"
        ),
        // clone3 passes its flags in memory seccomp cannot read: ENOSYS makes libc fall back to clone.
        e!(
            SYS_clone3,
            Arg::Any,
            ENOSYS,
            "flags are out of seccomp's sight; libc falls back to clone"
        ),
        e!(
            SYS_ioctl,
            Arg::Eq32 {
                idx: 1,
                value: libc::TIOCSTI
            },
            eperm,
            "injects keystrokes into a terminal"
        ),
        e!(
            SYS_ioctl,
            Arg::Eq32 {
                idx: 1,
                value: libc::TIOCLINUX
            },
            eperm,
            "injects keystrokes into a console"
        ),
        e!(
            SYS_socket,
            Arg::NotIn32 {
                idx: 0,
                values: ALLOWED_FAMILIES
            },
            EAFNOSUPPORT,
            "only unix, inet and inet6 sockets"
        ),
        e!(
            SYS_socketpair,
            Arg::NotIn32 {
                idx: 0,
                values: ALLOWED_FAMILIES
            },
            EAFNOSUPPORT,
            "only unix, inet and inet6 sockets"
        ),
        e!(
            SYS_open_by_handle_at,
            Arg::Any,
            eperm,
            "opens files by handle, bypassing paths"
        ),
        e!(SYS_name_to_handle_at, Arg::Any, eperm, "file handles"),
        e!(
            SYS_fanotify_init,
            Arg::Any,
            eperm,
            "watches the whole filesystem"
        ),
        e!(SYS_acct, Arg::Any, eperm, "process accounting"),
        e!(SYS_swapon, Arg::Any, eperm, "swap"),
        e!(SYS_swapoff, Arg::Any, eperm, "swap"),
        e!(SYS_reboot, Arg::Any, eperm, "reboots"),
        e!(SYS_syslog, Arg::Any, eperm, "reads the kernel log"),
        e!(SYS_iopl, Arg::Any, eperm, "raw I/O ports"),
        e!(SYS_ioperm, Arg::Any, eperm, "raw I/O ports"),
        e!(SYS_quotactl, Arg::Any, eperm, "quota control"),
        e!(SYS_lookup_dcookie, Arg::Any, eperm, "kernel internals"),
        e!(SYS_vhangup, Arg::Any, eperm, "hangs up terminals"),
        e!(
            SYS_seccomp,
            Arg::AnyBit {
                idx: 1,
                mask: FILTER_FLAG_NEW_LISTENER
            },
            eperm,
            "a nested listener would take the supervisor's unix-socket notifications"
        ),
        e!(
            SYS_personality,
            Arg::NotIn32 {
                idx: 0,
                values: &[0, 0x0800000 /* ADDR_NO_RANDOMIZE */, 0xffffffff]
            },
            eperm,
            "exotic personalities weaken the kernel's defences"
        ),
    ]
}

fn conditions(when: Arg) -> Result<Vec<SeccompRule>, seccompiler::BackendError> {
    Ok(match when {
        Arg::Any => vec![],
        Arg::AnyBit { idx, mask } => {
            let mut rules = Vec::new();
            for bit in 0..64 {
                let b = 1u64 << bit;
                if mask & b != 0 {
                    rules.push(SeccompRule::new(vec![SeccompCondition::new(
                        idx,
                        SeccompCmpArgLen::Qword,
                        SeccompCmpOp::MaskedEq(b),
                        b,
                    )?])?);
                }
            }
            rules
        }
        Arg::Eq32 { idx, value } => vec![SeccompRule::new(vec![SeccompCondition::new(
            idx,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Eq,
            value,
        )?])?],
        Arg::NonZero { idx } => vec![SeccompRule::new(vec![SeccompCondition::new(
            idx,
            SeccompCmpArgLen::Qword,
            SeccompCmpOp::Ne,
            0,
        )?])?],
        Arg::NotIn32 { idx, values } => {
            // All conditions of one rule must hold: arg != v1 && arg != v2 ...
            let conds = values
                .iter()
                .map(|v| SeccompCondition::new(idx, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, *v))
                .collect::<Result<Vec<_>, _>>()?;
            vec![SeccompRule::new(conds)?]
        }
    })
}

/// Compile the table into BPF programs, one per errno (seccompiler's filters
/// have one match action each). The first program also refuses x32 syscalls.
pub fn compile() -> Result<Vec<BpfProgram>, String> {
    let mut by_errno: BTreeMap<i32, BTreeMap<i64, Vec<SeccompRule>>> = BTreeMap::new();
    for e in table() {
        let rules = conditions(e.when).map_err(|err| format!("{}: {err}", e.name))?;
        let slot = by_errno
            .entry(e.errno)
            .or_default()
            .entry(e.nr)
            .or_default();
        if rules.is_empty() {
            // An unconditional entry: an empty chain matches every call.
            slot.clear();
        } else {
            slot.extend(rules);
        }
    }
    let mut progs = Vec::new();
    for (i, (errno, rules)) in by_errno.into_iter().enumerate() {
        let filter = SeccompFilter::new(
            rules,
            SeccompAction::Allow,
            SeccompAction::Errno(errno as u32),
            TargetArch::x86_64,
        )
        .map_err(|e| e.to_string())?;
        let mut prog: BpfProgram = filter
            .try_into()
            .map_err(|e: seccompiler::BackendError| e.to_string())?;
        if i == 0 {
            prog = with_x32_guard(prog);
        }
        progs.push(prog);
    }
    Ok(progs)
}

/// Prepend: if the syscall number has the x32 bit set, refuse (EPERM).
/// seccompiler checks the architecture (i386 calls are killed) but x32 calls
/// report the x86_64 architecture, so they need this check.
fn with_x32_guard(prog: BpfProgram) -> BpfProgram {
    use seccompiler::sock_filter;
    const BPF_LD_W_ABS: u16 = 0x20;
    const BPF_JMP_JGE_K: u16 = 0x35;
    const BPF_RET_K: u16 = 0x06;
    const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
    let mut out = vec![
        sock_filter {
            code: BPF_LD_W_ABS,
            jt: 0,
            jf: 0,
            k: 0,
        },
        sock_filter {
            code: BPF_JMP_JGE_K,
            jt: 0,
            jf: 1,
            k: 0x4000_0000,
        },
        sock_filter {
            code: BPF_RET_K,
            jt: 0,
            jf: 0,
            k: SECCOMP_RET_ERRNO | libc::EPERM as u32,
        },
    ];
    out.extend(prog);
    out
}

/// `SECCOMP_FILTER_FLAG_NEW_LISTENER`: the filter's user notifications go to a descriptor.
pub const FILTER_FLAG_NEW_LISTENER: u64 = 1 << 3;
/// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV` (Linux 5.19): once the supervisor
/// has received a notification, only a fatal signal interrupts the caller, so
/// a call the supervisor performed is never restarted and performed twice.
const FILTER_FLAG_WAIT_KILLABLE_RECV: u64 = 1 << 5;
const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
const SECCOMP_RET_USER_NOTIF: u32 = 0x7fc0_0000;

/// One row of the user-notification table: a call the supervisor performs
/// itself (see [`crate::unotify`]), because its decision depends on memory
/// (a socket address) that the sandbox could change after a check.
#[derive(Debug, Clone, Copy)]
pub struct NotifyEntry {
    pub name: &'static str,
    pub nr: i64,
    pub when: Arg,
    pub why: &'static str,
}

macro_rules! n {
    ($name:ident, $when:expr, $why:expr) => {
        NotifyEntry {
            name: stringify!($name),
            nr: libc::$name,
            when: $when,
            why: $why,
        }
    };
}

/// The calls that reach a pathname unix socket. Everything else, and
/// `sendto` without an address (plain `send`), never stops in the supervisor.
pub fn notify_table() -> Vec<NotifyEntry> {
    vec![
        n!(
            SYS_connect,
            Arg::Any,
            "the address (a pathname unix socket on the host) is in memory"
        ),
        n!(
            SYS_sendto,
            Arg::NonZero { idx: 4 },
            "a datagram to an address: the address is in memory"
        ),
        n!(
            SYS_sendmsg,
            Arg::Any,
            "the destination, if any, is in memory seccomp cannot read"
        ),
        n!(
            SYS_sendmmsg,
            Arg::Any,
            "the destinations, if any, are in memory seccomp cannot read"
        ),
    ]
}

/// Compile [`notify_table`] into one program whose match action is
/// `SECCOMP_RET_USER_NOTIF`. seccompiler (0.5) has no such action, so the
/// program is built with `Trace(0)` as the match action and its return
/// instructions are rewritten: same conditions, same architecture check.
pub fn compile_notify() -> Result<BpfProgram, String> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for e in notify_table() {
        let r = conditions(e.when).map_err(|err| format!("{}: {err}", e.name))?;
        rules.insert(e.nr, r);
    }
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Trace(0),
        TargetArch::x86_64,
    )
    .map_err(|e| e.to_string())?;
    let mut prog: BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())?;
    const BPF_RET_K: u16 = 0x06;
    for ins in prog.iter_mut() {
        if ins.code == BPF_RET_K && ins.k == SECCOMP_RET_TRACE {
            ins.k = SECCOMP_RET_USER_NOTIF;
        }
    }
    Ok(prog)
}

/// Install `prog` with a listener: the returned descriptor receives the
/// notifications. Must come before [`apply`] (whose table refuses new
/// listeners).
pub fn apply_notify(prog: &BpfProgram) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut libc::sock_filter,
    };
    let install = |flags: u64| {
        // SAFETY: seccomp(SET_MODE_FILTER) reads the program for the call's duration.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                1, /* SECCOMP_SET_MODE_FILTER */
                flags,
                &fprog as *const libc::sock_fprog,
            )
        };
        if fd < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(fd)
        }
    };
    // Before 5.19 the flag is unknown (EINVAL): a signal may then restart a
    // call the supervisor already performed (a second connect gets EISCONN).
    let fd = install(FILTER_FLAG_NEW_LISTENER | FILTER_FLAG_WAIT_KILLABLE_RECV).or_else(|e| {
        if e.raw_os_error() == Some(libc::EINVAL) {
            install(FILTER_FLAG_NEW_LISTENER)
        } else {
            Err(e)
        }
    })?;
    // SAFETY: the kernel returned a fresh descriptor that we now own.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) })
}

/// Install the filters in the calling thread (no_new_privs must be set).
pub fn apply(progs: &[BpfProgram]) -> Result<(), String> {
    for p in progs {
        seccompiler::apply_filter(p).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles() {
        let progs = compile().unwrap();
        assert!(progs.len() >= 3, "EPERM, ENOSYS and EAFNOSUPPORT groups");
        assert!(progs.iter().all(|p| p.len() < 4096));
    }

    #[test]
    fn notify_program_returns_user_notif_and_never_trace() {
        let prog = compile_notify().unwrap();
        assert!(prog.iter().any(|i| i.k == SECCOMP_RET_USER_NOTIF));
        assert!(!prog
            .iter()
            .any(|i| i.code == 0x06 && i.k == SECCOMP_RET_TRACE));
        let names: Vec<_> = notify_table().iter().map(|e| e.name).collect();
        for must in ["SYS_connect", "SYS_sendto", "SYS_sendmsg", "SYS_sendmmsg"] {
            assert!(names.contains(&must), "{must} missing");
        }
    }

    #[test]
    fn issue_minimum_is_covered() {
        let names: Vec<_> = table().iter().map(|e| e.name).collect();
        for must in [
            "SYS_io_uring_setup",
            "SYS_ptrace",
            "SYS_process_vm_readv",
            "SYS_process_vm_writev",
            "SYS_keyctl",
            "SYS_add_key",
            "SYS_request_key",
            "SYS_bpf",
            "SYS_perf_event_open",
            "SYS_userfaultfd",
            "SYS_kexec_load",
            "SYS_init_module",
            "SYS_finit_module",
            "SYS_mount",
            "SYS_unshare",
            "SYS_clone",
            "SYS_clone3",
            "SYS_setns",
            "SYS_ioctl",
            "SYS_socket",
            "SYS_seccomp",
        ] {
            assert!(names.contains(&must), "{must} missing");
        }
    }
}
