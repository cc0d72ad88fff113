//! Knowing whether a request really arrived over HTTPS, and redirecting
//! plain HTTP to HTTPS.
//!
//! Rocket 0.5 has no per-request "is this HTTPS?" signal. A request counts as
//! secure when Rocket itself serves TLS, or when it comes from a configured
//! trusted proxy that says so in its scheme header (Django's
//! `SECURE_PROXY_SSL_HEADER`). The header is ignored from any other peer, so a
//! client cannot claim HTTPS by sending `X-Forwarded-Proto: https` itself.

use std::net::IpAddr;

use ipnet::IpNet;
use rocket::request::Request;

use super::error::ConfigError;
use super::host::{parse_host, HostPattern, HostPort};

/// HTTPS detection and the optional HTTP-to-HTTPS redirect.
///
/// ```toml
/// [default.security.https]
/// trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]  # peers whose proxy_header is believed; Default: []
/// proxy_header = "X-Forwarded-Proto"            # Default: "X-Forwarded-Proto"
/// trust_forwarded_host = false                  # believe a trusted proxy's X-Forwarded-Host; Default: false
/// redirect = false                              # redirect plain HTTP to HTTPS; Default: false
/// redirect_status = 308                         # 301 or 308; Default: 308
/// redirect_host = "www.example.com"             # Default: the request's Host
/// redirect_exempt = ["/health"]                 # Default: []
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Https {
    /// IP addresses or CIDR networks of the proxies that terminate TLS. _Default:_ `[]`.
    pub trusted_proxies: Vec<String>,
    /// The header a trusted proxy sets to `https`. _Default:_ `"X-Forwarded-Proto"`.
    pub proxy_header: String,
    /// Redirect plain-HTTP requests to `https://`. _Default:_ `false`.
    pub redirect: bool,
    /// `301` (Moved Permanently) or `308` (Permanent Redirect, keeps the method). _Default:_ `308`.
    pub redirect_status: u64,
    /// Host for the redirect target. _Default:_ `None` (the request's `Host`,
    /// when a name entry of `allowed_hosts` admitted it; a host only a network
    /// entry admitted gets `421` instead).
    pub redirect_host: Option<String>,
    /// Path patterns never redirected. _Default:_ `[]`.
    pub redirect_exempt: Vec<String>,
    /// Take the host from a trusted proxy's `X-Forwarded-Host` (Django's
    /// `USE_X_FORWARDED_HOST`): only if the proxy sets or strips it itself.
    /// _Default:_ `false` (the `Host` header, as the proxy forwarded it).
    pub trust_forwarded_host: bool,
}

impl Default for Https {
    fn default() -> Self {
        Https {
            trusted_proxies: vec![],
            proxy_header: "X-Forwarded-Proto".into(),
            redirect: false,
            redirect_status: 308,
            redirect_host: None,
            redirect_exempt: vec![],
            trust_forwarded_host: false,
        }
    }
}

impl Https {
    pub(crate) fn compile(&self, errors: &mut Vec<ConfigError>) -> HttpsPolicy {
        let key = |f: &str| format!("security.https.{f}");
        let mut proxies = Vec::with_capacity(self.trusted_proxies.len());
        for (i, p) in self.trusted_proxies.iter().enumerate() {
            let p = p.trim();
            let net = p.parse::<IpNet>().or_else(|_| p.parse::<IpAddr>().map(IpNet::from));
            match net {
                Ok(n) => proxies.push(n.trunc()),
                Err(_) => errors.push(ConfigError::new(
                    format!("{}[{i}]", key("trusted_proxies")),
                    format!("{p:?} is not an IP address or CIDR network (e.g. \"10.0.0.1\" or \"10.0.0.0/8\")"),
                )),
            }
        }
        let header = self.proxy_header.trim();
        if header.is_empty() || !header.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            errors.push(ConfigError::new(
                key("proxy_header"),
                format!("{header:?} is not a header name (letters, digits and `-`, e.g. \"X-Forwarded-Proto\")"),
            ));
        }
        HttpsPolicy { proxies, header: header.to_string(), allowed: None, forwarded_host: self.trust_forwarded_host }
    }
}

/// How `allowed_hosts` admitted a request's host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Admitted {
    /// By a name entry (exact, `.domain`, `*`), or not checked: a host to build URLs from.
    Named(HostPort),
    /// Only by a network entry (`10.0.0.0/8`): served, never built into a URL.
    Network(HostPort),
}

/// Managed state: the HTTPS settings, for guards that need the client address.
pub(crate) struct HttpsState(pub(crate) HttpsPolicy);

/// Whether `req` carries more than one `Host` header, which RFC 9112 §3.2
/// answers with 400 (Rocket routes by the first; a proxy may use the last).
pub(crate) fn has_duplicate_host(req: &Request<'_>) -> bool {
    req.headers().get("Host").nth(1).is_some()
}

/// The compiled [`Https`] settings and `security.allowed_hosts`: what the
/// crate believes of a request's scheme, host and client address.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpsPolicy {
    pub(crate) proxies: Vec<IpNet>,
    pub(crate) header: String,
    /// `security.allowed_hosts`; `None`: the host is not checked.
    pub(crate) allowed: Option<Vec<HostPattern>>,
    /// `trust_forwarded_host`.
    pub(crate) forwarded_host: bool,
}

