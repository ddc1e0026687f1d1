//! `cordon run`: contain a command and everything it starts.
use crate::cmd::netrun;
use crate::config;
use crate::exit::{CmdResult, Failure};
use crate::settings::{self, Degradable, Entry, Item, Load, MakeItem, Settings, Sourced};
use cordon_event::{Event, EventSink, Source};
use cordon_sandbox::plan::{FsInputs, FsPlan, PlanError};
use cordon_sandbox::quarantine::{self, Store};
use cordon_sandbox::{timing, Degraded, Limits, Sandbox, Spec, StdioMode};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::sync::Arc;

/// Run a command in cordon's sandbox.
///
/// The command and every process it starts run in new namespaces with the
/// host's files read-only, $HOME an overlay whose writes are kept in cordon's
/// home (`cordon home`), never on the host, the workspace (default: the
/// current directory) writable, a private /tmp, secrets such as ~/.ssh and ~/.aws hidden, no
/// capabilities, a seccomp filter, process and memory limits, a scrubbed
/// environment, and no network except through cordon's egress proxy.
/// If a protection cannot be set up, cordon refuses (exit 125).
///
/// Examples:
///   cordon run -- bash
///   cordon run --net registries,anthropic -- claude
///   cordon run --home-tmp -- npm test     # a throwaway $HOME
///   cordon run --env RUST_LOG --max-memory 8G -- cargo test
///   cordon run --net openai -- codex      # Codex's profile: see --agent
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The writable workspace [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Also make PATH writable (repeatable).
    #[arg(long, value_name = "PATH")]
    pub allow_write: Vec<PathBuf>,
    /// Un-hide PATH from the default secret list (repeatable).
    #[arg(long, value_name = "PATH")]
    pub allow_read: Vec<PathBuf>,
    /// Also hide PATH (repeatable).
    #[arg(long, value_name = "PATH")]
    pub deny_read: Vec<PathBuf>,
    /// Let the command connect (and send datagrams) to the pathname unix
    /// socket PATH outside the workspace (repeatable), e.g. an agent's own
    /// daemon. Other sockets outside the workspace and the sandbox's private
    /// directories are refused (EACCES), and named at the end of the run.
    /// Config: `[sandbox] allow_unix_socket`; a managed ceiling admits only
    /// sockets under its `allow_write` paths.
    #[arg(long, value_name = "PATH")]
    pub allow_unix_socket: Vec<PathBuf>,
    /// Pass NAME from the environment, or set NAME=VALUE (repeatable). Other
    /// variables are dropped except an allowlist (PATH, HOME, LANG, TERM, ...).
    #[arg(long, value_name = "NAME[=VALUE]")]
    pub env: Vec<String>,
    /// Maximum number of processes [default: 4096].
    #[arg(long, value_name = "N")]
    pub max_procs: Option<u64>,
    /// Maximum memory, e.g. 4G or 512M [default: 3/4 of RAM with cgroups].
    #[arg(long, value_name = "SIZE")]
    pub max_memory: Option<String>,
    /// Run even though LAYER cannot be enforced on this machine: `landlock`
    /// (weaker filesystem containment) or `cgroups` (rlimits only). Without
    /// this flag cordon refuses to run with weaker containment.
    #[arg(long, value_name = "LAYER", value_enum)]
    pub allow_degraded: Vec<Degradable>,
    /// Config file (in addition to ~/.config/cordon/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Say what is enforced and which environment variables were dropped.
    #[arg(short, long)]
    pub verbose: bool,
    /// Serve agent hooks from outside the sandbox: starts `cordon hook serve`
    /// and makes its socket reachable inside (CORDON_HOOK_SOCKET), so that
    /// `cordon hook claude` run by an agent inside keeps its state and journal
    /// where the agent cannot reach them. Use it to run Claude Code with
    /// cordon's hooks installed: `cordon run --hook-relay ... -- claude`.
    #[arg(long)]
    pub hook_relay: bool,
    /// Keep what the command writes under $HOME in cordon's home NAME
    /// [default: default] (see `cordon home`); the host's home is never written.
    #[arg(long, value_name = "NAME")]
    pub home: Option<String>,
    /// A throwaway home for this run: what the command writes under $HOME is
    /// lost when it ends (e.g. while another run uses the persistent home).
    #[arg(long, conflicts_with = "home")]
    pub home_tmp: bool,
    /// The agent profile to apply: claude, codex, aider, gemini, or none
    /// [default: chosen by the command's file name]. A profile passes the
    /// agent's API variables (key, base URL) when they are set, makes an
    /// agent whose own command sandbox cannot start inside cordon rely on
    /// cordon's (Codex: `-c sandbox_mode="danger-full-access"`; Claude Code:
    /// `--settings '{"sandbox":{"enabled":false}}'`, inserted after the
    /// program name), and says at start when the agent's API is not
    /// allowed. It never widens the network. See docs/AGENTS.md.
    #[arg(long, value_name = "NAME")]
    pub agent: Option<String>,
    /// Run without recording to the audit journal. Without this flag, cordon
    /// refuses to run when the journal cannot be written (read-only or full disk).
    #[arg(long)]
    pub no_journal: bool,
    #[command(flatten)]
    pub net: netrun::NetArgs,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// The profile `--agent` names, or the one the command's program selects.
fn agent_profile(args: &Args) -> Result<Option<&'static crate::profile::Profile>, Failure> {
    match args.agent.as_deref() {
        Some("none") => Ok(None),
        Some(name) => crate::profile::find(name).map(Some).ok_or_else(|| {
            Failure::usage(format!("--agent {name}: no such profile"))
                .hint(format!("use one of: {}", crate::profile::names()))
        }),
        None => Ok(args
            .command
            .first()
            .and_then(|p| crate::profile::for_program(p))),
    }
}

