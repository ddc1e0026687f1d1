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
//!
//! # Variables
//!
//! A word whose value is known before the line runs is that value
//! (`d=build; rm -rf "$d"` is `rm -rf build`); any other word is
//! [`Word::dynamic`]. Known: what the line itself assigns (`x=v`, `x+=v`,
//! `export`/`declare`/`typeset`/`readonly`/`local` with a value, arrays
//! `a=(x y)` with `${a[@]}`, `${a[1]}`, `${#a[@]}`, `for v in a b c` over
//! known words (the body walked once per word, 16 in a line), `unset`, `${x:=v}`), read through `$x`, `${x}`, `${x:-w}`, `${x-w}`,
//! `${x:+w}`, `${x:=w}`, `${#x}` and `${x#p}`/`${x%p}` with a literal
//! pattern; `HOME` and `PWD`, written `~` and `.` (what cordon knows from its
//! context); `$'...'`; brace expansion (`src/{a,b}`, `f{1..3}`, up to 64
//! words); unquoted values split on `IFS` (an empty one is no word at all).
//! `~name` stays as written: the path resolution knows this user's home and
//! places any other outside the workspace.
//! Globs stay as written (`*.o` names files in the directory it names),
//! except one that may match `.` or `..` (`.*`) or names the command.
//!
//! Unknown: the environment (`$USER`, `$TMPDIR`...), special parameters
//! (`$1`, `$@`, `$?`, `$$`, `$!`), variables bash sets itself (`$RANDOM`,
//! `$OLDPWD`, `$REPLY`...), substitutions and arithmetic, `$"..."`, `~-`,
//! `~+N`, values from `read`/`mapfile`/`printf -v`/`getopts`/`let`/`((...))`,
//! `${!x}` and other expansion forms, `declare -i/-l/-u/-A` and readonly
//! names assigned again. Scopes are followed: assignments in `( )`, `$(...)`,
//! a pipeline stage or a `&` command do not leak; after an `||`/`&&` item, an
//! `if`/`case` branch or a loop, what it assigned is unknown (a loop body
//! starts with its own variables unknown); a function body is walked with
//! nothing known but `HOME`/`PWD`. After `eval`, `source`/`.`, `trap`, a call
//! of a function of the line, a nameref (`declare -n`) or a command named at
//! run time, nothing is known any more. Strings run by `bash -c`, `eval`,
//! here-docs and backticks parsed again start with nothing known. After a
//! `cd` in a subshell or in a part that may not run, a `cd -` is added: the
//! decision follows `cd` through the line and takes `-` as unknown.
//!
//! # Bounds
//!
//! The analysis never recurses on input without a bound, so no input can
//! overflow the stack: a line longer than 128 KiB, brackets (or `!`) nested
//! more than 64 deep, a parse of more than 200,000 nodes, a tree walk deeper
//! than 400 levels or than 96 KiB of stack, shell strings nested more than 6
//! deep, more than 64 commands found inside one (`nice nice ... rm`), or more
//! than 4,000 simple commands make the command opaque, with a note naming
//! the bound. Long `&&` lists, which tree-sitter nests to the left, are
//! walked flat; wrapper chains are followed with a work list.

mod vars;
mod walk;

use crate::class::RiskClass;
use crate::table;
use std::sync::Mutex;
use tree_sitter::Parser;
use walk::Walker;

/// How deep `bash -c "bash -c '...'"` may nest before cordon stops looking.
const MAX_DEPTH: usize = 6;
/// The longest command line analysed (here-docs included). tree-sitter takes
/// time more than linear in the size of some deep inputs (`! ! ! ... x`):
/// about 0.3 s for this size.
const MAX_BYTES: usize = 128 * 1024;
/// All the shell text parsed for one line, strings run by `bash -c` and
/// `eval` included.
const MAX_TOTAL_BYTES: usize = 4 * MAX_BYTES;
/// Brackets (`(`, `{`, `[`, so `$(`, `${`, subshells, groups) nested deeper
/// than this, counted before parsing, make the command opaque.
const MAX_NEST: usize = 64;
/// Syntax nodes of one parse.
const MAX_NODES: usize = 200_000;
/// Simple commands of one line.
const MAX_CMDS: usize = 4_000;
/// Commands found inside one simple command (`nice nice ... rm`, `find -exec`).
const MAX_WRAPPERS: usize = 64;

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
    /// Bytes of shell text parsed so far.
    bytes: usize,
    /// The address of a local where the analysis started: how much stack it
    /// uses is measured from there.
    stack_base: usize,
}

