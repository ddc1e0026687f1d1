//! Shell analysis: turn a Bash command line into the simple commands it runs.
//!
//! Every simple command is found wherever it hides: lists (`&&`, `||`, `;`,
//! `&`), pipelines, subshells, `{ ...; }`, `$(...)`, backticks, process
//! substitution, here-docs fed to a shell, loops and functions, strings given
//! to `bash -c`/`sh -c`/`su -c`/`eval` (parsed again, recursively), the
//! command run by `xargs` and `find -exec`, and the command behind wrappers
//! (`env`, `nice`, `timeout`, `nohup`, `sudo`, `command`, `builtin`, `exec`,
//! `time`, ...). The wrapper itself is kept as a simple command of its own, so
//! both `sudo` (privilege) and what it runs are judged.
//!
//! Whatever cannot be known before it runs (a command name built from a
//! variable, `eval "$x"`, a shell reading a script from a pipe, a parse error)
//! is recorded in [`Parsed::notes`] so the decision never auto-allows it.

use crate::class::RiskClass;
use crate::table;
use std::sync::Mutex;
use tree_sitter::{Node, Parser};

/// How deep `bash -c "bash -c '...'"` may nest before cordon stops looking.
const MAX_DEPTH: usize = 6;

/// One word of a command, after quote removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The text; expansions keep their source text (`$x`, `$(cmd)`).
    pub text: String,
    /// True when part of it is only known at run time (variables, substitutions).
    pub dynamic: bool,
}

impl Word {
    fn lit(s: &str) -> Word {
        Word {
            text: s.to_string(),
            dynamic: false,
        }
    }
}

/// A redirection of a simple command.
#[derive(Clone, Debug)]
pub struct Redirect {
    /// `>`, `>>`, `>|`, `&>`: the target is written.
    pub write: bool,
    pub target: Word,
}

/// One simple command with its words and redirections.
#[derive(Clone, Debug, Default)]
pub struct SimpleCmd {
    pub argv: Vec<Word>,
    /// `NAME=value` assignments before the command name.
    pub env: Vec<(String, Word)>,
    pub redirects: Vec<Redirect>,
    /// Its standard input comes from an earlier stage of a pipeline.
    pub piped: bool,
    /// Its standard output feeds a later stage of a pipeline (unless a
    /// redirection of its own sends it elsewhere).
    pub pipes_out: bool,
    /// Here-doc or here-string text given on standard input.
    pub stdin_text: Option<String>,
    /// The constructs it was found through (`bash -c`, `sudo`, `xargs`...), outermost first.
    pub via: Vec<String>,
    /// Extra arguments are appended at run time (`xargs`).
    pub extra_args: bool,
}

impl SimpleCmd {
    /// The command name without its directory (`/usr/bin/sudo` -> `sudo`).
    pub fn name(&self) -> &str {
        self.argv
            .first()
            .map(|w| w.text.rsplit('/').next().unwrap_or(&w.text))
            .unwrap_or("")
    }
    /// The words joined by single spaces: what Bash rules are matched against.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (i, w) in self.argv.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&w.text);
        }
        s
    }
}

/// Something about the command line that cannot be checked in advance.
#[derive(Clone, Debug)]
pub struct Note {
    pub class: RiskClass,
    pub text: String,
}

/// The result of analysing one command line.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub cmds: Vec<SimpleCmd>,
    pub notes: Vec<Note>,
    /// Shell text found while walking that must be parsed again (nested backticks).
    pending: Vec<String>,
}

impl Parsed {
    fn note(&mut self, class: RiskClass, text: impl Into<String>) {
        self.notes.push(Note {
            class,
            text: text.into(),
        });
    }
}

/// A reusable tree-sitter parser (creating one is cheap but not free).
#[derive(Default)]
pub struct ShellParser {
    slot: Mutex<Option<Parser>>,
}

impl std::fmt::Debug for ShellParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShellParser")
    }
}

impl ShellParser {
    /// Analyse a command line.
    pub fn analyse(&self, src: &str) -> Parsed {
        let mut out = Parsed::default();
        self.parse_into(src, 0, &[], &mut out);
        out
    }

    fn parse_into(&self, src: &str, depth: usize, via: &[String], out: &mut Parsed) {
        if depth > MAX_DEPTH {
            out.note(
                RiskClass::Opaque,
                format!("shell strings nest more than {MAX_DEPTH} levels deep"),
            );
            return;
        }
        let start = out.cmds.len();
        if let Some(cmds) = fast_lex(src) {
            out.cmds.extend(cmds);
        } else if is_plain(src) {
            let mut cmd = SimpleCmd::default();
            for word in src.split_whitespace() {
                match word.split_once('=') {
                    Some((name, value)) if cmd.argv.is_empty() && is_var_name(name) => {
                        cmd.env.push((name.to_string(), Word::lit(value)))
                    }
                    _ => cmd.argv.push(Word::lit(word)),
                }
            }
            if !cmd.argv.is_empty() || !cmd.env.is_empty() {
                if cmd.argv.is_empty() {
                    cmd.argv.push(Word::lit(":"));
                }
                out.cmds.push(cmd);
            }
        } else {
            // Take the cached parser, or make one if another thread holds it.
            let cached = self.slot.lock().ok().and_then(|mut g| g.take());
            let mut parser = cached.unwrap_or_else(new_parser);
            let tree = parser.parse(src, None);
            if let Ok(mut g) = self.slot.lock() {
                *g = Some(parser);
            }
            match tree {
                Some(tree) => {
                    let root = tree.root_node();
                    if root.has_error() {
                        out.note(
                            RiskClass::Opaque,
                            "the command does not parse as shell, so it cannot be checked",
                        );
                    }
                    let mut w = Walker { src, out };
                    w.visit(root, false, None);
                    let pending = std::mem::take(&mut out.pending);
                    for text in pending {
                        self.parse_into(&text, depth + 1, &[String::from("backticks")], out);
                    }
                }
                None => out.note(RiskClass::Opaque, "the shell parser gave up"),
            }
        }
        // Unwrap wrappers and recurse into shell strings for the new commands.
        let raw: Vec<SimpleCmd> = out.cmds.drain(start..).collect();
        for mut c in raw {
            let mut v = via.to_vec();
            v.append(&mut c.via);
            c.via = v;
            self.unwrap(c, depth, out);
        }
    }

