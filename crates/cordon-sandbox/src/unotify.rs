//! Unix sockets: the supervisor performs the sandbox's `connect`, and its
//! sends to an address, itself.
//!
//! The host tree is visible read-only, and a read-only mount does not stop a
//! `connect` to a pathname unix socket (the kernel asks for write permission
//! on the socket inode, which a read-only mount does not take away). Landlock
//! confines pathname sockets only from ABI 9. So init installs a seccomp
//! filter with `SECCOMP_RET_USER_NOTIF` for `connect`, `sendto` with an
//! address, `sendmsg` and `sendmmsg` (table in [`crate::seccomp::notify_table`]);
//! every such call stops, and this module, in the supervisor:
//!
//! 1. reads the call's arguments from the caller's memory
//!    (`process_vm_readv`): the address, and for a send the data, iovecs and
//!    control messages;
//! 2. takes the caller's socket with `pidfd_getfd` (the same open file
//!    description, so non-blocking mode, options and state are shared);
//! 3. checks with `SECCOMP_IOCTL_NOTIF_ID_VALID` that the caller is still
//!    waiting (so the pid was not reused while reading);
//! 4. for a pathname unix address: resolves the path as the sandbox sees it
//!    (`openat2(/proc/PID/root, path, O_PATH, RESOLVE_IN_ROOT |
//!    RESOLVE_NO_MAGICLINKS)`, a relative path under the caller's cwd) and
//!    allows it if the socket lies on one of the sandbox's own mounts (the
//!    workspace, its private /tmp, /var/tmp, /run, /dev/shm, cordon's own
//!    sockets) or is one of the `--allow-unix-socket` sockets;
//! 5. performs the call on its copy of the socket, with its copies of the
//!    address and data (an allowed path is connected through
//!    `/proc/self/fd/N` of the resolved `O_PATH` descriptor), and answers the
//!    notification with the result. A refused path gets `EACCES` and is
//!    recorded for the end-of-run summary.
//!
//! The call is never continued (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`): the
//! kernel would read the address again from memory the sandbox can change
//! after the check, and would look the descriptor up again in a table the
//! sandbox can change (`dup2`). Other families (inet, inet6, abstract unix)
//! are performed the same way with the copied address: the socket's own
//! network namespace (the sandbox's, loopback only) applies.
//!
//! What the kernel sees differently: the peer of a unix socket connected this
//! way reads the supervisor's credentials with `SO_PEERCRED` (pid 0 inside the
//! sandbox), and `SCM_CREDENTIALS` sent with `sendmsg` carry the supervisor's.
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// `struct seccomp_data`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct SeccompData {
    nr: i32,
    arch: u32,
    ip: u64,
    args: [u64; 6],
}

/// `struct seccomp_notif`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct Notif {
    id: u64,
    pid: u32,
    flags: u32,
    data: SeccompData,
}

/// `struct seccomp_notif_resp`.
#[repr(C)]
struct Resp {
    id: u64,
    val: i64,
    error: i32,
    flags: u32,
}

const NOTIF_RECV: libc::c_ulong = 0xc050_2100; // _IOWR('!', 0, struct seccomp_notif)
const NOTIF_SEND: libc::c_ulong = 0xc018_2101; // _IOWR('!', 1, struct seccomp_notif_resp)
const NOTIF_ID_VALID: libc::c_ulong = 0x4008_2102; // _IOW('!', 2, __u64)
const SYS_PIDFD_OPEN: libc::c_long = 434;
const SYS_PIDFD_GETFD: libc::c_long = 438;
const SYS_OPENAT2: libc::c_long = 437;
const PIDFD_THREAD: libc::c_int = libc::O_EXCL;
const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_IN_ROOT: u64 = 0x10;
const STATX_INO: u32 = 0x100;
const STATX_MNT_ID: u32 = 0x1000;

