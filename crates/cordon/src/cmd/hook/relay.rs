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
//! # The relay belongs to its run
//!
//! Anything in the sandbox can also send events with any `session_id`. So
//! the relay answers only for the sessions its run's agent started:
//!
//! - **First contact binds.** The first event with a valid session id names
//!   the run's session. The agent sends it (Claude Code's SessionStart) before
//!   it runs any tool, so no other process of the sandbox exists yet to send
//!   one first, unless the command given to `cordon run` started something
//!   before the agent (then that something is the run's agent, as far as
//!   cordon can tell). `claude --resume ID` binds the resumed session.
//! - **Later sessions of the same agent** (`/clear` starts a new id) are
//!   adopted only through a SessionStart for an id cordon keeps nothing
//!   for, at most [`MAX_SESSIONS`] per run: a process in the sandbox can
//!   open a few fresh sessions of its own, never take over one that exists
//!   (another run's, or one the person runs outside any sandbox). Resuming an
//!   earlier session inside a run is therefore refused: start the run with it.
//! - **Everything else is refused** before any state is read or written and
//!   nothing is journaled under the claimed id: a PreToolUse is denied, any
//!   other event exits 2. Refusals are counted, not recorded one by one: the
//!   first is journaled under the run's own session (`hook.relay_refused`,
//!   with the id it claimed), and when the relay stops (SIGTERM at the end of
//!   the run) one `hook.relay_refusals` record gives the total. After
//!   [`FAST_REFUSALS`] refusals each further one is answered only after a
//!   pause, and at most [`MAX_CONNECTIONS`] connections are handled at
//!   once, so a flood can neither fill the disk nor spin the host's CPU.
//!
//! The binding lives in the relay's memory, outside the sandbox; it ends
//! with the run. What it cannot tell apart: a process in the sandbox that
//! learns the run's own session id can still send events for it (adding
//! taint or asking for decisions, never removing either; see docs/CLAUDE.md
//! for what an agent's report of an answer is worth).
//!
//! Wire format, one event per connection: the client writes the event's
//! bytes and shuts down its write side; the server answers with one JSON
//! object `{"code": 0, "stdout": "...", "stderr": "..."}` and closes.
//! If the server cannot be reached the client fails closed like any other
//! failure: a PreToolUse is denied, anything else exits 2.

use super::engine::Journal;
use super::protocol::{self, Event};
use super::session::{self, Store};
use super::{decide, refusal, sniff_event, Options, Reply, MAX_INPUT};
use crate::exit::{CmdResult, Failure};
use cordon_event::{now_ns, Event as JournalEvent, Source};
use serde_json::json;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The variable `cordon run` sets to the relay socket's path inside the sandbox.
pub const SOCKET_ENV: &str = "CORDON_HOOK_SOCKET";
/// How long either side waits for the other.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Sessions one run may own (its first, and fresh ones its agent starts).
pub const MAX_SESSIONS: usize = 16;
/// Refusals answered at once; later ones wait [`REFUSAL_PAUSE`] first.
pub const FAST_REFUSALS: u64 = 64;
const REFUSAL_PAUSE: Duration = Duration::from_millis(20);
/// Connections handled at once (more wait to be accepted).
pub const MAX_CONNECTIONS: usize = 32;
/// Claimed session ids kept for the summary.
const MAX_SAMPLE: usize = 8;

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

/// Serve relayed events until killed (SIGTERM, SIGINT, SIGHUP: after
/// journaling the refusals' summary).
pub fn serve(socket: &Path, opts: &Options) -> CmdResult {
    if let Ok(m) = std::fs::symlink_metadata(socket) {
        if m.file_type().is_socket() {
            let _ = std::fs::remove_file(socket);
        }
    }
    // Bound under a staging name and renamed once listening: whoever waits
    // for the socket file (`cordon run --hook-relay`, before it starts the
    // agent) never meets a refused connection between bind and listen.
    let name = socket
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staging = socket.with_file_name(format!(".{name}.{}", std::process::id()));
    let listener = cordon_net::unix_path::bind(&staging)
        .and_then(|l| std::fs::rename(&staging, socket).map(|()| l))
        .map_err(|e| {
            let _ = std::fs::remove_file(&staging);
            Failure::refuse(format!("cannot listen on {}: {e}", socket.display()))
                .hint("give --socket a path in a writable directory")
        })?;
    let owner = Arc::new(Owner::new(crate::paths::data_dir(), !opts.no_journal));
    summarise_on_stop(owner.clone());
    let slots = Arc::new((Mutex::new(0usize), Condvar::new()));
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        take_slot(&slots);
        let (opts, owner, slots) = (opts.clone(), owner.clone(), slots.clone());
        std::thread::spawn(move || {
            answer(conn, &opts, &owner);
            give_slot(&slots);
        });
    }
    Ok(0)
}

