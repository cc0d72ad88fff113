//! Violations grouped by directive, blocked host (or kind) and disposition:
//! what a site owner decides on, one line per "what the policy blocks where".

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use diesel::{ExpressionMethods, QueryDsl, Queryable, QueryableByName, Selectable, SelectableHelper};
use diesel_async::RunQueryDsl;

use crate::db::models::{placeholders, update_or_insert};
use crate::db::pool::{with_conn, Backend, DbError, SecurityConn};
use crate::reports::report::group_hash;

/// One group of stored violations (see [`ViolationGroup::page`]).
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::{GroupFilter, ViolationGroup};
/// for g in ViolationGroup::page(conn, &GroupFilter::default(), 20, 0).await? {
///     println!("{} {} {}: {} reports, {} violations", g.disposition, g.directive, g.blocked, g.hits, g.violations);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize)]
pub struct ViolationGroup {
    /// The effective directive, e.g. `script-src-elem`.
    #[diesel(sql_type = Text)]
    pub directive: String,
    /// What was blocked: a host, or a kind (`inline`, `eval`, `data:` ...).
    #[diesel(sql_type = Text)]
    pub blocked: String,
    /// `enforce` or `report`.
    #[diesel(sql_type = Text)]
    pub disposition: String,
    /// Reports in the group.
    #[diesel(sql_type = BigInt)]
    pub hits: i64,
    /// Distinct violations (pages, source lines) in the group.
    #[diesel(sql_type = BigInt)]
    pub violations: i64,
    /// The earliest first report (UTC).
    #[diesel(sql_type = Timestamp)]
    pub first_seen: NaiveDateTime,
    /// The latest report (UTC).
    #[diesel(sql_type = Timestamp)]
    pub last_seen: NaiveDateTime,
    /// The group's triage (`expected` or `fixed`); `None`: never triaged, or reopened by hand.
    #[diesel(sql_type = Nullable<Text>)]
    pub triage: Option<String>,
    /// Who set [`triage`](Self::triage): the user id `LoginRequired` saw, else the client's address.
    #[diesel(sql_type = Nullable<Text>)]
    pub triaged_by: Option<String>,
    /// When [`triage`](Self::triage) was set (UTC).
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub triaged_at: Option<NaiveDateTime>,
}

impl ViolationGroup {
    /// The group's state: `open`, `expected`, `fixed`, or `reopened` (marked
    /// fixed, and reported again after that).
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// # let t = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    /// let mut g = rocket_security::reports::ViolationGroup {
    ///     directive: "img-src".into(), blocked: "cdn.example".into(), disposition: "enforce".into(),
    ///     hits: 3, violations: 1, first_seen: t, last_seen: t,
    ///     triage: Some("fixed".into()), triaged_by: Some("alice".into()), triaged_at: Some(t),
    /// };
    /// assert_eq!(g.status(), "fixed");
    /// g.last_seen = t + chrono::Duration::seconds(1);
    /// assert_eq!(g.status(), "reopened");
    /// ```
    pub fn status(&self) -> &'static str {
        status_of(self.triage.as_deref(), self.triaged_at, self.last_seen)
    }

    /// The group's hash (see [`ViolationKey::group_hash`](crate::reports::ViolationKey::group_hash)).
    ///
    /// ```
    /// use rocket_security::reports::{ViolationGroup, ViolationKey};
    /// let t = chrono::Utc::now().naive_utc();
    /// let g = ViolationGroup { directive: "img-src".into(), blocked: "cdn.example".into(),
    ///     disposition: "enforce".into(), hits: 3, violations: 1, first_seen: t, last_seen: t,
    ///     triage: None, triaged_by: None, triaged_at: None };
    /// let key = ViolationKey { effective_directive: "img-src".into(), blocked: "cdn.example".into(),
    ///     disposition: "enforce".into(), ..Default::default() };
    /// assert_eq!(g.hash(), key.group_hash());
    /// ```
    pub fn hash(&self) -> String {
        group_hash(&self.directive, &self.blocked, &self.disposition)
    }
}

