//! Faults give typed errors, never panics, and the pool recovers by itself.

use std::time::Duration;

use rocket_security::db::{DbError, PasswordExpiry, SecurityPool};

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
            if let Ok(mut conn) = p.conn().await {
                if let Ok(row) = PasswordExpiry::find(&mut conn, &user).await {
                    recovered = row;
                    break;
                }
            }
            rocket::tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(recovered.map(|r| r.user_id), Some(user), "{}: same pool works again", db.name);
    }
}
