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
mod paths;

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
}

fn main() -> ExitCode {
    // Claude Code starts `cordon hook claude` once per tool call: skip building
    // the whole command tree when its arguments need no clap (help, errors and
    // everything else still go through clap below).
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let result = match cmd::hook::fast_path(&args) {
        Some(result) => result,
        None => dispatch(Cli::parse_from(args)),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("cordon: {f}");
            ExitCode::from(f.code)
        }
    }
}

fn dispatch(cli: Cli) -> exit::CmdResult {
    match cli.command {
        Command::Run(a) => cmd::run::main(a),
        Command::Doctor(a) => cmd::doctor::main(a),
        Command::Check(a) => cmd::check::main(a),
        Command::Policy(a) => cmd::policy::main(a),
        Command::Scan(a) => cmd::scan::main(a),
        Command::Audit(a) => cmd::audit::main(a),
        Command::Report(a) => cmd::report::main(a),
        Command::Hook(a) => cmd::hook::main(a),
        Command::Init(a) => cmd::init::main(a),
        Command::Mcp(a) => cmd::mcp::main(a),
        Command::AllowDomain(a) => cmd::allow_domain::main(a),
    }
}
