//! `cordon home`: the homes that keep what sandboxed commands write under `$HOME`.
use crate::exit::{CmdResult, Failure};
use crate::home;

/// Show, locate or reset cordon's homes.
///
/// Inside `cordon run`, `$HOME` is an overlay: the host's home is read (never
/// written) and what the command writes there (agent state, package caches,
/// toolchains) is kept in cordon's home, from run to run. `--home NAME` keeps
/// several; `--home-tmp` throws this run's writes away at exit.
///
/// Examples:
///   cordon home show
///   cordon home reset work
///   du -sh "$(cordon home path)"
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Where the home is, its size, and what differs from the host's home
    /// (by top-level entry).
    Show {
        /// The home's name [default: default].
        name: Option<String>,
    },
    /// Forget everything the sandbox wrote (refused while a run uses it).
    Reset {
        /// The home's name [default: default].
        name: Option<String>,
    },
    /// Print the home's directory.
    Path {
        /// The home's name [default: default].
        name: Option<String>,
    },
}

fn named(n: &Option<String>) -> Result<&str, Failure> {
    let n = n.as_deref().unwrap_or(home::DEFAULT);
    home::check_name(n)?;
    Ok(n)
}

fn human(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

pub fn main(args: Args) -> CmdResult {
    match &args.action {
        Action::Path { name } => {
            println!("{}", home::dir(named(name)?).display());
        }
        Action::Show { name } => show(named(name)?),
        Action::Reset { name } => reset(named(name)?)?,
    }
    Ok(0)
}

fn show(name: &str) {
    let d = home::dir(name);
    println!("home '{name}': {}", d.display());
    let upper = d.join("upper");
    if !upper.is_dir() {
        println!("  empty (no run has used it)");
        return;
    }
    let rows = home::summary(&upper);
    let total: u64 = rows.iter().map(|r| r.2).sum();
    println!(
        "  {} written over the host's home, in {} top-level entries",
        human(total),
        rows.len()
    );
    for (entry, files, bytes, deleted) in rows {
        let del = if deleted > 0 {
            format!(", {deleted} deleted")
        } else {
            String::new()
        };
        println!("  ~/{entry}: {files} files, {}{del}", human(bytes));
    }
}

fn reset(name: &str) -> Result<(), Failure> {
    let d = home::dir(name);
    if !d.is_dir() {
        println!("home '{name}' is already empty");
        return Ok(());
    }
    let _lock = home::lock(&d, "cordon home reset").map_err(|h| home::in_use(name, h))?;
    for sub in ["upper", "work"] {
        home::remove_tree(&d.join(sub)).map_err(|e| {
            Failure::refuse(format!("cannot remove {}: {e}", d.join(sub).display()))
        })?;
    }
    println!("home '{name}' reset: the next run sees the host's home as it is");
    Ok(())
}
