//! What the dashboard's views share: escaping (every report field is
//! attacker-controlled), the page shell (its own nonce style, no external
//! asset) and reading their query parameters.

use rocket::http::Status;
use rocket::Request;

/// The trimmed, non-empty query parameter `name` (at most 256 characters).
pub(crate) fn param(req: &Request<'_>, name: &str) -> Option<String> {
    req.query_value::<&str>(name)
        .and_then(Result::ok)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(256).collect())
}

/// A `YYYY-MM-DD` day as its first (or, with `end`, last) instant; `400` otherwise.
pub(crate) fn day(s: &Option<String>, end: bool) -> Result<Option<chrono::NaiveDateTime>, Status> {
    let Some(s) = s else { return Ok(None) };
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| Status::BadRequest)?;
    Ok(if end { d.and_hms_micro_opt(23, 59, 59, 999_999) } else { d.and_hms_opt(0, 0, 0) })
}

/// HTML-escapes text (reports are attacker-controlled). Line breaks and
/// tabs stay (a `<pre>` snippet must paste as it is); other control
/// characters become U+FFFD.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}\
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;font-size:.9rem;vertical-align:top}\
td.n{text-align:right}code{word-break:break-all}pre{white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}.bar{fill:#c33}.stats span{margin-right:1.2rem}form input{margin-right:.5rem}form.t{display:inline;margin-left:.4rem}";

/// A whole page titled `title`: its style carries the response's CSP `nonce`.
pub(crate) fn shell(title: &str, nonce: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{t}</title>\
         <style nonce=\"{nonce}\">{STYLE}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    )
}