/// A group's state from its triage (`triage` set at `at`) and its latest
/// report: `open`, `expected`, `fixed`, or `reopened` (marked fixed, and
/// reported again after that). CSP and browser report groups alike.
pub(crate) fn status_of(triage: Option<&str>, at: Option<NaiveDateTime>, last_seen: NaiveDateTime) -> &'static str {
    match (triage, at) {
        (Some("expected"), _) => "expected",
        (Some("fixed"), Some(at)) if last_seen > at => "reopened",
        (Some("fixed"), _) => "fixed",
        _ => "open",
    }
}

/// Which triaged groups a [`GroupFilter`] keeps.
///
/// ```
/// use rocket_security::reports::TriageView;
/// let view = TriageView::parse("expected").unwrap_or_default();
/// let title = match view {
///     TriageView::Open => "To triage",
///     TriageView::Expected => "Expected",
///     TriageView::Fixed => "Fixed",
///     TriageView::All => "Everything",
/// };
/// assert_eq!(title, "Expected");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TriageView {
    /// Groups never triaged, and fixed groups reported again since (the default).
    #[default]
    Open,
    /// Groups marked expected (hidden by default, still counted).
    Expected,
    /// Groups marked fixed and not reported since.
    Fixed,
    /// Every group.
    All,
}

impl TriageView {
    /// `open`, `expected`, `fixed` or `all`.
    ///
    /// ```
    /// use rocket_security::reports::TriageView;
    /// assert_eq!(TriageView::parse("expected"), Some(TriageView::Expected));
    /// assert_eq!(TriageView::parse("closed"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => TriageView::Open,
            "expected" => TriageView::Expected,
            "fixed" => TriageView::Fixed,
            "all" => TriageView::All,
            _ => return None,
        })
    }

    /// The name [`parse`](Self::parse) reads.
    ///
    /// ```
    /// assert_eq!(rocket_security::reports::TriageView::All.as_str(), "all");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TriageView::Open => "open",
            TriageView::Expected => "expected",
            TriageView::Fixed => "fixed",
            TriageView::All => "all",
        }
    }

    /// The condition on the grouped rows `g` and their triage `t`.
    pub(crate) fn condition(self) -> &'static str {
        match self {
            TriageView::Open => "(t.state IS NULL OR (t.state = 'fixed' AND g.last_seen > t.changed_at))",
            TriageView::Expected => "t.state = 'expected'",
            TriageView::Fixed => "(t.state = 'fixed' AND g.last_seen <= t.changed_at)",
            TriageView::All => "1 = 1",
        }
    }
}

/// Which groups [`ViolationGroup::page`] returns.
///
/// ```
/// use rocket_security::reports::{GroupFilter, TriageView};
/// let filter = GroupFilter { disposition: Some("report".into()), triage: TriageView::All, ..Default::default() };
/// assert_eq!(filter.directive, None);
/// assert_eq!(GroupFilter::default().triage, TriageView::Open);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFilter {
    /// Only this effective directive.
    pub directive: Option<String>,
    /// Only blocked values containing this text.
    pub blocked: Option<String>,
    /// Only `enforce` or only `report`.
    pub disposition: Option<String>,
    /// Seen at or after this time.
    pub from: Option<NaiveDateTime>,
    /// Seen at or before this time.
    pub to: Option<NaiveDateTime>,
    /// Which triaged groups to keep (default: the open ones).
    pub triage: TriageView,
}

/// `LIKE` text with `!` as the escape character (the same on every backend).
fn like(s: &str) -> String {
    format!("%{}%", s.replace('!', "!!").replace('%', "!%").replace('_', "!_"))
}

