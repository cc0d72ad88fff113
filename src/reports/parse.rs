//! Parsing both browser formats into one shape, in the manner of Sentry's
//! relay: every field spelling browsers use is an alias, numbers may come as
//! strings, unknown fields are ignored.

use serde_json::Value;

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

/// One violation report as the browser sent it (before normalisation).
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawReport {
    /// `document-uri` / `documentURL`.
    pub document_uri: Option<String>,
    /// `referrer`.
    pub referrer: Option<String>,
    /// `blocked-uri` / `blockedURL`.
    pub blocked_uri: Option<String>,
    /// `violated-directive` (absent in the Reporting API).
    pub violated_directive: Option<String>,
    /// `effective-directive` / `effectiveDirective`.
    pub effective_directive: Option<String>,
    /// `original-policy` / `originalPolicy`.
    pub original_policy: Option<String>,
    /// `disposition`.
    pub disposition: Option<String>,
    /// `status-code` / `statusCode`.
    pub status_code: Option<i32>,
    /// `source-file` / `sourceFile`.
    pub source_file: Option<String>,
    /// `line-number` / `lineNumber`.
    pub line_number: Option<i32>,
    /// `column-number` / `columnNumber`.
    pub column_number: Option<i32>,
    /// `script-sample` / `sample`.
    pub sample: Option<String>,
    /// The Reporting API's `user_agent`, if given.
    pub user_agent: Option<String>,
}

/// Why a body was refused (answered with 400).
///
/// ```
/// use rocket_security::reports::{parse, ParseError, ReportFormat};
///
/// assert_eq!(parse(b"\xff", ReportFormat::Json), Err(ParseError::Utf8));
/// assert!(matches!(parse(b"{", ReportFormat::Json), Err(ParseError::Json(_))));
/// let e = parse(b"[1]", ReportFormat::ReportsJson).unwrap_err();
/// assert_eq!(e.to_string(), "unexpected JSON shape: array items must be objects");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not UTF-8.
    Utf8,
    /// Not JSON.
    Json(String),
    /// JSON of the wrong shape.
    Shape(&'static str),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Utf8 => f.write_str("the body is not UTF-8"),
            ParseError::Json(e) => write!(f, "the body is not JSON: {e}"),
            ParseError::Shape(s) => write!(f, "unexpected JSON shape: {s}"),
        }
    }
}

/// What one request body holds.
///
/// ```
/// use rocket_security::reports::{parse, ReportFormat};
///
/// let body = br#"[
///     {"type": "deprecation", "url": "https://example.com/", "body": {}},
///     {"type": "csp-violation", "url": "https://example.com/", "body": {"effectiveDirective": "script-src-elem"}}
/// ]"#;
/// let parsed = parse(body, ReportFormat::ReportsJson).unwrap();
/// assert_eq!((parsed.reports.len(), parsed.other_types), (1, 1));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The CSP violation reports.
    pub reports: Vec<RawReport>,
    /// Reporting API entries of other types (`deprecation`, `intervention`...), skipped.
    pub other_types: usize,
}

const DOCUMENT: &[&str] = &["document-uri", "documentURL", "documentURI", "document_uri", "document_url"];
const REFERRER: &[&str] = &["referrer"];
const BLOCKED: &[&str] = &["blocked-uri", "blockedURL", "blockedURI", "blocked_uri", "blocked_url"];
const VIOLATED: &[&str] = &["violated-directive", "violatedDirective", "violated_directive"];
const EFFECTIVE: &[&str] = &["effective-directive", "effectiveDirective", "effective_directive"];
const POLICY: &[&str] = &["original-policy", "originalPolicy", "original_policy"];
const DISPOSITION: &[&str] = &["disposition"];
const STATUS: &[&str] = &["status-code", "statusCode", "status_code"];
const SOURCE: &[&str] = &["source-file", "sourceFile", "source_file"];
const LINE: &[&str] = &["line-number", "lineNumber", "line_number"];
const COLUMN: &[&str] = &["column-number", "columnNumber", "column_number"];
const SAMPLE: &[&str] = &["script-sample", "sample", "scriptSample", "script_sample"];