/// The most data copied for one send; a longer stream send is partial (as
/// the kernel may make it), a longer datagram would not fit a socket buffer.
const MAX_DATA: usize = 1 << 20;
/// `sizeof(struct sockaddr_storage)`: the kernel refuses longer addresses.
const MAX_ADDR: usize = 128;
/// `UIO_MAXIOV`.
const MAX_IOV: usize = 1024;
/// Control data larger than this is refused (`ENOBUFS`, as over `optmem_max`).
const MAX_CONTROL: usize = 64 << 10;
/// Workers performing calls (each may block, e.g. a blocking connect).
const MAX_WORKERS: usize = 64;
/// Refusals kept for the summary.
const MAX_REFUSALS: usize = 64;

/// The directories that are private tmpfs mounts inside the sandbox.
pub const PRIVATE_DIRS: [&str; 4] = ["/tmp", "/var/tmp", "/run", "/dev/shm"];

/// What the sandbox may connect to, as the sandbox sees it.
#[derive(Debug, Clone, Default)]
pub struct UnixPolicy {
    /// Paths on the sandbox's own mounts: every socket on the same mount is
    /// allowed (the workspace, the private scratch directories, cordon's own
    /// sockets).
    pub own: Vec<PathBuf>,
    /// Sockets allowed one by one (`--allow-unix-socket`).
    pub allowed: Vec<PathBuf>,
}

impl UnixPolicy {
    /// The workspace, the private scratch directories and cordon's sockets.
    pub fn for_spec(spec: &crate::Spec) -> UnixPolicy {
        let mut own = vec![spec.fs.workspace.clone()];
        own.extend(PRIVATE_DIRS.map(PathBuf::from));
        own.extend(spec.sockets.iter().map(|(_, inside)| inside.clone()));
        UnixPolicy {
            own,
            allowed: spec.unix_allow.clone(),
        }
    }
}

/// A refused connection or datagram: the path as the caller gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `connect`, `sendto`, `sendmsg` or `sendmmsg`.
    pub call: &'static str,
    pub path: PathBuf,
}

struct Ctx {
    listener: OwnedFd,
    root: OwnedFd,
    own_mounts: Vec<u64>,
    allowed: Vec<PathBuf>,
    refused: Mutex<Vec<Refusal>>,
}

/// The supervisor's side: a thread answering the notifications until every
/// process of the sandbox is gone.
pub struct Server {
    ctx: Arc<Ctx>,
}

impl Server {
    /// Serve `listener` for the sandbox whose init is `init` (host pid).
    pub fn start(listener: OwnedFd, init: libc::pid_t, policy: &UnixPolicy) -> io::Result<Server> {
        // The sandbox's root: a magic link, followed here once, by the supervisor.
        let root: OwnedFd = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC)
                .open(format!("/proc/{init}/root"))?
                .into()
        };
        let own_mounts = policy
            .own
            .iter()
            .filter_map(|p| open_path(root.as_raw_fd(), p, RESOLVE_IN_ROOT).ok())
            .filter_map(|fd| stat(&fd).ok().map(|s| s.mnt_id))
            .collect();
        let ctx = Arc::new(Ctx {
            listener,
            root,
            own_mounts,
            allowed: policy.allowed.clone(),
            refused: Mutex::new(Vec::new()),
        });
        let pool = Arc::new(Pool {
            ctx: ctx.clone(),
            leader: Mutex::new(()),
            idle: AtomicUsize::new(0),
            threads: AtomicUsize::new(0),
            done: std::sync::atomic::AtomicBool::new(false),
        });
        spawn_worker(&pool)?;
        Ok(Server { ctx })
    }

    /// Paths refused so far (each once, in order).
    pub fn refusals(&self) -> Vec<Refusal> {
        self.ctx
            .refused
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}

/// Take `fd` from process `pid` (the supervisor's own copy).
pub fn take_fd(pid: libc::pid_t, fd: RawFd) -> io::Result<OwnedFd> {
    let pidfd = pidfd_open(pid, 0)?;
    getfd(&pidfd, fd as u64)
}

/// Leader and followers: one idle thread at a time waits for the next
/// notification and, once it has one, hands the waiting over to another idle
/// thread (made if none is left) and performs the call itself. So a call
/// that blocks (a blocking connect, a send to a full buffer) never holds up
/// the others, and no notification changes threads on its way.
struct Pool {
    ctx: Arc<Ctx>,
    leader: Mutex<()>,
    idle: AtomicUsize,
    threads: AtomicUsize,
    done: std::sync::atomic::AtomicBool,
}

