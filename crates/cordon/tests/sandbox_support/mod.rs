//! Shared helpers for the sandbox integration tests: a fake home with planted
//! secrets, a workspace, and `cordon run` as root or as an unprivileged uid.
#![allow(dead_code)]
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const PATH: &str = "/usr/local/bin:/usr/bin:/bin";
pub const NOBODY: u32 = 65534;
pub const SECRET: &str = "SECRET-CANARY-7f3a";

/// Can every user reach `p` (search permission on every ancestor)?
fn reachable_by_all(p: &Path) -> bool {
    p.ancestors().skip(1).all(|a| {
        std::fs::metadata(a)
            .map(|m| m.permissions().mode() & 0o001 != 0)
            .unwrap_or(false)
    })
}

/// Is `p` under a directory the sandbox replaces with a private tmpfs (so the
/// path would not exist inside)?
fn private_inside(p: &Path) -> bool {
    ["/tmp", "/var/tmp", "/run", "/dev/shm"]
        .iter()
        .any(|d| p.starts_with(d))
}

/// Where test worlds live: the target's tmp dir if an unprivileged uid can reach
/// it and it is not under /tmp, else a directory on the host filesystem that
/// it can (a checkout under a 0700 home, as root, would otherwise lock the
/// unprivileged tests out; one under /tmp would be invisible inside, since the
/// sandbox's /tmp is private and the tests need host paths outside it).
pub fn test_base() -> PathBuf {
    let t = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&t).unwrap();
    if reachable_by_all(&t.join("x")) && !private_inside(&t) {
        return t;
    }
    let b = PathBuf::from("/var/lib/cordon-tests");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::set_permissions(&b, std::fs::Permissions::from_mode(0o755)).unwrap();
    b
}

/// The cordon binary, copied somewhere every uid can execute (and that the
/// sandbox shows) if need be. Use it for cordon run *inside* a sandbox.
pub fn cordon_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let b = PathBuf::from(env!("CARGO_BIN_EXE_cordon"));
        if reachable_by_all(&b) && !private_inside(&b) {
            return b;
        }
        // One copy per build of the binary, shared by every test process.
        let m = std::fs::metadata(&b).unwrap();
        let stamp = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = test_base().join("bin");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let copy = dir.join(format!("cordon-{}-{stamp}", m.len()));
        if !copy.exists() {
            let tmp = dir.join(format!(".cordon-{}", std::process::id()));
            std::fs::copy(&b, &tmp).unwrap();
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
            // A link never replaces a copy another test process may be
            // running already (a rename would, leaving it "(deleted)").
            match std::fs::hard_link(&tmp, &copy) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => panic!("{}: {e}", copy.display()),
            }
            let _ = std::fs::remove_file(&tmp);
        }
        copy
    })
    .clone()
}

/// Who runs cordon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum As {
    Root,
    Nobody,
}

/// A test world: a fake home (with secrets), a workspace inside it, and an
/// "outside" directory on the host filesystem.
pub struct World {
    pub root: tempfile::TempDir,
    pub home: PathBuf,
    pub ws: PathBuf,
    pub outside: PathBuf,
    pub who: As,
}

fn chown_r(p: &Path, uid: u32) {
    let _ = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{uid}"))
        .arg(p)
        .status();
}

