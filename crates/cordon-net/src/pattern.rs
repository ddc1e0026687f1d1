//! Destination patterns (`example.com`, `*.example.com`, `10.0.0.0/8`, each
//! with an optional `:PORT`) and the normalisation of host names.
use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;

/// The host part of a destination as the client named it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// A normalised DNS name: lowercase ASCII (IDNA), no trailing dot.
    Name(String),
    /// An IP literal.
    Ip(IpAddr),
}

impl Host {
    /// Parse a host as a client wrote it (`Example.COM.`, `bücher.de`,
    /// `[::1]`, `10.0.0.1`). Names that only look like numbers (`127.1`,
    /// `0x7f.1`, `2130706433`) are refused: some resolvers read them as IPs.
    pub fn parse(raw: &str) -> Result<Host, String> {
        let t = raw.trim();
        let unbracketed = t
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(t);
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            return Ok(Host::Ip(canonical_ip(ip)));
        }
        normalise_name(t).map(Host::Name)
    }

    /// The name, if this is one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Host::Name(n) => Some(n),
            Host::Ip(_) => None,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ip(IpAddr::V6(a)) => write!(f, "[{a}]"),
            Host::Ip(IpAddr::V4(a)) => write!(f, "{a}"),
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are their IPv4 address.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Lowercase, strip one trailing dot, convert IDNA to ASCII, and check the
/// result is a plausible DNS name.
pub fn normalise_name(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    let t = t.strip_suffix('.').unwrap_or(t);
    if t.is_empty() {
        return Err("empty host name".into());
    }
    let ascii =
        idna::domain_to_ascii(t).map_err(|_| format!("`{raw}` is not a valid host name"))?;
    if ascii.is_empty() || ascii.len() > 253 {
        return Err(format!("`{raw}` is not a valid host name"));
    }
    for label in ascii.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(format!("`{raw}` is not a valid host name"));
        }
    }
    let last = ascii.rsplit('.').next().unwrap_or("");
    let numeric = last.bytes().all(|b| b.is_ascii_digit())
        || (last.starts_with("0x") && last[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    if numeric {
        return Err(format!(
            "`{raw}` looks like an IP address in a non-standard form; write the address in dotted form"
        ));
    }
    Ok(ascii)
}

/// Which hosts a pattern names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// `example.com`: that host only.
    Exact(String),
    /// `*.example.com` (stored as `example.com`): any subdomain, not the domain itself.
    Subdomains(String),
    /// `10.0.0.0/8`, `2001:db8::/32`, or a single address: IP literals in it.
    Net(IpNet),
}

/// One destination pattern, e.g. `*.example.com:8443`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub host: HostPattern,
    /// `None`: the default web ports (80 and 443).
    pub port: Option<u16>,
    /// The pattern as written, for messages.
    pub text: String,
}

/// Ports allowed when a pattern names none.
pub const DEFAULT_PORTS: [u16; 2] = [80, 443];

