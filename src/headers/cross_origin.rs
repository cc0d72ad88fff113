//! Cross-origin isolation: `Cross-Origin-Opener-Policy`,
//! `Cross-Origin-Embedder-Policy` (opt-in), their `-Report-Only` variants
//! (opt-in), `Cross-Origin-Resource-Policy`,
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

/// Declares a feature whose header is one token from a fixed list, with an
/// optional Reporting API group (`; report-to="group"`, an RFC 8941 parameter).
macro_rules! reporting_token_header {
    (
        $(#[$doc:meta])*
        $ty:ident {
            key: $key:literal, header: $header:literal, enabled: $enabled:literal, value: $value:literal,
            report_to: $report_to:literal, report_only: $report_only:literal,
            allowed: [$($allowed:literal),+ $(,)?]
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $ty {
            #[doc = concat!("Send the header. _Default:_ `", stringify!($enabled), "`.")]
            pub enabled: bool,
            #[doc = concat!("The policy, one of ", $("`", $allowed, "` "),+, ". _Default:_ `\"", $value, "\"`.")]
            pub value: String,
            /// The Reporting API group violations are reported to (named in
            /// the one `Reporting-Endpoints` header, see
            /// [`Reporting`](crate::headers::Reporting)); sent on HTTPS
            /// responses only; `""`: no reports.
            #[doc = concat!("_Default:_ `\"", $report_to, "\"`.")]
            pub report_to: String,
            /// Path patterns that get the header. _Default:_ `["/**"]`.
            pub paths: Vec<String>,
            /// Path patterns that don't. _Default:_ `[]`.
            pub exclude: Vec<String>,
        }

        impl Default for $ty {
            fn default() -> Self {
                $ty {
                    enabled: $enabled,
                    value: $value.into(),
                    report_to: $report_to.into(),
                    paths: crate::core::feature::everywhere(),
                    exclude: vec![],
                }
            }
        }

        impl Feature for $ty {
            const KEY: &'static str = $key;

            fn build(&self, b: &mut Builder<'_>) {
                // Checked even when disabled, so turning it on later cannot fail.
                let Some(v) = one_of(b, "value", &self.value, &[$($allowed),+]) else { return };
                let group = self.report_to.trim();
                if !group.is_empty() && !b.check_group("report_to", group, "default") {
                    return;
                }
                if !self.enabled {
                    b.off($header);
                    return;
                }
                let scope = b.scope(&self.paths, &self.exclude);
                let value = match group {
                    "" if $report_only => Value::HttpsOnly(v.into()),
                    "" => Value::Always(v.into()),
                    group => {
                        b.record_group("report_to", group, None, &scope);
                        let https = format!("{v}; report-to=\"{group}\"");
                        // Report-only asks for nothing but reports, which need HTTPS.
                        if $report_only { Value::HttpsOnly(https) } else { Value::Split { https, http: v.into() } }
                    }
                };
                b.header("value", $header, value, scope);
            }
        }
    };
}

reporting_token_header! {
    /// `Cross-Origin-Opener-Policy`: puts the page in its own browsing-context
    /// group, so cross-origin windows it opens (or that open it) cannot reach it.
    ///
    /// ```toml
    /// [default.security.coop]
    /// enabled = true            # Default: true
    /// value = "same-origin"     # same-origin, same-origin-allow-popups,
    ///                           # noopener-allow-popups, unsafe-none; Default: "same-origin"
    /// report_to = ""            # Reporting API group, e.g. "default" (HTTPS only); Default: ""
    /// ```
    ///
    /// With `report_to = "default"`, HTTPS responses carry
    /// `Cross-Origin-Opener-Policy: same-origin; report-to="default"` and a
    /// `Reporting-Endpoints` naming the collector for `default`.
    ///
    /// ```
    /// use rocket_security::headers::CrossOriginOpenerPolicy;
    /// let coop = CrossOriginOpenerPolicy { report_to: "default".into(), ..Default::default() };
    /// assert!(coop.enabled);
    /// ```
    CrossOriginOpenerPolicy {
        key: "coop", header: "Cross-Origin-Opener-Policy", enabled: true, value: "same-origin",
        report_to: "", report_only: false,
        allowed: ["same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"]
    }
}

reporting_token_header! {
    /// `Cross-Origin-Opener-Policy-Report-Only`: reports what a COOP would
    /// break without enforcing it; HTTPS responses only. Off by default.
    ///
    /// ```toml
    /// [default.security.coop_report_only]
    /// enabled = false           # Default: false
    /// value = "same-origin"     # as [security.coop]; Default: "same-origin"
    /// report_to = "default"     # Reporting API group; Default: "default"
    /// paths = ["/demo/reporting"]   # Default: ["/**"]
    /// ```
    ///
    /// ```
    /// use rocket_security::headers::CrossOriginOpenerPolicyReportOnly;
    /// let coop = CrossOriginOpenerPolicyReportOnly::default();
    /// assert!(!coop.enabled);
    /// assert_eq!(coop.report_to, "default");
    /// ```
    CrossOriginOpenerPolicyReportOnly {
        key: "coop_report_only", header: "Cross-Origin-Opener-Policy-Report-Only", enabled: false,
        value: "same-origin", report_to: "default", report_only: true,
        allowed: ["same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"]
    }
}

reporting_token_header! {
    /// `Cross-Origin-Embedder-Policy`: opt-in, because `require-corp` breaks
    /// every cross-origin resource that does not send CORP or CORS headers.
    ///
    /// ```toml
    /// [default.security.coep]
    /// enabled = false           # Default: false
    /// value = "require-corp"    # require-corp, credentialless, unsafe-none; Default: "require-corp"
    /// report_to = ""            # Reporting API group, e.g. "default" (HTTPS only); Default: ""
    /// ```
    ///
    /// ```
    /// use rocket_security::headers::CrossOriginEmbedderPolicy;
    /// let coep = CrossOriginEmbedderPolicy::default();
    /// assert_eq!((coep.enabled, coep.value.as_str()), (false, "require-corp"));
    /// ```
    CrossOriginEmbedderPolicy {
        key: "coep", header: "Cross-Origin-Embedder-Policy", enabled: false, value: "require-corp",
        report_to: "", report_only: false,
        allowed: ["require-corp", "credentialless", "unsafe-none"]
    }
}

reporting_token_header! {
    /// `Cross-Origin-Embedder-Policy-Report-Only`: try `require-corp` or
    /// `credentialless` without breaking anything: the browser reports each
    /// resource the policy would block; HTTPS responses only. Off by default.
    ///
    /// ```toml
    /// [default.security.coep_report_only]
    /// enabled = false           # Default: false
    /// value = "require-corp"    # require-corp, credentialless, unsafe-none; Default: "require-corp"
    /// report_to = "default"     # Reporting API group; Default: "default"
    /// paths = ["/demo/reporting"]   # Default: ["/**"]
    /// ```
    ///
    /// Sent as `Cross-Origin-Embedder-Policy-Report-Only: require-corp; report-to="default"`.
    ///
    /// ```
    /// use rocket_security::headers::CrossOriginEmbedderPolicyReportOnly;
    /// let coep = CrossOriginEmbedderPolicyReportOnly { enabled: true, ..Default::default() };
    /// assert_eq!(coep.value, "require-corp");
    /// ```
    CrossOriginEmbedderPolicyReportOnly {
        key: "coep_report_only", header: "Cross-Origin-Embedder-Policy-Report-Only", enabled: false,
        value: "require-corp", report_to: "default", report_only: true,
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
