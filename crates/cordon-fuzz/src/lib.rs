//! A coverage-free fuzzing harness that runs as an ordinary test, on stable Rust.
//!
//! Each target gives a hand-written seed corpus, a dictionary of tokens that
//! matter to its grammar, and a function that must never panic (nor overflow
//! its stack, nor hang) whatever bytes it is given. The harness mutates the
//! corpus (bit flips, token insertions, splices, duplications that deepen
//! nesting, truncations, repetition to adversarial sizes) with a seeded
//! generator for a bounded time, and fails the test on the first panic,
//! saving the input under `target/fuzz-failures/`.
//!
//! ```no_run
//! cordon_fuzz::run("frames", &[b"{}\n"], &[b"\n", b"\r"], |bytes| {
//!     let _ = std::str::from_utf8(bytes);
//! });
//! ```
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `CORDON_FUZZ_SECS` | how long each target runs | 60 with `CI` set, else 10 |
//! | `CORDON_FUZZ_SEED` | the generator's seed (printed by every run) | from the clock |
//! | `CORDON_FUZZ_ITERS` | stop after this many inputs (to replay a seed) | none |
//!
//! A stack overflow aborts the test process (it cannot be caught): the run
//! prints its seed first, and `CORDON_FUZZ_SEED=N` replays the same inputs in
//! the same order. See docs/FUZZING.md.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Inputs are cut to this many bytes after mutation.
const MAX_LEN: usize = 2 << 20;

/// A small, fast, seeded generator (xorshift64*).
pub struct Gen(u64);

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// One in `n`.
    pub fn chance(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// `unit` repeated a number of times that is now and then adversarial
    /// (up to 100,000).
    pub fn repeat(&mut self, unit: &[u8]) -> Vec<u8> {
        let n = match self.below(64) {
            0 => *self.pick(&[3_000, 10_000, 100_000]),
            1..=4 => self.below(5_000),
            5..=16 => self.below(512),
            _ => self.below(16),
        };
        unit.repeat(n)
    }
}

/// Mutate `input` in place with one to four random edits.
pub fn mutate(g: &mut Gen, input: &mut Vec<u8>, corpus: &[&[u8]], dict: &[&[u8]]) {
    for _ in 0..1 + g.below(4) {
        let at = g.below(input.len() + 1);
        match g.below(9) {
            0 if !input.is_empty() => {
                let i = g.below(input.len());
                input[i] ^= 1 << g.below(8);
            }
            1 if !input.is_empty() => {
                let i = g.below(input.len());
                input[i] = g.next_u64() as u8;
            }
            2 | 3 if !dict.is_empty() => {
                let tok = g.pick(dict);
                input.splice(at..at, tok.iter().copied());
            }
            4 if !input.is_empty() => {
                let end = at + g.below(input.len() - at.min(input.len()) + 1);
                input.drain(at.min(input.len())..end.min(input.len()));
            }
            5 => {
                // Splice in a piece of another seed.
                let other = g.pick(corpus);
                if !other.is_empty() {
                    let s = g.below(other.len());
                    let e = s + g.below(other.len() - s) + 1;
                    input.splice(at..at, other[s..e].iter().copied());
                }
            }
            6 if !input.is_empty() => {
                // Duplicate a range many times: deep nesting, long lists.
                let s = g.below(input.len());
                let e = (s + 1 + g.below(16)).min(input.len());
                let piece = input[s..e].to_vec();
                let rep = g.repeat(&piece);
                input.splice(s..s, rep);
            }
            7 if !dict.is_empty() => {
                // Wrap a range in an opening and a closing token, repeatedly.
                let open = *g.pick(dict);
                let close = *g.pick(dict);
                for _ in 0..1 + g.below(8) {
                    input.splice(0..0, open.iter().copied());
                    input.extend_from_slice(close);
                }
            }
            _ => input.truncate(at),
        }
    }
    input.truncate(MAX_LEN);
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// How long each target runs.
pub fn budget() -> Duration {
    let default = if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        60
    } else {
        10
    };
    Duration::from_secs(env_u64("CORDON_FUZZ_SECS").unwrap_or(default))
}

/// Fuzz `target` for [`budget`] seconds: every seed as given, then mutants.
/// Panics (fails the test) with the seed and the saved input on the first
/// input `target` panics on.
pub fn run(name: &str, corpus: &[&[u8]], dict: &[&[u8]], mut target: impl FnMut(&[u8])) {
    let seed = env_u64("CORDON_FUZZ_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let budget = budget();
    let max_iters = env_u64("CORDON_FUZZ_ITERS").unwrap_or(u64::MAX);
    eprintln!(
        "fuzz {name}: seed {seed} for {} s (replay: CORDON_FUZZ_SEED={seed})",
        budget.as_secs()
    );
    let mut g = Gen::new(seed);
    let start = Instant::now();
    let mut iters = 0u64;
    let mut slowest = (Duration::ZERO, 0usize);
    let mut check = |input: &[u8], iters: u64| {
        let t = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| target(input)));
        if t.elapsed() > slowest.0 {
            slowest = (t.elapsed(), input.len());
        }
        if let Err(e) = r {
            let why = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let saved = save(name, input);
            panic!(
                "fuzz {name}: input {iters} (seed {seed}) panicked: {why}; input saved to {}",
                saved.display()
            );
        }
    };
    for s in corpus {
        check(s, iters);
        iters += 1;
    }
    while start.elapsed() < budget && iters < max_iters {
        let mut input = g.pick(corpus).to_vec();
        mutate(&mut g, &mut input, corpus, dict);
        check(&input, iters);
        iters += 1;
    }
    eprintln!(
        "fuzz {name}: {iters} inputs in {:.1} s, none crashed (slowest: {:.2} s for {} bytes)",
        start.elapsed().as_secs_f64(),
        slowest.0.as_secs_f64(),
        slowest.1
    );
    assert!(iters > corpus.len() as u64 || max_iters <= corpus.len() as u64);
}

fn save(name: &str, input: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{name}-{}.bin", std::process::id()));
    let _ = std::fs::write(&path, input);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_inputs() {
        let corpus: &[&[u8]] = &[b"echo $(ls)", b"{}"];
        let dict: &[&[u8]] = &[b"$(", b")"];
        let run = |seed| {
            let mut g = Gen::new(seed);
            (0..200)
                .map(|_| {
                    let mut i = g.pick(corpus).to_vec();
                    mutate(&mut g, &mut i, corpus, dict);
                    i
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn a_panicking_target_fails_the_run_and_names_the_seed() {
        std::env::set_var("CORDON_FUZZ_SEED", "42");
        let r = catch_unwind(|| {
            run("selftest", &[b"ok", b"boom"], &[], |b| {
                assert!(b != b"boom", "found it");
            })
        });
        std::env::remove_var("CORDON_FUZZ_SEED");
        let e = r.unwrap_err();
        let msg = e.downcast_ref::<String>().unwrap();
        assert!(msg.contains("seed 42") && msg.contains("found it"), "{msg}");
    }
}
