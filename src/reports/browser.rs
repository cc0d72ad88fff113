//! Every other report a browser sends through the Reporting API
//! (`application/reports+json`, a list of `{type, url, age, user_agent,
//! body}`): one typed body per report type, read with the same lenient
//! readers as CSP reports, and the key each is counted under.
//!
//! | `type` | body | counted by (subject, detail) |
//! |---|---|---|
//! | `coep` | [`CoepBody`] | blocked URL, destination |
//! | `coop` | [`CoopBody`] | the opener relation (`type`), the other side's origin |
//! | `integrity-violation` | [`IntegrityBody`] | blocked URL, destination |
//! | `permissions-policy-violation` | [`PolicyBody`] | feature, the frame's origin |
//! | `document-policy-violation` | [`PolicyBody`] | feature, the frame's origin |
//! | `deprecation` | [`DeprecationBody`] | id, message |
//! | `intervention` | [`DeprecationBody`] | id, message |
//! | `crash` | [`CrashBody`] | reason |
//! | `network-error` | [`NelBody`] | error type, host and phase |
//!
//! Each body keeps only the fields its specification defines (anything else
//! a sender adds is dropped), every text cut to its column's limit; URLs lose
//! their query string and fragment (they may hold secrets, and would split
//! one problem into many keys). Any other `type` is counted and dropped.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::normalize::{host_of, without_query};
use super::report::lenient;
use super::report::limits::{AGENT, IP, SHORT, URI};
use super::report::truncate;

/// Most characters of a message, an id or a reason kept.
pub(crate) const TEXT: usize = 1024;
/// Most characters of one sample's JSON.
pub(crate) const SAMPLE_JSON: usize = 16 * 1024;

/// The report types the collector reads besides CSP, by their Reporting API `type`.
///
/// ```
/// use rocket_security::reports::ReportType;
///
/// assert_eq!(ReportType::parse("network-error"), Some(ReportType::NetworkError));
/// assert_eq!(ReportType::Coep.as_str(), "coep");
/// assert_eq!(ReportType::parse("csp-violation"), None); // CSP reports have their own type
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ReportType {
    /// `coep`: a response a `Cross-Origin-Embedder-Policy` blocked (or would have).
    #[serde(rename = "coep")]
    Coep,
    /// `coop`: a navigation or window access a `Cross-Origin-Opener-Policy` broke (or would have).
    #[serde(rename = "coop")]
    Coop,
    /// `integrity-violation`: a script or style without `integrity` under an `Integrity-Policy`.
    #[serde(rename = "integrity-violation")]
    Integrity,
    /// `permissions-policy-violation`: a feature a `Permissions-Policy` refused (or would have).
    #[serde(rename = "permissions-policy-violation")]
    PermissionsPolicy,
    /// `document-policy-violation`: the same for a `Document-Policy`.
    #[serde(rename = "document-policy-violation")]
    DocumentPolicy,
    /// `deprecation`: the page used an API the browser will remove.
    #[serde(rename = "deprecation")]
    Deprecation,
    /// `intervention`: the browser refused something the page asked for.
    #[serde(rename = "intervention")]
    Intervention,
    /// `crash`: the page crashed (out of memory, unresponsive).
    #[serde(rename = "crash")]
    Crash,
    /// `network-error`: Network Error Logging (the `NEL` header).
    #[serde(rename = "network-error")]
    NetworkError,
}

impl ReportType {
    /// Every type, in the dashboard's order.
    pub const ALL: [ReportType; 9] = [
        ReportType::Coep,
        ReportType::Coop,
        ReportType::Integrity,
        ReportType::PermissionsPolicy,
        ReportType::DocumentPolicy,
        ReportType::Deprecation,
        ReportType::Intervention,
        ReportType::Crash,
        ReportType::NetworkError,
    ];

