//! `cordon scan`: screen untrusted text for prompt injection (issue #7).
//!
//! A thin front end over `cordon-scan`: read a file, stdin or a JSONL batch, print
//! verdicts, and exit with a status that says the worst level seen (like grep).
use crate::exit::{CmdResult, Failure};
use crate::settings::{self, Entry, Item, Layer, Load, Settings};
use cordon_scan::{Level, Screen, Thresholds, Verdict};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// Exit status when the worst text was suspicious.
pub const EXIT_SUSPICIOUS: u8 = 1;
/// Exit status when the worst text was injected.
pub const EXIT_INJECTED: u8 = 3;

/// Screen untrusted text (web pages, tool outputs, files) for prompt injection.
///
/// Prints a verdict (clean, suspicious or injected), a score from 0 to 1, and the
/// spans that drove it with the reason and the layer that found each
/// (normalise: hidden text; structure: injection phrasing; model: learned).
///
/// Examples:
///
///   curl -s https://example.org/page.html | cordon scan
///   cordon scan --json tool-output.txt
///   cordon scan --batch outputs.jsonl > verdicts.jsonl
///
/// Exit status: 0 clean, 1 suspicious, 3 injected (the worst text in a batch),
/// 2 bad usage or malformed input, 125 cordon failed. Thresholds come from the
/// [scan] section of the config (suspicious_threshold, injected_threshold) or
/// the flags below.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// File to screen; `-` or nothing reads stdin. Streams: large files use bounded memory.
    #[arg(value_name = "FILE|-")]
    input: Option<PathBuf>,
    /// Print the verdict as one JSON object ({"score","level","findings","layers"}).
    #[arg(long)]
    json: bool,
    /// Read JSONL, one {"text": "..."} per line, and print one JSON verdict per
    /// line in the same order (a blank line is screened as empty text, so output
    /// line N always answers input line N).
    #[arg(long)]
    batch: bool,
    /// Score from which text is suspicious (default 0.5, or [scan] suspicious_threshold).
    #[arg(long, value_name = "SCORE")]
    suspicious: Option<f64>,
    /// Score from which text is injected (default 0.8, or [scan] injected_threshold).
    #[arg(long, value_name = "SCORE")]
    injected: Option<f64>,
    /// Print nothing; only the exit status tells the verdict.
    #[arg(long, short)]
    quiet: bool,
    /// Extra config file, layered over the user's (thresholds in [scan]).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub fn main(args: Args) -> CmdResult {
    let th = thresholds(&args)?;
    let screen = Screen::new(th);
    let name = match &args.input {
        None => "-".to_string(),
        Some(p) => p.display().to_string(),
    };
    let from_stdin = args.input.as_deref().is_none_or(|p| p == Path::new("-"));
    if from_stdin && std::io::IsTerminal::is_terminal(&std::io::stdin()) && !args.quiet {
        eprintln!(
            "cordon: reading the text to screen from stdin (end with Ctrl-D, or pass a FILE)"
        );
    }
    let reader: Box<dyn Read> = match &args.input {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p == Path::new("-") => Box::new(std::io::stdin().lock()),
        Some(p) => Box::new(std::fs::File::open(p).map_err(|e| {
            Failure::usage(format!("{}: cannot open: {e}", p.display()))
                .hint("check the path, or pass - to read stdin")
        })?),
    };
    let mut out = std::io::stdout().lock();
    let worst = if args.batch {
        batch(&screen, reader, &name, &mut out, args.quiet)?
    } else {
        let v = screen.screen_reader(reader).map_err(|e| {
            Failure::usage(format!("{name}: cannot read: {e}")).hint("check the input")
        })?;
        if !args.quiet {
            let r = if args.json {
                serde_json::to_writer(&mut out, &v)
                    .map_err(std::io::Error::other)
                    .and_then(|_| writeln!(out))
            } else {
                human(&mut out, &v)
            };
            r.map_err(write_failed)?;
        }
        v.level
    };
    out.flush().map_err(write_failed)?;
    Ok(match worst {
        Level::Clean => 0,
        Level::Suspicious => EXIT_SUSPICIOUS,
        Level::Injected => EXIT_INJECTED,
    })
}

