//! [`LoginRequired`]: the application's user, or a login redirect.

use std::ops::Deref;

use rocket::http::Status;
use rocket::outcome::Outcome as O;
use rocket::request::{FromRequest, Outcome, Request};

use super::answer::{login_needed, owns_session, session_ended};
use super::user::SecurityUser;

/// A logged-in, active user of type `U` (the application's user guard).
///
/// On failure browsers get a 303 to `login_url?next=<path and query>` and API
/// clients a 401 with `{"login_url": "..."}` (through the crate's catcher, see
/// [`auth`](crate::auth)). Inactive users count as logged out. With session
/// expiry on, a session that expired, was revoked, or that the registry
/// records for another user than `U::security_id()` is refused too
/// (`expired=...` on the login URL).
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
    ///
    /// ```
    /// use rocket::get;
    /// use rocket_security::LoginRequired;
    /// # use rocket::request::{self, FromRequest, Request};
    /// # struct User { name: String }
    /// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.name.clone() } }
    /// # #[rocket::async_trait]
    /// # impl<'r> FromRequest<'r> for User {
    /// #     type Error = ();
    /// #     async fn from_request(_: &'r Request<'_>) -> request::Outcome<Self, ()> {
    /// #         request::Outcome::Forward(rocket::http::Status::Unauthorized)
    /// #     }
    /// # }
    ///
    /// #[get("/account")]
    /// fn account(user: LoginRequired<User>) -> String {
    ///     let User { name } = user.into_inner();
    ///     format!("hello {name}")
    /// }
    /// ```
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

#[rocket::async_trait]
impl<'r, U> FromRequest<'r> for LoginRequired<U>
where
    U: FromRequest<'r> + SecurityUser + Send,
{
    type Error = NotLoggedIn;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, NotLoggedIn> {
        if session_ended(req) {
            login_needed(req);
            return O::Error((Status::Unauthorized, NotLoggedIn));
        }
        match req.guard::<U>().await {
            O::Success(user) if user.is_active() => {
                let id = user.security_id();
                if !owns_session(req, &id) {
                    return O::Error((Status::Unauthorized, NotLoggedIn));
                }
                crate::core::principal::set(req, &id);
                O::Success(LoginRequired(user))
            }
            _ => {
                login_needed(req);
                O::Error((Status::Unauthorized, NotLoggedIn))
            }
        }
    }
}

/// The error of [`LoginRequired`]: no (active) user.
///
/// ```
/// use rocket::get;
/// use rocket_security::auth::{LoginRequired, NotLoggedIn};
/// # use rocket::request::{self, FromRequest, Request};
/// # struct User { name: String }
/// # impl rocket_security::SecurityUser for User { fn security_id(&self) -> String { self.name.clone() } }
/// # #[rocket::async_trait]
/// # impl<'r> FromRequest<'r> for User {
/// #     type Error = ();
/// #     async fn from_request(_: &'r Request<'_>) -> request::Outcome<Self, ()> {
/// #         request::Outcome::Forward(rocket::http::Status::Unauthorized)
/// #     }
/// # }
///
/// #[get("/")]
/// fn home(user: Result<LoginRequired<User>, NotLoggedIn>) -> String {
///     match user {
///         Ok(user) => format!("hello {}", user.name),
///         Err(NotLoggedIn) => "hello, guest".into(),
///     }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotLoggedIn;
