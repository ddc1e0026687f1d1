//! One check per entry of the seccomp table: each syscall is called inside a
//! real sandbox with arguments that match the entry and must fail with the
//! entry's errno. A control run of the same probe in a plain user namespace
//! (no cordon) shows that the distinguishable entries fail differently there,
//! so it is the filter, not missing capabilities, that refuses them.
//!
//! Arguments are chosen to be harmless if a call went through: null pointers,
//! invalid descriptors, PTRACE_TRACEME, a child that exits at once.
mod sandbox_support;
use sandbox_support::*;
use std::collections::BTreeMap;

/// Python expression (inside `probe(name, expr)`) that triggers each entry.
fn trigger(name: &str) -> Option<&'static str> {
    Some(match name {
        "SYS_io_uring_setup" => "sc(N, 0, None)",
        "SYS_io_uring_enter" => "sc(N, -1, 0, 0, 0, None, 0)",
        "SYS_io_uring_register" => "sc(N, -1, 0, None, 0)",
        "SYS_ptrace" => "isolated(lambda: sc(N, 0, 0, 0, 0))", // PTRACE_TRACEME, in a throwaway child
        "SYS_process_vm_readv" => "sc(N, os.getpid(), None, 0, None, 0, 0)",
        "SYS_process_vm_writev" => "sc(N, os.getpid(), None, 0, None, 0, 0)",
        "SYS_keyctl" => "sc(N, 0, -3, 0)", // KEYCTL_GET_KEYRING_ID of the session keyring
        "SYS_add_key" => "sc(N, None, None, None, 0, 0)",
        "SYS_request_key" => "sc(N, None, None, None, 0)",
        "SYS_bpf" => "sc(N, 999, None, 0)",
        "SYS_perf_event_open" => "sc(N, None, 0, -1, -1, 0)",
        "SYS_userfaultfd" => "sc(N, 0xffff)",
        "SYS_kexec_load" => "sc(N, 0, 0, None, 0)",
        "SYS_kexec_file_load" => "sc(N, -1, -1, 0, None, 0)",
        "SYS_init_module" => "sc(N, None, 0, None)",
        "SYS_finit_module" => "sc(N, -1, None, 0)",
        "SYS_delete_module" => "sc(N, None, 0)",
        "SYS_mount" => "sc(N, None, None, None, 0, None)",
        "SYS_umount2" => "sc(N, None, 0)",
        "SYS_pivot_root" => "sc(N, None, None)",
        "SYS_chroot" => "sc(N, None)",
        "SYS_move_mount" => "sc(N, -1, None, -1, None, 0)",
        "SYS_open_tree" => "sc(N, -1, None, 0)",
        "SYS_fsopen" => "sc(N, None, 0)",
        "SYS_fsconfig" => "sc(N, -1, 0, None, None, 0)",
        "SYS_fsmount" => "sc(N, -1, 0, 0)",
        "SYS_fspick" => "sc(N, -1, None, 0)",
        "SYS_mount_setattr" => "sc(N, -1, None, 0, None, 0)",
        "SYS_setns" => "sc(N, -1, 0)",
        "SYS_unshare" => "isolated(lambda: sc(N, 0x10000000))", // CLONE_NEWUSER, in a throwaway child
        "SYS_clone" => "fork_like(N, 0x10000000 | 17)",         // CLONE_NEWUSER | SIGCHLD
        "SYS_clone3" => "sc(N, None, 0)",
        "SYS_ioctl" => "sc(N, 0, IOCTL, ctypes.c_char_p(b'x'))",
        "SYS_socket" => "sc(N, 16, 3, 0)", // AF_NETLINK
        "SYS_socketpair" => "sc(N, 16, 3, 0, None)",
        "SYS_open_by_handle_at" => "sc(N, -1, None, 0)",
        "SYS_name_to_handle_at" => "sc(N, -100, b'/', None, None, 0)",
        "SYS_fanotify_init" => "sc(N, 0, 0)",
        "SYS_acct" => "sc(N, None)",
        "SYS_swapon" => "sc(N, None, 0)",
        "SYS_swapoff" => "sc(N, None)",
        "SYS_reboot" => "sc(N, 0, 0, 0, None)",
        "SYS_syslog" => "sc(N, 10, None, 0)", // SYSLOG_ACTION_SIZE_BUFFER
        "SYS_iopl" => "sc(N, 0)",
        "SYS_ioperm" => "sc(N, 0, 0, 0)",
        "SYS_quotactl" => "sc(N, 0, None, 0, None)",
        "SYS_lookup_dcookie" => "sc(N, 0, None, 0)",
        "SYS_vhangup" => "sc(N)",
        "SYS_personality" => "sc(N, 0x0008)", // PER_LINUX32
        "SYS_seccomp" => "sc(N, 1, 8, None)", // SET_MODE_FILTER | NEW_LISTENER, no program
        _ => return None,
    })
}

