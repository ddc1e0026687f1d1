//! Name resolution, outside the sandbox: a static host map first, then the
//! system resolver (`getaddrinfo`, which honours /etc/hosts and nsswitch).
use crate::pattern::{canonical_ip, normalise_name, Host};
use std::collections::HashMap;
use std::io;
use std::net::IpAddr;

/// Resolves destination hosts to addresses.
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    map: HashMap<String, Vec<IpAddr>>,
}

impl Resolver {
    /// A resolver that asks the system for every name.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answer `name` with these addresses without asking DNS
    /// (`"10.0.0.1"` or `"10.0.0.1, fd00::1"`).
    pub fn add_static(&mut self, name: &str, addrs: &str) -> Result<(), String> {
        let key = normalise_name(name)?;
        let mut ips = Vec::new();
        for a in addrs.split([',', ' ']).filter(|a| !a.is_empty()) {
            let ip: IpAddr = a
                .trim_matches(['[', ']'])
                .parse()
                .map_err(|_| format!("host `{name}`: `{a}` is not an IP address"))?;
            ips.push(canonical_ip(ip));
        }
        if ips.is_empty() {
            return Err(format!("host `{name}`: no address given"));
        }
        self.map.insert(key, ips);
        Ok(())
    }

    /// The addresses of `host`, static map first.
    pub async fn resolve(&self, host: &Host, port: u16) -> io::Result<Vec<IpAddr>> {
        match host {
            Host::Ip(ip) => Ok(vec![*ip]),
            Host::Name(n) => {
                if let Some(ips) = self.map.get(n) {
                    return Ok(ips.clone());
                }
                let mut out: Vec<IpAddr> = Vec::new();
                for sa in tokio::net::lookup_host((n.as_str(), port)).await? {
                    let ip = canonical_ip(sa.ip());
                    if !out.contains(&ip) {
                        out.push(ip);
                    }
                }
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn static_map_then_system() {
        let mut r = Resolver::new();
        r.add_static("Mirror.Test.", "10.0.0.1, [fd00::1]").unwrap();
        let h = Host::parse("mirror.test").unwrap();
        assert_eq!(
            r.resolve(&h, 443).await.unwrap(),
            vec![
                "10.0.0.1".parse::<IpAddr>().unwrap(),
                "fd00::1".parse().unwrap()
            ]
        );
        assert!(r.add_static("x.test", "nope").is_err());
        assert!(r.add_static("x.test", "").is_err());
        // /etc/hosts always names localhost.
        let l = r
            .resolve(&Host::parse("localhost").unwrap(), 80)
            .await
            .unwrap();
        assert!(l.iter().all(|ip| ip.is_loopback()), "{l:?}");
    }
}
