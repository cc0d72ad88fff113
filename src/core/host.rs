//! The request's host as input: parsed strictly and checked against
//! `security.allowed_hosts` (Django's `ALLOWED_HOSTS` syntax, plus networks
//! for literal IP hosts), so redirects, the collector's origin check and the
//! CSRF origin comparison never rest on a value the client made up.

use std::fmt;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// A host and optional port, lowercase; IPv6 addresses in brackets; a
/// trailing dot removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostPort {
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}:{p}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// Parses a `Host` value: `name[:port]` with `a-z 0-9 . -` only, or
/// `[v6][:port]` (Django's `host_validation_re`). Anything else (user info,
/// paths, spaces, other characters) is `None`.
pub(crate) fn parse_host(raw: &str) -> Option<HostPort> {
    let s = raw.trim().to_ascii_lowercase();
    if s.is_empty() || s.len() > 255 {
        return None;
    }
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (h, rest) = v6.split_once(']')?;
        if h.is_empty() || !h.contains(':') || !h.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
            return None;
        }
        let port = match rest {
            "" => None,
            r => Some(parse_port(r.strip_prefix(':')?)?),
        };
        (format!("[{h}]"), port)
    } else {
        let (h, port) = match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(parse_port(p)?)),
            None => (s.as_str(), None),
        };
        let h = h.strip_suffix('.').unwrap_or(h);
        if h.is_empty() || !h.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
            return None;
        }
        (h.to_string(), port)
    };
    Some(HostPort { host, port })
}

fn parse_port(p: &str) -> Option<u16> {
    (!p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok()).flatten()
}

impl HostPort {
    /// The address, when the host is a literal IP (`10.0.0.5`, `[fd00::5]`);
    /// `None` for a name, however numeric it looks (`10.0.0.5.nip.io`, `10.1`).
    pub(crate) fn ip(&self) -> Option<IpAddr> {
        match self.host.strip_prefix('[') {
            Some(v6) => v6.strip_suffix(']')?.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6),
            None => self.host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
        }
    }
}

/// One `allowed_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostPattern {
    /// `*`: any host.
    Any,
    /// `example.com` (optionally `:port`).
    Exact(HostPort),
    /// `.example.com`: the domain and every subdomain (optionally `:port`).
    Domain { suffix: String, port: Option<u16> },
    /// `10.0.0.0/8`, `fd00::/8`: a literal IP host in that network, any port;
    /// never a name. The host it admits is answered, never built into a URL.
    Network(IpNet),
}

impl HostPattern {
    /// Parses an entry, or says what is wrong with it.
    pub(crate) fn parse(p: &str) -> Result<HostPattern, String> {
        let t = p.trim();
        if t == "*" {
            return Ok(HostPattern::Any);
        }
        if let Some(network) = parse_network(p, t) {
            return network.map(HostPattern::Network);
        }
        if t.contains("://") || t.contains('/') {
            return Err(format!("{p:?} has a scheme or a path; write the host only, e.g. \"www.example.com\""));
        }
        if t.contains('*') {
            return Err(format!(
                "{p:?}: the only wildcards are a leading dot (\".example.com\": the domain and its subdomains) and \"*\" alone"
            ));
        }
        match t.strip_prefix('.') {
            Some(domain) => match parse_host(domain) {
                Some(hp) if !hp.host.starts_with('[') && !hp.host.is_empty() => {
                    Ok(HostPattern::Domain { suffix: format!(".{}", hp.host), port: hp.port })
                }
                _ => Err(format!("{p:?} is not a domain; write e.g. \".example.com\"")),
            },
            None => parse_host(t).map(HostPattern::Exact).ok_or_else(|| {
                format!("{p:?} is not a host; write e.g. \"www.example.com\", \"10.0.0.1:8000\" or \"[::1]\"")
            }),
        }
    }

    /// Whether `h` (whose port, if absent, is `default_port`) matches.
    pub(crate) fn matches(&self, h: &HostPort, default_port: u16) -> bool {
        let port_ok = |want: Option<u16>| want.is_none_or(|w| h.port.unwrap_or(default_port) == w);
        match self {
            HostPattern::Any => true,
            HostPattern::Exact(e) => e.host == h.host && port_ok(e.port),
            HostPattern::Domain { suffix, port } => {
                (h.host.ends_with(suffix.as_str()) || h.host == suffix[1..]) && port_ok(*port)
            }
            // The same family only, as Python's `ipaddress` (django-allow-cidr):
            // `[::ffff:10.0.0.5]` is an IPv6 host, outside `10.0.0.0/8`.
            HostPattern::Network(net) => h.ip().is_some_and(|ip| net.contains(&ip)),
        }
    }

