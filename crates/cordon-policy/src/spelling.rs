//! The many spellings of one command, for deny and ask rules.
//!
//! `Bash(rm -rf *)` names a program (`rm`), options (recursive, force) and
//! operands (any). A command matches when it runs that program (whatever
//! path names it: `/usr/bin/../bin/rm`, `//bin//rm`), with at least those
//! options in any spelling (`-fR`, `-r --force`, `--recursive --force`,
//! `-rfv`, options after operands as GNU programs take them: `rm build -rf`)
//! and operands that start with the rule's. Which short and long options mean
//! the same and which take a value is per-program knowledge: the table
//! [`PROGRAMS`]. Programs not in it get the generic reading (clusters of
//! letters split, `--name=value` split at `=`).
//!
//! ```text
//! rule  Bash(git push *)      program git, operands [push], any tail
//! cmd   git -C dir push -f    program git, options {-C dir, -f}, operands [push]  -> matches
//! cmd   git log push          operands [log, push]                               -> does not
//! ```
//!
//! Only deny and ask rules read commands this way: an allow rule matches the
//! text as written, so normalising never widens what is allowed.

use crate::rules::wildcard;

/// What cordon knows about one program's options.
pub(crate) struct Program {
    pub name: &'static str,
    /// Spellings of one option; the first is the canonical one.
    pub same: &'static [&'static [&'static str]],
    /// Options that take a value (the next word, `--opt=value`, or the rest
    /// of a short cluster: `-C/dir`). Any spelling of the option may be listed.
    pub takes_value: &'static [&'static str],
    /// GNU `getopt_long` and git: a unique prefix of a long option is that
    /// option (`--recur` is `--recursive`).
    pub abbrev: bool,
    /// Options are whole words after a single dash (`find -delete`,
    /// `kill -KILL`): never split into clusters.
    pub single_dash_words: bool,
    /// The first argument is a cluster of options without a dash (`tar xzf`).
    pub bundle_first: bool,
}

const fn prog(name: &'static str, same: &'static [&'static [&'static str]]) -> Program {
    Program {
        name,
        same,
        takes_value: &[],
        abbrev: true,
        single_dash_words: false,
        bundle_first: false,
    }
}

