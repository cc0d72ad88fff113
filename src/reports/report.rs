//! The one report type, in the manner of Sentry's relay: [`NewCspReport`]
//! is what both browser formats deserialize into (the spellings are serde
//! aliases, the number-or-string fields lenient readers), what the
//! collector normalises, queues, spools and inserts; [`ViolationKey`] is
//! what reports are counted under. Both are independent of any database
//! backend.

use sha2::{Digest, Sha256};

/// Which wire format a report came in.
///
/// ```
/// use rocket_security::reports::{parse, ReportFormat};
///
/// let body = br#"[{"type": "csp-violation", "url": "https://a.example", "body": {"effectiveDirective": "img-src"}}]"#;
/// assert!(parse(body, ReportFormat::CspReport).is_err()); // report-uri sends an object
/// assert_eq!(parse(body, ReportFormat::ReportsJson).unwrap().reports.len(), 1);
/// assert_eq!(parse(body, ReportFormat::Json).unwrap().reports.len(), 1); // either shape
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// `application/csp-report`: `{"csp-report": {...}}` (the `report-uri` mechanism).
    CspReport,
    /// `application/reports+json`: an array of Reporting API reports (`report-to`).
    ReportsJson,
    /// `application/json`: either shape.
    Json,
}

impl ReportFormat {
    /// The name stored with each report.
    ///
    /// ```
    /// use rocket_security::reports::ReportFormat;
    /// assert_eq!(ReportFormat::CspReport.as_str(), "csp-report");
    /// assert_eq!(ReportFormat::ReportsJson.as_str(), "reports+json");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::CspReport => "csp-report",
            ReportFormat::ReportsJson => "reports+json",
            ReportFormat::Json => "json",
        }
    }
}

/// Storage column limits, in characters; longer values are cut, never rejected.
pub(crate) mod limits {
    pub(crate) const URI: usize = 2048;
    pub(crate) const DIRECTIVE: usize = 64;
    pub(crate) const VIOLATED: usize = 1024;
    pub(crate) const POLICY: usize = 8192;
    pub(crate) const SAMPLE: usize = 1024;
    pub(crate) const AGENT: usize = 1024;
    pub(crate) const IP: usize = 64;
    pub(crate) const SHORT: usize = 16;
    pub(crate) const FORMAT: usize = 32;
}
use limits::*;

/// Cuts `s` to at most `max` characters, without NUL characters (which
/// PostgreSQL refuses in text columns).
pub(crate) fn truncate(s: Option<String>, max: usize) -> Option<String> {
    s.map(|s| {
        let s = if s.contains('\0') { s.replace('\0', "\u{FFFD}") } else { s };
        match s.char_indices().nth(max) {
            Some((i, _)) => s[..i].to_string(),
            None => s,
        }
    })
}

