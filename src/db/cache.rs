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
//! instances; with `security.throttle.storage = "redis"` the login-throttle
//! counters are too (a Redis that cannot answer refuses logins with 503,
//! unless `fail_open`). Each instance adds its collector counters to one hash
//! per `security.reports.cluster` (every second and at shutdown), and session
//! revocations are published to every instance (the database registry stays
//! the record). When Redis cannot answer, the collector falls back to its
//! per-process limiter (a WARN line at most every 10 seconds), revocations
//! reach the other instances within `revocation_check_ms`, and both go back
//! to Redis as soon as it answers, without a restart.

use rocket::{Orbit, Rocket};
use rocket_db_pools::deadpool_redis::{self, redis};

/// The Redis database `security_cache` (attach `SecurityCache::init()`).
///
/// ```no_run
/// use rocket_db_pools::Database;
///
/// let figment = rocket::Config::figment().merge(("databases.security_cache.url", "redis://127.0.0.1:6379"));
/// let rocket = rocket::custom(figment)
///     .attach(rocket_security::db::SecurityCache::init())
///     .attach(rocket_security::Security::fairing());
/// ```
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

/// The collector's counters summed over every instance: one Redis hash per
/// cluster name, to which each instance adds what it counted since it last
/// did.
pub(crate) mod totals {
    use super::{deadpool_redis, redis};

    fn key(cluster: &str) -> String {
        format!("rocket_security:reports:totals:{cluster}")
    }

    /// Adds `deltas` (field, amount) atomically (one MULTI/EXEC) on `conn`
    /// (the caller keeps one checked out: at shutdown the pool is closing).
    pub(crate) async fn add(
        conn: &mut deadpool_redis::Connection,
        cluster: &str,
        deltas: &[(String, i64)],
    ) -> Result<(), String> {
        if deltas.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for (field, n) in deltas {
            pipe.hincr(key(cluster), field, *n).ignore();
        }
        pipe.query_async::<_, ()>(conn).await.map_err(|e| e.to_string())
    }

    /// Every field and its total.
    pub(crate) async fn read(pool: &deadpool_redis::Pool, cluster: &str) -> Result<Vec<(String, i64)>, String> {
        let mut conn = pool.get().await.map_err(|e| e.to_string())?;
        redis::cmd("HGETALL").arg(key(cluster)).query_async(&mut conn).await.map_err(|e| e.to_string())
    }
}

/// Session revocations announced to every instance at once: the instance
/// that ends a session publishes its registry key, with the reason; every
/// instance subscribed drops it from its cache, knowing why without asking
/// the database. The database registry stays the record; a message lost
/// while an instance was not subscribed is covered by `revocation_check_ms`
/// (and a resubscription forgets every live entry).
///
/// A message is `reason=<reason> <key> <key> …`. An instance of an earlier
/// version reads the keys and skips the first word (it is no key); a message
/// of one reads as keys without a reason.
pub(crate) mod revocations {
    use std::time::{Duration, Instant};

    use rocket::futures::StreamExt;

    use super::{deadpool_redis, redis};

    /// The channel every instance listens on.
    pub(crate) const CHANNEL: &str = "rocket_security:sessions:revoked";

    /// Most keys one message carries (a user with more sessions sends several).
    const PER_MESSAGE: usize = 1000;

    /// The longest reason a message carries.
    const REASON_MAX: usize = 64;

