//! `cordon audit`: inspect, verify, checkpoint, export and prune the journal.
//!
//! The journal lives in cordon's data directory (`cordon audit path`), which
//! every sandbox hides. Other commands open it through [`open_journal`] or
//! [`journal_sink`], which fail closed with one clear line.
use crate::exit::{CmdResult, Failure};
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use cordon_audit::{
    checkpoint, export, stats::Collector, AuditError, ErrorKind, Filter, Journal, Record, Retention,
};
use cordon_event::{Event, EventSink, NullSink, Source};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Inspect and verify the tamper-evident audit journal.
///
/// Every decision, block and approval that cordon makes is appended to a
/// hash-chained journal in cordon's data directory (CORDON_DATA_DIR, else
/// $XDG_DATA_HOME/cordon, else ~/.local/share/cordon). `cordon audit verify`
/// detects any edited, deleted, inserted or reordered record and names the
/// first bad sequence number.
///
/// Examples:
///   cordon audit list --session S --kind net --since 2h
///   cordon audit tail -f
///   cordon audit stats
///   cordon audit verify
///   cordon audit checkpoint > cp.txt   # later: cordon audit verify --checkpoint cp.txt
///   cordon audit export --format otlp --url http://127.0.0.1:4318/v1/logs
#[derive(ClapArgs, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print the journal database's path.
    Path,
    /// Check the hash chain, prune records, head anchor and stored checkpoint.
    ///
    /// Exit status: 0 intact, 1 tampering found (the first bad seq is named),
    /// 125 the journal cannot be read.
    Verify(VerifyArgs),
    /// Sign the journal's head with the journal's Ed25519 key (C2SP signed note).
    ///
    /// Prints the checkpoint and stores it as `checkpoint` beside the journal.
    /// Keep a copy elsewhere: `cordon audit verify --checkpoint FILE` later proves
    /// the journal still extends it. The verifier key is in `audit.pub`.
    Checkpoint,
    /// List records, oldest first.
    List(ListArgs),
    /// Print one record in full.
    Show(ShowArgs),
    /// Print the last records, and with -f keep printing new ones.
    Tail(TailArgs),
    /// Decisions by kind, allow/ask/deny, prompts asked vs avoided, top blocked hosts and commands.
    Stats(StatsArgs),
    /// Write records as JSON Lines or OpenTelemetry logs (OTLP/HTTP JSON).
    ///
    /// The journal stays the record of truth: collectors may drop data under load.
    Export(ExportArgs),
    /// Remove whole sessions by age or size, keeping the chain verifiable.
    ///
    /// Defaults come from [audit] max_age_days / max_size in the user config.
    Prune(PruneArgs),
    /// Append events read from stdin, one JSON object per line (for scripts and tests).
    ///
    /// Each line is either a whole event ({"session","source","kind","payload"[,"time_ns"]})
    /// or, with --kind, just the payload.
    Append(AppendArgs),
}

#[derive(ClapArgs, Debug, Default, Clone)]
struct Select {
    /// Only this session.
    #[arg(long, value_name = "ID")]
    session: Option<String>,
    /// Only this kind, or every kind under it (`net` matches `net.connect`; `hook.pre*` is a prefix).
    #[arg(long, value_name = "K")]
    kind: Option<String>,
    /// Only records at or after T: RFC 3339 (2026-11-24T05:00:00Z), a date, a duration ago (30m, 2h, 7d) or @unix-seconds.
    #[arg(long, value_name = "T")]
    since: Option<String>,
}

impl Select {
    fn filter(&self) -> Result<Filter, Failure> {
        Ok(Filter {
            session: self.session.clone(),
            kind: self.kind.clone(),
            since_ns: since_arg(self.since.as_deref())?,
            ..Default::default()
        })
    }
}

/// Parse a `--since` value (see [`cordon_audit::time::parse_since`]).
pub fn since_arg(since: Option<&str>) -> Result<Option<u64>, Failure> {
    let Some(t) = since else {
        return Ok(None);
    };
    cordon_audit::time::parse_since(t, cordon_event::now_ns())
        .map(Some)
        .ok_or_else(|| {
            Failure::usage(format!("--since {t:?}: not a time"))
                .hint("use 2026-11-24T05:00:00Z, 2026-11-24, 30m, 2h, 7d or @1795496400")
        })
}

