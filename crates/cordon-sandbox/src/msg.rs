//! Messages between the supervisor and the sandbox's init (JSON datagrams on a
//! SOCK_SEQPACKET pair; descriptors ride along as SCM_RIGHTS).
use serde::{Deserialize, Serialize};

/// Init to supervisor.
#[derive(Debug, Serialize, Deserialize)]
pub enum InitMsg {
    /// Sent before seccomp (whose user-notification filter stops `sendmsg`):
    /// `listeners` listening sockets, then the pty master if `pty`, attached.
    Handoff { listeners: usize, pty: bool },
    /// Setup done (sent with a plain `send`, no descriptors attached).
    Ready {
        landlock: String,
        /// Init's descriptor number of the seccomp user-notification
        /// listener: the supervisor takes it with `pidfd_getfd` before *Start*.
        notify_fd: i32,
        /// Init's own phase marks (CLOCK_MONOTONIC ns), for `-v`.
        #[serde(default)]
        timing: Vec<(String, u64)>,
    },
    /// A setup step failed; the command was not started.
    Failed {
        step: String,
        detail: String,
        hint: Option<String>,
    },
    /// The command ended with this exit code (128+N for signal N).
    Exit {
        code: u8,
        exec_error: Option<String>,
    },
}

/// Supervisor to init.
#[derive(Debug, Serialize, Deserialize)]
pub enum SupMsg {
    /// uid/gid maps written: start setting up.
    Go,
    /// The cgroup is created and joined (while init builds its namespaces
    /// and mounts: joining a v1 cgroup waits for an RCU grace period): init
    /// may now drop privileges. `rlimits` (processes, address space) when no
    /// cgroup could be made and the caller accepted rlimits instead.
    Joined { rlimits: Option<(u64, Option<u64>)> },
    /// Everything outside is ready (e.g. the journal is open): start the command.
    Start,
}
