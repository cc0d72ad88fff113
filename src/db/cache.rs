//! The optional Redis store (cargo feature `redis`): limits shared by every
//! instance, reached the Rocket way, as a `rocket_db_pools` database with the
//! `deadpool_redis` driver named `security_cache`:
//!
//! ```toml
//! [default.databases.security_cache]
//! url = "redis://127.0.0.1:6379"
//! ```
//!
//! ```no_run
//! use rocket_db_pools::Database;
//! use rocket_security::db::SecurityCache;
//!
//! let rocket = rocket::build()
//!     .attach(SecurityCache::init())
//!     .attach(rocket_security::Security::fairing());
//! ```
//!
//! When it is attached, the CSP collector's per-client rate limit is kept
//! there (GCRA, one atomic script per request), so the limit holds across
//! instances. When Redis cannot answer, the collector falls back to its
//! per-process limiter (a WARN line at most every 10 seconds) and goes back
//! to Redis as soon as it answers, without a restart.

use rocket::{Orbit, Rocket};
use rocket_db_pools::deadpool_redis::{self, redis};

/// The Redis database `security_cache` (attach `SecurityCache::init()`).
#[derive(rocket_db_pools::Database)]
#[database("security_cache")]
pub struct SecurityCache(deadpool_redis::Pool);

/// The cache's pool, if the application attached it.
pub(crate) fn cache_of(rocket: &Rocket<Orbit>) -> Option<deadpool_redis::Pool> {
    rocket.state::<SecurityCache>().map(|c| c.0.clone())
}

/// GCRA in one atomic script: the key's theoretical arrival time (ms, on
/// Redis's own clock, so every instance agrees) moves by `cost` emission
/// intervals; the request passes while it stays within the burst tolerance.
/// Returns `{1, 0}` (passed) or `{0, ms until it would pass}`.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + cost * interval
local wait = new_tat - tolerance - now
if wait > 0 then
  return {0, wait}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now) + 1000)
return {1, 0}
";

/// Asks Redis whether `cost` more reports from `client` fit in
/// `per_minute` (burst: a minute's worth). `Ok(None)`: they pass;
/// `Ok(Some(s))`: refused, retry in `s` seconds; `Err`: Redis did not answer.
pub(crate) async fn rate_limit(
    pool: &deadpool_redis::Pool,
    client: &str,
    per_minute: u32,
    cost: u32,
) -> Result<Option<u64>, String> {
    let interval = 60_000f64 / f64::from(per_minute.max(1));
    let tolerance = interval * f64::from(per_minute.max(1));
    let mut conn = pool.get().await.map_err(|e| e.to_string())?;
    // EVAL: Redis caches the compiled script by its hash; one round trip.
    let (passed, wait_ms): (i64, i64) = redis::cmd("EVAL")
        .arg(GCRA)
        .arg(1)
        .arg(format!("rocket_security:reports:rate:{client}"))
        .arg(interval)
        .arg(tolerance)
        .arg(cost)
        .query_async(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    Ok((passed == 0).then(|| (wait_ms.max(0) as u64).div_ceil(1000).max(1)))
}
