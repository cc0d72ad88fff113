//! `Cache-Control: no-store` for confidential pages (django-security's
//! `NoConfidentialCachingMiddleware`).
//!
//! Differences from the original: path patterns instead of regexes (no
//! prefix over-match; the original's allow-list mode is `paths = ["/**"]`
//! plus `exclude`), the OWASP value `no-store, max-age=0` (the original:
//! `no-cache, no-store, max-age=0, must-revalidate`), `Expires: 0` (the
//! original's `-1` is not a valid date either, but `0` is the value RFC 9111
//! names), and the header name is spelled `Cache-Control`.

use crate::core::feature::{Builder, Feature};

/// No caching of confidential responses, by browsers or shared caches.
///
/// ```toml
/// [default.security.no_store]
/// paths = ["/account/**", "/security/reports"]   # Default: [] (off)
/// exclude = []                                   # Default: []
/// legacy_headers = true   # also Pragma: no-cache and Expires: 0 for HTTP/1.0 caches; Default: true
/// ```
///
/// On these paths the crate's value replaces a `Cache-Control` the handler
/// set (a confidential page must not become cacheable by accident); a route
/// that really wants caching says so with [`Override`](crate::Override).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoStore {
    /// Confidential path patterns. _Default:_ `[]` (the feature is off).
    pub paths: Vec<String>,
    /// Path patterns excluded from `paths`. _Default:_ `[]`.
    pub exclude: Vec<String>,
    /// Also send `Pragma: no-cache` and `Expires: 0`. _Default:_ `true`.
    pub legacy_headers: bool,
}

impl Default for NoStore {
    fn default() -> Self {
        NoStore { paths: vec![], exclude: vec![], legacy_headers: true }
    }
}

impl Feature for NoStore {
    const KEY: &'static str = "no_store";

    fn build(&self, b: &mut Builder<'_>) {
        if self.paths.is_empty() {
            b.off("Cache-Control (no-store)");
            return;
        }
        let scope = b.scope(&self.paths, &self.exclude);
        b.forced_header("paths", "Cache-Control", "no-store, max-age=0", scope.clone());
        if self.legacy_headers {
            b.forced_header("legacy_headers", "Pragma", "no-cache", scope.clone());
            b.forced_header("legacy_headers", "Expires", "0", scope);
            for rule in b.rules.iter_mut().rev().take(2) {
                rule.follows = Some("Cache-Control");
            }
        }
    }
}
