//! Pathname unix sockets: from inside the sandbox only the workspace's, the
//! private directories' and explicitly allowed ones are reachable, whatever
//! the path (absolute, relative, through a symlink), the call (one test per
//! row of the user-notification table) or a race on the address.
//!
//! The host's sockets live in the world's `outside` directory, which the
//! sandbox sees read-only; each is made writable by everyone, and a control
//! run of the same probe outside the sandbox (same user) reaches them, so a
//! refusal inside is cordon's, not the file's permissions.
mod sandbox_support;
use sandbox_support::*;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A stream listener and a datagram socket of the "host" (outside the
/// workspace), reachable by every uid.
struct HostSockets {
    stream: UnixListener,
    dgram: UnixDatagram,
    stream_path: PathBuf,
    dgram_path: PathBuf,
}

impl HostSockets {
    fn new(w: &World) -> HostSockets {
        let stream_path = w.outside.join("agent.sock");
        let dgram_path = w.outside.join("agent.dgram");
        let stream = UnixListener::bind(&stream_path).unwrap();
        let dgram = UnixDatagram::bind(&dgram_path).unwrap();
        for p in [&stream_path, &dgram_path] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        stream.set_nonblocking(true).unwrap();
        dgram.set_nonblocking(true).unwrap();
        HostSockets {
            stream,
            dgram,
            stream_path,
            dgram_path,
        }
    }

    /// How many connections and datagrams arrived (and drain them).
    fn reached(&self) -> usize {
        let mut n = 0;
        while self.stream.accept().is_ok() {
            n += 1;
        }
        let mut buf = [0u8; 64];
        while self.dgram.recv(&mut buf).is_ok() {
            n += 1;
        }
        n
    }
}

/// Python helpers: each call at the system-call level, printing `NAME errno`.
const PRELUDE: &str = r#"
import ctypes, os, socket, sys, threading, errno as E
libc = ctypes.CDLL(None, use_errno=True)
def sun(path):
    b = path.encode()
    a = ctypes.create_string_buffer(110)
    a[0:2] = socket.AF_UNIX.to_bytes(2, 'little')
    a[2:2 + len(b)] = b
    return a, 2 + len(b) + 1
def res(f):
    try:
        f(); return 0
    except OSError as e:
        return e.errno
def do_connect(p):
    s = socket.socket(socket.AF_UNIX); r = res(lambda: s.connect(p)); s.close(); return r
def do_sendto(p):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); r = res(lambda: s.sendto(b'x', p)); s.close(); return r
def do_sendmsg(p):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); r = res(lambda: s.sendmsg([b'x'], [], 0, p)); s.close(); return r
class iovec(ctypes.Structure):
    _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]
class msghdr(ctypes.Structure):
    _fields_ = [('name', ctypes.c_void_p), ('namelen', ctypes.c_uint32), ('iov', ctypes.POINTER(iovec)),
                ('iovlen', ctypes.c_size_t), ('control', ctypes.c_void_p), ('controllen', ctypes.c_size_t), ('flags', ctypes.c_int)]
class mmsghdr(ctypes.Structure):
    _fields_ = [('hdr', msghdr), ('len', ctypes.c_uint32)]
def do_sendmmsg(p):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    a, n = sun(p)
    data = ctypes.create_string_buffer(b'x')
    iov = iovec(ctypes.cast(data, ctypes.c_void_p), 1)
    m = (mmsghdr * 1)()
    m[0].hdr.name = ctypes.cast(a, ctypes.c_void_p); m[0].hdr.namelen = n
    m[0].hdr.iov = ctypes.pointer(iov); m[0].hdr.iovlen = 1
    ctypes.set_errno(0)
    r = libc.sendmmsg(s.fileno(), m, 1, 0)
    e = ctypes.get_errno()
    s.close()
    return 0 if r == 1 and m[0].len == 1 else (e or -1)
