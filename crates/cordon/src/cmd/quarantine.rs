//! `cordon quarantine`: review what `cordon run` moved out of the workspace.
use crate::exit::{CmdResult, Failure};
use cordon_sandbox::quarantine::{self, ItemKind, Store};
use std::io::Write;

/// Review the places code runs from on the host (agent and editor configs,
/// git hooks, `.envrc`...) that a contained command created, which `cordon
/// run` moved out of the workspace into cordon's data directory. Nothing is
/// put back unless you say so, and a restore never overwrites a file.
///
/// Examples:
///   cordon quarantine list
///   cordon quarantine show run-19a2b3c4d5e-1f2a/1
///   cordon quarantine restore run-19a2b3c4d5e-1f2a/1
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    cmd: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// List quarantined items: ID, kind, size, where it was, and what would run it.
    List {
        /// Only this run (a session id, as `cordon run -v` prints it).
        session: Option<String>,
        /// Also list items already restored.
        #[arg(long)]
        all: bool,
    },
    /// Show an item: a file's text (control characters escaped), a
    /// directory's files, a symlink's target.
    Show {
        /// SESSION/N, as `cordon quarantine list` prints it.
        id: String,
    },
    /// Put an item back where it was. Refuses to overwrite anything, and to
    /// go through a symlink in the workspace.
    Restore {
        /// SESSION/N, as `cordon quarantine list` prints it.
        id: String,
    },
}

/// Bytes of each file `show` prints.
const SHOW_MAX: u64 = 64 << 10;

fn root() -> std::path::PathBuf {
    quarantine::root(&crate::paths::data_dir())
}

fn parse_id(id: &str) -> Result<(&str, u32), Failure> {
    id.rsplit_once('/')
        .and_then(|(s, n)| Some((s, n.parse().ok()?)))
        .ok_or_else(|| {
            Failure::usage(format!("`{id}` is not an item id"))
                .hint("use SESSION/N as `cordon quarantine list` prints it")
        })
}

fn open(session: &str) -> Result<Store, Failure> {
    Store::open(&root(), session).map_err(|e| {
        Failure::with_code(1, format!("no quarantine for session {session}: {e}"))
            .hint("see `cordon quarantine list`")
    })
}

/// Escape what a terminal would act on (the content was written by the agent).
fn escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for c in String::from_utf8_lossy(bytes).chars() {
        // Controls a terminal acts on, and the invisible and direction marks
        // that make a text read other than it is.
        let invisible = matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        if (c.is_control() && c != '\n' && c != '\t') || invisible {
            s.push_str(&c.escape_unicode().to_string());
        } else {
            s.push(c);
        }
    }
    s
}

fn kind(k: ItemKind) -> &'static str {
    match k {
        ItemKind::File => "file",
        ItemKind::Dir => "dir",
        ItemKind::Symlink => "symlink",
        ItemKind::Other => "other",
    }
}

pub fn main(args: Args) -> CmdResult {
    let mut out = std::io::stdout().lock();
    match args.cmd {
        Sub::List { session, all } => {
            let stores = match session {
                Some(s) => vec![open(&s)?],
                None => Store::all(&root()).map_err(|e| {
                    Failure::with_code(1, format!("cannot read {}: {e}", root().display()))
                })?,
            };
            for st in &stores {
                for it in st.manifest.items.iter().filter(|i| all || !i.restored) {
                    let _ = writeln!(
                        out,
                        "{}/{}\t{}\t{} B\t{}\t{}{}",
                        st.manifest.session,
                        it.id,
                        kind(it.kind),
                        it.size,
                        escape(
                            st.manifest
                                .workspace
                                .join(&it.path)
                                .as_os_str()
                                .as_encoded_bytes()
                        ),
                        it.why,
                        if it.restored { " (restored)" } else { "" }
                    );
                }
            }
            Ok(0)
        }
        Sub::Show { id } => {
            let (session, n) = parse_id(&id)?;
            let st = open(session)?;
            let it = st
                .manifest
                .items
                .iter()
                .find(|i| i.id == n)
                .ok_or_else(|| Failure::with_code(1, format!("no item {id}")))?;
            let _ = writeln!(
                out,
                "# {} ({}), from {}",
                escape(
                    st.manifest
                        .workspace
                        .join(&it.path)
                        .as_os_str()
                        .as_encoded_bytes()
                ),
                it.why,
                st.manifest.session
            );
            if it.restored {
                let _ = writeln!(out, "# restored");
                return Ok(0);
            }
            let entries = st
                .describe(n, SHOW_MAX)
                .map_err(|e| Failure::with_code(1, format!("cannot read item {id}: {e}")))?;
            for e in entries {
                let name = escape(e.rel.as_os_str().as_encoded_bytes());
                match (e.kind, e.target, e.content) {
                    (ItemKind::Symlink, Some(t), _) => {
                        let _ = writeln!(out, "## {name} -> {}", escape(&t));
                    }
                    (ItemKind::File, _, Some(c)) => {
                        let _ = writeln!(out, "## {name} ({} bytes)", e.size);
                        let _ = write!(out, "{}", escape(&c));
                        if !c.ends_with(b"\n") {
                            let _ = writeln!(out);
                        }
                        if e.size > SHOW_MAX {
                            let _ = writeln!(out, "## ... ({} more bytes)", e.size - SHOW_MAX);
                        }
                    }
                    (k, _, _) => {
                        let _ = writeln!(out, "## {name} ({})", kind(k));
                    }
                }
            }
            Ok(0)
        }
        Sub::Restore { id } => {
            let (session, n) = parse_id(&id)?;
            let mut st = open(session)?;
            let to = st
                .restore(n)
                .map_err(|e| Failure::with_code(1, format!("not restored: {e}")))?;
            let _ = writeln!(out, "restored {}", to.display());
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_a_terminal_acts_on() {
        let e = super::escape("a\x1b]52;c;x\x07b\u{202e}c\n\td".as_bytes());
        assert_eq!(e, "a\\u{1b}]52;c;x\\u{7}b\\u{202e}c\n\td");
    }
}
