//! Layer 3: a small learned model, hashed word n-grams with logistic regression.
//!
//! The normalised text is cut into tokens (runs of letters and digits, or short runs
//! of punctuation). Each token contributes the weight of its unigram and of the bigram
//! it ends. Texts are scored in overlapping windows of [`WINDOW`] tokens, so an
//! injection inside a long, benign page is not diluted; the text's model score is the
//! best window's. The weights are trained offline by
//! `cargo run --release -p cordon-scan --example train` and shipped in
//! `model/weights.bin` (see [`Model::from_bytes`] for the format).
//!
//! Featurisation and windowing are public (but hidden from the docs) so the training
//! program uses exactly the code that scores at run time.

/// Hash space: 2^18 weights.
pub const DIM_BITS: u32 = 18;
pub const DIM: usize = 1 << DIM_BITS;
/// Tokens per window.
pub const WINDOW: usize = 40;
/// Window step.
pub const STRIDE: usize = 10;
/// Longest token kept verbatim; longer ones become one shared "long" token.
const MAX_TOKEN: usize = 24;

/// A token's byte span in the normalised text and its two feature indices.
#[derive(Clone, Copy, Debug)]
pub struct Tok {
    pub start: u32,
    pub end: u32,
    pub uni: u32,
    pub bi: u32,
}

#[inline]
fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