    /// The Reporting API `type`, as stored.
    ///
    /// ```
    /// use rocket_security::reports::ReportType;
    /// assert_eq!(ReportType::PermissionsPolicy.as_str(), "permissions-policy-violation");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ReportType::Coep => "coep",
            ReportType::Coop => "coop",
            ReportType::Integrity => "integrity-violation",
            ReportType::PermissionsPolicy => "permissions-policy-violation",
            ReportType::DocumentPolicy => "document-policy-violation",
            ReportType::Deprecation => "deprecation",
            ReportType::Intervention => "intervention",
            ReportType::Crash => "crash",
            ReportType::NetworkError => "network-error",
        }
    }

    /// The type named `s`, if the collector reads it.
    ///
    /// ```
    /// use rocket_security::reports::ReportType;
    /// assert_eq!(ReportType::parse("crash"), Some(ReportType::Crash));
    /// assert_eq!(ReportType::parse("Crash"), None); // types are case-sensitive
    /// ```
    pub fn parse(s: &str) -> Option<ReportType> {
        ReportType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether the type has a report-only disposition (a control a site can try before enforcing it).
    ///
    /// ```
    /// use rocket_security::reports::ReportType;
    /// assert!(ReportType::Coep.has_report_only());
    /// assert!(!ReportType::Deprecation.has_report_only());
    /// ```
    pub fn has_report_only(self) -> bool {
        matches!(
            self,
            ReportType::Coep
                | ReportType::Coop
                | ReportType::Integrity
                | ReportType::PermissionsPolicy
                | ReportType::DocumentPolicy
        )
    }
}

impl std::fmt::Display for ReportType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `coep` report's body (HTML: "queue a cross-origin embedder policy
/// CORP violation report"; Chromium's `CoepReporter`).
///
/// ```
/// use rocket_security::reports::CoepBody;
/// let b: CoepBody = serde_json::from_str(r#"{"type": "corp", "blockedURL": "https://cdn.example/a.js",
///     "destination": "script", "disposition": "reporting"}"#).unwrap();
/// assert_eq!(b.blocked_url.as_deref(), Some("https://cdn.example/a.js"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CoepBody {
    /// `corp`, `navigation` or `worker initialization`.
    #[serde(rename = "type", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The resource that was (or would have been) blocked.
    #[serde(rename = "blockedURL", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub blocked_url: Option<String>,
    /// Its request destination (`script`, `image`, `iframe`...).
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// `enforce` or `reporting`.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
}

/// A `coop` report's body (HTML's COOP reporting; Chromium's
/// `CrossOriginOpenerPolicyReporter`).
///
/// ```
/// use rocket_security::reports::CoopBody;
/// let b: CoopBody = serde_json::from_str(r#"{"type": "navigation-to-response", "disposition": "reporting",
///     "effectivePolicy": "same-origin", "previousResponseURL": "https://other.example/"}"#).unwrap();
/// assert_eq!(b.kind.as_deref(), Some("navigation-to-response"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CoopBody {
    /// The relation: `navigation-to-response`, `navigation-from-response`,
    /// `access-from-coop-page-to-opener`, `access-to-coop-page-from-opener`, ...
    #[serde(rename = "type", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `enforce` or `reporting`.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    /// The policy in force (`same-origin`, `same-origin-allow-popups`...).
    #[serde(rename = "effectivePolicy", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub effective_policy: Option<String>,
    /// The window property accessed (access reports).
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// The document navigated from (navigation-to-response).
    #[serde(
        rename = "previousResponseURL",
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_response_url: Option<String>,
    /// The document navigated to (navigation-from-response).
    #[serde(rename = "nextResponseURL", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub next_response_url: Option<String>,
    /// The opener (access reports).
    #[serde(rename = "openerURL", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub opener_url: Option<String>,
    /// The window opened (access reports).
    #[serde(rename = "openeeURL", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub openee_url: Option<String>,
    /// Another document (access reports).
    #[serde(rename = "otherDocumentURL", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub other_document_url: Option<String>,
    /// The popup's first URL (access reports about an openee).
    #[serde(rename = "initialPopupURL", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub initial_popup_url: Option<String>,
    /// The navigation's referrer (navigation reports: a cross-origin
    /// previous document is reported only as this).
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// The script that made the access.
    #[serde(rename = "sourceFile", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub source_file: Option<String>,
    /// Its line.
    #[serde(rename = "lineNumber", deserialize_with = "lenient::number", skip_serializing_if = "Option::is_none")]
    pub line_number: Option<i32>,
    /// Its column.
    #[serde(rename = "columnNumber", deserialize_with = "lenient::number", skip_serializing_if = "Option::is_none")]
    pub column_number: Option<i32>,
}