#[derive(ClapArgs, Debug)]
struct VerifyArgs {
    /// Also check that the journal extends this earlier checkpoint.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Verifier key for --checkpoint (text or a file holding it); default: the journal's audit.pub.
    #[arg(long, value_name = "VKEY|FILE")]
    key: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
struct ListArgs {
    #[command(flatten)]
    select: Select,
    /// Only the last N matching records.
    #[arg(long, value_name = "N")]
    last: Option<usize>,
    /// One JSON object per line (with hashes).
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
struct ShowArgs {
    /// The record's sequence number.
    seq: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
struct TailArgs {
    #[command(flatten)]
    select: Select,
    /// Keep printing records as they are appended (Ctrl-C stops).
    #[arg(short, long)]
    follow: bool,
    /// How many records to print first.
    #[arg(short = 'n', long, default_value_t = 10)]
    lines: usize,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs, Debug)]
struct StatsArgs {
    #[command(flatten)]
    select: Select,
    /// Print JSON (the numbers `cordon report` shows).
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// One journal record per line, with hashes.
    Jsonl,
    /// OpenTelemetry logs, OTLP/HTTP JSON (ExportLogsServiceRequest).
    Otlp,
}

#[derive(ClapArgs, Debug)]
struct ExportArgs {
    #[command(flatten)]
    select: Select,
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// POST OTLP to this collector endpoint (e.g. http://127.0.0.1:4318/v1/logs) instead of writing.
    #[arg(long, value_name = "URL", conflicts_with = "output")]
    url: Option<String>,
}

#[derive(ClapArgs, Debug)]
struct PruneArgs {
    /// Remove sessions whose last record is older than this many days.
    #[arg(long, value_name = "DAYS")]
    max_age_days: Option<u64>,
    /// Remove the oldest sessions while the journal is larger than this (e.g. 500M).
    #[arg(long, value_name = "SIZE")]
    max_size: Option<String>,
    /// Say what would be removed, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Read [audit] from this config file too.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(ClapArgs, Debug)]
struct AppendArgs {
    /// Session for payload-only lines.
    #[arg(long, default_value = "cli")]
    session: String,
    /// Source for payload-only lines: sandbox, proxy, policy, hook, mcp, scan, cli.
    #[arg(long, default_value = "cli")]
    source: String,
    /// Kind for payload-only lines; without it every line must be a whole event.
    #[arg(long)]
    kind: Option<String>,
    /// Events per transaction.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Print each committed sequence number on stdout (after the commit).
    #[arg(long)]
    print_seq: bool,
}

/// The data directory's journal directory.
pub fn journal_dir() -> PathBuf {
    crate::paths::data_dir()
}

fn failure(e: AuditError) -> Failure {
    let code = match e.kind {
        ErrorKind::Invalid => crate::exit::USAGE,
        _ => crate::exit::REFUSED,
    };
    Failure::with_code(code, e.what).hint(e.fix)
}

/// Open the journal for writing. Fails closed: the message says what is wrong
/// and how to fix it, and mentions `--no-journal` for commands that offer it.
#[allow(dead_code)] // for `cordon run`, the hook and the MCP gateway to call
pub fn open_journal() -> Result<Journal, Failure> {
    // `cordon run` and the gateways are the journal's writers between hook
    // calls: keep the write-ahead log short for everyone (each opener reads
    // the whole WAL; see Journal::open_short_lived).
    Journal::open_short_lived(&journal_dir()).map_err(|e| {
        Failure::refuse(e.what).hint(format!("{}; or pass --no-journal to run unaudited", e.fix))
    })
}

/// The sink a command records into: the journal, or (only when the user
/// explicitly accepted running unaudited) a sink that drops everything, with
/// one warning line on stderr.
#[allow(dead_code)] // for `cordon run`, the hook and the MCP gateway to call
pub fn journal_sink(unaudited_ok: bool) -> Result<Box<dyn EventSink>, Failure> {
    if unaudited_ok {
        eprintln!("cordon: warning: running unaudited (--no-journal): nothing is recorded");
        return Ok(Box::new(NullSink));
    }
    Ok(Box::new(open_journal()?))
}

/// Apply the `[audit]` retention settings if they were not applied in the
/// last hour (for `cordon run` to call at start; cheap when not due).
pub fn apply_retention(
    j: &Journal,
    audit: &crate::settings::Audit,
) -> Result<Option<cordon_audit::PruneReport>, Failure> {
    let max_size = audit.max_size.as_ref().map(|s| s.value);
    let retention = Retention {
        max_age_ns: audit
            .max_age_days
            .as_ref()
            .map(|d| d.value.saturating_mul(86_400_000_000_000)),
        max_size,
    };
    j.prune_if_due(&retention, cordon_event::now_ns(), 3_600_000_000_000)
        .map_err(failure)
}

fn open_ro() -> Result<Journal, Failure> {
    Journal::open_read_only(&journal_dir()).map_err(failure)
}

pub fn main(args: Args) -> CmdResult {
    match args.command {
        Cmd::Path => {
            println!("{}", journal_dir().join("journal.db").display());
            Ok(0)
        }
        Cmd::Verify(a) => verify(a),
        Cmd::Checkpoint => {
            let j = Journal::open(&journal_dir()).map_err(failure)?;
            let note = checkpoint::create(&j).map_err(failure)?;
            print!("{note}");
            eprintln!(
                "cordon: checkpoint stored in {}; verifier key in {}",
                j.dir().join(checkpoint::CHECKPOINT_FILE).display(),
                j.dir().join(checkpoint::PUB_FILE).display()
            );
            Ok(0)
        }
        Cmd::List(a) => {
            let j = open_ro()?;
            let mut f = a.select.filter()?;
            f.last = a.last;
            let mut out = BufWriter::new(std::io::stdout().lock());
            let mut n = 0u64;
            j.for_each(&f, |r| {
                n += 1;
                print_record(&mut out, &r, a.json);
                Ok(())
            })
            .map_err(failure)?;
            let _ = out.flush();
            if n == 0 && !a.json {
                eprintln!("cordon: no matching records");
            }
            Ok(0)
        }
        Cmd::Show(a) => {
            let j = open_ro()?;
            match j.get(a.seq).map_err(failure)? {
                Some(r) => {
                    show(&r, a.json);
                    Ok(0)
                }
                None if j.is_pruned(a.seq).map_err(failure)? => Err(Failure::with_code(
                    1,
                    format!(
                        "record {} was removed by retention (`cordon audit prune`)",
                        a.seq
                    ),
                )),
                None => Err(Failure::with_code(1, format!("no record {}", a.seq))
                    .hint("`cordon audit list --last 20` shows the latest sequence numbers")),
            }
        }
        Cmd::Tail(a) => tail(a),
        Cmd::Stats(a) => {
            let j = open_ro()?;
            let stats = collect_stats(&j, &a.select.filter()?)?;
            if a.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&stats).unwrap_or_default()
                );
            } else {
                print_stats(&stats);
            }
            Ok(0)
        }
        Cmd::Export(a) => export_cmd(a),
        Cmd::Prune(a) => prune(a),
        Cmd::Append(a) => append(a),
    }
}

