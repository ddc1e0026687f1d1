//! What the gateway does to text passing through: strip terminal escapes,
//! gather the text to screen.

use serde_json::Value;

/// Remove ANSI/VT escape sequences (CSI, OSC, DCS and two-byte escapes, 7- and
/// 8-bit) that could rewrite what a person sees in a terminal.
pub fn strip_ansi(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['\u{1b}', '\u{9b}', '\u{9d}', '\u{90}']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        let kind = match c {
            '\u{1b}' => match it.next() {
                Some('[') => '[',
                Some(']') => ']',
                Some('P') | Some('X') | Some('^') | Some('_') => ']',
                _ => continue, // two-byte escape (or a lone ESC at the end)
            },
            '\u{9b}' => '[',
            '\u{9d}' | '\u{90}' => ']',
            c => {
                out.push(c);
                continue;
            }
        };
        if kind == '[' {
            // Parameters and intermediates, then one final byte 0x40..=0x7e.
            for c in it.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        } else {
            // String until BEL, ST (ESC \) or 8-bit ST.
            while let Some(c) = it.next() {
                if c == '\u{7}' || c == '\u{9c}' {
                    break;
                }
                if c == '\u{1b}' {
                    if it.peek() == Some(&'\\') {
                        it.next();
                    }
                    break;
                }
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Strip escapes from every string in a value, in place; true if anything changed.
pub fn strip_all(v: &mut Value) -> bool {
    match v {
        Value::String(s) => match strip_ansi(s) {
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
        assert_eq!(strip_ansi("\u{1b}[31mred\u{1b}[0m ok"), "red ok");
        assert_eq!(
            strip_ansi("a\u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{1b}\\b"),
            "alinkb"
        );
        assert_eq!(strip_ansi("x\u{1b}7y\u{9b}2Jz"), "xyz");
        assert_eq!(strip_ansi("plain"), "plain");
        let mut v = serde_json::json!({"content": [{"type": "text", "text": "\u{1b}[2Khi"}]});
        assert!(strip_all(&mut v));
        assert_eq!(v["content"][0]["text"], "hi");
    }
}
