//! The decision: a documented function of classes, rules, context and taint.
//!
//! 1. Each simple command (or the tool call) gets its classes.
//! 2. Rules: a matching deny rule denies; a matching ask rule asks (or denies
//!    if a class denies); a matching allow rule allows unless a class denies.
//! 3. Without a rule, each class maps to a verdict ([`class_verdict`]); the
//!    strictest wins.
//! 4. What cannot be analysed (parse errors, run-time strings, a shell fed
//!    from a pipe) is at least ask, whatever the rules say.
//! 5. Session state: credentials plus egress in one action is deny;
//!    credentials read earlier plus a network send or remote code is deny;
//!    while tainted, egress (outside the sandbox's allowed hosts) is at least
//!    ask and remote code is deny.

use crate::class::{ClassSet, RiskClass};
use crate::classify::{self, Info, Where};
use crate::readers;
use crate::rules::{host_matches, Base, Rule};
use crate::shell::{SimpleCmd, Word};
use crate::state::TaintSource;
use crate::{Action, Context, Decision, Policy, Reason, SessionState, Verdict};

/// The verdict for one class on its own.
pub(crate) fn class_verdict(c: RiskClass, sandboxed: bool, hosts_allowed: bool) -> Verdict {
    use RiskClass::*;
    match c {
        ReadOnly | WriteWorkspace => Verdict::Allow,
        WriteOutside | RunsCode | Install if sandboxed => Verdict::Allow,
        NetRead | NetSend if sandboxed && hosts_allowed => Verdict::Allow,
        WriteOutside | RunsCode | Install | NetRead | NetSend => Verdict::Ask,
        Destructive | Privilege | Persistence | Credential | RemoteExec | Opaque | Unknown
        | Exhaust => Verdict::Ask,
        Evasion => Verdict::Deny,
    }
}

struct Builder {
    verdict: Verdict,
    classes: ClassSet,
    reasons: Vec<(Verdict, Reason)>,
    taint: Option<TaintSource>,
    hint: Option<String>,
    /// Egress in this action stays within what the user allowed.
    egress_allowed: bool,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            verdict: Verdict::Allow,
            classes: ClassSet::EMPTY,
            reasons: Vec::new(),
            taint: None,
            hint: None,
            egress_allowed: false,
        }
    }

    fn push(&mut self, v: Verdict, text: String, rule: Option<&Rule>, class: Option<RiskClass>) {
        if v > self.verdict {
            self.verdict = v;
        }
        if let Some(c) = class {
            self.classes.insert(c);
        }
        if self.reasons.iter().any(|(_, r)| r.text == text) {
            return;
        }
        self.reasons.push((
            v,
            Reason {
                text,
                rule: rule.map(|r| r.text.clone()),
                class,
            },
        ));
    }

    fn hint_once(&mut self, h: impl Into<String>) {
        if self.hint.is_none() {
            self.hint = Some(h.into());
        }
    }

    fn finish(mut self) -> Decision {
        // Reasons for the verdict first; at most a screenful.
        // Strictest verdict first; within it rule and session reasons, then
        // the most severe class.
        self.reasons.sort_by_key(|(v, r)| {
            (
                std::cmp::Reverse(*v),
                std::cmp::Reverse(match (&r.rule, r.class) {
                    (Some(_), _) | (None, None) => 100,
                    (None, Some(c)) => c.severity(),
                }),
            )
        });
        let top = self.reasons.first().map(|r| r.0).unwrap_or(Verdict::Allow);
        if top < self.verdict {
            // Cannot happen: every raise pushes a reason.
            self.verdict = top.max(self.verdict);
        }
        self.reasons.truncate(12);
        if self.verdict == Verdict::Allow {
            self.hint = None;
        }
        Decision {
            verdict: self.verdict,
            classes: self.classes.iter().collect(),
            reasons: self.reasons.into_iter().map(|(_, r)| r).collect(),
            taint: self.taint,
            hint: self.hint,
        }
    }
}

fn path_str(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}

