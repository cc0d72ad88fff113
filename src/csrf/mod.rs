//! Cross-site request forgery protection, on by default, in the header-based
//! form of Go's `net/http` `CrossOriginProtection` and the OWASP Fetch
//! Metadata rules:
//!
//! - `GET`, `HEAD` and `OPTIONS` pass;
//! - otherwise `Sec-Fetch-Site: same-origin` or `none` passes and any other
//!   value is refused;
//! - without `Sec-Fetch-Site`, an `Origin` whose scheme, host and port differ
//!   from the request's own origin (the scheme as HTTPS detection sees it,
//!   trusted proxies included) is refused, `null` too;
//! - a request with neither header passes (it is not a browser form);
//! - `trusted_origins` pass, `exempt` paths and the report endpoint are not checked;
//! - on `header_auth_paths` (an API authenticated by an `Authorization` header),
//!   a request that carries no cookie is not checked, one that carries a cookie
//!   is; the answer to such an unchecked cross-origin request may not set a
//!   cookie (`403`, its `Set-Cookie` dropped), so a cookie login there cannot be
//!   forged. See [`Csrf::header_auth_paths`] for what it gives up.
//!
//! A CORS front-end meets this check: at launch the crate warns when the app
//! answers CORS (an `OPTIONS` route, `rocket_cors`) while no origin is trusted,
//! and the first refused request that only a CORS preflight could let through
//! is logged (once per process) with the configuration to paste.
//!
//! A refused request never reaches its handler: it gets `403` (a short HTML
//! page, or `{"error":"csrf",...}` for API clients) and an INFO line under
//! `security` with the method, path and deciding header. Token mode
//! (`token = true`) also requires the browser's [`CsrfToken`] on every unsafe
//! request, for browsers that send neither header. The token is bound to the
//! browser's secret cookie (`__Host-security_csrf` over HTTPS, so a sibling
//! subdomain cannot plant one) and, with session expiry on, to the login
//! session: a token from another session is refused, and a login rotates it.
//!
//! ```toml
//! [default.security.csrf]
//! enabled = true
//! trusted_origins = []    # e.g. ["https://partner.example"]
//! exempt = []             # e.g. ["/webhooks/**"]
//! header_auth_paths = []  # e.g. ["/api/**"]: token API, unchecked without cookies
//! token = false
//! mode = "enforce"        # "report": let refused requests through, logged and counted
//! ```
//!
//! ```
//! use rocket::http::{Header, Status};
//! use rocket::local::blocking::Client;
//! use rocket::post;
//!
//! #[post("/password/change")]
//! fn change() -> &'static str { "changed" }
//!
//! let rocket = rocket::custom(rocket::Config::default())
//!     .attach(rocket_security::Security::fairing())
//!     .mount("/", rocket::routes![change]);
//! let client = Client::tracked(rocket).unwrap();
//!
//! let forged = client
//!     .post("/password/change")
//!     .header(Header::new("Host", "example.com"))
//!     .header(Header::new("Sec-Fetch-Site", "cross-site"))
//!     .dispatch();
//! assert_eq!(forged.status(), Status::Forbidden);
//!
//! let own = client
//!     .post("/password/change")
//!     .header(Header::new("Host", "example.com"))
//!     .header(Header::new("Origin", "http://example.com"))
//!     .dispatch();
//! assert_eq!(own.status(), Status::Ok);
//! ```

pub(crate) mod check;
pub(crate) mod config;
pub(crate) mod part;
pub(crate) mod token;

pub use config::Csrf;
pub use token::{CsrfToken, NoCsrfKey};