/// One line when the agent's API cannot be reached under this run's
/// network policy (a loopback base URL is the loopback hints' business).
fn api_hint(
    p: &crate::profile::Applied,
    plan: &netrun::NetPlan,
    net: &settings::NetPolicy,
    var: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    use crate::profile::Endpoint;
    let title = p.profile.title;
    let (host, port) = match crate::profile::api_endpoint(p.profile, var, &p.argv)? {
        Endpoint::Remote(h, port) => (h, port),
        // A loopback base URL is the loopback hints' business.
        Endpoint::Loopback(_) => return None,
    };
    if plan.proxy.is_none() {
        return Some(format!(
            "{title} needs its API ({host}) and this run has no network"
        ));
    }
    let parsed = cordon_net::Host::parse(&host).ok()?;
    if net.rules.decide(&parsed, port).is_ok() {
        return None;
    }
    let preset_hosts = |name: &&&str| {
        cordon_net::presets::find(name).is_some_and(|pr| pr.hosts.contains(&host.as_str()))
    };
    let flag = match p.profile.presets.iter().find(preset_hosts) {
        Some(preset) => format!("--net {preset}"),
        None if port == 443 || port == 80 => format!("--allow-domain {host}"),
        None => format!("--allow-domain {host}:{port}"),
    };
    Some(format!(
        "{title}'s API ({host}) is not allowed, so it cannot work: add {flag}"
    ))
}

fn isatty(fd: i32) -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

/// A session id: time and pid, hex.
pub fn new_session_id() -> String {
    format!(
        "run-{:x}-{:x}",
        cordon_event::now_ns() / 1_000_000,
        std::process::id()
    )
}

