//! Login throttling: per-username and per-address failure counters with
//! django-security's exponential delay and wording.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use sha2::{Digest, Sha256};

use crate::core::clock::{Clock, SharedClock};
use crate::core::error::ConfigError;
use crate::core::feature::{Builder, Feature};
use crate::core::part::Part;

/// Counters older than this are forgotten (the original's cache timeout).
const FORGET_AFTER: i64 = 48 * 3600;

/// Most counters kept in memory (each is a hashed username or address).
const MEMORY_CAP: usize = 100_000;

/// django-security's `default_delay_function` for one counter: no delay for
/// the first 2 failures, then 5·2^(n−3) seconds, at most a day.
///
/// ```
/// use rocket_security::auth::default_delay;
/// assert_eq!([0, 1, 2, 3, 4, 5, 6, 100].map(default_delay), [0, 0, 0, 5, 10, 20, 40, 86400]);
/// ```
pub fn default_delay(failures: u32) -> u64 {
    if failures < 3 {
        return 0;
    }
    let exp = (failures - 3).min(40);
    5u64.saturating_mul(1u64 << exp).min(86_400)
}

/// The original's wording of a delay.
///
/// ```
/// use rocket_security::auth::delay_message;
/// assert_eq!(delay_message(0.1), "1 second");
/// assert_eq!(delay_message(31.0), "1 minute");
/// assert_eq!(delay_message(90.0), "2 minutes");
/// assert_eq!(delay_message(30.0), "30 seconds"); // round(0.5) is 0, as in Python
/// ```
pub fn delay_message(seconds: f64) -> String {
    // Python's round(): halves go to the even neighbour.
    let minutes = (seconds / 60.0).round_ties_even();
    if minutes == 1.0 {
        return "1 minute".into();
    }
    if minutes > 1.0 {
        return format!("{minutes:.0} minutes");
    }
    let secs = seconds.ceil().max(0.0);
    if secs == 1.0 {
        "1 second".into()
    } else {
        format!("{secs:.0} seconds")
    }
}

/// A refused login attempt: 429 with `Retry-After` and the original's
/// message, or 503 when the counters cannot be read (fail closed).
///
/// ```
/// use rocket::http::Status;
/// use rocket::local::blocking::Client;
/// use rocket::{post, routes};
/// use rocket_security::auth::{delay_message, Throttled};
///
/// #[post("/login")]
/// fn login() -> Throttled {
///     Throttled { retry_after: 90, message: format!("wait {}", delay_message(90.0)), status: Status::TooManyRequests }
/// }
///
/// let client = Client::tracked(rocket::custom(rocket::Config::default()).mount("/", routes![login])).unwrap();
/// let res = client.post("/login").dispatch();
/// assert_eq!(res.status(), Status::TooManyRequests);
/// assert_eq!(res.headers().get_one("Retry-After"), Some("90"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    /// Seconds to wait.
    pub retry_after: u64,
    /// "Due to the failure of previous attempts, ..."
    pub message: String,
    /// `429 Too Many Requests`, or `503 Service Unavailable` when the store cannot answer.
    pub status: Status,
}

impl<'r> Responder<'r, 'static> for Throttled {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(self.status)
            .header(ContentType::Plain)
            .header(Header::new("Retry-After", self.retry_after.to_string()))
            .sized_body(self.message.len(), std::io::Cursor::new(self.message))
            .ok()
    }
}

