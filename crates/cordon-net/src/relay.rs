//! Moving bytes through a tunnel, with the ClientHello check on the way in.
//!
//! Each direction splices through a pipe that only exists while data flows:
//! an idle tunnel holds two sockets and a small task, nothing more (10,000
//! idle tunnels are a benchmark target). A direction that carries a bulk
//! transfer over loopback (the sandbox's side, local servers) switches its
//! sending socket to Reno congestion control, see [`tune_loopback`].
use crate::pattern::{normalise_name, Host};
use crate::policy::Refusal;
use crate::tls::{self, Hello};
use rustix::pipe::{fcntl_setpipe_size, pipe_with, splice, PipeFlags, SpliceFlags};
use std::io;
use std::net::Shutdown;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::Interest;
use tokio::net::TcpStream;

/// Bytes moved each way.
#[derive(Debug, Default)]
pub struct Counters {
    /// Client to destination.
    pub up: AtomicU64,
    /// Destination to client.
    pub down: AtomicU64,
}

/// Why a tunnel ended early.
#[derive(Debug)]
pub enum TunnelError {
    Io(io::Error),
    Refused(Refusal),
}

impl From<io::Error> for TunnelError {
    fn from(e: io::Error) -> Self {
        TunnelError::Io(e)
    }
}

/// Relay between `client` and `upstream` until both sides are done.
/// `prefix` holds bytes the client already sent. If the client starts a TLS
/// handshake, its SNI must name `host`, else the tunnel is cut.
pub async fn tunnel(
    client: &TcpStream,
    upstream: &TcpStream,
    prefix: &[u8],
    host: &Host,
    n: &Counters,
) -> Result<(), TunnelError> {
    let c2s = async {
        let mut first = Vec::with_capacity(prefix.len().max(2048));
        first.extend_from_slice(prefix);
        let mut eof = false;
        loop {
            match tls::inspect(&first) {
                Hello::NeedMore => {}
                Hello::NotTls => break,
                Hello::ClientHello { sni } => {
                    check_sni(sni.as_deref(), host)?;
                    break;
                }
                Hello::Malformed(why) => {
                    return Err(TunnelError::Refused(Refusal::new(
                        "bad-tls",
                        format!("the TLS ClientHello sent to {host} cannot be checked: {why}"),
                        None,
                    )))
                }
            }
            if eof {
                break;
            }
            client.readable().await?;
            first.reserve(4096);
            match client.try_read_buf(&mut first) {
                Ok(0) => eof = true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !first.is_empty() {
            write_all(upstream, &first).await?;
            n.up.fetch_add(first.len() as u64, Ordering::Relaxed);
        }
        drop(first);
        if eof {
            let _ = socket2::SockRef::from(upstream).shutdown(Shutdown::Write);
            return Ok(());
        }
        pump(client, upstream, &n.up).await?;
        Ok::<(), TunnelError>(())
    };
    let s2c = async {
        pump(upstream, client, &n.down).await?;
        Ok::<(), TunnelError>(())
    };
    tokio::try_join!(c2s, s2c)?;
    Ok(())
}

fn check_sni(sni: Option<&str>, host: &Host) -> Result<(), TunnelError> {
    let Some(sni) = sni else { return Ok(()) };
    let same = match (normalise_name(sni), host) {
        (Ok(s), Host::Name(h)) => &s == h,
        _ => false,
    };
    if same {
        return Ok(());
    }
    Err(TunnelError::Refused(Refusal::new(
        "sni-mismatch",
        format!(
            "the TLS handshake names `{sni}` but the tunnel was opened to {host} (domain fronting)"
        ),
        None,
    )))
}

/// Copy `from` to `to` until end of stream, then half-close `to`.
///
/// Bytes move through a pipe with splice(2): the kernel hands the socket's
/// pages over without copying them through the proxy. The pipe exists only
/// while data flows; an idle tunnel holds none. When no pipe can be made
/// (a proxy holding 10,000 tunnels is near its descriptor limit), bytes are
/// copied through a buffer instead.
pub async fn pump(from: &TcpStream, to: &TcpStream, count: &AtomicU64) -> io::Result<()> {
    let mut pipe: Option<(OwnedFd, OwnedFd)> = None;
    // Bytes moved, counted up to BULK: then the pipe grows to PIPE_SIZE and
    // `to` is tuned for bulk, once, so that short exchanges pay for neither.
    let mut moved = 0;
    loop {
        from.readable().await?;
        if pipe.is_none() {
            pipe = new_pipe(moved >= BULK).ok();
        }
        let step = match &pipe {
            Some((r, w)) => match splice_in(from, w) {
                Ok(k) if k > 0 => drain(r, to, k).await.map(|()| k),
                other => other,
            },
            // No pipe (out of descriptors or pipe memory): copy through user
            // space rather than cut the tunnel.
            None => copy_some(from, to).await,
        };
        match step {
            Ok(0) => {
                let _ = socket2::SockRef::from(to).shutdown(Shutdown::Write);
                return Ok(());
            }
            Ok(k) => {
                count.fetch_add(k as u64, Ordering::Relaxed);
                if moved < BULK {
                    moved += k;
                    if moved >= BULK {
                        if let Some((_, w)) = &pipe {
                            grow(w);
                        }
                        tune_loopback(to);
                    }
                }
            }
            // Drained: give the pipe back while the tunnel waits.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => pipe = None,
            Err(e) => return Err(e),
        }
    }
}

/// Splice what `from` has into the (empty) pipe; EAGAIN means the socket
/// is drained.
fn splice_in(from: &TcpStream, w: &OwnedFd) -> io::Result<usize> {
    from.try_io(Interest::READABLE, || {
        splice(
            from,
            None,
            w,
            None,
            PIPE_SIZE,
            SpliceFlags::MOVE | SpliceFlags::NONBLOCK,
        )
        .map_err(io::Error::from)
    })
}

/// Without a pipe: read what `from` has (up to 64 KiB) and write it to `to`.
async fn copy_some(from: &TcpStream, to: &TcpStream) -> io::Result<usize> {
    let mut buf = vec![0u8; 64 * 1024];
    let k = from.try_read(&mut buf)?;
    write_all(to, &buf[..k]).await?;
    Ok(k)
}

/// A direction that has moved this much is a bulk transfer.
const BULK: usize = 256 * 1024;

/// The pipe of a bulk direction: how much one splice moves. Measured on
/// loopback (bench/net.sh), 1 MiB needs about a third less proxy CPU per
/// GiB than 256 KiB. Above the per-user pipe quota
/// (`/proc/sys/fs/pipe-user-pages-soft`: 64 such pipes moving data at once
/// for a non-root user) the kernel refuses the size and the default pipe is
/// used: slower, still correct.
const PIPE_SIZE: usize = 1 << 20;

/// A pipe of the default size, or PIPE_SIZE for a bulk direction.
fn new_pipe(bulk: bool) -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC)?;
    if bulk {
        grow(&w);
    }
    Ok((r, w))
}

