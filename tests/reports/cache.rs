//! The collector's rate limit in Redis (`security_cache`): one limit per
//! client across instances, the per-process fallback while Redis cannot
//! answer (WARN), and recovery without a restart. Against the real Redis of
//! `SECURITY_TEST_REDIS_URL`, and a `redis-server` of the test's own for
//! the outage.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use rocket_db_pools::Database;
use rocket_security::db::SecurityCache;
use rocket_security::Security;

use crate::app::legacy;
use crate::process::OwnRedis;

/// The machine's Redis (`.ci/run` requires it).
fn redis_url() -> Option<String> {
    let url = std::env::var("SECURITY_TEST_REDIS_URL").ok();
    if url.is_none() {
        assert!(std::env::var_os("SECURITY_TEST_REQUIRE_BACKENDS").is_none(), "SECURITY_TEST_REDIS_URL is not set");
        eprintln!("SKIPPED: Redis tests (SECURITY_TEST_REDIS_URL is not set)");
    }
    url
}

/// A collector instance whose rate limit lives in the Redis at `url`.
async fn instance(url: &str, per_minute: u32) -> Client {
    let figment = Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge(("databases.security_cache.url", url))
        .merge(("databases.security_cache.connect_timeout", 1))
        .merge(("security.reports.log", false))
        .merge(("security.reports.rate_limit_per_minute", per_minute))
        .merge(("security.reports.max_reports_per_request", 10));
    let rocket = rocket::custom(figment).attach(SecurityCache::init()).attach(Security::fairing());
    Client::untracked(rocket).await.expect("valid app")
}

/// A client address no other test (or earlier run) uses.
fn fresh_client() -> SocketAddr {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let b = n.to_le_bytes();
    SocketAddr::from(([10, b[0], b[1], b[2] | 1], 4000))
}

async fn post(client: &Client, from: SocketAddr, n: usize) -> Status {
    // The Reporting API's format: a batch of `n` reports in one request.
    let one = r#"{"type":"csp-violation","age":0,"url":"https://127.0.0.1/page","body":{"documentURL":"https://127.0.0.1/page","effectiveDirective":"img-src","blockedURL":"https://cdn.example/a.png","disposition":"enforce"}}"#;
    let body = format!("[{}]", vec![one; n].join(","));
    client
        .post("/security/csp-report")
        .header(ContentType::new("application", "reports+json"))
        .header(Header::new("Host", "127.0.0.1"))
        .remote(from)
        .body(body)
        .dispatch()
        .await
        .status()
}

