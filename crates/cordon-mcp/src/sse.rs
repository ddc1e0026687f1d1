//! Server-Sent Events, one event at a time, with a size bound.
//!
//! A Streamable HTTP server answers a POST (or the standing GET) with a
//! `text/event-stream`; each event's `data` is one JSON-RPC message. The
//! gateway reads one event, polices its message and passes it on before
//! reading the next, so progress and server requests reach the agent as they
//! come. Lines end in `\n` (a `\r` before it is dropped); a lone `\r` as a
//! line end is not supported.
//!
//! ```
//! use cordon_mcp::sse::read_event;
//! let mut r = std::io::Cursor::new(b"event: message\nid: 7\ndata: {\"a\":\ndata: 1}\n\n: keep-alive\n\n".to_vec());
//! let e = read_event(&mut r, 1 << 20).unwrap().unwrap();
//! assert_eq!(e.data().as_deref(), Some("{\"a\":\n1}"));
//! assert_eq!(e.to_bytes(), b"event: message\nid: 7\ndata: {\"a\":\ndata: 1}\n\n");
//! let keep_alive = read_event(&mut r, 1 << 20).unwrap().unwrap();
//! assert!(keep_alive.data().is_none());
//! assert!(read_event(&mut r, 1 << 20).unwrap().is_none());
//! ```

use crate::frame::{read_frame, Frame};
use std::io::{self, BufRead};

/// One event: its lines as received (without line ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub lines: Vec<String>,
}

impl Event {
    /// The `data` fields joined by `\n`, if the event has any.
    pub fn data(&self) -> Option<String> {
        let mut out: Option<String> = None;
        for l in &self.lines {
            let Some(d) = field(l, "data") else { continue };
            match &mut out {
                Some(s) => {
                    s.push('\n');
                    s.push_str(d);
                }
                None => out = Some(d.to_string()),
            }
        }
        out
    }
    /// The same event with its data replaced (other fields kept, in order).
    pub fn with_data(&self, data: &str) -> Event {
        let mut lines: Vec<String> = self
            .lines
            .iter()
            .filter(|l| field(l, "data").is_none())
            .cloned()
            .collect();
        lines.extend(data.split('\n').map(|d| format!("data: {d}")));
        Event { lines }
    }
    /// A new event carrying one message.
    pub fn message(data: &str) -> Event {
        Event {
            lines: vec!["event: message".into()],
        }
        .with_data(data)
    }
    /// Wire form, ending with the blank line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for l in &self.lines {
            out.extend_from_slice(l.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out
    }
}

/// The value of a `name:` field line (one leading space removed).
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(name)?;
    if rest.is_empty() {
        return Some("");
    }
    let v = rest.strip_prefix(':')?;
    Some(v.strip_prefix(' ').unwrap_or(v))
}

/// Read the next event; `Ok(None)` at the end of the stream. An event over
/// `max` bytes, a truncated one, or one that is not UTF-8 is an error: the
/// stream cannot be trusted to be in step after it.
pub fn read_event<R: BufRead>(r: &mut R, max: usize) -> io::Result<Option<Event>> {
    let mut lines = Vec::new();
    let mut size = 0usize;
    loop {
        let line = match read_frame(r, max.saturating_sub(size))? {
            // An event cut off by the end of the stream is not dispatched (as in the SSE spec).
            None => return Ok(None),
            Some(Frame::Line(l)) => l,
            Some(Frame::TooLong(n)) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("an event of more than {} bytes (bound {max})", size + n),
                ))
            }
            Some(Frame::Truncated(b)) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the stream ended in the middle of a line ({} bytes)",
                        b.len()
                    ),
                ))
            }
        };
        if line.is_empty() {
            if lines.is_empty() {
                continue;
            }
            return Ok(Some(Event { lines }));
        }
        size += line.len() + 1;
        let text = String::from_utf8(line).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, "an event that is not UTF-8")
        })?;
        lines.push(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_in_step_and_bounded() {
        let input = b"id: 1\r\ndata: {}\r\n\r\n\n\ndata: x\n\n";
        let mut r = io::BufReader::with_capacity(3, &input[..]);
        let a = read_event(&mut r, 100).unwrap().unwrap();
        assert_eq!(a.lines, vec!["id: 1", "data: {}"]);
        assert_eq!(a.with_data("[1]").to_bytes(), b"id: 1\ndata: [1]\n\n");
        assert_eq!(
            read_event(&mut r, 100).unwrap().unwrap().data().unwrap(),
            "x"
        );
        assert!(read_event(&mut r, 100).unwrap().is_none());

        let big = format!("data: {}\n\n", "a".repeat(200));
        let mut r = io::BufReader::new(big.as_bytes());
        assert!(read_event(&mut r, 100).is_err());
        let mut r = io::BufReader::new(&b"data: {\"cut"[..]);
        assert!(read_event(&mut r, 100).is_err());
        assert_eq!(field("data:x", "data"), Some("x"));
        assert_eq!(field("database: x", "data"), None);
    }
}