/// The grouping of the violations matching `filter` (directive, blocked,
/// disposition, hits, violations, first and last seen; no order), with the
/// texts and times to bind in that order.
fn grouped(
    backend: Backend,
    filter: &GroupFilter,
    p: &mut impl FnMut() -> String,
) -> (String, Vec<String>, Vec<NaiveDateTime>) {
    let sum = match backend {
        Backend::Postgres => "CAST(SUM(hits) AS BIGINT)",
        Backend::Mysql => "CAST(SUM(hits) AS SIGNED)",
        Backend::Sqlite => "SUM(hits)",
    };
    let mut sql = format!(
        "SELECT effective_directive AS directive, blocked, disposition, {sum} AS hits, COUNT(*) AS violations, \
         MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen FROM security_csp_violations WHERE 1 = 1"
    );
    let mut texts: Vec<String> = vec![];
    if let Some(d) = &filter.directive {
        sql.push_str(&format!(" AND effective_directive = {}", p()));
        texts.push(d.clone());
    }
    if let Some(b) = &filter.blocked {
        sql.push_str(&format!(" AND blocked LIKE {} ESCAPE '!'", p()));
        texts.push(like(b));
    }
    if let Some(d) = &filter.disposition {
        sql.push_str(&format!(" AND disposition = {}", p()));
        texts.push(d.clone());
    }
    let mut times: Vec<NaiveDateTime> = vec![];
    if let Some(t) = filter.from {
        sql.push_str(&format!(" AND last_seen >= {}", p()));
        times.push(t);
    }
    if let Some(t) = filter.to {
        sql.push_str(&format!(" AND first_seen <= {}", p()));
        times.push(t);
    }
    sql.push_str(" GROUP BY effective_directive, blocked, disposition");
    (sql, texts, times)
}

/// Joins the triage of each grouped row, comparing the texts byte for byte
/// (MySQL's default collation ignores case and accents; the triage columns
/// are `utf8mb4_bin` there).
fn triage_join(backend: Backend) -> &'static str {
    match backend {
        Backend::Mysql => {
            "LEFT JOIN security_csp_triage t ON t.directive = g.directive COLLATE utf8mb4_bin \
             AND t.blocked = g.blocked COLLATE utf8mb4_bin AND t.disposition = g.disposition COLLATE utf8mb4_bin"
        }
        _ => {
            "LEFT JOIN security_csp_triage t ON t.directive = g.directive AND t.blocked = g.blocked \
             AND t.disposition = g.disposition"
        }
    }
}

/// Runs `sql` with `texts` then `times` bound, loading `T`.
macro_rules! load_bound {
    ($conn:expr, $sql:expr, $texts:expr, $times:expr, $t:ty) => {{
        let (sql, texts, times) = (&$sql, &$texts, &$times);
        with_conn!($conn, |c| {
            let mut q = diesel::sql_query(sql.as_str()).into_boxed();
            for t in texts {
                q = q.bind::<Text, _>(t.clone());
            }
            for t in times {
                q = q.bind::<Timestamp, _>(*t);
            }
            q.load::<$t>(c).await
        })
    }};
}

/// How many groups (and reports) the triage view `expected` holds.
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::{GroupFilter, Hidden, ViolationGroup};
/// let Hidden { groups, hits } = ViolationGroup::expected(conn, &GroupFilter::default()).await?;
/// if groups > 0 {
///     println!("{groups} expected group(s) hidden ({hits} reports)");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, QueryableByName, serde::Serialize)]
pub struct Hidden {
    /// Groups marked expected.
    #[diesel(sql_type = BigInt, column_name = n_groups)]
    pub groups: i64,
    /// Their reports.
    #[diesel(sql_type = BigInt)]
    pub hits: i64,
}

impl ViolationGroup {
    /// The groups matching `filter`, most reports first, `limit` from
    /// `offset` (a page), each with its triage. One `GROUP BY` query; an
    /// index on `(effective_directive, blocked)` is not needed for 100,000 rows.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{GroupFilter, ViolationGroup};
    /// let scripts = GroupFilter { directive: Some("script-src-elem".into()), ..Default::default() };
    /// for g in ViolationGroup::page(conn, &scripts, 50, 0).await? {
    ///     println!("{} blocked {}: {} reports ({})", g.directive, g.blocked, g.hits, g.status());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn page(
        conn: &mut SecurityConn,
        filter: &GroupFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<ViolationGroup>, DbError> {
        let backend = conn.backend();
        let (inner, texts, times) = grouped(backend, filter, &mut placeholders(backend));
        // Integers and constants only are written into the statement.
        let sql = format!(
            "SELECT g.directive, g.blocked, g.disposition, g.hits, g.violations, g.first_seen, g.last_seen, \
             t.state AS triage, t.changed_by AS triaged_by, t.changed_at AS triaged_at FROM ({inner}) g \
             {} WHERE {} ORDER BY g.hits DESC, g.directive, g.blocked, g.disposition \
             LIMIT {} OFFSET {offset}",
            triage_join(backend),
            filter.triage.condition(),
            limit.max(1)
        );
        Ok(load_bound!(conn, sql, texts, times, ViolationGroup)?)
    }