#[rocket::async_test]
async fn the_limit_is_per_client_across_instances() {
    let Some(url) = redis_url() else { return };
    // 10 a minute (one every 6 s), so the test has seconds to spare on a
    // loaded machine: 5 through each instance, then the 11th is refused,
    // whichever instance takes it.
    let (a, b) = (instance(&url, 10).await, instance(&url, 10).await);
    let client = fresh_client();
    assert_eq!(post(&a, client, 5).await, Status::NoContent, "5 through a");
    assert_eq!(post(&b, client, 5).await, Status::NoContent, "5 through b");
    assert_eq!(post(&a, client, 1).await, Status::TooManyRequests);
    assert_eq!(post(&b, client, 1).await, Status::TooManyRequests);
    // Without Redis, each instance would have allowed 10 on its own.
    let res = b
        .post("/security/csp-report")
        .header(ContentType::JSON)
        .header(Header::new("Host", "127.0.0.1"))
        .remote(client)
        .body(legacy("https://127.0.0.1/page", "img-src", "https://cdn.example/a.png"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::TooManyRequests);
    let retry: u64 = res.headers().get_one("Retry-After").expect("Retry-After").parse().expect("seconds");
    assert!((1..=6).contains(&retry), "at most one emission interval (6 s at 10/min): {retry}");
    // Another client is not limited by the first one's reports.
    assert_eq!(post(&a, fresh_client(), 10).await, Status::NoContent);
}

#[rocket::async_test]
async fn while_redis_is_down_the_limit_is_per_process_and_comes_back_without_a_restart() {
    if redis_url().is_none() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("redis://127.0.0.1:{port}");
    // Nothing listens yet: the per-process limiter answers (20 a minute here).
    let (a, b) = (instance(&url, 20).await, instance(&url, 20).await);
    let client = fresh_client();
    assert_eq!(post(&a, client, 10).await, Status::NoContent);
    assert_eq!(post(&a, client, 10).await, Status::NoContent);
    assert_eq!(post(&a, client, 1).await, Status::TooManyRequests, "a's own limit");
    assert_eq!(post(&b, client, 10).await, Status::NoContent, "b counts on its own while Redis is away");
    // Redis comes up: the shared limit applies again, with no restart.
    let _redis = OwnRedis::start(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let client = fresh_client();
        // Through Redis, a then b share one budget: 20 from a leave nothing for b.
        let first = post(&a, client, 10).await;
        let second = post(&a, client, 10).await;
        let third = post(&b, client, 1).await;
        if (first, second, third) == (Status::NoContent, Status::NoContent, Status::TooManyRequests) {
            break;
        }
        assert!(Instant::now() < deadline, "the shared limit never came back: {first} {second} {third}");
        rocket::tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An instance with the dashboard, its counters added to `cluster` in Redis.
async fn instance_in(url: &str, cluster: &str) -> Client {
    let figment = Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge(("databases.security_cache.url", url))
        .merge(("databases.security_cache.connect_timeout", 1))
        .merge(("security.reports.log", false))
        .merge(("security.reports.cluster", cluster));
    let rocket = rocket::custom(figment)
        .attach(SecurityCache::init())
        .attach(Security::fairing().reports_dashboard::<crate::app::Admin>());
    Client::untracked(rocket).await.expect("valid app")
}

#[rocket::async_test]
async fn the_counters_of_every_instance_add_up_in_redis_and_on_the_dashboard() {
    let Some(url) = redis_url() else { return };
    let cluster = format!("test-{}", std::process::id()) + &fresh_client().ip().to_string().replace('.', "-");
    let (a, b) = (instance_in(&url, &cluster).await, instance_in(&url, &cluster).await);
    assert_eq!(post(&a, fresh_client(), 2).await, Status::NoContent);
    assert_eq!(post(&b, fresh_client(), 3).await, Status::NoContent);
    // A report from another site's page: dropped as foreign_origin, counted too.
    let foreign = legacy("https://elsewhere.example/page", "img-src", "https://cdn.example/a.png");
    let res = b
        .post("/security/csp-report")
        .header(ContentType::new("application", "csp-report"))
        .header(Header::new("Host", "127.0.0.1"))
        .remote(fresh_client())
        .body(foreign)
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NoContent);
    let deadline = Instant::now() + Duration::from_secs(10);
    let all = loop {
        let all = rocket_security::reports::cluster_stats(a.rocket()).await.expect("redis attached").unwrap();
        if all.received >= 6 || Instant::now() > deadline {
            break all;
        }
        rocket::tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((all.received, all.accepted, all.stored), (6, 5, 0));
    assert_eq!(all.dropped.get("foreign_origin"), Some(&1));
    // The database sink is off here: accepted reports are not stored, and say so.
    assert_eq!(all.dropped.get("database_unavailable"), None);
    let html = a
        .get("/security/reports")
        .header(Header::new("X-Admin", "yes"))
        .header(Header::new("Host", "127.0.0.1"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(html.contains("<h2>This instance</h2><p class=\"stats\"><span>received 2</span>"), "{html}");
    assert!(
        html.contains("<h2>All instances</h2><p class=\"stats\"><span>received 6</span><span>accepted 5</span>"),
        "{html}"
    );
}
