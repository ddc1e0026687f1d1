//! Fail closed when cordon itself crashes.
//!
//! A command that decides for an agent must never let a crash read as
//! "go ahead": Claude Code runs a tool call whose hook exits with anything but
//! 2, and a caller of `cordon check` may read any output as the answer. The
//! release build aborts on panic (`panic = "abort"`), so nothing can be
//! unwound and caught; instead:
//!
//! | what | how it ends |
//! | --- | --- |
//! | a panic, or a fatal signal (SIGSEGV from a stack overflow, SIGBUS, SIGILL, SIGFPE, SIGABRT from a failed allocation) on a thread run by [`isolate`] | that thread reports the crash on a pipe and is parked for ever; the caller gets [`Crash`] and refuses (and journals) |
//! | the same anywhere else, after [`install`] (the one-shot `cordon hook claude` decides on its main thread when [`main_stack_allows`] it) | one fixed line on stderr, then `_exit(code)` (2 for the hook, 125 for `check` and the MCP gateway); a panic is first journaled by [`journal_with`]'s function |
//! | a crash inside a [`refusing`] scope | first the prepared refusal is written to its descriptor (a JSON-RPC error for the MCP call being decided) |
//! | no decision by a deadline ([`deadline`]) | one line on stderr, `_exit(2)` |
//!
//! Signal handlers run on an alternate stack (a stack overflow leaves none)
//! and only call async-signal-safe functions (`write`, `pause`, `_exit`) and
//! read atomics and constant-initialised thread-locals. A `SIGKILL` (the OOM
//! killer) cannot be caught: the process dies by signal, which Claude Code
//! treats as a non-blocking error; nothing in cordon can prevent that.
//!
//! ```text
//! fatal::install(2, "`cordon hook claude`", "the event was refused");
//! match fatal::isolate(|| decide(input)) {
//!     Ok(reply) => reply,
//!     Err(crash) => refuse(crash),   // "fatal signal SIGSEGV", "panic: ..."
//! }
//! ```

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// The signals a crashed process dies of, with their names for the message.
const FATAL: &[(libc::c_int, &str)] = &[
    (
        libc::SIGSEGV,
        "SIGSEGV (a stack overflow or a bad memory access)",
    ),
    (libc::SIGBUS, "SIGBUS"),
    (libc::SIGILL, "SIGILL"),
    (libc::SIGFPE, "SIGFPE"),
    (libc::SIGABRT, "SIGABRT (an abort, e.g. memory exhausted)"),
];

/// The alternate signal stack each guarded thread gets.
const ALT_STACK: usize = 64 << 10;

/// The stack of an [`isolate`]d thread: far more than any bounded decision
/// needs, reserved (not committed) up front.
pub const ISOLATED_STACK: usize = 64 << 20;

/// How far the main thread's stack must be allowed to grow (its
/// `RLIMIT_STACK`) for a one-shot command to decide there rather than on an
/// [`isolate`]d thread (see [`main_stack_allows`]). The shell analysis stops
/// at 96 KiB of stack (`cordon-policy`'s `shell/walk.rs`) and the JSON decoder
/// at 128 levels: the hook's deepest test inputs never grow the main stack
/// past the 132 KiB the kernel sets up at exec (arguments and environment
/// included). The kernel keeps arguments and environment below a quarter of
/// the limit, so at least 1.5 MiB of this remain: ten times what is needed.
pub const MAIN_STACK: u64 = 2 << 20;

/// How long a panic waits for its journal record before the process exits.
const JOURNAL_WAIT: Duration = Duration::from_secs(2);

/// What a crash outside an isolated thread prints and exits with.
struct Guard {
    /// `cordon: internal error in WHAT: ` (the cause follows).
    head: String,
    /// `; OUTCOME (fix: ...)\n`.
    tail: String,
    code: i32,
}

static GUARD: AtomicPtr<Guard> = AtomicPtr::new(std::ptr::null_mut());
/// `cordon: ...\n` written when the deadline passes.
static DEADLINE: AtomicPtr<String> = AtomicPtr::new(std::ptr::null_mut());
/// Called (on a helper thread, bounded by [`JOURNAL_WAIT`]) with the cause of a
/// panic outside an isolated thread, before the process exits.
static JOURNAL: OnceLock<JournalFn> = OnceLock::new();