    /// How many groups matching `filter` (its `triage` aside) are marked
    /// expected, and their reports: what the default view hides.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{GroupFilter, ViolationGroup};
    /// let hidden = ViolationGroup::expected(conn, &GroupFilter::default()).await?;
    /// println!("{} groups ({} reports) marked expected", hidden.groups, hidden.hits);
    /// # Ok(()) }
    /// ```
    pub async fn expected(conn: &mut SecurityConn, filter: &GroupFilter) -> Result<Hidden, DbError> {
        let backend = conn.backend();
        let (inner, texts, times) = grouped(backend, filter, &mut placeholders(backend));
        let sum = match backend {
            Backend::Postgres => "CAST(COALESCE(SUM(g.hits), 0) AS BIGINT)",
            Backend::Mysql => "CAST(COALESCE(SUM(g.hits), 0) AS SIGNED)",
            Backend::Sqlite => "COALESCE(SUM(g.hits), 0)",
        };
        let sql = format!(
            // `groups` is a reserved word on MySQL 8.
            "SELECT COUNT(*) AS n_groups, {sum} AS hits FROM ({inner}) g {} WHERE {}",
            triage_join(backend),
            TriageView::Expected.condition()
        );
        let rows = load_bound!(conn, sql, texts, times, Hidden)?;
        Ok(rows.into_iter().next().unwrap_or_default())
    }
}

/// What an admin decided about a group (see [`Triage::set`]).
///
/// ```
/// use rocket_security::reports::TriageState;
/// let state = TriageState::parse("fixed").unwrap_or(TriageState::Open);
/// let label = match state {
///     TriageState::Open => "shown",
///     TriageState::Expected => "hidden, still counted",
///     TriageState::Fixed => "hidden until reported again",
/// };
/// assert_eq!(label, "hidden until reported again");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TriageState {
    /// Not decided, or reopened: shown by default.
    Open,
    /// The policy is right to block it (an ad, a tracker, an extension):
    /// hidden by default, still counted, never proposed by the wizard.
    Expected,
    /// The page was fixed: hidden until it is reported again.
    Fixed,
}

impl TriageState {
    /// `open`, `expected` or `fixed`.
    ///
    /// ```
    /// use rocket_security::reports::TriageState;
    /// assert_eq!(TriageState::parse("fixed"), Some(TriageState::Fixed));
    /// assert_eq!(TriageState::parse("all"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => TriageState::Open,
            "expected" => TriageState::Expected,
            "fixed" => TriageState::Fixed,
            _ => return None,
        })
    }

    /// The name [`parse`](Self::parse) reads.
    ///
    /// ```
    /// assert_eq!(rocket_security::reports::TriageState::Expected.as_str(), "expected");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TriageState::Open => "open",
            TriageState::Expected => "expected",
            TriageState::Fixed => "fixed",
        }
    }
}

/// The triage of violation groups, one row per triaged group, shared by every instance.
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::{Triage, TriageState};
/// // Reopen a group marked fixed or expected (its triage row is deleted).
/// Triage::set(conn, "script-src-elem", "inline", "report", TriageState::Open, "bob", chrono::Utc::now()).await?;
/// # Ok(()) }
/// ```
pub struct Triage;