/// An `integrity-violation` report's body (the SRI specification's
/// `IntegrityViolationReportBody`, sent under `Integrity-Policy`).
///
/// ```
/// use rocket_security::reports::IntegrityBody;
/// let b: IntegrityBody = serde_json::from_str(r#"{"documentURL": "https://example.com/",
///     "blockedURL": "https://example.com/app.js", "destination": "script", "reportOnly": true}"#).unwrap();
/// assert_eq!(b.report_only, Some(true));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntegrityBody {
    /// The page.
    #[serde(rename = "documentURL", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub document_url: Option<String>,
    /// The script or style loaded without `integrity`.
    #[serde(rename = "blockedURL", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub blocked_url: Option<String>,
    /// `script` or `style`.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// `true` under `Integrity-Policy-Report-Only`.
    #[serde(rename = "reportOnly", deserialize_with = "lenient::flag", skip_serializing_if = "Option::is_none")]
    pub report_only: Option<bool>,
}

/// A `permissions-policy-violation` or `document-policy-violation` report's body.
///
/// ```
/// use rocket_security::reports::PolicyBody;
/// let b: PolicyBody = serde_json::from_str(r#"{"featureId": "geolocation", "disposition": "report",
///     "sourceFile": "https://example.com/app.js", "lineNumber": 3, "columnNumber": 9}"#).unwrap();
/// assert_eq!((b.feature_id.as_deref(), b.line_number), (Some("geolocation"), Some(3)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyBody {
    /// The feature (`geolocation`, `camera`, `unload`...): `featureId` in the
    /// specification and the `ReportingObserver` body; Chromium's network
    /// reports (checked with Chromium 156) name it `policyId`.
    #[serde(
        rename = "featureId",
        alias = "policyId",
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub feature_id: Option<String>,
    /// `enforce` or `report`.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    /// The browser's message.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The script that used the feature.
    #[serde(rename = "sourceFile", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub source_file: Option<String>,
    /// Its line.
    #[serde(rename = "lineNumber", deserialize_with = "lenient::number", skip_serializing_if = "Option::is_none")]
    pub line_number: Option<i32>,
    /// Its column.
    #[serde(rename = "columnNumber", deserialize_with = "lenient::number", skip_serializing_if = "Option::is_none")]
    pub column_number: Option<i32>,
    /// An iframe's `allow` attribute, when the violation is about one.
    #[serde(rename = "allowAttribute", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub allow_attribute: Option<String>,
    /// That iframe's `src`.
    #[serde(rename = "srcAttribute", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub src_attribute: Option<String>,
}

/// A `deprecation` or `intervention` report's body.
///
/// ```
/// use rocket_security::reports::DeprecationBody;
/// let b: DeprecationBody = serde_json::from_str(r#"{"id": "UnloadHandler",
///     "message": "Unload event listeners are deprecated", "sourceFile": "https://example.com/a.js"}"#).unwrap();
/// assert_eq!(b.id.as_deref(), Some("UnloadHandler"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeprecationBody {
    /// The browser's id of the feature.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When it goes (deprecations; a date, or absent).
    #[serde(
        rename = "anticipatedRemoval",
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub anticipated_removal: Option<String>,
    /// The browser's message.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The script.
    #[serde(rename = "sourceFile", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub source_file: Option<String>,
    /// Its line.
    #[serde(rename = "lineNumber", deserialize_with = "lenient::number", skip_serializing_if = "Option::is_none")]
    pub line_number: Option<i32>,
    /// Its column.
    #[serde(rename = "columnNumber", deserialize_with = "lenient::number", skip_serializing_if = "Option::is_none")]
    pub column_number: Option<i32>,
}

/// A `crash` report's body (the Crash Reporting draft; Chromium sends it to
/// the `default` endpoint on the next start).
///
/// ```
/// use rocket_security::reports::CrashBody;
/// let b: CrashBody = serde_json::from_str(r#"{"reason": "oom", "is_top_level": true,
///     "page_visibility": "visible"}"#).unwrap();
/// assert_eq!(b.reason.as_deref(), Some("oom"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CrashBody {
    /// `oom`, `unresponsive`, or absent.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The stack of an unresponsive page, when the page opted in.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// Whether the crashed document was the top-level one.
    #[serde(deserialize_with = "lenient::flag", skip_serializing_if = "Option::is_none")]
    pub is_top_level: Option<bool>,
    /// `visible` or `hidden`.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub page_visibility: Option<String>,
}

