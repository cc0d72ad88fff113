//! Single-feature fairings: `Hsts::fairing()`, `FrameOptions { .. }.into_fairing()`,
//! and so on for every header feature, CSP and HTTPS detection. The feature
//! is selected by its type.

use super::config::SecurityConfig;
use super::Security;
use crate::core::https::Https;
use crate::csp::Csp;
use crate::headers::{
    ClearSiteData, CrossDomainPolicies, CrossOriginEmbedderPolicy, CrossOriginEmbedderPolicyReportOnly,
    CrossOriginOpenerPolicy, CrossOriginOpenerPolicyReportOnly, CrossOriginResourcePolicy, DnsPrefetch, Dnt,
    FrameOptions, Hsts, IntegrityPolicy, IntegrityPolicyReportOnly, NoSniff, NoStore, OriginAgentCluster, P3p,
    PermissionsPolicy, PermissionsPolicyReportOnly, ReferrerPolicy, XssProtection,
};
use crate::sri::StaticIntegrity;

/// Adds `fairing()` and `into_fairing()` to a feature's config type.
macro_rules! single_feature {
    ($($ty:ident: $field:ident in $module:literal,)*) => {$(
        impl $ty {
            #[doc = concat!("A fairing sending only this feature, configured from `[default.security.", stringify!($field), "]`.")]
            ///
            /// Like [`Security::fairing()`](crate::Security::fairing) it replaces Rocket's
            /// default Shield; attach the other features you want, or use
            /// `Security::fairing()` for all of them.
            ///
            /// ```
            #[doc = concat!("use rocket_security::", $module, "::", stringify!($ty), ";")]
            #[doc = concat!("let rocket = rocket::build().attach(", stringify!($ty), "::fairing());")]
            /// ```
            pub fn fairing() -> Security {
                Security::only::<$ty>(None)
            }

            /// A fairing sending only this feature, configured in code
            /// (Rocket.toml is not read for it). Validated at ignite like the file.
            ///
            /// ```
            #[doc = concat!("use rocket_security::", $module, "::", stringify!($ty), ";")]
            #[doc = concat!("let feature = ", stringify!($ty), "::default();")]
            /// let rocket = rocket::build().attach(feature.into_fairing());
            /// ```
            pub fn into_fairing(self) -> Security {
                let config = SecurityConfig { $field: self, ..Default::default() };
                Security::only::<$ty>(Some(config))
            }
        }
    )*};
}

single_feature! {
    Https: https in "core",
    Csp: csp in "csp",
    Hsts: hsts in "headers",
    NoSniff: nosniff in "headers",
    FrameOptions: frame_options in "headers",
    XssProtection: xss_protection in "headers",
    ReferrerPolicy: referrer_policy in "headers",
    PermissionsPolicy: permissions_policy in "headers",
    CrossOriginOpenerPolicy: coop in "headers",
    CrossOriginEmbedderPolicy: coep in "headers",
    CrossOriginOpenerPolicyReportOnly: coop_report_only in "headers",
    CrossOriginEmbedderPolicyReportOnly: coep_report_only in "headers",
    PermissionsPolicyReportOnly: permissions_policy_report_only in "headers",
    IntegrityPolicy: integrity_policy in "headers",
    IntegrityPolicyReportOnly: integrity_policy_report_only in "headers",
    CrossOriginResourcePolicy: corp in "headers",
    OriginAgentCluster: origin_agent_cluster in "headers",
    CrossDomainPolicies: cross_domain_policies in "headers",
    DnsPrefetch: dns_prefetch in "headers",
    NoStore: no_store in "headers",
    ClearSiteData: clear_site_data in "headers",
    P3p: p3p in "headers",
    Dnt: dnt in "headers",
    StaticIntegrity: sri in "sri",
}