impl World {
    pub fn new(who: As) -> World {
        let base = test_base();
        let root = tempfile::Builder::new()
            .prefix("sbx-")
            .tempdir_in(&base)
            .unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let home = root.path().join("home");
        let ws = home.join("project");
        let outside = root.path().join("outside");
        for d in [&home, &ws, &outside] {
            std::fs::create_dir_all(d).unwrap();
        }
        // Planted secrets.
        for (rel, content) in [
            (".ssh/id_rsa", SECRET),
            (".aws/credentials", SECRET),
            (".netrc", SECRET),
            (".git-credentials", SECRET),
            (".cargo/credentials.toml", SECRET),
            (".config/gh/hosts.yml", SECRET),
            (".docker/config.json", SECRET),
            (".kube/config", SECRET),
            (".bash_history", SECRET),
            (".config/cordon/config.toml", ""),
        ] {
            let p = home.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, content).unwrap();
        }
        std::fs::write(home.join(".bashrc"), "# rc\n").unwrap();
        std::fs::write(outside.join("host-file"), "host\n").unwrap();
        if who == As::Nobody {
            chown_r(root.path(), NOBODY);
        }
        World {
            root,
            home,
            ws,
            outside,
            who,
        }
    }

    /// `cordon` with a clean environment: HOME = the fake home, cwd = workspace.
    pub fn cordon(&self) -> Command {
        let mut c = Command::new(cordon_bin());
        c.env_clear()
            .env("PATH", PATH)
            .env("HOME", &self.home)
            .env("CORDON_DATA_DIR", self.home.join(".local/share/cordon"))
            .env("LANG", "C.UTF-8")
            .current_dir(&self.ws)
            .stdin(Stdio::null());
        if self.who == As::Nobody {
            c.uid(NOBODY).gid(NOBODY);
        }
        c
    }

    /// `cordon run [extra] -- bash -c script`.
    pub fn run(&self, extra: &[&str], script: &str) -> Output {
        let mut c = self.cordon();
        c.arg("run")
            .args(extra)
            .arg("--")
            .arg("bash")
            .arg("-c")
            .arg(script);
        c.output().expect("spawn cordon")
    }

    /// Run a Python program inside the sandbox.
    pub fn py(&self, extra: &[&str], program: &str) -> Output {
        let mut c = self.cordon();
        c.arg("run")
            .args(extra)
            .arg("--")
            .arg("/usr/bin/python3")
            .arg("-c")
            .arg(program);
        c.output().expect("spawn cordon")
    }
}

impl World {
    /// The journal records of the session a `cordon run -v` reported, as
    /// `cordon audit list --json` prints them.
    pub fn journal_of(&self, run: &Output) -> String {
        let session = err(run)
            .lines()
            .find_map(|l| l.strip_prefix("cordon: session "))
            .expect("cordon run -v names its session")
            .to_string();
        let l = self
            .cordon()
            .args(["audit", "list", "--session", &session, "--json"])
            .output()
            .unwrap();
        ok(&l)
    }
}

pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Assert success and return stdout.
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "cordon failed: {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        out(o),
        err(o)
    );
    out(o)
}

/// Both ways cordon is run in CI.
pub const BOTH: [As; 2] = [As::Root, As::Nobody];

/// Drive cordon through a real terminal with Python's pty module: `input` is
/// typed once the output shows READY; the output, as text.
pub fn through_pty(w: &World, argv: &[&str], input: &[u8]) -> String {
    String::from_utf8_lossy(&through_pty_bytes(w, argv, b"", input)).into_owned()
}

/// As [`through_pty`], with `early` written to the terminal right after the
/// start (while cordon is still starting); the output as bytes.
pub fn through_pty_bytes(w: &World, argv: &[&str], early: &[u8], input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let driver = r#"
import os, pty, sys, time, select, struct, fcntl, termios
argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
early, data = sys.stdin.buffer.read().split(b"\0EARLY\0", 1)
if early:
    os.write(fd, early)
out = b""
deadline = time.time() + 20
sent = False
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent and b"READY" in out:
        os.write(fd, data); sent = True
os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
"#;
    let mut c = Command::new("/usr/bin/python3");
    c.arg("-c").arg(driver);
    if argv.first() == Some(&"sh") {
        c.arg("/bin/sh").args(&argv[1..]);
    } else {
        c.arg(env!("CARGO_BIN_EXE_cordon")).args(argv);
    }
    c.env_clear()
        .env("PATH", PATH)
        .env("HOME", &w.home)
        .env("TERM", "xterm")
        .current_dir(&w.ws)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(early).unwrap();
    stdin.write_all(b"\0EARLY\0").unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap().stdout
}