type JournalFn = Box<dyn Fn(&str) + Send + Sync>;

thread_local! {
    /// Write end of the pipe an isolated thread reports its crash on (-1: none).
    static NOTIFY: Cell<libc::c_int> = const { Cell::new(-1) };
    /// This isolated thread has reported a panic already (a release build
    /// then aborts: the SIGABRT that follows is not a second crash).
    static REPORTED: Cell<bool> = const { Cell::new(false) };
    /// A refusal to write if this thread crashes: (fd, bytes, length).
    static REFUSAL: Cell<(libc::c_int, *const u8, usize)> =
        const { Cell::new((-1, std::ptr::null(), 0)) };
}

/// How a thread run by [`isolate`] crashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Crash {
    /// A fatal signal, by number.
    Signal(i32),
    /// A panic, with its message.
    Panic(String),
    /// The thread ended without an answer, or could not report.
    Lost(String),
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Crash::Signal(s) => write!(f, "fatal signal {}", signal_name(*s)),
            Crash::Panic(m) => write!(f, "panic: {m}"),
            Crash::Lost(m) => f.write_str(m),
        }
    }
}

fn signal_name(sig: libc::c_int) -> &'static str {
    FATAL
        .iter()
        .find(|(s, _)| *s == sig)
        .map_or("(unknown)", |(_, n)| n)
}

/// Make every crash of this process end as `code` with one line on stderr:
/// `cordon: internal error in WHAT: CAUSE; OUTCOME (fix: ...)`.
pub fn install(code: u8, what: &str, outcome: &str) {
    let guard = Box::new(Guard {
        head: format!("cordon: internal error in {what}: "),
        tail: format!(
            "; {outcome} (fix: this is a bug in cordon; report it with the input that caused it)\n"
        ),
        code: i32::from(code),
    });
    // A guard replaced (never in the binary) stays leaked: a handler may be reading it.
    GUARD.swap(Box::into_raw(guard), Ordering::SeqCst);
    hooks();
    alt_stack();
}

/// The panic hook and the fatal-signal handlers, once per process. Without
/// [`install`]'s guard they only catch crashes of [`isolate`]d threads; any
/// other crash goes on as it would have (the previous panic hook, or death by
/// the signal).
fn hooks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            on_panic(info);
            previous(info);
        }));
        for &(sig, _) in FATAL {
            handle(sig, on_signal);
        }
    });
}

/// Have a panic outside an isolated thread journaled (best effort, at most
/// [`JOURNAL_WAIT`]) before the process exits. Set once.
pub fn journal_with(f: impl Fn(&str) + Send + Sync + 'static) {
    let _ = JOURNAL.set(Box::new(f));
}

/// Exit 2 with `line` on stderr if the process is still running after
/// `secs` seconds: a real-time timer whose handler writes and exits (a timer,
/// not a watchdog thread: starting a thread costs more than a whole decision).
/// A deadline that is not a number means the default.
pub fn deadline(secs: f64, default: f64, line: String) {
    let secs = if secs.is_finite() { secs } else { default };
    let secs = secs.clamp(0.1, 3600.0);
    let old = DEADLINE.swap(Box::into_raw(Box::new(line)), Ordering::SeqCst);
    let _ = old; // leaked: the handler may be reading it
    let whole = secs.trunc();
    let timer = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: whole as libc::time_t,
            tv_usec: ((secs - whole) * 1e6) as libc::suseconds_t,
        },
    };
    handle(libc::SIGALRM, on_deadline);
    // SAFETY: setitimer is given a valid, initialised itimerval and no old value.
    let armed = unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) } == 0;
    if !armed {
        // Without a timer, a thread does the same job.
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs_f64(secs));
            on_deadline(libc::SIGALRM);
        });
    }
}

