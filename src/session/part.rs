//! The session-expiry part: compiling the settings, the request gate that
//! refuses expired sessions, the response work that writes the stamp, and
//! the status endpoint.

use std::sync::Arc;

use rocket::http::uri::Origin;
use rocket::http::{ContentType, Method, Status};
use rocket::route::{Handler, Outcome};
use rocket::{Build, Data, Orbit, Request, Response, Rocket, Route};

use super::config::SessionExpiry;
use super::registry::{Check, Registry};
use super::stamp::{describe, Applied, Decision, SessionPolicy, Stamp, Verdict};
use super::state::{Local, Shared};
use crate::auth::answer::{end_session, refuse, session_owner, target, AuthFailure};
use crate::core::clock::{Clock, SharedClock};
use crate::core::error::ConfigError;
use crate::core::keys::{Keys, NoKey};
use crate::core::part::{Finish, Gate, Part};
use crate::core::paths::{PathPattern, PathSet};

/// Where a logged-in request goes when the registry cannot answer.
const UNAVAILABLE_ROUTE: &str = "/__rocket_security/session-unavailable";

fn cookie_name_ok(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl SessionExpiry {
    pub(crate) fn compile(
        &self,
        keys: Result<&Arc<Keys>, NoKey>,
        extra_passive: &[&str],
        errors: &mut Vec<ConfigError>,
    ) -> Option<SessionPolicy> {
        let key = |f: &str| format!("security.session.{f}");
        if self.cookies.is_empty() {
            errors.push(ConfigError::new(key("cookies"), "list the application's login cookies, e.g. [\"user_id\"]"));
        }
        for (i, c) in self.cookies.iter().chain(std::iter::once(&self.cookie_name)).enumerate() {
            if !cookie_name_ok(c) {
                let field = if i < self.cookies.len() { format!("cookies[{i}]") } else { "cookie_name".into() };
                errors.push(ConfigError::new(key(&field), format!("{c:?} is not a cookie name")));
            }
        }
        if self.idle_timeout == 0 || self.absolute_timeout == 0 {
            errors.push(ConfigError::new(key("idle_timeout"), "timeouts must be at least 1 second"));
        }
        if self.refresh_interval >= self.idle_timeout {
            errors.push(ConfigError::new(
                key("refresh_interval"),
                format!(
                    "must be shorter than idle_timeout ({} s), or activity could never be recorded in time",
                    self.idle_timeout
                ),
            ));
        }
        let mut passive = PathSet::parse(&key("passive_paths"), &self.passive_paths, errors);
        for p in extra_passive.iter().chain(std::iter::once(&self.status_path.as_str())) {
            if let Ok(p) = PathPattern::parse(p) {
                passive.push(p);
            } else {
                errors.push(ConfigError::new(key("status_path"), format!("{p:?} is not a path")));
            }
        }
        if self.enabled && self.registry && cfg!(not(feature = "db")) {
            errors.push(ConfigError::new(
                key("registry"),
                "the session registry lives in the security database: enable one of the `sqlite`, `postgres` \
                 or `mysql` features, or set `registry = false` (sessions then end only when their stamp expires)",
            ));
        }
        if self.registry && self.prune_interval == 0 {
            errors.push(ConfigError::new(key("prune_interval"), "must be at least 1 second"));
        }
        if self.max_per_user > 0 {
            self.check_limit(self.max_per_user, errors);
        }
        if self.revocation_check_ms > 60_000 {
            errors.push(ConfigError::new(
                key("revocation_check_ms"),
                format!(
                    "{} ms would let a revoked session live on other instances for over a minute; use at most 60000",
                    self.revocation_check_ms
                ),
            ));
        }
        if !self.enabled {
            return None;
        }
        match keys {
            Ok(keys) => Some(SessionPolicy::new(self.clone(), keys.clone(), passive)),
            Err(NoKey::Missing) => {
                errors.push(ConfigError::new(
                    "secret_key",
                    "session expiry encrypts its cookie with Rocket's `secret_key`, which is not set; add \
                     `secret_key = \"...\"` (generate one with `openssl rand -base64 64 | tr -d '\\n'`) or set `security.session.enabled = false`",
                ));
                None
            }
            Err(NoKey::Unusable) => {
                errors.push(ConfigError::new(
                    "secret_key",
                    "must be at least 32 bytes, base64 or hex encoded (`openssl rand -base64 64 | tr -d '\\n'`)",
                ));
                None
            }
        }
    }
}

impl SessionExpiry {
    /// `max_per_user` (not 0): a number of sessions the registry can count.
    fn check_limit(&self, n: u64, errors: &mut Vec<ConfigError>) {
        let key = "security.session.max_per_user";
        if n > MAX_LIMIT {
            errors.push(ConfigError::new(
                key,
                format!(
                    "{n} is more than a user's sessions can be listed; set at most {MAX_LIMIT}, or set \
                     `security.session.max_per_user = 0` for no limit"
                ),
            ));
        }
        if !self.enabled {
            errors.push(ConfigError::new(
                key,
                "a session limit needs the sessions kept on the server, and session expiry is off: set \
                 `security.session.enabled = true` (with the security database attached), or set \
                 `security.session.max_per_user = 0` for no limit",
            ));
        } else if !self.registry {
            errors.push(ConfigError::new(
                key,
                "a session limit counts the user's sessions in the registry, which is off: set \
                 `security.session.registry = true` (the default; it needs the security database), or set \
                 `security.session.max_per_user = 0` for no limit",
            ));
        }
    }
}

/// The highest `max_per_user`: as many sessions as [`Sessions::list`](super::Sessions::list) shows.
const MAX_LIMIT: u64 = 100;

/// The compiled session expiry, with the paths where an ended session is
/// dropped without a refusal (the login page and the other open paths).
pub(crate) struct SessionPart {
    shared: Arc<Shared>,
    open: PathSet,
}

impl SessionPart {
    pub(crate) fn new(policy: SessionPolicy, open: PathSet, clock: Arc<dyn Clock>) -> Self {
        let registry = policy.config.registry.then(|| Registry::new(policy.config.revocation_check_ms));
        let fail_open = policy.config.fail_open;
        SessionPart { shared: Arc::new(Shared { policy, registry, fail_open, clock }), open }
    }

    /// Ends the request's session: open paths go on without it, others are
    /// refused. `sid`: a session whose own stamp says it timed out, ended in
    /// the registry too before the answer (so a copy of the cookies presented
    /// after it is refused on every instance), waiting at most [`END_WAIT`].
    /// `why`: the reason the registry recorded for a revoked session.
    async fn expire(
        &self,
        req: &mut Request<'_>,
        reason: &'static str,
        sid: Option<String>,
        why: Option<Arc<str>>,
    ) -> Gate {
        let words = why.as_deref().map(|w| format!(", {}", super::reason::explain(w))).unwrap_or_default();
        tracing::info!(
            target: "security",
            "session expired ({reason}{words}; {}) on {}",
            describe(self.shared.policy.stamp(req).as_ref()),
            req.uri().path()
        );
        if let (Some(sid), Some(registry)) = (sid, &self.shared.registry) {
            // Ended here already: nothing more to write.
            if !matches!(registry.cached(&sid), Some(Check::Ended(_)))
                && let Some(task) = self.shared.end_on_server(req.rocket(), &sid, reason)
                && rocket::tokio::time::timeout(END_WAIT, task).await.is_err()
            {
                tracing::warn!(
                    target: "security",
                    "session registry slow: the {reason} expiry is still being recorded after {} s",
                    END_WAIT.as_secs()
                );
            }
        }
        let _ = Local::of(req).decision.set(Decision::Expired(reason));
        end_session(req);
        if self.open.matches(req.uri()) {
            return Gate::Pass;
        }
        let next = target(req);
        // The login page may say why: the user did not end this session.
        let ended = why.filter(|w| super::reason::is_session_limit(w));
        refuse(req, AuthFailure::Expired { reason, next, ended });
        Gate::Rewritten
    }
}

/// How long an expiry waits for the registry to record it before answering.
const END_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

#[rocket::async_trait]
impl Part for SessionPart {
    fn ignite(&self, rocket: Rocket<Build>) -> Rocket<Build> {
        let status = SessionStatus(self.shared.clone());
        let path = self.shared.policy.config.status_path.as_str();
        let source = crate::core::principal::SessionOf(Box::new(Source(self.shared.clone())));
        rocket.manage(self.shared.clone()).manage(source).mount(
            "/",
            vec![
                Route::ranked(-90, Method::Get, path, status),
                Route::ranked(-100, Method::Get, UNAVAILABLE_ROUTE, Unavailable),
            ],
        )
    }

    async fn liftoff(&self, rocket: &Rocket<Orbit>) {
        if self.shared.registry.is_none() {
            return;
        }
        #[cfg(feature = "db")]
        match crate::db::bound(rocket) {
            Some(pool) => {
                let (pool, shared) = (pool.clone(), self.shared.clone());
                rocket::tokio::spawn(prune(pool, shared));
                #[cfg(feature = "redis")]
                self.listen_for_revocations(rocket);
            }
            None => tracing::error!(
                target: "security",
                "`security.session.registry` is on but no security database is attached: logged-in requests get \
                 503; attach `SecurityDb::init()` (or name yours with `Security::fairing().database::<Db>()`), or set \
                 `security.session.registry = false`"
            ),
        }
        #[cfg(not(feature = "db"))]
        let _ = rocket;
    }

    fn gates(&self) -> bool {
        true
    }

    async fn request(&self, req: &mut Request<'_>, _data: &mut rocket::Data<'_>) -> Gate {
        let now = self.shared.clock.now();
        let (stamp, refresh, reseal) = match self.shared.policy.decide(req, now) {
            Verdict::Nothing => return Gate::Pass,
            Verdict::Forget => {
                let _ = Local::of(req).decision.set(Decision::Forget);
                return Gate::Pass;
            }
            Verdict::Expired { reason, sid } => return Box::pin(self.expire(req, reason, sid, None)).await,
            Verdict::Live { stamp, refresh, reseal } => (stamp, refresh, reseal),
        };
        match self.shared.check(req.rocket(), &stamp.sid).await {
            Check::Live(owner) => session_owner(req, owner),
            Check::Ended(why) => {
                let why = match why {
                    Some(why) => Some(why),
                    None => self.shared.end_reason(req.rocket(), &stamp.sid).await,
                };
                return Box::pin(self.expire(req, "revoked", None, why)).await;
            }
            Check::Unavailable if self.shared.fail_open => tracing::warn!(
                target: "security",
                "session registry unavailable: admitting {} anyway (`security.session.fail_open = true`)",
                req.uri().path()
            ),
            Check::Unavailable => {
                end_session(req);
                if self.open.matches(req.uri()) {
                    // The page works without the session; the session is not trusted on it.
                    return Gate::Pass;
                }
                tracing::warn!(
                    target: "security",
                    "session registry unavailable: refusing {} with 503 (fail closed)",
                    req.uri().path()
                );
                req.set_method(Method::Get);
                req.set_uri(Origin::parse(UNAVAILABLE_ROUTE).expect("static route URI"));
                return Gate::Rewritten;
            }
        }
        let local = Local::of(req);
        if refresh {
            let fresh = Stamp { last: now.timestamp(), ..stamp.clone() };
            let _ = local.decision.set(Decision::Stamp(fresh));
            #[cfg(feature = "db")]
            if let (Some(_), Some(pool)) = (&self.shared.registry, crate::db::bound(req.rocket())) {
                let (pool, hash) = (pool.clone(), super::registry::id_hash(&stamp.sid));
                rocket::tokio::spawn(async move {
                    if let Err(e) = super::SessionRecord::touch(&pool, &hash, now).await {
                        tracing::warn!(target: "security", "session last-seen not recorded: {e}");
                    }
                });
            }
        } else if let Some(sealer) = reseal {
            // Sealed with a fallback key: the same stamp, sealed with the current key.
            tracing::debug!(target: "security", "session stamp opened with `{sealer}`: sealed again with `secret_key`");
            let _ = local.decision.set(Decision::Stamp(stamp.clone()));
        }
        let _ = local.current.set(stamp);
        Gate::Pass
    }

    fn responds(&self) -> bool {
        true
    }

    fn needs_scheme(&self) -> bool {
        true
    }

    fn response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>, finish: &Finish<'_>) {
        let local = Local::used(req);
        let login = local.and_then(Local::login);
        let decision = match local {
            Some(l) if l.logged_out() && login.is_none() => Some(Decision::Forget),
            Some(l) => l.decision.get().cloned(),
            None => None,
        };
        let current = local.and_then(|l| l.current.get());
        let applied = self.shared.policy.apply(req, decision.as_ref(), login.as_ref(), current, finish.secure, res);
        match applied {
            Applied::Nothing => {}
            Applied::UnissuedLogin => tracing::warn!(
                target: "security",
                "{} set the login cookie(s) without `Sessions::login`: no session was issued, so the next request \
                 counts as logged out (expired=unverified); call `sessions.login(&user)` in the login handler",
                req.uri().path()
            ),
            Applied::LoggedOut => {
                // The app logged out by removing its cookies: end the session on the server too.
                let current = local.and_then(|l| (!l.logged_out()).then(|| l.current.get()).flatten());
                if let Some(stamp) = current {
                    // The response is on its way: the database write finishes in its task.
                    let _ = self.shared.end_on_server(req.rocket(), &stamp.sid, "logout");
                }
            }
        }
    }
}

