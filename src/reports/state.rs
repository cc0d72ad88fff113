//! What the endpoint, the writer and the dashboard share, and the part
//! that mounts them.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::config::CompiledCollector;
use super::stats::{CollectorStats, Counters};
use crate::core::https::HttpsPolicy;

/// Everything the endpoint, the writer and the dashboard share.
pub(crate) struct CollectorState {
    pub(crate) config: CompiledCollector,
    pub(crate) https: HttpsPolicy,
    /// The application's clock (`Security::clock`): the times stored with
    /// reports and the retention cutoffs, as the dashboard's windows read them.
    pub(crate) clock: Arc<dyn crate::core::clock::Clock>,
    pub(crate) counters: Counters,
    pub(crate) limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    pub(crate) closing: AtomicBool,
    /// Requests being taken now: the final flush waits for them, so a
    /// report answered 204 is never left out of it.
    pub(crate) taking: AtomicUsize,
    #[cfg(feature = "db")]
    pub(crate) queue: OnceLock<super::queue::Queue>,
    #[cfg(feature = "db")]
    pub(crate) pool: OnceLock<crate::db::SecurityPool>,
    #[cfg(not(feature = "db"))]
    pub(crate) queue: OnceLock<()>,
    /// The spool, opened (and locked) at ignite, taken by the writer at liftoff.
    #[cfg(feature = "db")]
    pub(crate) spool: std::sync::Mutex<Option<super::spool::Spool>>,
    /// The Redis pool holding the rate limit, when `SecurityCache` is attached.
    #[cfg(feature = "redis")]
    pub(crate) cache: OnceLock<rocket_db_pools::deadpool_redis::Pool>,
    /// When Redis last failed (ms since the epoch): the WARN line is bounded.
    #[cfg(feature = "redis")]
    pub(crate) cache_warned: crate::core::every::Every,
    /// The counters as last added to the cluster totals in Redis.
    #[cfg(feature = "redis")]
    pub(crate) published: std::sync::Mutex<CollectorStats>,
    /// The connection the totals go through, kept checked out: the last
    /// counts are added at shutdown, while rocket_db_pools closes the pool.
    #[cfg(feature = "redis")]
    pub(crate) totals_conn: rocket::tokio::sync::Mutex<Option<rocket_db_pools::deadpool_redis::Connection>>,
}

impl CollectorState {
    pub(crate) fn new(
        config: CompiledCollector,
        https: HttpsPolicy,
        clock: Arc<dyn crate::core::clock::Clock>,
    ) -> Arc<Self> {
        let limiter = config.rate.map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Arc::new(CollectorState {
            config,
            https,
            clock,
            counters: Counters::default(),
            limiter,
            closing: AtomicBool::new(false),
            taking: AtomicUsize::new(0),
            queue: OnceLock::new(),
            #[cfg(feature = "db")]
            pool: OnceLock::new(),
            #[cfg(feature = "db")]
            spool: std::sync::Mutex::new(None),
            #[cfg(feature = "redis")]
            cache: OnceLock::new(),
            #[cfg(feature = "redis")]
            cache_warned: crate::core::every::Every::millis(10_000),
            #[cfg(feature = "redis")]
            published: std::sync::Mutex::new(CollectorStats::default()),
            #[cfg(feature = "redis")]
            totals_conn: rocket::tokio::sync::Mutex::new(None),
        })
    }
}

/// One request being taken by the endpoint (see [`CollectorState::take`]).
pub(crate) struct Taking<'a>(&'a AtomicUsize);

