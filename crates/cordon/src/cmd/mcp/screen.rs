//! What the gateway does to text passing through: strip terminal escapes
//! (with the pty relay's parser, `cordon_sandbox::term`, in its text-only
//! mode), gather the text to screen.

use serde_json::Value;

/// Strip escape sequences (CSI, OSC, DCS, SOS/PM/APC and two-byte escapes,
/// 7- and 8-bit) and C1 controls, which could rewrite what a person sees in a
/// terminal, from every string in a value, in place; true if anything changed.
pub fn strip_all(v: &mut Value) -> bool {
    match v {
        Value::String(s) => match cordon_sandbox::term::strip(s) {
            std::borrow::Cow::Owned(o) => {
                *s = o;
                true
            }
            _ => false,
        },
        Value::Array(a) => a.iter_mut().fold(false, |acc, x| strip_all(x) | acc),
        Value::Object(o) => o.values_mut().fold(false, |acc, x| strip_all(x) | acc),
        _ => false,
    }
}

/// All text a result carries, joined by newlines (what the model will read).
pub fn text_of(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(a) => a.iter().for_each(|x| text_of(x, out)),
        Value::Object(o) => {
            for (k, x) in o {
                // Binary payloads are not text a model reads.
                if k != "blob" && k != "data" {
                    text_of(x, out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_removed_and_text_kept() {
        let mut v = serde_json::json!({"content": [{"type": "text", "text": "\u{1b}[2Khi"}]});
        assert!(strip_all(&mut v));
        assert_eq!(v["content"][0]["text"], "hi");
    }
}