pub(crate) fn decide(
    policy: &Policy,
    action: &Action,
    ctx: &Context,
    state: &SessionState,
) -> Decision {
    let cwd = path_str(&ctx.cwd);
    let ws = path_str(&ctx.workspace);
    let home = ctx.home.as_deref().map(path_str);
    let w = Where {
        base: Base {
            cwd: if cwd.is_empty() { &ws } else { &cwd },
            workspace: &ws,
            home: home.as_deref(),
        },
        sandboxed: ctx.sandboxed,
        allowed_domains: &ctx.allowed_domains,
    };
    let mut b = Builder::new();
    match action {
        Action::Bash { command } => bash(policy, command, &w, &mut b),
        Action::Read { path } => read(policy, path, &w, &mut b),
        Action::Write { path } | Action::Edit { path } => write(policy, action, path, &w, &mut b),
        Action::WebFetch { url } => web_fetch(policy, url, &w, &mut b),
        Action::WebSearch { query } => {
            b.egress_allowed = true;
            b.taint = Some(taint("web-search", query));
            match policy.rules.web_search(query) {
                Some((v, r)) => b.push(
                    v,
                    format!("web search matches {} rule `{}`", v.as_str(), r.text),
                    Some(r),
                    Some(RiskClass::NetRead),
                ),
                None => b.push(
                    Verdict::Allow,
                    "a web search only reads".into(),
                    None,
                    Some(RiskClass::NetRead),
                ),
            }
        }
        Action::Mcp { server, tool, .. } => mcp(policy, server, tool, &mut b),
        Action::Net { host, port } => {
            let allowed = w.allowed_domains.iter().any(|p| host_matches(p, host));
            match policy.rules.domain(host, true, None) {
                Some((v, r)) => {
                    b.egress_allowed = v == Verdict::Allow;
                    b.push(
                        v,
                        format!(
                            "connection to {host}:{port} matches {} rule `{}`",
                            v.as_str(),
                            r.text
                        ),
                        Some(r),
                        Some(RiskClass::NetSend),
                    );
                }
                None if allowed => {
                    b.egress_allowed = true;
                    b.push(
                        Verdict::Allow,
                        format!("{host} is allowed by the network policy"),
                        None,
                        Some(RiskClass::NetSend),
                    );
                }
                None => {
                    b.push(
                        Verdict::Ask,
                        format!("connection to {host}:{port}, a host outside the network policy"),
                        None,
                        Some(RiskClass::NetSend),
                    );
                    b.hint_once(format!("allow the host with: cordon allow-domain {host}"));
                }
            }
        }
    }
    session(&mut b, state);
    b.finish()
}

fn taint(source: &str, detail: &str) -> TaintSource {
    let mut d: String = detail.chars().take(100).collect();
    if d.len() < detail.len() {
        d.push_str("...");
    }
    TaintSource {
        source: source.to_string(),
        detail: d,
    }
}

