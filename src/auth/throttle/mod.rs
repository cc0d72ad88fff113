//! Login throttling: per-username and per-address failure counters with
//! django-security's exponential delay and wording.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use sha2::{Digest, Sha256};

use crate::core::clock::{Clock, SharedClock};
use crate::core::error::ConfigError;
use crate::core::feature::{Builder, Feature};
use crate::core::part::Part;

#[cfg(feature = "db")]
mod database;
mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "db")]
pub use database::LoginAttempts;

/// Counters older than this are forgotten (the original's cache timeout).
const FORGET_AFTER: i64 = 48 * 3600;

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

/// The delays (s) a shared store applies in its own statement or script:
/// [`default_delay`] for 3 to 18 failures, the last (one day, its cap) for
/// more.
pub(super) fn store_delays() -> Vec<i64> {
    (3..=18).map(|n| default_delay(n) as i64).collect()
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
        let store: Arc<dyn CounterStore> = match self.storage {
            Storage::Memory => Arc::new(memory::MemoryStore::default()),
            #[cfg(feature = "db")]
            Storage::Database => Arc::new(database::DatabaseStore::default()),
            #[cfg(feature = "redis")]
            Storage::Redis => Arc::new(redis::RedisStore::default()),
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
/// security database or cache at liftoff when they live there.
pub(crate) struct ThrottlePart(pub(crate) Arc<ThrottleState>);

#[rocket::async_trait]
impl Part for ThrottlePart {
    fn ignite(&self, rocket: rocket::Rocket<rocket::Build>) -> rocket::Rocket<rocket::Build> {
        rocket.manage(self.0.clone())
    }

    async fn liftoff(&self, rocket: &rocket::Rocket<rocket::Orbit>) {
        self.0.store.liftoff(rocket).await;
    }
}

/// Managed state for throttling.
pub(crate) struct ThrottleState {
    pub(crate) store: Arc<dyn CounterStore>,
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

/// A counter as stored: the failures and the time of the last.
pub(crate) type Counter = (u32, DateTime<Utc>);

/// The wait due (seconds; none when not positive), and the username's and
/// the address's failures.
pub(crate) type Verdict = (f64, u32, u32);

/// Judges an attempt from the username's counter and the address's.
pub(crate) type Judge<'a> = &'a (dyn Fn(Counter, Counter) -> Verdict + Sync);

/// Where the counters live: one implementation per backend, in this process
/// (`memory.rs`) or shared by every instance (`database.rs`, `redis.rs`). A store
/// logs its own errors; `Unavailable` means the counters could not be read.
#[rocket::async_trait]
pub(crate) trait CounterStore: Send + Sync {
    /// Binds to the application's database or cache (a shared store).
    async fn liftoff(&self, _rocket: &rocket::Rocket<rocket::Orbit>) {}

    /// The counter of `key` as stored (`None`: no failures); `now` stands in
    /// for a time the store cannot read.
    async fn get(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Counter>, Unavailable>;

    /// Reads both counters and, when `judge` admits the attempt (no wait),
    /// counts it as a failure on both: under one lock in memory, in the store
    /// itself otherwise, so parallel attempts on every instance are admitted
    /// one at a time. The address decides first, and an address that must
    /// wait writes nothing (a throttled client cannot make a counter per
    /// username it tries).
    async fn admit(
        &self,
        user_key: &str,
        ip_key: &str,
        ip_threshold: u32,
        now: DateTime<Utc>,
        judge: Judge<'_>,
    ) -> Result<Verdict, Unavailable>;

    /// One more failure for `key`.
    async fn bump(&self, key: &str, now: DateTime<Utc>);

    /// Takes back one failure (the one `admit` counted for an attempt that succeeded).
    async fn take_back(&self, key: &str);

    /// Forgets `key`'s counter.
    async fn reset(&self, key: &str);
}

/// A counter as it counts at `now`: forgotten after the window.
#[cfg_attr(not(feature = "db"), allow(dead_code))]
fn fresh(counter: Option<Counter>, now: DateTime<Utc>) -> Counter {
    match counter {
        Some((_, at)) if (now - at).num_seconds() > FORGET_AFTER => (0, at),
        Some(c) => c,
        None => (0, now),
    }
}

/// A shared store's verdict once it has decided (`admitted`) and counted the
/// attempt: the counters are read back for the wording of a refusal.
#[cfg_attr(not(feature = "db"), allow(dead_code))]
async fn judged(
    store: &(impl CounterStore + ?Sized),
    admitted: bool,
    user_key: &str,
    ip_key: &str,
    now: DateTime<Utc>,
    judge: Judge<'_>,
) -> Result<Verdict, Unavailable> {
    let user = fresh(store.get(user_key, now).await?, now);
    let ip = fresh(store.get(ip_key, now).await?, now);
    let v = judge(user, ip);
    if admitted {
        return Ok((0.0, v.1, v.2));
    }
    // Refused: at least a second, whatever a parallel change did meanwhile.
    Ok((v.0.max(1.0), v.1, v.2))
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
        let (delay, user_n, ip_n) = match state.store.admit(&user_key, &ip_key, threshold, now, &verdict).await {
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
        state.store.bump(&user_key, now).await;
        state.store.bump(&ip_key, now).await;
    }

    /// Resets the username's counter after a successful login. The
    /// address keeps its earlier failures (unlike the original): an attacker
    /// with any valid account could otherwise clear their address's delay
    /// between bursts of a password spray. Only this attempt's own count is
    /// taken back.
    pub async fn succeeded(&self, username: &str) {
        let Some(state) = &self.state else { return };
        let (user_key, ip_key) = self.keys(username);
        state.store.reset(&user_key).await;
        if self.reserved.swap(false, std::sync::atomic::Ordering::Relaxed) {
            state.store.take_back(&ip_key).await;
        }
    }

    /// Resets a username's counter (an administrator's "unlock account").
    pub async fn reset_username(&self, username: &str) {
        if let Some(state) = &self.state {
            state.store.reset(&key("username", &username.to_lowercase())).await;
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
        let memory = Arc::new(memory::MemoryStore::default());
        let state = Arc::new(ThrottleState {
            store: memory.clone(),
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
        assert_eq!(memory.len(), 4, "three usernames and the address");
        for i in 3..1003 {
            let refused = attempt(&state, &clock).check(&format!("user{i}")).await.unwrap_err();
            assert_eq!(refused.status, Status::TooManyRequests);
        }
        assert_eq!(memory.len(), 4, "a refused attempt writes no counter");
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