    /// Push `c`, then whatever it runs (wrappers, `-c` strings, `-exec`).
    fn unwrap(&self, c: SimpleCmd, depth: usize, out: &mut Parsed) {
        let name = c.name().to_string();
        if c.argv.first().is_some_and(|w| w.dynamic) {
            out.note(
                RiskClass::Opaque,
                format!(
                    "the command name `{}` is only known at run time",
                    c.argv[0].text
                ),
            );
        }
        let mut inner = inner_command(&name, &c);
        if KEYWORDS.contains(&name.as_str()) {
            // tree-sitter reads `env A=1 if x; then rm ...` as a command named
            // `then`; bash calls it a syntax error. Judge what follows anyway.
            out.note(
                RiskClass::Opaque,
                format!(
                    "`{name}` is a shell keyword used as a command: the line is not valid shell"
                ),
            );
            inner = Inner::Argv {
                start: 1,
                extra: false,
            };
        }
        let via_here = |label: &str| {
            let mut v = c.via.clone();
            v.push(label.to_string());
            v
        };
        match inner {
            Inner::None => {}
            Inner::Argv { start, extra } => {
                // Leading `NAME=value` words: judge what follows them too
                // (`nice A=1 rm` cannot run `rm`, but be safe).
                let mut start = start;
                let mut env = Vec::new();
                while let Some(w) = c.argv.get(start) {
                    match w.text.split_once('=') {
                        Some((n, v)) if is_var_name(n) => {
                            env.push((
                                n.to_string(),
                                Word {
                                    text: v.to_string(),
                                    dynamic: w.dynamic,
                                },
                            ));
                            start += 1;
                        }
                        _ => break,
                    }
                }
                let sub = SimpleCmd {
                    argv: c.argv[start..].to_vec(),
                    env,
                    redirects: Vec::new(),
                    piped: c.piped,
                    // `nice yes > f | cat`: the wrapper's redirection is the
                    // wrapped command's.
                    pipes_out: c.pipes_out && !c.redirects.iter().any(|r| r.write),
                    stdin_text: c.stdin_text.clone(),
                    via: via_here(&name),
                    extra_args: extra || c.extra_args,
                };
                if !sub.argv.is_empty() {
                    self.unwrap(sub, depth + 1, out);
                }
            }
            Inner::Exec(ranges) => {
                // `{}` stands for the files found below find's start path.
                let root = c.argv[1..]
                    .iter()
                    .take_while(|w| !w.text.starts_with('-') && w.text != "(" && w.text != "!")
                    .next()
                    .cloned()
                    .unwrap_or_else(|| Word::lit("."));
                for (a, b) in ranges {
                    let argv = c.argv[a..b]
                        .iter()
                        .map(|w| {
                            if w.text.contains("{}") {
                                Word {
                                    text: w.text.replace(
                                        "{}",
                                        &format!("{}/*", root.text.trim_end_matches('/')),
                                    ),
                                    dynamic: w.dynamic || root.dynamic,
                                }
                            } else {
                                w.clone()
                            }
                        })
                        .collect();
                    let sub = SimpleCmd {
                        argv,
                        via: via_here("find -exec"),
                        ..SimpleCmd::default()
                    };
                    if !sub.argv.is_empty() {
                        self.unwrap(sub, depth + 1, out);
                    }
                }
            }
            Inner::Script { text, label } => match text {
                Some(w) if !w.dynamic => self.parse_into(&w.text, depth + 1, &via_here(label), out),
                Some(w) => out.note(
                    RiskClass::Opaque,
                    format!("`{name}` runs a string built at run time ({})", w.text),
                ),
                None => out.note(
                    RiskClass::Opaque,
                    format!("`{name}` runs a script that cannot be read in advance"),
                ),
            },
            Inner::Stdin => {
                if let Some(t) = &c.stdin_text {
                    let t = t.clone();
                    self.parse_into(&t, depth + 1, &via_here("here-doc"), out);
                }
                // A shell reading a script from a pipe is judged in classify
                // (remote code execution when the pipe carries a download).
            }
        }
        // Commands carried in variables, options and scripts (`PAGER=cmd`, `sed e`): exec.rs.
        for (label, text) in crate::exec::carried(&c) {
            self.parse_into(&text, depth + 1, &via_here(&label), out);
        }
        out.cmds.push(c);
    }
}

fn new_parser() -> Parser {
    let mut p = Parser::new();
    p.set_language(&tree_sitter_bash::LANGUAGE.into())
        .expect("the bundled tree-sitter-bash grammar matches the tree-sitter version");
    p
}

/// Shell keywords that cannot name a command.
const KEYWORDS: &[&str] = &[
    "then", "else", "elif", "fi", "do", "done", "esac", "in", "{", "}", "if", "while", "until",
    "for", "case", "select", "function", "!", "[[", "coproc",
];

/// Reserved words that start compound commands: left to tree-sitter.
const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "function", "select", "[[", "]]", "[", "!", "{", "}", "time", "coproc", "export", "declare",
    "local", "readonly", "typeset", "unset",
];

