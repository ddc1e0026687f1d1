//! The stdio relay: two threads, one per direction, sharing the session.

mod http;

use super::screen;
use super::GatewayArgs;
use crate::exit::{CmdResult, Failure};
use crate::settings::{Load, PolicyBuilder, Settings};
use cordon_event::{Event, EventSink, Source};
use cordon_mcp::frame::{read_frame, Frame};
use cordon_mcp::jsonrpc::{self, classify, Kind as Msg};
use cordon_mcp::pin::{Kind, Pins};
use cordon_policy::{Action, Context, Policy, SessionState, Verdict};
use cordon_scan::{Level, Screen};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};

/// Lists whose items are pinned: method, result field, kind.
const LISTS: &[(&str, &str, Kind)] = &[
    ("tools/list", "tools", Kind::Tool),
    ("prompts/list", "prompts", Kind::Prompt),
    ("resources/list", "resources", Kind::Resource),
    (
        "resources/templates/list",
        "resourceTemplates",
        Kind::Template,
    ),
];

/// Where a policed request names its item: the name or URI and its pin kind.
type ItemOf = fn(&Value) -> Option<(&str, Kind)>;

/// Requests that are decided: method, the tool name the rules see (`None`:
/// the item's own name), what the item is read from (for the error), where.
/// `resources/subscribe` reads the resource (now and on every update), so it
/// is decided as `resources_read`. `completion/complete` sends a partial
/// argument value to the server and brings back text for the model: decided
/// as `completion_complete` (no read or write word: ask, so refused until
/// allowed), and refused while its prompt or template is blocked.
const POLICED: &[(&str, Option<&str>, &str, ItemOf)] = &[
    ("tools/call", None, "params.name", |p| {
        Some((p.get("name")?.as_str()?, Kind::Tool))
    }),
    (
        "resources/read",
        Some("resources_read"),
        "params.uri",
        |p| Some((p.get("uri")?.as_str()?, Kind::Resource)),
    ),
    (
        "resources/subscribe",
        Some("resources_read"),
        "params.uri",
        |p| Some((p.get("uri")?.as_str()?, Kind::Resource)),
    ),
    ("prompts/get", Some("prompts_get"), "params.name", |p| {
        Some((p.get("name")?.as_str()?, Kind::Prompt))
    }),
    (
        "completion/complete",
        Some("completion_complete"),
        "params.ref (ref/prompt with a name, or ref/resource with a uri)",
        |p| {
            let r = p.get("ref")?;
            match r.get("type")?.as_str()? {
                "ref/prompt" => Some((r.get("name")?.as_str()?, Kind::Prompt)),
                "ref/resource" => Some((r.get("uri")?.as_str()?, Kind::Template)),
                _ => None,
            }
        },
    ),
];

/// Requests relayed without a decision: the handshake, the lists (pinned and
/// screened on the way back), and bookkeeping that neither reads nor acts
/// (a task's result is screened like the call's); `subscriptions/listen` is
/// decided by the resources it watches (`police_listen`). Any other method is
/// decided under its own name (`foo/bar` as `mcp__NAME__foo_bar`): a method
/// cordon does not know is not waved through.
const RELAYED: &[&str] = &[
    "initialize",
    "ping",
    "server/discover",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/unsubscribe",
    "logging/setLevel",
    "tasks/get",
    "tasks/list",
    "tasks/result",
    "tasks/cancel",
];

/// Requests a server may make of the client without a decision: `ping`, and
/// `roots/list` (the roots a filesystem server confines itself to). Any other,
/// standalone or embedded in an input-required result (sampling, elicitation,
/// a method cordon does not know), is decided as `mcp__NAME__<method, / as _>`
/// (`mcp__NAME__sampling_createMessage`): a server prompting the agent's model
/// or user needs an allow rule.
const SERVER_RELAYED: &[&str] = &["ping", "roots/list"];

/// Requests waiting for an answer, per direction, at most (a peer that never
/// answers cannot make the gateway grow without bound).
const MAX_IN_FLIGHT: usize = 4096;

/// A request in flight: its method and the item it names.
#[derive(Clone)]
struct InFlight {
    method: String,
    item: Option<String>,
    /// A list request for a later page (`params.cursor`): the answer is not
    /// the whole list, so what it lacks was not removed.
    paged: bool,
}

impl InFlight {
    fn new(method: String, item: Option<String>, request: &Value) -> InFlight {
        InFlight {
            method,
            item,
            paged: request["params"]["cursor"].is_string(),
        }
    }
    /// For an answer whose request cordon did not see (a resumed HTTP stream):
    /// a list by its list field, instructions by theirs, else a call result.
    fn by_shape(v: &Value) -> InFlight {
        let r = &v["result"];
        let method = LISTS
            .iter()
            .find(|l| r.get(l.1).is_some())
            .map(|l| l.0)
            .or_else(|| r.get("instructions").map(|_| "server/discover"))
            .unwrap_or("tools/call");
        InFlight {
            method: method.to_string(),
            item: None,
            paged: true,
        }
    }
}