/// The `[default.security.throttle]` table; see [`auth`](crate::auth).
///
/// ```
/// use rocket::figment::Figment;
/// use rocket_security::SecurityConfig;
///
/// // Rocket.toml: [default.security.throttle] ip_threshold = 10
/// let figment = Figment::from(rocket::Config::default()).merge(("security.throttle.ip_threshold", 10));
/// let throttle = SecurityConfig::from_figment(&figment).unwrap().throttle;
/// assert_eq!(throttle.ip_threshold, 10);
/// assert_eq!(throttle.storage, rocket_security::auth::Storage::Memory);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Throttle {
    /// Throttle logins. _Default:_ `true`.
    pub enabled: bool,
    /// `"memory"` (per process), `"database"` (shared), or with the `redis`
    /// feature `"redis"` (shared, in `SecurityCache`). _Default:_ `"memory"`.
    pub storage: Storage,
    /// Failures from one address before it is delayed too. _Default:_ `20`.
    pub ip_threshold: u64,
    /// Admit login attempts when the counters cannot be read (logged at
    /// WARN) instead of answering `503`. _Default:_ `false`.
    pub fail_open: bool,
    /// `Report`: an attempt that would wait goes on to the password check,
    /// logged and counted (see [`Mode`](crate::core::Mode)). _Default:_ `Enforce`.
    pub mode: crate::core::Mode,
}

/// Where the throttle keeps its counters (`security.throttle.storage`).
///
/// ```
/// use rocket_security::auth::Storage;
/// assert_eq!(Storage::default(), Storage::Memory);
/// assert_eq!(Storage::Database.to_string(), "database");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Storage {
    /// `"memory"`: per process. The default.
    #[default]
    Memory,
    /// `"database"`: the security database, shared by every instance.
    Database,
    /// `"redis"`: Redis (`security_cache`, the `redis` feature), shared by every instance.
    Redis,
}

impl std::fmt::Display for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Storage::Memory => "memory",
            Storage::Database => "database",
            Storage::Redis => "redis",
        })
    }
}

impl<'de> serde::Deserialize<'de> for Storage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use crate::core::config::{describe, shaped, text};
        shaped(d, |v| match text(v).as_deref() {
            Some("memory") => Ok(Storage::Memory),
            Some("database") => Ok(Storage::Database),
            Some("redis") => Ok(Storage::Redis),
            Some(other) => Err(format!(
                "{other:?} is not a storage; use \"memory\" (per process), \"database\" (shared by every \
                 instance) or, with the `redis` feature, \"redis\" (`security_cache`)"
            )),
            None => Err(format!("expected a string, found {}", describe(v))),
        })
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            enabled: true,
            storage: Storage::Memory,
            ip_threshold: 20,
            fail_open: false,
            mode: crate::core::Mode::Enforce,
        }
    }
}

impl Feature for Throttle {
    const KEY: &'static str = "throttle";

    fn build(&self, b: &mut Builder<'_>) {
        b.summary.push(if self.enabled {
            format!(
                "login throttling: counters in {}, addresses delayed after {} failures",
                self.storage, self.ip_threshold
            )
        } else {
            "login throttling: off".into()
        });
        if self.enabled {
            b.report_mode("mode", self.mode, "login throttling");
        }
        if !b.release {
            return;
        }
        if !self.enabled {
            b.warn(
                "security.W020",
                "login throttling is off: passwords can be guessed at full speed",
                "set `security.throttle.enabled = true` (the default)",
            );
        } else if self.fail_open {
            b.warn(
                "security.W013",
                "`security.throttle.fail_open = true`: while the counters cannot be read, logins are not throttled",
                "set `security.throttle.fail_open = false` (the default: such logins get 503)",
            );
        }
        if self.enabled && self.storage == Storage::Memory && b.deployment.shared_database {
            b.warn(
                "security.W012",
                "login throttle counters are kept per process (`storage = \"memory\"`) while the security database \
                 is a server, so several instances are likely: each instance counts on its own, and an attacker \
                 multiplies the allowed guesses by the number of instances",
                "set `security.throttle.storage = \"database\"` (counters shared by every instance)",
            );
        }
    }
}