/// Run `f` on a thread of its own with a known, large stack
/// ([`ISOLATED_STACK`]). If it panics or takes a fatal signal, that thread
/// says so on a pipe and is parked for ever (it may hold locks: the caller
/// must not need them), and the caller gets the [`Crash`]. When no thread can
/// be started, `f` runs here (still under [`install`]'s guard).
pub fn isolate<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Crash> {
    let mut fds = [-1; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Ok(f());
    }
    hooks();
    let (r, w) = (Fd(fds[0]), Fd(fds[1]));
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(f)));
    let theirs = slot.clone();
    let spawned = std::thread::Builder::new()
        .name("cordon-decide".into())
        .stack_size(ISOLATED_STACK)
        .spawn(move || {
            alt_stack();
            NOTIFY.set(w.0);
            let f = theirs.lock().ok().and_then(|mut g| g.take());
            let out = f.map(|f| f());
            NOTIFY.set(-1);
            write_all(w.0, b"D");
            drop(w);
            out
        });
    let handle = match spawned {
        Ok(h) => h,
        Err(_) => {
            let f = slot.lock().ok().and_then(|mut g| g.take());
            return f
                .map(|f| f())
                .ok_or_else(|| Crash::Lost("cannot start a decision thread".into()));
        }
    };
    let mut tag = [0u8; 1];
    let lost = || Crash::Lost("the decision thread ended without an answer".into());
    if !read_exact(r.0, &mut tag) {
        return Err(lost());
    }
    match tag[0] {
        b'D' => handle.join().ok().flatten().ok_or_else(lost),
        b'S' => {
            let mut sig = [0u8; 1];
            read_exact(r.0, &mut sig);
            Err(Crash::Signal(i32::from(sig[0])))
        }
        b'P' => {
            let mut len = [0u8; 2];
            read_exact(r.0, &mut len);
            let mut msg = vec![0u8; usize::from(u16::from_le_bytes(len))];
            read_exact(r.0, &mut msg);
            Err(Crash::Panic(String::from_utf8_lossy(&msg).into_owned()))
        }
        _ => Err(lost()),
    }
}

/// Whether this is the main thread and its stack may grow to `need` bytes:
/// the kernel grows the main thread's stack on demand up to `RLIMIT_STACK`
/// (unlimited counts). A one-shot command that may decide here is spared
/// starting a thread ([`isolate`] costs more than a hook's decision without
/// the journal); a crash here is [`install`]'s one line and exit code.
pub fn main_stack_allows(need: u64) -> bool {
    // SAFETY: getpid and gettid only return ids.
    let main = unsafe { libc::getpid() == libc::gettid() };
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit fills the rlimit it is given.
    let known = unsafe { libc::getrlimit(libc::RLIMIT_STACK, &mut lim) } == 0;
    main && known && (lim.rlim_cur == libc::RLIM_INFINITY || lim.rlim_cur >= need)
}

/// A whole command under [`install`]'s guard, run [`isolate`]d: a crash is
/// `code` with one line, `cordon: internal error in WHAT: CAUSE; OUTCOME`.
pub fn guarded(
    code: u8,
    what: &str,
    outcome: &str,
    f: impl FnOnce() -> crate::exit::CmdResult + Send + 'static,
) -> crate::exit::CmdResult {
    install(code, what, outcome);
    isolate(f).unwrap_or_else(|crash| {
        Err(crate::exit::Failure::with_code(
            code,
            format!("internal error in {what}: {crash}; {outcome}"),
        )
        .hint("this is a bug in cordon; report it with the input that caused it"))
    })
}

/// Run `f` with `bytes` written to `fd` should this thread crash inside it
/// (the process then exits as [`install`] says): the refusal of whatever
/// `f` decides. The bytes must be complete, e.g. one JSON-RPC error line.
pub fn refusing<T>(fd: libc::c_int, bytes: &[u8], f: impl FnOnce() -> T) -> T {
    let before = REFUSAL.replace((fd, bytes.as_ptr(), bytes.len()));
    let out = f();
    REFUSAL.set(before);
    out
}

/// A descriptor closed on drop.
struct Fd(libc::c_int);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the descriptor is owned by this value and closed once.
        unsafe { libc::close(self.0) };
    }
}

fn read_exact(fd: libc::c_int, buf: &mut [u8]) -> bool {
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: the pointer and length describe the unread rest of `buf`.
        let n = unsafe { libc::read(fd, buf[got..].as_mut_ptr().cast(), buf.len() - got) };
        match n {
            n if n > 0 => got += n as usize,
            n if n < 0
                && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ => return false,
        }
    }
    true
}

