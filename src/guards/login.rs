//! [`LoginRequired`]: the application's user, or a login redirect.

use std::ops::Deref;

use rocket::http::Status;
use rocket::outcome::Outcome as O;
use rocket::request::{FromRequest, Outcome, Request};

use crate::auth::{AuthFailure, SecurityUser};
use crate::notes::Notes;

/// A logged-in, active user of type `U` (the application's user guard).
///
/// On failure browsers get a 303 to `login_url?next=<path and query>` and API
/// clients a 401 with `{"login_url": "..."}` (through the crate's catcher, see
/// [`auth`](crate::auth)). Inactive users count as logged out.
///
/// ```
/// # use rocket::get;
/// # use rocket::request::{self, FromRequest, Request};
/// use rocket_security::{LoginRequired, SecurityUser};
///
/// struct User { name: String }
/// impl SecurityUser for User {
///     fn security_id(&self) -> String { self.name.clone() }
/// }
/// # #[rocket::async_trait]
/// # impl<'r> FromRequest<'r> for User {
/// #     type Error = ();
/// #     async fn from_request(_: &'r Request<'_>) -> request::Outcome<Self, ()> { request::Outcome::Forward(rocket::http::Status::Unauthorized) }
/// # }
///
/// #[get("/account")]
/// fn account(user: LoginRequired<User>) -> String {
///     format!("hello {}", user.name)
/// }
/// ```
pub struct LoginRequired<U>(pub U);

impl<U> LoginRequired<U> {
    /// The user.
    pub fn into_inner(self) -> U {
        self.0
    }
}

impl<U> Deref for LoginRequired<U> {
    type Target = U;
    fn deref(&self) -> &U {
        &self.0
    }
}

/// The path and query of the request, for `next`.
pub(crate) fn target(req: &Request<'_>) -> String {
    let uri = req.uri();
    match uri.query() {
        Some(q) => format!("{}?{}", uri.path(), q),
        None => uri.path().to_string(),
    }
}

/// Whether session expiry decided this request's session is over (the
/// application's cookies are still on this request, but must not count).
pub(crate) fn session_expired(req: &Request<'_>) -> bool {
    matches!(Notes::of(req).session.get(), Some(crate::session::Decision::Expired(_)))
}

/// Records that `req` needs a login, for the catcher.
pub(crate) fn login_needed(req: &Request<'_>) {
    let _ = Notes::of(req).auth.set(AuthFailure::Login { next: target(req) });
}

#[rocket::async_trait]
impl<'r, U> FromRequest<'r> for LoginRequired<U>
where
    U: FromRequest<'r> + SecurityUser + Send,
{
    type Error = NotLoggedIn;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, NotLoggedIn> {
        if session_expired(req) {
            login_needed(req);
            return O::Error((Status::Unauthorized, NotLoggedIn));
        }
        match req.guard::<U>().await {
            O::Success(user) if user.is_active() => O::Success(LoginRequired(user)),
            _ => {
                login_needed(req);
                O::Error((Status::Unauthorized, NotLoggedIn))
            }
        }
    }
}

/// The error of [`LoginRequired`]: no (active) user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotLoggedIn;
