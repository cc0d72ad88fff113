//! A session ended on one instance is refused by every other at once (within
//! 5 s here): the revocation is published through Redis. The cluster trusts what it read of
//! a session for a whole minute (`revocation_check_ms = 60000`), so only the
//! published revocation can explain the refusals.

use std::collections::BTreeSet;

use crate::harness::{postgres_url, Cluster, Res, NAMES, SERIAL};

const TRUST_A_MINUTE: &str = ",session={revocation_check_ms=60000}";

/// `GET /account` three times (once per instance) with `cookies`.
async fn account_thrice(cluster: &Cluster, from: [u8; 4], cookies: &str) -> Vec<Res> {
    let mut out = vec![];
    for _ in 0..3 {
        out.push(cluster.get(from, "/account", cookies).await);
    }
    let served: BTreeSet<_> = out.iter().map(|r| r.served_by.as_str()).collect();
    assert_eq!(served, NAMES.iter().copied().collect(), "one request per instance");
    out
}

/// Polls (at most 5 s, far below the minute the instances trust what they
/// read) until all three instances refuse `cookies` as revoked.
async fn assert_revoked_everywhere(cluster: &Cluster, from: [u8; 4], cookies: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let answers = account_thrice(cluster, from, cookies).await;
        let admitted: Vec<&Res> = answers
            .iter()
            .filter(|r| (r.status, r.header("location")) != (303, Some("/login?next=/account&expired=revoked")))
            .collect();
        if admitted.is_empty() {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "still admitted after 5 s: {admitted:?}");
        rocket::tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[rocket::async_test]
async fn a_logout_refuses_the_copied_cookie_on_every_instance_at_once() {
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::start("logout", TRUST_A_MINUTE).await;
    let from = [127, 3, 0, 1];
    let cookies = cluster.session(from, "alice").await;
    // Every instance reads the session as live, and would trust that for a minute.
    for r in account_thrice(&cluster, from, &cookies).await {
        assert_eq!(r.status, 200, "{r:?}");
    }
    let out = cluster.request(from, "POST", "/logout", &format!("Cookie: {cookies}\r\n"), "").await;
    assert_eq!(out.status, 303, "{out:?}");
    // The attacker's copy, right after: refused by all three.
    assert_revoked_everywhere(&cluster, [127, 3, 0, 2], &cookies).await;
}

#[rocket::async_test]
async fn signing_out_other_sessions_reaches_every_instance_at_once() {
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::start("revoke-others", TRUST_A_MINUTE).await;
    let (laptop, phone) = ([127, 3, 1, 1], [127, 3, 1, 2]);
    let on_laptop = cluster.session(laptop, "alice").await;
    let on_phone = cluster.session(phone, "alice").await;
    for r in account_thrice(&cluster, phone, &on_phone).await {
        assert_eq!(r.status, 200, "{r:?}");
    }
    let r = cluster
        .request(laptop, "POST", "/account/sessions/revoke-others", &format!("Cookie: {on_laptop}\r\n"), "")
        .await;
    assert_eq!((r.status, r.header("location")), (303, Some("/account/sessions")), "{r:?}");
    assert_revoked_everywhere(&cluster, phone, &on_phone).await;
    // The laptop itself goes on everywhere.
    for r in account_thrice(&cluster, laptop, &on_laptop).await {
        assert_eq!(r.status, 200, "{r:?}");
    }
}