fn spawn_worker(pool: &Arc<Pool>) -> io::Result<()> {
    pool.threads.fetch_add(1, Ordering::SeqCst);
    pool.idle.fetch_add(1, Ordering::SeqCst);
    let p = pool.clone();
    let r = std::thread::Builder::new()
        .name("cordon-unotify".into())
        .spawn(move || work(p));
    if r.is_err() {
        pool.threads.fetch_sub(1, Ordering::SeqCst);
        pool.idle.fetch_sub(1, Ordering::SeqCst);
    }
    r.map(|_| ())
}

fn work(pool: Arc<Pool>) {
    loop {
        let n = {
            let Ok(_lead) = pool.leader.lock() else {
                return;
            };
            if pool.done.load(Ordering::SeqCst) {
                return;
            }
            match next(&pool.ctx.listener) {
                Some(n) => n,
                None => {
                    pool.done.store(true, Ordering::SeqCst);
                    return;
                }
            }
        };
        if pool.idle.fetch_sub(1, Ordering::SeqCst) == 1
            && pool.threads.load(Ordering::SeqCst) < MAX_WORKERS
        {
            let _ = spawn_worker(&pool);
        }
        let r = handle(&pool.ctx, &n);
        answer(&pool.ctx.listener, n.id, r);
        pool.idle.fetch_add(1, Ordering::SeqCst);
    }
}

/// The next notification; `None` once no process of the sandbox is left.
fn next(listener: &OwnedFd) -> Option<Notif> {
    loop {
        let mut p = libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut p, 1, -1) } < 0 {
            if io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return None;
        }
        if p.revents & libc::POLLIN == 0 {
            return None; // POLLHUP: the filter has no task left
        }
        let mut n = Notif::default();
        // SAFETY: RECV fills a zeroed seccomp_notif. Only the leader calls
        // it, after poll said one is pending, so it does not block for long.
        if unsafe { libc::ioctl(listener.as_raw_fd(), NOTIF_RECV, &mut n) } == 0 {
            return Some(n);
        }
        // ENOENT: the caller went away before it was read.
    }
}

fn answer(listener: &OwnedFd, id: u64, r: Result<i64, i32>) {
    let resp = match r {
        Ok(val) => Resp {
            id,
            val,
            error: 0,
            flags: 0,
        },
        Err(errno) => Resp {
            id,
            val: 0,
            error: -errno,
            flags: 0,
        },
    };
    // SAFETY: SEND reads one seccomp_notif_resp; ENOENT (caller gone) is fine.
    unsafe { libc::ioctl(listener.as_raw_fd(), NOTIF_SEND, &resp) };
}

fn handle(ctx: &Ctx, n: &Notif) -> Result<i64, i32> {
    let t = Target::open(ctx, n)?;
    let a = n.data.args;
    match n.data.nr as i64 {
        libc::SYS_connect => connect(ctx, &t, a),
        libc::SYS_sendto => sendto(ctx, &t, a),
        libc::SYS_sendmsg => {
            let sock = t.fd(a[0])?;
            let hdr = t.read(a[1], MSGHDR)?;
            send_one(ctx, &t, &sock, &hdr, a[2] as i32, "sendmsg")
        }
        libc::SYS_sendmmsg => sendmmsg(ctx, &t, a),
        _ => Err(libc::ENOSYS),
    }
}

/// The calling thread of one notification.
struct Target<'a> {
    ctx: &'a Ctx,
    id: u64,
    tid: libc::pid_t,
    pidfd: OwnedFd,
}

