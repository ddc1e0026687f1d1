//! The domain policy: which destinations may be reached, and why not.
//!
//! Deny rules win over allow rules; nothing is allowed by default. After a
//! name is resolved, every address is checked against [`SPECIAL_RANGES`]
//! (loopback, private, link-local, metadata, ...): such addresses are only
//! used when an `allow_private` range contains them.
use crate::pattern::{Host, Pattern, DEFAULT_PORTS};
use crate::presets;
use ipnet::IpNet;
use serde::Serialize;
use std::net::IpAddr;

/// Where a rule came from, so messages can name the flag or file that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub pattern: Pattern,
    /// e.g. `--allow-domain example.com`, `--net registries`, `config`.
    pub origin: String,
}

/// Why a connection was refused, and how to allow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// Short machine name: `not-allowed`, `denied`, `port`, `ip-literal`,
    /// `private-address`, `host-mismatch`, `sni-mismatch`, `bad-host`.
    pub kind: &'static str,
    /// One sentence for people.
    pub reason: String,
    /// The exact flag that would allow it, when one would.
    pub fix: Option<String>,
    /// What decided: the deny rule, or the check that refused.
    pub rule: String,
}

/// The check behind each kind of refusal (the `rule` of its event).
const REFUSAL_RULES: &[(&str, &str)] = &[
    ("not-allowed", "default deny"),
    ("port", "default deny (port)"),
    ("ip-literal", "default deny (IP literal)"),
    ("private-address", "address guard"),
    ("host-mismatch", "Host header check"),
    ("sni-mismatch", "TLS SNI check"),
    ("bad-tls", "TLS SNI check"),
    ("bad-host", "host name syntax"),
    ("unsupported", "SOCKS5 CONNECT only"),
];

impl Refusal {
    pub fn new(kind: &'static str, reason: impl Into<String>, fix: Option<String>) -> Self {
        let rule = REFUSAL_RULES
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, r)| r.to_string())
            .unwrap_or_else(|| kind.to_string());
        Refusal {
            kind,
            reason: reason.into(),
            fix,
            rule,
        }
    }

    /// The text a refused client gets (HTTP 403 body, logs).
    pub fn message(&self) -> String {
        match &self.fix {
            Some(f) => format!("cordon: {} (allow with: {f})\n", self.reason),
            None => format!("cordon: {}\n", self.reason),
        }
    }
}

/// The allow/deny lists and private ranges of one session.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    allow: Vec<Rule>,
    deny: Vec<Rule>,
    allow_private: Vec<IpNet>,
}

