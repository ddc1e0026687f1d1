//! cordon-net: the egress proxy of `cordon run`.
//!
//! A sandbox has no network of its own. Its only way out is this proxy,
//! which speaks HTTP (absolute-form requests), HTTP CONNECT and SOCKS5 on the
//! same listeners, decides every destination against a [`Policy`] (domains,
//! ports, IP literals, private ranges), resolves names itself (a static map,
//! then the system resolver), refuses names that resolve into private space,
//! refuses TLS whose SNI names another host than the tunnel, and records
//! every attempt as a `net.connect` [`cordon_event::Event`].
//!
//! ```no_run
//! use cordon_net::{Policy, Proxy, ProxyConfig, Resolver};
//! use std::sync::Arc;
//!
//! let mut policy = Policy::new();
//! policy.allow("*.crates.io", "--allow-domain *.crates.io").unwrap();
//! policy.add_preset("anthropic").unwrap();
//! let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! let cfg = ProxyConfig::new(policy, Resolver::new(), "session-1");
//! let proxy = Proxy::start(cfg, vec![listener], Arc::new(cordon_event::NullSink)).unwrap();
//! // ... clients use http://127.0.0.1:PORT as HTTP_PROXY, or socks5h://...
//! proxy.allow("docs.rs", "cordon allow-domain").unwrap();
//! for b in proxy.shutdown() {
//!     eprintln!("blocked {} ({})", b.destination, b.fix.unwrap_or_default());
//! }
//! ```
//!
//! The listeners may be bound anywhere, including inside another network
//! namespace (that is how `cordon run` uses it): accepting works from the
//! host side and outbound connections leave from the proxy's namespace.

pub mod control;
pub mod forward;
pub mod pattern;
pub mod policy;
pub mod presets;
mod relay;
pub mod resolve;
mod server;
pub mod tls;
pub mod unix_path;

pub use forward::Forward;
pub use pattern::{Host, Pattern};
pub use policy::{Policy, Refusal};
pub use resolve::Resolver;
pub use server::Blocked;

use server::Shared;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// Everything the proxy needs to start.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub policy: Policy,
    pub resolver: Resolver,
    /// The session the events belong to.
    pub session: String,
    /// Limit on resolving and on connecting to a destination.
    pub connect_timeout: Duration,
    /// Worker threads of the proxy's own runtime.
    pub threads: usize,
    /// Decides whether a live `cordon allow-domain` request may widen the
    /// policy (an organisation's managed ceiling); `None`: any valid pattern.
    pub gate: Option<LiveGate>,
}

/// A check on live widening requests: `Err(why)` refuses the pattern.
#[derive(Clone)]
pub struct LiveGate(pub Arc<GateFn>);

/// The function behind a [`LiveGate`].
pub type GateFn = dyn Fn(&str) -> Result<(), String> + Send + Sync;

impl std::fmt::Debug for LiveGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveGate")
    }
}

impl ProxyConfig {
    pub fn new(policy: Policy, resolver: Resolver, session: impl Into<String>) -> Self {
        ProxyConfig {
            policy,
            resolver,
            session: session.into(),
            connect_timeout: Duration::from_secs(15),
            threads: 2,
            gate: None,
        }
    }
}

/// A running proxy, on its own runtime threads.
pub struct Proxy {
    rt: Option<tokio::runtime::Runtime>,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Serve on these (already bound) listeners until [`Proxy::shutdown`].
    pub fn start(
        cfg: ProxyConfig,
        listeners: Vec<std::net::TcpListener>,
        sink: Arc<dyn cordon_event::EventSink>,
    ) -> io::Result<Proxy> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cfg.threads.max(1))
            .thread_name("cordon-net")
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared::new(
            cfg.policy,
            cfg.resolver,
            cfg.session,
            sink,
            cfg.connect_timeout,
            cfg.gate,
        ));
        for l in listeners {
            l.set_nonblocking(true)?;
            let l = {
                let _guard = rt.enter();
                tokio::net::TcpListener::from_std(l)?
            };
            rt.spawn(server::accept_loop(l, shared.clone()));
        }
        Ok(Proxy {
            rt: Some(rt),
            shared,
        })
    }

    /// Serve a host loopback forward on `listener` (bound inside the
    /// sandbox at `to.addr`): every connection is relayed to `to.addr` on
    /// the host and journaled as `net.connect` with protocol `forward`.
    pub fn forward(&self, listener: std::net::TcpListener, to: Forward) -> io::Result<()> {
        let rt = self.rt.as_ref().expect("runtime present until shutdown");
        listener.set_nonblocking(true)?;
        let l = {
            let _guard = rt.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        rt.spawn(server::forward_loop(l, to, self.shared.clone()));
        Ok(())
    }

    /// Allow `pattern` from the next connection on; journaled as `net.policy`.
    pub fn allow(&self, pattern: &str, by: &str) -> Result<(), String> {
        self.shared.allow(pattern, by)
    }

    /// Destinations refused so far.
    pub fn blocked(&self) -> Vec<Blocked> {
        self.shared.blocked()
    }

    /// Serve `cordon allow-domain` requests on a unix socket (mode 0600).
    pub fn serve_control(&self, path: &std::path::Path) -> io::Result<()> {
        let rt = self.rt.as_ref().expect("runtime present until shutdown");
        control::serve(rt, path, self.shared.clone())
    }

    /// Serve `cordon allow-domain` requests on a socket bound with
    /// [`bind_control`] (so it can exist before the proxy starts).
    pub fn serve_control_on(&self, listener: std::os::unix::net::UnixListener) -> io::Result<()> {
        let rt = self.rt.as_ref().expect("runtime present until shutdown");
        control::serve_on(rt, listener, self.shared.clone())
    }

    /// Stop: cut every tunnel (each is recorded), return what was refused.
    pub fn shutdown(mut self) -> Vec<Blocked> {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_millis(500));
        }
        self.shared.blocked()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Bind a control socket at `path` (mode 0600) for [`Proxy::serve_control_on`].
pub fn bind_control(path: &std::path::Path) -> io::Result<std::os::unix::net::UnixListener> {
    control::bind(path)
}

/// The end-of-run summary: every refused destination with the flag that
/// would allow it. `None` when nothing was refused.
pub fn summary(blocked: &[Blocked]) -> Option<String> {
    if blocked.is_empty() {
        return None;
    }
    let total: u64 = blocked.iter().map(|b| b.count).sum();
    let mut out = format!(
        "cordon: the network policy refused {total} connection{} to {} destination{}:\n",
        if total == 1 { "" } else { "s" },
        blocked.len(),
        if blocked.len() == 1 { "" } else { "s" }
    );
    let label = |b: &Blocked| match b.count {
        1 => b.destination.clone(),
        n => format!("{} ({n}x)", b.destination),
    };
    let width = blocked.iter().map(|b| label(b).len()).max().unwrap_or(0);
    for b in blocked {
        let fix = match &b.fix {
            Some(f) => format!("allow with: {f}"),
            None => format!("cannot be allowed by a flag: {}", b.reason),
        };
        out.push_str(&format!("  {:width$}  {fix}\n", label(b)));
    }
    Some(out)
}
