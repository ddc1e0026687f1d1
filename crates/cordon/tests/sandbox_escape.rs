//! Escape attempts against `cordon run`, as root and as an unprivileged uid.
//!
//! Every attempt is harmless if it succeeds: files are opened for writing and
//! closed, or the value just read is written back; nothing is deleted and no
//! kernel setting changes value.
mod sandbox_support;
use sandbox_support::*;

#[test]
fn host_tree_is_read_only_and_workspace_is_writable() {
    for who in BOTH {
        let w = World::new(who);
        let script = format!(
            r#"
            echo data > inside.txt && echo WS-OK
            : >> /etc/hostname 2>/dev/null && echo ETC-WRITABLE
            : >> {outside}/host-file 2>/dev/null && echo OUTSIDE-WRITABLE
            touch {outside}/new 2>/dev/null && echo OUTSIDE-CREATE
            touch $HOME/.bashrc-new 2>/dev/null
            echo appended >> $HOME/.bashrc 2>/dev/null
            cd {ws}/../.. && touch escaped 2>/dev/null && echo DOTDOT-ESCAPE
            echo done
            "#,
            outside = w.outside.display(),
            ws = w.ws.display()
        );
        let o = ok(&w.run(&[], &script));
        assert!(o.contains("WS-OK"), "{who:?}: {o}");
        assert!(o.contains("done"), "{who:?}: {o}");
        for bad in [
            "ETC-WRITABLE",
            "OUTSIDE-WRITABLE",
            "OUTSIDE-CREATE",
            "DOTDOT-ESCAPE",
        ] {
            assert!(!o.contains(bad), "{who:?}: {bad}: {o}");
        }
        assert_eq!(
            std::fs::read_to_string(w.ws.join("inside.txt")).unwrap(),
            "data\n"
        );
        assert!(!w.outside.join("new").exists());
        // $HOME is an overlay: writes there stay in cordon's home (sandbox_home.rs).
        assert!(!w.home.join(".bashrc-new").exists(), "{who:?}");
        assert_eq!(
            std::fs::read_to_string(w.home.join(".bashrc")).unwrap(),
            "# rc\n",
            "{who:?}"
        );
    }
}

#[test]
fn tmp_is_private() {
    for who in BOTH {
        let w = World::new(who);
        let marker = format!("cordon-test-{}-{:?}", std::process::id(), who);
        std::fs::write(format!("/tmp/{marker}-host"), "x").unwrap();
        let o = ok(&w.run(
            &[],
            &format!("echo y > /tmp/{marker}-inside && echo TMP-WRITE; ls /tmp/{marker}-host 2>/dev/null && echo HOST-TMP-VISIBLE; true"),
        ));
        assert!(o.contains("TMP-WRITE"), "{o}");
        assert!(!o.contains("HOST-TMP-VISIBLE"), "{o}");
        assert!(!std::path::Path::new(&format!("/tmp/{marker}-inside")).exists());
        let _ = std::fs::remove_file(format!("/tmp/{marker}-host"));
    }
}

#[test]
fn allow_write_adds_a_writable_path() {
    for who in BOTH {
        let w = World::new(who);
        let o = ok(&w.run(
            &["--allow-write", w.outside.to_str().unwrap()],
            &format!("echo z > {}/made && echo MADE", w.outside.display()),
        ));
        assert!(o.contains("MADE"), "{o}");
        assert!(w.outside.join("made").exists());
    }
}

#[test]
fn secrets_are_hidden() {
    for who in BOTH {
        let w = World::new(who);
        let script = r#"
            for f in .ssh/id_rsa .aws/credentials .netrc .git-credentials .cargo/credentials.toml \
                     .config/gh/hosts.yml .docker/config.json .kube/config .bash_history .config/cordon/config.toml; do
              cat "$HOME/$f" 2>/dev/null
            done
            ls -a $HOME/.ssh 2>/dev/null && echo SSH-LISTED
            ls -a $HOME/.aws 2>/dev/null && echo AWS-LISTED
            ln -s $HOME/.ssh/id_rsa link 2>/dev/null; cat link 2>/dev/null
            cp -r $HOME/.ssh copy 2>/dev/null; cat copy/id_rsa 2>/dev/null
            echo done
        "#;
        let o = ok(&w.run(&[], script));
        assert!(o.contains("done"), "{o}");
        assert!(!o.contains(SECRET), "{who:?}: a secret leaked: {o}");
        assert!(
            !o.contains("SSH-LISTED") && !o.contains("AWS-LISTED"),
            "{o}"
        );
    }
}

