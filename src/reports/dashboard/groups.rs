//! The grouped view: violations by directive, then blocked host or kind,
//! then disposition, with their counts, first and last report, a sparkline
//! per day and the top documents, a page at a time, as a page (with the
//! triage buttons and log), as JSON (`groups.json`) and as CSV
//! (`groups.csv`).

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

/// The grouped view's page.
pub(crate) fn page<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(async move {
        let d = data(&v.state, v.req).await?;
        let body = shell("CSP violations by directive and blocked source", &v.nonce, groups(&d, v.base()));
        Ok(Answer::new(d.database_error.is_some(), ContentType::HTML, body))
    })
}

/// The grouped view as JSON.
pub(crate) fn json<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(async move {
        let d = data(&v.state, v.req).await?;
        Ok(exports::json(&d, d.database_error.is_some()))
    })
}

/// The grouped view as CSV.
pub(crate) fn csv<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(async move { Ok(groups_csv(&data(&v.state, v.req).await?)) })
}

/// Groups on one page.
pub(crate) const PER_PAGE: u32 = 50;

/// The longest sparkline, in days (the daily counts are kept that long).
pub(crate) const SPARKLINE_DAYS: u64 = 90;

/// The sparklines' days: the retention window, at most [`SPARKLINE_DAYS`].
pub(crate) fn sparkline_days(retention_days: u64) -> u64 {
    if retention_days == 0 {
        SPARKLINE_DAYS
    } else {
        retention_days.min(SPARKLINE_DAYS)
    }
}

/// The query of a grouped view: `directive`, `blocked`, `disposition`
/// (`enforce` / `report`), `from` / `to` (`YYYY-MM-DD`), `triage` (`open`,
/// the default, `expected`, `fixed`, `all`), `page` (from 1).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub(crate) struct GroupQuery {
    pub(crate) directive: Option<String>,
    pub(crate) blocked: Option<String>,
    pub(crate) disposition: Option<String>,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) triage: Option<String>,
    pub(crate) page: u64,
}

impl GroupQuery {
    /// The query of `req`; `400` for a bad date, disposition or page.
    pub(crate) fn of(req: &Request<'_>) -> Result<Self, Status> {
        let q = GroupQuery {
            directive: param(req, "directive"),
            blocked: param(req, "blocked"),
            disposition: param(req, "disposition"),
            from: param(req, "from"),
            to: param(req, "to"),
            triage: param(req, "triage"),
            page: match param(req, "page") {
                None => 1,
                Some(p) => p.parse::<u64>().ok().filter(|p| (1..=1_000_000).contains(p)).ok_or(Status::BadRequest)?,
            },
        };
        if q.disposition.as_deref().is_some_and(|d| d != "enforce" && d != "report") {
            return Err(Status::BadRequest);
        }
        if q.triage.as_deref().is_some_and(|t| !matches!(t, "open" | "expected" | "fixed" | "all")) {
            return Err(Status::BadRequest);
        }
        day(&q.from, false)?;
        day(&q.to, true)?;
        Ok(q)
    }

