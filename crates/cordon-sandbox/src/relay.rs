//! The supervisor's side while the command runs: forward signals to the
//! sandbox's init, relay the pseudo-terminal (with window size changes), and
//! collect the exit status. What the command writes to its terminal reaches
//! the person's only through [`crate::term`]'s allowlist filter.
use crate::msg::InitMsg;
use crate::sys;
use crate::term::{Filter, Mode};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

static SIG_PIPE_W: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = SIG_PIPE_W.load(Ordering::Relaxed);
    if fd >= 0 {
        let b = sig as u8;
        // SAFETY: write is async-signal-safe; a full pipe just drops the byte.
        unsafe { libc::write(fd, &b as *const u8 as *const libc::c_void, 1) };
    }
}

const FORWARDED: &[libc::c_int] = &[
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

/// Terminal settings restored when dropped.
struct RawMode {
    fd: RawFd,
    saved: libc::termios,
}

impl RawMode {
    /// Put the terminal in raw mode. Input already queued in canonical mode
    /// is handed to `master` first: complete lines as they are, and an
    /// end-of-file (VEOF typed or sent before cordon started; a harness sends
    /// it when its stdin ends) as the pty's own VEOF. Left in the queue, the
    /// kernel would turn that end-of-file mark into a NUL byte at the switch,
    /// which the pty echoed back as a stray `^@` at the start of the output.
    fn enter(fd: RawFd, master: RawFd) -> Option<RawMode> {
        // SAFETY: zeroed termios is valid storage for tcgetattr.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd is a terminal (checked by caller) and t is valid.
        if unsafe { libc::tcgetattr(fd, &mut t) } != 0 {
            return None;
        }
        // (Only in canonical mode is a read of 0 bytes an end-of-file.)
        if t.c_lflag & libc::ICANON != 0 {
            pass_queued_lines(fd, master);
        }
        let saved = t;
        // SAFETY: cfmakeraw edits the struct in place.
        unsafe { libc::cfmakeraw(&mut t) };
        // SAFETY: valid fd and termios.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &t) };
        Some(RawMode { fd, saved })
    }
}

/// Hand what a terminal in canonical mode has ready (whole lines, end of
/// file) to `master`, without waiting for more.
fn pass_queued_lines(fd: RawFd, master: RawFd) {
    let mut buf = [0u8; 4096];
    // Bounded: a stream of input arriving meanwhile is the relay's to carry.
    for _ in 0..64 {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no wait.
        if unsafe { libc::poll(&mut p, 1, 0) } != 1 || p.revents & libc::POLLIN == 0 {
            return;
        }
        // SAFETY: valid buffer; canonical mode has a whole line or EOF ready.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
        let passed = match n {
            0 => sys::write_all(master, &[VEOF]),
            n if n > 0 => sys::write_all(master, &buf[..n as usize]),
            _ => return,
        };
        if passed.is_err() {
            return;
        }
    }
}

/// The end-of-file character of a new pty (^D).
const VEOF: u8 = 0x04;

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restoring the settings we saved.
        unsafe { libc::tcsetattr(self.fd, libc::TCSAFLUSH, &self.saved) };
    }
}

fn copy_winsize(from: RawFd, to: RawFd) {
    // SAFETY: zeroed winsize is valid; ioctls with valid pointers.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(from, libc::TIOCGWINSZ, &mut ws) == 0 {
            libc::ioctl(to, libc::TIOCSWINSZ, &ws);
        }
    }
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on a valid descriptor.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

/// Write what of the terminal's output `term` lets through.
fn show(term: &mut Filter, read: &[u8], shown: &mut Vec<u8>, out_fd: RawFd) -> io::Result<()> {
    shown.clear();
    term.push(read, shown);
    if shown.is_empty() {
        return Ok(());
    }
    sys::write_all(out_fd, shown)
}

/// What the command's run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exit code for cordon (the command's, 128+N for signal N, 126/127 for exec failures).
    pub code: u8,
    /// Why the command could not be executed, if it could not.
    pub exec_error: Option<String>,
    /// Escape sequences and control characters the terminal filter dropped.
    pub terminal_dropped: u64,
}

/// The pty's place: which of the caller's streams are terminals.
#[derive(Debug, Clone, Copy)]
pub struct PtyStreams {
    /// The caller's stdin is a terminal whose input the pty receives.
    pub stdin: bool,
    /// A terminal of the caller to take the window size from.
    pub winsize_from: RawFd,
}