/// One CSP violation report, the one shape it has from the request body to
/// the database: both browser formats deserialize into it (every spelling
/// browsers use is a serde alias, numbers may come as strings, unknown
/// fields are ignored), the collector normalises it, and the queue, the
/// spool and the insert carry it as it is. Every field a browser may omit
/// is optional; long values are cut to their column's limit
/// ([`truncated`](Self::truncated)).
///
/// ```
/// use rocket_security::reports::NewCspReport;
/// let report = NewCspReport {
///     report_format: "csp-report".into(),
///     document_uri: Some("https://example.com/checkout".into()),
///     blocked_uri: Some("inline".into()),
///     effective_directive: Some("script-src-elem".into()),
///     ..Default::default()
/// };
/// assert_eq!(report.disposition, None);
///
/// // `application/csp-report` (kebab-case) and the Reporting API (camelCase) read alike.
/// let legacy: NewCspReport = serde_json::from_str(r#"{"blocked-uri": "eval", "line-number": "12"}"#).unwrap();
/// let reporting: NewCspReport = serde_json::from_str(r#"{"blockedURL": "eval", "lineNumber": 12}"#).unwrap();
/// assert_eq!((legacy.blocked_uri.as_deref(), legacy.line_number), (Some("eval"), Some(12)));
/// assert_eq!(legacy, reporting);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "db", derive(diesel::Insertable, diesel::Queryable, diesel::Selectable))]
#[cfg_attr(feature = "db", diesel(table_name = crate::db::schema::security_csp_reports))]
#[serde(default)]
pub struct NewCspReport {
    /// `csp-report` (legacy `report-uri`), `reports+json` (Reporting API) or
    /// `json`: set by the collector, never read from a report's body.
    #[serde(deserialize_with = "lenient::text_or_empty")]
    pub report_format: String,
    /// The page that violated its policy (`document-uri`, `documentURL`).
    #[serde(
        alias = "document-uri",
        alias = "documentURL",
        alias = "documentURI",
        alias = "document_url",
        deserialize_with = "lenient::text"
    )]
    pub document_uri: Option<String>,
    /// The page's referrer (`referrer`).
    #[serde(deserialize_with = "lenient::text")]
    pub referrer: Option<String>,
    /// What was blocked: a URL, or `inline`, `eval`, `wasm-eval` (`blocked-uri`, `blockedURL`).
    #[serde(
        alias = "blocked-uri",
        alias = "blockedURL",
        alias = "blockedURI",
        alias = "blocked_url",
        deserialize_with = "lenient::text"
    )]
    pub blocked_uri: Option<String>,
    /// The violated directive as the browser wrote it (`violated-directive`; the Reporting API has none).
    #[serde(alias = "violated-directive", alias = "violatedDirective", deserialize_with = "lenient::text")]
    pub violated_directive: Option<String>,
    /// The directive that applied, e.g. `script-src-elem` (`effective-directive`, `effectiveDirective`).
    #[serde(alias = "effective-directive", alias = "effectiveDirective", deserialize_with = "lenient::text")]
    pub effective_directive: Option<String>,
    /// The whole policy (`original-policy`, `originalPolicy`).
    #[serde(alias = "original-policy", alias = "originalPolicy", deserialize_with = "lenient::text")]
    pub original_policy: Option<String>,
    /// `enforce` or `report` (`disposition`).
    #[serde(deserialize_with = "lenient::text")]
    pub disposition: Option<String>,
    /// The page's HTTP status (`status-code`, `statusCode`).
    #[serde(alias = "status-code", alias = "statusCode", deserialize_with = "lenient::number")]
    pub status_code: Option<i32>,
    /// The script or style that caused it (`source-file`, `sourceFile`).
    #[serde(alias = "source-file", alias = "sourceFile", deserialize_with = "lenient::text")]
    pub source_file: Option<String>,
    /// Line in `source_file` (`line-number`, `lineNumber`).
    #[serde(alias = "line-number", alias = "lineNumber", deserialize_with = "lenient::number")]
    pub line_number: Option<i32>,
    /// Column in `source_file` (`column-number`, `columnNumber`).
    #[serde(alias = "column-number", alias = "columnNumber", deserialize_with = "lenient::number")]
    pub column_number: Option<i32>,
    /// The first characters of the blocked code, with `'report-sample'`
    /// (`script-sample`, the Reporting API's `sample`).
    #[serde(
        alias = "script-sample",
        alias = "scriptSample",
        alias = "script_sample",
        deserialize_with = "lenient::text"
    )]
    pub sample: Option<String>,
    /// The reporting client's address: set by the collector.
    #[serde(deserialize_with = "lenient::text")]
    pub sender_ip: Option<String>,
    /// The reporting client's `User-Agent`: the Reporting API's `user_agent`,
    /// else the request's header; never read from a report's body.
    #[serde(deserialize_with = "lenient::text")]
    pub user_agent: Option<String>,
}

/// The report as a browser sent it, before normalisation: the same struct as
/// [`NewCspReport`] (the name [`parse`](super::parse) and the normalisation
/// functions have always used).
///
/// ```
/// use rocket_security::reports::{parse, RawReport, ReportFormat};
///
/// let body = br#"{"csp-report": {"documentURL": "https://a.example/", "blocked-uri": "eval", "line-number": "12"}}"#;
/// let r: RawReport = parse(body, ReportFormat::CspReport).unwrap().reports.remove(0);
/// assert_eq!(r.document_uri.as_deref(), Some("https://a.example/")); // any spelling browsers use
/// assert_eq!(r.blocked_uri.as_deref(), Some("eval"));
/// assert_eq!(r.line_number, Some(12)); // numbers may come as strings
/// assert_eq!(r.effective_directive, None);
/// ```
pub type RawReport = NewCspReport;

/// The value readers of [`NewCspReport`]: whatever JSON type a field holds,
/// never an error (a browser's odd value is no reason to refuse its report).
pub(crate) mod lenient {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    /// A string; a number or a boolean as its JSON text; anything else is absent.
    pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(Text)
    }

    /// [`text`], empty when absent.
    pub(crate) fn text_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(text(d)?.unwrap_or_default())
    }

    /// An integer within `i32`, or a string holding one (older browsers); anything else is absent.
    pub(crate) fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
        d.deserialize_any(Number)
    }

    /// Drains an array or an object: neither is a value here.
    /// `true`/`false`, or their text; anything else is absent.
    pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(match text(d)?.as_deref().map(str::trim) {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        })
    }

    /// A number in 0..=1 (a sampling fraction), or its text; anything else is absent.
    pub(crate) fn fraction<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(text(d)?.and_then(|t| t.trim().parse::<f64>().ok()).filter(|f| (0.0..=1.0).contains(f)))
    }

    macro_rules! absent_containers {
        () => {
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        };
    }

    struct Text;

    impl<'de> Visitor<'de> for Text {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            // As JSON writes it (`1e20`, not `100000000000000000000`).
            Ok(serde_json::Number::from_f64(v).map(|n| n.to_string()))
        }
        absent_containers!();
    }

    struct Number;

    impl<'de> Visitor<'de> for Number {
        type Value = Option<i32>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.trim().parse::<i64>().ok().and_then(|v| i32::try_from(v).ok()))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(i32::try_from(v).ok())
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(i32::try_from(v).ok())
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        absent_containers!();
    }
}