    /// `?name=value&...` of the filters (and `page` when not 1), percent-encoded.
    pub(crate) fn query_string(&self, page: u64) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        let mut parts = vec![];
        for (k, v) in [
            ("directive", &self.directive),
            ("blocked", &self.blocked),
            ("disposition", &self.disposition),
            ("from", &self.from),
            ("to", &self.to),
            ("triage", &self.triage),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={}", enc(v)));
            }
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// Everything a grouped view shows.
#[derive(serde::Serialize)]
pub(crate) struct GroupsData {
    pub(crate) query: GroupQuery,
    pub(crate) per_page: u32,
    /// The next page's number, if there is one.
    pub(crate) next_page: Option<u64>,
    #[cfg(feature = "db")]
    pub(crate) groups: Vec<GroupRow>,
    /// The sparklines' first day (`YYYY-MM-DD`, UTC) and length in days.
    pub(crate) days_from: String,
    pub(crate) days: u64,
    /// Groups (and reports) marked expected that the default view hides.
    #[cfg(feature = "db")]
    pub(crate) hidden: Option<crate::reports::Hidden>,
    /// The newest triage decisions of every group (the audit trail), newest first.
    #[cfg(feature = "db")]
    pub(crate) triage_log: Vec<crate::reports::TriageEvent>,
    /// The hidden `csrf_token` input of the triage forms (token mode), if any.
    #[serde(skip)]
    pub(crate) csrf_field: Option<maud::Markup>,
    /// Set when the database could not be read (details in the log; status 503).
    pub(crate) database_error: Option<String>,
}

/// A group with the documents that report it most.
#[cfg(feature = "db")]
#[derive(serde::Serialize)]
pub(crate) struct GroupRow {
    #[serde(flatten)]
    pub(crate) group: crate::reports::ViolationGroup,
    /// Up to 3 (document, reports), most first.
    pub(crate) top_documents: Vec<(String, i64)>,
    /// `open`, `expected`, `fixed` or `reopened`.
    pub(crate) status: &'static str,
    /// Reports per UTC day (`YYYY-MM-DD`) with any, oldest first.
    pub(crate) daily: Vec<(String, i64)>,
}

/// The page of groups `req` asks for.
#[cfg(feature = "db")]
pub(crate) async fn data(state: &Arc<CollectorState>, req: &Request<'_>) -> Result<GroupsData, Status> {
    use crate::reports::{GroupFilter, Triage, TriageView, ViolationGroup};
    let query = GroupQuery::of(req)?;
    let days = sparkline_days(state.config.retention_days);
    let since = SharedClock::of(req.rocket()).now() - chrono::Duration::days(days as i64 - 1);
    let mut out = GroupsData {
        query: query.clone(),
        per_page: PER_PAGE,
        next_page: None,
        groups: vec![],
        days_from: since.format("%Y-%m-%d").to_string(),
        days,
        hidden: None,
        triage_log: vec![],
        csrf_field: crate::csrf::token::form_field(req).await,
        database_error: None,
    };
    let Some(pool) = state.pool.get() else {
        out.database_error = Some("no security database is attached".into());
        return Ok(out);
    };
    let filter = GroupFilter {
        directive: query.directive.clone(),
        blocked: query.blocked.clone(),
        disposition: query.disposition.clone(),
        from: day(&query.from, false)?,
        to: day(&query.to, true)?,
        triage: query.triage.as_deref().and_then(TriageView::parse).unwrap_or_default(),
    };
    let offset = (query.page - 1) * u64::from(PER_PAGE);
    let read = async {
        let mut conn = pool.conn().await?;
        // One more than a page: whether there is a next one.
        let mut rows = ViolationGroup::page(&mut conn, &filter, PER_PAGE + 1, offset).await?;
        let more = rows.len() > PER_PAGE as usize;
        rows.truncate(PER_PAGE as usize);
        let top = ViolationGroup::top_documents(&mut conn, &rows, 3).await?;
        let hashes: Vec<String> = rows.iter().map(ViolationGroup::hash).collect();
        let daily = ViolationGroup::days(&mut conn, &hashes, since).await?;
        let hidden = match filter.triage {
            TriageView::Open => Some(ViolationGroup::expected(&mut conn, &filter).await?),
            _ => None,
        };
        let log = Triage::log(&mut conn, super::triage::LOG_SHOWN).await?;
        Ok::<_, crate::db::DbError>((rows, top, daily, hidden, more, log))
    };
    match read.await {
        Ok((rows, top, daily, hidden, more, log)) => {
            out.hidden = hidden;
            out.triage_log = log;
            if more {
                out.next_page = Some(query.page + 1);
            }
            out.groups = rows
                .into_iter()
                .map(|group| {
                    let top_documents = top
                        .iter()
                        .filter(|t| {
                            (&t.directive, &t.blocked, &t.disposition)
                                == (&group.directive, &group.blocked, &group.disposition)
                        })
                        .map(|t| (t.document.clone(), t.hits))
                        .collect();
                    let hash = group.hash();
                    let daily = daily
                        .iter()
                        .filter(|d| d.group_hash == hash)
                        .map(|d| (d.day.format("%Y-%m-%d").to_string(), d.hits))
                        .collect();
                    GroupRow { status: group.status(), group, top_documents, daily }
                })
                .collect();
        }
        Err(e) => {
            tracing::warn!(target: "security", "CSP reports dashboard (groups): {e}");
            out.database_error = Some("the database is unavailable (details in the server log)".into());
        }
    }
    Ok(out)
}

/// Without a database backend there are no stored violations to group.
#[cfg(not(feature = "db"))]
pub(crate) async fn data(_: &Arc<CollectorState>, req: &Request<'_>) -> Result<GroupsData, Status> {
    let query = GroupQuery::of(req)?;
    Ok(GroupsData {
        query,
        per_page: PER_PAGE,
        next_page: None,
        days_from: String::new(),
        days: 0,
        csrf_field: None,
        database_error: Some("no database backend".into()),
    })
}

/// The groups of a grouped view (`groups.csv`).
fn groups_csv(d: &GroupsData) -> Answer {
    #[cfg_attr(not(feature = "db"), allow(unused_mut))]
    let mut out = exports::line([
        "directive",
        "blocked",
        "disposition",
        "reports",
        "violations",
        "first_seen",
        "last_seen",
        "status",
        "triaged_by",
        "triaged_at",
    ]);
    #[cfg(feature = "db")]
    for GroupRow { group: g, status, .. } in &d.groups {
        out.push_str(&exports::line([
            g.directive.clone(),
            g.blocked.clone(),
            g.disposition.clone(),
            g.hits.to_string(),
            g.violations.to_string(),
            g.first_seen.format("%Y-%m-%d %H:%M:%S").to_string(),
            g.last_seen.format("%Y-%m-%d %H:%M:%S").to_string(),
            status.to_string(),
            g.triaged_by.clone().unwrap_or_default(),
            g.triaged_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default(),
        ]));
    }
    exports::csv("csp-violation-groups.csv", out, d.database_error.is_some())
}

/// The grouped view's body, its links under `base`.
fn groups(d: &GroupsData, base: &str) -> Markup {
    let q = &d.query;
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let qs = q.query_string(q.page);
    let shown = q.triage.as_deref().unwrap_or("open");
    html! {
        p {
            a href=(base) { "All violations" }
            " · "
            a href={ (base) "/wizard" } { "Policy wizard" }
            " · "
            a href={ (base) "/types" } { "Other report types" }
            " · Export this view: "
            a href={ (base) "/groups.csv" (qs) } { "CSV" }
            ", "
            a href={ (base) "/groups.json" (qs) } { "JSON" }
        }
        form method="get" action={ (base) "/groups" } {
            label { "Directive " input name="directive" placeholder="script-src" value=(v(&q.directive)); }
            " "
            label { "Blocked " input name="blocked" placeholder="host or kind" value=(v(&q.blocked)); }
            " "
            label {
                "Disposition "
                select name="disposition" {
                    option value="" { "any" }
                    @for o in ["enforce", "report"] {
                        option value=(o) selected[q.disposition.as_deref() == Some(o)] { (o) }
                    }
                }
            }
            " "
            label {
                "Show "
                select name="triage" {
                    @for t in ["open", "expected", "fixed", "all"] { option value=(t) selected[t == shown] { (t) } }
                }
            }
            " "
            label { "From " input name="from" type="date" value=(v(&q.from)); }
            " "
            label { "To " input name="to" type="date" value=(v(&q.to)); }
            " "
            button { "Filter" }
        }
        @if let Some(e) = &d.database_error { p class="error" { (e) } }
        (hidden(d, base))
        table {
            thead { tr {
                th { "Directive" } th { "Blocked" } th { "Disposition" } th { "Reports" } th { "Violations" }
                th { "First seen" } th { "Last seen" } th { "Last " (d.days) " days" } th { "Top documents" }
                th { "Triage" }
            } }
            tbody { (rows(d, base, &qs)) }
        }
        nav aria-label="pages" {
            p {
                @if q.page > 1 {
                    a href={ (base) "/groups" (q.query_string(q.page - 1)) } { "Previous page" }
                    " "
                }
                "Page " (q.page)
                @if let Some(next) = d.next_page {
                    " "
                    a href={ (base) "/groups" (q.query_string(next)) } { "Next page" }
                }
            }
        }
        (log(d))
    }
}

/// How many groups (and reports) the default view hides as expected, with a link to them.
#[cfg(feature = "db")]
fn hidden(d: &GroupsData, base: &str) -> Markup {
    let plural = |n: i64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    html! {
        @if let Some(h) = d.hidden.filter(|h| h.groups > 0) {
            @let all = GroupQuery { triage: Some("expected".into()), ..d.query.clone() };
            p {
                "Hidden: " (plural(h.groups, "group")) " marked expected (" (plural(h.hits, "report")) "). "
                a href={ (base) "/groups" (all.query_string(1)) } { "Show them" }
                "."
            }
        }
    }
}

#[cfg(not(feature = "db"))]
fn hidden(_: &GroupsData, _: &str) -> Markup {
    html! {}
}

/// One table row a group, its triage buttons returning to the view's query `back`.
#[cfg(feature = "db")]
fn rows(d: &GroupsData, base: &str, back: &str) -> Markup {
    html! {
        @for row in &d.groups {
            @let g = &row.group;
            @let list = GroupQuery {
                directive: Some(g.directive.clone()),
                blocked: Some(g.blocked.clone()),
                ..GroupQuery::default()
            };
            tr {
                td { (g.directive) }
                td { a href={ (base) (list.query_string(1)) } { code { (g.blocked) } } }
                td { (g.disposition) }
                td class="n" { (g.hits) }
                td class="n" { (g.violations) }
                td { (g.first_seen.format("%Y-%m-%d %H:%M")) }
                td { (g.last_seen.format("%Y-%m-%d %H:%M")) }
                td { (charts::sparkline(&row.daily, &d.days_from, d.days)) }
                td {
                    @for (i, (doc, n)) in row.top_documents.iter().enumerate() {
                        @if i > 0 { br; }
                        code { (doc) } " (" (n) ")"
                    }
                }
                td { (super::triage::cell(&row.group, row.status, base, back, d.csrf_field.as_ref())) }
            }
        }
    }
}

#[cfg(not(feature = "db"))]
fn rows(_: &GroupsData, _: &str, _: &str) -> Markup {
    html! {}
}

/// The triage log, when the database answered.
#[cfg(feature = "db")]
fn log(d: &GroupsData) -> Markup {
    html! { @if d.database_error.is_none() { (super::triage::log(&d.triage_log)) } }
}

#[cfg(not(feature = "db"))]
fn log(_: &GroupsData) -> Markup {
    html! {}
}
