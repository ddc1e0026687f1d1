//! Thin wrappers over the Linux calls the sandbox needs, each returning an
//! `io::Error` with the call's name. Only what libc/std do not wrap safely.
use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub fn cstr(p: impl AsRef<OsStr>) -> io::Result<CString> {
    CString::new(p.as_ref().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

fn check(ret: libc::c_int, what: &str) -> io::Result<libc::c_int> {
    if ret < 0 {
        let e = io::Error::last_os_error();
        Err(io::Error::new(e.kind(), format!("{what}: {e}")))
    } else {
        Ok(ret)
    }
}

fn check_long(ret: libc::c_long, what: &str) -> io::Result<libc::c_long> {
    if ret < 0 {
        let e = io::Error::last_os_error();
        Err(io::Error::new(e.kind(), format!("{what}: {e}")))
    } else {
        Ok(ret)
    }
}

/// mount(2).
pub fn mount(
    src: Option<&str>,
    dst: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> io::Result<()> {
    let src_c = src.map(cstr).transpose()?;
    let dst_c = cstr(dst)?;
    let fs_c = fstype.map(cstr).transpose()?;
    let data_c = data.map(cstr).transpose()?;
    // SAFETY: all pointers are valid NUL-terminated strings or null, alive for the call.
    let r = unsafe {
        libc::mount(
            src_c.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            dst_c.as_ptr(),
            fs_c.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            flags,
            data_c
                .as_ref()
                .map_or(std::ptr::null(), |s| s.as_ptr() as *const libc::c_void),
        )
    };
    check(r, &format!("mount {}", dst.display())).map(|_| ())
}

/// Bind `src` onto `dst` (recursively).
pub fn bind(src: &Path, dst: &Path) -> io::Result<()> {
    let src_s = src
        .to_str()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path is not valid UTF-8"))?;
    mount(Some(src_s), dst, None, libc::MS_BIND | libc::MS_REC, None)
}

pub const ATTR_RDONLY: u64 = 0x1;
pub const ATTR_NOSUID: u64 = 0x2;
pub const ATTR_NODEV: u64 = 0x4;
pub const ATTR_NOEXEC: u64 = 0x8;

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// mount_setattr(2): set mount flags on `path` (and every mount below it if `recursive`).
pub fn mount_setattr(path: &Path, set: u64, recursive: bool) -> io::Result<()> {
    let p = cstr(path)?;
    let attr = MountAttr {
        attr_set: set,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let flags = if recursive { libc::AT_RECURSIVE } else { 0 } as libc::c_uint;
    // SAFETY: valid path pointer and a correctly sized, initialised mount_attr.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            p.as_ptr(),
            flags | libc::AT_SYMLINK_NOFOLLOW as libc::c_uint,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    check_long(r, &format!("mount_setattr {}", path.display())).map(|_| ())
}

/// pivot_root(2).
pub fn pivot_root(new_root: &Path, put_old: &Path) -> io::Result<()> {
    let a = cstr(new_root)?;
    let b = cstr(put_old)?;
    // SAFETY: valid NUL-terminated strings.
    let r = unsafe { libc::syscall(libc::SYS_pivot_root, a.as_ptr(), b.as_ptr()) };
    check_long(r, "pivot_root").map(|_| ())
}

/// umount2(2).
pub fn umount2(path: &Path, flags: libc::c_int) -> io::Result<()> {
    let p = cstr(path)?;
    // SAFETY: valid NUL-terminated string.
    check(unsafe { libc::umount2(p.as_ptr(), flags) }, "umount2").map(|_| ())
}

/// prctl(2) with integer arguments.
pub fn prctl(
    op: libc::c_int,
    a: libc::c_ulong,
    b: libc::c_ulong,
    what: &str,
) -> io::Result<libc::c_int> {
    // SAFETY: integer-only prctl operations.
    check(
        unsafe { libc::prctl(op, a, b, 0 as libc::c_ulong, 0 as libc::c_ulong) },
        what,
    )
}

/// Close every descriptor >= 3 except those in `keep`.
pub fn close_fds_except(keep: &[RawFd]) {
    let mut keep: Vec<RawFd> = keep.iter().copied().filter(|f| *f >= 3).collect();
    keep.sort_unstable();
    let mut lo: libc::c_uint = 3;
    for k in keep {
        let k = k as libc::c_uint;
        if k > lo {
            // SAFETY: close_range only closes descriptors; none we still use are in range.
            unsafe { libc::syscall(libc::SYS_close_range, lo, k - 1, 0) };
        }
        lo = k + 1;
    }
    // SAFETY: as above.
    unsafe { libc::syscall(libc::SYS_close_range, lo, libc::c_uint::MAX, 0) };
}

/// A connected SOCK_SEQPACKET pair (close-on-exec).
pub fn seqpacket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: fds points to two ints.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    check(r, "socketpair")?;
    // SAFETY: socketpair returned two fresh descriptors we now own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A close-on-exec pipe.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: fds points to two ints.
    check(
        unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) },
        "pipe2",
    )?;
    // SAFETY: pipe2 returned two fresh descriptors we now own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Send one datagram with descriptors attached.
pub fn send_msg(sock: &OwnedFd, data: &[u8], fds: &[RawFd]) -> io::Result<()> {
    if fds.is_empty() {
        // A plain send (sendto without an address): seccomp's user
        // notification stops sendmsg, not this (init sends after seccomp).
        // SAFETY: data is valid for its length.
        let r = unsafe {
            libc::send(
                sock.as_raw_fd(),
                data.as_ptr() as *const libc::c_void,
                data.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        return check_long(r as libc::c_long, "send").map(|_| ());
    }
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: CMSG_SPACE is a pure computation.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of_val(fds) as u32) } as usize;
    let mut cbuf = vec![0u8; space.max(1)];
    // SAFETY: zeroed msghdr is a valid initial state.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if !fds.is_empty() {
        msg.msg_control = cbuf.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = space;
        // SAFETY: msg_control points to a buffer of CMSG_SPACE bytes; the header and data fit.
        unsafe {
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of_val(fds) as u32) as usize;
            std::ptr::copy_nonoverlapping(
                fds.as_ptr(),
                libc::CMSG_DATA(c) as *mut RawFd,
                fds.len(),
            );
        }
    }
    // SAFETY: msg and its buffers are valid for the call.
    let r = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
    check_long(r as libc::c_long, "sendmsg").map(|_| ())
}

