//! [`SessionRecord`]: the session registry, one row per login.
//!
//! Rows are keyed by a SHA-256 of the session id (the id itself travels only
//! inside the encrypted session stamp), so the table cannot be used to
//! forge or take over a session.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::models::stored;
use crate::db::pool::{with_conn, DbError, SecurityPool};
use crate::db::schema::security_sessions::dsl as s;

/// One login, as the registry keeps it.
///
/// ```no_run
/// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::session::SessionRecord;
/// for s in SessionRecord::list(pool, "alice").await? {
///     println!("{}: signed in {}, last seen {}", s.client, s.created_at, s.last_seen);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::db::schema::security_sessions)]
pub struct SessionRecord {
    /// Lowercase hex SHA-256 of the session id.
    pub id_hash: String,
    /// The application's user identifier.
    pub user_id: String,
    /// When the session started (the login), UTC.
    pub created_at: NaiveDateTime,
    /// Last activity, UTC, updated at most once per refresh interval.
    pub last_seen: NaiveDateTime,
    /// A short client summary: browser family and address prefix.
    pub client: String,
    /// When the session was ended on the server, if it was.
    pub revoked_at: Option<NaiveDateTime>,
    /// Why: `logout`, `revoked`, `revoked_others`, `revoked_all`.
    pub revoked_reason: Option<String>,
}

/// What the registry says of one session id.
///
/// ```
/// use rocket_security::session::SessionState;
/// let state = SessionState::Revoked { reason: "logout".into() };
/// let user = match state {
///     SessionState::Active { user_id } => Some(user_id),
///     SessionState::Revoked { .. } | SessionState::Unknown => None,
/// };
/// assert_eq!(user, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    /// The session is live; it belongs to this user.
    Active {
        /// The application's user identifier.
        user_id: String,
    },
    /// The session was ended on the server, for this reason.
    Revoked {
        /// `logout`, `revoked`, `revoked_others` or `revoked_all`.
        reason: String,
    },
    /// No such session (never issued, or pruned).
    Unknown,
}

