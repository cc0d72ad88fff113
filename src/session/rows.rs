//! Where the session registry's rows live: the security database
//! ([`SessionRecord`](super::SessionRecord)), or nowhere in a build without
//! a database backend, where every registry operation answers
//! [`SessionError::NoRegistry`] (and `registry = true` is refused at ignite).

use chrono::{DateTime, NaiveDateTime, Utc};
use rocket::{Orbit, Rocket};

use super::error::SessionError;

/// One live session as listed: its key, start, last activity and client.
pub(crate) struct Listed {
    pub(crate) id_hash: String,
    pub(crate) created: NaiveDateTime,
    pub(crate) last_seen: NaiveDateTime,
    pub(crate) client: String,
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

    /// The live sessions of `user_id`, most recently seen first.
    pub(crate) async fn list(&self, user_id: &str) -> Result<Vec<Listed>, SessionError> {
        let rows = super::SessionRecord::list(self.0, user_id).await.map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|r| Listed { id_hash: r.id_hash, created: r.created_at, last_seen: r.last_seen, client: r.client })
            .collect())
    }
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

    pub(crate) async fn list(&self, _: &str) -> Result<Vec<Listed>, SessionError> {
        match self.0 {}
    }
}