#[test]
fn deny_read_hides_and_allow_read_unhides() {
    for who in BOTH {
        let w = World::new(who);
        let o = ok(&w.run(
            &[
                "--deny-read",
                w.outside.to_str().unwrap(),
                "--allow-read",
                w.home.join(".aws").to_str().unwrap(),
            ],
            &format!(
                "cat {}/host-file 2>/dev/null; cat $HOME/.aws/credentials; echo",
                w.outside.display()
            ),
        ));
        assert!(!o.contains("host"), "deny-read path was readable: {o}");
        assert!(o.contains(SECRET), "allow-read did not unhide: {o}");
    }
}

#[test]
fn persistence_points_stay_read_only_and_git_works() {
    for who in BOTH {
        let w = World::new(who);
        let git = |args: &[&str]| {
            let mut c = std::process::Command::new("git");
            c.args(args).current_dir(&w.ws).env("HOME", &w.home);
            if who == As::Nobody {
                std::os::unix::process::CommandExt::uid(&mut c, NOBODY);
                std::os::unix::process::CommandExt::gid(&mut c, NOBODY);
            }
            assert!(c.status().unwrap().success(), "git {args:?}");
        };
        git(&["init", "-q"]);
        git(&["config", "user.email", "t@example.com"]);
        git(&["config", "user.name", "T"]);
        // An agent config that exists before the run stays read-only throughout.
        std::fs::create_dir_all(w.ws.join(".claude")).unwrap();
        std::fs::write(w.ws.join(".claude/settings.json"), "{}").unwrap();
        if who == As::Nobody {
            let _ = std::process::Command::new("chown")
                .args(["-R", "65534:65534"])
                .arg(w.ws.join(".claude"))
                .status();
        }
        let script = r#"
            echo 'echo pwned' > .git/hooks/post-checkout 2>/dev/null && echo HOOK-WRITTEN
            printf '[core]\n\tfsmonitor = evil\n' >> .git/config 2>/dev/null && echo CONFIG-WRITTEN
            mkdir -p .vscode 2>/dev/null; echo '{}' > .vscode/tasks.json 2>/dev/null && echo VSCODE-WRITTEN
            echo '{"hooks":{}}' > .claude/settings.json 2>/dev/null && echo CLAUDE-WRITTEN
            echo '{}' > .claude/new.json 2>/dev/null && echo CLAUDE-CREATED
            echo 'export X=1' > .envrc
            echo hello > a.txt
            git add a.txt && git commit -qm first && echo COMMITTED
            git checkout -qb feature && git stash list >/dev/null && echo BRANCHED
            git log --oneline | wc -l
        "#;
        let o = ok(&w.run(&[], script));
        assert!(
            o.contains("COMMITTED") && o.contains("BRANCHED"),
            "{who:?}: {o}\n"
        );
        for bad in [
            "HOOK-WRITTEN",
            "CONFIG-WRITTEN",
            "CLAUDE-WRITTEN",
            "CLAUDE-CREATED",
        ] {
            assert!(!o.contains(bad), "{who:?}: {bad}: {o}");
        }
        assert!(!w.ws.join(".git/hooks/post-checkout").exists());
        assert_eq!(
            std::fs::read_to_string(w.ws.join(".claude/settings.json")).unwrap(),
            "{}"
        );
        // Persistence points the command created are moved out of the
        // workspace after the run (crates/cordon/tests/sandbox_quarantine.rs).
        assert!(!w.ws.join(".envrc").exists());
        assert!(
            o.contains("VSCODE-WRITTEN"),
            "absent dirs are watched, not pre-created: {o}"
        );
        assert!(!w.ws.join(".vscode").exists());
    }
}

#[test]
fn symlinks_and_hardlinks_cannot_leave_the_plan() {
    for who in BOTH {
        let w = World::new(who);
        // A symlink planted in the repository before the run, pointing outside.
        std::os::unix::fs::symlink(w.outside.join("host-file"), w.ws.join("planted")).unwrap();
        let script = format!(
            r#"
            : >> planted 2>/dev/null && echo SYMLINK-WRITE
            ln {outside}/host-file hard 2>/dev/null && echo HARDLINK
            ln -s /etc newlink && : >> newlink/hostname 2>/dev/null && echo SYMLINK-ETC
            mv {outside}/host-file stolen 2>/dev/null && echo RENAMED
            echo done
            "#,
            outside = w.outside.display()
        );
        let o = ok(&w.run(&[], &script));
        assert!(o.contains("done"), "{o}");
        for bad in ["SYMLINK-WRITE", "HARDLINK", "SYMLINK-ETC", "RENAMED"] {
            assert!(!o.contains(bad), "{who:?}: {bad}: {o}");
        }
        assert_eq!(
            std::fs::read_to_string(w.outside.join("host-file")).unwrap(),
            "host\n"
        );
    }
}

