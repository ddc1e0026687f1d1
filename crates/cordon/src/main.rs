//! `cordon`: contain, police and record AI agents on Linux.
//!
//! One binary, one subcommand per job. Each subcommand lives in `cmd/<name>.rs`,
//! defines its own `Args` and returns a [`exit::CmdResult`]; this file only
//! dispatches and turns failures into one line on stderr and an exit code.
// The process entry is cordon's own `main` below, not Rust's runtime start
// (see `start`); unit tests keep the test harness's.
#![cfg_attr(not(test), no_main)]

use clap::{Parser, Subcommand};

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

/// The process entry, in place of Rust's runtime start, which on glibc
/// reads `/proc/self/maps` (through `pthread_getattr_np`) to place a guard
/// for the main thread's stack: with the rest of its set-up, the largest
/// cost left in the start of `cordon hook claude`, which Claude Code pays on
/// every tool call (docs/BENCHMARKS.md, hook). What the runtime does that
/// cordon needs is done here; the arguments come from `std::env::args_os`,
/// which glibc fills before `main`. A stack overflow is caught where cordon
/// decides (`fatal`'s own handlers and alternate stacks); elsewhere it ends
/// the process by SIGSEGV, without Rust's message.
#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    start();
    // As Rust's runtime: a panic that unwinds out of main is exit 101.
    let code = std::panic::catch_unwind(run).unwrap_or(101);
    // Rust's runtime flushes stdout at exit; a failed flush changes nothing.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    libc::c_int::from(code)
}

/// What Rust's runtime start does that cordon relies on: standard streams
/// that are closed are opened on /dev/null (so a file cordon opens never
/// becomes fd 1 and receives its output), and SIGPIPE is ignored (a write to
/// a closed pipe is an error, not death; `std::process::Command` still
/// restores it for the programs it starts).
#[cfg(not(test))]
fn start() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is three valid pollfd entries; a zero timeout does not block.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } >= 0;
    for p in fds {
        let closed = if polled {
            p.revents & libc::POLLNVAL != 0
        } else {
            // SAFETY: F_GETFD only reads the descriptor's flags.
            let bad = unsafe { libc::fcntl(p.fd, libc::F_GETFD) } == -1;
            bad && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
        };
        if closed {
            // SAFETY: opening /dev/null takes the lowest free descriptor, this one.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
    }
    // SAFETY: ignoring SIGPIPE installs no handler code.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// cordon's work: the exit status.
#[cfg_attr(test, allow(dead_code))]
fn run() -> u8 {
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
        Ok(code) => code,
        Err(f) => {
            eprintln!("cordon: {f}");
            f.code
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
