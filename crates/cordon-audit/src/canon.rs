//! The canonical encoding that the hash chain covers.
//!
//! A payload is stored as canonical JSON ([`canonical_json`]): object keys in
//! byte order, no whitespace, strings escaped as `serde_json` escapes them,
//! numbers as `serde_json` prints them. The stored text is what is hashed, so
//! verification never re-serialises anything.
//!
//! A record's hash ([`record_hash`]) is SHA-256 over
//!
//! ```text
//! "cordon-audit/v1\n"
//! seq      u64 big-endian
//! time_ns  u64 big-endian
//! session  u32 big-endian length, UTF-8 bytes
//! source   u32 big-endian length, UTF-8 bytes
//! kind     u32 big-endian length, UTF-8 bytes
//! payload  u32 big-endian length, canonical JSON bytes
//! prev     32 bytes: the previous record's hash (GENESIS for seq 1)
//! ```
//!
//! ```
//! let v = serde_json::json!({"b": 1, "a": [true, null, "x"]});
//! assert_eq!(cordon_audit::canon::canonical_json(&v), r#"{"a":[true,null,"x"],"b":1}"#);
//! ```
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev` hash of the first record: 32 zero bytes.
pub const GENESIS: [u8; 32] = [0u8; 32];

const DOMAIN: &[u8] = b"cordon-audit/v1\n";

/// Canonical JSON text of a value (keys sorted bytewise at every level).
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, &mut out);
    out
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                write_value(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap_or_default()),
    }
}

/// The hash of one record over its stored fields (see the module docs).
pub fn record_hash(
    seq: u64,
    time_ns: u64,
    session: &str,
    source: &str,
    kind: &str,
    payload: &str,
    prev: &[u8; 32],
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(seq.to_be_bytes());
    h.update(time_ns.to_be_bytes());
    for field in [session, source, kind, payload] {
        h.update((field.len() as u32).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.update(prev);
    h.finalize().into()
}

/// SHA-256 of arbitrary bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_keys_sorted_and_escaped() {
        let v = serde_json::json!({"z": {"y": "\"q\"\n", "b": 1.5}, "a": -3});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":-3,"z":{"b":1.5,"y":"\"q\"\n"}}"#
        );
    }

    #[test]
    fn hash_depends_on_every_field() {
        let base = record_hash(1, 2, "s", "hook", "k", "{}", &GENESIS);
        let variants = [
            record_hash(2, 2, "s", "hook", "k", "{}", &GENESIS),
            record_hash(1, 3, "s", "hook", "k", "{}", &GENESIS),
            record_hash(1, 2, "t", "hook", "k", "{}", &GENESIS),
            record_hash(1, 2, "s", "mcp", "k", "{}", &GENESIS),
            record_hash(1, 2, "s", "hook", "j", "{}", &GENESIS),
            record_hash(1, 2, "s", "hook", "k", "[]", &GENESIS),
            record_hash(1, 2, "s", "hook", "k", "{}", &[1u8; 32]),
            // length prefixes keep field boundaries apart
            record_hash(1, 2, "sh", "ook", "k", "{}", &GENESIS),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
    }
}