impl Throttle {
    pub(crate) fn compile(&self, errors: &mut Vec<ConfigError>) -> Option<ThrottleState> {
        let store = match self.storage {
            Storage::Memory => Store::Memory(Mutex::default()),
            #[cfg(feature = "db")]
            Storage::Database => Store::Database(std::sync::OnceLock::new()),
            #[cfg(feature = "redis")]
            Storage::Redis => Store::Redis(std::sync::OnceLock::new()),
            #[cfg(not(feature = "db"))]
            Storage::Database => {
                errors.push(ConfigError::new(
                    "security.throttle.storage",
                    "\"database\" keeps the counters in the security database: enable a database feature of \
                     rocket_security in Cargo.toml (features = [\"sqlite\"], or \"postgres\" / \"mysql\"), or use \
                     \"memory\" (per process)",
                ));
                return None;
            }
            #[cfg(not(feature = "redis"))]
            Storage::Redis => {
                errors.push(ConfigError::new(
                    "security.throttle.storage",
                    "\"redis\" keeps the counters in Redis (`security_cache`): enable the `redis` feature of \
                     rocket_security in Cargo.toml (features = [\"redis\"]), or use \"memory\" (per process)",
                ));
                return None;
            }
        };
        if self.ip_threshold < 3 {
            errors.push(ConfigError::new("security.throttle.ip_threshold", "must be at least 3"));
        }
        self.enabled.then(|| ThrottleState {
            store,
            ip_threshold: self.ip_threshold.min(u32::MAX as u64) as u32,
            fail_open: self.fail_open,
            mode: self.mode,
        })
    }
}

/// The throttling part: the counters as managed state, bound to the
/// security database at liftoff when they live there.
pub(crate) struct ThrottlePart(pub(crate) Arc<ThrottleState>);

#[rocket::async_trait]
impl Part for ThrottlePart {
    fn ignite(&self, rocket: rocket::Rocket<rocket::Build>) -> rocket::Rocket<rocket::Build> {
        rocket.manage(self.0.clone())
    }

    async fn liftoff(&self, _rocket: &rocket::Rocket<rocket::Orbit>) {
        #[cfg(feature = "redis")]
        if let Store::Redis(slot) = &self.0.store {
            match crate::db::cache::cache_of(_rocket) {
                Some(pool) => {
                    let _ = slot.set(pool);
                }
                None => tracing::error!(
                    target: "security",
                    "`security.throttle.storage = \"redis\"` but `SecurityCache` is not attached: login attempts get \
                     503 (fail closed); attach `SecurityCache::init()` or set `security.throttle.fail_open = true`"
                ),
            }
        }
        #[cfg(feature = "db")]
        if let Store::Database(slot) = &self.0.store {
            match crate::db::bound(_rocket) {
                Some(p) => {
                    let _ = slot.set(p.clone());
                    // Counters older than the forgetting window are pruned hourly.
                    let pool = p.clone();
                    rocket::tokio::spawn(async move {
                        loop {
                            rocket::tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                            let before = Utc::now() - Duration::seconds(FORGET_AFTER);
                            if let Err(e) = crate::db::LoginAttempts::prune(&pool, before).await {
                                tracing::warn!(target: "security", "login counters not pruned: {e}");
                            }
                        }
                    });
                }
                None => tracing::error!(
                    target: "security",
                    "`security.throttle.storage = \"database\"` but no security database is attached: login attempts get 503 \
                     (fail closed); attach the security database or set `security.throttle.fail_open = true`"
                ),
            }
        }
    }
}

/// Where the counters live.
pub(crate) enum Store {
    /// In this process (documented per-process state).
    Memory(Mutex<HashMap<String, (u32, DateTime<Utc>)>>),
    /// In the shared database, so several instances see the same counts.
    #[cfg(feature = "db")]
    Database(std::sync::OnceLock<crate::db::SecurityPool>),
    /// In Redis (`security_cache`), shared by every instance.
    #[cfg(feature = "redis")]
    Redis(std::sync::OnceLock<rocket_db_pools::deadpool_redis::Pool>),
}