#[cfg(feature = "redis")]
impl SessionPart {
    /// With `SecurityCache` attached: every instance hears the revocations
    /// the others publish and drops those sessions at once.
    fn listen_for_revocations(&self, rocket: &Rocket<Orbit>) {
        if crate::db::cache::cache_of(rocket).is_none() {
            return;
        }
        let Ok(url) = rocket.figment().extract_inner::<String>("databases.security_cache.url") else { return };
        let (on_sub, on_msg) = (self.shared.clone(), self.shared.clone());
        rocket::tokio::spawn(crate::db::cache::revocations::listen(
            url,
            move || {
                if let Some(r) = &on_sub.registry {
                    r.forget_live();
                }
            },
            move |reason, hashes| {
                if let Some(r) = &on_msg.registry {
                    r.end_hashes(&hashes, reason.as_deref());
                }
            },
        ));
    }
}

/// What the other features learn of a request's session (the CSRF token is
/// bound to it): the one a login on the request started, else the one its
/// stamp names, unless it ended on this request. Whether the registry still
/// has it live is the gate's question, not this one's.
struct Source(Arc<Shared>);

impl crate::core::principal::SessionSource for Source {
    fn session(&self, req: &Request<'_>) -> Option<String> {
        if crate::auth::answer::session_ended(req) {
            return None;
        }
        if let Some(local) = Local::used(req) {
            if local.logged_out() {
                return None;
            }
            if let Some(s) = local.login().or_else(|| local.current.get().cloned()) {
                return Some(s.sid);
            }
        }
        let policy = &self.0.policy;
        policy.logged_in(req).then(|| policy.stamp(req)).flatten().map(|s| s.sid)
    }