impl<'a> Target<'a> {
    fn open(ctx: &'a Ctx, n: &Notif) -> Result<Target<'a>, i32> {
        let tid = n.pid as libc::pid_t;
        // A thread's own descriptor table (PIDFD_THREAD, Linux 6.9); before
        // that, its process's.
        let pidfd = pidfd_open(tid, PIDFD_THREAD)
            .or_else(|_| tgid(tid).and_then(|p| pidfd_open(p, 0)))
            .map_err(errno)?;
        let t = Target {
            ctx,
            id: n.id,
            tid,
            pidfd,
        };
        t.valid()?;
        Ok(t)
    }

    /// Still waiting in the same call: what was read belongs to it.
    fn valid(&self) -> Result<(), i32> {
        // SAFETY: ID_VALID reads one u64.
        let r = unsafe { libc::ioctl(self.ctx.listener.as_raw_fd(), NOTIF_ID_VALID, &self.id) };
        if r < 0 {
            return Err(libc::ENOENT);
        }
        Ok(())
    }

    fn read(&self, addr: u64, len: usize) -> Result<Vec<u8>, i32> {
        let mut buf = vec![0u8; len];
        if len == 0 {
            return Ok(buf);
        }
        let local = libc::iovec {
            iov_base: buf.as_mut_ptr() as *mut libc::c_void,
            iov_len: len,
        };
        let remote = libc::iovec {
            iov_base: addr as *mut libc::c_void,
            iov_len: len,
        };
        // SAFETY: one local iovec over `buf`; the remote one is only read by the kernel.
        let r = unsafe { libc::process_vm_readv(self.tid, &local, 1, &remote, 1, 0) };
        if r < 0 || r as usize != len {
            return Err(libc::EFAULT);
        }
        Ok(buf)
    }

    fn write(&self, addr: u64, data: &[u8]) {
        let local = libc::iovec {
            iov_base: data.as_ptr() as *mut libc::c_void,
            iov_len: data.len(),
        };
        let remote = libc::iovec {
            iov_base: addr as *mut libc::c_void,
            iov_len: data.len(),
        };
        // SAFETY: the local iovec is only read; the remote one is the caller's own buffer.
        unsafe { libc::process_vm_writev(self.tid, &local, 1, &remote, 1, 0) };
    }

    /// The caller's descriptor `fd`, as the supervisor's own.
    fn fd(&self, fd: u64) -> Result<OwnedFd, i32> {
        getfd(&self.pidfd, fd).map_err(errno)
    }

    /// The caller's working directory, as the sandbox sees it.
    fn cwd(&self) -> Result<PathBuf, i32> {
        std::fs::read_link(format!("/proc/{}/cwd", self.tid)).map_err(errno)
    }

    /// A send that broke the pipe raises SIGPIPE in the caller, as the kernel would.
    fn sigpipe(&self, r: &Result<i64, i32>, flags: i32) {
        if *r == Err(libc::EPIPE) && flags & libc::MSG_NOSIGNAL == 0 {
            // SAFETY: pidfd_send_signal with a valid pidfd and no siginfo.
            unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    self.pidfd.as_raw_fd(),
                    libc::SIGPIPE,
                    std::ptr::null::<libc::siginfo_t>(),
                    0,
                )
            };
        }
    }
}

/// The address a call will use: copied, and for an allowed pathname unix
/// socket rewritten to `/proc/self/fd/N` of the resolved socket (kept open).
struct Dest {
    addr: Vec<u8>,
    _socket: Option<OwnedFd>,
}

/// Read the address at `ptr` (`len` bytes) and decide on it.
fn dest(ctx: &Ctx, t: &Target, ptr: u64, len: u64, call: &'static str) -> Result<Dest, i32> {
    if len as usize > MAX_ADDR {
        return Err(libc::EINVAL);
    }
    let addr = if ptr == 0 {
        Vec::new()
    } else {
        t.read(ptr, len as usize)?
    };
    let Some(path) = pathname(&addr) else {
        return Ok(Dest {
            addr,
            _socket: None,
        });
    };
    let path = Path::new(std::ffi::OsStr::from_bytes(path)).to_path_buf();
    let full = if path.is_absolute() {
        path.clone()
    } else {
        t.cwd()?.join(&path)
    };
    t.valid()?;
    let socket = open_path(ctx.root.as_raw_fd(), &full, RESOLVE_IN_ROOT).map_err(errno)?;
    if !allowed(ctx, &socket) {
        refuse(ctx, call, full);
        return Err(libc::EACCES);
    }
    Ok(Dest {
        addr: sockaddr_un(&format!("/proc/self/fd/{}", socket.as_raw_fd())),
        _socket: Some(socket),
    })
}

