//! # rocket_security
//!
//! Security headers, HTTPS awareness and privacy guards for
//! [Rocket](https://rocket.rs) 0.5 — what Django's `django-security` gives a
//! Django app, with its known bugs fixed and current defaults.
//!
//! ## Quick start
//!
//! ```toml
//! [dependencies]
//! rocket = "0.5.2"
//! # Not on crates.io: a path to a checkout of the repository, or `git = "<its URL>"`.
//! rocket_security = { path = "../rocket_security" }
//! ```
//!
//! ```no_run
//! use rocket::{get, launch, routes};
//!
//! #[get("/")]
//! fn index() -> &'static str { "hello" }
//!
//! #[launch]
//! fn rocket() -> _ {
//!     rocket::build()
//!         .attach(rocket_security::Security::fairing())
//!         .mount("/", routes![index])
//! }
//! ```
//!
//! With no configuration at all every response gets the secure defaults
//! below; no database, no `secret_key` and no Rocket feature is needed.
//!
//! ## Cargo features
//!
//! None is on by default: with none the crate pulls in no database crate, and
//! everything works but what a security database stores.
//!
//! | feature | adds |
//! |---|---|
//! | `sqlite` | the security database on SQLite, compiled in (no system library) |
//! | `postgres` | the same on PostgreSQL (tokio-postgres, no libpq) |
//! | `mysql` | the same on MySQL / MariaDB (mysql_async, no libmysqlclient) |
//! | `redis` | limits, counters and session revocations shared by every instance (`SecurityCache`); beside a backend |
//!
//! A backend adds the stored CSP reports behind the dashboard, password expiry
//! (`MandatoryPasswordChange`), the server-side session registry (logout and
//! revocations end copied cookies, [`Sessions::list`](session::Sessions::list))
//! and login throttling counters shared through the database. Without one,
//! session expiry runs with `registry = false`, the collector logs and counts
//! reports without storing them, and throttling counts per process. Items that
//! need a feature say which in these docs.
//!
//! ## Configuration
//!
//! Everything lives in the `security` table of the active profile:
//!
//! ```toml
//! [default.security]
//! server_header = false
//!
//! [default.security.hsts]
//! max_age = 63072000
//! preload = false
//!
//! [default.security.https]
//! trusted_proxies = ["10.0.0.0/8"]
//!
//! [default.security.frame_options]
//! exclude = ["/embed/**"]
//! ```
//!
//! or, for one deploy, `ROCKET_SECURITY='{hsts={max_age=0}}'`. The
//! configuration is validated at ignite. A mistake aborts the launch with
//! messages naming the full key and the fix, for example:
//!
//! ```text
//! `security.hsts.maxage`: unknown key; did you mean `max_age`? the keys of `security.hsts` are: ...
//! ```
//!
//! A header is never silently dropped. [`SecurityConfig::from_figment`] runs
//! the same validation in tests or tools.
//!
//! ## Default headers
//!
//! | Header | Default | Feature |
//! |---|---|---|
//! | `Content-Security-Policy` | strict `'self'` policy (see [`Csp`](csp::Csp)) | [`Csp`](csp::Csp) |
//! | `Strict-Transport-Security` | `max-age=63072000; includeSubDomains`, HTTPS requests only | [`Hsts`](headers::Hsts) |
//! | `X-Content-Type-Options` | `nosniff` | [`NoSniff`](headers::NoSniff) |
//! | `X-Frame-Options` | `DENY` | [`FrameOptions`](headers::FrameOptions) |
//! | `X-XSS-Protection` | `0` | [`XssProtection`](headers::XssProtection) |
//! | `Referrer-Policy` | `no-referrer` | [`ReferrerPolicy`](headers::ReferrerPolicy) |
//! | `Permissions-Policy` | powerful features denied, `sync-xhr=(self)` | [`PermissionsPolicy`](headers::PermissionsPolicy) |
//! | `Cross-Origin-Opener-Policy` | `same-origin` | [`CrossOriginOpenerPolicy`](headers::CrossOriginOpenerPolicy) |
//! | `Cross-Origin-Resource-Policy` | `same-origin` | [`CrossOriginResourcePolicy`](headers::CrossOriginResourcePolicy) |
//! | `Cross-Origin-Embedder-Policy` | off (opt-in) | [`CrossOriginEmbedderPolicy`](headers::CrossOriginEmbedderPolicy) |
//! | `Origin-Agent-Cluster` | `?1` | [`OriginAgentCluster`](headers::OriginAgentCluster) |
//! | `X-Permitted-Cross-Domain-Policies` | `none` | [`CrossDomainPolicies`](headers::CrossDomainPolicies) |
//! | `X-DNS-Prefetch-Control` | `off` | [`DnsPrefetch`](headers::DnsPrefetch) |
//! | `Cache-Control: no-store, max-age=0` | configured confidential paths | [`NoStore`](headers::NoStore) |
//! | `Clear-Site-Data` | configured paths (logout) | [`ClearSiteData`](headers::ClearSiteData) |
//! | `P3P` | off (legacy opt-in) | [`P3p`](headers::P3p) |
//! | `Cross-Origin-Opener-Policy-Report-Only` | off | [`CrossOriginOpenerPolicyReportOnly`](headers::CrossOriginOpenerPolicyReportOnly) |
//! | `Cross-Origin-Embedder-Policy-Report-Only` | off | [`CrossOriginEmbedderPolicyReportOnly`](headers::CrossOriginEmbedderPolicyReportOnly) |
//! | `Permissions-Policy-Report-Only` | off | [`PermissionsPolicyReportOnly`](headers::PermissionsPolicyReportOnly) |
//! | `Integrity-Policy` | off | [`IntegrityPolicy`](headers::IntegrityPolicy) |
//! | `Integrity-Policy-Report-Only` | off | [`IntegrityPolicyReportOnly`](headers::IntegrityPolicyReportOnly) |
//! | `NEL`, `Report-To` | off, HTTPS requests only | [`Nel`](headers::Nel) |
//! | `Reporting-Endpoints` | the CSP group on HTTPS; one header for every group in use | [`Reporting`](headers::Reporting) |
//! | `Server` | removed | [`SecurityConfig::server_header`] |
//!
//! ## HTTPS
//!
//! HSTS is sent only on requests that really arrived over HTTPS
//! (RFC 6797 §7.2): Rocket's own TLS, or a trusted proxy's
//! `X-Forwarded-Proto: https`. See [`Https`](core::Https), which also redirects plain HTTP.
//!
//! ## Per path and per route
//!
//! Every header feature takes `paths` and `exclude` lists of [`PathPattern`](core::PathPattern)s.
//! A handler can set, replace or remove any header with [`Override`]; a
//! header the handler set itself is kept unless `security.overwrite = true`.
//!
//! ## One feature at a time
//!
//! Each feature type has `fairing()` (from `Rocket.toml`) and
//! `into_fairing()` (typed config in code):
//!
//! ```no_run
//! use rocket_security::headers::{FrameOptions, Hsts};
//! let rocket = rocket::build()
//!     .attach(Hsts::fairing())
//!     .attach(FrameOptions { value: "SAMEORIGIN".into(), ..Default::default() }.into_fairing());
//! ```
//!
//! ## Content-Security-Policy
//!
//! Typed, validated policies (enforce, report-only or both), lazy per-request
//! nonces ([`CspNonce`]), hashes ([`CspHash`](csp::CspHash)), per-path policies and
//! per-route changes ([`CspOverride`](csp::CspOverride)), reporting to the crate's collector.
//! See [`csp`].
//!
//! ## CSP report collector
//!
//! `POST /security/csp-report` accepts both browser formats, filters noise,
//! rate-limits, logs and (with a database) stores aggregated violations;
//! [`Security::reports_dashboard`] mounts a dashboard. See [`reports`].
//!
//! ## Subresource integrity
//!
//! With `security.sri.enabled = true`, the `sha384` digest of every file under
//! the static directory is computed at ignite; the [`Integrity`](sri::Integrity)
//! request guard gives a template the `integrity` value of a URL path, so a site
//! can send `Integrity-Policy` for its own scripts. See [`sri`].
//!
//! ## Persistence
//!
//! Diesel models through `rocket_db_pools` on SQLite, PostgreSQL or MySQL,
//! with embedded migrations. See `db` (features `sqlite`, `postgres`,
//! `mysql`; none is on by default).
//!
//! ## Authentication and sessions
//!
//! The application's user type implements [`SecurityUser`]; then
//! [`LoginRequired`], `MandatoryPasswordChange` and [`AjaxOnly`] guard routes,
//! [`Security::require_login`] denies by default, [`auth::LoginThrottle`]
//! throttles logins, and [`session`] expires sessions (idle and absolute).
//! See [`auth`] and [`session`].
//!
//! ```no_run
//! use rocket::{get, launch, routes};
//! use rocket::request::{self, FromRequest, Request};
//! use rocket_security::{LoginRequired, Security, SecurityUser};
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
//!         match req.cookies().get_pending("user_id") {
//!             Some(c) => request::Outcome::Success(User(c.value().to_string())),
//!             None => request::Outcome::Forward(rocket::http::Status::Unauthorized),
//!         }
//!     }
//! }
//!
//! #[get("/account")]
//! fn account(user: LoginRequired<User>) -> String { format!("hello {}", user.0 .0) }
//!
//! #[launch]
//! fn rocket() -> _ {
//!     rocket::build().attach(Security::fairing()).mount("/", routes![account])
//! }
//! ```
//!
//! ## Logging
//!
//! Everything logs through [`tracing`] under the target `security`. With
//! no tracing subscriber installed the events go to the `log` crate, so they
//! appear in Rocket's own log output. At liftoff there is one line per
//! feature with its effective values. At ignite, the deploy check in the
//! spirit of Django's `check --deploy`: each [`Finding`](core::Finding)
//! (HSTS off or unreachable in release, an open `Host` header, throttling
//! per process beside a shared database, a check that fails open, ...) with
//! its id, severity and fix; [`Security::deploy_check`] makes warnings fatal
//! and [`Security::findings`] lists them without launching.
//!
//! ## The crate's layout
//!
//! | module | what it holds |
//! |---|---|
//! | [`core`] | what every feature builds on: the config reader and errors, path patterns, the clock, HTTPS detection, header rules, [`Override`], and the part trait the fairing runs |
//! | [`headers`] | one file per header family (HSTS, framing, referrer, permissions, cross-origin, caching, legacy, DNT/GPC) |
//! | [`csp`] | Content-Security-Policy: config, compiler, renderer, nonces, per-route changes |
//! | [`session`] | idle and absolute session expiry |
//! | [`auth`] | the user trait, guards, deny-by-default, throttling, safe `next`, password policy |
//! | [`reports`] | the CSP violation collector and its dashboard |
//! | [`sri`] | subresource integrity: the static files' `sha384` digests for templates |
//! | [`db`] | persistence through `rocket_db_pools` + Diesel |
//!
//! [`Security`] is the composition root: the one place that lists the
//! features. At the crate root are only the quick-start items: [`Security`],
//! [`SecurityConfig`], [`SecurityUser`], the guards ([`LoginRequired`],
//! `MandatoryPasswordChange`, [`AjaxOnly`], [`DoNotTrack`]), [`CspNonce`] and
//! [`Override`].
//!
//! ## Differences from django-security
//!
//! See the README for the full list; each feature's docs name its own. The
//! migration guide (`docs/migrating-from-django-security.md` in the
//! repository) maps every django-security setting, middleware, view,
//! decorator and model to its equivalent here.
//!
//! ## Examples
//!
//! `examples/` holds one small runnable app per feature family, each with its
//! `Rocket.toml` snippet, each started and checked by `tests/examples`:
//! `headers` (zero configuration), `templates` (a [`CspNonce`] in a Tera
//! template), `login` (`LoginRequired`, throttling, CSRF), `collector` (the
//! report collector and dashboard on SQLite), `production` (behind a
//! TLS-terminating proxy, on PostgreSQL), and `showcase` (everything).

// Without a database backend, the storage shapes and the sink plumbing are unused.
#![cfg_attr(not(feature = "db"), allow(dead_code))]
#![cfg_attr(docsrs, feature(doc_cfg))]

// `redis` shares what a security database holds: it needs one of the backends.
#[cfg(all(feature = "redis", not(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
compile_error!(
    "rocket_security: the `redis` feature needs a database backend; enable `sqlite`, `postgres` or `mysql` too"
);

pub mod auth;
pub mod cookies;
pub mod core;
pub mod csp;
pub mod csrf;
pub mod db;
pub mod headers;
mod hosts;
mod redirect;
pub mod reports;
mod security;
pub mod session;
pub mod sri;

#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use crate::auth::MandatoryPasswordChange;
pub use crate::auth::{AjaxOnly, LoginRequired, SecurityUser};
pub use crate::core::Override;
pub use crate::csp::CspNonce;
pub use crate::headers::DoNotTrack;
pub use crate::security::{Security, SecurityConfig};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