/// A `network-error` report's body (Network Error Logging, W3C).
///
/// ```
/// use rocket_security::reports::NelBody;
/// let b: NelBody = serde_json::from_str(r#"{"type": "dns.name_not_resolved", "phase": "dns",
///     "sampling_fraction": 1.0, "elapsed_time": 48, "server_ip": "", "protocol": "", "method": "GET",
///     "status_code": 0, "referrer": ""}"#).unwrap();
/// assert_eq!((b.kind.as_deref(), b.phase.as_deref()), (Some("dns.name_not_resolved"), Some("dns")));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NelBody {
    /// `ok`, `dns.name_not_resolved`, `tcp.timed_out`, `http.error`, ...
    #[serde(rename = "type", deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `dns`, `connection` or `application`.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The sampling rate the report was sent under.
    #[serde(deserialize_with = "lenient::fraction", skip_serializing_if = "Option::is_none")]
    pub sampling_fraction: Option<f64>,
    /// Milliseconds from the request's start to its failure.
    #[serde(deserialize_with = "lenient::number", skip_serializing_if = "Option::is_none")]
    pub elapsed_time: Option<i32>,
    /// The server's address, as the browser saw it.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub server_ip: Option<String>,
    /// `http/1.1`, `h2`, `h3`...
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The request method.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The response status (0 when there was none).
    #[serde(deserialize_with = "lenient::number", skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i32>,
    /// The request's referrer.
    #[serde(deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
}

/// One typed report body.
///
/// ```
/// use rocket_security::reports::{BrowserBody, ReportType};
/// let body = serde_json::json!({"reason": "unresponsive"});
/// let b = BrowserBody::read(ReportType::Crash, &body);
/// assert_eq!(b.report_type(), ReportType::Crash);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "body")]
pub enum BrowserBody {
    /// `coep`.
    #[serde(rename = "coep")]
    Coep(CoepBody),
    /// `coop`.
    #[serde(rename = "coop")]
    Coop(CoopBody),
    /// `integrity-violation`.
    #[serde(rename = "integrity-violation")]
    Integrity(IntegrityBody),
    /// `permissions-policy-violation`.
    #[serde(rename = "permissions-policy-violation")]
    PermissionsPolicy(PolicyBody),
    /// `document-policy-violation`.
    #[serde(rename = "document-policy-violation")]
    DocumentPolicy(PolicyBody),
    /// `deprecation`.
    #[serde(rename = "deprecation")]
    Deprecation(DeprecationBody),
    /// `intervention`.
    #[serde(rename = "intervention")]
    Intervention(DeprecationBody),
    /// `crash`.
    #[serde(rename = "crash")]
    Crash(CrashBody),
    /// `network-error`.
    #[serde(rename = "network-error")]
    NetworkError(NelBody),
}

/// Reads a body with `T`'s lenient readers: every field accepts any JSON
/// value and the body is an already-parsed object (no duplicate keys), so
/// this cannot fail; should it, the body counts as empty.
fn typed<T: for<'de> Deserialize<'de> + Default>(body: &Value) -> T {
    T::deserialize(body).unwrap_or_default()
}

impl BrowserBody {
    /// Reads `body` (the report's `body` object) as a `t` report.
    ///
    /// ```
    /// use rocket_security::reports::{BrowserBody, ReportType};
    /// let body = serde_json::json!({"id": "UnloadHandler", "lineNumber": "12", "extra": "dropped"});
    /// let BrowserBody::Deprecation(d) = BrowserBody::read(ReportType::Deprecation, &body) else { panic!() };
    /// assert_eq!((d.id.as_deref(), d.line_number), (Some("UnloadHandler"), Some(12)));
    /// ```
    pub fn read(t: ReportType, body: &Value) -> BrowserBody {
        match t {
            ReportType::Coep => BrowserBody::Coep(typed(body)),
            ReportType::Coop => BrowserBody::Coop(typed(body)),
            ReportType::Integrity => BrowserBody::Integrity(typed(body)),
            ReportType::PermissionsPolicy => BrowserBody::PermissionsPolicy(typed(body)),
            ReportType::DocumentPolicy => BrowserBody::DocumentPolicy(typed(body)),
            ReportType::Deprecation => BrowserBody::Deprecation(typed(body)),
            ReportType::Intervention => BrowserBody::Intervention(typed(body)),
            ReportType::Crash => BrowserBody::Crash(typed(body)),
            ReportType::NetworkError => BrowserBody::NetworkError(typed(body)),
        }
    }