CALLS = {'SYS_connect': do_connect, 'SYS_sendto': do_sendto, 'SYS_sendmsg': do_sendmsg, 'SYS_sendmmsg': do_sendmmsg}
def serve_here(name):
    # A stream listener and a datagram socket at NAME(.dgram) in the cwd.
    for p in (name, name + '.dgram'):
        if os.path.lexists(p): os.unlink(p)
    l = socket.socket(socket.AF_UNIX); l.bind(name); l.listen(64)
    d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); d.bind(name + '.dgram')
    return l, d
"#;

/// Which path each call reaches: the stream socket for connect, the
/// datagram socket for the sends.
fn target(call: &str, stream: &Path, dgram: &Path) -> String {
    let p = if call == "SYS_connect" { stream } else { dgram };
    p.display().to_string()
}

fn run_inside(w: &World, extra: &[&str], script: &str) -> std::process::Output {
    w.py(extra, &format!("{PRELUDE}\n{script}"))
}

/// Control: the probe outside any sandbox, as the same user, reaches the host.
fn control(w: &World, script: &str) -> String {
    let mut c = Command::new("/usr/bin/python3");
    c.arg("-c")
        .arg(format!("{PRELUDE}\n{script}"))
        .current_dir(&w.ws);
    if w.who == As::Nobody {
        use std::os::unix::process::CommandExt;
        c.uid(NOBODY).gid(NOBODY);
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "control: {}", err(&o));
    out(&o)
}

#[test]
fn every_notify_entry_refuses_host_sockets_and_serves_the_workspace() {
    for who in BOTH {
        let w = World::new(who);
        let host = HostSockets::new(&w);
        let mut script = String::from("l, d = serve_here('ws.sock')\n");
        for e in cordon_sandbox::seccomp::notify_table() {
            let h = target(e.name, &host.stream_path, &host.dgram_path);
            let mine = target(e.name, Path::new("ws.sock"), Path::new("ws.sock.dgram"));
            script.push_str(&format!(
                "print('{n} host', CALLS['{n}']({h:?}))\nprint('{n} ws', CALLS['{n}']({mine:?}))\n",
                n = e.name
            ));
        }
        let o = run_inside(&w, &[], &script);
        let stdout = ok(&o);
        for e in cordon_sandbox::seccomp::notify_table() {
            assert!(
                stdout.contains(&format!("{} host 13\n", e.name)),
                "{who:?}: {} ({}) to a host socket is not refused with EACCES:\n{stdout}",
                e.name,
                e.why
            );
            assert!(
                stdout.contains(&format!("{} ws 0\n", e.name)),
                "{who:?}: {} to a workspace socket fails:\n{stdout}",
                e.name
            );
        }
        assert_eq!(host.reached(), 0, "{who:?}: the host socket was reached");
        // The summary names the path and the flag that allows it.
        let stderr = err(&o);
        assert!(
            stderr.contains(&format!(
                "--allow-unix-socket {}",
                host.stream_path.display()
            )) && stderr.contains(&format!(
                "--allow-unix-socket {}",
                host.dgram_path.display()
            )),
            "{stderr}"
        );
        // Control: the same calls outside the sandbox reach the host.
        let mut ctl = String::new();
        for e in cordon_sandbox::seccomp::notify_table() {
            let h = target(e.name, &host.stream_path, &host.dgram_path);
            ctl.push_str(&format!("print('{n}', CALLS['{n}']({h:?}))\n", n = e.name));
        }
        let c = control(&w, &ctl);
        for e in cordon_sandbox::seccomp::notify_table() {
            assert!(c.contains(&format!("{} 0\n", e.name)), "control: {c}");
        }
        assert!(host.reached() >= 4, "control reached the host");
    }
}

