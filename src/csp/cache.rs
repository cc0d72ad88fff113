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
/// the `no_store` paths) set is never replaced; one that lets a shared cache
/// keep the page (anything without an unqualified `private`, `no-store` or
/// `no-cache`, say `public, max-age=60` or `must-revalidate`), or a public
/// `CDN-Cache-Control`, `Surrogate-Control` or `Cloudflare-CDN-Cache-Control`
/// (a CDN obeys those first), is logged at WARN once per route as
/// deploy-check finding `security.W027`. This holds for a handler's own
/// nonce policy too, also with the crate's policies turned off.
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
    /// Keyed by method and URI (status 0) or by the catcher's status.
    warned: Mutex<HashSet<(String, u16)>>,
}

/// The policy headers a nonce can be carried in.
const POLICIES: [&str; 2] = ["Content-Security-Policy", "Content-Security-Policy-Report-Only"];

/// The headers a CDN obeys before `Cache-Control` (RFC 9213 and vendors').
const CDN_CACHE_CONTROL: [&str; 3] = ["CDN-Cache-Control", "Surrogate-Control", "Cloudflare-CDN-Cache-Control"];

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
        // A CDN obeys these before Cache-Control, whatever this sets.
        for name in CDN_CACHE_CONTROL {
            let set: Vec<&str> = res.headers().get(name).collect();
            if !blank(&set) && is_public(&set) {
                self.warn_once(req, res.status().code, name, &set);
            }
        }
        let set: Vec<&str> = res.headers().get("Cache-Control").collect();
        if blank(&set) {
            // A route that removed Cache-Control with `Override` decided; an
            // empty value is as good as none.
            if let (Some(value), false) = (self.setting.header_value(), finish.owns("Cache-Control")) {
                res.set_header(Header::new("Cache-Control", value));
            }
            return;
        }
        if is_public(&set) {
            self.warn_once(req, res.status().code, "Cache-Control", &set);
        }
    }

    /// W027, once per route: found at first sight, not at ignite (the
    /// handler decides per response), so logged as it is seen.
    fn warn_once(&self, req: &Request<'_>, status: u16, header: &str, values: &[&str]) {
        let key = match req.route() {
            Some(r) => (format!("{} {}", r.method, r.uri), 0),
            _ => (String::new(), status),
        };
        {
            let mut warned = self.warned.lock().unwrap_or_else(|e| e.into_inner());
            if warned.contains(&key) {
                return;
            }
            warned.insert(key.clone());
        }
        let route = if key.1 == 0 { key.0 } else { format!("the {status} catcher") };
        let value: String = values.join(", ").chars().take(100).collect();
        let fix = match self.setting {
            NonceCache::Leave => {
                "send `Cache-Control: private` or `no-store` from this route (`security.csp.nonce_cache = \"leave\"` \
                 adds none); a page meant for shared caches needs no nonce (a CspHash allows fixed inline code)"
            }
            _ => {
                "send `Cache-Control: private` or `no-store` from this route, or no Cache-Control at all (then \
                 `security.csp.nonce_cache` sets one), and no public CDN-Cache-Control; a page meant for shared \
                 caches needs no nonce (a CspHash allows fixed inline code)"
            }
        };
        let finding = Finding::warning(
            "security.W027",
            format!(
                "{route} serves a page whose Content-Security-Policy carries a nonce with `{header}: {value}`: a \
                 shared cache would hand that one nonce to every later visitor (logged once per route)"
            ),
            fix,
        );
        tracing::warn!(target: "security", "deploy check: {finding}");
    }
}

/// With both of the crate's policies off: a handler's own policy built with
/// [`CspNonce`](crate::CspNonce) still keeps its page out of shared caches.
pub(crate) struct NoncePagesOnly(pub(crate) NoncePages);

#[rocket::async_trait]
impl crate::core::part::Part for NoncePagesOnly {
    fn responds(&self) -> bool {
        true
    }

    fn response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>, finish: &Finish<'_>) {
        // Only a response whose handler asked for a nonce pays for the check.
        if let Some(nonce) = super::local::CspLocal::used(req).and_then(|l| l.nonce.get()) {
            self.0.finish(req, res, finish, nonce);
        }
    }
}

/// No value, or only empty ones.
fn blank(values: &[&str]) -> bool {
    values.iter().all(|v| v.trim().is_empty())
}

/// Whether `Cache-Control` (every value of the header) lets a shared cache
/// store the response. A 200 is cacheable by default (RFC 9111: an `Expires`,
/// or a cache's heuristics, give it a lifetime), so anything but an
/// unqualified `private`, `no-store` or `no-cache` is public:
/// `must-revalidate` or `immutable` alone too. `private="Set-Cookie"` and
/// `no-cache="Set-Cookie"` name fields only.
fn is_public(values: &[&str]) -> bool {
    !values.iter().flat_map(|v| v.split(',')).any(|directive| {
        let name = directive.trim();
        !name.contains('=') && ["private", "no-store", "no-cache"].iter().any(|d| name.eq_ignore_ascii_case(d))
    })
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
            ("no-cache=\"Set-Cookie\"", true),
            ("must-revalidate", true),
            ("immutable", true),
            ("stale-if-error=86400", true),
            ("no-transform", true),
            ("no-cache", false),
            ("NO-CACHE, must-revalidate", false),
            ("private, max-age=60", false),
            ("public, no-store", false),
            ("no-store, max-age=0", false),
            ("private", false),
            (" private ", false),
        ] {
            assert_eq!(is_public(&[value]), public, "{value}");
        }
        assert!(!is_public(&["max-age=60", "private"]), "every value of the header counts");
    }
}