/// Option spellings of the programs rules most often name. Data, not code:
/// add a program here and every deny/ask rule naming it reads its options.
pub(crate) const PROGRAMS: &[Program] = &[
    prog(
        "rm",
        &[
            &["-r", "-R", "--recursive"],
            &["-f", "--force"],
            &["-i", "--interactive"],
            &["-d", "--dir"],
            &["-v", "--verbose"],
        ],
    ),
    Program {
        takes_value: &["-t", "--target-directory", "-S", "--suffix"],
        ..prog(
            "cp",
            &[
                &["-r", "-R", "--recursive"],
                &["-f", "--force"],
                &["-a", "--archive"],
                &["-t", "--target-directory"],
                &["-v", "--verbose"],
            ],
        )
    },
    Program {
        takes_value: &["-t", "--target-directory", "-S", "--suffix"],
        ..prog(
            "mv",
            &[
                &["-f", "--force"],
                &["-t", "--target-directory"],
                &["-v", "--verbose"],
            ],
        )
    },
    Program {
        takes_value: &["--reference"],
        ..prog("chmod", &[&["-R", "--recursive"], &["-v", "--verbose"]])
    },
    Program {
        takes_value: &["--reference", "--from"],
        ..prog(
            "chown",
            &[&["-R", "--recursive"], &["-h", "--no-dereference"]],
        )
    },
    Program {
        takes_value: &["--reference"],
        ..prog("chgrp", &[&["-R", "--recursive"]])
    },
    Program {
        takes_value: &["-n", "--iterations", "-s", "--size", "--random-source"],
        ..prog(
            "shred",
            &[
                &["-u", "--remove"],
                &["-f", "--force"],
                &["-z", "--zero"],
                &["-n", "--iterations"],
            ],
        )
    },
    Program {
        takes_value: &["-e", "--expression", "-f", "--file", "-l", "--line-length"],
        ..prog(
            "sed",
            &[
                &["-i", "--in-place"],
                &["-e", "--expression"],
                &["-f", "--file"],
                &["-n", "--quiet", "--silent"],
                &["-E", "-r", "--regexp-extended"],
            ],
        )
    },
    Program {
        takes_value: &["-f", "--file", "-C", "--directory", "-T", "--files-from"],
        bundle_first: true,
        ..prog(
            "tar",
            &[
                &["-x", "--extract", "--get"],
                &["-c", "--create"],
                &["-t", "--list"],
                &["-f", "--file"],
                &["-C", "--directory"],
                &["-z", "--gzip", "--gunzip", "--ungzip"],
                &["-j", "--bzip2"],
                &["-J", "--xz"],
                &["-v", "--verbose"],
                &["-O", "--to-stdout"],
            ],
        )
    },
    Program {
        // Global options (before the subcommand) and the common
        // subcommand options that take a value.
        takes_value: &[
            "-C",
            "-c",
            "--git-dir",
            "--work-tree",
            "--namespace",
            "--config-env",
            "--super-prefix",
            "--list-cmds",
            "-o",
            "--push-option",
            "--repo",
            "--receive-pack",
            "--exec",
            "-m",
            "--message",
            "-F",
            "--file",
            "-b",
            "-B",
            "--branch",
            "--origin",
            "--depth",
            "--upload-pack",
            "--template",
            "--separate-git-dir",
            "--reference",
            "-j",
            "--jobs",
        ],
        ..prog(
            "git",
            &[
                &["-f", "--force"],
                &["-p", "--paginate"],
                &["-P", "--no-pager"],
                &["-d", "--delete"],
                &["-D"],
                &["-n", "--dry-run"],
                &["-u", "--set-upstream"],
                &["-m", "--message"],
                &["-a", "--all"],
                &["-x"],
                &["-q", "--quiet"],
                &["-v", "--verbose"],
            ],
        )
    },
    Program {
        takes_value: &[
            "-d",
            "--data",
            "--data-binary",
            "--data-raw",
            "--data-urlencode",
            "--data-ascii",
            "-F",
            "--form",
            "-H",
            "--header",
            "-X",
            "--request",
            "-o",
            "--output",
            "-u",
            "--user",
            "-A",
            "--user-agent",
            "-e",
            "--referer",
            "-b",
            "--cookie",
            "-c",
            "--cookie-jar",
            "-T",
            "--upload-file",
            "-x",
            "--proxy",
            "-m",
            "--max-time",
            "--connect-timeout",
            "-w",
            "--write-out",
            "-K",
            "--config",
            "--url",
            "--resolve",
            "--retry",
        ],
        abbrev: false,
        ..prog(
            "curl",
            &[
                &["-X", "--request"],
                &["-d", "--data"],
                &["-F", "--form"],
                &["-T", "--upload-file"],
                &["-o", "--output"],
                &["-O", "--remote-name"],
                &["-L", "--location"],
                &["-k", "--insecure"],
                &["-s", "--silent"],
                &["-S", "--show-error"],
                &["-f", "--fail"],
                &["-H", "--header"],
            ],
        )
    },
    Program {
        takes_value: &[
            "-O",
            "--output-document",
            "-o",
            "--output-file",
            "-P",
            "--directory-prefix",
            "-U",
            "--user-agent",
            "--header",
            "--post-data",
            "--post-file",
            "--body-data",
            "--body-file",
            "--method",
        ],
        ..prog(
            "wget",
            &[
                &["-O", "--output-document"],
                &["-q", "--quiet"],
                &["-r", "--recursive"],
                &["-c", "--continue"],
            ],
        )
    },
    Program {
        takes_value: &[
            "-i", "-p", "-P", "-o", "-l", "-F", "-J", "-L", "-R", "-D", "-b", "-c", "-E", "-e",
            "-m", "-O", "-Q", "-S", "-W", "-w", "-B", "-I",
        ],
        abbrev: false,
        ..prog("ssh", &[])
    },
    Program {
        takes_value: &["-i", "-P", "-o", "-l", "-F", "-J", "-S", "-c"],
        abbrev: false,
        ..prog("scp", &[&["-r"], &["-p"]])
    },
    Program {
        takes_value: &[
            "-e",
            "--rsh",
            "--exclude",
            "--include",
            "--files-from",
            "--exclude-from",
            "--include-from",
            "--rsync-path",
            "-f",
            "--filter",
            "--chmod",
            "--chown",
            "-T",
            "--temp-dir",
            "--backup-dir",
            "--suffix",
            "--port",
            "--password-file",
        ],
        ..prog(
            "rsync",
            &[
                &["-a", "--archive"],
                &["-r", "--recursive"],
                &["-e", "--rsh"],
                &["-z", "--compress"],
                &["-v", "--verbose"],
                &["-n", "--dry-run"],
            ],
        )
    },
    Program {
        takes_value: GREP_VALUES,
        ..prog("grep", GREP_SAME)
    },
    Program {
        takes_value: &[
            "-e",
            "--regexp",
            "-f",
            "--file",
            "-g",
            "--glob",
            "-t",
            "--type",
            "-T",
            "--type-not",
            "-m",
            "--max-count",
            "-A",
            "-B",
            "-C",
            "--context",
            "-j",
            "--threads",
            "-M",
            "--max-columns",
            "--max-depth",
            "-r",
            "--replace",
        ],
        abbrev: false,
        ..prog("rg", &[&["-e", "--regexp"], &["-f", "--file"]])
    },
    Program {
        single_dash_words: true,
        abbrev: false,
        takes_value: &["-s", "-n"],
        ..prog("kill", &[&["-9", "-KILL", "-SIGKILL", "-kill", "-sigkill"]])
    },
    Program {
        single_dash_words: true,
        abbrev: false,
        takes_value: &["-s", "-n", "-u", "-U", "-g", "-G", "-t", "-P"],
        ..prog("pkill", &[&["-9", "-KILL", "-SIGKILL"]])
    },
    Program {
        single_dash_words: true,
        abbrev: false,
        takes_value: &["-s", "-u", "-o", "-y"],
        ..prog("killall", &[&["-9", "-KILL", "-SIGKILL"]])
    },
    Program {
        single_dash_words: true,
        abbrev: false,
        takes_value: &[
            "-name",
            "-iname",
            "-path",
            "-ipath",
            "-type",
            "-newer",
            "-mtime",
            "-mmin",
            "-maxdepth",
            "-mindepth",
            "-user",
            "-group",
            "-perm",
            "-size",
            "-regex",
            "-exec",
            "-execdir",
            "-ok",
            "-okdir",
            "-printf",
            "-fprintf",
            "-fprint",
            "-wholename",
        ],
        ..prog("find", &[])
    },
    Program {
        takes_value: &[
            "-H",
            "--host",
            "--context",
            "--config",
            "-l",
            "--log-level",
            "-v",
            "--volume",
            "-e",
            "--env",
            "--env-file",
            "--name",
            "-p",
            "--publish",
            "-u",
            "--user",
            "-w",
            "--workdir",
            "--network",
            "--net",
            "--entrypoint",
            "--mount",
            "--pid",
            "--ipc",
            "--cap-add",
            "--cap-drop",
            "--security-opt",
            "--device",
            "-m",
            "--memory",
            "--cpus",
            "--platform",
            "--label",
            "-f",
            "--filter",
            "--format",
            "-t",
            "--tag",
            "--build-arg",
            "--target",
            "--file",
        ],
        abbrev: false,
        ..prog(
            "docker",
            &[
                &["-v", "--volume"],
                &["-e", "--env"],
                &["-u", "--user"],
                &["-f", "--force"],
                &["-d", "--detach"],
                &["-i", "--interactive"],
                &["-t", "--tty"],
            ],
        )
    },
    Program {
        takes_value: &[
            "-u",
            "--user",
            "-g",
            "--group",
            "-C",
            "--close-from",
            "-D",
            "--chdir",
            "-h",
            "--host",
            "-p",
            "--prompt",
            "-r",
            "--role",
            "-t",
            "--type",
            "-T",
            "--command-timeout",
            "-U",
            "--other-user",
        ],
        ..prog(
            "sudo",
            &[
                &["-u", "--user"],
                &["-i", "--login"],
                &["-s", "--shell"],
                &["-E", "--preserve-env"],
            ],
        )
    },
    Program {
        takes_value: &[
            "--prefix",
            "-w",
            "--workspace",
            "--registry",
            "--otp",
            "--tag",
            "--access",
        ],
        ..prog(
            "npm",
            &[
                &["-g", "--global"],
                &["-f", "--force"],
                &["-D", "--save-dev"],
            ],
        )
    },
    Program {
        takes_value: &[
            "-r",
            "--requirement",
            "-c",
            "--constraint",
            "-i",
            "--index-url",
            "--extra-index-url",
            "-t",
            "--target",
            "--prefix",
            "--root",
            "-e",
            "--editable",
        ],
        ..prog(
            "pip",
            &[
                &["-U", "--upgrade"],
                &["-r", "--requirement"],
                &["-e", "--editable"],
            ],
        )
    },
];

