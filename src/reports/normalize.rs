//! Normalisation: small pure functions from a raw report to the stored shape
//! and its aggregation key.

use super::report::ReportFormat;
use super::report::{NewCspReport, RawReport, ViolationKey};

/// The directive a report is about: `effective-directive`, or the first token
/// of `violated-directive` (old Firefox sent only that, with the source list).
pub fn effective_directive(r: &RawReport) -> Option<String> {
    let first =
        |s: &Option<String>| s.as_deref().and_then(|d| d.split_whitespace().next()).map(str::to_ascii_lowercase);
    first(&r.effective_directive)
        .or_else(|| first(&r.violated_directive))
        .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
}

/// What was blocked, reduced to a kind or a host: `inline`, `eval`,
/// `wasm-eval`, `trusted-types-*`, `'self'`, `data:`, `blob:`, a scheme
/// (`chrome-extension:`), or `host[:port]` of a URL.
///
/// ```
/// use rocket_security::reports::classify_blocked;
/// assert_eq!(classify_blocked(Some("https://cdn.example.com:8443/a.js?x=1")), "cdn.example.com:8443");
/// assert_eq!(classify_blocked(Some("inline")), "inline");
/// assert_eq!(classify_blocked(Some("data:image/png;base64,AAAA")), "data:");
/// assert_eq!(classify_blocked(None), "'self'");
/// ```
pub fn classify_blocked(blocked: Option<&str>) -> String {
    let b = blocked.unwrap_or("").trim();
    let lower = b.to_ascii_lowercase();
    match lower.as_str() {
        "" | "self" | "'self'" => return "'self'".into(),
        "inline" | "eval" | "wasm-eval" | "trusted-types-policy" | "trusted-types-sink" => return lower,
        _ => {}
    }
    let Some((scheme, rest)) = lower.split_once(':') else { return lower };
    match rest.strip_prefix("//") {
        Some(after) => {
            let authority = after.split(['/', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit('@').next().unwrap_or("");
            if scheme == "http" || scheme == "https" {
                if host.is_empty() {
                    format!("{scheme}:")
                } else {
                    host.to_string()
                }
            } else if host.is_empty() {
                format!("{scheme}:")
            } else {
                format!("{scheme}://{host}")
            }
        }
        None => format!("{scheme}:"),
    }
}

/// A URL without its query string and fragment (they may hold secrets and
/// would split one violation into many).
pub fn without_query(uri: &str) -> &str {
    uri.split(['?', '#']).next().unwrap_or(uri)
}

/// The host of an absolute URL, lower-cased, without port.
pub fn host_of(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit('@').next()?;
    let host =
        if let Some(v6) = hostport.strip_prefix('[') { v6.split(']').next()? } else { hostport.split(':').next()? };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The report's disposition as it is stored: `report` only when it says so, else `enforce`.
pub(crate) fn disposition(r: &RawReport) -> &'static str {
    match r.disposition.as_deref() {
        Some(d) if d.eq_ignore_ascii_case("report") => "report",
        _ => "enforce",
    }
}

/// The stored report and its aggregation key: the report as received, with
/// its format, its directive, its disposition, its sender and a user agent,
/// cut to the column limits.
pub fn to_storage(
    r: RawReport,
    format: ReportFormat,
    directive: String,
    sender_ip: Option<String>,
    request_user_agent: Option<&str>,
) -> (ViolationKey, NewCspReport) {
    let disposition = disposition(&r);
    let key = ViolationKey {
        document_uri: r.document_uri.as_deref().map(without_query).unwrap_or_default().to_string(),
        effective_directive: directive.clone(),
        blocked: classify_blocked(r.blocked_uri.as_deref()),
        source_file: r.source_file.as_deref().map(without_query).filter(|s| !s.is_empty()).map(str::to_string),
        line_number: r.line_number,
        disposition: disposition.to_string(),
    }
    .truncated();
    let report = NewCspReport {
        report_format: format.as_str().to_string(),
        effective_directive: Some(directive),
        disposition: Some(disposition.to_string()),
        sender_ip,
        user_agent: r.user_agent.or_else(|| request_user_agent.map(str::to_string)),
        ..r
    }
    .truncated();
    (key, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_uris_are_classified() {
        assert_eq!(classify_blocked(Some("")), "'self'");
        assert_eq!(classify_blocked(Some("EVAL")), "eval");
        assert_eq!(classify_blocked(Some("wasm-eval")), "wasm-eval");
        assert_eq!(classify_blocked(Some("blob:https://a.example/uuid")), "blob:");
        assert_eq!(classify_blocked(Some("data")), "data");
        assert_eq!(classify_blocked(Some("chrome-extension://abcdef/x.js")), "chrome-extension://abcdef");
        assert_eq!(classify_blocked(Some("https://user:pw@cdn.example/x")), "cdn.example");
        assert_eq!(classify_blocked(Some("wss://ws.example/socket")), "wss://ws.example");
    }

    #[test]
    fn the_directive_falls_back_to_the_violated_directive() {
        let r = RawReport { violated_directive: Some("style-src cdn.example.com".into()), ..Default::default() };
        assert_eq!(effective_directive(&r).as_deref(), Some("style-src"));
        let r = RawReport { effective_directive: Some("script-src-elem".into()), ..Default::default() };
        assert_eq!(effective_directive(&r).as_deref(), Some("script-src-elem"));
        assert_eq!(effective_directive(&RawReport::default()), None);
        let r = RawReport { effective_directive: Some("<script>".into()), ..Default::default() };
        assert_eq!(effective_directive(&r), None);
    }

    #[test]
    fn hosts_and_queries() {
        assert_eq!(host_of("https://Example.com:8443/a?b").as_deref(), Some("example.com"));
        assert_eq!(host_of("http://[::1]:8000/").as_deref(), Some("::1"));
        assert_eq!(host_of("about:blank"), None);
        assert_eq!(without_query("https://a/b?token=1#x"), "https://a/b");
    }
}