#[inline]
fn mix(a: u64, b: u64) -> u64 {
    let mut x = a ^ b.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15;
    x = (x ^ (x >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^ (x >> 29)
}

const SEED: u64 = 0xcbf2_9ce4_8422_2325;

/// Tokenise normalised text: words (alphanumeric runs; all-digit words become `0`,
/// very long words one `#long` token) and punctuation runs (at most 3 characters).
pub fn tokens(norm: &str, out: &mut Vec<Tok>) {
    out.clear();
    let b = norm.as_bytes();
    let mut prev = SEED;
    let mut i = 0;
    let n = b.len();
    while i < n {
        let x = b[i];
        if x.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let word = if x < 0x80 {
            x.is_ascii_alphanumeric()
        } else {
            norm[i..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric())
        };
        if word {
            let mut digits = true;
            while i < n {
                let y = b[i];
                if y < 0x80 {
                    if !y.is_ascii_alphanumeric() {
                        break;
                    }
                    digits &= y.is_ascii_digit();
                    i += 1;
                } else {
                    let c = norm[i..].chars().next().unwrap_or(' ');
                    if !c.is_alphanumeric() {
                        break;
                    }
                    digits = false;
                    i += c.len_utf8();
                }
            }
            let t = &b[start..i];
            let h = if digits {
                fnv(SEED, b"0")
            } else if t.len() > MAX_TOKEN {
                fnv(SEED, b"#long")
            } else {
                fnv(SEED, t)
            };
            push(out, start, i, h, &mut prev);
        } else {
            // Punctuation: a run of non-space, non-alphanumeric characters.
            while i < n {
                let y = b[i];
                if y.is_ascii_whitespace() || y.is_ascii_alphanumeric() {
                    break;
                }
                if y >= 0x80 {
                    let c = norm[i..].chars().next().unwrap_or(' ');
                    if c.is_alphanumeric() || c.is_whitespace() {
                        break;
                    }
                    i += c.len_utf8();
                } else {
                    i += 1;
                }
            }
            let t = &b[start..i];
            let keep = &t[..t.len().min(3)];
            let h = fnv(SEED ^ 0x55, keep);
            push(out, start, i, h, &mut prev);
        }
    }
}

/// Append a token, unless it repeats the previous one: runs such as `_ _ _ _` or
/// `.. .. ..` count once, so repetition cannot pile up a weight.
#[inline]
fn push(out: &mut Vec<Tok>, start: usize, end: usize, h: u64, prev: &mut u64) {
    if h == *prev {
        if let Some(last) = out.last_mut() {
            last.end = end as u32;
        }
        return;
    }
    let mask = (DIM - 1) as u64;
    let bi = mix(*prev, h);
    out.push(Tok {
        start: start as u32,
        end: end as u32,
        uni: (h & mask) as u32,
        bi: (bi & mask) as u32,
    });
    *prev = h;
}

/// Window `[a, b)` token ranges over `n` tokens: one window if short, else every
/// [`STRIDE`] tokens, the last one ending at `n`.
pub fn windows(n: usize) -> impl Iterator<Item = (usize, usize)> {
    let last = n.saturating_sub(WINDOW);
    let count = if n <= WINDOW {
        1
    } else {
        last.div_ceil(STRIDE) + 1
    };
    (0..count).map(move |k| {
        let a = (k * STRIDE).min(last);
        (a, (a + WINDOW).min(n))
    })
}

/// Feature scale for a window of `len` tokens (each contributes two features).
#[inline]
pub fn scale(len: usize) -> f32 {
    1.0 / ((2 * len.max(1)) as f32).sqrt()
}

/// The learned weights.
pub struct Model {
    pub bias: f32,
    pub w: Vec<f32>,
}

const MAGIC: &[u8; 4] = b"CSM1";

impl Model {
    /// Parse the weight file: `CSM1`, dim (u32 LE), bias (f32 LE), scale (f32 LE),
    /// then `dim` signed bytes; weight `i` is `byte[i] * scale`.
    pub fn from_bytes(b: &[u8]) -> Option<Model> {
        if b.get(..4)? != MAGIC {
            return None;
        }
        let rd = |i: usize| -> Option<[u8; 4]> { b.get(i..i + 4)?.try_into().ok() };
        let dim = u32::from_le_bytes(rd(4)?) as usize;
        let bias = f32::from_le_bytes(rd(8)?);
        let scale = f32::from_le_bytes(rd(12)?);
        let q = b.get(16..16 + dim)?;
        if dim != DIM {
            return None;
        }
        let w = q.iter().map(|&v| v as i8 as f32 * scale).collect();
        Some(Model { bias, w })
    }

    /// Serialise with 8-bit quantisation (the inverse of [`Model::from_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let max = self.w.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
        let scale = max / 127.0;
        let mut out = Vec::with_capacity(16 + self.w.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.w.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.bias.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        out.extend(
            self.w
                .iter()
                .map(|v| (v / scale).round().clamp(-127.0, 127.0) as i8 as u8),
        );
        out
    }

    /// The best window's logit and its token range, or None for text without tokens.
    pub fn best_window(&self, toks: &[Tok]) -> Option<(f32, usize, usize)> {
        if toks.is_empty() {
            return None;
        }
        // Prefix sums of per-token contributions make every window O(1).
        let mut pre = Vec::with_capacity(toks.len() + 1);
        let mut acc = 0f32;
        pre.push(0f32);
        for t in toks {
            acc += self.w[t.uni as usize] + self.w[t.bi as usize];
            pre.push(acc);
        }
        let mut best = (f32::NEG_INFINITY, 0, 0);
        for (a, b) in windows(toks.len()) {
            let z = self.bias + (pre[b] - pre[a]) * scale(b - a);
            if z > best.0 {
                best = (z, a, b);
            }
        }
        Some(best)
    }
}

/// The logistic function.
#[inline]
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_everything() {
        assert_eq!(windows(0).collect::<Vec<_>>(), [(0, 0)]);
        assert_eq!(windows(5).collect::<Vec<_>>(), [(0, 5)]);
        let w: Vec<_> = windows(WINDOW + 15).collect();
        assert_eq!(w.first(), Some(&(0, WINDOW)));
        assert_eq!(w.last(), Some(&(15, WINDOW + 15)));
    }

    #[test]
    fn tokens_split_words_and_punctuation() {
        let mut t = Vec::new();
        tokens("hello, world 12345 !!!!", &mut t);
        assert_eq!(t.len(), 5);
        let mut r = Vec::new();
        tokens("_ _ _ _ x", &mut r);
        assert_eq!(r.len(), 2, "repeats count once");
        let mut u = Vec::new();
        tokens("hello 99", &mut u);
        assert_eq!(t[3].uni, u[1].uni, "numbers share one token");
    }

    #[test]
    fn weights_round_trip() {
        let mut w = vec![0f32; DIM];
        w[7] = 1.5;
        w[9] = -0.75;
        let m = Model { bias: -2.0, w };
        let back = Model::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back.bias, -2.0);
        assert!((back.w[7] - 1.5).abs() < 0.02 && (back.w[9] + 0.75).abs() < 0.02);
    }
}