const GREP_SAME: &[&[&str]] = &[
    &["-e", "--regexp"],
    &["-f", "--file"],
    &["-r", "--recursive"],
    &["-R", "--dereference-recursive"],
    &["-i", "--ignore-case"],
    &["-m", "--max-count"],
];
const GREP_VALUES: &[&str] = &[
    "-e",
    "--regexp",
    "-f",
    "--file",
    "-m",
    "--max-count",
    "-A",
    "--after-context",
    "-B",
    "--before-context",
    "-C",
    "--context",
    "-d",
    "--directories",
    "-D",
    "--devices",
    "--include",
    "--exclude",
    "--exclude-dir",
    "--exclude-from",
    "--label",
];

/// Multi-call binaries: the first argument names the program that runs.
const MULTI_CALL: &[&str] = &["busybox", "toybox"];

/// Programs that read their options as another does.
const SAME_OPTIONS_AS: &[(&str, &str)] = &[("egrep", "grep"), ("fgrep", "grep"), ("zgrep", "grep")];

pub(crate) fn program(name: &str) -> Option<&'static Program> {
    let name = SAME_OPTIONS_AS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(name, |(_, as_)| as_);
    PROGRAMS.iter().find(|p| p.name == name)
}

impl Program {
    fn group(&self, opt: &str) -> Option<&'static [&'static str]> {
        self.same.iter().copied().find(|g| g.contains(&opt))
    }

    /// The canonical spelling of an option word (without any `=value`).
    fn canonical(&self, opt: &str) -> String {
        if let Some(g) = self.group(opt) {
            return g[0].to_string();
        }
        if self.abbrev && opt.starts_with("--") && opt.len() > 3 {
            let longs = self
                .same
                .iter()
                .flat_map(|g| g.iter())
                .chain(self.takes_value)
                .filter(|l| l.starts_with("--") && l.starts_with(opt));
            let mut found: Option<&str> = None;
            for l in longs {
                let c = self.group(l).map_or(*l, |g| g[0]);
                match found {
                    Some(f) if f != c => return opt.to_string(), // ambiguous
                    _ => found = Some(c),
                }
            }
            if let Some(c) = found {
                return c.to_string();
            }
        }
        opt.to_string()
    }

    fn takes_value(&self, canonical: &str) -> bool {
        self.takes_value
            .iter()
            .any(|t| *t == canonical || self.group(t).is_some_and(|g| g[0] == canonical))
    }
}