/// A bigger pipe moves more per call; the default (64 KiB) still works.
fn grow(w: &OwnedFd) {
    let _ = fcntl_setpipe_size(w, PIPE_SIZE);
}

/// Move `n` bytes from the pipe to `to`.
async fn drain(r: &OwnedFd, to: &TcpStream, mut n: usize) -> io::Result<()> {
    while n > 0 {
        to.writable().await?;
        let moved = to.try_io(Interest::WRITABLE, || {
            splice(
                r,
                None,
                to,
                None,
                n,
                SpliceFlags::MOVE | SpliceFlags::NONBLOCK,
            )
            .map_err(io::Error::from)
        });
        match moved {
            Ok(k) => n -= k,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Use Reno congestion control on a connection whose both ends are on
/// loopback; leave any other connection on the system's default.
///
/// Loopback has no congestion to control and no loss to recover from, but
/// a model-based default such as BBR still runs per packet: measured with
/// bench/net.sh on a system whose default is BBR, sending the loopback hop
/// with Reno took about a third off the proxy's CPU per GiB and about 40%
/// off the receiving client's (see docs/BENCHMARKS.md). Reno is built into
/// every Linux kernel and may be chosen without privileges; if the call
/// fails anyway the connection keeps the default.
pub fn tune_loopback(s: &TcpStream) {
    let local = |a: io::Result<std::net::SocketAddr>| a.is_ok_and(|a| a.ip().is_loopback());
    if local(s.local_addr()) && local(s.peer_addr()) {
        let _ = rustix::net::sockopt::set_tcp_congestion(s, "reno");
    }
}

async fn write_all(to: &TcpStream, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        to.writable().await?;
        match to.try_write(data) {
            Ok(k) => data = &data[k..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_connections_use_reno() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (s, _) = l.accept().await.unwrap();
        tune_loopback(&s);
        assert_eq!(rustix::net::sockopt::tcp_congestion(&s).unwrap(), "reno");
        // The other end keeps the system's choice.
        if let Ok(default) = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_congestion_control") {
            assert_eq!(
                rustix::net::sockopt::tcp_congestion(&c).unwrap(),
                default.trim()
            );
        }
    }
}