    /// Its type.
    ///
    /// ```
    /// use rocket_security::reports::{BrowserBody, NelBody, ReportType};
    /// assert_eq!(BrowserBody::NetworkError(NelBody::default()).report_type(), ReportType::NetworkError);
    /// ```
    pub fn report_type(&self) -> ReportType {
        match self {
            BrowserBody::Coep(_) => ReportType::Coep,
            BrowserBody::Coop(_) => ReportType::Coop,
            BrowserBody::Integrity(_) => ReportType::Integrity,
            BrowserBody::PermissionsPolicy(_) => ReportType::PermissionsPolicy,
            BrowserBody::DocumentPolicy(_) => ReportType::DocumentPolicy,
            BrowserBody::Deprecation(_) => ReportType::Deprecation,
            BrowserBody::Intervention(_) => ReportType::Intervention,
            BrowserBody::Crash(_) => ReportType::Crash,
            BrowserBody::NetworkError(_) => ReportType::NetworkError,
        }
    }

    /// The script or resource URLs the body names, for the noise filter
    /// (an extension's script is not the site's problem).
    pub(crate) fn sources(&self) -> [Option<&str>; 2] {
        match self {
            BrowserBody::Coep(b) => [b.blocked_url.as_deref(), None],
            BrowserBody::Coop(b) => [b.source_file.as_deref(), None],
            BrowserBody::Integrity(b) => [b.blocked_url.as_deref(), None],
            BrowserBody::PermissionsPolicy(b) | BrowserBody::DocumentPolicy(b) => {
                [b.source_file.as_deref(), b.src_attribute.as_deref()]
            }
            BrowserBody::Deprecation(b) | BrowserBody::Intervention(b) => [b.source_file.as_deref(), None],
            BrowserBody::Crash(_) | BrowserBody::NetworkError(_) => [None, None],
        }
    }

    /// `report` for a report-only control, `enforce` for an enforced one,
    /// empty for types that have no such thing.
    pub(crate) fn disposition(&self) -> &'static str {
        let of = |d: &Option<String>| match d.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("report" | "reporting" | "report-only") => "report",
            _ => "enforce",
        };
        match self {
            BrowserBody::Coep(b) => of(&b.disposition),
            BrowserBody::Coop(b) => of(&b.disposition),
            BrowserBody::Integrity(b) => {
                if b.report_only == Some(true) {
                    "report"
                } else {
                    "enforce"
                }
            }
            BrowserBody::PermissionsPolicy(b) | BrowserBody::DocumentPolicy(b) => of(&b.disposition),
            _ => "",
        }
    }

    /// Every text cut to its limit, every URL without its query.
    fn bounded(self) -> BrowserBody {
        let url = |s: Option<String>| truncate(s.map(|u| without_query(&u).to_string()), URI);
        let text = |s: Option<String>| truncate(s, TEXT);
        let short = |s: Option<String>| truncate(s, SHORT * 4);
        match self {
            BrowserBody::Coep(b) => BrowserBody::Coep(CoepBody {
                kind: short(b.kind),
                blocked_url: url(b.blocked_url),
                destination: short(b.destination),
                disposition: short(b.disposition),
            }),
            BrowserBody::Coop(b) => BrowserBody::Coop(CoopBody {
                kind: short(b.kind),
                disposition: short(b.disposition),
                effective_policy: short(b.effective_policy),
                property: short(b.property),
                previous_response_url: url(b.previous_response_url),
                next_response_url: url(b.next_response_url),
                opener_url: url(b.opener_url),
                openee_url: url(b.openee_url),
                other_document_url: url(b.other_document_url),
                initial_popup_url: url(b.initial_popup_url),
                referrer: url(b.referrer),
                source_file: url(b.source_file),
                ..b
            }),
            BrowserBody::Integrity(b) => BrowserBody::Integrity(IntegrityBody {
                document_url: url(b.document_url),
                blocked_url: url(b.blocked_url),
                destination: short(b.destination),
                ..b
            }),
            BrowserBody::PermissionsPolicy(b) => BrowserBody::PermissionsPolicy(bounded_policy(b)),
            BrowserBody::DocumentPolicy(b) => BrowserBody::DocumentPolicy(bounded_policy(b)),
            BrowserBody::Deprecation(b) => BrowserBody::Deprecation(bounded_deprecation(b)),
            BrowserBody::Intervention(b) => BrowserBody::Intervention(bounded_deprecation(b)),
            BrowserBody::Crash(b) => BrowserBody::Crash(CrashBody {
                reason: short(b.reason),
                stack: text(b.stack),
                page_visibility: short(b.page_visibility),
                ..b
            }),
            BrowserBody::NetworkError(b) => BrowserBody::NetworkError(NelBody {
                kind: short(b.kind),
                phase: short(b.phase),
                server_ip: truncate(b.server_ip, IP),
                protocol: short(b.protocol),
                method: short(b.method),
                referrer: url(b.referrer),
                ..b
            }),
        }
    }
}

