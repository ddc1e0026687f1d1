//! Relaying hook events out of a sandbox.
//!
//! Inside `cordon run` the agent and its hook share one sandbox, and cordon's
//! data directory (session state, journal) is hidden from it: an agent that
//! could write its own session state could clear its taint. So the hook
//! inside does no work of its own: when `CORDON_HOOK_SOCKET` names a Unix
//! socket, `cordon hook claude` sends the event's bytes there and prints the
//! answer it gets back. `cordon hook serve --socket PATH`, started by the
//! supervisor outside the sandbox, handles each connection exactly as
//! `cordon hook claude` would, as an action that runs sandboxed. Anything in
//! the sandbox can connect and send events, so the supervisor fixes what
//! the sandbox must not choose (`--workspace`); an event can only add taint
//! or ask for a decision, never remove either.
//!
//! Wire format, one event per connection: the client writes the event's
//! bytes and shuts down its write side; the server answers with one JSON
//! object `{"code": 0, "stdout": "...", "stderr": "..."}` and closes.
//! If the server cannot be reached the client fails closed like any other
//! failure: a PreToolUse is denied, anything else exits 2.

use super::{decide, refusal, sniff_event, Options, Reply, MAX_INPUT};
use crate::exit::{CmdResult, Failure};
use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The variable `cordon run` sets to the relay socket's path inside the sandbox.
pub const SOCKET_ENV: &str = "CORDON_HOOK_SOCKET";
/// How long either side waits for the other.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The relay socket, if this hook runs where one is provided.
pub fn socket_from_env() -> Option<PathBuf> {
    std::env::var_os(SOCKET_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Send one event to the relay and return its answer (fail closed on any error).
pub fn forward(socket: &Path, input: &[u8]) -> Reply {
    let exchange = || -> std::io::Result<Reply> {
        let mut s = cordon_net::unix_path::connect(socket)?;
        s.set_read_timeout(Some(TIMEOUT))?;
        s.set_write_timeout(Some(TIMEOUT))?;
        s.write_all(input)?;
        s.shutdown(std::net::Shutdown::Write)?;
        let mut answer = Vec::new();
        s.take(MAX_INPUT).read_to_end(&mut answer)?;
        serde_json::from_slice(&answer).map_err(std::io::Error::other)
    };
    exchange().unwrap_or_else(|e| {
        let event = serde_json::from_slice::<serde_json::Value>(input)
            .ok()
            .and_then(|v| v.get("hook_event_name")?.as_str().map(str::to_string))
            .or_else(|| sniff_event(input));
        Reply::refuse(
            event.as_deref(),
            &refusal(
                format!(
                    "cannot reach cordon's hook relay at {} ({SOCKET_ENV}): {e}",
                    socket.display()
                ),
                "start the agent with `cordon run`, which serves the relay, or unset CORDON_HOOK_SOCKET outside a sandbox",
            ),
        )
    })
}

/// Serve relayed events until killed.
pub fn serve(socket: &Path, opts: &Options) -> CmdResult {
    if let Ok(m) = std::fs::symlink_metadata(socket) {
        if m.file_type().is_socket() {
            let _ = std::fs::remove_file(socket);
        }
    }
    let listener = cordon_net::unix_path::bind(socket).map_err(|e| {
        Failure::refuse(format!("cannot listen on {}: {e}", socket.display()))
            .hint("give --socket a path in a writable directory")
    })?;
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let opts = opts.clone();
        std::thread::spawn(move || answer(conn, &opts));
    }
    Ok(0)
}

fn answer(mut conn: UnixStream, opts: &Options) {
    let _ = conn.set_read_timeout(Some(TIMEOUT));
    let _ = conn.set_write_timeout(Some(TIMEOUT));
    let mut input = Vec::new();
    let read = (&mut conn).take(MAX_INPUT + 1).read_to_end(&mut input);
    let reply = decide(opts, read, input, Some(true));
    if let Ok(bytes) = serde_json::to_vec(&reply) {
        let _ = conn.write_all(&bytes);
    }
}