impl HttpsPolicy {
    /// Whether the socket peer of `req` is a trusted proxy.
    fn peer_is_proxy(&self, req: &Request<'_>) -> bool {
        !self.proxies.is_empty()
            && req.remote().is_some_and(|peer| {
                let ip = peer.ip().to_canonical();
                self.proxies.iter().any(|n| n.contains(&ip))
            })
    }

    /// The raw host of `req`: with `trust_forwarded_host`, a trusted proxy's
    /// `X-Forwarded-Host` (its last value); else the host Rocket routes with
    /// (the `Host` header, or HTTP/2's `:authority`). A `Host` header that
    /// disagrees with `:authority`, or more than one `Host` header (RFC 9112
    /// §3.2: Rocket would route by the first), makes the host unusable (`None`).
    pub(crate) fn raw_host(&self, req: &Request<'_>) -> Option<String> {
        if has_duplicate_host(req) {
            return None;
        }
        if self.forwarded_host
            && self.peer_is_proxy(req)
            && let Some(fwd) = req.headers().get("X-Forwarded-Host").last()
        {
            return fwd.rsplit(',').next().map(|v| v.trim().to_string());
        }
        let header = req.headers().get_one("Host");
        match req.host() {
            Some(h) => {
                let routed = match h.port() {
                    Some(p) => format!("{}:{p}", h.domain()),
                    None => h.domain().to_string(),
                };
                let agree = header.is_none_or(|v| parse_host(v) == parse_host(&routed));
                agree.then_some(routed)
            }
            // Requests not parsed from the wire (local test clients).
            None => header.map(str::to_string),
        }
    }

    /// The request's host, parsed strictly and, with `allowed_hosts`, admitted
    /// by an entry (a name entry before a network one). `None`: no usable host.
    pub(crate) fn admit(&self, req: &Request<'_>) -> Option<Admitted> {
        let host = parse_host(&self.raw_host(req)?)?;
        let Some(patterns) = &self.allowed else { return Some(Admitted::Named(host)) };
        let default_port = if self.is_secure(req) { 443 } else { 80 };
        let by = |network: bool| patterns.iter().any(|p| p.is_network() == network && p.matches(&host, default_port));
        if by(false) {
            Some(Admitted::Named(host))
        } else if by(true) {
            Some(Admitted::Network(host))
        } else {
            None
        }
    }

    /// The host redirects, origin checks and absolute URLs are built from:
    /// the request's, admitted by a name entry of `allowed_hosts` (or any,
    /// without the list). `None`: no usable host, or one only a network entry
    /// admitted (a load balancer's probe by IP), so nothing is built from it.
    pub(crate) fn host(&self, req: &Request<'_>) -> Option<HostPort> {
        match self.admit(req)? {
            Admitted::Named(host) => Some(host),
            Admitted::Network(_) => None,
        }
    }

    /// The request's host when an entry of `allowed_hosts` names it (not `*`,
    /// not a network): one the site answers to, whatever the client sent, for
    /// what browsers keep (a `Report-To` URL). `None` without the list.
    pub(crate) fn named_host(&self, req: &Request<'_>) -> Option<HostPort> {
        let host = self.host(req)?;
        let default_port = if self.is_secure(req) { 443 } else { 80 };
        let named = self.allowed.as_ref()?.iter().any(|p| p.names_hosts() && p.matches(&host, default_port));
        named.then_some(host)
    }

    /// Whether `req` arrived over HTTPS.
    pub(crate) fn is_secure(&self, req: &Request<'_>) -> bool {
        if req.rocket().config().tls_enabled() {
            return true;
        }
        if self.proxies.is_empty() {
            return false;
        }
        let Some(peer) = req.remote() else { return false };
        let ip = peer.ip().to_canonical();
        if !self.proxies.iter().any(|n| n.contains(&ip)) {
            return false;
        }
        // The last value is the one the trusted proxy wrote; earlier ones may
        // come from the client if the proxy appends instead of replacing.
        req.headers()
            .get(&self.header)
            .last()
            .and_then(|v| v.rsplit(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
    }

    /// The client's address: the socket's peer, or — when that peer is a
    /// trusted proxy — the nearest untrusted address in `X-Forwarded-For`.
    /// Rocket's own `client_ip()` believes `X-Real-IP` from anyone; this does not.
    pub(crate) fn client_ip(&self, req: &Request<'_>) -> Option<IpAddr> {
        let peer = req.remote()?.ip().to_canonical();
        let trusted = |ip: &IpAddr| self.proxies.iter().any(|n| n.contains(ip));
        if !trusted(&peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = req.headers().get("X-Forwarded-For").flat_map(|v| v.split(',')).map(str::trim).collect();
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) if trusted(&ip.to_canonical()) => continue,
                Ok(ip) => return Some(ip.to_canonical()),
                Err(_) => break,
            }
        }
        Some(peer)
    }

    /// What counts as HTTPS, for the liftoff log.
    pub(crate) fn describe(&self) -> String {
        if self.proxies.is_empty() {
            "HTTPS = Rocket's TLS only".to_string()
        } else {
            let list = self.proxies.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            format!("HTTPS = Rocket's TLS, or `{}: https` from {list}", self.header)
        }
    }
}
