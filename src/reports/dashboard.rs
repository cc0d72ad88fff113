//! The reports dashboard (the Django admin's role): aggregated violations,
//! filters, a detail view with samples, an hourly chart (server-rendered SVG)
//! and a JSON API, behind a guard the application provides.

use std::marker::PhantomData;
use std::sync::Arc;

use rocket::http::{ContentType, Method, Status};
use rocket::request::{FromRequest, Request};
use rocket::route::{Handler, Outcome, Route};
use rocket::Data;

use super::html::{day, escape, param, shell};
use super::state::{CollectorHandle, CollectorState};
use super::stats::CollectorStats;
use crate::core::route::Override;
use crate::csp::nonce::CspNonce;

/// The dashboard routes under `path`, each requiring guard `G`.
pub(crate) fn routes<G>(path: &str) -> Vec<Route>
where
    G: for<'r> FromRequest<'r> + Send + Sync + 'static,
{
    let base = path.trim_end_matches('/');
    vec![
        Route::ranked(-80, Method::Get, base, Page::<G>(View::List, PhantomData)),
        Route::ranked(-80, Method::Get, &format!("{base}/api"), Page::<G>(View::Api, PhantomData)),
        Route::ranked(-80, Method::Get, &format!("{base}/violation/<id>"), Page::<G>(View::Detail, PhantomData)),
        Route::ranked(-80, Method::Get, &format!("{base}/violations.csv"), Page::<G>(View::ListCsv, PhantomData)),
        Route::ranked(-80, Method::Get, &format!("{base}/groups"), Page::<G>(View::Groups, PhantomData)),
        Route::ranked(-80, Method::Get, &format!("{base}/groups.json"), Page::<G>(View::GroupsJson, PhantomData)),
        Route::ranked(-80, Method::Get, &format!("{base}/groups.csv"), Page::<G>(View::GroupsCsv, PhantomData)),
        Route::ranked(-80, Method::Get, &format!("{base}/wizard"), Page::<G>(View::Wizard, PhantomData)),
        Route::ranked(-80, Method::Get, &format!("{base}/wizard.json"), Page::<G>(View::WizardJson, PhantomData)),
        Route::ranked(-80, Method::Post, &format!("{base}/triage"), Page::<G>(View::Triage, PhantomData)),
    ]
}

#[derive(Clone, Copy)]
enum View {
    List,
    Api,
    Detail,
    ListCsv,
    Groups,
    GroupsJson,
    GroupsCsv,
    Wizard,
    WizardJson,
    Triage,
}

/// `text/csv; charset=utf-8`.
fn csv_type() -> ContentType {
    ContentType::new("text", "csv").with_params(("charset", "utf-8"))
}

struct Page<G>(View, PhantomData<fn() -> G>);

impl<G> Clone for Page<G> {
    fn clone(&self) -> Self {
        Page(self.0, PhantomData)
    }
}

