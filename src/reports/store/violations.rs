//! CSP report storage: [`CspViolation`] aggregates (one row per normalised
//! violation) and [`CspReport`] raw samples (a capped number per violation).

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::models::{hex_literal, in_transaction, placeholders, stored, truncated, update_or_insert};
use crate::db::pool::{with_conn, DbError, SecurityConn};
use crate::db::schema::security_csp_reports::dsl as r;
use crate::db::schema::security_csp_violations::dsl as v;
use crate::reports::{NewCspReport, ViolationKey};

/// A stored raw report: the [`NewCspReport`] as it was inserted (its fields
/// read through, `report.blocked_uri`), with its row id, its violation and
/// its arrival.
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::CspReport;
/// for report in CspReport::for_violation(conn, 42, 10).await? {
///     println!("{}: {:?} blocked on {:?}", report.date_received, report.blocked_uri, report.document_uri);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = crate::db::schema::security_csp_reports)]
pub struct CspReport {
    /// Row id.
    pub id: i32,
    /// The aggregate this report is a sample of.
    pub violation_id: Option<i32>,
    /// The report (serialized inline: `{"id": 1, "violation_id": 2, "report_format": ...}`).
    #[diesel(embed)]
    #[serde(flatten)]
    pub report: NewCspReport,
    /// When it arrived (UTC).
    pub date_received: NaiveDateTime,
}

impl std::ops::Deref for CspReport {
    type Target = NewCspReport;

    /// The report's fields, read as the row's (`row.blocked_uri`).
    fn deref(&self) -> &NewCspReport {
        &self.report
    }
}

/// One normalised violation with its hit count.
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::CspViolation;
/// if let Some(v) = CspViolation::by_id(conn, 42).await? {
///     println!("{} blocked {} on {}: {} hits", v.effective_directive, v.blocked, v.document_uri, v.hits);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = crate::db::schema::security_csp_violations)]
pub struct CspViolation {
    /// Row id.
    pub id: i32,
    /// SHA-256 of the key.
    pub key_hash: String,
    /// See [`ViolationKey`].
    pub document_uri: String,
    /// See [`ViolationKey`].
    pub effective_directive: String,
    /// See [`ViolationKey`].
    pub blocked: String,
    /// See [`ViolationKey`].
    pub source_file: Option<String>,
    /// See [`ViolationKey`].
    pub line_number: Option<i32>,
    /// See [`ViolationKey`].
    pub disposition: String,
    /// How many reports had this key.
    pub hits: i64,
    /// How many raw reports are stored for it.
    pub sample_count: i32,
    /// First report (UTC).
    pub first_seen: NaiveDateTime,
    /// Latest report (UTC).
    pub last_seen: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = crate::db::schema::security_csp_violations)]
struct ViolationRow<'a> {
    key_hash: &'a str,
    document_uri: &'a str,
    effective_directive: &'a str,
    blocked: &'a str,
    source_file: Option<&'a str>,
    line_number: Option<i32>,
    disposition: &'a str,
    hits: i64,
    sample_count: i32,
    first_seen: NaiveDateTime,
    last_seen: NaiveDateTime,
}

/// What [`CspViolation::record`] did.
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::{CspViolation, NewCspReport, ViolationKey};
/// let key = ViolationKey { effective_directive: "img-src".into(), blocked: "cdn.example".into(),
///     ..Default::default() };
/// let report = NewCspReport { report_format: "csp-report".into(), ..Default::default() };
/// let outcome = CspViolation::record(conn, &key, 1, Some(&report), 10, chrono::Utc::now()).await?;
/// if outcome.samples_full {
///     println!("violation {} has its samples: further reports are only counted", outcome.violation_id);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordOutcome {
    /// The aggregate row.
    pub violation_id: i32,
    /// Whether the raw report was stored (false once the key has `max_samples`).
    pub sample_stored: bool,
    /// Whether the key already had `max_samples` raw reports (known only
    /// when a sample was offered).
    pub samples_full: bool,
}