/// The flags of `cordon run` as the settings layer's top layer; paths are
/// made absolute against the current directory here.
fn flag_entries(args: &Args, cwd: &std::path::Path) -> Result<Vec<Entry>, Failure> {
    let path = |p: &PathBuf| {
        config::expand_path(&p.to_string_lossy(), cwd)
            .display()
            .to_string()
    };
    let mut e = Vec::new();
    let lists: [(&'static str, &Vec<PathBuf>, MakeItem); 4] = [
        ("--allow-write", &args.allow_write, Item::AllowWrite),
        ("--allow-read", &args.allow_read, Item::AllowRead),
        ("--deny-read", &args.deny_read, Item::DenyRead),
        (
            "--allow-unix-socket",
            &args.allow_unix_socket,
            Item::AllowUnixSocket,
        ),
    ];
    for (flag, v, item) in lists {
        e.extend(v.iter().map(|p| Entry::flag(flag, item(path(p)))));
    }
    e.extend(
        args.env
            .iter()
            .map(|v| Entry::flag("--env", Item::Env(v.clone()))),
    );
    if let Some(n) = args.max_procs {
        let n = settings::procs(n).map_err(|m| Failure::usage(format!("--max-procs: {m}")))?;
        e.push(Entry::flag("--max-procs", Item::MaxProcs(n)));
    }
    if let Some(m) = &args.max_memory {
        e.push(settings::size_flag(
            "--max-memory",
            m,
            Item::MaxMemory,
            settings::Key::MaxMemory,
        )?);
    }
    e.extend(
        args.allow_degraded
            .iter()
            .map(|d| Entry::flag("--allow-degraded", Item::AllowDegraded(*d))),
    );
    e.extend(args.net.entries());
    Ok(e)
}

pub fn main(args: Args) -> CmdResult {
    timing::mark("start");
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::refuse(format!("cannot read the current directory: {e}")))?;
    let workspace = args
        .workspace
        .clone()
        .map(|w| config::expand_path(&w.to_string_lossy(), &cwd))
        .unwrap_or_else(|| cwd.clone());
    let cfg = Settings::load(Load {
        config: args.config.as_deref(),
        workspace: Some(&workspace),
        flags: flag_entries(&args, &cwd)?,
    })?;
    cfg.print_warnings();
    let checked = cfg.validate()?;
    let s = &cfg.sandbox;
    let exp = |v: &Vec<Sourced<String>>| -> Vec<PathBuf> {
        v.iter()
            .map(|p| config::expand_path(&p.value, &workspace))
            .collect()
    };
    // The quarantine exists before the plan is made, so that the sandbox hides
    // it with the rest of cordon's data (wherever CORDON_DATA_DIR puts it).
    let _ = quarantine::private_dir(&quarantine::root(&crate::paths::data_dir()));
    // $HOME: an overlay kept in cordon's home, locked for this run; made
    // before the plan, so the plan hides it with the rest of the data dir.
    let session = new_session_id();
    let home = crate::home::RunHome::take(args.home.as_deref(), args.home_tmp, &session)?;
    let mut own = vec![crate::paths::data_dir()];
    own.extend(crate::paths::config_dir());
    let mut fs = FsPlan::build(&FsInputs {
        home: config::home_dir(),
        workspace: workspace.clone(),
        allow_write: exp(&s.allow_write),
        allow_read: exp(&s.allow_read),
        deny_read: exp(&s.deny_read),
        own,
    })
    .map_err(|e| match e {
        PlanError::Usage(m) => Failure::usage(m),
        PlanError::Unprotectable(m) => Failure::refuse(m),
    })?;
    home.check_hidden(&fs.hidden)?;

    // Limits.
    let max_procs = s.max_procs.value;
    let max_memory = s.max_memory.value.bytes();
    let mut degraded = Degraded::default();
    for d in &s.allow_degraded {
        match d.value {
            Degradable::Landlock => degraded.landlock = true,
            Degradable::Cgroups => degraded.cgroups = true,
        }
    }

    // Environment.
    let host_env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let host_var = |name: &str| {
        host_env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let profile = agent_profile(&args)?
        .map(|p| crate::profile::apply(p, &args.command, |v| host_var(v).is_some()));
    let mut extra_env: Vec<String> = s.env.iter().map(|v| v.value.clone()).collect();
    if let Some(p) = &profile {
        extra_env.extend(p.env.iter().map(|v| v.to_string()));
    }
    let scrubbed = cordon_sandbox::env::scrub(&host_env, &extra_env);
    let net_plan = netrun::plan(args.net.no_network, &checked.net);
    let mut env: Vec<(OsString, OsString)> = scrubbed
        .kept
        .iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let mut set = |k: &str, v: &str| {
        env.retain(|(n, _)| n != k);
        env.push((k.into(), v.into()));
    };
    set("CORDON_SANDBOX", "1");
    set("CORDON_SESSION", &session);
    for (k, v) in &net_plan.env {
        set(k, v);
    }

    // The journal is opened before anything starts: no journal, no run.
    let relay = if args.hook_relay {
        let r = HookRelay::start(
            &session,
            &fs.workspace,
            args.config.as_deref(),
            args.no_journal,
            &args.net.allow_domain,
        )?;
        set(RELAY_ENV, RELAY_INSIDE);
        Some(r)
    } else {
        None
    };

    // Loopback URLs in the variables passed, and an agent's base URL on its
    // command line (Codex's `-c openai_base_url=...`).
    let arg_url = profile.as_ref().and_then(|p| {
        let url = crate::profile::base_url_arg(p.profile, &p.argv)?;
        Some((format!("{}'s base URL", p.profile.title), url))
    });
    let loopback_hints = netrun::loopback_hints(
        &net_plan,
        env.iter()
            .filter_map(|(k, v)| Some((k.to_str()?, v.to_str()?)))
            .chain(arg_url.as_ref().map(|(k, v)| (k.as_str(), *v))),
    );
    for h in &loopback_hints {
        eprintln!("cordon: warning: {h}");
    }
    if let Some(p) = &profile {
        let hint = api_hint(p, &net_plan, &checked.net, &host_var);
        for w in p.warnings.iter().chain(hint.as_ref()) {
            eprintln!("cordon: warning: {w}");
        }
    }

    // Any stream that is a terminal goes through the pty, whose output
    // cordon filters: a redirected stdin must not hand the sandbox the
    // person's terminal as its stdout.
    let ttys = [isatty(0), isatty(1), isatty(2)];
    let stdio = if ttys.contains(&true) {
        StdioMode::Pty
    } else {
        StdioMode::Inherit
    };
    fs.prepare()
        .map_err(|e| Failure::refuse(format!("cannot prepare the workspace: {e}")))?;
    let spec = Spec {
        argv: profile
            .as_ref()
            .map_or_else(|| args.command.clone(), |p| p.argv.clone()),
        env,
        // The caller's directory (read-only if outside the workspace).
        cwd: cwd.clone(),
        fs: fs.clone(),
        limits: Limits {
            max_procs,
            max_memory,
        },
        stdio,
        // The pty takes the streams that are terminals; redirected ones pass through.
        pty_streams: ttys,
        net_listen: net_plan.listen.clone(),
        sockets: relay
            .as_ref()
            .map(|r| vec![(r.socket.clone(), PathBuf::from(RELAY_INSIDE))])
            .unwrap_or_default(),
        unix_allow: exp(&s.allow_unix_socket),
        allow_degraded: degraded,
        home: home.overlay.clone(),
        ..Default::default()
    };
    let refuse = |e: cordon_sandbox::SandboxError| {
        let hint = e
            .hint
            .clone()
            .unwrap_or_else(|| "run `cordon doctor` to see what this machine supports".into());
        Failure::refuse(e.to_string()).hint(hint)
    };
    // Init builds the sandbox while the journal opens; the command starts
    // only once both are done (no journal, no run).
    timing::mark("configuration and plan");
    let pending = match Sandbox::launch(spec) {
        Ok(p) => p,
        Err(e) => {
            // The command never started; init is dead.
            let _ = sweep(&fs, &session, None);
            return Err(refuse(e));
        }
    };
    let sink: Result<Arc<dyn EventSink>, Failure> = if args.no_journal {
        crate::cmd::audit::journal_sink(true).map(Arc::from)
    } else {
        crate::cmd::audit::open_journal().and_then(|journal| {
            // [audit] retention (whole sessions; cheap when not due).
            crate::cmd::audit::apply_retention(&journal, &cfg.audit)?;
            Ok(Arc::new(journal) as Arc<dyn EventSink>)
        })
    };
    timing::mark("journal opened");
    let started = sink.and_then(|sink| {
        let mut sb = pending.ready().map_err(refuse)?;
        sb.start().map_err(refuse)?;
        Ok((sink, sb))
    });
    let (sink, mut sandbox) = match started {
        Ok(x) => x,
        Err(f) => {
            // The sandbox was dropped (killed and reaped) in the closure.
            let _ = sweep(&fs, &session, None);
            return Err(f);
        }
    };
    // From here on threads are fine (the sandbox is forked).
    let argv: Vec<String> = args
        .command
        .iter()
        .map(|a| String::from_utf8_lossy(&a.clone().into_vec()).into_owned())
        .collect();
    sink.emit(
        Event::new(Source::Sandbox, "sandbox.start", &session).with(serde_json::json!({
            "command": argv,
            "workspace": fs.workspace,
            "landlock": sandbox.enforced.landlock,
            "limits": sandbox.enforced.limits,
            "hidden": fs.hidden.len(),
            "home": home_label(&home),
            "env_dropped": scrubbed.dropped,
            "agent": profile.as_ref().map(|p| serde_json::json!({
                "profile": p.profile.name,
                "env": p.env,
                "nested": p.nested,
            })),
        })),
    );
    if args.verbose {
        eprintln!("cordon: session {session}");
        eprintln!("cordon: workspace {} (writable)", fs.workspace.display());
        for w in &fs.writable {
            eprintln!("cordon: also writable: {}", w.display());
        }
        eprintln!("cordon: home: {}", home_label(&home));
        match &profile {
            Some(p) => {
                eprintln!("cordon: agent profile: {}", p.profile.name);
                if let Some(n) = &p.nested {
                    eprintln!("cordon:   {n}");
                }
                if !p.env.is_empty() {
                    eprintln!("cordon:   passed: {}", p.env.join(", "));
                }
            }
            None => eprintln!("cordon: agent profile: none"),
        }
        eprintln!("cordon: hidden: {} paths", fs.hidden.len());
        for h in &fs.hidden {
            eprintln!("cordon:   {}", h.display());
        }
        eprintln!(
            "cordon: read-only in the workspace: {} paths",
            fs.protected.len()
        );
        eprintln!("cordon: Landlock: {}", sandbox.enforced.landlock);
        eprintln!("cordon: limits: {}", sandbox.enforced.limits);
        eprintln!(
            "cordon: max_procs from {}; max_memory from {}",
            cfg.sandbox.max_procs.origin(),
            cfg.sandbox.max_memory.origin()
        );
        eprintln!(
            "cordon: environment: dropped {}",
            if scrubbed.dropped.is_empty() {
                "nothing".to_string()
            } else {
                scrubbed.dropped.join(", ")
            }
        );
    }
    let listeners: Vec<std::net::TcpListener> = sandbox
        .listeners
        .iter()
        .filter_map(|l| l.try_clone().ok())
        .collect();
    // The proxy starts on the command's first connection (netrun::start);
    // if it cannot, the sandbox is killed: no proxy, no run.
    let init_timing = std::mem::take(&mut sandbox.init_timing);
    // The proxy may fail to start after init was reaped: kill through a pidfd
    // taken now (init is our unreaped child), so a reused pid is never hit.
    let init_pid = sandbox.pid();
    let init_fd = rustix::process::Pid::from_raw(init_pid)
        .and_then(|p| rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()).ok());
    let kill_init = move || match &init_fd {
        Some(fd) => {
            let _ = rustix::process::pidfd_send_signal(fd, rustix::process::Signal::KILL);
        }
        // Kernels before 5.3: no pidfd.
        // SAFETY: SIGKILL to our own child, the sandbox's init.
        None => unsafe {
            libc::kill(init_pid, libc::SIGKILL);
        },
    };
    let net = netrun::start(&net_plan, listeners, &session, sink.clone(), kill_init);
    let net = match net {
        Ok(n) => n.with_hints(loopback_hints),
        Err(f) => {
            // Kill and reap the whole sandbox before looking at the workspace.
            drop(sandbox);
            let _ = sweep(&fs, &session, Some(sink.as_ref()));
            return Err(f);
        }
    };
    timing::mark("proxy armed");
    // Returns when init reports the command's end (every other process of
    // the sandbox is dead by then); the kernel tears the namespaces down as
    // init exits, while the proxy stops and the end is journaled here.
    let outcome = sandbox.wait_command();
    let summary = net.finish();
    timing::mark("proxy stopped");
    drop(relay);
    if outcome.is_err() {
        // Supervision failed: the command may still run. Kill and reap the
        // whole sandbox before looking at the workspace.
        drop(sandbox);
        return Err(match sweep(&fs, &session, Some(sink.as_ref())) {
            Err(f) => f,
            Ok(()) => Failure::refuse(outcome.err().map(|e| e.to_string()).unwrap_or_default()),
        });
    }
    // Every process of the sandbox but init is dead (init reaps them all
    // before it reports): nothing of the run can change the workspace now.
    let swept = sweep(&fs, &session, Some(sink.as_ref()));
    timing::mark("workspace swept");
    let summary = match summary {
        Ok(s) => s,
        Err(f) => {
            // The proxy could not start, so the sandbox was killed.
            sink.emit(
                Event::new(Source::Sandbox, "sandbox.exit", &session)
                    .with(serde_json::json!({"code": f.code, "error": f.msg})),
            );
            drop(sandbox);
            sweep_home(&home, &session, sink.as_ref())?;
            return Err(f);
        }
    };
    if let Some(s) = summary {
        eprintln!("{s}");
    }
    for r in sandbox.unix_refusals() {
        eprintln!(
            "cordon: refused {} to the unix socket {} (outside the workspace; allow with: --allow-unix-socket {})",
            r.call,
            r.path.display(),
            r.path.display()
        );
        sink.emit(
            Event::new(Source::Sandbox, "sandbox.unix_refused", &session)
                .with(serde_json::json!({"call": r.call, "path": r.path})),
        );
    }
    let outcome = outcome.map_err(|e| Failure::refuse(e.to_string()))?;
    sink.emit(Event::new(Source::Sandbox, "sandbox.exit", &session).with(
        serde_json::json!({"code": outcome.code, "exec_error": outcome.exec_error,
                "terminal_dropped": outcome.terminal_dropped}),
    ));
    if let Some(e) = &outcome.exec_error {
        eprintln!("cordon: {e}");
    }
    if let Err(f) = swept {
        drop(sandbox);
        return Err(Failure {
            msg: format!("{} (the command exited {})", f.msg, outcome.code),
            ..f
        });
    }
    timing::mark("end journaled");
    // Init reaped, its cgroup removed.
    drop(sandbox);
    sweep_home(&home, &session, sink.as_ref())?;
    if args.verbose {
        timing::mark("init reaped (namespaces torn down) and cgroup removed");
        eprintln!("cordon: timing: {}", timing::report());
        eprintln!("cordon: timing inside (init): {init_timing}");
    }
    Ok(outcome.code)
}