impl Pattern {
    /// Parse `host`, `*.domain`, `IP`, `[IPv6]`, `CIDR`, each with optional `:PORT`.
    pub fn parse(raw: &str) -> Result<Pattern, String> {
        let t = raw.trim();
        if t.is_empty() {
            return Err("empty pattern".into());
        }
        let bad_port = |p: &str| format!("`{raw}`: `{p}` is not a port number (1-65535)");
        let parse_port = |p: &str| -> Result<u16, String> {
            p.parse::<u16>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| bad_port(p))
        };
        // Split off the port: `[v6]:p`, bare v6 (no port), `host:p`.
        let (host, port) = if let Some(rest) = t.strip_prefix('[') {
            let (inner, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("`{raw}`: missing `]`"))?;
            let port = match after {
                "" => None,
                a => Some(parse_port(a.strip_prefix(':').ok_or_else(|| bad_port(a))?)?),
            };
            (inner, port)
        } else if t.matches(':').count() > 1 {
            (t, None)
        } else if let Some((h, p)) = t.rsplit_once(':') {
            (h, Some(parse_port(p)?))
        } else {
            (t, None)
        };
        let hp = if host.contains('/') {
            let net: IpNet = host
                .parse()
                .map_err(|_| format!("`{raw}`: `{host}` is not a CIDR range"))?;
            HostPattern::Net(net.trunc())
        } else if let Ok(ip) = host.parse::<IpAddr>() {
            HostPattern::Net(IpNet::from(canonical_ip(ip)))
        } else if host == "*" || host.starts_with("*.") && host.len() <= 2 {
            return Err(format!(
                "`{raw}`: a bare `*` would allow every host; name the domains instead"
            ));
        } else if let Some(d) = host.strip_prefix("*.") {
            HostPattern::Subdomains(normalise_name(d).map_err(|e| format!("`{raw}`: {e}"))?)
        } else if host.contains('*') {
            return Err(format!(
                "`{raw}`: `*` is only allowed as the first label (`*.example.com`)"
            ));
        } else {
            HostPattern::Exact(normalise_name(host).map_err(|e| format!("`{raw}`: {e}"))?)
        };
        Ok(Pattern {
            host: hp,
            port,
            text: t.to_string(),
        })
    }

    /// Refuse an allow pattern that names far more than anyone means to allow:
    /// every name under a top-level domain (`*.com`), or an address range
    /// wider than a /8 (IPv4) or a /16 (IPv6).
    pub fn check_allow_breadth(&self) -> Result<(), String> {
        let raw = &self.text;
        match &self.host {
            HostPattern::Subdomains(d) if !d.contains('.') => Err(format!(
                "`{raw}`: it would allow every host under a top-level domain; name the domains instead"
            )),
            HostPattern::Net(IpNet::V4(n)) if n.prefix_len() < 8 => Err(format!(
                "`{raw}`: it would allow most of the address space; name the hosts or a narrower range"
            )),
            HostPattern::Net(IpNet::V6(n)) if n.prefix_len() < 16 => Err(format!(
                "`{raw}`: it would allow most of the address space; name the hosts or a narrower range"
            )),
            _ => Ok(()),
        }
    }

    /// Does the pattern name this host (ignoring the port)?
    pub fn matches_host(&self, host: &Host) -> bool {
        match (&self.host, host) {
            (HostPattern::Exact(p), Host::Name(n)) => p == n,
            (HostPattern::Subdomains(p), Host::Name(n)) => {
                n.len() > p.len() + 1
                    && n.ends_with(p.as_str())
                    && n.as_bytes()[n.len() - p.len() - 1] == b'.'
            }
            (HostPattern::Net(net), Host::Ip(ip)) => net.contains(ip),
            _ => false,
        }
    }

    /// Does the pattern allow this port?
    pub fn matches_port(&self, port: u16) -> bool {
        match self.port {
            Some(p) => p == port,
            None => DEFAULT_PORTS.contains(&port),
        }
    }
}

impl Pattern {
    /// The ports this pattern lets through (`None`: the default web ports).
    fn ports(&self) -> Vec<u16> {
        self.port.map(|p| vec![p]).unwrap_or(DEFAULT_PORTS.to_vec())
    }

    /// Does every host this pattern names fall under `outer`'s host part
    /// (ports aside)? `*.a.corp.example` is inside `*.corp.example`;
    /// `*.example` is not inside `a.example`; `10.1.0.0/16` is inside
    /// `10.0.0.0/8`. Deterministic: names and ranges, never DNS.
    pub fn host_within(&self, outer: &Pattern) -> bool {
        use HostPattern::*;
        let under = |n: &str, d: &str| {
            n.len() > d.len() + 1 && n.ends_with(d) && n.as_bytes()[n.len() - d.len() - 1] == b'.'
        };
        match (&self.host, &outer.host) {
            (Exact(a), Exact(b)) => a == b,
            (Exact(a), Subdomains(b)) => under(a, b),
            (Subdomains(a), Subdomains(b)) => a == b || under(a, b),
            (Net(a), Net(b)) => b.contains(a),
            _ => false,
        }
    }

