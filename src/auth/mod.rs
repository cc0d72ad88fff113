//! Authentication: the [`SecurityUser`] trait that connects the
//! application's user type, login and password-change settings, the catcher
//! that turns guard failures into redirects or JSON, safe `next` targets,
//! login throttling and password policy.
//!
//! ```toml
//! [default.security.auth]
//! login_url = "/login"            # Default: "/login"
//! next_field = "next"             # Default: "next"
//! allowed_hosts = []              # hosts an absolute `next` may point to; Default: []
//! catchers = true                 # register the 401/403 catchers; Default: true
//! allow = []                      # paths open to anonymous users with Security::require_login::<U>(); Default: []
//! static_paths = []               # FileServer mounts etc., exempt from login and password change; Default: []
//! logout_url = "/logout"          # exempt from the password change; Default: "/logout"
//! ajax_fetch_metadata = false     # AjaxOnly also accepts Sec-Fetch-Mode cors/same-origin + Sec-Fetch-Dest empty
//! mode = "enforce"                # deny-by-default; "report": anonymous requests go on, logged and counted
//! ajax_mode = "enforce"           # AjaxOnly; "report": every request passes, refusals logged and counted
//!
//! [default.security.password]
//! change_url = "/password/change" # Default: "/password/change"
//! max_age_days = 0                # rotation; 0: passwords never expire by age; Default: 0
//! expire_new_users = false        # a user without a row must change at once; Default: false
//! include_superusers = false      # Default: false
//! warn_days = 7                   # MandatoryPasswordChange::expires_soon window; Default: 7
//! fail_open = false               # expiry unreadable: admit (WARN) instead of 503; Default: false
//! mode = "enforce"                # "report": expired passwords go on, logged and counted; Default: "enforce"
//!
//! [default.security.throttle]
//! enabled = true                  # Default: true
//! storage = "memory"              # or "database" / "redis" (shared by every instance); Default: "memory"
//! ip_threshold = 20               # failures from one address before it is delayed too; Default: 20
//! mode = "enforce"                # "report": throttled attempts reach the password check, logged and counted
//! ```
//!
//! # The catchers and your own
//!
//! `LoginRequired` fails with 401 and `MandatoryPasswordChange` with 403; the
//! crate's catchers for those codes answer browsers with a 303 (to
//! `login_url?next=…` or `change_url`) and API clients (`X-Requested-With:
//! XMLHttpRequest`, `Accept: application/json`, `Sec-Fetch-Mode: cors`) with
//! JSON. Rocket allows one catcher per code: if the application has its own
//! 401/403 catchers, set `catchers = false` and call [`auth_response`] from them.
//!
//! # Deny by default
//!
//! With `Security::fairing().require_login::<User>()`, every request needs a logged-in user except the allow-list, the login URL,
//! the report endpoint, the session-status endpoint and `static_paths`. The
//! check runs before routing, so the handler of a refused request never runs.
//! Unknown paths are treated like any other: they redirect to the login page
//! (a fairing cannot ask Rocket's router which route would match, and a 404
//! for anonymous visitors would also reveal which paths exist).
//!
//! ```
//! use rocket::http::{Header, Status};
//! use rocket::local::blocking::Client;
//! use rocket::request::{self, FromRequest, Request};
//! use rocket::{get, routes};
//! use rocket_security::{Security, SecurityUser};
//!
//! struct User(String);
//!
//! impl SecurityUser for User {
//!     fn security_id(&self) -> String { self.0.clone() }
//! }
//!
//! #[rocket::async_trait]
//! impl<'r> FromRequest<'r> for User {
//!     type Error = ();
//!     async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
//!         match req.cookies().get("user_id") {
//!             Some(c) => request::Outcome::Success(User(c.value().to_string())),
//!             None => request::Outcome::Forward(Status::Unauthorized),
//!         }
//!     }
//! }
//!
//! #[get("/account")]
//! fn account() -> &'static str { "account" }
//!
//! #[get("/login")]
//! fn login() -> &'static str { "the login form" }
//!
//! // Rocket.toml: [default.security.auth] login_url = "/login" (the default)
//! let rocket = rocket::custom(rocket::Config::default())
//!     .attach(Security::fairing().require_login::<User>())
//!     .mount("/", routes![account, login]);
//! let client = Client::tracked(rocket).unwrap();
//!
//! let res = client.get("/account").dispatch();
//! assert_eq!(res.status(), Status::SeeOther);
//! assert_eq!(res.headers().get_one("Location"), Some("/login?next=/account"));
//!
//! let api = client.get("/account").header(Header::new("Accept", "application/json")).dispatch();
//! assert_eq!(api.status(), Status::Unauthorized);
//! assert_eq!(api.into_string().unwrap(), r#"{"login_url":"/login?next=/account"}"#);
//!
//! assert_eq!(client.get("/login").dispatch().status(), Status::Ok);
//! ```

//!
//! # Your own user guard and the session
//!
//! With session expiry on, [`LoginRequired`] and `MandatoryPasswordChange`
//! refuse a request whose session expired, was revoked, or belongs to another
//! user than the login cookie names. On open paths (the login page,
//! `allow`) such a session is dropped, not refused, and its login cookie is
//! still on the request: a guard of the application's that reads the cookie
//! itself asks [`Sessions::is_live`](crate::session::Sessions::is_live) first.
//!
//! ```
//! use rocket::http::Status;
//! use rocket::request::{self, FromRequest, Request};
//! use rocket_security::session::Sessions;
//!
//! struct User(String);
//!
//! #[rocket::async_trait]
//! impl<'r> FromRequest<'r> for User {
//!     type Error = ();
//!     async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
//!         match req.cookies().get("user_id") {
//!             Some(c) if Sessions::is_live(req, c.value()) => request::Outcome::Success(User(c.value().to_string())),
//!             _ => request::Outcome::Forward(Status::Unauthorized),
//!         }
//!     }
//! }
//! ```

pub(crate) mod ajax;
pub(crate) mod answer;
pub(crate) mod config;
pub(crate) mod gate;
pub(crate) mod login;
pub(crate) mod next;
#[cfg(feature = "db")]
pub(crate) mod password_change;
#[cfg(feature = "db")]
pub(crate) mod password_expiry;
pub(crate) mod password_policy;
pub(crate) mod throttle;
pub(crate) mod user;

pub use ajax::{AjaxOnly, NotAjax};
pub use answer::auth_response;
pub use config::{Auth, PasswordChange};
pub use login::{LoginRequired, NotLoggedIn};
pub use next::safe_next;
#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use password_change::{renew_password, MandatoryPasswordChange, PasswordRenewal};
#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use password_expiry::{ExpiryPolicy, PasswordExpiry};
pub use password_policy::{password_policy, PasswordPolicy};
#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use throttle::LoginAttempts;
pub use throttle::{default_delay, delay_message, LoginThrottle, Storage, Throttle, Throttled};
pub use user::SecurityUser;
