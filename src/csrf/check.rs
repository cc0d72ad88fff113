//! The cross-origin decision for one request, from its method and headers:
//! Go's `net/http` `CrossOriginProtection` (1.25) and the OWASP Fetch
//! Metadata rules, with the request's own origin as HTTPS detection sees it.

/// Why a request was refused (for the answer and the log line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `Sec-Fetch-Site` said the request came from another origin.
    FetchSite(String),
    /// Without `Sec-Fetch-Site`, `Origin` named another origin (or `null`).
    Origin(String),
    /// Token mode: the token is missing or wrong.
    Token(&'static str),
}

impl Refusal {
    /// The deciding header and its value, bounded for the log.
    /// The reason code: in the JSON answer and the report-mode counters.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Refusal::FetchSite(_) | Refusal::Origin(_) => "cross_origin",
            Refusal::Token(_) => "csrf_token",
        }
    }

    pub(crate) fn describe(&self) -> String {
        fn bounded(v: &str) -> String {
            let v: String = v.chars().take(80).collect();
            format!("{v:?}")
        }
        match self {
            Refusal::FetchSite(v) => format!("Sec-Fetch-Site: {}", bounded(v)),
            Refusal::Origin(v) => format!("Origin: {} (not this site's origin)", bounded(v)),
            Refusal::Token(why) => format!("CSRF token {why}"),
        }
    }
}

/// An origin as `(scheme, host, port)`, lowercase, the port explicit.
pub(crate) type Origin = (String, String, u16);

/// Parses `scheme://host[:port]` (no path, query, user info or wildcard).
pub(crate) fn parse_origin(s: &str) -> Option<Origin> {
    let (scheme, rest) = s.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', '*', ' ']) {
        return None;
    }
    let h = crate::core::host::parse_host(rest)?;
    if rest.ends_with('.') {
        return None;
    }
    Some((scheme, h.host, h.port.unwrap_or(default)))
}

/// The inputs of the decision.
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) fetch_site: Option<&'a str>,
    pub(crate) origin: Option<&'a str>,
    /// The request's own origin (scheme from HTTPS detection, host and port from `Host`).
    pub(crate) own: Option<Origin>,
}

/// Whether the method changes nothing (RFC 9110 safe methods the rule lists).
pub(crate) fn is_safe(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// The header rule: `Ok` to pass, `Err` with the deciding header.
pub(crate) fn decide(r: &Request<'_>, trusted: &[Origin]) -> Result<(), Refusal> {
    if is_safe(r.method) {
        return Ok(());
    }
    let trusted_origin = || r.origin.and_then(parse_origin).is_some_and(|o| trusted.contains(&o));
    match r.fetch_site.map(str::trim) {
        Some(v) if v.eq_ignore_ascii_case("same-origin") || v.eq_ignore_ascii_case("none") => Ok(()),
        Some(_) if trusted_origin() => Ok(()),
        Some(v) => Err(Refusal::FetchSite(v.to_string())),
        None => match r.origin {
            // Neither header: not a browser form (curl, a server, an old browser).
            None => Ok(()),
            Some(o) if parse_origin(o).is_some_and(|o| Some(&o) == r.own.as_ref()) => Ok(()),
            Some(_) if trusted_origin() => Ok(()),
            Some(o) => Err(Refusal::Origin(o.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> Option<Origin> {
        Some(("https".into(), "example.com".into(), 443))
    }

    fn check(method: &str, fetch_site: Option<&str>, origin: Option<&str>) -> Result<(), Refusal> {
        let trusted = [parse_origin("https://partner.example").unwrap()];
        decide(&Request { method, fetch_site, origin, own: own() }, &trusted)
    }

    #[test]
    fn safe_methods_always_pass() {
        for m in ["GET", "HEAD", "OPTIONS"] {
            assert_eq!(check(m, Some("cross-site"), Some("https://evil.example")), Ok(()));
        }
    }

    #[test]
    fn fetch_site_decides_when_present() {
        assert_eq!(check("POST", Some("same-origin"), None), Ok(()));
        assert_eq!(check("POST", Some("none"), None), Ok(()));
        for v in ["same-site", "cross-site", "bogus"] {
            assert_eq!(check("POST", Some(v), Some("https://example.com")), Err(Refusal::FetchSite(v.into())));
        }
        assert_eq!(check("POST", Some("cross-site"), Some("https://partner.example")), Ok(()), "trusted");
    }

    #[test]
    fn origin_decides_without_fetch_site() {
        assert_eq!(check("POST", None, Some("https://example.com")), Ok(()));
        assert_eq!(check("POST", None, Some("https://EXAMPLE.com:443")), Ok(()), "default port, case");
        for o in ["https://evil.example", "https://example.com:8443", "http://example.com", "null"] {
            assert_eq!(check("POST", None, Some(o)), Err(Refusal::Origin(o.into())), "{o}");
        }
        assert_eq!(check("DELETE", None, Some("https://partner.example")), Ok(()), "trusted");
        assert_eq!(check("POST", None, None), Ok(()), "neither header: not a browser form");
    }

    #[test]
    fn origins_parse_strictly() {
        assert_eq!(parse_origin("https://a.example:8443"), Some(("https".into(), "a.example".into(), 8443)));
        assert_eq!(parse_origin("http://[::1]:8000"), Some(("http".into(), "[::1]".into(), 8000)));
        for bad in
            ["a.example", "https://a.example/path", "https://*.a.example", "ftp://a.example", "https://", "https://a:b"]
        {
            assert_eq!(parse_origin(bad), None, "{bad}");
        }
    }
}