    /// Is everything this pattern allows (hosts and ports) allowed by one of
    /// `outer`? Each port is checked on its own, so `a.example` (80 and 443)
    /// is inside `[a.example:80, a.example:443]`. The one subset check of
    /// destinations (managed ceiling, `cordon policy check`).
    pub fn within(&self, outer: &[Pattern]) -> bool {
        self.ports().into_iter().all(|port| {
            outer
                .iter()
                .any(|o| self.host_within(o) && o.matches_port(port))
        })
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subset_of_patterns() {
        let p = |s: &str| Pattern::parse(s).unwrap();
        let inside = |a: &str, b: &[&str]| p(a).within(&b.iter().map(|x| p(x)).collect::<Vec<_>>());
        assert!(inside("*.a.corp.example", &["*.corp.example"]));
        assert!(inside("a.corp.example", &["*.corp.example"]));
        assert!(!inside("corp.example", &["*.corp.example"]));
        assert!(!inside("*.example", &["a.example"]));
        assert!(!inside("*.corp.example", &["*.a.corp.example"]));
        assert!(inside("a.example:443", &["a.example"]));
        assert!(!inside("a.example:8443", &["a.example"]));
        assert!(!inside("a.example", &["a.example:443"]));
        assert!(inside("a.example", &["a.example:80", "a.example:443"]));
        assert!(inside("10.1.2.0/24", &["10.0.0.0/8"]));
        assert!(!inside("10.0.0.0/8", &["10.1.0.0/16"]));
        assert!(inside("127.0.0.1:8080", &["127.0.0.1:8080"]));
        assert!(!inside("127.0.0.1:8081", &["127.0.0.1:8080"]));
        assert!(!inside("10.1.2.3", &["*.corp.example"]));
        assert!(!inside("evilcorp.example", &["*.corp.example"]));
    }

    fn h(s: &str) -> Host {
        Host::parse(s).unwrap()
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(h("Example.COM."), Host::Name("example.com".into()));
        assert_eq!(h("bücher.de"), Host::Name("xn--bcher-kva.de".into()));
        assert_eq!(h("[::1]"), Host::Ip("::1".parse().unwrap()));
        assert_eq!(h("::ffff:10.0.0.1"), Host::Ip("10.0.0.1".parse().unwrap()));
        for bad in [
            "",
            "a..b",
            "a b.com",
            "127.1",
            "0x7f.1",
            "2130706433",
            "x/y.com",
        ] {
            assert!(Host::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn exact_and_subdomain_patterns() {
        let p = Pattern::parse("Allowed.com").unwrap();
        assert!(p.matches_host(&h("allowed.com.")));
        assert!(!p.matches_host(&h("allowed.com.evil.com")));
        assert!(!p.matches_host(&h("evilallowed.com")));
        assert!(!p.matches_host(&h("www.allowed.com")));
        let s = Pattern::parse("*.allowed.com").unwrap();
        assert!(s.matches_host(&h("www.allowed.com")));
        assert!(s.matches_host(&h("a.b.ALLOWED.com")));
        assert!(!s.matches_host(&h("allowed.com")));
        assert!(!s.matches_host(&h("evilallowed.com")));
        assert!(!s.matches_host(&h("allowed.com.evil.com")));
        let u = Pattern::parse("*.bücher.de").unwrap();
        assert!(u.matches_host(&h("www.xn--bcher-kva.de")));
    }

    #[test]
    fn ports() {
        let p = Pattern::parse("example.com").unwrap();
        assert!(p.matches_port(443) && p.matches_port(80) && !p.matches_port(22));
        let q = Pattern::parse("example.com:8443").unwrap();
        assert!(q.matches_port(8443) && !q.matches_port(443));
        let v6 = Pattern::parse("[2001:db8::1]:8080").unwrap();
        assert_eq!(v6.port, Some(8080));
        assert!(v6.matches_host(&h("[2001:db8::1]")));
        for bad in [
            "example.com:0",
            "example.com:99999",
            "example.com:x",
            "[::1",
            "*",
            "*.",
            "a.*.com",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn allow_breadth_refuses_a_whole_tld_or_address_space() {
        for bad in [
            "*.com",
            "*.COM.",
            "0.0.0.0/0",
            "0.0.0.0/7",
            "::/0",
            "2000::/3",
        ] {
            let p = Pattern::parse(bad).unwrap();
            assert!(p.check_allow_breadth().is_err(), "{bad}");
        }
        for ok in [
            "*.example.com",
            "*.co.uk",
            "10.0.0.0/8",
            "2001:db8::/32",
            "a.com:8443",
        ] {
            let p = Pattern::parse(ok).unwrap();
            assert!(p.check_allow_breadth().is_ok(), "{ok}");
        }
    }

    #[test]
    fn ip_patterns_only_match_literals() {
        let n = Pattern::parse("10.0.0.0/8").unwrap();
        assert!(n.matches_host(&h("10.1.2.3")));
        assert!(!n.matches_host(&h("ten.example")));
        let one = Pattern::parse("2001:db8::/32").unwrap();
        assert!(one.matches_host(&h("2001:db8::5")));
        let name = Pattern::parse("example.com").unwrap();
        assert!(!name.matches_host(&h("93.184.216.34")));
    }
}