/// One more failure for `key`, under the caller's lock (so concurrent
/// failures all count). The map stays bounded, and a counter that currently
/// imposes a delay is never evicted: a flood of cheap unknown-user attempts
/// cannot clear a victim's delay. When every entry imposes one, a new key is
/// not counted (and logged) rather than evicting any.
fn bump_locked(m: &mut HashMap<String, (u32, DateTime<Utc>)>, key: &str, now: DateTime<Utc>) {
    if m.len() >= MEMORY_CAP && !m.contains_key(key) {
        m.retain(|_, (_, at)| (now - *at).num_seconds() <= FORGET_AFTER);
        if m.len() >= MEMORY_CAP {
            // Drop the counters that delay nothing now (under 3 failures, or their delay is over).
            m.retain(|_, (n, at)| *n >= 3 && *at + Duration::seconds(default_delay(*n) as i64) > now);
        }
        if m.len() >= MEMORY_CAP {
            tracing::warn!(
                target: "security",
                "login throttling: {MEMORY_CAP} counters all impose a delay; this failure is not counted"
            );
            return;
        }
    }
    let entry = m.entry(key.to_string()).or_insert((0, now));
    if (now - entry.1).num_seconds() > FORGET_AFTER {
        entry.0 = 0;
    }
    *entry = (entry.0 + 1, now);
}

#[cfg(test)]
mod eviction_tests {
    use super::*;

    #[test]
    fn a_flood_of_new_keys_never_evicts_a_delaying_counter() {
        let now = Utc::now();
        let mut m = HashMap::new();
        for _ in 0..5 {
            bump_locked(&mut m, "victim", now);
        }
        for i in 0..MEMORY_CAP + 10 {
            bump_locked(&mut m, &format!("flood-{i}"), now);
        }
        assert_eq!(m.get("victim").map(|e| e.0), Some(5), "the victim's delay survives");
        assert!(m.len() <= MEMORY_CAP, "bounded: {}", m.len());
    }
}

/// Managed state for throttling.
pub(crate) struct ThrottleState {
    pub(crate) store: Store,
    pub(crate) ip_threshold: u32,
    pub(crate) fail_open: bool,
    pub(crate) mode: crate::core::Mode,
}

/// The counters could not be read.
pub(crate) struct Unavailable;

fn key(kind: &str, id: &str) -> String {
    let digest = Sha256::digest(format!("security.authentication_throttling.{kind}:{id}").as_bytes());
    crate::core::hex::encode(&digest)
}

impl ThrottleState {
    async fn get(&self, key: &str, now: DateTime<Utc>) -> Result<(u32, DateTime<Utc>), Unavailable> {
        let fresh =
            |(n, at): (u32, DateTime<Utc>)| if (now - at).num_seconds() > FORGET_AFTER { (0, at) } else { (n, at) };
        match &self.store {
            Store::Memory(m) => {
                Ok(m.lock().unwrap_or_else(|e| e.into_inner()).get(key).copied().map_or((0, now), fresh))
            }
            #[cfg(feature = "db")]
            Store::Database(pool) => {
                // No pool (no database attached) counts as unavailable: never "no failures".
                let Some(pool) = pool.get() else { return Err(Unavailable) };
                match crate::db::LoginAttempts::get(pool, key).await {
                    Ok(Some((n, at))) => Ok(fresh((n, at))),
                    Ok(None) => Ok((0, now)),
                    Err(e) => {
                        tracing::error!(target: "security", "login throttling counters unavailable: {e}");
                        Err(Unavailable)
                    }
                }
            }
            #[cfg(feature = "redis")]
            Store::Redis(pool) => {
                let Some(pool) = pool.get() else { return Err(Unavailable) };
                match crate::db::cache::throttle::get(pool, key).await {
                    Ok((0, _)) => Ok((0, now)),
                    Ok((n, at)) => Ok(fresh((n, DateTime::from_timestamp_millis(at).unwrap_or(now)))),
                    Err(e) => {
                        tracing::error!(target: "security", "login throttling counters unavailable (Redis): {e}");
                        Err(Unavailable)
                    }
                }
            }
        }
    }

