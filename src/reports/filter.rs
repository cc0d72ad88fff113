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
/// from the same collections: browser extensions' ad frameworks, in-app
/// browsers and WebViews (UC Browser, Opera Mini, LG's browser, Apple
/// QuickLook) and security software that intercepts TLS or injects into
/// pages (Zscaler, Forcepoint's Blackspider, Kaspersky, IBM Trusteer
/// Rapport). A site that really loads one of these hosts sets
/// `use_default_disallowed = false` and lists its own.
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
    // Search-engine extensions.
    "se-extension",
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
    "android-webview",
    "android-webview-video-poster",
    // Apple QuickLook's previews leave their source in the page's policy.
    "x-apple-ql-id",
    "gsa",
    "mx",
    "opera",
    "tmtbff",
    "mbinit",
    "symres",
    // Browsers' and in-app WebViews' own injections: UC Browser, Opera Mini, LG's browser.
    "uc.gre",
    "gj.track.uc.cn",
    "adblockers.opera-mini.net",
    "com.lge.browser",
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
    // TLS-intercepting proxies and security software that rewrite pages.
    "*.zscalertwo.net",
    "*.zscaler.net",
    "*.blackspider.com",
    "*.scr.kaspersky-labs.com",
    // IBM Trusteer Rapport's channel to the browser (a host with no dot).
    "*.nikkomsgchannel",
    // Injectors seen in public report collections ("CSP WTF").
    "cr-input.mxpnl.net",
    "secure.optibuymac.com",
    "loadingpages.me",
    "adsstrike.pro",
    "cdn.ext335.com",
    "asrvvv-a.akamaihd.net",
    // Extensions' ad and tracking frameworks ("CSP WTF", explained).
    "netcheckcdn.xyz",
    "cdnnetwok.xyz",
    "networkcheck.xyz",
    "netanalytics.xyz",
    "butstrap.space",
    "takethatad.com",
    "adnotbad.com",
    "extenjo.net",
    "spedcheck.space",
    "spidtest.org",
    "infoanalytics.tools",
    "statcounter.biz",
    "statvalidation.website",
    "trafficvalidation.tools",
    "www.loadingpage.info",
    "loadingpaqes.info",
    "loadingdata.site",
    "dataloading.net",
    "*.davebestdeals.com",
    "istatic.eshopcomp.com",
    "secure.myshopmatemac.com",
    "secure.myshopcouponmac.com",
    "d19mml8yptdetb.cloudfront.net",
    "canvaspl-a.akamaihd.net",
    "dragonbranch-a.akamaihd.net",
    "cdn.joinhoney.com",
    "ad.smar-t.jp",
    "dl.metabar.ru",
    "mozbar.moz.com",
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
        ("se-extension", "se-extension://", "https://search.example/se-extension.js"),
        ("webkit-masked-url", "webkit-masked-url://hidden/", "https://example.com/"),
        ("about", "about:blank", "https://example.com/about"),
        ("chrome", "chrome://settings/", "https://www.google.com/chrome/"),
        ("chromeinvokeimmediate", "chromeinvokeimmediate://4f6c2d58e3b1c1b5", "https://example.com/"),
        ("chromenull", "chromenull://", "https://example.com/"),
        ("data:text/html,chromewebdata", "data:text/html,chromewebdata", "data:image/png;base64,iVBORw0KGgo="),
        ("jar", "jar:file:///C:/Program%20Files/ext.xpi!/content.js", "https://example.com/jar"),
        ("resource", "resource://gre/modules/Readerable.js", "https://example.com/resource/x.js"),
        ("webviewprogressproxy", "webviewprogressproxy://complete", "https://example.com/"),
        ("android-webview", "android-webview", "https://developer.android.com/reference/android/webkit/WebView"),
        ("x-apple-ql-id", "x-apple-ql-id", "https://support.apple.com/guide/quicklook/"),
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
        ("uc.gre", "http://uc.gre/pass/uc_gre_ad_buss/plugin.php?uc_param_str=cpfrvelakt", "https://www.uc.cn/"),
        (
            "gj.track.uc.cn",
            "http://gj.track.uc.cn/collect?uc_param_str=cpfrveladnkt&appid=4e54ac8a118f",
            "https://www.uc.cn/",
        ),
        (
            "adblockers.opera-mini.net",
            "https://adblockers.opera-mini.net/css_block/page_0_24e0kl4y70wbt1yl6ubo6mmu4iikj9axe517otg3vbutjnpeiy.css",
            "https://www.opera.com/mobile/mini",
        ),
        ("com.lge.browser", "https://com.lge.browser", "https://www.lge.com/"),
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
            "*.zscalertwo.net",
            "https://login.zscalertwo.net/sfc_upq?origurl=https%3A%2F%2Fwww%2eexample%2ecom%2f",
            "https://www.zscaler.com/",
        ),
        (
            "*.zscaler.net",
            "https://gateway.zscaler.net/auT?origurl=https%3A%2F%2Fexample.com",
            "https://www.zscaler.com/",
        ),
        ("*.blackspider.com", "https://ssl-proxy-login.blackspider.com/", "https://www.forcepoint.com/"),
        (
            "*.scr.kaspersky-labs.com",
            "https://gc.kis.v2.scr.kaspersky-labs.com/FD126C42-EBFA-4E12-B309-BB3FDD723AC1/main.js?attr=RYHhqJbV",
            "https://content.kaspersky-labs.com/fm/site-editor/63/standard-q93.webp",
        ),
        ("*.nikkomsgchannel", "https://nikkomsgchannel/e?001e005100", "https://www.ibm.com/trusteer"),
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
        (
            "netcheckcdn.xyz",
            "https://netcheckcdn.xyz/optout/get?jsonp=__twb_cb_7740428&key=171ad33fdf3bb911a6",
            "https://connectivitycheck.gstatic.com/generate_204",
        ),
        (
            "cdnnetwok.xyz",
            "https://cdnnetwok.xyz/optout/get?jsonp=__twb_cb_932473221",
            "https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js",
        ),
        ("networkcheck.xyz", "https://networkcheck.xyz/optout/get", "https://networkcheck.kde.org/"),
        ("netanalytics.xyz", "https://netanalytics.xyz/optout/get", "https://www.google-analytics.com/analytics.js"),
        (
            "butstrap.space",
            "https://butstrap.space/metric/?mid=&wid=49377&sid=&tid=590&rid=LOADED",
            "https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.min.js",
        ),
        (
            "takethatad.com",
            "https://takethatad.com/optout/get?jsonp=__twb_cb_478053953",
            "https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js",
        ),
        (
            "adnotbad.com",
            "http://adnotbad.com/metric/?mid=&wid=51151&sid=&tid=4916&rid=LOADED",
            "https://securepubads.g.doubleclick.net/tag/js/gpt.js",
        ),
        (
            "extenjo.net",
            "https://extenjo.net/metric/?mid=&wid=51824&sid=&tid=5727&rid=LOADED",
            "https://extensionworkshop.com/",
        ),
        (
            "spedcheck.space",
            "https://spedcheck.space/metric/?mid=&wid=50529&rid=LAUNCHED",
            "https://www.speedcheck.org/",
        ),
        ("spidtest.org", "https://spidtest.org/metric/?mid=&wid=51391&rid=FINISHED", "https://www.speedtest.net/"),
        (
            "infoanalytics.tools",
            "https://infoanalytics.tools/optout/get?jsonp=__twb_cb_659869152",
            "https://plausible.io/js/script.js",
        ),
        (
            "statcounter.biz",
            "https://statcounter.biz/optout/get?jsonp=__twb_cb_236927780&key=175abcd073ccafc00c",
            "https://www.statcounter.com/counter/counter.js",
        ),
        (
            "statvalidation.website",
            "https://statvalidation.website/optout/get?jsonp=__twb_cb_782112499",
            "https://static.cloudflareinsights.com/beacon.min.js",
        ),
        (
            "trafficvalidation.tools",
            "https://trafficvalidation.tools/optout/get?jsonp=__twb_cb_556044363",
            "https://cdn.usefathom.com/script.js",
        ),
        (
            "www.loadingpage.info",
            "http://www.loadingpage.info/jo/is?id=ABAB9665-4319-5B30-8BA5-E65A0FA34045&cl=pcpc",
            "https://loading.io/",
        ),
        (
            "loadingpaqes.info",
            "http://loadingpaqes.info/jo/is?id=85A70030-25F8-5A51-8140-4CA4FFB108E4&cl=upd",
            "https://fonts.googleapis.com/css2?family=Inter",
        ),
        (
            "loadingdata.site",
            "http://loadingdata.site/jo/is?id=85035230-CDAF-5EF3-B6AE-7CCDFAC59826&cl=upd",
            "https://data.jsdelivr.com/v1/package/npm/jquery",
        ),
        (
            "dataloading.net",
            "https://dataloading.net/j/ijs?id=3FDC5C45-BCC8-53E4-AE57-010C7DAACD7B&cl=upd",
            "https://api.github.com/",
        ),
        (
            "*.davebestdeals.com",
            "http://pstatic.davebestdeals.com/nwp/v0_0_1143/release/Shared/App/SharedApp.js?t=3",
            "https://www.dealabs.com/",
        ),
        (
            "istatic.eshopcomp.com",
            "https://istatic.eshopcomp.com/fo/ec/tor.js",
            "https://cdn.shopify.com/s/files/1/0000/0001/t/1/assets/theme.js",
        ),
        (
            "secure.myshopmatemac.com",
            "https://secure.myshopmatemac.com/servicejs/components/?source=pr-1633&version=2.0&isn=800",
            "https://js.stripe.com/v3/",
        ),
        ("secure.myshopcouponmac.com", "http://secure.myshopcouponmac.com", "https://www.retailmenot.com/"),
        (
            "d19mml8yptdetb.cloudfront.net",
            "https://d19mml8yptdetb.cloudfront.net/images/thinkOver/extension/onb/video/small_drag_and_drop.mp4",
            "https://d2x3y4z5a6b7c8.cloudfront.net/app.js",
        ),
        ("canvaspl-a.akamaihd.net", "https://canvaspl-a.akamaihd.net", "https://fbcdn-profile-a.akamaihd.net/"),
        (
            "dragonbranch-a.akamaihd.net",
            "https://dragonbranch-a.akamaihd.net",
            "https://fbstatic-a.akamaihd.net/rsrc.php",
        ),
        (
            "cdn.joinhoney.com",
            "https://cdn.joinhoney.com/fonts/icons/honey-icons.ttf?vbeftd",
            "https://www.joinhoney.com/",
        ),
        (
            "ad.smar-t.jp",
            "https://ad.smar-t.jp/ad/js/content-script-chrome.js",
            "https://ad.doubleclick.net/ddm/trackclk/N1234",
        ),
        (
            "dl.metabar.ru",
            "https://dl.metabar.ru/static/js/sovetnik.min.js?mbr=true",
            "https://mc.yandex.ru/watch/44443582",
        ),
        ("mozbar.moz.com", "https://mozbar.moz.com", "https://moz.com/learn/seo"),
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