impl Triage {
    /// Sets the triage of the group (`directive`, `blocked`, `disposition`)
    /// to `state`, recorded as done by `by` at `now`; [`TriageState::Open`]
    /// deletes the row. The decision goes to the log (see [`Triage::log`]) in
    /// the same transaction.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{Triage, TriageState};
    /// Triage::set(conn, "img-src", "ads.example", "enforce", TriageState::Expected, "alice", chrono::Utc::now()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set(
        conn: &mut SecurityConn,
        directive: &str,
        blocked: &str,
        disposition: &str,
        state: TriageState,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let hash = group_hash(directive, blocked, disposition);
        let by: String = by.chars().take(crate::core::principal::MAX).collect();
        let at = crate::db::models::stored(now);
        // One transaction: the decision and its log entry take effect
        // together or not at all.
        let group = [directive, blocked, disposition];
        let decide = async |conn: &mut SecurityConn| Self::apply(conn, &hash, group, state, &by, at).await;
        crate::db::models::in_transaction(conn, decide, |_| true).await?;
        // Bounded, best effort: what is left now goes with the next decision.
        if let Err(e) = Self::prune_log(conn, at).await {
            tracing::warn!(target: "security", "CSP triage log: pruning failed ({e}); retried with the next decision");
        }
        Ok(())
    }

    /// The state change, then its log entry: the change takes the group's
    /// row lock first, so concurrent decisions on a group are logged (ids
    /// ascending) in the order they took effect.
    async fn apply(
        conn: &mut SecurityConn,
        hash: &str,
        [directive, blocked, disposition]: [&str; 3],
        state: TriageState,
        by: &str,
        at: NaiveDateTime,
    ) -> Result<(), DbError> {
        use crate::db::schema::security_csp_triage::dsl as t;
        use crate::db::schema::security_csp_triage_log::dsl as l;
        let name = state.as_str();
        if state == TriageState::Open {
            with_conn!(conn, |c| diesel::delete(t::security_csp_triage.filter(t::group_hash.eq(hash)))
                .execute(c)
                .await)?;
        } else {
            update_or_insert!(
                conn,
                update: |c| diesel::update(t::security_csp_triage.filter(t::group_hash.eq(hash)))
                    .set((t::state.eq(name), t::changed_by.eq(by), t::changed_at.eq(at)))
                    .execute(c)
                    .await,
                insert: |c| diesel::insert_into(t::security_csp_triage)
                    .values((
                        t::group_hash.eq(hash),
                        t::directive.eq(directive),
                        t::blocked.eq(blocked),
                        t::disposition.eq(disposition),
                        t::state.eq(name),
                        t::changed_by.eq(by),
                        t::changed_at.eq(at),
                    ))
                    .execute(c)
                    .await,
            )?;
        }
        with_conn!(conn, |c| diesel::insert_into(l::security_csp_triage_log)
            .values((
                l::group_hash.eq(hash),
                l::directive.eq(directive),
                l::blocked.eq(blocked),
                l::disposition.eq(disposition),
                l::state.eq(name),
                l::changed_by.eq(by),
                l::changed_at.eq(at),
            ))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Drops log entries older than [`TRIAGE_LOG_DAYS`] before `at`, and all
    /// but the newest [`TRIAGE_LOG_MAX`].
    async fn prune_log(conn: &mut SecurityConn, at: NaiveDateTime) -> Result<(), DbError> {
        use crate::db::schema::security_csp_triage_log::dsl as l;
        use diesel::OptionalExtension;
        let horizon = at - TimeDelta::days(TRIAGE_LOG_DAYS);
        with_conn!(conn, |c| diesel::delete(l::security_csp_triage_log.filter(l::changed_at.lt(horizon)))
            .execute(c)
            .await)?;
        // Two statements: MySQL cannot delete from a table its subquery reads.
        let oldest_kept: Option<i64> = with_conn!(conn, |c| l::security_csp_triage_log
            .select(l::id)
            .order(l::id.desc())
            .offset(TRIAGE_LOG_MAX - 1)
            .first::<i64>(c)
            .await
            .optional())?;
        if let Some(id) = oldest_kept {
            with_conn!(conn, |c| diesel::delete(l::security_csp_triage_log.filter(l::id.lt(id))).execute(c).await)?;
        }
        Ok(())
    }
}

/// How long triage decisions stay in the log (see [`Triage::log`]).
///
/// ```
/// assert_eq!(rocket_security::reports::TRIAGE_LOG_DAYS, 365);
/// ```
pub const TRIAGE_LOG_DAYS: i64 = 365;

/// How many triage decisions the log keeps at most, newest first (see [`Triage::log`]).
///
/// ```
/// assert_eq!(rocket_security::reports::TRIAGE_LOG_MAX, 10_000);
/// ```
pub const TRIAGE_LOG_MAX: i64 = 10_000;

/// One triage decision, as [`Triage::log`] returns it.
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// for e in rocket_security::reports::Triage::log(conn, 20).await? {
///     println!("{} {} marked {} {} as {}", e.changed_at, e.changed_by, e.directive, e.blocked, e.state);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = crate::db::schema::security_csp_triage_log)]
pub struct TriageEvent {
    /// The group's directive.
    pub directive: String,
    /// The group's blocked source (a host or a kind).
    pub blocked: String,
    /// The group's disposition (`enforce` or `report`).
    pub disposition: String,
    /// `expected`, `fixed`, or `open` (reopened by hand).
    pub state: String,
    /// Who decided: the user id `LoginRequired` saw, else `unidentified (address)`.
    pub changed_by: String,
    /// When (UTC).
    pub changed_at: NaiveDateTime,
}

impl Triage {
    /// The `limit` newest triage decisions of every group, newest first (in
    /// the order they took effect), as every instance recorded them (kept
    /// [`TRIAGE_LOG_DAYS`] days, at most [`TRIAGE_LOG_MAX`]).
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// let last = rocket_security::reports::Triage::log(conn, 1).await?;
    /// if let Some(e) = last.first() {
    ///     println!("last decision: {} by {}", e.state, e.changed_by);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn log(conn: &mut SecurityConn, limit: i64) -> Result<Vec<TriageEvent>, DbError> {
        use crate::db::schema::security_csp_triage_log::dsl as l;
        Ok(with_conn!(conn, |c| l::security_csp_triage_log
            .order(l::id.desc())
            .limit(limit.max(0))
            .select(TriageEvent::as_select())
            .load(c)
            .await)?)
    }
}