#[test]
fn inherited_descriptors_are_closed() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let w = World::new(As::Root);
    let f = std::fs::File::open(w.home.join(".ssh/id_rsa")).unwrap();
    let raw = f.as_raw_fd();
    let mut c = w.cordon();
    c.args([
        "run",
        "--",
        "bash",
        "-c",
        "ls /proc/self/fd; cat <&7 2>/dev/null; cat /proc/self/fd/7 2>/dev/null; echo done",
    ]);
    // SAFETY: dup2 in the child before exec, leaving fd 7 inheritable.
    unsafe {
        c.pre_exec(move || {
            if libc::dup2(raw, 7) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = ok(&c.output().unwrap());
    assert!(
        !o.contains(SECRET),
        "inherited descriptor leaked the secret: {o}"
    );
    let fds: Vec<&str> = o
        .lines()
        .take_while(|l| *l != "done")
        .filter(|l| l.parse::<u32>().is_ok())
        .collect();
    // 0, 1, 2 and the one ls opened to list the directory.
    assert!(fds.len() <= 4, "{fds:?}");
    assert!(!fds.contains(&"7"), "{fds:?}");
}

#[test]
fn processes_capabilities_and_seccomp_state() {
    for who in BOTH {
        let w = World::new(who);
        let o = ok(&w.run(
            &[],
            "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status; echo PID=$$; ps -e --no-headers | wc -l; hostname",
        ));
        for cap in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
            let line = o
                .lines()
                .find(|l| l.starts_with(cap))
                .unwrap_or_else(|| panic!("{o}"));
            assert!(line.ends_with("0000000000000000"), "{who:?}: {line}");
        }
        assert!(o.contains("NoNewPrivs:\t1"), "{o}");
        assert!(o.contains("Seccomp:\t2"), "{o}");
        let pid: u32 = o
            .lines()
            .find_map(|l| l.strip_prefix("PID="))
            .unwrap()
            .parse()
            .unwrap();
        assert!(pid > 1, "the command must not be pid 1");
        let nprocs: u32 = o
            .lines()
            .find(|l| l.trim().parse::<u32>().is_ok())
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(nprocs < 10, "host processes visible: {nprocs}");
        assert!(o.contains("cordon"), "hostname: {o}");
    }
}

#[test]
fn kernel_knobs_sys_and_devices_are_out_of_reach() {
    for who in BOTH {
        let w = World::new(who);
        // Open for writing only; or write back the value just read.
        let program = r#"
import os, glob
def try_open(p, note):
    try:
        fd = os.open(p, os.O_WRONLY)
        os.close(fd)
        print("OPEN-W", note, p)
    except OSError as e:
        pass
def write_back(p):
    try:
        v = open(p).read()
        with open(p, "w") as f:
            f.write(v)
        print("WROTE", p)
    except OSError:
        pass
write_back("/proc/sys/kernel/core_pattern")
write_back("/proc/sys/kernel/hostname")
write_back("/proc/sys/vm/swappiness")
try_open("/proc/sysrq-trigger", "sysrq")
try_open("/proc/sys/kernel/modprobe", "modprobe")
for p in glob.glob("/sys/fs/cgroup/*/release_agent") + glob.glob("/sys/fs/cgroup/release_agent"):
    try_open(p, "release_agent")
try_open("/sys/kernel/mm/transparent_hugepage/enabled", "sysfs")
try_open("/sys/kernel/uevent_helper", "uevent_helper")
for d in ["/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/loop0", "/dev/fuse", "/dev/net/tun"]:
    if os.path.exists(d):
        print("PRESENT", d)
print("devs", sorted(os.listdir("/dev")))
try:
    print("KCORE", len(open("/proc/kcore","rb").read(16)))
except OSError:
    pass
print("done")
"#;
        let o = ok(&w.py(&[], program));
        assert!(o.contains("done"), "{o}");
        for bad in ["OPEN-W", "WROTE", "PRESENT", "KCORE"] {
            assert!(!o.contains(bad), "{who:?}: {bad}: {o}");
        }
    }
}

#[test]
fn no_network_and_no_host_sockets() {
    // A server on the host's loopback must be unreachable from inside.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    for who in BOTH {
        let w = World::new(who);
        let program = format!(
            r#"
import socket
for fam, addr in [(socket.AF_INET, ("127.0.0.1", {port})), (socket.AF_INET, ("10.0.0.1", 80)), (socket.AF_INET6, ("::1", {port}))]:
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(2)
    try:
        s.connect(addr); print("CONNECTED", addr)
    except OSError as e:
        print("refused", addr, e.errno)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    u.sendto(b"x", ("10.0.0.1", 53)); print("UDP-SENT")
except OSError as e:
    print("udp refused", e.errno)
for fam in (socket.AF_PACKET, socket.AF_NETLINK):
    try:
        socket.socket(fam, socket.SOCK_RAW); print("RAW-SOCKET", fam)
    except OSError as e:
        print("raw refused", e.errno)
import os
print("ifaces", os.listdir("/sys/class/net") if os.path.exists("/sys/class/net") else [])
"#
        );
        let o = ok(&w.py(&[], &program));
        for bad in ["CONNECTED", "UDP-SENT", "RAW-SOCKET"] {
            assert!(!o.contains(bad), "{who:?}: {bad}: {o}");
        }
        assert!(o.contains("refused"), "{o}");
    }
    drop(l);
}

