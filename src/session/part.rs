//! The session-expiry part: compiling the settings, the request gate that
//! refuses expired sessions, the response work that writes the stamp, and
//! the status endpoint.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use rocket::http::{ContentType, Method};
use rocket::route::{Handler, Outcome};
use rocket::{Build, Data, Request, Response, Rocket, Route};

use super::config::SessionExpiry;
use super::stamp::{describe, key_from, Decision, SessionPolicy};
use crate::auth::answer::{end_session, refuse, target, AuthFailure};
use crate::core::clock::{Clock, SharedClock};
use crate::core::error::ConfigError;
use crate::core::local::Mark;
use crate::core::part::{Finish, Gate, Part};
use crate::core::paths::{PathPattern, PathSet};

fn cookie_name_ok(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl SessionExpiry {
    pub(crate) fn compile(
        &self,
        secret_key: Option<Option<String>>,
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
        if !self.enabled {
            return None;
        }
        // Validation without a figment (typed config): the key is checked at ignite.
        let secret = match secret_key {
            None => "A".repeat(86) + "==",
            Some(s) => s.unwrap_or_default(),
        };
        let Some(secret) = Some(secret).filter(|s| !s.is_empty()) else {
            errors.push(ConfigError::new(
                "secret_key",
                "session expiry encrypts its cookie with Rocket's `secret_key`, which is not set; add \
                 `secret_key = \"...\"` (generate one with `openssl rand -base64 64`) or set `security.session.enabled = false`",
            ));
            return None;
        };
        let Some(k) = key_from(&secret) else {
            errors.push(ConfigError::new(
                "secret_key",
                "must be at least 32 bytes, base64 or hex encoded (`openssl rand -base64 64`)",
            ));
            return None;
        };
        Some(SessionPolicy::new(self.clone(), k, passive))
    }
}

/// The compiled session expiry, with the paths where an expired session is
/// ended without a refusal (the login page and the other open paths).
pub(crate) struct SessionPart {
    policy: Arc<SessionPolicy>,
    open: PathSet,
    clock: Arc<dyn Clock>,
}

impl SessionPart {
    pub(crate) fn new(policy: SessionPolicy, open: PathSet, clock: Arc<dyn Clock>) -> Self {
        SessionPart { policy: Arc::new(policy), open, clock }
    }
}

/// Request-local: what the gate decided for this request.
#[derive(Default)]
struct Verdict(OnceLock<Decision>);

/// Marks a request the gate decided something for.
static DECIDED: Mark = Mark::new();

#[rocket::async_trait]
impl Part for SessionPart {
    fn ignite(&self, rocket: Rocket<Build>) -> Rocket<Build> {
        let status = SessionStatus(self.policy.clone());
        rocket.mount("/", vec![Route::ranked(-90, Method::Get, self.policy.config.status_path.as_str(), status)])
    }

    fn gates(&self) -> bool {
        true
    }

    async fn request(&self, req: &mut Request<'_>) -> Gate {
        let Some(decision) = self.policy.decide(req, self.clock.now()) else { return Gate::Pass };
        let expired = match &decision {
            Decision::Expired(reason) => Some(*reason),
            _ => None,
        };
        DECIDED.set(req);
        let _ = req.local_cache(Verdict::default).0.set(decision);
        let Some(reason) = expired else { return Gate::Pass };
        tracing::info!(
            target: "security",
            "session expired ({reason} timeout; {}) on {}",
            describe(self.policy.stamp(req)),
            req.uri().path()
        );
        end_session(req);
        if self.open.matches(req.uri()) {
            return Gate::Pass;
        }
        let next = target(req);
        refuse(req, AuthFailure::Expired { reason, next });
        Gate::Rewritten
    }

    fn responds(&self) -> bool {
        true
    }

    fn needs_scheme(&self) -> bool {
        true
    }

    fn response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>, finish: &Finish<'_>) {
        let now: DateTime<Utc> = self.clock.now();
        let decision = if DECIDED.is_set(req) { req.local_cache(Verdict::default).0.get() } else { None };
        self.policy.apply(req, decision, now, finish.secure, res);
    }
}

/// `GET security.session.status_path`: seconds left, for a client-side warning.
#[derive(Clone)]
struct SessionStatus(Arc<SessionPolicy>);

#[rocket::async_trait]
impl Handler for SessionStatus {
    async fn handle<'r>(&self, req: &'r Request<'_>, _: Data<'r>) -> Outcome<'r> {
        let now = SharedClock::of(req.rocket()).now();
        let body = match self.0.seconds_left(req, now) {
            Some((idle, absolute)) => {
                serde_json::json!({"logged_in": true, "idle_seconds_left": idle, "absolute_seconds_left": absolute})
            }
            None => serde_json::json!({"logged_in": false}),
        };
        Outcome::from(req, (ContentType::JSON, body.to_string()))
    }
}