/// The path of a pathname `sockaddr_un` (not abstract, not unnamed).
fn pathname(addr: &[u8]) -> Option<&[u8]> {
    if addr.len() <= 2 || u16::from_ne_bytes([addr[0], addr[1]]) != libc::AF_UNIX as u16 {
        return None;
    }
    let p = &addr[2..];
    let end = p.iter().position(|b| *b == 0).unwrap_or(p.len());
    (end > 0).then(|| &p[..end])
}

fn sockaddr_un(path: &str) -> Vec<u8> {
    let mut a = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
    a.extend_from_slice(path.as_bytes());
    a.push(0);
    a
}

fn allowed(ctx: &Ctx, socket: &OwnedFd) -> bool {
    let Ok(s) = stat(socket) else { return false };
    if ctx.own_mounts.contains(&s.mnt_id) {
        return true;
    }
    ctx.allowed.iter().any(|p| {
        open_path(ctx.root.as_raw_fd(), p, RESOLVE_IN_ROOT)
            .and_then(|fd| stat(&fd))
            .is_ok_and(|a| a.dev == s.dev && a.ino == s.ino)
    })
}

fn refuse(ctx: &Ctx, call: &'static str, path: PathBuf) {
    if let Ok(mut r) = ctx.refused.lock() {
        if r.len() < MAX_REFUSALS && !r.iter().any(|x| x.path == path) {
            r.push(Refusal { call, path });
        }
    }
}

fn connect(ctx: &Ctx, t: &Target, a: [u64; 6]) -> Result<i64, i32> {
    let sock = t.fd(a[0])?;
    let d = dest(ctx, t, a[1], a[2], "connect")?;
    t.valid()?;
    // SAFETY: the address buffer is valid for its length.
    let r = unsafe {
        libc::connect(
            sock.as_raw_fd(),
            d.addr.as_ptr() as *const libc::sockaddr,
            d.addr.len() as libc::socklen_t,
        )
    };
    result(r as i64)
}

fn sendto(ctx: &Ctx, t: &Target, a: [u64; 6]) -> Result<i64, i32> {
    let sock = t.fd(a[0])?;
    let data = t.read(a[1], (a[2] as usize).min(MAX_DATA))?;
    let flags = a[3] as i32;
    let d = dest(ctx, t, a[4], a[5], "sendto")?;
    t.valid()?;
    // SAFETY: data and address buffers are valid for their lengths.
    let r = unsafe {
        libc::sendto(
            sock.as_raw_fd(),
            data.as_ptr() as *const libc::c_void,
            data.len(),
            flags | libc::MSG_NOSIGNAL,
            d.addr.as_ptr() as *const libc::sockaddr,
            d.addr.len() as libc::socklen_t,
        )
    };
    let r = result(r as i64);
    t.sigpipe(&r, flags);
    r
}

/// `sizeof(struct msghdr)` and `sizeof(struct mmsghdr)` on x86_64.
const MSGHDR: usize = 56;
const MMSGHDR: usize = 64;

fn sendmmsg(ctx: &Ctx, t: &Target, a: [u64; 6]) -> Result<i64, i32> {
    let sock = t.fd(a[0])?;
    let vlen = (a[2] as usize).min(MAX_IOV);
    let mut sent = 0usize;
    while sent < vlen {
        let at = a[1] + (sent * MMSGHDR) as u64;
        let r = t
            .read(at, MSGHDR)
            .and_then(|hdr| send_one(ctx, t, &sock, &hdr, a[3] as i32, "sendmmsg"));
        match r {
            Ok(n) => t.write(at + MSGHDR as u64, &(n as u32).to_ne_bytes()),
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        }
        sent += 1;
    }
    Ok(sent as i64)
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[off..off + 8]);
    u64::from_ne_bytes(x)
}

