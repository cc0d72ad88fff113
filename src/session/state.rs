//! What the session part, the [`Sessions`](super::Sessions) guard and the
//! status endpoint share: the compiled policy and registry (managed state),
//! and each request's own record (request-local).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rocket::{Orbit, Request, Rocket};

use super::registry::{Check, Registry};
use super::stamp::{Decision, SessionPolicy, Stamp};
use crate::core::clock::Clock;
use crate::core::local::Mark;

/// Managed state: one per Rocket instance.
pub(crate) struct Shared {
    pub(crate) policy: SessionPolicy,
    /// `None` with `registry = false`.
    pub(crate) registry: Option<Registry>,
    pub(crate) fail_open: bool,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Shared {
    pub(crate) fn of<P: rocket::Phase>(rocket: &Rocket<P>) -> Option<&Shared> {
        rocket.state::<Arc<Shared>>().map(|s| &**s)
    }

    /// What the registry says of `sid`: this instance's recent reading, else
    /// the database's answer.
    pub(crate) async fn check(&self, rocket: &Rocket<Orbit>, sid: &str) -> Check {
        let Some(registry) = &self.registry else { return Check::Live(None) };
        if let Some(known) = registry.cached(sid) {
            return known;
        }
        #[cfg(feature = "db")]
        {
            use super::{SessionRecord, SessionState};
            let Some(pool) = crate::db::bound(rocket) else { return Check::Unavailable };
            match SessionRecord::state(pool, &super::registry::id_hash(sid)).await {
                Ok(SessionState::Active { user_id }) => {
                    registry.remember(sid, true, Some(&user_id));
                    Check::Live(Some(user_id.into()))
                }
                Ok(SessionState::Revoked { reason }) => {
                    registry.remember_ended(sid, Some(&reason));
                    Check::Ended(Some(reason.into()))
                }
                Ok(SessionState::Unknown) => {
                    registry.remember_ended(sid, Some(super::reason::UNKNOWN));
                    Check::Ended(Some(super::reason::UNKNOWN.into()))
                }
                Err(e) => {
                    tracing::error!(target: "security", "session registry unavailable: {e}");
                    Check::Unavailable
                }
            }
        }
        #[cfg(not(feature = "db"))]
        {
            let _ = rocket;
            Check::Unavailable
        }
    }

    /// Why the ended session `sid` ended, asked of the registry when this
    /// instance does not know (it heard of the end through Redis from an
    /// instance that did not say why): at most [`REASON_WAIT`], once per
    /// session (a failure is logged at WARN). Only with a session limit: the
    /// login URL then says whether the limit ended it; without one only the
    /// words of a log line would, not worth a query per refused request.
    pub(crate) async fn end_reason(&self, rocket: &Rocket<Orbit>, sid: &str) -> Option<Arc<str>> {
        let registry = self.registry.as_ref()?;
        if self.policy.config.max_per_user == 0 || !registry.ask_reason(sid) {
            return None;
        }
        let rows = super::rows::RegistryRows::of(rocket).ok()?;
        let hash = super::registry::id_hash(sid);
        let failure = match rocket::tokio::time::timeout(REASON_WAIT, rows.end_reason(&hash)).await {
            Ok(Ok(reason)) => {
                registry.remember_ended(sid, Some(&reason));
                return Some(reason.into());
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} ms", REASON_WAIT.as_millis()),
        };
        tracing::warn!(
            target: "security",
            "session {}: why it ended was not read from the registry ({failure}); its refusals give no reason",
            super::registry::public_id(&hash)
        );
        None
    }

    /// Ends `sid` on this instance at once and, in a task, in the database
    /// (`reason` recorded), then announces it to every instance. The handle
    /// finishes when the database has it (a failure is logged at ERROR);
    /// `None` without a registry or a database.
    pub(crate) fn end_on_server(
        &self,
        rocket: &Rocket<Orbit>,
        sid: &str,
        reason: &'static str,
    ) -> Option<rocket::tokio::task::JoinHandle<()>> {
        let registry = self.registry.as_ref()?;
        registry.remember_ended(sid, Some(reason));
        #[cfg(feature = "db")]
        {
            let pool = crate::db::bound(rocket)?.clone();
            let (hash, now) = (super::registry::id_hash(sid), self.clock.now());
            let announcer = Announcer::of(rocket);
            Some(rocket::tokio::spawn(async move {
                match super::SessionRecord::revoke(&pool, &hash, None, reason, now).await {
                    Ok(true) => {
                        tracing::info!(
                            target: "security",
                            "session {} ended ({reason})",
                            super::registry::public_id(&hash)
                        );
                        announcer.announce(reason, &[hash]).await;
                    }
                    // Already ended (by another copy, another instance, or pruned).
                    Ok(false) => {}
                    Err(e) => tracing::error!(
                        target: "security",
                        "session {} not ended on the server ({reason}): {e}; other instances admit copies of its \
                         cookies until they expire themselves",
                        super::registry::public_id(&hash)
                    ),
                }
            }))
        }
        #[cfg(not(feature = "db"))]
        {
            let _ = (rocket, reason);
            None
        }
    }
}

/// How long a refusal waits for the registry to say why a session ended.
const REASON_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// Announces ended sessions (registry keys, and why) to every instance through Redis
/// when `SecurityCache` is attached; the database already holds the record,
/// so a failure only delays the others to `revocation_check_ms` (WARN).
/// Without the `redis` feature (or the cache) it does nothing: the other
/// instances read the registry.
#[derive(Clone, Default)]
pub(crate) struct Announcer {
    #[cfg(feature = "redis")]
    cache: Option<rocket_db_pools::deadpool_redis::Pool>,
}

impl Announcer {
    pub(crate) fn of(_rocket: &Rocket<Orbit>) -> Self {
        Announcer {
            #[cfg(feature = "redis")]
            cache: crate::db::cache::cache_of(_rocket),
        }
    }

