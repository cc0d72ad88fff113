//! The counters in the security database (`security.throttle.storage =
//! "database"`), shared by every instance: one row per hashed username or
//! address in `security_login_attempts`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rocket::{Orbit, Rocket};

use super::{judged, Counter, CounterStore, Judge, Unavailable, Verdict, FORGET_AFTER};
use crate::db::models::{is_unique_violation, stored, update_or_insert};
use crate::db::pool::{with_conn, DbError, SecurityPool};
use crate::db::schema::security_login_attempts::dsl as a;

/// Failure counters keyed by a hash of the username or address.
///
/// ```no_run
/// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::auth::LoginAttempts;
/// let key = "5e884898da280471"; // a hash of the username
/// LoginAttempts::record_failure(pool, key, chrono::Utc::now()).await?;
/// if let Some((failures, last)) = LoginAttempts::get(pool, key).await? {
///     println!("{failures} failure(s), the last at {last}");
/// }
/// # Ok(()) }
/// ```
pub struct LoginAttempts;

impl LoginAttempts {
    /// The failures and the time of the last one.
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::auth::LoginAttempts;
    /// let failures = LoginAttempts::get(pool, "5e884898da280471").await?.map_or(0, |(n, _last)| n);
    /// # Ok(()) }
    /// ```
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
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::auth::LoginAttempts;
    /// LoginAttempts::record_failure(pool, "5e884898da280471", chrono::Utc::now()).await?;
    /// # Ok(()) }
    /// ```
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

    /// Counts an attempt on `key`, if it is admitted: no wait is due for the
    /// `n` failures so far (forgotten when the last is older than
    /// `forget_before`). Fewer than `free` failures impose no wait; `free + i`
    /// failures wait `delays[i]` seconds after the last one (the last entry for
    /// every count above). Returns whether the attempt was admitted and
    /// counted: one conditional statement decides, so parallel attempts on any
    /// number of instances are decided one at a time by the database. A
    /// refused attempt writes nothing (a new key is always admitted, so its
    /// row is only ever made for an admitted attempt).
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use chrono::{Duration, Utc};
    /// use rocket_security::auth::LoginAttempts;
    /// let now = Utc::now();
    /// // 3 free failures, then waits of 1, 5 and 30 seconds; forgotten after a day.
    /// let forget_before = now - Duration::days(1);
    /// let admitted = LoginAttempts::admit(pool, "5e884898da280471", now, forget_before, 3, &[1, 5, 30]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn admit(
        pool: &SecurityPool,
        key: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
        free: u32,
        delays: &[i64],
    ) -> Result<bool, DbError> {
        use diesel::dsl::sql;
        use diesel::sql_types::{Bool, Integer};
        let mut conn = pool.conn().await?;
        let at = stored(now);
        // Admitted: forgotten, or the delay of the failures so far has passed. The
        // cutoffs are timestamps this process computed (SQL literals every
        // backend compares with its timestamp column), never client input.
        let lit = |t: DateTime<Utc>| format!("'{}'", stored(t).format("%Y-%m-%d %H:%M:%S%.6f"));
        let mut cond = format!("(last_failure <= {}) OR (failures < {free})", lit(forget_before));
        let last = delays.len().saturating_sub(1);
        for (i, d) in delays.iter().enumerate() {
            let op = if i == last { ">=" } else { "=" };
            let n = u64::from(free) + i as u64;
            cond.push_str(&format!(
                " OR (failures {op} {n} AND last_failure <= {})",
                lit(now - chrono::Duration::seconds(*d))
            ));
        }
        // Parenthesised: it is ANDed with the key filter.
        let cond = format!("({cond})");
        let count = format!("CASE WHEN last_failure <= {} THEN 1 ELSE failures + 1 END", lit(forget_before));
        let update = || {
            diesel::update(a::security_login_attempts.filter(a::key_hash.eq(key)).filter(sql::<Bool>(&cond)))
                .set((a::failures.eq(sql::<Integer>(&count)), a::last_failure.eq(at)))
        };
        if with_conn!(&mut conn, |c| update().execute(c).await)? == 1 {
            return Ok(true);
        }
        // Nothing updated: a new key (admitted: its first failure), or a row that refuses.
        let inserted = with_conn!(&mut conn, |c| diesel::insert_into(a::security_login_attempts)
            .values((a::key_hash.eq(key), a::failures.eq(1), a::last_failure.eq(at)))
            .execute(c)
            .await);
        match inserted {
            Ok(_) => Ok(true),
            // The row exists: it refuses, or another instance made it meanwhile; the update decides.
            Err(e) if is_unique_violation(&e) => Ok(with_conn!(&mut conn, |c| update().execute(c).await)? == 1),
            Err(e) => Err(e.into()),
        }
    }

    /// Takes back one failure (never below zero).
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::auth::LoginAttempts;
    /// // The attempt `admit` counted succeeded: it is not a failure.
    /// LoginAttempts::take_back(pool, "5e884898da280471").await?;
    /// # Ok(()) }
    /// ```
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
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::auth::LoginAttempts;
    /// let removed = LoginAttempts::prune(pool, chrono::Utc::now() - chrono::Duration::days(1)).await?;
    /// # Ok(()) }
    /// ```
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
    ///
    /// ```no_run
    /// # async fn f(pool: &rocket_security::db::SecurityPool) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::auth::LoginAttempts;
    /// LoginAttempts::reset(pool, "5e884898da280471").await?; // after a successful login
    /// # Ok(()) }
    /// ```
    pub async fn reset(pool: &SecurityPool, key: &str) -> Result<(), DbError> {
        let mut conn = pool.conn().await?;
        with_conn!(&mut conn, |c| diesel::delete(a::security_login_attempts.filter(a::key_hash.eq(key)))
            .execute(c)
            .await)?;
        Ok(())
    }
}