/// Run the supervisor loop until init exits, or with `until_report` until
/// init reports the command's end (by then every other process of the
/// sandbox is dead: init kills and reaps them all before it reports, so what
/// the terminal still holds is all there will be).
pub fn supervise(
    init: libc::pid_t,
    sock: &OwnedFd,
    master: Option<OwnedFd>,
    streams: PtyStreams,
    out_fd: RawFd,
    until_report: bool,
) -> io::Result<Outcome> {
    let (sig_r, sig_w) = sys::pipe()?;
    set_nonblocking(sig_r.as_raw_fd());
    set_nonblocking(sig_w.as_raw_fd());
    SIG_PIPE_W.store(sig_w.as_raw_fd(), Ordering::SeqCst);
    let mut handled: Vec<libc::c_int> = FORWARDED.to_vec();
    handled.push(libc::SIGCHLD);
    handled.push(libc::SIGWINCH);
    for &sig in &handled {
        // SAFETY: a valid handler that only writes to a pipe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = libc::SA_RESTART;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }

    let stdin_tty = master.is_some() && streams.stdin;
    let _raw = match &master {
        Some(m) if stdin_tty => RawMode::enter(0, m.as_raw_fd()),
        _ => None,
    };
    if let Some(m) = &master {
        copy_winsize(streams.winsize_from, m.as_raw_fd());
    }
    let mut stdin_open = stdin_tty;
    let mut master_open = master.is_some();
    let master_fd = master.as_ref().map(|m| m.as_raw_fd()).unwrap_or(-1);
    let mut outcome: Option<Outcome> = None;
    let mut init_status: Option<i32> = None;
    let mut sock_open = true;
    let mut buf = vec![0u8; 64 * 1024];
    let mut term = Filter::new(Mode::Terminal);
    let mut shown: Vec<u8> = Vec::with_capacity(buf.len());

    loop {
        if init_status.is_none() {
            let mut st = 0;
            // SAFETY: waitpid on our own child.
            let r = unsafe { libc::waitpid(init, &mut st, libc::WNOHANG) };
            if r == init {
                init_status = Some(st);
            }
        }
        if init_status.is_some() && !master_open && !sock_open {
            break;
        }
        if (init_status.is_some() && !sock_open) || (until_report && outcome.is_some()) {
            // Drain what the terminal still holds, then stop.
            if master_open {
                set_nonblocking(master_fd);
                loop {
                    // SAFETY: valid buffer.
                    let n = unsafe {
                        libc::read(master_fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len())
                    };
                    if n <= 0 {
                        break;
                    }
                    if show(&mut term, &buf[..n as usize], &mut shown, out_fd).is_err() {
                        break;
                    }
                }
            }
            break;
        }
        let mut fds = vec![libc::pollfd {
            fd: sig_r.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        if sock_open {
            fds.push(libc::pollfd {
                fd: sock.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        if master_open {
            fds.push(libc::pollfd {
                fd: master_fd,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        if stdin_open {
            fds.push(libc::pollfd {
                fd: 0,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        let timeout = if init_status.is_some() { 50 } else { 1000 };
        // SAFETY: fds is a valid array.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if r < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(io::Error::last_os_error());
        }
        if r == 0 && init_status.is_some() {
            // Init is gone and nothing more arrives.
            sock_open = false;
            continue;
        }
        for p in fds {
            if p.revents == 0 {
                continue;
            }
            if p.fd == sig_r.as_raw_fd() {
                let mut sigs = [0u8; 64];
                // SAFETY: valid buffer.
                let n =
                    unsafe { libc::read(p.fd, sigs.as_mut_ptr() as *mut libc::c_void, sigs.len()) };
                for &s in sigs.iter().take(n.max(0) as usize) {
                    let s = s as libc::c_int;
                    if s == libc::SIGWINCH && master_open {
                        copy_winsize(streams.winsize_from, master_fd);
                    } else if FORWARDED.contains(&s) {
                        // SAFETY: signalling our own child (the sandbox's init).
                        unsafe { libc::kill(init, s) };
                    }
                }
            } else if p.fd == sock.as_raw_fd() {
                match sys::recv_msg(sock) {
                    Ok((data, _)) if !data.is_empty() => {
                        if let Ok(InitMsg::Exit { code, exec_error }) =
                            serde_json::from_slice(&data)
                        {
                            crate::timing::mark("command (until init's report)");
                            outcome = Some(Outcome {
                                code,
                                exec_error,
                                terminal_dropped: 0,
                            });
                        }
                    }
                    _ => sock_open = false,
                }
            } else if p.fd == master_fd {
                // SAFETY: valid buffer.
                let n = unsafe {
                    libc::read(master_fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len())
                };
                // EOF/EIO (every slave closed) or a closed stdout ends the relay.
                if n <= 0 || show(&mut term, &buf[..n as usize], &mut shown, out_fd).is_err() {
                    master_open = false;
                }
            } else if p.fd == 0 {
                // SAFETY: valid buffer.
                let n = unsafe { libc::read(0, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
                if n <= 0 || sys::write_all(master_fd, &buf[..n as usize]).is_err() {
                    stdin_open = false;
                }
            }
        }
    }
    shown.clear();
    term.finish(&mut shown);
    // The program may have ended without undoing its modes (mouse, paste, alternate screen).
    term.restore(&mut shown);
    let _ = sys::write_all(out_fd, &shown);
    SIG_PIPE_W.store(-1, Ordering::SeqCst);
    for &sig in &handled {
        // SAFETY: restoring default dispositions.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
    }
    drop(sig_w);
    if let Some(o) = outcome {
        return Ok(Outcome {
            terminal_dropped: term.dropped(),
            ..o
        });
    }
    let st = init_status.unwrap_or(0);
    let code = if libc::WIFEXITED(st) {
        libc::WEXITSTATUS(st) as u8
    } else if libc::WIFSIGNALED(st) {
        128u8.wrapping_add(libc::WTERMSIG(st) as u8)
    } else {
        125
    };
    Ok(Outcome {
        code,
        exec_error: None,
        terminal_dropped: term.dropped(),
    })
}
