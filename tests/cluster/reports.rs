//! Reports through every instance: one violation is one row whose hits are
//! the reports accepted; the cluster totals reconcile (accepted = stored +
//! lost by reason); an instance stopped with SIGTERM under load loses
//! nothing, one killed with SIGKILL at most its queue.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::harness::{postgres_url, Cluster, SERIAL};

/// What a load of single reports saw: answers by status.
#[derive(Default)]
struct Load {
    accepted: AtomicU64,
    other: AtomicU64,
    done: AtomicU64,
    stop: AtomicBool,
}

/// `tasks` clients posting one report at a time about `blocked` until
/// `load.stop`; each request from a fresh address (no client reaches the rate limit).
fn start_load(
    cluster: &Arc<Cluster>,
    load: &Arc<Load>,
    tasks: u8,
    blocked: &'static str,
) -> Vec<rocket::tokio::task::JoinHandle<()>> {
    (0..tasks)
        .map(|t| {
            let (cluster, load) = (cluster.clone(), load.clone());
            rocket::tokio::spawn(async move {
                let mut i = 0u32;
                while !load.stop.load(Ordering::Relaxed) {
                    let from = [127, 10 + t, (i / 250) as u8, (i % 250) as u8 + 1];
                    let r = cluster.report(from, 1, blocked).await;
                    let counter = if r.status == 204 { &load.accepted } else { &load.other };
                    counter.fetch_add(1, Ordering::Relaxed);
                    load.done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect()
}

async fn until_done(load: &Load, n: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while load.done.load(Ordering::Relaxed) < n {
        assert!(std::time::Instant::now() < deadline, "the load stalled at {}", load.done.load(Ordering::Relaxed));
        rocket::tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[rocket::async_test]
async fn one_violation_posted_through_every_instance_is_one_row_and_the_totals_reconcile() {
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let cluster = Arc::new(Cluster::start("one-violation", "").await);
    let blocked = "https://one.example/a.png";
    // 8 clients at once, 30 requests each: single reports, and every fifth a batch of 10.
    let tasks: Vec<_> = (0..8u8)
        .map(|t| {
            let c = cluster.clone();
            rocket::tokio::spawn(async move {
                let (mut accepted, mut served) = (0u64, BTreeSet::new());
                for i in 0..30 {
                    let n = if i % 5 == 0 { 10 } else { 1 };
                    let r = c.report([127, 4, t, 1], n, blocked).await;
                    assert_eq!(r.status, 204, "{r:?}");
                    accepted += n as u64;
                    served.insert(r.served_by);
                }
                (accepted, served)
            })
        })
        .collect();
    let (mut accepted, mut served) = (0, BTreeSet::new());
    for t in tasks {
        let (n, s) = t.await.unwrap();
        accepted += n;
        served.extend(s);
    }
    assert_eq!(accepted, 8 * (6 * 10 + 24));
    assert_eq!(served.len(), 3, "{served:?}");
    let admin = cluster.session([127, 0, 0, 1], "admin").await;
    let t = cluster.totals_until(&admin, |t| t.accepted == accepted && t.stored + t.lost == t.accepted).await;
    assert_eq!((t.received, t.stored, t.lost, t.rate_limited), (accepted, accepted, 0, 0), "{t:?}");
    let rows = cluster.violations(blocked).await;
    assert_eq!(rows.len(), 1, "one aggregated row");
    assert_eq!(rows[0].hits as u64, accepted, "hits = reports accepted by all three instances");
}

/// Runs a load of single reports through the cluster, stops instance `b`
/// with `signal` after 300 requests, goes on for 600 more, waits until the
/// survivors' queues are empty, and returns the reports the clients saw
/// accepted before the instance was gone and in all.
async fn stop_one_under_load(cluster: &Arc<Cluster>, signal: &str, blocked: &'static str) -> (u64, u64) {
    let load = Arc::new(Load::default());
    let tasks = start_load(cluster, &load, 6, blocked);
    until_done(&load, 300).await;
    let status = cluster.signal(1, signal);
    if signal == "TERM" {
        assert!(status.success(), "a SIGTERM ends the instance cleanly: {status:?}\n{}", cluster.log(1));
    }
    let (at_stop, accepted_before) = (load.done.load(Ordering::Relaxed), load.accepted.load(Ordering::Relaxed));
    until_done(&load, at_stop + 600).await;
    load.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let admin = cluster.session([127, 0, 0, 1], "admin").await;
    cluster.queues_empty(&admin).await;
    (accepted_before, load.accepted.load(Ordering::Relaxed))
}

#[rocket::async_test]
async fn an_instance_stopped_with_sigterm_under_load_flushes_everything_it_accepted() {
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let cluster = Arc::new(Cluster::start("sigterm", "").await);
    let blocked = "https://term.example/a.png";
    let (_, accepted) = stop_one_under_load(&cluster, "TERM", blocked).await;
    let stored: u64 = cluster.violations(blocked).await.iter().map(|r| r.hits as u64).sum();
    assert_eq!(stored, accepted, "every report answered 204 is in the database");
    // Through Rocket's shutdown fairings, or (when Rocket 0.5 skips them: "Server shutdown
    // nominally.") through `Security::finish` in the showcase's main: the queue is flushed either way.
    assert!(cluster.log(1).contains("CSP report queue flushed at shutdown:"), "{}", cluster.log(1));
    // The stopped instance added its last counts on the way out: the totals reconcile.
    let admin = cluster.session([127, 0, 0, 1], "admin").await;
    // A survivor may publish its accepted count a second before the stored count of
    // the same reports: wait for both (a stored count that never comes times out).
    let t = cluster.totals_until(&admin, |t| t.accepted == accepted && t.stored + t.lost == t.accepted).await;
    assert_eq!((t.accepted, t.stored, t.lost), (accepted, accepted, 0), "nothing accepted is lost: {t:?}");
}

#[rocket::async_test]
async fn an_instance_killed_with_sigkill_loses_at_most_its_queue() {
    let Some(_) = postgres_url() else { return };
    let _serial = SERIAL.lock().await;
    let cluster = Arc::new(Cluster::start("sigkill", "").await);
    let blocked = "https://kill.example/a.png";
    let (before, accepted) = stop_one_under_load(&cluster, "KILL", blocked).await;
    let stored: u64 = cluster.violations(blocked).await.iter().map(|r| r.hits as u64).sum();
    // The README's bound: what the killed instance had queued (queue_size = 10000), and no more.
    assert!(stored <= accepted, "no report is stored twice: {stored} > {accepted}");
    assert!(accepted - stored <= 10_000, "lost {} > the queue", accepted - stored);
    // Everything accepted after the kill was taken by the survivors and stored
    // (less at most one answer per client counted just after the kill).
    assert!(
        stored + 6 >= accepted - before,
        "the survivors lost reports: {stored} stored, {} accepted after the kill",
        accepted - before
    );
}