fn bash(policy: &Policy, command: &str, w: &Where, b: &mut Builder) {
    if command.trim().is_empty() {
        b.push(
            Verdict::Allow,
            "the command is empty".into(),
            None,
            Some(RiskClass::ReadOnly),
        );
        return;
    }
    let parsed = policy.parser.analyse(command);
    // `cd` changes where later relative paths point (`cd / && rm -rf *`):
    // follow it; after `cd "$x"` the directory is unknown (outside). A `cd`
    // inside a shell string (`bash -c 'cd ~ && ...'`) holds for the commands
    // of that string only (they share its `via`, and come before it).
    let mut infos: Vec<Info> = Vec::with_capacity(parsed.cmds.len());
    let mut cwds: Vec<(&[String], String)> = Vec::new();
    // The directory each command runs in, when a `cd` changed it.
    let mut dirs: Vec<Option<String>> = Vec::with_capacity(parsed.cmds.len());
    for c in &parsed.cmds {
        while cwds.last().is_some_and(|(via, _)| !c.via.starts_with(via)) {
            cwds.pop();
        }
        dirs.push(cwds.last().map(|(_, d)| d.clone()));
        let info = match cwds.last() {
            None => classify::classify(c, w),
            Some((_, dir)) => {
                let here = Where {
                    base: Base {
                        cwd: dir,
                        workspace: w.base.workspace,
                        home: w.base.home,
                    },
                    sandboxed: w.sandboxed,
                    allowed_domains: w.allowed_domains,
                };
                classify::classify(c, &here)
            }
        };
        infos.push(info);
        if matches!(c.name(), "cd" | "pushd") {
            let base_cwd = cwds
                .last()
                .map_or_else(|| w.base.cwd.to_string(), |(_, d)| d.clone());
            let target = c
                .argv
                .iter()
                .skip(1)
                .find(|a| !a.text.starts_with('-') || a.text == "-");
            let dir = match target {
                None => w.base.home.unwrap_or("/<unknown>").to_string(),
                Some(a) if a.dynamic || a.text == "-" => "/<unknown>".to_string(),
                Some(a) => classify::resolve(
                    &a.text,
                    &Base {
                        cwd: &base_cwd,
                        workspace: w.base.workspace,
                        home: w.base.home,
                    },
                ),
            };
            match cwds.last_mut() {
                Some((via, d)) if *via == c.via.as_slice() => *d = dir,
                _ => cwds.push((c.via.as_slice(), dir)),
            }
        }
    }
    let any_net = infos
        .iter()
        .any(|i| i.classes.contains(RiskClass::NetRead) || i.classes.contains(RiskClass::NetSend));
    // Download, then run: remote code execution even across statements.
    let downloads = infos.iter().any(|i| i.downloads);
    // A redirection of a compound statement (`{ ...; } > f`) is recorded on a
    // `:` of its own: which commands' output it takes is not tracked.
    let compound_redirect = parsed
        .cmds
        .iter()
        .any(|c| c.name() == ":" && c.redirects.iter().any(|r| r.write));
    for (c, i) in parsed.cmds.iter().zip(infos.iter_mut()) {
        // Endless output is harmless when the next pipeline stage reads it
        // (`yes | rm -i x`): that stage stops it. Anything else (a file,
        // /dev/null, the terminal) lets it run until a person notices.
        let consumed = c.pipes_out && !c.redirects.iter().any(|r| r.write) && !compound_redirect;
        if i.endless && !consumed && !c.via.iter().any(|v| v == "timeout") {
            i.add(
                RiskClass::Exhaust,
                format!(
                    "`{}` writes without end and nothing reads it (pipe it into a command that stops, or bound it with `timeout`)",
                    c.text()
                ),
            );
        }
        if downloads && i.runs_file {
            i.add(
                RiskClass::RemoteExec,
                format!(
                    "`{}` runs or makes executable a file after a download in the same command",
                    c.text()
                ),
            );
        }
        if i.stdin_exec {
            let label = c.text();
            if any_net {
                i.add(
                    RiskClass::RemoteExec,
                    format!("`{label}` runs code downloaded in the same command"),
                );
            } else {
                i.add(
                    RiskClass::Opaque,
                    format!("`{label}` runs a program produced at run time"),
                );
            }
        }
    }
    let mut egress_ok = w.sandboxed;
    let mut first_ask: Option<&SimpleCmd> = None;
    for ((cmd, info), dir) in parsed.cmds.iter().zip(&infos).zip(&dirs) {
        let text = cmd.text();
        let hosts_allowed = w.hosts_allowed(&info.hosts);
        if info.classes.any_egress()
            && (!hosts_allowed || info.classes.contains(RiskClass::NetSend))
        {
            egress_ok = false;
        }
        // Rules: the command's own text, plus path and domain rules (deny/ask).
        let argv: Vec<&str> = cmd.argv.iter().map(|w| w.text.as_str()).collect();
        let mut rule = policy.rules.bash(&argv);
        // Inline code of interpreters: deny and ask rules see the command
        // lines it holds.
        for line in readers::inline_commands(cmd, cmd.name()) {
            if !policy.rules.strict_bash_may_match(&line) {
                continue;
            }
            for inner in policy.parser.analyse(&line).cmds {
                let argv: Vec<&str> = inner.argv.iter().map(|w| w.text.as_str()).collect();
                rule = stronger(rule, policy.rules.bash_strict(&argv));
            }
        }
        // Path rules; for commands that take whole trees (`tar c ~`,
        // `rm -rf ~`) also rules naming something below the path. Deny and
        // ask `Read` rules also meet files written by programs that read them
        // first (editors, `sed -i`, compressors) and every path the command
        // names that it does not only write, however the command was
        // classified (`openssl rsa -in KEY`).
        let tree = readers::recursive(cmd, cmd.name());
        let in_place = readers::reads_what_it_writes(cmd.name());
        for (write, paths) in [(false, &info.reads), (true, &info.writes)] {
            for p in paths {
                rule = stronger(rule, policy.rules.path(!write, p, &w.base, false));
                if write && in_place {
                    rule = stronger(rule, policy.rules.path(true, p, &w.base, false));
                }
                // Inside the workspace a tree command is judged by the files
                // it names (`grep -rn x .` is not a read of every `.env`).
                if tree && !inside(p, &w.base) {
                    rule = stronger(rule, policy.rules.path_below(!write, p, &w.base));
                }
            }
        }
        // A program whose effects cordon cannot tell (project code, an
        // unknown command) may also write any path it names: `Edit` rules too.
        let opaque =
            info.classes.contains(RiskClass::RunsCode) || info.classes.contains(RiskClass::Unknown);
        let check_read = policy.rules.has_strict_path_rules(true);
        let check_edit = opaque && policy.rules.has_strict_path_rules(false);
        if check_read || check_edit {
            let base = Base {
                cwd: dir.as_deref().unwrap_or(w.base.cwd),
                ..w.base
            };
            for p in readers::named_paths(cmd) {
                let p = classify::resolve(p, &base);
                // A file the command only writes (`cp .env.example .env`,
                // `touch .env`) is not read.
                if check_read && (in_place || !info.writes.contains(&p)) {
                    rule = stronger(rule, policy.rules.path_named(true, &p, &w.base));
                }
                if check_edit {
                    rule = stronger(rule, policy.rules.path_named(false, &p, &w.base));
                }
            }
        }
        for h in &info.hosts {
            rule = stronger(rule, policy.rules.domain(h, false, None));
        }
        let cv = info
            .classes
            .iter()
            .map(|c| class_verdict(c, w.sandboxed, hosts_allowed))
            .max()
            .unwrap_or(Verdict::Allow);
        match rule {
            Some((Verdict::Deny, r)) => {
                b.push(
                    Verdict::Deny,
                    format!("`{text}` matches deny rule `{}`", r.text),
                    Some(r),
                    None,
                );
                b.hint_once(format!(
                    "remove or narrow the deny rule `{}` if this should run",
                    r.text
                ));
                add_classes(b, info, w, hosts_allowed, Some(Verdict::Ask));
            }
            Some((Verdict::Ask, r)) => {
                b.push(
                    Verdict::Ask,
                    format!("`{text}` matches ask rule `{}`", r.text),
                    Some(r),
                    None,
                );
                add_classes(b, info, w, hosts_allowed, None);
            }
            Some((Verdict::Allow, r)) if cv < Verdict::Deny => {
                b.push(
                    Verdict::Allow,
                    format!("`{text}` is allowed by rule `{}`", r.text),
                    Some(r),
                    None,
                );
                add_classes(b, info, w, hosts_allowed, Some(Verdict::Allow));
            }
            _ => {
                add_classes(b, info, w, hosts_allowed, None);
                if cv == Verdict::Ask && first_ask.is_none() {
                    first_ask = Some(cmd);
                }
                if cv == Verdict::Deny {
                    b.hint_once("cordon refuses this whatever the rules say; if you really mean it, run it yourself outside the agent");
                }
            }
        }
        for c in [RiskClass::NetRead, RiskClass::RemoteExec] {
            if info.classes.contains(c) && b.taint.is_none() {
                b.taint = Some(taint("command", &text));
            }
        }
    }
    for n in &parsed.notes {
        b.push(
            Verdict::Ask,
            format!("{} (never allowed without a person)", n.text),
            None,
            Some(n.class),
        );
    }
    if parsed.cmds.is_empty() && parsed.notes.is_empty() {
        b.push(
            Verdict::Allow,
            "the command runs nothing".into(),
            None,
            Some(RiskClass::ReadOnly),
        );
    }
    b.egress_allowed = egress_ok;
    if b.verdict == Verdict::Ask && parsed.notes.is_empty() && hint_allowed(b.classes) {
        if let Some(rule) = first_ask.and_then(rule_suggestion) {
            b.hint_once(format!(
                "to allow this without asking, add `Bash({rule})` to [permissions] allow"
            ));
        }
    }
}

