//! Login throttling counters in the database (shared by every instance).

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{stored, update_or_insert};
use crate::db::pool::{with_conn, DbError, SecurityPool};
use crate::db::schema::security_login_attempts::dsl as a;

/// Failure counters keyed by a hash of the username or address.
pub struct LoginAttempts;

impl LoginAttempts {
    /// The failures and the time of the last one.
    pub async fn get(pool: &SecurityPool, key: &str) -> Result<Option<(u32, DateTime<Utc>)>, DbError> {
        let mut conn = pool.conn().await?;
        let row: Option<(i32, chrono::NaiveDateTime)> = with_conn!(&mut conn, |c| {
            a::security_login_attempts
                .filter(a::key_hash.eq(key))
                .select((a::failures, a::last_failure))
                .first(c)
                .await
                .optional()
        })?;
        Ok(row.map(|(n, at)| (n.max(0) as u32, Utc.from_utc_datetime(&at))))
    }

    /// Counts one more failure at `now` (atomic: concurrent failures all count).
    pub async fn record_failure(pool: &SecurityPool, key: &str, now: DateTime<Utc>) -> Result<(), DbError> {
        let mut conn = pool.conn().await?;
        let now = stored(now);
        update_or_insert!(
            &mut conn,
            update: |c| diesel::update(a::security_login_attempts.filter(a::key_hash.eq(key)))
                .set((a::failures.eq(a::failures + 1), a::last_failure.eq(now)))
                .execute(c)
                .await,
            insert: |c| diesel::insert_into(a::security_login_attempts)
                .values((a::key_hash.eq(key), a::failures.eq(1), a::last_failure.eq(now)))
                .execute(c)
                .await,
        )
    }

    /// Takes back one failure (never below zero).
    pub async fn take_back(pool: &SecurityPool, key: &str) -> Result<(), DbError> {
        let mut conn = pool.conn().await?;
        with_conn!(&mut conn, |c| diesel::update(
            a::security_login_attempts.filter(a::key_hash.eq(key)).filter(a::failures.gt(0))
        )
        .set(a::failures.eq(a::failures - 1))
        .execute(c)
        .await)?;
        Ok(())
    }

    /// Deletes the counters whose last failure is older than `before`; returns how many.
    pub async fn prune(pool: &SecurityPool, before: DateTime<Utc>) -> Result<usize, DbError> {
        let mut conn = pool.conn().await?;
        let before = stored(before);
        let n =
            with_conn!(&mut conn, |c| diesel::delete(a::security_login_attempts.filter(a::last_failure.lt(before)))
                .execute(c)
                .await)?;
        Ok(n)
    }

    /// Forgets the counter.
    pub async fn reset(pool: &SecurityPool, key: &str) -> Result<(), DbError> {
        let mut conn = pool.conn().await?;
        with_conn!(&mut conn, |c| diesel::delete(a::security_login_attempts.filter(a::key_hash.eq(key)))
            .execute(c)
            .await)?;
        Ok(())
    }
}
