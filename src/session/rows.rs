//! Where the session registry's rows live: the security database
//! ([`SessionRecord`](super::SessionRecord)), or nowhere in a build without
//! a database backend, where every registry operation answers
//! [`SessionError::NoRegistry`] (and `registry = true` is refused at ignite).

use chrono::{DateTime, NaiveDateTime, Utc};
use rocket::{Orbit, Rocket};

use super::error::SessionError;

/// One session as listed: its key, start, last activity and client, and
/// when and why it ended (for an ended one).
pub(crate) struct Listed {
    pub(crate) id_hash: String,
    pub(crate) created: NaiveDateTime,
    pub(crate) last_seen: NaiveDateTime,
    pub(crate) client: String,
    pub(crate) ended: Option<(NaiveDateTime, String)>,
}

/// A login under `security.session.max_per_user`.
#[derive(Debug, Clone)]
pub(crate) struct Limit {
    /// `max_per_user`.
    pub(crate) max: u64,
    /// `on_limit = "refuse"`.
    pub(crate) refuse: bool,
    /// Sessions last seen before this are idle, and those started before
    /// `started_after` past the absolute limit: over, not counted.
    pub(crate) seen_after: DateTime<Utc>,
    pub(crate) started_after: DateTime<Utc>,
    /// The key of the browser's earlier session, which the login replaces
    /// (ended as `replaced`, not counted).
    pub(crate) replaces: Option<String>,
}

/// How long, in seconds, a login under the limit waits for a lock (its
/// user's row on PostgreSQL and MySQL; the file's write lock on SQLite, whose
/// connections have `busy_timeout = 5000`) before it fails: `503`, fail closed.
#[cfg(feature = "db")]
pub(crate) const LOCK_WAIT_SECS: u64 = 5;

/// What a login under the limit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Registered; the sessions with these keys were ended to make room.
    Admitted { ended: Vec<String> },
    /// Nothing was written: `live` sessions of the user are live (`on_limit = "refuse"`).
    Refused { live: usize },
}

/// The registry's rows, reached through the security database.
#[cfg(feature = "db")]
pub(crate) struct RegistryRows<'r>(&'r crate::db::SecurityPool);

/// No database backend compiled in: no rows (the type has no value).
#[cfg(not(feature = "db"))]
pub(crate) struct RegistryRows<'r>(std::convert::Infallible, std::marker::PhantomData<&'r ()>);

#[cfg(feature = "db")]
impl<'r> RegistryRows<'r> {
    /// The rows of `rocket`'s security database.
    pub(crate) fn of(rocket: &'r Rocket<Orbit>) -> Result<Self, SessionError> {
        crate::db::bound(rocket)
            .map(RegistryRows)
            .ok_or_else(|| SessionError::Unavailable("no security database is attached".into()))
    }

