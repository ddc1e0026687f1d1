//! Newline-delimited frames with a size bound.
//!
//! MCP's stdio transport is one JSON-RPC message per line. A peer that sends a
//! line longer than the bound (or never ends one) must not make the gateway
//! buffer without limit, so an over-long line is skipped up to its newline and
//! reported as [`Frame::TooLong`]: the stream stays in step.

use std::io::{self, BufRead};

/// Default bound on one message: 16 MiB.
pub const MAX_FRAME: usize = 16 << 20;

/// One line read from a peer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete line (without its `\n`, and without a trailing `\r`).
    Line(Vec<u8>),
    /// A line longer than the bound, skipped; its length in bytes.
    TooLong(usize),
    /// The stream ended in the middle of a line (a truncated message); its bytes so far.
    Truncated(Vec<u8>),
}

/// Read the next frame; `Ok(None)` at a clean end of stream.
pub fn read_frame<R: BufRead>(r: &mut R, max: usize) -> io::Result<Option<Frame>> {
    let mut buf = Vec::new();
    let mut skipped = 0usize;
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(match (skipped, buf.is_empty()) {
                (0, true) => None,
                (0, false) => Some(Frame::Truncated(buf)),
                (n, _) => Some(Frame::TooLong(n + buf.len())),
            });
        }
        let (chunk, found) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (&avail[..i], Some(i)),
            None => (avail, None),
        };
        if skipped > 0 || buf.len() + chunk.len() > max {
            skipped += buf.len() + chunk.len();
            buf.clear();
        } else {
            buf.extend_from_slice(chunk);
        }
        let used = found.map_or(chunk.len(), |i| i + 1);
        r.consume(used);
        if found.is_some() {
            if skipped > 0 {
                return Ok(Some(Frame::TooLong(skipped)));
            }
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Some(Frame::Line(buf)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn frames(input: &[u8], max: usize) -> Vec<Frame> {
        let mut r = BufReader::with_capacity(7, input);
        let mut out = Vec::new();
        while let Some(f) = read_frame(&mut r, max).unwrap() {
            out.push(f);
        }
        out
    }

    #[test]
    fn lines_long_lines_and_truncation() {
        let input = b"{\"a\":1}\r\n0123456789abcdef\n{}\n{\"cut";
        assert_eq!(
            frames(input, 10),
            vec![
                Frame::Line(b"{\"a\":1}".to_vec()),
                Frame::TooLong(16),
                Frame::Line(b"{}".to_vec()),
                Frame::Truncated(b"{\"cut".to_vec()),
            ]
        );
    }

    #[test]
    fn an_endless_line_is_bounded() {
        let input = vec![b'x'; 100_000];
        assert_eq!(frames(&input, 1000), vec![Frame::TooLong(100_000)]);
    }
}