    fn started(&self, req: &Request<'_>) -> bool {
        Local::used(req).is_some_and(|l| l.login().is_some())
    }
}

/// Deletes ended sessions from the registry every `prune_interval`.
#[cfg(feature = "db")]
async fn prune(pool: crate::db::SecurityPool, shared: Arc<Shared>) {
    let c = &shared.policy.config;
    let every = std::time::Duration::from_secs(c.prune_interval.max(1));
    let idle = chrono::Duration::seconds(c.idle_timeout.min(1 << 40) as i64);
    let absolute = chrono::Duration::seconds(c.absolute_timeout.min(1 << 40) as i64);
    loop {
        rocket::tokio::time::sleep(every).await;
        // Revoked rows are kept as long as their stamps could still be presented.
        let now = shared.clock.now();
        match super::SessionRecord::prune(&pool, now, idle, absolute, absolute).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(target: "security", "session registry: {n} ended session(s) pruned"),
            Err(e) => tracing::warn!(target: "security", "session registry not pruned: {e}"),
        }
        // Only a session limit has lock rows (without one, its table need not exist).
        if c.max_per_user > 0 {
            // A user's row: at every login under the limit; older than a session lives, unused.
            if let Err(e) = super::SessionRecord::prune_locks(&pool, now - absolute).await {
                tracing::warn!(target: "security", "session limit: lock rows not pruned: {e}");
            }
        }
    }
}

