//! The dashboard's grouped view: violations by directive, then blocked host
//! or kind, then disposition, with their counts and first and last report,
//! a page at a time, as HTML, JSON (`groups.json`) and CSV (`groups.csv`).

use std::sync::Arc;

use rocket::http::Status;
use rocket::Request;

use super::export::line;
use super::html::{day, escape, param, shell};
use super::state::CollectorState;

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
    pub(crate) hidden: Option<crate::db::Hidden>,
    /// The newest triage decisions of every group (the audit trail), newest first.
    #[cfg(feature = "db")]
    pub(crate) triage_log: Vec<crate::db::TriageEvent>,
    /// The hidden `csrf_token` input of the triage forms (token mode), if any.
    #[serde(skip)]
    pub(crate) csrf_field: Option<String>,
    /// Set when the database could not be read (details in the log; status 503).
    pub(crate) database_error: Option<String>,
}

/// A group with the documents that report it most.
#[cfg(feature = "db")]
#[derive(serde::Serialize)]
pub(crate) struct GroupRow {
    #[serde(flatten)]
    pub(crate) group: crate::db::ViolationGroup,
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
    use crate::db::{GroupFilter, Triage, TriageView, ViolationGroup};
    let query = GroupQuery::of(req)?;
    let days = sparkline_days(state.config.retention_days);
    let since = crate::core::clock::SharedClock::of(req.rocket()).now() - chrono::Duration::days(days as i64 - 1);
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
        let log = Triage::log(&mut conn, TRIAGE_LOG_SHOWN).await?;
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

/// The groups as CSV (formula-safe cells).
pub(crate) fn csv(d: &GroupsData) -> String {
    #[cfg_attr(not(feature = "db"), allow(unused_mut))]
    let mut out = line([
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
        out.push_str(&line([
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
    #[cfg(not(feature = "db"))]
    let _ = d;
    out
}

/// The grouped view as a page under `base` (the dashboard's configured path).
pub(crate) fn html(d: &GroupsData, base: &str, nonce: &str) -> String {
    let base = escape(base.trim_end_matches('/'));
    let q = &d.query;
    let v = |o: &Option<String>| escape(o.as_deref().unwrap_or(""));
    let selected = |d: &str| if q.disposition.as_deref() == Some(d) { " selected" } else { "" };
    let shown = q.triage.as_deref().unwrap_or("open");
    let views: String = ["open", "expected", "fixed", "all"]
        .iter()
        .map(|t| format!("<option value=\"{t}\"{}>{t}</option>", if *t == shown { " selected" } else { "" }))
        .collect();
    let mut body = format!(
        "<p><a href=\"{base}\">All violations</a> · <a href=\"{base}/wizard\">Policy wizard</a> · Export this view: \
         <a href=\"{base}/groups.csv{qs}\">CSV</a>, \
         <a href=\"{base}/groups.json{qs}\">JSON</a></p>\
         <form method=\"get\" action=\"{base}/groups\"><label>Directive <input name=\"directive\" \
         placeholder=\"script-src\" value=\"{}\"></label> <label>Blocked <input name=\"blocked\" \
         placeholder=\"host or kind\" value=\"{}\"></label> <label>Disposition <select name=\"disposition\">\
         <option value=\"\">any</option><option value=\"enforce\"{}>enforce</option>\
         <option value=\"report\"{}>report</option></select></label> <label>Show <select name=\"triage\">{views}\
         </select></label> <label>From <input name=\"from\" type=\"date\" \
         value=\"{}\"></label> <label>To <input name=\"to\" type=\"date\" value=\"{}\"></label> \
         <button>Filter</button></form>",
        v(&q.directive),
        v(&q.blocked),
        selected("enforce"),
        selected("report"),
        v(&q.from),
        v(&q.to),
        qs = escape(&q.query_string(q.page)),
    );
    if let Some(e) = &d.database_error {
        body.push_str(&format!("<p class=\"error\">{}</p>", escape(e)));
    }
    #[cfg(feature = "db")]
    if let Some(h) = d.hidden.filter(|h| h.groups > 0) {
        let all = GroupQuery { triage: Some("expected".into()), ..q.clone() };
        let n = |n: i64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        body.push_str(&format!(
            "<p>Hidden: {} marked expected ({}). <a href=\"{base}/groups{}\">Show them</a>.</p>",
            n(h.groups, "group"),
            n(h.hits, "report"),
            escape(&all.query_string(1))
        ));
    }
    body.push_str(&format!(
        "<table><thead><tr><th>Directive</th><th>Blocked</th><th>Disposition</th><th>Reports</th>\
         <th>Violations</th><th>First seen</th><th>Last seen</th><th>Last {} days</th><th>Top documents</th>\
         <th>Triage</th></tr></thead><tbody>",
        d.days
    ));
    #[cfg(feature = "db")]
    for row @ GroupRow { group: g, top_documents, daily, .. } in &d.groups {
        let top: Vec<String> =
            top_documents.iter().map(|(doc, n)| format!("<code>{}</code> ({n})", escape(doc))).collect();
        let list = GroupQuery {
            directive: Some(g.directive.clone()),
            blocked: Some(g.blocked.clone()),
            ..GroupQuery::default()
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td><a href=\"{base}{}\"><code>{}</code></a></td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&g.directive),
            escape(&list.query_string(1)),
            escape(&g.blocked),
            escape(&g.disposition),
            g.hits,
            g.violations,
            g.first_seen.format("%Y-%m-%d %H:%M"),
            g.last_seen.format("%Y-%m-%d %H:%M"),
            sparkline(daily, &d.days_from, d.days),
            top.join("<br>"),
            triage_cell(row, &base, &q.query_string(q.page), d.csrf_field.as_deref()),
        ));
    }
    body.push_str("</tbody></table><nav aria-label=\"pages\"><p>");
    if q.page > 1 {
        body.push_str(&format!("<a href=\"{base}/groups{}\">Previous page</a> ", escape(&q.query_string(q.page - 1))));
    }
    body.push_str(&format!("Page {}", q.page));
    if let Some(next) = d.next_page {
        body.push_str(&format!(" <a href=\"{base}/groups{}\">Next page</a>", escape(&q.query_string(next))));
    }
    body.push_str("</p></nav>");
    #[cfg(feature = "db")]
    if d.database_error.is_none() {
        body.push_str(&triage_log(&d.triage_log));
    }
    shell("CSP violations by directive and blocked source", nonce, &body)
}

/// How many triage decisions the grouped view lists.
#[cfg(feature = "db")]
const TRIAGE_LOG_SHOWN: i64 = 20;

/// The newest triage decisions as a table (every field escaped).
#[cfg(feature = "db")]
fn triage_log(log: &[crate::db::TriageEvent]) -> String {
    let mut out = String::from("<h2>Triage log</h2>");
    if log.is_empty() {
        out.push_str("<p>No triage decisions yet.</p>");
        return out;
    }
    out.push_str(&format!(
        "<p>The {} newest decisions, newest first (kept {} days).</p><table id=\"triage-log\"><thead><tr><th>When (UTC)</th>\
         <th>Who</th><th>Decision</th><th>Directive</th><th>Blocked</th><th>Disposition</th></tr></thead><tbody>",
        log.len(),
        crate::db::TRIAGE_LOG_DAYS
    ));
    for e in log {
        let decision = match e.state.as_str() {
            "open" => "reopened",
            other => other,
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            e.changed_at.format("%Y-%m-%d %H:%M:%S"),
            escape(&e.changed_by),
            escape(decision),
            escape(&e.directive),
            escape(&e.blocked),
            escape(&e.disposition),
        ));
    }
    out.push_str("</tbody></table>");
    out
}

/// Reports per day as an inline SVG bar chart (no script, no external
/// asset), from day `from` (`YYYY-MM-DD`) for `days` days.
fn sparkline(daily: &[(String, i64)], from: &str, days: u64) -> String {
    let start = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").ok();
    let mut bars = vec![0i64; days as usize];
    for (day, n) in daily {
        let i = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok().zip(start).map(|(d, s)| (d - s).num_days());
        if let Some(slot) = i.and_then(|i| usize::try_from(i).ok()).and_then(|i| bars.get_mut(i)) {
            *slot += n;
        }
    }
    let total: i64 = bars.iter().sum();
    let Some((peak_at, &peak)) = bars.iter().enumerate().max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i))) else {
        return String::new();
    };
    if total == 0 {
        return format!("no reports in {days} days");
    }
    let peak_day = start.map(|s| (s + chrono::Duration::days(peak_at as i64)).to_string()).unwrap_or_default();
    let (w, h) = (days as usize * 3, 20);
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{total} report{} in {days} days, most on {peak_day} ({peak})\" width=\"{w}\" \
         height=\"{h}\" viewBox=\"0 0 {w} {h}\">",
        if total == 1 { "" } else { "s" }
    );
    for (i, n) in bars.iter().enumerate().filter(|(_, n)| **n > 0) {
        let bh = ((*n as f64 / peak as f64) * h as f64).ceil().max(1.0) as usize;
        svg.push_str(&format!(
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"2\" height=\"{bh}\"></rect>",
            i * 3,
            h - bh
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A group's triage and the buttons that change it: POST forms to
/// `{base}/triage` (checked by the CSRF part), returning to `back`.
#[cfg(feature = "db")]
fn triage_cell(row: &GroupRow, base: &str, back: &str, csrf: Option<&str>) -> String {
    let g = &row.group;
    let by = || {
        format!(
            "{}, {}",
            escape(g.triaged_by.as_deref().unwrap_or("")),
            g.triaged_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
        )
    };
    let (text, buttons) = match row.status {
        "expected" => (format!("Expected ({})", by()), vec![("open", "Reopen")]),
        "fixed" => (format!("Fixed ({})", by()), vec![("open", "Reopen")]),
        "reopened" => (
            format!("Reopened: reported again after marked fixed ({})", by()),
            vec![("expected", "Expected"), ("fixed", "Fixed")],
        ),
        _ => ("Open".to_string(), vec![("expected", "Expected"), ("fixed", "Fixed")]),
    };
    let buttons: String = buttons
        .iter()
        .map(|(state, label)| format!("<button name=\"state\" value=\"{state}\">{label}</button>"))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "{text} <form class=\"t\" method=\"post\" action=\"{base}/triage\">{}\
         <input type=\"hidden\" name=\"directive\" value=\"{}\"><input type=\"hidden\" name=\"blocked\" value=\"{}\">\
         <input type=\"hidden\" name=\"disposition\" value=\"{}\"><input type=\"hidden\" name=\"back\" value=\"{}\">\
         {buttons}</form>",
        csrf.unwrap_or(""),
        escape(&g.directive),
        escape(&g.blocked),
        escape(&g.disposition),
        escape(back),
    )
}

/// The triage form the grouped view posts.
#[cfg(feature = "db")]
#[derive(rocket::FromForm)]
struct TriageForm {
    directive: String,
    blocked: String,
    disposition: String,
    state: String,
    back: Option<String>,
}

/// Longest triage form accepted (the blocked source is at most 2,048 characters).
#[cfg(feature = "db")]
const TRIAGE_BODY: u64 = 16 * 1024;

/// Records a triage decision (`POST {base}/triage`, form fields `directive`,
/// `blocked`, `disposition`, `state` = `expected` / `fixed` / `open`,
/// optional `back`): the grouped view's URL to return to (303). Runs only
/// for a request the CSRF part checked and passed (403 otherwise, logged);
/// `400` for a bad form, `413` for a body over 16 KiB, `503` when the
/// database cannot answer.
#[cfg(feature = "db")]
pub(crate) async fn triage(
    state: &Arc<CollectorState>,
    req: &Request<'_>,
    data: rocket::Data<'_>,
) -> Result<String, Status> {
    use crate::db::{Triage, TriageState};
    use rocket::data::ToByteUnit;
    if !crate::csrf::part::verified(req) {
        tracing::warn!(
            target: "security",
            "CSP dashboard triage refused: CSRF protection did not check this request; it needs \
             `security.csrf.enabled = true` in enforce mode, with the dashboard's path not exempt"
        );
        return Err(Status::Forbidden);
    }
    let body = data.open(TRIAGE_BODY.bytes()).into_string().await.map_err(|_| Status::BadRequest)?;
    if !body.is_complete() {
        return Err(Status::PayloadTooLarge);
    }
    let form = rocket::form::Form::<TriageForm>::parse_encoded(rocket::http::RawStr::new(body.as_str()))
        .map_err(|_| Status::BadRequest)?;
    let Some(to) = TriageState::parse(&form.state) else { return Err(Status::BadRequest) };
    let clean = |s: &str, max: usize| !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control);
    if !clean(&form.directive, 64)
        || !clean(&form.blocked, 2048)
        || !matches!(form.disposition.as_str(), "enforce" | "report")
    {
        return Err(Status::BadRequest);
    }
    // Back to the grouped view the form was on: its query string only, checked.
    let back = form
        .back
        .as_deref()
        .filter(|b| {
            b.len() <= 2048
                && b.starts_with('?')
                && b[1..].bytes().all(|c| c.is_ascii_alphanumeric() || b"%&=-._~".contains(&c))
        })
        .unwrap_or("");
    let who = match crate::core::principal::of(req) {
        Some(id) => id.to_string(),
        None => format!(
            "unidentified ({})",
            state.https.client_ip(req).map(|ip| ip.to_string()).unwrap_or_else(|| "unknown address".into())
        ),
    };
    let pool = state.pool.get().ok_or(Status::ServiceUnavailable)?;
    let now = crate::core::clock::SharedClock::of(req.rocket()).now();
    let write = async {
        let mut conn = pool.conn().await?;
        Triage::set(&mut conn, &form.directive, &form.blocked, &form.disposition, to, &who, now).await
    };
    if let Err(e) = write.await {
        tracing::warn!(target: "security", "CSP dashboard triage not recorded: {e}");
        return Err(Status::ServiceUnavailable);
    }
    tracing::info!(
        target: "security",
        "CSP violation group {:?} / {:?} / {} marked {} by {:?}",
        form.directive,
        form.blocked,
        form.disposition,
        to.as_str(),
        who
    );
    Ok(format!("{}/groups{back}", state.config.dashboard_path.trim_end_matches('/')))
}

/// Without a database backend there is nothing to triage.
#[cfg(not(feature = "db"))]
pub(crate) async fn triage(_: &Arc<CollectorState>, _: &Request<'_>, _: rocket::Data<'_>) -> Result<String, Status> {
    Err(Status::NotFound)
}

/// What the wizard page shows.
#[derive(serde::Serialize)]
pub(crate) struct WizardData {
    /// `report` (the report-only policy's reports) or `enforce`.
    pub(crate) disposition: String,
    /// The site's own policy for the disposition, as configured: what the proposal starts from.
    pub(crate) policy_seen: Option<String>,
    pub(crate) proposal: super::wizard::Proposal,
    /// The `Rocket.toml` snippet to paste (empty: nothing to change).
    pub(crate) snippet: String,
    /// The site's policy with the change applied (for review).
    pub(crate) proposed_policy: Option<String>,
    /// Reports this instance dropped because their `original-policy` is none the site sends.
    pub(crate) foreign_policy: u64,
    pub(crate) database_error: Option<String>,
}

/// The configuration table of the policy of `disposition`.
fn table_of(disposition: &str) -> &'static str {
    if disposition == "report" {
        "default.security.csp.report_only"
    } else {
        "default.security.csp"
    }
}

/// The wizard's proposal for the violations of `?disposition=` (default `report`).
#[cfg(feature = "db")]
pub(crate) async fn wizard(state: &Arc<CollectorState>, req: &Request<'_>) -> Result<WizardData, Status> {
    use crate::db::{GroupFilter, ViolationGroup};
    let disposition = param(req, "disposition").unwrap_or_else(|| "report".into());
    if disposition != "enforce" && disposition != "report" {
        return Err(Status::BadRequest);
    }
    let configured = crate::csp::fingerprint::KnownPolicies::of(req.rocket()).and_then(|k| k.configured(&disposition));
    let mut out = WizardData {
        disposition: disposition.clone(),
        policy_seen: configured.as_ref().map(|c| c.policy.to_string()),
        proposal: Default::default(),
        snippet: String::new(),
        proposed_policy: None,
        foreign_policy: state.counters.snapshot().dropped.get("foreign_policy").copied().unwrap_or(0),
        database_error: None,
    };
    let read = async {
        let pool = state.pool.get().ok_or_else(|| crate::db::DbError::Unavailable("no security database".into()))?;
        let mut conn = pool.conn().await?;
        let filter = GroupFilter { disposition: Some(disposition.clone()), ..Default::default() };
        // Open groups only: what an admin marked expected or fixed needs no change.
        let groups = ViolationGroup::page(&mut conn, &filter, 1000, 0).await?;
        let clients = ViolationGroup::clients(&mut conn, &disposition).await?;
        let mut seen = vec![];
        for g in groups {
            let samples = if g.blocked == "inline" {
                ViolationGroup::samples(&mut conn, &g.directive, &g.blocked, &g.disposition, 5).await?
            } else {
                vec![]
            };
            let clients = clients.get(&(g.directive.clone(), g.blocked.clone())).map_or(0, |c| c.len());
            seen.push(super::wizard::Seen {
                directive: g.directive,
                blocked: g.blocked,
                hits: g.hits,
                samples,
                clients,
            });
        }
        Ok::<_, crate::db::DbError>(seen)
    };
    match read.await {
        Ok(seen) => {
            let policy = configured.as_ref().map(|c| &c.policy);
            out.proposal = super::wizard::propose(policy, &seen);
            let whole = configured.as_ref().filter(|c| c.raw).map(|c| (&c.policy, c.extra.as_slice()));
            out.snippet = out.proposal.toml(table_of(&disposition), whole);
            out.proposed_policy = out.proposal.applied_to(policy);
        }
        Err(e) => {
            tracing::warn!(target: "security", "CSP reports dashboard (wizard): {e}");
            out.database_error = Some("the database is unavailable (details in the server log)".into());
        }
    }
    Ok(out)
}

/// Without a database backend there are no stored violations.
#[cfg(not(feature = "db"))]
pub(crate) async fn wizard(state: &Arc<CollectorState>, _: &Request<'_>) -> Result<WizardData, Status> {
    Ok(WizardData {
        disposition: "report".into(),
        policy_seen: None,
        proposal: Default::default(),
        snippet: String::new(),
        proposed_policy: None,
        foreign_policy: state.counters.snapshot().dropped.get("foreign_policy").copied().unwrap_or(0),
        database_error: Some("no database backend".into()),
    })
}

/// The wizard page under `base`.
pub(crate) fn wizard_html(d: &WizardData, base: &str, nonce: &str) -> String {
    let base = escape(base.trim_end_matches('/'));
    let other = if d.disposition == "report" { "enforce" } else { "report" };
    let mut body = format!(
        "<p><a href=\"{base}\">All violations</a> · <a href=\"{base}/groups\">By directive and blocked source</a> · \
         <a href=\"{base}/wizard?disposition={other}\">The {other} policy's reports</a> · \
         <a href=\"{base}/wizard.json?disposition={disp}\">JSON</a></p>\
         <p>From the stored reports of the <strong>{disp}</strong> policy: the smallest change to your own \
         policy, as configured, that would have allowed what browsers blocked, checked by the crate's policy \
         validator. Only plain hosts reported by at least {min} clients are proposed; nothing a report claims \
         about the policy is used. Review it before you paste it into <code>Rocket.toml</code>: a report is \
         evidence of what a page loads, not that it should. Groups marked expected or fixed in the \
         <a href=\"{base}/groups\">grouped view</a> are left out.</p>",
        min = super::wizard::MIN_CLIENTS,
        disp = escape(&d.disposition),
    );
    if let Some(e) = &d.database_error {
        body.push_str(&format!("<p class=\"error\">{}</p>", escape(e)));
    }
    body.push_str(&match &d.policy_seen {
        Some(p) => format!("<h2>Your policy, as configured</h2><pre><code>{}</code></pre>", escape(p)),
        None => "<h2>Your policy, as configured</h2><p>The site sends no such policy: the proposal starts \
                 from nothing.</p>"
            .into(),
    });
    if d.foreign_policy > 0 {
        body.push_str(&format!(
            "<p id=\"foreign-policy\">{} report(s) on this instance named a policy your site never sent \
             (rewritten on the way by a proxy or an extension, or forged): counted as <code>foreign_policy</code>, \
             not stored, never a reason to change the policy.</p>",
            d.foreign_policy
        ));
    }
    if d.snippet.is_empty() {
        body.push_str("<h2>Proposed change</h2><p>Nothing to add.</p>");
    } else {
        body.push_str(&format!("<h2>Proposed change</h2><pre><code>{}</code></pre>", escape(&d.snippet)));
        body.push_str(
            "<table><thead><tr><th>Directive</th><th>Source added</th><th>Reports it allows</th>\
             <th>Clients</th></tr></thead><tbody>",
        );
        for c in &d.proposal.changes {
            for a in &c.added {
                body.push_str(&format!(
                    "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    escape(&c.directive),
                    escape(&a.source),
                    a.hits,
                    a.clients
                ));
            }
        }
        body.push_str("</tbody></table>");
        if let Some(p) = &d.proposed_policy {
            body.push_str(&format!("<h2>The policy with the change</h2><pre><code>{}</code></pre>", escape(p)));
        }
    }
    if !d.proposal.flagged.is_empty() {
        body.push_str(
            "<h2>Not proposed</h2><table><thead><tr><th>Directive</th><th>Blocked</th><th>Reports</th>\
             <th>Instead</th></tr></thead><tbody>",
        );
        for f in &d.proposal.flagged {
            let hashes = if f.hashes.is_empty() {
                String::new()
            } else {
                let list: Vec<String> = f.hashes.iter().map(|h| format!("<code>{}</code>", escape(h))).collect();
                format!(
                    "<br>A report carried this code whole (browsers trim the whitespace around a sample, so the \
                     hash fits only an element whose content is exactly this text); if you wrote it, its hash \
                     allows exactly that: {}",
                    list.join(" ")
                )
            };
            body.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td>{}{hashes}</td></tr>",
                escape(&f.directive),
                escape(&f.blocked),
                f.hits,
                escape(&f.instead)
            ));
        }
        body.push_str("</tbody></table>");
    }
    if !d.proposal.held_back.is_empty() {
        body.push_str(
            "<h2 id=\"held-back\">Held back: reported by a single client</h2><p>One client can be one attacker \
             posting reports; these are proposed once a second client reports them.</p><table><thead><tr>\
             <th>Directive</th><th>Blocked</th><th>Reports</th><th>Clients</th></tr></thead><tbody>",
        );
        for f in &d.proposal.held_back {
            body.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&f.directive),
                escape(&f.blocked),
                f.hits,
                f.clients
            ));
        }
        body.push_str("</tbody></table>");
    }
    if !d.proposal.noise.is_empty() {
        body.push_str(
            "<h2>Left out as noise</h2><p>Browser extensions and software injected into visitors' pages: not \
             your site's code, so not a reason to change the policy.</p><table><thead><tr><th>Directive</th>\
             <th>Blocked</th><th>Reports</th></tr></thead><tbody>",
        );
        for f in &d.proposal.noise {
            body.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td></tr>",
                escape(&f.directive),
                escape(&f.blocked),
                f.hits
            ));
        }
        body.push_str("</tbody></table>");
    }
    shell("CSP policy wizard", nonce, &body)
}
