//! Permission rules in Claude Code's syntax.
//!
//! | rule | matches |
//! | --- | --- |
//! | `Bash` or `Bash(*)` | every command |
//! | `Bash(npm run test:*)` | `npm run test` and `npm run test ...` (legacy prefix form, word boundary) |
//! | `Bash(git push *)` | `*` is any text; a lone trailing ` *` is optional (`git push` matches too) |
//! | `Read(./.env)`, `Read(.env)` | relative to the working directory; a name without `/` matches at any depth |
//! | `Edit(/src/**)` | a leading `/` is the workspace root |
//! | `Read(~/.ssh/**)` | `~/` is the home directory |
//! | `Read(//etc/shadow)` | `//` is an absolute path |
//! | `WebFetch(domain:example.com)` | fetches from that host (`*.example.com` for subdomains) |
//! | `mcp__github`, `mcp__github__*` | every tool of that MCP server |
//! | `mcp__github__create_issue` | one MCP tool |
//!
//! A Bash rule is checked against every simple command of a compound command.
//! `Read` rules also apply to files Bash commands read, `Edit`/`Write` rules to
//! files they write, and `WebFetch(domain:...)` rules to hosts they contact
//! (deny and ask only: an allow rule for one tool never allows another).
//! Deny beats ask beats allow; the first matching rule in that order decides.
//!
//! Allow rules match the command text as written (Claude Code's semantics).
//! Deny and ask rules match every spelling of what they name: the program by
//! any path, options in any order, bundle or long form, supersets of the
//! options (`spelling.rs`); `Read`/`Edit` deny and ask rules also meet
//! the other readers and writers of a path (`readers.rs`), globs, and
//! commands that take the whole tree above it. `Bash(x:*)` is the legacy
//! prefix form, reported by [`Rules::warnings`].

use crate::spelling::{self, program_name, RuleShape, Shape};
use crate::Verdict;
use std::fmt;

/// One parsed rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The rule exactly as written.
    pub text: String,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    /// A tool name without a specifier: every use of it.
    Tool(String),
    Bash(BashPat),
    /// `Read(...)` (read = true) or `Edit(...)`/`Write(...)` (read = false).
    Path {
        read: bool,
        pattern: String,
        /// A segment every matching path contains (a cheap first test).
        lit: String,
    },
    Domain(String),
    WebSearch(String),
    Mcp {
        server: String,
        tool: Option<String>,
    },
    /// A tool cordon does not model (`Agent(x)`, `Skill(y)`): kept, never matches.
    Other,
}

#[derive(Clone, Debug)]
struct BashPat {
    form: BashForm,
    /// The same pattern with short options normalised ([`normalise_flags`]).
    normalised: BashForm,
    /// The pattern read as program, options and operands (deny and ask
    /// rules only; see [`crate::spelling`]).
    shape: Option<RuleShape>,
    /// The first word when it has no `*`: a quick test that a command can
    /// match at all.
    first: Option<String>,
}

#[derive(Clone, Debug)]
enum BashForm {
    /// `prefix:*` (the legacy form)
    Prefix(String),
    /// A `*` glob; `optional_tail` when it ends in a lone ` *`.
    Glob { pat: String, optional_tail: bool },
}

/// A malformed rule: which list, where, the text and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub list: &'static str,
    pub index: usize,
    pub rule: String,
    pub problem: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "permissions.{}[{}] `{}`: {}",
            self.list, self.index, self.rule, self.problem
        )
    }
}

impl std::error::Error for RuleError {}

/// A rule that parses but deserves a word to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleWarning {
    pub list: &'static str,
    pub index: usize,
    pub rule: String,
    pub kind: RuleWarningKind,
}

/// What a [`RuleWarning`] is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleWarningKind {
    /// `Bash(prefix:*)`, Claude Code's legacy prefix form: it matches
    /// `prefix` and `prefix ...` at a word boundary, as `Bash(prefix *)` does.
    LegacyPrefix { prefix: String },
}

impl fmt::Display for RuleWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RuleWarningKind::LegacyPrefix { prefix } => write!(
                f,
                "permissions.{}[{}] `{}`: `:*` is the legacy prefix form, read as `{prefix}` or `{prefix} ...`; write `Bash({prefix} *)`, which means the same",
                self.list, self.index, self.rule
            ),
        }
    }
}

/// The allow / ask / deny lists.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    allow: Vec<Rule>,
    ask: Vec<Rule>,
    deny: Vec<Rule>,
}

const PATH_READ_TOOLS: &[&str] = &["Read", "Grep", "Glob", "LS"];
const PATH_EDIT_TOOLS: &[&str] = &["Edit", "Write", "MultiEdit", "NotebookEdit"];