/// One command (or one rule) read as program, options and operands.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Shape {
    pub program: String,
    /// Canonical option spellings, with their value when they take one.
    pub opts: Vec<(String, Option<String>)>,
    pub operands: Vec<String>,
}

/// The program a command word names: the bare name for any path to it
/// (`/usr/bin/../bin/rm`, `//bin//rm`, `./rm`): deny and ask rules name the
/// program, wherever it was found.
pub(crate) fn program_name(word: &str) -> &str {
    let word = looked_up(word).unwrap_or(word);
    word.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(word)
}

/// Commands that print where a program is: `$(which rm)` runs `rm`.
const LOOKUPS: &[&[&str]] = &[
    &["which"],
    &["command", "-v"],
    &["command", "-V"],
    &["type", "-P"],
    &["type", "-p"],
    &["whereis", "-b"],
];

/// The program named by a lookup substitution (`$(which rm)`,
/// `` `command -v rm` ``).
fn looked_up(word: &str) -> Option<&str> {
    let inner = word
        .strip_prefix("$(")
        .and_then(|w| w.strip_suffix(')'))
        .or_else(|| word.strip_prefix('`').and_then(|w| w.strip_suffix('`')))?;
    let words: Vec<&str> = inner.split_whitespace().collect();
    let (name, lookup) = words.split_last()?;
    LOOKUPS.contains(&lookup).then_some(*name)
}

