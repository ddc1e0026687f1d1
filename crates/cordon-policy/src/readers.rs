//! Readers and writers of files that do not name the file as a plain path
//! argument, so `Read(...)` and `Edit(...)` rules see them too:
//!
//! | form | reads or writes |
//! | --- | --- |
//! | `git show HEAD:path`, `git cat-file -p HEAD:path`, `git diff a:p b:p` | `path` below the top of the repository (any directory from the git directory up) |
//! | `git show HEAD:./path` | `path` below the git directory (`-C dir`, else the working directory) |
//! | `git log -p -- path`, `git archive HEAD path`, `git blame path` | the pathspec, below the git directory |
//! | `git checkout HEAD -- path`, `git restore path` | writes the pathspec |
//! | `sqlite3 db "select readfile('p')"`, `writefile('p', ...)`, `.read p`, `.output p` | `p` (also in here-docs and here-strings) |
//! | `mysql -e "select load_file('p')"`, `psql -c "select pg_read_file('p')"`, `duckdb -c "select * from read_text('p')"` | `p` |
//! | `python3 -c "open('p')"`, `perl -e`, `node -e`, `ruby -e`, `php -r` | every quoted path in the inline code (read, and for rules also written) |
//!
//! The caller (`classify`) resolves each path and judges it like any other
//! path argument.

use crate::classify::{is_remote, resolve, AWKS, INTERPRETERS};
use crate::rules::Base;
use crate::shell::{SimpleCmd, Word};
use crate::spelling;

/// How a command touches a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Touch {
    Read,
    Write,
    /// Named in code that may read or write it: read for the classes, and
    /// both for path rules.
    Either,
}

/// One path a command touches, absolute or relative to the working directory.
#[derive(Clone, Debug)]
pub(crate) struct Access {
    pub touch: Touch,
    pub path: Word,
}

/// Git subcommands whose `x:y` operands are not object paths (refspecs,
/// remote addresses, config values).
const GIT_REMOTE_SUBS: &[&str] = &[
    "push",
    "fetch",
    "pull",
    "clone",
    "remote",
    "submodule",
    "ls-remote",
    "config",
    "send-email",
    "request-pull",
    "svn",
    "p4",
    "daemon",
];
/// Git subcommands whose operands (after the revision for `archive`) are
/// paths read from the repository.
const GIT_PATH_READERS: &[&str] = &[
    "show",
    "log",
    "diff",
    "archive",
    "blame",
    "annotate",
    "grep",
    "whatchanged",
    "ls-tree",
    "difftool",
];
/// Git subcommands that write their pathspecs from the object store.
const GIT_PATH_WRITERS: &[&str] = &["checkout", "restore"];
/// Git options before the subcommand that take a value.
const GIT_GLOBAL_VALUE: &[&str] = &[
    "-c",
    "--namespace",
    "--config-env",
    "--super-prefix",
    "--list-cmds",
    "--exec-path",
];