impl SessionRecord {
    /// Registers a new session.
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::session::SessionRecord;
    /// let id_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // SHA-256 of the session id
    /// SessionRecord::create(pool, id_hash, "alice", "Firefox, 203.0.113.0/24", chrono::Utc::now()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(
        pool: &SecurityPool,
        id_hash: &str,
        user_id: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        if user_id.chars().count() > crate::db::MAX_USER_ID {
            return Err(DbError::Invalid(format!("user id longer than {} characters", crate::db::MAX_USER_ID)));
        }
        let now = stored(now);
        let row = SessionRecord {
            id_hash: id_hash.to_string(),
            user_id: user_id.to_string(),
            created_at: now,
            last_seen: now,
            client: client.chars().take(128).collect(),
            revoked_at: None,
            revoked_reason: None,
        };
        let mut conn = pool.conn().await?;
        with_conn!(&mut conn, |c| diesel::insert_into(s::security_sessions).values(&row).execute(c).await)?;
        Ok(())
    }

    /// The state of the session `id_hash`.
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::session::{SessionRecord, SessionState};
    /// let id_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // SHA-256 of the session id
    /// match SessionRecord::state(pool, id_hash).await? {
    ///     SessionState::Active { user_id } => println!("signed in as {user_id}"),
    ///     SessionState::Revoked { reason } => println!("ended: {reason}"),
    ///     SessionState::Unknown => println!("no such session"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn state(pool: &SecurityPool, id_hash: &str) -> Result<SessionState, DbError> {
        let mut conn = pool.conn().await?;
        let row: Option<(String, Option<String>, Option<NaiveDateTime>)> = with_conn!(&mut conn, |c| {
            s::security_sessions
                .filter(s::id_hash.eq(id_hash))
                .select((s::user_id, s::revoked_reason, s::revoked_at))
                .first(c)
                .await
                .optional()
        })?;
        Ok(match row {
            None => SessionState::Unknown,
            Some((_, reason, Some(_))) => SessionState::Revoked { reason: reason.unwrap_or_else(|| "revoked".into()) },
            Some((user_id, _, None)) => SessionState::Active { user_id },
        })
    }

    /// Records activity on a live session.
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::session::SessionRecord;
    /// let id_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // SHA-256 of the session id
    /// SessionRecord::touch(pool, id_hash, chrono::Utc::now()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn touch(pool: &SecurityPool, id_hash: &str, now: DateTime<Utc>) -> Result<(), DbError> {
        let mut conn = pool.conn().await?;
        let now = stored(now);
        with_conn!(&mut conn, |c| diesel::update(
            s::security_sessions.filter(s::id_hash.eq(id_hash)).filter(s::revoked_at.is_null())
        )
        .set(s::last_seen.eq(now))
        .execute(c)
        .await)?;
        Ok(())
    }

    /// Ends one session of `user_id` (`None`: whoever owns it); returns
    /// whether a live session was ended.
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::session::SessionRecord;
    /// let id_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // SHA-256 of the session id
    /// let ended = SessionRecord::revoke(pool, id_hash, Some("alice"), "revoked", chrono::Utc::now()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke(
        pool: &SecurityPool,
        id_hash: &str,
        user_id: Option<&str>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let mut conn = pool.conn().await?;
        let now = stored(now);
        let n = match user_id {
            Some(user) => with_conn!(&mut conn, |c| diesel::update(
                s::security_sessions
                    .filter(s::id_hash.eq(id_hash))
                    .filter(s::user_id.eq(user))
                    .filter(s::revoked_at.is_null())
            )
            .set((s::revoked_at.eq(now), s::revoked_reason.eq(reason)))
            .execute(c)
            .await)?,
            None => with_conn!(&mut conn, |c| diesel::update(
                s::security_sessions.filter(s::id_hash.eq(id_hash)).filter(s::revoked_at.is_null())
            )
            .set((s::revoked_at.eq(now), s::revoked_reason.eq(reason)))
            .execute(c)
            .await)?,
        };
        Ok(n > 0)
    }

    /// Ends every live session of `user_id` but `except`; returns how many.
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::session::SessionRecord;
    /// let id_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // SHA-256 of the session id
    /// // "Sign out everywhere else": every session of alice's but this one.
    /// let n = SessionRecord::revoke_user(pool, "alice", Some(id_hash), "revoked_others", chrono::Utc::now()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_user(
        pool: &SecurityPool,
        user_id: &str,
        except: Option<&str>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, DbError> {
        let mut conn = pool.conn().await?;
        let now = stored(now);
        let keep = except.unwrap_or("");
        let n = with_conn!(&mut conn, |c| diesel::update(
            s::security_sessions
                .filter(s::user_id.eq(user_id))
                .filter(s::id_hash.ne(keep))
                .filter(s::revoked_at.is_null())
        )
        .set((s::revoked_at.eq(now), s::revoked_reason.eq(reason)))
        .execute(c)
        .await)?;
        Ok(n)
    }

    /// The live sessions of `user_id`, most recently seen first.
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::session::SessionRecord;
    /// let devices = SessionRecord::list(pool, "alice").await?.len();
    /// # Ok(()) }
    /// ```
    pub async fn list(pool: &SecurityPool, user_id: &str) -> Result<Vec<SessionRecord>, DbError> {
        let mut conn = pool.conn().await?;
        let rows = with_conn!(&mut conn, |c| s::security_sessions
            .filter(s::user_id.eq(user_id))
            .filter(s::revoked_at.is_null())
            .order(s::last_seen.desc())
            .limit(100)
            .select(SessionRecord::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Deletes rows no request can use any more: idle longer than `idle`,
    /// started longer ago than `absolute`, or revoked longer ago than `keep_revoked`.
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use chrono::{Duration, Utc};
    /// use rocket_security::session::SessionRecord;
    /// let (idle, absolute, keep_revoked) = (Duration::hours(2), Duration::days(1), Duration::days(30));
    /// let removed = SessionRecord::prune(pool, Utc::now(), idle, absolute, keep_revoked).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prune(
        pool: &SecurityPool,
        now: DateTime<Utc>,
        idle: Duration,
        absolute: Duration,
        keep_revoked: Duration,
    ) -> Result<usize, DbError> {
        let mut conn = pool.conn().await?;
        let (seen, created, revoked) = (stored(now - idle), stored(now - absolute), stored(now - keep_revoked));
        let stale = with_conn!(&mut conn, |c| diesel::delete(
            s::security_sessions.filter(s::last_seen.lt(seen).or(s::created_at.lt(created)))
        )
        .execute(c)
        .await)?;
        let ended = with_conn!(&mut conn, |c| diesel::delete(s::security_sessions.filter(s::revoked_at.lt(revoked)))
            .execute(c)
            .await)?;
        Ok(stale + ended)
    }
}