/// What both directions share.
struct Shared {
    name: String,
    session: String,
    sink: Box<dyn EventSink>,
    state: Mutex<State>,
    agent_out: Mutex<std::io::Stdout>,
    server_in: Mutex<Option<ChildStdin>>,
    /// Where taint is shared: the agent's other gateways, the hook's session.
    shared_with: Vec<super::shared_taint::SharedFile>,
}

struct State {
    pins: Pins,
    pins_path: PathBuf,
    /// Kinds first pinned by this process (later pages of the same list are first sight too).
    pinned_now: HashSet<&'static str>,
    /// Agent requests waiting for the server, by id.
    agent_pending: HashMap<String, InFlight>,
    /// Server requests waiting for the agent, by id.
    server_pending: HashSet<String>,
    policy: SessionState,
    /// Items whose description was screened as injected: refused like changed ones.
    poisoned: HashSet<String>,
}

impl Shared {
    fn journal(&self, kind: &str, payload: Value) {
        let mut p = payload;
        p["server"] = json!(self.name);
        self.sink
            .emit(Event::new(Source::Mcp, kind, self.session.clone()).with(p));
    }
    fn to_agent(&self, line: &[u8]) {
        let mut o = self.agent_out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = o
            .write_all(line)
            .and_then(|_| o.write_all(b"\n"))
            .and_then(|_| o.flush());
    }
    fn to_agent_json(&self, v: &Value) {
        self.to_agent(v.to_string().as_bytes());
    }
    /// Write to the server; false if it is gone.
    fn to_server(&self, line: &[u8]) -> bool {
        let mut g = self.server_in.lock().unwrap_or_else(|e| e.into_inner());
        match g.as_mut() {
            Some(w) => w
                .write_all(line)
                .and_then(|_| w.write_all(b"\n"))
                .and_then(|_| w.flush())
                .is_ok(),
            None => false,
        }
    }
    /// Taint this gateway's session and those it shares with (see `shared_taint`).
    fn taint(&self, source: &str, detail: &str) {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .policy
            .taint(source, detail);
        for f in &self.shared_with {
            if let Err(e) = f.update(|st| st.taint(source, detail)) {
                self.warn(&format!("cannot share the taint: {e}"));
            }
        }
    }
    /// Take in what the others flagged.
    fn merge_taint(&self, own: &mut SessionState) {
        for f in &self.shared_with {
            match f.read() {
                Ok(shared) => super::shared_taint::merge_into(own, &shared),
                // Not knowing is treated as tainted (fail closed).
                Err(e) => {
                    self.warn(&format!(
                        "cannot read the shared taint, so the session counts as tainted: {e}"
                    ));
                    own.taint("mcp-shared", &e);
                }
            }
        }
    }
    fn warn(&self, msg: &str) {
        eprintln!("cordon mcp {}: {msg}", self.name);
    }
}

