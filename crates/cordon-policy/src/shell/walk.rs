//! The walk over a tree-sitter tree: simple commands in the order they run,
//! with the variables known at each point substituted into their words.
//!
//! The walk is recursive over the tree, so its depth is bounded
//! ([`MAX_TREE_DEPTH`]); a long `&&` list, which tree-sitter nests to the
//! left, is walked as the flat list it is.

use super::vars::{self, Exp, Val, Vars};
use super::{Parsed, Redirect, SimpleCmd, Word};
use crate::class::RiskClass;
use tree_sitter::Node;

/// How deep the walk follows the tree (a nesting level of `$(`, `(`, `if`
/// costs two or three); deeper is opaque.
pub(super) const MAX_TREE_DEPTH: usize = 400;
/// `for v in a b c`: the body is walked once per known value, for this many
/// values in all (nested loops included); past it, `v` is unknown.
const MAX_UNROLL: usize = 16;
/// The stack the whole analysis may use, measured from where it started
/// (the walk stops deeper, whatever the size of its frames in this build).
const MAX_STACK: usize = 96 * 1024;

/// Builtins that set the variables named in their arguments to values not
/// known in advance, with the option that makes them do it (if one must be
/// given).
const SETS_NAMED: &[(&str, Option<&str>)] = &[
    ("read", None),
    ("mapfile", None),
    ("readarray", None),
    ("getopts", None),
    ("let", None),
    ("export", None),
    ("declare", None),
    ("typeset", None),
    ("local", None),
    ("readonly", None),
    ("unset", None),
    ("printf", Some("-v")),
    ("wait", Some("-p")),
];

/// Builtins that run code in this shell (so may set any variable).
const RUNS_HERE: &[&str] = &["eval", "source", ".", "trap"];

/// POSIX special builtins: `x=1 :` keeps `x` in the shell under `sh`.
const SPECIAL_BUILTINS: &[&str] = &[
    ":", ".", "eval", "exec", "export", "readonly", "return", "set", "shift", "times", "trap",
    "unset", "break", "continue", "exit", "source",
];

/// Redirections (and the words tree-sitter attaches to them) of an enclosing
/// `redirected_statement`.
#[derive(Default)]
pub(super) struct Outer {
    reds: Vec<Redirect>,
    stdin: Option<String>,
    /// `echo a > f b`: tree-sitter hangs `b` on the redirect; it is an argument.
    extra: Vec<Word>,
}

/// What a simple command does to the shell's variables.
enum Effect {
    /// These become unknown.
    Forget(Vec<String>),
    /// Any may have changed.
    Poison,
}

/// One part of a word being assembled.
enum Part {
    Lit(String),
    /// Known only at run time: its source text.
    Dyn(String),
    /// `~` or `.` from `$HOME`/`$PWD`/a tilde: valid only first and followed
    /// by `/` or nothing; otherwise its source text, unknown.
    Ctx(&'static str, String),
}

/// A word as assembled, with what bash does to it next.
struct Built {
    word: Word,
    /// Unquoted wildcards: a glob.
    glob: bool,
    /// Only unquoted literal text (brace expansion applies).
    bare: bool,
    /// Nothing quoted and nothing literal: an empty result is no word at all.
    only_expansions: bool,
    /// The whole word is `$HOME` (or `~`): the context's home.
    ctx: Option<&'static str>,
}

/// Walks a tree-sitter tree and collects simple commands.
pub(super) struct Walker<'a> {
    src: &'a str,
    out: &'a mut Parsed,
    vars: Vars,
    /// Names assigned so far (to forget them after a branch that may not run).
    written: Vec<String>,
    /// Functions defined in the line: calling one may change any variable.
    funcs: Vec<String>,
    depth: usize,
    /// Loop bodies left to walk once per value ([`MAX_UNROLL`] in all).
    unroll: usize,
    /// Could `HOME` be assigned somewhere in the line? (Function bodies run
    /// later, with whatever `HOME` is then.)
    home_may_change: bool,
}

