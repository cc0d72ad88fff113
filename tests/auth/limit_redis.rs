//! The session limit with the Redis store: an instance hears why a session
//! ended on another one with the announcement, so its refusal says so without
//! asking the database; an announcement without a reason (from an instance of
//! an earlier version) makes it ask once, and only under a session limit.

use rocket::http::Status;
use rocket_db_pools::Database;
use rocket_security::db::SecurityCache;

use crate::app::{build_cached, db_file, location, App};
use crate::backends::unique;
use crate::limit::{logged, newest};
use crate::registry::{login, visit, Held};

fn redis_url() -> Option<String> {
    let url = std::env::var("SECURITY_TEST_REDIS_URL").ok();
    if url.is_none() {
        assert!(std::env::var_os("SECURITY_TEST_REQUIRE_BACKENDS").is_none(), "SECURITY_TEST_REDIS_URL is not set");
        eprintln!("SKIPPED: Redis tests (SECURITY_TEST_REDIS_URL is not set)");
    }
    url
}

/// Session expiry with `extra`, each instance trusting what it read for a
/// minute (only Redis tells it of an end sooner), and the Redis store.
fn config(extra: &str, redis: &str) -> String {
    format!(
        "[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\nrevocation_check_ms = 60000\n{extra}\n\
         [default.databases.security_cache]\nurl = \"{redis}\"\nconnect_timeout = 1"
    )
}

/// The answer to `held` on `/home` once `app` no longer admits it (at most 5 s).
async fn refused<'a>(app: &'a App, held: &Held) -> rocket::local::asynchronous::LocalResponse<'a> {
    for _ in 0..500 {
        let res = visit(app, "/home", Some(held)).await;
        if res.status() != Status::Ok {
            return res;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{} still admitted 5 s later", held.user);
}

/// Publishes `hashes` as an instance that does not say why (an earlier version).
async fn announce_without_reason(app: &App, hashes: &[String]) {
    let pool = SecurityCache::fetch(app.client.rocket()).expect("attached");
    let mut conn = pool.get().await.expect("Redis answers");
    let _: i64 = rocket_db_pools::deadpool_redis::redis::cmd("PUBLISH")
        .arg("rocket_security:sessions:revoked")
        .arg(hashes.join(" "))
        .query_async(&mut conn)
        .await
        .expect("PUBLISH");
}

/// Waits until `app` hears announcements: a session it trusts, announced
/// ended, is refused.
async fn subscribed(app: &App) {
    let held = login(app, &unique("warm"), None).await;
    assert_eq!(visit(app, "/home", Some(&held)).await.status(), Status::Ok);
    for _ in 0..50 {
        announce_without_reason(app, &[newest(app, &held.user).await]).await;
        if visit(app, "/home", Some(&held)).await.status() != Status::Ok {
            return;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("not subscribed to Redis after 5 s");
}

#[rocket::async_test]
async fn an_instance_says_the_session_limit_ended_a_session_from_the_announcement_alone() {
    let Some(redis) = redis_url() else { return };
    let file = db_file();
    let url = format!("sqlite://{}", file.display());
    let toml = config("max_per_user = 1", &redis);
    let a = build_cached(&toml, &url, file).await;
    let b = build_cached(&toml, &url, std::env::temp_dir().join(unique("none"))).await;
    subscribed(&b).await;
    let user = unique("kim");
    let first = login(&a, &user, None).await;
    assert_eq!(visit(&b, "/home", Some(&first)).await.status(), Status::Ok, "b trusts it for a minute");
    // A second login on a ends the first (max_per_user = 1) and announces why.
    login(&a, &user, None).await;
    // The registry can no longer say why: only the announcement can.
    a.drop_table("security_sessions").await;
    let res = refused(&b, &first).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/home&expired=revoked&ended=session_limit:1"));
}

#[rocket::async_test]
async fn an_announcement_without_a_reason_is_looked_up_once_and_only_under_a_session_limit() {
    crate::capture::captured();
    let Some(redis) = redis_url() else { return };
    for (extra, lookups) in [("max_per_user = 2", 1), ("", 0)] {
        let file = db_file();
        let url = format!("sqlite://{}", file.display());
        let app = build_cached(&config(extra, &redis), &url, file).await;
        subscribed(&app).await;
        let user = unique("lou");
        let held = login(&app, &user, None).await;
        assert_eq!(visit(&app, "/home", Some(&held)).await.status(), Status::Ok);
        let hash = newest(&app, &user).await;
        // The registry cannot answer why it ended.
        app.drop_table("security_sessions").await;
        announce_without_reason(&app, std::slice::from_ref(&hash)).await;
        let res = refused(&app, &held).await;
        assert_eq!(location(&res), Some("/login?next=/home&expired=revoked"), "{extra:?}");
        for _ in 0..3 {
            assert_eq!(location(&visit(&app, "/home", Some(&held)).await), Some("/login?next=/home&expired=revoked"));
        }
        let line = format!(" WARN security: session {}: why it ended was not read from the registry (", &hash[..16]);
        assert_eq!(logged(&line).len(), lookups, "{extra:?}: {:#?}", logged("why it ended"));
    }
}
