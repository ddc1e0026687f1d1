//! Host loopback forwards: a service on the host's loopback (a local model
//! server, an API gateway, Ollama) made reachable inside the sandbox at the
//! same address.
//!
//! Inside the sandbox, `127.0.0.1` is the sandbox's own loopback: without a
//! forward a client's connection to `127.0.0.1:8080` is refused at once by the
//! sandbox's kernel and never reaches the host. A forward is a listener bound
//! *inside* the sandbox's namespace at the same address, served from the
//! host side: each accepted connection is relayed to the host's service and
//! recorded as a `net.connect` event with protocol `forward`, like any
//! connection through the proxy.
//!
//! Only explicit loopback destinations with a port are forwards
//! (`127.0.0.1:8080`, `localhost:11434`, `[::1]:9000`): see [`parse`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// One forwarded host loopback port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// Where the sandbox's clients connect (inside) and where the relay
    /// connects on the host (outside): the same address.
    pub addr: SocketAddr,
    /// The pattern as the user wrote it, for the journal and messages.
    pub pattern: String,
}

/// Read `pattern` as a host loopback forward.
///
/// `Ok(None)`: not a loopback destination (an ordinary proxy pattern).
/// `Ok(Some(f))`: `127.x.y.z:PORT`, `localhost:PORT` (served at 127.0.0.1)
/// or `[::1]:PORT`. `Err`: a loopback destination without a usable port.
pub fn parse(pattern: &str) -> Result<Option<Forward>, String> {
    let p = pattern.trim();
    let (host, port) = match p.rsplit_once(':') {
        Some((h, port)) if !h.is_empty() && !port.contains(']') => (h, Some(port)),
        _ => (p, None),
    };
    let ip = match host.to_ascii_lowercase().trim_end_matches('.') {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        h => match h
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            Ok(ip) if ip.is_loopback() => ip,
            _ => return Ok(None),
        },
    };
    if ip == IpAddr::V6(Ipv6Addr::LOCALHOST) && !host.starts_with('[') && port.is_some() {
        // `::1:8080` is ambiguous; IPv6 with a port is written `[::1]:8080`.
        return Err(format!(
            "`{p}`: write an IPv6 loopback address with a port as `[::1]:PORT`"
        ));
    }
    let port = port
        .ok_or_else(|| {
            format!(
                "`{p}` is the host's loopback: name the service's port, e.g. `--allow-domain {host}:8080` (only that port is forwarded into the sandbox)"
            )
        })?
        .parse::<u16>()
        .ok()
        .filter(|n| *n != 0)
        .ok_or_else(|| format!("`{p}`: the port must be a number from 1 to 65535"))?;
    Ok(Some(Forward {
        addr: SocketAddr::new(ip, port),
        pattern: p.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_with_port_is_a_forward() {
        for (p, want) in [
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("localhost:11434", "127.0.0.1:11434"),
            ("LOCALHOST.:80", "127.0.0.1:80"),
            ("127.0.0.2:9000", "127.0.0.2:9000"),
            ("[::1]:9000", "[::1]:9000"),
        ] {
            let f = parse(p).unwrap().unwrap_or_else(|| panic!("{p}"));
            assert_eq!(f.addr.to_string(), want, "{p}");
        }
    }

    #[test]
    fn other_destinations_are_not_forwards() {
        for p in [
            "example.com",
            "example.com:8443",
            "10.0.0.1:80",
            "*.localhost.example",
            "[2001:db8::1]:443",
            "127.0.0.0/8",
        ] {
            assert_eq!(parse(p), Ok(None), "{p}");
        }
    }

    #[test]
    fn loopback_without_a_port_says_how() {
        for p in [
            "127.0.0.1",
            "localhost",
            "[::1]",
            "127.0.0.1:0",
            "localhost:http",
            "::1:80",
        ] {
            let e = parse(p).unwrap_err();
            assert!(e.contains("port") || e.contains("[::1]:PORT"), "{p}: {e}");
        }
    }
}