#[test]
fn relative_paths_and_symlinks_do_not_reach_host_sockets() {
    for who in BOTH {
        let w = World::new(who);
        let host = HostSockets::new(&w);
        let script = format!(
            r#"
os.symlink({s:?}, 'link.sock'); os.symlink({d:?}, 'link.dgram')
os.symlink({out:?}, 'outdir')
print('symlink', do_connect('link.sock'), do_sendto('link.dgram'), do_sendmsg('link.dgram'), do_sendmmsg('link.dgram'))
print('through-dir', do_connect('outdir/agent.sock'), do_sendto('outdir/agent.dgram'))
print('dotdot', do_connect('../../outside/agent.sock'))
os.chdir({out:?})
print('relative', do_connect('agent.sock'), do_sendto('agent.dgram'), do_sendmsg('agent.dgram'), do_sendmmsg('agent.dgram'))
print('proc-root', do_connect('/proc/self/root' + {s:?}))
"#,
            s = host.stream_path.display().to_string(),
            d = host.dgram_path.display().to_string(),
            out = w.outside.display().to_string(),
        );
        let o = run_inside(&w, &[], &script);
        let stdout = ok(&o);
        for want in [
            "symlink 13 13 13 13",
            "through-dir 13 13",
            "dotdot 13",
            "relative 13 13 13 13",
        ] {
            assert!(stdout.contains(want), "{who:?}: want {want}:\n{stdout}");
        }
        // Paths through /proc/self are not followed by the supervisor (its
        // own pid is not in the sandbox's /proc; magic links are refused):
        // ENOENT, ELOOP or EACCES, never the host.
        assert!(
            ["proc-root 2\n", "proc-root 40\n", "proc-root 13\n"]
                .iter()
                .any(|w| stdout.contains(w)),
            "{stdout}"
        );
        assert_eq!(host.reached(), 0, "{who:?}: the host socket was reached");
    }
}

#[test]
fn an_address_or_symlink_swapped_during_the_call_never_reaches_the_host() {
    for who in BOTH {
        race(who);
    }
}

fn race(who: As) {
    let w = World::new(who);
    let host = HostSockets::new(&w);
    // One thread calls connect/sendto on a buffer (or a symlink) that a
    // second thread flips between the workspace's socket and the host's.
    let script = format!(
        r#"
sys.setswitchinterval(0.0001)
l, d = serve_here('ws.sock')
l.setblocking(False)
n = dn = 110
good, _ = sun('ws.sock'); bad, _ = sun({s:?})
dgood, _ = sun('ws.sock.dgram'); dbad, _ = sun({dg:?})
shared = ctypes.create_string_buffer(110); dshared = ctypes.create_string_buffer(110)
stop = False
def flip():
    while not stop:
        ctypes.memmove(shared, bad, 110); ctypes.memmove(dshared, dbad, 110)
        ctypes.memmove(shared, good, 110); ctypes.memmove(dshared, dgood, 110)
def flip_link():
    while not stop:
        for t in ({s:?}, 'ws.sock'):
            try: os.symlink(t, 'tmp.link'); os.replace('tmp.link', 'race.sock')
            except OSError: pass
ts = [threading.Thread(target=flip), threading.Thread(target=flip_link)]
for t in ts: t.start()
ok = {{'connect': 0, 'sendto': 0, 'link': 0}}
for i in range(1000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    if libc.connect(s.fileno(), shared, n) == 0: ok['connect'] += 1
    s.close()
    u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK)
    if libc.sendto(u.fileno(), b'x', 1, 0, dshared, dn) == 1: ok['sendto'] += 1
    u.close()
    if do_connect('race.sock') == 0: ok['link'] += 1
    try:
        while True: l.accept()[0].close()
    except OSError: pass
    try:
        while True: d.recv(10, socket.MSG_DONTWAIT)
    except OSError: pass
stop = True
for t in ts: t.join()
print('RACE', ok['connect'], ok['sendto'], ok['link'])
"#,
        s = host.stream_path.display().to_string(),
        dg = host.dgram_path.display().to_string(),
    );
    let o = run_inside(&w, &[], &script);
    let stdout = ok(&o);
    let counts: Vec<u64> = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RACE "))
        .unwrap_or_else(|| panic!("{stdout}"))
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    // The race ran: some calls reached the workspace's socket...
    assert!(
        counts.iter().all(|c| *c > 0),
        "{who:?}: no call succeeded: {counts:?}"
    );
    // ... and none the host's.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        host.reached(),
        0,
        "{who:?}: the host socket was reached: {stdout}"
    );
}

