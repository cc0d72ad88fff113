//! Browser report storage (every type but CSP): [`BrowserReportRow`]
//! aggregates (one row per [`BrowserKey`](crate::reports::BrowserKey)), [`BrowserSampleRow`] samples (a
//! bounded number per row), per-group daily counts (sparklines, readiness)
//! and the queries the dashboard's per-type views read, with the groups'
//! triage ([`BrowserTriage`], [`TriagedBrowserGroup`]).

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use std::collections::BTreeMap;

use crate::db::models::{hex_literal, placeholders, stored, truncated, update_or_insert};
use crate::db::pool::{with_conn, Backend, DbError, SecurityConn};
use crate::db::schema::security_browser_days::dsl as d;
use crate::db::schema::security_browser_reports::dsl as b;
use crate::db::schema::security_browser_samples::dsl as s;
use crate::db::schema::security_browser_triage::dsl as tr;
use crate::reports::browser::BrowserSample;
use crate::reports::spool::SpooledBrowserGroup;
use crate::reports::store::groups::status_of;
use crate::reports::{Hidden, ReportType, TriageState, TriageView};

/// One aggregated browser report: a [`BrowserKey`](crate::reports::BrowserKey) and its counts.
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::{BrowserReportRow, ReportType};
/// for r in BrowserReportRow::recent(conn, ReportType::Coep, 20).await? {
///     println!("{} blocked on {}: {} reports", r.subject, r.document_uri, r.hits);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = crate::db::schema::security_browser_reports)]
pub struct BrowserReportRow {
    /// Row id.
    pub id: i32,
    /// [`BrowserKey::group_hash`](crate::reports::BrowserKey::group_hash).
    pub group_hash: String,
    /// The Reporting API type.
    pub report_type: String,
    /// `report`, `enforce`, or empty.
    pub disposition: String,
    /// The page, without query.
    pub document_uri: String,
    /// What the type is grouped by first.
    pub subject: String,
    /// And second.
    pub detail: String,
    /// Reports counted.
    pub hits: i64,
    /// Samples stored.
    pub sample_count: i32,
    /// First report (UTC).
    pub first_seen: NaiveDateTime,
    /// Latest report (UTC).
    pub last_seen: NaiveDateTime,
}

/// A stored sample of a [`BrowserReportRow`].
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::BrowserSampleRow;
/// for sample in BrowserSampleRow::of_group(conn, "0f3a...", 10).await? {
///     println!("{} {}", sample.date_received, sample.body);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = crate::db::schema::security_browser_samples)]
pub struct BrowserSampleRow {
    /// Row id.
    pub id: i32,
    /// The row it is a sample of.
    pub report_id: i32,
    /// The typed body as JSON (`{"type": ..., "body": {...}}`).
    pub body: String,
    /// The page, without query.
    pub url: Option<String>,
    /// The browser that sent it.
    pub user_agent: Option<String>,
    /// The client's address.
    pub sender_ip: Option<String>,
    /// When it arrived (UTC).
    pub date_received: NaiveDateTime,
}

/// Rows per upsert statement (11 binds each: far below every backend's limit).
const ROWS_PER_STATEMENT: usize = 200;

/// The upsert adding a batch's reports per group and UTC day (every value a
/// checked hex hash, a known type, a fixed disposition, an integer or a time
/// this code formatted).
fn days_sql(backend: Backend, days: &BTreeMap<(String, NaiveDateTime), (&str, &str, i64)>) -> Result<String, DbError> {
    let mut values = Vec::with_capacity(days.len());
    for ((group, day), (report_type, disposition, hits)) in days {
        hex_literal(group, 64, "group hash")?;
        let report_type = ReportType::parse(report_type).map(ReportType::as_str);
        let disposition = ["", "report", "enforce"].into_iter().find(|d| d == disposition);
        let (Some(report_type), Some(disposition)) = (report_type, disposition) else {
            let e = diesel::result::Error::QueryBuilderError("not a browser report key".into());
            return Err(DbError::Query(e));
        };
        let day = day.format("%Y-%m-%d %H:%M:%S");
        values.push(format!("('{group}', '{day}', '{report_type}', '{disposition}', {hits})"));
    }
    let upsert = match backend {
        Backend::Mysql => " ON DUPLICATE KEY UPDATE hits = hits + VALUES(hits)",
        _ => " ON CONFLICT (group_hash, day) DO UPDATE SET hits = security_browser_days.hits + excluded.hits",
    };
    Ok(format!(
        "INSERT INTO security_browser_days (group_hash, day, report_type, disposition, hits) VALUES {}{upsert};",
        values.join(", ")
    ))
}

