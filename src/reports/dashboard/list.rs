//! The violation list: the collector's counters, the stored violations by
//! reports with their filters, the hourly chart and what controls in report
//! mode would have refused; as a page, as JSON (`api`) and as CSV
//! (`violations.csv`).

use std::sync::Arc;

use maud::{html, Markup};
use rocket::futures::future::BoxFuture;
use rocket::http::{ContentType, Status};
use rocket::Request;

use super::page::shell;
use super::view::{day, param, Answer, View};
use super::{charts, exports};
use crate::core::clock::SharedClock;
use crate::reports::state::CollectorState;
use crate::reports::stats::CollectorStats;

/// The list page.
pub(crate) fn page<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(async move {
        let d = data_for(&v.state, v.req).await?;
        let body = shell("CSP violation reports", &v.nonce, list(&d, v.base()));
        Ok(Answer::new(d.database_error.is_some(), ContentType::HTML, body))
    })
}

/// The list as JSON.
pub(crate) fn json<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(async move {
        let d = data_for(&v.state, v.req).await?;
        Ok(exports::json(&d, d.database_error.is_some()))
    })
}

/// The listed violations as CSV.
pub(crate) fn csv<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(async move { Ok(violations_csv(&data_for(&v.state, v.req).await?)) })
}

/// Everything the list and the API show.
#[derive(serde::Serialize)]
struct DashboardData {
    stats: CollectorStats,
    database: bool,
    /// Days a violation is kept after it was last seen; `0`: forever.
    retention_days: u64,
    /// Most violations kept (the least recently seen go first); `0`: no cap.
    max_violations: u64,
    /// Set when the database could not be read: the counters are still shown
    /// (they live in memory), with status 503.
    database_error: Option<String>,
    violations: Vec<ViolationRow>,
    hourly: Vec<(String, i64)>,
    filters: Filters,
    /// What controls in report mode would have refused.
    would_refuse: Vec<RefusalRow>,
    /// Every instance's counters (the Redis store), when it is attached.
    cluster: Option<CollectorStats>,
    /// The Redis store is attached but did not answer.
    cluster_unavailable: bool,
}

/// One control and reason of report mode.
#[derive(serde::Serialize)]
struct RefusalRow {
    control: String,
    reason: String,
    /// Counted by this instance since it started.
    this_instance: u64,
    /// Every instance's total (the database), when it could be read.
    all_instances: Option<i64>,
    last_seen: Option<String>,
    /// The most recent, newest first.
    examples: Vec<String>,
}

impl RefusalRow {
    fn local(observed: Vec<crate::core::Observation>) -> Vec<RefusalRow> {
        observed
            .into_iter()
            .map(|o| RefusalRow {
                control: o.control.into(),
                reason: o.reason.into(),
                this_instance: o.count,
                all_instances: None,
                last_seen: None,
                examples: o.examples,
            })
            .collect()
    }
}

#[derive(serde::Serialize, Default)]
struct Filters {
    directive: Option<String>,
    blocked: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(serde::Serialize)]
struct ViolationRow {
    id: i32,
    directive: String,
    blocked: String,
    document: String,
    disposition: String,
    hits: i64,
    samples: i32,
    first_seen: String,
    last_seen: String,
}

impl Filters {
    fn of(req: &Request<'_>) -> Self {
        Filters {
            directive: param(req, "directive"),
            blocked: param(req, "blocked"),
            from: param(req, "from"),
            to: param(req, "to"),
        }
    }
}