/// Write all of `buf` (async-signal-safe: only write(2)).
fn write_all(fd: libc::c_int, buf: &[u8]) {
    write_raw(fd, buf.as_ptr(), buf.len());
}

fn write_raw(fd: libc::c_int, mut ptr: *const u8, mut len: usize) {
    while len > 0 {
        // SAFETY: `ptr`/`len` describe live bytes (a slice, or a refusal kept
        // alive by the `refusing` scope that registered it).
        let n = unsafe { libc::write(fd, ptr.cast(), len) };
        if n <= 0 {
            return; // EINTR is rare here and a partial line is still refused
        }
        // SAFETY: `n <= len`, so the pointer stays within the same buffer.
        ptr = unsafe { ptr.add(n as usize) };
        len -= n as usize;
    }
}

/// Give this thread an alternate signal stack unless it has one (Rust's
/// runtime gives the threads it starts a small one; a guarded thread gets
/// [`ALT_STACK`] bytes, leaked, as the stack must outlive any signal).
fn alt_stack() {
    // SAFETY: a zeroed stack_t is a valid out-parameter for sigaltstack.
    let mut old: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: querying the current alternate stack into `old`.
    let queried = unsafe { libc::sigaltstack(std::ptr::null(), &mut old) } == 0;
    if queried && old.ss_flags & libc::SS_DISABLE == 0 && old.ss_size >= ALT_STACK {
        return;
    }
    // Not zeroed (a stack needs no initial value; zeroing 64 KiB costs more
    // than the rest of the guard), and leaked.
    let mem: &'static mut Vec<u8> = Box::leak(Box::new(Vec::with_capacity(ALT_STACK)));
    let new = libc::stack_t {
        ss_sp: mem.as_mut_ptr().cast(),
        ss_flags: 0,
        ss_size: mem.capacity(),
    };
    // SAFETY: `new` describes leaked memory that lives as long as the process.
    unsafe { libc::sigaltstack(&new, std::ptr::null_mut()) };
}

/// Install `handler` for `sig`, run on the alternate stack.
fn handle(sig: libc::c_int, handler: extern "C" fn(libc::c_int)) {
    // SAFETY: a zeroed sigaction is valid (no flags, empty mask) before it is filled in.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = handler as libc::sighandler_t;
    sa.sa_flags = libc::SA_ONSTACK;
    // SAFETY: `sa.sa_mask` is a valid sigset_t to empty.
    unsafe { libc::sigemptyset(&mut sa.sa_mask) };
    // SAFETY: `handler` only does async-signal-safe work (see on_signal, on_deadline).
    unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) };
}

/// Write the refusal registered by [`refusing`] on this thread, if any.
fn write_refusal() {
    let (fd, ptr, len) = REFUSAL.get();
    if fd >= 0 && !ptr.is_null() {
        write_raw(fd, ptr, len);
    }
}

/// Fatal signals: refuse, then report to the isolating caller and park, or
/// write the one line and exit.
extern "C" fn on_signal(sig: libc::c_int) {
    write_refusal();
    let notify = NOTIFY.get();
    if notify >= 0 {
        if !REPORTED.get() {
            write_all(notify, &[b'S', sig as u8]);
        }
        loop {
            // SAFETY: pause(2) is async-signal-safe; the thread waits here for ever.
            unsafe { libc::pause() };
        }
    }
    let guard = GUARD.load(Ordering::SeqCst);
    // SAFETY: a guard, once stored, is leaked and never freed or changed.
    let Some(g) = (unsafe { guard.as_ref() }) else {
        // Not guarded: die of the signal as if it had not been caught.
        // SAFETY: signal(2) and raise(3) are async-signal-safe; the signal
        // is blocked in its handler and delivered, with the default action,
        // when the handler returns.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
        return;
    };
    let mut line = [0u8; 1024];
    let mut n = 0;
    for part in [
        g.head.as_bytes(),
        b"fatal signal ",
        signal_name(sig).as_bytes(),
        g.tail.as_bytes(),
    ] {
        let take = part.len().min(line.len() - n);
        line[n..n + take].copy_from_slice(&part[..take]);
        n += take;
    }
    write_all(2, &line[..n]);
    // SAFETY: _exit is async-signal-safe and ends the process without unwinding.
    unsafe { libc::_exit(g.code) };
}