/// Classes no allow rule should be suggested for: each such action needs a
/// person every time (item 6 of issue 13: a hint is never wider than the
/// action, and for these not even the action itself is worth allowing for
/// good). `net-send` stands for exfiltration.
const NO_ALLOW_HINT: ClassSet = ClassSet::of(&[
    RiskClass::Destructive,
    RiskClass::Credential,
    RiskClass::RemoteExec,
    RiskClass::NetSend,
    RiskClass::Privilege,
    RiskClass::Persistence,
    RiskClass::Evasion,
    RiskClass::Opaque,
    RiskClass::Exhaust,
]);

/// May an allow rule be suggested for an action with these classes?
fn hint_allowed(classes: ClassSet) -> bool {
    !classes.iter().any(|c| NO_ALLOW_HINT.contains(c))
}

/// The narrowest rule allowing this command: its exact text. None when the
/// text would not be read back as itself (a `*` is a wildcard in a rule; a
/// word only known at run time matches whatever it turns out to be).
fn rule_suggestion(c: &SimpleCmd) -> Option<String> {
    let exact = !c.argv.is_empty()
        && c.argv.iter().all(|w| {
            !w.dynamic
                && !w.text.is_empty()
                && !w.text.contains(['*', '\\', ' '])
                && !w.text.contains(char::is_control)
        });
    exact.then(|| c.text())
}

