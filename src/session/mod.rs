//! Session expiry: an idle timeout and an absolute lifetime together, kept in
//! an encrypted cookie, for sessions the application keeps in its own cookies.
//!
//! ```toml
//! [default.security.session]
//! enabled = false              # Default: false (needs Rocket's `secret_key`)
//! cookies = ["user_id"]        # the application's login cookies: present = logged in,
//!                              # removed on expiry; Default: ["user_id"]
//! idle_timeout = 1800          # seconds without activity; Default: 1800 (30 min)
//! absolute_timeout = 28800     # seconds since login, activity or not; Default: 28800 (8 h)
//! refresh_interval = 60        # the activity stamp is rewritten at most this often; Default: 60
//! passive_paths = []           # polling paths: never activity (both limits still hold); Default: []
//! cookie_name = "security_session"   # Default: "security_session"
//! clear_site_data = false      # also send Clear-Site-Data: "cookies" on expiry; Default: false
//! status_path = "/security/session"  # JSON seconds left, for a client-side warning
//! registry = true              # keep sessions in the security database; Default: true
//! revocation_check_ms = 1000   # revocations reach every instance within this; 0: ask the
//!                              # database on every request; Default: 1000
//! fail_open = false            # registry unreachable: admit (WARN) instead of 503; Default: false
//! prune_interval = 3600        # seconds between prunings of ended sessions; Default: 3600
//! max_per_user = 3             # live sessions a user may have (1-100; 0: no limit); Default: 0
//! on_limit = "end_oldest"      # beyond it: "end_oldest" (least recently active) or "refuse"
//!                              # the login; Default: "end_oldest"
//! ```
//!
//! # Sessions on the server
//!
//! The application starts a session with [`Sessions::login`] in its login
//! handler, after checking the password: a new random id (128 bits from a
//! CSPRNG) goes into the stamp and, with the registry, into the
//! `security_sessions` table (user id, created, last seen, a client summary).
//! Only that call starts the absolute clock; a stamp or id from before the
//! login is never kept (no session fixation), and re-setting the login cookie
//! does not extend anything. [`Sessions::logout`] ends the session on the
//! server, so copied cookies stop working; [`Sessions::revoke_others`] (after
//! a password change), [`Sessions::revoke_all`] and [`Sessions::revoke`] end
//! other sessions; [`Sessions::list`] feeds an "active sessions" page. A
//! response that removes the login cookies also ends the session.
//!
//! Ended, unknown and revoked sessions are refused like expired ones
//! (`expired=revoked`). An idle or absolute expiry seen on any copy of the
//! cookies ends the session in the registry too (reason `idle` or
//! `absolute`), before the answer is sent: each copy of the stamp carries its
//! own activity time, so without that a copy that kept itself fresh would
//! outlive the one that expired. With the registry the session also belongs
//! to the user `login` was given: the crate's user guards refuse it with
//! another user's login cookie (`expired=unverified`, a WARN line). Every instance honours a revocation within
//! `revocation_check_ms`: each keeps what it last read of a session for that
//! long (per-process, bounded to 100,000 sessions), the database is the
//! truth. With the Redis store attached
//! (`rocket_security::db::SecurityCache`, feature `redis`) the
//! instance that ends a session publishes it and every instance drops it at
//! once; while Redis cannot answer, the bound above still holds. When the registry cannot answer, logged-in requests get `503`
//! (`fail_open = true` admits them, logged at WARN); anonymous requests and
//! the login page are unaffected. Ended sessions are pruned every
//! `prune_interval` seconds.
//!
//! # Session limits
//!
//! `max_per_user = N` keeps at most `N` live sessions per user on every
//! instance together (Spring Security's `maximumSessions`). At a login beyond
//! it, `on_limit = "end_oldest"` ends the user's least recently active
//! session (reason `session_limit:N`: its next request is refused as revoked,
//! `expired=revoked&ended=session_limit:N`, and [`Sessions::ended`] lists it
//! with the reason), and `on_limit = "refuse"` refuses the login with
//! [`SessionError::LimitReached`] (`409` as a responder). The count and the
//! new row are written in one transaction under a lock of the user's row in
//! `security_session_locks`, so parallel logins never get past the limit
//! together; see [`Sessions::login`]. `max_per_user = 0` (the default) is no
//! limit: an override switches a limit off with it.
//!
//! The stamp holds two UTC integers (login time, last activity) and the
//! session id, encrypted and
//! authenticated with a key derived from Rocket's `secret_key`, which this
//! feature reads itself (so the crate does not force Rocket's `secrets`
//! feature), and bound to the login cookies' values. After a key rotation a
//! stamp sealed with a key in `security.secret_key_fallbacks` is accepted and
//! sealed again with `secret_key` on that response (same times, same
//! session). It is issued only by
//! [`Sessions::login`]: a logged-in
//! request without a valid stamp for its cookies counts as expired
//! (`expired=unverified`), so deleting or swapping the stamp never opens a
//! fresh window. It is a browser-session cookie (no `Expires`): closing the
//! browser ends it. Anonymous visitors get no cookie at all, and within
//! `refresh_interval` no `Set-Cookie` is sent. Login cookies are removed with
//! `Path=/` (and `Secure` over HTTPS or for `__Secure-`/`__Host-` names).
//!
//! On expiry the request is answered before any handler runs: browsers get a
//! 303 to `login_url?next=…&expired=idle|absolute|revoked|unverified`, API clients a 401 with
//! JSON; the response removes the configured cookies and the stamp (set as
//! raw `Set-Cookie` headers, which Rocket keeps even on error responses), an
//! INFO line is logged (target `security`). On the login page and other open
//! paths the cookies are removed without a redirect; an application guard
//! that reads the login cookie itself asks [`Sessions::is_live`] there.
//! Passive paths (polling) never count as activity, so they never extend a
//! session; both limits and revocation hold on them like anywhere else.
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use chrono::{Duration, TimeZone, Utc};
//! use rocket::http::{Cookie, CookieJar, Status};
//! use rocket::local::blocking::Client;
//! use rocket::{get, post, routes};
//! use rocket_db_pools::Database;
//! use rocket_security::core::ManualClock;
//! use rocket_security::db::{Migrations, SecurityDb};
//! use rocket_security::session::{SessionError, Sessions};
//! use rocket_security::{Security, SecurityUser};
//!
//! struct User(String);
//! impl SecurityUser for User {
//!     fn security_id(&self) -> String { self.0.clone() }
//! }
//!
//! #[post("/login")]
//! async fn login(jar: &CookieJar<'_>, sessions: Sessions<'_>) -> Result<&'static str, SessionError> {
//!     jar.add(("user_id", "alice")); // after checking the password
//!     sessions.login(&User("alice".into())).await?;
//!     Ok("welcome")
//! }
//!
//! #[post("/logout")]
//! async fn logout(jar: &CookieJar<'_>, sessions: Sessions<'_>) -> Result<&'static str, SessionError> {
//!     jar.remove("user_id");
//!     sessions.logout().await?;
//!     Ok("bye")
//! }
//!
//! #[get("/account")]
//! fn account() -> &'static str { "account" }
//!
//! // Rocket.toml: secret_key = "..."
//! //              [default.security.session] enabled = true
//! //              [default.databases.security] url = "sqlite://security.db"
//! let db = std::env::temp_dir().join(format!("rocket-security-session-doc-{}.db", std::process::id()));
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("secret_key", "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk="))
//!     .merge(("security.session.enabled", true))
//!     .merge(("databases.security.url", format!("sqlite://{}", db.display())));
//! let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
//! let rocket = rocket::custom(figment)
//!     .attach(SecurityDb::init())
//!     .attach(Migrations::<SecurityDb>::fairing())
//!     .attach(Security::fairing().clock(clock.clone()))
//!     .mount("/", routes![login, logout, account]);
//! let client = Client::tracked(rocket).unwrap();
//!
//! let res = client.post("/login").dispatch();
//! assert!(res.headers().get("Set-Cookie").any(|c| c.starts_with("security_session=")));
//! assert_eq!(client.get("/account").dispatch().status(), Status::Ok);
//!
//! // Cookies copied before the logout no longer open anything.
//! let copied: Vec<Cookie<'static>> = client.cookies().iter().map(|c| c.clone().into_owned()).collect();
//! client.post("/logout").dispatch();
//! let res = client.get("/account").cookies(copied).dispatch();
//! assert_eq!(res.status(), Status::SeeOther);
//! assert_eq!(res.headers().get_one("Location"), Some("/login?next=/account&expired=revoked"));
//!
//! // Idle sessions end too.
//! client.post("/login").dispatch();
//! clock.advance(Duration::minutes(31)); // past the 30-minute idle timeout
//! let res = client.get("/account").dispatch();
//! assert_eq!(res.headers().get_one("Location"), Some("/login?next=/account&expired=idle"));
//! # let _ = std::fs::remove_file(&db);
//! # }
//! ```

pub(crate) mod api;
pub(crate) mod config;
pub(crate) mod error;
pub(crate) mod part;
pub(crate) mod reason;
#[cfg(feature = "db")]
pub(crate) mod records;
pub(crate) mod registry;
pub(crate) mod rows;
pub(crate) mod stamp;
pub(crate) mod state;

pub use api::{ActiveSession, EndedSession, Sessions};
pub use config::{OnLimit, SessionExpiry};
pub use error::SessionError;
#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use records::{SessionRecord, SessionState};