#[rocket::async_trait]
impl<G> Handler for Page<G>
where
    G: for<'r> FromRequest<'r> + Send + Sync + 'static,
{
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        match req.guard::<G>().await {
            rocket::outcome::Outcome::Success(_) => {}
            rocket::outcome::Outcome::Error((status, _)) => return Outcome::Error(status),
            rocket::outcome::Outcome::Forward(status) => return Outcome::Forward((data, status)),
        }
        let Some(handle) = req.rocket().state::<CollectorHandle>() else { return Outcome::Error(Status::NotFound) };
        let state = handle.0.clone();
        if let View::Triage = self.0 {
            return match super::groups::triage(&state, req, data).await {
                Ok(to) => Outcome::from(req, rocket::response::Redirect::to(to)),
                Err(status) => Outcome::Error(status),
            };
        }
        let nonce = CspNonce::of(req).as_str().to_string();
        let policy = format!(
            "default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; form-action 'self'; base-uri 'none'; \
             frame-ancestors 'none'"
        );
        let status_of =
            |d: &DashboardData| if d.database_error.is_some() { Status::ServiceUnavailable } else { Status::Ok };
        let mut download = None;
        let (status, page) = match self.0 {
            View::Api => match data_for(&state, req).await {
                Ok(d) => (status_of(&d), (ContentType::JSON, serde_json::to_string(&d).unwrap_or_default())),
                Err(s) => return Outcome::Error(s),
            },
            View::List => match data_for(&state, req).await {
                // Links are built from the configured path, never the request's
                // (`//security/reports` would make them point at another host).
                Ok(d) => (status_of(&d), (ContentType::HTML, render_list(&d, &state.config.dashboard_path, &nonce))),
                Err(s) => return Outcome::Error(s),
            },
            View::ListCsv => match data_for(&state, req).await {
                Ok(d) => {
                    download = Some("csp-violations.csv");
                    (status_of(&d), (csv_type(), violations_csv(&d)))
                }
                Err(s) => return Outcome::Error(s),
            },
            View::Groups | View::GroupsJson | View::GroupsCsv => {
                let d = match super::groups::data(&state, req).await {
                    Ok(d) => d,
                    Err(s) => return Outcome::Error(s),
                };
                let status = if d.database_error.is_some() { Status::ServiceUnavailable } else { Status::Ok };
                let page = match self.0 {
                    View::GroupsJson => (ContentType::JSON, serde_json::to_string(&d).unwrap_or_default()),
                    View::GroupsCsv => {
                        download = Some("csp-violation-groups.csv");
                        (csv_type(), super::groups::csv(&d))
                    }
                    _ => (ContentType::HTML, super::groups::html(&d, &state.config.dashboard_path, &nonce)),
                };
                (status, page)
            }
            View::Wizard | View::WizardJson => {
                let d = match super::groups::wizard(&state, req).await {
                    Ok(d) => d,
                    Err(s) => return Outcome::Error(s),
                };
                let status = if d.database_error.is_some() { Status::ServiceUnavailable } else { Status::Ok };
                let page = match self.0 {
                    View::WizardJson => (ContentType::JSON, serde_json::to_string(&d).unwrap_or_default()),
                    _ => (ContentType::HTML, super::groups::wizard_html(&d, &state.config.dashboard_path, &nonce)),
                };
                (status, page)
            }
            View::Triage => return Outcome::Error(Status::MethodNotAllowed),
            View::Detail => {
                // `<id>`, `<id>.json` or `<id>.csv`.
                let segment = req.uri().path().segments().last().unwrap_or("");
                let (id, format) = match segment.rsplit_once('.') {
                    None => (segment, Format::Html),
                    Some((id, "json")) => (id, Format::Json),
                    Some((id, "csv")) => (id, Format::Csv),
                    Some(_) => return Outcome::Error(Status::NotFound),
                };
                let Ok(id) = id.parse::<i32>() else { return Outcome::Error(Status::NotFound) };
                if format == Format::Csv {
                    download = Some("csp-violation-samples.csv");
                }
                match detail(&state, id, &nonce, format).await {
                    Ok(Some(page)) => (Status::Ok, page),
                    Ok(None) => return Outcome::Error(Status::NotFound),
                    Err(s) => return Outcome::Error(s),
                }
            }
        };
        let mut res = Override::new((status, page))
            .set("Content-Security-Policy", policy)
            .set("Cache-Control", "no-store, max-age=0")
            .remove("Content-Security-Policy-Report-Only");
        if let Some(name) = download {
            res = res.set("Content-Disposition", format!("attachment; filename=\"{name}\""));
        }
        Outcome::from(req, res)
    }
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
    use crate::db::{CspHourly, CspViolation, ViolationFilter};
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
        match super::state::read_cluster(state, cache).await {
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
    let since = crate::core::clock::SharedClock::of(req.rocket()).now() - chrono::Duration::hours(48);
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

fn chart(hourly: &[(String, i64)]) -> String {
    if hourly.is_empty() {
        return "<p>No reports in the last 48 hours.</p>".into();
    }
    let max = hourly.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    // Wide enough for the caption even with a single hour of data.
    let (w, h, bar) = ((hourly.len() * 14 + 20).max(160), 120, 10);
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"reports per hour\" width=\"{w}\" height=\"{}\" viewBox=\"0 0 {w} {}\">",
        h + 20,
        h + 20
    );
    for (i, (hour, n)) in hourly.iter().enumerate() {
        let bh = (*n as f64 / max as f64 * h as f64).max(1.0) as usize;
        svg.push_str(&format!(
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{bar}\" height=\"{bh}\"><title>{}: {n}</title></rect>",
            10 + i * 14,
            h - bh + 5,
            escape(hour)
        ));
    }
    svg.push_str(&format!("<text x=\"10\" y=\"{}\" font-size=\"10\">max {max}/hour</text></svg>", h + 18));
    svg
}

fn stats_html(s: &CollectorStats) -> String {
    let mut out = format!(
        "<p class=\"stats\"><span>received {}</span><span>accepted {}</span><span>stored {}</span><span>logged {}</span>\
         <span>queued {}</span><span>rejected requests {}</span></p>",
        s.received, s.accepted, s.stored, s.logged, s.queued, s.rejected_requests
    );
    if s.spooled > 0 || s.recovered > 0 || s.spool_bytes > 0 {
        let age = s.spool_age_seconds.map_or_else(String::new, |a| format!(", oldest {a} s old"));
        out.push_str(&format!(
            "<p class=\"stats\"><span>spooled {} ({} bytes on disk{age})</span><span>recovered at start {}</span></p>",
            s.spooled, s.spool_bytes, s.recovered
        ));
    }
    if !s.dropped.is_empty() {
        out.push_str("<p class=\"stats\">dropped: ");
        for (reason, n) in &s.dropped {
            out.push_str(&format!("<span>{} {n}</span>", escape(reason)));
        }
        out.push_str("</p>");
    }
    out
}