impl Rule {
    /// Parse one rule.
    pub fn parse(text: &str) -> Result<Rule, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("the rule is empty".into());
        }
        let (tool, spec) = match t.find('(') {
            Some(i) => {
                let Some(inner) = t[i + 1..].strip_suffix(')') else {
                    return Err(
                        "missing `)` at the end (rules look like `Tool` or `Tool(specifier)`)"
                            .into(),
                    );
                };
                (&t[..i], Some(inner.trim()))
            }
            None => {
                if t.contains(')') {
                    return Err("unbalanced `)`".into());
                }
                (t, None)
            }
        };
        let name_ok = tool
            .strip_prefix("mcp__")
            .map_or(tool, |r| r.trim_end_matches('*'));
        if tool.is_empty()
            || !name_ok
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            || !tool.starts_with(|c: char| c.is_ascii_alphabetic())
        {
            return Err(format!(
                "`{tool}` is not a tool name (expected Bash, Read, Edit, Write, WebFetch, WebSearch or mcp__server__tool)"
            ));
        }
        let text = t.to_string();
        let spec = match spec {
            Some("") => {
                return Err(format!(
                    "empty parentheses; write `{tool}` to match every use, or put a pattern inside"
                ))
            }
            Some("*") if tool == "Bash" => None,
            s => s,
        };
        if let Some(rest) = tool.strip_prefix("mcp__") {
            if spec.is_some() {
                return Err(
                    "MCP rules take no parentheses (use mcp__server__tool or mcp__server__*)"
                        .into(),
                );
            }
            let (server, tool) = match rest.split_once("__") {
                Some((s, t)) => (s, Some(t)),
                None => (rest, None),
            };
            if server.is_empty() {
                return Err("missing the server name after `mcp__`".into());
            }
            let tool = tool
                .filter(|t| *t != "*" && !t.is_empty())
                .map(str::to_string);
            return Ok(Rule {
                text,
                kind: Kind::Mcp {
                    server: server.to_string(),
                    tool,
                },
            });
        }
        let Some(spec) = spec else {
            return Ok(Rule {
                text,
                kind: Kind::Tool(tool.to_string()),
            });
        };
        let kind =
            match tool {
                "Bash" => Kind::Bash(bash_pattern(spec)),
                t if PATH_READ_TOOLS.contains(&t) => Kind::Path {
                    read: true,
                    pattern: spec.to_string(),
                    lit: literal_segment(spec),
                },
                t if PATH_EDIT_TOOLS.contains(&t) => Kind::Path {
                    read: false,
                    pattern: spec.to_string(),
                    lit: literal_segment(spec),
                },
                "WebFetch" => match spec.strip_prefix("domain:") {
                    Some(d) if !d.trim().is_empty() => Kind::Domain(d.trim().to_ascii_lowercase()),
                    _ => return Err(
                        "WebFetch rules take `domain:HOST`, such as WebFetch(domain:example.com)"
                            .into(),
                    ),
                },
                "WebSearch" => Kind::WebSearch(spec.to_string()),
                _ => Kind::Other,
            };
        Ok(Rule { text, kind })
    }
}

fn bash_pattern(spec: &str) -> BashPat {
    let norm = spec.split_whitespace().collect::<Vec<_>>().join(" ");
    let (form, normalised, shape) = match norm.strip_suffix(":*") {
        Some(prefix) => (
            BashForm::Prefix(prefix.to_string()),
            BashForm::Prefix(normalise_flags(prefix)),
            RuleShape::parse(prefix, true),
        ),
        None => {
            let optional_tail = norm.ends_with(" *") && norm.matches('*').count() == 1;
            (
                BashForm::Glob {
                    pat: norm.clone(),
                    optional_tail,
                },
                BashForm::Glob {
                    pat: normalise_flags(&norm),
                    optional_tail,
                },
                RuleShape::parse(&norm, false),
            )
        }
    };
    let first = norm
        .strip_suffix(":*")
        .unwrap_or(&norm)
        .split(' ')
        .next()
        .filter(|f| !f.contains('*') && !f.is_empty())
        .map(str::to_string);
    BashPat {
        form,
        normalised,
        shape,
        first,
    }
}

impl BashPat {
    /// The text as written (Claude Code's matching; the only one allow rules use).
    fn matches(&self, cmd: &str) -> bool {
        self.form.matches(cmd)
    }

    /// Can a command run as `argv0` (the program `prog`) match at all?
    fn may_name(&self, argv0: &str, prog: &str) -> bool {
        self.first
            .as_deref()
            .is_none_or(|f| f == argv0 || program_name(f) == prog)
    }

    /// Any spelling of what the pattern names (deny and ask rules).
    fn matches_spelling(&self, c: &CmdSpellings) -> bool {
        self.form.matches(&c.text)
            || self.form.matches(&c.named)
            || self.normalised.matches(&c.norm)
            || self.shape.as_ref().is_some_and(|s| s.matches(&c.shape))
    }
}