/// The narrowest path rule for a file tool: the exact absolute path
/// (`//abs/path`), unless it holds glob characters.
fn path_suggestion(tool: &str, resolved: &str) -> Option<String> {
    (!resolved.contains(['*', '?', '[', ']', '{', '}'])
        && !resolved.contains(char::is_control)
        && resolved.starts_with('/'))
    .then(|| format!("{tool}(/{resolved})"))
}

/// Is the resolved path the workspace or inside it?
fn inside(p: &str, b: &Base) -> bool {
    let ws = b.workspace.trim_end_matches('/');
    p == ws || p.strip_prefix(ws).is_some_and(|r| r.starts_with('/'))
}

fn stronger<'a>(
    a: Option<(Verdict, &'a Rule)>,
    b: Option<(Verdict, &'a Rule)>,
) -> Option<(Verdict, &'a Rule)> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.0 > x.0 { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Push the class reasons of one command. `cap` limits the verdict of
/// non-denying classes (an allow rule lifts asks; a deny rule already decided).
fn add_classes(b: &mut Builder, info: &Info, w: &Where, hosts_allowed: bool, cap: Option<Verdict>) {
    for (c, why) in &info.why {
        let mut v = class_verdict(*c, w.sandboxed, hosts_allowed);
        if let Some(cap) = cap {
            // What cannot be checked in advance is never allowed by a rule.
            let floor = matches!(c, RiskClass::Opaque | RiskClass::RemoteExec);
            if v < Verdict::Deny && !(floor && cap == Verdict::Allow) {
                v = v.min(cap);
            }
        }
        b.push(v, why.clone(), None, Some(*c));
    }
}

fn resolve_action_path(path: &str, w: &Where) -> String {
    classify::resolve(path, &w.base)
}

fn read(policy: &Policy, path: &str, w: &Where, b: &mut Builder) {
    let p = resolve_action_path(path, w);
    let cred = classify::table_match(&classify::CREDENTIAL, &p, w.base.home).is_some();
    let log = classify::table_match(&classify::SECURITY_LOGS, &p, None).is_some();
    let inside = {
        let ws = w.base.workspace.trim_end_matches('/');
        p == ws || p.starts_with(&format!("{ws}/"))
    };
    if !inside && !cred {
        b.taint = Some(taint("file", path));
    }
    let (class, text, cv) = if cred {
        (
            RiskClass::Credential,
            format!("{path} holds credentials"),
            Verdict::Ask,
        )
    } else if log {
        (
            RiskClass::Credential,
            format!("{path} is a security log only administrators may read (logins, audit trail, firewall)"),
            Verdict::Ask,
        )
    } else if inside {
        (
            RiskClass::ReadOnly,
            format!("reading {path} inside the workspace"),
            Verdict::Allow,
        )
    } else {
        (
            RiskClass::ReadOnly,
            format!("reading {path} outside the workspace (its content is untrusted)"),
            Verdict::Allow,
        )
    };
    match policy.rules.path(true, &p, &w.base, true) {
        Some((v, r)) => {
            b.push(
                v,
                format!("reading {path} matches {} rule `{}`", v.as_str(), r.text),
                Some(r),
                Some(class),
            );
            if v == Verdict::Deny {
                b.hint_once(format!(
                    "remove or narrow the deny rule `{}` if this should be read",
                    r.text
                ));
            }
        }
        None => {
            b.push(cv, text, None, Some(class));
            if cv == Verdict::Ask && hint_allowed(b.classes) {
                if let Some(rule) = path_suggestion("Read", &p) {
                    b.hint_once(format!(
                        "to allow this without asking, add `{rule}` to [permissions] allow"
                    ));
                }
            }
        }
    }
}

fn write(policy: &Policy, action: &Action, path: &str, w: &Where, b: &mut Builder) {
    let tool = action.tool();
    let cmd = SimpleCmd {
        argv: vec![Word {
            text: tool.clone(),
            dynamic: false,
        }],
        ..SimpleCmd::default()
    };
    let _ = cmd;
    let info = classify::write_info(path, w, &format!("{tool}({path})"));
    let p = info.writes.first().cloned().unwrap_or_default();
    match policy.rules.path(false, &p, &w.base, true) {
        Some((v, r)) => {
            let cv = info
                .classes
                .iter()
                .map(|c| class_verdict(c, w.sandboxed, false))
                .max()
                .unwrap_or(Verdict::Allow);
            let v = if v == Verdict::Allow && cv == Verdict::Deny {
                Verdict::Deny
            } else {
                v
            };
            b.push(
                v,
                format!("writing {path} matches {} rule `{}`", v.as_str(), r.text),
                Some(r),
                None,
            );
            add_classes(
                b,
                &info,
                w,
                false,
                Some(if v == Verdict::Allow {
                    Verdict::Allow
                } else {
                    Verdict::Ask
                }),
            );
        }
        None => {
            add_classes(b, &info, w, false, None);
            if b.verdict == Verdict::Ask && hint_allowed(b.classes) {
                if let Some(rule) = path_suggestion(&tool, &p) {
                    b.hint_once(format!(
                        "to allow this without asking, add `{rule}` to [permissions] allow"
                    ));
                }
            }
        }
    }
}

fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map(|x| x.1).unwrap_or(url);
    let hp = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hp = hp.rsplit('@').next().unwrap_or("");
    if let Some(v6) = hp.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("").to_string();
    }
    hp.split(':').next().unwrap_or("").to_ascii_lowercase()
}

