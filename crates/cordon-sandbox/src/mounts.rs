//! The mount plan, carried out inside the new mount namespace.
//!
//! 1. Everything private; a staging tmpfs becomes the root (old root at /oldroot).
//! 2. The host tree is bound at /newroot, recursively read-only, nosuid, nodev.
//! 3. Fresh /proc (with kernel knobs masked or read-only), a minimal /dev with
//!    its own devpts, private /tmp, /var/tmp, /run and /dev/shm.
//! 4. The workspace and `--allow-write` paths bound writable; git directories
//!    bound onto themselves (so they cannot be renamed); persistence points
//!    inside them bound back read-only; hidden paths covered by empty,
//!    unreadable, read-only mounts.
//! 5. pivot_root into /newroot and detach the staging root with the old tree.
use crate::sys::{self, ATTR_NODEV, ATTR_NOEXEC, ATTR_NOSUID, ATTR_RDONLY};
use crate::Spec;
use std::io;
use std::path::{Path, PathBuf};

type StepResult = Result<(), (&'static str, io::Error)>;

fn at(step: &'static str) -> impl Fn(io::Error) -> (&'static str, io::Error) {
    move |e| (step, e)
}

const NEW: &str = "/newroot";
const OLD: &str = "/oldroot";

fn new(p: &Path) -> PathBuf {
    Path::new(NEW).join(p.strip_prefix("/").unwrap_or(p))
}
fn old(p: &Path) -> PathBuf {
    Path::new(OLD).join(p.strip_prefix("/").unwrap_or(p))
}

/// Files under /proc that are covered by an unreadable empty file.
const PROC_MASKED_FILES: &[&str] = &[
    "kcore",
    "kmsg",
    "keys",
    "key-users",
    "timer_list",
    "sched_debug",
    "sysrq-trigger",
    "latency_stats",
    "kallsyms",
    "kpagecount",
    "kpageflags",
    "kpagecgroup",
    "config.gz",
];
/// Directories under /proc made read-only.
const PROC_RO_DIRS: &[&str] = &[
    "sys", "irq", "bus", "fs", "acpi", "scsi", "asound", "driver", "sysvipc",
];
/// Device nodes bound from the host into the sandbox's /dev.
const DEV_NODES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// Build the whole plan and pivot into it.
pub fn build(spec: &Spec) -> StepResult {
    // 1. Staging root.
    sys::mount(
        None,
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )
    .map_err(at("making mounts private"))?;
    sys::mount(
        Some("tmpfs"),
        Path::new("/tmp"),
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some("mode=0755,size=1m"),
    )
    .map_err(at("staging tmpfs"))?;
    for d in ["/tmp/newroot", "/tmp/oldroot"] {
        std::fs::create_dir(d).map_err(at("staging directories"))?;
    }
    // An unreadable empty file used to cover hidden files and kernel knobs.
    std::fs::write("/tmp/empty", b"").map_err(at("staging directories"))?;
    std::fs::set_permissions(
        "/tmp/empty",
        std::os::unix::fs::PermissionsExt::from_mode(0o000),
    )
    .map_err(at("staging directories"))?;
    // An empty file that reads as empty, for hidden configuration files
    // that tools must be able to read (`cordon_catalog::Cover::Empty`).
    std::fs::write("/tmp/blank", b"").map_err(at("staging directories"))?;
    std::fs::set_permissions(
        "/tmp/blank",
        std::os::unix::fs::PermissionsExt::from_mode(0o444),
    )
    .map_err(at("staging directories"))?;
    sys::pivot_root(Path::new("/tmp"), Path::new("/tmp/oldroot"))
        .map_err(at("pivot to staging"))?;
    std::env::set_current_dir("/").map_err(at("pivot to staging"))?;

    // 2. The host tree, read-only.
    sys::bind(Path::new(OLD), Path::new(NEW)).map_err(at("binding the host tree"))?;
    sys::mount_setattr(Path::new(NEW), ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV, true)
        .map_err(at("making the host tree read-only"))?;
    // $HOME as an overlay; the writable binds and masks below go on top of it.
    if let Some(h) = &spec.home {
        crate::home::mount(h, Path::new(OLD), &new(&h.home)).map_err(at(crate::home::STEP))?;
    }

    // 3. Kernel interfaces and private scratch space.
    proc_fs()?;
    dev_fs()?;
    for (dir, mode) in [("/tmp", "1777"), ("/var/tmp", "1777"), ("/run", "0755")] {
        let p = new(Path::new(dir));
        if p.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            sys::mount(
                Some("tmpfs"),
                &p,
                Some("tmpfs"),
                libc::MS_NOSUID | libc::MS_NODEV,
                Some(&format!("mode={mode}")),
            )
            .map_err(at("private /tmp, /var/tmp and /run"))?;
        }
    }
    let var_run = new(Path::new("/var/run"));
    if var_run.symlink_metadata().is_ok_and(|m| m.is_dir()) {
        sys::mount(
            Some("tmpfs"),
            &var_run,
            Some("tmpfs"),
            libc::MS_NOSUID | libc::MS_NODEV,
            Some("mode=0755"),
        )
        .map_err(at("private /var/run"))?;
    }

    // cordon's own sockets (e.g. the hook relay), read-only, in the private /run.
    for (src, dst) in &spec.sockets {
        let d = new(dst);
        if let Some(parent) = d.parent() {
            std::fs::create_dir_all(parent).map_err(at("binding cordon's sockets"))?;
        }
        std::fs::write(&d, b"").map_err(at("binding cordon's sockets"))?;
        sys::bind(&old(src), &d).map_err(at("binding cordon's sockets"))?;
        sys::mount_setattr(
            &d,
            ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV | ATTR_NOEXEC,
            false,
        )
        .map_err(at("binding cordon's sockets"))?;
    }

    // 4. Writable areas, then read-only islands, then hidden paths.
    let plan = &spec.fs;
    for w in std::iter::once(&plan.workspace).chain(plan.writable.iter()) {
        ensure_mountpoint(&old(w), &new(w)).map_err(at("binding a writable path"))?;
        sys::bind(&old(w), &new(w)).map_err(at("binding a writable path"))?;
        sys::mount_setattr(&new(w), ATTR_NOSUID | ATTR_NODEV, true)
            .map_err(at("binding a writable path"))?;
    }
    for p in &plan.pinned {
        sys::bind(&old(p), &new(p)).map_err(at("pinning a git directory"))?;
        sys::mount_setattr(&new(p), ATTR_NOSUID | ATTR_NODEV, true)
            .map_err(at("pinning a git directory"))?;
    }
    for p in &plan.protected {
        sys::bind(&old(p), &new(p)).map_err(at("protecting a persistence point"))?;
        sys::mount_setattr(&new(p), ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV, true)
            .map_err(at("protecting a persistence point"))?;
    }
    for h in &plan.hidden {
        let cover = if plan.blank.contains(h) {
            "/blank"
        } else {
            "/empty"
        };
        hide(&new(h), Path::new(cover)).map_err(at("hiding a secret path"))?;
    }

    // 5. Enter the new root.
    std::env::set_current_dir(NEW).map_err(at("pivot_root"))?;
    sys::pivot_root(Path::new("."), Path::new(".")).map_err(at("pivot_root"))?;
    sys::umount2(Path::new("."), libc::MNT_DETACH).map_err(at("detaching the old root"))?;
    std::env::set_current_dir("/").map_err(at("pivot_root"))?;
    Ok(())
}

