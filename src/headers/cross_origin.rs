//! Cross-origin isolation: `Cross-Origin-Opener-Policy`,
//! `Cross-Origin-Embedder-Policy` (opt-in), `Cross-Origin-Resource-Policy`,
//! `Origin-Agent-Cluster` and `X-Permitted-Cross-Domain-Policies`.

use super::kind;
use crate::core::feature::{one_of, Builder, Feature, HeaderConfig};
use crate::core::rules::Value;

/// Declares a feature whose header is one token from a fixed list.
macro_rules! token_header {
    (
        $(#[$doc:meta])*
        $ty:ident { key: $key:literal, header: $header:literal, allowed: [$($allowed:literal),+ $(,)?] }
    ) => {
        $(#[$doc])*
        pub type $ty = HeaderConfig<kind::$ty>;

        impl Feature for $ty {
            const KEY: &'static str = $key;

            fn build(&self, b: &mut Builder<'_>) {
                // Checked even when disabled, so turning it on later cannot fail.
                let Some(v) = one_of(b, "value", &self.value, &[$($allowed),+]) else { return };
                if !self.enabled {
                    b.off($header);
                    return;
                }
                let scope = b.scope(&self.paths, &self.exclude);
                b.header("value", $header, Value::Always(v.into()), scope);
            }
        }
    };
}

token_header! {
    /// `Cross-Origin-Opener-Policy`: puts the page in its own browsing-context
    /// group, so cross-origin windows it opens (or that open it) cannot reach it.
    ///
    /// ```toml
    /// [default.security.coop]
    /// enabled = true            # Default: true
    /// value = "same-origin"     # same-origin, same-origin-allow-popups,
    ///                           # noopener-allow-popups, unsafe-none; Default: "same-origin"
    /// ```
    CrossOriginOpenerPolicy {
        key: "coop", header: "Cross-Origin-Opener-Policy",
        allowed: ["same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"]
    }
}

token_header! {
    /// `Cross-Origin-Embedder-Policy`: opt-in, because `require-corp` breaks
    /// every cross-origin resource that does not send CORP or CORS headers.
    ///
    /// ```toml
    /// [default.security.coep]
    /// enabled = false           # Default: false
    /// value = "require-corp"    # require-corp, credentialless, unsafe-none; Default: "require-corp"
    /// ```
    CrossOriginEmbedderPolicy {
        key: "coep", header: "Cross-Origin-Embedder-Policy",
        allowed: ["require-corp", "credentialless", "unsafe-none"]
    }
}

token_header! {
    /// `Cross-Origin-Resource-Policy`: who may embed this server's responses.
    ///
    /// ```toml
    /// [default.security.corp]
    /// enabled = true            # Default: true
    /// value = "same-origin"     # same-origin, same-site, cross-origin; Default: "same-origin"
    /// exclude = []              # e.g. ["/public-assets/**"]; Default: []
    /// ```
    CrossOriginResourcePolicy {
        key: "corp", header: "Cross-Origin-Resource-Policy",
        allowed: ["same-origin", "same-site", "cross-origin"]
    }
}

token_header! {
    /// `X-Permitted-Cross-Domain-Policies`: stops Flash/PDF clients from
    /// loading cross-domain policy files from this site.
    ///
    /// ```toml
    /// [default.security.cross_domain_policies]
    /// enabled = true            # Default: true
    /// value = "none"            # none, master-only, by-content-type, by-ftp-filename, all,
    ///                           # none-this-response; Default: "none"
    /// ```
    CrossDomainPolicies {
        key: "cross_domain_policies", header: "X-Permitted-Cross-Domain-Policies",
        allowed: ["none", "master-only", "by-content-type", "by-ftp-filename", "all", "none-this-response"]
    }
}

/// `Origin-Agent-Cluster: ?1`: asks the browser to isolate this origin in
/// its own agent cluster (no `document.domain` games).
///
/// ```toml
/// [default.security.origin_agent_cluster]
/// enabled = true    # Default: true
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OriginAgentCluster {
    /// Send `Origin-Agent-Cluster: ?1`. _Default:_ `true`.
    pub enabled: bool,
    /// Path patterns that get the header. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't. _Default:_ `[]`.
    pub exclude: Vec<String>,
}

impl Default for OriginAgentCluster {
    fn default() -> Self {
        OriginAgentCluster { enabled: true, paths: crate::core::feature::everywhere(), exclude: vec![] }
    }
}

impl Feature for OriginAgentCluster {
    const KEY: &'static str = "origin_agent_cluster";

    fn build(&self, b: &mut Builder<'_>) {
        if !self.enabled {
            b.off("Origin-Agent-Cluster");
            return;
        }
        let scope = b.scope(&self.paths, &self.exclude);
        b.header("enabled", "Origin-Agent-Cluster", Value::Always("?1".into()), scope);
    }
}
