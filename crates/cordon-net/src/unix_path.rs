//! Unix sockets at paths of any length.
//!
//! `sun_path` holds 108 bytes, and cordon's sockets live under the user's
//! data directory (`~/.local/share/cordon/run/...`), which a deep home or
//! `CORDON_DATA_DIR` can push past that. For a longer path the socket is
//! reached through its directory: the directory is opened (`O_PATH`) and the
//! socket named as `/proc/self/fd/N/NAME`, which the kernel resolves to the
//! same file. Written here because std, rustix and tokio all refuse a path
//! that does not fit `sun_path`, and no crate does this.
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// What fits in `sun_path` with its terminating NUL.
const SUN_PATH_MAX: usize = 107;

/// `path` itself if it fits, else the short `/proc/self/fd/N/NAME` form and
/// the directory descriptor that must stay open while it is used.
fn reachable(path: &Path) -> io::Result<(PathBuf, Option<OwnedFd>)> {
    if path.as_os_str().as_bytes().len() <= SUN_PATH_MAX {
        return Ok((path.to_path_buf(), None));
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a socket path",
        ));
    };
    let dir: OwnedFd = rustix::fs::open(
        dir,
        rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    let short = Path::new("/proc/self/fd")
        .join(dir.as_raw_fd().to_string())
        .join(name);
    if short.as_os_str().as_bytes().len() > SUN_PATH_MAX {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "socket file name too long",
        ));
    }
    Ok((short, Some(dir)))
}

/// Bind a listening socket at `path`, however long.
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    let (p, _dir) = reachable(path)?;
    UnixListener::bind(p)
}

/// Connect to the socket at `path`, however long.
pub fn connect(path: &Path) -> io::Result<UnixStream> {
    let (p, _dir) = reachable(path)?;
    UnixStream::connect(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A socket 300 bytes deep works both ways, and a short one is untouched.
    #[test]
    fn long_paths_bind_and_connect() {
        let base = std::env::temp_dir().join(format!("cordon-unix-path-{}", std::process::id()));
        let deep = base
            .join("d".repeat(100))
            .join("e".repeat(100))
            .join("f".repeat(60));
        std::fs::create_dir_all(&deep).unwrap();
        let sock = deep.join("control.sock");
        assert!(sock.as_os_str().len() > 300);
        let l = bind(&sock).unwrap();
        assert!(
            sock.exists(),
            "the socket is created at the long path itself"
        );
        let t = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            c.write_all(b"ok").unwrap();
        });
        let mut s = connect(&sock).unwrap();
        let mut got = String::new();
        s.read_to_string(&mut got).unwrap();
        t.join().unwrap();
        assert_eq!(got, "ok");
        let (p, d) = reachable(&base.join("s.sock")).unwrap();
        assert_eq!(p, base.join("s.sock"));
        assert!(d.is_none());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
