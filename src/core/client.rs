//! What kind of client sent a request: a page navigation, or script (whose
//! refusals are answered with JSON instead of a redirect or an HTML page).

use rocket::Request;

/// Whether the request comes from script rather than a page navigation.
pub(crate) fn is_api_client(req: &Request<'_>) -> bool {
    let h = req.headers();
    h.get_one("X-Requested-With") == Some("XMLHttpRequest")
        || h.get_one("Sec-Fetch-Mode").is_some_and(|m| m.eq_ignore_ascii_case("cors"))
        || h.get_one("Accept").is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// The `503` a security check answers when the store it needs cannot answer
/// (fail closed): `{"error":"<code>"}` for script, a plain sentence naming
/// `what` cannot be checked for a page, with `Retry-After: 5`.
pub(crate) fn unavailable(req: &Request<'_>, code: &str, what: &str) -> rocket::Response<'static> {
    use rocket::http::{ContentType, Header, Status};
    let (kind, body) = if is_api_client(req) {
        (ContentType::JSON, format!(r#"{{"error":"{code}"}}"#))
    } else {
        (ContentType::Plain, format!("503 Service Unavailable: {what} cannot be checked right now; try again shortly"))
    };
    rocket::Response::build()
        .status(Status::ServiceUnavailable)
        .header(kind)
        .header(Header::new("Retry-After", "5"))
        .sized_body(body.len(), std::io::Cursor::new(body))
        .finalize()
}