/// `SUM(column)` as a 64-bit integer (0 when there are no rows) on `backend`.
fn sum_hits(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Postgres => format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"),
        Backend::Mysql => format!("CAST(COALESCE(SUM({column}), 0) AS SIGNED)"),
        Backend::Sqlite => format!("COALESCE(SUM({column}), 0)"),
    }
}

/// The rows of one group (its pages), summed: what a view lists.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize)]
pub struct BrowserGroup {
    /// [`BrowserKey::group_hash`](crate::reports::BrowserKey::group_hash).
    #[diesel(sql_type = Text)]
    pub group_hash: String,
    /// The Reporting API type.
    #[diesel(sql_type = Text)]
    pub report_type: String,
    /// `report`, `enforce`, or empty.
    #[diesel(sql_type = Text)]
    pub disposition: String,
    /// What the type is grouped by first.
    #[diesel(sql_type = Text)]
    pub subject: String,
    /// And second.
    #[diesel(sql_type = Text)]
    pub detail: String,
    /// Reports, all pages.
    #[diesel(sql_type = BigInt)]
    pub hits: i64,
    /// Distinct pages.
    #[diesel(sql_type = BigInt)]
    pub pages: i64,
    /// First report (UTC).
    #[diesel(sql_type = Timestamp)]
    pub first_seen: NaiveDateTime,
    /// Latest report (UTC).
    #[diesel(sql_type = Timestamp)]
    pub last_seen: NaiveDateTime,
}

/// One day of a group's reports.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = crate::db::schema::security_browser_days)]
pub struct BrowserDay {
    /// The group.
    pub group_hash: String,
    /// The UTC day (midnight).
    pub day: NaiveDateTime,
    /// Reports that day.
    pub hits: i64,
}

/// Whether a report-only control can be enforced: what it reported lately.
///
/// ```
/// use rocket_security::reports::Readiness;
/// let r = Readiness { reports: 0, pages: 0, days: 7 };
/// assert_eq!(r.verdict(), "safe to enforce");
/// let r = Readiness { reports: 12, pages: 3, days: 7 };
/// assert_eq!(r.verdict(), "12 reports from 3 pages in the last 7 days");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Readiness {
    /// Report-only reports in the window.
    pub reports: i64,
    /// Distinct pages they came from.
    pub pages: i64,
    /// The window, in days.
    pub days: i64,
}

impl Readiness {
    /// The line the dashboard shows.
    pub fn verdict(&self) -> String {
        if self.reports == 0 {
            return "safe to enforce".into();
        }
        let plural = |n: i64, w: &str| if n == 1 { format!("{n} {w}") } else { format!("{n} {w}s") };
        format!("{} from {} in the last {} days", plural(self.reports, "report"), plural(self.pages, "page"), self.days)
    }
}

