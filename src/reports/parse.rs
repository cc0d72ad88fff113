//! Parsing both browser formats into the one report type, in the manner of
//! Sentry's relay: the envelope (`{"csp-report": {...}}`, or an array of
//! Reporting API reports) is read here, each report's body deserializes into
//! [`NewCspReport`], whose serde aliases are every spelling browsers use.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::browser::{BrowserBody, BrowserReport, ReportType, SAMPLE_JSON, TEXT};
use super::report::limits::{SHORT, URI};
pub use super::report::ReportFormat;
use super::report::{NewCspReport, RawReport};

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
///     {"type": "deprecation", "url": "https://example.com/", "body": {"id": "UnloadHandler"}},
///     {"type": "csp-violation", "url": "https://example.com/", "body": {"effectiveDirective": "script-src-elem"}},
///     {"type": "made-up", "url": "https://example.com/", "body": {}}
/// ]"#;
/// let parsed = parse(body, ReportFormat::ReportsJson).unwrap();
/// assert_eq!((parsed.reports.len(), parsed.browser.len(), parsed.other_types), (1, 1, 1));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// The CSP violation reports.
    pub reports: Vec<RawReport>,
    /// Reports of the other types the collector reads (see [`ReportType`](super::ReportType)).
    pub browser: Vec<BrowserReport>,
    /// Reporting API entries of types the collector does not read: counted and dropped.
    pub other_types: usize,
}

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
                Some(r @ Value::Object(_)) => Ok(Parsed { reports: vec![report(&r, None)], ..Parsed::default() }),
                Some(_) => Err(ParseError::Shape("\"csp-report\" must be an object")),
                None => Err(ParseError::Shape("expected {\"csp-report\": {...}}")),
            }
        }
        (ReportFormat::ReportsJson | ReportFormat::Json, Value::Array(items)) => {
            let mut out = Parsed::default();
            for item in items {
                let Value::Object(o) = item else { return Err(ParseError::Shape("array items must be objects")) };
                let kind = o.get("type").and_then(Value::as_str);
                if kind != Some("csp-violation") {
                    match kind.and_then(ReportType::parse) {
                        None => out.other_types += 1,
                        Some(t) => {
                            // A missing or null body is a body without fields.
                            let empty = Value::Object(Map::new());
                            let body = match o.get("body") {
                                Some(b @ Value::Object(_)) => b,
                                None | Some(Value::Null) => &empty,
                                Some(_) => return Err(ParseError::Shape("a report's \"body\" must be an object")),
                            };
                            out.browser.push(BrowserReport {
                                url: o.get("url").and_then(Value::as_str).map(str::to_string),
                                user_agent: o.get("user_agent").and_then(Value::as_str).map(str::to_string),
                                body: BrowserBody::read(t, body),
                            });
                        }
                    }
                    continue;
                }
                let ua = o.get("user_agent").and_then(Value::as_str).map(str::to_string);
                match o.get("body") {
                    Some(b @ Value::Object(_)) => {
                        let mut r = report(b, ua);
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

/// One report's body (an object) as [`NewCspReport`]. What only the
/// collector knows (the format, the sender) is never read from the body;
/// `user_agent` is the Reporting API envelope's.
fn report(body: &Value, user_agent: Option<String>) -> NewCspReport {
    let r = NewCspReport::deserialize(body).unwrap_or_else(|_| first_spellings(body));
    NewCspReport { report_format: String::new(), sender_ip: None, user_agent, ..r }
}

/// A body that spells one field two ways (`blocked-uri` and `blockedURL`:
/// no browser does), read as if only the first of them in the body's key
/// order were there. Such a duplicate is the only error a body can cause:
/// every field's reader accepts any JSON value, unknown fields are ignored.
#[cold]
fn first_spellings(body: &Value) -> NewCspReport {
    let read = |o: &Value| NewCspReport::deserialize(o);
    let Value::Object(body) = body else { return NewCspReport::default() };
    let mut kept = Map::new();
    for (k, v) in body {
        // A key no field answers to is skipped (the loop is quadratic in known keys only).
        let probe = Value::Object(Map::from_iter([(k.clone(), Value::from(1))]));
        if read(&probe).is_ok_and(|r| r == NewCspReport::default()) {
            continue;
        }
        kept.insert(k.clone(), v.clone());
        let trial = Value::Object(std::mem::take(&mut kept));
        let fits = read(&trial).is_ok();
        if let Value::Object(m) = trial {
            kept = m;
        }
        if !fits {
            kept.remove(k);
        }
    }
    read(&Value::Object(kept)).unwrap_or_default()
}

/// For the fuzz targets only (`fuzz/fuzz_targets/browser_*.rs`): reads
/// `bytes` as a `t` report body, both as a parsed JSON value and through the
/// endpoint's parser, and checks every bound the storage relies on.
///
/// ```
/// use rocket_security::reports::{fuzz_browser_report, ReportType};
/// fuzz_browser_report(ReportType::Coep, br#"{"blockedURL": "https://a.example/x.js"}"#);
/// fuzz_browser_report(ReportType::Crash, b"\xff not json");
/// ```
#[doc(hidden)]
pub fn fuzz_browser_report(t: ReportType, bytes: &[u8]) {
    let check = |r: BrowserReport| {
        let (key, sample) = super::browser::to_storage(r, Some("192.0.2.1".into()), Some("fuzz"));
        assert!(key.document_uri.chars().count() <= URI && key.subject.chars().count() <= URI);
        assert!(key.detail.chars().count() <= TEXT && key.disposition.len() <= SHORT);
        assert!(sample.body.len() <= SAMPLE_JSON, "{}", sample.body.len());
        assert!(serde_json::from_str::<Value>(&sample.body).is_ok());
        assert_eq!(key.hash().len(), 64);
    };
    if let Ok(body @ Value::Object(_)) = serde_json::from_slice::<Value>(bytes) {
        let url = body.get("url").and_then(Value::as_str).map(str::to_string);
        check(BrowserReport { url, user_agent: None, body: BrowserBody::read(t, &body) });
    }
    // The same bytes as the body of an envelope, through the endpoint's parser.
    let mut envelope = format!(r#"[{{"type":"{}","url":"https://example.com/p?q","body":"#, t.as_str()).into_bytes();
    envelope.extend_from_slice(bytes);
    envelope.extend_from_slice(b"}]");
    if let Ok(parsed) = parse(&envelope, ReportFormat::ReportsJson) {
        parsed.browser.into_iter().for_each(check);
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
    fn unknown_reporting_api_types_are_counted_and_skipped() {
        let p = parse(
            br#"[{"type":"deprecation","body":{}},{"type":"csp-violation","body":{"blockedURL":"inline"}},
                {"type":"Deprecation","body":{}},{"body":{}}]"#,
            ReportFormat::ReportsJson,
        )
        .unwrap();
        assert_eq!((p.reports.len(), p.browser.len(), p.other_types), (1, 1, 2));
    }

    #[test]
    fn two_spellings_of_one_field_read_the_first_in_key_order() {
        let p = parse(
            br#"{"csp-report":{"blockedURL":"b","blocked-uri":"a","lineNumber":[1],"line-number":"7","x":1}}"#,
            ReportFormat::CspReport,
        )
        .unwrap();
        let r = &p.reports[0];
        assert_eq!((r.blocked_uri.as_deref(), r.line_number), (Some("a"), Some(7)));
    }

    #[test]
    fn the_body_cannot_set_what_the_collector_knows() {
        let body = br#"[{"type":"csp-violation","body":{"report_format":"x","sender_ip":"1.2.3.4","user_agent":"u"}}]"#;
        let r = &parse(body, ReportFormat::ReportsJson).unwrap().reports[0];
        assert_eq!((r.report_format.as_str(), r.sender_ip.as_deref(), r.user_agent.as_deref()), ("", None, None));
    }

    #[test]
    fn odd_values_are_absent_or_their_json_text() {
        let body = br#"{"csp-report":{"referrer":true,"disposition":1e20,"sample":{"a":[1]},"source-file":null,
            "status-code":200.0,"line-number":" 12 ","column-number":4294967296,"blocked-uri":-3}}"#;
        let r = &parse(body, ReportFormat::CspReport).unwrap().reports[0];
        assert_eq!((r.referrer.as_deref(), r.disposition.as_deref()), (Some("true"), Some("1e+20")));
        assert_eq!((r.sample.as_deref(), r.source_file.as_deref(), r.blocked_uri.as_deref()), (None, None, Some("-3")));
        assert_eq!((r.status_code, r.line_number, r.column_number), (None, Some(12), None));
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        assert_eq!(
            parse(b"\"csp-report\"", ReportFormat::Json),
            Err(ParseError::Shape("expected {\"csp-report\": {...}} or an array of reports"))
        );
        assert_eq!(parse(b"[1]", ReportFormat::ReportsJson), Err(ParseError::Shape("array items must be objects")));
        assert_eq!(
            parse(br#"[{"type":"coep","body":"x"}]"#, ReportFormat::ReportsJson),
            Err(ParseError::Shape("a report's \"body\" must be an object"))
        );
        assert_eq!(parse(&[0xff, 0xfe], ReportFormat::Json), Err(ParseError::Utf8));
        assert!(matches!(parse(b"{", ReportFormat::Json), Err(ParseError::Json(_))));
        assert_eq!(
            parse(b"{\"csp-report\": 3}", ReportFormat::CspReport),
            Err(ParseError::Shape("\"csp-report\" must be an object"))
        );
    }
}