/// `GET security.session.status_path`: seconds left, for a client-side warning.
#[derive(Clone)]
struct SessionStatus(Arc<Shared>);

#[rocket::async_trait]
impl Handler for SessionStatus {
    async fn handle<'r>(&self, req: &'r Request<'_>, _: Data<'r>) -> Outcome<'r> {
        let now = SharedClock::of(req.rocket()).now();
        // A session the gate found ended (revoked, unverified) is not logged in.
        let left = if crate::auth::answer::session_ended(req) { None } else { self.0.policy.seconds_left(req, now) };
        let body = match left {
            Some((idle, absolute)) => {
                serde_json::json!({"logged_in": true, "idle_seconds_left": idle, "absolute_seconds_left": absolute})
            }
            None => serde_json::json!({"logged_in": false}),
        };
        Outcome::from(req, (ContentType::JSON, body.to_string()))
    }
}

/// The internal route behind a refusal with 503.
#[derive(Clone)]
struct Unavailable;

#[rocket::async_trait]
impl Handler for Unavailable {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        if !crate::auth::answer::session_ended(req) {
            // Reached directly, not through the rewrite.
            return Outcome::forward(data, Status::NotFound);
        }
        Outcome::Success(crate::core::client::unavailable(req, "session_store_unavailable", "sessions"))
    }
}
