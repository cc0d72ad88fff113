//! Noise filters as data: disallowed sources (browser extensions, injected
//! adware) and the origin check.

use super::normalize::host_of;

/// The default noise list: reports whose blocked URI, source file or script
/// sample points at one of these come from the visitor's browser (extensions,
/// browser-internal pages) or from software injected into the page (adware,
/// TLS-intercepting proxies), not from the site.
///
/// Kept as data, each entry with a real-world example in the tests. Sources:
/// Sentry's `DEFAULT_DISALLOWED_SOURCES` (`sentry/interfaces/security.py`,
/// minus `localhost`, which would drop a locally run application's own
/// reports), the browser-internal schemes seen in public report collections
/// (nico3333fr's "CSP WTF", report-uri.com's write-ups), and injector hosts
/// from the same collections. A site that really loads one of these hosts
/// sets `use_default_disallowed = false` and lists its own.
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::{reports::DEFAULT_DISALLOWED_SOURCES, SecurityConfig};
///
/// // A site that really loads addons.mozilla.org keeps the rest of the list:
/// let mine: Vec<&str> = DEFAULT_DISALLOWED_SOURCES.iter().copied().filter(|s| *s != "addons.mozilla.org").collect();
/// let figment = Figment::from(rocket::Config::default())
///     .merge(("security.reports.use_default_disallowed", false))
///     .merge(("security.reports.disallowed_sources", &mine));
/// let reports = SecurityConfig::from_figment(&figment).unwrap().reports;
/// assert_eq!(reports.disallowed_sources.len(), DEFAULT_DISALLOWED_SOURCES.len() - 1);
/// assert!(reports.disallowed_sources.iter().any(|s| s == "chrome-extension"));
/// ```
pub const DEFAULT_DISALLOWED_SOURCES: &[&str] = &[
    // Browser extensions.
    "chrome-extension",
    "moz-extension",
    "safari-extension",
    "safari-web-extension",
    "ms-browser-extension",
    "mxaddon-pkg",
    // Safari's stand-in for a hidden extension URL.
    "webkit-masked-url",
    // Browser-internal pages and schemes.
    "about",
    "chrome",
    "chromeinvokeimmediate",
    "chromenull",
    "data:text/html,chromewebdata",
    "jar",
    "resource",
    "webviewprogressproxy",
    "android-webview-video-poster",
    "gsa",
    "mx",
    "opera",
    "tmtbff",
    "mbinit",
    "symres",
    // Injected adware, toolbars and read-later/coupon helpers (Sentry's list).
    "*.superfish.com",
    "*.metrext.com",
    "*.tlscdn.com",
    "static.image2play.com",
    "73a5b0806e464be8bd4e694c744624f0.com",
    "020dfefc4ac745dab7594f2f771c1ded.com",
    "addons.mozilla.org",
    "v.zilionfast.in",
    "widgets.amung.us",
    "xls.searchfun.in",
    "istatic.datafastguru.info",
    "resultshub-a.akamaihd.net",
    "pulseadnetwork.com",
    "www.passpack.com",
    "middlerush-a.akamaihd.net",
    "www.websmartcenter.com",
    "a.linkluster.com",
    "saveyoutime.ru",
    "cdncache-a.akamaihd.net",
    "x.rafomedia.com",
    "savingsslider-a.akamaihd.net",
    "injections.adguard.com",
    "icontent.us",
    "amiok.org",
    "connectionstrenth.com",
    "siteheart.net",
    "netanalitics.space",
    "printapplink.com",
    "godlinkapp.com",
    "devappstor.com",
    "hoholikik.club",
    "smartlink.cool",
    "promfflinkdev.com",
    // TLS-intercepting proxies.
    "gateway.zscalertwo.net",
    // Injectors seen in public report collections ("CSP WTF").
    "cr-input.mxpnl.net",
    "secure.optibuymac.com",
    "loadingpages.me",
    "adsstrike.pro",
    "cdn.ext335.com",
    "asrvvv-a.akamaihd.net",
    // Kept from earlier releases of this list.
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

    /// Whether a script sample (lowercased) quotes a URL of this pattern's
    /// scheme, as Firefox does for code an extension injected
    /// (`moz-extension://.../content.js`). Hosts are not looked for in samples:
    /// the site's own code may name any host.
    pub(crate) fn in_sample(&self, sample_lower: &str) -> bool {
        match self {
            SourcePattern::Scheme(s) => sample_lower.match_indices(s.as_str()).any(|(i, _)| {
                sample_lower[i + s.len()..].starts_with("://") && !preceded_by_scheme_char(sample_lower, i)
            }),
            _ => false,
        }
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

/// Whether the byte before `i` could continue a scheme name (so `i` is not
/// where one starts: `xmx://` is not `mx://`).
fn preceded_by_scheme_char(s: &str, i: usize) -> bool {
    i.checked_sub(1).is_some_and(|j| {
        let b = s.as_bytes()[j];
        b.is_ascii_alphanumeric() || b"+-.".contains(&b)
    })
}

/// Whether `host` is a subdomain of `domain` (`a.b.example` of `example`).
fn is_below(host: &str, domain: &str) -> bool {
    host.len() > domain.len() && host.ends_with(domain) && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

/// Whether a stored blocked source (a host, `scheme://host` or a kind) is on
/// the default noise list: browser extensions and internals, injected
/// software; what the wizard never proposes.
pub(crate) fn is_noise(blocked: &str) -> bool {
    let uri = if blocked.contains(':') { blocked.to_string() } else { format!("https://{blocked}") };
    let c = Candidate::new(&uri);
    DEFAULT_DISALLOWED_SOURCES.iter().filter_map(|p| SourcePattern::parse(p).ok()).any(|p| p.matches_candidate(&c))
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
    use super::{SourcePattern, DEFAULT_DISALLOWED_SOURCES};

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

    /// Each default entry, with a value of the kind real reports carry in
    /// `blocked-uri` or `source-file`, and one it must not match.
    const EXAMPLES: &[(&str, &str, &str)] = &[
        (
            "chrome-extension",
            "chrome-extension://gighmmpiobklfepjocnamgkkbiglidom/content.js",
            "https://chrome-extension.example/a.js",
        ),
        (
            "moz-extension",
            "moz-extension://0f9b3c2e-1d2a-4b7e-9c1f-2a3b4c5d6e7f/injected.js",
            "https://example.com/moz-extension.js",
        ),
        ("safari-extension", "safari-extension://com.example.ext-abcdef1234/5f3c/script.js", "https://example.com/"),
        (
            "safari-web-extension",
            "safari-web-extension://0A1B2C3D-4E5F-6789-ABCD-EF0123456789/content.js",
            "https://example.com/",
        ),
        (
            "ms-browser-extension",
            "ms-browser-extension://EdgeExtension_Example_8wekyb3d8bbwe/content.js",
            "https://example.com/",
        ),
        ("mxaddon-pkg", "mxaddon-pkg", "https://example.com/mxaddon-pkg"),
        ("webkit-masked-url", "webkit-masked-url://hidden/", "https://example.com/"),
        ("about", "about:blank", "https://example.com/about"),
        ("chrome", "chrome://settings/", "https://www.google.com/chrome/"),
        ("chromeinvokeimmediate", "chromeinvokeimmediate://4f6c2d58e3b1c1b5", "https://example.com/"),
        ("chromenull", "chromenull://", "https://example.com/"),
        ("data:text/html,chromewebdata", "data:text/html,chromewebdata", "data:image/png;base64,iVBORw0KGgo="),
        ("jar", "jar:file:///C:/Program%20Files/ext.xpi!/content.js", "https://example.com/jar"),
        ("resource", "resource://gre/modules/Readerable.js", "https://example.com/resource/x.js"),
        ("webviewprogressproxy", "webviewprogressproxy://complete", "https://example.com/"),
        (
            "android-webview-video-poster",
            "android-webview-video-poster:default_video_poster/3526486187386496914",
            "https://example.com/poster.png",
        ),
        ("gsa", "gsa://onpageload", "https://example.com/gsa"),
        ("mx", "mx://res/reader-mode/reader.js", "https://mx.example.com/"),
        ("opera", "opera://speeddial", "https://www.opera.com/"),
        ("tmtbff", "tmtbff://", "https://example.com/"),
        ("mbinit", "mbinit://", "https://example.com/"),
        ("symres", "symres://ext/content.js", "https://example.com/"),
        ("*.superfish.com", "https://www.superfish.com/ws/sf_main.jsp", "https://superfish.com.example/"),
        ("*.metrext.com", "https://s.metrext.com/sc.js", "https://metrext.com.example/"),
        ("*.tlscdn.com", "https://cdn.tlscdn.com/x.js", "https://example.com/tlscdn.com"),
        ("static.image2play.com", "https://static.image2play.com/i.js", "https://image2play.com/i.js"),
        (
            "73a5b0806e464be8bd4e694c744624f0.com",
            "https://73a5b0806e464be8bd4e694c744624f0.com/s.js",
            "https://example.com/",
        ),
        (
            "020dfefc4ac745dab7594f2f771c1ded.com",
            "https://020dfefc4ac745dab7594f2f771c1ded.com/s.js",
            "https://example.com/",
        ),
        ("addons.mozilla.org", "https://addons.mozilla.org/firefox/", "https://mozilla.org/"),
        ("v.zilionfast.in", "http://v.zilionfast.in/ext/a.js", "https://zilionfast.in/"),
        ("widgets.amung.us", "https://widgets.amung.us/tab.js", "https://amung.us/"),
        ("xls.searchfun.in", "http://xls.searchfun.in/s.js", "https://searchfun.in/"),
        ("istatic.datafastguru.info", "http://istatic.datafastguru.info/fo/min/abc.js", "https://datafastguru.info/"),
        ("resultshub-a.akamaihd.net", "https://resultshub-a.akamaihd.net/r.js", "https://a.akamaihd.net/r.js"),
        ("pulseadnetwork.com", "https://pulseadnetwork.com/t.js", "https://cdn.pulseadnetwork.com.example/"),
        ("www.passpack.com", "https://www.passpack.com/static/x.js", "https://passpack.com/"),
        ("middlerush-a.akamaihd.net", "https://middlerush-a.akamaihd.net/m.js", "https://akamaihd.net/"),
        ("www.websmartcenter.com", "http://www.websmartcenter.com/w.js", "https://websmartcenter.com/"),
        ("a.linkluster.com", "http://a.linkluster.com/l.js", "https://linkluster.com/"),
        ("saveyoutime.ru", "http://saveyoutime.ru/s.js", "https://www.saveyoutime.ru/s.js"),
        ("cdncache-a.akamaihd.net", "https://cdncache-a.akamaihd.net/sub/x.js", "https://akamaihd.net/"),
        ("x.rafomedia.com", "https://x.rafomedia.com/r.js", "https://rafomedia.com/"),
        (
            "savingsslider-a.akamaihd.net",
            "https://savingsslider-a.akamaihd.net/loaders/1/l.js",
            "https://akamaihd.net/",
        ),
        ("injections.adguard.com", "https://injections.adguard.com/?name=content-script", "https://adguard.com/"),
        ("icontent.us", "http://icontent.us/i.js", "https://www.icontent.us/i.js"),
        ("amiok.org", "http://amiok.org/a.js", "https://www.amiok.org/"),
        ("connectionstrenth.com", "https://connectionstrenth.com/c.js", "https://connectionstrength.com/"),
        ("siteheart.net", "https://siteheart.net/s.js", "https://webindex.siteheart.net/"),
        ("netanalitics.space", "https://netanalitics.space/n.js", "https://netanalytics.space/"),
        ("printapplink.com", "https://printapplink.com/p.js", "https://www.printapplink.com/"),
        ("godlinkapp.com", "https://godlinkapp.com/g.js", "https://www.godlinkapp.com/"),
        ("devappstor.com", "https://devappstor.com/d.js", "https://www.devappstor.com/"),
        ("hoholikik.club", "https://hoholikik.club/h.js", "https://www.hoholikik.club/"),
        ("smartlink.cool", "https://smartlink.cool/s.js", "https://www.smartlink.cool/"),
        ("promfflinkdev.com", "https://promfflinkdev.com/p.js", "https://www.promfflinkdev.com/"),
        (
            "gateway.zscalertwo.net",
            "https://gateway.zscalertwo.net/auT?origurl=https%3A%2F%2Fexample.com",
            "https://zscalertwo.net/",
        ),
        ("cr-input.mxpnl.net", "https://cr-input.mxpnl.net/data?_channel_id=&_partner_id=39571", "https://mxpnl.net/"),
        (
            "secure.optibuymac.com",
            "https://secure.optibuymac.com/servicejs/components/?source=upd-1720",
            "https://optibuymac.com/",
        ),
        ("loadingpages.me", "http://loadingpages.me/jo/is?id=F701A4D7", "https://www.loadingpages.me/"),
        ("adsstrike.pro", "https://adsstrike.pro/code/pid/965578_BNX.js?rev=3657", "https://www.adsstrike.pro/"),
        ("cdn.ext335.com", "https://cdn.ext335.com/vdsuper/bindo.js?f=22", "https://ext335.com/"),
        ("asrvvv-a.akamaihd.net", "https://asrvvv-a.akamaihd.net/get?addonname=x", "https://akamaihd.net/"),
        ("*.savingsslider.com", "https://cdn.savingsslider.com/s.js", "https://savingsslider.com.example/"),
        ("*.nsuzhtcc.com", "https://a.nsuzhtcc.com/n.js", "https://example.com/"),
        ("*.ak.fbcdn.net", "https://static.ak.fbcdn.net/rsrc.php", "https://static.xx.fbcdn.net/rsrc.php"),
        ("*.2mdn.net", "https://s0.2mdn.net/ads.js", "https://example.com/"),
    ];

    #[test]
    fn every_default_entry_matches_its_real_world_example_and_not_its_near_miss() {
        for p in DEFAULT_DISALLOWED_SOURCES {
            let (_, hit, miss) =
                EXAMPLES.iter().find(|(e, _, _)| e == p).unwrap_or_else(|| panic!("no example for {p}"));
            let pattern = SourcePattern::parse(p).unwrap();
            assert!(pattern.matches(hit), "{p} must match {hit}");
            assert!(!pattern.matches(miss), "{p} must not match {miss}");
        }
        assert_eq!(EXAMPLES.len(), DEFAULT_DISALLOWED_SOURCES.len(), "an example per entry, no stale example");
    }

    #[test]
    fn samples_are_matched_on_extension_urls_only() {
        let any = |sample: &str| {
            let lower = sample.to_ascii_lowercase();
            DEFAULT_DISALLOWED_SOURCES.iter().any(|p| SourcePattern::parse(p).unwrap().in_sample(&lower))
        };
        assert!(any("(function(){var s=document.createElement('script');s.src='moz-extension://0f9b/inject.js'"));
        assert!(any("try { chrome-extension://abc/x.js"));
        assert!(any("safari-web-extension://0A1B/content.js"));
        // Site code naming hosts, `about:` or a look-alike scheme is kept.
        assert!(!any("fetch('https://www.superfish.com/x')"));
        assert!(!any("location.href = 'about:blank'"));
        assert!(!any("var u = 'xmx://a'; var v = 'ajar://b'"));
        assert!(!any("var delay = null; currDisplay = null;fun..."));
    }
}