/// The database store; bound to the security database at liftoff.
#[derive(Default)]
pub(crate) struct DatabaseStore(std::sync::OnceLock<SecurityPool>);

impl DatabaseStore {
    /// Decides and counts an attempt with one conditional statement per
    /// counter, giving the address's count back when the username must wait:
    /// whether it was admitted.
    async fn decide(
        &self,
        user_key: &str,
        ip_key: &str,
        ip_threshold: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, Unavailable> {
        let Some(pool) = self.0.get() else { return Err(Unavailable) };
        let delays = super::store_delays();
        let unavailable = |e: DbError| {
            tracing::error!(target: "security", "login throttling counters unavailable: {e}");
            Unavailable
        };
        let forget = now - Duration::seconds(FORGET_AFTER);
        let admit = |key, free| LoginAttempts::admit(pool, key, now, forget, free, &delays);
        if !admit(ip_key, ip_threshold).await.map_err(unavailable)? {
            return Ok(false);
        }
        if admit(user_key, 3).await.map_err(unavailable)? {
            return Ok(true);
        }
        // The username must wait (its row exists: it has failures).
        if let Err(e) = LoginAttempts::take_back(pool, ip_key).await {
            tracing::error!(target: "security", "login counter not corrected: {e}");
        }
        Ok(false)
    }
}

#[rocket::async_trait]
impl CounterStore for DatabaseStore {
    async fn liftoff(&self, rocket: &Rocket<Orbit>) {
        match crate::db::bound(rocket) {
            Some(p) => {
                let _ = self.0.set(p.clone());
                // Counters older than the forgetting window are pruned hourly.
                let pool = p.clone();
                rocket::tokio::spawn(async move {
                    loop {
                        rocket::tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        let before = Utc::now() - Duration::seconds(FORGET_AFTER);
                        if let Err(e) = LoginAttempts::prune(&pool, before).await {
                            tracing::warn!(target: "security", "login counters not pruned: {e}");
                        }
                    }
                });
            }
            None => tracing::error!(
                target: "security",
                "`security.throttle.storage = \"database\"` but no security database is attached: login attempts get 503 \
                 (fail closed); attach the security database or set `security.throttle.fail_open = true`"
            ),
        }
    }

    async fn get(&self, key: &str, _now: DateTime<Utc>) -> Result<Option<Counter>, Unavailable> {
        // No pool (no database attached) counts as unavailable: never "no failures".
        let Some(pool) = self.0.get() else { return Err(Unavailable) };
        LoginAttempts::get(pool, key).await.map_err(|e| {
            tracing::error!(target: "security", "login throttling counters unavailable: {e}");
            Unavailable
        })
    }

    async fn admit(
        &self,
        user_key: &str,
        ip_key: &str,
        ip_threshold: u32,
        now: DateTime<Utc>,
        judge: Judge<'_>,
    ) -> Result<Verdict, Unavailable> {
        let admitted = self.decide(user_key, ip_key, ip_threshold, now).await?;
        judged(self, admitted, user_key, ip_key, now, judge).await
    }

    async fn bump(&self, key: &str, now: DateTime<Utc>) {
        if let Some(pool) = self.0.get()
            && let Err(e) = LoginAttempts::record_failure(pool, key, now).await
        {
            tracing::error!(target: "security", "login failure not counted: {e}");
        }
    }

    async fn take_back(&self, key: &str) {
        if let Some(pool) = self.0.get()
            && let Err(e) = LoginAttempts::take_back(pool, key).await
        {
            tracing::error!(target: "security", "login counter not corrected: {e}");
        }
    }

    async fn reset(&self, key: &str) {
        if let Some(pool) = self.0.get()
            && let Err(e) = LoginAttempts::reset(pool, key).await
        {
            tracing::error!(target: "security", "login counter not reset: {e}");
        }
    }
}