/// Database clients and the SQL functions that read (false) or write (true)
/// a file named by their first argument.
const DB_CLIENTS: &[&str] = &[
    "sqlite3",
    "sqlite",
    "mysql",
    "mariadb",
    "psql",
    "duckdb",
    "clickhouse",
    "spatialite",
];
const SQL_FILE_FUNCS: &[(&str, Touch)] = &[
    ("readfile", Touch::Read),
    ("writefile", Touch::Write),
    ("edit", Touch::Write),
    ("load_file", Touch::Read),
    ("pg_read_file", Touch::Read),
    ("pg_read_binary_file", Touch::Read),
    ("lo_import", Touch::Read),
    ("read_text", Touch::Read),
    ("read_blob", Touch::Read),
    ("read_csv", Touch::Read),
    ("read_csv_auto", Touch::Read),
    ("read_json", Touch::Read),
    ("read_json_auto", Touch::Read),
    ("read_parquet", Touch::Read),
];
/// SQL clauses followed by a quoted file name.
const SQL_FILE_CLAUSES: &[(&str, Touch)] = &[
    ("into outfile", Touch::Write),
    ("into dumpfile", Touch::Write),
    ("load data local infile", Touch::Read),
    ("load data infile", Touch::Read),
];
/// sqlite3 dot-commands whose first argument is a file.
const SQLITE_DOT: &[(&str, Touch)] = &[
    (".read", Touch::Read),
    (".import", Touch::Read),
    (".restore", Touch::Read),
    (".open", Touch::Either),
    (".output", Touch::Write),
    (".once", Touch::Write),
    (".save", Touch::Write),
    (".backup", Touch::Write),
    (".dump", Touch::Read),
];
/// Programs that read or write a whole tree below a directory argument,
/// always (empty list) or with one of these options (any spelling the
/// option table knows; see `spelling.rs`).
const RECURSIVE: &[(&str, &[&str])] = &[
    ("tar", &[]),
    ("bsdtar", &[]),
    ("zip", &["-r", "--recurse-paths"]),
    ("unzip", &[]),
    ("7z", &[]),
    ("7za", &[]),
    ("cpio", &[]),
    ("pax", &[]),
    ("rsync", &[]),
    ("rclone", &[]),
    ("restic", &[]),
    ("borg", &[]),
    ("duplicity", &[]),
    ("rg", &[]),
    ("ag", &[]),
    ("ack", &[]),
    ("mv", &[]),
    ("cp", &["-r", "-a"]),
    ("scp", &["-r"]),
    (
        "grep",
        &["-r", "-R", "--recursive", "--dereference-recursive"],
    ),
    ("egrep", &["-r", "-R"]),
    ("fgrep", &["-r", "-R"]),
    ("rm", &["-r"]),
    ("shred", &["-r"]),
    ("chmod", &["-R"]),
    ("chown", &["-R"]),
    ("chgrp", &["-R"]),
    ("setfacl", &["-R", "--recursive"]),
    ("chattr", &["-R"]),
];

/// Programs whose first operand is a script or pattern, not a file, unless
/// an option gave one: (program, options giving a script as text, options
/// giving it as a file).
const SCRIPT_FIRST: &[(&str, &[&str], &[&str])] = &[
    ("sed", &["-e"], &["-f"]),
    ("grep", &["-e"], &["-f"]),
    ("egrep", &["-e"], &["-f"]),
    ("fgrep", &["-e"], &["-f"]),
    ("zgrep", &["-e"], &["-f"]),
    ("rg", &["-e"], &["-f"]),
];

/// `name` has an entry in the table [`script_words`] reads.
pub(crate) fn knows_script(name: &str) -> bool {
    SCRIPT_FIRST.iter().any(|(n, _, _)| *n == name)
}

/// The words of `name` that are its script or pattern, not files (`sed
/// 's/a/b/' f`, `grep '.*' f`, `grep -e '.*' f`), read with the program's
/// option table so option values (`grep -m 1`) are not taken for them.
pub(crate) fn script_words<'a>(name: &str, args: &'a [Word]) -> Vec<&'a str> {
    let Some((_, text_opts, file_opts)) = SCRIPT_FIRST.iter().find(|(n, _, _)| *n == name) else {
        return Vec::new();
    };
    let argv: Vec<&str> = std::iter::once(name)
        .chain(args.iter().map(|w| w.text.as_str()))
        .collect();
    let s = spelling::shape(&argv);
    let raw = |v: &str| {
        args.iter()
            .map(|w| w.text.as_str())
            .find(|t| *t == v || spelling::norm_operand(t) == v)
    };
    let given: Vec<&str> = s
        .opts
        .iter()
        .filter(|(o, _)| text_opts.contains(&o.as_str()))
        .filter_map(|(_, v)| v.as_deref().and_then(raw))
        .collect();
    // `rg --files` takes no pattern: every operand is a path.
    let by_file = s
        .opts
        .iter()
        .any(|(o, _)| file_opts.contains(&o.as_str()) || o == "--files");
    if !given.is_empty() || by_file {
        return given;
    }
    s.operands
        .first()
        .and_then(|f| raw(f))
        .into_iter()
        .collect()
}