    /// Reads both counters and, when `verdict` admits the attempt (no wait),
    /// counts it as a failure on both: under one lock in memory, in the store
    /// itself otherwise. A refused attempt writes no counter (see
    /// [`admit_shared`](Self::admit_shared)).
    async fn admit(
        &self,
        user_key: &str,
        ip_key: &str,
        now: DateTime<Utc>,
        verdict: impl Fn((u32, DateTime<Utc>), (u32, DateTime<Utc>)) -> (f64, u32, u32),
    ) -> Result<(f64, u32, u32), Unavailable> {
        match &self.store {
            Store::Memory(m) => {
                let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
                let fresh = |e: Option<&(u32, DateTime<Utc>)>| match e {
                    Some((n, at)) if (now - *at).num_seconds() <= FORGET_AFTER => (*n, *at),
                    _ => (0, now),
                };
                let v = verdict(fresh(m.get(user_key)), fresh(m.get(ip_key)));
                if v.0 <= 0.0 {
                    bump_locked(&mut m, user_key, now);
                    bump_locked(&mut m, ip_key, now);
                }
                Ok(v)
            }
            #[allow(unreachable_patterns)]
            _ => {
                let admitted = self.admit_shared(user_key, ip_key, now).await?;
                let v = verdict(self.get(user_key, now).await?, self.get(ip_key, now).await?);
                if admitted {
                    return Ok((0.0, v.1, v.2));
                }
                // Refused: at least a second, whatever a parallel change did meanwhile.
                Ok((v.0.max(1.0), v.1, v.2))
            }
        }
    }

    /// Decides and counts an attempt in a shared store, so that parallel
    /// attempts on every instance are admitted one at a time: the address
    /// decides first, and an address that must wait writes nothing (a
    /// throttled client cannot make a counter per username it tries). Redis
    /// decides both in one script; the database in one conditional statement
    /// per counter, giving the address's count back when the username must wait.
    #[cfg_attr(not(feature = "db"), allow(unused_variables))]
    async fn admit_shared(&self, user_key: &str, ip_key: &str, now: DateTime<Utc>) -> Result<bool, Unavailable> {
        // Waits for 3..=18 failures; `ip_threshold` is at least 3 (checked at ignite).
        let delays: Vec<i64> = (3..=18).map(|n| default_delay(n) as i64).collect();
        let unavailable = |e: String| {
            tracing::error!(target: "security", "login throttling counters unavailable: {e}");
            Unavailable
        };
        match &self.store {
            // Decided under the map's lock in `admit`.
            Store::Memory(_) => Ok(true),
            #[cfg(feature = "db")]
            Store::Database(pool) => {
                use crate::db::LoginAttempts;
                let Some(pool) = pool.get() else { return Err(Unavailable) };
                let forget = now - Duration::seconds(FORGET_AFTER);
                let admit = |key, free| LoginAttempts::admit(pool, key, now, forget, free, &delays);
                if !admit(ip_key, self.ip_threshold).await.map_err(|e| unavailable(e.to_string()))? {
                    return Ok(false);
                }
                if admit(user_key, 3).await.map_err(|e| unavailable(e.to_string()))? {
                    return Ok(true);
                }
                // The username must wait (its row exists: it has failures).
                if let Err(e) = LoginAttempts::take_back(pool, ip_key).await {
                    tracing::error!(target: "security", "login counter not corrected: {e}");
                }
                Ok(false)
            }
            #[cfg(feature = "redis")]
            Store::Redis(pool) => {
                let Some(pool) = pool.get() else { return Err(Unavailable) };
                let window = (now.timestamp_millis(), FORGET_AFTER * 1000);
                crate::db::cache::throttle::admit(pool, (ip_key, self.ip_threshold), (user_key, 3), window, &delays)
                    .await
                    .map_err(|e| unavailable(format!("{e} (Redis)")))
            }
        }
    }