fn web_fetch(policy: &Policy, url: &str, w: &Where, b: &mut Builder) {
    let host = url_host(url);
    b.taint = Some(taint("web", url));
    b.egress_allowed = w.allowed_domains.iter().any(|p| host_matches(p, &host));
    match policy.rules.domain(&host, true, Some("WebFetch")) {
        Some((v, r)) => {
            if v == Verdict::Allow {
                b.egress_allowed = true;
            }
            b.push(
                v,
                format!(
                    "fetching from {host} matches {} rule `{}`",
                    v.as_str(),
                    r.text
                ),
                Some(r),
                Some(RiskClass::NetRead),
            );
        }
        None => b.push(
            Verdict::Allow,
            format!("fetching a page from {host} only reads"),
            None,
            Some(RiskClass::NetRead),
        ),
    }
}

/// Words in MCP tool names that tell what the tool does.
const MCP_READ_WORDS: &[&str] = &[
    "get", "list", "read", "search", "fetch", "query", "view", "describe", "find", "show",
    "lookup", "count", "stat", "download", "retrieve", "browse", "check", "status", "info",
];
const MCP_WRITE_WORDS: &[&str] = &[
    "create", "update", "send", "post", "push", "write", "comment", "merge", "publish", "upload",
    "set", "add", "edit", "close", "run", "exec", "execute", "invoke", "deploy", "move", "rename",
    "fork", "transfer", "approve", "submit", "reply", "share", "insert", "put", "patch", "assign",
];
const MCP_DELETE_WORDS: &[&str] = &[
    "delete", "remove", "drop", "destroy", "purge", "truncate", "wipe",
];