/// The program a command runs, without allocating: the bare name of its
/// first word, or of the applet a multi-call binary runs.
pub(crate) fn program_of<'a>(argv: &[&'a str]) -> &'a str {
    let mut i = 0;
    while argv
        .get(i)
        .is_some_and(|w| MULTI_CALL.contains(&program_name(w)))
        && i + 1 < argv.len()
    {
        i += 1;
    }
    argv.get(i).map_or("", |w| program_name(w))
}

/// Read argv as a [`Shape`].
pub(crate) fn shape<S: AsRef<str>>(argv: &[S]) -> Shape {
    let mut words: Vec<&str> = argv.iter().map(|w| w.as_ref()).collect();
    let mut name = words.first().map_or("", |w| program_name(w));
    while MULTI_CALL.contains(&name) && words.len() > 1 {
        words.remove(0);
        name = program_name(words[0]);
    }
    let prog = program(name);
    let mut out = Shape {
        program: name.to_string(),
        ..Shape::default()
    };
    let args = words.get(1..).unwrap_or(&[]);
    let mut i = 0;
    let mut end = false;
    while i < args.len() {
        let a = args[i];
        i += 1;
        if end || a == "-" || !a.starts_with('-') {
            if i == 1 && prog.is_some_and(|p| p.bundle_first) && !a.is_empty() && !end {
                i = cluster(prog, &format!("-{a}"), args, i, &mut out);
                continue;
            }
            out.operands.push(norm_operand(a));
            continue;
        }
        if a == "--" {
            end = true;
            continue;
        }
        let long = a.starts_with("--") || prog.is_some_and(|p| p.single_dash_words);
        if long {
            let (n, v) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (a, None),
            };
            let c = prog.map_or_else(|| n.to_string(), |p| p.canonical(n));
            let v = match v {
                None if prog.is_some_and(|p| p.takes_value(&c)) && i < args.len() => {
                    i += 1;
                    Some(args[i - 1].to_string())
                }
                v => v,
            };
            out.opts.push((c, v));
        } else {
            i = cluster(prog, a, args, i, &mut out);
        }
    }
    if out.program == "git" {
        if let Some(argv) = git_alias(&out) {
            let mut expanded = shape(&argv);
            expanded.opts.append(&mut out.opts);
            return expanded;
        }
        git_push_refspecs(&mut out);
    }
    alias_subcommand(&mut out);
    out
}

/// Subcommands spelled another way: (program, words, the words they mean).
const SUB_ALIASES: &[(&str, &[&str], &[&str])] = &[
    ("docker", &["container", "run"], &["run"]),
    ("docker", &["container", "exec"], &["exec"]),
    ("docker", &["container", "create"], &["create"]),
    ("docker", &["container", "rm"], &["rm"]),
    ("docker", &["container", "kill"], &["kill"]),
    ("docker", &["image", "rm"], &["rmi"]),
    ("docker", &["image", "push"], &["push"]),
    ("docker", &["image", "build"], &["build"]),
    ("docker", &["builder", "build"], &["build"]),
    ("podman", &["container", "run"], &["run"]),
    ("podman", &["container", "exec"], &["exec"]),
    ("npm", &["i"], &["install"]),
    ("npm", &["add"], &["install"]),
    ("npm", &["isntall"], &["install"]),
    ("npm", &["in"], &["install"]),
    ("npm", &["rm"], &["uninstall"]),
    ("npm", &["r"], &["uninstall"]),
    ("npm", &["un"], &["uninstall"]),
    ("npm", &["remove"], &["uninstall"]),
    ("npm", &["run-script"], &["run"]),
    ("npm", &["rum"], &["run"]),
    ("npm", &["urn"], &["run"]),
    ("npm", &["x"], &["exec"]),
    ("npm", &["t"], &["test"]),
    ("npm", &["tst"], &["test"]),
    ("cargo", &["b"], &["build"]),
    ("cargo", &["c"], &["check"]),
    ("cargo", &["t"], &["test"]),
    ("cargo", &["r"], &["run"]),
    ("cargo", &["d"], &["doc"]),
    ("kubectl", &["del"], &["delete"]),
];

