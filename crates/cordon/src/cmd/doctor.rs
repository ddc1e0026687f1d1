//! `cordon doctor`: what this kernel supports and which protections are active.
use crate::exit::CmdResult;

/// Explain what this machine supports and what `cordon run` will enforce.
///
/// Probes the kernel (namespaces, Landlock ABI, seccomp, cgroups, terminal),
/// says which protections `cordon run` will apply and what would degrade, and
/// how to fix what is missing. Exits 0 when `cordon run` can start with full
/// containment, 1 when it would refuse.
#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn main(_args: Args) -> CmdResult {
    let checks = cordon_sandbox::probe::checks();
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(8);
    let mut all_ok = true;
    for c in &checks {
        let mark = if c.ok { "ok  " } else { "FAIL" };
        all_ok &= c.ok;
        println!("{mark} {:width$}  {}", c.name, c.detail);
        if let Some(f) = &c.fix {
            println!("     {:width$}  -> {f}", "");
        }
    }
    let (run_ok, run_detail) = contained_run();
    all_ok &= run_ok;
    println!(
        "{} {:width$}  {run_detail}",
        if run_ok { "ok  " } else { "FAIL" },
        "cordon run"
    );
    all_ok &= managed_report();
    println!();
    println!("cordon run will also: hide {} secret paths by default, keep {} kinds of persistence points read-only at any depth of the workspace,",
        cordon_catalog::hidden().count(), cordon_catalog::WORKSPACE_POINTS.len());
    println!("mount a private /tmp, /run and /dev, drop every capability, set no_new_privs, scrub the environment,");
    println!("and give the command no network but cordon's egress proxy.");
    if all_ok {
        println!(
            "\nAll protections are available: `cordon run -- bash` starts a fully contained shell."
        );
        Ok(0)
    } else {
        println!("\nSome protections are missing: `cordon run` refuses to start (exit 125) unless you accept the named degradation.");
        Ok(1)
    }
}

/// The name of the home the trial run uses (removed after it).
const PROBE_HOME: &str = "doctor-probe";

/// Start a contained `true` the way `cordon run` does, with a persistent
/// home overlay on cordon's data directory (the part no other check can
/// predict: overlayfs on that filesystem, as this user), no network and no
/// journal; the home it used is removed after. `(false, the refusal)` when
/// `cordon run` would refuse.
fn contained_run() -> (bool, String) {
    let Ok(exe) = std::env::current_exe() else {
        return (false, "cannot find cordon's own path".into());
    };
    let dir = std::env::temp_dir().join(format!("cordon-doctor-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir(&dir) {
        return (false, format!("cannot make {}: {e}", dir.display()));
    }
    let t = std::time::Instant::now();
    let out = std::process::Command::new(exe)
        .args([
            "run",
            "--no-journal",
            "--no-network",
            "--home",
            PROBE_HOME,
            "--agent",
            "none",
        ])
        .args(["--workspace"])
        .arg(&dir)
        .args(["--", "true"])
        .current_dir(&dir)
        .stdin(std::process::Stdio::null())
        .output();
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let _ = crate::home::remove_tree(&crate::home::dir(PROBE_HOME));
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) if o.status.success() => (
            true,
            format!(
                "a contained `true` with a persistent home overlay on {} started and ended in {ms:.0} ms",
                crate::paths::data_dir().display()
            ),
        ),
        Ok(o) => {
            let e = String::from_utf8_lossy(&o.stderr);
            // The refusal, not a warning printed before it.
            let line = e
                .lines()
                .find(|l| !l.trim().is_empty() && !l.starts_with("cordon: warning:"))
                .unwrap_or("");
            (
                false,
                format!(
                    "a contained `true` failed (exit {}): {}",
                    o.status.code().unwrap_or(-1),
                    line.trim()
                ),
            )
        }
        Err(e) => (false, format!("cannot start cordon run: {e}")),
    }
}

/// Whether a managed policy is in force, from where, and what it locks;
/// `false` when it is present but not trusted or malformed (every other
/// command refuses then).
fn managed_report() -> bool {
    use crate::settings::{managed, MANAGED_FILE};
    println!();
    match managed::installed() {
        Ok(None) => {
            println!("managed policy: none ({MANAGED_FILE} is absent)");
            true
        }
        Ok(Some(m)) => {
            println!("managed policy: in force, from {}", m.shown());
            let locks = m.ceiling.locks();
            if locks.is_empty() {
                println!("  no [ceiling]: its settings apply above every other layer");
            }
            for l in locks {
                println!("  locks: {l}");
            }
            let rules = m.entries.iter().filter(|e| {
                matches!(
                    e.item.key(),
                    crate::settings::Key::RuleDeny | crate::settings::Key::RuleAsk
                )
            });
            let n = rules.count();
            if n > 0 {
                println!("  {n} deny/ask rule(s) that always apply");
            }
            true
        }
        Err(f) => {
            println!("FAIL managed policy: {f}");
            println!("     every cordon command but `doctor` and `policy show|check` refuses to run until it is fixed");
            false
        }
    }
}