fn take_slot(slots: &(Mutex<usize>, Condvar)) {
    let mut busy = slots.0.lock().unwrap_or_else(|e| e.into_inner());
    while *busy >= MAX_CONNECTIONS {
        busy = slots.1.wait(busy).unwrap_or_else(|e| e.into_inner());
    }
    *busy += 1;
}

fn give_slot(slots: &(Mutex<usize>, Condvar)) {
    let mut busy = slots.0.lock().unwrap_or_else(|e| e.into_inner());
    *busy -= 1;
    slots.1.notify_one();
}

/// Block the stop signals in every thread (the ones started later inherit
/// the mask) and let one thread wait for them: it journals the refusals'
/// summary and exits.
fn summarise_on_stop(owner: Arc<Owner>) {
    // SAFETY: a zeroed sigset_t is valid storage; sigemptyset/sigaddset fill it.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid sigset_t.
    unsafe { libc::sigemptyset(&mut set) };
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: `set` is a valid sigset_t, `sig` a valid signal.
        unsafe { libc::sigaddset(&mut set, sig) };
    }
    // SAFETY: changes this thread's mask only, with a valid set.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    std::thread::spawn(move || {
        let mut sig = 0;
        // SAFETY: waits for a signal of `set`, which every thread blocks.
        unsafe { libc::sigwait(&set, &mut sig) };
        owner.summarise();
        std::process::exit(0);
    });
}

fn answer(mut conn: UnixStream, opts: &Options, owner: &Owner) {
    let _ = conn.set_read_timeout(Some(TIMEOUT));
    let _ = conn.set_write_timeout(Some(TIMEOUT));
    let mut input = Vec::new();
    let read = (&mut conn).take(MAX_INPUT + 1).read_to_end(&mut input);
    let admitted = match &read {
        // Decoded as `respond` will decode it: what it cannot decode it refuses
        // on its own, before keeping or journaling anything.
        Ok(n) if *n as u64 <= MAX_INPUT => match protocol::decode(&input) {
            Ok((common, event)) => owner.admit(&common, &event),
            Err(_) => Ok(()),
        },
        _ => Ok(()),
    };
    let reply = match admitted {
        Ok(()) => decide(opts, read, input, Some(true)),
        Err(reply) => reply,
    };
    if let Ok(bytes) = serde_json::to_vec(&reply) {
        let _ = conn.write_all(&bytes);
    }
}

/// The sessions this relay answers for, and what it refused.
struct Owner {
    state: Mutex<Owned>,
    store: Store,
    data: PathBuf,
    journal: bool,
}

#[derive(Default)]
struct Owned {
    /// The run's sessions; the first is the one the run was bound to.
    sessions: Vec<String>,
    refused: u64,
    /// Some of the session ids refused requests claimed.
    claimed: BTreeSet<String>,
    first_ns: u64,
    last_ns: u64,
}

impl Owner {
    fn new(data: PathBuf, journal: bool) -> Owner {
        Owner {
            state: Mutex::new(Owned::default()),
            store: Store::new(&data),
            data,
            journal,
        }
    }