/// The canonical words of an aliased subcommand (`docker container run` ->
/// `docker run`, `npm i` -> `npm install`).
fn alias_subcommand(s: &mut Shape) {
    let hit = SUB_ALIASES.iter().find(|(p, from, _)| {
        *p == s.program
            && s.operands.len() >= from.len()
            && from.iter().zip(&s.operands).all(|(a, b)| a == b)
    });
    if let Some((_, from, to)) = hit {
        s.operands
            .splice(..from.len(), to.iter().map(|t| t.to_string()));
    }
}

/// `git push origin +main` forces like `--force` (so do `--force-with-lease`
/// and `--force-if-includes`); `git push origin :main` deletes like
/// `--delete`.
fn git_push_refspecs(s: &mut Shape) {
    if s.operands.first().map(String::as_str) != Some("push") {
        return;
    }
    let lease = s
        .opts
        .iter()
        .any(|(o, _)| o.starts_with("--force-with-lease") || o.starts_with("--force-if-includes"));
    let plus = s.operands[1..].iter().any(|o| o.starts_with('+'));
    let colon = s.operands[1..]
        .iter()
        .any(|o| o.starts_with(':') && o.len() > 1);
    if lease || plus {
        s.opts.push(("-f".to_string(), None));
    }
    if colon {
        s.opts.push(("-d".to_string(), None));
    }
}