#[test]
fn a_refusal_is_journaled_with_the_path() {
    let w = World::new(As::Root);
    let host = HostSockets::new(&w);
    let s = host.stream_path.display().to_string();
    let o = w
        .cordon()
        .args(["run", "-v", "--", "/usr/bin/python3", "-c"])
        .arg(format!("{PRELUDE}\nprint('R', do_connect({s:?}))"))
        .output()
        .unwrap();
    assert!(ok(&o).contains("R 13"), "{}", out(&o));
    let listed = w.journal_of(&o);
    assert!(
        listed.contains("sandbox.unix_refused") && listed.contains(&s),
        "{listed}"
    );
    assert_eq!(host.reached(), 0);
}

#[test]
fn explicitly_allowed_sockets_are_reachable() {
    for who in BOTH {
        let w = World::new(who);
        let host = HostSockets::new(&w);
        let s = host.stream_path.display().to_string();
        let d = host.dgram_path.display().to_string();
        let o = run_inside(
            &w,
            &["--allow-unix-socket", &s, "--allow-unix-socket", &d],
            &format!("print('ALLOWED', do_connect({s:?}), do_sendto({d:?}), do_sendmsg({d:?}))"),
        );
        assert!(ok(&o).contains("ALLOWED 0 0 0"), "{who:?}: {}", out(&o));
        assert_eq!(host.reached(), 3, "{who:?}");
        assert!(!err(&o).contains("refused"), "{}", err(&o));
        // The same from the user's config file (`[sandbox] allow_unix_socket`).
        let cfg = w.home.join(".config/cordon/config.toml");
        std::fs::write(&cfg, format!("[sandbox]\nallow_unix_socket = [{s:?}]\n")).unwrap();
        let o = run_inside(
            &w,
            &[],
            &format!("print('CONFIGURED', do_connect({s:?}), do_sendto({d:?}))"),
        );
        std::fs::write(&cfg, "").unwrap();
        assert!(ok(&o).contains("CONFIGURED 0 13"), "{who:?}: {}", out(&o));
        assert_eq!(host.reached(), 1, "{who:?}: the configured socket only");
    }
}