fn render_list(d: &DashboardData, base: &str, nonce: &str) -> String {
    let base = base.trim_end_matches('/').to_string();
    let f = &d.filters;
    let v = |o: &Option<String>| escape(o.as_deref().unwrap_or(""));
    let mut body = String::new();
    if d.cluster.is_some() || d.cluster_unavailable {
        body.push_str("<h2>This instance</h2>");
    }
    body.push_str(&stats_html(&d.stats));
    if let Some(all) = &d.cluster {
        body.push_str("<h2>All instances</h2>");
        body.push_str(&stats_html(all));
    } else if d.cluster_unavailable {
        body.push_str(
            "<h2>All instances</h2><p>Redis (security_cache) did not answer: only this instance's counters.</p>",
        );
    }
    if !d.database {
        body.push_str("<p>The database sink is off: only the counters above are available.</p>");
    } else {
        let time = if d.retention_days == 0 {
            "violations are kept forever (<code>retention_days = 0</code>)".to_string()
        } else {
            format!("violations not seen for {} days are deleted with their samples", d.retention_days)
        };
        let cap = if d.max_violations == 0 {
            "no cap on their number (<code>max_violations = 0</code>)".to_string()
        } else {
            format!("at most {} are kept, the least recently seen deleted first", d.max_violations)
        };
        body.push_str(&format!("<p class=\"retention\">Retention: {time}; {cap}.</p>"));
    }
    if let Some(e) = &d.database_error {
        body.push_str(&format!("<p class=\"error\">{}: only the counters above are available.</p>", escape(e)));
    }
    body.push_str(&format!(
        "<form method=\"get\" action=\"{}\"><label>Directive <input name=\"directive\" placeholder=\"script-src\" \
         value=\"{}\"></label> <label>Blocked <input name=\"blocked\" placeholder=\"host or kind\" value=\"{}\"></label> \
         <label>From <input name=\"from\" type=\"date\" value=\"{}\"></label> \
         <label>To <input name=\"to\" type=\"date\" value=\"{}\"></label> <button>Filter</button></form><h2>Reports per hour (UTC, last 48 h)</h2>{}",
        escape(&base),
        v(&f.directive),
        v(&f.blocked),
        v(&f.from),
        v(&f.to),
        chart(&d.hourly)
    ));
    body.push_str(&format!(
        "<h2>Violations</h2><p><a href=\"{b}/groups\">By directive and blocked source</a> · \
         <a href=\"{b}/wizard\">Policy wizard</a> · Export: \
         <a href=\"{b}/violations.csv\">CSV</a>, <a href=\"{b}/api\">JSON</a></p><table><thead><tr><th>Directive</th>\
         <th>Blocked</th><th>Document</th><th>Disposition</th><th>Count</th><th>First seen</th><th>Last seen</th></tr>\
         </thead><tbody>",
        b = escape(&base)
    ));
    for r in &d.violations {
        body.push_str(&format!(
            "<tr><td>{}</td><td><code>{}</code></td><td><a href=\"{}/violation/{}\"><code>{}</code></a></td><td>{}</td>\
             <td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.directive),
            escape(&r.blocked),
            escape(base.trim_end_matches('/')),
            r.id,
            escape(&r.document),
            escape(&r.disposition),
            r.hits,
            escape(&r.first_seen),
            escape(&r.last_seen)
        ));
    }
    body.push_str("</tbody></table>");
    body.push_str(&refusals_html(&d.would_refuse));
    shell("CSP violation reports", nonce, &body)
}