/// A hand-written lexer for the common, simple subset of shell: words, single
/// quotes, double quotes without expansions, backslash escapes, `|`, `||`,
/// `&&`, `;`, `&` and plain redirections. Anything else (`$`, backticks,
/// parentheses, braces other than `{}`, here-docs, newlines, comments,
/// reserved words...) returns `None` and goes to tree-sitter. Skipping the
/// parser for these lines is what keeps a decision in microseconds; a test
/// checks both paths agree.
fn fast_lex(src: &str) -> Option<Vec<SimpleCmd>> {
    let b = src.as_bytes();
    let mut cmds: Vec<SimpleCmd> = Vec::new();
    let mut cur = SimpleCmd::default();
    let mut words: Vec<Word> = Vec::new();
    let mut i = 0;
    let mut piped = false;
    // Finish the current simple command.
    fn finish(
        words: &mut Vec<Word>,
        cur: &mut SimpleCmd,
        cmds: &mut Vec<SimpleCmd>,
        piped: bool,
    ) -> Option<()> {
        let mut argv = Vec::new();
        for w in words.drain(..) {
            match w.text.split_once('=') {
                Some((n, v)) if argv.is_empty() && is_var_name(n) && !w.dynamic => {
                    cur.env.push((n.to_string(), Word::lit(v)))
                }
                _ => argv.push(w),
            }
        }
        if argv.is_empty() && cur.env.is_empty() && cur.redirects.is_empty() {
            return None; // empty command between operators: let tree-sitter judge
        }
        if let Some(first) = argv.first() {
            if RESERVED.contains(&first.text.as_str()) {
                return None;
            }
        } else {
            argv.push(Word::lit(":"));
        }
        let mut c = std::mem::take(cur);
        c.argv = argv;
        c.piped = piped;
        cmds.push(c);
        Some(())
    }
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' => i += 1,
            b'|' | b';' | b'&' => {
                let two = b.get(i + 1).copied();
                let (op_len, next_piped) = match (b[i], two) {
                    (b'|', Some(b'|')) | (b'&', Some(b'&')) => (2, false),
                    (b'|', Some(b'&')) | (b';', Some(b';')) | (b'&', Some(b'>')) => return None,
                    (b'|', _) => (1, true),
                    _ => (1, false),
                };
                finish(&mut words, &mut cur, &mut cmds, piped)?;
                if next_piped {
                    if let Some(last) = cmds.last_mut() {
                        last.pipes_out = true;
                    }
                }
                piped = next_piped;
                i += op_len;
            }
            b'>' | b'<' => {
                // An fd number glued before the operator (`2>`).
                if let Some(last) = words.last() {
                    let glued = i > 0 && b[i - 1].is_ascii_digit();
                    if glued && matches!(last.text.as_str(), "1" | "2") {
                        words.pop();
                    } else if glued {
                        return None;
                    }
                }
                let write = b[i] == b'>';
                i += 1;
                if b.get(i) == Some(&b'(') || (!write && b.get(i) == Some(&b'<')) {
                    return None; // process substitution, here-doc
                }
                if write && matches!(b.get(i), Some(b'>') | Some(b'|')) {
                    i += 1;
                }
                if b.get(i) == Some(&b'&') {
                    // `>&2`, `2>&1`: duplicates a descriptor.
                    i += 1;
                    let s = i;
                    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'-') {
                        i += 1;
                    }
                    if i == s {
                        return None;
                    }
                    continue;
                }
                while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                    i += 1;
                }
                let (w, n) = lex_word(&b[i..])?;
                if w.text.is_empty() && n == 0 {
                    return None;
                }
                i += n;
                cur.redirects.push(Redirect { write, target: w });
            }
            _ => {
                let (w, n) = lex_word(&b[i..])?;
                if n == 0 {
                    return None;
                }
                if w.text.starts_with('#') && !w.text.is_empty() {
                    return None;
                }
                words.push(w);
                i += n;
            }
        }
    }
    if !words.is_empty() || !cur.env.is_empty() || !cur.redirects.is_empty() {
        finish(&mut words, &mut cur, &mut cmds, piped)?;
    } else if !cmds.is_empty()
        && (src.trim_end().ends_with('|')
            || src.trim_end().ends_with("&&")
            || src.trim_end().ends_with("||"))
    {
        return None;
    }
    Some(cmds)
}

/// A plain `$NAME` or `${NAME}` at the start of `b`: appends its text (`~`
/// for HOME) and returns (bytes consumed, dynamic). Anything fancier
/// (`$(`, `${x:-y}`, `$'...'`) returns `None`.
fn lex_var(b: &[u8], out: &mut Vec<u8>) -> Option<(usize, bool)> {
    let name_end = |s: &[u8]| {
        s.iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
            .unwrap_or(s.len())
    };
    let (name, len) = match b.get(1)? {
        b'{' => {
            let n = name_end(&b[2..]);
            if n == 0 || b.get(2 + n) != Some(&b'}') || b[2].is_ascii_digit() {
                return None;
            }
            (&b[2..2 + n], n + 3)
        }
        c if c.is_ascii_alphabetic() || *c == b'_' => {
            let n = name_end(&b[1..]);
            (&b[1..1 + n], n + 1)
        }
        _ => return None,
    };
    if name == b"HOME" {
        out.push(b'~');
        return Some((len, false));
    }
    out.extend_from_slice(&b[..len]);
    Some((len, true))
}

/// One word of the fast lexer: its text and the bytes consumed.
fn lex_word(b: &[u8]) -> Option<(Word, usize)> {
    let mut out: Vec<u8> = Vec::new();
    let mut dynamic = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'|' | b';' | b'&' | b'>' | b'<' => break,
            b'$' => {
                if dynamic {
                    return None; // `$A/$B`: tree-sitter-bash splits such words oddly
                }
                let n = lex_var(&b[i..], &mut out)?;
                dynamic |= n.1;
                i += n.0;
            }
            b'`' | b'(' | b')' | b'!' | b'\n' | b'\r' => return None,
            b'{' | b'}' => {
                let whole = out.is_empty()
                    && b.get(i + 2)
                        .is_none_or(|c| matches!(c, b' ' | b'\t' | b';' | b'|' | b'&'));
                if b[i] == b'{' && b.get(i + 1) == Some(&b'}') && whole {
                    out.extend_from_slice(b"{}");
                    i += 2;
                } else {
                    return None;
                }
            }
            b'\\' => {
                let n = *b.get(i + 1)?;
                // Only a whole-word escape (`\;`, `\(`): tree-sitter splits
                // words at escapes inside them differently from bash.
                if i > 0 || matches!(n, b' ' | b'\t') {
                    return None;
                }
                if n == b'\n' || n == b'\r' {
                    return None;
                }
                out.push(n);
                i += 2;
            }
            b'\'' => {
                let end = b[i + 1..].iter().position(|&c| c == b'\'')?;
                out.extend_from_slice(&b[i + 1..i + 1 + end]);
                i += end + 2;
            }
            b'"' => {
                let end = b[i + 1..].iter().position(|&c| c == b'"')?;
                let inner = &b[i + 1..i + 1 + end];
                if inner
                    .iter()
                    .any(|c| matches!(c, b'`' | b'\\' | b'!' | b'\n'))
                {
                    return None;
                }
                let mut k = 0;
                while k < inner.len() {
                    if inner[k] == b'$' {
                        let n = lex_var(&inner[k..], &mut out)?;
                        dynamic |= n.1;
                        k += n.0;
                    } else {
                        out.push(inner[k]);
                        k += 1;
                    }
                }
                i += end + 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    let text = String::from_utf8(out).ok()?;
    Some((Word { text, dynamic }, i))
}

fn is_var_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A line with no shell syntax at all is one simple command split on blanks.
fn is_plain(src: &str) -> bool {
    !src.is_empty()
        && src.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b' ' | b'\t'
                        | b'-'
                        | b'_'
                        | b'.'
                        | b'/'
                        | b'='
                        | b':'
                        | b','
                        | b'@'
                        | b'%'
                        | b'+'
                )
        })
}