const PRELUDE: &str = r#"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sc(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(nr, *args)
    return r, ctypes.get_errno()
def isolated(f):
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        r, e = f()
        os.write(wr, ("%d %d" % (r, e)).encode()); os._exit(0)
    os.close(wr)
    out = os.read(rd, 100).decode().split()
    os.waitpid(pid, 0)
    return int(out[0]), int(out[1])
def fork_like(nr, flags):
    r, e = sc(nr, flags, None, None, None, 0)
    if r == 0:
        os._exit(0)
    if r > 0:
        os.waitpid(r, 0)
    return r, e
"#;

fn probe_script(entries: &[cordon_sandbox::seccomp::Entry]) -> String {
    let mut s = String::from(PRELUDE);
    for (i, e) in entries.iter().enumerate() {
        let t = trigger(e.name).unwrap_or_else(|| panic!("no trigger for table entry {}", e.name));
        let ioctl = if let cordon_sandbox::seccomp::Arg::Eq32 { value, .. } = e.when {
            value
        } else {
            0
        };
        let t = t
            .replace("N,", &format!("{},", e.nr))
            .replace("N)", &format!("{})", e.nr))
            .replace("IOCTL", &ioctl.to_string());
        s.push_str(&format!(
            "r, e = {t}\nprint('ENTRY {i}', r, e)\nsys.stdout.flush()\n"
        ));
    }
    s
}

fn results(stdout: &str) -> BTreeMap<usize, (i64, i32)> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut it = l.strip_prefix("ENTRY ")?.split_whitespace();
            Some((
                it.next()?.parse().ok()?,
                (it.next()?.parse().ok()?, it.next()?.parse().ok()?),
            ))
        })
        .collect()
}

#[test]
fn every_table_entry_is_refused_with_its_errno() {
    let entries = cordon_sandbox::seccomp::table();
    let script = probe_script(&entries);
    for who in BOTH {
        let w = World::new(who);
        let o = ok(&w.py(&[], &script));
        let got = results(&o);
        let mut failures = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            match got.get(&i) {
                Some((r, errno)) if *r == -1 && *errno == e.errno => {}
                other => failures.push(format!(
                    "{} ({}): got {:?}, want -1/{}",
                    e.name, e.why, other, e.errno
                )),
            }
        }
        assert!(
            failures.is_empty(),
            "{who:?}: entries not refused:\n{}",
            failures.join("\n")
        );
    }
}

#[test]
fn the_filter_not_missing_privileges_refuses_them() {
    // Control: the same probes in a plain unprivileged user namespace.
    let entries = cordon_sandbox::seccomp::table();
    let script = probe_script(&entries);
    let o = std::process::Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--",
            "/usr/bin/python3",
            "-c",
            &script,
        ])
        .output()
        .unwrap();
    let got = results(&String::from_utf8_lossy(&o.stdout));
    // These calls behave differently without the filter; if they did not,
    // the in-sandbox test above would prove nothing about the filter.
    let distinguishable = [
        "SYS_io_uring_setup",
        "SYS_ptrace",
        "SYS_process_vm_readv",
        "SYS_keyctl",
        "SYS_setns",
        "SYS_unshare",
        "SYS_clone",
        "SYS_clone3",
        "SYS_ioctl",
        "SYS_socket",
        "SYS_socketpair",
        "SYS_perf_event_open",
        "SYS_name_to_handle_at",
        "SYS_open_tree",
        "SYS_mount_setattr",
        "SYS_personality",
        "SYS_add_key",
        "SYS_seccomp",
    ];
    let mut same = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if !distinguishable.contains(&e.name) {
            continue;
        }
        if let Some((r, errno)) = got.get(&i) {
            if *r == -1 && *errno == e.errno {
                same.push(format!("{} {:?}", e.name, (r, errno)));
            }
        } else {
            same.push(format!("{} did not run", e.name));
        }
    }
    assert!(
        same.is_empty(),
        "without the filter these still failed the same way:\n{}\nstderr: {}",
        same.join("\n"),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn foreign_abis_are_refused() {
    // An x32 syscall number (getpid | 0x40000000) must be refused.
    let w = World::new(As::Root);
    let o = ok(&w.py(
        &[],
        &format!("{PRELUDE}\nprint('X32', *sc(39 | 0x40000000))"),
    ));
    assert!(o.contains("X32 -1 1"), "{o}");
}
