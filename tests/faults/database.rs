//! Faults give typed errors, never panics, and the pool recovers by itself.

use std::time::Duration;

use rocket::figment::providers::{Format, Toml};
use rocket::figment::Figment;
use rocket::http::{Header, Status};
use rocket::local::asynchronous::Client;
use rocket_db_pools::Database;
use rocket_security::auth::PasswordExpiry;
use rocket_security::db::{DbError, SecurityDb, SecurityPool};
use rocket_security::reports::CollectorStats;
use rocket_security::reports::{CspViolation, ViolationFilter};
use rocket_security::Security;

use crate::backends::{all, unique};
use crate::proxy::{proxied, target, Proxy};

fn pool(url: &str, timeout: u64) -> SecurityPool {
    SecurityPool::new(&rocket_db_pools::Config {
        url: url.to_string(),
        min_connections: None,
        max_connections: 2,
        connect_timeout: timeout,
        idle_timeout: None,
        extensions: None,
    })
    .unwrap()
}

async fn down(url: &str) {
    let p = pool(url, 1);
    let err = p.conn().await.unwrap_err();
    assert!(matches!(err, DbError::Unavailable(_)), "{url}: {err}");
    assert!(err.is_unavailable());
}

#[cfg(feature = "postgres")]
#[rocket::async_test]
async fn a_postgres_server_that_is_down_gives_unavailable_not_a_panic() {
    down("postgres://postgres@127.0.0.1:1/test").await;
}

#[cfg(feature = "mysql")]
#[rocket::async_test]
async fn a_mysql_server_that_is_down_gives_unavailable_not_a_panic() {
    down("mysql://root@127.0.0.1:1/test").await;
}

#[rocket::async_test]
async fn an_exhausted_pool_times_out_with_unavailable() {
    for db in all().await {
        let p = pool(&db.url, 1);
        let _a = p.conn().await.unwrap();
        let _b = p.conn().await.unwrap();
        let started = std::time::Instant::now();
        let err = p.conn().await.unwrap_err();
        assert!(matches!(err, DbError::Unavailable(_)), "{}: {err}", db.name);
        assert!(started.elapsed() < Duration::from_secs(5), "{}: bounded by connect_timeout", db.name);
    }
}

#[rocket::async_test]
async fn queries_recover_without_restart_when_the_server_comes_back() {
    for db in all().await.into_iter().filter(|d| d.name != "sqlite") {
        let mut proxy = Proxy::start(target(&db.url)).await;
        let p = pool(&proxied(&db.url, &proxy), 2);
        let user = unique("user");
        {
            let mut conn = p.conn().await.unwrap();
            PasswordExpiry::never_expire(&mut conn, &user, chrono::Utc::now()).await.unwrap();
        }
        proxy.stop().await;
        // The pooled connection is dead and no new one can be made.
        let failed = match p.conn().await {
            Err(e) => e,
            Ok(mut conn) => match PasswordExpiry::find(&mut conn, &user).await {
                Err(e) => e,
                Ok(row) => panic!("{}: a query through the stopped proxy succeeded: {row:?}", db.name),
            },
        };
        assert!(failed.is_unavailable() || matches!(failed, DbError::Query(_)), "{}: {failed}", db.name);
        if db.name == "postgres" {
            // tokio-postgres reports a dead connection without an SQLSTATE.
            assert!(failed.is_unavailable(), "{}: {failed:?}", db.name);
        }

        proxy.restart().await;
        let mut recovered = None;
        for _ in 0..20 {
            if let Ok(mut conn) = p.conn().await
                && let Ok(row) = PasswordExpiry::find(&mut conn, &user).await
            {
                recovered = row;
                break;
            }
            rocket::tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(recovered.map(|r| r.user_id), Some(user), "{}: same pool works again", db.name);
    }
}

/// Waits (bounded) until `done` holds for the collector's counters.
async fn stats_until(client: &Client, what: &str, done: impl Fn(&CollectorStats) -> bool) -> CollectorStats {
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let s = rocket_security::reports::stats(client.rocket()).expect("collector on");
        if done(&s) {
            return s;
        }
        assert!(std::time::Instant::now() < deadline, "{what}: {s:?}");
        rocket::tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Issue 29: with the database away, what a full queue could not take was
/// dropped as `queue_full` although the spool had room. A burst of 600
/// against a queue of one (more than two overflow records' worth) is now
/// spooled, every report, and stored exactly once when the database is back.
#[rocket::async_test]
async fn a_burst_beyond_the_queue_while_the_database_is_away_is_spooled_then_stored_once() {
    for db in all().await.into_iter().filter(|d| d.name != "sqlite") {
        let mut proxy = Proxy::start(target(&db.url)).await;
        let spool = std::env::temp_dir().join(unique("rocket-security-overflow-spool"));
        let figment = Figment::from(rocket::Config::debug_default())
            .merge(("log_level", "off"))
            .merge(("databases.security.url", proxied(&db.url, &proxy)))
            .merge(("databases.security.connect_timeout", 1))
            .merge(
                Toml::string(&format!(
                    "[default.security.reports]\ndatabase = true\nlog = false\nrate_limit_per_minute = 0\n\
                     queue_size = 1\nmax_violations = 0\nspool_dir = {:?}",
                    spool.display().to_string()
                ))
                .nested(),
            );
        let client = Client::tracked(rocket::custom(figment).attach(SecurityDb::init()).attach(Security::fairing()))
            .await
            .expect("valid app");
        proxy.stop().await;

        let host = format!("{}.example", unique("overflow").replace('-', ""));
        let body = |i: usize| {
            serde_json::json!({"csp-report": {
                "document-uri": format!("https://127.0.0.1/burst/{i}"), "violated-directive": "img-src",
                "effective-directive": "img-src", "blocked-uri": format!("https://{host}/a.png")
            }})
            .to_string()
        };
        let burst = (0..600).map(|i| {
            client
                .post("/security/csp-report")
                .header(Header::new("Host", "127.0.0.1:8000"))
                .header(Header::new("Content-Type", "application/csp-report"))
                .body(body(i))
                .dispatch()
        });
        let statuses: Vec<Status> = rocket::futures::future::join_all(burst).await.iter().map(|r| r.status()).collect();
        assert_eq!(statuses, vec![Status::NoContent; 600], "{}", db.name);
        let during = stats_until(&client, db.name, |s| s.queued == 0 && s.unaccounted() == 0).await;
        assert_eq!((during.accepted, during.spooled, during.stored), (600, 600, 0), "{}: {during:?}", db.name);
        assert!(during.dropped.is_empty(), "{}: nothing dropped: {during:?}", db.name);

        proxy.restart().await;
        let after = stats_until(&client, db.name, |s| s.spooled == 0 && s.unaccounted() == 0).await;
        assert_eq!((after.accepted, after.stored), (600, 600), "{}: {after:?}", db.name);
        assert!(after.dropped.is_empty(), "{}: {after:?}", db.name);
        let mut conn = db.pool.conn().await.unwrap();
        let filter = ViolationFilter { blocked: Some(host.clone()), ..Default::default() };
        let rows = CspViolation::search(&mut conn, &filter, 1000).await.unwrap();
        assert_eq!(rows.len(), 600, "{}: one row per document", db.name);
        assert!(rows.iter().all(|r| r.hits == 1), "{}: each stored once", db.name);
        client.terminate().await;
        let _ = std::fs::remove_dir_all(&spool);
    }
}
