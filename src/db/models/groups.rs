//! Violations grouped by directive, blocked host (or kind) and disposition:
//! what a site owner decides on, one line per "what the policy blocks where".

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

use crate::db::pool::{with_conn, Backend, DbError, SecurityConn};

/// One group of stored violations (see [`ViolationGroup::page`]).
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
}

/// Which groups [`ViolationGroup::page`] returns.
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
}

/// The next bind placeholder for `backend`, numbered from 1 (`$n` on PostgreSQL, `?` elsewhere).
fn placeholders(backend: Backend) -> impl FnMut() -> String {
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

/// `LIKE` text with `!` as the escape character (the same on every backend).
fn like(s: &str) -> String {
    format!("%{}%", s.replace('!', "!!").replace('%', "!%").replace('_', "!_"))
}

impl ViolationGroup {
    /// The groups matching `filter`, most reports first, `limit` from
    /// `offset` (a page). One `GROUP BY` query; an index on
    /// `(effective_directive, blocked)` is not needed for 100,000 rows.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// use rocket_security::db::{GroupFilter, ViolationGroup};
    /// let scripts = GroupFilter { directive: Some("script-src-elem".into()), ..Default::default() };
    /// for g in ViolationGroup::page(conn, &scripts, 50, 0).await? {
    ///     println!("{} blocked {}: {} reports", g.directive, g.blocked, g.hits);
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
        let sum = match backend {
            Backend::Postgres => "CAST(SUM(hits) AS BIGINT)",
            Backend::Mysql => "CAST(SUM(hits) AS SIGNED)",
            Backend::Sqlite => "SUM(hits)",
        };
        let mut p = placeholders(backend);
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
        // Integers only are written into the statement.
        sql.push_str(&format!(
            " GROUP BY effective_directive, blocked, disposition ORDER BY hits DESC, directive, blocked, disposition \
             LIMIT {} OFFSET {offset}",
            limit.max(1)
        ));
        let (sql, texts, times) = (&sql, &texts, &times);
        let rows = with_conn!(conn, |c| {
            let mut q = diesel::sql_query(sql.as_str()).into_boxed();
            for t in texts {
                q = q.bind::<Text, _>(t.clone());
            }
            for t in times {
                q = q.bind::<Timestamp, _>(*t);
            }
            q.load::<ViolationGroup>(c).await
        })?;
        Ok(rows)
    }
}

impl ViolationGroup {
    /// The policy the newest stored sample of `disposition` was sent under
    /// (the report's `original-policy`), if any.
    ///
    /// ```no_run
    /// # async fn f(conn: &mut rocket_security::db::SecurityConn) -> Result<(), rocket_security::db::DbError> {
    /// let observed = rocket_security::db::ViolationGroup::policy_seen(conn, "report").await?;
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

/// One of the documents with the most reports in a group (see [`ViolationGroup::top_documents`]).
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
    /// use rocket_security::db::{GroupFilter, ViolationGroup};
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
            Backend::Postgres => "CAST(hits AS BIGINT)",
            _ => "hits",
        };
        // Integers only are written into the statement; every text is bound.
        let sql = format!(
            "SELECT directive, blocked, disposition, document, hits FROM (SELECT effective_directive AS directive, \
             blocked, disposition, document_uri AS document, {sum} AS hits, ROW_NUMBER() OVER (PARTITION BY \
             effective_directive, blocked, disposition ORDER BY hits DESC, id) AS rn FROM security_csp_violations \
             WHERE (effective_directive, blocked, disposition) IN ({})) t WHERE rn <= {} \
             ORDER BY directive, blocked, disposition, hits DESC, document",
            keys.join(", "),
            per_group.max(1)
        );
        let texts: Vec<String> =
            groups.iter().flat_map(|g| [g.directive.clone(), g.blocked.clone(), g.disposition.clone()]).collect();
        let (sql, texts) = (&sql, &texts);
        let rows = with_conn!(conn, |c| {
            let mut q = diesel::sql_query(sql.as_str()).into_boxed();
            for t in texts {
                q = q.bind::<Text, _>(t.clone());
            }
            q.load::<TopDocument>(c).await
        })?;
        Ok(rows)
    }
}