#[test]
fn an_allowed_socket_under_a_private_directory_is_bound_in() {
    // Where host daemons keep their sockets (/run, /tmp) the sandbox has its
    // own empty tmpfs: an allowed socket there is bound in at its own path.
    for who in BOTH {
        let dir = PathBuf::from(format!("/run/cordon-test-{}-{who:?}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join("daemon.sock");
        let _ = std::fs::remove_file(&path);
        let l = UnixListener::bind(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
        l.set_nonblocking(true).unwrap();
        let other = dir.join("other.sock");
        let _o = UnixListener::bind(&other).unwrap();
        let w = World::new(who);
        let p = path.display().to_string();
        let o = run_inside(
            &w,
            &["--allow-unix-socket", &p],
            &format!(
                "print('BOUND', do_connect({p:?}), os.path.exists({:?}))",
                other.display().to_string()
            ),
        );
        let stdout = ok(&o);
        std::thread::sleep(Duration::from_millis(20));
        let reached = l.accept().is_ok();
        let _ = std::fs::remove_dir_all(&dir);
        // Only the allowed socket is there; the rest of the host's /run is not.
        assert!(stdout.contains("BOUND 0 False"), "{who:?}: {stdout}");
        assert!(reached, "{who:?}: the allowed daemon saw no connection");
    }
}

#[test]
fn sockets_inside_work_as_before() {
    for who in BOTH {
        let w = World::new(who);
        // Stream and datagram servers in the workspace and in /tmp, a
        // socketpair passing a descriptor, an abstract socket, loopback TCP.
        // Non-dumpable (as ssh-agent and the like make themselves): the
        // supervisor may still take its sockets.
        let script = r#"
import array
libc.prctl(4, 0, 0, 0, 0)
out = []
home = os.getcwd()
for where in (home, '/tmp', '/dev/shm'):
    os.chdir(where)
    l, d = serve_here('srv.sock')
    c = socket.socket(socket.AF_UNIX); c.connect('srv.sock'); a = l.accept()[0]
    c.sendall(b'hello'); out.append(a.recv(5))
    e = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); e.sendto(b'dgram', 'srv.sock.dgram'); out.append(d.recv(5))
    e.sendmsg([b'm', b'sg'], [], 0, os.path.abspath('srv.sock.dgram')); out.append(d.recv(5))
p, q = socket.socketpair()
r, wr = os.pipe()
p.sendmsg([b'f'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [wr]))])
msg, anc, _, _ = q.recvmsg(1, socket.CMSG_LEN(4))
fds = array.array('i'); fds.frombytes(anc[0][2]); os.write(fds[0], b'passed'); out.append(os.read(r, 6))
al = socket.socket(socket.AF_UNIX); al.bind('\0cordon-test-abstract'); al.listen()
ac = socket.socket(socket.AF_UNIX); ac.connect('\0cordon-test-abstract'); out.append(b'abstract')
t = socket.socket(); t.bind(('127.0.0.1', 0)); t.listen()
tc = socket.create_connection(t.getsockname()); tc.sendall(b'tcp'); out.append(t.accept()[0].recv(3))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'udp', u.getsockname()); out.append(u.recv(3))
# 3 MiB through sendmsg with two iovecs (copied by the supervisor, at most
# 1 MiB per call: partial counts, resumed), read back intact by a thread.
big = os.urandom(3 << 20)
got = []
x, y = socket.socketpair()
def reader():
    n = 0
    while n < len(big):
        b = y.recv(1 << 16); got.append(b); n += len(b)
t = threading.Thread(target=reader); t.start()
sent = 0
while sent < len(big):
    rest = memoryview(big)[sent:]
    sent += x.sendmsg([rest[:len(rest) // 2], rest[len(rest) // 2:]])
t.join()
out.append(b'big' if b''.join(got) == big else b'BIG-CORRUPT')
print(b' '.join(out).decode())
"#;
        let o = run_inside(&w, &[], script);
        assert_eq!(
            ok(&o).trim(),
            "hello dgram msg hello dgram msg hello dgram msg passed abstract tcp udp big",
            "{who:?}"
        );
        assert!(!err(&o).contains("refused"), "{}", err(&o));
    }
}

#[test]
fn normal_work_still_runs() {
    let w = World::new(As::Root);
    let o = w.run(
        &[],
        "set -e
git init -q . && git -c user.email=a@b -c user.name=a commit -q --allow-empty -m one && git log --oneline | wc -l
python3 -c 'import http.server, threading, urllib.request
s = http.server.HTTPServer((\"127.0.0.1\", 0), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=s.serve_forever, daemon=True).start()
print(urllib.request.urlopen(\"http://127.0.0.1:%d/\" % s.server_port).status)'
if command -v node >/dev/null; then node -e 'require(\"net\").createServer(c => c.end(\"node-ok\")).listen(\"n.sock\", function () { require(\"net\").connect(\"n.sock\").on(\"data\", d => { console.log(String(d)); process.exit(0) }) })'; else echo node-ok; fi
if command -v npm >/dev/null; then npm --version >/dev/null && echo npm-ok; else echo npm-ok; fi",
    );
    let stdout = ok(&o);
    for want in ["1\n", "200\n", "node-ok\n", "npm-ok\n"] {
        assert!(stdout.contains(want), "want {want:?}: {stdout}");
    }
}

#[test]
fn a_nested_listener_cannot_take_the_notifications() {
    // seccomp(SET_MODE_FILTER, NEW_LISTENER) is refused inside: a listener of
    // the sandbox's own would get the connect notifications first.
    let w = World::new(As::Root);
    let o = run_inside(
        &w,
        &[],
        "libc.syscall.restype = ctypes.c_long\nctypes.set_errno(0)\nr = libc.syscall(317, 1, 8, None)\nprint('NL', r, ctypes.get_errno())",
    );
    assert!(ok(&o).contains("NL -1 1"), "{}", out(&o));
}
