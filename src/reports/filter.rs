//! Noise filters as data: disallowed sources (browser extensions, injected
//! adware) and the origin check.

use super::normalize::host_of;

/// Sentry's default disallowed sources, minus `localhost` (which would drop
/// a locally run application's own reports).
pub const DEFAULT_DISALLOWED_SOURCES: &[&str] = &[
    "about",
    "ms-browser-extension",
    "chrome",
    "chrome-extension",
    "chromeinvokeimmediate",
    "chromenull",
    "data:text/html,chromewebdata",
    "safari-extension",
    "safari-web-extension",
    "mxaddon-pkg",
    "jar",
    "webviewprogressproxy",
    "tmtbff",
    "mbinit",
    "symres",
    "resource",
    "moz-extension",
    "*.superfish.com",
    "*.metrext.com",
    "*.tlscdn.com",
    "static.image2play.com",
    "addons.mozilla.org",
    "widgets.amung.us",
    "injections.adguard.com",
    "gateway.zscalertwo.net",
    "*.savingsslider.com",
    "*.nsuzhtcc.com",
    "*.ak.fbcdn.net",
    "*.2mdn.net",
];

/// One disallowed-source pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourcePattern {
    /// `chrome-extension` or `chrome-extension://*`: any URI of that scheme.
    Scheme(String),
    /// `example.com` or `*.example.com` (the domain and its subdomains).
    Host { domain: String, subdomains: bool },
    /// Anything else with a `:` (e.g. `data:text/html,chromewebdata`): a prefix.
    Prefix(String),
}

impl SourcePattern {
    pub(crate) fn parse(p: &str) -> Result<Self, String> {
        let p = p.trim().to_ascii_lowercase();
        if p.is_empty() || p.chars().any(char::is_whitespace) {
            return Err(format!("{p:?} is not a source pattern (a scheme, a host, or *.domain)"));
        }
        if let Some(scheme) = p.strip_suffix("://*") {
            return Ok(SourcePattern::Scheme(scheme.to_string()));
        }
        if let Some(domain) = p.strip_prefix("*.") {
            return Ok(SourcePattern::Host { domain: domain.to_string(), subdomains: true });
        }
        if p.contains(':') {
            return Ok(SourcePattern::Prefix(p));
        }
        if p.contains('.') {
            return Ok(SourcePattern::Host { domain: p, subdomains: false });
        }
        Ok(SourcePattern::Scheme(p))
    }

    #[cfg(test)]
    pub(crate) fn matches(&self, uri: &str) -> bool {
        self.matches_candidate(&Candidate::new(uri))
    }

    /// Matches a URI prepared once for all patterns.
    pub(crate) fn matches_candidate(&self, c: &Candidate) -> bool {
        let lower = c.lower.as_str();
        match self {
            SourcePattern::Scheme(s) => {
                lower.strip_prefix(s.as_str()).is_some_and(|rest| rest.starts_with(':')) || lower == s
            }
            SourcePattern::Prefix(p) => lower.starts_with(p.as_str()),
            SourcePattern::Host { domain, subdomains } => match &c.host {
                Some(h) => h == domain || (*subdomains && is_below(h, domain)),
                None => false,
            },
        }
    }
}

/// A source URI lowercased and split once, then matched against every pattern.
pub(crate) struct Candidate {
    lower: String,
    host: Option<String>,
}

impl Candidate {
    pub(crate) fn new(uri: &str) -> Candidate {
        let lower = uri.trim().to_ascii_lowercase();
        let host = host_of(&lower);
        Candidate { lower, host }
    }
}

/// Whether `host` is a subdomain of `domain` (`a.b.example` of `example`).
fn is_below(host: &str, domain: &str) -> bool {
    host.len() > domain.len() && host.ends_with(domain) && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

/// Whether `host` is `allowed` or, for `*.domain` entries, below it.
pub(crate) fn host_allowed(host: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|a| match a.strip_prefix("*.") {
        Some(d) => host == d || is_below(host, d),
        None => host == a,
    })
}

#[cfg(test)]
mod tests {
    use super::SourcePattern;

    fn m(p: &str, uri: &str) -> bool {
        SourcePattern::parse(p).unwrap().matches(uri)
    }

    #[test]
    fn patterns_match_like_sentrys() {
        assert!(m("chrome-extension", "chrome-extension://abc/x.js"));
        assert!(m("moz-extension://*", "moz-extension://abc"));
        assert!(!m("chrome", "chrome-extension://abc"));
        assert!(m("*.superfish.com", "https://www.superfish.com/x.js"));
        assert!(m("*.superfish.com", "https://superfish.com/x.js"));
        assert!(!m("*.superfish.com", "https://notsuperfish.com/x.js"));
        assert!(m("data:text/html,chromewebdata", "data:text/html,chromewebdata"));
        assert!(!m("addons.mozilla.org", "https://addons.mozilla.org.evil/x"));
        assert!(m("about", "about"));
        assert!(m("about", "about:blank"));
    }
}