    /// Registers the new session `id_hash` of `user_id`.
    pub(crate) async fn create(
        &self,
        id_hash: &str,
        user_id: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<(), SessionError> {
        super::SessionRecord::create(self.0, id_hash, user_id, client, now).await.map_err(unavailable)
    }

    /// Ends the session `id_hash` (of `user_id` only, when given); whether there was one.
    pub(crate) async fn revoke(
        &self,
        id_hash: &str,
        user_id: Option<&str>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, SessionError> {
        super::SessionRecord::revoke(self.0, id_hash, user_id, reason, now).await.map_err(unavailable)
    }

    /// Ends every live session of `user_id` but `except`; how many.
    pub(crate) async fn revoke_user(
        &self,
        user_id: &str,
        except: Option<&str>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, SessionError> {
        super::SessionRecord::revoke_user(self.0, user_id, except, reason, now).await.map_err(unavailable)
    }

    /// Registers the new session `id_hash` of `user_id` under the session
    /// limit, in one transaction (see `SessionRecord::create_limited`) run in
    /// a task of its own: a request that goes away never leaves it half done.
    pub(crate) async fn create_limited(
        &self,
        id_hash: &str,
        user_id: &str,
        client: &str,
        limit: Limit,
        now: DateTime<Utc>,
    ) -> Result<Admission, SessionError> {
        let row = super::SessionRecord::new_row(id_hash, user_id, client, now);
        let pool = self.0.clone();
        let task =
            rocket::tokio::spawn(async move { super::SessionRecord::create_limited(&pool, row, &limit, now).await });
        match task.await {
            Ok(Err(e)) if e.is_lock_timeout() => Err(SessionError::Unavailable(format!(
                "the user's session lock was not granted within {} s (another transaction holds it): no session was \
                 started",
                LOCK_WAIT_SECS
            ))),
            Ok(outcome) => outcome.map_err(unavailable),
            Err(e) => Err(SessionError::Unavailable(e.to_string())),
        }
    }

    /// The live sessions of `user_id`, most recently seen first.
    pub(crate) async fn list(&self, user_id: &str) -> Result<Vec<Listed>, SessionError> {
        let rows = super::SessionRecord::list(self.0, user_id).await.map_err(unavailable)?;
        Ok(rows.into_iter().map(listed).collect())
    }

    /// The ended sessions of `user_id`, most recently ended first (at most `limit`).
    pub(crate) async fn list_ended(&self, user_id: &str, limit: i64) -> Result<Vec<Listed>, SessionError> {
        let rows = super::SessionRecord::list_ended(self.0, user_id, limit).await.map_err(unavailable)?;
        Ok(rows.into_iter().map(listed).collect())
    }

    /// Why the session `id_hash` ended: its recorded reason, or `unknown`
    /// when the registry has no such session (never issued, or pruned).
    pub(crate) async fn end_reason(&self, id_hash: &str) -> Result<String, SessionError> {
        Ok(match super::SessionRecord::state(self.0, id_hash).await.map_err(unavailable)? {
            super::SessionState::Revoked { reason } => reason,
            _ => super::reason::UNKNOWN.into(),
        })
    }
}

#[cfg(feature = "db")]
fn listed(r: super::SessionRecord) -> Listed {
    let ended = r.revoked_at.map(|at| (at, r.revoked_reason.unwrap_or_else(|| "revoked".into())));
    Listed { id_hash: r.id_hash, created: r.created_at, last_seen: r.last_seen, client: r.client, ended }
}

#[cfg(feature = "db")]
fn unavailable(e: crate::db::DbError) -> SessionError {
    SessionError::Unavailable(e.to_string())
}

#[cfg(not(feature = "db"))]
impl<'r> RegistryRows<'r> {
    /// Without a backend there is no registry.
    pub(crate) fn of(_: &'r Rocket<Orbit>) -> Result<Self, SessionError> {
        Err(SessionError::NoRegistry)
    }

    pub(crate) async fn create(&self, _: &str, _: &str, _: &str, _: DateTime<Utc>) -> Result<(), SessionError> {
        match self.0 {}
    }

    pub(crate) async fn revoke(
        &self,
        _: &str,
        _: Option<&str>,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<bool, SessionError> {
        match self.0 {}
    }

    pub(crate) async fn revoke_user(
        &self,
        _: &str,
        _: Option<&str>,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<usize, SessionError> {
        match self.0 {}
    }

    pub(crate) async fn create_limited(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: Limit,
        _: DateTime<Utc>,
    ) -> Result<Admission, SessionError> {
        match self.0 {}
    }

    pub(crate) async fn list(&self, _: &str) -> Result<Vec<Listed>, SessionError> {
        match self.0 {}
    }

    pub(crate) async fn list_ended(&self, _: &str, _: i64) -> Result<Vec<Listed>, SessionError> {
        match self.0 {}
    }

    pub(crate) async fn end_reason(&self, _: &str) -> Result<String, SessionError> {
        match self.0 {}
    }
}
