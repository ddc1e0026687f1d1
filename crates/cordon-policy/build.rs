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

fn pats(out: &mut String, pats: &[Pat]) {
    out.push_str("&[");
    for p in pats {
        let _ = write!(
            out,
            "Pat {{ src: {:?}, home: {}, abs: {}, segs: &{:?}, lit: {:?} }},",
            p.src, p.home, p.abs, p.segs, p.lit
        );
    }
    out.push(']');
}

fn emit(out: &mut String, name: &str, doc: &str, t: &Table) {
    let _ = write!(
        out,
        "/// {doc}\npub(crate) static {name}: PathTable = PathTable {{ by_seg: &["
    );
    for (key, p) in &t.by_seg {
        let _ = write!(out, "({key:?}, ");
        pats(out, p);
        out.push_str("),");
    }
    out.push_str("], rest: ");
    pats(out, &t.rest);
    out.push_str(" };\n");
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
