//! Persistence: the CSP report store and password expiry, through Diesel
//! and `rocket_db_pools`, on SQLite (the embedded default), PostgreSQL or
//! MySQL/MariaDB.
//!
//! ```toml
//! [default.databases.security]
//! url = "sqlite://security.db"   # postgres://user@host/db, mysql://user@host/db
//! migrate = true                 # run the embedded migrations at ignite; Default: true
//! ```
//!
//! ```no_run
//! use rocket_db_pools::Database;
//! use rocket_security::db::{Migrations, SecurityDb};
//!
//! let rocket = rocket::build()
//!     .attach(SecurityDb::init())
//!     .attach(Migrations::<SecurityDb>::fairing());
//! ```
//!
//! Tables carry the `security_` prefix: `security_csp_violations` (one row per
//! normalised violation: hit count, first and last seen), `security_csp_reports`
//! (raw reports, a capped number per violation) and `security_password_expiry`.
//! Every timestamp is UTC.

pub(crate) mod migrate;
pub(crate) mod models;
pub(crate) mod pool;
pub mod schema;

pub use migrate::{run_migrations, Migrations};
pub use models::attempts::LoginAttempts;
pub use models::csp::{CspHourly, CspReport, CspViolation, NewCspReport, RecordOutcome, ViolationFilter, ViolationKey};
pub use models::password::MAX_USER_ID;
pub use models::password::{ExpiryPolicy, PasswordExpiry};
pub(crate) use pool::with_conn;
pub use pool::{Backend, DbError, SecurityConn, SecurityPool};
/// Re-exported so `#[derive(Database)]` works with only this crate in scope.
pub use rocket_db_pools;

/// The ready-made database handle: `[default.databases.security]`.
#[derive(rocket_db_pools::Database)]
#[database("security")]
pub struct SecurityDb(SecurityPool);