#[cfg(feature = "db")]
async fn data_for(state: &Arc<CollectorState>, req: &Request<'_>) -> Result<DashboardData, Status> {
    use crate::reports::{CspHourly, CspViolation, ViolationFilter};
    let filters = Filters::of(req);
    let filter = ViolationFilter {
        directive: filters.directive.clone(),
        blocked: filters.blocked.clone(),
        from: day(&filters.from, false)?,
        to: day(&filters.to, true)?,
    };
    let mut out = DashboardData::counters_only(state, filters, crate::core::observations(req.rocket()));
    #[cfg(feature = "redis")]
    if let Some(cache) = state.cache.get() {
        match crate::reports::state::read_cluster(state, cache).await {
            Ok(all) => out.cluster = Some(all),
            Err(e) => {
                tracing::warn!(target: "security", "CSP reports dashboard: the cluster totals (Redis): {e}");
                out.cluster_unavailable = true;
            }
        }
    }
    let Some(pool) = state.pool.get() else { return Ok(out) };
    out.database = true;
    let unavailable = |mut out: DashboardData, e: crate::db::DbError| {
        tracing::warn!(target: "security", "CSP reports dashboard: {e}");
        // Details (hosts, users, SQL) stay in the log.
        out.database_error = Some("the database is unavailable (details in the server log)".into());
        Ok(out)
    };
    let mut conn = match pool.conn().await {
        Ok(c) => c,
        Err(e) => return unavailable(out, e),
    };
    let rows = match CspViolation::search(&mut conn, &filter, 200).await {
        Ok(rows) => rows,
        Err(e) => return unavailable(out, e),
    };
    out.violations = rows
        .into_iter()
        .map(|v| ViolationRow {
            id: v.id,
            directive: v.effective_directive,
            blocked: v.blocked,
            document: v.document_uri,
            disposition: v.disposition,
            hits: v.hits,
            samples: v.sample_count,
            first_seen: v.first_seen.format("%Y-%m-%d %H:%M:%S").to_string(),
            last_seen: v.last_seen.format("%Y-%m-%d %H:%M:%S").to_string(),
        })
        .collect();
    let since = SharedClock::of(req.rocket()).now() - chrono::Duration::hours(48);
    match CspHourly::since(&mut conn, since).await {
        Ok(hours) => {
            out.hourly = hours.into_iter().map(|h| (h.hour.format("%Y-%m-%d %H:00").to_string(), h.hits)).collect()
        }
        Err(e) => return unavailable(out, e),
    }
    match crate::db::WouldRefuse::all(&mut conn).await {
        Ok(rows) => {
            for r in rows {
                let at = r.last_seen.format("%Y-%m-%d %H:%M:%S").to_string();
                match out.would_refuse.iter_mut().find(|l| l.control == r.control && l.reason == r.reason) {
                    Some(l) => {
                        l.all_instances = Some(r.hits);
                        l.last_seen = Some(at);
                    }
                    None => out.would_refuse.push(RefusalRow {
                        control: r.control,
                        reason: r.reason,
                        this_instance: 0,
                        all_instances: Some(r.hits),
                        last_seen: Some(at),
                        examples: r.examples,
                    }),
                }
            }
            out.would_refuse.sort_by(|a, b| (&a.control, &a.reason).cmp(&(&b.control, &b.reason)));
        }
        Err(e) => return unavailable(out, e),
    }
    Ok(out)
}

#[cfg(not(feature = "db"))]
async fn data_for(state: &Arc<CollectorState>, req: &Request<'_>) -> Result<DashboardData, Status> {
    let filters = Filters::of(req);
    day(&filters.from, false)?;
    day(&filters.to, true)?;
    Ok(DashboardData::counters_only(state, filters, crate::core::observations(req.rocket())))
}

impl DashboardData {
    /// The in-memory counters, nothing from the database.
    fn counters_only(state: &CollectorState, filters: Filters, observed: Vec<crate::core::Observation>) -> Self {
        DashboardData {
            stats: state.counters.snapshot(),
            database: false,
            retention_days: state.config.retention_days,
            max_violations: state.config.max_violations,
            database_error: None,
            violations: vec![],
            hourly: vec![],
            filters,
            would_refuse: RefusalRow::local(observed),
            cluster: None,
            cluster_unavailable: false,
        }
    }
}

/// The listed violations (`violations.csv`).
fn violations_csv(d: &DashboardData) -> Answer {
    let mut out = exports::line([
        "directive",
        "blocked",
        "document",
        "disposition",
        "reports",
        "samples",
        "first_seen",
        "last_seen",
    ]);
    for r in &d.violations {
        out.push_str(&exports::line([
            r.directive.clone(),
            r.blocked.clone(),
            r.document.clone(),
            r.disposition.clone(),
            r.hits.to_string(),
            r.samples.to_string(),
            r.first_seen.clone(),
            r.last_seen.clone(),
        ]));
    }
    exports::csv("csp-violations.csv", out, d.database_error.is_some())
}