/// After the run, once no process of the sandbox is left: move every place
/// code runs from on the host that the run created (at any depth of the
/// workspace) to the quarantine, and say so. A place that cannot be moved is
/// a failure (exit 125) naming it: it is never left in place silently.
fn sweep(fs: &FsPlan, session: &str, sink: Option<&dyn EventSink>) -> Result<(), Failure> {
    let mut store = Store::new(
        &quarantine::root(&crate::paths::data_dir()),
        session,
        &fs.workspace,
    );
    let done = fs.finish(&mut store);
    let emit = |kind: &str, v: serde_json::Value| {
        if let Some(s) = sink {
            s.emit(Event::new(Source::Sandbox, kind, session).with(v));
        }
    };
    // Every item is journaled; the terminal gets the first few.
    const SHOWN: usize = 50;
    for (n, it) in done.moved.iter().enumerate() {
        let full = store.manifest.full_path(it);
        if n < SHOWN {
            eprintln!(
            "cordon: quarantined {} ({}): made or changed during the run; review with `cordon quarantine show {session}/{}`",
            full.strip_prefix(&fs.workspace).unwrap_or(&full).display(),
            it.why,
            it.id
        );
        }
        emit(
            "sandbox.quarantine",
            serde_json::json!({"path": full, "id": format!("{session}/{}", it.id), "kind": it.kind, "size": it.size}),
        );
    }
    if done.moved.len() > SHOWN {
        eprintln!(
            "cordon: ... and {} more quarantined (`cordon quarantine list {session}`)",
            done.moved.len() - SHOWN
        );
    }
    if !done.moved.is_empty() {
        eprintln!(
            "cordon: {} item(s) quarantined in {}; put one back with `cordon quarantine restore ID`",
            done.moved.len(),
            store.dir().display()
        );
    }
    for (rel, e) in &done.failed {
        eprintln!(
            "cordon: error: could not quarantine {}: {e}",
            fs.workspace.join(rel).display()
        );
        emit(
            "sandbox.quarantine_failed",
            serde_json::json!({"path": fs.workspace.join(rel), "error": e}),
        );
    }
    match done.failed.len() {
        0 => Ok(()),
        n => Err(Failure::refuse(format!(
            "{n} place(s) made or changed during the run, from which code would run on the host, are still in the workspace"
        ))
        .hint("remove them (named above) before running git, an editor or an agent there")),
    }
}

