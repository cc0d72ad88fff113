//! Limits kept in Redis hold for the whole cluster: the collector's
//! per-client rate and the login throttle.

use std::collections::BTreeSet;

use crate::harness::{postgres_url, Cluster, NAMES, SERIAL};

/// Six reports a minute (at most 5 per request, as the rate must allow a full
/// batch): GCRA with a minute's worth as the burst, one report earned back
/// every 10 s (the default 600 earns one every 100 ms, faster than the
/// balancer takes a request here, so the test would race the clock).
pub const SIX_A_MINUTE: &str = ",reports={rate_limit_per_minute=6,max_reports_per_request=5}";

#[rocket::async_test]
async fn the_7th_report_at_six_a_minute_is_refused_whichever_instance_takes_it() {
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::start("rate-limit", SIX_A_MINUTE).await;
    let client = [127, 1, 0, 1];
    let mut served = BTreeSet::new();
    for i in 0..6 {
        let r = cluster.report(client, 1, "https://rate.example/a.png").await;
        assert_eq!(r.status, 204, "report {i}: {r:?}");
        served.insert(r.served_by);
    }
    assert_eq!(served.len(), 3, "two reports went to each instance: {served:?}");
    // Per process, each instance would take six more; together they refuse.
    let mut refused_by = BTreeSet::new();
    for _ in 0..3 {
        let r = cluster.report(client, 1, "https://rate.example/a.png").await;
        assert_eq!(r.status, 429, "{r:?}");
        let wait: u64 = r.header("retry-after").and_then(|s| s.parse().ok()).expect("Retry-After");
        assert!((1..=10).contains(&wait), "at most one emission interval (10 s): {wait}");
        refused_by.insert(r.served_by);
    }
    assert_eq!(refused_by, NAMES.iter().map(|n| n.to_string()).collect());
    // Another client has its own budget.
    assert_eq!(cluster.report([127, 1, 0, 2], 5, "https://rate.example/a.png").await.status, 204);
}

#[rocket::async_test]
async fn login_failures_on_every_instance_count_against_one_budget() {
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::start("throttle", "").await;
    // As on one instance: three free failures, then the fourth attempt waits.
    let mut served = BTreeSet::new();
    for i in 0..3 {
        let r = cluster.login([127, 2, 0, 1], "alice", "wrong").await;
        assert_eq!((r.status, r.header("location")), (303, Some("/login?failed=true")), "failure {i}: {r:?}");
        served.insert(r.served_by);
    }
    assert_eq!(served.len(), 3, "one failure on each instance: {served:?}");
    let r = cluster.login([127, 2, 0, 1], "alice", "alice-pass").await;
    assert_eq!(r.status, 429, "even the right password waits: {r:?}");
    let wait: u64 = r.header("retry-after").and_then(|s| s.parse().ok()).expect("Retry-After");
    assert!(wait >= 1, "{r:?}");
    assert!(r.body.starts_with("Due to the failure of previous attempts"), "{}", r.body);
}

#[rocket::async_test]
async fn parallel_failures_through_every_instance_admit_exactly_the_free_attempts() {
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let cluster = std::sync::Arc::new(Cluster::start("throttle-parallel", "").await);
    // 24 wrong passwords for one user at once, each from an address of its own.
    let tasks: Vec<_> = (1..=24u8)
        .map(|i| {
            let c = cluster.clone();
            rocket::tokio::spawn(async move { c.login([127, 2, 1, i], "bob", "wrong").await })
        })
        .collect();
    let mut answers = vec![];
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let checked = answers.iter().filter(|r| r.status == 303).count();
    let waited = answers.iter().filter(|r| r.status == 429).count();
    let instances: BTreeSet<_> = answers.iter().map(|r| r.served_by.clone()).collect();
    assert_eq!((checked, waited), (3, 21), "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(instances.len(), 3, "the attempts went to every instance: {instances:?}");
}
