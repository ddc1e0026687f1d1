//! `cordon report`: one self-contained HTML page (inline CSS, inline SVG
//! charts, one small inline script; no network fetches, enforced by a
//! Content-Security-Policy that allows nothing from outside the page).
//!
//! Everything shown from the journal is escaped: payloads are written by
//! agents and may hold markup. The page's numbers come from the same
//! [`crate::stats::Collector`] as `cordon audit stats`, and every number a
//! test may compare carries a `data-stat` attribute.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let j = cordon_audit::Journal::open(dir.path()).unwrap();
//! j.append(&cordon_event::Event::new(cordon_event::Source::Hook, "hook.pre_tool_use", "s")
//!     .with(serde_json::json!({"decision": "deny", "command": "<b>rm</b>"}))).unwrap();
//! let (html, stats) = cordon_audit::report::render(&j, &Default::default(), &Default::default()).unwrap();
//! assert_eq!(stats.decisions.deny, 1);
//! assert!(html.contains("&lt;b&gt;rm&lt;/b&gt;") && !html.contains("<b>rm"));
//! ```
use crate::stats::{Collector, Decision, Stats, Top};
use crate::{time::rfc3339, AuditError, Filter, Journal, Record};
use base64::Engine;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;

/// Rows kept in the records table (the most recent ones, plus every record a link points to).
pub const MAX_ROWS: usize = 2000;
/// Buckets in the decisions-over-time chart.
const BUCKETS: usize = 40;
/// Entries in the top lists (same as `cordon audit stats`).
pub const TOP: usize = 10;

/// What the page says about itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// cordon's version, shown in the footer.
    pub version: String,
    /// When the report was made (ns since the epoch); 0 = unknown.
    pub generated_ns: u64,
    /// The result of `cordon audit verify`, if it was run: (ok, one-line summary).
    pub verify: Option<(bool, String)>,
}

const SCRIPT: &str = r#"(function(){
var input=document.getElementById('filter');
var rows=Array.prototype.slice.call(document.querySelectorAll('#records tbody tr'));
var shown=document.getElementById('shown');
function apply(){var q=input.value.toLowerCase();var n=0;
rows.forEach(function(r){var hit=!q||r.textContent.toLowerCase().indexOf(q)>=0;r.hidden=!hit;if(hit)n++;});
shown.textContent=String(n);}
input.addEventListener('input',apply);apply();
document.documentElement.setAttribute('data-rendered','yes');
})();"#;