impl BashForm {
    fn matches(&self, cmd: &str) -> bool {
        match self {
            BashForm::Prefix(p) => {
                cmd == p
                    || (cmd.starts_with(p.as_str()) && cmd.as_bytes().get(p.len()) == Some(&b' '))
            }
            BashForm::Glob { pat, optional_tail } => {
                wildcard(pat.as_bytes(), cmd.as_bytes())
                    || (*optional_tail && cmd == &pat[..pat.len() - 2])
            }
        }
    }
}

/// One simple command in the forms deny and ask rules are matched against.
struct CmdSpellings {
    /// The words joined by single spaces, as written.
    text: String,
    /// The same with the program's bare name (`/usr/bin/rm` -> `rm`).
    named: String,
    /// `named` with short options normalised.
    norm: String,
    shape: Shape,
}

impl CmdSpellings {
    fn new(argv: &[&str]) -> CmdSpellings {
        let text = argv.join(" ");
        let named = match argv.split_first() {
            Some((first, rest)) if first.contains('/') => {
                let mut s = program_name(first).to_string();
                for w in rest {
                    s.push(' ');
                    s.push_str(w);
                }
                s
            }
            _ => text.clone(),
        };
        CmdSpellings {
            norm: normalise_flags(&named),
            shape: spelling::shape(argv),
            named,
            text,
        }
    }
}

/// Split clusters of short options and sort each run of them, so the same
/// options in another spelling give the same text: `-fr`, `-r -f` -> `-f -r`.
pub(crate) fn normalise_flags(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, out: &mut Vec<String>| {
        run.sort();
        run.dedup();
        out.append(run);
    };
    for w in text.split(' ') {
        let cluster = w.len() > 1
            && w.starts_with('-')
            && !w.starts_with("--")
            && w[1..].bytes().all(|b| b.is_ascii_alphabetic());
        if cluster {
            for c in w[1..].chars() {
                run.push(format!("-{c}"));
            }
        } else {
            flush(&mut run, &mut out);
            out.push(w.to_string());
        }
    }
    flush(&mut run, &mut out);
    out.join(" ")
}

/// `*` matches any run of bytes (including `/` and spaces).
pub(crate) fn wildcard(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (usize::MAX, 0);
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = pi;
            mark = si;
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if star != usize::MAX {
            pi = star + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Match one path segment against a segment pattern with `*`, `?` and
/// `[...]`. Iterative: the segment may be a command's, of any length.
fn seg_match(p: &[u8], s: &[u8]) -> bool {
    if !p.contains(&b'?') && !p.contains(&b'[') {
        return wildcard(p, s);
    }
    glob_bytes(p, s)
}

/// Gitignore-style match of an absolute pattern against an absolute path:
/// `*` and `?` stay within a segment, `**` spans segments. The pattern also
/// matches everything below a path it matches (a matched directory covers its
/// contents).
pub(crate) fn path_glob(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let s: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    segs_match(&p, &s)
}

/// The last segment of a path pattern that has no wildcard and is not an
/// anchor: every path the pattern matches contains it (empty when none).
fn literal_segment(pattern: &str) -> String {
    pattern
        .rsplit('/')
        .find(|s| !matches!(*s, "" | "~" | "." | ".." | "**") && !s.contains(GLOB_CHARS))
        .unwrap_or("")
        .to_string()
}

/// Characters the shell expands in a path word at run time.
const GLOB_CHARS: [char; 3] = ['*', '?', '['];

/// Can a path the shell expands from `glob` (`~/.s*/id_rsa`) be one the
/// rule pattern matches? Segment by segment: a literal against a pattern
/// is matched; two patterns in one segment are taken to meet.
fn globs_meet(pattern: &str, glob: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let s: Vec<&str> = glob.split('/').filter(|s| !s.is_empty()).collect();
    segs_meet(&p, &s)
}

fn segs_meet(p: &[&str], s: &[&str]) -> bool {
    match (p.first(), s.first()) {
        (None, _) => true,
        (Some(&"**"), _) => (0..=s.len()).any(|k| segs_meet(&p[1..], &s[k..])),
        (Some(_), None) => false,
        (Some(a), Some(b)) => {
            let meet = match (a.contains(GLOB_CHARS), b.contains(GLOB_CHARS)) {
                (_, false) => seg_match(a.as_bytes(), b.as_bytes()),
                (false, true) => shell_glob(b.as_bytes(), a.as_bytes()),
                // Two patterns: taken to meet, unless the shell's glob
                // cannot name a dot file the rule names.
                (true, true) => !a.starts_with('.') || b.starts_with('.'),
            };
            meet && segs_meet(&p[1..], &s[1..])
        }
    }
}

/// Does the shell's glob segment `g` (`*`, `?`, `[...]`) expand to the
/// name `n`? A leading `.` is matched only by a leading `.` (`*` does not
/// name dot files).
fn shell_glob(g: &[u8], n: &[u8]) -> bool {
    if n.first() == Some(&b'.') && g.first() != Some(&b'.') {
        return false;
    }
    glob_bytes(g, n)
}

/// One element of a shell glob.
enum Tok<'a> {
    Star,
    Any,
    /// `[...]`: the bytes between the brackets, negated with `!` or `^`.
    Class(&'a [u8], bool),
    Lit(u8),
}

impl Tok<'_> {
    fn hit(&self, c: u8) -> bool {
        match self {
            Tok::Star | Tok::Any => true,
            Tok::Lit(l) => *l == c,
            Tok::Class(class, neg) => {
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == b'-' {
                        hit |= class[i] <= c && c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == c;
                        i += 1;
                    }
                }
                hit != *neg
            }
        }
    }
}