/// What `$HOME` is inside, for `-v` and the journal.
fn home_label(h: &crate::home::RunHome) -> String {
    match (&h.overlay, &h.name) {
        (None, _) => "read-only (no home directory to overlay)".into(),
        (Some(_), None) => "overlay, writes discarded at exit (--home-tmp)".into(),
        (Some(o), Some(n)) => format!(
            "overlay of {}, writes kept in cordon home '{n}' ({})",
            o.home.display(),
            crate::home::dir(n).display()
        ),
    }
}

/// After the run: move what it left in its home at persistence points to
/// the quarantine, one line and one journal record each.
fn sweep_home(
    home: &crate::home::RunHome,
    session: &str,
    sink: &dyn EventSink,
) -> Result<(), Failure> {
    for m in home.sweep(session)? {
        let what = if m.deleted { "deleted" } else { "changed" };
        eprintln!(
            "cordon: warning: the command {what} ~/{} in its home ({}); moved to {}, not carried into the next run",
            m.rel.display(),
            m.why,
            m.to.display()
        );
        sink.emit(
            Event::new(Source::Sandbox, "sandbox.quarantine", session).with(serde_json::json!({
                "path": m.rel, "home": home.name, "why": m.why, "moved_to": m.to, "deleted": m.deleted
            })),
        );
    }
    Ok(())
}