/// The counters of one instance, or of all.
fn stats(s: &CollectorStats) -> Markup {
    html! {
        p class="stats" {
            span { "received " (s.received) }
            span { "accepted " (s.accepted) }
            span { "stored " (s.stored) }
            span { "logged " (s.logged) }
            span { "queued " (s.queued) }
            span { "rejected requests " (s.rejected_requests) }
        }
        @if s.spooled > 0 || s.recovered > 0 || s.spool_bytes > 0 {
            p class="stats" {
                span {
                    "spooled " (s.spooled) " (" (s.spool_bytes) " bytes on disk"
                    @if let Some(age) = s.spool_age_seconds { ", oldest " (age) " s old" }
                    ")"
                }
                span { "recovered at start " (s.recovered) }
            }
        }
        @if !s.dropped.is_empty() {
            p class="stats" {
                "dropped: "
                @for (reason, n) in &s.dropped { span { (reason) " " (n) } }
            }
        }
    }
}

/// The list page's body, its links under `base`.
fn list(d: &DashboardData, base: &str) -> Markup {
    let f = &d.filters;
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    html! {
        @if d.cluster.is_some() || d.cluster_unavailable { h2 { "This instance" } }
        (stats(&d.stats))
        @if let Some(all) = &d.cluster {
            h2 { "All instances" }
            (stats(all))
        } @else if d.cluster_unavailable {
            h2 { "All instances" }
            p { "Redis (security_cache) did not answer: only this instance's counters." }
        }
        @if !d.database {
            p { "The database sink is off: only the counters above are available." }
        } @else {
            p class="retention" {
                "Retention: "
                @if d.retention_days == 0 {
                    "violations are kept forever (" code { "retention_days = 0" } ")"
                } @else {
                    "violations not seen for " (d.retention_days) " days are deleted with their samples"
                }
                "; "
                @if d.max_violations == 0 {
                    "no cap on their number (" code { "max_violations = 0" } ")"
                } @else {
                    "at most " (d.max_violations) " are kept, the least recently seen deleted first"
                }
                "."
            }
        }
        @if let Some(e) = &d.database_error {
            p class="error" { (e) ": only the counters above are available." }
        }
        form method="get" action=(base) {
            label { "Directive " input name="directive" placeholder="script-src" value=(v(&f.directive)); }
            " "
            label { "Blocked " input name="blocked" placeholder="host or kind" value=(v(&f.blocked)); }
            " "
            label { "From " input name="from" type="date" value=(v(&f.from)); }
            " "
            label { "To " input name="to" type="date" value=(v(&f.to)); }
            " "
            button { "Filter" }
        }
        h2 { "Reports per hour (UTC, last 48 h)" }
        (charts::hourly(&d.hourly))
        h2 { "Violations" }
        p {
            a href={ (base) "/groups" } { "By directive and blocked source" }
            " · "
            a href={ (base) "/wizard" } { "Policy wizard" }
            " · "
            a href={ (base) "/types" } { "Other report types" }
            " · Export: "
            a href={ (base) "/violations.csv" } { "CSV" }
            ", "
            a href={ (base) "/api" } { "JSON" }
        }
        table {
            thead { tr {
                th { "Directive" } th { "Blocked" } th { "Document" } th { "Disposition" } th { "Count" }
                th { "First seen" } th { "Last seen" }
            } }
            tbody {
                @for r in &d.violations {
                    tr {
                        td { (r.directive) }
                        td { code { (r.blocked) } }
                        td { a href={ (base) "/violation/" (r.id) } { code { (r.document) } } }
                        td { (r.disposition) }
                        td class="n" { (r.hits) }
                        td { (r.first_seen) }
                        td { (r.last_seen) }
                    }
                }
            }
        }
        (refusals(&d.would_refuse))
    }
}

/// The "would have refused" table of the controls in report mode.
fn refusals(rows: &[RefusalRow]) -> Markup {
    html! {
        h2 { "Would have refused (report mode)" }
        @if rows.is_empty() {
            p { "No control in report mode has seen a request it would refuse." }
        } @else {
            table {
                thead { tr {
                    th { "Control" } th { "Reason" } th { "All instances" } th { "This instance" } th { "Last seen" }
                    th { "Latest examples" }
                } }
                tbody {
                    @for r in rows {
                        tr {
                            td { (r.control) }
                            td { (r.reason) }
                            td class="n" {
                                @match r.all_instances { Some(n) => { (n) } None => { "-" } }
                            }
                            td class="n" { (r.this_instance) }
                            td { (r.last_seen.as_deref().unwrap_or("-")) }
                            td {
                                @for (i, e) in r.examples.iter().enumerate() {
                                    @if i > 0 { br; }
                                    code { (e) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