/// What a command runs in turn.
enum Inner {
    None,
    /// `argv[start..]` is a command of its own; `extra` when args are appended at run time.
    Argv {
        start: usize,
        extra: bool,
    },
    /// `find -exec` commands: `argv[a..b]` each.
    Exec(Vec<(usize, usize)>),
    /// A shell string (`-c`, `eval`); `None` when it is a file or missing.
    Script {
        text: Option<Word>,
        label: &'static str,
    },
    /// A shell reading its script from standard input.
    Stdin,
}

fn inner_command(name: &str, c: &SimpleCmd) -> Inner {
    let args = &c.argv;
    if let Some(w) = table::wrapper(name) {
        // Skip the wrapper's own options, then `skip` positional words.
        let mut i = 1;
        let mut skipped = 0;
        while i < args.len() {
            let a = &args[i].text;
            if a == "--" {
                i += 1;
                break;
            }
            if w.assignments && a.contains('=') && !a.starts_with('-') {
                i += 1;
                continue;
            }
            if a.starts_with('-') && a.len() > 1 && !w.no_options {
                if w.script_flag.is_some_and(|f| f == a) {
                    return Inner::Script {
                        text: args.get(i + 1).cloned(),
                        label: w.name,
                    };
                }
                let takes = w.value_flags.iter().any(|f| f == a);
                i += if takes { 2 } else { 1 };
                continue;
            }
            if skipped < w.skip {
                skipped += 1;
                i += 1;
                continue;
            }
            break;
        }
        if i < args.len() {
            return Inner::Argv {
                start: i,
                extra: w.appends,
            };
        }
        return Inner::None;
    }
    match name {
        "bash" | "sh" | "zsh" | "dash" | "ksh" | "ash" | "mksh" | "fish" => {
            let mut i = 1;
            while i < args.len() {
                let a = &args[i].text;
                if a == "-c" || (a.starts_with('-') && !a.starts_with("--") && a.contains('c')) {
                    return Inner::Script {
                        text: args.get(i + 1).cloned(),
                        label: "sh -c",
                    };
                }
                if a == "-o" || a == "-O" || a == "--rcfile" || a == "--init-file" {
                    i += 2;
                    continue;
                }
                if a.starts_with('-') || a.starts_with('+') {
                    i += 1;
                    continue;
                }
                // A script file (or process substitution): runs code.
                return Inner::None;
            }
            Inner::Stdin
        }
        "eval" => {
            let dynamic = args[1..].iter().any(|w| w.dynamic);
            let text = args[1..]
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            Inner::Script {
                text: Some(Word { text, dynamic }),
                label: "eval",
            }
        }
        "trap" => match args.get(1) {
            Some(h) if !h.text.starts_with('-') && args.len() > 2 => Inner::Script {
                text: Some(h.clone()),
                label: "trap",
            },
            _ => Inner::None,
        },
        "su" => {
            let i = args
                .iter()
                .position(|w| w.text == "-c" || w.text == "--command");
            match i {
                Some(i) => Inner::Script {
                    text: args.get(i + 1).cloned(),
                    label: "su -c",
                },
                None => Inner::None,
            }
        }
        "find" => {
            let mut ranges = Vec::new();
            let mut i = 1;
            while i < args.len() {
                if matches!(
                    args[i].text.as_str(),
                    "-exec" | "-execdir" | "-ok" | "-okdir"
                ) {
                    let a = i + 1;
                    let mut b = a;
                    while b < args.len() && args[b].text != ";" && args[b].text != "+" {
                        b += 1;
                    }
                    ranges.push((a, b));
                    i = b + 1;
                } else {
                    i += 1;
                }
            }
            if ranges.is_empty() {
                Inner::None
            } else {
                Inner::Exec(ranges)
            }
        }
        "watch" => {
            // watch joins its arguments into a `sh -c` string.
            let mut i = 1;
            while i < args.len() && args[i].text.starts_with('-') {
                let takes = matches!(args[i].text.as_str(), "-n" | "--interval" | "-d");
                i += if takes && args[i].text != "-d" { 2 } else { 1 };
            }
            if i >= args.len() {
                return Inner::None;
            }
            let dynamic = args[i..].iter().any(|w| w.dynamic);
            let text = args[i..]
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            Inner::Script {
                text: Some(Word { text, dynamic }),
                label: "watch",
            }
        }
        _ => Inner::None,
    }
}

/// Redirections (and the words tree-sitter attaches to them) of an enclosing
/// `redirected_statement`.
#[derive(Default)]
struct Outer {
    reds: Vec<Redirect>,
    stdin: Option<String>,
    /// `echo a > f b`: tree-sitter hangs `b` on the redirect; it is an argument.
    extra: Vec<Word>,
}

/// Walks a tree-sitter tree and collects simple commands.
struct Walker<'a> {
    src: &'a str,
    out: &'a mut Parsed,
}