    async fn bump(&self, key: &str, now: DateTime<Utc>) {
        match &self.store {
            Store::Memory(m) => bump_locked(&mut m.lock().unwrap_or_else(|e| e.into_inner()), key, now),
            #[cfg(feature = "db")]
            Store::Database(pool) => {
                if let Some(pool) = pool.get()
                    && let Err(e) = crate::db::LoginAttempts::record_failure(pool, key, now).await
                {
                    tracing::error!(target: "security", "login failure not counted: {e}");
                }
            }
            #[cfg(feature = "redis")]
            Store::Redis(pool) => {
                if let Some(pool) = pool.get() {
                    let r = crate::db::cache::throttle::bump(pool, key, now.timestamp_millis(), FORGET_AFTER * 1000);
                    if let Err(e) = r.await {
                        tracing::error!(target: "security", "login failure not counted (Redis): {e}");
                    }
                }
            }
        }
    }

    /// Takes back one failure (the one `check` reserved for an attempt that succeeded).
    async fn take_back(&self, key: &str) {
        match &self.store {
            Store::Memory(m) => {
                let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(e) = m.get_mut(key) {
                    e.0 = e.0.saturating_sub(1);
                }
            }
            #[cfg(feature = "db")]
            Store::Database(pool) => {
                if let Some(pool) = pool.get()
                    && let Err(e) = crate::db::LoginAttempts::take_back(pool, key).await
                {
                    tracing::error!(target: "security", "login counter not corrected: {e}");
                }
            }
            #[cfg(feature = "redis")]
            Store::Redis(pool) => {
                if let Some(pool) = pool.get()
                    && let Err(e) = crate::db::cache::throttle::take_back(pool, key).await
                {
                    tracing::error!(target: "security", "login counter not corrected (Redis): {e}");
                }
            }
        }
    }

    async fn reset(&self, key: &str) {
        match &self.store {
            Store::Memory(m) => {
                m.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
            }
            #[cfg(feature = "db")]
            Store::Database(pool) => {
                if let Some(pool) = pool.get()
                    && let Err(e) = crate::db::LoginAttempts::reset(pool, key).await
                {
                    tracing::error!(target: "security", "login counter not reset: {e}");
                }
            }
            #[cfg(feature = "redis")]
            Store::Redis(pool) => {
                if let Some(pool) = pool.get()
                    && let Err(e) = crate::db::cache::throttle::reset(pool, key).await
                {
                    tracing::error!(target: "security", "login counter not reset (Redis): {e}");
                }
            }
        }
    }
}

/// The login handler's view of throttling: check before verifying the
/// password, then report the outcome.
///
/// ```
/// # use rocket::{post, form::Form, FromForm, response::Redirect};
/// use rocket_security::auth::{LoginThrottle, Throttled};
///
/// #[derive(FromForm)]
/// struct Login<'r> { username: &'r str, password: &'r str }
///
/// #[post("/login", data = "<form>")]
/// async fn login(form: Form<Login<'_>>, throttle: LoginThrottle) -> Result<Redirect, Throttled> {
///     throttle.check(form.username).await?;
///     if form.password == "correct" {
///         throttle.succeeded(form.username).await;
///         Ok(Redirect::to("/"))
///     } else {
///         throttle.failed(form.username).await;
///         Ok(Redirect::to("/login?failed=1"))
///     }
/// }
/// ```
///
/// Usernames are compared lower-cased (the original's reset view forgot
/// this). The client address is the socket peer, or `X-Forwarded-For` from a
/// trusted proxy.
pub struct LoginThrottle {
    state: Option<Arc<ThrottleState>>,
    clock: Arc<dyn Clock>,
    ip: Option<IpAddr>,
    /// `check` admitted this attempt and counted it already.
    reserved: std::sync::atomic::AtomicBool,
    /// In report mode: where to record, and the request.
    report: Option<(Option<Arc<crate::core::rollout::Observed>>, crate::core::rollout::RequestLine)>,
}

