//! Test payloads for the bulk-relay tests (included with `#[path]` by
//! `proxy.rs` and `relay_fallback.rs`).

/// `n` bytes that repeat nowhere (xorshift), so a dropped, doubled or
/// reordered chunk changes the hash.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
