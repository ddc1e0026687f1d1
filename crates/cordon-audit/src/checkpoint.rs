//! Signed checkpoints of the journal's head, in the C2SP `signed-note`
//! format with a `tlog-checkpoint` body, so that anyone holding an earlier
//! checkpoint can check that a later journal extends it (or that it was
//! rewritten).
//!
//! ```text
//! cordon-audit/5f0c...e1        <- origin: this journal
//! 1024                          <- size: the head's sequence number
//! q3nTUM1b0Z8...=               <- base64 of the head record's hash
//!
//! — cordon-audit/5f0c...e1 AbCdEf...   <- base64(key id ‖ Ed25519 signature)
//! ```
//!
//! The third line is the hash-chain head (the hash of record `size`, which
//! commits to every record before it) rather than an RFC 6962 Merkle root:
//! proving extension means recomputing the chain from the journal, which
//! `cordon audit verify --checkpoint` does. Key id and verifier key follow
//! the signed-note rules: key id = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4],
//! verifier key = `name+hex(key id)+base64(0x01 ‖ public key)`.
//!
//! ```
//! use cordon_audit::checkpoint::{Checkpoint, Key};
//! let key = Key::from_seed("cordon-audit/test", [7u8; 32]);
//! let cp = Checkpoint { origin: "cordon-audit/test".into(), size: 3, hash: [1u8; 32] };
//! let note = cp.sign(&key);
//! assert_eq!(Checkpoint::open(&note, &key.vkey()).unwrap(), cp);
//! assert!(Checkpoint::open(&note.replace("\n3\n", "\n4\n"), &key.vkey()).is_err());
//! ```
use crate::canon::sha256;
use crate::{AuditError, ErrorKind, Journal};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use std::path::Path;

/// Signature type byte for Ed25519 in signed notes.
const ALG_ED25519: u8 = 0x01;

/// File names inside the journal directory.
pub const KEY_FILE: &str = "audit.key";
pub const PUB_FILE: &str = "audit.pub";
pub const CHECKPOINT_FILE: &str = "checkpoint";

/// The origin line (and key name) of a journal.
pub fn origin_of(journal: &Journal) -> String {
    format!("cordon-audit/{}", journal.id())
}

/// An Ed25519 signing key with its signed-note name.
pub struct Key {
    pub name: String,
    signing: SigningKey,
}

impl Key {
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Key {
        Key {
            name: name.to_string(),
            signing: SigningKey::from_bytes(&seed),
        }
    }

    fn key_id(&self) -> [u8; 4] {
        key_id(&self.name, &self.signing.verifying_key().to_bytes())
    }

    /// The verifier key text to hand to others.
    pub fn vkey(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(&self.signing.verifying_key().to_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            crate::hex(&self.key_id()),
            B64.encode(raw)
        )
    }

    /// Private key text (`PRIVATE+KEY+name+id+base64(0x01 ‖ seed)`, as Go's note package writes it).
    fn skey(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(&self.signing.to_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            crate::hex(&self.key_id()),
            B64.encode(raw)
        )
    }

    fn parse_skey(text: &str) -> Option<Key> {
        let rest = text.trim().strip_prefix("PRIVATE+KEY+")?;
        // Names cannot contain '+', base64 can: split from the left.
        let mut parts = rest.splitn(3, '+');
        let name = parts.next()?;
        let _id = parts.next()?;
        let raw = B64.decode(parts.next()?).ok()?;
        if raw.len() != 33 || raw[0] != ALG_ED25519 {
            return None;
        }
        let seed: [u8; 32] = raw[1..].try_into().ok()?;
        Some(Key::from_seed(name, seed))
    }