impl BrowserReportRow {
    /// Applies a batch's browser report groups on `conn` (inside the batch's
    /// transaction): hits, a sample while the row has fewer than
    /// `max_samples` (skipped for `known` rows, whose samples are complete),
    /// and the daily counts. Returns the key hashes whose samples are now complete.
    pub(crate) async fn apply(
        conn: &mut SecurityConn,
        groups: &[SpooledBrowserGroup],
        known: Option<&std::collections::HashSet<String>>,
        max_samples: i32,
    ) -> Result<Vec<String>, DbError> {
        let mut full = vec![];
        // Each group's reports on the day they arrived, summed: one upsert per
        // batch, its rows in one order for every instance (no lock cycles).
        let mut days: BTreeMap<(String, NaiveDateTime), (&str, &str, i64)> = BTreeMap::new();
        let hashes: Vec<String> = groups.iter().map(|g| g.key.hash()).collect();
        // The hits of every key, a few hundred rows a statement.
        for (chunk, chunk_hashes) in groups.chunks(ROWS_PER_STATEMENT).zip(hashes.chunks(ROWS_PER_STATEMENT)) {
            Self::add_rows(conn, chunk, chunk_hashes).await?;
        }
        for (g, hash) in groups.iter().zip(&hashes) {
            if !known.is_some_and(|k| k.contains(hash))
                && Self::add_sample(conn, hash, &g.sample, max_samples, stored(g.at)).await?
            {
                full.push(hash.clone());
            }
            let day = truncated(g.at, TimeDelta::days(1));
            let e = days.entry((g.key.group_hash(), day)).or_insert((&g.key.report_type, &g.key.disposition, 0));
            e.2 += g.hits;
        }
        if !days.is_empty() {
            let sql = days_sql(conn.backend(), &days)?;
            let sql = &sql;
            with_conn!(conn, |c| diesel_async::SimpleAsyncConnection::batch_execute(c, sql).await)?;
        }
        Ok(full)
    }

    /// Adds each group's hits to its row (created when missing) in one
    /// upsert: two instances adding to a new key at once never make a
    /// statement fail (which would abort the batch's transaction on
    /// PostgreSQL). Keys are unique within a batch, so no statement touches
    /// a row twice.
    async fn add_rows(
        conn: &mut SecurityConn,
        groups: &[SpooledBrowserGroup],
        hashes: &[String],
    ) -> Result<(), DbError> {
        if groups.is_empty() {
            return Ok(());
        }
        let backend = conn.backend();
        let mut p = placeholders(backend);
        let rows: Vec<String> =
            groups.iter().map(|_| format!("({})", (0..11).map(|_| p()).collect::<Vec<_>>().join(", "))).collect();
        let columns = "key_hash, group_hash, report_type, disposition, document_uri, subject, detail, hits, \
                       sample_count, first_seen, last_seen";
        let upsert = match backend {
            Backend::Mysql => {
                "ON DUPLICATE KEY UPDATE hits = hits + VALUES(hits), last_seen = CASE WHEN last_seen < \
                               VALUES(last_seen) THEN VALUES(last_seen) ELSE last_seen END"
            }
            _ => {
                "ON CONFLICT (key_hash) DO UPDATE SET hits = security_browser_reports.hits + excluded.hits, \
                  last_seen = CASE WHEN security_browser_reports.last_seen < excluded.last_seen THEN \
                  excluded.last_seen ELSE security_browser_reports.last_seen END"
            }
        };
        let sql = format!("INSERT INTO security_browser_reports ({columns}) VALUES {} {upsert}", rows.join(", "));
        let sql = &sql;
        let groups_of: Vec<String> = groups.iter().map(|g| g.key.group_hash()).collect();
        with_conn!(conn, |c| {
            let mut q = diesel::sql_query(sql.as_str()).into_boxed();
            for ((g, hash), group) in groups.iter().zip(hashes).zip(&groups_of) {
                let now = stored(g.at);
                q = q
                    .bind::<Text, _>(hash.as_str())
                    .bind::<Text, _>(group.as_str())
                    .bind::<Text, _>(g.key.report_type.as_str())
                    .bind::<Text, _>(g.key.disposition.as_str())
                    .bind::<Text, _>(g.key.document_uri.as_str())
                    .bind::<Text, _>(g.key.subject.as_str())
                    .bind::<Text, _>(g.key.detail.as_str())
                    .bind::<BigInt, _>(g.hits)
                    .bind::<diesel::sql_types::Integer, _>(0)
                    .bind::<Timestamp, _>(now)
                    .bind::<Timestamp, _>(now);
            }
            q.execute(c).await
        })?;
        Ok(())
    }