extern "C" fn on_deadline(_: libc::c_int) {
    let line = DEADLINE.load(Ordering::SeqCst);
    // SAFETY: a deadline line, once stored, is leaked and never freed.
    if let Some(l) = unsafe { line.as_ref() } {
        write_all(2, l.as_bytes());
    }
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(i32::from(crate::exit::USAGE)) };
}

/// Panics: refuse, then report to the isolating caller and park, or journal,
/// write the one line and exit; without a guard, return (the previous hook
/// runs). Under a guard it never unwinds (the same in debug and release).
fn on_panic(info: &std::panic::PanicHookInfo<'_>) {
    let guard = GUARD.load(Ordering::SeqCst);
    if NOTIFY.get() < 0 && guard.is_null() {
        return;
    }
    write_refusal();
    let msg: String = info
        .to_string()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(1000)
        .collect();
    let notify = NOTIFY.get();
    if notify >= 0 {
        let mut rec = vec![b'P'];
        rec.extend_from_slice(&(msg.len() as u16).to_le_bytes());
        rec.extend_from_slice(msg.as_bytes());
        write_all(notify, &rec);
        // Return rather than wait here: a thread parked inside the panic hook
        // holds the hook's lock for ever, and anything that later takes or
        // sets the hook would wait on it. What follows is the panic strategy's:
        // unwinding ends the thread; `abort` raises SIGABRT, whose handler
        // parks the thread without reporting again.
        REPORTED.set(true);
        return;
    }
    if let Some(journal) = JOURNAL.get() {
        let (tx, rx) = std::sync::mpsc::channel();
        let m = msg.clone();
        let _ = std::thread::Builder::new().spawn(move || {
            journal(&m);
            let _ = tx.send(());
        });
        let _ = rx.recv_timeout(JOURNAL_WAIT);
    }
    // SAFETY: a guard, once stored, is leaked and never freed or changed.
    let (line, code) = match unsafe { guard.as_ref() } {
        Some(g) => (format!("{}panic: {msg}{}", g.head, g.tail), g.code),
        None => (format!("cordon: internal error: panic: {msg}\n"), 125),
    };
    write_all(2, line.as_bytes());
    // SAFETY: _exit ends the process at once: no destructor or stdout flush
    // can print anything more (or block) after the refusal.
    unsafe { libc::_exit(code) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_on_an_isolated_thread_is_reported_not_fatal() {
        let r: Result<u8, Crash> = isolate(|| panic!("boom\nsecond line"));
        match r {
            Err(Crash::Panic(m)) => {
                assert!(m.contains("boom second line"), "{m}");
                assert!(!m.contains('\n'));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(isolate(|| 7u8), Ok(7));
    }

    /// Only the main thread's stack grows up to the limit: the test
    /// harness's threads never decide in place, whatever the limit.
    #[test]
    fn only_the_main_thread_may_decide_in_place() {
        assert!(!main_stack_allows(0));
        let on_main = std::process::id() as libc::pid_t
            // SAFETY: gettid only returns this thread's id.
            == unsafe { libc::gettid() };
        assert!(!on_main, "the harness runs tests on threads of their own");
    }

    #[test]
    fn a_stack_overflow_on_an_isolated_thread_is_reported_not_fatal() {
        fn deep(n: u64, pad: &mut [u8; 4096]) -> u64 {
            pad[0] = n as u8;
            let mut next = [0u8; 4096];
            std::hint::black_box(&mut next);
            if n == 0 {
                return 0;
            }
            deep(n - 1, &mut next) + u64::from(std::hint::black_box(pad)[0])
        }
        let r = isolate(|| deep(u64::MAX, &mut [0u8; 4096]));
        assert_eq!(r, Err(Crash::Signal(libc::SIGSEGV)));
        assert!(Crash::Signal(libc::SIGSEGV).to_string().contains("SIGSEGV"));
    }

    /// Every fatal signal on a thread that is not isolated ends the process
    /// with the guard's code and its one line (in a forked child, so the test
    /// process lives on).
    #[test]
    fn a_fatal_signal_elsewhere_exits_with_the_guard_code_and_one_line() {
        for &(sig, _) in FATAL {
            let mut fds = [-1; 2];
            // SAFETY: pipe2 fills the array.
            assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
            // SAFETY: the child only installs the guard, redirects stderr and
            // raises a signal; it never returns into the test harness.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0);
            if pid == 0 {
                // SAFETY: in the child: stderr becomes the pipe's write end.
                unsafe { libc::dup2(fds[1], 2) };
                install(2, "a test child", "the event was refused");
                // SAFETY: raise(3) delivers the signal to this thread.
                unsafe { libc::raise(sig) };
                // SAFETY: not reached when the guard works.
                unsafe { libc::_exit(99) };
            }
            // SAFETY: closing the parent's copy of the write end.
            unsafe { libc::close(fds[1]) };
            let mut status = 0;
            // SAFETY: waiting for our own child.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            let mut out = vec![0u8; 4096];
            // SAFETY: reading into `out`.
            let n = unsafe { libc::read(fds[0], out.as_mut_ptr().cast(), out.len()) };
            // SAFETY: closing the read end.
            unsafe { libc::close(fds[0]) };
            let text = String::from_utf8_lossy(&out[..n.max(0) as usize]).into_owned();
            assert!(libc::WIFEXITED(status), "signal {sig}: status {status:#x}");
            assert_eq!(libc::WEXITSTATUS(status), 2, "signal {sig}: {text}");
            assert_eq!(text.lines().count(), 1, "{text}");
            assert!(
                text.starts_with("cordon: internal error in a test child: fatal signal "),
                "{text}"
            );
            assert!(text.contains("the event was refused"), "{text}");
        }
    }

    /// A crash inside a `refusing` scope writes the prepared refusal to its
    /// descriptor first, for a signal and for a panic (forked children).
    #[test]
    fn a_crash_while_deciding_writes_the_prepared_refusal() {
        for panics in [false, true] {
            let (mut out, mut err) = ([-1; 2], [-1; 2]);
            // SAFETY: pipe2 fills the arrays.
            unsafe {
                assert_eq!(libc::pipe2(out.as_mut_ptr(), libc::O_CLOEXEC), 0);
                assert_eq!(libc::pipe2(err.as_mut_ptr(), libc::O_CLOEXEC), 0);
            }
            // SAFETY: the child installs the guard and crashes; it never
            // returns into the test harness.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0);
            if pid == 0 {
                // SAFETY: in the child: stderr becomes a pipe.
                unsafe { libc::dup2(err[1], 2) };
                install(125, "a gateway", "the call was refused");
                refusing(out[1], b"{\"error\":\"refused\"}\n", || {
                    if panics {
                        panic!("inside");
                    }
                    // SAFETY: a real SIGSEGV for this thread.
                    unsafe { libc::raise(libc::SIGSEGV) };
                });
                // SAFETY: not reached when the guard works.
                unsafe { libc::_exit(99) };
            }
            let mut status = 0;
            // SAFETY: closing our write ends, waiting for our own child.
            unsafe {
                libc::close(out[1]);
                libc::close(err[1]);
                libc::waitpid(pid, &mut status, 0);
            }
            let read = |fd: libc::c_int| {
                let mut b = vec![0u8; 4096];
                // SAFETY: reading into `b`, then closing the read end.
                let n = unsafe { libc::read(fd, b.as_mut_ptr().cast(), b.len()) };
                // SAFETY: the read end is ours.
                unsafe { libc::close(fd) };
                String::from_utf8_lossy(&b[..n.max(0) as usize]).into_owned()
            };
            let (refusal, line) = (read(out[0]), read(err[0]));
            assert!(libc::WIFEXITED(status), "{status:#x}");
            assert_eq!(libc::WEXITSTATUS(status), 125, "{line}");
            assert_eq!(refusal, "{\"error\":\"refused\"}\n");
            assert_eq!(line.lines().count(), 1, "{line}");
            let cause = if panics {
                "panic: "
            } else {
                "fatal signal SIGSEGV"
            };
            assert!(line.contains(cause), "{line}");
        }
    }
}