impl Walker<'_> {
    fn text(&self, n: Node) -> &str {
        &self.src[n.byte_range()]
    }

    /// `redirects`: redirections of an enclosing `redirected_statement`.
    fn visit(&mut self, n: Node, piped: bool, redirects: Option<Outer>) {
        match n.kind() {
            "command" => {
                self.command(n, piped, redirects);
                return;
            }
            "redirected_statement" => {
                let mut o = Outer::default();
                let mut cur = n.walk();
                for ch in n.children(&mut cur) {
                    self.redirect(ch, &mut o);
                }
                let body = n.child_by_field_name("body");
                match body {
                    Some(b) if b.kind() == "command" => {
                        self.command(b, piped, Some(o));
                    }
                    Some(b)
                        if matches!(b.kind(), "pipeline" | "list") && b.named_child_count() > 0 =>
                    {
                        // `a | b > f`: the redirection belongs to the last stage.
                        self.visit(b, piped, Some(o));
                    }
                    other => {
                        if !o.reds.is_empty() || !o.extra.is_empty() {
                            // Redirection of a compound statement: record its writes.
                            let mut argv = vec![Word::lit(":")];
                            argv.append(&mut o.extra);
                            self.out.cmds.push(SimpleCmd {
                                argv,
                                redirects: std::mem::take(&mut o.reds),
                                ..SimpleCmd::default()
                            });
                        }
                        if let Some(b) = other {
                            // `! bash <<EOF`, `(sh) <<EOF`: any command inside may
                            // read the here-doc.
                            let start = self.out.cmds.len();
                            self.visit(b, piped, None);
                            if let Some(text) = &o.stdin {
                                for c in &mut self.out.cmds[start..] {
                                    c.stdin_text.get_or_insert_with(|| text.clone());
                                }
                            }
                        }
                    }
                }
                // Substitutions inside redirect targets and here-docs.
                let mut cur = n.walk();
                for ch in n.children(&mut cur) {
                    if Some(ch) != body {
                        self.descend(ch);
                    }
                }
                return;
            }
            "pipeline" | "list" => {
                let pipe = n.kind() == "pipeline";
                let mut redirects = redirects;
                let last = n.named_child_count().saturating_sub(1);
                let mut cur = n.walk();
                for (idx, ch) in n.named_children(&mut cur).enumerate() {
                    let r = if idx == last { redirects.take() } else { None };
                    let start = self.out.cmds.len();
                    match r {
                        // The last stage is not a simple command (`a && ! bash <<EOF`,
                        // `a && (sh) > f`, `a && b | c > f`): a simple command takes
                        // the redirections itself, and a nested pipeline or list
                        // hands a here-doc alone down to its last stage. Otherwise
                        // record the writes and let every command inside read the
                        // here-doc (as for a redirected compound statement above).
                        Some(r)
                            if ch.kind() != "command"
                                && (!r.reds.is_empty()
                                    || (r.stdin.is_some()
                                        && !matches!(ch.kind(), "pipeline" | "list"))) =>
                        {
                            if !r.reds.is_empty() || !r.extra.is_empty() {
                                let mut argv = vec![Word::lit(":")];
                                argv.extend(r.extra);
                                self.out.cmds.push(SimpleCmd {
                                    argv,
                                    redirects: r.reds,
                                    ..SimpleCmd::default()
                                });
                            }
                            let inner = self.out.cmds.len();
                            self.visit(ch, piped || (pipe && idx > 0), None);
                            if let Some(text) = &r.stdin {
                                for c in &mut self.out.cmds[inner..] {
                                    c.stdin_text.get_or_insert_with(|| text.clone());
                                }
                            }
                        }
                        r => self.visit(ch, piped || (pipe && idx > 0), r),
                    }
                    // Every command of a stage but the last writes into the pipe
                    // (also those of a `{ ...; }` group or a subshell).
                    if pipe && idx < last {
                        for c in &mut self.out.cmds[start..] {
                            c.pipes_out = true;
                        }
                    }
                }
                return;
            }
            "variable_assignment" if n.parent().is_some_and(|p| p.kind() == "command") => {}
            "variable_assignment" => {
                // A bare assignment (`HISTFILE=/dev/null`) changes the shell itself.
                let name = n
                    .child_by_field_name("name")
                    .map(|x| self.text(x).to_string())
                    .unwrap_or_default();
                let value = n
                    .child_by_field_name("value")
                    .map(|v| self.word(v))
                    .unwrap_or_else(|| Word::lit(""));
                self.out.cmds.push(SimpleCmd {
                    argv: vec![Word::lit(":")],
                    env: vec![(name, value)],
                    ..SimpleCmd::default()
                });
                self.descend(n);
                return;
            }
            "command_substitution"
                if self.text(n).starts_with('`') && self.text(n).contains("\\`") =>
            {
                // Escaped backticks nest a substitution tree-sitter does not
                // parse: unescape one level and parse the text again.
                let raw = self.text(n);
                // An unterminated one (`\`a€`) has no closing backtick to drop.
                let inner = raw[1..].strip_suffix('`').unwrap_or(&raw[1..]);
                let text = inner
                    .replace("\\`", "`")
                    .replace("\\$", "$")
                    .replace("\\\\", "\\");
                self.out.pending.push(text);
                let mut cur = n.walk();
                for ch in n.named_children(&mut cur) {
                    self.visit(ch, false, None);
                }
                return;
            }
            "compound_statement" if self.text(n).starts_with("((") => {
                // `((cmd args))`: older bash runs it as nested subshells when it
                // is not arithmetic; be safe and parse it as shell.
                let raw = self.text(n);
                let inner = raw.trim_start_matches("((").trim_end_matches("))");
                if !looks_arithmetic(inner) {
                    self.out.pending.push(inner.to_string());
                }
                self.descend(n);
                return;
            }
            "arithmetic_expansion" => {
                // `$((cmd args))` that is not arithmetic is a subshell in a
                // command substitution for bash: parse its text as shell.
                let raw = self.text(n);
                let inner = raw.trim_start_matches("$((").trim_end_matches("))");
                if !looks_arithmetic(inner) {
                    self.out.pending.push(inner.to_string());
                }
                self.descend(n);
                return;
            }
            "command_substitution" | "process_substitution" => {
                // `$(< file)` reads the file: a redirect without a command.
                let mut o = Outer::default();
                let mut cur = n.walk();
                for ch in n.named_children(&mut cur) {
                    if ch.kind() == "file_redirect" {
                        self.redirect(ch, &mut o);
                    } else {
                        self.visit(ch, false, None);
                    }
                }
                if !o.reds.is_empty() {
                    self.out.cmds.push(SimpleCmd {
                        argv: vec![Word::lit(":")],
                        redirects: o.reds,
                        ..SimpleCmd::default()
                    });
                }
                return;
            }
            "function_definition" => {
                // A function that calls itself (`:(){ :|:& };:`) forks or
                // recurses without end: a fork bomb.
                let name = n
                    .child_by_field_name("name")
                    .map(|x| self.text(x).to_string());
                let start = self.out.cmds.len();
                let mut cur = n.walk();
                for ch in n.named_children(&mut cur) {
                    self.visit(ch, piped, None);
                }
                if let Some(name) = name {
                    if self.out.cmds[start..].iter().any(|c| c.name() == name) {
                        self.out.note(
                            RiskClass::Exhaust,
                            format!("the function `{name}` calls itself, so it can fork or recurse without end"),
                        );
                    }
                }
                return;
            }
            _ => {}
        }
        let _ = redirects;
        let mut cur = n.walk();
        for ch in n.named_children(&mut cur) {
            self.visit(ch, piped, None);
        }
    }

    /// Visit everything below `n` looking for commands (in substitutions).
    fn descend(&mut self, n: Node) {
        let mut cur = n.walk();
        for ch in n.named_children(&mut cur) {
            self.visit(ch, false, None);
        }
    }

    fn redirect(&mut self, ch: Node, o: &mut Outer) {
        match ch.kind() {
            "file_redirect" => {
                let op = {
                    let mut cur = ch.walk();
                    let ops: Vec<&str> = ch
                        .children(&mut cur)
                        .filter(|c| !c.is_named())
                        .map(|c| self.text(c))
                        .collect();
                    ops.join("")
                };
                let mut cur = ch.walk();
                let dests: Vec<Node> = ch.children_by_field_name("destination", &mut cur).collect();
                for extra in dests.iter().skip(1) {
                    o.extra.push(self.word(*extra));
                }
                if let Some(&d) = dests.first() {
                    let target = self.word(d);
                    let write = op.contains('>') && !op.contains(">&") || op == "&>" || op == "&>>";
                    // `2>&1` and `>&2` duplicate descriptors: nothing is written.
                    let dup = target.text.chars().all(|c| c.is_ascii_digit() || c == '-');
                    if !(op.contains('&') && dup && op != "&>" && op != "&>>") {
                        o.reds.push(Redirect {
                            write: write || (op.contains('>') && !dup),
                            target,
                        });
                    }
                }
            }
            "heredoc_redirect" => {
                let mut cur = ch.walk();
                for c in ch.named_children(&mut cur) {
                    if c.kind() == "heredoc_body" {
                        o.stdin = Some(self.text(c).to_string());
                    }
                }
                // `cat <<EOF > file`: the write redirect sits inside here.
                let mut cur = ch.walk();
                for c in ch.named_children(&mut cur) {
                    if c.kind() == "file_redirect" {
                        self.redirect(c, o);
                    }
                }
            }
            "herestring_redirect" => {
                if let Some(c) = ch.named_child(0) {
                    let w = self.word(c);
                    if !w.dynamic {
                        o.stdin = Some(w.text);
                    } else {
                        o.stdin = Some(format!("{} {}", "$", w.text));
                    }
                }
            }
            _ => {}
        }
    }

    fn command(&mut self, n: Node, piped: bool, outer: Option<Outer>) {
        let mut o = outer.unwrap_or_default();
        let mut cmd = SimpleCmd {
            piped,
            ..SimpleCmd::default()
        };
        let mut cur = n.walk();
        for ch in n.named_children(&mut cur) {
            match ch.kind() {
                "variable_assignment" => {
                    let name = ch
                        .child_by_field_name("name")
                        .map(|x| self.text(x).to_string())
                        .unwrap_or_default();
                    let value = ch
                        .child_by_field_name("value")
                        .map(|v| self.word(v))
                        .unwrap_or_else(|| Word::lit(""));
                    cmd.env.push((name, value));
                }
                "command_name" => {
                    let w = ch
                        .named_child(0)
                        .map(|x| self.word(x))
                        .unwrap_or_else(|| Word::lit(self.text(ch)));
                    cmd.argv.push(w);
                }
                "file_redirect" | "heredoc_redirect" | "herestring_redirect" => {
                    self.redirect(ch, &mut o);
                }
                "comment" => {}
                _ => cmd.argv.push(self.word(ch)),
            }
        }
        cmd.argv.append(&mut o.extra);
        cmd.redirects = o.reds;
        cmd.stdin_text = o.stdin;
        if !cmd.argv.is_empty() || !cmd.redirects.is_empty() {
            if cmd.argv.is_empty() {
                cmd.argv.push(Word::lit(":"));
            }
            self.out.cmds.push(cmd);
        }
        // Commands inside substitutions in the words.
        self.descend(n);
    }

    /// Quote removal for one word node.
    fn word(&self, n: Node) -> Word {
        let raw = self.text(n);
        match n.kind() {
            "word" | "number" => Word {
                text: unescape_bare(raw),
                dynamic: false,
            },
            "raw_string" => Word::lit(raw.trim_start_matches('\'').trim_end_matches('\'')),
            "ansi_c_string" => match decode_ansi_c(raw) {
                Some(t) => Word::lit(&t),
                None => Word {
                    text: raw.to_string(),
                    dynamic: true,
                },
            },
            "string" | "translated_string" => {
                // The text between the quotes, with each expansion replaced by
                // its word (gaps are taken from the source: tree-sitter does
                // not make nodes of all the literal text).
                let open = if raw.starts_with('$') { 2 } else { 1 };
                let start = n.start_byte() + open;
                // An unterminated string (`"a€`) has no closing quote to drop.
                let close = usize::from(raw.len() > open && raw.ends_with('"'));
                let end = n.end_byte().saturating_sub(close).max(start);
                let mut w = Word::lit("");
                let mut pos = start;
                let mut cur = n.walk();
                for ch in n.named_children(&mut cur) {
                    if ch.kind() == "string_content" {
                        continue;
                    }
                    if ch.start_byte() > pos {
                        w.text
                            .push_str(&unescape_dq(&self.src[pos..ch.start_byte()]));
                    }
                    let part = self.word(ch);
                    w.dynamic |= part.dynamic;
                    w.text.push_str(&part.text);
                    pos = ch.end_byte().max(pos);
                }
                if end > pos {
                    w.text.push_str(&unescape_dq(&self.src[pos..end]));
                }
                w
            }
            "string_content" => Word::lit(&unescape_dq(raw)),
            "concatenation" => {
                let mut w = Word::lit("");
                let mut cur = n.walk();
                for ch in n.children(&mut cur) {
                    let part = self.word(ch);
                    w.dynamic |= part.dynamic;
                    w.text.push_str(&part.text);
                }
                w
            }
            "simple_expansion" | "expansion" => {
                if matches!(raw, "$HOME" | "${HOME}") {
                    Word::lit("~")
                } else {
                    Word {
                        text: raw.to_string(),
                        dynamic: true,
                    }
                }
            }
            "brace_expression" => Word::lit(raw),
            _ => Word {
                text: raw.to_string(),
                dynamic: true,
            },
        }
    }
}