/// An operand with a path in it, lexically normalised (`//`, `/./`, `a/..`,
/// a trailing `/`, a leading `./`), so `rm -rf //` and `rm -rf /tmp/..` are
/// `rm -rf /`.
pub(crate) fn norm_operand(a: &str) -> String {
    if !a.contains('/') || a.contains("://") {
        return a.to_string();
    }
    let abs = a.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in a.split('/') {
        match seg {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if abs => {}
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (abs, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// `git -c alias.p=push p` runs `git push`: the alias's words in place of
/// the subcommand (shell aliases, `!cmd`, are command lines: see readers.rs).
fn git_alias(s: &Shape) -> Option<Vec<String>> {
    let sub = s.operands.first()?;
    let value = s.opts.iter().rev().find_map(|(o, v)| {
        let (k, val) = v.as_deref().filter(|_| o == "-c")?.split_once('=')?;
        let name = k
            .get(6..)
            .filter(|_| k[..6].eq_ignore_ascii_case("alias."))?;
        name.eq_ignore_ascii_case(sub).then_some(val)
    })?;
    if value.starts_with('!') {
        return None;
    }
    let mut argv = vec!["git".to_string()];
    argv.extend(value.split_whitespace().map(str::to_string));
    argv.extend(s.operands[1..].iter().cloned());
    Some(argv)
}

/// A short-option cluster `-abc` (already known to start with `-`); returns
/// the index of the next word to read.
fn cluster(prog: Option<&Program>, a: &str, args: &[&str], mut i: usize, out: &mut Shape) -> usize {
    let body = &a[1..];
    let splittable = match prog {
        Some(_) => !body.is_empty(),
        None => !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphabetic()),
    };
    if !splittable {
        out.opts.push((a.to_string(), None));
        return i;
    }
    for (k, ch) in body.char_indices() {
        let o = format!("-{ch}");
        let c = prog.map_or_else(|| o.clone(), |p| p.canonical(&o));
        if prog.is_some_and(|p| p.takes_value(&c)) {
            let rest = &body[k + ch.len_utf8()..];
            let v = if !rest.is_empty() {
                Some(rest.trim_start_matches('=').to_string())
            } else if i < args.len() {
                i += 1;
                Some(args[i - 1].to_string())
            } else {
                None
            };
            out.opts.push((c, v));
            return i;
        }
        out.opts.push((c, None));
    }
    i
}

/// A rule's pattern read as a shape: words without `*` except a final lone
/// `*` (any further words) and `*` inside operands. Patterns with `*` in the
/// middle (`git * main`) or in an option have no shape (they are matched as
/// text only).
#[derive(Clone, Debug)]
pub(crate) struct RuleShape {
    shape: Shape,
    tail: bool,
}

impl RuleShape {
    pub fn parse(pattern: &str, tail: bool) -> Option<RuleShape> {
        let mut words: Vec<&str> = pattern.split(' ').filter(|w| !w.is_empty()).collect();
        let tail = if words.last() == Some(&"*") {
            words.pop();
            true
        } else {
            tail
        };
        if words.is_empty() || words[0].contains('*') {
            return None;
        }
        if words
            .iter()
            .any(|w| *w == "*" || (w.starts_with('-') && w.contains('*')))
        {
            return None;
        }
        Some(RuleShape {
            shape: shape(&words),
            tail,
        })
    }

    /// The command has this program, at least these options (values equal
    /// where the rule gives one) and operands starting with these.
    pub fn matches(&self, cmd: &Shape) -> bool {
        let r = &self.shape;
        r.program == cmd.program
            && (if self.tail {
                cmd.operands.len() >= r.operands.len()
            } else {
                cmd.operands.len() == r.operands.len()
            })
            && r.operands
                .iter()
                .zip(&cmd.operands)
                .all(|(p, s)| wildcard(p.as_bytes(), s.as_bytes()))
            && r.opts.iter().all(|(o, v)| {
                cmd.opts.iter().any(|(co, cv)| {
                    co == o
                        && match (v, cv) {
                            (None, _) => true,
                            (Some(v), Some(cv)) => wildcard(v.as_bytes(), cv.as_bytes()),
                            (Some(_), None) => false,
                        }
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(s: &Shape) -> Vec<&str> {
        let mut v: Vec<&str> = s.opts.iter().map(|(o, _)| o.as_str()).collect();
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn rm_spellings_read_alike() {
        for cmd in [
            "rm -rf x",
            "rm -fR x",
            "rm -r --force x",
            "rm x -rf",
            "rm --recursive --force x",
            "rm --recur --forc x",
            "/usr/bin/../bin/rm -r -f x",
            "busybox rm -Rf x",
        ] {
            let s = shape(&cmd.split(' ').collect::<Vec<_>>());
            assert_eq!(s.program, "rm", "{cmd}");
            assert_eq!(opts(&s), ["-f", "-r"], "{cmd}");
            assert_eq!(s.operands, ["x"], "{cmd}");
        }
        let s = shape(&["rm", "--", "-rf"]);
        assert!(s.opts.is_empty());
        assert_eq!(s.operands, ["-rf"]);
    }

    #[test]
    fn git_global_options_take_their_values() {
        for cmd in [
            "git -C /srv push origin",
            "git --git-dir=/x/.git push origin",
            "git --git-dir /x/.git push origin",
            "git -c user.name=x push origin",
            "git -Cdir push origin",
            "git --no-pager push origin",
        ] {
            let s = shape(&cmd.split(' ').collect::<Vec<_>>());
            assert_eq!(s.operands, ["push", "origin"], "{cmd}");
        }
    }

    #[test]
    fn rule_shapes() {
        let r = RuleShape::parse("git push", true).unwrap();
        assert!(r.matches(&shape(&["git", "-C", "d", "push", "-f"])));
        assert!(!r.matches(&shape(&["git", "log", "push"])));
        assert!(!r.matches(&shape(&["git", "push-all"])));
        assert!(RuleShape::parse("git * main", false).is_none());
        assert!(RuleShape::parse("rm -rf*", false).is_none());
        let r = RuleShape::parse("tar -xf *", false).unwrap();
        assert!(r.matches(&shape(&["tar", "xzf", "a.tgz"])));
        assert!(r.matches(&shape(&["tar", "--extract", "--file=a.tgz"])));
        let r = RuleShape::parse("git push --force *", false).unwrap();
        assert!(r.matches(&shape(&["git", "push", "origin", "+main"])));
        assert!(r.matches(&shape(&["git", "push", "--force-with-lease"])));
        assert!(!r.matches(&shape(&["git", "push", "origin", "main"])));
        let r = RuleShape::parse("docker run --privileged *", false).unwrap();
        assert!(r.matches(&shape(&[
            "docker",
            "container",
            "run",
            "--privileged=true",
            "x"
        ])));
        let r = RuleShape::parse("rm -rf /", false).unwrap();
        for op in ["//", "/.", "/tmp/..", "///", "/./"] {
            assert!(r.matches(&shape(&["rm", "-rf", op])), "{op}");
        }
        assert!(!r.matches(&shape(&["rm", "-rf", "/tmp"])));
        assert_eq!(norm_operand("./a//b/../c/"), "a/c");
        assert_eq!(norm_operand("../x"), "../x");
        let r = RuleShape::parse("kill -9 *", false).unwrap();
        assert!(r.matches(&shape(&["kill", "-KILL", "1"])));
    }
}