impl Parsed {
    /// Remember where the analysis starts on the stack (once).
    fn mark_stack(&mut self) {
        if self.stack_base == 0 {
            let here = 0u8;
            self.stack_base = std::hint::black_box(&here) as *const u8 as usize;
        }
    }

    /// Bytes of stack used since [`Parsed::mark_stack`].
    fn stack_used(&self) -> usize {
        let here = 0u8;
        let at = std::hint::black_box(&here) as *const u8 as usize;
        self.stack_base.abs_diff(at)
    }

    /// A bound of the analysis was reached: opaque, said once.
    fn bound(&mut self, text: String) {
        if !self.notes.iter().any(|n| n.text == text) {
            self.note(RiskClass::Opaque, text);
        }
    }

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
        out.mark_stack();
        self.parse_into(src, 0, &[], &mut out);
        if out.cmds.len() > MAX_CMDS {
            out.cmds.truncate(MAX_CMDS);
            out.bound(format!(
                "the command runs more than {MAX_CMDS} simple commands, more than cordon analyses"
            ));
        }
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
        out.bytes = out.bytes.saturating_add(src.len());
        if src.len() > MAX_BYTES || out.bytes > MAX_TOTAL_BYTES {
            out.bound(format!(
                "the command is longer than {} KiB, more than cordon analyses",
                MAX_BYTES / 1024
            ));
            return;
        }
        if out.cmds.len() > MAX_CMDS {
            return; // said once by `analyse`
        }
        let start = out.cmds.len();
        let mut pending = Vec::new();
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
        } else if nesting(src) > MAX_NEST {
            out.bound(format!(
                "the command nests brackets more than {MAX_NEST} levels deep, more than cordon analyses"
            ));
            return;
        } else {
            // Take the cached parser, or make one if another thread holds it.
            let cached = self.slot.lock().ok().and_then(|mut g| g.take());
            let mut parser = cached.unwrap_or_else(new_parser);
            let tree = parser.parse(src, None);
            if let Ok(mut g) = self.slot.lock() {
                *g = Some(parser);
            }
            match tree {
                Some(tree) if tree.root_node().descendant_count() > MAX_NODES => {
                    out.bound(format!(
                        "the command has more than {MAX_NODES} syntax nodes, more than cordon analyses"
                    ));
                    return;
                }
                Some(tree) => {
                    let root = tree.root_node();
                    if root.has_error() {
                        out.note(
                            RiskClass::Opaque,
                            "the command does not parse as shell, so it cannot be checked",
                        );
                    }
                    Walker::new(src, out).visit(root, false, None);
                    pending = std::mem::take(&mut out.pending);
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
        for text in pending {
            let mut v = via.to_vec();
            v.push(String::from("backticks"));
            self.parse_into(&text, depth + 1, &v, out);
        }
    }

    /// Push `c` after whatever it runs (wrappers, `-c` strings, `-exec`),
    /// innermost first. Wrapper chains are followed without recursion, at
    /// most [`MAX_WRAPPERS`] commands deep.
    fn unwrap(&self, c: SimpleCmd, depth: usize, out: &mut Parsed) {
        enum Task {
            Look(SimpleCmd),
            Push(SimpleCmd),
        }
        let mut tasks = vec![Task::Look(c)];
        let mut looked = 0;
        while let Some(t) = tasks.pop() {
            match t {
                Task::Push(c) => out.cmds.push(c),
                Task::Look(c) if looked >= MAX_WRAPPERS => {
                    out.bound(format!(
                        "commands wrap commands more than {MAX_WRAPPERS} deep, more than cordon analyses"
                    ));
                    out.cmds.push(c);
                }
                Task::Look(c) => {
                    looked += 1;
                    let subs = self.look(&c, depth, out);
                    tasks.push(Task::Push(c));
                    tasks.extend(subs.into_iter().rev().map(Task::Look));
                }
            }
        }
    }

    /// What `c` runs: the commands it wraps (returned), shell strings (parsed
    /// into `out` now).
    fn look(&self, c: &SimpleCmd, depth: usize, out: &mut Parsed) -> Vec<SimpleCmd> {
        let mut subs = Vec::new();
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
        let mut inner = inner_command(&name, c);
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
                    subs.push(sub);
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
                        subs.push(sub);
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
        for (label, text) in crate::exec::carried(c) {
            self.parse_into(&text, depth + 1, &via_here(&label), out);
        }
        subs
    }
}

/// How deep brackets nest, or how many `!` follow each other, counted on the
/// text (quotes are followed roughly: the tree walk bounds the depth exactly,
/// this keeps absurd input away from the parser).
fn nesting(src: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut single, mut double, mut escaped) = (false, false, false);
    let mut bangs = 0;
    for b in src.bytes() {
        match b {
            b'!' if !single => {
                bangs += 1;
                max = max.max(bangs);
                continue;
            }
            b' ' | b'\t' => continue,
            _ => bangs = 0,
        }
        match b {
            _ if escaped => escaped = false,
            b'\\' if !single => escaped = true,
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            _ if single => {}
            b'(' | b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
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
                // `x=$y`: the tree walk follows variables.
                Some((n, _)) if argv.is_empty() && is_var_name(n) => return None,
                _ => argv.push(w),
            }
        }
        if argv.is_empty() && cur.env.is_empty() && cur.redirects.is_empty() {
            return None; // empty command between operators: let tree-sitter judge
        }
        // A glob naming the command, or one that may match `..`: the tree
        // walk decides, knowing what is quoted.
        let wild = |(i, w): (usize, &Word)| {
            vars::has_glob(&w.text) && (i == 0 || vars::glob_climbs(&w.text))
        };
        if argv.iter().enumerate().any(wild) {
            return None;
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
    if walk::vars_matter(&cmds) || cd_scoped(src, &cmds) {
        return None;
    }
    Some(cmds)
}

/// Is a `cd` of these fast-lexed commands anywhere but first in the line
/// and followed by `;`, `&&` or `||`? The tree walk then says where it stops
/// counting (`cd -`).
fn cd_scoped(src: &str, cmds: &[SimpleCmd]) -> bool {
    let cd = |c: &SimpleCmd| matches!(c.name(), "cd" | "pushd" | "popd");
    let lone_amp = src
        .as_bytes()
        .windows(3)
        .any(|w| w[1] == b'&' && w[0] != b'&' && w[2] != b'&' && w[0] != b'>' && w[2] != b'>');
    cmds.iter().skip(1).any(cd)
        || cmds
            .first()
            .is_some_and(|c| cd(c) && (c.pipes_out || lone_amp))
}

/// A plain `$NAME` or `${NAME}` at the start of `b`: appends its text (`~`
/// for HOME) and returns (bytes consumed, dynamic). Anything fancier
/// (`$(`, `${x:-y}`, `$'...'`) returns `None`.
fn lex_var(b: &[u8], quoted: bool, out: &mut Vec<u8>) -> Option<(usize, bool)> {
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
    // `$HOME` is the context's `~` only at the start of a word and followed
    // by `/` or the end of the word; `$PWD` is left to the tree walk.
    let next = b.get(len).copied();
    let ends = match quoted {
        false => {
            next.is_none_or(|c| matches!(c, b'/' | b' ' | b'\t' | b'|' | b';' | b'&' | b'<' | b'>'))
        }
        true => next == Some(b'/'),
    };
    match name {
        b"HOME" if (out.is_empty() || next == Some(b'/')) && ends => {
            out.push(b'~');
            return Some((len, false));
        }
        b"HOME" | b"PWD" => return None,
        _ => {}
    }
    out.extend_from_slice(&b[..len]);
    Some((len, true))
}

/// One word of the fast lexer: its text and the bytes consumed.
fn lex_word(b: &[u8]) -> Option<(Word, usize)> {
    let mut out: Vec<u8> = Vec::new();
    let mut dynamic = false;
    let mut i = 0;
    // `~user`, `~+`: the tree walk expands them.
    if b.first() == Some(&b'~')
        && b.get(1)
            .is_some_and(|c| !matches!(c, b'/' | b' ' | b'\t' | b'|' | b';' | b'&' | b'<' | b'>'))
    {
        return None;
    }
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'|' | b';' | b'&' | b'>' | b'<' => break,
            b'$' => {
                if dynamic {
                    return None; // `$A/$B`: tree-sitter-bash splits such words oddly
                }
                let n = lex_var(&b[i..], false, &mut out)?;
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
                        let n = lex_var(&inner[k..], true, &mut out)?;
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
                if let Some(f) = w.script_flag {
                    if a == f || short_bundle_ends_with(a, f) {
                        return Inner::Script {
                            text: args.get(i + 1).cloned(),
                            label: w.name,
                        };
                    }
                    if let Some(text) = flag_value(f, args, i) {
                        return Inner::Script {
                            text: Some(text),
                            label: w.name,
                        };
                    }
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
            // `-c` makes the first word after the options the script, wherever
            // `-c` stands among them (`bash -c -- 'x'`, `bash -ec 'x'`,
            // `bash -c -o pipefail 'x'`).
            let mut i = 1;
            let mut c_flag = false;
            while i < args.len() {
                let a = &args[i].text;
                if a == "--" || a == "-" {
                    i += 1;
                    break;
                }
                if matches!(
                    a.as_str(),
                    "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file"
                ) {
                    i += 2;
                    continue;
                }
                if (a.starts_with('-') || a.starts_with('+')) && a.len() > 1 {
                    c_flag |= a.starts_with('-') && !a.starts_with("--") && a.contains('c');
                    i += 1;
                    continue;
                }
                break;
            }
            match (c_flag, args.get(i)) {
                (true, text) => Inner::Script {
                    text: text.cloned(),
                    label: "sh -c",
                },
                // A script file (or process substitution): runs code.
                (false, Some(_)) => Inner::None,
                (false, None) => Inner::Stdin,
            }
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
        "trap" => {
            let first = usize::from(args.get(1).is_some_and(|w| w.text == "--")) + 1;
            match args.get(first) {
                Some(h) if !h.text.starts_with('-') && args.len() > first + 1 => Inner::Script {
                    text: Some(h.clone()),
                    label: "trap",
                },
                _ => Inner::None,
            }
        }
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

/// `-qc` for the flag `-c`: a bundle of single-letter options whose last is
/// the flag (its value is the next word).
fn short_bundle_ends_with(a: &str, flag: &str) -> bool {
    let Some(letter) = flag.strip_prefix('-').filter(|l| l.len() == 1) else {
        return false;
    };
    a.len() > 2
        && a.starts_with('-')
        && !a.starts_with("--")
        && a.ends_with(letter)
        && a[1..].bytes().all(|b| b.is_ascii_alphabetic())
}

/// The value of `flag` when it is joined to it: `-cCMD`, `--command=CMD`.
fn flag_value(flag: &str, args: &[Word], i: usize) -> Option<Word> {
    let w = args.get(i)?;
    let rest = if flag.starts_with("--") {
        w.text.strip_prefix(flag)?.strip_prefix('=')?
    } else {
        w.text.strip_prefix(flag).filter(|r| !r.is_empty())?
    };
    Some(Word {
        text: rest.to_string(),
        dynamic: w.dynamic,
    })
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
        let mut w = Walker::new(src, &mut out);
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

/// Variables: a word whose value is known before the line runs is that
/// value; any other stays `dynamic`.
#[cfg(test)]
mod variable_tests {
    use super::*;

    /// The words after the name of the last command named `name`.
    fn args(src: &str, name: &str) -> Vec<(String, bool)> {
        let p = ShellParser::default().analyse(src);
        let c = p
            .cmds
            .iter()
            .rev()
            .find(|c| c.name() == name)
            .unwrap_or_else(|| panic!("{src:?}: no `{name}` in {:?}", p.cmds));
        c.argv[1..]
            .iter()
            .map(|w| (w.text.clone(), w.dynamic))
            .collect()
    }

    fn known(src: &str, name: &str, want: &[&str]) {
        let got = args(src, name);
        let want: Vec<(String, bool)> = want.iter().map(|w| (w.to_string(), false)).collect();
        assert_eq!(got, want, "{src:?}");
    }

    /// The last word of `name` is unknown.
    fn unknown(src: &str, name: &str) {
        let got = args(src, name);
        assert!(got.last().is_some_and(|w| w.1), "{src:?}: {got:?}");
    }

    #[test]
    fn known_values_are_substituted() {
        for (src, want) in [
            ("d=build; rm -rf \"$d\"", &["-rf", "build"][..]),
            // A user's home is fixed by the password database: kept as written.
            ("rm ~bob/x", &["~bob/x"]),
            ("d=build && rm -rf $d", &["-rf", "build"]),
            ("p=src/a.txt; rm \"$p\"", &["src/a.txt"]),
            ("export D=out && rm -rf \"$D\"/x", &["-rf", "out/x"]),
            ("declare -r R=tmp; rm -rf ${R}", &["-rf", "tmp"]),
            ("local_x=1; typeset T=t; rm $T", &["t"]),
            ("a=(x 'y z'); rm \"${a[@]}\"", &["x", "y z"]),
            (
                "a=(x y); a+=(z); rm ${a[@]} ${#a[@]}",
                &["x", "y", "z", "3"],
            ),
            ("a=(x y); rm ${a[1]} $a", &["y", "x"]),
            ("f=a.txt; rm \"${f%.txt}.bak\" ${f#a.}", &["a.bak", "txt"]),
            ("x=; rm -rf \"${x:-build}\" ${x-kept}", &["-rf", "build"]),
            ("unset d; rm -rf \"${d-build}\"", &["-rf", "build"]),
            ("x=a; : ${x:=b}; y=; : ${y:=c}; rm $x $y", &["a", "c"]),
            ("for f in one.txt; do rm \"$f\"; done", &["one.txt"]),
            ("for f in *.txt; do rm \"$f\"; done", &["*.txt"]),
            ("x=a; { x=b; }; rm $x", &["b"]),
            ("x='a b'; rm $x \"$x\"", &["a", "b", "a b"]),
            ("x=a; x+=b; rm $x", &["ab"]),
            ("x=/etc/group; (x=a); rm \"$x\"", &["/etc/group"]),
            ("x=/etc/group; x=a | cat; rm \"$x\"", &["/etc/group"]),
            ("x=/etc/group; echo $(x=a); rm \"$x\"", &["/etc/group"]),
            ("x=/etc/group; x=a & rm \"$x\"", &["/etc/group"]),
            ("x=src; y=$x/lib; rm -r $y", &["-r", "src/lib"]),
            (
                "HOME=/etc; cat ~/passwd $HOME/group",
                &["/etc/passwd", "/etc/group"],
            ),
            ("x=$HOME; rm -rf \"$x\"/.cache", &["-rf", "~/.cache"]),
            (
                "rm -rf \"$HOME/.cache\" ~+/b $PWD/c",
                &["-rf", "~/.cache", "./b", "./c"],
            ),
            (
                "mkdir -p src/{a,b} f{1..3}",
                &["-p", "src/a", "src/b", "f1", "f2", "f3"],
            ),
            ("cp f{,.bak}", &["f", "f.bak"]),
            (
                "rm -rf {/etc,x}/passwd",
                &["-rf", "/etc/passwd", "x/passwd"],
            ),
            ("rm $'a\\x2fb' *.o .[^.]*", &["a/b", "*.o", ".[^.]*"]),
            ("find . -exec rm {} \\;", &[".", "-exec", "rm", "{}", ";"]),
            ("x=a; if true; then rm $x; fi", &["a"]),
            ("x=a; case $x in a) rm $x;; esac", &["a"]),
            ("x=a; f() { :; }; rm $x", &["a"]),
        ] {
            let name = if src.starts_with("HOME") {
                "cat"
            } else if src.starts_with("mkdir") {
                "mkdir"
            } else if src.starts_with("cp") {
                "cp"
            } else if src.starts_with("find") {
                "find"
            } else {
                "rm"
            };
            known(src, name, want);
        }
        // An empty unquoted expansion is no word at all: `rm` is the command.
        let p = ShellParser::default().analyse("x=''; $x rm -rf /srv");
        assert!(p.cmds.iter().any(|c| c.text() == "rm -rf /srv"), "{p:?}");
        // A loop over known words: the body once per word.
        let p = ShellParser::default().analyse("for f in a b/c {d,e}; do rm \"$f\"; done");
        let rms: Vec<String> = p.cmds.iter().map(|c| c.text()).collect();
        assert_eq!(rms, ["rm a", "rm b/c", "rm d", "rm e"]);
        // The value of a quoted assignment is taken as is.
        known("x='$HOME'; rm \"$x\"", "rm", &["$HOME"]);
    }

    #[test]
    fn unknown_values_stay_dynamic() {
        for src in [
            "p=$(cat f); rm \"$p\"",
            "p=`cat f`; rm \"$p\"",
            "read p; rm \"$p\"",
            "read -r a p < f; rm \"$p\"",
            "p=x; read p; rm \"$p\"",
            "mapfile p < f; rm \"$p\"",
            "printf -v p %s x; rm \"$p\"",
            "p=x; let p=1; rm \"$p\"",
            "p=x; (( p = 1 )); rm \"$p\"",
            "p=x; : $((p=1)); rm \"$p\"",
            "rm \"$1\"",
            "rm \"$@\"",
            "rm $?",
            "rm $$",
            "rm $RANDOM",
            "rm \"$UNSET_FROM_ENV\"",
            "RANDOM=1; rm $RANDOM",
            "p=x; true || p=/etc; rm $p",
            "p=x; false && p=/etc; rm $p",
            "p=x; true || p=/etc && rm $p",
            "p=x; if c; then p=/etc; fi; rm $p",
            "p=x; if c; then p=/etc; else rm $p; fi",
            "p=x; case a in a) p=/etc;; *) rm $p;; esac",
            "p=x; while c; do rm $p; p=/etc; done",
            "p=x; for i in 1 2; do rm $p; p=/etc; done",
            "for p in $x b; do rm $p; done",
            "for p in {1..40}; do rm $p; done",
            "for p in $(ls); do rm $p; done",
            "for p; do rm $p; done",
            "for p in .*; do rm -rf $p; done",
            "p=x; eval \"$y\"; rm $p",
            "p=x; eval 'p=/etc'; rm $p",
            "p=x; source f; rm $p",
            "p=x; . f; rm $p",
            "f() { p=/etc; }; p=x; f; rm $p",
            "p=x; trap 'p=/etc' DEBUG; rm $p",
            "declare -n r=p; p=x; r=/etc; rm $p",
            "readonly p=/etc; p=x; rm $p",
            "local p=/etc; rm $p",
            "declare -u p=x; rm $p",
            "declare -i p=1+1; rm $p",
            "declare p; rm $p",
            "declare \"$n=/etc\"; rm $p",
            "p=x; $cmd; rm $p",
            "p=x; command read p; rm $p",
            "p=x; export p=$(id); rm $p",
            "p=x; unset 'p[0]'; rm $p",
            "IFS=/; p=a/b; rm $p",
            "p=x; read IFS; rm $p",
            "p=$PWD; cd /etc; rm \"$p\"/f",
            "rm ~-/x",
            "rm .*",
            "rm src/.?",
            "rm $\"a\"",
            "rm $((1+2))",
            "rm {1..1000}",
            "rm \"a\"{b,c}",
            "rm ${!p}",
            "rm ${p:-$(id)}",
            "rm ${p/a/b}",
            "rm x$HOME",
            "source f; rm ~/x",
            "p=a; f() { rm $p; }",
        ] {
            unknown(src, "rm");
        }
        // A glob or a variable naming the command: only known at run time.
        for src in [
            "/bin/r? -rf /srv",
            "/usr/bin/r[m] x",
            "c=rm; x=$(id); $x -rf /srv",
        ] {
            let p = ShellParser::default().analyse(src);
            assert!(
                p.notes.iter().any(|n| n.class == RiskClass::Opaque),
                "{src:?}: {p:?}"
            );
        }
    }

    /// `cd` is a command of its own (decide follows it through the line);
    /// after a scope where a `cd` ran in a subshell or may not have run, a
    /// `cd -` says the directory is unknown. `$PWD` is `.`.
    #[test]
    fn working_directory_words() {
        let texts = |src: &str| -> Vec<String> {
            let p = ShellParser::default().analyse(src);
            p.cmds.iter().map(|c| c.text()).collect()
        };
        for src in [
            "cd /etc; (cd /w/p); rm passwd",
            "cd /etc; cd /w/p | cat; rm passwd",
            "cd /etc; echo $(cd /w/p); rm passwd",
            "cd /etc; true && cd /w/p; rm passwd",
            "cd /etc; false || cd /w/p; rm passwd",
            "cd /etc; if c; then cd /w/p; fi; rm passwd",
            "cd /etc; for i in 1; do cd /w/p; done; rm passwd",
            "cd /etc; while c; do cd /w/p; done; rm passwd",
        ] {
            let t = texts(src);
            let rm = t.iter().position(|c| c == "rm passwd").unwrap();
            let inner = t.iter().position(|c| c == "cd /w/p").unwrap();
            assert!(t[inner..rm].iter().any(|c| c == "cd -"), "{src:?}: {t:?}");
        }
        // A `cd` that runs before what follows it is just followed.
        assert_eq!(texts("cd /etc && rm passwd"), ["cd /etc", "rm passwd"]);
        assert_eq!(texts("(cd sub && make)"), ["cd sub", "make", "cd -"]);
        known("cd /etc && rm passwd", "rm", &["passwd"]);
        known("cd /etc && rm $PWD/passwd", "rm", &["./passwd"]);
        known("cd \"$HOME\" && ls", "cd", &["~"]);
    }
}