const STYLE: &str = "
:root{--allow:#2e7d32;--ask:#f9a825;--deny:#c62828;--taint:#6a1b9a;--fg:#1d1d1f;--muted:#666;--line:#ddd}
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.muted{color:var(--muted)}.ok{color:var(--allow)}.bad{color:var(--deny);font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:24px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#fafafa}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,monospace;word-break:break-all}
.d-allow{color:var(--allow)}.d-ask{color:#a66f00}.d-deny{color:var(--deny);font-weight:600}
tr:target{background:#fff8c4}svg{display:block;max-width:100%}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
input#filter{padding:4px 8px;width:320px;margin:4px 0 8px}
";

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// A one-line summary of a record's payload for tables.
pub fn summary(r: &Record) -> String {
    let p = r.payload_json();
    let mut parts = Vec::new();
    for f in [
        "tool", "command", "host", "port", "path", "url", "verdict", "rule", "reasons",
    ] {
        match &p[f] {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => parts.push(format!("{f}={s}")),
            v => parts.push(format!("{f}={v}")),
        }
    }
    if parts.is_empty() {
        clip(&r.payload, 160)
    } else {
        clip(&parts.join(" "), 160)
    }
}

/// Render the report for the records matching `filter`; also returns the statistics shown.
pub fn render(
    journal: &Journal,
    filter: &Filter,
    opts: &Options,
) -> Result<(String, Stats), AuditError> {
    let mut collector = Collector::new();
    let mut recent: VecDeque<Record> = VecDeque::new();
    let mut taint: VecDeque<Record> = VecDeque::new();
    let mut points: Vec<(u64, Decision)> = Vec::new();
    journal.for_each(filter, |r| {
        let c = collector.add(&r);
        if let Some(d) = c.decision {
            points.push((r.time_ns, d));
        }
        if c.taint {
            taint.push_back(r.clone());
            if taint.len() > 200 {
                taint.pop_front();
            }
        }
        recent.push_back(r);
        if recent.len() > MAX_ROWS {
            recent.pop_front();
        }
        Ok(())
    })?;
    let stats = collector.finish(TOP);
    // Every linked record must be in the table.
    let mut rows: BTreeMap<u64, Record> = recent.into_iter().map(|r| (r.seq, r)).collect();
    let linked: Vec<u64> = stats
        .blocked_hosts
        .iter()
        .chain(&stats.blocked_commands)
        .map(|t| t.last_seq)
        .chain(taint.iter().map(|r| r.seq))
        .collect();
    for seq in linked {
        if let std::collections::btree_map::Entry::Vacant(e) = rows.entry(seq) {
            if let Some(r) = journal.get(seq)? {
                e.insert(r);
            }
        }
    }

    let script_hash =
        base64::engine::general_purpose::STANDARD.encode(crate::canon::sha256(SCRIPT.as_bytes()));
    let mut h = String::with_capacity(64 * 1024 + rows.len() * 400);
    let title = match &filter.session {
        Some(s) => format!("cordon audit report: session {s}"),
        None => "cordon audit report".to_string(),
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; img-src data:\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let range = match (&stats.first_time, &stats.last_time) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no records".into(),
    };
    let _ = writeln!(
        h,
        "<p class=\"muted\">Journal <code>{}</code> · {} · generated {}</p>",
        esc(journal.id()),
        esc(&range),
        if opts.generated_ns > 0 {
            rfc3339(opts.generated_ns)
        } else {
            "-".into()
        }
    );
    if let Some((ok, text)) = &opts.verify {
        let _ = writeln!(
            h,
            "<p id=\"verify\" data-ok=\"{ok}\" class=\"{}\">Integrity: {}</p>",
            if *ok { "ok" } else { "bad" },
            esc(text)
        );
    }

    // Cards.
    h.push_str("<div class=\"cards\">");
    let cards: [(&str, &str, u64); 10] = [
        ("records", "records", stats.records),
        ("sessions", "sessions", stats.sessions),
        ("decisions.allow", "allowed", stats.decisions.allow),
        ("decisions.ask", "asked", stats.decisions.ask),
        ("decisions.deny", "denied", stats.decisions.deny),
        ("prompts_asked", "prompts asked", stats.prompts_asked),
        ("prompts_avoided", "prompts avoided", stats.prompts_avoided),
        ("taint_events", "taint events", stats.taint_events),
        (
            "blocked_hosts_total",
            "hosts blocked",
            stats.blocked_hosts_total,
        ),
        (
            "blocked_commands_total",
            "commands blocked",
            stats.blocked_commands_total,
        ),
    ];
    for (key, label, n) in cards {
        let _ = write!(
            h,
            "<div class=\"card\"><b data-stat=\"{key}\">{n}</b>{label}</div>"
        );
    }
    h.push_str("</div>\n");

    h.push_str("<h2>Decisions over time</h2>\n");
    h.push_str(&timeline(&points));
    h.push_str("<h2>Allow / ask / deny</h2>\n");
    h.push_str(&split_bar(&[
        ("allow", stats.decisions.allow),
        ("ask", stats.decisions.ask),
        ("deny", stats.decisions.deny),
    ]));
    h.push_str("<h2>Prompts</h2>\n<p class=\"muted\">An avoided prompt is a tool call the hook or MCP gateway answered by policy instead of asking you.</p>\n");
    h.push_str(&split_bar(&[
        ("avoided", stats.prompts_avoided),
        ("asked", stats.prompts_asked),
    ]));

    h.push_str("<h2>Blocked hosts</h2>\n");
    h.push_str(&top_table("blocked-hosts", "host", &stats.blocked_hosts));
    h.push_str("<h2>Blocked commands</h2>\n");
    h.push_str(&top_table(
        "blocked-commands",
        "command",
        &stats.blocked_commands,
    ));

    h.push_str("<h2>Decisions by kind</h2>\n<table id=\"by-kind\"><thead><tr><th>kind</th><th>allow</th><th>ask</th><th>deny</th></tr></thead><tbody>");
    for (k, s) in &stats.decisions_by_kind {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(k),
            s.allow,
            s.ask,
            s.deny
        );
    }
    h.push_str("</tbody></table>\n");

    h.push_str("<h2>Taint events</h2>\n");
    if taint.is_empty() {
        h.push_str("<p class=\"muted\">None.</p>\n");
    } else {
        h.push_str("<table id=\"taint\"><thead><tr><th>seq</th><th>time</th><th>kind</th><th>what</th></tr></thead><tbody>");
        for r in taint.iter().rev() {
            let _ = write!(
                h,
                "<tr><td><a href=\"#r-{0}\">{0}</a></td><td>{1}</td><td><code>{2}</code></td><td>{3}</td></tr>",
                r.seq,
                rfc3339(r.time_ns),
                esc(&r.kind),
                esc(&summary(r))
            );
        }
        h.push_str("</tbody></table>\n");
    }

    let _ = write!(
        h,
        "<h2>Records</h2>\n<p class=\"muted\">{} of {} records (the most recent, and every record linked above). \
Each row is one journal record; <code>cordon audit show SEQ</code> prints it in full.</p>\n\
<input id=\"filter\" type=\"search\" placeholder=\"filter rows\" aria-label=\"filter rows\"> <span class=\"muted\"><span id=\"shown\">{}</span> shown</span>\n\
<table id=\"records\"><thead><tr><th>seq</th><th>time</th><th>session</th><th>source</th><th>kind</th><th>decision</th><th>what</th></tr></thead><tbody>\n",
        rows.len(),
        stats.records,
        rows.len()
    );
    for r in rows.values() {
        let d = crate::stats::classify(r).decision;
        let dtext = d.map(|d| d.as_str()).unwrap_or("");
        let _ = writeln!(
            h,
            "<tr id=\"r-{0}\"><td><a href=\"#r-{0}\" title=\"cordon audit show {0}\">{0}</a></td><td>{1}</td><td>{2}</td><td>{3}</td><td><code>{4}</code></td><td class=\"d-{5}\">{5}</td><td><code>{6}</code></td></tr>",
            r.seq,
            rfc3339(r.time_ns),
            esc(&clip(&r.session, 40)),
            esc(&r.source),
            esc(&r.kind),
            dtext,
            esc(&summary(r))
        );
    }
    h.push_str("</tbody></table>\n");
    let _ = write!(
        h,
        "<p class=\"muted\">cordon {} · the journal is the record of truth; this page is a view of it.</p>\n<script>{SCRIPT}</script>\n</body></html>\n",
        esc(&opts.version)
    );
    Ok((h, stats))
}

fn color(name: &str) -> &'static str {
    match name {
        "allow" | "avoided" => "#2e7d32",
        "ask" | "asked" => "#f9a825",
        _ => "#c62828",
    }
}

/// Horizontal stacked bar with a legend.
fn split_bar(parts: &[(&str, u64)]) -> String {
    let total: u64 = parts.iter().map(|p| p.1).sum();
    let mut s = String::from(
        "<svg role=\"img\" width=\"800\" height=\"34\" viewBox=\"0 0 800 34\" xmlns=\"http://www.w3.org/2000/svg\">",
    );
    if total == 0 {
        s.push_str("<rect x=\"0\" y=\"4\" width=\"800\" height=\"26\" fill=\"#eee\"/><text x=\"8\" y=\"22\" font-size=\"13\" fill=\"#666\">no decisions</text>");
    }
    let mut x = 0.0;
    for (name, n) in parts {
        if total == 0 || *n == 0 {
            continue;
        }
        let w = 800.0 * *n as f64 / total as f64;
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"4\" width=\"{w:.1}\" height=\"26\" fill=\"{}\"><title>{name}: {n}</title></rect>",
            color(name)
        );
        x += w;
    }
    s.push_str("</svg><p class=\"legend\">");
    for (name, n) in parts {
        let pct = if total > 0 {
            100.0 * *n as f64 / total as f64
        } else {
            0.0
        };
        let _ = write!(
            s,
            "<span><i style=\"background:{}\"></i>{name}: {n} ({pct:.0}%)</span>",
            color(name)
        );
    }
    s.push_str("</p>\n");
    s
}

/// Stacked bars of allow/ask/deny per time bucket.
fn timeline(points: &[(u64, Decision)]) -> String {
    if points.is_empty() {
        return "<p class=\"muted\">No decisions recorded.</p>\n".into();
    }
    let lo = points.iter().map(|p| p.0).min().unwrap_or(0);
    let hi = points.iter().map(|p| p.0).max().unwrap_or(0);
    let span = (hi - lo).max(1);
    let mut buckets = vec![[0u64; 3]; BUCKETS];
    for (t, d) in points {
        let i = (((t - lo) as u128 * BUCKETS as u128) / (span as u128 + 1)) as usize;
        let slot = match d {
            Decision::Allow => 0,
            Decision::Ask => 1,
            Decision::Deny => 2,
        };
        buckets[i.min(BUCKETS - 1)][slot] += 1;
    }
    let max = buckets
        .iter()
        .map(|b| b.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (w, hgt, top, bottom) = (800.0, 200.0, 20.0, 24.0);
    let bw = w / BUCKETS as f64;
    let plot = hgt - top - bottom;
    let mut s = format!(
        "<svg id=\"timeline\" role=\"img\" width=\"800\" height=\"200\" viewBox=\"0 0 800 200\" xmlns=\"http://www.w3.org/2000/svg\"><line x1=\"0\" y1=\"{0}\" x2=\"800\" y2=\"{0}\" stroke=\"#999\"/>",
        hgt - bottom
    );
    for (i, b) in buckets.iter().enumerate() {
        let mut y = hgt - bottom;
        for (slot, name) in ["allow", "ask", "deny"].iter().enumerate() {
            if b[slot] == 0 {
                continue;
            }
            let bh = plot * b[slot] as f64 / max as f64;
            y -= bh;
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{name}: {}</title></rect>",
                i as f64 * bw + 1.0,
                bw - 2.0,
                color(name),
                b[slot]
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"0\" y=\"194\" font-size=\"11\" fill=\"#666\">{}</text><text x=\"800\" y=\"194\" font-size=\"11\" fill=\"#666\" text-anchor=\"end\">{}</text><text x=\"4\" y=\"12\" font-size=\"11\" fill=\"#666\">max {max} per bar</text></svg>",
        rfc3339(lo),
        rfc3339(hi)
    );
    s.push_str("<p class=\"legend\"><span><i style=\"background:#2e7d32\"></i>allow</span><span><i style=\"background:#f9a825\"></i>ask</span><span><i style=\"background:#c62828\"></i>deny</span></p>\n");
    s
}

fn top_table(id: &str, what: &str, rows: &[Top]) -> String {
    if rows.is_empty() {
        return format!("<p class=\"muted\" id=\"{id}\">None blocked.</p>\n");
    }
    let max = rows.iter().map(|r| r.count).max().unwrap_or(1).max(1);
    let mut s = format!(
        "<table id=\"{id}\"><thead><tr><th>{what}</th><th>blocked</th><th></th><th>last record</th></tr></thead><tbody>"
    );
    for r in rows {
        let w = 200.0 * r.count as f64 / max as f64;
        let _ = write!(
            s,
            "<tr><td><code>{}</code></td><td class=\"n\" data-count=\"{1}\">{1}</td><td><svg width=\"200\" height=\"12\" xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"{w:.1}\" height=\"12\" fill=\"#c62828\"/></svg></td><td><a href=\"#r-{2}\">#{2}</a></td></tr>",
            esc(&clip(&r.name, 120)),
            r.count,
            r.last_seq
        );
    }
    s.push_str("</tbody></table>\n");
    s
}
