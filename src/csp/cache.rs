//! Pages with a nonce and caches: a response whose policy carries this
//! request's nonce is safe only while no shared cache hands it to someone
//! else (Django's ticket 21010: a cached nonce is known to every later
//! visitor, and so to a script injected into the page).

use std::collections::HashSet;
use std::sync::Mutex;

use rocket::http::Header;
use rocket::{Request, Response};

use crate::core::check::Finding;
use crate::core::part::Finish;

/// The `Cache-Control` a response gets when its policy carries a nonce and
/// its handler set none (`security.csp.nonce_cache`).
///
/// | value | `Cache-Control` sent |
/// |---|---|
/// | `"no-store"` (default) | `private, no-store` |
/// | `"private"` | `private` |
/// | `"leave"` | nothing |
///
/// A `Cache-Control` the handler (or an [`Override`](crate::Override), or
/// the `no_store` paths) set is never replaced; a public one (`public`,
/// `s-maxage`, or `max-age` without `private` or `no-store`) is logged at
/// WARN once per route as deploy-check finding `security.W027`.
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::csp::NonceCache;
///
/// let figment = Figment::from(rocket::Config::default()).merge(("security.csp.nonce_cache", "private"));
/// let csp = rocket_security::SecurityConfig::from_figment(&figment).unwrap().csp;
/// assert_eq!(csp.nonce_cache, NonceCache::Private);
/// assert_eq!(csp.nonce_cache.header_value(), Some("private"));
/// assert_eq!(NonceCache::default().header_value(), Some("private, no-store"));
/// assert_eq!(NonceCache::Leave.header_value(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NonceCache {
    /// `"no-store"`: `Cache-Control: private, no-store`: no cache keeps the
    /// page (`private` too, for caches that predate `no-store`). The default.
    #[default]
    NoStore,
    /// `"private"`: `Cache-Control: private`: the browser's own cache may keep
    /// it (the visitor's own nonce, back and forward), no shared cache.
    Private,
    /// `"leave"`: nothing added; the application decides (say, a CDN that
    /// rewrites the nonce on every response it serves).
    Leave,
}

impl NonceCache {
    /// The `Cache-Control` value this setting sends, if any.
    ///
    /// ```
    /// assert_eq!(rocket_security::csp::NonceCache::NoStore.header_value(), Some("private, no-store"));
    /// ```
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            NonceCache::NoStore => Some("private, no-store"),
            NonceCache::Private => Some("private"),
            NonceCache::Leave => None,
        }
    }
}

/// What the CSP part does with the caching of a page whose policy carries
/// the nonce: the setting, and the routes already warned about.
#[derive(Debug)]
pub(crate) struct NoncePages {
    setting: NonceCache,
    /// Routes (or catchers, by status) seen serving a nonce page with a public
    /// cache policy: one WARN each. Bounded by the application's routes.
    warned: Mutex<HashSet<String>>,
}

/// The policy headers a nonce can be carried in.
const POLICIES: [&str; 2] = ["Content-Security-Policy", "Content-Security-Policy-Report-Only"];

impl NoncePages {
    pub(crate) fn new(setting: NonceCache) -> Self {
        NoncePages { setting, warned: Mutex::default() }
    }

    /// The liftoff summary's line.
    pub(crate) fn describe(&self) -> String {
        match self.setting.header_value() {
            Some(v) => format!("nonce pages get Cache-Control: {v} unless the handler set one"),
            None => "nonce pages: Cache-Control left to the handler (nonce_cache = \"leave\")".to_string(),
        }
    }

    /// Once every policy header is on `res`: keeps a page whose policy
    /// carries `nonce` (the crate's, or a handler's own built with
    /// `CspNonce`) out of shared caches.
    pub(crate) fn finish<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>, finish: &Finish<'_>, nonce: &str) {
        let carried = POLICIES.iter().any(|name| res.headers().get(name).any(|v| v.contains(nonce)));
        if !carried {
            return;
        }
        let set: Vec<&str> = res.headers().get("Cache-Control").collect();
        if set.is_empty() {
            // A route that removed Cache-Control with `Override` decided.
            if let (Some(value), false) = (self.setting.header_value(), finish.owns("Cache-Control")) {
                res.set_header(Header::new("Cache-Control", value));
            }
            return;
        }
        if is_public(&set) {
            let value: String = set.join(", ").chars().take(100).collect();
            self.warn_once(req, res.status().code, &value);
        }
    }

    /// W027, once per route: found at first sight, not at ignite (the
    /// handler decides per response), so logged as it is seen.
    fn warn_once(&self, req: &Request<'_>, status: u16, cache_control: &str) {
        let route = match req.route() {
            Some(r) => format!("{} {}", r.method, r.uri),
            None => format!("the {status} catcher"),
        };
        if !self.warned.lock().unwrap_or_else(|e| e.into_inner()).insert(route.clone()) {
            return;
        }
        let finding = Finding::warning(
            "security.W027",
            format!(
                "{route} serves a page whose Content-Security-Policy carries a nonce with `Cache-Control: \
                 {cache_control}`: a shared cache would hand that one nonce to every later visitor (logged once per \
                 route)"
            ),
            "send `Cache-Control: private` or `no-store` from this route, or no Cache-Control at all (then \
             `security.csp.nonce_cache` sets one); a page meant for shared caches needs no nonce (a CspHash allows \
             fixed inline code)",
        );
        tracing::warn!(target: "security", "deploy check: {finding}");
    }
}

/// Whether `Cache-Control` (every value of the header) lets a shared cache
/// store the response: `public`, `s-maxage` or `max-age`, without `private`
/// or `no-store` (`private="Set-Cookie"` names fields only: not private).
fn is_public(values: &[&str]) -> bool {
    let (mut public, mut private) = (false, false);
    for directive in values.iter().flat_map(|v| v.split(',')) {
        let directive = directive.trim();
        let (name, argument) = match directive.split_once('=') {
            Some((n, _)) => (n.trim(), true),
            None => (directive, false),
        };
        if ["public", "s-maxage", "max-age"].iter().any(|d| name.eq_ignore_ascii_case(d)) {
            public = true;
        } else if !argument && (name.eq_ignore_ascii_case("private") || name.eq_ignore_ascii_case("no-store")) {
            private = true;
        }
    }
    public && !private
}

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn a_public_policy_is_public_s_maxage_or_max_age_without_private_or_no_store() {
        for (value, public) in [
            ("public, max-age=60", true),
            ("max-age=60", true),
            ("s-maxage=600", true),
            ("PUBLIC", true),
            ("max-age=0", true),
            ("private=\"Set-Cookie\", max-age=60", true),
            ("no-cache", false),
            ("private, max-age=60", false),
            ("public, no-store", false),
            ("no-store, max-age=0", false),
            ("private", false),
            ("must-revalidate", false),
        ] {
            assert_eq!(is_public(&[value]), public, "{value}");
        }
        assert!(!is_public(&["max-age=60", "private"]), "every value of the header counts");
    }
}