/// Reports of one group on one UTC day (see [`ViolationGroup::days`]).
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::{GroupFilter, ViolationGroup};
/// let groups = ViolationGroup::page(conn, &GroupFilter::default(), 10, 0).await?;
/// let hashes: Vec<String> = groups.iter().map(ViolationGroup::hash).collect();
/// for d in ViolationGroup::days(conn, &hashes, chrono::Utc::now() - chrono::Duration::days(7)).await? {
///     println!("{} {}: {} reports", d.group_hash, d.day.date(), d.hits);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = crate::db::schema::security_csp_group_days)]
pub struct GroupDay {
    /// [`ViolationGroup::hash`].
    pub group_hash: String,
    /// The start of the day (UTC).
    pub day: NaiveDateTime,
    /// Reports that arrived that day.
    pub hits: i64,
}

/// The start of the UTC day holding `at`.
fn day_of(at: DateTime<Utc>) -> NaiveDateTime {
    crate::db::models::truncated(at, TimeDelta::days(1))
}

impl ViolationGroup {
    /// Adds (group hash, arrival, reports) to the per-day counts: the
    /// upsert the collector's batches run, on its own.
    pub(crate) async fn add_days(
        conn: &mut SecurityConn,
        arrivals: &[(String, DateTime<Utc>, i64)],
    ) -> Result<(), DbError> {
        let sql = super::counts::counts_sql(conn.backend(), &[], &BTreeMap::new(), &super::counts::per_day(arrivals))?;
        let sql = &sql;
        with_conn!(conn, |c| diesel_async::SimpleAsyncConnection::batch_execute(c, sql).await)?;
        Ok(())
    }