#[test]
fn keyring_nested_namespaces_and_io_uring_are_refused() {
    for who in BOTH {
        let w = World::new(who);
        let o = ok(&w.run(
            &[],
            "unshare -U true 2>/dev/null && echo USERNS; unshare -m true 2>/dev/null && echo MNTNS; keyctl show 2>/dev/null && echo KEYS; python3 -c 'import ctypes,os; l=ctypes.CDLL(None,use_errno=True); r=l.syscall(425,1,None); print(\"uring\", r, ctypes.get_errno())'; echo done",
        ));
        assert!(o.contains("done"), "{o}");
        assert!(
            !o.contains("USERNS") && !o.contains("MNTNS") && !o.contains("KEYS"),
            "{who:?}: {o}"
        );
        assert!(
            o.contains("uring -1 1"),
            "io_uring_setup must fail with EPERM: {o}"
        );
    }
}

#[test]
fn environment_is_scrubbed() {
    for who in BOTH {
        let w = World::new(who);
        let mut c = w.cordon();
        c.env("GITHUB_TOKEN", SECRET)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("MY_API_KEY", SECRET)
            .env("LC_TOKEN", SECRET)
            .env("HARMLESS_SETTING", "visible-if-named")
            .env("TERM", "xterm")
            .args([
                "run",
                "-v",
                "--env",
                "HARMLESS_SETTING",
                "--env",
                "SET_HERE=1",
                "--",
                "env",
            ]);
        let o = c.output().unwrap();
        let so = ok(&o);
        assert!(
            !so.contains(SECRET),
            "{who:?}: a secret variable passed: {so}"
        );
        assert!(so.contains("HARMLESS_SETTING=visible-if-named"), "{so}");
        assert!(
            so.contains("SET_HERE=1") && so.contains("TERM=xterm"),
            "{so}"
        );
        let se = err(&o);
        assert!(
            se.contains("GITHUB_TOKEN") && se.contains("AWS_SECRET_ACCESS_KEY"),
            "-v names dropped: {se}"
        );
        assert!(!se.contains(SECRET), "-v must not print values: {se}");
    }
}

#[test]
fn fork_bomb_is_contained() {
    for who in BOTH {
        let w = World::new(who);
        // Bounded: at most 300 forks, each child sleeps 3 s then exits.
        let program = r#"
import os, time
ok = 0; failed = 0
for i in range(300):
    try:
        pid = os.fork()
    except OSError:
        failed += 1
        continue
    if pid == 0:
        time.sleep(3); os._exit(0)
    ok += 1
print("forked", ok, "failed", failed)
"#;
        let o = ok(&w.py(&["--max-procs", "64"], program));
        let line = o.lines().find(|l| l.starts_with("forked")).unwrap();
        let nums: Vec<u32> = line
            .split_whitespace()
            .filter_map(|t| t.parse().ok())
            .collect();
        assert!(nums[0] < 64, "{who:?}: limit not enforced: {line}");
        assert!(nums[1] > 0, "{line}");
    }
}

#[test]
fn memory_limit_is_enforced() {
    let w = World::new(As::Root);
    // Touch 400 MiB under a 64 MiB limit: the kernel kills the process.
    let o = w.py(
        &["--max-memory", "64M"],
        "b = bytearray(400 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\nprint('ALLOCATED')",
    );
    assert!(!out(&o).contains("ALLOCATED"), "{}", out(&o));
    assert_eq!(o.status.code(), Some(137), "{:?} {}", o.status, err(&o));
}

#[test]
fn cordon_itself_is_out_of_reach() {
    let w = World::new(As::Root);
    let data = w.home.join(".local/share/cordon");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("canary"), SECRET).unwrap();
    let o = ok(&w.run(
        &[],
        &format!("cat {0}/canary {0}/journal.db 2>/dev/null; ls {0} 2>/dev/null && echo LISTED; : >> {1} 2>/dev/null && echo BIN-WRITABLE; echo done", data.display(), cordon_bin().display()),
    ));
    assert!(
        !o.contains(SECRET) && !o.contains("LISTED") && !o.contains("BIN-WRITABLE"),
        "{o}"
    );
}
