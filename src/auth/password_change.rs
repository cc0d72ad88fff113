//! [`MandatoryPasswordChange`]: a user whose password has not expired.

use std::ops::Deref;
use std::sync::Arc;

use chrono::Duration;
use rocket::http::Status;
use rocket::outcome::Outcome as O;
use rocket::request::{FromRequest, Outcome, Request};

use super::answer::{login_needed, owns_session, record, session_ended, AuthFailure, AuthPolicy};
use super::login::NotLoggedIn;
use super::password_expiry::PasswordExpiry;
use super::user::SecurityUser;
use crate::core::clock::SharedClock;

/// A logged-in user whose password has not expired.
///
/// Users whose [`PasswordExpiry`] has expired get a 303 to
/// `security.password.change_url` (API clients: 403 with
/// `{"password_change_url": "..."}`); anonymous users are sent to the login
/// page like [`LoginRequired`](crate::LoginRequired). The change URL, logout,
/// `static_paths` and the report endpoint are never blocked. After a
/// successful change the application calls
/// [`PasswordExpiry::renew`](super::password_expiry::PasswordExpiry::renew).
///
/// The expiry is read from the security database; if it cannot be reached the
/// guard refuses with `503` (fail closed) and logs an ERROR line, unless
/// `security.password.fail_open = true` (then the user passes, logged at WARN).
///
/// ```
/// use rocket::get;
/// use rocket_security::MandatoryPasswordChange;
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
/// fn account(user: MandatoryPasswordChange<User>) -> String {
///     format!("hello {}", user.name)
/// }
///
/// let rocket = rocket::build().attach(rocket_security::Security::fairing()).mount("/", rocket::routes![account]);
/// ```
pub struct MandatoryPasswordChange<U> {
    user: U,
    expires_in: Option<Duration>,
    warn: Duration,
}

impl<U> MandatoryPasswordChange<U> {
    /// The user.
    ///
    /// ```
    /// use rocket::get;
    /// use rocket_security::MandatoryPasswordChange;
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
    /// fn account(user: MandatoryPasswordChange<User>) -> String {
    ///     let User { name } = user.into_inner();
    ///     format!("hello {name}")
    /// }
    /// ```
    pub fn into_inner(self) -> U {
        self.user
    }

    /// Time left before the password expires (`None`: never).
    ///
    /// ```
    /// use rocket::get;
    /// use rocket_security::MandatoryPasswordChange;
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
    /// #[get("/account/password")]
    /// fn password(user: MandatoryPasswordChange<User>) -> String {
    ///     match user.expires_in() {
    ///         Some(left) => format!("your password expires in {} days", left.num_days()),
    ///         None => "your password does not expire".into(),
    ///     }
    /// }
    /// ```
    pub fn expires_in(&self) -> Option<Duration> {
        self.expires_in
    }

    /// Whole days left, when within `security.password.warn_days`: for an
    /// "expires in N days" notice.
    ///
    /// ```
    /// use rocket::get;
    /// use rocket_security::MandatoryPasswordChange;
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
    /// fn home(user: MandatoryPasswordChange<User>) -> String {
    ///     let notice = user.expires_soon().map(|n| format!(" (your password expires in {n} days)"));
    ///     format!("hello {}{}", user.name, notice.unwrap_or_default())
    /// }
    /// ```
    pub fn expires_soon(&self) -> Option<i64> {
        self.expires_in.filter(|d| *d <= self.warn).map(|d| d.num_days().max(0))
    }
}

impl<U> Deref for MandatoryPasswordChange<U> {
    type Target = U;
    fn deref(&self) -> &U {
        &self.user
    }
}