impl Drop for Taking<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl CollectorState {
    /// Admits one request unless the application is shutting down. SeqCst on
    /// both sides: either the flush sees this request, or it sees `closing`.
    pub(crate) fn take(&self) -> Option<Taking<'_>> {
        self.taking.fetch_add(1, Ordering::SeqCst);
        let taking = Taking(&self.taking);
        (!self.closing.load(Ordering::SeqCst)).then_some(taking)
    }

    /// Stops admitting requests and waits (up to `limit`) for those being taken.
    pub(crate) async fn close(&self, limit: std::time::Duration) {
        self.closing.store(true, Ordering::SeqCst);
        let deadline = std::time::Instant::now() + limit;
        while self.taking.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            rocket::tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

/// Managed state: the collector of this Rocket instance.
#[derive(Clone)]
pub(crate) struct CollectorHandle(pub(crate) Arc<CollectorState>);

/// The collector's counters for `rocket`, if the collector is on.
///
/// ```no_run
/// # async fn f(rocket: &rocket::Rocket<rocket::Orbit>) {
/// if let Some(stats) = rocket_security::reports::stats(rocket) {
///     println!("{} reports received, {} stored", stats.received, stats.stored);
/// }
/// # }
/// ```
pub fn stats<P: rocket::Phase>(rocket: &rocket::Rocket<P>) -> Option<CollectorStats> {
    rocket.state::<CollectorHandle>().map(|h| h.0.counters.snapshot())
}

/// What changed since `before`: (field, amount) for the cluster totals.
#[cfg(feature = "redis")]
fn deltas(now: &CollectorStats, before: &CollectorStats) -> Vec<(String, i64)> {
    let d = |a: u64, b: u64| a.saturating_sub(b) as i64;
    let mut out: Vec<(String, i64)> = [
        ("received", d(now.received, before.received)),
        ("accepted", d(now.accepted, before.accepted)),
        ("stored", d(now.stored, before.stored)),
        ("logged", d(now.logged, before.logged)),
        ("rejected_requests", d(now.rejected_requests, before.rejected_requests)),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    for (reason, n) in &now.dropped {
        out.push((format!("dropped:{reason}"), d(*n, before.dropped.get(reason).copied().unwrap_or(0))));
    }
    out.retain(|(_, n)| *n > 0);
    out
}

/// Adds what this instance counted since its last call to the cluster
/// totals; on failure the difference waits for the next call.
#[cfg(feature = "redis")]
pub(crate) async fn publish(state: &CollectorState, pool: &rocket_db_pools::deadpool_redis::Pool) {
    // One call at a time (the timer and the shutdown): each delta is added once.
    let mut held = state.totals_conn.lock().await;
    let now = state.counters.snapshot();
    let before = state.published.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let changes = deltas(&now, &before);
    if changes.is_empty() {
        return;
    }
    if held.is_none() {
        match pool.get().await {
            Ok(c) => *held = Some(c),
            Err(e) => return tracing::debug!(target: "security", "CSP report totals not published to Redis yet: {e}"),
        }
    }
    let Some(conn) = held.as_mut() else { return };
    match crate::db::cache::totals::add(conn, &state.config.cluster, &changes).await {
        Ok(()) => *state.published.lock().unwrap_or_else(|e| e.into_inner()) = now,
        Err(e) => {
            // A broken connection is dropped; the next call takes a fresh one.
            *held = None;
            tracing::debug!(target: "security", "CSP report totals not published to Redis yet: {e}")
        }
    }
}

/// The collector's counters summed over every instance of this cluster
/// (`security.reports.cluster`), as each last published them to Redis
/// (every second): `None` without the collector or the Redis store, `Err`
/// when Redis cannot answer. `queued` is not summed (it is 0).
///
/// ```no_run
/// # async fn f(rocket: &rocket::Rocket<rocket::Orbit>) {
/// if let Some(Ok(all)) = rocket_security::reports::cluster_stats(rocket).await {
///     println!("{} reports accepted by every instance", all.accepted);
/// }
/// # }
/// ```
#[cfg(feature = "redis")]
pub async fn cluster_stats(rocket: &rocket::Rocket<rocket::Orbit>) -> Option<Result<CollectorStats, String>> {
    let state = &rocket.state::<CollectorHandle>()?.0;
    let pool = state.cache.get()?;
    Some(read_cluster(state, pool).await)
}

#[cfg(feature = "redis")]
pub(crate) async fn read_cluster(
    state: &CollectorState,
    pool: &rocket_db_pools::deadpool_redis::Pool,
) -> Result<CollectorStats, String> {
    let fields = crate::db::cache::totals::read(pool, &state.config.cluster).await?;
    let mut out = CollectorStats::default();
    for (field, n) in fields {
        let n = n.max(0) as u64;
        match field.as_str() {
            "received" => out.received = n,
            "accepted" => out.accepted = n,
            "stored" => out.stored = n,
            "logged" => out.logged = n,
            "rejected_requests" => out.rejected_requests = n,
            other => {
                if let Some(r) = other.strip_prefix("dropped:").and_then(super::stats::DropReason::named) {
                    out.dropped.insert(r, n);
                }
            }
        }
    }
    Ok(out)
}