    /// Load the journal's key from its directory, creating it (mode 0600) on first use.
    pub fn load_or_create(journal: &Journal) -> Result<Key, AuditError> {
        let dir = journal.dir();
        let path = dir.join(KEY_FILE);
        let name = origin_of(journal);
        match std::fs::read_to_string(&path) {
            Ok(t) => {
                return Key::parse_skey(&t).ok_or_else(|| {
                    AuditError::new(
                        ErrorKind::Corrupt,
                        format!("audit journal: {} is not a signing key", path.display()),
                        "move it aside; a new key is made by the next checkpoint (earlier checkpoints stay checkable with the old audit.pub)",
                    )
                });
            }
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(AuditError::io("read", &path, &e));
            }
            Err(_) => {}
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| {
            AuditError::new(
                ErrorKind::Io,
                format!("audit journal: no randomness for a new key: {e}"),
                "check that the kernel's getrandom works",
            )
        })?;
        let key = Key::from_seed(&name, seed);
        write_private(&path, &key.skey())?;
        let pub_path = dir.join(PUB_FILE);
        std::fs::write(&pub_path, format!("{}\n", key.vkey()))
            .map_err(|e| AuditError::io("write", &pub_path, &e))?;
        Ok(key)
    }
}

fn write_private(path: &Path, text: &str) -> Result<(), AuditError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| AuditError::io("create", path, &e))?;
    f.write_all(format!("{text}\n").as_bytes())
        .map_err(|e| AuditError::io("write", path, &e))
}

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut buf = name.as_bytes().to_vec();
    buf.push(b'\n');
    buf.push(ALG_ED25519);
    buf.extend_from_slice(public);
    let h = sha256(&buf);
    [h[0], h[1], h[2], h[3]]
}

/// A verifier key parsed from `name+id+base64`.
pub struct Verifier {
    pub name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl Verifier {
    pub fn parse(vkey: &str) -> Result<Verifier, AuditError> {
        let bad = || {
            AuditError::invalid(
                format!("not a verifier key: {:?}", vkey.trim()),
                "pass the line from audit.pub (name+keyid+base64)",
            )
        };
        // Names cannot contain '+', base64 can: split from the left.
        let mut parts = vkey.trim().splitn(3, '+');
        let name = parts.next().ok_or_else(bad)?;
        let id_hex = parts.next().ok_or_else(bad)?;
        let raw = B64
            .decode(parts.next().ok_or_else(bad)?)
            .map_err(|_| bad())?;
        if raw.len() != 33 || raw[0] != ALG_ED25519 || id_hex.len() != 8 {
            return Err(bad());
        }
        let public: [u8; 32] = raw[1..].try_into().map_err(|_| bad())?;
        let id = key_id(name, &public);
        if crate::hex(&id) != id_hex.to_ascii_lowercase() {
            return Err(bad());
        }
        let key = VerifyingKey::from_bytes(&public).map_err(|_| bad())?;
        Ok(Verifier {
            name: name.to_string(),
            id,
            key,
        })
    }
}

/// A checkpoint body: the journal's origin, size and head hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub hash: [u8; 32],
}

impl Checkpoint {
    /// The note text (tlog-checkpoint body).
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.hash)
        )
    }

    /// The signed note.
    pub fn sign(&self, key: &Key) -> String {
        let body = self.body();
        let sig: Signature = key.signing.sign(body.as_bytes());
        let mut raw = key.key_id().to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        format!("{body}\n\u{2014} {} {}\n", key.name, B64.encode(raw))
    }

    /// Check a signed note against a verifier key and parse its body.
    pub fn open(note: &str, vkey: &str) -> Result<Checkpoint, AuditError> {
        let v = Verifier::parse(vkey)?;
        let bad = |what: &str| {
            AuditError::invalid(
                format!("checkpoint: {what}"),
                "pass a checkpoint written by `cordon audit checkpoint`, unmodified",
            )
        };
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| bad("no blank line before the signatures"))?;
        let body = &note[..split + 1];
        let sigs = &note[split + 2..];
        let mut verified = false;
        for line in sigs.lines() {
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return Err(bad("malformed signature line"));
            };
            let (name, b64) = rest
                .rsplit_once(' ')
                .ok_or_else(|| bad("malformed signature line"))?;
            let raw = B64
                .decode(b64)
                .map_err(|_| bad("signature is not base64"))?;
            if name != v.name || raw.len() != 68 || raw[..4] != v.id {
                continue; // another key's signature: ignored, as signed-note requires
            }
            let sig =
                Signature::from_bytes(raw[4..].try_into().map_err(|_| bad("short signature"))?);
            if v.key.verify_strict(body.as_bytes(), &sig).is_err() {
                return Err(bad("the signature does not match: the checkpoint was altered or signed by another key"));
            }
            verified = true;
        }
        if !verified {
            return Err(bad(&format!("not signed by {}", v.name)));
        }
        let mut lines = body.lines();
        let origin = lines.next().unwrap_or_default().to_string();
        let size = lines
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("second line is not a size"))?;
        let hash: [u8; 32] = lines
            .next()
            .and_then(|s| B64.decode(s).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("third line is not a base64 SHA-256 hash"))?;
        Ok(Checkpoint { origin, size, hash })
    }
}

