//! The counters in Redis (`security.throttle.storage = "redis"`, in
//! `SecurityCache`), shared by every instance: one hash per hashed username
//! or address, `n` failures and `at` (ms of the application's clock) of the
//! last, expiring after the forgetting window. Each operation is one atomic
//! script.

use chrono::{DateTime, Utc};
use rocket::{Orbit, Rocket};
use rocket_db_pools::deadpool_redis::{self, redis};

use super::{judged, Counter, CounterStore, Judge, Unavailable, Verdict, FORGET_AFTER};

fn key(hash: &str) -> String {
    format!("rocket_security:throttle:{hash}")
}

async fn eval<T: redis::FromRedisValue>(
    pool: &deadpool_redis::Pool,
    script: &str,
    hashes: &[&str],
    args: &[i64],
) -> Result<T, String> {
    let mut conn = pool.get().await.map_err(|e| e.to_string())?;
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(script).arg(hashes.len());
    for h in hashes {
        cmd.arg(key(h));
    }
    for a in args {
        cmd.arg(*a);
    }
    cmd.query_async(&mut conn).await.map_err(|e| e.to_string())
}

/// The failures and the time of the last (0 and 0 when none or forgotten).
const GET: &str = r"
local v = redis.call('HMGET', KEYS[1], 'n', 'at')
return {tonumber(v[1]) or 0, tonumber(v[2]) or 0}
";

/// KEYS: the address's counter, then the username's. ARGV: now, forget
/// (ms), the address's free failures, the username's, delays (s)...:
/// admits and counts the attempt on both when neither must wait; returns 1
/// (admitted) or 0. The address decides first and a refusal writes
/// nothing: a throttled client cannot make a key per username it tries.
const ADMIT: &str = r"
local now, forget = tonumber(ARGV[1]), tonumber(ARGV[2])
local function failures(key, free)
  local v = redis.call('HMGET', key, 'n', 'at')
  local n, at = tonumber(v[1]) or 0, tonumber(v[2]) or 0
  if at + forget < now then n = 0 end
  if n < free then return n end
  local i = math.min(n - free + 5, #ARGV)
  if now >= at + tonumber(ARGV[i]) * 1000 then return n end
  return -1
end
local ip = failures(KEYS[1], tonumber(ARGV[3]))
if ip < 0 then return 0 end
local user = failures(KEYS[2], tonumber(ARGV[4]))
if user < 0 then return 0 end
redis.call('HSET', KEYS[1], 'n', ip + 1, 'at', now)
redis.call('PEXPIRE', KEYS[1], forget)
redis.call('HSET', KEYS[2], 'n', user + 1, 'at', now)
redis.call('PEXPIRE', KEYS[2], forget)
return 1
";

/// ARGV: now, forget (ms): one more failure.
const BUMP: &str = r"
local now, forget = tonumber(ARGV[1]), tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'n', 'at')
local n, at = tonumber(v[1]) or 0, tonumber(v[2]) or 0
if at + forget < now then n = 0 end
redis.call('HSET', KEYS[1], 'n', n + 1, 'at', now)
redis.call('PEXPIRE', KEYS[1], forget)
return n + 1
";

/// One failure fewer (never below zero).
const TAKE_BACK: &str = r"
local n = tonumber(redis.call('HGET', KEYS[1], 'n')) or 0
if n > 0 then redis.call('HSET', KEYS[1], 'n', n - 1) end
return 0
";

async fn get(pool: &deadpool_redis::Pool, hash: &str) -> Result<(u32, i64), String> {
    let (n, at): (i64, i64) = eval(pool, GET, &[hash], &[]).await?;
    Ok((n.clamp(0, u32::MAX as i64) as u32, at))
}

/// Admits and counts an attempt on the address's counter `ip` and the
/// username's `user` (see [`ADMIT`]); whether it was admitted.
async fn admit(
    pool: &deadpool_redis::Pool,
    (ip, ip_free): (&str, u32),
    (user, user_free): (&str, u32),
    (now_ms, forget_ms): (i64, i64),
    delays: &[i64],
) -> Result<bool, String> {
    let mut args = vec![now_ms, forget_ms, i64::from(ip_free), i64::from(user_free)];
    args.extend_from_slice(delays);
    let admitted: i64 = eval(pool, ADMIT, &[ip, user], &args).await?;
    Ok(admitted == 1)
}