#[rocket::async_trait]
impl<'r, U> FromRequest<'r> for MandatoryPasswordChange<U>
where
    U: FromRequest<'r> + SecurityUser + Send,
{
    type Error = NotLoggedIn;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, NotLoggedIn> {
        let user = match req.guard::<U>().await {
            O::Success(u) if u.is_active() && !session_ended(req) => u,
            _ => {
                login_needed(req);
                return O::Error((Status::Unauthorized, NotLoggedIn));
            }
        };
        if !owns_session(req, &user.security_id()) {
            return O::Error((Status::Unauthorized, NotLoggedIn));
        }
        let Some(policy) = req.rocket().state::<Arc<AuthPolicy>>() else {
            tracing::error!(target: "security", "MandatoryPasswordChange used without Security::fairing(): not enforced");
            return O::Success(MandatoryPasswordChange { user, expires_in: None, warn: Duration::zero() });
        };
        let warn = Duration::days(policy.password.warn_days.min(3650) as i64);
        let pass = |user, expires_in| O::Success(MandatoryPasswordChange { user, expires_in, warn });
        if user.is_superuser() && !policy.password.include_superusers {
            return pass(user, None);
        }
        // The store cannot answer: refuse (503), unless the app chose otherwise.
        let unavailable = |user, why: String| {
            if policy.password.fail_open {
                tracing::warn!(target: "security", "password expiry unavailable ({why}); admitting (`security.password.fail_open = true`)");
                return pass(user, None);
            }
            tracing::error!(target: "security", "password expiry unavailable ({why}); refusing with 503 (fail closed)");
            record(req, AuthFailure::Unavailable);
            O::Error((Status::ServiceUnavailable, NotLoggedIn))
        };
        let Some(pool) = crate::db::bound(req.rocket()) else {
            return unavailable(user, "no security database is attached".into());
        };
        let now = SharedClock::of(req.rocket()).now();
        let row = match pool.conn().await {
            Ok(mut conn) => {
                PasswordExpiry::get_or_create(&mut conn, &user.security_id(), policy.password.expiry_policy(), now)
                    .await
            }
            Err(e) => Err(e),
        };
        let row = match row {
            // The configured rotation applies to rows without an expiry too.
            Ok(r) => r.with_rotation(policy.password.expiry_policy().max_age),
            Err(e) => return unavailable(user, e.to_string()),
        };
        if row.is_expired(now) && !policy.password_exempt.matches(req.uri()) && policy.password.mode.is_report() {
            // Once per request: the global check and the handler's guard both ask.
            if !req
                .local_cache(|| ReportedOnce(std::sync::atomic::AtomicBool::new(false)))
                .0
                .swap(true, std::sync::atomic::Ordering::Relaxed)
            {
                crate::core::rollout::would_refuse(req, "password_change", "expired", "the password has expired");
            }
            return pass(user, row.expires_in(now));
        }
        if row.is_expired(now) && !policy.password_exempt.matches(req.uri()) {
            tracing::info!(target: "security", "password expired: redirecting user {:?} to the change page", row.user_id);
            record(req, AuthFailure::PasswordChange);
            return O::Error((Status::Forbidden, NotLoggedIn));
        }
        pass(user, row.expires_in(now))
    }
}

/// Request-local: report mode already recorded this request's expired password.
struct ReportedOnce(std::sync::atomic::AtomicBool);

/// Records a password change for `user_id` with the configured rotation
/// (`security.password.max_age_days`): the next expiry is that far from now.
/// In a handler, the [`PasswordRenewal`] guard does the same.
///
/// ```no_run
/// # async fn f(rocket: &rocket::Rocket<rocket::Orbit>) -> Result<(), rocket_security::db::DbError> {
/// rocket_security::auth::renew_password(rocket, "alice").await?;
/// # Ok(()) }
/// ```
pub async fn renew_password<P: rocket::Phase>(
    rocket: &rocket::Rocket<P>,
    user_id: &str,
) -> Result<PasswordExpiry, crate::db::DbError> {
    let pool = crate::db::bound(rocket)
        .ok_or_else(|| crate::db::DbError::Unavailable("no security database is attached".into()))?;
    let max_age = rocket.state::<Arc<AuthPolicy>>().and_then(|p| p.password.expiry_policy().max_age);
    let now = SharedClock::of(rocket).now();
    let mut conn = pool.conn().await?;
    PasswordExpiry::renew(&mut conn, user_id, max_age, now).await
}

/// A request guard for the password-change handler: [`renew`](Self::renew)
/// records the change with the configured rotation.
///
/// ```
/// use rocket::post;
/// use rocket_security::auth::PasswordRenewal;
///
/// #[post("/password/change")]
/// async fn change(renewal: PasswordRenewal<'_>) -> &'static str {
///     // ... check the current password, store the new hash ...
///     let _ = renewal.renew("alice").await;
///     "changed"
/// }
/// ```
pub struct PasswordRenewal<'r>(&'r rocket::Rocket<rocket::Orbit>);

impl PasswordRenewal<'_> {
    /// Records a password change for `user_id` (see [`renew_password`]).
    ///
    /// ```
    /// use rocket::http::Status;
    /// use rocket::post;
    /// use rocket_security::auth::PasswordRenewal;
    ///
    /// #[post("/password/change")]
    /// async fn change(renewal: PasswordRenewal<'_>) -> Result<&'static str, Status> {
    ///     // ... check the current password, store the new hash ...
    ///     renewal.renew("alice").await.map_err(|_| Status::ServiceUnavailable)?;
    ///     Ok("changed")
    /// }
    /// ```
    pub async fn renew(&self, user_id: &str) -> Result<PasswordExpiry, crate::db::DbError> {
        renew_password(self.0, user_id).await
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PasswordRenewal<'r> {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        O::Success(PasswordRenewal(req.rocket()))
    }
}