    /// Whether this entry names hosts (`example.com`, `.example.com`): not `*`
    /// (any host the client sends) nor a network.
    pub(crate) fn names_hosts(&self) -> bool {
        matches!(self, HostPattern::Exact(_) | HostPattern::Domain { .. })
    }

    /// Whether this entry admits hosts by network (they are never built into a URL).
    pub(crate) fn is_network(&self) -> bool {
        matches!(self, HostPattern::Network(_))
    }
}

/// `Some` when entry `t` (as written: `p`) is meant as a network (an
/// address, `/`, a prefix length): the network, or what is wrong and what to write.
fn parse_network(p: &str, t: &str) -> Option<Result<IpNet, String>> {
    let (addr, prefix) = t.split_once('/')?;
    let bracketed = addr.strip_prefix('[').and_then(|a| a.strip_suffix(']'));
    let example = "write an address, `/` and a prefix length, e.g. \"10.0.0.0/8\" or \"fd00::/8\"";
    let Ok(ip) = bracketed.unwrap_or(addr).parse::<IpAddr>() else {
        // `10.0.0/8`: a network's shape around something that is no address.
        let shaped = !addr.is_empty()
            && addr.bytes().all(|b| b.is_ascii_hexdigit() || b".:[]".contains(&b))
            && !prefix.is_empty()
            && prefix.bytes().all(|b| b.is_ascii_digit());
        return shaped.then(|| Err(format!("{p:?} is not a network: {addr:?} is not an IP address; {example}")));
    };
    let (family, max) = if ip.is_ipv4() { ("IPv4", 32) } else { ("IPv6", 128) };
    let digits = prefix.bytes().take_while(u8::is_ascii_digit).count();
    let (len, rest) = prefix.split_at(digits);
    // Per family: `IpNet::new` is newer than the declared ipnet 2.2.
    let net = |len: u8| match ip {
        IpAddr::V4(v4) => Ipv4Net::new(v4, len).ok().map(IpNet::from),
        IpAddr::V6(v6) => Ipv6Net::new(v6, len).ok().map(IpNet::from),
    };
    let Some(net) = len.parse::<u8>().ok().and_then(net) else {
        return Some(Err(if digits > 0 && rest.is_empty() {
            format!("{p:?}: /{len} is longer than an {family} address; the prefix length is at most /{max}")
        } else {
            format!("{p:?} is not a network; {example}")
        }));
    };
    let network = net.trunc();
    Some(if !rest.is_empty() {
        match rest.strip_prefix(':') {
            Some(_) => Err(format!("{p:?}: a network matches every port and takes none; write \"{network}\"")),
            None => Err(format!("{p:?} is not a network; {example}")),
        }
    } else if bracketed.is_some() {
        Err(format!("{p:?}: write a network without brackets, \"{network}\""))
    } else if network != net {
        Err(format!(
            "{p:?} has host bits set; write the network \"{network}\", or \"{}\" for that one address",
            if ip.is_ipv4() { ip.to_string() } else { format!("[{ip}]") }
        ))
    } else {
        Ok(net)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Django's `test_host_validation_in_debug_mode`-style cases
    /// (`tests/requests/tests.py`, `HostValidationTests`).
    const ALLOWED: &[&str] = &[
        "forward.com",
        "example.com",
        "internal.com",
        "12.34.56.78",
        "[2001:19f0:feee::dead:beef:cafe]",
        "xn--4ca9at.com",
        ".multitenant.com",
        "INSENSITIVE.com",
        "[::ffff:169.254.169.254]",
    ];

    fn allowed(host: &str) -> bool {
        let patterns: Vec<HostPattern> = ALLOWED.iter().map(|p| HostPattern::parse(p).unwrap()).collect();
        parse_host(host).is_some_and(|h| patterns.iter().any(|p| p.matches(&h, 80)))
    }

    #[test]
    fn djangos_legitimate_hosts_pass() {
        for host in [
            "example.com",
            "example.com:80",
            "12.34.56.78",
            "12.34.56.78:443",
            "[2001:19f0:feee::dead:beef:cafe]",
            "[2001:19f0:feee::dead:beef:cafe]:8080",
            "xn--4ca9at.com",
            "anything.multitenant.com",
            "multitenant.com",
            "insensitive.com",
            "example.com.",
            "example.com.:80",
            "[::ffff:169.254.169.254]",
        ] {
            assert!(allowed(host), "{host}");
        }
    }

    #[test]
    fn djangos_poisoned_hosts_are_refused() {
        for host in [
            "example.com@evil.tld",
            "example.com:dr.frankenstein@evil.tld",
            "example.com:dr.frankenstein@evil.tld:80",
            "example.com:80/badpath",
            "example.com: recovermypassword.com",
            "other.com",
            "12.34.56.78:443.evil",
            "[2001:19f0:feee::dead:beef:cafe]:8080.evil",
            "[2001:19f0:feee::dead:beef:cafe",
            "evil.multitenant.com.evil",
            "multitenant.com.evil",
            "",
            " ",
            "exa mple.com",
            "example.com:99999",
        ] {
            assert!(!allowed(host), "{host:?}");
        }
    }

    #[test]
    fn a_pattern_with_a_port_wants_that_port() {
        let p = HostPattern::parse("example.com:8443").unwrap();
        assert!(p.matches(&parse_host("example.com:8443").unwrap(), 443));
        assert!(!p.matches(&parse_host("example.com").unwrap(), 443));
        assert!(HostPattern::parse("example.com:443").unwrap().matches(&parse_host("example.com").unwrap(), 443));
        assert!(HostPattern::parse("*").unwrap().matches(&parse_host("anything.example").unwrap(), 80));
    }

    #[test]
    fn bad_patterns_say_what_to_write() {
        assert_eq!(
            HostPattern::parse("https://example.com").unwrap_err(),
            "\"https://example.com\" has a scheme or a path; write the host only, e.g. \"www.example.com\""
        );
        assert!(HostPattern::parse("example.com/app").is_err());
        assert!(HostPattern::parse("*.example.com").unwrap_err().contains("the only wildcards are a leading dot"));
        assert!(HostPattern::parse("exa mple.com").is_err());
        assert!(HostPattern::parse(".").is_err());
    }

    fn network(p: &str) -> HostPattern {
        HostPattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn a_network_admits_literal_ips_inside_it_on_any_port() {
        let v4 = network("10.0.0.0/8");
        let v6 = network("fd00::/8");
        for (host, inside) in [
            ("10.0.0.5", true),
            ("10.255.255.255:8000", true),
            ("11.0.0.1", false),
            ("9.255.255.255:80", false),
            ("[fd00::5]", true),
            ("[fdff:1:2::3]:8443", true),
            ("[fe80::1]", false),
        ] {
            let h = parse_host(host).unwrap();
            assert_eq!(v4.matches(&h, 80) || v6.matches(&h, 80), inside, "{host}");
        }
    }

    #[test]
    fn a_network_never_admits_a_name() {
        let all = [network("0.0.0.0/0"), network("::/0")];
        for host in ["localhost", "10.0.0.5.nip.io", "10.1", "0x0a000005", "fd00--5.example", "[::ffff:10.0.0.5]x"] {
            assert!(parse_host(host).is_none_or(|h| !all.iter().any(|n| n.matches(&h, 80))), "{host}");
        }
        // An IPv4-mapped IPv6 host is IPv6: outside every IPv4 network (Python's ipaddress agrees).
        let mapped = parse_host("[::ffff:10.0.0.5]").unwrap();
        assert!(!network("10.0.0.0/8").matches(&mapped, 80));
        assert!(network("::ffff:0:0/96").matches(&mapped, 80));
    }

    #[test]
    fn bad_networks_say_what_to_write() {
        let e = |p: &str| HostPattern::parse(p).unwrap_err();
        assert_eq!(
            e("10.0.0.0/33"),
            "\"10.0.0.0/33\": /33 is longer than an IPv4 address; the prefix length is at most /32"
        );
        assert_eq!(
            e("fd00::/129"),
            "\"fd00::/129\": /129 is longer than an IPv6 address; the prefix length is at most /128"
        );
        assert_eq!(
            e("10.0.0.1/8"),
            "\"10.0.0.1/8\" has host bits set; write the network \"10.0.0.0/8\", or \"10.0.0.1\" for that one address"
        );
        assert_eq!(
            e("fd00::1/8"),
            "\"fd00::1/8\" has host bits set; write the network \"fd00::/8\", or \"[fd00::1]\" for that one address"
        );
        assert_eq!(e("[fd00::]/8"), "\"[fd00::]/8\": write a network without brackets, \"fd00::/8\"");
        assert_eq!(
            e("10.0.0.0/8:8000"),
            "\"10.0.0.0/8:8000\": a network matches every port and takes none; write \"10.0.0.0/8\""
        );
        assert_eq!(
            e("10.0.0/8"),
            "\"10.0.0/8\" is not a network: \"10.0.0\" is not an IP address; write an address, `/` and a prefix length, \
             e.g. \"10.0.0.0/8\" or \"fd00::/8\""
        );
        assert_eq!(
            e("10.0.0.0/"),
            "\"10.0.0.0/\" is not a network; write an address, `/` and a prefix length, e.g. \"10.0.0.0/8\" or \"fd00::/8\""
        );
        assert!(e("example.com/8").contains("has a scheme or a path"));
        assert_eq!(network("10.0.0.5/32"), HostPattern::Network("10.0.0.5/32".parse().unwrap()));
    }
}
