//! The databases every persistence test runs against: a fresh SQLite file
//! always; PostgreSQL and MariaDB when `SECURITY_TEST_POSTGRES_URL` /
//! `SECURITY_TEST_MYSQL_URL` are set (`.ci/run` sets both, and
//! `SECURITY_TEST_REQUIRE_BACKENDS=1` so that a missing one fails).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use rocket::tokio::sync::Mutex;
use rocket_security::db::{run_migrations, SecurityPool};

pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    pub pool: SecurityPool,
    file: Option<PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(f) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

/// A unique suffix, so tests running in parallel never share rows.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{}-{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A fresh SQLite file in the temp directory.
pub fn sqlite_url() -> (String, PathBuf) {
    let path = std::env::temp_dir().join(format!("{}.db", unique("rocket-security-test")));
    (format!("sqlite://{}", path.display()), path)
}

/// Migrations on a shared server run once per process (tests run in parallel).
static MIGRATED: Mutex<Vec<String>> = Mutex::const_new(Vec::new());

async fn migrated(url: &str) -> SecurityPool {
    let pool = SecurityPool::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    let mut done = MIGRATED.lock().await;
    if !done.iter().any(|u| u == url) {
        let conn = pool.conn().await.unwrap_or_else(|e| panic!("{url}: {e}"));
        run_migrations(conn).await.unwrap_or_else(|e| panic!("{url}: {e}"));
        done.push(url.to_string());
    }
    pool
}

/// Every configured backend, migrated. A backend whose URL is set must work:
/// a set URL with the backend's feature off, or an unreachable server, fails.
pub async fn all() -> Vec<TestDb> {
    let (url, file) = sqlite_url();
    let mut out = vec![TestDb { name: "sqlite", pool: migrated(&url).await, url, file: Some(file) }];
    for (name, var, enabled) in [
        ("postgres", "SECURITY_TEST_POSTGRES_URL", cfg!(feature = "postgres")),
        ("mysql", "SECURITY_TEST_MYSQL_URL", cfg!(feature = "mysql")),
    ] {
        let Ok(url) = std::env::var(var) else {
            // CI sets SECURITY_TEST_REQUIRE_BACKENDS: there, a skipped backend is a failure.
            assert!(std::env::var_os("SECURITY_TEST_REQUIRE_BACKENDS").is_none(), "{var} is not set");
            continue;
        };
        assert!(enabled, "{var} is set but the `{name}` feature is off: run the tests with --all-features");
        out.push(TestDb { name, pool: migrated(&url).await, url, file: None });
    }
    out
}

/// Every configured backend in a database of its own (a fresh SQLite file; a
/// new database on the PostgreSQL and MariaDB servers), migrated, for tests
/// whose statements touch every row (a global cap would delete the rows of
/// tests running in parallel on the shared database). Call [`drop_isolated`]
/// at the end.
pub async fn isolated() -> Vec<TestDb> {
    use diesel_async::SimpleAsyncConnection;
    use rocket_security::db::SecurityConn;
    let mut out = vec![];
    for db in all().await {
        if db.name == "sqlite" {
            out.push(db);
            continue;
        }
        let name = unique("rs_iso").replace('-', "_");
        let mut conn = db.pool.conn().await.unwrap_or_else(|e| panic!("{}: {e}", db.name));
        let create = format!("CREATE DATABASE {name}");
        match &mut conn {
            #[cfg(feature = "postgres")]
            SecurityConn::Postgres(c) => c.batch_execute(&create).await.unwrap(),
            #[cfg(feature = "mysql")]
            SecurityConn::Mysql(c) => c.batch_execute(&create).await.unwrap(),
            #[allow(unreachable_patterns)]
            _ => unreachable!("{}", db.name),
        }
        let base = db.url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&db.url);
        let url = format!("{base}/{name}");
        let pool = migrated(&url).await;
        out.push(TestDb { name: db.name, url, pool, file: None });
    }
    out
}

/// Drops the server databases [`isolated`] made.
pub async fn drop_isolated(dbs: Vec<TestDb>) {
    use diesel_async::SimpleAsyncConnection;
    use rocket_security::db::SecurityConn;
    for db in dbs {
        let Some((_, name)) = db.url.rsplit_once('/').filter(|_| db.name != "sqlite") else { continue };
        let name = name.to_string();
        let admin = match db.name {
            "postgres" => std::env::var("SECURITY_TEST_POSTGRES_URL").unwrap(),
            _ => std::env::var("SECURITY_TEST_MYSQL_URL").unwrap(),
        };
        drop(db);
        let pool = SecurityPool::from_url(&admin).unwrap();
        let mut conn = pool.conn().await.unwrap();
        match &mut conn {
            #[cfg(feature = "postgres")]
            SecurityConn::Postgres(c) => c.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap(),
            #[cfg(feature = "mysql")]
            SecurityConn::Mysql(c) => c.batch_execute(&format!("DROP DATABASE {name}")).await.unwrap(),
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
}

/// A fresh database `name` on the PostgreSQL server of `admin_url` (an
/// earlier run's is dropped first), migrated: its URL and a pool.
#[cfg(feature = "postgres")]
pub async fn fresh_postgres(admin_url: &str, name: &str) -> (String, SecurityPool) {
    use diesel_async::SimpleAsyncConnection;
    use rocket_security::db::SecurityConn;
    let admin = SecurityPool::from_url(admin_url).expect("postgres url");
    let mut conn = admin.conn().await.expect("postgres answers");
    let SecurityConn::Postgres(c) = &mut conn else { panic!("{admin_url} is not postgres") };
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.expect("drop an earlier run's");
    c.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create the database");
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
    let url = format!("{base}/{name}");
    let pool = SecurityPool::from_url(&url).expect("url");
    run_migrations(pool.conn().await.expect("connect")).await.expect("migrations");
    (url, pool)
}