    /// The per-day reports of the groups `hashes` from `from` on (oldest
    /// first): their sparklines.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{GroupFilter, ViolationGroup};
    /// let groups = ViolationGroup::page(conn, &GroupFilter::default(), 50, 0).await?;
    /// let hashes: Vec<String> = groups.iter().map(ViolationGroup::hash).collect();
    /// let days = ViolationGroup::days(conn, &hashes, chrono::Utc::now() - chrono::Duration::days(30)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn days(
        conn: &mut SecurityConn,
        hashes: &[String],
        from: DateTime<Utc>,
    ) -> Result<Vec<GroupDay>, DbError> {
        use crate::db::schema::security_csp_group_days::dsl as d;
        if hashes.is_empty() {
            return Ok(vec![]);
        }
        let from = day_of(from);
        let rows = with_conn!(conn, |c| {
            d::security_csp_group_days
                .filter(d::group_hash.eq_any(hashes))
                .filter(d::day.ge(from))
                .order((d::group_hash, d::day))
                .select(GroupDay::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }

    /// Deletes the per-day counts of days before the one holding `before`.
    pub(crate) async fn prune_days(conn: &mut SecurityConn, before: DateTime<Utc>) -> Result<usize, DbError> {
        use crate::db::schema::security_csp_group_days::dsl as d;
        let before = day_of(before);
        let n = with_conn!(conn, |c| diesel::delete(d::security_csp_group_days.filter(d::day.lt(before)))
            .execute(c)
            .await)?;
        Ok(n)
    }
}

impl ViolationGroup {
    /// The policy the newest stored sample of `disposition` was sent under
    /// (the report's `original-policy`), if any.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// let observed = rocket_security::reports::ViolationGroup::policy_seen(conn, "report").await?;
    /// # Ok(()) }
    /// ```
    pub async fn policy_seen(conn: &mut SecurityConn, disposition: &str) -> Result<Option<String>, DbError> {
        use crate::db::schema::security_csp_reports::dsl as r;
        use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
        let policy = with_conn!(conn, |c| {
            r::security_csp_reports
                .filter(r::disposition.eq(disposition))
                .filter(r::original_policy.is_not_null())
                .order(r::id.desc())
                .select(r::original_policy)
                .first::<Option<String>>(c)
                .await
                .optional()
        })?;
        Ok(policy.flatten())
    }
}

/// The client a stored sample came from, as the wizard counts them: an IPv4
/// address, or the /64 of an IPv6 one (one host's usual allocation).
fn client_of(ip: &str) -> Option<String> {
    match ip.trim().parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => None,
        std::net::IpAddr::V4(v4) => Some(v4.to_string()),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
        }
    }
}

/// Most sample rows read to count clients (each violation keeps `samples_per_violation`).
const CLIENT_ROWS: i64 = 200_000;

impl ViolationGroup {
    /// The distinct clients (addresses, /64 for IPv6) among the stored
    /// samples of each group (`directive`, `blocked`) of `disposition`: a
    /// lower bound of who reported it, since only the first samples of each
    /// violation are kept.
    pub(crate) async fn clients(
        conn: &mut SecurityConn,
        disposition: &str,
    ) -> Result<std::collections::HashMap<(String, String), std::collections::HashSet<String>>, DbError> {
        use crate::db::schema::security_csp_reports::dsl as r;
        use crate::db::schema::security_csp_violations::dsl as v;
        let rows: Vec<(String, String, Option<String>)> = with_conn!(conn, |c| {
            r::security_csp_reports
                .inner_join(v::security_csp_violations)
                .filter(v::disposition.eq(disposition))
                .filter(r::sender_ip.is_not_null())
                .select((v::effective_directive, v::blocked, r::sender_ip))
                .distinct()
                .limit(CLIENT_ROWS)
                .load(c)
                .await
        })?;
        let mut out: std::collections::HashMap<(String, String), std::collections::HashSet<String>> =
            std::collections::HashMap::new();
        for (directive, blocked, ip) in rows {
            if let Some(client) = ip.as_deref().and_then(client_of) {
                out.entry((directive, blocked)).or_default().insert(client);
            }
        }
        Ok(out)
    }
}

