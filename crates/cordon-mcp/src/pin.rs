//! Pins: what a server advertised when it was first seen, hashed canonically.
//!
//! Each item (a tool, prompt, resource, resource template, or the server's
//! instructions) is reduced to the fields that tell the model what it does
//! ([`canonical`]), written with sorted keys and hashed with SHA-256. A later
//! list whose item differs from its pin, or that brings an item the server did
//! not have when it was pinned, blocks that item until the user approves it;
//! the new form waits in `pending` so the approval can show a diff.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// What kind of item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tool,
    Prompt,
    Resource,
    Template,
    Instructions,
}

/// Per kind: key prefix, the field that names an item, the fields that are pinned.
const KINDS: &[(Kind, &str, &str, &[&str])] = &[
    (
        Kind::Tool,
        "tool",
        "name",
        &[
            "name",
            "title",
            "description",
            "inputSchema",
            "outputSchema",
            "annotations",
        ],
    ),
    (
        Kind::Prompt,
        "prompt",
        "name",
        &["name", "title", "description", "arguments"],
    ),
    (
        Kind::Resource,
        "resource",
        "uri",
        &["uri", "name", "title", "description", "mimeType"],
    ),
    (
        Kind::Template,
        "template",
        "uriTemplate",
        &["uriTemplate", "name", "title", "description", "mimeType"],
    ),
    (Kind::Instructions, "instructions", "", &[]),
];

fn spec(kind: Kind) -> (&'static str, &'static str, &'static [&'static str]) {
    let (_, p, n, f) = KINDS
        .iter()
        .find(|k| k.0 == kind)
        .expect("every kind has a row");
    (p, n, f)
}

impl Kind {
    /// The key of an item of this kind (`tool:echo`), if it has a name.
    pub fn key(self, item: &Value) -> Option<String> {
        let (prefix, name, _) = spec(self);
        if self == Kind::Instructions {
            return Some(prefix.to_string());
        }
        item.get(name)
            .and_then(Value::as_str)
            .map(|n| format!("{prefix}:{n}"))
    }
    /// The prefix of its keys.
    pub fn prefix(self) -> &'static str {
        spec(self).0
    }
}

/// The pinned fields of an item, keys sorted all the way down.
pub fn canonical(kind: Kind, item: &Value) -> Value {
    let (_, _, fields) = spec(kind);
    if kind == Kind::Instructions {
        return sorted(item);
    }
    let mut m = Map::new();
    for f in fields {
        if let Some(v) = item.get(*f) {
            m.insert((*f).to_string(), sorted(v));
        }
    }
    Value::Object(m)
}

fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let b: BTreeMap<&String, Value> = o.iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(b.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        o => o.clone(),
    }
}

/// `sha256:<hex>` of the canonical form (canonical JSON as the journal writes it).
pub fn hash(canon: &Value) -> String {
    let text = cordon_audit::canon::canonical_json(canon);
    format!(
        "sha256:{}",
        cordon_audit::hex(&cordon_audit::canon::sha256(text.as_bytes()))
    )
}

/// One pinned (or pending) item.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pinned {
    pub hash: String,
    pub canon: Value,
}

/// A server's pins, as stored in `<data dir>/mcp/<NAME>.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Pins {
    /// Approved items by key.
    pub items: BTreeMap<String, Pinned>,
    /// Changed or new items waiting for approval, by key.
    pub pending: BTreeMap<String, Pinned>,
    /// Kinds (`tool`, `prompt`...) whose list has been pinned once.
    pub kinds: Vec<String>,
}

/// What one list did to the pins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Check {
    /// Pinned now, on first sight.
    pub added: Vec<String>,
    /// Differs from its pin or is new since: blocked until approved.
    pub blocked: Vec<String>,
    /// Pinned but absent from this list.
    pub removed: Vec<String>,
}