/// Address ranges a public name must not resolve into unless allowed.
/// Order matters: the first range that contains an address names it.
pub const SPECIAL_RANGES: &[(&str, &str)] = &[
    ("169.254.169.254/32", "cloud metadata"),
    ("fd00:ec2::254/128", "cloud metadata"),
    ("0.0.0.0/8", "unspecified"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared (carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible (deprecated)"),
    ("64:ff9b::/96", "NAT64"),
    ("64:ff9b:1::/48", "NAT64"),
    ("fc00::/7", "unique-local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
];

/// The special range an address falls in, with its name.
pub fn special_range(ip: IpAddr) -> Option<(IpNet, &'static str)> {
    let ip = crate::pattern::canonical_ip(ip);
    SPECIAL_RANGES.iter().find_map(|(net, what)| {
        let net: IpNet = net.parse().expect("SPECIAL_RANGES entries are valid CIDRs");
        net.contains(&ip).then_some((net, *what))
    })
}

/// A single-address CIDR for messages: `10.0.0.3/32`, `fd00::1/128`.
fn host_cidr(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}/32"),
        IpAddr::V6(a) => format!("{a}/128"),
    }
}

/// The pattern that would allow exactly this destination.
pub fn pattern_for(host: &Host, port: u16) -> String {
    if DEFAULT_PORTS.contains(&port) {
        host.to_string()
    } else {
        format!("{host}:{port}")
    }
}

impl Policy {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add an allow rule. A pattern that would allow a whole top-level
    /// domain (`*.com`) or most of the address space (`0.0.0.0/0`, shorter
    /// than /8 or, for IPv6, /16) is refused like a bare `*`.
    pub fn allow(&mut self, pattern: &str, origin: impl Into<String>) -> Result<(), String> {
        let pattern = Pattern::parse(pattern)?;
        pattern.check_allow_breadth()?;
        self.allow.push(Rule {
            pattern,
            origin: origin.into(),
        });
        Ok(())
    }

    /// Add a deny rule (wins over every allow).
    pub fn deny(&mut self, pattern: &str, origin: impl Into<String>) -> Result<(), String> {
        let pattern = Pattern::parse(pattern)?;
        self.deny.push(Rule {
            pattern,
            origin: origin.into(),
        });
        Ok(())
    }

    /// Let allowed names resolve into this range (`127.0.0.0/8`, `10.1.0.0/16`).
    pub fn allow_private(&mut self, cidr: &str) -> Result<(), String> {
        let t = cidr.trim();
        let net: IpNet = t
            .parse()
            .or_else(|_| t.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| format!("`{cidr}` is not a CIDR range such as 10.0.0.0/8"))?;
        self.allow_private.push(net.trunc());
        Ok(())
    }

    /// Add every pattern of a named preset (`registries`, `anthropic`, ...).
    pub fn add_preset(&mut self, name: &str) -> Result<(), String> {
        let key = name.trim().to_ascii_lowercase();
        let preset = presets::find(&key).ok_or_else(|| {
            format!(
                "unknown network preset `{name}` (known: {})",
                presets::PRESETS
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        for host in preset.hosts {
            self.allow(host, format!("--net {key}"))?;
        }
        Ok(())
    }

    /// The allow rules, in order.
    pub fn allow_rules(&self) -> &[Rule] {
        &self.allow
    }

    /// Decide whether `host:port` may be reached (before resolution).
    /// On success returns a description of the rule that allowed it.
    pub fn decide(&self, host: &Host, port: u16) -> Result<String, Refusal> {
        if let Some(r) = self
            .deny
            .iter()
            .find(|r| r.pattern.matches_host(host) && (r.pattern.port.is_none_or(|p| p == port)))
        {
            let mut refusal = Refusal::new(
                "denied",
                format!(
                    "{} is denied by `{}` ({}); deny wins over allow",
                    pattern_for(host, port),
                    r.pattern,
                    r.origin
                ),
                None,
            );
            refusal.rule = format!("{} ({})", r.pattern, r.origin);
            return Err(refusal);
        }
        let host_rules: Vec<&Rule> = self
            .allow
            .iter()
            .filter(|r| r.pattern.matches_host(host))
            .collect();
        if let Some(r) = host_rules.iter().find(|r| r.pattern.matches_port(port)) {
            return Ok(format!("{} ({})", r.pattern, r.origin));
        }
        let fix = Some(format!("--allow-domain {}", pattern_for(host, port)));
        if !host_rules.is_empty() {
            return Err(Refusal::new(
                "port",
                format!(
                    "port {port} of {host} is not allowed (`{}` allows ports {})",
                    host_rules[0].pattern,
                    host_rules[0]
                        .pattern
                        .port
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "80 and 443".into())
                ),
                fix,
            ));
        }
        match host {
            Host::Ip(_) => Err(Refusal::new(
                "ip-literal",
                format!(
                    "{host} is an IP address; IP addresses are only allowed when written as such"
                ),
                fix,
            )),
            Host::Name(_) => Err(Refusal::new(
                "not-allowed",
                format!("{host} is not in the network policy"),
                fix,
            )),
        }
    }

    /// May a connection go to this resolved address? (rebinding/SSRF guard)
    pub fn check_address(&self, host: &Host, ip: IpAddr) -> Result<(), Refusal> {
        let ip = crate::pattern::canonical_ip(ip);
        match special_range(ip) {
            Some(_) if self.allow_private.iter().any(|n| n.contains(&ip)) => Ok(()),
            Some((_, what)) => Err(Refusal::new(
                "private-address",
                match host {
                    Host::Name(_) => format!("{host} resolves to {ip}, a {what} address"),
                    Host::Ip(_) => format!("{ip} is a {what} address"),
                },
                Some(format!("--allow-private {}", host_cidr(ip))),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Host {
        Host::parse(s).unwrap()
    }

    #[test]
    fn nothing_is_allowed_by_default() {
        let p = Policy::new();
        let e = p.decide(&h("example.com"), 443).unwrap_err();
        assert_eq!(e.kind, "not-allowed");
        assert_eq!(e.fix.as_deref(), Some("--allow-domain example.com"));
    }

    #[test]
    fn deny_wins_and_ports_need_naming() {
        let mut p = Policy::new();
        p.allow("*.example.com", "--allow-domain *.example.com")
            .unwrap();
        p.deny("bad.example.com", "--deny-domain bad.example.com")
            .unwrap();
        assert!(p.decide(&h("www.example.com"), 443).is_ok());
        assert_eq!(
            p.decide(&h("bad.example.com"), 443).unwrap_err().kind,
            "denied"
        );
        let e = p.decide(&h("www.example.com"), 8080).unwrap_err();
        assert_eq!(e.kind, "port");
        assert_eq!(
            e.fix.as_deref(),
            Some("--allow-domain www.example.com:8080")
        );
        p.allow("www.example.com:8080", "x").unwrap();
        assert!(p.decide(&h("www.example.com"), 8080).is_ok());
    }

    #[test]
    fn ip_literals_need_ip_patterns() {
        let mut p = Policy::new();
        p.allow("example.com", "x").unwrap();
        let e = p.decide(&h("93.184.216.34"), 443).unwrap_err();
        assert_eq!(e.kind, "ip-literal");
        assert_eq!(e.fix.as_deref(), Some("--allow-domain 93.184.216.34"));
        let e6 = p.decide(&h("2001:db8::1"), 8443).unwrap_err();
        assert_eq!(e6.fix.as_deref(), Some("--allow-domain [2001:db8::1]:8443"));
        p.allow("93.184.216.0/24", "x").unwrap();
        assert!(p.decide(&h("93.184.216.34"), 443).is_ok());
    }

    #[test]
    fn special_addresses_need_allow_private() {
        let mut p = Policy::new();
        let n = h("svc.test");
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "64:ff9b::7f00:1",
        ] {
            let e = p.check_address(&n, ip.parse().unwrap()).unwrap_err();
            assert_eq!(e.kind, "private-address", "{ip}");
        }
        assert_eq!(
            special_range("169.254.169.254".parse().unwrap()).unwrap().1,
            "cloud metadata"
        );
        assert!(p
            .check_address(&n, "93.184.216.34".parse().unwrap())
            .is_ok());
        assert!(p.check_address(&n, "2606:2800::1".parse().unwrap()).is_ok());
        let e = p
            .check_address(&n, "127.0.0.1".parse().unwrap())
            .unwrap_err();
        assert_eq!(e.fix.as_deref(), Some("--allow-private 127.0.0.1/32"));
        p.allow_private("127.0.0.0/8").unwrap();
        assert!(p.check_address(&n, "127.0.0.5".parse().unwrap()).is_ok());
        assert!(p.check_address(&n, "10.0.0.1".parse().unwrap()).is_err());
        assert!(p.allow_private("nonsense").is_err());
    }

    #[test]
    fn presets_load_and_unknown_preset_is_named() {
        let mut p = Policy::new();
        p.add_preset("registries").unwrap();
        assert!(p.decide(&h("static.crates.io"), 443).is_ok());
        assert!(p.decide(&h("files.pythonhosted.org"), 443).is_ok());
        assert!(p.decide(&h("evil.com"), 443).is_err());
        let e = p.add_preset("everything").unwrap_err();
        assert!(e.contains("registries"), "{e}");
    }
}