/// Parses a request body of the given format.
///
/// ```
/// use rocket_security::reports::{parse, ReportFormat};
///
/// let body = br#"[{"type": "csp-violation", "url": "https://example.com/", "user_agent": "Firefox",
///     "body": {"effectiveDirective": "img-src", "blockedURL": "https://evil.example/x.png"}}]"#;
/// let r = &parse(body, ReportFormat::ReportsJson).unwrap().reports[0];
/// assert_eq!(r.document_uri.as_deref(), Some("https://example.com/")); // from the report's `url`
/// assert_eq!(r.effective_directive.as_deref(), Some("img-src"));
/// assert_eq!(r.user_agent.as_deref(), Some("Firefox"));
/// ```
pub fn parse(body: &[u8], format: ReportFormat) -> Result<Parsed, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| ParseError::Utf8)?;
    let value: Value = serde_json::from_str(text).map_err(|e| ParseError::Json(e.to_string()))?;
    match (format, value) {
        (ReportFormat::CspReport | ReportFormat::Json, Value::Object(mut o)) => {
            match o.remove("csp-report").or_else(|| o.remove("body")) {
                Some(Value::Object(r)) => Ok(Parsed { reports: vec![fields(&r, None)], other_types: 0 }),
                Some(_) => Err(ParseError::Shape("\"csp-report\" must be an object")),
                None => Err(ParseError::Shape("expected {\"csp-report\": {...}}")),
            }
        }
        (ReportFormat::ReportsJson | ReportFormat::Json, Value::Array(items)) => {
            let mut out = Parsed::default();
            for item in items {
                let Value::Object(o) = item else { return Err(ParseError::Shape("array items must be objects")) };
                if o.get("type").and_then(Value::as_str) != Some("csp-violation") {
                    out.other_types += 1;
                    continue;
                }
                let ua = o.get("user_agent").and_then(Value::as_str).map(str::to_string);
                match o.get("body") {
                    Some(Value::Object(b)) => {
                        let mut r = fields(b, ua);
                        if r.document_uri.is_none() {
                            r.document_uri = o.get("url").and_then(Value::as_str).map(str::to_string);
                        }
                        out.reports.push(r);
                    }
                    _ => return Err(ParseError::Shape("a csp-violation report needs a \"body\" object")),
                }
            }
            Ok(out)
        }
        (ReportFormat::CspReport, _) => Err(ParseError::Shape("expected {\"csp-report\": {...}}")),
        (ReportFormat::ReportsJson, _) => Err(ParseError::Shape("expected an array of reports")),
        (ReportFormat::Json, _) => Err(ParseError::Shape("expected {\"csp-report\": {...}} or an array of reports")),
    }
}

fn fields(o: &serde_json::Map<String, Value>, user_agent: Option<String>) -> RawReport {
    RawReport {
        document_uri: text(o, DOCUMENT),
        referrer: text(o, REFERRER),
        blocked_uri: text(o, BLOCKED),
        violated_directive: text(o, VIOLATED),
        effective_directive: text(o, EFFECTIVE),
        original_policy: text(o, POLICY),
        disposition: text(o, DISPOSITION),
        status_code: number(o, STATUS),
        source_file: text(o, SOURCE),
        line_number: number(o, LINE),
        column_number: number(o, COLUMN),
        sample: text(o, SAMPLE),
        user_agent,
    }
}

fn first<'a>(o: &'a serde_json::Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| o.get(*n)).filter(|v| !v.is_null())
}

fn text(o: &serde_json::Map<String, Value>, names: &[&str]) -> Option<String> {
    match first(o, names)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number, or a string holding one (older browsers), within `i32`.
fn number(o: &serde_json::Map<String, Value>, names: &[&str]) -> Option<i32> {
    match first(o, names)? {
        Value::Number(n) => n.as_i64().and_then(|v| i32::try_from(v).ok()),
        Value::String(s) => s.trim().parse::<i64>().ok().and_then(|v| i32::try_from(v).ok()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_strings_and_aliases() {
        let p = parse(
            br#"{"csp-report":{"documentURL":"https://a/x","status-code":"200","line_number":"7","blocked-uri":"eval"}}"#,
            ReportFormat::Json,
        )
        .unwrap();
        let r = &p.reports[0];
        assert_eq!(r.document_uri.as_deref(), Some("https://a/x"));
        assert_eq!((r.status_code, r.line_number), (Some(200), Some(7)));
        assert_eq!(r.blocked_uri.as_deref(), Some("eval"));
    }

    #[test]
    fn other_reporting_api_types_are_counted_and_skipped() {
        let p = parse(
            br#"[{"type":"deprecation","body":{}},{"type":"csp-violation","body":{"blockedURL":"inline"}}]"#,
            ReportFormat::ReportsJson,
        )
        .unwrap();
        assert_eq!((p.reports.len(), p.other_types), (1, 1));
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        assert_eq!(
            parse(b"\"csp-report\"", ReportFormat::Json),
            Err(ParseError::Shape("expected {\"csp-report\": {...}} or an array of reports"))
        );
        assert_eq!(parse(b"[1]", ReportFormat::ReportsJson), Err(ParseError::Shape("array items must be objects")));
        assert_eq!(parse(&[0xff, 0xfe], ReportFormat::Json), Err(ParseError::Utf8));
        assert!(matches!(parse(b"{", ReportFormat::Json), Err(ParseError::Json(_))));
        assert_eq!(
            parse(b"{\"csp-report\": 3}", ReportFormat::CspReport),
            Err(ParseError::Shape("\"csp-report\" must be an object"))
        );
    }
}