impl<'a> Walker<'a> {
    pub(super) fn new(src: &'a str, out: &'a mut Parsed) -> Walker<'a> {
        out.mark_stack();
        let home_may_change = src
            .match_indices("HOME")
            .any(|(i, _)| i == 0 || !matches!(src.as_bytes()[i - 1], b'$' | b'{'));
        Walker {
            src,
            out,
            vars: Vars::new(),
            written: Vec::new(),
            funcs: Vec::new(),
            depth: 0,
            unroll: MAX_UNROLL,
            home_may_change,
        }
    }

    fn text(&self, n: Node) -> &'a str {
        &self.src[n.byte_range()]
    }

    /// Visit `n` unless the walk is already [`MAX_TREE_DEPTH`] deep.
    pub(super) fn visit(&mut self, n: Node, piped: bool, redirects: Option<Outer>) {
        if self.depth >= MAX_TREE_DEPTH || self.out.stack_used() > MAX_STACK {
            self.out.bound(String::from(
                "the command nests deeper than cordon analyses (too many levels of syntax)",
            ));
            return;
        }
        self.depth += 1;
        self.visit_node(n, piped, redirects);
        self.depth -= 1;
    }

    fn assign(&mut self, name: &str, v: Option<Val>) {
        self.vars.set(name, v);
        self.written.push(name.to_string());
    }

    /// Forget the variables assigned since `*mark` (a branch that may not
    /// have run), and move the mark.
    fn forget_since(&mut self, mark: &mut usize) {
        for i in *mark..self.written.len() {
            let name = std::mem::take(&mut self.written[i]);
            self.vars.set(&name, None);
            self.written[i] = name;
        }
        *mark = self.written.len();
    }

    /// Walk `f` in a subshell: its variables and functions do not leak.
    fn subshell(&mut self, f: impl FnOnce(&mut Self)) {
        let vars = self.vars.clone();
        let (log, funcs) = (self.written.len(), self.funcs.len());
        let start = self.out.cmds.len();
        f(self);
        self.vars = vars;
        self.written.truncate(log);
        self.funcs.truncate(funcs);
        self.directory_lost(start);
    }

    /// After a scope that ran in a subshell or may not have run, a `cd` in it
    /// (from `start` on) leaves the directory unknown: the decision follows
    /// `cd` through the line, and takes `cd -` for "unknown".
    fn directory_lost(&mut self, start: usize) {
        let cd = |c: &SimpleCmd| matches!(c.name(), "cd" | "pushd" | "popd") && c.via.is_empty();
        if self.out.cmds.get(start..).is_some_and(|c| c.iter().any(cd)) {
            self.out.cmds.push(SimpleCmd {
                argv: vec![Word::lit("cd"), Word::lit("-")],
                ..SimpleCmd::default()
            });
        }
    }

    /// The named children, each in a subshell when a `&` follows it.
    fn statements(&mut self, n: Node, piped: bool) {
        self.branches_of(n, piped, &[], &mut 0);
    }

    /// The named children of `n` in order (one pass: `next_sibling` costs a
    /// walk from the parent), each in a subshell when a `&` follows it;
    /// before one of `kinds`, forget what was assigned since `mark`.
    fn branches_of(&mut self, n: Node, piped: bool, kinds: &[&str], mark: &mut usize) {
        if n.named_child_count() == 0 {
            return;
        }
        let mut cur = n.walk();
        let mut pending: Option<Node> = None;
        for ch in n.children(&mut cur) {
            if let Some(p) = pending.take() {
                self.statement(p, piped, ch.kind() == "&", kinds, mark);
            }
            if ch.is_named() {
                pending = Some(ch);
            }
        }
        if let Some(p) = pending {
            self.statement(p, piped, false, kinds, mark);
        }
    }

    fn statement(&mut self, ch: Node, piped: bool, bg: bool, kinds: &[&str], mark: &mut usize) {
        if kinds.contains(&ch.kind()) {
            self.forget_since(mark);
        }
        if bg {
            self.subshell(|w| w.visit(ch, piped, None));
        } else {
            self.visit(ch, piped, None);
        }
    }

    /// `redirects`: redirections of an enclosing `redirected_statement`.
    fn visit_node(&mut self, n: Node, piped: bool, redirects: Option<Outer>) {
        // Each arm calls a function of its own: this frame is on the stack
        // once per level of the tree, so it stays small.
        match n.kind() {
            "command" => self.command(n, piped, redirects),
            "redirected_statement" => self.redirected(n, piped),
            "pipeline" => self.pipeline(n, piped, redirects),
            "list" => self.list(n, piped, redirects),
            "variable_assignment" if n.parent().is_some_and(|p| p.kind() == "command") => {
                self.descend(n)
            }
            "variable_assignment" => self.bare_assignment(n),
            "declaration_command" => self.declaration(n),
            "unset_command" => self.unset(n),
            "command_substitution" if self.text(n).starts_with('`') => self.backticks(n),
            "compound_statement" if self.text(n).starts_with("((") => self.arithmetic(n, "(("),
            "arithmetic_expansion" => self.arithmetic(n, "$(("),
            "command_substitution" | "process_substitution" => self.substitution(n),
            "subshell" => self.subshell(|w| w.statements(n, piped)),
            "function_definition" => self.function(n, piped),
            "if_statement" => self.branches(n, piped, &["elif_clause", "else_clause"]),
            "case_statement" => self.branches(n, piped, &["case_item"]),
            "for_statement" | "select_statement" => self.for_loop(n, piped),
            "while_statement" | "c_style_for_statement" => self.while_loop(n, piped),
            _ => self.statements(n, piped),
        }
    }

    fn pipeline(&mut self, n: Node, piped: bool, redirects: Option<Outer>) {
        let stages: Vec<Node> = {
            let mut cur = n.walk();
            n.named_children(&mut cur).collect()
        };
        let mut redirects = redirects;
        let last = stages.len().saturating_sub(1);
        for (idx, ch) in stages.into_iter().enumerate() {
            let r = if idx == last { redirects.take() } else { None };
            let start = self.out.cmds.len();
            // Every stage runs in a subshell of its own.
            self.subshell(|w| w.stage(ch, piped || idx > 0, r));
            // Every command of a stage but the last writes into the pipe
            // (also those of a `{ ...; }` group or a subshell).
            if idx < last {
                for c in &mut self.out.cmds[start..] {
                    c.pipes_out = true;
                }
            }
        }
    }

    /// `` `...` ``: escaped backticks inside nest a substitution tree-sitter
    /// does not parse: unescape one level and parse the text again.
    fn backticks(&mut self, n: Node) {
        let raw = self.text(n);
        if raw.contains("\\`") {
            // An unterminated one (`` `a€ ``) has no closing backtick to drop.
            let inner = raw[1..].strip_suffix('`').unwrap_or(&raw[1..]);
            let text = inner
                .replace("\\`", "`")
                .replace("\\$", "$")
                .replace("\\\\", "\\");
            self.out.pending.push(text);
            self.subshell(|w| w.descend(n));
        } else {
            self.substitution(n);
        }
    }

    /// `((...))` and `$((...))`. Not arithmetic (`$((cmd args))`): older
    /// bash runs it as nested subshells; be safe and parse it as shell.
    /// Arithmetic may assign (`x=5`, `i++`): the names in it become unknown.
    fn arithmetic(&mut self, n: Node, open: &str) {
        let raw = self.text(n);
        let inner = raw.trim_start_matches(open).trim_end_matches("))");
        if !looks_arithmetic(inner) {
            self.out.pending.push(inner.to_string());
        }
        if raw.contains('=') || raw.contains("++") || raw.contains("--") {
            for name in vars::names_in(raw) {
                self.assign(name, None);
            }
        }
        self.descend(n);
    }

    /// `while`/`until`/`for ((...))`: the body may run again after changing
    /// what it reads, or not at all.
    fn while_loop(&mut self, n: Node, piped: bool) {
        self.vars.forget_mentioned(self.text(n));
        let (mut mark, cmds) = (self.written.len(), self.out.cmds.len());
        self.statements(n, piped);
        self.forget_since(&mut mark);
        self.directory_lost(cmds);
    }

    /// A statement with redirections.
    fn redirected(&mut self, n: Node, piped: bool) {
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
            Some(b) if matches!(b.kind(), "pipeline" | "list") && b.named_child_count() > 0 => {
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
    }

    /// One stage of a pipeline or list, `r` the redirections of the whole
    /// when it is the last.
    fn stage(&mut self, ch: Node, piped: bool, r: Option<Outer>) {
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
                        || (r.stdin.is_some() && !matches!(ch.kind(), "pipeline" | "list"))) =>
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
                self.visit(ch, piped, None);
                if let Some(text) = &r.stdin {
                    for c in &mut self.out.cmds[inner..] {
                        c.stdin_text.get_or_insert_with(|| text.clone());
                    }
                }
            }
            r => self.visit(ch, piped, r),
        }
    }

    /// `a && b || c`, which tree-sitter nests to the left, walked flat. An
    /// item after the first may not run: what it assigns is unknown
    /// afterwards, and to the items after an `||`.
    fn list(&mut self, n: Node, piped: bool, redirects: Option<Outer>) {
        let items = flatten_list(n);
        let mut redirects = redirects;
        let last = items.len().saturating_sub(1);
        let mut all_and = true;
        let mut mark = self.written.len();
        let mut after_first = mark;
        let mut first_cmds = self.out.cmds.len();
        for (idx, (ch, and)) in items.into_iter().enumerate() {
            let r = if idx == last { redirects.take() } else { None };
            if idx > 0 {
                all_and &= and;
                if !all_and {
                    self.forget_since(&mut mark);
                }
            }
            self.stage(ch, piped, r);
            if idx == 0 {
                mark = self.written.len();
                after_first = mark;
                first_cmds = self.out.cmds.len();
            }
        }
        self.forget_since(&mut after_first);
        self.directory_lost(first_cmds);
    }

    /// `if`/`case`: each branch starts from what was known before the first
    /// (`kinds` start a branch); after it, what any branch assigned is unknown.
    fn branches(&mut self, n: Node, piped: bool, kinds: &[&str]) {
        let cmds = self.out.cmds.len();
        let start = self.written.len();
        let mut mark = start;
        self.branches_of(n, piped, kinds, &mut mark);
        mark = start;
        self.forget_since(&mut mark);
        self.directory_lost(cmds);
    }

    /// `for v in LIST`: `v` is known when the list is one known word.
    fn for_loop(&mut self, n: Node, piped: bool) {
        let mut values = Vec::new();
        let mut listed = false;
        let mut cur = n.walk();
        for v in n.children_by_field_name("value", &mut cur) {
            listed = true;
            self.words(v, &mut values, false);
            self.visit(v, false, None);
        }
        let var = n.child_by_field_name("variable").map(|v| self.text(v));
        self.vars.forget_mentioned(self.text(n));
        let mut mark = self.written.len();
        let cmds = self.out.cmds.len();
        let body = n.child_by_field_name("body");
        // Known words, few enough: the body once per value, in order.
        let known = listed && !values.is_empty() && values.iter().all(|w| !w.dynamic);
        let rounds: Vec<Option<Val>> = if known && values.len() <= self.unroll {
            self.unroll -= values.len();
            values
                .into_iter()
                .map(|w| Some(Val::Known(w.text)))
                .collect()
        } else {
            vec![None]
        };
        for val in rounds {
            // What a round assigned may not have happened (`continue`).
            self.forget_since(&mut mark);
            if let Some(var) = var {
                self.assign(var, val);
            }
            if let Some(body) = body {
                self.visit(body, piped, None);
            }
        }
        self.forget_since(&mut mark);
        self.directory_lost(cmds);
    }

    /// A function body runs when called, with the variables of that moment:
    /// walked with none known (but `HOME` and `PWD` when nothing changes
    /// `HOME`). Calling it may change any variable.
    fn function(&mut self, n: Node, piped: bool) {
        // A function that calls itself (`:(){ :|:& };:`) forks or
        // recurses without end: a fork bomb.
        let name = n
            .child_by_field_name("name")
            .map(|x| self.text(x).to_string());
        let start = self.out.cmds.len();
        let fresh = self.vars.fresh(!self.home_may_change);
        self.subshell(|w| {
            w.vars = fresh;
            w.statements(n, piped);
        });
        if let Some(name) = name {
            if self.out.cmds[start..].iter().any(|c| c.name() == name) {
                self.out.note(
                    RiskClass::Exhaust,
                    format!(
                        "the function `{name}` calls itself, so it can fork or recurse without end"
                    ),
                );
            }
            self.funcs.push(name);
        }
    }

    /// `$(...)`, `<(...)` (in a subshell): `$(< file)` reads the file, a
    /// redirect without a command.
    fn substitution(&mut self, n: Node) {
        self.subshell(|w| w.substitution_body(n));
    }

    fn substitution_body(&mut self, n: Node) {
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
    }

    /// Visit everything below `n` looking for commands (in substitutions).
    fn descend(&mut self, n: Node) {
        let mut cur = n.walk();
        for ch in n.named_children(&mut cur) {
            self.visit(ch, false, None);
        }
    }

    /// `NAME=value` on its own: changes the shell itself.
    fn bare_assignment(&mut self, n: Node) {
        let name_node = n.child_by_field_name("name");
        let shown = name_node.map(|x| self.text(x)).unwrap_or_default();
        let (name, subscripted) = match name_node {
            Some(x) if x.kind() == "subscript" => (
                x.child_by_field_name("name")
                    .map(|v| self.text(v))
                    .unwrap_or_default(),
                true,
            ),
            _ => (shown, false),
        };
        let append = name_node.is_some_and(|x| self.src[x.end_byte()..].starts_with("+="));
        let (word, val) = match n.child_by_field_name("value") {
            Some(v) => self.value(v),
            None => (Word::lit(""), Some(Val::Known(String::new()))),
        };
        // A bare assignment (`HISTFILE=/dev/null`) is judged as a command too.
        self.out.cmds.push(SimpleCmd {
            argv: vec![Word::lit(":")],
            env: vec![(shown.to_string(), word)],
            ..SimpleCmd::default()
        });
        self.descend(n);
        let val = match (subscripted, append, self.vars.get(name), val) {
            (true, ..) => None,
            (_, false, _, v) => v,
            (_, true, Some(Val::Known(a)), Some(Val::Known(b))) => Some(Val::Known(a.clone() + &b)),
            (_, true, Some(Val::Array(a)), Some(Val::Array(b))) => {
                Some(Val::Array(a.iter().cloned().chain(b).collect()))
            }
            (_, true, Some(Val::Unset), v) => v,
            _ => None,
        };
        self.assign(name, val);
    }

    /// `export`, `declare`, `typeset`, `local`, `readonly` with their options.
    fn declaration(&mut self, n: Node) {
        let kw = n.child(0).map(|c| self.text(c)).unwrap_or_default();
        let mut opts = String::new();
        let kids: Vec<Node> = {
            let mut cur = n.walk();
            n.named_children(&mut cur).collect()
        };
        for ch in kids {
            let name = match ch.kind() {
                "word" if self.text(ch).starts_with(['-', '+']) => {
                    if self.text(ch).starts_with('-') {
                        opts.push_str(&self.text(ch)[1..]);
                    }
                    continue;
                }
                "variable_assignment" => {
                    self.visit(ch, false, None);
                    let x = ch.child_by_field_name("name");
                    let x = x.map(|x| x.child_by_field_name("name").unwrap_or(x));
                    (x.map(|x| self.text(x)).unwrap_or_default(), true)
                }
                "variable_name" | "word" => (self.text(ch), false),
                // A name only known at run time could be any variable.
                _ => {
                    self.vars.poison();
                    self.visit(ch, false, None);
                    continue;
                }
            };
            self.declared(kw, &opts, name);
        }
    }

    /// After `kw opts name[=value]`: what is known of `name`.
    fn declared(&mut self, kw: &str, opts: &str, (name, valued): (&str, bool)) {
        if opts.contains('n') && kw != "export" {
            // A nameref: assigning it assigns another variable.
            self.vars.poison();
            return;
        }
        if opts.contains(['f', 'F', 'p']) {
            return; // functions, or printing
        }
        let transforms = opts.contains(['i', 'l', 'u', 'c', 'A']);
        let no_value = !valued && matches!(kw, "declare" | "typeset" | "local");
        // `local` outside a function fails and assigns nothing.
        let failed = kw == "local" && !self.in_function();
        if transforms || no_value || failed {
            self.assign(name, None);
        }
        if transforms || kw == "readonly" || opts.contains('r') {
            self.vars.freeze(name);
        }
    }

    fn in_function(&self) -> bool {
        self.vars.in_function
    }

    /// `unset [-v] NAME...` (`-f`: functions).
    fn unset(&mut self, n: Node) {
        let mut functions = false;
        let kids: Vec<Node> = {
            let mut cur = n.walk();
            n.named_children(&mut cur).collect()
        };
        for ch in kids {
            let t = self.text(ch);
            match ch.kind() {
                "word" if t.starts_with('-') => functions |= t.contains('f'),
                // `unset 'a[1]'` changes the array.
                "variable_name" | "word" if !functions && t.contains('[') => {
                    self.assign(t.split('[').next().unwrap_or(t), None)
                }
                "variable_name" | "word" if !functions => self.assign(t, Some(Val::Unset)),
                "variable_name" | "word" => {}
                _ => {
                    self.vars.poison();
                    self.visit(ch, false, None);
                }
            }
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
                let dests: Vec<Node> = {
                    let mut cur = ch.walk();
                    ch.children_by_field_name("destination", &mut cur).collect()
                };
                for extra in dests.iter().skip(1) {
                    let w = self.word(*extra);
                    o.extra.push(w);
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
                // With an unquoted delimiter the body is expanded before the
                // command reads it: `\$`, `\``, `\\` lose their backslash,
                // and a `$` or backtick left is a run-time part (the text is
                // then marked unknown, as a here-string's is).
                let quoted = ch
                    .child_by_field_name("start")
                    .or_else(|| {
                        let mut cur = ch.walk();
                        let found = ch
                            .named_children(&mut cur)
                            .find(|c| c.kind() == "heredoc_start");
                        found
                    })
                    .is_some_and(|d| self.text(d).contains(['\'', '"', '\\']));
                if let Some(raw) = self.heredoc_text(ch) {
                    o.stdin = Some(if quoted {
                        raw.to_string()
                    } else {
                        heredoc_expand(raw)
                    });
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

    /// The body of a here-doc as written: from the line after its
    /// delimiter to its end line. Taken from the source rather than from the
    /// `heredoc_body` node, which tree-sitter-bash leaves empty when a body
    /// starts with some escapes (`\$'rm' -rf x` is read as words of the
    /// redirection).
    fn heredoc_text(&self, redirect: Node) -> Option<&str> {
        let mut cur = redirect.walk();
        let kids: Vec<Node> = redirect.named_children(&mut cur).collect();
        let body = kids.iter().find(|c| c.kind() == "heredoc_body");
        if let Some(b) = body.filter(|b| b.end_byte() > b.start_byte()) {
            return Some(self.text(*b));
        }
        let start = kids.iter().find(|c| c.kind() == "heredoc_start")?;
        let end = kids
            .iter()
            .find(|c| c.kind() == "heredoc_end")
            .map_or(redirect.end_byte(), |e| e.start_byte());
        let from = start.end_byte() + self.src[start.end_byte()..].find('\n')? + 1;
        self.src.get(from..end.max(from))
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
                    // Only the command's environment: the shell keeps its own value.
                    let name = ch
                        .child_by_field_name("name")
                        .map(|x| self.text(x).to_string())
                        .unwrap_or_default();
                    let value = match ch.child_by_field_name("value") {
                        Some(v) => self.value(v).0,
                        None => Word::lit(""),
                    };
                    cmd.env.push((name, value));
                }
                "command_name" => match ch.named_child(0) {
                    Some(x) => self.words(x, &mut cmd.argv, true),
                    None => cmd.argv.push(Word::lit(self.text(ch))),
                },
                "file_redirect" | "heredoc_redirect" | "herestring_redirect" => {
                    self.redirect(ch, &mut o);
                }
                "comment" => {}
                _ => {
                    let first = cmd.argv.is_empty();
                    self.words(ch, &mut cmd.argv, first)
                }
            }
        }
        cmd.argv.append(&mut o.extra);
        cmd.redirects = o.reds;
        cmd.stdin_text = o.stdin;
        let effect = self.effect(&cmd);
        if !cmd.argv.is_empty() || !cmd.redirects.is_empty() {
            if cmd.argv.is_empty() {
                cmd.argv.push(Word::lit(":"));
            }
            self.out.cmds.push(cmd);
        }
        // Commands inside substitutions in the words (they run first).
        self.descend(n);
        match effect {
            Effect::Poison => self.vars.poison(),
            Effect::Forget(names) => {
                for v in names {
                    self.assign(&v, None);
                }
            }
        }
    }

    /// What running `cmd` does to the shell's variables.
    fn effect(&self, cmd: &SimpleCmd) -> Effect {
        let mut names = Vec::new();
        let mut i = 0;
        while cmd
            .argv
            .get(i)
            .is_some_and(|w| matches!(w.text.as_str(), "command" | "builtin" | "time"))
        {
            i += 1;
            while cmd.argv.get(i).is_some_and(|w| w.text.starts_with('-')) {
                i += 1;
            }
        }
        let Some(name) = cmd.argv.get(i) else {
            // Assignments without a command stay in the shell.
            names.extend(cmd.env.iter().map(|(n, _)| n.clone()));
            return Effect::Forget(names);
        };
        let n = name.text.as_str();
        let func = self.funcs.iter().any(|f| f == n);
        if name.dynamic || func || RUNS_HERE.contains(&n) {
            // It may run anything in this shell.
            return Effect::Poison;
        }
        if SPECIAL_BUILTINS.contains(&n) {
            names.extend(cmd.env.iter().map(|(n, _)| n.clone()));
        }
        let Some((_, flag)) = SETS_NAMED.iter().find(|(b, _)| *b == n) else {
            return Effect::Forget(names);
        };
        let args = &cmd.argv[i + 1..];
        if flag.is_some_and(|f| !args.iter().any(|a| a.text == f)) {
            return Effect::Forget(names);
        }
        for a in args {
            if a.dynamic {
                return Effect::Poison;
            }
            names.extend(vars::names_in(&a.text).map(String::from));
        }
        Effect::Forget(names)
    }

    /// An expansion's value (`${x:=v}` also assigns).
    fn param(&mut self, raw: &str) -> Exp {
        let mut assigned = None;
        let e = vars::expand(raw, &self.vars, &mut assigned);
        if let Some((name, v)) = assigned {
            self.assign(&name, Some(Val::Known(v)));
        }
        e
    }

    /// The words one argument node becomes: split, brace-expanded, or none
    /// at all (an unquoted empty expansion). `name`: the command name, which
    /// is unknown when it is a glob.
    fn words(&mut self, n: Node, out: &mut Vec<Word>, name: bool) {
        let raw = self.text(n);
        match n.kind() {
            "simple_expansion" | "expansion" => {
                match self.param(raw) {
                    Exp::Text(s) => self.split(&s, raw, out, name),
                    Exp::List(l) => {
                        for s in l {
                            self.split(&s, raw, out, name);
                        }
                    }
                    Exp::Ctx(c) => out.push(Word::lit(c)),
                    Exp::Dynamic => out.push(dynamic(raw)),
                }
                return;
            }
            // `"${a[@]}"`: one word per element.
            "string" if raw.ends_with("[@]}\"") && n.named_child_count() == 1 => {
                let inner = &raw[1..raw.len() - 1];
                if let Exp::List(l) = self.param(inner) {
                    out.extend(l.iter().map(|s| Word::lit(s)));
                    return;
                }
            }
            _ => {}
        }
        if n.kind() == "word" && !raw.starts_with('~') && !raw.contains('{') {
            // The common case: a plain unquoted word.
            let text = unescape_bare(raw);
            let dynamic = vars::has_glob(raw) && (name || vars::glob_climbs(&text));
            out.push(Word { text, dynamic });
            return;
        }
        let b = self.build(n, false);
        let mut word = b.word;
        if b.only_expansions && word.text.is_empty() && !word.dynamic {
            return;
        }
        // Brace expansion: done on unquoted literal words; anything else
        // with a brace group is unknown.
        let group = brace_group(n, raw);
        if group && (!b.bare || raw.contains('\\')) {
            word.dynamic = true;
        }
        let texts = if group && b.bare && !word.dynamic {
            match vars::braces(&word.text) {
                Some(v) => v,
                None => {
                    word.dynamic = true; // too many words
                    vec![word.text.clone()]
                }
            }
        } else {
            vec![word.text.clone()]
        };
        for t in texts {
            let wild = b.glob && (name || vars::glob_climbs(&t));
            out.push(Word {
                text: t,
                dynamic: word.dynamic || wild,
            });
        }
    }

    /// An unquoted expansion's value split into words on `IFS`.
    fn split(&self, s: &str, raw: &str, out: &mut Vec<Word>, name: bool) {
        let piece = |t: &str| Word {
            text: t.to_string(),
            dynamic: vars::has_glob(t) && (name || vars::glob_climbs(t)),
        };
        match self.vars.ifs() {
            _ if s.is_empty() => {}
            Some(ifs) if ifs.chars().all(|c| c.is_ascii_whitespace()) => {
                let parts = s.split(|c| ifs.contains(c)).filter(|p| !p.is_empty());
                out.extend(parts.map(piece));
            }
            Some(ifs) if !s.contains(|c| ifs.contains(c)) => out.push(piece(s)),
            _ => out.push(dynamic(raw)),
        }
    }

    /// One word (a redirect target, a here-string): unknown when bash would
    /// make it several.
    fn word(&mut self, n: Node) -> Word {
        let raw = self.text(n);
        let b = self.build(n, false);
        let mut w = b.word;
        if brace_group(n, raw) {
            w.dynamic = true;
        }
        w.dynamic |= b.glob && vars::glob_climbs(&w.text);
        w
    }

    /// An assigned value: the word, and what the variable then holds.
    fn value(&mut self, n: Node) -> (Word, Option<Val>) {
        if n.kind() == "array" {
            let mut items = Vec::new();
            let mut cur = n.walk();
            for ch in n.named_children(&mut cur) {
                self.words(ch, &mut items, false);
            }
            let known = items.len() <= vars::MAX_WORDS && items.iter().all(|w| !w.dynamic);
            let val = known.then(|| Val::Array(items.into_iter().map(|w| w.text).collect()));
            return (dynamic(self.text(n)), val);
        }
        let b = self.build(n, true);
        let val = match b.ctx {
            _ if b.word.dynamic || b.word.text.contains(":~") => None,
            Some(c) => Some(Val::Ctx(c)),
            None => Some(Val::Known(b.word.text.clone())),
        };
        (b.word, val)
    }

    /// Quote removal and expansion of one word node. `assign`: an assigned
    /// value (not split; `$PWD` in it is unknown, as `cd` may change it).
    fn build(&mut self, n: Node, assign: bool) -> Built {
        let mut b = Built {
            word: Word::lit(""),
            glob: false,
            bare: true,
            only_expansions: true,
            ctx: None,
        };
        let mut parts = Vec::new();
        self.parts(n, assign, &mut parts, &mut b);
        // `~`/`.` mean the directory followed by `/` (`--file=$HOME/x` is
        // `--file=~/x`), or alone.
        let valid_ctx = |i: usize| match parts.get(i + 1) {
            None => i == 0,
            Some(Part::Lit(s) | Part::Dyn(s) | Part::Ctx(_, s)) => s.starts_with('/'),
        };
        for (i, p) in parts.iter().enumerate() {
            match p {
                Part::Lit(s) => b.word.text.push_str(s),
                Part::Ctx(c, _) if valid_ctx(i) && !(assign && *c == ".") => {
                    b.word.text.push_str(c);
                    if parts.len() == 1 {
                        b.ctx = Some(*c);
                    }
                }
                Part::Dyn(s) | Part::Ctx(_, s) => {
                    b.word.text.push_str(s);
                    b.word.dynamic = true;
                }
            }
        }
        b
    }

    fn parts(&mut self, n: Node, assign: bool, parts: &mut Vec<Part>, b: &mut Built) {
        let raw = self.text(n);
        match n.kind() {
            "word" | "number" => {
                b.only_expansions = false;
                b.glob |= vars::has_glob(raw);
                if parts.is_empty() && raw.starts_with('~') {
                    self.tilde(raw, parts);
                } else {
                    parts.push(Part::Lit(unescape_bare(raw)));
                }
            }
            "brace_expression" => {
                b.only_expansions = false;
                parts.push(Part::Lit(raw.to_string()));
            }
            "raw_string" => {
                b.only_expansions = false;
                b.bare = false;
                let t = raw.strip_prefix('\'').unwrap_or(raw);
                parts.push(Part::Lit(t.strip_suffix('\'').unwrap_or(t).to_string()));
            }
            "ansi_c_string" => {
                b.only_expansions = false;
                b.bare = false;
                parts.push(match decode_ansi_c(raw) {
                    Some(t) => Part::Lit(t),
                    None => Part::Dyn(raw.to_string()),
                });
            }
            // `$"..."` is translated by the locale's message catalogue
            // (tree-sitter leaves the `$` out of the string node).
            "string" | "translated_string"
                if raw.starts_with('$') || self.src[..n.start_byte()].ends_with('$') =>
            {
                b.only_expansions = false;
                b.bare = false;
                parts.push(Part::Dyn(raw.to_string()));
            }
            "string" => {
                b.only_expansions = false;
                b.bare = false;
                self.string(n, parts);
            }
            "concatenation" => {
                // tree-sitter splits `r[m]` into words: look at them together.
                b.glob |= vars::has_glob(&unquoted_text(n, raw));
                let mut cur = n.walk();
                for ch in n.children(&mut cur) {
                    self.parts(ch, assign, parts, b);
                }
            }
            "simple_expansion" | "expansion" => {
                b.bare = false;
                let part = match self.param(raw) {
                    Exp::Ctx(c) => Part::Ctx(c, raw.to_string()),
                    Exp::Text(s) if assign => Part::Lit(s),
                    // Unquoted: split on IFS and globbed.
                    Exp::Text(s) => match self.vars.ifs() {
                        Some(ifs) if !s.contains(|c| ifs.contains(c)) => {
                            b.glob |= vars::has_glob(&s);
                            Part::Lit(s)
                        }
                        _ => Part::Dyn(raw.to_string()),
                    },
                    Exp::List(l) if assign => Part::Lit(l.join(" ")),
                    _ => Part::Dyn(raw.to_string()),
                };
                parts.push(part);
            }
            _ => {
                b.bare = false;
                b.only_expansions = false;
                parts.push(Part::Dyn(raw.to_string()));
            }
        }
    }

    /// The text between double quotes, with each expansion replaced by its
    /// value (gaps are taken from the source: tree-sitter does not make
    /// nodes of all the literal text).
    fn string(&mut self, n: Node, parts: &mut Vec<Part>) {
        let start = n.start_byte() + 1;
        // An unterminated string (`"a€`) has no closing quote to drop.
        let close = usize::from(n.end_byte() > start && self.text(n).ends_with('"'));
        let end = n.end_byte().saturating_sub(close).max(start);
        let mut pos = start;
        let mut cur = n.walk();
        for ch in n.named_children(&mut cur) {
            if ch.kind() == "string_content" {
                continue;
            }
            if ch.start_byte() > pos {
                parts.push(Part::Lit(unescape_dq(&self.src[pos..ch.start_byte()])));
            }
            let raw = self.text(ch);
            let part = match ch.kind() {
                "simple_expansion" | "expansion" => match self.param(raw) {
                    Exp::Text(s) => Part::Lit(s),
                    Exp::Ctx(c) => Part::Ctx(c, raw.to_string()),
                    Exp::List(l) if l.len() == 1 => Part::Lit(l.join("")),
                    _ => Part::Dyn(raw.to_string()),
                },
                _ => Part::Dyn(raw.to_string()),
            };
            parts.push(part);
            pos = ch.end_byte().max(pos);
        }
        if end > pos {
            parts.push(Part::Lit(unescape_dq(&self.src[pos..end])));
        }
    }

    /// `~`, `~/x`, `~+`, `~user` at the start of a word.
    fn tilde(&self, raw: &str, parts: &mut Vec<Part>) {
        let (prefix, rest) = raw.split_at(raw.find('/').unwrap_or(raw.len()));
        let var = match prefix {
            "~" => Some("HOME"),
            "~+" => Some("PWD"),
            _ => None, // `~user`, `~-`, `~2`
        };
        // `~name`: a user's home, fixed by the password database. Kept as
        // written for the path resolution, which knows this user's home and
        // places any other outside the workspace (`/root`, `/home/NAME`).
        let user = prefix.len() > 1
            && prefix[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            && prefix.as_bytes()[1].is_ascii_alphabetic();
        parts.push(match var.and_then(|v| self.vars.get(v)) {
            Some(Val::Ctx(c)) => Part::Ctx(c, prefix.to_string()),
            Some(Val::Known(h)) => Part::Lit(h.clone()),
            None if user => Part::Lit(prefix.to_string()),
            _ => Part::Dyn(prefix.to_string()),
        });
        if !rest.is_empty() {
            parts.push(Part::Lit(unescape_bare(rest)));
        }
    }
}

/// Could brace expansion make several words of this unquoted word?
fn brace_group(n: Node, raw: &str) -> bool {
    if !raw.contains('{') {
        return false;
    }
    if !matches!(n.kind(), "concatenation" | "word" | "brace_expression") {
        return false;
    }
    // Quoted parts and expansions cannot open or split a group.
    vars::braces(&unquoted_text(n, raw)).is_none_or(|v| v.len() > 1)
}

/// The source of a word with its quoted parts and expansions masked (`_`).
fn unquoted_text(n: Node, raw: &str) -> String {
    let unquoted = |k: Node| matches!(k.kind(), "word" | "number" | "brace_expression");
    if n.kind() != "concatenation" {
        return if unquoted(n) {
            raw.to_string()
        } else {
            "_".into()
        };
    }
    let mut cur = n.walk();
    let start = n.start_byte();
    n.children(&mut cur)
        .map(|k| match unquoted(k) {
            true => &raw[k.start_byte() - start..k.end_byte() - start],
            false => "_",
        })
        .collect()
}

/// Could a command of `cmds` (from the fast lexer: no functions, no
/// compound commands) change a variable that a later word expands? Then
/// only the tree walk gets the words right.
pub(super) fn vars_matter(cmds: &[SimpleCmd]) -> bool {
    let expands = |w: &Word| w.dynamic || w.text.starts_with('~');
    let mut set = false;
    for c in cmds {
        let later = c.argv.iter().chain(c.env.iter().map(|(_, w)| w));
        if set && (later.clone().any(expands) || c.redirects.iter().any(|r| expands(&r.target))) {
            return true;
        }
        let name = c.argv.first();
        set |= name.is_some_and(|n| {
            n.dynamic
                || n.text == ":"
                || RUNS_HERE.contains(&n.text.as_str())
                || SPECIAL_BUILTINS.contains(&n.text.as_str())
                || SETS_NAMED.iter().any(|(b, _)| *b == n.text)
                || matches!(n.text.as_str(), "command" | "builtin" | "time")
        });
    }
    false
}

/// A word only known at run time.
fn dynamic(raw: &str) -> Word {
    Word {
        text: raw.to_string(),
        dynamic: true,
    }
}

/// The items of a list (`a && b || c`, nested to the left by tree-sitter),
/// each with whether it follows `&&`, without recursion.
fn flatten_list(n: Node) -> Vec<(Node, bool)> {
    let mut items = Vec::new();
    let mut cur = n;
    loop {
        let mut c = cur.walk();
        let kids: Vec<Node> = cur
            .named_children(&mut c)
            .filter(|k| k.kind() != "comment")
            .collect();
        let mut c = cur.walk();
        let and = cur.children(&mut c).any(|k| k.kind() == "&&");
        match kids.as_slice() {
            [left, right] => {
                items.push((*right, and));
                if left.kind() == "list" {
                    cur = *left;
                    continue;
                }
                items.push((*left, true));
            }
            // Not the expected shape: every item may not run.
            other => items.extend(other.iter().rev().map(|k| (*k, false))),
        }
        break;
    }
    items.reverse();
    items
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

/// The body of a here-doc with an unquoted delimiter as the command reads
/// it: backslash before `$`, `` ` ``, `\` or a newline removed. If an
/// expansion is left, the text starts with `$ ` so that it reads as a
/// command named at run time (never allowed), while the commands written in
/// it are still seen by the rules.
fn heredoc_expand(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut dynamic = false;
    let mut it = raw.chars().peekable();
    while let Some(ch) = it.next() {
        match ch {
            '\\' => match it.peek() {
                Some('$' | '`' | '\\') => out.push(it.next().unwrap_or('\\')),
                Some('\n') => {
                    it.next();
                }
                _ => out.push('\\'),
            },
            '$' | '`' => {
                dynamic = true;
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    if dynamic {
        format!("$ {out}")
    } else {
        out
    }
}
