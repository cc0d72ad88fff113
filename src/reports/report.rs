//! The shapes a report is stored in, independent of any database backend.

use sha2::{Digest, Sha256};

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

/// A report as received and normalised, ready to store. Every field a browser
/// may omit is optional; long values are cut to their column's limit.
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
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewCspReport {
    /// `csp-report` (legacy `report-uri`), `reports+json` (Reporting API) or `json`.
    pub report_format: String,
    /// The page that violated its policy.
    pub document_uri: Option<String>,
    /// The page's referrer.
    pub referrer: Option<String>,
    /// What was blocked: a URL, or `inline`, `eval`, `wasm-eval`.
    pub blocked_uri: Option<String>,
    /// The violated directive as the browser wrote it.
    pub violated_directive: Option<String>,
    /// The directive that applied (e.g. `script-src-elem`).
    pub effective_directive: Option<String>,
    /// The whole policy.
    pub original_policy: Option<String>,
    /// `enforce` or `report`.
    pub disposition: Option<String>,
    /// The page's HTTP status.
    pub status_code: Option<i32>,
    /// The script or style that caused it.
    pub source_file: Option<String>,
    /// Line in `source_file`.
    pub line_number: Option<i32>,
    /// Column in `source_file`.
    pub column_number: Option<i32>,
    /// The first characters of the blocked code (`'report-sample'`).
    pub sample: Option<String>,
    /// The reporting client's address.
    pub sender_ip: Option<String>,
    /// The reporting client's `User-Agent`.
    pub user_agent: Option<String>,
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