fn bounded_policy(b: PolicyBody) -> PolicyBody {
    PolicyBody {
        feature_id: truncate(b.feature_id, SHORT * 4),
        disposition: truncate(b.disposition, SHORT),
        message: truncate(b.message, TEXT),
        source_file: truncate(b.source_file.map(|u| without_query(&u).to_string()), URI),
        allow_attribute: truncate(b.allow_attribute, TEXT),
        src_attribute: truncate(b.src_attribute.map(|u| without_query(&u).to_string()), URI),
        ..b
    }
}

fn bounded_deprecation(b: DeprecationBody) -> DeprecationBody {
    DeprecationBody {
        id: truncate(b.id, SHORT * 8),
        anticipated_removal: truncate(b.anticipated_removal, SHORT * 4),
        message: truncate(b.message, TEXT),
        source_file: truncate(b.source_file.map(|u| without_query(&u).to_string()), URI),
        ..b
    }
}

/// One report of another type, as the envelope brought it.
///
/// ```
/// use rocket_security::reports::{parse, ReportFormat, ReportType};
/// let body = br#"[{"type": "coep", "url": "https://example.com/page?x=1", "age": 10, "user_agent": "Chrome",
///     "body": {"type": "corp", "blockedURL": "https://cdn.example/a.js", "destination": "script",
///              "disposition": "reporting"}}]"#;
/// let r = &parse(body, ReportFormat::ReportsJson).unwrap().browser[0];
/// assert_eq!(r.body.report_type(), ReportType::Coep);
/// assert_eq!((r.url.as_deref(), r.user_agent.as_deref()), (Some("https://example.com/page?x=1"), Some("Chrome")));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BrowserReport {
    /// The envelope's `url`: the page (for `network-error`, the request that failed).
    pub url: Option<String>,
    /// The envelope's `user_agent`.
    pub user_agent: Option<String>,
    /// The typed body.
    pub body: BrowserBody,
}

/// What a browser report is counted under: its type, its disposition, the
/// page (without query) and what the type is grouped by.
///
/// ```
/// use rocket_security::reports::{BrowserBody, BrowserReport, BrowserKey, CoepBody};
/// let r = BrowserReport {
///     url: Some("https://example.com/shop?id=7".into()),
///     user_agent: None,
///     body: BrowserBody::Coep(CoepBody { blocked_url: Some("https://cdn.example/a.js?v=2".into()),
///         destination: Some("script".into()), disposition: Some("reporting".into()), kind: None }),
/// };
/// let key = BrowserKey::of(&r);
/// assert_eq!((key.report_type.as_str(), key.disposition.as_str()), ("coep", "report"));
/// assert_eq!(key.document_uri, "https://example.com/shop");
/// assert_eq!((key.subject.as_str(), key.detail.as_str()), ("https://cdn.example/a.js", "script"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct BrowserKey {
    /// The Reporting API type ([`ReportType::as_str`]).
    pub report_type: String,
    /// `report`, `enforce`, or empty for types without one.
    pub disposition: String,
    /// The page, without query and fragment.
    pub document_uri: String,
    /// What the type is grouped by first (a URL, a feature, an id, a reason).
    pub subject: String,
    /// And second (a destination, an origin, a message, a host and phase).
    pub detail: String,
}

/// The origin (`scheme://host[:port]`) of an absolute URL, lower-cased.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit('@').next()?;
    (!hostport.is_empty()).then(|| format!("{}://{}", scheme.to_ascii_lowercase(), hostport.to_ascii_lowercase()))
}