/// Perform one `sendmsg` whose `struct msghdr` is `hdr` (read from the caller).
fn send_one(
    ctx: &Ctx,
    t: &Target,
    sock: &OwnedFd,
    hdr: &[u8],
    flags: i32,
    call: &'static str,
) -> Result<i64, i32> {
    let (name, namelen) = (u64_at(hdr, 0), u64_at(hdr, 8) & 0xffff_ffff);
    let (iov, iovlen) = (u64_at(hdr, 16), u64_at(hdr, 24) as usize);
    let (control, controllen) = (u64_at(hdr, 32), u64_at(hdr, 40) as usize);
    if iovlen > MAX_IOV {
        return Err(libc::EMSGSIZE);
    }
    if controllen > MAX_CONTROL {
        return Err(libc::ENOBUFS);
    }
    let iovs = t.read(iov, iovlen * 16)?;
    let mut data = Vec::new();
    for i in 0..iovlen {
        let (base, len) = (u64_at(&iovs, i * 16), u64_at(&iovs, i * 16 + 8) as usize);
        let take = len.min(MAX_DATA - data.len());
        data.extend(t.read(base, take)?);
    }
    let mut cbuf = if control == 0 {
        Vec::new()
    } else {
        t.read(control, controllen)?
    };
    let _passed = translate_control(t, sock, &mut cbuf)?;
    let d = dest(ctx, t, if namelen == 0 { 0 } else { name }, namelen, call)?;
    t.valid()?;
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: a zeroed msghdr is valid; its pointers are set to live buffers below.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    if !d.addr.is_empty() {
        msg.msg_name = d.addr.as_ptr() as *mut libc::c_void;
        msg.msg_namelen = d.addr.len() as libc::socklen_t;
    }
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if !cbuf.is_empty() {
        msg.msg_control = cbuf.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = cbuf.len();
    }
    // SAFETY: msg and every buffer it points to live across the call.
    let r = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, flags | libc::MSG_NOSIGNAL) };
    let r = result(r as i64);
    t.sigpipe(&r, flags);
    r
}

/// On a unix socket, control messages name the caller's descriptors
/// (`SCM_RIGHTS`) and credentials (`SCM_CREDENTIALS`): rewrite them to the
/// supervisor's copies of those descriptors and to its own credentials.
/// Other families' control messages are plain data. Returns the copies,
/// which must stay open until the send.
fn translate_control(t: &Target, sock: &OwnedFd, cbuf: &mut [u8]) -> Result<Vec<OwnedFd>, i32> {
    let mut held = Vec::new();
    if cbuf.is_empty() || domain(sock) != Some(libc::AF_UNIX) {
        return Ok(held);
    }
    let mut off = 0;
    while off + 16 <= cbuf.len() {
        let len = u64_at(cbuf, off) as usize;
        if len < 16 || off + len > cbuf.len() {
            return Err(libc::EINVAL);
        }
        let level = i32::from_ne_bytes(cbuf[off + 8..off + 12].try_into().unwrap_or_default());
        let kind = i32::from_ne_bytes(cbuf[off + 12..off + 16].try_into().unwrap_or_default());
        let body = off + 16..off + len;
        match (level, kind) {
            (libc::SOL_SOCKET, libc::SCM_RIGHTS) => {
                for at in body.step_by(4) {
                    if at + 4 > off + len {
                        break;
                    }
                    let fd = i32::from_ne_bytes(cbuf[at..at + 4].try_into().unwrap_or_default());
                    let mine = t.fd(fd as u32 as u64)?;
                    cbuf[at..at + 4].copy_from_slice(&mine.as_raw_fd().to_ne_bytes());
                    held.push(mine);
                }
            }
            (libc::SOL_SOCKET, libc::SCM_CREDENTIALS) if len >= 28 => {
                // SAFETY: getpid/getuid/getgid cannot fail.
                let me = unsafe { [libc::getpid(), libc::getuid() as i32, libc::getgid() as i32] };
                for (i, v) in me.iter().enumerate() {
                    cbuf[off + 16 + i * 4..off + 20 + i * 4].copy_from_slice(&v.to_ne_bytes());
                }
            }
            _ => {}
        }
        off += (len + 7) & !7;
    }
    Ok(held)
}