/// Statistics over the records matching `filter` (what `cordon report` shows too).
pub fn collect_stats(j: &Journal, filter: &Filter) -> Result<cordon_audit::stats::Stats, Failure> {
    let mut c = Collector::new();
    j.for_each(filter, |r| {
        c.add(&r);
        Ok(())
    })
    .map_err(failure)?;
    Ok(c.finish(cordon_audit::report::TOP))
}

fn verify(a: VerifyArgs) -> CmdResult {
    let j = match Journal::open_read_only(&journal_dir()) {
        Ok(j) => j,
        // A deleted or replaced database is a finding, not a failure to run.
        Err(e) if e.kind == ErrorKind::Corrupt => {
            if a.json {
                let v = serde_json::json!({"ok": false, "first_bad_seq": 1, "lines": [format!("TAMPERED: {e}")]});
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                println!("TAMPERED: {e}");
            }
            return Ok(1);
        }
        Err(e) => return Err(failure(e)),
    };
    let rep = j.verify().map_err(failure)?;
    let mut ok = rep.ok();
    let mut lines = vec![rep.to_string()];
    let mut check = |what: &str, note: &str, key: Option<&str>| -> Result<(), Failure> {
        use checkpoint::Relation::*;
        match checkpoint::check(&j, note, key) {
            Ok(Extends { size, head }) => lines.push(format!(
                "{what}: ok, the journal (head {head}) extends the checkpoint at {size}"
            )),
            Ok(Pruned { size }) => lines.push(format!(
                "{what}: record {size} was pruned by retention; the checkpoint cannot be compared"
            )),
            Ok(Rewritten { size }) => {
                ok = false;
                lines.push(format!(
                    "{what}: TAMPERED: record {size} differs from the signed checkpoint: history was rewritten"
                ));
            }
            Ok(Shorter { size, head }) => {
                ok = false;
                lines.push(format!(
                    "{what}: TAMPERED: the checkpoint covers {size} records but the journal ends at {head}: records were removed or an older copy restored"
                ));
            }
            Err(e) if e.kind == ErrorKind::Invalid => {
                ok = false;
                lines.push(format!("{what}: FAILED: {}", e.what));
            }
            Err(e) => return Err(failure(e)),
        }
        Ok(())
    };
    let stored = j.dir().join(checkpoint::CHECKPOINT_FILE);
    if let Ok(note) = std::fs::read_to_string(&stored) {
        check("stored checkpoint", &note, None)?;
    }
    if let Some(path) = &a.checkpoint {
        let note = std::fs::read_to_string(path).map_err(|e| {
            Failure::usage(format!("{}: cannot read: {e}", path.display()))
                .hint("give the file `cordon audit checkpoint` printed")
        })?;
        let key = match &a.key {
            Some(k) if Path::new(k).is_file() => Some(
                std::fs::read_to_string(k)
                    .map_err(|e| Failure::usage(format!("{k}: cannot read: {e}")))?,
            ),
            Some(k) => Some(k.clone()),
            None => None,
        };
        check(
            &format!("checkpoint {}", path.display()),
            &note,
            key.as_deref(),
        )?;
    }
    if a.json {
        let v = serde_json::json!({
            "ok": ok,
            "first_bad_seq": rep.first_bad(),
            "report": rep,
            "lines": lines,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        for l in &lines {
            println!("{l}");
        }
    }
    Ok(if ok { 0 } else { 1 })
}

fn print_record(out: &mut impl Write, r: &Record, json: bool) {
    if json {
        let _ = writeln!(out, "{}", r.to_json());
        return;
    }
    let d = cordon_audit::stats::classify(r)
        .decision
        .map(|d| d.as_str())
        .unwrap_or("-");
    let _ = writeln!(
        out,
        "{:>7}  {}  {:<16} {:<7} {:<24} {:<5}  {}",
        r.seq,
        cordon_audit::time::rfc3339(r.time_ns),
        clip(&r.session, 16),
        r.source,
        clip(&r.kind, 24),
        d,
        cordon_audit::report::summary(r).replace('\n', " ")
    );
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn show(r: &Record, json: bool) {
    let intact = r.computed_hash() == r.hash;
    if json {
        let mut v = r.to_json();
        v["hash_matches_content"] = serde_json::json!(intact);
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    println!("seq        {}", r.seq);
    println!(
        "time       {} ({} ns)",
        cordon_audit::time::rfc3339(r.time_ns),
        r.time_ns
    );
    println!("session    {}", r.session);
    println!("source     {}", r.source);
    println!("kind       {}", r.kind);
    println!("prev_hash  {}", cordon_audit::hex(&r.prev_hash));
    println!(
        "hash       {}{}",
        cordon_audit::hex(&r.hash),
        if intact {
            ""
        } else {
            "  (DOES NOT MATCH THE CONTENT: run `cordon audit verify`)"
        }
    );
    println!(
        "payload    {}",
        serde_json::to_string_pretty(&r.payload_json()).unwrap_or_default()
    );
}

fn tail(a: TailArgs) -> CmdResult {
    let j = open_ro()?;
    let mut f = a.select.filter()?;
    f.last = Some(a.lines);
    let printed = std::cell::Cell::new(0u64);
    let emit = |r: Record| {
        printed.set(printed.get().max(r.seq));
        let mut out = std::io::stdout().lock();
        print_record(&mut out, &r, a.json);
        out.flush().map_err(|e| {
            AuditError::new(
                ErrorKind::Io,
                format!("stdout: {e}"),
                "the reader went away",
            )
        })
    };
    let head0 = j.head().map_err(failure)?.map(|h| h.0).unwrap_or(0);
    j.for_each(&f, emit).map_err(failure)?;
    if !a.follow {
        return Ok(0);
    }
    f.last = None;
    let mut cursor = head0.max(printed.get());
    loop {
        std::thread::sleep(Duration::from_millis(200));
        // Everything up to `head` is committed before the query runs, so a
        // record is either printed now or has a larger seq than the new cursor.
        let head = j.head().map_err(failure)?.map(|h| h.0).unwrap_or(0);
        f.after_seq = Some(cursor);
        if let Err(e) = j.for_each(&f, emit) {
            if e.what.starts_with("stdout") {
                return Ok(0);
            }
            return Err(failure(e));
        }
        cursor = head.max(printed.get()).max(cursor);
    }
}

fn print_stats(s: &cordon_audit::stats::Stats) {
    println!(
        "records {}   sessions {}   {} .. {}",
        s.records,
        s.sessions,
        s.first_time.as_deref().unwrap_or("-"),
        s.last_time.as_deref().unwrap_or("-")
    );
    let d = s.decisions;
    let pct = |n: u64| {
        if d.total() == 0 {
            0.0
        } else {
            100.0 * n as f64 / d.total() as f64
        }
    };
    println!(
        "decisions {}: allow {} ({:.0}%)  ask {} ({:.0}%)  deny {} ({:.0}%)",
        d.total(),
        d.allow,
        pct(d.allow),
        d.ask,
        pct(d.ask),
        d.deny,
        pct(d.deny)
    );
    println!(
        "prompts: asked {}  avoided {}",
        s.prompts_asked, s.prompts_avoided
    );
    println!("taint events {}", s.taint_events);
    if !s.decisions_by_kind.is_empty() {
        println!("\ndecisions by kind           allow    ask   deny");
        for (k, v) in &s.decisions_by_kind {
            println!(
                "  {:<24} {:>6} {:>6} {:>6}",
                clip(k, 24),
                v.allow,
                v.ask,
                v.deny
            );
        }
    }
    for (title, list, total) in [
        ("hosts", &s.blocked_hosts, s.blocked_hosts_total),
        ("commands", &s.blocked_commands, s.blocked_commands_total),
    ] {
        if list.is_empty() {
            continue;
        }
        println!("\ntop blocked {title} ({total} distinct)");
        for t in list {
            println!(
                "  {:>6}  {}  (last: seq {})",
                t.count,
                clip(&t.name, 80),
                t.last_seq
            );
        }
    }
}

fn export_cmd(a: ExportArgs) -> CmdResult {
    let j = open_ro()?;
    let f = a.select.filter()?;
    let version = env!("CARGO_PKG_VERSION");
    if let Some(url) = &a.url {
        if !matches!(a.format, Format::Otlp) {
            return Err(Failure::usage("--url sends OpenTelemetry logs").hint("add --format otlp"));
        }
        let mut poster = export::Poster::new(url).map_err(failure)?;
        let mut batch = Vec::with_capacity(export::BATCH);
        let mut err = None;
        j.for_each(&f, |r| {
            batch.push(r);
            if batch.len() >= export::BATCH {
                poster.post(&batch, version)?;
                batch.clear();
            }
            Ok(())
        })
        .map_err(|e| err.insert(failure(e)).clone())?;
        poster.post(&batch, version).map_err(failure)?;
        let s = poster.summary;
        eprintln!(
            "cordon: exported {} records in {} requests to {url}{}",
            s.records,
            s.requests,
            if s.rejected > 0 {
                format!("; the collector rejected {}", s.rejected)
            } else {
                String::new()
            }
        );
        return Ok(if s.rejected > 0 { 1 } else { 0 });
    }
    let mut out: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(BufWriter::new(std::fs::File::create(p).map_err(|e| {
            Failure::usage(format!("{}: cannot write: {e}", p.display()))
                .hint("choose a writable output path")
        })?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let write_err = |e: std::io::Error| {
        AuditError::new(
            ErrorKind::Io,
            format!("export: cannot write: {e}"),
            "check the output path and free space",
        )
    };
    match a.format {
        Format::Jsonl => {
            j.for_each(&f, |r| writeln!(out, "{}", r.to_json()).map_err(write_err))
                .map_err(failure)?;
        }
        Format::Otlp => {
            // One ExportLogsServiceRequest (a file a collector or `curl` can
            // POST as is), streamed: the envelope around the log records.
            let empty = export::otlp_request(&[], version).to_string();
            let (head, tail) = empty
                .split_once("\"logRecords\":[]")
                .expect("the envelope has a logRecords array");
            write!(out, "{head}\"logRecords\":[").map_err(|e| failure(write_err(e)))?;
            let mut first = true;
            j.for_each(&f, |r| {
                let sep = if std::mem::take(&mut first) { "" } else { "," };
                write!(out, "{sep}{}", export::log_record(&r)).map_err(write_err)
            })
            .map_err(failure)?;
            writeln!(out, "]{tail}").map_err(|e| failure(write_err(e)))?;
        }
    }
    out.flush().map_err(|e| failure(write_err(e)))?;
    Ok(0)
}

fn prune(a: PruneArgs) -> CmdResult {
    use crate::settings::{self, Entry, Item, Key, Load, Settings};
    let mut flags: Vec<Entry> = a
        .max_age_days
        .map(|d| Entry::flag("--max-age-days", Item::MaxAgeDays(d)))
        .into_iter()
        .collect();
    if let Some(m) = &a.max_size {
        flags.push(settings::size_flag(
            "--max-size",
            m,
            Item::MaxSize,
            Key::MaxSize,
        )?);
    }
    let cfg = Settings::load(Load {
        config: a.config.as_deref(),
        workspace: None,
        flags,
    })?;
    let days = cfg.audit.max_age_days.as_ref().map(|d| d.value);
    let max_size = cfg.audit.max_size.as_ref().map(|s| s.value);
    if days.is_none() && max_size.is_none() {
        return Err(Failure::usage("nothing to prune by: no max age or size given")
            .hint("pass --max-age-days N or --max-size SIZE, or set [audit] max_age_days / max_size in your config"));
    }
    let j = Journal::open(&journal_dir()).map_err(failure)?;
    let r = j
        .prune(
            &Retention {
                max_age_ns: days.map(|d| d.saturating_mul(86_400_000_000_000)),
                max_size,
            },
            cordon_event::now_ns(),
            a.dry_run,
        )
        .map_err(failure)?;
    let verb = if a.dry_run { "would remove" } else { "removed" };
    println!(
        "{verb} {} records of {} sessions{}; size {} -> {} bytes",
        r.records,
        r.sessions.len(),
        r.prune_seq
            .map(|s| format!(" (prune record seq {s})"))
            .unwrap_or_default(),
        r.size_before,
        r.size_after
    );
    for s in &r.sessions {
        println!("  {s}");
    }
    Ok(0)
}

fn append(a: AppendArgs) -> CmdResult {
    let source: Source = serde_json::from_value(serde_json::json!(a.source)).map_err(|_| {
        Failure::usage(format!("--source {:?}: unknown source", a.source))
            .hint("use sandbox, proxy, policy, hook, mcp, scan or cli")
    })?;
    let j = Journal::open(&journal_dir()).map_err(|e| Failure::refuse(e.what).hint(e.fix))?;
    let stdin = std::io::stdin();
    let mut pending: Vec<Event> = Vec::with_capacity(a.batch.max(1));
    let mut out = std::io::stdout().lock();
    let mut flush = |pending: &mut Vec<Event>| -> Result<(), Failure> {
        let seqs = j
            .append_batch(pending)
            .map_err(|e| Failure::refuse(e.what).hint(e.fix))?;
        pending.clear();
        if a.print_seq {
            for s in seqs {
                let _ = writeln!(out, "{s}");
            }
            let _ = out.flush();
        }
        Ok(())
    };
    for (i, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| Failure::usage(format!("stdin: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |e: serde_json::Error| {
            Failure::usage(format!("stdin:{}: {e}", i + 1))
                .hint("one JSON object per line: a whole event, or a payload with --kind")
        };
        let ev = match &a.kind {
            Some(k) => Event::new(source, k.clone(), a.session.clone())
                .with(serde_json::from_str(&line).map_err(bad)?),
            None => {
                let mut v: serde_json::Value = serde_json::from_str(&line).map_err(bad)?;
                if v.get("time_ns").is_none() {
                    v["time_ns"] = serde_json::json!(cordon_event::now_ns());
                }
                if v.get("payload").is_none() {
                    v["payload"] = serde_json::json!({});
                }
                serde_json::from_value(v).map_err(bad)?
            }
        };
        pending.push(ev);
        if pending.len() >= a.batch.max(1) {
            flush(&mut pending)?;
        }
    }
    if !pending.is_empty() {
        flush(&mut pending)?;
    }
    Ok(0)
}
