//! `cordon mcp approve NAME`: show what changed since the pins, and approve it.

use crate::exit::{CmdResult, Failure};
use cordon_event::{Event, Source};
use cordon_mcp::pin::Pins;
use serde_json::json;
use std::io::{BufRead, IsTerminal, Write};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The server's name, as given to `cordon mcp --name`.
    name: String,
    /// Approve without asking (needed when stdin is not a terminal).
    #[arg(long, short)]
    yes: bool,
    /// Do not write the journal.
    #[arg(long)]
    no_journal: bool,
}

pub fn main(args: Args) -> CmdResult {
    super::check_name(&args.name)?;
    let path = super::pins_path(&args.name);
    let pins = Pins::load(&path).map_err(Failure::usage)?;
    if pins.pending.is_empty() {
        println!(
            "{}: nothing waits for approval ({})",
            args.name,
            path.display()
        );
        return Ok(0);
    }
    let mut out = std::io::stdout().lock();
    let mut diffs = serde_json::Map::new();
    for key in pins.pending.keys() {
        let d = pins.diff(key).unwrap_or_default();
        let what = if pins.items.contains_key(key) {
            "changed"
        } else {
            "new"
        };
        let _ = writeln!(out, "{key} ({what}):\n{d}");
        diffs.insert(key.clone(), json!(d));
    }
    drop(out);
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(
                Failure::usage("not approved: no terminal to ask on").hint(format!(
                    "read the diff above, then run `cordon mcp approve {} --yes`",
                    args.name
                )),
            );
        }
        eprint!(
            "approve these {} item(s) of {}? [y/N] ",
            pins.pending.len(),
            args.name
        );
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            println!("not approved");
            return Ok(1);
        }
    }
    let sink = crate::cmd::audit::journal_sink(args.no_journal)?;
    // Approved under the pins' lock, as shown: an item that changed again
    // since the diff was printed stays pending.
    let shown = pins.pending.clone();
    let (_, keys) = Pins::update(&path, |now| {
        let keys: Vec<String> = shown
            .iter()
            .filter(|(k, p)| now.pending.get(*k) == Some(p))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            if let Some(p) = now.pending.remove(k) {
                now.items.insert(k.clone(), p);
            }
        }
        keys
    })
    .map_err(Failure::refuse)?;
    sink.emit(
        Event::new(
            Source::Mcp,
            "mcp.approve",
            format!("mcp-approve-{}", std::process::id()),
        )
        .with(json!({"server": args.name, "items": keys, "diffs": diffs})),
    );
    println!("approved {} item(s) of {}", keys.len(), args.name);
    Ok(0)
}