/// One violation key of a batch for [`CspViolation::apply_batch`].
pub(crate) struct BatchGroup<'a> {
    pub(crate) key: &'a ViolationKey,
    pub(crate) hits: i64,
    pub(crate) sample: &'a NewCspReport,
    pub(crate) at: DateTime<Utc>,
}

/// The other browser reports of a batch, and the keys whose samples are complete.
#[derive(Clone, Copy, Default)]
pub(crate) struct BrowserPart<'a> {
    pub(crate) groups: &'a [crate::reports::spool::SpooledBrowserGroup],
    pub(crate) known: Option<&'a std::collections::HashSet<String>>,
}

/// What [`CspViolation::apply_batch`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BatchOutcome {
    /// Committed; the key hashes whose samples are now complete.
    Applied { samples_full: Vec<String> },
    /// A key of the fast path has no row (deleted meanwhile): nothing was
    /// changed; apply again with every key on the full path.
    Missing,
}

/// `last_seen` moved forward to `$now`, never back (an older batch replayed
/// after a newer one leaves the newer time).
macro_rules! later {
    ($now:expr) => {
        diesel::dsl::sql::<diesel::sql_types::Timestamp>("CASE WHEN last_seen < ")
            .bind::<diesel::sql_types::Timestamp, _>($now)
            .sql(" THEN ")
            .bind::<diesel::sql_types::Timestamp, _>($now)
            .sql(" ELSE last_seen END")
    };
}

