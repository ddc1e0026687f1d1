//! Reading the server name (SNI) from a TLS ClientHello, to refuse domain
//! fronting: a CONNECT to `allowed.com` whose TLS names `other.com`.
//!
//! Only parses; never decrypts. The ClientHello may span several records.

/// What the first bytes a client sent through a tunnel are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hello {
    /// Not enough bytes yet; read more.
    NeedMore,
    /// The stream does not start with a TLS handshake record.
    NotTls,
    /// A complete ClientHello, with its server name if it sent one.
    ClientHello { sni: Option<String> },
    /// Starts like TLS but cannot be parsed (refused: it cannot be checked).
    Malformed(&'static str),
}

/// The most bytes read while waiting for a complete ClientHello.
pub const MAX_HELLO: usize = 64 * 1024;

/// Inspect the bytes a client sent first.
pub fn inspect(buf: &[u8]) -> Hello {
    if buf.is_empty() {
        return Hello::NeedMore;
    }
    if buf[0] != 0x16 {
        return Hello::NotTls;
    }
    // Reassemble the handshake layer from consecutive handshake records.
    let mut hs = Vec::new();
    let mut rest = buf;
    loop {
        if rest.len() < 5 {
            return need_more(buf);
        }
        if rest[0] != 0x16 {
            return Hello::Malformed("a non-handshake record inside the ClientHello");
        }
        if rest[1] != 3 {
            return Hello::Malformed("unknown record version");
        }
        let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
        if len == 0 || len > 16384 + 2048 {
            return Hello::Malformed("bad record length");
        }
        if rest.len() < 5 + len {
            return need_more(buf);
        }
        hs.extend_from_slice(&rest[5..5 + len]);
        rest = &rest[5 + len..];
        if hs.len() >= 4 {
            if hs[0] != 1 {
                return Hello::Malformed("first handshake message is not a ClientHello");
            }
            let mlen = u32::from_be_bytes([0, hs[1], hs[2], hs[3]]) as usize;
            if hs.len() >= 4 + mlen {
                return match parse_client_hello(&hs[4..4 + mlen]) {
                    Some(sni) => Hello::ClientHello { sni },
                    None => Hello::Malformed("truncated ClientHello"),
                };
            }
            if 4 + mlen > MAX_HELLO {
                return Hello::Malformed("ClientHello too large");
            }
        }
    }
}

fn need_more(buf: &[u8]) -> Hello {
    if buf.len() >= MAX_HELLO {
        Hello::Malformed("ClientHello too large")
    } else {
        Hello::NeedMore
    }
}

/// A cursor over a byte slice that fails instead of panicking.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<usize> {
        self.take(1).map(|b| b[0] as usize)
    }
    fn u16(&mut self) -> Option<usize> {
        self.take(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
    }
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(n)
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n)
    }
}

/// `Some(sni)` for a well-formed ClientHello body, `None` if malformed.
fn parse_client_hello(body: &[u8]) -> Option<Option<String>> {
    let mut r = Reader(body);
    r.take(2 + 32)?; // legacy_version, random
    r.vec8()?; // session id
    r.vec16()?; // cipher suites
    r.vec8()?; // compression methods
    if r.0.is_empty() {
        return Some(None); // no extensions at all
    }
    let mut exts = Reader(r.vec16()?);
    let mut sni = None;
    while !exts.0.is_empty() {
        let ty = exts.u16()?;
        let data = exts.vec16()?;
        if ty != 0 {
            continue;
        }
        if sni.is_some() {
            return None; // two server_name extensions
        }
        let mut list = Reader(Reader(data).vec16()?);
        while !list.0.is_empty() {
            let kind = list.u8()?;
            let name = list.vec16()?;
            if kind == 0 {
                if sni.is_some() {
                    return None; // two host names
                }
                sni = Some(String::from_utf8(name.to_vec()).ok()?);
            }
        }
    }
    Some(sni)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ClientHello with an optional SNI, split into records of `chunk` bytes.
    pub(crate) fn hello(sni: Option<&str>, chunk: usize) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend([7u8; 32]);
        body.push(0); // session id
        body.extend([0, 2, 0x13, 0x01]); // one cipher suite
        body.extend([1, 0]); // null compression
        let mut exts = Vec::new();
        if let Some(n) = sni {
            let mut list = vec![0u8];
            list.extend((n.len() as u16).to_be_bytes());
            list.extend(n.as_bytes());
            let mut ext = (list.len() as u16).to_be_bytes().to_vec();
            ext.extend(list);
            exts.extend([0, 0]);
            exts.extend((ext.len() as u16).to_be_bytes());
            exts.extend(ext);
        }
        exts.extend([0, 43, 0, 3, 2, 3, 4]); // supported_versions
        body.extend((exts.len() as u16).to_be_bytes());
        body.extend(exts);
        let mut hs = vec![1u8];
        hs.extend(&(body.len() as u32).to_be_bytes()[1..]);
        hs.extend(body);
        let mut out = Vec::new();
        for part in hs.chunks(chunk) {
            out.extend([0x16, 3, 1]);
            out.extend((part.len() as u16).to_be_bytes());
            out.extend(part);
        }
        out
    }

    #[test]
    fn finds_sni_in_one_or_many_records() {
        for chunk in [10_000, 17, 1] {
            let h = hello(Some("example.com"), chunk);
            assert_eq!(
                inspect(&h),
                Hello::ClientHello {
                    sni: Some("example.com".into())
                }
            );
            assert_eq!(inspect(&h[..h.len() - 1]), Hello::NeedMore);
        }
        assert_eq!(
            inspect(&hello(None, 10_000)),
            Hello::ClientHello { sni: None }
        );
    }

    #[test]
    fn other_protocols_and_garbage() {
        assert_eq!(inspect(b""), Hello::NeedMore);
        assert_eq!(inspect(b"GET / HTTP/1.1\r\n"), Hello::NotTls);
        assert_eq!(inspect(b"SSH-2.0-x"), Hello::NotTls);
        assert!(matches!(
            inspect(&[0x16, 9, 9, 0, 1, 0]),
            Hello::Malformed(_)
        ));
        assert!(matches!(
            inspect(&[0x16, 3, 1, 0, 4, 2, 0, 0, 0]),
            Hello::Malformed(_)
        ));
        let mut h = hello(Some("a.com"), 10_000);
        h.truncate(20);
        let len = (h.len() - 5) as u16;
        h[3..5].copy_from_slice(&len.to_be_bytes());
        assert!(matches!(inspect(&h), Hello::NeedMore | Hello::Malformed(_)));
    }
}
