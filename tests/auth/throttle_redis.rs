//! Login throttling with the counters in Redis (`storage = "redis"`,
//! `SecurityCache`): every instance counts the same failures, parallel
//! attempts are admitted one at a time, and a Redis that cannot answer makes
//! the login refuse with 503 (fail closed).

use std::net::SocketAddr;

use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use rocket_db_pools::Database;
use rocket_security::db::SecurityCache;

use crate::app::{db_file, rocket_at};
use crate::backends::unique;

fn redis_url() -> Option<String> {
    let url = std::env::var("SECURITY_TEST_REDIS_URL").ok();
    if url.is_none() {
        assert!(std::env::var_os("SECURITY_TEST_REQUIRE_BACKENDS").is_none(), "SECURITY_TEST_REDIS_URL is not set");
        eprintln!("SKIPPED: Redis tests (SECURITY_TEST_REDIS_URL is not set)");
    }
    url
}

async fn instance(redis: &str) -> Client {
    instance_with(redis, "").await
}

/// An instance with more `[default.security.throttle]` settings.
async fn instance_with(redis: &str, throttle: &str) -> Client {
    let toml = format!(
        "[default.security.throttle]\nstorage = \"redis\"\n{throttle}\n[default.databases.security_cache]\n\
         url = \"{redis}\"\nconnect_timeout = 1"
    );
    let file = db_file();
    let url = format!("sqlite://{}", file.display());
    let clock = rocket_security::core::ManualClock::new(chrono::Utc::now());
    let rocket = rocket_at(&toml, false, false, &url, &clock).attach(SecurityCache::init());
    Client::untracked(rocket).await.expect("valid app")
}

/// An address no other test (or earlier run) uses.
fn fresh_peer() -> SocketAddr {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos().to_le_bytes();
    SocketAddr::from(([10, n[1], n[2], n[3] | 1], 5000))
}

async fn login(app: &Client, peer: SocketAddr, user: &str, password: &str) -> Status {
    app.post("/login")
        .header(ContentType::Form)
        .remote(peer)
        .body(format!("username={user}&password={password}"))
        .dispatch()
        .await
        .status()
}

#[rocket::async_test]
async fn two_instances_count_the_same_failures() {
    let Some(redis) = redis_url() else { return };
    let (a, b) = (instance(&redis).await, instance(&redis).await);
    let (user, peer) = (unique("redis-user"), fresh_peer());
    for _ in 0..3 {
        assert_eq!(login(&a, peer, &user, "wrong").await, Status::Ok);
    }
    assert_eq!(login(&b, peer, &user, "right").await, Status::TooManyRequests, "b sees a's failures");
}

#[rocket::async_test]
async fn parallel_failures_on_two_instances_admit_exactly_three() {
    let Some(redis) = redis_url() else { return };
    let (a, b) = (instance(&redis).await, instance(&redis).await);
    let user = unique("redis-parallel");
    let attempts = (0..16).map(|i| {
        let (app, user) = (if i % 2 == 0 { &a } else { &b }, user.clone());
        async move { login(app, fresh_peer(), &user, "wrong").await }
    });
    let results = futures_join(attempts).await;
    let admitted = results.iter().filter(|s| **s == Status::Ok).count();
    assert_eq!(admitted, 3, "{results:?}");
    assert_eq!(results.iter().filter(|s| **s == Status::TooManyRequests).count(), 13);
}

async fn futures_join<F: std::future::Future<Output = Status>>(fs: impl Iterator<Item = F>) -> Vec<Status> {
    let mut set = Vec::new();
    for f in fs {
        set.push(f);
    }
    let mut out = Vec::new();
    // Polled together: all 16 are in flight at once.
    let joined = rocket::futures::future::join_all(set).await;
    out.extend(joined);
    out
}

#[rocket::async_test]
async fn a_redis_that_cannot_answer_refuses_the_login_with_503() {
    if redis_url().is_none() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = instance(&format!("redis://127.0.0.1:{port}")).await;
    assert_eq!(login(&app, fresh_peer(), &unique("redis-down"), "right").await, Status::ServiceUnavailable);
}

/// How many of these counters exist in the app's Redis.
async fn existing(app: &Client, hashes: &[String]) -> usize {
    let pool = SecurityCache::fetch(app.rocket()).expect("attached");
    let mut conn = pool.get().await.expect("Redis answers");
    let mut n = 0;
    for h in hashes {
        let key = format!("rocket_security:throttle:{h}");
        let exists: i64 = rocket_db_pools::deadpool_redis::redis::cmd("EXISTS")
            .arg(key)
            .query_async(&mut conn)
            .await
            .expect("EXISTS");
        n += exists as usize;
    }
    n
}

/// The crate's counter name for `kind` ("username", "ip") and `id`.
fn counter(kind: &str, id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("security.authentication_throttling.{kind}:{id}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[rocket::async_test]
async fn a_throttled_address_makes_no_key_for_the_usernames_it_tries() {
    let Some(redis) = redis_url() else { return };
    let app = instance_with(&redis, "ip_threshold = 3").await;
    let (prefix, peer) = (unique("redis-spray"), fresh_peer());
    let users: Vec<String> = (0..303).map(|i| format!("{prefix}-{i}")).collect();
    let mut keys: Vec<String> = users.iter().map(|u| counter("username", &u.to_lowercase())).collect();
    keys.push(counter("ip", &peer.ip().to_string()));
    for user in &users[..3] {
        assert_eq!(login(&app, peer, user, "wrong").await, Status::Ok);
    }
    assert_eq!(existing(&app, &keys).await, 4, "three usernames and the address");
    // A spray from the throttled address: every attempt a new username.
    for user in &users[3..] {
        assert_eq!(login(&app, peer, user, "wrong").await, Status::TooManyRequests);
    }
    assert_eq!(existing(&app, &keys).await, 4, "a refused attempt writes no key");
}
