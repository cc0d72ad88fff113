//! [`AjaxOnly`]: requests made by script, not by navigation.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use super::answer::AuthPolicy;

/// Passes requests sent with `X-Requested-With: XMLHttpRequest` (exactly), and,
/// with `security.auth.ajax_fetch_metadata = true`, requests whose Fetch
/// Metadata says script made them (`Sec-Fetch-Mode: cors` or `same-origin`
/// with `Sec-Fetch-Dest: empty`). Anything else gets 403.
///
/// ```
/// # use rocket::get;
/// use rocket_security::AjaxOnly;
///
/// #[get("/api/ping")]
/// fn ping(_ajax: AjaxOnly) -> &'static str { "pong" }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AjaxOnly;

/// The error of [`AjaxOnly`].
///
/// ```
/// use rocket::local::blocking::Client;
/// use rocket::{get, routes};
/// use rocket_security::auth::{AjaxOnly, NotAjax};
///
/// #[get("/api/ping")]
/// fn ping(ajax: Result<AjaxOnly, NotAjax>) -> &'static str {
///     if ajax == Err(NotAjax) { "script only" } else { "pong" }
/// }
///
/// let client = Client::tracked(rocket::custom(rocket::Config::default()).mount("/", routes![ping])).unwrap();
/// assert_eq!(client.get("/api/ping").dispatch().into_string().unwrap(), "script only");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAjax;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AjaxOnly {
    type Error = NotAjax;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, NotAjax> {
        let h = req.headers();
        if h.get_one("X-Requested-With") == Some("XMLHttpRequest") {
            return Outcome::Success(AjaxOnly);
        }
        let policy = req.rocket().state::<std::sync::Arc<AuthPolicy>>();
        if policy.is_some_and(|p| p.auth.ajax_fetch_metadata) {
            let mode = h.get_one("Sec-Fetch-Mode").map(str::to_ascii_lowercase);
            let dest = h.get_one("Sec-Fetch-Dest").map(str::to_ascii_lowercase);
            if matches!(mode.as_deref(), Some("cors" | "same-origin")) && dest.as_deref() == Some("empty") {
                return Outcome::Success(AjaxOnly);
            }
        }
        if policy.is_some_and(|p| p.auth.ajax_mode.is_report()) {
            let detail = format!(
                "X-Requested-With: {}, Sec-Fetch-Mode: {}",
                h.get_one("X-Requested-With").unwrap_or("-"),
                h.get_one("Sec-Fetch-Mode").unwrap_or("-")
            );
            crate::core::rollout::would_refuse(req, "ajax_only", "not_ajax", &detail);
            return Outcome::Success(AjaxOnly);
        }
        Outcome::Error((Status::Forbidden, NotAjax))
    }
}
