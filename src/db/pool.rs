//! [`SecurityPool`]: one `rocket_db_pools::Pool` over diesel-async for SQLite,
//! PostgreSQL and MySQL, the backend chosen by the URL scheme.

use std::fmt;
use std::time::Duration;

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
#[cfg(feature = "sqlite")]
use diesel_async::pooled_connection::ManagerConfig;
use rocket::figment::Figment;

#[cfg(feature = "mysql")]
use diesel_async::AsyncMysqlConnection;
#[cfg(feature = "postgres")]
use diesel_async::AsyncPgConnection;

/// SQLite through diesel's synchronous connection, run on blocking threads.
#[cfg(feature = "sqlite")]
pub(crate) type SqliteConnection =
    diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>;

/// Which database a pool talks to.
///
/// ```
/// use rocket_security::db::Backend;
/// assert_eq!(Backend::Postgres.to_string(), "PostgreSQL");
/// let placeholder = |b: Backend| if b == Backend::Postgres { "$1" } else { "?" };
/// assert_eq!(placeholder(Backend::Sqlite), "?");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (a file).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MySQL",
        })
    }
}

impl Backend {
    /// The backend a database URL names, and the URL diesel expects.
    ///
    /// `sqlite://file.db`, `sqlite:file.db` and a bare `file.db`/`file.sqlite`
    /// are SQLite; `postgres://` and `postgresql://` PostgreSQL; `mysql://` and
    /// `mariadb://` MySQL.
    ///
    /// ```
    /// use rocket_security::db::Backend;
    /// assert_eq!(Backend::from_url("sqlite://security.db").unwrap(), (Backend::Sqlite, "security.db".into()));
    /// assert_eq!(Backend::from_url("mariadb://app@db/app").unwrap().1, "mysql://app@db/app");
    /// assert!(Backend::from_url("redis://cache").is_err());
    /// ```
    pub fn from_url(url: &str) -> Result<(Backend, String), DbError> {
        let lower = url.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("sqlite:").map(|_| &url["sqlite:".len()..]) {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            return Ok((Backend::Sqlite, path.to_string()));
        }
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok((Backend::Postgres, url.to_string()));
        }
        if lower.starts_with("mysql://") {
            return Ok((Backend::Mysql, url.to_string()));
        }
        if lower.starts_with("mariadb://") {
            return Ok((Backend::Mysql, format!("mysql://{}", &url["mariadb://".len()..])));
        }
        if !url.contains("://") && (lower.ends_with(".db") || lower.ends_with(".sqlite") || lower.ends_with(".sqlite3"))
        {
            return Ok((Backend::Sqlite, url.to_string()));
        }
        Err(DbError::Config(format!(
            "cannot tell the database from the URL {:?}; use sqlite://file.db, postgres://... or mysql://...",
            redact(url)
        )))
    }

    fn enabled(self) -> Result<(), DbError> {
        let (on, feature) = match self {
            Backend::Sqlite => (cfg!(feature = "sqlite"), "sqlite"),
            Backend::Postgres => (cfg!(feature = "postgres"), "postgres"),
            Backend::Mysql => (cfg!(feature = "mysql"), "mysql"),
        };
        if on {
            Ok(())
        } else {
            Err(DbError::Config(format!(
                "the URL is a {self} database but rocket_security was built without its `{feature}` feature; \
                 enable it in Cargo.toml"
            )))
        }
    }
}

/// Hides a password in a URL for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A database error, typed so callers can tell a fault from a bad query.
///
/// ```
/// use rocket_security::db::DbError;
/// let e = DbError::Invalid("user id too long".into());
/// assert_eq!(e.to_string(), "invalid value: user id too long");
/// assert!(matches!(e, DbError::Invalid(_)));
/// ```
#[derive(Debug)]
pub enum DbError {
    /// The configuration cannot work (unknown URL scheme, disabled backend).
    Config(String),
    /// No connection within the pool's timeout, or the server refused one.
    Unavailable(String),
    /// A query failed.
    Query(diesel::result::Error),
    /// Migrations failed.
    Migration(String),
    /// A value the database cannot take (e.g. an over-long user id).
    Invalid(String),
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Config(m) => write!(f, "database configuration: {m}"),
            DbError::Unavailable(m) => write!(f, "database unavailable: {m}"),
            DbError::Query(e) => write!(f, "database query failed: {e}"),
            DbError::Migration(m) => write!(f, "database migrations failed: {m}"),
            DbError::Invalid(m) => write!(f, "invalid value: {m}"),
        }
    }
}