impl ViolationGroup {
    /// Up to `limit` distinct, non-empty samples (`script-sample` /
    /// `sample`) stored for the group (`directive`, `blocked`, `disposition`).
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// let code = rocket_security::reports::ViolationGroup::samples(conn, "script-src-elem", "inline", "report", 5).await?;
    /// # Ok(()) }
    /// ```
    pub async fn samples(
        conn: &mut SecurityConn,
        directive: &str,
        blocked: &str,
        disposition: &str,
        limit: i64,
    ) -> Result<Vec<String>, DbError> {
        use crate::db::schema::security_csp_reports::dsl as r;
        use crate::db::schema::security_csp_violations::dsl as v;
        let rows: Vec<Option<String>> = with_conn!(conn, |c| {
            r::security_csp_reports
                .inner_join(v::security_csp_violations)
                .filter(v::effective_directive.eq(directive))
                .filter(v::blocked.eq(blocked))
                .filter(v::disposition.eq(disposition))
                .filter(r::sample.is_not_null())
                .filter(r::sample.ne(""))
                .select(r::sample)
                .distinct()
                .order(r::sample)
                .limit(limit)
                .load(c)
                .await
        })?;
        Ok(rows.into_iter().flatten().collect())
    }
}

/// One of the documents with the most reports in a group (see [`ViolationGroup::top_documents`]).
///
/// ```no_run
/// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
/// use rocket_security::reports::{GroupFilter, ViolationGroup};
/// let groups = ViolationGroup::page(conn, &GroupFilter::default(), 10, 0).await?;
/// for top in ViolationGroup::top_documents(conn, &groups, 3).await? {
///     println!("{} {}: {} ({} reports)", top.directive, top.blocked, top.document, top.hits);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize)]
pub struct TopDocument {
    /// The group's directive.
    #[diesel(sql_type = Text)]
    pub directive: String,
    /// The group's blocked source.
    #[diesel(sql_type = Text)]
    pub blocked: String,
    /// The group's disposition.
    #[diesel(sql_type = Text)]
    pub disposition: String,
    /// The page, without query string.
    #[diesel(sql_type = Text)]
    pub document: String,
    /// Reports from it in the group.
    #[diesel(sql_type = BigInt)]
    pub hits: i64,
}

impl ViolationGroup {
    /// The `per_group` documents with the most reports in each of `groups`
    /// (one query, a window function), most reports first within a group.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::reports::{GroupFilter, ViolationGroup};
    /// let groups = ViolationGroup::page(conn, &GroupFilter::default(), 50, 0).await?;
    /// let top = ViolationGroup::top_documents(conn, &groups, 3).await?;
    /// # Ok(()) }
    /// ```
    pub async fn top_documents(
        conn: &mut SecurityConn,
        groups: &[ViolationGroup],
        per_group: u32,
    ) -> Result<Vec<TopDocument>, DbError> {
        if groups.is_empty() {
            return Ok(vec![]);
        }
        let backend = conn.backend();
        let mut p = placeholders(backend);
        let keys: Vec<String> = groups.iter().map(|_| format!("({}, {}, {})", p(), p(), p())).collect();
        let sum = match backend {
            Backend::Postgres => "CAST(v.hits AS BIGINT)",
            _ => "v.hits",
        };
        // The groups' rows: PostgreSQL hash-joins a VALUES list (2.7 times faster than a
        // row-value IN on 100,000 rows); SQLite and MySQL are faster with the IN.
        let rows = match backend {
            Backend::Postgres => format!(
                "security_csp_violations v JOIN (VALUES {}) k(d, b, p) ON v.effective_directive = k.d \
                 AND v.blocked = k.b AND v.disposition = k.p",
                keys.join(", ")
            ),
            _ => format!(
                "security_csp_violations v WHERE (effective_directive, blocked, disposition) IN ({})",
                keys.join(", ")
            ),
        };
        // Integers only are written into the statement; every text is bound.
        let sql = format!(
            "SELECT directive, blocked, disposition, document, hits FROM (SELECT v.effective_directive AS directive, \
             v.blocked, v.disposition, v.document_uri AS document, {sum} AS hits, ROW_NUMBER() OVER (PARTITION BY \
             v.effective_directive, v.blocked, v.disposition ORDER BY v.hits DESC, v.id) AS rn FROM {rows}) t \
             WHERE rn <= {} ORDER BY directive, blocked, disposition, hits DESC, document",
            per_group.max(1)
        );
        let texts: Vec<String> =
            groups.iter().flat_map(|g| [g.directive.clone(), g.blocked.clone(), g.disposition.clone()]).collect();
        let times: Vec<NaiveDateTime> = vec![];
        Ok(load_bound!(conn, sql, texts, times, TopDocument)?)
    }
}