async fn bump(pool: &deadpool_redis::Pool, hash: &str, now_ms: i64, forget_ms: i64) -> Result<(), String> {
    eval::<i64>(pool, BUMP, &[hash], &[now_ms, forget_ms]).await.map(drop)
}

async fn take_back(pool: &deadpool_redis::Pool, hash: &str) -> Result<(), String> {
    eval::<i64>(pool, TAKE_BACK, &[hash], &[]).await.map(drop)
}

async fn reset(pool: &deadpool_redis::Pool, hash: &str) -> Result<(), String> {
    let mut conn = pool.get().await.map_err(|e| e.to_string())?;
    redis::cmd("DEL").arg(key(hash)).query_async::<_, i64>(&mut conn).await.map(drop).map_err(|e| e.to_string())
}

/// The Redis store; bound to `SecurityCache` at liftoff.
#[derive(Default)]
pub(crate) struct RedisStore(std::sync::OnceLock<deadpool_redis::Pool>);

impl RedisStore {
    /// Decides and counts an attempt on both counters in one script (see
    /// [`ADMIT`]): whether it was admitted.
    async fn decide(
        &self,
        user_key: &str,
        ip_key: &str,
        ip_threshold: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        let Some(pool) = self.0.get() else { return Err(Unavailable) };
        let delays = super::store_delays();
        let window = (now.timestamp_millis(), FORGET_AFTER * 1000);
        admit(pool, (ip_key, ip_threshold), (user_key, 3), window, &delays).await.map_err(|e| {
            tracing::error!(target: "security", "login throttling counters unavailable: {e} (Redis)");
            Unavailable
        })
    }
}

#[rocket::async_trait]
impl CounterStore for RedisStore {
    async fn liftoff(&self, rocket: &Rocket<Orbit>) {
        match crate::db::cache::cache_of(rocket) {
            Some(pool) => {
                let _ = self.0.set(pool);
            }
            None => tracing::error!(
                target: "security",
                "`security.throttle.storage = \"redis\"` but `SecurityCache` is not attached: login attempts get \
                 503 (fail closed); attach `SecurityCache::init()` or set `security.throttle.fail_open = true`"
            ),
        }
    }

    async fn get(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Counter>, Unavailable> {
        let Some(pool) = self.0.get() else { return Err(Unavailable) };
        match get(pool, key).await {
            Ok((0, _)) => Ok(None),
            Ok((n, at)) => Ok(Some((n, DateTime::from_timestamp_millis(at).unwrap_or(now)))),
            Err(e) => {
                tracing::error!(target: "security", "login throttling counters unavailable (Redis): {e}");
                Err(Unavailable)
            }
        }
    }

    async fn admit(
        &self,
        user_key: &str,
        ip_key: &str,
        ip_threshold: u32,
        now: DateTime<Utc>,
        judge: Judge<'_>,
    ) -> Result<Verdict, Unavailable> {
        let admitted = self.decide(user_key, ip_key, ip_threshold, now).await?;
        judged(self, admitted, user_key, ip_key, now, judge).await
    }

    async fn bump(&self, key: &str, now: DateTime<Utc>) {
        if let Some(pool) = self.0.get()
            && let Err(e) = bump(pool, key, now.timestamp_millis(), FORGET_AFTER * 1000).await
        {
            tracing::error!(target: "security", "login failure not counted (Redis): {e}");
        }
    }

    async fn take_back(&self, key: &str) {
        if let Some(pool) = self.0.get()
            && let Err(e) = take_back(pool, key).await
        {
            tracing::error!(target: "security", "login counter not corrected (Redis): {e}");
        }
    }

    async fn reset(&self, key: &str) {
        if let Some(pool) = self.0.get()
            && let Err(e) = reset(pool, key).await
        {
            tracing::error!(target: "security", "login counter not reset (Redis): {e}");
        }
    }
}
