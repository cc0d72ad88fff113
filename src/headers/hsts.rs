//! `Strict-Transport-Security`, sent only on requests that really arrived over
//! HTTPS (RFC 6797 §7.2): Rocket's own TLS, or a trusted proxy's header (see
//! [`Https`](crate::core::Https)).

use crate::core::feature::{Builder, Feature};
use crate::core::rules::Value;

/// One year: the minimum the preload list accepts.
const ONE_YEAR: u64 = 31_536_000;

/// HTTP Strict Transport Security.
///
/// ```toml
/// [default.security.hsts]
/// enabled = true              # Default: true
/// max_age = 63072000          # seconds; Default: 63072000 (2 years, OWASP)
/// include_subdomains = true   # Default: true
/// preload = false             # Default: false; needs include_subdomains and max_age >= 31536000
/// paths = ["/**"]             # Default: ["/**"]
/// exclude = []                # Default: []
/// ```
///
/// The header is never sent on plain HTTP, whatever the configuration: a
/// browser must ignore it there, and sending it hides misconfiguration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Hsts {
    /// Send the header at all. _Default:_ `true`.
    pub enabled: bool,
    /// `max-age` in seconds; `0` tells browsers to forget the policy. _Default:_ `63072000`.
    pub max_age: u64,
    /// Add `includeSubDomains`. _Default:_ `true`.
    pub include_subdomains: bool,
    /// Add `preload` (opt in to browsers' preload lists; hard to undo). _Default:_ `false`.
    pub preload: bool,
    /// Path patterns that get the header. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't. _Default:_ `[]`.
    pub exclude: Vec<String>,
}

impl Default for Hsts {
    fn default() -> Self {
        Hsts {
            enabled: true,
            max_age: 63_072_000,
            include_subdomains: true,
            preload: false,
            paths: crate::core::feature::everywhere(),
            exclude: vec![],
        }
    }
}

impl Feature for Hsts {
    const KEY: &'static str = "hsts";

    fn build(&self, b: &mut Builder<'_>) {
        if !self.enabled {
            b.off("Strict-Transport-Security");
            if b.release {
                b.warn(
                    "security.W002",
                    "HSTS is disabled: browsers may be downgraded to plain HTTP",
                    "set `security.hsts.enabled = true` (the default)",
                );
            }
            return;
        }
        if self.preload && !self.include_subdomains {
            b.error(
                "preload",
                "preload requires `include_subdomains = true` (hstspreload.org rules); set it or drop preload",
            );
        }
        if self.preload && self.max_age < ONE_YEAR {
            b.error(
                "preload",
                format!(
                    "preload requires `max_age` >= {ONE_YEAR} (1 year), found {}; raise max_age or drop preload",
                    self.max_age
                ),
            );
        }
        if self.max_age == 0 && b.release {
            b.warn(
                "security.W003",
                "HSTS max_age is 0: browsers forget the policy",
                "set `security.hsts.max_age` to at least 31536000 (one year) once HTTPS works everywhere",
            );
        }
        let mut v = format!("max-age={}", self.max_age);
        if self.include_subdomains {
            v.push_str("; includeSubDomains");
        }
        if self.preload {
            v.push_str("; preload");
        }
        let scope = b.scope(&self.paths, &self.exclude);
        b.header("max_age", "Strict-Transport-Security", Value::HttpsOnly(v), scope);
        if b.release && !b.deployment.tls && b.https.proxies.is_empty() {
            b.warn(
                "security.W004",
                "HSTS is never sent: Rocket's TLS is off and `security.https.trusted_proxies` is empty, so no \
                 request is HTTPS",
                "behind a TLS-terminating proxy, list its address in `security.https.trusted_proxies`; or configure \
                 Rocket's `tls`",
            );
        }
    }
}
