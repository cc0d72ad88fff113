//! [`SecurityDb`]: the ready-made `rocket_db_pools` database.

use super::pool::SecurityPool;

/// The ready-made database handle: `[default.databases.security]`.
///
/// ```no_run
/// use rocket_db_pools::Database;
/// use rocket_security::db::{Migrations, SecurityDb};
///
/// let rocket = rocket::build()
///     .attach(SecurityDb::init())
///     .attach(Migrations::<SecurityDb>::fairing());
/// ```
#[derive(rocket_db_pools::Database)]
#[database("security")]
pub struct SecurityDb(SecurityPool);