impl Pins {
    /// Read pins; a missing file is no pins, an unreadable one an error.
    pub fn load(path: &Path) -> Result<Pins, String> {
        match std::fs::read(path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| {
                format!(
                    "{} is unreadable ({e}); remove it to pin the server afresh",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Pins::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Change the pins stored at `path` under an exclusive advisory lock
    /// (`flock` on `NAME.lock` next to it): read the file as it is now, apply
    /// `change`, write it atomically. Two gateways of one server (or a gateway
    /// and `cordon mcp approve`) never lose each other's changes. Returns the
    /// pins as written and what `change` returned.
    pub fn update<T>(
        path: &Path,
        change: impl FnOnce(&mut Pins) -> T,
    ) -> Result<(Pins, T), String> {
        let lock = lock_exclusive(&path.with_extension("lock"))?;
        let mut pins = Pins::load(path)?;
        let out = change(&mut pins);
        pins.save(path)?;
        // The lock is released when `lock` is closed.
        drop(lock);
        Ok((pins, out))
    }

    /// Write pins atomically (temporary file, then rename), private to the user.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        write_private(path, &bytes)
    }

    /// Has a list of this kind been pinned before?
    pub fn has_kind(&self, kind: Kind) -> bool {
        self.kinds.iter().any(|k| k == kind.prefix())
    }

    /// Compare a list with the pins. With `trust_new`, items never seen are
    /// pinned (first sight); otherwise they wait for approval like changed ones.
    pub fn check(&mut self, kind: Kind, items: &[Value], trust_new: bool) -> Check {
        let mut out = Check::default();
        let mut seen = Vec::new();
        for item in items {
            let Some(key) = kind.key(item) else { continue };
            let canon = canonical(kind, item);
            let p = Pinned {
                hash: hash(&canon),
                canon,
            };
            seen.push(key.clone());
            match self.items.get(&key) {
                Some(old) if old.hash == p.hash => {
                    self.pending.remove(&key);
                }
                None if trust_new => {
                    self.items.insert(key.clone(), p);
                    out.added.push(key);
                }
                _ => {
                    self.pending.insert(key.clone(), p);
                    out.blocked.push(key);
                }
            }
        }
        let prefix = format!("{}:", kind.prefix());
        out.removed = self
            .items
            .keys()
            .filter(|k| {
                (k.starts_with(&prefix) || k.as_str() == kind.prefix()) && !seen.contains(k)
            })
            .cloned()
            .collect();
        if !self.has_kind(kind) {
            self.kinds.push(kind.prefix().to_string());
        }
        out
    }

    /// Is this item blocked (changed or new, not approved)?
    pub fn is_blocked(&self, key: &str) -> bool {
        self.pending.contains_key(key)
    }

    /// A line diff between the pinned and the pending form of an item.
    pub fn diff(&self, key: &str) -> Option<String> {
        let new = self.pending.get(key)?;
        let old = self
            .items
            .get(key)
            .map(|p| pretty(&p.canon))
            .unwrap_or_default();
        Some(line_diff(&old, &pretty(&new.canon)))
    }

    /// Approve every pending item.
    pub fn approve_all(&mut self) -> Vec<String> {
        let keys: Vec<String> = self.pending.keys().cloned().collect();
        for k in &keys {
            if let Some(p) = self.pending.remove(k) {
                self.items.insert(k.clone(), p);
            }
        }
        keys
    }

    /// Names of the pinned tools.
    pub fn tool_names(&self) -> Vec<String> {
        self.items
            .keys()
            .filter_map(|k| k.strip_prefix("tool:"))
            .map(str::to_string)
            .collect()
    }
}

/// Write a file atomically (a temporary file renamed over it), mode 0600, its
/// directory created 0700: a reader never sees half a file.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    private_dir_of(path)?;
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let r = (|| {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        std::fs::rename(&tmp, path)
    })();
    r.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// Create a file's directory (and its parents), mode 0700.
fn private_dir_of(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Take an exclusive advisory lock (`flock`) on a lock file, created 0600 (its
/// directory 0700) if missing; it is held until the returned file is dropped.
pub fn lock_exclusive(lock_path: &Path) -> Result<std::fs::File, String> {
    use std::os::unix::fs::OpenOptionsExt;
    private_dir_of(lock_path)?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(lock_path)
        .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    Ok(lock)
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&sorted(v)).unwrap_or_default();
    s.push('\n');
    // Long descriptions read better one sentence per line.
    s.replace("\\n", "\\n\n        ")
}

/// `- ` / `+ ` / `  ` lines (longest common subsequence; items are small).
pub fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut l = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            l[i][j] = if a[i] == b[j] {
                l[i + 1][j + 1] + 1
            } else {
                l[i + 1][j].max(l[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || l[i][j + 1] >= l[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_ignores_key_order_and_unpinned_fields() {
        let a = json!({"name": "t", "description": "d", "inputSchema": {"a": 1, "b": 2}, "_meta": {"x": 1}});
        let b = json!({"inputSchema": {"b": 2, "a": 1}, "description": "d", "name": "t"});
        assert_eq!(
            hash(&canonical(Kind::Tool, &a)),
            hash(&canonical(Kind::Tool, &b))
        );
        let c = json!({"name": "t", "description": "d", "inputSchema": {"a": 1, "b": 3}});
        assert_ne!(
            hash(&canonical(Kind::Tool, &a)),
            hash(&canonical(Kind::Tool, &c))
        );
    }

    #[test]
    fn new_items_after_pinning_wait_and_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcp/s.json");
        let mut p = Pins::default();
        p.check(Kind::Tool, &[json!({"name": "a"})], true);
        let c = p.check(
            Kind::Tool,
            &[json!({"name": "a"}), json!({"name": "b"})],
            false,
        );
        assert_eq!(c.blocked, vec!["tool:b"]);
        p.save(&path).unwrap();
        let mut q = Pins::load(&path).unwrap();
        assert!(q.is_blocked("tool:b") && q.has_kind(Kind::Tool));
        assert_eq!(q.check(Kind::Tool, &[], false).removed, vec!["tool:a"]);
        std::fs::write(&path, b"{oops").unwrap();
        assert!(Pins::load(&path).unwrap_err().contains("unreadable"));
    }

    #[test]
    fn concurrent_updates_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcp/srv.json");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for j in 0..10 {
                        let item = serde_json::json!({"name": format!("t{i}-{j}")});
                        Pins::update(&path, |p| p.check(Kind::Tool, &[item], true)).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let pins = Pins::load(&path).unwrap();
        assert_eq!(pins.items.len() + pins.pending.len(), 80);
    }

    #[test]
    fn diff_marks_lines() {
        assert_eq!(line_diff("a\nb\n", "a\nc\n"), "  a\n+ c\n- b\n");
    }
}
