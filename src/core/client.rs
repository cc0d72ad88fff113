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