/// Where the hook relay's socket appears inside the sandbox.
const RELAY_INSIDE: &str = "/run/cordon/hook.sock";
const RELAY_ENV: &str = "CORDON_HOOK_SOCKET";

/// `cordon hook serve`, run outside the sandbox for the length of the run.
struct HookRelay {
    child: std::process::Child,
    dir: PathBuf,
    socket: PathBuf,
}

impl HookRelay {
    fn start(
        session: &str,
        workspace: &std::path::Path,
        config: Option<&std::path::Path>,
        no_journal: bool,
        allow_domains: &[String],
    ) -> Result<HookRelay, Failure> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = crate::paths::run_dir().join(session);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| {
                Failure::refuse(format!("cannot create {}: {e}", dir.display()))
                    .hint("make cordon's data directory writable, or set CORDON_DATA_DIR")
            })?;
        let socket = dir.join("hook.sock");
        let exe = std::env::current_exe()
            .map_err(|e| Failure::refuse(format!("cannot find cordon's own binary: {e}")))?;
        let mut cmd = std::process::Command::new(exe);
        cmd.args(["hook", "serve", "--socket"])
            .arg(&socket)
            .arg("--workspace")
            .arg(workspace)
            .arg("--run-session")
            .arg(session)
            .stdin(std::process::Stdio::null());
        // Its own process group: a Ctrl-C or a signal to cordon's group must
        // not stop it before the agent's last hooks (SessionEnd) are answered;
        // it is stopped when the sandbox has ended (Drop).
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        for d in allow_domains {
            cmd.arg(format!("--allow-domain={d}"));
        }
        if let Some(c) = config {
            cmd.arg("--config").arg(c);
        }
        if no_journal {
            cmd.arg("--no-journal");
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| Failure::refuse(format!("cannot start the hook relay: {e}")))?;
        let t = std::time::Instant::now();
        while !socket.exists() {
            if let Ok(Some(st)) = child.try_wait() {
                return Err(Failure::refuse(format!(
                    "the hook relay exited at start ({st})"
                )));
            }
            if t.elapsed() > std::time::Duration::from_secs(5) {
                let _ = child.kill();
                return Err(Failure::refuse("the hook relay did not start within 5 s"));
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        Ok(HookRelay { child, dir, socket })
    }
}

impl Drop for HookRelay {
    /// SIGTERM first: the relay journals its summary of refused requests.
    fn drop(&mut self) {
        // SAFETY: signalling our own child, not yet reaped.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let t = std::time::Instant::now();
        while matches!(self.child.try_wait(), Ok(None)) && t.elapsed().as_secs() < 2 {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
