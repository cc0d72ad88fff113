//! What controls in report mode would have refused, summed over every
//! instance (see [`crate::core::Mode`]).

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{stored, update_or_insert};
use crate::db::pool::{with_conn, DbError, SecurityConn};
use crate::db::schema::security_would_refuse::dsl as w;

/// Longest `examples` value stored (characters).
const EXAMPLES_CHARS: usize = 2000;

/// One control and reason: what every instance in report mode counted.
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// let rows = rocket_security::db::WouldRefuse::all(conn).await?;
/// let csrf: i64 = rows.iter().filter(|r| r.control == "csrf").map(|r| r.hits).sum();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WouldRefuse {
    /// The control, e.g. `csrf`.
    pub control: String,
    /// Why it would have refused, e.g. `cross_origin`.
    pub reason: String,
    /// Requests every instance would have refused.
    pub hits: i64,
    /// The last one.
    pub last_seen: DateTime<Utc>,
    /// The most recent examples one instance saw, newest first.
    pub examples: Vec<String>,
}

impl WouldRefuse {
    /// Adds `n` refusals of `control` for `reason` at `at` (atomic: every
    /// instance's additions count), with this instance's latest `examples`.
    /// Report mode does this itself; a test or an import can seed rows.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// let at = chrono::Utc::now();
    /// rocket_security::db::WouldRefuse::add(conn, "csrf", "cross_origin", 1, at, &["POST /form".into()]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn add(
        conn: &mut SecurityConn,
        control: &str,
        reason: &str,
        n: u64,
        at: DateTime<Utc>,
        examples: &[String],
    ) -> Result<(), DbError> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let at = stored(at);
        let mut json = serde_json::to_string(examples).unwrap_or_else(|_| "[]".into());
        if json.chars().count() > EXAMPLES_CHARS {
            json = serde_json::to_string(&examples[..1.min(examples.len())]).unwrap_or_else(|_| "[]".into());
        }
        let json = json.as_str();
        update_or_insert!(
            conn,
            update: |c| diesel::update(w::security_would_refuse.filter(w::control.eq(control)).filter(w::reason.eq(reason)))
                .set((w::hits.eq(w::hits + n), w::last_seen.eq(at), w::examples.eq(json)))
                .execute(c)
                .await,
            insert: |c| diesel::insert_into(w::security_would_refuse)
                .values((
                    w::control.eq(control),
                    w::reason.eq(reason),
                    w::hits.eq(n),
                    w::last_seen.eq(at),
                    w::examples.eq(json),
                ))
                .execute(c)
                .await,
        )
    }

    /// Every control and reason, by control then reason.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// for row in rocket_security::db::WouldRefuse::all(conn).await? {
    ///     println!("{} {}: {}", row.control, row.reason, row.hits);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn all(conn: &mut SecurityConn) -> Result<Vec<WouldRefuse>, DbError> {
        let rows: Vec<(String, String, i64, chrono::NaiveDateTime, String)> = with_conn!(conn, |c| {
            w::security_would_refuse
                .order((w::control.asc(), w::reason.asc()))
                .select((w::control, w::reason, w::hits, w::last_seen, w::examples))
                .limit(1000)
                .load(c)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(control, reason, hits, at, examples)| WouldRefuse {
                control,
                reason,
                hits,
                last_seen: Utc.from_utc_datetime(&at),
                examples: serde_json::from_str(&examples).unwrap_or_default(),
            })
            .collect())
    }
}
