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
//! passive_paths = []           # polling paths: no activity, no expiry; Default: []
//! cookie_name = "security_session"   # Default: "security_session"
//! clear_site_data = false      # also send Clear-Site-Data: "cookies" on expiry; Default: false
//! status_path = "/security/session"  # JSON seconds left, for a client-side warning
//! ```
//!
//! The stamp holds two UTC integers (login time, last activity), encrypted and
//! authenticated with a key derived from Rocket's `secret_key`, which this
//! feature reads itself (so the crate does not force Rocket's `secrets`
//! feature), and bound to the login cookies' values. It is issued only on the
//! response that sets the login cookies (the login itself): a logged-in
//! request without a valid stamp for its cookies counts as expired
//! (`expired=unverified`), so deleting or swapping the stamp never opens a
//! fresh window. It is a browser-session cookie (no `Expires`): closing the
//! browser ends it. Anonymous visitors get no cookie at all, and within
//! `refresh_interval` no `Set-Cookie` is sent. Login cookies are removed with
//! `Path=/` (and `Secure` over HTTPS or for `__Secure-`/`__Host-` names).
//!
//! On expiry the request is answered before any handler runs: browsers get a
//! 303 to `login_url?next=…&expired=idle|absolute`, API clients a 401 with
//! JSON; the response removes the configured cookies and the stamp (set as
//! raw `Set-Cookie` headers, which Rocket keeps even on error responses), an
//! INFO line is logged (target `security`). On the login page and other open
//! paths the cookies are removed without a redirect.
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use rocket::http::{CookieJar, Status};
//! use rocket::local::blocking::Client;
//! use rocket::{get, post, routes};
//! use rocket_security::core::ManualClock;
//! use rocket_security::Security;
//!
//! #[post("/login")]
//! fn login(jar: &CookieJar<'_>) -> &'static str {
//!     jar.add(("user_id", "alice"));
//!     "welcome"
//! }
//!
//! #[get("/account")]
//! fn account() -> &'static str { "account" }
//!
//! // Rocket.toml: secret_key = "..."; [default.security.session] enabled = true
//! // (`Figment::from(Config::default())` keeps this example off the working directory's Rocket.toml;
//! // an application uses `rocket::Config::figment()` or `rocket::build()`.)
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("secret_key", "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk="))
//!     .merge(("security.session.enabled", true));
//! let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
//! let rocket = rocket::custom(figment)
//!     .attach(Security::fairing().clock(clock.clone()))
//!     .mount("/", routes![login, account]);
//! let client = Client::tracked(rocket).unwrap();
//!
//! let res = client.post("/login").dispatch();
//! assert!(res.headers().get("Set-Cookie").any(|c| c.starts_with("security_session=")));
//! assert_eq!(client.get("/account").dispatch().status(), Status::Ok);
//!
//! clock.advance(Duration::minutes(31)); // past the 30-minute idle timeout
//! let res = client.get("/account").dispatch();
//! assert_eq!(res.status(), Status::SeeOther);
//! assert!(res.headers().get_one("Location").unwrap().ends_with("&expired=idle"));
//! ```

pub(crate) mod config;
pub(crate) mod part;
pub(crate) mod stamp;

pub use config::SessionExpiry;