pub fn main(args: GatewayArgs) -> CmdResult {
    let name = match (&args.name, args.command.first()) {
        (Some(n), _) => n.clone(),
        (None, None) => String::new(),
        (None, Some(c)) => PathBuf::from(c)
            .file_name()
            .map(|f| f.to_string_lossy().replace(['.', ' '], "-"))
            .unwrap_or_default(),
    };
    super::check_name(&name)?;
    let cfg = Settings::load(Load {
        config: args.config.as_deref(),
        ..Default::default()
    })?;
    cfg.print_warnings();
    let server_cfg = cfg
        .mcp_servers
        .get(&name)
        .map(|s| s.value.clone())
        .unwrap_or_default();
    let base = std::env::current_dir()
        .map_err(|e| Failure::refuse(format!("no current directory: {e}")))?;
    let workspace = match (&args.workspace, &server_cfg.workspace) {
        (Some(w), _) => w.clone(),
        (None, Some(w)) => crate::config::expand_path(w, &base),
        (None, None) => base.clone(),
    };
    let engine = cfg.policy()?;
    let pins_path = super::pins_path(&name);
    let pins = Pins::load(&pins_path).map_err(|e| Failure::usage(e).hint("see docs/MCP.md"))?;
    let sink = crate::cmd::audit::journal_sink(args.no_journal)?;

    super::shared_taint::sweep();
    let shared_with: Vec<_> = super::shared_taint::path()
        .map(super::shared_taint::SharedFile::agent)
        .into_iter()
        .chain(super::shared_taint::SharedFile::hook_from_env()?)
        .collect();
    let session = format!(
        "mcp-{name}-{}-{}",
        std::process::id(),
        cordon_event::now_ns() / 1_000_000
    );
    let shared = Arc::new(Shared {
        name: name.clone(),
        session,
        sink,
        state: Mutex::new(State {
            pins,
            pins_path,
            pinned_now: HashSet::new(),
            agent_pending: HashMap::new(),
            server_pending: HashSet::new(),
            policy: SessionState::default(),
            poisoned: HashSet::new(),
        }),
        agent_out: Mutex::new(std::io::stdout()),
        server_in: Mutex::new(None),
        shared_with,
    });
    // A crash while deciding a call: that call is refused (see `refusal_on_crash`),
    // the crash journaled, and the gateway ends (exit 125); nothing is passed through.
    crate::fatal::install(
        crate::exit::REFUSED,
        &format!("`cordon mcp` for server {name}"),
        "the call being decided was refused and the gateway stopped",
    );
    {
        let sh = shared.clone();
        crate::fatal::journal_with(move |why| sh.journal("mcp.crash", json!({"why": why})));
    }
    let max = args.max_message;
    let ctx = engine.context(base, workspace.clone(), args.upstream.is_none());
    let hint = match &args.config {
        Some(c) => format!("{} (or ~/.config/cordon/config.toml)", c.display()),
        None => "~/.config/cordon/config.toml".to_string(),
    };
    if let Some(upstream) = &args.upstream {
        cfg.admit_destination(
            &crate::settings::Place::Flag("--upstream"),
            &upstream_pattern(upstream),
            false,
        )?;
        let Some(listen) = &args.listen else {
            return Err(Failure::usage(
                "--upstream needs --listen ADDR (where the agent connects)",
            )
            .hint("cordon mcp --name NAME --upstream https://host/mcp --listen 127.0.0.1:8931"));
        };
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(
                cordon_mcp::tls::server_config(cert, key, args.tls_client_ca.as_deref()).map_err(
                    |e| {
                        Failure::usage(e).hint(
                            "give PEM files: a certificate chain, its private key, client CAs",
                        )
                    },
                )?,
            ),
            _ => None,
        };
        let how = match (&tls, &args.tls_client_ca) {
            (None, _) => http::Listening::Plain,
            (Some(_), None) => http::Listening::Tls,
            (Some(_), Some(_)) => http::Listening::MutualTls,
        };
        http::check_listen(listen, how, args.insecure_listen)?;
        shared.journal("mcp.start", json!({"upstream": upstream, "listen": listen}));
        let headers = http::injected_headers(&server_cfg.headers)?;
        return http::serve(
            shared, listen, upstream, headers, engine, ctx, max, hint, tls,
        );
    }
    let exe = std::env::current_exe()
        .map_err(|e| Failure::refuse(format!("cannot find cordon's own binary: {e}")))?;
    let mut cmd = Command::new(exe);
    // A throwaway home: servers run side by side (and beside the agent's own
    // run), and one home serves one run at a time.
    cmd.arg("run")
        .arg("--home-tmp")
        .arg("--workspace")
        .arg(&workspace);
    let allow_domain: Vec<String> = server_cfg
        .allow_domain
        .iter()
        .map(|d| d.value.clone())
        .collect();
    let flags: [(&str, &Vec<String>); 5] = [
        ("--allow-write", &server_cfg.allow_write),
        ("--allow-read", &server_cfg.allow_read),
        ("--deny-read", &server_cfg.deny_read),
        ("--env", &server_cfg.env),
        ("--allow-domain", &allow_domain),
    ];
    for (flag, vals) in flags {
        for v in vals {
            cmd.arg(flag).arg(v);
        }
    }
    if let Some(c) = &args.config {
        cmd.arg("--config").arg(c);
    }
    if args.no_journal {
        cmd.arg("--no-journal");
    }
    cmd.arg("--").args(&args.command);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd
        .spawn()
        .map_err(|e| Failure::refuse(format!("cannot start the sandbox for {name}: {e}")))?;
    *shared.server_in.lock().unwrap_or_else(|e| e.into_inner()) = child.stdin.take();
    let server_out = child.stdout.take().expect("piped");

    shared.journal(
        "mcp.start",
        json!({"command": args.command.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>(),
               "workspace": workspace}),
    );

    {
        let sh = shared.clone();
        let (policy, ctx) = (engine.policy(), ctx.clone());
        // Not joined: when the server is gone the gateway ends, whatever the agent still sends.
        // Decisions run here, on a stack far larger than any bounded decision needs.
        std::thread::Builder::new()
            .stack_size(crate::fatal::ISOLATED_STACK)
            .spawn(move || {
                agent_to_server(&sh, &policy, &ctx, max, &hint);
                // The agent is done: close the server's stdin, let it finish.
                sh.server_in
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
            })
            .map_err(|e| Failure::refuse(format!("cannot start the gateway's thread: {e}")))?;
    }
    server_to_agent(
        &shared,
        server_out,
        max,
        engine.screen(),
        engine.into_policy(),
        ctx,
    );
    shared
        .server_in
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    let code = match child.wait() {
        Ok(s) => s.code().unwrap_or(125),
        Err(_) => 125,
    };
    shared.journal("mcp.exit", json!({"code": code}));
    Ok(u8::try_from(code).unwrap_or(125))
}

