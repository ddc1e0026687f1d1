//! `cordon report`: the journal as one self-contained HTML page.
use crate::exit::{CmdResult, Failure};
use cordon_audit::{report, Journal};
use std::path::PathBuf;

/// Write a self-contained HTML report of the journal.
///
/// One page, no network fetches (inline CSS and SVG, a Content-Security-Policy
/// that forbids loading anything): decisions over time, the allow/ask/deny
/// split, prompts asked and avoided, blocked hosts and commands, taint events,
/// and the records themselves, each row linked by its sequence number. Its
/// numbers are those of `cordon audit stats` for the same selection.
///
/// Examples:
///   cordon report -o report.html
///   cordon report --session 3f2a... -o session.html
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Only this session.
    #[arg(long, value_name = "ID")]
    session: Option<String>,
    /// Only records at or after T (RFC 3339, a date, 30m / 2h / 7d ago, or @unix-seconds).
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Where to write the page.
    #[arg(short, long, value_name = "FILE", default_value = "cordon-report.html")]
    output: PathBuf,
    /// Do not verify the journal first (faster on very large journals).
    #[arg(long)]
    no_verify: bool,
}

pub fn main(args: Args) -> CmdResult {
    let dir = crate::paths::data_dir();
    let j = Journal::open_read_only(&dir).map_err(|e| Failure::usage(e.what).hint(e.fix))?;
    let since_ns = super::audit::since_arg(args.since.as_deref())?;
    let filter = cordon_audit::Filter {
        session: args.session.clone(),
        since_ns,
        ..Default::default()
    };
    let verify = if args.no_verify {
        None
    } else {
        let rep = j
            .verify()
            .map_err(|e| Failure::refuse(e.what).hint(e.fix))?;
        let line = rep
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        Some((rep.ok(), line))
    };
    let opts = report::Options {
        version: env!("CARGO_PKG_VERSION").to_string(),
        generated_ns: cordon_event::now_ns(),
        verify,
    };
    let (html, stats) =
        report::render(&j, &filter, &opts).map_err(|e| Failure::refuse(e.what).hint(e.fix))?;
    std::fs::write(&args.output, html).map_err(|e| {
        Failure::usage(format!("{}: cannot write: {e}", args.output.display()))
            .hint("choose a writable path with -o")
    })?;
    eprintln!(
        "cordon: wrote {} ({} records, {} decisions: {} allow, {} ask, {} deny)",
        args.output.display(),
        stats.records,
        stats.decisions.total(),
        stats.decisions.allow,
        stats.decisions.ask,
        stats.decisions.deny
    );
    Ok(0)
}