fn glob_tokens(g: &[u8]) -> Vec<Tok<'_>> {
    let mut out = Vec::with_capacity(g.len());
    let mut i = 0;
    while i < g.len() {
        match g[i] {
            b'*' => out.push(Tok::Star),
            b'?' => out.push(Tok::Any),
            b'[' => {
                if let Some(end) = g.iter().skip(i + 2).position(|&c| c == b']') {
                    let body = &g[i + 1..i + 2 + end];
                    let (neg, body) = match body.first() {
                        Some(b'!' | b'^') => (true, &body[1..]),
                        _ => (false, body),
                    };
                    out.push(Tok::Class(body, neg));
                    i += end + 3;
                    continue;
                }
                out.push(Tok::Lit(b'['));
            }
            c => out.push(Tok::Lit(c)),
        }
        i += 1;
    }
    out
}

/// Glob match in O(len(g) * len(n)): one backtrack point at the last `*`
/// (the glob is the command's, so it may be made to be slow).
fn glob_bytes(g: &[u8], n: &[u8]) -> bool {
    let t = glob_tokens(g);
    let (mut ti, mut ni) = (0, 0);
    let (mut star, mut mark) = (usize::MAX, 0);
    while ni < n.len() {
        match t.get(ti) {
            Some(Tok::Star) => {
                star = ti;
                mark = ni;
                ti += 1;
            }
            Some(tok) if tok.hit(n[ni]) => {
                ti += 1;
                ni += 1;
            }
            _ if star != usize::MAX => {
                ti = star + 1;
                mark += 1;
                ni = mark;
            }
            _ => return false,
        }
    }
    t[ti..].iter().all(|tok| matches!(tok, Tok::Star))
}

/// `path` is the literal directory a pattern starts with, or above it
/// (`/home/u` for `/home/u/.ssh/**`; nothing for `/w/**/.env` but `/w` and `/`).
fn above(path: &str, pattern: &str) -> bool {
    let lit = pattern
        .split('/')
        .filter(|s| !s.is_empty())
        .take_while(|s| !s.contains(['*', '?', '[']));
    let mut s = path.split('/').filter(|s| !s.is_empty());
    let mut lit = lit;
    loop {
        match (s.next(), lit.next()) {
            (None, Some(_)) => return true,
            (None, None) => return pattern.contains('*'),
            (Some(_), None) => return false,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// Segment-wise glob match (see [`path_glob`]).
pub(crate) fn segs_match(p: &[&str], s: &[&str]) -> bool {
    match p.first() {
        None => true, // pattern done: the path is it or below it
        Some(&"**") => (0..=s.len()).any(|k| segs_match(&p[1..], &s[k..])),
        Some(seg) => {
            !s.is_empty()
                && seg_match(seg.as_bytes(), s[0].as_bytes())
                && segs_match(&p[1..], &s[1..])
        }
    }
}

/// Where paths are resolved from.
pub(crate) struct Base<'a> {
    pub cwd: &'a str,
    pub workspace: &'a str,
    pub home: Option<&'a str>,
}

/// Turn a rule's path pattern into an absolute pattern (Claude Code's anchors).
fn anchor(pattern: &str, b: &Base) -> String {
    if let Some(rest) = pattern.strip_prefix("//") {
        return format!("/{rest}");
    }
    if let Some(rest) = pattern.strip_prefix("~/") {
        return format!("{}/{rest}", b.home.unwrap_or("~"));
    }
    if pattern == "~" {
        return b.home.unwrap_or("~").to_string();
    }
    if let Some(rest) = pattern.strip_prefix('/') {
        return format!("{}/{rest}", b.workspace.trim_end_matches('/'));
    }
    let rest = pattern.strip_prefix("./").unwrap_or(pattern);
    let cwd = b.cwd.trim_end_matches('/');
    if rest.trim_end_matches('/').contains('/') {
        format!("{cwd}/{rest}")
    } else {
        format!("{cwd}/**/{rest}")
    }
}

/// Host matching for domain rules and network policies: exact, `*.suffix`
/// (subdomains and the domain itself), or `*` (everything).
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.trim().to_ascii_lowercase();
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => host == suffix || host.ends_with(&format!(".{suffix}")),
        None => host == pattern,
    }
}