impl LoginThrottle {
    fn keys(&self, username: &str) -> (String, String) {
        let ip = match self.ip {
            // One IPv6 client holds a whole /64: key it by that, as the collector does.
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(v4) => v4.to_string(),
            None => "unknown".into(),
        };
        (key("username", &username.to_lowercase()), key("ip", &ip))
    }

    /// `Err(Throttled)` if this username or address must wait; the password
    /// must not be checked then.
    ///
    /// An admitted attempt is counted as a failure at once (and forgotten by
    /// [`succeeded`](Self::succeeded)), so parallel attempts cannot all slip
    /// through between the check and the outcome.
    pub async fn check(&self, username: &str) -> Result<(), Throttled> {
        let Some(state) = &self.state else { return Ok(()) };
        let now = self.clock.now();
        let (user_key, ip_key) = self.keys(username);
        let threshold = state.ip_threshold;
        let verdict = |(user_n, user_at): (u32, DateTime<Utc>), (ip_n, ip_at): (u32, DateTime<Utc>)| {
            let ip_delay = default_delay(ip_n.saturating_sub(threshold.saturating_sub(3)));
            let wait = |n: u32, delay: u64, at: DateTime<Utc>| {
                if n == 0 {
                    0.0
                } else {
                    ((at + Duration::seconds(delay as i64)) - now).num_milliseconds() as f64 / 1000.0
                }
            };
            (wait(user_n, default_delay(user_n), user_at).max(wait(ip_n, ip_delay, ip_at)), user_n, ip_n)
        };
        let (delay, user_n, ip_n) = match state.admit(&user_key, &ip_key, now, verdict).await {
            Ok(v) => v,
            Err(Unavailable) if state.fail_open => {
                tracing::warn!(target: "security", "login throttling unavailable: admitting (`security.throttle.fail_open = true`)");
                return Ok(());
            }
            Err(Unavailable) => {
                tracing::error!(target: "security", "login throttling unavailable: refusing the attempt with 503 (fail closed)");
                return Err(Throttled {
                    retry_after: 5,
                    message: "Login is unavailable right now; please try again shortly.".into(),
                    status: Status::ServiceUnavailable,
                });
            }
        };
        if delay <= 0.0 {
            self.reserved.store(true, std::sync::atomic::Ordering::Relaxed);
            return Ok(());
        }
        if let Some((observed, at)) = &self.report {
            let detail = format!("{delay:.0} s due: {user_n} failures for the account, {ip_n} for the address");
            crate::core::rollout::record(observed.as_ref(), at, "login_throttle", "throttled", &detail);
            return Ok(());
        }
        tracing::info!(target: "security", "login throttled for {delay:.0} s ({user_n} failures for the account, {ip_n} for the address)");
        Err(Throttled {
            status: Status::TooManyRequests,
            retry_after: delay.ceil() as u64,
            message: format!(
                "Due to the failure of previous attempts, your login request has been denied as a security precaution. \
                 Please try again in at least {}.",
                delay_message(delay)
            ),
        })
    }

