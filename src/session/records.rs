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

use super::rows::{Admission, Limit};

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
    /// Why: `logout`, `revoked`, `revoked_others`, `revoked_all`, `replaced`,
    /// `idle`, `absolute` or `session_limit:N` (see [`Sessions::ended`](super::Sessions::ended)).
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
        /// `logout`, `revoked`, `revoked_others`, `revoked_all`, `replaced`,
        /// `idle`, `absolute` or `session_limit:N`.
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
        let row = Self::new_row(id_hash, user_id, client, now);
        let mut conn = pool.conn().await?;
        with_conn!(&mut conn, |c| diesel::insert_into(s::security_sessions).values(&row).execute(c).await)?;
        Ok(())
    }

    /// The row of a session that starts `now`.
    pub(crate) fn new_row(id_hash: &str, user_id: &str, client: &str, now: DateTime<Utc>) -> SessionRecord {
        let now = stored(now);
        SessionRecord {
            id_hash: id_hash.to_string(),
            user_id: user_id.to_string(),
            created_at: now,
            last_seen: now,
            client: client.chars().take(128).collect(),
            revoked_at: None,
            revoked_reason: None,
        }
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
        // Never back: of two writes racing, the older one may come last (the
        // session limit ends the least recently active session by this time).
        with_conn!(&mut conn, |c| diesel::update(
            s::security_sessions
                .filter(s::id_hash.eq(id_hash))
                .filter(s::revoked_at.is_null())
                .filter(s::last_seen.lt(now))
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

    /// The sessions of `user_id` ended on the server, most recently ended
    /// first (at most `limit`), for a sessions page.
    pub(crate) async fn list_ended(
        pool: &SecurityPool,
        user_id: &str,
        limit: i64,
    ) -> Result<Vec<SessionRecord>, DbError> {
        let mut conn = pool.conn().await?;
        let rows = with_conn!(&mut conn, |c| s::security_sessions
            .filter(s::user_id.eq(user_id))
            .filter(s::revoked_at.is_not_null())
            .order((s::revoked_at.desc(), s::id_hash))
            .limit(limit)
            .select(SessionRecord::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Registers a new session of `user_id` under a session limit: at most
    /// `limit.max` of the user's sessions are live afterwards, whatever other
    /// logins of the user run at the same time on any instance.
    ///
    /// Atomic on every backend through one write transaction that first locks
    /// the user's row of `security_session_locks` (an `UPDATE`): PostgreSQL and
    /// MySQL hold that row lock until the commit, so a second login of the
    /// user waits there and counts only after the first one's session is in;
    /// on SQLite the transaction is `BEGIN IMMEDIATE`, which holds the file's
    /// write lock (every process on the file waits). The user's own session
    /// rows cannot serve as the lock: a user without a live session has none,
    /// and two first logins would both count zero. MySQL's `REPEATABLE READ`
    /// snapshot starts with the first plain read, which comes after the lock.
    ///
    /// The lock row is made to exist before the transaction (by an
    /// insert-or-ignore in a statement of its own, when a read does not find
    /// it): inside the transaction, an `UPDATE` that finds no row takes a gap
    /// lock on MySQL, and the first logins of different users falling into
    /// one gap deadlock each other.
    /// A lock row pruned between the two (see [`prune_locks`](Self::prune_locks))
    /// makes the login start again, and so does a deadlock (MySQL 1213,
    /// PostgreSQL 40P01), after a jittered pause, at most [`RETRIES`] times.
    /// Every lock wait of the transaction is bounded by [`LOCK_WAIT_SECS`](super::rows::LOCK_WAIT_SECS): a
    /// transaction that stalls holding a user's row fails that user's logins
    /// (`503`) instead of hanging them on every instance.
    pub(crate) async fn create_limited(
        pool: &SecurityPool,
        row: SessionRecord,
        limit: &Limit,
        now: DateTime<Utc>,
    ) -> Result<Admission, DbError> {
        if row.user_id.chars().count() > crate::db::MAX_USER_ID {
            return Err(DbError::Invalid(format!("user id longer than {} characters", crate::db::MAX_USER_ID)));
        }
        let mut conn = pool.conn().await?;
        bound_mysql_lock_waits(&mut conn, true).await?;
        let outcome = Self::admit_retrying(&mut conn, &row, limit, now).await;
        // The connection goes back to the pool: its next user waits as the server says.
        if let Err(e) = bound_mysql_lock_waits(&mut conn, false).await {
            tracing::warn!(target: "security", "session limit: the lock wait bound of a pooled connection was not reset: {e}");
        }
        outcome
    }

    /// [`admit`](Self::admit) until it is not a race lost (see
    /// [`create_limited`](Self::create_limited)).
    async fn admit_retrying(
        conn: &mut crate::db::SecurityConn,
        row: &SessionRecord,
        limit: &Limit,
        now: DateTime<Utc>,
    ) -> Result<Admission, DbError> {
        let admitted = |a: &Option<Admission>| matches!(a, Some(Admission::Admitted { .. }));
        let mut attempt = 0;
        loop {
            ensure_lock_row(conn, &row.user_id, stored(now)).await?;
            let work = async |conn: &mut crate::db::SecurityConn| Self::admit(conn, row, limit, now).await;
            let why = match crate::db::models::in_write_transaction(conn, work, admitted).await {
                Ok(Some(admission)) => return Ok(admission),
                Ok(None) => "its lock row was pruned meanwhile".to_string(),
                Err(DbError::Query(e)) if lost_race(&e) => e.to_string(),
                Err(e) => return Err(e),
            };
            if attempt == RETRIES {
                return Err(DbError::Unavailable(format!("the login was tried {} times: {why}", RETRIES + 1)));
            }
            attempt += 1;
            tracing::debug!(
                target: "security",
                "session limit: the login of user {:?} starts again ({why}; retry {attempt} of {RETRIES})",
                row.user_id
            );
            rocket::tokio::time::sleep(backoff(attempt)).await;
        }
    }

    /// The body of [`create_limited`](Self::create_limited)'s transaction;
    /// `None` when the user's lock row is gone (pruned since it was ensured).
    async fn admit(
        conn: &mut crate::db::SecurityConn,
        row: &SessionRecord,
        limit: &Limit,
        now: DateTime<Utc>,
    ) -> Result<Option<Admission>, DbError> {
        use crate::db::schema::security_session_locks::dsl as l;
        let (user, at) = (row.user_id.as_str(), stored(now));
        bound_postgres_lock_waits(conn).await?;
        // The count is of matched rows on every backend (diesel sets MySQL's CLIENT_FOUND_ROWS).
        let locked = with_conn!(conn, |c| diesel::update(l::security_session_locks.filter(l::user_id.eq(user)))
            .set(l::locked_at.eq(at))
            .execute(c)
            .await)?;
        if locked == 0 {
            return Ok(None);
        }
        if let Some(old) = &limit.replaces {
            // The browser's earlier session: replaced by this login, not counted.
            with_conn!(conn, |c| diesel::update(
                s::security_sessions.filter(s::id_hash.eq(old)).filter(s::revoked_at.is_null())
            )
            .set((s::revoked_at.eq(at), s::revoked_reason.eq("replaced")))
            .execute(c)
            .await)?;
        }
        // Live: not ended, and neither idle nor past the absolute limit (their
        // stamps are refused already; the prune deletes them later).
        let (seen, started) = (stored(limit.seen_after), stored(limit.started_after));
        let live: Vec<String> = with_conn!(conn, |c| s::security_sessions
            .filter(s::user_id.eq(user))
            .filter(s::revoked_at.is_null())
            .filter(s::last_seen.ge(seen))
            .filter(s::created_at.ge(started))
            .order((s::last_seen, s::created_at, s::id_hash))
            .select(s::id_hash)
            .load(c)
            .await)?;
        let max = usize::try_from(limit.max).unwrap_or(usize::MAX);
        let mut ended = vec![];
        if live.len() >= max {
            if limit.refuse {
                return Ok(Some(Admission::Refused { live: live.len() }));
            }
            // The least recently active first.
            ended = live[..live.len() + 1 - max].to_vec();
            let reason = super::reason::session_limit(limit.max);
            let ended_ref = &ended;
            // A session a logout (or revocation) ended meanwhile keeps its own reason.
            with_conn!(conn, |c| diesel::update(
                s::security_sessions.filter(s::id_hash.eq_any(ended_ref)).filter(s::revoked_at.is_null())
            )
            .set((s::revoked_at.eq(at), s::revoked_reason.eq(&reason)))
            .execute(c)
            .await)?;
        }
        with_conn!(conn, |c| diesel::insert_into(s::security_sessions).values(row).execute(c).await)?;
        Ok(Some(Admission::Admitted { ended }))
    }

    /// Deletes the session limit's lock rows of users who have not logged in
    /// under the limit since `before` (their rows are no sessions, and a login
    /// makes its row again); returns how many. Only an application with a
    /// session limit has them (migration 000011).
    pub(crate) async fn prune_locks(pool: &SecurityPool, before: DateTime<Utc>) -> Result<usize, DbError> {
        use crate::db::schema::security_session_locks::dsl as l;
        let mut conn = pool.conn().await?;
        let before = stored(before);
        // Through the index on `locked_at`: InnoDB locks the rows it deletes, not every row it scans.
        let n = with_conn!(&mut conn, |c| diesel::delete(l::security_session_locks.filter(l::locked_at.lt(before)))
            .execute(c)
            .await)?;
        Ok(n)
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

/// How many times a limited login starts again after a race lost.
const RETRIES: u32 = 5;

/// On MySQL, bounds every lock wait of the connection by [`LOCK_WAIT_SECS`](super::rows::LOCK_WAIT_SECS)
/// (`true`), or gives it back the server's own bound (`false`): MySQL has no
/// setting of one transaction. Nothing elsewhere: PostgreSQL's bound is set
/// in the transaction ([`bound_postgres_lock_waits`]), SQLite's is
/// `busy_timeout` (5 s on every connection).
async fn bound_mysql_lock_waits(conn: &mut crate::db::SecurityConn, bounded: bool) -> Result<(), DbError> {
    let _ = bounded;
    match conn {
        #[cfg(feature = "mysql")]
        crate::db::SecurityConn::Mysql(c) => {
            use diesel_async::SimpleAsyncConnection;
            let value = if bounded { super::rows::LOCK_WAIT_SECS.to_string() } else { "DEFAULT".into() };
            c.batch_execute(&format!("SET SESSION innodb_lock_wait_timeout = {value}")).await?;
        }
        #[allow(unreachable_patterns)]
        _ => {}
    }
    Ok(())
}

/// On PostgreSQL, bounds every lock wait of the transaction open on `conn` by
/// [`LOCK_WAIT_SECS`](super::rows::LOCK_WAIT_SECS) (`SET LOCAL`: it ends with the transaction, so no
/// other use of the connection, nor another client behind a pooler, has it).
async fn bound_postgres_lock_waits(conn: &mut crate::db::SecurityConn) -> Result<(), DbError> {
    match conn {
        #[cfg(feature = "postgres")]
        crate::db::SecurityConn::Postgres(c) => {
            use diesel_async::SimpleAsyncConnection;
            c.batch_execute(&format!("SET LOCAL lock_timeout = '{}s'", super::rows::LOCK_WAIT_SECS)).await?;
        }
        #[allow(unreachable_patterns)]
        _ => {}
    }
    Ok(())
}

/// Makes sure the lock row of `user` exists, outside the transaction: a read
/// (which never waits for a lock), and for a user without a row an insert
/// that does nothing when another login made it meanwhile, in a statement of
/// its own (autocommit). Only that insert can wait, and only for another
/// first login of the user.
async fn ensure_lock_row(conn: &mut crate::db::SecurityConn, user: &str, at: NaiveDateTime) -> Result<(), DbError> {
    use crate::db::schema::security_session_locks::dsl as l;
    let there: i64 =
        with_conn!(conn, |c| l::security_session_locks.filter(l::user_id.eq(user)).count().get_result(c).await)?;
    if there > 0 {
        return Ok(());
    }
    let row = (l::user_id.eq(user), l::locked_at.eq(at));
    match conn {
        #[cfg(feature = "postgres")]
        crate::db::SecurityConn::Postgres(c) => {
            diesel::insert_into(l::security_session_locks)
                .values(row)
                .on_conflict_do_nothing()
                .execute(&mut **c)
                .await?;
        }
        #[cfg(feature = "sqlite")]
        crate::db::SecurityConn::Sqlite(c) => {
            diesel::insert_or_ignore_into(l::security_session_locks).values(row).execute(&mut **c).await?;
        }
        #[cfg(feature = "mysql")]
        crate::db::SecurityConn::Mysql(c) => {
            diesel::insert_or_ignore_into(l::security_session_locks).values(row).execute(&mut **c).await?;
        }
    }
    Ok(())
}

/// The pause before retry `attempt` (from 1): 10 ms doubling each time, with
/// up to as much again at random, so that the logins that deadlocked each
/// other do not meet again at once.
fn backoff(attempt: u32) -> std::time::Duration {
    use rand::Rng;
    let base = 10u64 << attempt.saturating_sub(1).min(6);
    std::time::Duration::from_millis(base + rand::rng().random_range(0..=base))
}

/// Whether a limited login lost a race to another transaction and may start
/// again: a deadlock, which the database ended by rolling this login back.
fn lost_race(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    match e {
        // MySQL's deadlock (1213) is reported as a serialization failure.
        E::DatabaseError(K::SerializationFailure, _) => true,
        // PostgreSQL's (40P01) has no kind of its own, and diesel 2.3 no
        // SQLSTATE: its message (the server's `lc_messages` in English, the
        // default; otherwise the login answers 503, as any other failure).
        E::DatabaseError(K::Unknown, info) => info.message().starts_with("deadlock detected"),
        _ => false,
    }
}
