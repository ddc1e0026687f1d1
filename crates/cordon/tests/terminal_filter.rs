//! What a sandboxed program writes to its terminal reaches the person's
//! terminal only through cordon's allowlist: through a real pty (Python's pty
//! module) and a real terminal (tmux), with a real full-screen program.
mod sandbox_support;
use sandbox_support::*;
use std::process::Command;
use std::time::{Duration, Instant};

/// A program that tries every way out of the screen, between markers.
const HOSTILE: &str = r#"import sys
w = sys.stdout.buffer.write
w(b"READY\n")
w(b"A\x1b]52;c;UFdORUQtQ0xJUA==\x07")          # clipboard write
w(b"B\x1b]52;c;?\x1b\\")                        # clipboard read
w(b"C\x1b]0;PWNED-TITLE\x07\x1b]2;PWNED-TITLE\x1b\\")  # title set
w(b"D\x1b[21t\x1b[20t\x1b[8;5;5t")              # title report, resize
w(b"E\x1bP$qm\x1b\\\x1bP+q544e\x1b\\")          # DECRQSS, XTGETTCAP
w(b"F\x1b]1337;File=inline=1:UFdORUQ=\x07")     # iTerm2 extension
w(b"G\x1b_Gf=100;UFdORUQ=\x1b\\\x1b]8;;http://x.example\x07")  # APC, hyperlink
w("H\u009d0;PWNED-TITLE\u009c".encode())         # 8-bit C1 OSC
w(b"I\x1b]52;c;")                               # split across writes
sys.stdout.flush()
w(b"UFdORUQ=\x07J\x1b[31mred\x1b[0m\x1b[6n\x1b[?1049h\x1b[?1049l\n")
w(b"DONE\n")
"#;