/// Sign the journal's current head, store it as `checkpoint` in the journal
/// directory and return the note.
pub fn create(journal: &Journal) -> Result<String, AuditError> {
    let key = Key::load_or_create(journal)?;
    let (size, hash) = journal.head()?.ok_or_else(|| {
        AuditError::invalid(
            "audit journal: nothing to checkpoint, the journal is empty",
            "record something first",
        )
    })?;
    let cp = Checkpoint {
        origin: origin_of(journal),
        size,
        hash,
    };
    let note = cp.sign(&key);
    let path = journal.dir().join(CHECKPOINT_FILE);
    let tmp = journal.dir().join("checkpoint.tmp");
    std::fs::write(&tmp, &note)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|e| AuditError::io("write", &path, &e))?;
    Ok(note)
}

/// How a checkpoint relates to the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    /// The journal contains the checkpointed head unchanged (and may go further).
    Extends { size: u64, head: u64 },
    /// The record at the checkpoint's size has another hash: history was rewritten.
    Rewritten { size: u64 },
    /// The journal is shorter than the checkpoint: records were removed or an older copy restored.
    Shorter { size: u64, head: u64 },
    /// The checkpointed record was pruned by retention; it cannot be compared.
    Pruned { size: u64 },
}

/// Check a signed checkpoint against the journal. `vkey` defaults to the
/// journal's own `audit.pub`. Signature or origin problems are errors.
pub fn check(journal: &Journal, note: &str, vkey: Option<&str>) -> Result<Relation, AuditError> {
    let own;
    let vkey = match vkey {
        Some(v) => v,
        None => {
            let p = journal.dir().join(PUB_FILE);
            own = std::fs::read_to_string(&p).map_err(|e| AuditError::io("read", &p, &e))?;
            own.as_str()
        }
    };
    let cp = Checkpoint::open(note, vkey)?;
    let origin = origin_of(journal);
    if cp.origin != origin {
        return Err(AuditError::invalid(
            format!("checkpoint is for {}, this journal is {origin}", cp.origin),
            "check it against the journal it was made from",
        ));
    }
    let head = journal.head()?.map(|h| h.0).unwrap_or(0);
    if cp.size > head {
        return Ok(Relation::Shorter {
            size: cp.size,
            head,
        });
    }
    Ok(match journal.hash_at(cp.size)? {
        Some(h) if h == cp.hash => Relation::Extends {
            size: cp.size,
            head,
        },
        Some(_) => Relation::Rewritten { size: cp.size },
        None if journal.is_pruned(cp.size)? => Relation::Pruned { size: cp.size },
        None => Relation::Rewritten { size: cp.size },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_roundtrip_whatever_their_base64() {
        for i in 0..64u8 {
            let key = Key::from_seed("cordon-audit/x", [i.wrapping_mul(37); 32]);
            let back = Key::parse_skey(&key.skey()).unwrap();
            assert_eq!(back.vkey(), key.vkey());
            let cp = Checkpoint {
                origin: "cordon-audit/x".into(),
                size: i as u64,
                hash: [i; 32],
            };
            assert_eq!(Checkpoint::open(&cp.sign(&key), &key.vkey()).unwrap(), cp);
        }
    }

    #[test]
    fn other_keys_do_not_verify() {
        let a = Key::from_seed("cordon-audit/x", [1; 32]);
        let b = Key::from_seed("cordon-audit/x", [2; 32]);
        let cp = Checkpoint {
            origin: "cordon-audit/x".into(),
            size: 1,
            hash: [0; 32],
        };
        let e = Checkpoint::open(&cp.sign(&a), &b.vkey()).unwrap_err();
        assert!(e.what.contains("not signed by"), "{e}");
    }
}
