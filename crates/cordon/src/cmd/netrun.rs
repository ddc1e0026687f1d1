//! The network side of `cordon run` (issue #3): flags, the proxy's plan, and
//! starting/stopping the egress proxy around the sandbox.
//!
//! Contract with `run.rs` (which owns the sandbox):
//! 1. `plan()` runs before the sandbox starts (single-threaded; no threads yet).
//!    It returns the loopback addresses the sandbox's init must bind *inside*
//!    the sandbox's network namespace, and the environment variables to set
//!    inside (proxy settings for curl, git, pip, npm, cargo, JVM...).
//! 2. The sandbox binds those listeners in its own namespace and hands the
//!    listening sockets back to the supervisor.
//! 3. `start()` runs after the sandbox started, in the supervisor (threads OK):
//!    it serves the proxy on those listeners, connecting out from the host,
//!    from the first connection on (the runtime is not built before).
//! 4. `NetRunning::finish()` runs after the command exits and returns the
//!    end-of-run summary (blocked hosts with the flag that would allow each).
//!
//! With `--no-network` the plan has no listeners and no proxy: the sandbox's
//! namespace has loopback only and nothing leads out.
use crate::exit::Failure;
use crate::settings::{Entry, Item, MakeItem, NetPolicy};
use cordon_event::EventSink;
use cordon_net::{Forward, Proxy, ProxyConfig};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the proxy listens inside the sandbox: HTTP/CONNECT, then SOCKS5
/// (each port serves all three protocols; two ports match tools' defaults).
pub const HTTP_PORT: u16 = 3128;
pub const SOCKS_PORT: u16 = 1080;
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Network flags of `cordon run`.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct NetArgs {
    /// Allow connections to PATTERN: `example.com`, `*.example.com`
    /// (subdomains), `host:PORT` (ports other than 80/443), an IP or CIDR
    /// (IP literals are only allowed when written as such). A host loopback
    /// service with its port (`127.0.0.1:8080`, `localhost:11434`,
    /// `[::1]:9000`) is forwarded into the sandbox at the same address.
    /// Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub allow_domain: Vec<String>,
    /// Refuse PATTERN even if allowed otherwise (deny wins). Repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub deny_domain: Vec<String>,
    /// Let allowed names resolve into this private/loopback range, e.g.
    /// 10.20.0.0/16 for an internal mirror. Repeatable.
    #[arg(long, value_name = "CIDR")]
    pub allow_private: Vec<String>,
    /// Add presets: registries (package registries and code hosts),
    /// anthropic, openai, google. See docs/NETWORK.md.
    #[arg(long = "net", value_name = "PRESET[,PRESET]", value_delimiter = ',')]
    pub net: Vec<String>,
    /// No network at all: no proxy, loopback only.
    #[arg(long, conflicts_with_all = ["allow_domain", "allow_private", "net"])]
    pub no_network: bool,
}

/// What the sandbox must prepare for the network.
#[derive(Debug, Default, Clone)]
pub struct NetPlan {
    /// Addresses to bind inside the sandbox's network namespace (empty: no proxy).
    pub listen: Vec<SocketAddr>,
    /// Variables to set inside the sandbox.
    pub env: Vec<(String, String)>,
    /// The proxy's policy and resolver (None with `--no-network`).
    pub proxy: Option<ProxyConfig>,
    /// Host loopback services forwarded inside; their listeners follow the
    /// proxy's in `listen`.
    pub forwards: Vec<Forward>,
}

/// The proxy of a running sandbox: waiting for its first use, or serving.
#[derive(Default)]
pub struct NetRunning {
    /// Starts the proxy on first use; returns it (or why it could not start).
    waiter: Option<std::thread::JoinHandle<Result<Option<Proxy>, String>>>,
    /// Written at the end of the run: stop waiting.
    wake: Option<std::os::fd::OwnedFd>,
    control: Option<PathBuf>,
    /// Said again at the end of the run: loopback URLs in the environment
    /// that no forward serves.
    hints: Vec<String>,
}