impl BrowserKey {
    /// The key of `r` (from its bounded body).
    pub fn of(r: &BrowserReport) -> BrowserKey {
        let page = r.url.as_deref().map(without_query).unwrap_or_default().to_string();
        let url = |s: &Option<String>| s.as_deref().map(without_query).unwrap_or_default().to_string();
        let text = |s: &Option<String>| s.clone().unwrap_or_default();
        let (subject, detail) = match &r.body {
            BrowserBody::Coep(b) => (url(&b.blocked_url), text(&b.destination)),
            BrowserBody::Coop(b) => {
                let other = [
                    &b.opener_url,
                    &b.openee_url,
                    &b.other_document_url,
                    &b.previous_response_url,
                    &b.next_response_url,
                ]
                .into_iter()
                .find_map(|u| u.as_deref().and_then(origin_of));
                (text(&b.kind), other.unwrap_or_default())
            }
            BrowserBody::Integrity(b) => (url(&b.blocked_url), text(&b.destination)),
            BrowserBody::PermissionsPolicy(b) | BrowserBody::DocumentPolicy(b) => {
                (text(&b.feature_id), origin_of(&page).unwrap_or_default())
            }
            BrowserBody::Deprecation(b) | BrowserBody::Intervention(b) => (text(&b.id), text(&b.message)),
            BrowserBody::Crash(b) => (b.reason.clone().unwrap_or_else(|| "unknown".into()), String::new()),
            BrowserBody::NetworkError(b) => {
                let host = host_of(&page).unwrap_or_default();
                (text(&b.kind), format!("{host} {}", b.phase.as_deref().unwrap_or("")).trim_end().to_string())
            }
        };
        BrowserKey {
            report_type: r.body.report_type().as_str().to_string(),
            disposition: r.body.disposition().to_string(),
            document_uri: truncate(Some(page), URI).unwrap_or_default(),
            subject: truncate(Some(subject), URI).unwrap_or_default(),
            detail: truncate(Some(detail), TEXT).unwrap_or_default(),
        }
    }

    /// The stored row's unique hash (SHA-256 of the length-prefixed fields).
    ///
    /// ```
    /// use rocket_security::reports::BrowserKey;
    /// let a = BrowserKey { report_type: "crash".into(), subject: "oom".into(), ..Default::default() };
    /// let b = BrowserKey { report_type: "crash".into(), subject: "unresponsive".into(), ..Default::default() };
    /// assert_ne!(a.hash(), b.hash());
    /// assert_eq!(a.hash().len(), 64);
    /// ```
    pub fn hash(&self) -> String {
        hash_of(&[&self.report_type, &self.disposition, &self.document_uri, &self.subject, &self.detail])
    }

    /// The hash of the group the dashboard shows it in: the key without the page.
    ///
    /// ```
    /// use rocket_security::reports::BrowserKey;
    /// let a = BrowserKey { report_type: "crash".into(), document_uri: "https://a/1".into(), ..Default::default() };
    /// let b = BrowserKey { document_uri: "https://a/2".into(), ..a.clone() };
    /// assert_eq!(a.group_hash(), b.group_hash());
    /// ```
    pub fn group_hash(&self) -> String {
        hash_of(&[&self.report_type, &self.disposition, &self.subject, &self.detail])
    }
}

fn hash_of(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    // A domain apart from the CSP keys' hashes.
    h.update(b"browser-report\0");
    for part in parts {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    crate::core::hex::encode(&h.finalize())
}

/// One stored sample: the bounded typed body as JSON, with who sent it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BrowserSample {
    /// The typed body, as JSON (`{"type": ..., "body": {...}}`, only the type's own fields).
    pub body: String,
    /// The page (without query).
    pub url: Option<String>,
    /// The reporting browser.
    pub user_agent: Option<String>,
    /// The client's address.
    pub sender_ip: Option<String>,
}

