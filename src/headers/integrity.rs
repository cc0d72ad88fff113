//! `Integrity-Policy` and `Integrity-Policy-Report-Only` (Chromium 138+,
//! Firefox): every script (or stylesheet) of a page must carry an
//! `integrity` attribute; the enforced header blocks the ones that do not,
//! the report-only one reports them. Both off by default.
//!
//! The value is an RFC 8941 dictionary:
//! `blocked-destinations=(script), sources=(inline), endpoints=(default)`.
//! The `endpoints` are Reporting API groups, named in the one
//! `Reporting-Endpoints` header on HTTPS responses; on plain HTTP the
//! enforced header is sent without them and the report-only one not at all.

use crate::core::feature::{Builder, Feature};
use crate::core::rules::Value;

/// The request destinations browsers know for `blocked-destinations`.
const DESTINATIONS: &[&str] = &["script", "style"];

/// The integrity sources browsers know for `sources`.
const SOURCES: &[&str] = &["inline"];

/// Declares one of the two Integrity-Policy headers.
macro_rules! integrity_header {
    ($(#[$doc:meta])* $ty:ident { key: $key:literal, header: $header:literal, report_only: $report_only:literal }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $ty {
            /// Send the header. _Default:_ `false`.
            pub enabled: bool,
            /// The request destinations that need integrity metadata:
            /// `script`, `style`. _Default:_ `["script"]`.
            pub blocked_destinations: Vec<String>,
            /// Where integrity metadata may come from: `inline` (the
            /// `integrity` attribute). _Default:_ `["inline"]`.
            pub sources: Vec<String>,
            /// Reporting API groups violations are reported to (HTTPS
            /// responses only); `[]`: no reports. _Default:_ `["default"]`.
            pub endpoints: Vec<String>,
            /// Path patterns that get the header. _Default:_ `["/**"]`.
            pub paths: Vec<String>,
            /// Path patterns that don't. _Default:_ `[]`.
            pub exclude: Vec<String>,
        }

        impl Default for $ty {
            fn default() -> Self {
                $ty {
                    enabled: false,
                    blocked_destinations: vec!["script".into()],
                    sources: vec!["inline".into()],
                    endpoints: vec!["default".into()],
                    paths: crate::core::feature::everywhere(),
                    exclude: vec![],
                }
            }
        }

        impl Feature for $ty {
            const KEY: &'static str = $key;

            fn build(&self, b: &mut Builder<'_>) {
                // Checked even when disabled, so turning it on later cannot fail.
                let destinations = tokens(b, "blocked_destinations", &self.blocked_destinations, DESTINATIONS);
                let sources = tokens(b, "sources", &self.sources, SOURCES);
                let mut endpoints = Vec::with_capacity(self.endpoints.len());
                for (i, group) in self.endpoints.iter().enumerate() {
                    let group = group.trim();
                    if endpoints.contains(&group) {
                        b.error(&format!("endpoints[{i}]"), format!("{group:?} is listed twice; keep one"));
                    } else if b.check_group(&format!("endpoints[{i}]"), group, "default") {
                        endpoints.push(group);
                    }
                }
                if !self.enabled {
                    b.off($header);
                    return;
                }
                let scope = b.scope(&self.paths, &self.exclude);
                for (i, group) in endpoints.iter().enumerate() {
                    b.record_group(&format!("endpoints[{i}]"), group, None, &scope);
                }
                let (Some(destinations), Some(sources)) = (destinations, sources) else { return };
                if endpoints.len() != self.endpoints.len() {
                    return;
                }
                let http = format!("blocked-destinations=({destinations}), sources=({sources})");
                let value = match (endpoints.is_empty(), $report_only) {
                    (true, false) => Value::Always(http),
                    (true, true) => Value::HttpsOnly(http),
                    (false, report_only) => {
                        let https = format!("{http}, endpoints=({})", endpoints.join(" "));
                        if report_only { Value::HttpsOnly(https) } else { Value::Split { https, http } }
                    }
                };
                b.header("blocked_destinations", $header, value, scope);
            }
        }
    };
}

integrity_header! {
    /// `Integrity-Policy`: the browser blocks every script (or stylesheet,
    /// per `blocked_destinations`) loaded without an `integrity` attribute,
    /// and every `no-cors` request for one.
    ///
    /// ```toml
    /// [default.security.integrity_policy]
    /// enabled = false                    # Default: false
    /// blocked_destinations = ["script"]  # script, style; Default: ["script"]
    /// sources = ["inline"]               # inline; Default: ["inline"]
    /// endpoints = ["default"]            # Reporting API groups (HTTPS only); Default: ["default"]
    /// paths = ["/**"]                    # Default: ["/**"]
    /// exclude = []                       # Default: []
    /// ```
    ///
    /// Sent on HTTPS as `Integrity-Policy: blocked-destinations=(script), sources=(inline), endpoints=(default)`.
    ///
    /// ```
    /// use rocket_security::headers::IntegrityPolicy;
    /// let policy = IntegrityPolicy { enabled: true, ..Default::default() };
    /// assert_eq!(policy.blocked_destinations, ["script"]);
    /// ```
    IntegrityPolicy { key: "integrity_policy", header: "Integrity-Policy", report_only: false }
}

integrity_header! {
    /// `Integrity-Policy-Report-Only`: reports the scripts (or stylesheets)
    /// an [`IntegrityPolicy`] would block, without blocking them; HTTPS
    /// responses only.
    ///
    /// ```toml
    /// [default.security.integrity_policy_report_only]
    /// enabled = false                    # Default: false
    /// blocked_destinations = ["script", "style"]  # script, style; Default: ["script"]
    /// sources = ["inline"]               # inline; Default: ["inline"]
    /// endpoints = ["default"]            # Reporting API groups; Default: ["default"]
    /// paths = ["/demo/reporting"]        # Default: ["/**"]
    /// exclude = []                       # Default: []
    /// ```
    ///
    /// ```
    /// use rocket_security::headers::IntegrityPolicyReportOnly;
    /// let policy = IntegrityPolicyReportOnly::default();
    /// assert!(!policy.enabled);
    /// assert_eq!(policy.endpoints, ["default"]);
    /// ```
    IntegrityPolicyReportOnly {
        key: "integrity_policy_report_only", header: "Integrity-Policy-Report-Only", report_only: true
    }
}

/// Checks every entry of `values` is one of `allowed` (and none twice),
/// returning them space-separated (an inner list's members).
fn tokens(b: &mut Builder<'_>, field: &str, values: &[String], allowed: &[&str]) -> Option<String> {
    if values.is_empty() {
        b.error(field, format!("empty list; list some of {}, or set `enabled = false`", quoted(allowed)));
        return None;
    }
    let mut out: Vec<&str> = Vec::with_capacity(values.len());
    let mut ok = true;
    for (i, v) in values.iter().enumerate() {
        let key = format!("{field}[{i}]");
        match allowed.iter().find(|a| **a == v.trim()) {
            Some(a) if out.contains(a) => {
                b.error(&key, format!("{v:?} is listed twice; keep one"));
                ok = false;
            }
            Some(a) => out.push(a),
            None => {
                b.error(&key, format!("{v:?} is not allowed; use one of {}", quoted(allowed)));
                ok = false;
            }
        }
    }
    ok.then(|| out.join(" "))
}

fn quoted(list: &[&str]) -> String {
    list.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
}
