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
//!    it serves the proxy on those listeners, connecting out from the host.
//! 4. `NetRunning::finish()` runs after the command exits and returns the
//!    end-of-run summary (blocked hosts with the flag that would allow each).
use crate::config::Config;
use crate::exit::Failure;
use cordon_event::EventSink;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// Network flags of `cordon run`.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct NetArgs {}

/// What the sandbox must prepare for the network.
#[derive(Debug, Default, Clone)]
pub struct NetPlan {
    /// Addresses to bind inside the sandbox's network namespace (empty: no proxy).
    pub listen: Vec<SocketAddr>,
    /// Variables to set inside the sandbox.
    pub env: Vec<(String, String)>,
}

/// The running proxy.
pub struct NetRunning {}

/// Decide the network plan from flags and config, before the sandbox starts.
pub fn plan(_args: &NetArgs, _cfg: &Config) -> Result<NetPlan, Failure> {
    Ok(NetPlan::default())
}

/// Serve the proxy on listeners bound inside the sandbox's namespace.
pub fn start(
    _plan: &NetPlan,
    _listeners: Vec<TcpListener>,
    _cfg: &Config,
    _session: &str,
    _sink: Arc<dyn EventSink>,
) -> Result<NetRunning, Failure> {
    Ok(NetRunning {})
}

impl NetRunning {
    /// Stop serving; return the end-of-run summary for stderr, if any.
    pub fn finish(self) -> Option<String> {
        None
    }
}
