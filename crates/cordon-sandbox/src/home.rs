//! The home overlay: `$HOME` inside the sandbox is an overlayfs whose lower
//! layer is the host's home (never written) and whose upper layer is
//! cordon's own directory (persistent, `cordon home`) or a tmpfs thrown away
//! at exit (`--home-tmp`). Mounted before the workspace, `--allow-write`
//! paths and secret masks, which all go on top of it as without it.
use crate::sys;
use std::io;
use std::path::{Path, PathBuf};

/// Where the agent's writes under `$HOME` go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HomeLayer {
    /// cordon's persistent directories (same filesystem, both existing).
    Persistent { upper: PathBuf, work: PathBuf },
    /// A tmpfs made inside the sandbox, lost when it ends.
    Tmp,
}

/// `$HOME` (canonical) and where writes to it go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeOverlay {
    pub home: PathBuf,
    pub layer: HomeLayer,
}

/// The setup step's name (init gives it its own hint).
pub const STEP: &str = "home overlay";

/// How to get past a failed home overlay.
pub const HINT: &str = "the home overlay needs overlayfs (Linux 5.11+ unprivileged) and an upper \
directory on a local filesystem (ext4, xfs, btrfs; not NFS or another overlay): set \
CORDON_DATA_DIR to one, or pass --home-tmp (a throwaway home for this run)";

/// Mount the overlay at `new_home`. Runs in init, in the staging root (the
/// host's tree under `old_root`); the layers are reached through symlinks in
/// the staging root so no path needs escaping in the mount options.
pub(crate) fn mount(o: &HomeOverlay, old_root: &Path, new_home: &Path) -> io::Result<()> {
    let old = |p: &Path| old_root.join(p.strip_prefix("/").unwrap_or(p));
    let (upper, work) = match &o.layer {
        HomeLayer::Persistent { upper, work } => (old(upper), old(work)),
        HomeLayer::Tmp => {
            let t = Path::new("/home-tmp");
            std::fs::create_dir(t)?;
            sys::mount(
                Some("tmpfs"),
                t,
                Some("tmpfs"),
                libc::MS_NOSUID | libc::MS_NODEV,
                Some("mode=0700"),
            )?;
            std::fs::create_dir(t.join("upper"))?;
            std::fs::create_dir(t.join("work"))?;
            (t.join("upper"), t.join("work"))
        }
    };
    for (link, target) in [
        ("/home-l", old(&o.home)),
        ("/home-u", upper),
        ("/home-w", work),
    ] {
        std::os::unix::fs::symlink(target, link)?;
    }
    sys::mount(
        Some("overlay"),
        new_home,
        Some("overlay"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some("lowerdir=/home-l,upperdir=/home-u,workdir=/home-w,userxattr"),
    )
    .map_err(|e| {
        let upper = match &o.layer {
            HomeLayer::Persistent { upper, .. } => upper.display().to_string(),
            HomeLayer::Tmp => "a tmpfs".into(),
        };
        io::Error::new(
            e.kind(),
            format!("overlay of {} on {upper}: {e}", o.home.display()),
        )
    })
}