/// The variables that make tools inside use the proxy, as data.
fn proxy_env() -> Vec<(String, String)> {
    let http = format!("http://{LOOPBACK}:{HTTP_PORT}");
    let socks = format!("socks5h://{LOOPBACK}:{SOCKS_PORT}");
    let no_proxy = "localhost,127.0.0.1,::1".to_string();
    let java = format!(
        "-Dhttp.proxyHost={LOOPBACK} -Dhttp.proxyPort={HTTP_PORT} \
         -Dhttps.proxyHost={LOOPBACK} -Dhttps.proxyPort={HTTP_PORT} \
         -Dhttp.nonProxyHosts=localhost|127.0.0.1"
    );
    let table: &[(&str, &String)] = &[
        ("HTTP_PROXY", &http),
        ("http_proxy", &http),
        ("HTTPS_PROXY", &http),
        ("https_proxy", &http),
        ("ALL_PROXY", &socks),
        ("all_proxy", &socks),
        ("NO_PROXY", &no_proxy),
        ("no_proxy", &no_proxy),
        // npm and pnpm read their own keys; yarn 2+ too.
        ("npm_config_proxy", &http),
        ("npm_config_https_proxy", &http),
        ("YARN_HTTP_PROXY", &http),
        ("YARN_HTTPS_PROXY", &http),
        ("PIP_PROXY", &http),
        ("CARGO_HTTP_PROXY", &http),
        // git: also wins over a repository's own http.proxy.
        ("GIT_CONFIG_COUNT", &"1".to_string()),
        ("GIT_CONFIG_KEY_0", &"http.proxy".to_string()),
        ("GIT_CONFIG_VALUE_0", &http),
        // The JVM ignores the variables above (Maven, Gradle, sbt).
        ("JAVA_TOOL_OPTIONS", &java),
        // Node.js 24+ fetch() honours HTTP(S)_PROXY only when asked to.
        ("NODE_USE_ENV_PROXY", &"1".to_string()),
    ];
    table
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl NetArgs {
    /// The flags as the settings layer's top layer (validated there, with
    /// the config's values, by the one validation).
    pub fn entries(&self) -> Vec<Entry> {
        let lists: [(&'static str, &Vec<String>, MakeItem); 4] = [
            ("--net", &self.net, Item::Preset),
            ("--allow-domain", &self.allow_domain, Item::NetAllow),
            ("--deny-domain", &self.deny_domain, Item::NetDeny),
            ("--allow-private", &self.allow_private, Item::AllowPrivate),
        ];
        lists
            .into_iter()
            .flat_map(|(flag, v, item)| v.iter().map(move |x| Entry::flag(flag, item(x.clone()))))
            .collect()
    }
}

/// The network plan, before the sandbox starts, from the validated policy.
pub fn plan(no_network: bool, net: &NetPolicy) -> NetPlan {
    if no_network {
        return NetPlan::default();
    }
    let mut listen = vec![
        SocketAddr::new(LOOPBACK, HTTP_PORT),
        SocketAddr::new(LOOPBACK, SOCKS_PORT),
    ];
    listen.extend(net.forwards.iter().map(|f| f.addr));
    NetPlan {
        listen,
        env: proxy_env(),
        proxy: Some(ProxyConfig {
            gate: net.gate.clone(),
            ..ProxyConfig::new(net.rules.clone(), net.resolver.clone(), String::new())
        }),
        forwards: net.forwards.clone(),
    }
}

/// A host loopback forward, or `None` for an ordinary destination (see
/// [`cordon_net::forward`]); the proxy's own ports cannot be forwarded.
pub fn forward(pattern: &str) -> Result<Option<Forward>, String> {
    let f = cordon_net::forward::parse(pattern)?;
    if let Some(f) = &f {
        if f.addr.ip() == LOOPBACK && [HTTP_PORT, SOCKS_PORT].contains(&f.addr.port()) {
            return Err(format!(
                "`{pattern}`: port {} of the sandbox's loopback is cordon's egress proxy; run the host service on another port",
                f.addr.port()
            ));
        }
    }
    Ok(f)
}

/// Environment values that point at a host loopback service no forward
/// serves (`ANTHROPIC_BASE_URL=http://127.0.0.1:8080`): inside, that address
/// is the sandbox's own loopback, so the client's connections are refused.
/// One line per variable, naming the flag that forwards the port.
pub fn loopback_hints<'a>(
    plan: &NetPlan,
    env: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in env {
        let Some(addr) = loopback_url(v) else {
            continue;
        };
        let served = plan.forwards.iter().any(|f| f.addr == addr)
            || (addr.ip() == LOOPBACK && plan.listen.iter().take(2).any(|l| *l == addr));
        if !served {
            let shown = match addr {
                SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
                SocketAddr::V4(a) => a.to_string(),
            };
            out.push(format!(
                "{k} points at {shown} on the host; inside the sandbox that is the sandbox's own loopback, so nothing answers there: forward it with --allow-domain {shown}"
            ));
        }
    }
    out
}

/// `http(s)://127.0.0.1:PORT/...`, `http://localhost:PORT`, `[::1]:PORT`
/// or a bare `host:PORT` on loopback: the address (default ports for a
/// scheme without one).
fn loopback_url(v: &str) -> Option<SocketAddr> {
    let v = v.trim();
    let (rest, default) = match v.split_once("://") {
        Some((scheme, rest)) => (
            rest,
            match scheme.to_ascii_lowercase().as_str() {
                "http" | "ws" => Some(80),
                "https" | "wss" => Some(443),
                _ => None,
            },
        ),
        None => (v, None),
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let with_port = if authority.ends_with(']') || !authority.contains(':') {
        format!("{authority}:{}", default?)
    } else {
        authority.to_string()
    };
    cordon_net::forward::parse(&with_port)
        .ok()
        .flatten()
        .map(|f| f.addr)
}

/// Only ids that are safe as a file name.
pub fn valid_session(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The control socket of a session (`cordon allow-domain`).
pub fn control_path(session: &str) -> PathBuf {
    crate::paths::run_dir().join(format!("{session}.sock"))
}

/// Serve the proxy on listeners bound inside the sandbox's namespace.
///
/// The proxy's runtime starts on the first connection (or the first
/// `cordon allow-domain` request), not before: a command that never uses the
/// network never pays for it, and nothing is lost meanwhile, because the
/// listeners are already bound and queue what arrives (every attempt is
/// still served and journaled). If the proxy cannot start, `on_failure` runs
/// (it kills the sandbox: no proxy, no run) and [`NetRunning::finish`]
/// reports the failure.
pub fn start(
    plan: &NetPlan,
    listeners: Vec<TcpListener>,
    session: &str,
    sink: Arc<dyn EventSink>,
    on_failure: impl FnOnce() + Send + 'static,
) -> Result<NetRunning, Failure> {
    let Some(pcfg) = &plan.proxy else {
        return Ok(NetRunning::default());
    };
    if listeners.len() != plan.listen.len() {
        return Err(Failure::refuse(format!(
            "the sandbox handed back {} of the proxy's {} listeners",
            listeners.len(),
            plan.listen.len()
        ))
        .hint("this is a bug in cordon; --no-network runs without the proxy"));
    }
    let mut pcfg = pcfg.clone();
    pcfg.session = session.to_string();
    let mut listeners = listeners;
    let forward_listeners = listeners.split_off(2.min(listeners.len()));
    let forwards: Vec<(TcpListener, Forward)> = forward_listeners
        .into_iter()
        .zip(plan.forwards.iter().cloned())
        .collect();
    let (control, control_path) = match bind_control(session) {
        Ok((l, p)) => (Some(l), Some(p)),
        Err(e) => {
            eprintln!("cordon: warning: `cordon allow-domain` will not work for this session: {e}");
            (None, None)
        }
    };
    let (wake_r, wake_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| Failure::refuse(format!("cannot start the egress proxy: pipe: {e}")))?;
    let waiter = std::thread::Builder::new()
        .name("cordon-net-wait".into())
        .spawn(move || {
            let all: Vec<&TcpListener> = listeners
                .iter()
                .chain(forwards.iter().map(|(l, _)| l))
                .collect();
            if !first_use(&all, control.as_ref(), &wake_r) {
                return Ok(None);
            }
            let started = Proxy::start(pcfg, listeners, sink).and_then(|proxy| {
                for (l, f) in forwards {
                    proxy.forward(l, f)?;
                }
                if let Some(l) = control {
                    proxy.serve_control_on(l)?;
                }
                Ok(proxy)
            });
            match started {
                Ok(p) => Ok(Some(p)),
                Err(e) => {
                    on_failure();
                    Err(format!("cannot start the egress proxy: {e}"))
                }
            }
        })
        .map_err(|e| Failure::refuse(format!("cannot start the egress proxy: {e}")))?;
    Ok(NetRunning {
        waiter: Some(waiter),
        wake: Some(wake_w),
        control: control_path,
        hints: Vec::new(),
    })
}

/// Wait until a listener or the control socket has something to accept
/// (true), or until `wake` says the run is over (false).
fn first_use(
    listeners: &[&TcpListener],
    control: Option<&std::os::unix::net::UnixListener>,
    wake: &std::os::fd::OwnedFd,
) -> bool {
    use rustix::event::{poll, PollFd, PollFlags};
    use std::os::fd::AsFd;
    let mut fds: Vec<PollFd> = listeners
        .iter()
        .map(|l| PollFd::new(*l, PollFlags::IN))
        .collect();
    if let Some(c) = control {
        fds.push(PollFd::new(c, PollFlags::IN));
    }
    fds.push(PollFd::from_borrowed_fd(wake.as_fd(), PollFlags::IN));
    loop {
        match poll(&mut fds, None) {
            Ok(_) => break,
            Err(rustix::io::Errno::INTR) => continue,
            // Cannot wait: start the proxy now rather than leave it unstarted.
            Err(_) => return true,
        }
    }
    let (last, rest) = fds.split_last().expect("the wake pipe is always polled");
    rest.iter().any(|f| !f.revents().is_empty()) || last.revents().is_empty()
}

/// Bind the session's control socket (`cordon allow-domain`).
fn bind_control(session: &str) -> Result<(std::os::unix::net::UnixListener, PathBuf), String> {
    if !valid_session(session) {
        return Err(format!(
            "session id `{session}` is not usable as a file name"
        ));
    }
    let dir = crate::paths::run_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = control_path(session);
    let l = cordon_net::bind_control(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((l, path))
}

impl NetRunning {
    /// Lines to repeat in the end-of-run summary (see [`loopback_hints`]).
    pub fn with_hints(mut self, hints: Vec<String>) -> Self {
        self.hints = hints;
        self
    }

    /// Stop serving; return the end-of-run summary for stderr, if any, or
    /// why the proxy could not start (the sandbox was killed then).
    pub fn finish(mut self) -> Result<Option<String>, Failure> {
        if let Some(p) = &self.control {
            let _ = std::fs::remove_file(p);
        }
        if let Some(w) = self.wake.take() {
            let _ = rustix::io::write(&w, b"x");
        }
        let hints = std::mem::take(&mut self.hints);
        let Some(waiter) = self.waiter.take() else {
            return Ok(with_hints(None, &hints));
        };
        let proxy = waiter
            .join()
            .unwrap_or_else(|_| Err("the egress proxy panicked while starting".into()))
            .map_err(|e| {
                Failure::refuse(e).hint("run `cordon doctor`; --no-network runs without the proxy")
            })?;
        let Some(proxy) = proxy else {
            return Ok(with_hints(None, &hints));
        };
        let blocked = proxy.shutdown();
        let summary = cordon_net::summary(&blocked).map(|s| s.trim_end().to_string());
        Ok(with_hints(summary, &hints))
    }
}

/// The summary followed by one `cordon: ` line per hint.
fn with_hints(summary: Option<String>, hints: &[String]) -> Option<String> {
    let lines = hints.iter().map(|h| format!("cordon: {h}"));
    let all: Vec<String> = summary.into_iter().chain(lines).collect();
    (!all.is_empty()).then(|| all.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(args: &NetArgs, extra: &[Entry]) -> Result<NetPlan, Failure> {
        let mut s = crate::settings::Settings::defaults();
        for e in extra.iter().cloned().chain(args.entries()) {
            s.apply(e, crate::settings::Layer::Flag);
        }
        Ok(plan(args.no_network, &s.validate()?.net))
    }

    #[test]
    fn flags_and_config_build_one_policy() {
        let args = NetArgs {
            allow_domain: vec!["b.example:8443".into()],
            net: vec!["anthropic".into()],
            ..Default::default()
        };
        let cfg = [
            Entry::flag("x", Item::NetAllow("a.example".into())),
            Entry::flag("x", Item::Host("a.example".into(), "10.0.0.1".into())),
        ];
        let plan = plan_of(&args, &cfg).unwrap();
        assert_eq!(plan.listen.len(), 2);
        assert!(plan
            .env
            .iter()
            .any(|(k, v)| k == "https_proxy" && v == "http://127.0.0.1:3128"));
        let rules: Vec<String> = plan
            .proxy
            .unwrap()
            .policy
            .allow_rules()
            .iter()
            .map(|r| r.pattern.text.clone())
            .collect();
        assert!(rules.contains(&"api.anthropic.com".to_string()));
        assert!(rules.contains(&"a.example".to_string()));
        assert!(rules.contains(&"b.example:8443".to_string()));
    }

    #[test]
    fn bad_patterns_are_usage_errors_naming_the_source() {
        let args = NetArgs {
            allow_domain: vec!["*".into()],
            ..Default::default()
        };
        let e = plan_of(&args, &[]).unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.msg.starts_with("--allow-domain: "), "{}", e.msg);
        let args = NetArgs {
            net: vec!["everything".into()],
            ..Default::default()
        };
        let e = plan_of(&args, &[]).unwrap_err();
        assert!(
            e.msg.starts_with("--net: unknown network preset"),
            "{}",
            e.msg
        );
    }

    #[test]
    fn no_network_has_no_listeners() {
        let args = NetArgs {
            no_network: true,
            ..Default::default()
        };
        let p = plan_of(&args, &[]).unwrap();
        assert!(p.listen.is_empty() && p.env.is_empty() && p.proxy.is_none());
    }

    #[test]
    fn loopback_urls_in_values() {
        for (v, want) in [
            ("http://127.0.0.1:8080", Some("127.0.0.1:8080")),
            ("http://127.0.0.1:8080/v1?x=1", Some("127.0.0.1:8080")),
            ("https://localhost/v1", Some("127.0.0.1:443")),
            ("http://user:pw@127.0.0.1:9000/", Some("127.0.0.1:9000")),
            ("127.0.0.1:11434", Some("127.0.0.1:11434")),
            ("http://[::1]:7000", Some("[::1]:7000")),
            ("http://example.com:8080", None),
            ("/usr/bin:/bin", None),
            ("localhost", None),
            ("ftp://127.0.0.1", None),
        ] {
            assert_eq!(
                loopback_url(v).map(|a| a.to_string()).as_deref(),
                want,
                "{v}"
            );
        }
    }

    #[test]
    fn the_proxy_itself_and_forwarded_ports_need_no_hint() {
        let args = NetArgs {
            allow_domain: vec!["127.0.0.1:8080".into()],
            ..Default::default()
        };
        let p = plan_of(&args, &[]).unwrap();
        assert_eq!(p.listen.len(), 3);
        assert_eq!(p.forwards.len(), 1);
        let env = [
            ("HTTP_PROXY", "http://127.0.0.1:3128"),
            ("A_BASE_URL", "http://127.0.0.1:8080"),
            ("B_BASE_URL", "http://localhost:9090/x"),
        ];
        let hints = loopback_hints(&p, env);
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert!(hints[0].starts_with("B_BASE_URL points at 127.0.0.1:9090"));
        assert!(hints[0].ends_with("--allow-domain 127.0.0.1:9090"));
    }

    #[test]
    fn session_ids_are_file_names() {
        assert!(valid_session("19a2b3c-4f2"));
        for bad in ["", "../x", ".hidden", "a/b", "a b"] {
            assert!(!valid_session(bad), "{bad}");
        }
    }
}