    pub(crate) async fn announce(&self, _reason: &str, _hashes: &[String]) {
        #[cfg(feature = "redis")]
        if let Some(pool) = &self.cache {
            let publish = crate::db::cache::revocations::publish(pool, _reason, _hashes);
            let outcome = match rocket::tokio::time::timeout(std::time::Duration::from_secs(1), publish).await {
                Ok(r) => r,
                Err(_) => Err("no answer within 1 s".into()),
            };
            if let Err(e) = outcome {
                tracing::warn!(
                    target: "security",
                    "session revocation not published to Redis ({e}): other instances honour it within \
                     revocation_check_ms"
                );
            }
        }
    }
}

/// Marks a request with a [`Local`] record.
static USED: Mark = Mark::new();

/// Request-local: what the gate found and what the handler did.
#[derive(Default)]
pub(crate) struct Local {
    /// The cookie work the response must do.
    pub(crate) decision: OnceLock<Decision>,
    /// The request's live session, if it has one.
    pub(crate) current: OnceLock<Stamp>,
    /// The session `Sessions::login` issued.
    login: Mutex<Option<Stamp>>,
    /// `Sessions::logout` (or a revocation of every session) ended this one.
    logged_out: AtomicBool,
}

impl Local {
    pub(crate) fn of<'r>(req: &'r Request<'_>) -> &'r Local {
        USED.set(req);
        req.local_cache(Local::default)
    }

    /// The record of `req`, if anything wrote one.
    pub(crate) fn used<'r>(req: &'r Request<'_>) -> Option<&'r Local> {
        USED.is_set(req).then(|| req.local_cache(Local::default))
    }

    pub(crate) fn set_login(&self, stamp: Stamp) {
        *self.login.lock().unwrap_or_else(|e| e.into_inner()) = Some(stamp);
        self.logged_out.store(false, Ordering::Relaxed);
    }

    pub(crate) fn login(&self) -> Option<Stamp> {
        self.login.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_logged_out(&self) {
        *self.login.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.logged_out.store(true, Ordering::Relaxed);
    }

    pub(crate) fn logged_out(&self) -> bool {
        self.logged_out.load(Ordering::Relaxed)
    }
}
