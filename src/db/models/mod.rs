//! The crate's Diesel models.

pub(crate) mod refusals;

use chrono::{DateTime, DurationRound, NaiveDateTime, SubsecRound, TimeDelta, Utc};

use crate::db::pool::{with_conn, Backend, DbError, SecurityConn};

/// The longest user id stored (the MySQL utf8mb4 index limit of older servers).
///
/// ```
/// use rocket_security::db::MAX_USER_ID;
/// let user_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
/// assert!(!user_id.is_empty() && user_id.chars().count() <= MAX_USER_ID);
/// ```
pub const MAX_USER_ID: usize = 191;

/// A UTC time as stored: microsecond precision (MySQL `DATETIME(6)`, PostgreSQL
/// `TIMESTAMP`), so a value read back equals the value written.
pub(crate) fn stored(now: DateTime<Utc>) -> NaiveDateTime {
    now.naive_utc().trunc_subsecs(6)
}

/// The start of the hour (or day, per `unit`) holding `at`.
pub(crate) fn truncated(at: DateTime<Utc>, unit: TimeDelta) -> NaiveDateTime {
    at.duration_trunc(unit).unwrap_or(at).naive_utc()
}

/// The next bind placeholder for `backend`, numbered from 1 (`$n` on PostgreSQL, `?` elsewhere).
pub(crate) fn placeholders(backend: Backend) -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        if backend == Backend::Postgres {
            format!("${n}")
        } else {
            "?".to_string()
        }
    }
}

/// Hex digits only, 1 to `max` of them: what may be written into a statement as a literal.
pub(crate) fn hex_literal(s: &str, max: usize, what: &str) -> Result<(), crate::db::pool::DbError> {
    if !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(());
    }
    let e = diesel::result::Error::QueryBuilderError(format!("{s:?} is not a {what}").into());
    Err(crate::db::pool::DbError::Query(e))
}

/// Runs `work` in one transaction on `conn`: committed when it returns a
/// value `keep` accepts, rolled back otherwise (the refused value, or the
/// error, is returned as it is).
pub(crate) async fn in_transaction<T>(
    conn: &mut SecurityConn,
    work: impl AsyncFnOnce(&mut SecurityConn) -> Result<T, DbError>,
    keep: impl FnOnce(&T) -> bool,
) -> Result<T, DbError> {
    with_conn!(conn, |c| begin(c).await)?;
    finish(conn, work, keep).await
}

/// Like [`in_transaction`], but the transaction holds the database's write
/// lock from its first statement on SQLite (`BEGIN IMMEDIATE`): SQLite has no
/// row locks, so two connections (or processes) on one file run such
/// transactions one after the other. On PostgreSQL and MySQL it is an
/// ordinary transaction; its statements take the row locks they need.
pub(crate) async fn in_write_transaction<T>(
    conn: &mut SecurityConn,
    work: impl AsyncFnOnce(&mut SecurityConn) -> Result<T, DbError>,
    keep: impl FnOnce(&T) -> bool,
) -> Result<T, DbError> {
    match &mut *conn {
        #[cfg(feature = "sqlite")]
        SecurityConn::Sqlite(o) => {
            // Through diesel's own transaction manager, so the commit below (and
            // a cancelled future) find the transaction it opened.
            o.spawn_blocking(|c| {
                diesel::connection::AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
            })
            .await?
        }
        #[allow(unreachable_patterns)]
        other => with_conn!(other, |c| begin(c).await)?,
    }
    finish(conn, work, keep).await
}

/// Runs `work` in the transaction open on `conn`, then commits or rolls back.
async fn finish<T>(
    conn: &mut SecurityConn,
    work: impl AsyncFnOnce(&mut SecurityConn) -> Result<T, DbError>,
    keep: impl FnOnce(&T) -> bool,
) -> Result<T, DbError> {
    match work(conn).await {
        Ok(value) if keep(&value) => {
            with_conn!(conn, |c| commit(c).await)?;
            Ok(value)
        }
        Ok(value) => {
            with_conn!(conn, |c| rollback(c).await)?;
            Ok(value)
        }
        Err(e) => {
            let _ = with_conn!(conn, |c| rollback(c).await);
            Err(e)
        }
    }
}

/// Transaction control on whichever backend `c` is.
async fn begin<C: diesel_async::AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    use diesel_async::TransactionManager;
    C::TransactionManager::begin_transaction(c).await
}

async fn commit<C: diesel_async::AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    use diesel_async::TransactionManager;
    C::TransactionManager::commit_transaction(c).await
}

async fn rollback<C: diesel_async::AsyncConnection>(c: &mut C) -> diesel::QueryResult<()> {
    use diesel_async::TransactionManager;
    C::TransactionManager::rollback_transaction(c).await
}

/// Update, else insert, else update again when another instance inserted
/// first: portable across the three backends (no upsert syntax, no
/// `RETURNING`). Both statements are `with_conn!` bodies over `$conn`.
macro_rules! update_or_insert {
    ($conn:expr, update: |$cu:ident| $update:expr, insert: |$ci:ident| $insert:expr $(,)?) => {{
        let mut outcome: Result<(), crate::db::pool::DbError> = Ok(());
        for attempt in 0..2 {
            match crate::db::pool::with_conn!($conn, |$cu| $update) {
                Ok(updated) if updated > 0 => break,
                Ok(_) => {}
                Err(e) => {
                    outcome = Err(e.into());
                    break;
                }
            }
            match crate::db::pool::with_conn!($conn, |$ci| $insert) {
                Ok(_) => break,
                Err(e) if crate::db::models::is_unique_violation(&e) && attempt == 0 => continue,
                Err(e) => {
                    outcome = Err(e.into());
                    break;
                }
            }
        }
        outcome
    }};
}
pub(crate) use update_or_insert;

/// Whether a query failed on a unique constraint (another instance won a race).
pub(crate) fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}