/// Could this be the inside of `$(( ))`? Two words side by side (`rm -rf`),
/// quotes or command separators mean it is a command instead.
fn looks_arithmetic(s: &str) -> bool {
    if s.contains([';', '`', '\'', '"']) {
        return false;
    }
    let is_word = |t: &str| {
        let mut c = t.chars();
        match c.next() {
            Some(ch) if ch.is_ascii_alphabetic() || ch == '_' || ch == '/' || ch == '.' => true,
            Some('-') => c.next().is_some_and(|d| d.is_ascii_alphabetic()),
            _ => false,
        }
    };
    let toks: Vec<&str> = s.split_whitespace().collect();
    !toks.windows(2).any(|p| is_word(p[0]) && is_word(p[1]))
}

fn unescape_bare(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            if let Some(n) = it.next() {
                if n != '\n' {
                    out.push(n);
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn unescape_dq(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.peek() {
                Some(&n) if matches!(n, '"' | '\\' | '$' | '`') => {
                    out.push(n);
                    it.next();
                }
                Some('\n') => {
                    it.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Decode `$'...'`; `None` for escapes cordon does not decode.
fn decode_ansi_c(raw: &str) -> Option<String> {
    let body = raw.strip_prefix("$'")?.strip_suffix('\'')?;
    let b = body.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let e = *b.get(i + 1)?;
        i += 2;
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'\\' | b'\'' | b'"' | b'?' => out.push(e),
            b'x' => {
                let mut v = 0u32;
                let mut k = 0;
                while k < 2 && i < b.len() && b[i].is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16)?;
                    i += 1;
                    k += 1;
                }
                if k == 0 {
                    return None;
                }
                out.push(v as u8);
            }
            b'0'..=b'7' => {
                let mut v = (e - b'0') as u32;
                let mut k = 1;
                while k < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + (b[i] - b'0') as u32;
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str) -> Vec<String> {
        let p = ShellParser::default().analyse(src);
        let mut v: Vec<String> = p.cmds.iter().map(|c| c.text()).collect();
        v.sort();
        v
    }

    fn has(src: &str, want: &str) {
        let got = names(src);
        assert!(
            got.iter().any(|t| t == want),
            "{src:?}: {got:?} lacks {want:?}"
        );
    }

    #[test]
    fn every_compound_form_exposes_the_inner_command() {
        let forms = [
            "ls && rm -rf x",
            "ls || rm -rf x",
            "ls; rm -rf x",
            "ls | rm -rf x",
            "ls & rm -rf x",
            "(rm -rf x)",
            "{ rm -rf x; }",
            "echo $(rm -rf x)",
            "echo `rm -rf x`",
            "echo \"$(rm -rf x)\"",
            "diff <(rm -rf x) y",
            "cat > >(rm -rf x)",
            "if true; then rm -rf x; fi",
            "while true; do rm -rf x; done",
            "for i in 1; do rm -rf x; done",
            "case a in a) rm -rf x;; esac",
            "f() { rm -rf x; }",
            "bash -c 'rm -rf x'",
            "sh -c \"rm -rf x\"",
            "bash -lc 'rm -rf x'",
            "eval 'rm -rf x'",
            "eval rm -rf x",
            "su -c 'rm -rf x' root",
            "bash -c \"bash -c 'rm -rf x'\"",
            "env FOO=1 rm -rf x",
            "nice -n 5 rm -rf x",
            "timeout 5 rm -rf x",
            "timeout -s KILL 5 rm -rf x",
            "nohup rm -rf x",
            "sudo rm -rf x",
            "sudo -u bob rm -rf x",
            "command rm -rf x",
            "builtin rm -rf x",
            "exec rm -rf x",
            "time rm -rf x",
            "FOO=1 rm -rf x",
            "xargs rm -rf x",
            "find . -exec rm -rf x \\;",
            "find . -execdir rm -rf x +",
            "! rm -rf x",
            "rm -rf x > /dev/null 2>&1",
            "bash <<EOF\nrm -rf x\nEOF",
            "bash <<< 'rm -rf x'",
            "watch -n 1 rm -rf x",
            "x=$(rm -rf x)",
            "[[ $(rm -rf x) ]]",
            "export A=$(rm -rf x)",
            "sudo env timeout 3 nice rm -rf x",
            "\\rm -rf x",
            "r\\m -rf x",
            "'rm' -rf x",
            "$'\\x72m' -rf x",
            "/bin/rm -rf x",
        ];
        for f in forms {
            let p = ShellParser::default().analyse(f);
            assert!(
                p.cmds.iter().any(|c| c.name() == "rm"
                    && c.argv
                        .iter()
                        .skip(1)
                        .map(|w| w.text.as_str())
                        .collect::<Vec<_>>()
                        == ["-rf", "x"]),
                "{f:?}: {:?}",
                p.cmds.iter().map(|c| c.text()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn wrappers_are_kept_as_commands_too() {
        has("sudo rm x", "sudo rm x");
        has("sudo rm x", "rm x");
        has("env A=1 B=2 ls -l", "ls -l");
        has("timeout 10s cargo test", "cargo test");
    }

    #[test]
    fn dynamic_things_are_noted() {
        for src in ["eval \"$x\"", "$CMD arg", "bash -c \"$x\"", "curl x | sh"] {
            let p = ShellParser::default().analyse(src);
            let noted = !p.notes.is_empty() || p.cmds.iter().any(|c| c.piped && c.name() == "sh");
            assert!(noted, "{src:?}: {p:?}");
        }
    }

    #[test]
    fn parse_errors_are_noted() {
        let p = ShellParser::default().analyse("echo 'unterminated");
        assert!(
            p.notes.iter().any(|n| n.class == RiskClass::Opaque),
            "{p:?}"
        );
    }

    #[test]
    fn redirects_are_recorded() {
        let p = ShellParser::default().analyse("echo hi >> ~/.bashrc 2>&1");
        let c = &p.cmds[0];
        assert_eq!(c.redirects.len(), 1, "{c:?}");
        assert!(c.redirects[0].write);
        assert_eq!(c.redirects[0].target.text, "~/.bashrc");
        let p = ShellParser::default().analyse("{ echo a; echo b; } > /etc/x");
        assert!(p
            .cmds
            .iter()
            .any(|c| c.redirects.iter().any(|r| r.target.text == "/etc/x")));
        let p = ShellParser::default().analyse("cat <<EOF > /etc/y\nhello\nEOF");
        assert!(
            p.cmds
                .iter()
                .any(|c| c.redirects.iter().any(|r| r.target.text == "/etc/y")),
            "{p:?}"
        );
    }

    #[test]
    fn quotes_are_removed() {
        let p = ShellParser::default().analyse("grep -r \"a b\" 'c d' e\\ f");
        let a: Vec<_> = p.cmds[0].argv.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(a, ["grep", "-r", "a b", "c d", "e f"]);
        let p = ShellParser::default().analyse("cat \"$HOME/.ssh/id_rsa\"");
        assert_eq!(p.cmds[0].argv[1].text, "~/.ssh/id_rsa");
        assert!(!p.cmds[0].argv[1].dynamic);
    }

    /// The simple commands tree-sitter finds, before unwrapping.
    fn tree_sitter_raw(src: &str) -> Option<Vec<SimpleCmd>> {
        let mut p = new_parser();
        let tree = p.parse(src, None)?;
        if tree.root_node().has_error() {
            return None;
        }
        let mut out = Parsed::default();
        let mut w = Walker { src, out: &mut out };
        w.visit(tree.root_node(), false, None);
        Some(out.cmds)
    }

    fn shape(c: &[SimpleCmd]) -> Vec<String> {
        c.iter()
            .map(|c| {
                format!(
                    "{:?} env={:?} red={:?}",
                    c.argv
                        .iter()
                        .map(|w| (&w.text, w.dynamic))
                        .collect::<Vec<_>>(),
                    c.env.iter().map(|(n, w)| (n, &w.text)).collect::<Vec<_>>(),
                    c.redirects
                        .iter()
                        .map(|r| (r.write, &r.target.text))
                        .collect::<Vec<_>>(),
                )
            })
            .collect()
    }

    fn same_as_tree_sitter(src: &str) -> bool {
        match (fast_lex(src), tree_sitter_raw(src)) {
            (Some(f), Some(t)) => {
                assert_eq!(
                    shape(&f),
                    shape(&t),
                    "fast lexer and tree-sitter disagree on {src:?}"
                );
                // tree-sitter-bash nests `a | b && c` inside the pipeline, so it
                // may see more piped stages than bash does; never fewer.
                for (a, b) in f.iter().zip(&t) {
                    assert!(!a.piped || b.piped, "{src:?}");
                    assert!(!a.pipes_out || b.pipes_out, "{src:?}");
                }
                true
            }
            (Some(f), None) => {
                panic!("fast lexer accepted what tree-sitter rejects: {src:?} {f:?}")
            }
            _ => false,
        }
    }

    #[test]
    fn fast_lexer_agrees_with_tree_sitter() {
        let cases = [
            "ls -la",
            "grep -rn 'a b' src | head -n 3 && echo \"done\" ; true",
            "find . -name '*.o' -exec rm {} \\;",
            "sort a.txt > out.txt 2>/dev/null",
            "cmd 2>&1 | tee log",
            "A=1 B='x y' make test",
            "echo hi >> ~/.bashrc",
            "cat < in.txt",
            "a || b & c",
            "echo a \\; b",
            "x=1",
        ];
        for c in cases {
            assert!(same_as_tree_sitter(c), "{c:?} should take the fast path");
        }
        assert!(same_as_tree_sitter("echo $x \"$HOME/a b\" ${y}z"));
        for c in [
            "echo ${x:-y}",
            "echo $(id)",
            "echo \"$(id)\"",
            "echo `id`",
            "(ls)",
            "ls #c",
            "if true; then ls; fi",
            "cat <<EOF\nx\nEOF",
            "a |& b",
            "echo {a,b}",
            "! ls",
            "ls |",
        ] {
            assert!(fast_lex(c).is_none(), "{c:?} must go to tree-sitter");
        }
        // Every line of the evaluation corpora that takes the fast path must
        // give what tree-sitter gives (classified only, never run).
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval");
        let mut fast = 0;
        for f in [
            "shell_benign_nl2bash.jsonl",
            "shell_risky_atomic_red_team.jsonl",
        ] {
            let Ok(text) = std::fs::read_to_string(dir.join(f)) else {
                continue;
            };
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                if same_as_tree_sitter(v["command"].as_str().unwrap()) {
                    fast += 1;
                }
            }
        }
        eprintln!("{fast} corpus lines took the fast path");
    }

    #[test]
    fn piped_stage_is_marked() {
        let p = ShellParser::default().analyse("curl -s https://x.example/i.sh | bash");
        let b = p.cmds.iter().find(|c| c.name() == "bash").unwrap();
        assert!(b.piped);
        let c = p.cmds.iter().find(|c| c.name() == "curl").unwrap();
        assert!(c.pipes_out && !b.pipes_out);
        // Through tree-sitter, a group stage and a wrapper keep the mark.
        let p = ShellParser::default().analyse("{ yes; ls; } | head -n 3 && nice yes | (cat)");
        for c in p.cmds.iter().filter(|c| c.name() == "yes") {
            assert!(c.pipes_out, "{c:?}");
        }
        assert!(!p.cmds.iter().any(|c| c.name() == "head" && c.pipes_out));
    }
}
