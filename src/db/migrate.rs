//! Embedded migrations (one folder per backend under `migrations/`, in the
//! layout the `diesel` CLI understands), run at ignite by [`Migrations`].

use std::marker::PhantomData;

use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::{Build, Rocket};
use rocket_db_pools::Database;

use super::pool::{DbError, SecurityConn, SecurityPool};

#[cfg(feature = "sqlite")]
const SQLITE: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/postgres");
#[cfg(feature = "mysql")]
const MYSQL: EmbeddedMigrations = diesel_migrations::embed_migrations!("migrations/mysql");

/// Runs the pending migrations on `conn`; returns how many were applied.
/// Idempotent: a second run applies none.
///
/// ```
/// # #[cfg(feature = "sqlite")] rocket::execute(async {
/// use rocket_security::db::{run_migrations, SecurityPool};
/// let pool = SecurityPool::from_url("sqlite::memory:").unwrap();
/// let applied = run_migrations(pool.conn().await.unwrap()).await.unwrap();
/// assert!(applied > 0);
/// # });
/// ```
pub async fn run_migrations(conn: SecurityConn) -> Result<usize, DbError> {
    fn failed(e: impl std::fmt::Display) -> DbError {
        DbError::Migration(e.to_string())
    }
    match conn {
        #[cfg(feature = "sqlite")]
        SecurityConn::Sqlite(mut o) => o
            .spawn_blocking(|c| Ok(c.run_pending_migrations(SQLITE).map(|v| v.len()).map_err(|e| e.to_string())))
            .await
            .map_err(failed)?
            .map_err(DbError::Migration),
        #[cfg(feature = "postgres")]
        SecurityConn::Postgres(o) => {
            let conn = diesel_async::pooled_connection::deadpool::Object::take(o);
            rocket::tokio::task::spawn_blocking(move || {
                let mut w = diesel_async::async_connection_wrapper::AsyncConnectionWrapper::<
                    diesel_async::AsyncPgConnection,
                >::from(conn);
                w.run_pending_migrations(POSTGRES).map(|v| v.len()).map_err(failed)
            })
            .await
            .map_err(failed)?
        }
        #[cfg(feature = "mysql")]
        SecurityConn::Mysql(o) => {
            let conn = diesel_async::pooled_connection::deadpool::Object::take(o);
            rocket::tokio::task::spawn_blocking(move || {
                let mut w = diesel_async::async_connection_wrapper::AsyncConnectionWrapper::<
                    diesel_async::AsyncMysqlConnection,
                >::from(conn);
                w.run_pending_migrations(MYSQL).map(|v| v.len()).map_err(failed)
            })
            .await
            .map_err(failed)?
        }
    }
}

/// Runs the crate's migrations on database `D` at ignite.
///
/// ```no_run
/// # use rocket_db_pools::Database;
/// use rocket_security::db::{Migrations, SecurityDb};
///
/// let rocket = rocket::build()
///     .attach(SecurityDb::init())
///     .attach(Migrations::<SecurityDb>::fairing());
/// ```
///
/// Switch it off with `[default.databases.security] migrate = false` (for
/// example when the schema is managed with the `diesel` CLI). A database that
/// cannot be reached at launch is logged and does not stop the launch (pages
/// that don't need the database keep working); a migration that fails on a
/// reachable database aborts it.
pub struct Migrations<D>(PhantomData<fn() -> D>);

impl<D: Database<Pool = SecurityPool>> Migrations<D> {
    /// The fairing.
    ///
    /// ```
    /// use rocket::fairing::Fairing;
    /// use rocket_db_pools::Database;
    /// use rocket_security::db::{Migrations, SecurityDb};
    ///
    /// let migrations = Migrations::<SecurityDb>::fairing();
    /// assert_eq!(migrations.info().name, "rocket_security migrations");
    /// let rocket = rocket::build().attach(SecurityDb::init()).attach(migrations);
    /// ```
    pub fn fairing() -> Self {
        Migrations(PhantomData)
    }
}

#[rocket::async_trait]
impl<D: Database<Pool = SecurityPool>> Fairing for Migrations<D> {
    fn info(&self) -> Info {
        Info { name: "rocket_security migrations", kind: Kind::Ignite }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        let key = format!("databases.{}.migrate", D::NAME);
        match rocket.figment().extract_inner::<bool>(&key) {
            Ok(false) => {
                tracing::info!(target: "security", "migrations of database `{}` are off (`{key} = false`)", D::NAME);
                return Ok(rocket);
            }
            Ok(true) => {}
            Err(e) if e.missing() => {}
            Err(e) => {
                tracing::error!(target: "security", "`{key}`: expected true or false ({e})");
                return Err(rocket);
            }
        }
        let Some(db) = D::fetch(&rocket) else {
            tracing::error!(
                target: "security",
                "database `{}` is not attached: attach `{}::init()` before the migrations fairing",
                D::NAME,
                std::any::type_name::<D>()
            );
            return Err(rocket);
        };
        let pool: &SecurityPool = db;
        let conn = match pool.conn().await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(
                    target: "security",
                    "database `{}` unreachable at launch, migrations not run: {e}; pages that don't need it keep \
                     working, restart once it is up",
                    D::NAME
                );
                return Ok(rocket);
            }
        };
        let backend = conn.backend();
        match run_migrations(conn).await {
            Ok(n) => {
                tracing::info!(target: "security", "database `{}` ({backend}): {n} migration(s) applied", D::NAME);
                Ok(rocket)
            }
            Err(e) => {
                tracing::error!(target: "security", "database `{}` ({backend}): {e}", D::NAME);
                Err(rocket)
            }
        }
    }
}
