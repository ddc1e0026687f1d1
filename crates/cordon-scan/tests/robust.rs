//! Arbitrary input never panics, and every finding is a valid span of the input.

use cordon_scan::{Layers, Screen};

/// Deterministic xorshift so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

/// Pieces that exercise every normalisation path, including broken escapes and markup.
const PIECES: &[&str] = &[
    "ignore",
    " all ",
    "previous",
    " instructions",
    "\u{200B}",
    "\u{202E}",
    "\u{E0069}",
    "\u{E0067}",
    "\u{1F3F4}",
    "İ",
    "ß",
    "ﬁ",
    "а",
    "ｉ",
    "𝐢",
    "Ⓘ",
    "\\u0069",
    "\\ud83d\\ude00",
    "\\ud83d",
    "\\u12",
    "\\",
    "\\n",
    "&#105;",
    "&#x;",
    "&amp",
    "&",
    "<!--",
    "-->",
    "<div style=\"display:none\">",
    "</div>",
    "<p hidden>",
    "![alt text that is long enough](",
    "\"title that is long enough\")",
    "aWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnM=",
    "%69%67%6E%6F%72%65",
    "%",
    "%zz",
    "\n",
    " ",
    "assistant",
    ":",
    "system",
    "<|im_start|>",
    "é",
    "日本語",
    "🙂",
    "\u{FE0F}",
    "\r\n",
    "\t",
];

#[test]
fn random_inputs_give_valid_spans() {
    let screens = [
        Screen::default(),
        Screen::default().with_layers(Layers {
            normalise: false,
            ..Layers::default()
        }),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let n = 1 + rng.next() % 40;
        let text: String = (0..n).map(|_| rng.pick(PIECES)).collect();
        for s in &screens {
            let v = s.screen(&text);
            assert!((0.0..=1.0).contains(&v.score), "{text:?}");
            for f in &v.findings {
                assert!(f.start <= f.end && f.end <= text.len(), "{text:?}: {f:?}");
                assert!(
                    text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
                    "{text:?}: {f:?}"
                );
            }
        }
    }
}

#[test]
fn invalid_utf8_streams_keep_offsets() {
    let mut rng = Rng(42);
    for _ in 0..300 {
        let n = (rng.next() % 3000) as usize;
        let bytes: Vec<u8> = (0..n).map(|_| (rng.next() % 256) as u8).collect();
        let v = Screen::default().screen_reader(&bytes[..]).unwrap();
        for f in &v.findings {
            assert!(f.start <= f.end && f.end <= bytes.len());
        }
    }
}