/// The listed violations as CSV (formula-safe cells).
fn violations_csv(d: &DashboardData) -> String {
    let mut out = super::export::line([
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
        out.push_str(&super::export::line([
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
    out
}

/// The "would have refused" table of the controls in report mode.
fn refusals_html(rows: &[RefusalRow]) -> String {
    if rows.is_empty() {
        return "<h2>Would have refused (report mode)</h2><p>No control in report mode has seen a request it would \
                refuse.</p>"
            .into();
    }
    let mut out = String::from(
        "<h2>Would have refused (report mode)</h2><table><thead><tr><th>Control</th><th>Reason</th>\
         <th>All instances</th><th>This instance</th><th>Last seen</th><th>Latest examples</th></tr></thead><tbody>",
    );
    for r in rows {
        let examples: Vec<String> = r.examples.iter().map(|e| format!("<code>{}</code>", escape(e))).collect();
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.control),
            escape(&r.reason),
            r.all_instances.map_or_else(|| "-".to_string(), |n| n.to_string()),
            r.this_instance,
            escape(r.last_seen.as_deref().unwrap_or("-")),
            examples.join("<br>")
        ));
    }
    out.push_str("</tbody></table>");
    out
}

/// How the detail view answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Json,
    Csv,
}

/// A violation with its samples (up to 50, newest first), as HTML, JSON
/// (`{"violation":…,"samples":[…]}`) or CSV (formula-safe cells).
#[cfg(feature = "db")]
async fn detail(
    state: &Arc<CollectorState>,
    id: i32,
    nonce: &str,
    format: Format,
) -> Result<Option<(ContentType, String)>, Status> {
    use crate::db::{CspReport, CspViolation};
    let Some(pool) = state.pool.get() else { return Ok(None) };
    let mut conn = pool.conn().await.map_err(|_| Status::ServiceUnavailable)?;
    let Some(v) = CspViolation::by_id(&mut conn, id).await.map_err(|_| Status::ServiceUnavailable)? else {
        return Ok(None);
    };
    let samples = CspReport::for_violation(&mut conn, id, 50).await.map_err(|_| Status::ServiceUnavailable)?;
    match format {
        Format::Json => {
            let body = serde_json::json!({ "violation": v, "samples": samples });
            return Ok(Some((ContentType::JSON, body.to_string())));
        }
        Format::Csv => {
            use super::export::line;
            let o = |o: &Option<String>| o.clone().unwrap_or_default();
            let n = |o: Option<i32>| o.map(|n| n.to_string()).unwrap_or_default();
            let mut out = line([
                "received",
                "format",
                "document",
                "blocked_uri",
                "directive",
                "disposition",
                "sample",
                "status",
                "source_file",
                "line",
                "column",
                "client",
                "user_agent",
            ]);
            for s in &samples {
                out.push_str(&line([
                    s.date_received.format("%Y-%m-%d %H:%M:%S").to_string(),
                    s.report_format.clone(),
                    o(&s.document_uri),
                    o(&s.blocked_uri),
                    o(&s.effective_directive),
                    o(&s.disposition),
                    o(&s.sample),
                    n(s.status_code),
                    o(&s.source_file),
                    n(s.line_number),
                    n(s.column_number),
                    o(&s.sender_ip),
                    o(&s.user_agent),
                ]));
            }
            return Ok(Some((csv_type(), out)));
        }
        Format::Html => {}
    }
    let e = |o: &Option<String>| escape(o.as_deref().unwrap_or("—"));
    let mut body = format!(
        "<p><code>{}</code> blocked <code>{}</code> on <code>{}</code> ({}), {} hits, first seen {}, last seen {}.</p>\
         <p>Source: <code>{}</code> line {}</p><p>Export the samples: <a href=\"{id}.csv\">CSV</a>, \
         <a href=\"{id}.json\">JSON</a></p><h2>Samples</h2><table><thead><tr><th>Received</th><th>Blocked URI</th>\
         <th>Sample</th><th>Format</th><th>Status</th><th>Client</th><th>User-Agent</th></tr></thead><tbody>",
        escape(&v.effective_directive),
        escape(&v.blocked),
        escape(&v.document_uri),
        escape(&v.disposition),
        v.hits,
        v.first_seen.format("%Y-%m-%d %H:%M:%S"),
        v.last_seen.format("%Y-%m-%d %H:%M:%S"),
        e(&v.source_file),
        v.line_number.map_or("—".to_string(), |l| l.to_string()),
    );
    for s in &samples {
        body.push_str(&format!(
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.date_received.format("%Y-%m-%d %H:%M:%S"),
            e(&s.blocked_uri),
            e(&s.sample),
            escape(&s.report_format),
            s.status_code.map_or("—".to_string(), |c| c.to_string()),
            e(&s.sender_ip),
            e(&s.user_agent)
        ));
    }
    body.push_str("</tbody></table>");
    Ok(Some((ContentType::HTML, shell("CSP violation", nonce, &body))))
}

#[cfg(not(feature = "db"))]
async fn detail(_: &Arc<CollectorState>, _: i32, _: &str, _: Format) -> Result<Option<(ContentType, String)>, Status> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping_covers_html_metacharacters_and_controls() {
        assert_eq!(
            super::escape("<script>alert('x')&\"</script>\u{7}\r\n\t"),
            "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;\u{FFFD}\u{FFFD}\n\t",
            "line breaks and tabs stay (a <pre> snippet pastes as it is), other controls do not"
        );
    }
}