/// Receive one datagram and any descriptors attached (taken as close-on-exec).
pub fn recv_msg(sock: &OwnedFd) -> io::Result<(Vec<u8>, Vec<OwnedFd>)> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    let mut cbuf = vec![0u8; 1024];
    // SAFETY: zeroed msghdr is a valid initial state.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen = cbuf.len();
    let n = loop {
        // SAFETY: msg and its buffers are valid for the call.
        let r = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if r < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        break check_long(r as libc::c_long, "recvmsg")? as usize;
    };
    let mut fds = Vec::new();
    // SAFETY: walking the control messages the kernel filled in, within msg_controllen.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let len = (*c).cmsg_len - libc::CMSG_LEN(0) as usize;
                let count = len / std::mem::size_of::<RawFd>();
                let p = libc::CMSG_DATA(c) as *const RawFd;
                for i in 0..count {
                    fds.push(OwnedFd::from_raw_fd(std::ptr::read_unaligned(p.add(i))));
                }
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    buf.truncate(n);
    Ok((buf, fds))
}

/// write(2) all of `data` to a raw descriptor, retrying on EINTR.
pub fn write_all(fd: RawFd, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        // SAFETY: data is a valid buffer.
        let r = unsafe { libc::write(fd, data.as_ptr() as *const libc::c_void, data.len()) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        data = &data[r as usize..];
    }
    Ok(())
}

/// The kernel's release string (`uname -r`).
pub fn kernel_release() -> String {
    // SAFETY: zeroed utsname is valid; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: u is a valid utsname.
    if unsafe { libc::uname(&mut u) } != 0 {
        return "unknown".into();
    }
    // SAFETY: release is NUL-terminated by the kernel.
    unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// The namespaces every sandbox gets are created in two steps, so that the
/// kernel builds most of them while the supervisor gets on with its own work:
/// [`CLONE_NAMESPACES`] by the clone, [`INIT_NAMESPACES`] by init right after
/// it. The cgroup namespace is entered later, by init, once it sits in its
/// cgroup.
///
/// Created by the clone itself: the user namespace (from birth, init holds
/// every capability over the namespaces it creates next, and none over the
/// host) and the pid namespace (init must be its pid 1). Cheap: the clone
/// takes about 0.07 ms with these, 0.58 ms with the network namespace too.
pub const CLONE_NAMESPACES: libc::c_int = libc::CLONE_NEWUSER | libc::CLONE_NEWPID;

/// Created by init with unshare(2) as its first step: mount, ipc, uts and
/// network. They are owned by the sandbox's user namespace exactly as if the
/// clone had created them.
pub const INIT_NAMESPACES: libc::c_int =
    libc::CLONE_NEWNS | libc::CLONE_NEWIPC | libc::CLONE_NEWUTS | libc::CLONE_NEWNET;

/// `struct clone_args` of clone3(2) up to its `cgroup` field (CLONE_ARGS_SIZE_VER2).
/// Written out here because the libc crate does not define it for glibc targets.
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Like [`clone_into`], but the child is born inside the cgroup v2 directory
/// `cgroup` (clone3 with CLONE_INTO_CGROUP, Linux 5.7+). Nothing migrates, so
/// there is no wait for the RCU grace period a write to `cgroup.procs` costs.
/// Fails with ENOSYS/E2BIG on older kernels; the caller then falls back to
/// [`clone_into`] and a migration.
pub fn clone_into_cgroup(
    namespaces: libc::c_int,
    cgroup: std::os::fd::BorrowedFd<'_>,
) -> io::Result<libc::pid_t> {
    use std::os::fd::AsRawFd;
    let args = CloneArgs {
        flags: namespaces as u32 as u64 | CLONE_INTO_CGROUP,
        exit_signal: libc::SIGCHLD as u64,
        cgroup: cgroup.as_raw_fd() as u64,
        ..Default::default()
    };
    // SAFETY: `args` is a valid clone_args of the size passed; no new stack and
    // no CLONE_VM, so the kernel copies the process like fork; the caller
    // guarantees no other thread holds locks.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if pid < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(pid as libc::pid_t)
    }
}

/// A fork-like clone into new namespaces: returns 0 in the child, the child's
/// pid in the parent. The caller must be single-threaded (the child gets a
/// copy of the process, as after fork).
pub fn clone_into(namespaces: libc::c_int) -> io::Result<libc::pid_t> {
    // SAFETY: no new stack and no shared memory: the kernel copies the process
    // like fork; the caller guarantees no other thread holds locks.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            (namespaces | libc::SIGCHLD) as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        )
    };
    if pid < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(pid as libc::pid_t)
    }
}