/// Files a sed script reads (`r FILE`, `R FILE`) or writes (`w FILE`,
/// `W FILE`, `s/a/b/w FILE`), after any address (`1r f`, `/x/w f`).
fn sed_files(script: &str, out: &mut Vec<Access>) {
    for cmd in script.split(['\n', ';']) {
        let mut c = cmd.trim_start();
        // Skip an address: line numbers, `$`, `/regex/`, ranges, `!`.
        loop {
            c = c.trim_start_matches(|ch: char| ch.is_ascii_digit() || "$,!~+ ".contains(ch));
            match c.strip_prefix('/') {
                Some(rest) => c = rest.split_once('/').map_or("", |(_, r)| r),
                None => break,
            }
        }
        let file = |rest: &str| rest.trim().to_string();
        let mut chars = c.chars();
        match (chars.next(), chars.next()) {
            (Some('r' | 'R'), Some(' ')) => out.push(access(Touch::Read, &file(&c[2..]), false)),
            (Some('w' | 'W'), Some(' ')) => out.push(access(Touch::Write, &file(&c[2..]), false)),
            (Some('s'), Some(d)) if !d.is_alphanumeric() && d != ' ' => {
                // s/a/b/FLAGS: a `w FILE` flag writes.
                let parts: Vec<&str> = c[1 + d.len_utf8()..].splitn(3, d).collect();
                if let Some(flags) = parts.get(2) {
                    if let Some(i) = flags.find('w') {
                        let f = file(&flags[i + 1..]);
                        if !f.is_empty() {
                            out.push(access(Touch::Write, &f, false));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Programs that read the files they write (editors, in-place filters,
/// compressors and key tools): their written paths are also read.
const READS_WHAT_IT_WRITES: &[&str] = &[
    "vim",
    "vi",
    "nvim",
    "view",
    "vimdiff",
    "gvim",
    "nano",
    "pico",
    "micro",
    "emacs",
    "emacsclient",
    "ed",
    "ex",
    "joe",
    "mcedit",
    "kak",
    "hx",
    "sed",
    "perl",
    "ruby",
    "gzip",
    "gunzip",
    "bzip2",
    "bunzip2",
    "xz",
    "unxz",
    "zstd",
    "lz4",
    "compress",
    "zip",
    "7z",
    "7za",
    "dos2unix",
    "unix2dos",
    "ssh-keygen",
    "gpg",
    "openssl",
    "patch",
    "sort",
    "iconv",
    "crontab",
];

pub(crate) fn reads_what_it_writes(name: &str) -> bool {
    READS_WHAT_IT_WRITES.contains(&name)
}

/// Does `cmd` read or write whole trees below its directory arguments?
pub(crate) fn recursive(cmd: &SimpleCmd, name: &str) -> bool {
    let Some((_, flags)) = RECURSIVE.iter().find(|(n, _)| *n == name) else {
        return false;
    };
    if flags.is_empty() {
        return true;
    }
    let argv: Vec<&str> = cmd.argv.iter().map(|w| w.text.as_str()).collect();
    spelling::shape(&argv)
        .opts
        .iter()
        .any(|(o, _)| flags.contains(&o.as_str()))
}

/// Command lines in the inline code of an interpreter (`python3 -c
/// 'os.system("rm -rf x")'`, `subprocess.run(["rm", "-rf", "x"])`, perl
/// `system("rm", "-rf", "x")`, backticks): every string literal, and every
/// list of string literals joined by spaces. Deny and ask rules are checked
/// against them (the code can run any string it holds).
pub(crate) fn inline_commands(cmd: &SimpleCmd, name: &str) -> Vec<String> {
    if name == "git" {
        return git_shell_aliases(cmd);
    }
    let Some((_, opts)) = INTERPRETERS.iter().find(|(n, _)| *n == name) else {
        return Vec::new();
    };
    let args: &[Word] = cmd.argv.get(1..).unwrap_or(&[]);
    let mut out = Vec::new();
    for code in inline_code(args, opts) {
        out.extend(string_runs(code));
    }
    out
}

/// Shell commands of git aliases defined on the command line
/// (`git -c alias.x='!rm -rf y' x`).
fn git_shell_aliases(cmd: &SimpleCmd) -> Vec<String> {
    cmd.argv
        .windows(2)
        .filter(|w| w[0].text == "-c")
        .filter_map(|w| w[1].text.split_once('='))
        .filter(|(k, _)| k.to_ascii_lowercase().starts_with("alias."))
        .filter_map(|(_, v)| v.strip_prefix('!'))
        .map(str::to_string)
        .collect()
}

/// The inline code arguments (`-c CODE`, `-cCODE`).
fn inline_code<'a>(args: &'a [Word], opts: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if opts.contains(&t) {
            if let Some(a) = args.get(i + 1) {
                out.push(a.text.as_str());
            }
            i += 2;
            continue;
        }
        if let Some(o) = opts
            .iter()
            .find(|o| o.len() == 2 && t.len() > 2 && t.starts_with(**o))
        {
            out.push(&t[o.len()..]);
        }
        i += 1;
    }
    out
}

/// String literals of code (`'...'`, `"..."`, `` `...` ``), with runs of
/// literals separated only by commas (argument lists) joined by spaces.
fn string_runs(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run: Vec<String> = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(['\'', '"', '`']) {
        let between = &rest[..i];
        if !run.is_empty() && !between.trim().trim_start_matches(',').trim().is_empty() {
            out.push(run.join(" "));
            run.clear();
        }
        let q = rest.as_bytes()[i];
        let Some((lit, after)) = literal(&rest[i + 1..], q) else {
            break;
        };
        run.push(lit);
        rest = after;
        if !rest.trim_start().starts_with(',') {
            out.push(run.join(" "));
            run.clear();
        }
    }
    if !run.is_empty() {
        out.push(run.join(" "));
    }
    out
}

/// A string literal's text up to the closing quote `q`, with backslash
/// escapes taken (`\"` is `"`), and the code after it.
fn literal(body: &str, q: u8) -> Option<(String, &str)> {
    let b = body.as_bytes();
    let mut text = Vec::with_capacity(b.len().min(256));
    let mut k = 0;
    while k < b.len() {
        match b[k] {
            b'\\' if k + 1 < b.len() => {
                text.push(b[k + 1]);
                k += 2;
            }
            c if c == q => {
                return Some((String::from_utf8_lossy(&text).into_owned(), &body[k + 1..]))
            }
            c => {
                text.push(c);
                k += 1;
            }
        }
    }
    None
}

/// Every path a command names in its arguments, as written: words that look
/// like paths, `--opt=PATH` and `key=PATH` values, `@PATH` (curl). Deny and
/// ask `Read` rules are checked against them whatever the command does with
/// them (the table may not know that `openssl rsa -in KEY` reads KEY).
pub(crate) fn named_paths(cmd: &SimpleCmd) -> impl Iterator<Item = &str> {
    cmd.argv
        .iter()
        .skip(1)
        .filter(|w| !w.dynamic)
        .flat_map(|w| {
            let t = w.text.as_str();
            let value = t.split_once('=').map(|(_, v)| v);
            let at = t.split_once('@').map(|(_, v)| v);
            [Some(t), value, at]
        })
        .flatten()
        .filter(|t| {
            (looks_like_path(t) || t.starts_with('.') || t.contains('/')) && !t.contains("://")
        })
}

/// The paths `cmd` touches in the forms above.
pub(crate) fn accesses(cmd: &SimpleCmd, name: &str, b: &Base) -> Vec<Access> {
    let args: &[Word] = cmd.argv.get(1..).unwrap_or(&[]);
    let mut out = Vec::new();
    if name == "git" {
        git(args, b, &mut out);
    } else if DB_CLIENTS.contains(&name) {
        for a in args {
            sql(&a.text, a.dynamic, &mut out);
        }
        if let Some(t) = &cmd.stdin_text {
            sql(t, false, &mut out);
        }
    } else if let Some((_, opts)) = INTERPRETERS.iter().find(|(n, _)| *n == name) {
        let dynamic = args.iter().any(|a| a.dynamic);
        for code in inline_code(args, opts) {
            code_paths(code, dynamic, &mut out);
        }
    } else if AWKS.contains(&name) {
        // The program is the first word that is not an option (or `-f FILE`).
        if let Some(code) = awk_program(args) {
            code_paths(&code.text, code.dynamic, &mut out);
        }
    } else if name == "sed" {
        for script in script_words(name, args) {
            sed_files(script, &mut out);
        }
    } else if name == "tar" {
        tar(args, &mut out);
    } else if let Some((_, opt)) = EXTRACT_DIR.iter().find(|(n, _)| *n == name) {
        for d in option_values(args, opt) {
            out.push(access(Touch::Write, d, false));
        }
    } else if COPIERS.contains(&name) {
        copy_targets(args, &mut out);
    }
    out
}

/// Paths quoted in code: read, and for path rules also written.
fn code_paths(code: &str, dynamic: bool, out: &mut Vec<Access>) {
    for p in quoted(code).filter(|p| looks_like_path(p)) {
        out.push(access(Touch::Either, p, dynamic));
    }
}

fn awk_program(args: &[Word]) -> Option<&Word> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.text.as_str() {
            "-f" | "--file" => return None,
            "-v" | "-F" | "--assign" | "--field-separator" => {
                it.next();
            }
            "--" => return it.next(),
            t if t.starts_with('-') => {}
            _ => return Some(a),
        }
    }
    None
}

/// Extractors and the option naming the directory they write a tree into.
const EXTRACT_DIR: &[(&str, &str)] = &[
    ("unzip", "-d"),
    ("7z", "-o"),
    ("7za", "-o"),
    ("cpio", "-D"),
    ("bsdtar", "-C"),
];

/// Values of an option: `-d DIR`, `-dDIR`, `--opt=DIR`.
fn option_values<'a>(args: &'a [Word], opt: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let t = a.text.as_str();
        if t == opt {
            if let Some(v) = args.get(i + 1).filter(|v| !v.dynamic) {
                out.push(v.text.as_str());
            }
        } else if let Some(v) = t.strip_prefix(opt).filter(|v| !v.is_empty() && !a.dynamic) {
            out.push(v.strip_prefix('=').unwrap_or(v));
        }
    }
    out
}

/// `tar -C DIR`: when extracting, DIR takes the tree and members land
/// below it; when creating, members are read from below it.
fn tar(args: &[Word], out: &mut Vec<Access>) {
    let argv: Vec<&str> = std::iter::once("tar")
        .chain(args.iter().map(|w| w.text.as_str()))
        .collect();
    let s = spelling::shape(&argv);
    let Some(dir) = s
        .opts
        .iter()
        .rev()
        .find_map(|(o, v)| v.as_deref().filter(|_| o == "-C"))
    else {
        return;
    };
    let has = |o: &str| s.opts.iter().any(|(x, _)| x == o);
    if has("-x") {
        out.push(access(Touch::Write, dir, false));
        for m in &s.operands {
            out.push(access(Touch::Write, &format!("{dir}/{m}"), false));
        }
    } else if has("-c") || has("-r") || has("-u") {
        for m in &s.operands {
            out.push(access(Touch::Read, &format!("{dir}/{m}"), false));
        }
    }
}

/// Programs that copy or link sources into a target (`cp A B DIR`,
/// `cp -t DIR A B`).
const COPIERS: &[&str] = &["cp", "mv", "install", "ln", "rsync", "scp"];

/// What a copy writes when its target is a directory: `DIR/NAME` for each
/// source (as well as the target itself, which `classify` already sees).
fn copy_targets(args: &[Word], out: &mut Vec<Access>) {
    if args.iter().any(|a| a.dynamic) {
        return;
    }
    let mut target: Option<&str> = None;
    let mut sources: Vec<&str> = Vec::new();
    let mut it = args.iter().map(|a| a.text.as_str());
    let mut end = false;
    while let Some(t) = it.next() {
        if !end && (t == "-t" || t == "--target-directory") {
            target = it.next();
        } else if let Some(v) = t.strip_prefix("--target-directory=").filter(|_| !end) {
            target = Some(v);
        } else if t == "--" {
            end = true;
        } else if end || !t.starts_with('-') {
            sources.push(t);
        }
    }
    let target = match target {
        Some(t) => t,
        None if sources.len() >= 2 => sources.pop().unwrap_or_default(),
        None => return,
    };
    if is_remote(target) {
        return;
    }
    for src in sources {
        let name = src.trim_end_matches('/').rsplit('/').next().unwrap_or(src);
        if !name.is_empty() && name != "." && name != ".." && !is_remote(src) {
            let dir = target.trim_end_matches('/');
            out.push(access(Touch::Write, &format!("{dir}/{name}"), false));
        }
    }
}

fn access(touch: Touch, path: &str, dynamic: bool) -> Access {
    Access {
        touch,
        path: Word {
            text: path.to_string(),
            dynamic,
        },
    }
}

fn looks_like_path(p: &str) -> bool {
    (p.starts_with('/') || p.starts_with('~') || p.starts_with("./") || p.starts_with("../"))
        && !p.contains(['\n', '\'', '"'])
        && p.len() > 1
}

/// The directory git works in: `-C` options (each relative to the last),
/// else the working directory; `--git-dir`/`--work-tree` name the top.
fn git(args: &[Word], b: &Base, out: &mut Vec<Access>) {
    let mut dir = b.cwd.to_string();
    let mut top: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        let at = |d: &str| resolve(d, &Base { cwd: &dir, ..*b });
        if t == "-C" {
            if let Some(v) = args.get(i + 1) {
                dir = at(&v.text);
            }
            i += 2;
        } else if let Some(v) = t.strip_prefix("-C").filter(|v| !v.is_empty()) {
            dir = at(v);
            i += 1;
        } else if let Some((opt, v)) = t
            .split_once('=')
            .filter(|(o, _)| *o == "--git-dir" || *o == "--work-tree")
        {
            let p = at(v);
            top = Some(git_top(opt, p));
            i += 1;
        } else if t == "--git-dir" || t == "--work-tree" {
            if let Some(v) = args.get(i + 1) {
                top = Some(git_top(t, at(&v.text)));
            }
            i += 2;
        } else if GIT_GLOBAL_VALUE.contains(&t) {
            i += 2;
        } else if t.starts_with('-') {
            i += 1;
        } else {
            break;
        }
    }
    let Some(sub) = args.get(i) else { return };
    let rest = &args[i + 1..];
    if GIT_REMOTE_SUBS.contains(&sub.text.as_str()) {
        return;
    }
    // `rev:path` object names: relative to the top of the repository, which
    // is the git directory or one above it (unknown without the disk).
    let tops: Vec<String> = match &top {
        Some(t) => vec![t.clone()],
        None => ancestors(&dir),
    };
    let mut dashdash = false;
    let mut operands = 0;
    let reads = GIT_PATH_READERS.contains(&sub.text.as_str());
    let writes = GIT_PATH_WRITERS.contains(&sub.text.as_str());
    for a in rest {
        let t = a.text.as_str();
        if t == "--" {
            dashdash = true;
            continue;
        }
        if t.starts_with('-') && !dashdash {
            continue;
        }
        operands += 1;
        if let Some(p) = object_path(t).filter(|_| !dashdash) {
            if p.starts_with("./") || p.starts_with("../") {
                out.push(access(Touch::Read, &format!("{dir}/{p}"), a.dynamic));
            } else {
                for top in &tops {
                    out.push(access(Touch::Read, &format!("{top}/{p}"), a.dynamic));
                }
            }
            continue;
        }
        // Pathspecs are relative to the git directory.
        let pathspec = dashdash
            || (reads && !(sub.text == "archive" && operands == 1))
            || (writes && sub.text == "restore");
        if pathspec && (reads || writes) && !t.starts_with('/') && (dashdash || !t.contains(':')) {
            let touch = if writes { Touch::Write } else { Touch::Read };
            out.push(access(touch, &format!("{dir}/{t}"), a.dynamic));
        }
    }
}

/// The top of the repository named by `--git-dir` (its parent when it ends
/// in `.git`) or `--work-tree`.
fn git_top(opt: &str, p: String) -> String {
    if opt == "--git-dir" && p.ends_with("/.git") {
        p[..p.len() - 5].to_string()
    } else if opt == "--git-dir" {
        p.rsplit_once('/').map_or(p.clone(), |(d, _)| d.to_string())
    } else {
        p
    }
}

/// `/a/b/c` -> [`/a/b/c`, `/a/b`, `/a`, ``] (the last one is the root).
fn ancestors(dir: &str) -> Vec<String> {
    let mut out = vec![dir.trim_end_matches('/').to_string()];
    let mut d = dir.trim_end_matches('/');
    while let Some((parent, _)) = d.rsplit_once('/') {
        out.push(parent.to_string());
        d = parent;
    }
    out
}

/// The path of an object name `rev:path`, `:path`, `:N:path`; `None` for
/// other words (URLs, `:/message`).
fn object_path(t: &str) -> Option<&str> {
    if t.contains("://") {
        return None;
    }
    let (_, p) = t.split_once(':')?;
    let p = match p.split_once(':') {
        Some((stage, rest)) if t.starts_with(':') && stage.len() == 1 => rest,
        _ => p,
    };
    (!p.is_empty() && !p.starts_with('/')).then_some(p)
}

/// Files named in SQL text: file functions, `INTO OUTFILE`, dot-commands.
fn sql(text: &str, dynamic: bool, out: &mut Vec<Access>) {
    if !text.contains(['(', '.', '\'']) {
        return;
    }
    let lower = text.to_ascii_lowercase();
    for (f, touch) in SQL_FILE_FUNCS {
        let mut from = 0;
        while let Some(i) = lower[from..].find(f).map(|i| i + from) {
            from = i + f.len();
            let word_start = i == 0 || !is_ident(lower.as_bytes()[i - 1]);
            let rest = lower[from..].trim_start();
            if !word_start || !rest.starts_with('(') {
                continue;
            }
            let at = text.len() - rest.len() + 1;
            if let Some(p) = quoted(&text[at..]).next() {
                out.push(access(*touch, p, dynamic));
            }
        }
    }
    for (clause, touch) in SQL_FILE_CLAUSES {
        if let Some(i) = lower.find(clause) {
            if let Some(p) = quoted(&text[i + clause.len()..]).next() {
                out.push(access(*touch, p, dynamic));
            }
        }
    }
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(cmd) = words.next() else { continue };
        if let Some((_, touch)) = SQLITE_DOT.iter().find(|(d, _)| *d == cmd) {
            if let Some(p) = words.find(|w| !w.starts_with('-')) {
                let p = p.trim_matches(['\'', '"']);
                out.push(access(*touch, p, dynamic));
            }
        }
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The contents of quoted strings (`'...'` or `"..."`), in order.
fn quoted(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let i = rest.find(['\'', '"'])?;
        let q = rest.as_bytes()[i];
        let body = &rest[i + 1..];
        let Some(j) = body.find(q as char) else {
            rest = "";
            return None;
        };
        rest = &body[j + 1..];
        Some(&body[..j])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(cmd: &str) -> Vec<(Touch, String)> {
        let argv: Vec<Word> = cmd
            .split(' ')
            .map(|t| Word {
                text: t.to_string(),
                dynamic: false,
            })
            .collect();
        let name = argv[0].text.clone();
        let c = SimpleCmd {
            argv,
            ..SimpleCmd::default()
        };
        let b = Base {
            cwd: "/w/app",
            workspace: "/w/app",
            home: Some("/home/u"),
        };
        accesses(&c, &name, &b)
            .into_iter()
            .map(|a| (a.touch, a.path.text))
            .collect()
    }

    #[test]
    fn git_object_paths_are_below_the_repository_top() {
        let p = paths("git -C /home/u show HEAD:.ssh/id_rsa");
        assert!(
            p.contains(&(Touch::Read, "/home/u/.ssh/id_rsa".into())),
            "{p:?}"
        );
        let p = paths("git show :0:.env");
        assert!(p.contains(&(Touch::Read, "/w/app/.env".into())), "{p:?}");
        assert!(paths("git push origin a:b").is_empty());
        assert!(paths("git show :/fix").is_empty());
        let p = paths("git archive HEAD src");
        assert_eq!(p, [(Touch::Read, "/w/app/src".into())]);
        let p = paths("git checkout HEAD -- a.txt");
        assert_eq!(p, [(Touch::Write, "/w/app/a.txt".into())]);
    }

    #[test]
    fn string_literals_and_argument_lists() {
        assert_eq!(
            string_runs(r#"import os; os.system("rm -rf x"); subprocess.run(['rm', '-fr', 'y'])"#),
            ["rm -rf x", "rm -fr y"]
        );
        assert_eq!(
            string_runs(r#"system("rm","-rf","z") if `id`"#),
            ["rm -rf z", "id"]
        );
        assert_eq!(string_runs("print(1)"), Vec::<String>::new());
        assert_eq!(
            string_runs(r#"os.system("\"r\"m -rf /srv")"#),
            [r#""r"m -rf /srv"#]
        );
    }

    #[test]
    fn scripts_and_patterns_are_not_files() {
        let w = |c: &str| -> Vec<Word> {
            c.split(' ')
                .map(|t| Word {
                    text: t.to_string(),
                    dynamic: false,
                })
                .collect()
        };
        assert_eq!(script_words("sed", &w("s/.*/x/ f")), ["s/.*/x/"]);
        assert_eq!(script_words("sed", &w("-n -e p f")), ["p"]);
        assert_eq!(script_words("grep", &w("-m 1 .* f")), [".*"]);
        assert_eq!(script_words("grep", &w("--color .* f")), [".*"]);
        assert_eq!(script_words("grep", &w("-e .* -e x f")), [".*", "x"]);
        assert!(script_words("grep", &w("-f pats f")).is_empty());
        assert!(script_words("cat", &w("f")).is_empty());
        assert!(script_words("rg", &w("--files ~/.ssh")).is_empty());
    }

    #[test]
    fn sed_scripts_name_files() {
        let got = |script: &str| {
            let mut out = Vec::new();
            sed_files(script, &mut out);
            out.into_iter()
                .map(|a| (a.touch, a.path.text))
                .collect::<Vec<_>>()
        };
        assert_eq!(got("r /etc/shadow"), [(Touch::Read, "/etc/shadow".into())]);
        assert_eq!(
            got("1r ~/.ssh/id_rsa"),
            [(Touch::Read, "~/.ssh/id_rsa".into())]
        );
        assert_eq!(got("/x/w /tmp/o"), [(Touch::Write, "/tmp/o".into())]);
        assert_eq!(
            got("s/a/b/w ~/.bashrc"),
            [(Touch::Write, "~/.bashrc".into())]
        );
        assert_eq!(got("s|a|b|gw /tmp/o"), [(Touch::Write, "/tmp/o".into())]);
        assert!(got("s/w x/y/g; p").is_empty());
    }

    #[test]
    fn sql_file_functions() {
        let p = paths("sqlite3 x.db SELECT_READFILE");
        assert!(p.is_empty());
        let mut out = Vec::new();
        sql(
            "select writefile('/tmp/o', ReadFile(\"/etc/shadow\"))",
            false,
            &mut out,
        );
        let got: Vec<_> = out
            .iter()
            .map(|a| (a.touch, a.path.text.as_str()))
            .collect();
        assert!(got.contains(&(Touch::Read, "/etc/shadow")), "{got:?}");
        assert!(got.contains(&(Touch::Write, "/tmp/o")), "{got:?}");
        out.clear();
        sql(".output /tmp/x\n.read ~/.x.sql", false, &mut out);
        assert_eq!(out.len(), 2);
        out.clear();
        sql("select 1 -- ready", false, &mut out);
        assert!(out.is_empty());
    }
}
