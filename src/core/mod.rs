//! The core every feature builds on; it knows no feature.
//!
//! - [`config`](self) reading: a strict reader over figment values, every
//!   mistake reported with its full key ([`ConfigError`], [`ConfigErrors`]);
//! - path patterns ([`PathPattern`]) and the scopes built from them;
//! - the clock ([`Clock`], [`SystemClock`], [`ManualClock`]);
//! - the keys every sealer uses: Rocket's `secret_key` and the keys it held
//!   before ([`SecretKeyFallback`]), and the development key file;
//! - HTTPS detection ([`Https`]): Rocket's TLS, or a trusted proxy's header;
//! - header rules: a header validated and rendered once at ignite, sent with
//!   a lookup and an insert;
//! - the one `Reporting-Endpoints` header every reporting header adds its
//!   group to;
//! - route-level header changes ([`Override`]);
//! - the trait a feature implements to take part in ignite, liftoff,
//!   requests and responses, and the fairing runner that calls the parts in
//!   a fixed order without naming any.
//!
//! Applications meet the core through the types re-exported here; features
//! live in their own modules ([`headers`](crate::headers), [`csp`](crate::csp),
//! [`session`](crate::session), [`auth`](crate::auth), [`reports`](crate::reports)).
//!
//! ```
//! use rocket_security::core::{ManualClock, PathPattern};
//! use chrono::{TimeZone, Utc};
//!
//! assert!(PathPattern::parse("/admin/**").unwrap().matches_path("/admin/users"));
//! let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
//! let rocket = rocket::build().attach(rocket_security::Security::fairing().clock(clock));
//! ```

pub(crate) mod check;
pub(crate) mod client;
pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod drain;
pub(crate) mod error;
pub(crate) mod every;
pub(crate) mod fairing;
pub(crate) mod feature;
pub(crate) mod hex;
pub(crate) mod host;
pub(crate) mod https;
pub(crate) mod keys;
pub(crate) mod local;
pub(crate) mod part;
pub(crate) mod paths;
pub(crate) mod principal;
pub(crate) mod reporting;
pub(crate) mod rollout;
pub(crate) mod route;
pub(crate) mod rules;
pub(crate) mod secret;

pub use check::{Finding, Severity};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ConfigError, ConfigErrors};
pub use https::Https;
pub use keys::SecretKeyFallback;
pub use paths::{PathPattern, PatternError};
pub use rollout::{observations, Mode, Observation};
pub use route::Override;
pub use secret::{development_secret_key, DEVELOPMENT_KEY_FILE};