/// A writable path inside one of the private tmpfs (e.g. a workspace under
/// /tmp) needs its mount point created there first.
fn ensure_mountpoint(src: &Path, dst: &Path) -> io::Result<()> {
    if dst.symlink_metadata().is_ok() {
        return Ok(());
    }
    if src.is_dir() {
        std::fs::create_dir_all(dst)
    } else {
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(dst, b"")
    }
}

/// Cover `p` so that nothing of it can be read: a directory by an empty,
/// unlistable one, a file by `file` (unreadable `/empty`, or `/blank`).
fn hide(p: &Path, file: &Path) -> io::Result<()> {
    let meta = match p.symlink_metadata() {
        Ok(m) => m,
        Err(_) => return Ok(()), // vanished: nothing to hide
    };
    if meta.is_dir() {
        sys::mount(
            Some("tmpfs"),
            p,
            Some("tmpfs"),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC | libc::MS_RDONLY,
            Some("mode=000,size=4k"),
        )
    } else {
        sys::bind(file, p)?;
        sys::mount_setattr(
            p,
            ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV | ATTR_NOEXEC,
            false,
        )
    }
}

fn proc_fs() -> StepResult {
    let proc_ = new(Path::new("/proc"));
    sys::mount(
        Some("proc"),
        &proc_,
        Some("proc"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        None,
    )
    .map_err(at("mounting /proc"))?;
    for f in PROC_MASKED_FILES {
        let p = proc_.join(f);
        if p.exists() {
            sys::bind(Path::new("/empty"), &p).map_err(at("masking /proc files"))?;
            sys::mount_setattr(
                &p,
                ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV | ATTR_NOEXEC,
                false,
            )
            .map_err(at("masking /proc files"))?;
        }
    }
    for d in PROC_RO_DIRS {
        let p = proc_.join(d);
        if p.is_dir() {
            sys::bind(&p, &p).map_err(at("read-only /proc/sys"))?;
            sys::mount_setattr(
                &p,
                ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV | ATTR_NOEXEC,
                true,
            )
            .map_err(at("read-only /proc/sys"))?;
        }
    }
    Ok(())
}

fn dev_fs() -> StepResult {
    let dev = new(Path::new("/dev"));
    sys::mount(
        Some("tmpfs"),
        &dev,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NOEXEC,
        Some("mode=0755,size=64k"),
    )
    .map_err(at("mounting /dev"))?;
    for n in DEV_NODES {
        let src = old(Path::new("/dev")).join(n);
        if !src.exists() {
            continue;
        }
        let dst = dev.join(n);
        std::fs::write(&dst, b"").map_err(at("populating /dev"))?;
        sys::bind(&src, &dst).map_err(at("populating /dev"))?;
    }
    let pts = dev.join("pts");
    std::fs::create_dir(&pts).map_err(at("populating /dev"))?;
    sys::mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        libc::MS_NOSUID | libc::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .map_err(at("mounting a private devpts"))?;
    let shm = dev.join("shm");
    std::fs::create_dir(&shm).map_err(at("populating /dev"))?;
    sys::mount(
        Some("tmpfs"),
        &shm,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some("mode=1777"),
    )
    .map_err(at("mounting /dev/shm"))?;
    for (link, target) in [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        std::os::unix::fs::symlink(target, dev.join(link)).map_err(at("populating /dev"))?;
    }
    // Nothing more is created in /dev: make it read-only.
    sys::mount_setattr(&dev, ATTR_RDONLY, false).map_err(at("read-only /dev"))?;
    Ok(())
}
