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