    /// Counts a failed attempt for the username and the address (already
    /// counted if [`check`](Self::check) admitted it).
    pub async fn failed(&self, username: &str) {
        let Some(state) = &self.state else { return };
        if self.reserved.swap(false, std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let now = self.clock.now();
        let (user_key, ip_key) = self.keys(username);
        state.bump(&user_key, now).await;
        state.bump(&ip_key, now).await;
    }

    /// Resets the username's counter after a successful login. The
    /// address keeps its earlier failures (unlike the original): an attacker
    /// with any valid account could otherwise clear their address's delay
    /// between bursts of a password spray. Only this attempt's own count is
    /// taken back.
    pub async fn succeeded(&self, username: &str) {
        let Some(state) = &self.state else { return };
        let (user_key, ip_key) = self.keys(username);
        state.reset(&user_key).await;
        if self.reserved.swap(false, std::sync::atomic::Ordering::Relaxed) {
            state.take_back(&ip_key).await;
        }
    }

    /// Resets a username's counter (an administrator's "unlock account").
    pub async fn reset_username(&self, username: &str) {
        if let Some(state) = &self.state {
            state.reset(&key("username", &username.to_lowercase())).await;
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for LoginThrottle {
    type Error = Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Infallible> {
        let state = req.rocket().state::<Arc<ThrottleState>>().cloned();
        let ip = match req.rocket().state::<crate::core::https::HttpsState>() {
            Some(h) => h.0.client_ip(req),
            None => req.remote().map(|r| r.ip().to_canonical()),
        };
        // Only report mode names the request later.
        let report = state.as_ref().filter(|s| s.mode.is_report()).map(|_| {
            (crate::core::rollout::Observed::of(req.rocket()).cloned(), crate::core::rollout::RequestLine::of(req))
        });
        Outcome::Success(LoginThrottle {
            state,
            clock: SharedClock::of(req.rocket()),
            ip,
            reserved: Default::default(),
            report,
        })
    }
}

#[cfg(test)]
mod refused_writes {
    use super::*;
    use crate::core::clock::ManualClock;

    fn attempt(state: &Arc<ThrottleState>, clock: &ManualClock) -> LoginThrottle {
        LoginThrottle {
            state: Some(state.clone()),
            clock: Arc::new(clock.clone()),
            ip: Some("198.51.100.7".parse().unwrap()),
            reserved: Default::default(),
            report: None,
        }
    }

    #[rocket::async_test]
    async fn a_throttled_address_makes_no_counter_for_the_usernames_it_tries_in_memory() {
        let state = Arc::new(ThrottleState {
            store: Store::Memory(Mutex::default()),
            ip_threshold: 3,
            fail_open: false,
            mode: crate::core::Mode::Enforce,
        });
        let clock = ManualClock::new(Utc::now());
        for i in 0..3 {
            let t = attempt(&state, &clock);
            assert_eq!(t.check(&format!("user{i}")).await, Ok(()));
            t.failed(&format!("user{i}")).await;
        }
        let Store::Memory(m) = &state.store else { unreachable!() };
        assert_eq!(m.lock().unwrap().len(), 4, "three usernames and the address");
        for i in 3..1003 {
            let refused = attempt(&state, &clock).check(&format!("user{i}")).await.unwrap_err();
            assert_eq!(refused.status, Status::TooManyRequests);
        }
        assert_eq!(m.lock().unwrap().len(), 4, "a refused attempt writes no counter");
    }
}

#[cfg(test)]
mod tests {
    use super::{default_delay, delay_message};

    #[test]
    fn the_originals_delay_function() {
        // django-security §7.11: a in {0,1,2} -> 0; 4,5,6 -> 10,20,40; 100 -> 86400.
        for (a, d) in [(0, 0), (1, 0), (2, 0), (4, 10), (5, 20), (6, 40), (100, 86_400)] {
            assert_eq!(default_delay(a), d, "{a}");
        }
    }

    #[test]
    fn the_originals_wording() {
        for (s, m) in [
            (0.0, "0 seconds"),
            (0.1, "1 second"),
            (1.0, "1 second"),
            (31.0, "1 minute"),
            (60.0, "1 minute"),
            (61.0, "1 minute"),
            (90.0, "2 minutes"),
            (120.0, "2 minutes"),
            (30.0, "30 seconds"),
            (150.0, "2 minutes"),
            (86_400.0, "1440 minutes"),
        ] {
            assert_eq!(delay_message(s), m, "{s}");
        }
    }
}