    /// Stores `sample` for the row of `hash` while it has fewer than
    /// `max_samples`; `true` when its samples are complete.
    async fn add_sample(
        conn: &mut SecurityConn,
        hash: &str,
        sample: &BrowserSample,
        max_samples: i32,
        now: NaiveDateTime,
    ) -> Result<bool, DbError> {
        let id: i32 = with_conn!(conn, |c| b::security_browser_reports
            .filter(b::key_hash.eq(hash))
            .select(b::id)
            .first(c)
            .await)?;
        // Claim a slot atomically, so instances racing on one key never exceed the cap.
        let claimed = with_conn!(conn, |c| {
            diesel::update(b::security_browser_reports.filter(b::id.eq(id)).filter(b::sample_count.lt(max_samples)))
                .set(b::sample_count.eq(b::sample_count + 1))
                .execute(c)
                .await
        })?;
        if claimed == 0 {
            return Ok(true);
        }
        let values = (
            s::report_id.eq(id),
            s::body.eq(&sample.body),
            s::url.eq(sample.url.as_deref()),
            s::user_agent.eq(sample.user_agent.as_deref()),
            s::sender_ip.eq(sample.sender_ip.as_deref()),
            s::date_received.eq(now),
        );
        with_conn!(conn, |c| diesel::insert_into(s::security_browser_samples).values(values).execute(c).await)?;
        Ok(false)
    }

