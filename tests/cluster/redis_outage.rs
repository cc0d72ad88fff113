//! Redis stopped mid-run and started again: each feature's documented
//! fallback while it is away, then the shared behaviour back without a
//! restart of any instance.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::harness::{postgres_url, Cluster, NAMES, SERIAL};
use crate::limits::SIX_A_MINUTE;
use crate::process::OwnRedis;

#[rocket::async_test]
async fn while_redis_is_away_each_feature_falls_back_as_documented_and_recovers_without_a_restart() {
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let security = format!(",session={{revocation_check_ms=60000}}{SIX_A_MINUTE}");
    let mut cluster = Cluster::start("redis-outage", &security).await;
    let from = [127, 5, 0, 1];
    let cookies = cluster.session(from, "alice").await;
    cluster.logs_until("session revocations: subscribed to Redis", Duration::from_secs(10)).await;

    drop(cluster.redis.take());
    // Pages that need no store keep working, on every instance.
    let mut served = BTreeSet::new();
    for _ in 0..3 {
        let r = cluster.get(from, "/", "").await;
        assert_eq!(r.status, 200, "{r:?}");
        served.insert(r.served_by);
    }
    assert_eq!(served.len(), 3);
    // The login throttle keeps its counters in Redis: it fails closed (503).
    let r = cluster.login(from, "alice", "alice-pass").await;
    assert_eq!(r.status, 503, "{r:?}");
    assert!(r.header("retry-after").is_some(), "{r:?}");
    // The collector limits per process: reports are still taken, each instance says so once
    // (nine from one client: six a minute per instance, not in all).
    for _ in 0..9 {
        let r = cluster.report([127, 5, 1, 1], 1, "https://outage.example/a.png").await;
        assert_eq!(r.status, 204, "{r:?}");
    }
    cluster.logs_until("CSP report rate limit: Redis (security_cache) did not answer", Duration::from_secs(10)).await;
    // Sessions: the database stays the record; the subscription's loss is logged.
    cluster.logs_until("session revocations: the Redis subscription ended", Duration::from_secs(10)).await;
    let r = cluster.get(from, "/account", &cookies).await;
    assert_eq!(r.status, 200, "the live session goes on: {r:?}");

    // Redis is back on the same port: no instance is restarted.
    cluster.redis = Some(OwnRedis::start(cluster.redis_port));
    cluster.logs_until("session revocations: subscribed to Redis again", Duration::from_secs(20)).await;
    // The throttle answers again on every instance.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut ok = BTreeSet::new();
    let mut n: u8 = 0;
    while ok.len() < 3 {
        // A user and an address of its own per probe: no probe is throttled by another's failure.
        n = n.wrapping_add(1);
        let r = cluster.login([127, 5, 2, n], &format!("probe{n}"), "wrong").await;
        if r.status == 303 {
            ok.insert(r.served_by.clone());
        }
        assert!(std::time::Instant::now() < deadline, "the throttle never came back on every instance: {r:?}");
    }
    // The rate limit is shared again: six from one client, then every instance refuses.
    let client = [127, 5, 3, 1];
    assert_eq!(cluster.report(client, 5, "https://outage.example/a.png").await.status, 204);
    assert_eq!(cluster.report(client, 1, "https://outage.example/a.png").await.status, 204);
    let mut refused = BTreeSet::new();
    for _ in 0..3 {
        let r = cluster.report(client, 1, "https://outage.example/a.png").await;
        assert_eq!(r.status, 429, "{r:?}");
        refused.insert(r.served_by);
    }
    assert_eq!(refused.len(), 3, "{refused:?}");
    // Revocations are published again: a logout reaches every instance at once.
    for _ in 0..3 {
        assert_eq!(cluster.get(from, "/account", &cookies).await.status, 200);
    }
    let r = cluster.request(from, "POST", "/logout", &format!("Cookie: {cookies}\r\n"), "").await;
    assert_eq!(r.status, 303, "{r:?}");
    // Within 5 s (the instances would trust their reading for a minute).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut revoked = BTreeSet::new();
    while revoked.len() < NAMES.len() {
        let r = cluster.get([127, 5, 4, 1], "/account", &cookies).await;
        if r.header("location") == Some("/login?next=/account&expired=revoked") {
            revoked.insert(r.served_by);
        } else {
            assert!(std::time::Instant::now() < deadline, "instance {} still admits it: {r:?}", r.served_by);
        }
    }
}