impl std::error::Error for DbError {}

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::Query(e)
    }
}

impl DbError {
    /// Whether the error means the database could not be reached (retrying
    /// later may work), as opposed to a bad query or configuration.
    ///
    /// ```
    /// use rocket_security::db::DbError;
    /// assert!(DbError::Unavailable("timed out waiting for a connection".into()).is_unavailable());
    /// assert!(!DbError::Query(diesel::result::Error::NotFound).is_unavailable());
    /// ```
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match self {
            DbError::Unavailable(_)
            | DbError::Query(E::DatabaseError(K::ClosedConnection, _))
            // PostgreSQL: an error without an SQLSTATE, i.e. the connection failed.
            | DbError::Query(E::DatabaseError(K::UnableToSendCommand, _))
            | DbError::Query(E::BrokenTransactionManager) => true,
            // MySQL: diesel-async reports the driver's own failures (the socket
            // broke, the server closed the connection) as `Unknown`; the
            // server's errors carry an error code instead.
            DbError::Query(E::DatabaseError(K::Unknown, info)) => {
                let m = info.message();
                m.starts_with("Input/output error:")
                    || m.starts_with("Driver error: `Connection to the server is closed")
                    // SQLite: another connection holds the file's lock beyond busy_timeout.
                    || m.starts_with("database is locked")
            }
            _ => false,
        }
    }
}

impl DbError {
    /// Whether a statement gave up waiting for a lock held by another
    /// transaction: PostgreSQL's `lock_timeout` (55P03), MySQL's
    /// `innodb_lock_wait_timeout` (1205), SQLite's `busy_timeout`. Read from
    /// the message (diesel 2.3 reports no SQLSTATE), as the servers word it
    /// in English.
    pub(crate) fn is_lock_timeout(&self) -> bool {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match self {
            DbError::Query(E::DatabaseError(K::Unknown, info)) => {
                let m = info.message();
                m.starts_with("canceling statement due to lock timeout")
                    || m.starts_with("Lock wait timeout exceeded")
                    || m.starts_with("database is locked")
            }
            _ => false,
        }
    }
}

/// A pool of connections to the security database.
///
/// ```no_run
/// use rocket_db_pools::Database;
/// use rocket_security::db::SecurityPool;
/// # use rocket_security::db::rocket_db_pools;
///
/// #[derive(Database)]
/// #[database("security")]
/// struct Db(SecurityPool);
/// ```
///
/// ```toml
/// [default.databases.security]
/// url = "sqlite://security.db"     # or postgres://..., mysql://...
/// max_connections = 8              # Default: workers * 4
/// connect_timeout = 5              # seconds to wait for a connection; Default: 5
/// ```
///
/// SQLite connections are opened with `journal_mode = WAL`, `busy_timeout =
/// 5000`, `foreign_keys = ON` and `synchronous = NORMAL`. Pooled connections are
/// checked before reuse, so requests recover by themselves when a database
/// server comes back.
#[derive(Clone)]
pub enum SecurityPool {
    /// A SQLite pool.
    #[cfg(feature = "sqlite")]
    Sqlite(Pool<SqliteConnection>),
    /// A PostgreSQL pool.
    #[cfg(feature = "postgres")]
    Postgres(Pool<AsyncPgConnection>),
    /// A MySQL / MariaDB pool.
    #[cfg(feature = "mysql")]
    Mysql(Pool<AsyncMysqlConnection>),
}

/// A connection taken from a [`SecurityPool`].
///
/// ```no_run
/// use rocket_db_pools::Connection;
/// use rocket_security::db::SecurityDb;
/// use rocket_security::reports::CspViolation;
///
/// #[rocket::get("/violations")]
/// async fn violations(mut db: Connection<SecurityDb>) -> String {
///     let rows = CspViolation::recent(&mut db, 20).await.unwrap_or_default();
///     format!("{} violations", rows.len())
/// }
/// ```
// Boxing would cost an allocation per checkout; a connection is moved rarely.
#[allow(clippy::large_enum_variant)]
pub enum SecurityConn {
    /// A SQLite connection.
    #[cfg(feature = "sqlite")]
    Sqlite(Object<SqliteConnection>),
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgres(Object<AsyncPgConnection>),
    /// A MySQL / MariaDB connection.
    #[cfg(feature = "mysql")]
    Mysql(Object<AsyncMysqlConnection>),
}