#[test]
fn escapes_that_reach_beyond_the_screen_are_dropped() {
    let w = World::new(As::Root);
    std::fs::write(w.ws.join("hostile.py"), HOSTILE).unwrap();
    let o = through_pty_bytes(
        &w,
        &["run", "--", "/usr/bin/python3", "hostile.py"],
        b"",
        b"",
    );
    let text = String::from_utf8_lossy(&o);
    assert!(text.contains("DONE"), "{text:?}");
    // The text between the sequences arrives in order; nothing of them does.
    assert!(text.contains("ABCDEFGHIJ"), "{text:?}");
    for bad in [
        &b"\x1b]"[..],
        b"\x1bP",
        b"\x1b_",
        b"\xc2\x9d",
        b"52;",
        b"PWNED",
        b"UFdORUQ",
        b"[21t",
        b"[20t",
        b"1337",
        b"$q",
    ] {
        assert!(
            !o.windows(bad.len()).any(|x| x == bad),
            "{:?} reached the terminal: {text:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // What screens need still passes.
    for good in [
        "\x1b[31mred\x1b[0m",
        "\x1b[6n",
        "\x1b[?1049h",
        "\x1b[?1049l",
    ] {
        assert!(text.contains(good), "{good:?} was dropped: {text:?}");
    }
    // The run's record says how much was dropped.
    let j = cordon_audit::Journal::open_read_only(&w.home.join(".local/share/cordon")).unwrap();
    let exit = j
        .records(&cordon_audit::Filter::default())
        .unwrap()
        .into_iter()
        .find(|r| r.kind == "sandbox.exit")
        .unwrap();
    let dropped = exit.payload_json()["terminal_dropped"].as_u64().unwrap();
    assert!(dropped >= 14, "{dropped}");
}

/// A program that ends inside its modes (mouse reporting on, cursor hidden,
/// alternate screen) does not leave the person's terminal that way.
#[test]
fn modes_a_program_leaves_on_are_put_back() {
    let w = World::new(As::Root);
    let program = r"import sys; sys.stdout.write('\x1b[?1049h\x1b[?1000;1006h\x1b[?25l\x1b[?2004hREADY'); sys.stdout.flush(); import os; os._exit(3)";
    let o = through_pty_bytes(
        &w,
        &["run", "--", "/usr/bin/python3", "-c", program],
        b"",
        b"",
    );
    let text = String::from_utf8_lossy(&o);
    assert!(
        text.ends_with("READY\x1b[?1049l\x1b[?1000l\x1b[?1006l\x1b[?25h\x1b[?2004l"),
        "{text:?}"
    );
}

/// With stdin redirected, the terminal on stdout and stderr still gets only
/// what passes the filter (the sandbox never holds the person's terminal),
/// and the redirected stdin still reaches the program.
#[test]
fn a_redirected_stdin_does_not_open_a_way_around_the_filter() {
    let w = World::new(As::Root);
    std::fs::write(
        w.ws.join("hostile.py"),
        HOSTILE.replace("READY", "SEEN-STDIN"),
    )
    .unwrap();
    std::fs::write(w.ws.join("input.txt"), "from-the-file\n").unwrap();
    let bin = env!("CARGO_BIN_EXE_cordon");
    let o = through_pty_bytes(
        &w,
        &[
            "sh",
            "-c",
            &format!("{bin} run -- sh -c 'read l; echo \"$l\"; tty <&1; /usr/bin/python3 hostile.py; /usr/bin/python3 hostile.py >&2' < input.txt"),
        ],
        b"",
        b"",
    );
    let text = String::from_utf8_lossy(&o);
    assert!(text.contains("from-the-file"), "{text:?}");
    assert!(
        text.contains("/dev/pts/"),
        "stdout is not the sandbox's pty: {text:?}"
    );
    assert_eq!(text.matches("ABCDEFGHIJ").count(), 2, "{text:?}");
    for bad in [&b"\x1b]"[..], b"\x1bP", b"\x1b_", b"PWNED", b"UFdORUQ"] {
        assert!(!o.windows(bad.len()).any(|x| x == bad), "{text:?}");
    }
}

/// A terminal that got end-of-file (a harness whose input ended) before
/// cordon switched it to raw mode: the kernel turns that mark into a NUL at
/// the switch, which the pty inside echoed back as `^@`. The inner program
/// gets the end of file instead, and the output starts with its own text.
#[test]
fn no_stray_nul_at_the_start() {
    let w = World::new(As::Root);
    let program = "import sys, select; print('FIRST'); print('READY'); sys.stdout.flush(); r = select.select([0], [], [], 5)[0]; print('GOT', repr(sys.stdin.read()) if r else 'NOTHING')";
    let o = through_pty_bytes(
        &w,
        &["run", "--", "/usr/bin/python3", "-c", program],
        b"\x04",
        b"",
    );
    let text = String::from_utf8_lossy(&o);
    assert!(o.starts_with(b"FIRST"), "{text:?}");
    assert!(!o.contains(&0), "{text:?}");
    assert!(!text.contains("^@"), "{text:?}");
    assert!(
        text.contains("GOT ''"),
        "end of file not passed on: {text:?}"
    );
}

/// A tmux server of its own (removed when dropped).
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(w: &World) -> Tmux {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let t = Tmux {
            socket: format!(
                "cordon-test-{}-{}",
                std::process::id(),
                N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            ),
        };
        // Clipboard writes (OSC 52) go to tmux's paste buffers; titles to the pane.
        let o = t
            .cmd(&[
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "100",
                "-y",
                "30",
                "-c",
                w.ws.to_str().unwrap(),
                "sh",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "tmux: {o:?}");
        for opt in [
            &["set", "-g", "set-clipboard", "on"][..],
            &["set", "-g", "remain-on-exit", "on"],
            &["set", "-g", "allow-rename", "on"],
        ] {
            assert!(t.cmd(opt).status().unwrap().success(), "{opt:?}");
        }
        t
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket).args(args);
        c
    }

    fn out(&self, args: &[&str]) -> String {
        let o = self.cmd(args).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Start `command` in a new window; its target.
    fn window(&self, w: &World, command: &str) -> String {
        let env = format!(
            "env -i PATH={PATH} HOME={} CORDON_DATA_DIR={}/.local/share/cordon TERM=screen LANG=C.UTF-8",
            w.home.display(),
            w.home.display()
        );
        self.out(&[
            "new-window",
            "-P",
            "-F",
            "#{window_id}",
            "-c",
            w.ws.to_str().unwrap(),
            &format!("{env} {command}"),
        ])
        .trim()
        .to_string()
    }

    fn screen(&self, target: &str) -> String {
        self.out(&["capture-pane", "-p", "-t", target])
    }

    /// Wait until the screen shows `what`.
    fn wait_for(&self, target: &str, what: &str) -> String {
        self.wait_until(target, what, "\0")
    }

    /// Wait until the screen shows `what` and no longer `gone` (a redraw may be half done).
    fn wait_until(&self, target: &str, what: &str, gone: &str) -> String {
        let t = Instant::now();
        loop {
            let s = self.screen(target);
            if s.contains(what) && !s.contains(gone) {
                return s;
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "{what:?} never showed (or {gone:?} never went): {s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&self, target: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", target];
        args.extend(keys);
        assert!(self.cmd(&args).status().unwrap().success());
    }

    fn title(&self, target: &str) -> String {
        self.out(&["display-message", "-p", "-t", target, "#{pane_title}"])
    }

    fn buffers(&self) -> String {
        self.out(&["list-buffers", "-F", "#{buffer_sample}"])
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).status();
    }
}

#[test]
fn a_real_terminal_keeps_its_title_and_clipboard() {
    let w = World::new(As::Root);
    std::fs::write(w.ws.join("hostile.py"), HOSTILE).unwrap();
    let tmux = Tmux::new(&w);
    let untitled = tmux.title("");
    // Without cordon the terminal takes them: the test can see an escape.
    let bare = tmux.window(&w, "/usr/bin/python3 hostile.py");
    tmux.wait_for(&bare, "DONE");
    assert_ne!(tmux.title(&bare), untitled, "tmux ignored the titles");
    assert!(tmux.buffers().contains("PWNED-CLIP"), "tmux ignored OSC 52");
    let buffers = tmux.buffers();
    // Through cordon the same program changes neither.
    let bin = cordon_bin();
    let cordoned = tmux.window(
        &w,
        &format!("{} run -- /usr/bin/python3 hostile.py", bin.display()),
    );
    let s = tmux.wait_for(&cordoned, "DONE");
    assert!(s.contains("ABCDEFGHIJred"), "{s}");
    assert_eq!(tmux.title(&cordoned), untitled, "title changed");
    assert_eq!(tmux.buffers(), buffers, "clipboard written");
}

#[test]
fn a_full_screen_program_still_works() {
    let w = World::new(As::Root);
    let lines: String = (1..=500).map(|i| format!("line-{i:03}\n")).collect();
    std::fs::write(w.ws.join("numbers.txt"), lines).unwrap();
    let tmux = Tmux::new(&w);
    let bin = cordon_bin();
    // The run's status is written to a file: tmux may mark a pane dead
    // before it has read its status.
    let status = w.outside.join("less-status");
    let pane = tmux.window(
        &w,
        &format!(
            "sh -c '{} run -- less -f numbers.txt; echo $? > {}'",
            bin.display(),
            status.display()
        ),
    );
    let first = tmux.wait_for(&pane, "line-001");
    assert!(!first.contains("line-100"), "{first}");
    // Keys reach it and the screen is redrawn: to the end, a search, back to the top.
    tmux.keys(&pane, &["G"]);
    tmux.wait_until(&pane, "line-500", "line-001");
    tmux.keys(&pane, &["?line-250", "Enter"]);
    tmux.wait_for(&pane, "line-250");
    tmux.keys(&pane, &["g"]);
    tmux.wait_until(&pane, "line-001", "line-250");
    tmux.keys(&pane, &["q"]);
    // less leaves the alternate screen; the run ends with its status.
    let t = Instant::now();
    while std::fs::read_to_string(&status).map_or(true, |s| !s.ends_with('\n')) {
        assert!(t.elapsed() < Duration::from_secs(20), "less did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "0");
    assert!(
        !tmux.screen(&pane).contains("line-250"),
        "alternate screen not left"
    );
}
