//! Persistence: the CSP report store and password expiry, through Diesel
//! and `rocket_db_pools`, on SQLite (compiled in: feature `sqlite`),
//! PostgreSQL (`postgres`) or MySQL/MariaDB (`mysql`); none is on by default.
//!
//! ```toml
//! [default.databases.security]
//! url = "sqlite://security.db"   # postgres://user@host/db, mysql://user@host/db
//! migrate = true                 # run the embedded migrations at ignite; Default: true
//! ```
//!
//! ```
//! # #[cfg(feature = "sqlite")] rocket::execute(async {
//! use chrono::Utc;
//! use rocket_db_pools::Database;
//! use rocket_security::auth::{ExpiryPolicy, PasswordExpiry};
//! use rocket_security::db::{Migrations, SecurityDb};
//!
//! let file = std::env::temp_dir().join(format!("rocket-security-doc-{}.db", std::process::id()));
//! // Rocket.toml: [default.databases.security] url = "sqlite://security.db"
//! // (`Figment::from(Config::default())` keeps this example off the working directory's Rocket.toml;
//! // an application uses `rocket::Config::figment()` or `rocket::build()`.)
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("databases.security.url", format!("sqlite://{}", file.display())));
//! let rocket = rocket::custom(figment)
//!     .attach(SecurityDb::init())
//!     .attach(Migrations::<SecurityDb>::fairing())
//!     .ignite()
//!     .await
//!     .unwrap();
//!
//! let mut conn = SecurityDb::fetch(&rocket).unwrap().conn().await.unwrap();
//! let policy = ExpiryPolicy { expire_new_users: true, max_age: None };
//! let row = PasswordExpiry::get_or_create(&mut conn, "alice", policy, Utc::now()).await.unwrap();
//! assert!(row.is_expired(Utc::now()));
//! # drop(conn);
//! # let _ = std::fs::remove_file(&file);
//! # });
//! ```
//!
//! Tables carry the `security_` prefix: `security_csp_violations` (one row per
//! normalised violation: hit count, first and last seen), `security_csp_reports`
//! (raw reports, a capped number per violation) and `security_password_expiry`.
//! Every timestamp is UTC.
//!
//! The CSP report models live beside the reports feature: the report itself
//! ([`NewCspReport`](crate::reports::NewCspReport)), its key
//! ([`ViolationKey`](crate::reports::ViolationKey)) and the stored rows
//! ([`CspViolation`](crate::reports::CspViolation), [`CspReport`](crate::reports::CspReport),
//! [`ViolationGroup`](crate::reports::ViolationGroup), [`Triage`](crate::reports::Triage)...)
//! are in [`crate::reports`] (they were `rocket_security::db::*` before).

#[cfg(feature = "db")]
pub(crate) mod bind;
#[cfg(feature = "redis")]
pub(crate) mod cache;
#[cfg(feature = "db")]
pub(crate) mod handle;
#[cfg(feature = "db")]
pub(crate) mod migrate;
#[cfg(feature = "db")]
pub(crate) mod models;
#[cfg(feature = "db")]
pub(crate) mod pool;
#[cfg(feature = "db")]
pub(crate) mod refusals;
#[cfg(feature = "db")]
pub(crate) mod schema;

#[cfg(feature = "db")]
pub(crate) use bind::bound;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use cache::SecurityCache;
#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use handle::SecurityDb;
#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use migrate::{run_migrations, Migrations};
#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use models::refusals::WouldRefuse;
#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use models::MAX_USER_ID;
#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use pool::{Backend, DbError, SecurityConn, SecurityPool};
/// Re-exported so `#[derive(Database)]` works with only this crate in scope.
#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use rocket_db_pools;