impl CspViolation {
    /// Applies one batch (the reports of one or more spooled batches, merged)
    /// in one transaction that also records its `ids`, so that a batch whose
    /// commit outcome is unknown (the connection broke during `COMMIT`) is
    /// recognised later with [`applied_batches`](Self::applied_batches) and
    /// not counted twice: `fast` are (key hash, hits, latest arrival) of keys whose row and
    /// samples are complete (one statement), `full` the others (the row, a
    /// sample while there is room), `days` (group hash, arrival, reports) of
    /// them all for the per-group daily counts. Every statement's error aborts the batch;
    /// a race with another instance inserting the same key fails it too, and
    /// applying it again succeeds.
    pub(crate) async fn apply_batch(
        conn: &mut SecurityConn,
        ids: &[String],
        fast: &[(String, i64, DateTime<Utc>)],
        full: &[BatchGroup<'_>],
        days: &[(String, DateTime<Utc>, i64)],
        browser: BrowserPart<'_>,
        max_samples: i32,
    ) -> Result<BatchOutcome, DbError> {
        let work = async |conn: &mut SecurityConn| {
            if !fast.is_empty() && Self::add_hits_statement(conn, fast).await? != fast.len() {
                return Ok(BatchOutcome::Missing);
            }
            let mut samples_full = vec![];
            for g in full {
                let outcome = Self::record_strict(conn, g.key, g.hits, Some(g.sample), max_samples, g.at, true).await?;
                if outcome.samples_full {
                    samples_full.push(g.key.hash());
                }
            }
            // The other browser reports of the batch, in the same transaction.
            samples_full.extend(
                super::browser::BrowserReportRow::apply(conn, browser.groups, browser.known, max_samples).await?,
            );
            // Each report in the hour and on the day it arrived (a replay after an outage spans hours).
            let mut hours: std::collections::BTreeMap<NaiveDateTime, i64> = Default::default();
            let counted = fast.iter().map(|(_, n, at)| (*n, *at)).chain(full.iter().map(|g| (g.hits, g.at)));
            for (n, at) in counted {
                *hours.entry(truncated(at, TimeDelta::hours(1))).or_default() += n;
            }
            // The batch ids and both counts in one round trip (every value a
            // checked hex string, an integer or a time this code formatted).
            let sql = super::counts::counts_sql(conn.backend(), ids, &hours, &super::counts::per_day(days))?;
            let sql = &sql;
            with_conn!(conn, |c| diesel_async::SimpleAsyncConnection::batch_execute(c, sql).await)?;
            Ok::<_, DbError>(BatchOutcome::Applied { samples_full })
        };
        // A key of the fast path without its row: nothing of the batch stays.
        in_transaction(conn, work, |o| matches!(o, BatchOutcome::Applied { .. })).await
    }

    /// Which of `ids` were applied already (committed by an attempt whose outcome was unknown).
    pub(crate) async fn applied_batches(
        conn: &mut SecurityConn,
        ids: &[String],
    ) -> Result<std::collections::HashSet<String>, DbError> {
        use crate::db::schema::security_csp_batches::dsl as b;
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let found: Vec<String> =
            with_conn!(conn, |c| b::security_csp_batches.filter(b::id.eq_any(ids)).select(b::id).load(c).await)?;
        Ok(found.into_iter().collect())
    }

    /// Deletes the batch ids applied before `before` (a replay comes within
    /// hours; the ids are kept for days).
    pub(crate) async fn prune_batches(conn: &mut SecurityConn, before: DateTime<Utc>) -> Result<usize, DbError> {
        use crate::db::schema::security_csp_batches::dsl as b;
        let before = stored(before);
        let n = with_conn!(conn, |c| {
            diesel::delete(b::security_csp_batches.filter(b::applied_at.lt(before))).execute(c).await
        })?;
        Ok(n)
    }

    /// Counts `hits` reports under `key` and stores `sample` as a raw report
    /// while the key has fewer than `max_samples`. Portable across backends
    /// (update, else insert, else update: no `RETURNING`, no backend upsert
    /// syntax) and safe when several instances record the same key at once.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{CspViolation, ViolationKey};
    /// let key = ViolationKey { document_uri: "https://example.com/".into(), effective_directive: "img-src".into(),
    ///     blocked: "cdn.example".into(), disposition: "enforce".into(), ..Default::default() };
    /// let outcome = CspViolation::record(conn, &key, 3, None, 10, chrono::Utc::now()).await?;
    /// assert!(!outcome.sample_stored);
    /// # Ok(()) }
    /// ```
    pub async fn record(
        conn: &mut SecurityConn,
        key: &ViolationKey,
        hits: i64,
        sample: Option<&NewCspReport>,
        max_samples: i32,
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome, DbError> {
        let outcome = Self::record_strict(conn, key, hits, sample, max_samples, now, false).await?;
        // The hits are stored: a failing daily count must not make the caller count them as lost.
        if let Err(e) = super::groups::ViolationGroup::add_days(conn, &[(key.group_hash(), now, hits)]).await {
            tracing::warn!(target: "security", "CSP report daily count not stored (its hits are): {e}");
        }
        Ok(outcome)
    }

    /// [`record`](Self::record); `strict`: a sample that fails fails the call
    /// (inside a transaction, which the failure aborted on PostgreSQL).
    async fn record_strict(
        conn: &mut SecurityConn,
        key: &ViolationKey,
        hits: i64,
        sample: Option<&NewCspReport>,
        max_samples: i32,
        now: DateTime<Utc>,
        strict: bool,
    ) -> Result<RecordOutcome, DbError> {
        let now = stored(now);
        let hash = key.hash();
        let row = ViolationRow {
            key_hash: &hash,
            document_uri: &key.document_uri,
            effective_directive: &key.effective_directive,
            blocked: &key.blocked,
            source_file: key.source_file.as_deref(),
            line_number: key.line_number,
            disposition: &key.disposition,
            hits,
            sample_count: 0,
            first_seen: now,
            last_seen: now,
        };
        update_or_insert!(
            conn,
            update: |c| diesel::update(v::security_csp_violations.filter(v::key_hash.eq(&hash)))
                .set((v::hits.eq(v::hits + hits), v::last_seen.eq(later!(now))))
                .execute(c)
                .await,
            insert: |c| diesel::insert_into(v::security_csp_violations).values(&row).execute(c).await,
        )?;
        let violation_id: i32 = with_conn!(conn, |c| {
            v::security_csp_violations.filter(v::key_hash.eq(&hash)).select(v::id).first(c).await
        })?;
        let Some(sample) = sample else {
            return Ok(RecordOutcome { violation_id, sample_stored: false, samples_full: false });
        };
        // Claim a sample slot atomically, so instances racing on one key never exceed the cap.
        let claimed = with_conn!(conn, |c| {
            diesel::update(
                v::security_csp_violations.filter(v::id.eq(violation_id)).filter(v::sample_count.lt(max_samples)),
            )
            .set(v::sample_count.eq(v::sample_count + 1))
            .execute(c)
            .await
        })?;
        if claimed == 0 {
            return Ok(RecordOutcome { violation_id, sample_stored: false, samples_full: true });
        }
        let sample = &sample.clone().truncated();
        let row = || (r::violation_id.eq(Some(violation_id)), sample, r::date_received.eq(now));
        // The hits are stored at this point: a failing sample must not make the
        // caller count them as lost.
        match with_conn!(conn, |c| diesel::insert_into(r::security_csp_reports).values(row()).execute(c).await) {
            Ok(_) => Ok(RecordOutcome { violation_id, sample_stored: true, samples_full: false }),
            Err(e) if strict => Err(e.into()),
            Err(e) => {
                tracing::warn!(target: "security", "CSP report sample not stored (its hit is counted): {e}");
                Ok(RecordOutcome { violation_id, sample_stored: false, samples_full: false })
            }
        }
    }

    /// Adds hits to existing violations, found by their key hash, in one
    /// statement (one round trip however many keys), all or nothing: `rows`
    /// are ([`ViolationKey::hash`], hits); `last_seen` becomes `now` unless it
    /// is later already. `Ok(false)`: some key has no row (deleted
    /// meanwhile); nothing was changed, record them with
    /// [`record`](Self::record). The per-day counts of the dashboard's
    /// sparklines are not touched (the collector writes them with its batches).
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{CspViolation, ViolationKey};
    /// let key = ViolationKey { effective_directive: "img-src".into(), blocked: "cdn.example".into(),
    ///     ..Default::default() };
    /// if !CspViolation::add_hits_by_hash(conn, &[(key.hash(), 5)], chrono::Utc::now()).await? {
    ///     CspViolation::record(conn, &key, 5, None, 10, chrono::Utc::now()).await?; // its row was deleted meanwhile
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn add_hits_by_hash(
        conn: &mut SecurityConn,
        rows: &[(String, i64)],
        now: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        if rows.is_empty() {
            return Ok(true);
        }
        let rows: Vec<(String, i64, DateTime<Utc>)> = rows.iter().map(|(h, n)| (h.clone(), *n, now)).collect();
        // In a transaction, so a partial update (a row deleted meanwhile) is undone.
        let all = |n: &usize| *n == rows.len();
        let n = in_transaction(conn, async |conn: &mut SecurityConn| Self::add_hits_statement(conn, &rows).await, all)
            .await?;
        Ok(all(&n))
    }

    /// The one statement of [`add_hits_by_hash`](Self::add_hits_by_hash), run
    /// as it is (inside the caller's transaction), each key with its own
    /// latest arrival: the rows it updated.
    async fn add_hits_statement(
        conn: &mut SecurityConn,
        rows: &[(String, i64, DateTime<Utc>)],
    ) -> Result<usize, DbError> {
        let (sql, times) = Self::add_hits_sql(conn, rows)?;
        let (sql, times) = (&sql, &times);
        let n = with_conn!(conn, |c| {
            let mut q = diesel::sql_query(sql.as_str()).into_boxed();
            for t in times {
                q = q.bind::<diesel::sql_types::Timestamp, _>(*t);
            }
            q.execute(c).await
        })?;
        Ok(n)
    }

    /// The `UPDATE ... CASE` adding `rows`' hits and moving each row's
    /// `last_seen` forward to its arrival (never back: a replayed older
    /// batch leaves a later `last_seen` alone), and the times to bind in order.
    fn add_hits_sql(
        conn: &SecurityConn,
        rows: &[(String, i64, DateTime<Utc>)],
    ) -> Result<(String, Vec<NaiveDateTime>), DbError> {
        use crate::db::pool::Backend;
        use std::fmt::Write;
        // Only hex digits and integers are written into the statement; the times are bound.
        for (hash, _, _) in rows {
            hex_literal(hash, 64, "violation key hash")?;
        }
        let backend = conn.backend();
        let mut p = placeholders(backend);
        let (mut case, mut at, mut hashes) =
            (String::from("CASE key_hash"), String::from("CASE key_hash"), String::new());
        for (i, (hash, hits, _)) in rows.iter().enumerate() {
            let p = p();
            let _ = write!(case, " WHEN '{hash}' THEN {hits}");
            let _ = write!(at, " WHEN '{hash}' THEN {p}");
            let _ = write!(hashes, "{}'{hash}'", if i == 0 { "" } else { "," });
        }
        let max = if backend == Backend::Sqlite { "MAX" } else { "GREATEST" };
        let sql = format!(
            "UPDATE security_csp_violations SET hits = hits + {case} END, last_seen = {max}(last_seen, {at} END) \
             WHERE key_hash IN ({hashes})"
        );
        Ok((sql, rows.iter().map(|(_, _, t)| stored(*t)).collect()))
    }

    /// Deletes violation `id` with its stored samples. Returns whether it existed.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::CspViolation;
    /// let existed = CspViolation::delete(conn, 42).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(conn: &mut SecurityConn, id: i32) -> Result<bool, DbError> {
        with_conn!(conn, |c| diesel::delete(r::security_csp_reports.filter(r::violation_id.eq(id))).execute(c).await)?;
        let n = with_conn!(conn, |c| diesel::delete(v::security_csp_violations.filter(v::id.eq(id))).execute(c).await)?;
        Ok(n > 0)
    }

    /// Retention: deletes the violations not seen since `before`, with their
    /// samples. Returns how many violations were deleted.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::CspViolation;
    /// let cutoff = chrono::Utc::now() - chrono::Duration::days(90);
    /// let deleted = CspViolation::prune(conn, cutoff).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prune(conn: &mut SecurityConn, before: DateTime<Utc>) -> Result<usize, DbError> {
        let before = stored(before);
        let ids: Vec<i32> = with_conn!(conn, |c| {
            v::security_csp_violations.filter(v::last_seen.lt(before)).select(v::id).load::<i32>(c).await
        })?;
        let mut deleted = 0;
        for chunk in ids.chunks(500) {
            with_conn!(conn, |c| {
                diesel::delete(r::security_csp_reports.filter(r::violation_id.eq_any(chunk))).execute(c).await
            })?;
            deleted += with_conn!(conn, |c| {
                diesel::delete(v::security_csp_violations.filter(v::id.eq_any(chunk)).filter(v::last_seen.lt(before)))
                    .execute(c)
                    .await
            })?;
        }
        Ok(deleted)
    }

