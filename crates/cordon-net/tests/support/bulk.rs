//! Shared by the bulk-relay tests (included with `#[path]` by `proxy.rs` and
//! `relay_fallback.rs`).
use std::io::{Read, Write};
use std::net::TcpStream;

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

/// Ask the proxy on `s` for a CONNECT tunnel to `target` and read its answer
/// up to the blank line; panics unless it is `200`.
pub fn connect(s: &mut TcpStream, target: &str) {
    write!(s, "CONNECT {target} HTTP/1.1\r\n\r\n").unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 200"), "{head:?}");
}