    /// Publishes `hashes` (registry keys), ended for `reason`, to every
    /// subscribed instance. A reason that is not a word of `a-z`, `0-9`, `_`
    /// and `:` (one an application gave `SessionRecord::revoke`) is left out:
    /// the others read it from the registry.
    pub(crate) async fn publish(pool: &deadpool_redis::Pool, reason: &str, hashes: &[String]) -> Result<(), String> {
        if hashes.is_empty() {
            return Ok(());
        }
        let prefix = if reason_ok(reason) { format!("reason={reason} ") } else { String::new() };
        let mut conn = pool.get().await.map_err(|e| e.to_string())?;
        for chunk in hashes.chunks(PER_MESSAGE) {
            redis::cmd("PUBLISH")
                .arg(CHANNEL)
                .arg(format!("{prefix}{}", chunk.join(" ")))
                .query_async::<_, i64>(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn reason_ok(reason: &str) -> bool {
        !reason.is_empty()
            && reason.len() <= REASON_MAX
            && reason.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b':')
    }

    /// The reason and the registry keys of one message: 64 lowercase hex
    /// digits each, at most [`PER_MESSAGE`]; anything else in it is ignored.
    pub(crate) fn parse(payload: &str) -> (Option<String>, Vec<String>) {
        let reason = payload
            .split(' ')
            .next()
            .and_then(|w| w.strip_prefix("reason="))
            .filter(|r| reason_ok(r))
            .map(str::to_string);
        let hashes = payload
            .split(' ')
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .take(PER_MESSAGE)
            .map(str::to_string)
            .collect();
        (reason, hashes)
    }

    /// Listens for revocations for as long as the application runs: calls
    /// `subscribed` after every (re)subscription and `revoked` with the
    /// reason (when the message has one) and the keys of every message. When Redis cannot answer it logs a WARN line (at
    /// most every 10 seconds) and tries again every second.
    pub(crate) async fn listen(url: String, subscribed: impl Fn(), revoked: impl Fn(Option<String>, Vec<String>)) {
        let mut warned: Option<Instant> = None;
        let mut lost = false;
        loop {
            match subscribe(&url).await {
                Ok(pubsub) => {
                    if lost {
                        tracing::info!(target: "security", "session revocations: subscribed to Redis again");
                    } else {
                        tracing::info!(target: "security", "session revocations: subscribed to Redis ({CHANNEL})");
                    }
                    subscribed();
                    let mut messages = pubsub.into_on_message();
                    while let Some(msg) = messages.next().await {
                        if let Ok(payload) = msg.get_payload::<String>() {
                            let (reason, hashes) = parse(&payload);
                            revoked(reason, hashes);
                        }
                    }
                    lost = true;
                    warned = Some(Instant::now());
                    tracing::warn!(
                        target: "security",
                        "session revocations: the Redis subscription ended; other instances' revocations are \
                         honoured within revocation_check_ms until it is back"
                    );
                }
                Err(e) => {
                    lost = true;
                    if warned.is_none_or(|w| w.elapsed() >= Duration::from_secs(10)) {
                        warned = Some(Instant::now());
                        tracing::warn!(
                            target: "security",
                            "session revocations: Redis cannot answer ({e}); other instances' revocations are \
                             honoured within revocation_check_ms until it is back"
                        );
                    }
                }
            }
            rocket::tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn subscribe(url: &str) -> Result<redis::aio::PubSub, String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let connect = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(CHANNEL).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match rocket::tokio::time::timeout(Duration::from_secs(5), connect).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err("no answer within 5 s".into()),
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn only_registry_keys_are_taken_from_a_message() {
            let a = "a".repeat(64);
            let upper = "A".repeat(64);
            let short = "b".repeat(63);
            let got = super::parse(&format!("{a} {upper} {short}  x {a}0 {a}"));
            assert_eq!(got, (None, vec![a.clone(), a]));
        }

        #[test]
        fn a_message_yields_at_most_its_bound() {
            let many = vec!["c".repeat(64); 1500].join(" ");
            assert_eq!(super::parse(&many).1.len(), 1000);
        }

        #[test]
        fn the_reason_comes_first_and_only_as_a_word() {
            let a = "a".repeat(64);
            assert_eq!(
                super::parse(&format!("reason=session_limit:2 {a}")),
                (Some("session_limit:2".into()), vec![a.clone()])
            );
            assert_eq!(super::parse(&format!("{a} reason=logout")).0, None, "first or not at all");
            assert_eq!(super::parse(&format!("reason=Logout<b> {a}")), (None, vec![a.clone()]));
            assert_eq!(super::parse(&format!("reason={} {a}", "x".repeat(65))).0, None);
            assert!(!super::reason_ok("password reset"), "published without its reason");
        }
    }
}