fn domain(sock: &OwnedFd) -> Option<i32> {
    let mut v: libc::c_int = 0;
    let mut l = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes one int.
    let r = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_DOMAIN,
            &mut v as *mut libc::c_int as *mut libc::c_void,
            &mut l,
        )
    };
    (r == 0).then_some(v)
}

fn result(r: i64) -> Result<i64, i32> {
    if r < 0 {
        Err(io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO))
    } else {
        Ok(r)
    }
}

fn errno(e: io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

fn pidfd_open(pid: libc::pid_t, flags: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(SYS_PIDFD_OPEN, pid, flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor we now own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

fn getfd(pidfd: &OwnedFd, fd: u64) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_getfd returns a new descriptor or -1.
    let r = unsafe { libc::syscall(SYS_PIDFD_GETFD, pidfd.as_raw_fd(), fd as libc::c_int, 0) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor we now own.
    Ok(unsafe { OwnedFd::from_raw_fd(r as RawFd) })
}

/// The process (thread group) of thread `tid`.
fn tgid(tid: libc::pid_t) -> io::Result<libc::pid_t> {
    let s = std::fs::read_to_string(format!("/proc/{tid}/status"))?;
    s.lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))
}

/// `struct open_how`.
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// `openat2(dir, path, O_PATH, resolve | RESOLVE_NO_MAGICLINKS)`.
fn open_path(dir: RawFd, path: &Path, resolve: u64) -> io::Result<OwnedFd> {
    let c = crate::sys::cstr(path)?;
    let how = OpenHow {
        flags: (libc::O_PATH | libc::O_CLOEXEC) as u64,
        mode: 0,
        resolve: resolve | RESOLVE_NO_MAGICLINKS,
    };
    // SAFETY: valid path and open_how for the call.
    let fd = unsafe {
        libc::syscall(
            SYS_OPENAT2,
            dir,
            c.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor we now own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

struct Stat {
    dev: (u32, u32),
    ino: u64,
    mnt_id: u64,
}

fn stat(fd: &OwnedFd) -> io::Result<Stat> {
    // struct statx is 256 bytes; read by offset (stx_ino 32, stx_dev_major 136,
    // stx_dev_minor 140, stx_mnt_id 144).
    let mut buf = [0u64; 32];
    // SAFETY: statx writes at most 256 bytes into buf.
    let r = unsafe {
        libc::syscall(
            libc::SYS_statx,
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            STATX_INO | STATX_MNT_ID,
            buf.as_mut_ptr(),
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    let dev = buf[17];
    Ok(Stat {
        dev: (dev as u32, (dev >> 32) as u32),
        ino: buf[4],
        mnt_id: buf[18],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pathnames_are_told_from_abstract_and_unnamed_addresses() {
        let p = sockaddr_un("/run/x.sock");
        assert_eq!(pathname(&p), Some(&b"/run/x.sock"[..]));
        let mut abs = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
        abs.extend_from_slice(b"\0name");
        assert_eq!(pathname(&abs), None, "abstract");
        assert_eq!(pathname(&abs[..2]), None, "unnamed");
        let mut inet = (libc::AF_INET as u16).to_ne_bytes().to_vec();
        inet.extend_from_slice(b"abcdef");
        assert_eq!(pathname(&inet), None);
        // No NUL within the length: the whole rest is the path (as the kernel reads it).
        let mut nonul = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
        nonul.extend_from_slice(b"rel");
        assert_eq!(pathname(&nonul), Some(&b"rel"[..]));
    }

    #[test]
    fn statx_reads_the_mount_and_inode() {
        let fd = open_path(libc::AT_FDCWD, Path::new("/"), 0).unwrap();
        let s = stat(&fd).unwrap();
        let m = std::fs::metadata("/").unwrap();
        assert_eq!(s.ino, std::os::unix::fs::MetadataExt::ino(&m));
        assert!(s.mnt_id > 0);
    }
}