fn mcp(policy: &Policy, server: &str, tool: &str, b: &mut Builder) {
    b.taint = Some(taint("mcp", &format!("{server}/{tool}")));
    let words: Vec<String> = split_words(tool);
    let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    let (class, cv, what) = if has(MCP_DELETE_WORDS) {
        (
            RiskClass::Destructive,
            Verdict::Ask,
            "deletes data in another system",
        )
    } else if has(MCP_WRITE_WORDS) {
        (
            RiskClass::NetSend,
            Verdict::Ask,
            "changes or sends data in another system",
        )
    } else if has(MCP_READ_WORDS) {
        (
            RiskClass::NetRead,
            Verdict::Allow,
            "reads from another system",
        )
    } else {
        (
            RiskClass::Unknown,
            Verdict::Ask,
            "does something cordon cannot tell from its name",
        )
    };
    let name = format!("mcp__{server}__{tool}");
    match policy.rules.mcp(server, tool) {
        Some((v, r)) => {
            b.egress_allowed = v == Verdict::Allow;
            b.push(
                v,
                format!("`{name}` matches {} rule `{}`", v.as_str(), r.text),
                Some(r),
                Some(class),
            );
        }
        None => {
            b.push(cv, format!("`{name}` {what}"), None, Some(class));
            if cv == Verdict::Ask && hint_allowed(b.classes) {
                b.hint_once(format!(
                    "to allow it without asking, add `{name}` to [permissions] allow"
                ));
            }
        }
    }
}

/// `createIssue`, `create_issue`, `create-issue` -> [create, issue].
fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in s.chars() {
        if ch == '_' || ch == '-' || ch == '.' || ch == ' ' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else if ch.is_uppercase() && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            cur.extend(ch.to_lowercase());
        } else {
            cur.extend(ch.to_lowercase());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Step 5: the session's taint and credential history.
fn session(b: &mut Builder, state: &SessionState) {
    let c = b.classes;
    let egress = c.any_egress();
    let send = c.contains(RiskClass::NetSend) || c.contains(RiskClass::RemoteExec);
    if c.contains(RiskClass::Credential) && egress {
        b.push(
            Verdict::Deny,
            "reads credentials and can send data out in the same action".into(),
            None,
            Some(RiskClass::Credential),
        );
        b.hint = Some(
            "split the work: credentials and the network never go together in one action".into(),
        );
    }
    if state.credential_seen && send {
        let what = state
            .credential_detail
            .as_deref()
            .unwrap_or("an earlier action");
        b.push(
            Verdict::Deny,
            format!("credentials were read earlier in this session ({what}); sending data out now is refused"),
            None,
            Some(RiskClass::NetSend),
        );
        b.hint = Some("start a new session for work that needs the network".into());
    }
    if state.is_tainted() {
        let src = state.taint_summary();
        if c.contains(RiskClass::RemoteExec) {
            b.push(
                Verdict::Deny,
                format!(
                    "the session took in untrusted content ({src}) and this runs downloaded code"
                ),
                None,
                Some(RiskClass::RemoteExec),
            );
        } else if egress && !b.egress_allowed {
            b.push(
                Verdict::Ask,
                format!("the session took in untrusted content ({src}); anything that can send data out needs a person"),
                None,
                None,
            );
            if b.verdict == Verdict::Ask {
                b.hint = Some("check what is being sent and where before approving".into());
            }
        }
    } else if state.credential_seen && egress && !b.egress_allowed {
        let what = state
            .credential_detail
            .as_deref()
            .unwrap_or("an earlier action");
        b.push(
            Verdict::Ask,
            format!("credentials were read earlier in this session ({what}); network access needs a person"),
            None,
            None,
        );
    }
}
