//! `cordon`: contain, police and record AI agents on Linux.
//!
//! One binary, one subcommand per job. Each subcommand lives in `cmd/<name>.rs`,
//! defines its own `Args` and returns a [`exit::CmdResult`]; this file only
//! dispatches and turns failures into one line on stderr and an exit code.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;
mod config;
mod exit;
mod fatal;
mod home;
mod paths;
mod profile;
mod settings;

/// Contain, police and record AI agents on Linux.
///
/// Start with `cordon doctor` to see what this machine supports, then
/// `cordon run -- bash` for a contained shell. Every subcommand has --help.
#[derive(Parser, Debug)]
#[command(
    name = "cordon",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Run(cmd::run::Args),
    Doctor(cmd::doctor::Args),
    Check(cmd::check::Args),
    Policy(cmd::policy::Args),
    Scan(cmd::scan::Args),
    Audit(cmd::audit::Args),
    Report(cmd::report::Args),
    Hook(cmd::hook::Args),
    Init(cmd::init::Args),
    Mcp(cmd::mcp::Args),
    AllowDomain(cmd::allow_domain::Args),
    Quarantine(cmd::quarantine::Args),
    Home(cmd::home::Args),
}

fn main() -> ExitCode {
    // Claude Code starts `cordon hook claude` once per tool call: skip building
    // the whole command tree when its arguments need no clap (help, errors and
    // everything else still go through clap below).
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The managed policy, before anything else: an untrusted or malformed
    // one stops every command but the ones that report it.
    let result = if let Err(f) = settings::managed::gate(&args) {
        Err(f)
    } else if let Some(result) = cmd::hook::fast_path(&args) {
        result
    } else if let Some(run) = run_args(&args) {
        cmd::run::main(run)
    } else {
        dispatch(Cli::parse_from(args))
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("cordon: {f}");
            ExitCode::from(f.code)
        }
    }
}

/// `cordon run ...` parsed by a parser of the `run` subcommand alone: building
/// the whole command tree costs about as much as the rest of cordon's work
/// before the sandbox starts. Anything it does not accept (`--help`,
/// `--version`, a typo, a bad value) returns `None` and goes through the full
/// parser, which prints exactly what it always did.
fn run_args(args: &[std::ffi::OsString]) -> Option<cmd::run::Args> {
    use clap::{Args, FromArgMatches};
    if args.get(1).map(|a| a == "run") != Some(true) {
        return None;
    }
    let parser = cmd::run::Args::augment_args(clap::Command::new("run").no_binary_name(true));
    let matches = parser.try_get_matches_from(&args[2..]).ok()?;
    cmd::run::Args::from_arg_matches(&matches).ok()
}

fn dispatch(cli: Cli) -> exit::CmdResult {
    match cli.command {
        Command::Run(a) => cmd::run::main(a),
        Command::Doctor(a) => cmd::doctor::main(a),
        // A crash while deciding is exit 125 with one line, never a verdict.
        Command::Check(a) => fatal::guarded(
            exit::REFUSED,
            "`cordon check`",
            "nothing was decided",
            move || cmd::check::main(a),
        ),
        Command::Policy(a) => cmd::policy::main(a),
        Command::Scan(a) => cmd::scan::main(a),
        Command::Audit(a) => cmd::audit::main(a),
        Command::Report(a) => cmd::report::main(a),
        Command::Hook(a) => cmd::hook::main(a),
        Command::Init(a) => cmd::init::main(a),
        Command::Mcp(a) => cmd::mcp::main(a),
        Command::AllowDomain(a) => cmd::allow_domain::main(a),
        Command::Quarantine(a) => cmd::quarantine::main(a),
        Command::Home(a) => cmd::home::main(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &[&str]) -> Vec<std::ffi::OsString> {
        std::iter::once("cordon")
            .chain(s.iter().copied())
            .map(Into::into)
            .collect()
    }

    /// The `run`-only parser gives exactly what the full parser gives, and
    /// leaves everything else (help, version, errors) to the full parser.
    #[test]
    fn the_run_parser_agrees_with_the_full_one() {
        for case in [
            &["run", "--", "true"][..],
            &[
                "run",
                "-v",
                "--workspace",
                "/tmp",
                "--",
                "bash",
                "-c",
                "echo hi",
            ],
            &[
                "run",
                "--allow-write",
                "/a",
                "--allow-write=/b",
                "--deny-read",
                "/c",
                "--",
                "x",
            ],
            &[
                "run",
                "--env",
                "A=1",
                "--env",
                "B",
                "--max-procs",
                "9",
                "--max-memory",
                "1G",
                "--",
                "x",
            ],
            &[
                "run",
                "--net",
                "registries",
                "--allow-degraded",
                "cgroups",
                "--no-journal",
                "--",
                "x",
                "--help",
            ],
            &[
                "run",
                "--hook-relay",
                "--config",
                "/x.toml",
                "--",
                "claude",
                "-v",
            ],
        ] {
            let fast = run_args(&argv(case)).unwrap_or_else(|| panic!("{case:?} not taken"));
            let full = match Cli::try_parse_from(argv(case)).unwrap().command {
                Command::Run(a) => a,
                other => panic!("{other:?}"),
            };
            assert_eq!(format!("{fast:?}"), format!("{full:?}"), "{case:?}");
        }
        for case in [
            &["run", "--help"][..],
            &["run", "-h"],
            &["run", "--version"],
            &["run", "--bogus", "--", "x"],
            &["run", "--max-procs", "many", "--", "x"],
            &["run"],
            &["run", "--allow-degraded", "seccomp", "--", "x"],
            &["run", "--no-network", "--net", "registries", "--", "x"],
            &["doctor"],
        ] {
            assert!(run_args(&argv(case)).is_none(), "{case:?} taken");
        }
    }
}
