//! The control socket of a running proxy: `cordon allow-domain --session ID
//! PATTERN` talks to it. One request per connection, one line each way:
//!
//! ```text
//! -> allow docs.rs
//! <- ok
//! ```
//!
//! Only the same user (or root) may connect, and only from outside the
//! sandbox: a peer in another network namespace (the sandbox's) is refused.
use crate::server::Shared;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// The longest request line accepted.
const MAX_LINE: usize = 4096;

pub(crate) fn serve(
    rt: &tokio::runtime::Runtime,
    path: &Path,
    shared: Arc<Shared>,
) -> io::Result<()> {
    serve_on(rt, bind(path)?, shared)
}

/// Bind the control socket at `path` (mode 0600), replacing a stale one.
pub fn bind(path: &Path) -> io::Result<std::os::unix::net::UnixListener> {
    let _ = std::fs::remove_file(path);
    let l = crate::unix_path::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(l)
}

/// Serve control requests on an already bound socket.
pub(crate) fn serve_on(
    rt: &tokio::runtime::Runtime,
    std_listener: std::os::unix::net::UnixListener,
    shared: Arc<Shared>,
) -> io::Result<()> {
    std_listener.set_nonblocking(true)?;
    let listener = {
        let _guard = rt.enter();
        tokio::net::UnixListener::from_std(std_listener)?
    };
    rt.spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(handle(s, shared.clone()));
        }
    });
    Ok(())
}

/// Is the peer our user (or root) and in our network namespace?
fn peer_ok(s: &tokio::net::UnixStream) -> Result<String, String> {
    let cred = s
        .peer_cred()
        .map_err(|e| format!("cannot identify the caller: {e}"))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if cred.uid() != me && cred.uid() != 0 {
        return Err(format!(
            "uid {} may not change this session's policy",
            cred.uid()
        ));
    }
    let pid = cred.pid().ok_or("the caller's pid is unknown")?;
    let ours = std::fs::read_link("/proc/self/ns/net").map_err(|e| e.to_string())?;
    let theirs = std::fs::read_link(format!("/proc/{pid}/ns/net"))
        .map_err(|_| "the caller is not visible from here (inside a sandbox?)".to_string())?;
    if ours != theirs {
        return Err("policy changes are only accepted from outside the sandbox".into());
    }
    Ok(format!(
        "cordon allow-domain (uid {}, pid {pid})",
        cred.uid()
    ))
}

async fn handle(s: tokio::net::UnixStream, shared: Arc<Shared>) {
    let who = peer_ok(&s);
    let (r, mut w) = s.into_split();
    let mut line = String::new();
    let mut r = tokio::io::BufReader::new(r.take(MAX_LINE as u64));
    let got = r.read_line(&mut line).await;
    let answer = match (who, got) {
        (Err(e), _) => format!("error {e}\n"),
        (_, Err(e)) => format!("error {e}\n"),
        (Ok(who), Ok(_)) => match line.trim_end().split_once(' ') {
            Some(("allow", pattern)) => match shared.allow(pattern, &who) {
                Ok(()) => "ok\n".to_string(),
                Err(e) => format!("error {e}\n"),
            },
            _ => "error unknown request (expected `allow PATTERN`)\n".to_string(),
        },
    };
    let _ = w.write_all(answer.as_bytes()).await;
}

/// Ask the proxy behind `path` to allow `pattern` (blocking; used by the CLI).
pub fn request_allow(path: &Path, pattern: &str) -> io::Result<Result<(), String>> {
    let mut s = crate::unix_path::connect(path)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    s.write_all(format!("allow {}\n", pattern.trim()).as_bytes())?;
    let mut answer = String::new();
    BufReader::new(s).read_line(&mut answer)?;
    let a = answer.trim_end();
    Ok(match a.strip_prefix("error ") {
        Some(e) => Err(e.to_string()),
        None if a == "ok" => Ok(()),
        None => Err(format!("unexpected answer `{a}`")),
    })
}
