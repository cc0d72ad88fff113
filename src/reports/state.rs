//! What the endpoint, the writer and the dashboard share, and the part
//! that mounts them.

use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::config::CompiledCollector;
use super::stats::{CollectorStats, Counters};
use crate::core::https::HttpsPolicy;

/// Everything the endpoint, the writer and the dashboard share.
pub(crate) struct CollectorState {
    pub(crate) config: CompiledCollector,
    pub(crate) https: HttpsPolicy,
    pub(crate) counters: Counters,
    pub(crate) limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    pub(crate) closing: AtomicBool,
    #[cfg(feature = "db")]
    pub(crate) queue: OnceLock<super::queue::Queue>,
    #[cfg(feature = "db")]
    pub(crate) pool: OnceLock<crate::db::SecurityPool>,
    #[cfg(not(feature = "db"))]
    pub(crate) queue: OnceLock<()>,
    /// The Redis pool holding the rate limit, when `SecurityCache` is attached.
    #[cfg(feature = "redis")]
    pub(crate) cache: OnceLock<rocket_db_pools::deadpool_redis::Pool>,
    /// When Redis last failed (ms since the epoch): the WARN line is bounded.
    #[cfg(feature = "redis")]
    pub(crate) cache_warned: std::sync::atomic::AtomicU64,
}

impl CollectorState {
    pub(crate) fn new(config: CompiledCollector, https: HttpsPolicy) -> Arc<Self> {
        let limiter = config.rate.map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Arc::new(CollectorState {
            config,
            https,
            counters: Counters::default(),
            limiter,
            closing: AtomicBool::new(false),
            queue: OnceLock::new(),
            #[cfg(feature = "db")]
            pool: OnceLock::new(),
            #[cfg(feature = "redis")]
            cache: OnceLock::new(),
            #[cfg(feature = "redis")]
            cache_warned: std::sync::atomic::AtomicU64::new(0),
        })
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