impl NewCspReport {
    /// Every field cut to its column's limit: what is logged, queued and
    /// stored is bounded whatever a client sent.
    ///
    /// ```
    /// use rocket_security::reports::NewCspReport;
    /// let report = NewCspReport { sample: Some("x".repeat(5000)), ..Default::default() }.truncated();
    /// assert_eq!(report.sample.unwrap().chars().count(), 1024);
    /// ```
    pub fn truncated(mut self) -> Self {
        self.report_format = truncate(Some(self.report_format), FORMAT).unwrap_or_default();
        self.document_uri = truncate(self.document_uri, URI);
        self.referrer = truncate(self.referrer, URI);
        self.blocked_uri = truncate(self.blocked_uri, URI);
        self.violated_directive = truncate(self.violated_directive, VIOLATED);
        self.effective_directive = truncate(self.effective_directive, DIRECTIVE);
        self.original_policy = truncate(self.original_policy, POLICY);
        self.disposition = truncate(self.disposition, SHORT);
        self.source_file = truncate(self.source_file, URI);
        self.sample = truncate(self.sample, SAMPLE);
        self.sender_ip = truncate(self.sender_ip, IP);
        self.user_agent = truncate(self.user_agent, AGENT);
        self
    }
}

/// What identifies one violation: reports with equal keys are counted together.
///
/// ```
/// use rocket_security::reports::ViolationKey;
/// let key = ViolationKey {
///     document_uri: "https://example.com/checkout".into(),
///     effective_directive: "script-src-elem".into(),
///     blocked: "inline".into(),
///     disposition: "enforce".into(),
///     ..Default::default()
/// };
/// assert_eq!(key.line_number, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct ViolationKey {
    /// The page, without query string or fragment.
    pub document_uri: String,
    /// The effective directive (e.g. `script-src-elem`).
    pub effective_directive: String,
    /// What was blocked, normalised (`inline`, `eval`, `data:`, a host...).
    pub blocked: String,
    /// The script or style that caused it.
    pub source_file: Option<String>,
    /// Line in `source_file`.
    pub line_number: Option<i32>,
    /// `enforce` or `report`.
    pub disposition: String,
}

impl ViolationKey {
    /// The key cut to the column limits (so equal keys stay equal once stored).
    ///
    /// ```
    /// use rocket_security::reports::ViolationKey;
    /// let key = ViolationKey { effective_directive: "d".repeat(100), ..Default::default() }.truncated();
    /// assert_eq!(key.effective_directive.len(), 64);
    /// assert_eq!(key.clone().truncated(), key);
    /// ```
    pub fn truncated(mut self) -> Self {
        self.document_uri = truncate(Some(self.document_uri), URI).unwrap_or_default();
        self.effective_directive = truncate(Some(self.effective_directive), DIRECTIVE).unwrap_or_default();
        self.blocked = truncate(Some(self.blocked), URI).unwrap_or_default();
        self.source_file = truncate(self.source_file, URI);
        self.disposition = truncate(Some(self.disposition), SHORT).unwrap_or_default();
        self
    }

    /// The hex SHA-256 the unique index is on.
    ///
    /// ```
    /// use rocket_security::reports::ViolationKey;
    /// let key = ViolationKey { blocked: "inline".into(), ..Default::default() };
    /// assert_eq!(key.hash().len(), 64);
    /// assert_ne!(key.hash(), ViolationKey { blocked: "eval".into(), ..key }.hash());
    /// ```
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.document_uri.as_str(),
            &self.effective_directive,
            &self.blocked,
            self.source_file.as_deref().unwrap_or(""),
            &self.line_number.map(|l| l.to_string()).unwrap_or_default(),
            &self.disposition,
        ] {
            // Length-prefixed, so no two different keys hash the same input.
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        crate::core::hex::encode(&h.finalize())
    }

    /// The hex SHA-256 of the key's group: directive, blocked source and
    /// disposition (what the dashboard's grouped view, sparklines and triage
    /// are keyed on).
    ///
    /// ```
    /// use rocket_security::reports::ViolationKey;
    /// let a = ViolationKey { document_uri: "https://a.example/".into(), effective_directive: "img-src".into(),
    ///     blocked: "cdn.example".into(), disposition: "enforce".into(), ..Default::default() };
    /// let b = ViolationKey { document_uri: "https://a.example/other".into(), ..a.clone() };
    /// assert_eq!(a.group_hash(), b.group_hash());
    /// assert_ne!(a.hash(), b.hash());
    /// ```
    pub fn group_hash(&self) -> String {
        group_hash(&self.effective_directive, &self.blocked, &self.disposition)
    }
}

/// The hex SHA-256 of a violation group (see [`ViolationKey::group_hash`]).
pub(crate) fn group_hash(directive: &str, blocked: &str, disposition: &str) -> String {
    let mut h = Sha256::new();
    for part in [directive, blocked, disposition] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    crate::core::hex::encode(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate(Some("héllo".into()), 2), Some("hé".into()));
        assert_eq!(truncate(Some("abc".into()), 5), Some("abc".into()));
        assert_eq!(truncate(None, 5), None);
    }
}