    /// Let an event through, or the answer that refuses it.
    fn admit(&self, common: &protocol::Common, event: &Event) -> Result<(), Reply> {
        let id = &common.session_id;
        // An invalid id is refused by `respond` before anything is kept.
        if session::validate_id(id).is_err() {
            return Ok(());
        }
        let mut o = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let fresh_start = || {
            matches!(event, Event::SessionStart(_))
                && o.sessions.len() < MAX_SESSIONS
                && !self.store.known(id)
        };
        if o.sessions.is_empty() || o.sessions.contains(id) || fresh_start() {
            if !o.sessions.contains(id) {
                o.sessions.push(id.clone());
            }
            return Ok(());
        }
        o.refused += 1;
        let now = now_ns();
        if o.refused == 1 {
            o.first_ns = now;
        }
        o.last_ns = now;
        if o.claimed.len() < MAX_SAMPLE {
            o.claimed.insert(id.clone());
        }
        let (count, owner) = (o.refused, o.sessions[0].clone());
        drop(o);
        if count == 1 {
            self.record(
                &owner,
                "hook.relay_refused",
                json!({
                    "claimed_session": id,
                    "event": common.hook_event_name,
                    "why": "not a session this run's agent started",
                }),
            );
        }
        if count > FAST_REFUSALS {
            std::thread::sleep(REFUSAL_PAUSE);
        }
        Err(Reply::refuse(
            Some(&common.hook_event_name),
            &refusal(
                format!(
                    "session {id} is not a session this run's agent started; cordon's hook relay answers only for its own run"
                ),
                "start each agent in its own `cordon run --hook-relay`; to resume an earlier session, start the run with it (`claude --resume ID`)",
            ),
        ))
    }

    /// At the end: one record with every refusal counted.
    fn summarise(&self) {
        let o = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(owner) = o.sessions.first().filter(|_| o.refused > 0) else {
            return;
        };
        self.record(
            owner,
            "hook.relay_refusals",
            json!({
                "refused": o.refused,
                "claimed_sessions": o.claimed,
                "first_ns": o.first_ns,
                "last_ns": o.last_ns,
            }),
        );
    }

    /// Journal under the run's own session (best effort: the refusal
    /// itself stands either way, and a journal that cannot be written
    /// refuses the next real event loudly).
    fn record(&self, owner: &str, kind: &str, payload: serde_json::Value) {
        if !self.journal {
            return;
        }
        if let Ok(j) = Journal::open(&self.data) {
            let ev = JournalEvent::new(Source::Hook, kind, owner).with(payload);
            let _ = j.append(&ev);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event as the relay decodes it.
    fn event(id: &str, name: &str) -> (protocol::Common, Event) {
        let v = json!({"session_id": id, "hook_event_name": name, "cwd": "/w",
            "tool_name": "Bash", "tool_input": {"command": "ls"}, "prompt": "p"});
        protocol::decode(v.to_string().as_bytes()).unwrap()
    }

    fn admitted(owner: &Owner, id: &str, name: &str) -> bool {
        let (c, e) = event(id, name);
        owner.admit(&c, &e).is_ok()
    }

    #[test]
    fn the_first_session_binds_and_only_fresh_starts_join_it() {
        let dir = tempfile::tempdir().unwrap();
        let owner = Owner::new(dir.path().to_path_buf(), false);
        // Someone else's session, with state on the host.
        Store::new(dir.path()).update("host", |_| ()).unwrap();
        assert!(admitted(&owner, "agent", "SessionStart"));
        assert!(admitted(&owner, "agent", "PreToolUse"));
        // Another session: refused whatever the event, fresh or known.
        assert!(!admitted(&owner, "other", "PreToolUse"));
        assert!(!admitted(&owner, "host", "SessionStart"));
        assert!(!admitted(&owner, "host", "UserPromptSubmit"));
        // A fresh session the agent starts (`/clear`) joins, up to the bound.
        for i in 1..MAX_SESSIONS {
            assert!(
                admitted(&owner, &format!("fresh-{i}"), "SessionStart"),
                "{i}"
            );
            assert!(admitted(&owner, &format!("fresh-{i}"), "PreToolUse"), "{i}");
        }
        assert!(!admitted(&owner, "one-too-many", "SessionStart"));
        // An invalid id is left to the hook's own refusal (nothing kept either way).
        assert!(admitted(&owner, "../escape", "PreToolUse"));
        let o = owner.state.lock().unwrap();
        assert_eq!(o.sessions.len(), MAX_SESSIONS);
        assert_eq!(o.refused, 4);
        assert_eq!(o.claimed.len(), 3);
        // Refusals wrote no state.
        assert!(!Store::new(dir.path()).known("other"));
    }
}
