//! The request's host as input: parsed strictly and checked against
//! `security.allowed_hosts` (Django's `ALLOWED_HOSTS` syntax), so redirects,
//! the collector's origin check and the CSRF origin comparison never rest
//! on a value the client made up.

use std::fmt;

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

/// One `allowed_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostPattern {
    /// `*`: any host.
    Any,
    /// `example.com` (optionally `:port`).
    Exact(HostPort),
    /// `.example.com`: the domain and every subdomain (optionally `:port`).
    Domain { suffix: String, port: Option<u16> },
}

impl HostPattern {
    /// Parses an entry, or says what is wrong with it.
    pub(crate) fn parse(p: &str) -> Result<HostPattern, String> {
        let t = p.trim();
        if t == "*" {
            return Ok(HostPattern::Any);
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
        }
    }
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
}