fn write_failed(e: std::io::Error) -> Failure {
    Failure::refuse(format!("cannot write the verdict: {e}"))
}

/// Thresholds from flags, else the config's [scan] section, else the built-in ones.
fn thresholds(args: &Args) -> Result<Thresholds, Failure> {
    let cwd = std::env::current_dir().ok();
    let mut flags = Vec::new();
    for (flag, v, item) in [
        (
            "--suspicious",
            args.suspicious,
            Item::Suspicious as fn(f32) -> Item,
        ),
        ("--injected", args.injected, Item::Injected),
    ] {
        if let Some(v) = v {
            let v = settings::score(v).map_err(|m| {
                Failure::usage(format!("{flag}: {m}")).hint("use a value such as 0.5")
            })?;
            flags.push(Entry::flag(flag, item(v)));
        }
    }
    let cfg = Settings::load(Load {
        config: args.config.as_deref(),
        workspace: cwd.as_deref(),
        flags,
    })?;
    cfg.print_warnings();
    let (s, i) = (&cfg.scan.suspicious, &cfg.scan.injected);
    if s.value > i.value {
        // A project file that lowers `injected` below `suspicious` narrows both.
        if i.layer == Layer::Project {
            return Ok(Thresholds {
                suspicious: i.value,
                injected: i.value,
            });
        }
        return Err(Failure::usage(format!(
            "the suspicious threshold ({}, {}) is above the injected threshold ({}, {})",
            s.value, s.place, i.value, i.place
        ))
        .hint("make suspicious ≤ injected"));
    }
    Ok(Thresholds {
        suspicious: s.value,
        injected: i.value,
    })
}

#[derive(serde::Deserialize)]
struct BatchLine {
    text: String,
}

fn batch(
    screen: &Screen,
    reader: Box<dyn Read>,
    name: &str,
    out: &mut impl Write,
    quiet: bool,
) -> Result<Level, Failure> {
    let mut worst = Level::Clean;
    let mut r = BufReader::new(reader);
    let mut line = String::new();
    let mut n = 0usize;
    loop {
        line.clear();
        n += 1;
        let got = r.read_line(&mut line).map_err(|e| {
            Failure::usage(format!("{name}:{n}: cannot read: {e}"))
                .hint("batch input must be UTF-8 JSONL")
        })?;
        if got == 0 {
            break;
        }
        let rec: BatchLine = if line.trim().is_empty() {
            BatchLine {
                text: String::new(),
            }
        } else {
            serde_json::from_str(&line).map_err(|e| {
                Failure::usage(format!(
                    "{name}:{n}: not a JSON object with a \"text\" string: {e}"
                ))
                .hint("write one {\"text\": \"...\"} object per line")
            })?
        };
        let v = screen.screen(&rec.text);
        worst = worst.max(v.level);
        if !quiet {
            serde_json::to_writer(&mut *out, &v)
                .map_err(std::io::Error::other)
                .and_then(|_| writeln!(out))
                .map_err(write_failed)?;
        }
    }
    Ok(worst)
}

/// The human-readable verdict: one summary line, then one line per finding.
fn human(out: &mut impl Write, v: &Verdict) -> std::io::Result<()> {
    writeln!(
        out,
        "{}  score {:.2}  (normalise {:.2}, structure {:.2}, model {:.2})",
        v.level, v.score, v.layers.normalise, v.layers.structure, v.layers.model
    )?;
    for f in &v.findings {
        writeln!(
            out,
            "  bytes {}..{}  [{}] {}\n      \"{}\"",
            f.start, f.end, f.layer, f.reason, f.excerpt
        )?;
    }
    Ok(())
}