    /// Keeps the `keep` most recently seen violations (ties by id) and
    /// deletes the rest with their samples; returns how many were deleted. A
    /// row seen again meanwhile is kept.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::CspViolation;
    /// let deleted = CspViolation::cap(conn, 100_000).await?;
    /// # Ok(()) }
    /// ```
    pub async fn cap(conn: &mut SecurityConn, keep: u64) -> Result<usize, DbError> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        // The newest row that goes: everything at or below it in (last_seen, id) order.
        let edge: Option<(NaiveDateTime, i32)> = with_conn!(conn, |c| {
            v::security_csp_violations
                .order((v::last_seen.desc(), v::id.desc()))
                .select((v::last_seen, v::id))
                .limit(1)
                .offset(keep)
                .first(c)
                .await
                .optional()
        })?;
        let Some((at, id)) = edge else { return Ok(0) };
        let older = || v::last_seen.lt(at).or(v::last_seen.eq(at).and(v::id.le(id)));
        let ids: Vec<i32> =
            with_conn!(conn, |c| v::security_csp_violations.filter(older()).select(v::id).load::<i32>(c).await)?;
        let mut deleted = 0;
        for chunk in ids.chunks(500) {
            with_conn!(conn, |c| {
                diesel::delete(r::security_csp_reports.filter(r::violation_id.eq_any(chunk))).execute(c).await
            })?;
            deleted += with_conn!(conn, |c| {
                diesel::delete(v::security_csp_violations.filter(v::id.eq_any(chunk)).filter(older())).execute(c).await
            })?;
        }
        Ok(deleted)
    }

    /// The most recently seen violations.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::CspViolation;
    /// for v in CspViolation::recent(conn, 20).await? {
    ///     println!("{} {} blocked {} ({} hits)", v.last_seen, v.effective_directive, v.blocked, v.hits);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn recent(conn: &mut SecurityConn, limit: i64) -> Result<Vec<CspViolation>, DbError> {
        let rows = with_conn!(conn, |c| {
            v::security_csp_violations
                .order((v::last_seen.desc(), v::id.desc()))
                .limit(limit)
                .select(CspViolation::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }

    /// The violation with this key, if recorded.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{CspViolation, ViolationKey};
    /// let key = ViolationKey { document_uri: "https://example.com/".into(), effective_directive: "img-src".into(),
    ///     blocked: "cdn.example".into(), disposition: "enforce".into(), ..Default::default() };
    /// let hits = CspViolation::find(conn, &key).await?.map_or(0, |v| v.hits);
    /// # Ok(()) }
    /// ```
    pub async fn find(conn: &mut SecurityConn, key: &ViolationKey) -> Result<Option<CspViolation>, DbError> {
        let hash = key.hash();
        let row = with_conn!(conn, |c| {
            v::security_csp_violations
                .filter(v::key_hash.eq(&hash))
                .select(CspViolation::as_select())
                .first(c)
                .await
                .optional()
        })?;
        Ok(row)
    }
}

impl CspReport {
    /// The newest raw reports of one violation.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{CspReport, CspViolation};
    /// if let Some(v) = CspViolation::recent(conn, 1).await?.pop() {
    ///     let samples = CspReport::for_violation(conn, v.id, 5).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn for_violation(
        conn: &mut SecurityConn,
        violation_id: i32,
        limit: i64,
    ) -> Result<Vec<CspReport>, DbError> {
        let rows = with_conn!(conn, |c| {
            r::security_csp_reports
                .filter(r::violation_id.eq(violation_id))
                .order((r::date_received.desc(), r::id.desc()))
                .limit(limit)
                .select(CspReport::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }
}

/// Reports per hour (UTC), for the dashboard's chart.
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::CspHourly;
/// let last_day = CspHourly::since(conn, chrono::Utc::now() - chrono::Duration::hours(24)).await?;
/// let total: i64 = last_day.iter().map(|h| h.hits).sum();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = crate::db::schema::security_csp_hourly)]
pub struct CspHourly {
    /// The start of the hour (UTC).
    pub hour: NaiveDateTime,
    /// Reports received in it.
    pub hits: i64,
}

impl CspHourly {
    /// Adds `hits` to the hour containing `at`.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// rocket_security::reports::CspHourly::add(conn, chrono::Utc::now(), 3).await?;
    /// # Ok(()) }
    /// ```
    pub async fn add(conn: &mut SecurityConn, at: DateTime<Utc>, hits: i64) -> Result<(), DbError> {
        use crate::db::schema::security_csp_hourly::dsl as h;
        let hour = truncated(at, TimeDelta::hours(1));
        update_or_insert!(
            conn,
            update: |c| diesel::update(h::security_csp_hourly.filter(h::hour.eq(hour)))
                .set(h::hits.eq(h::hits + hits))
                .execute(c)
                .await,
            insert: |c| diesel::insert_into(h::security_csp_hourly)
                .values((h::hour.eq(hour), h::hits.eq(hits)))
                .execute(c)
                .await,
        )
    }

    /// The hours from `from` on, oldest first.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::CspHourly;
    /// for h in CspHourly::since(conn, chrono::Utc::now() - chrono::Duration::days(7)).await? {
    ///     println!("{}: {} reports", h.hour, h.hits);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn since(conn: &mut SecurityConn, from: DateTime<Utc>) -> Result<Vec<CspHourly>, DbError> {
        use crate::db::schema::security_csp_hourly::dsl as h;
        let from = from.naive_utc();
        let rows = with_conn!(conn, |c| {
            h::security_csp_hourly
                .filter(h::hour.ge(from))
                .order(h::hour.asc())
                .select(CspHourly::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }
}

/// Filters for [`CspViolation::search`].
///
/// ```
/// use rocket_security::reports::ViolationFilter;
/// let filter = ViolationFilter { directive: Some("script-src-elem".into()), ..Default::default() };
/// assert_eq!((filter.blocked, filter.from, filter.to), (None, None, None));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViolationFilter {
    /// Only this effective directive.
    pub directive: Option<String>,
    /// Only blocked values containing this text (a host or a kind).
    pub blocked: Option<String>,
    /// Seen at or after this time.
    pub from: Option<NaiveDateTime>,
    /// Seen at or before this time.
    pub to: Option<NaiveDateTime>,
}

impl CspViolation {
    /// Violations matching `filter`, most hits first.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{CspViolation, ViolationFilter};
    /// let week_ago = (chrono::Utc::now() - chrono::Duration::days(7)).naive_utc();
    /// let filter = ViolationFilter { blocked: Some("cdn.example".into()), from: Some(week_ago),
    ///     ..Default::default() };
    /// let top = CspViolation::search(conn, &filter, 100).await?;
    /// # Ok(()) }
    /// ```
    pub async fn search(
        conn: &mut SecurityConn,
        filter: &ViolationFilter,
        limit: i64,
    ) -> Result<Vec<CspViolation>, DbError> {
        let rows = with_conn!(conn, |c| {
            let mut q = v::security_csp_violations.into_boxed();
            if let Some(d) = &filter.directive {
                q = q.filter(v::effective_directive.eq(d.clone()));
            }
            if let Some(b) = &filter.blocked {
                let escaped = b.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                q = q.filter(v::blocked.like(format!("%{escaped}%")).escape('\\'));
            }
            if let Some(from) = filter.from {
                q = q.filter(v::last_seen.ge(from));
            }
            if let Some(to) = filter.to {
                q = q.filter(v::first_seen.le(to));
            }
            q.order((v::hits.desc(), v::id.desc())).limit(limit).select(CspViolation::as_select()).load(c).await
        })?;
        Ok(rows)
    }

    /// One violation by id.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::CspViolation;
    /// match CspViolation::by_id(conn, 42).await? {
    ///     Some(v) => println!("{} blocked {}", v.effective_directive, v.blocked),
    ///     None => println!("no violation 42"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn by_id(conn: &mut SecurityConn, id: i32) -> Result<Option<CspViolation>, DbError> {
        let row = with_conn!(conn, |c| {
            v::security_csp_violations.filter(v::id.eq(id)).select(CspViolation::as_select()).first(c).await.optional()
        })?;
        Ok(row)
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    #[rocket::async_test]
    async fn a_batch_records_its_ids_and_a_missing_row_changes_nothing() {
        let file = std::env::temp_dir().join(format!("rs-batch-{}.db", std::process::id()));
        let pool = crate::db::SecurityPool::from_url(&format!("sqlite://{}", file.display())).unwrap();
        crate::db::run_migrations(pool.conn().await.unwrap()).await.unwrap();
        let mut conn = pool.conn().await.unwrap();
        let key = ViolationKey {
            document_uri: "https://example.com/".into(),
            effective_directive: "img-src".into(),
            blocked: "cdn.example".into(),
            disposition: "enforce".into(),
            ..Default::default()
        };
        let sample = NewCspReport { report_format: "csp-report".into(), ..Default::default() };
        let full = [BatchGroup { key: &key, hits: 3, sample: &sample, at: Utc::now() }];
        let ids = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let first =
            CspViolation::apply_batch(&mut conn, &ids(&["b1"]), &[], &full, &[], Default::default(), 10).await.unwrap();
        assert_eq!(first, BatchOutcome::Applied { samples_full: vec![] });
        // The batch's id is recorded with it: a replay finds it applied.
        let applied = CspViolation::applied_batches(&mut conn, &ids(&["b1", "b0"])).await.unwrap();
        assert_eq!(applied, ["b1".to_string()].into_iter().collect());
        let row = CspViolation::find(&mut conn, &key).await.unwrap().unwrap();
        assert_eq!((row.hits, row.sample_count), (3, 1));
        // A fast-path batch whose row is gone changes nothing (its id neither) and says so.
        CspViolation::delete(&mut conn, row.id).await.unwrap();
        let missing = CspViolation::apply_batch(
            &mut conn,
            &ids(&["b2"]),
            &[(key.hash(), 2, Utc::now())],
            &[],
            &[],
            Default::default(),
            10,
        )
        .await
        .unwrap();
        assert_eq!(missing, BatchOutcome::Missing);
        assert!(CspViolation::find(&mut conn, &key).await.unwrap().is_none());
        assert!(CspViolation::applied_batches(&mut conn, &ids(&["b2"])).await.unwrap().is_empty());
        // Two spooled batches merged into one transaction record both ids.
        let again = CspViolation::apply_batch(&mut conn, &ids(&["b2", "b3"]), &[], &full, &[], Default::default(), 10)
            .await
            .unwrap();
        assert_eq!(again, BatchOutcome::Applied { samples_full: vec![] });
        assert_eq!(CspViolation::applied_batches(&mut conn, &ids(&["b2", "b3"])).await.unwrap().len(), 2);
        // An id that is not hex never reaches the statement.
        assert!(CspViolation::apply_batch(&mut conn, &ids(&["x'"]), &[], &full, &[], Default::default(), 10)
            .await
            .is_err());
        // The per-day counts go in with the batch; days beyond the sparklines are pruned.
        use super::super::groups::ViolationGroup;
        let t = Utc::now();
        let days = [(key.group_hash(), t, 3), (key.group_hash(), t - chrono::Duration::days(100), 1)];
        CspViolation::apply_batch(&mut conn, &ids(&["b4"]), &[], &full, &days, Default::default(), 10).await.unwrap();
        let counts = |d: Vec<super::super::groups::GroupDay>| d.iter().map(|d| d.hits).collect::<Vec<_>>();
        let from = t - chrono::Duration::days(200);
        assert_eq!(counts(ViolationGroup::days(&mut conn, &[key.group_hash()], from).await.unwrap()), vec![1, 3]);
        assert_eq!(ViolationGroup::prune_days(&mut conn, t - chrono::Duration::days(90)).await.unwrap(), 1);
        assert_eq!(counts(ViolationGroup::days(&mut conn, &[key.group_hash()], from).await.unwrap()), vec![3]);
        // The batch's upserts meet the rows diesel wrote (same time format on SQLite): one row per hour and day.
        let t0 = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 20, 10, 30, 0).unwrap();
        CspHourly::add(&mut conn, t0, 5).await.unwrap();
        ViolationGroup::add_days(&mut conn, &[(key.group_hash(), t0, 5)]).await.unwrap();
        let late = [BatchGroup { key: &key, hits: 2, sample: &sample, at: t0 + chrono::Duration::minutes(10) }];
        let days = [(key.group_hash(), t0 + chrono::Duration::minutes(10), 2)];
        CspViolation::apply_batch(&mut conn, &ids(&["b5"]), &[], &late, &days, Default::default(), 10).await.unwrap();
        let hours = CspHourly::since(&mut conn, t0 - chrono::Duration::hours(1)).await.unwrap();
        assert_eq!(
            hours
                .iter()
                .filter(|h| h.hour == t0.naive_utc() - chrono::Duration::minutes(30))
                .map(|h| h.hits)
                .collect::<Vec<_>>(),
            vec![7]
        );
        let on_t0 = ViolationGroup::days(&mut conn, &[key.group_hash()], t0).await.unwrap();
        assert_eq!((on_t0[0].day.to_string().as_str(), on_t0[0].hits), ("2026-11-20 00:00:00", 7));
        drop(conn);
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", file.display()));
        }
    }
}
