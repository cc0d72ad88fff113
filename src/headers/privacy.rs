//! What a page leaks to others: `Referrer-Policy`, `X-DNS-Prefetch-Control`,
//! and the `DNT` echo.
//!
//! Differences from django-security: the default Referrer-Policy is OWASP's
//! `no-referrer` (the original: `same-origin`), fallback lists such as
//! `["no-referrer", "strict-origin-when-cross-origin"]` are accepted, and the
//! original's `off` is spelled `enabled = false`.

use super::kind;
use crate::core::feature::{Builder, Feature, HeaderConfig};
use crate::core::rules::Value;

const REFERRER_TOKENS: &[&str] = &[
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
];

/// `Referrer-Policy`.
///
/// ```toml
/// [default.security.referrer_policy]
/// enabled = true              # Default: true
/// value = ["no-referrer"]     # one token or a fallback list (last one the browser knows wins);
///                             # Default: ["no-referrer"]
/// paths = ["/**"]             # Default: ["/**"]
/// exclude = []                # Default: []
/// ```
pub type ReferrerPolicy = HeaderConfig<kind::ReferrerPolicy>;

impl Feature for ReferrerPolicy {
    const KEY: &'static str = "referrer_policy";

    fn build(&self, b: &mut Builder<'_>) {
        if self.value.is_empty() {
            b.error("value", "empty list; give at least one token, e.g. [\"no-referrer\"], or set `enabled = false`");
            return;
        }
        let mut tokens: Vec<&str> = Vec::new();
        for raw in &self.value {
            let t = raw.trim();
            if t.eq_ignore_ascii_case("off") {
                b.error("value", "\"off\" is not a policy; set `enabled = false` to send no Referrer-Policy header");
                return;
            }
            let Some(token) = REFERRER_TOKENS.iter().find(|k| k.eq_ignore_ascii_case(t)) else {
                b.error(
                    "value",
                    format!("{t:?} is not a Referrer-Policy token; use one of {}", REFERRER_TOKENS.join(", ")),
                );
                return;
            };
            if tokens.contains(token) {
                b.error("value", format!("{token:?} is listed twice; remove the duplicate"));
                return;
            }
            tokens.push(token);
        }
        if !self.enabled {
            b.off("Referrer-Policy");
            return;
        }
        if tokens.contains(&"unsafe-url") {
            b.warn(
                "security.W011",
                "Referrer-Policy includes `unsafe-url`: full URLs, query strings included, leak to every site and over HTTP",
                "use `strict-origin-when-cross-origin` (the default) or `same-origin` in `security.referrer_policy.value`",
            );
        }
        let scope = b.scope(&self.paths, &self.exclude);
        b.header("value", "Referrer-Policy", Value::Always(tokens.join(", ")), scope);
    }
}

/// `X-DNS-Prefetch-Control`.
///
/// ```toml
/// [default.security.dns_prefetch]
/// enabled = true     # Default: true
/// allow = false      # true sends "on"; Default: false ("off")
/// paths = ["/**"]    # Default: ["/**"]
/// exclude = []       # Default: []
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsPrefetch {
    /// Send the header. _Default:_ `true`.
    pub enabled: bool,
    /// Allow prefetching (`on`). _Default:_ `false` (`off`).
    pub allow: bool,
    /// Path patterns that get the header. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't. _Default:_ `[]`.
    pub exclude: Vec<String>,
}

impl Default for DnsPrefetch {
    fn default() -> Self {
        DnsPrefetch { enabled: true, allow: false, paths: crate::core::feature::everywhere(), exclude: vec![] }
    }
}

impl Feature for DnsPrefetch {
    const KEY: &'static str = "dns_prefetch";

    fn build(&self, b: &mut Builder<'_>) {
        if !self.enabled {
            b.off("X-DNS-Prefetch-Control");
            return;
        }
        let scope = b.scope(&self.paths, &self.exclude);
        let v = if self.allow { "on" } else { "off" };
        b.header("allow", "X-DNS-Prefetch-Control", Value::Always(v.into()), scope);
    }
}