/// Agent -> server.
fn agent_to_server(sh: &Shared, policy: &Policy, ctx: &Context, max: usize, config_hint: &str) {
    let stdin = std::io::stdin();
    let mut r = BufReader::with_capacity(64 << 10, stdin.lock());
    loop {
        let frame = match read_frame(&mut r, max) {
            Ok(Some(f)) => f,
            Ok(None) | Err(_) => return,
        };
        let line = match frame {
            Frame::Line(l) => l,
            Frame::TooLong(n) => {
                malformed(
                    sh,
                    "agent",
                    &format!("message of {n} bytes is over the gateway's bound of {max} bytes"),
                    jsonrpc::INVALID_REQUEST,
                    Value::Null,
                );
                continue;
            }
            Frame::Truncated(b) => {
                malformed(
                    sh,
                    "agent",
                    &format!(
                        "truncated message ({} bytes without a newline before the end of input)",
                        b.len()
                    ),
                    jsonrpc::PARSE_ERROR,
                    Value::Null,
                );
                return;
            }
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v: Value = match serde_json::from_slice(&line) {
            Ok(v) => v,
            Err(e) => {
                malformed(
                    sh,
                    "agent",
                    &format!("not JSON: {e}"),
                    jsonrpc::PARSE_ERROR,
                    Value::Null,
                );
                continue;
            }
        };
        match classify(&v) {
            Msg::Notification { .. } => {
                sh.to_server(&line);
            }
            Msg::Response { id } => {
                let known = sh
                    .state
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .server_pending
                    .remove(&jsonrpc::id_key(&id));
                if known {
                    sh.to_server(&line);
                } else {
                    // A response cannot be answered: drop it, keep the stream in step.
                    sh.journal("mcp.malformed", json!({"from": "agent", "why": format!("response to id {id}, which the server never asked")}));
                }
            }
            Msg::Batch => malformed(
                sh,
                "agent",
                "JSON-RPC batches are not supported by MCP (since 2025-06-18)",
                jsonrpc::INVALID_REQUEST,
                Value::Null,
            ),
            Msg::Invalid { id, why } => malformed(sh, "agent", &why, jsonrpc::INVALID_REQUEST, id),
            Msg::Request { id, method } => {
                if let Err(e) = meta_ok(sh, &v, None) {
                    sh.to_agent_json(&jsonrpc::error(&id, e.code, &e.message, e.data));
                    continue;
                }
                let key = jsonrpc::id_key(&id);
                let item = {
                    let mut st = sh.state.lock().unwrap_or_else(|e| e.into_inner());
                    let busy = if st.agent_pending.contains_key(&key) {
                        Some(format!("id {id} is already used by a request in flight"))
                    } else if st.agent_pending.len() >= MAX_IN_FLIGHT {
                        Some(format!(
                            "more than {MAX_IN_FLIGHT} requests in flight; wait for answers"
                        ))
                    } else {
                        None
                    };
                    if let Some(why) = busy {
                        drop(st);
                        malformed(sh, "agent", &why, jsonrpc::INVALID_REQUEST, id);
                        continue;
                    }
                    let on_crash = refusal_on_crash(sh, &id);
                    let decided = crate::fatal::refusing(1, &on_crash, || {
                        police(sh, &mut st, policy, ctx, &method, &v, config_hint)
                    });
                    match decided {
                        Err(msg) => {
                            drop(st);
                            sh.to_agent_json(&jsonrpc::error(&id, jsonrpc::REFUSED, &msg, None));
                            continue;
                        }
                        Ok(item) => item,
                    }
                };
                sh.state
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .agent_pending
                    .insert(key.clone(), InFlight::new(method, item, &v));
                if !sh.to_server(&line) {
                    sh.state
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .agent_pending
                        .remove(&key);
                    sh.to_agent_json(&jsonrpc::error(
                        &id,
                        jsonrpc::SERVER_ERROR,
                        &format!("MCP server {} is not running", sh.name),
                        None,
                    ));
                }
            }
        }
    }
}

/// What the agent reads if cordon crashes while deciding request `id`: a
/// JSON-RPC refusal on a line of its own (a leading newline ends whatever
/// line another thread was writing).
fn refusal_on_crash(sh: &Shared, id: &Value) -> Vec<u8> {
    let msg = format!(
        "cordon could not decide this call to MCP server {} (an internal error; the gateway stopped), so it was refused",
        sh.name
    );
    format!("\n{}\n", jsonrpc::error(id, jsonrpc::REFUSED, &msg, None)).into_bytes()
}

/// Check a request's 2026-07-28 `_meta` (and the HTTP `MCP-Protocol-Version`
/// header, where there is one); a refusal is journaled.
fn meta_ok(
    sh: &Shared,
    v: &Value,
    header: Option<&str>,
) -> Result<(), cordon_mcp::revision::MetaError> {
    cordon_mcp::revision::check_request_meta(v.get("params"), header)
        .map(|_| ())
        .inspect_err(|e| {
            sh.journal(
                "mcp.malformed",
                json!({"from": "agent", "why": e.message, "code": e.code}),
            )
        })
}

/// A malformed message: answer the sender (agent) with an error, journal it.
fn malformed(sh: &Shared, from: &str, why: &str, code: i64, id: Value) {
    sh.journal("mcp.malformed", json!({"from": from, "why": why}));
    if from == "agent" {
        sh.to_agent_json(&jsonrpc::error(&id, code, &format!("cordon: {why}"), None));
    } else {
        sh.warn(&format!("dropped a message from the server: {why}"));
    }
}

/// 2026-07-28 `subscriptions/listen`: opting in to list changes reads
/// nothing; each resource it watches (`notifications.resourceSubscriptions`)
/// is a read, decided like `resources/subscribe`, and one refusal refuses all.
fn police_listen(
    sh: &Shared,
    st: &mut State,
    policy: &Policy,
    ctx: &Context,
    msg: &Value,
    config_hint: &str,
) -> Result<Option<String>, String> {
    let uris = match &msg["params"]["notifications"]["resourceSubscriptions"] {
        Value::Null => return Ok(None),
        Value::Array(a) if a.iter().all(Value::is_string) => a,
        _ => {
            return Err("cordon: `subscriptions/listen` needs `notifications.resourceSubscriptions` to be a list of URIs".into())
        }
    };
    for uri in uris {
        let one = json!({"params": {"uri": uri, "_meta": msg["params"]["_meta"]}});
        police(
            sh,
            st,
            policy,
            ctx,
            "resources/subscribe",
            &one,
            config_hint,
        )?;
    }
    Ok(None)
}

/// Refuse an item its pin blocks: changed or new since pinned, its
/// description screened as injected, or a tool the pinned list never had.
fn pinned_state(
    sh: &Shared,
    st: &State,
    method: &str,
    item: &str,
    kind: Kind,
    key: &str,
) -> Result<(), String> {
    let approve = format!(
        "run `cordon mcp approve {}` to review and approve it",
        sh.name
    );
    let unlisted =
        kind == Kind::Tool && st.pins.has_kind(Kind::Tool) && !st.pins.items.contains_key(key);
    let (why, msg) = if st.pins.is_blocked(key) {
        (
            "changed since pinned",
            format!("it changed since it was pinned (or is new since); {approve}"),
        )
    } else if st.poisoned.contains(key) {
        (
            "description screened as injected",
            "its description reads like injected instructions (see the gateway's warning)"
                .to_string(),
        )
    } else if unlisted {
        (
            "not in the pinned tool list",
            format!("it was not listed when the server was pinned; list the tools, then {approve}"),
        )
    } else {
        return Ok(());
    };
    sh.journal(
        "mcp.blocked",
        json!({"method": method, "item": key, "why": why}),
    );
    Err(format!(
        "cordon blocked `{item}` of MCP server {}: {msg}",
        sh.name
    ))
}

/// Decide a request. `Ok(item)` forwards it; `Err(message)` refuses it.
fn police(
    sh: &Shared,
    st: &mut State,
    policy: &Policy,
    ctx: &Context,
    method: &str,
    msg: &Value,
    config_hint: &str,
) -> Result<Option<String>, String> {
    if method == "subscriptions/listen" {
        return police_listen(sh, st, policy, ctx, msg, config_hint);
    }
    let params = msg.get("params").cloned().unwrap_or(Value::Null);
    let (tool, arguments, key) = match POLICED.iter().find(|p| p.0 == method) {
        None if RELAYED.contains(&method) => return Ok(None),
        // A method cordon does not know is decided under its own name, never waved through.
        None => (method.replace('/', "_"), params, String::new()),
        Some(&(_, tool_as, field, item_of)) => {
            let Some((item, kind)) = item_of(&params).map(|(i, k)| (i.to_string(), k)) else {
                return Err(format!("cordon: `{method}` needs {field}"));
            };
            let key = format!("{}:{item}", kind.prefix());
            pinned_state(sh, st, method, &item, kind, &key)?;
            match tool_as {
                None => {
                    let arguments = params.get("arguments").cloned().unwrap_or(Value::Null);
                    (item, arguments, key)
                }
                Some(t) => (t.to_string(), params, key),
            }
        }
    };
    let item = key.split_once(':').map_or(method, |(_, i)| i).to_string();
    let meta = &msg["params"]["_meta"];
    let action = Action::Mcp {
        server: sh.name.clone(),
        tool,
        arguments,
    };
    sh.merge_taint(&mut st.policy);
    let d = policy.decide(&action, ctx, &st.policy);
    st.policy.record(&action, &d);
    let rule = action.tool();
    let mut record = json!({"method": method, "tool": rule, "verdict": d.verdict.as_str(), "reasons": d.reasons.iter().map(|r| r.text.clone()).collect::<Vec<_>>(), "tainted": st.policy.is_tainted(), "taint_sources": st.policy.taint_sources});
    // 2026-07-28: who asked, in which revision (per request), where given.
    for (field, key) in [
        ("revision", cordon_mcp::revision::PROTOCOL_VERSION),
        ("client", cordon_mcp::revision::CLIENT_INFO),
    ] {
        if let Some(v) = meta.get(key) {
            record[field] = v.clone();
        }
    }
    sh.journal("mcp.decision", record);
    let mut first = d
        .reasons
        .first()
        .map(|r| r.text.clone())
        .unwrap_or_default();
    // Annotations are the server's word: they may make cordon more careful, never less.
    let ruled = d.reasons.first().is_some_and(|r| r.rule.is_some());
    let destructive = st
        .pins
        .items
        .get(&key)
        .is_some_and(|p| p.canon["annotations"]["destructiveHint"] == json!(true));
    let verdict = if d.verdict == Verdict::Allow && !ruled && destructive {
        first = format!(
            "MCP server {} marks `{item}` destructive (destructiveHint)",
            sh.name
        );
        Verdict::Ask
    } else {
        d.verdict
    };
    match verdict {
        Verdict::Allow => Ok((!key.is_empty()).then_some(key)),
        Verdict::Deny => Err(format!("cordon denied `{rule}`: {first}")),
        Verdict::Ask => Err(format!(
            "cordon would ask before `{rule}` runs ({first}), and a gateway has no one to ask. \
             To allow it, the user adds \"{rule}\" (or \"mcp__{}__*\") to [permissions] allow in {config_hint}, then retries",
            sh.name
        )),
    }
}

/// Server -> agent.
fn server_to_agent(
    sh: &Shared,
    out: std::process::ChildStdout,
    max: usize,
    screen: Screen,
    policy: Policy,
    ctx: Context,
) {
    let ctx = &ctx;
    let mut r = BufReader::with_capacity(64 << 10, out);
    loop {
        let line = match read_frame(&mut r, max) {
            Ok(Some(Frame::Line(l))) => l,
            Ok(Some(Frame::TooLong(n))) => {
                malformed(
                    sh,
                    "server",
                    &format!("message of {n} bytes is over the bound of {max} bytes"),
                    0,
                    Value::Null,
                );
                continue;
            }
            Ok(Some(Frame::Truncated(b))) => {
                malformed(
                    sh,
                    "server",
                    &format!("truncated message ({} bytes) at exit", b.len()),
                    0,
                    Value::Null,
                );
                break;
            }
            Ok(None) | Err(_) => break,
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut v: Value = match serde_json::from_slice(&line) {
            Ok(v) => v,
            Err(e) => {
                malformed(sh, "server", &format!("not JSON: {e}"), 0, Value::Null);
                continue;
            }
        };
        match classify(&v) {
            Msg::Response { id } => {
                let pending = sh
                    .state
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .agent_pending
                    .remove(&jsonrpc::id_key(&id));
                let Some(p) = pending else {
                    malformed(sh, "server", &format!("response to id {id}, which the agent never asked (or already answered)"), 0, Value::Null);
                    continue;
                };
                if police_response(sh, &policy, ctx, &screen, &p, &mut v) {
                    sh.to_agent_json(&v);
                } else {
                    sh.to_agent(&line);
                }
            }
            Msg::Request { id, method } => {
                if let Err(msg) = decide_server_request(sh, &policy, ctx, &method, &v) {
                    sh.to_server(
                        jsonrpc::error(&id, jsonrpc::REFUSED, &msg, None)
                            .to_string()
                            .as_bytes(),
                    );
                    continue;
                }
                {
                    let mut st = sh.state.lock().unwrap_or_else(|e| e.into_inner());
                    if st.server_pending.len() >= MAX_IN_FLIGHT {
                        drop(st);
                        let msg =
                            format!("cordon: more than {MAX_IN_FLIGHT} server requests in flight");
                        malformed(sh, "server", &msg, 0, Value::Null);
                        sh.to_server(
                            jsonrpc::error(&id, jsonrpc::INVALID_REQUEST, &msg, None)
                                .to_string()
                                .as_bytes(),
                        );
                        continue;
                    }
                    st.server_pending.insert(jsonrpc::id_key(&id));
                }
                sh.to_agent(&line);
            }
            Msg::Notification { .. } => sh.to_agent(&line),
            Msg::Batch => malformed(sh, "server", "JSON-RPC batch", 0, Value::Null),
            Msg::Invalid { why, .. } => malformed(sh, "server", &why, 0, Value::Null),
        }
    }
    // The server is gone: every request still waiting gets an answer.
    let pending: Vec<String> = sh
        .state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .agent_pending
        .drain()
        .map(|(k, _)| k)
        .collect();
    for k in pending {
        let id: Value = serde_json::from_str(&k).unwrap_or(Value::Null);
        sh.to_agent_json(&jsonrpc::error(
            &id,
            jsonrpc::SERVER_ERROR,
            &format!("MCP server {} exited before answering", sh.name),
            None,
        ));
    }
}

/// A request from the server (sampling, elicitation) is decided like the
/// agent's calls; "ask" has no one to ask, so only an allow rule lets it
/// through. `Err` is the refusal to send back to the server.
fn decide_server_request(
    sh: &Shared,
    policy: &Policy,
    ctx: &Context,
    method: &str,
    v: &Value,
) -> Result<(), String> {
    if SERVER_RELAYED.contains(&method) {
        return Ok(());
    }
    let tool = method.replace('/', "_");
    let (allowed, rule) = decide_for_server(sh, policy, ctx, method, &tool, v.get("params"), false);
    if allowed {
        return Ok(());
    }
    let msg = format!("cordon refused `{method}` from MCP server {}: a server prompting the agent's model or user needs \"{rule}\" in [permissions] allow", sh.name);
    sh.warn(&msg);
    Err(msg)
}

/// Decide a request from the server (standalone or embedded in a result)
/// under the rule name `mcp__NAME__TOOL`; journaled. Allowed?, and the rule.
fn decide_for_server(
    sh: &Shared,
    policy: &Policy,
    ctx: &Context,
    method: &str,
    tool: &str,
    params: Option<&Value>,
    embedded: bool,
) -> (bool, String) {
    let action = Action::Mcp {
        server: sh.name.clone(),
        tool: tool.to_string(),
        arguments: params.cloned().unwrap_or(Value::Null),
    };
    let d = {
        let mut st = sh.state.lock().unwrap_or_else(|e| e.into_inner());
        sh.merge_taint(&mut st.policy);
        policy.decide(&action, ctx, &st.policy)
    };
    let rule = action.tool();
    sh.journal(
        "mcp.decision",
        json!({"method": method, "tool": rule, "verdict": d.verdict.as_str(), "from": "server", "embedded": embedded}),
    );
    (d.verdict == Verdict::Allow, rule)
}

/// Everything done to an answer before the agent sees it: the protocol
/// revision a handshake answer names, requests embedded in it, pins and
/// screening. True if the message was changed.
fn police_response(
    sh: &Shared,
    policy: &Policy,
    ctx: &Context,
    screen: &Screen,
    p: &InFlight,
    v: &mut Value,
) -> bool {
    let unknown = v
        .get("result")
        .and_then(|r| cordon_mcp::revision::unknown_server_revision(&p.method, r));
    if let Some(rev) = unknown {
        let msg = format!(
            "cordon refused MCP server {}: it answered `{}` with protocol revision {rev}, which cordon cannot police (it knows {})",
            sh.name,
            p.method,
            cordon_mcp::revision::REVISIONS.join(", ")
        );
        sh.warn(&msg);
        sh.journal(
            "mcp.blocked",
            json!({"method": p.method, "why": "unknown protocol revision", "revision": rev}),
        );
        let id = v.get("id").cloned().unwrap_or(Value::Null);
        *v = jsonrpc::error(&id, jsonrpc::REFUSED, &msg, None);
        return true;
    }
    police_embedded(sh, policy, ctx, v) | inspect(sh, screen, p, v)
}

/// 2026-07-28 input-required results embed the server's requests (sampling,
/// elicitation) in `inputRequests`; they are decided like standalone ones, and
/// one that is not allowed turns the whole answer into a JSON-RPC error.
/// True if the message was changed.
fn police_embedded(sh: &Shared, policy: &Policy, ctx: &Context, v: &mut Value) -> bool {
    let reqs = match v.get("result").and_then(|r| r.get("inputRequests")) {
        None => return false,
        Some(Value::Object(reqs)) => reqs,
        Some(_) => {
            let msg = format!(
                "cordon refused the result of MCP server {}: its `inputRequests` is not an object of requests, so cordon cannot decide them",
                sh.name
            );
            sh.warn(&msg);
            let id = v.get("id").cloned().unwrap_or(Value::Null);
            *v = jsonrpc::error(&id, jsonrpc::REFUSED, &msg, None);
            return true;
        }
    };
    let refused = reqs.values().find_map(|r| {
        let method = r.get("method").and_then(Value::as_str).unwrap_or("");
        if SERVER_RELAYED.contains(&method) {
            return None;
        }
        let tool = method.replace('/', "_");
        let (allowed, rule) = decide_for_server(sh, policy, ctx, method, &tool, r.get("params"), true);
        (!allowed).then(|| format!(
            "cordon refused the result of MCP server {}: it asks for `{method}` (input required), which needs \"{rule}\" in [permissions] allow",
            sh.name
        ))
    });
    let Some(msg) = refused else { return false };
    sh.warn(&msg);
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    *v = jsonrpc::error(&id, jsonrpc::REFUSED, &msg, None);
    true
}

/// Pin, filter and screen a response; true if it was changed.
fn inspect(sh: &Shared, screen: &Screen, p: &InFlight, v: &mut Value) -> bool {
    let Some(result) = v.get_mut("result") else {
        return false;
    };
    if p.method == "initialize" || p.method == "server/discover" {
        let Some(text) = result
            .get("instructions")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return false;
        };
        let blocked = pin(
            sh,
            Kind::Instructions,
            std::slice::from_ref(&json!(text)),
            true,
        );
        // Suspicious instructions pass with a warning; injected ones are withheld.
        let flagged = screen_text(sh, screen, "instructions", &text)
            && screen.screen(&text).level == Level::Injected;
        if blocked.is_empty() && !flagged {
            return false;
        }
        result["instructions"] = json!(format!(
            "[cordon withheld this server's instructions: {}; run `cordon mcp approve {}` to review]",
            if flagged { "they read like injected instructions" } else { "they changed since they were pinned" },
            sh.name
        ));
        return true;
    }
    if let Some(&(_, field, kind)) = LISTS.iter().find(|l| l.0 == p.method) {
        let Some(items) = result.get(field).and_then(Value::as_array).cloned() else {
            return false;
        };
        let whole = !p.paged && result.get("nextCursor").is_none_or(Value::is_null);
        let blocked = pin(sh, kind, &items, whole);
        let mut keep = Vec::with_capacity(items.len());
        let mut changed = !blocked.is_empty();
        for item in items {
            let key = kind.key(&item).unwrap_or_default();
            if blocked.contains(&key) {
                continue;
            }
            let mut text = String::new();
            screen::text_of(&cordon_mcp::pin::canonical(kind, &item), &mut text);
            let level = screen.screen(&text).level;
            if level != Level::Clean
                && screen_text(sh, screen, &key, &text)
                && level == Level::Injected
            {
                sh.state
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .poisoned
                    .insert(key);
                changed = true;
                continue;
            }
            keep.push(item);
        }
        if changed {
            result[field] = Value::Array(keep);
        }
        return changed;
    }
    // Any other result (calls, reads, completions, task results, methods
    // cordon does not know) is text the model may read: stripped and screened.
    {
        let stripped = screen::strip_all(result);
        let mut text = String::new();
        screen::text_of(result, &mut text);
        let what = p.item.clone().unwrap_or_else(|| p.method.clone());
        let v = screen.screen(&text);
        if let Some(w) = v.warning() {
            sh.taint("mcp-result", &format!("{}/{what}", sh.name));
            sh.journal("mcp.flagged", json!({"what": what, "level": v.level.as_str(), "score": v.score, "findings": v.findings}));
            sh.warn(&format!("{what}: {w}"));
            if let Some(content) = result.get_mut("content").and_then(Value::as_array_mut) {
                content.push(json!({"type": "text", "text": w}));
            }
            return true;
        }
        stripped
    }
}

/// Screen text, journal and warn if flagged; true if flagged.
fn screen_text(sh: &Shared, screen: &Screen, what: &str, text: &str) -> bool {
    let v = screen.screen(text);
    let Some(w) = v.warning() else { return false };
    sh.taint("mcp-description", &format!("{}/{what}", sh.name));
    sh.journal(
        "mcp.flagged",
        json!({"what": what, "level": v.level.as_str(), "score": v.score, "findings": v.findings}),
    );
    sh.warn(&format!("{what}: {w}"));
    true
}

/// Check items against the pins, save, journal; the keys now blocked.
fn pin(sh: &Shared, kind: Kind, items: &[Value], whole: bool) -> Vec<String> {
    let mut st = sh.state.lock().unwrap_or_else(|e| e.into_inner());
    let prefix = kind.prefix();
    let first_here = st.pinned_now.contains(prefix);
    // Checked against the pins on disk as they are now, under their lock: a
    // sibling gateway of the same server, or an approval, since this one
    // started is taken in, and nothing either wrote is lost.
    let check = |p: &mut Pins| {
        let first = !p.has_kind(kind);
        (p.check(kind, items, first || first_here), first)
    };
    let (c, saved) = match Pins::update(&st.pins_path, check) {
        Ok((pins, (c, first))) => {
            st.pins = pins;
            if first {
                st.pinned_now.insert(prefix);
            }
            (c, Ok(()))
        }
        // Not saved: still enforced against what this gateway holds.
        Err(e) => {
            let (c, first) = check(&mut st.pins);
            if first {
                st.pinned_now.insert(prefix);
            }
            (c, Err(format!("pins not saved: {e}")))
        }
    };
    let mut c = c;
    if !whole {
        // One page of a list: the pinned items it lacks are on other pages.
        c.removed.clear();
    }
    let diffs: serde_json::Map<String, Value> = c
        .blocked
        .iter()
        .map(|k| (k.clone(), json!(st.pins.diff(k).unwrap_or_default())))
        .collect();
    let others = if kind == Kind::Tool && !c.added.is_empty() {
        shadowed(sh, &c.added)
    } else {
        Vec::new()
    };
    drop(st);
    if let Err(e) = saved {
        sh.warn(&e);
    }
    if !c.added.is_empty() || !c.blocked.is_empty() || !c.removed.is_empty() {
        sh.journal("mcp.pin", json!({"kind": prefix, "added": c.added, "blocked": c.blocked, "removed": c.removed, "diffs": diffs}));
    }
    for k in &c.blocked {
        sh.warn(&format!("{k} changed since it was pinned; it is hidden and refused until `cordon mcp approve {}`", sh.name));
    }
    for (tool, other) in others {
        sh.warn(&format!(
            "tool `{tool}` is also offered by MCP server {other} (one may shadow the other)"
        ));
        sh.journal("mcp.shadowing", json!({"tool": tool, "other": other}));
    }
    c.blocked
}

/// Newly pinned tools whose names another pinned server also offers: (tool, other server).
fn shadowed(sh: &Shared, added: &[String]) -> Vec<(String, String)> {
    let dir = crate::paths::data_dir().join("mcp");
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return out;
    };
    for e in rd.flatten() {
        let path = e.path();
        let Some(other) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if other == sh.name || path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let Ok(p) = Pins::load(&path) else { continue };
        let names = p.tool_names();
        for k in added {
            let t = k.trim_start_matches("tool:");
            if names.iter().any(|n| n == t) {
                out.push((t.to_string(), other.clone()));
            }
        }
    }
    out
}

/// `https://host[:port]/path` as the destination pattern `host:port`.
fn upstream_pattern(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let auth = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let auth = auth.rsplit_once('@').map(|(_, h)| h).unwrap_or(auth);
    let has_port = auth
        .rsplit_once(':')
        .is_some_and(|(h, _)| !h.ends_with('[') && (auth.starts_with('[') == h.ends_with(']')));
    match (has_port, scheme) {
        (true, _) => auth.to_string(),
        (false, "http") => format!("{auth}:80"),
        _ => format!("{auth}:443"),
    }
}
