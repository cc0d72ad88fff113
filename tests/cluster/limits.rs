//! Limits hold for the whole cluster: the collector's per-client rate and
//! the login throttle (kept in Redis), and the session limit (counted in
//! PostgreSQL under a lock of the user's row).

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

/// `max_per_user = 2`, over the showcase's 3; every request asks the
/// registry (`revocation_check_ms = 0`), so an ended session is refused on
/// every instance at once (with the default 1 s, an instance that read it
/// live just before may still admit it). These tests show the limit holds
/// through the balancer and three processes; the atomicity guard proper is
/// tests/auth/limit.rs (eight parallel logins on two instances, every database).
const TWO: &str = ",session={max_per_user=2,revocation_check_ms=0}";

/// Nine logins of alice in three rounds of three at once (the login throttle
/// lets three attempts of one account run at once, and a success clears it),
/// each from an address of its own, through the balancer: each round puts
/// one login on each instance.
async fn nine_logins_three_at_once(cluster: &std::sync::Arc<Cluster>) -> Vec<crate::harness::Res> {
    let mut answers = vec![];
    for round in 0..3u8 {
        let tasks: Vec<_> = (1..=3u8)
            .map(|i| {
                let c = cluster.clone();
                rocket::tokio::spawn(async move { c.login([127, 4, round, i], "alice", "alice-pass").await })
            })
            .collect();
        let mut these = vec![];
        for t in tasks {
            these.push(t.await.unwrap());
        }
        let instances: BTreeSet<_> = these.iter().map(|r| r.served_by.clone()).collect();
        assert_eq!(instances.len(), 3, "round {round}: one login on each instance: {instances:?}");
        answers.extend(these);
    }
    answers
}

#[rocket::async_test]
async fn parallel_logins_through_every_instance_leave_exactly_the_session_limit_live() {
    use rocket_security::session::SessionRecord;
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let cluster = std::sync::Arc::new(Cluster::start("session-limit", TWO).await);
    let answers = nine_logins_three_at_once(&cluster).await;
    assert!(answers.iter().all(|r| r.status == 303), "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(SessionRecord::list(&cluster.db, "alice").await.unwrap().len(), 2);
    // The seven ended ones are refused as ended by the limit, whichever instance they reach.
    let mut live = 0;
    for r in &answers {
        let res = cluster.get([127, 4, 9, 1], "/account", &r.cookies()).await;
        match (res.status, res.header("location")) {
            (200, _) => live += 1,
            (303, Some("/login?next=/account&expired=revoked&ended=session_limit:2")) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(live, 2);
}

#[rocket::async_test]
async fn with_refuse_parallel_logins_through_every_instance_admit_exactly_the_session_limit() {
    use rocket_security::session::SessionRecord;
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let cluster = std::sync::Arc::new(
        Cluster::start("session-limit-refuse", ",session={max_per_user=2,on_limit=\"refuse\",revocation_check_ms=0}")
            .await,
    );
    let answers = nine_logins_three_at_once(&cluster).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    let admitted = statuses.iter().filter(|s| **s == 303).count();
    let refused = answers.iter().filter(|r| r.status == 409 && r.body.contains("the most this site allows")).count();
    assert_eq!((admitted, refused), (2, 7), "{statuses:?}");
    assert_eq!(&statuses[3..], [409; 6], "the first round took both places");
    assert_eq!(SessionRecord::list(&cluster.db, "alice").await.unwrap().len(), 2);
}