/// The key and the sample of `r`, everything bounded.
pub(crate) fn to_storage(
    r: BrowserReport,
    sender_ip: Option<String>,
    request_user_agent: Option<&str>,
) -> (BrowserKey, BrowserSample) {
    let r = BrowserReport { body: r.body.bounded(), ..r };
    let key = BrowserKey::of(&r);
    let mut body = serde_json::to_string(&r.body).unwrap_or_default();
    if body.len() > SAMPLE_JSON {
        // Long texts of escaped characters: the sample keeps the key's fields only.
        let t = r.body.report_type();
        body = serde_json::json!({"type": t.as_str(), "truncated": true, "subject": key.subject, "detail": key.detail})
            .to_string();
        if body.len() > SAMPLE_JSON {
            body = serde_json::json!({"type": t.as_str(), "truncated": true}).to_string();
        }
    }
    let sample = BrowserSample {
        body,
        url: truncate(r.url.map(|u| without_query(&u).to_string()), URI),
        user_agent: truncate(r.user_agent.or_else(|| request_user_agent.map(str::to_string)), AGENT),
        sender_ip: truncate(sender_ip, IP),
    };
    (key, sample)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(t: ReportType, url: &str, body: Value) -> BrowserReport {
        BrowserReport { url: Some(url.into()), user_agent: None, body: BrowserBody::read(t, &body) }
    }

    #[test]
    fn coop_is_counted_by_relation_and_the_other_origin() {
        let r = report(
            ReportType::Coop,
            "https://example.com/login?next=/x",
            serde_json::json!({"type": "access-from-coop-page-to-opener", "disposition": "reporting",
                "effectivePolicy": "same-origin", "property": "postMessage",
                "openerURL": "https://Partner.example:8443/app?token=secret"}),
        );
        let key = BrowserKey::of(&r);
        assert_eq!(
            (key.subject.as_str(), key.detail.as_str(), key.disposition.as_str()),
            ("access-from-coop-page-to-opener", "https://partner.example:8443", "report")
        );
    }

    #[test]
    fn chromiums_permissions_policy_body_names_the_feature_policy_id() {
        // The body headless Chromium 156 sent for `geolocation=()` in a
        // Permissions-Policy-Report-Only header.
        let r = report(
            ReportType::PermissionsPolicy,
            "https://127.0.0.1:8443/demo/reporting",
            serde_json::json!({"columnNumber": 23, "disposition": "report", "lineNumber": 7,
                "message": "Permissions policy violation: Geolocation access has been blocked because of a \
                    permissions policy applied to the current document.",
                "policyId": "geolocation", "sourceFile": "https://127.0.0.1:8443/static/reporting-demo.js"}),
        );
        let key = BrowserKey::of(&r);
        assert_eq!(
            (key.subject.as_str(), key.detail.as_str(), key.disposition.as_str()),
            ("geolocation", "https://127.0.0.1:8443", "report")
        );
    }

    #[test]
    fn nel_is_counted_by_type_host_and_phase() {
        let r = report(
            ReportType::NetworkError,
            "https://api.example.com/v1/items?k=1",
            serde_json::json!({"type": "tcp.timed_out", "phase": "connection", "elapsed_time": 30000}),
        );
        let key = BrowserKey::of(&r);
        assert_eq!(
            (key.subject.as_str(), key.detail.as_str(), key.disposition.as_str()),
            ("tcp.timed_out", "api.example.com connection", "")
        );
    }

    #[test]
    fn samples_keep_only_the_types_fields_and_no_query() {
        let r = report(
            ReportType::Integrity,
            "https://example.com/?session=abc",
            serde_json::json!({"blockedURL": "https://example.com/app.js?v=1", "destination": "script",
                "reportOnly": "true", "injected": "<script>"}),
        );
        let (key, sample) = to_storage(r, Some("192.0.2.1".into()), Some("UA"));
        assert_eq!(key.disposition, "report");
        assert_eq!(
            sample.body,
            r#"{"type":"integrity-violation","body":{"blockedURL":"https://example.com/app.js","destination":"script","reportOnly":true}}"#
        );
        assert_eq!((sample.url.as_deref(), sample.user_agent.as_deref()), (Some("https://example.com/"), Some("UA")));
    }

    #[test]
    fn a_sample_of_escaped_texts_stays_within_its_bound() {
        // Seven URLs of 2,048 control characters, each written as `\u0001` in JSON.
        let long = format!("https://a.example/{}", "\u{1}".repeat(3000));
        let body = serde_json::json!({"type": "navigation-to-response", "previousResponseURL": long,
            "nextResponseURL": long, "openerURL": long, "openeeURL": long, "otherDocumentURL": long, "sourceFile": long});
        let (key, sample) = to_storage(report(ReportType::Coop, "https://example.com/", body), None, None);
        assert!(sample.body.len() <= SAMPLE_JSON, "{}", sample.body.len());
        let v: Value = serde_json::from_str(&sample.body).unwrap();
        assert_eq!((v["type"].as_str(), v["truncated"].as_bool()), (Some("coop"), Some(true)));
        assert_eq!(v["subject"].as_str(), Some(key.subject.as_str()));
        super::super::parse::fuzz_browser_report(ReportType::Coop, b"{\"openerURL\": 1e999}");
    }

    #[test]
    fn a_huge_crash_stack_is_cut_to_its_limit() {
        let stack = "x".repeat(20_000);
        let r = report(
            ReportType::Crash,
            "https://example.com/",
            serde_json::json!({"reason": "unresponsive", "stack": stack}),
        );
        let (key, sample) = to_storage(r, None, None);
        assert_eq!(key.subject, "unresponsive");
        // The stack is cut to 1,024 characters, so the sample fits as it is.
        assert!(sample.body.len() < 1200, "{}", sample.body.len());
        assert!(sample.body.contains(&"x".repeat(1024)));
    }
}