impl fmt::Debug for SecurityPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecurityPool({})", self.backend())
    }
}

impl fmt::Debug for SecurityConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecurityConn({})", self.backend())
    }
}

/// Runs `$body` with `$c` bound to the backend's connection; one query body
/// is compiled once per enabled backend.
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            $crate::db::pool::SecurityConn::Sqlite(o) => {
                let $c = &mut **o;
                $body
            }
            #[cfg(feature = "postgres")]
            $crate::db::pool::SecurityConn::Postgres(o) => {
                let $c = &mut **o;
                $body
            }
            #[cfg(feature = "mysql")]
            $crate::db::pool::SecurityConn::Mysql(o) => {
                let $c = &mut **o;
                $body
            }
        }
    };
}
pub(crate) use with_conn;

/// A deadpool with rocket_db_pools' size and timeout settings.
macro_rules! build {
    ($manager:expr, $config:expr) => {{
        let timeout = Duration::from_secs($config.connect_timeout.max(1));
        Pool::builder($manager)
            .max_size($config.max_connections.max(1))
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| DbError::Config(e.to_string()))?
    }};
}

impl SecurityPool {
    /// Builds a pool from rocket_db_pools' configuration. No connection is
    /// opened yet, so a database that is down at launch does not stop the
    /// application; the first query reports it.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use rocket_security::db::{Backend, SecurityPool};
    /// let config = rocket_db_pools::Config {
    ///     url: "sqlite://security.db".into(), min_connections: None, max_connections: 4,
    ///     connect_timeout: 5, idle_timeout: None, extensions: None,
    /// };
    /// assert_eq!(SecurityPool::new(&config).unwrap().backend(), Backend::Sqlite);
    /// # }
    /// ```
    pub fn new(config: &rocket_db_pools::Config) -> Result<Self, DbError> {
        let (backend, url) = Backend::from_url(&config.url)?;
        backend.enabled()?;
        match backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => {
                let mut mc = ManagerConfig::<SqliteConnection>::default();
                mc.custom_setup = Box::new(|url| {
                    let url = url.to_string();
                    Box::pin(async move {
                        use diesel_async::{AsyncConnection, SimpleAsyncConnection};
                        let mut conn = SqliteConnection::establish(&url).await?;
                        // busy_timeout first: switching to WAL takes a lock too, and
                        // without it a connection opened while another closes (its
                        // last close checkpoints the WAL) fails at once with "database
                        // is locked".
                        conn.batch_execute(
                            "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                             PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                        )
                        .await
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                        Ok(conn)
                    })
                });
                let manager = AsyncDieselConnectionManager::new_with_config(url, mc);
                Ok(SecurityPool::Sqlite(build!(manager, config)))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => Ok(SecurityPool::Postgres(build!(AsyncDieselConnectionManager::new(url), config))),
            #[cfg(feature = "mysql")]
            Backend::Mysql => Ok(SecurityPool::Mysql(build!(AsyncDieselConnectionManager::new(url), config))),
            #[allow(unreachable_patterns)]
            _ => unreachable!("checked by Backend::enabled"),
        }
    }

    /// Builds a pool for `url` with rocket_db_pools' defaults.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// let pool = rocket_security::db::SecurityPool::from_url("sqlite://security.db").unwrap();
    /// assert_eq!(pool.backend(), rocket_security::db::Backend::Sqlite);
    /// # }
    /// ```
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        SecurityPool::new(&rocket_db_pools::Config {
            url: url.to_string(),
            min_connections: None,
            max_connections: 8,
            connect_timeout: 5,
            idle_timeout: None,
            extensions: None,
        })
    }