impl Rules {
    /// Parse the three lists; the first malformed rule is reported.
    pub fn from_lists(
        allow: &[String],
        ask: &[String],
        deny: &[String],
    ) -> Result<Rules, RuleError> {
        let parse = |list: &'static str, v: &[String]| -> Result<Vec<Rule>, RuleError> {
            v.iter()
                .enumerate()
                .map(|(index, r)| {
                    Rule::parse(r).map_err(|problem| RuleError {
                        list,
                        index,
                        rule: r.clone(),
                        problem,
                    })
                })
                .collect()
        };
        Ok(Rules {
            allow: parse("allow", allow)?,
            ask: parse("ask", ask)?,
            deny: parse("deny", deny)?,
        })
    }

    /// No rules at all.
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.ask.is_empty() && self.deny.is_empty()
    }

    /// The first rule matching, deny first, then ask, then allow.
    fn find(&self, allow_too: bool, pred: impl Fn(&Kind) -> bool) -> Option<(Verdict, &Rule)> {
        let lists: [(Verdict, &Vec<Rule>); 3] = [
            (Verdict::Deny, &self.deny),
            (Verdict::Ask, &self.ask),
            (Verdict::Allow, &self.allow),
        ];
        for (v, list) in lists {
            if v == Verdict::Allow && !allow_too {
                break;
            }
            if let Some(r) = list.iter().find(|r| pred(&r.kind)) {
                return Some((v, r));
            }
        }
        None
    }

    /// Rules for one simple command (its words). Deny and ask rules match
    /// every spelling of what they name (see [`crate::spelling`]: the
    /// program by any path, options in any order, bundle or long form,
    /// supersets of the options); allow rules match the text as written.
    pub(crate) fn bash(&self, argv: &[&str]) -> Option<(Verdict, &Rule)> {
        if let Some(hit) = self.bash_strict(argv) {
            return Some(hit);
        }
        let text = argv.join(" ");
        self.allow
            .iter()
            .find(|r| match &r.kind {
                Kind::Tool(t) => t == "Bash",
                Kind::Bash(p) => p.matches(&text),
                _ => false,
            })
            .map(|r| (Verdict::Allow, r))
    }

    /// Deny and ask rules for one simple command, in every spelling.
    pub(crate) fn bash_strict(&self, argv: &[&str]) -> Option<(Verdict, &Rule)> {
        let argv0 = argv.first().copied().unwrap_or("");
        let prog = spelling::program_of(argv);
        // Built on the first rule that can match (most commands meet none).
        let mut spellings: Option<CmdSpellings> = None;
        for (v, list) in [(Verdict::Deny, &self.deny), (Verdict::Ask, &self.ask)] {
            for r in list {
                let hit = match &r.kind {
                    Kind::Tool(t) => t == "Bash",
                    Kind::Bash(p) => {
                        p.may_name(argv0, prog)
                            && p.matches_spelling(
                                spellings.get_or_insert_with(|| CmdSpellings::new(argv)),
                            )
                    }
                    _ => false,
                };
                if hit {
                    return Some((v, r));
                }
            }
        }
        None
    }

    /// Could a deny or ask Bash rule match a command line in `text`? False
    /// when no such rule's program name appears in it (quotes and
    /// backslashes aside): a cheap filter before parsing strings of code.
    pub(crate) fn strict_bash_may_match(&self, text: &str) -> bool {
        let mut plain: Option<String> = None;
        self.deny.iter().chain(&self.ask).any(|r| match &r.kind {
            Kind::Tool(t) => t == "Bash",
            Kind::Bash(p) => match &p.first {
                None => true,
                Some(f) => plain
                    .get_or_insert_with(|| text.replace(['\'', '"', '\\'], ""))
                    .contains(program_name(f)),
            },
            _ => false,
        })
    }

    /// Deny and ask path rules naming something below `path`, for a command
    /// that reads or writes a whole tree (`tar c ~`, `rm -rf ~`): the path is
    /// the rule's directory or one above it (`Read(~/.ssh/**)` and `~`).
    pub(crate) fn path_below(&self, read: bool, path: &str, b: &Base) -> Option<(Verdict, &Rule)> {
        self.find(false, |k| match k {
            Kind::Path {
                read: r, pattern, ..
            } => *r == read && above(path, &anchor(pattern, b)),
            _ => false,
        })
    }

    /// What a user should know about rules that parse: each legacy
    /// `Bash(x:*)` prefix rule, with the form to write instead.
    pub fn warnings(&self) -> Vec<RuleWarning> {
        let lists: [(&'static str, &Vec<Rule>); 3] = [
            ("allow", &self.allow),
            ("ask", &self.ask),
            ("deny", &self.deny),
        ];
        let mut out = Vec::new();
        for (list, rules) in lists {
            for (index, r) in rules.iter().enumerate() {
                if let Kind::Bash(BashPat {
                    form: BashForm::Prefix(prefix),
                    ..
                }) = &r.kind
                {
                    out.push(RuleWarning {
                        list,
                        index,
                        rule: r.text.clone(),
                        kind: RuleWarningKind::LegacyPrefix {
                            prefix: prefix.clone(),
                        },
                    });
                }
            }
        }
        out
    }

    /// Path rules for a file read (`read`) or written, by a file tool
    /// (`allow_too`) or by a shell command (deny and ask only).
    pub(crate) fn path(
        &self,
        read: bool,
        path: &str,
        b: &Base,
        allow_too: bool,
    ) -> Option<(Verdict, &Rule)> {
        let tools = if read {
            PATH_READ_TOOLS
        } else {
            PATH_EDIT_TOOLS
        };
        self.find(allow_too, |k| match k {
            Kind::Tool(t) => allow_too && tools.contains(&t.as_str()),
            Kind::Path {
                read: r,
                pattern,
                lit,
            } => {
                *r == read && (path.contains(lit.as_str()) || path.contains(GLOB_CHARS)) && {
                    let pat = anchor(pattern, b);
                    path_glob(&pat, path)
                        || (!allow_too && path.contains(GLOB_CHARS) && globs_meet(&pat, path))
                }
            }
            _ => false,
        })
    }

    /// Deny and ask path rules for a path a command names without saying
    /// what it does with it: the path as written, globs not expanded (a word
    /// like `s/.*/x/` is more likely a sed script than a glob).
    pub(crate) fn path_named(&self, read: bool, path: &str, b: &Base) -> Option<(Verdict, &Rule)> {
        self.find(false, |k| match k {
            Kind::Path {
                read: r,
                pattern,
                lit,
            } => *r == read && path.contains(lit.as_str()) && path_glob(&anchor(pattern, b), path),
            _ => false,
        })
    }

    /// Are there deny or ask `Read(...)` (`read`) or `Edit(...)` rules
    /// (worth checking every path a command names)?
    pub(crate) fn has_strict_path_rules(&self, read: bool) -> bool {
        self.deny
            .iter()
            .chain(&self.ask)
            .any(|r| matches!(r.kind, Kind::Path { read: r, .. } if r == read))
    }

    /// Domain rules for a host; `tool` (`WebFetch`) also matches the bare tool rule.
    pub(crate) fn domain(
        &self,
        host: &str,
        allow_too: bool,
        tool: Option<&str>,
    ) -> Option<(Verdict, &Rule)> {
        self.find(allow_too, |k| match k {
            Kind::Tool(t) => tool == Some(t.as_str()),
            Kind::Domain(d) => host_matches(d, host),
            _ => false,
        })
    }

    pub(crate) fn web_search(&self, query: &str) -> Option<(Verdict, &Rule)> {
        self.find(true, |k| match k {
            Kind::Tool(t) => t == "WebSearch",
            Kind::WebSearch(p) => wildcard(p.as_bytes(), query.as_bytes()),
            _ => false,
        })
    }

    pub(crate) fn mcp(&self, server: &str, tool: &str) -> Option<(Verdict, &Rule)> {
        self.find(true, |k| match k {
            Kind::Mcp { server: s, tool: t } => {
                s == server
                    && t.as_ref()
                        .is_none_or(|t| wildcard(t.as_bytes(), tool.as_bytes()))
            }
            _ => false,
        })
    }

    /// Every rule as (list, text), for listing and import.
    pub fn iter(&self) -> impl Iterator<Item = (Verdict, &str)> {
        self.deny
            .iter()
            .map(|r| (Verdict::Deny, r.text.as_str()))
            .chain(self.ask.iter().map(|r| (Verdict::Ask, r.text.as_str())))
            .chain(self.allow.iter().map(|r| (Verdict::Allow, r.text.as_str())))
    }

    /// Rules naming tools cordon does not model (kept but never matching).
    pub fn unmodelled(&self) -> Vec<&str> {
        self.deny
            .iter()
            .chain(&self.ask)
            .chain(&self.allow)
            .filter(|r| matches!(r.kind, Kind::Other))
            .map(|r| r.text.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(c: &str) -> Vec<&str> {
        c.split(' ').collect()
    }

    fn bash(rule: &str, cmd: &str) -> bool {
        match Rule::parse(rule).unwrap().kind {
            Kind::Bash(p) => p.matches(cmd),
            Kind::Tool(_) => true,
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn bash_prefix_and_glob_forms() {
        assert!(bash("Bash(npm run test:*)", "npm run test"));
        assert!(bash("Bash(npm run test:*)", "npm run test -- --watch"));
        assert!(!bash("Bash(npm run test:*)", "npm run testx"));
        assert!(bash("Bash(git push *)", "git push origin main"));
        assert!(bash("Bash(git push *)", "git push"));
        assert!(!bash("Bash(git push *)", "git pushx"));
        assert!(bash("Bash(ls*)", "lsof"));
        assert!(bash("Bash(git * main)", "git push origin main"));
        assert!(!bash("Bash(git status)", "git status --short"));
        assert!(bash("Bash(git  status)", "git status"));
        assert!(bash("Bash", "anything at all"));
        assert!(bash("Bash(*)", "anything at all"));
    }

    #[test]
    fn deny_rules_see_through_option_spelling() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let r = Rules::from_lists(
            &s(&["Bash(rm -rf /tmp/x)"]),
            &s(&["Bash(git push -f *)"]),
            &s(&["Bash(rm -rf *)"]),
        )
        .unwrap();
        for c in [
            "rm -rf /etc",
            "rm -fr /etc",
            "rm -r -f /etc",
            "rm -f -r /etc",
            "rm -Rrf /etc",
        ] {
            assert_eq!(r.bash(&w(c)).unwrap().0, Verdict::Deny, "{c}");
        }
        assert_eq!(r.bash(&w("git push -f origin")).unwrap().0, Verdict::Ask);
        assert_eq!(
            normalise_flags("tar -xzf a.tgz -C d"),
            "tar -f -x -z a.tgz -C d"
        );
    }

    #[test]
    fn legacy_prefix_rules_are_warned_about() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let r = Rules::from_lists(
            &s(&["Bash(git status)", "Bash(npm run test:*)"]),
            &s(&["Bash(git push *)"]),
            &s(&["Read(~/.ssh/**)", "Bash(rm:*)"]),
        )
        .unwrap();
        let w = r.warnings();
        assert_eq!(
            w,
            [
                RuleWarning {
                    list: "allow",
                    index: 1,
                    rule: "Bash(npm run test:*)".into(),
                    kind: RuleWarningKind::LegacyPrefix {
                        prefix: "npm run test".into()
                    },
                },
                RuleWarning {
                    list: "deny",
                    index: 1,
                    rule: "Bash(rm:*)".into(),
                    kind: RuleWarningKind::LegacyPrefix {
                        prefix: "rm".into()
                    },
                },
            ]
        );
        assert!(w[0].to_string().starts_with(
            "permissions.allow[1] `Bash(npm run test:*)`: `:*` is the legacy prefix form"
        ));
        assert!(w[0].to_string().contains("`Bash(npm run test *)`"));
        // The legacy form and the `*` form it names match the same commands.
        let legacy = Rule::parse("Bash(npm run test:*)").unwrap();
        let modern = Rule::parse("Bash(npm run test *)").unwrap();
        for c in [
            "npm run test",
            "npm run test -- x",
            "npm run testx",
            "npm run",
        ] {
            let m = |r: &Rule| match &r.kind {
                Kind::Bash(p) => p.matches(c),
                _ => unreachable!(),
            };
            assert_eq!(m(&legacy), m(&modern), "{c}");
        }
        assert!(Rules::from_lists(&s(&["Bash(git *)"]), &[], &[])
            .unwrap()
            .warnings()
            .is_empty());
    }

    #[test]
    fn allow_rules_match_the_text_as_written() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let r =
            Rules::from_lists(&s(&["Bash(git status)", "Bash(rm -rf build)"]), &[], &[]).unwrap();
        assert!(r.bash(&w("git status")).is_some());
        assert!(r.bash(&w("rm -rf build")).is_some());
        for c in [
            "./git status",
            "/usr/bin/git status",
            "git -C x status",
            "rm -fr build",
            "rm -r -f build",
            "busybox rm -rf build",
        ] {
            assert!(r.bash(&w(c)).is_none(), "{c}");
        }
    }

    #[test]
    fn malformed_rules_say_what_is_wrong() {
        let e =
            Rules::from_lists(&[], &[], &["Read(~/.ssh/**)".into(), "Bash(rm".into()]).unwrap_err();
        assert_eq!(e.list, "deny");
        assert_eq!(e.index, 1);
        assert!(
            e.to_string()
                .contains("permissions.deny[1] `Bash(rm`: missing `)`"),
            "{e}"
        );
        for bad in [
            "",
            "Bash()",
            "WebFetch(example.com)",
            "mcp__x__y(z)",
            "1Bash",
            "Ba sh",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad:?}");
        }
        for good in [
            "Agent(explore)",
            "mcp__github",
            "mcp__github__*",
            "WebSearch",
            "Skill(x *)",
        ] {
            assert!(Rule::parse(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn path_anchors_follow_claude_code() {
        let b = Base {
            cwd: "/w/sub",
            workspace: "/w",
            home: Some("/home/u"),
        };
        let m = |pat: &str, path: &str| path_glob(&anchor(pat, &b), path);
        assert!(m("~/.ssh/**", "/home/u/.ssh/id_rsa"));
        assert!(m("~/.ssh", "/home/u/.ssh/id_rsa"));
        assert!(m("//etc/shadow", "/etc/shadow"));
        assert!(m("/src/**", "/w/src/a/b.rs"));
        assert!(!m("/src/**", "/w/sub/src/a.rs"));
        assert!(m("./.env", "/w/sub/.env"));
        assert!(m(".env", "/w/sub/deep/.env"));
        assert!(m("*.log", "/w/sub/x/y.log"));
        assert!(!m("src/*.rs", "/w/sub/src/a/b.rs"));
        assert!(m("src/**/*.rs", "/w/sub/src/a/b.rs"));
        assert!(m("src/?.rs", "/w/sub/src/a.rs"));
        // A long segment against a `?` pattern: no recursion to overflow.
        let long = format!("/w/sub/src/{}.rs", "a".repeat(1_000_000));
        assert!(!m("src/?.rs", &long));
    }

    #[test]
    fn globs_and_trees_meet_path_patterns() {
        assert!(globs_meet("/home/u/.ssh/**", "/home/u/.s*/id_rsa"));
        assert!(globs_meet("/home/u/.ssh/**", "/home/*/.ssh/id_rsa"));
        assert!(globs_meet("/home/u/.ssh/id_*", "/home/u/.ssh/*"));
        assert!(globs_meet("/home/u/.ssh/**", "/home/u/.ss[h]/x"));
        assert!(globs_meet("/home/u/.ssh/**", "/home/u/.ss[a-z]/x"));
        assert!(!globs_meet("/home/u/.ssh/**", "/home/u/.ss[!h]/x"));
        assert!(!globs_meet("/w/**/.env", "/w/[zZ]"));
        assert!(!globs_meet("/w/**/.env", "/w/*"));
        assert!(!globs_meet("/home/u/.bashrc", "/home/u/*"));
        assert!(globs_meet("/home/u/.bashrc", "/home/u/.*"));
        assert!(globs_meet("/w/**/.env", "/w/.e?v"));
        assert!(glob_bytes(b"*a*[b-c]?", b"xxaxbz"));
        assert!(!glob_bytes(b"*a*[!b]?", b"ab"));
        // A glob with many stars stays fast (the command's glob is untrusted).
        let many = "*a".repeat(5000) + "b";
        let t = std::time::Instant::now();
        assert!(!glob_bytes(
            many.as_bytes(),
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        ));
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        assert!(!globs_meet("/home/u/.ssh/**", "/home/u/.x*/id_rsa"));
        assert!(!globs_meet("/home/u/.ssh/**", "/home/u/*.txt"));
        assert!(above("/home/u", "/home/u/.ssh/**"));
        assert!(above("/", "/home/u/.ssh/**"));
        assert!(above("/w/app", "/w/app/**/.env"));
        assert!(!above("/w/app/build", "/w/app/**/.env"));
        assert!(!above("/home/u/tmp", "/home/u/.ssh/**"));
        assert!(!above("/home/u/.ssh/id_rsa", "/home/u/.ssh/id_rsa"));
    }

    #[test]
    fn hosts() {
        assert!(host_matches("example.com", "EXAMPLE.com."));
        assert!(!host_matches("example.com", "a.example.com"));
        assert!(host_matches("*.example.com", "a.b.example.com"));
        assert!(host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "badexample.com"));
    }

    #[test]
    fn deny_beats_ask_beats_allow() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let r = Rules::from_lists(
            &s(&["Bash(git *)"]),
            &s(&["Bash(git push *)"]),
            &s(&["Bash(git push --force *)"]),
        )
        .unwrap();
        assert_eq!(r.bash(&w("git status")).unwrap().0, Verdict::Allow);
        assert_eq!(r.bash(&w("git push origin")).unwrap().0, Verdict::Ask);
        assert_eq!(
            r.bash(&w("git push --force origin")).unwrap().0,
            Verdict::Deny
        );
        assert!(r.bash(&w("ls")).is_none());
    }

    #[test]
    fn mcp_rules() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let r = Rules::from_lists(
            &s(&["mcp__github__*", "mcp__fs"]),
            &[],
            &s(&["mcp__github__delete_repo"]),
        )
        .unwrap();
        assert_eq!(r.mcp("github", "create_issue").unwrap().0, Verdict::Allow);
        assert_eq!(r.mcp("github", "delete_repo").unwrap().0, Verdict::Deny);
        assert_eq!(r.mcp("fs", "read").unwrap().0, Verdict::Allow);
        assert!(r.mcp("slack", "post").is_none());
    }
}
