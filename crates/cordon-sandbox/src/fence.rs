//! Landlock: the second layer of the filesystem plan. Reads are allowed
//! everywhere the mount plan shows; writes only in the workspace, the
//! `--allow-write` paths, the private scratch directories and the standard
//! devices; signals and abstract unix sockets are scoped to the sandbox.
//! Pathname unix sockets are confined too where the kernel supports it (ABI 9).
use crate::Spec;
use landlock::{
    Access, AccessFs, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope, ABI,
};

/// The newest ABI whose rights cordon asks for (best effort below it).
const TARGET: ABI = ABI::V9;

/// Apply Landlock to the calling process. Returns a description of what is
/// enforced, or an error if nothing could be enforced and the user did not
/// accept running without it.
pub fn apply(spec: &Spec) -> Result<String, String> {
    let all = AccessFs::from_all(TARGET);
    let read = AccessFs::from_read(TARGET);
    let dev_rw = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::IoctlDev;
    let err = |e: landlock::RulesetError| e.to_string();
    let mut rules: Vec<(std::path::PathBuf, landlock::BitFlags<AccessFs>)> =
        vec![("/".into(), read), (spec.fs.workspace.clone(), all)];
    rules.extend(spec.fs.writable.iter().map(|w| (w.clone(), all)));
    // The home overlay: writes land in cordon's upper layer, never on the host.
    rules.extend(spec.home.iter().map(|h| (h.home.clone(), all)));
    for scratch in ["/tmp", "/var/tmp", "/dev/shm"] {
        rules.push((scratch.into(), all));
    }
    for dev in [
        "/dev/null",
        "/dev/zero",
        "/dev/full",
        "/dev/tty",
        "/dev/random",
        "/dev/urandom",
    ] {
        rules.push((dev.into(), dev_rw));
    }
    rules.push(("/dev/pts".into(), dev_rw | AccessFs::ReadDir));
    // cordon's own sockets may be connected to (pathname unix sockets are confined from ABI 9).
    for (_, dst) in &spec.sockets {
        if let Some(dir) = dst.parent() {
            rules.push((dir.to_path_buf(), AccessFs::ResolveUnix.into()));
        }
    }
    // Absent paths get no rule.
    let beneath = rules
        .into_iter()
        .filter_map(|(p, a)| PathFd::new(p).ok().map(|fd| PathBeneath::new(fd, a)));
    let rs = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(all)
        .map_err(err)?
        .scope(Scope::from_all(TARGET))
        .map_err(err)?
        .create()
        .map_err(err)?
        .add_rules(beneath.map(Ok::<_, landlock::RulesetError>))
        .map_err(err)?;
    let status = rs.restrict_self().map_err(err)?;
    let abi = match status.landlock {
        landlock::LandlockStatus::Available {
            effective_abi,
            kernel_abi,
        } => kernel_abi.unwrap_or(effective_abi as i32),
        _ => 0,
    };
    match status.ruleset {
        RulesetStatus::FullyEnforced => Ok(format!("enforced (ABI {abi})")),
        RulesetStatus::PartiallyEnforced => Ok(format!("partially enforced (ABI {abi})")),
        RulesetStatus::NotEnforced => {
            if spec.allow_degraded.landlock {
                Ok("not enforced (allowed by --allow-degraded landlock)".into())
            } else {
                Err("this kernel does not enforce Landlock".into())
            }
        }
    }
}