    /// The database this pool talks to.
    ///
    /// ```
    /// # #[cfg(feature = "postgres")] {
    /// use rocket_security::db::{Backend, SecurityPool};
    /// let pool = SecurityPool::from_url("postgres://app@localhost/app").unwrap();
    /// assert_eq!(pool.backend(), Backend::Postgres);
    /// # }
    /// ```
    pub fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "sqlite")]
            SecurityPool::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            SecurityPool::Postgres(_) => Backend::Postgres,
            #[cfg(feature = "mysql")]
            SecurityPool::Mysql(_) => Backend::Mysql,
        }
    }

    /// A connection, or [`DbError::Unavailable`] after the pool's timeout.
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// match pool.conn().await {
    ///     Ok(conn) => println!("connected to {}", conn.backend()),
    ///     Err(e) if e.is_unavailable() => println!("database down, try again later: {e}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn conn(&self) -> Result<SecurityConn, DbError> {
        fn unavailable(e: impl fmt::Display) -> DbError {
            DbError::Unavailable(e.to_string())
        }
        Ok(match self {
            #[cfg(feature = "sqlite")]
            SecurityPool::Sqlite(p) => SecurityConn::Sqlite(p.get().await.map_err(unavailable)?),
            #[cfg(feature = "postgres")]
            SecurityPool::Postgres(p) => SecurityConn::Postgres(p.get().await.map_err(unavailable)?),
            #[cfg(feature = "mysql")]
            SecurityPool::Mysql(p) => SecurityConn::Mysql(p.get().await.map_err(unavailable)?),
        })
    }
}

impl SecurityConn {
    /// The database this connection talks to.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] rocket::execute(async {
    /// use rocket_security::db::{Backend, SecurityPool};
    /// let pool = SecurityPool::from_url("sqlite::memory:").unwrap();
    /// let conn = pool.conn().await.unwrap();
    /// assert_eq!(conn.backend(), Backend::Sqlite);
    /// # });
    /// ```
    pub fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "sqlite")]
            SecurityConn::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            SecurityConn::Postgres(_) => Backend::Postgres,
            #[cfg(feature = "mysql")]
            SecurityConn::Mysql(_) => Backend::Mysql,
        }
    }
}

#[rocket::async_trait]
impl rocket_db_pools::Pool for SecurityPool {
    type Connection = SecurityConn;
    type Error = rocket_db_pools::Error<DbError>;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        let config: rocket_db_pools::Config = figment.extract()?;
        SecurityPool::new(&config).map_err(rocket_db_pools::Error::Init)
    }

    async fn get(&self) -> Result<SecurityConn, Self::Error> {
        self.conn().await.map_err(rocket_db_pools::Error::Get)
    }

    async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            SecurityPool::Sqlite(p) => p.close(),
            #[cfg(feature = "postgres")]
            SecurityPool::Postgres(p) => p.close(),
            #[cfg(feature = "mysql")]
            SecurityPool::Mysql(p) => p.close(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{redact, Backend, DbError};

    fn query_error(kind: diesel::result::DatabaseErrorKind, message: &str) -> DbError {
        DbError::Query(diesel::result::Error::DatabaseError(kind, Box::new(message.to_string())))
    }

    #[test]
    fn a_broken_mysql_connection_counts_as_unavailable_and_a_server_error_does_not() {
        use diesel::result::DatabaseErrorKind::Unknown;
        assert!(query_error(Unknown, "Input/output error: Connection reset by peer (os error 104)").is_unavailable());
        assert!(query_error(Unknown, "Driver error: `Connection to the server is closed.'").is_unavailable());
        assert!(!query_error(Unknown, "Table 'test.security_csp_reports' doesn't exist").is_unavailable());
    }

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(Backend::from_url("sqlite://security.db").unwrap(), (Backend::Sqlite, "security.db".into()));
        assert_eq!(Backend::from_url("sqlite:///tmp/x.db").unwrap(), (Backend::Sqlite, "/tmp/x.db".into()));
        assert_eq!(Backend::from_url("data.sqlite").unwrap(), (Backend::Sqlite, "data.sqlite".into()));
        assert_eq!(Backend::from_url("postgresql://u@h/d").unwrap().0, Backend::Postgres);
        assert_eq!(Backend::from_url("mariadb://root@h/d").unwrap(), (Backend::Mysql, "mysql://root@h/d".into()));
        assert!(Backend::from_url("redis://h").is_err());
    }

    #[test]
    fn passwords_are_redacted_in_messages() {
        assert_eq!(redact("postgres://u:secret@h/d"), "postgres://u:***@h/d");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
