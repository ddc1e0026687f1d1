//! Compiles the policy engine's path tables ahead of time.
//!
//! The patterns come from their one source each: the catalogue
//! (`cordon_catalog`: credentials, workspace points) and the policy's own
//! lists (`src/table/paths.rs`). This script indexes them as `classify.rs`
//! searches them (by the last literal segment of each pattern) and writes
//! them as static slices to `$OUT_DIR/path_tables.rs`, so a process that
//! decides builds nothing: a one-shot `cordon hook` would otherwise spend
//! more on building the tables than on the decision.

use std::collections::BTreeMap;
use std::fmt::Write as _;

#[allow(dead_code)] // the build reads the path lists only
#[path = "src/table/paths.rs"]
mod paths;

/// One pattern, compiled as `classify::Pat` holds it.
struct Pat<'a> {
    src: &'a str,
    home: bool,
    abs: bool,
    segs: Vec<&'a str>,
    lit: &'a str,
}

/// A table: patterns by their last literal segment (sorted, each key's
/// patterns in table order), and those whose last segment is a glob.
#[derive(Default)]
struct Table<'a> {
    by_seg: BTreeMap<&'a str, Vec<Pat<'a>>>,
    rest: Vec<Pat<'a>>,
}

fn compile<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Table<'a> {
    let mut t = Table::default();
    for p in patterns {
        let segs: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        let key = segs
            .iter()
            .rev()
            .find(|s| **s != "**" && **s != "~")
            .copied()
            .unwrap_or("");
        let home = p.starts_with("~/");
        let pat = Pat {
            src: p,
            home,
            abs: p.starts_with('/'),
            segs: if home { segs[1..].to_vec() } else { segs },
            lit: required_literal(p),
        };
        if key.contains(['*', '?']) || key.is_empty() {
            t.rest.push(pat);
        } else {
            t.by_seg.entry(key).or_default().push(pat);
        }
    }
    t
}

/// A piece of text any path matching `p` must contain (cheap pre-filter).
fn required_literal(p: &str) -> &str {
    let last = p
        .rsplit('/')
        .find(|s| !s.is_empty() && *s != "**" && *s != "~")
        .unwrap_or("");
    let lit = last.rsplit(['*', '?']).next().unwrap_or("");
    if lit.is_empty() {
        last.split(['*', '?']).next().unwrap_or("")
    } else {
        lit
    }
}

/// The most segments a pattern may have (`classify::MAX_SEGS`).
const MAX_SEGS: usize = 8;

/// Where `part` (a piece of `src`) starts in `src`.
fn offset(src: &str, part: &str) -> usize {
    part.as_ptr() as usize - src.as_ptr() as usize
}

/// A `PathTable` being written: its patterns' text once, and spans into it.
#[derive(Default)]
struct Out {
    text: String,
    segs: String,
    pats: String,
    nsegs: usize,
    npats: usize,
}

impl Out {
    /// Add `p`; the span of its segment `key`, if given.
    fn pat(&mut self, p: &Pat, key: Option<&str>) -> (usize, usize) {
        assert!(
            p.segs.len() <= MAX_SEGS,
            "{}: over {MAX_SEGS} segments",
            p.src
        );
        let base = self.text.len();
        self.text.push_str(p.src);
        let span = |part: &str| {
            let start = base + offset(p.src, part);
            (start, start + part.len())
        };
        let first = self.nsegs;
        for seg in &p.segs {
            let (a, b) = span(seg);
            let _ = write!(self.segs, "Span({a}, {b}),");
        }
        self.nsegs += p.segs.len();
        let (la, lb) = span(p.lit);
        let _ = write!(
            self.pats,
            "Pat {{ src: Span({base}, {}), home: {}, abs: {}, segs: ({first}, {}), lit: Span({la}, {lb}) }},",
            self.text.len(),
            p.home,
            p.abs,
            self.nsegs,
        );
        self.npats += 1;
        key.map_or((0, 0), |k| {
            span(
                p.segs
                    .iter()
                    .find(|s| **s == k)
                    .expect("the key is a segment"),
            )
        })
    }
}

/// Write `t` as the `PathTable` static `name`.
fn emit(out: &mut String, name: &str, doc: &str, t: &Table) {
    let mut o = Out::default();
    let mut keys = String::new();
    for (key, group) in &t.by_seg {
        let start = o.npats;
        let spans: Vec<_> = group.iter().map(|p| o.pat(p, Some(key))).collect();
        let _ = write!(
            keys,
            "(Span({}, {}), {start}, {}),",
            spans[0].0, spans[0].1, o.npats
        );
    }
    let rest = o.npats;
    for p in &t.rest {
        o.pat(p, None);
    }
    assert!(
        o.text.len() <= usize::from(u16::MAX),
        "{name}: text too long for u16 offsets"
    );
    let _ = write!(
        out,
        "/// {doc}\npub(crate) static {name}: PathTable = PathTable {{ text: {:?}, segs: &[{}], pats: &[{}], keys: &[{keys}], rest: {rest} }};\n",
        o.text, o.segs, o.pats
    );
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/table/paths.rs");
    let credential: Vec<&str> = cordon_catalog::credential_patterns().collect();
    let persistence: Vec<&str> = paths::PERSISTENCE_PATHS
        .iter()
        .copied()
        .chain(cordon_catalog::point_patterns())
        .collect();
    let tables: [(&str, &str, &[&str]); 6] = [
        (
            "CREDENTIAL",
            "Paths holding credentials (`cordon_catalog::credential_patterns`).",
            &credential,
        ),
        (
            "PERSISTENCE",
            "Paths that run or grant access later (`PERSISTENCE_PATHS` and `cordon_catalog::point_patterns`).",
            &persistence,
        ),
        ("EVASION", "`EVASION_PATHS`.", paths::EVASION_PATHS),
        ("SCRATCH", "`SCRATCH_PATHS`.", paths::SCRATCH_PATHS),
        (
            "INSTALLED",
            "`INSTALLED_CODE_PATHS`.",
            paths::INSTALLED_CODE_PATHS,
        ),
        (
            "SECURITY_LOGS",
            "`SECURITY_LOG_PATHS`.",
            paths::SECURITY_LOG_PATHS,
        ),
    ];
    let mut out =
        String::from("// Written by build.rs from the catalogue and src/table/paths.rs.\n");
    for (name, doc, patterns) in tables {
        emit(&mut out, name, doc, &compile(patterns.iter().copied()));
    }
    let dest = std::path::Path::new(&std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("path_tables.rs");
    std::fs::write(&dest, out).expect("OUT_DIR is writable");
}