    /// The most recently seen rows of type `t`.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{BrowserReportRow, ReportType};
    /// let crashes = BrowserReportRow::recent(conn, ReportType::Crash, 10).await?;
    /// # Ok(()) }
    /// ```
    pub async fn recent(conn: &mut SecurityConn, t: ReportType, limit: i64) -> Result<Vec<BrowserReportRow>, DbError> {
        let rows = with_conn!(conn, |c| {
            b::security_browser_reports
                .filter(b::report_type.eq(t.as_str()))
                .order((b::last_seen.desc(), b::id.desc()))
                .limit(limit)
                .select(BrowserReportRow::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }

    /// The rows (pages) of one group, most reports first.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn, hash: &str) -> Result<(), rocket_security::db::DbError> {
    /// let pages = rocket_security::reports::BrowserReportRow::of_group(conn, hash, 20).await?;
    /// # Ok(()) }
    /// ```
    pub async fn of_group(conn: &mut SecurityConn, group: &str, limit: i64) -> Result<Vec<BrowserReportRow>, DbError> {
        let rows = with_conn!(conn, |c| {
            b::security_browser_reports
                .filter(b::group_hash.eq(group))
                .order((b::hits.desc(), b::id))
                .limit(limit)
                .select(BrowserReportRow::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }

    /// Deletes the rows not seen since `before`, with their samples.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// let cutoff = chrono::Utc::now() - chrono::Duration::days(90);
    /// let deleted = rocket_security::reports::BrowserReportRow::prune(conn, cutoff).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prune(conn: &mut SecurityConn, before: DateTime<Utc>) -> Result<usize, DbError> {
        let before = stored(before);
        let ids: Vec<i32> = with_conn!(conn, |c| {
            b::security_browser_reports.filter(b::last_seen.lt(before)).select(b::id).load::<i32>(c).await
        })?;
        Self::delete_ids(conn, &ids).await
    }

    /// Keeps the `keep` most recently seen rows and deletes the rest with their samples.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// let deleted = rocket_security::reports::BrowserReportRow::cap(conn, 100_000).await?;
    /// # Ok(()) }
    /// ```
    pub async fn cap(conn: &mut SecurityConn, keep: u64) -> Result<usize, DbError> {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let edge: Option<(NaiveDateTime, i32)> = with_conn!(conn, |c| {
            b::security_browser_reports
                .order((b::last_seen.desc(), b::id.desc()))
                .select((b::last_seen, b::id))
                .limit(1)
                .offset(keep)
                .first(c)
                .await
                .optional()
        })?;
        let Some((at, id)) = edge else { return Ok(0) };
        let older = || b::last_seen.lt(at).or(b::last_seen.eq(at).and(b::id.le(id)));
        let ids: Vec<i32> =
            with_conn!(conn, |c| b::security_browser_reports.filter(older()).select(b::id).load::<i32>(c).await)?;
        Self::delete_ids(conn, &ids).await
    }

    async fn delete_ids(conn: &mut SecurityConn, ids: &[i32]) -> Result<usize, DbError> {
        let mut deleted = 0;
        for chunk in ids.chunks(500) {
            with_conn!(conn, |c| {
                diesel::delete(s::security_browser_samples.filter(s::report_id.eq_any(chunk))).execute(c).await
            })?;
            deleted += with_conn!(conn, |c| {
                diesel::delete(b::security_browser_reports.filter(b::id.eq_any(chunk))).execute(c).await
            })?;
        }
        Ok(deleted)
    }

    /// Deletes the daily counts of days before the one holding `before`.
    pub(crate) async fn prune_days(conn: &mut SecurityConn, before: DateTime<Utc>) -> Result<usize, DbError> {
        let before = truncated(before, TimeDelta::days(1));
        let n =
            with_conn!(conn, |c| diesel::delete(d::security_browser_days.filter(d::day.lt(before))).execute(c).await)?;
        Ok(n)
    }
}

impl BrowserSampleRow {
    /// The newest samples of a group's rows.
    pub async fn of_group(conn: &mut SecurityConn, group: &str, limit: i64) -> Result<Vec<BrowserSampleRow>, DbError> {
        let rows = with_conn!(conn, |c| {
            s::security_browser_samples
                .inner_join(b::security_browser_reports)
                .filter(b::group_hash.eq(group))
                .order((s::date_received.desc(), s::id.desc()))
                .limit(limit)
                .select(BrowserSampleRow::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }
}

impl BrowserGroup {
    /// The groups of type `t` (all dispositions), most reports first, `limit` from `offset`.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{BrowserGroup, ReportType};
    /// for g in BrowserGroup::page(conn, ReportType::Coep, 50, 0).await? {
    ///     println!("{} ({}) on {} pages: {} reports", g.subject, g.detail, g.pages, g.hits);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn page(
        conn: &mut SecurityConn,
        t: ReportType,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<BrowserGroup>, DbError> {
        let mut p = placeholders(conn.backend());
        let sql = format!(
            "SELECT group_hash, report_type, disposition, subject, detail, {} AS hits, COUNT(DISTINCT document_uri) AS \
             pages, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen FROM security_browser_reports WHERE \
             report_type = {} GROUP BY group_hash, report_type, disposition, subject, detail ORDER BY hits DESC, \
             group_hash LIMIT {} OFFSET {}",
            sum_hits(conn.backend(), "hits"),
            p(),
            limit.max(0),
            offset.max(0)
        );
        let sql = &sql;
        let rows = with_conn!(conn, |c| {
            diesel::sql_query(sql.as_str()).bind::<Text, _>(t.as_str()).load::<BrowserGroup>(c).await
        })?;
        Ok(rows)
    }

    /// The per-day reports of the groups `hashes` from `from` on (oldest first).
    pub async fn days(
        conn: &mut SecurityConn,
        hashes: &[String],
        from: DateTime<Utc>,
    ) -> Result<Vec<BrowserDay>, DbError> {
        if hashes.is_empty() {
            return Ok(vec![]);
        }
        let from = truncated(from, TimeDelta::days(1));
        let rows = with_conn!(conn, |c| {
            d::security_browser_days
                .filter(d::group_hash.eq_any(hashes))
                .filter(d::day.ge(from))
                .order((d::group_hash, d::day))
                .select(BrowserDay::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }
}

impl Readiness {
    /// The report-only reports of type `t` in the `days` days up to `now`, and their distinct pages.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{Readiness, ReportType};
    /// let r = Readiness::of(conn, ReportType::Coep, chrono::Utc::now(), 7).await?;
    /// println!("COEP: {}", r.verdict());
    /// # Ok(()) }
    /// ```
    pub async fn of(
        conn: &mut SecurityConn,
        t: ReportType,
        now: DateTime<Utc>,
        days: i64,
    ) -> Result<Readiness, DbError> {
        let days = days.max(1);
        let from_day = truncated(now - TimeDelta::days(days - 1), TimeDelta::days(1));
        let from = stored(now - TimeDelta::days(days));
        let backend = conn.backend();
        let mut p = placeholders(backend);
        let sql = format!(
            "SELECT (SELECT {} FROM security_browser_days WHERE report_type = {} AND disposition = 'report' AND day >= \
             {}) AS reports, (SELECT COUNT(DISTINCT document_uri) FROM security_browser_reports WHERE report_type = {} \
             AND disposition = 'report' AND last_seen >= {}) AS pages",
            sum_hits(backend, "hits"),
            p(),
            p(),
            p(),
            p()
        );
        let sql = &sql;
        #[derive(QueryableByName)]
        struct Counts {
            #[diesel(sql_type = BigInt)]
            reports: i64,
            #[diesel(sql_type = BigInt)]
            pages: i64,
        }
        let c: Counts = with_conn!(conn, |c| {
            diesel::sql_query(sql.as_str())
                .bind::<Text, _>(t.as_str())
                .bind::<Timestamp, _>(from_day)
                .bind::<Text, _>(t.as_str())
                .bind::<Timestamp, _>(from)
                .get_result::<Counts>(c)
                .await
        })?;
        Ok(Readiness { reports: c.reports, pages: c.pages, days })
    }
}

/// A [`BrowserGroup`] with its triage (see [`BrowserTriage`]).
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::{BrowserGroup, ReportType, TriageView};
/// for g in BrowserGroup::triaged(conn, ReportType::Crash, TriageView::Open, 50, 0).await? {
///     println!("{}: {} reports ({})", g.group.subject, g.group.hits, g.status());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize)]
pub struct TriagedBrowserGroup {
    /// The group.
    #[diesel(embed)]
    #[serde(flatten)]
    pub group: BrowserGroup,
    /// `expected` or `fixed`; `None`: never triaged, or reopened by hand.
    #[diesel(sql_type = Nullable<Text>)]
    pub triage: Option<String>,
    /// Who decided.
    #[diesel(sql_type = Nullable<Text>)]
    pub triaged_by: Option<String>,
    /// When (UTC).
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub triaged_at: Option<NaiveDateTime>,
}

impl TriagedBrowserGroup {
    /// `open`, `expected`, `fixed`, or `reopened` (marked fixed, and reported again after that).
    ///
    /// ```
    /// use rocket_security::reports::{BrowserGroup, TriagedBrowserGroup};
    /// let t = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    /// let group = BrowserGroup { group_hash: "0".repeat(64), report_type: "crash".into(), disposition: "".into(),
    ///     subject: "oom".into(), detail: "".into(), hits: 2, pages: 1, first_seen: t, last_seen: t };
    /// let mut g = TriagedBrowserGroup { group, triage: Some("fixed".into()), triaged_by: Some("alice".into()),
    ///     triaged_at: Some(t) };
    /// assert_eq!(g.status(), "fixed");
    /// g.group.last_seen = t + chrono::Duration::seconds(1);
    /// assert_eq!(g.status(), "reopened");
    /// ```
    pub fn status(&self) -> &'static str {
        status_of(self.triage.as_deref(), self.triaged_at, self.group.last_seen)
    }
}

/// Groups, reports and pages of one report type: the per-type index's line.
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// for t in rocket_security::reports::BrowserTotals::all(conn).await? {
///     println!("{}: {} groups, {} reports on {} pages", t.report_type, t.groups, t.hits, t.pages);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize)]
pub struct BrowserTotals {
    /// The Reporting API type.
    #[diesel(sql_type = Text)]
    pub report_type: String,
    /// Groups.
    #[diesel(sql_type = BigInt, column_name = n_groups)]
    pub groups: i64,
    /// Reports.
    #[diesel(sql_type = BigInt)]
    pub hits: i64,
    /// Distinct pages.
    #[diesel(sql_type = BigInt)]
    pub pages: i64,
    /// Latest report (UTC).
    #[diesel(sql_type = Timestamp)]
    pub last_seen: NaiveDateTime,
}

impl BrowserTotals {
    /// The totals of every type that has stored reports, by type name.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::BrowserTotals;
    /// let crashes = BrowserTotals::all(conn).await?.into_iter().find(|t| t.report_type == "crash");
    /// println!("{} crash reports", crashes.map_or(0, |t| t.hits));
    /// # Ok(()) }
    /// ```
    pub async fn all(conn: &mut SecurityConn) -> Result<Vec<BrowserTotals>, DbError> {
        let sql = format!(
            // `groups` is a reserved word on MySQL 8.
            "SELECT report_type, COUNT(DISTINCT group_hash) AS n_groups, {} AS hits, COUNT(DISTINCT document_uri) AS \
             pages, MAX(last_seen) AS last_seen FROM security_browser_reports GROUP BY report_type ORDER BY report_type",
            sum_hits(conn.backend(), "hits")
        );
        let sql = &sql;
        Ok(with_conn!(conn, |c| diesel::sql_query(sql.as_str()).load::<BrowserTotals>(c).await)?)
    }
}

/// The groups of type `t` (placeholder 1), and of one group (placeholder 2) with `one`.
fn grouped(backend: Backend, one: bool) -> String {
    let mut p = placeholders(backend);
    let t = p();
    let hash = if one { format!(" AND group_hash = {}", p()) } else { String::new() };
    format!(
        "SELECT group_hash, report_type, disposition, subject, detail, {} AS hits, COUNT(DISTINCT document_uri) AS \
         pages, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen FROM security_browser_reports WHERE \
         report_type = {t}{hash} GROUP BY group_hash, report_type, disposition, subject, detail",
        sum_hits(backend, "hits")
    )
}

/// The triage `t` of each grouped row `g` (group hashes are hex: any collation compares them alike).
const TRIAGE_JOIN: &str = "LEFT JOIN security_browser_triage t ON t.group_hash = g.group_hash";

impl BrowserGroup {
    /// The groups of type `t` that `view` shows, each with its triage, most
    /// reports first, `limit` from `offset` (a page).
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{BrowserGroup, ReportType, TriageView};
    /// let fixed = BrowserGroup::triaged(conn, ReportType::Coep, TriageView::Fixed, 50, 0).await?;
    /// # Ok(()) }
    /// ```
    pub async fn triaged(
        conn: &mut SecurityConn,
        t: ReportType,
        view: TriageView,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<TriagedBrowserGroup>, DbError> {
        // Integers and constants only are written into the statement.
        let sql = format!(
            "SELECT g.group_hash, g.report_type, g.disposition, g.subject, g.detail, g.hits, g.pages, g.first_seen, \
             g.last_seen, t.state AS triage, t.changed_by AS triaged_by, t.changed_at AS triaged_at FROM ({}) g \
             {TRIAGE_JOIN} WHERE {} ORDER BY g.hits DESC, g.group_hash LIMIT {} OFFSET {}",
            grouped(conn.backend(), false),
            view.condition(),
            limit.max(0),
            offset.max(0)
        );
        let sql = &sql;
        Ok(with_conn!(conn, |c| {
            diesel::sql_query(sql.as_str()).bind::<Text, _>(t.as_str()).load::<TriagedBrowserGroup>(c).await
        })?)
    }

    /// The group `hash` of type `t` with its triage, if it has stored reports.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn, hash: &str) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{BrowserGroup, ReportType};
    /// if let Some(g) = BrowserGroup::find(conn, ReportType::Coep, hash).await? {
    ///     println!("{} on {} pages", g.group.subject, g.group.pages);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn find(
        conn: &mut SecurityConn,
        t: ReportType,
        hash: &str,
    ) -> Result<Option<TriagedBrowserGroup>, DbError> {
        let sql = format!(
            "SELECT g.group_hash, g.report_type, g.disposition, g.subject, g.detail, g.hits, g.pages, g.first_seen, \
             g.last_seen, t.state AS triage, t.changed_by AS triaged_by, t.changed_at AS triaged_at FROM ({}) g \
             {TRIAGE_JOIN}",
            grouped(conn.backend(), true)
        );
        let sql = &sql;
        let rows = with_conn!(conn, |c| {
            diesel::sql_query(sql.as_str())
                .bind::<Text, _>(t.as_str())
                .bind::<Text, _>(hash)
                .load::<TriagedBrowserGroup>(c)
                .await
        })?;
        Ok(rows.into_iter().next())
    }

    /// How many groups of type `t` are marked expected, and their reports:
    /// what the default view hides.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{BrowserGroup, ReportType};
    /// let hidden = BrowserGroup::expected(conn, ReportType::Deprecation).await?;
    /// println!("{} groups ({} reports) marked expected", hidden.groups, hidden.hits);
    /// # Ok(()) }
    /// ```
    pub async fn expected(conn: &mut SecurityConn, t: ReportType) -> Result<Hidden, DbError> {
        let backend = conn.backend();
        let sql = format!(
            "SELECT COUNT(*) AS n_groups, {} AS hits FROM ({}) g {TRIAGE_JOIN} WHERE {}",
            sum_hits(backend, "g.hits"),
            grouped(backend, false),
            TriageView::Expected.condition()
        );
        let sql = &sql;
        let rows =
            with_conn!(conn, |c| diesel::sql_query(sql.as_str()).bind::<Text, _>(t.as_str()).load::<Hidden>(c).await)?;
        Ok(rows.into_iter().next().unwrap_or_default())
    }
}

/// The triage of browser report groups, one row per triaged group, shared by every instance.
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn, hash: &str) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::{BrowserTriage, ReportType, TriageState};
/// BrowserTriage::set(conn, ReportType::Deprecation, hash, TriageState::Expected, "alice", chrono::Utc::now()).await?;
/// # Ok(()) }
/// ```
pub struct BrowserTriage;

impl BrowserTriage {
    /// Sets the triage of group `hash` (of type `t`) to `state`, recorded as
    /// done by `by` at `now`; [`TriageState::Open`] deletes the row. A group
    /// marked fixed is open again once a report arrives after `now`.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn, hash: &str) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{BrowserTriage, ReportType, TriageState};
    /// BrowserTriage::set(conn, ReportType::Coep, hash, TriageState::Fixed, "bob", chrono::Utc::now()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set(
        conn: &mut SecurityConn,
        t: ReportType,
        hash: &str,
        state: TriageState,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let by: String = by.chars().take(crate::core::principal::MAX).collect();
        let at = stored(now);
        let name = state.as_str();
        if state == TriageState::Open {
            with_conn!(conn, |c| diesel::delete(tr::security_browser_triage.filter(tr::group_hash.eq(hash)))
                .execute(c)
                .await)?;
            return Ok(());
        }
        update_or_insert!(
            conn,
            update: |c| diesel::update(tr::security_browser_triage.filter(tr::group_hash.eq(hash)))
                .set((tr::report_type.eq(t.as_str()), tr::state.eq(name), tr::changed_by.eq(&by), tr::changed_at.eq(at)))
                .execute(c)
                .await,
            insert: |c| diesel::insert_into(tr::security_browser_triage)
                .values((
                    tr::group_hash.eq(hash),
                    tr::report_type.eq(t.as_str()),
                    tr::state.eq(name),
                    tr::changed_by.eq(&by),
                    tr::changed_at.eq(at),
                ))
                .execute(c)
                .await,
        )
    }
}
