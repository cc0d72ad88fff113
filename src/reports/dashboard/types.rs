//! The per-type views of every browser report besides CSP: `types` (an
//! index with each type's totals and the readiness line of each report-only
//! control), `types/<type>` (its groups, 50 a page, grouped the way a
//! person acts on them, with the fix where there is one, a sparkline per
//! day and the triage buttons; `.json` and `.csv` too) and
//! `types/<type>/<group hash>` (one group's pages and samples).

use rocket::futures::future::BoxFuture;
use rocket::http::Status;

use super::view::{Answer, View};

/// Whether `s` can be a group hash (64 hex digits); anything else is `404` unread.
pub(crate) fn is_group_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `types`: every type's totals and the readiness of each report-only control.
pub(crate) fn index<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(db::index(v))
}

/// `types/<type>`, `<type>.json` or `<type>.csv`; `404` for an unknown type or another extension.
pub(crate) fn view<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(async move {
        let segment = v.req.uri().path().segments().last().unwrap_or("");
        let (name, format) = match segment.rsplit_once('.') {
            None => (segment, Format::Html),
            Some((name, "json")) => (name, Format::Json),
            Some((name, "csv")) => (name, Format::Csv),
            Some(_) => return Err(Status::NotFound),
        };
        let t = crate::reports::ReportType::parse(name).ok_or(Status::NotFound)?;
        db::view(v, t, format).await
    })
}

/// `types/<type>/<group hash>`: one group's pages and samples; `404` for an
/// unknown type, a hash that is not 64 hex digits, or no such group.
pub(crate) fn group<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(async move {
        let segments: Vec<&str> = v.req.uri().path().segments().collect();
        let [.., name, hash] = segments.as_slice() else { return Err(Status::NotFound) };
        let t = crate::reports::ReportType::parse(name).ok_or(Status::NotFound)?;
        if !is_group_hash(hash) {
            return Err(Status::NotFound);
        }
        db::group(v, t, hash).await
    })
}

/// How a type's view answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Json,
    Csv,
}

/// Without a database backend nothing is stored to show.
#[cfg(not(feature = "db"))]
mod db {
    use super::{Answer, Format, Status, View};
    use crate::reports::ReportType;

    pub(super) async fn index(_: &View<'_, '_>) -> Result<Answer, Status> {
        Err(Status::NotFound)
    }

    pub(super) async fn view(_: &View<'_, '_>, _: ReportType, _: Format) -> Result<Answer, Status> {
        Err(Status::NotFound)
    }

    pub(super) async fn group(_: &View<'_, '_>, _: ReportType, _: &str) -> Result<Answer, Status> {
        Err(Status::NotFound)
    }
}

#[cfg(feature = "db")]
mod db {
    use maud::{html, Markup};
    use rocket::http::ContentType;

    use super::super::groups::{sparkline_days, PER_PAGE};
    use super::super::page::shell;
    use super::super::view::param;
    use super::super::{charts, exports, triage};
    use super::{Answer, Format, Status, View};
    use crate::core::clock::SharedClock;
    use crate::reports::browser::origin_of;
    use crate::reports::{
        BrowserGroup, BrowserReportRow, BrowserSampleRow, BrowserTotals, Hidden, Readiness, ReportType, TriageView,
        TriagedBrowserGroup,
    };

    /// The readiness window, in days.
    const READINESS_DAYS: i64 = 7;
    /// Pages and samples a group's view lists.
    const PAGES_SHOWN: i64 = 50;
    const SAMPLES_SHOWN: i64 = 50;

    /// The type's name on the dashboard.
    fn label(t: ReportType) -> &'static str {
        match t {
            ReportType::Coep => "COEP (Cross-Origin-Embedder-Policy)",
            ReportType::Coop => "COOP (Cross-Origin-Opener-Policy)",
            ReportType::Integrity => "Integrity-Policy",
            ReportType::PermissionsPolicy => "Permissions-Policy",
            ReportType::DocumentPolicy => "Document-Policy",
            ReportType::Deprecation => "Deprecations",
            ReportType::Intervention => "Interventions",
            ReportType::Crash => "Crashes",
            ReportType::NetworkError => "Network errors (NEL)",
        }
    }

    /// The report-only header a type's readiness is about.
    fn report_only_header(t: ReportType) -> Option<&'static str> {
        Some(match t {
            ReportType::Coep => "Cross-Origin-Embedder-Policy-Report-Only",
            ReportType::Coop => "Cross-Origin-Opener-Policy-Report-Only",
            ReportType::Integrity => "Integrity-Policy-Report-Only",
            ReportType::PermissionsPolicy => "Permissions-Policy-Report-Only",
            ReportType::DocumentPolicy => "Document-Policy-Report-Only",
            _ => return None,
        })
    }

    /// What a type's groups are grouped by, as column headings.
    fn headings(t: ReportType) -> &'static [&'static str] {
        match t {
            ReportType::Coep => &["Blocked resource", "Origin", "Destination"],
            ReportType::Coop => &["Opener relation", "Other origin"],
            ReportType::Integrity => &["Script URL", "Destination"],
            ReportType::PermissionsPolicy | ReportType::DocumentPolicy => &["Feature", "Frame"],
            ReportType::Deprecation | ReportType::Intervention => &["Id", "Message"],
            ReportType::Crash => &["Reason"],
            ReportType::NetworkError => &["Type", "Host", "Phase"],
        }
    }

    /// A group's cells under [`headings`].
    fn cells(t: ReportType, g: &BrowserGroup) -> Vec<Markup> {
        let code = |s: &str| html! { code { (s) } };
        let text = |s: &str| html! { (s) };
        match t {
            ReportType::Coep => {
                vec![code(&g.subject), code(&origin_of(&g.subject).unwrap_or_default()), text(&g.detail)]
            }
            ReportType::Coop => vec![text(&g.subject), code(&g.detail)],
            ReportType::Integrity => vec![code(&g.subject), text(&g.detail)],
            ReportType::PermissionsPolicy | ReportType::DocumentPolicy => vec![code(&g.subject), code(&g.detail)],
            ReportType::Deprecation | ReportType::Intervention => vec![code(&g.subject), text(&g.detail)],
            ReportType::Crash => vec![text(&g.subject)],
            ReportType::NetworkError => {
                let (host, phase) = g.detail.split_once(' ').unwrap_or((&g.detail, ""));
                vec![code(&g.subject), code(host), text(phase)]
            }
        }
    }

    /// What to do about a group, for the types with one fix (COEP, integrity).
    fn fix(t: ReportType, g: &BrowserGroup) -> Option<Markup> {
        match t {
            ReportType::Coep => {
                let origin = origin_of(&g.subject).unwrap_or_else(|| "its origin".into());
                Some(html! {
                    "Send " code { "Cross-Origin-Resource-Policy: cross-origin" } " from " code { (origin) }
                    " (or CORS, with " code { "crossorigin" } " on the element), or use "
                    code { "Cross-Origin-Embedder-Policy: credentialless" } "."
                })
            }
            ReportType::Integrity => Some(html! {
                "Add " code { "integrity=\"sha384-...\"" } " to the element that loads it; for the app's own files \
                 the crate's SRI helper (" code { "security.sri" } ", the " code { "Integrity" } " guard) gives the value."
            }),
            _ => None,
        }
    }

    /// What a type's view groups by, in a sentence.
    fn grouping(t: ReportType) -> &'static str {
        match t {
            ReportType::Coep => "Resources a Cross-Origin-Embedder-Policy blocked (or would have), by resource and its origin.",
            ReportType::Coop => "Window relations a Cross-Origin-Opener-Policy broke (or would have), by relation and the other side's origin.",
            ReportType::Integrity => "Scripts and styles loaded without integrity under an Integrity-Policy, by URL.",
            ReportType::PermissionsPolicy => "Features a Permissions-Policy refused (or would have), by feature and frame.",
            ReportType::DocumentPolicy => "Features a Document-Policy refused (or would have), by feature and frame.",
            ReportType::Deprecation => "APIs the browser will remove, by id, with its message.",
            ReportType::Intervention => "Things the browser refused the page, by id, with its message.",
            ReportType::Crash => "Page crashes, by reason.",
            ReportType::NetworkError => "Failed requests Network Error Logging reported, by error type, host and phase.",
        }
    }

    /// The CSV export's file name.
    fn csv_name(t: ReportType) -> &'static str {
        match t {
            ReportType::Coep => "coep-groups.csv",
            ReportType::Coop => "coop-groups.csv",
            ReportType::Integrity => "integrity-violation-groups.csv",
            ReportType::PermissionsPolicy => "permissions-policy-violation-groups.csv",
            ReportType::DocumentPolicy => "document-policy-violation-groups.csv",
            ReportType::Deprecation => "deprecation-groups.csv",
            ReportType::Intervention => "intervention-groups.csv",
            ReportType::Crash => "crash-groups.csv",
            ReportType::NetworkError => "network-error-groups.csv",
        }
    }

    /// The database's error for the page, logged.
    fn unavailable(view: &str, e: impl std::fmt::Display) -> String {
        tracing::warn!(target: "security", "reports dashboard ({view}): {e}");
        "the database is unavailable (details in the server log)".into()
    }

    /// The links every per-type page starts with.
    fn nav(base: &str) -> Markup {
        html! {
            a href=(base) { "All violations" }
            " · "
            a href={ (base) "/groups" } { "By directive and blocked source" }
            " · "
            a href={ (base) "/types" } { "Other report types" }
        }
    }

    /// One type's line on the index.
    struct TypeLine {
        t: ReportType,
        totals: Option<BrowserTotals>,
        readiness: Option<Readiness>,
    }

    pub(super) async fn index(v: &View<'_, '_>) -> Result<Answer, Status> {
        let now = SharedClock::of(v.req.rocket()).now();
        let mut lines: Vec<TypeLine> =
            ReportType::ALL.into_iter().map(|t| TypeLine { t, totals: None, readiness: None }).collect();
        let mut error = None;
        match v.state.pool.get() {
            None => error = Some("no security database is attached".to_string()),
            Some(pool) => {
                let read = async {
                    let mut conn = pool.conn().await?;
                    let totals = BrowserTotals::all(&mut conn).await?;
                    let mut ready = vec![];
                    for t in ReportType::ALL.into_iter().filter(|t| t.has_report_only()) {
                        ready.push((t, Readiness::of(&mut conn, t, now, READINESS_DAYS).await?));
                    }
                    Ok::<_, crate::db::DbError>((totals, ready))
                };
                match read.await {
                    Ok((totals, ready)) => {
                        for line in &mut lines {
                            line.totals = totals.iter().find(|x| x.report_type == line.t.as_str()).cloned();
                            line.readiness = ready.iter().find(|(t, _)| *t == line.t).map(|(_, r)| *r);
                        }
                    }
                    Err(e) => error = Some(unavailable("types", e)),
                }
            }
        }
        let base = v.base();
        let body = html! {
            p { (nav(base)) }
            @if let Some(e) = &error { p class="error" { (e) } }
            h2 { "Readiness of report-only controls" }
            p { "Report-only reports in the last " (READINESS_DAYS) " days and the pages they came from; none: safe to enforce." }
            @if error.is_none() {
                ul id="readiness" {
                    @for line in &lines {
                        @if let (Some(header), Some(r)) = (report_only_header(line.t), line.readiness) {
                            li id={ "readiness-" (line.t) } { (header) ": " (r.verdict()) }
                        }
                    }
                }
            }
            h2 { "Report types" }
            table {
                thead { tr {
                    th { "Type" } th { "Groups" } th { "Reports" } th { "Pages" } th { "Last seen" }
                } }
                tbody {
                    @for line in &lines {
                        tr id={ "type-" (line.t) } {
                            td { a href={ (base) "/types/" (line.t) } { (label(line.t)) } " " code { (line.t) } }
                            @match &line.totals {
                                Some(x) => {
                                    td class="n" { (x.groups) } td class="n" { (x.hits) } td class="n" { (x.pages) }
                                    td { (x.last_seen.format("%Y-%m-%d %H:%M")) }
                                }
                                None => { td class="n" { "0" } td class="n" { "0" } td class="n" { "0" } td { "never" } }
                            }
                        }
                    }
                }
            }
        };
        let page = shell("Browser reports by type", &v.nonce, body);
        Ok(Answer::new(error.is_some(), ContentType::HTML, page))
    }

    /// The query of a type's view: `triage` (`open`, the default,
    /// `expected`, `fixed`, `all`), `page` (from 1); `400` otherwise.
    #[derive(Debug, Clone, Copy, serde::Serialize)]
    struct TypeQuery {
        triage: TriageView,
        page: u64,
    }

    impl TypeQuery {
        fn of(v: &View<'_, '_>) -> Result<Self, Status> {
            let triage = match param(v.req, "triage") {
                None => TriageView::Open,
                Some(t) => TriageView::parse(&t).ok_or(Status::BadRequest)?,
            };
            let page = match param(v.req, "page") {
                None => 1,
                Some(p) => p.parse::<u64>().ok().filter(|p| (1..=1_000_000).contains(p)).ok_or(Status::BadRequest)?,
            };
            Ok(TypeQuery { triage, page })
        }

        /// `?triage=…&page=…`, each only when not the default.
        fn query_string(self, triage: TriageView, page: u64) -> String {
            let mut parts = vec![];
            if triage != TriageView::Open {
                parts.push(format!("triage={}", triage.as_str()));
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

    /// Everything a type's view shows.
    #[derive(serde::Serialize)]
    struct TypeData {
        report_type: ReportType,
        query: TypeQuery,
        per_page: u32,
        /// The next page's number, if there is one.
        next_page: Option<u64>,
        groups: Vec<TypeGroup>,
        /// The sparklines' first day (`YYYY-MM-DD`, UTC) and length in days.
        days_from: String,
        days: u64,
        /// Groups (and reports) marked expected that the default view hides.
        hidden: Option<Hidden>,
        #[serde(skip)]
        csrf_field: Option<Markup>,
        /// Set when the database could not be read (details in the log; status 503).
        database_error: Option<String>,
    }

    /// A group with its state and reports per day.
    #[derive(serde::Serialize)]
    struct TypeGroup {
        #[serde(flatten)]
        group: TriagedBrowserGroup,
        /// `open`, `expected`, `fixed` or `reopened`.
        status: &'static str,
        /// The origin of a COEP group's blocked resource.
        #[serde(skip_serializing_if = "Option::is_none")]
        origin: Option<String>,
        /// Reports per UTC day (`YYYY-MM-DD`) with any, oldest first.
        daily: Vec<(String, i64)>,
    }

    async fn data(v: &View<'_, '_>, t: ReportType) -> Result<TypeData, Status> {
        let query = TypeQuery::of(v)?;
        let days = sparkline_days(v.state.config.retention_days);
        let since = SharedClock::of(v.req.rocket()).now() - chrono::Duration::days(days as i64 - 1);
        let mut out = TypeData {
            report_type: t,
            query,
            per_page: PER_PAGE,
            next_page: None,
            groups: vec![],
            days_from: since.format("%Y-%m-%d").to_string(),
            days,
            hidden: None,
            csrf_field: crate::csrf::token::form_field(v.req).await,
            database_error: None,
        };
        let Some(pool) = v.state.pool.get() else {
            out.database_error = Some("no security database is attached".into());
            return Ok(out);
        };
        let offset = i64::try_from((query.page - 1) * u64::from(PER_PAGE)).unwrap_or(i64::MAX);
        let read = async {
            let mut conn = pool.conn().await?;
            // One more than a page: whether there is a next one.
            let mut rows = BrowserGroup::triaged(&mut conn, t, query.triage, i64::from(PER_PAGE) + 1, offset).await?;
            let more = rows.len() > PER_PAGE as usize;
            rows.truncate(PER_PAGE as usize);
            let hashes: Vec<String> = rows.iter().map(|g| g.group.group_hash.clone()).collect();
            let daily = BrowserGroup::days(&mut conn, &hashes, since).await?;
            let hidden = match query.triage {
                TriageView::Open => Some(BrowserGroup::expected(&mut conn, t).await?),
                _ => None,
            };
            Ok::<_, crate::db::DbError>((rows, daily, hidden, more))
        };
        match read.await {
            Ok((rows, daily, hidden, more)) => {
                out.hidden = hidden;
                if more {
                    out.next_page = Some(query.page + 1);
                }
                out.groups = rows
                    .into_iter()
                    .map(|group| {
                        let daily = daily
                            .iter()
                            .filter(|d| d.group_hash == group.group.group_hash)
                            .map(|d| (d.day.format("%Y-%m-%d").to_string(), d.hits))
                            .collect();
                        let origin = (t == ReportType::Coep).then(|| origin_of(&group.group.subject)).flatten();
                        TypeGroup { status: group.status(), group, origin, daily }
                    })
                    .collect();
            }
            Err(e) => out.database_error = Some(unavailable("types", e)),
        }
        Ok(out)
    }

    pub(super) async fn view(v: &View<'_, '_>, t: ReportType, format: Format) -> Result<Answer, Status> {
        let d = data(v, t).await?;
        let error = d.database_error.is_some();
        Ok(match format {
            Format::Json => exports::json(&d, error),
            Format::Csv => exports::csv(csv_name(t), csv(&d), error),
            Format::Html => {
                let title = format!("{} reports", label(t));
                Answer::new(error, ContentType::HTML, shell(&title, &v.nonce, page(&d, v.base())))
            }
        })
    }

    /// A type's groups as CSV.
    fn csv(d: &TypeData) -> String {
        let mut out = exports::line([
            "report_type",
            "disposition",
            "subject",
            "detail",
            "reports",
            "pages",
            "first_seen",
            "last_seen",
            "status",
            "triaged_by",
            "triaged_at",
            "group_hash",
        ]);
        for TypeGroup { group, status, .. } in &d.groups {
            let g = &group.group;
            out.push_str(&exports::line([
                g.report_type.clone(),
                g.disposition.clone(),
                g.subject.clone(),
                g.detail.clone(),
                g.hits.to_string(),
                g.pages.to_string(),
                g.first_seen.format("%Y-%m-%d %H:%M:%S").to_string(),
                g.last_seen.format("%Y-%m-%d %H:%M:%S").to_string(),
                status.to_string(),
                group.triaged_by.clone().unwrap_or_default(),
                group.triaged_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default(),
                g.group_hash.clone(),
            ]));
        }
        out
    }

    /// A type's view, its links under `base`.
    fn page(d: &TypeData, base: &str) -> Markup {
        let t = d.report_type;
        let q = d.query;
        let qs = q.query_string(q.triage, q.page);
        let here = format!("{base}/types/{t}");
        let plural = |n: i64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let has_fix = matches!(t, ReportType::Coep | ReportType::Integrity);
        html! {
            p {
                (nav(base))
                " · Export this view: "
                a href={ (here) ".csv" (qs) } { "CSV" }
                ", "
                a href={ (here) ".json" (qs) } { "JSON" }
            }
            p { (grouping(t)) }
            form method="get" action=(here) {
                label {
                    "Show "
                    select name="triage" {
                        @for view in [TriageView::Open, TriageView::Expected, TriageView::Fixed, TriageView::All] {
                            option value=(view.as_str()) selected[view == q.triage] { (view.as_str()) }
                        }
                    }
                }
                " "
                button { "Filter" }
            }
            @if let Some(e) = &d.database_error { p class="error" { (e) } }
            @if let Some(h) = d.hidden.filter(|h| h.groups > 0) {
                p id="hidden" {
                    "Hidden: " (plural(h.groups, "group")) " marked expected (" (plural(h.hits, "report")) "). "
                    a href={ (here) (q.query_string(TriageView::Expected, 1)) } { "Show them" }
                    "."
                }
            }
            @if d.groups.is_empty() && d.database_error.is_none() {
                p { "No " (label(t)) " reports to show." }
            } @else {
                table id="groups" {
                    thead { tr {
                        @for h in headings(t) { th { (h) } }
                        th { "Disposition" } th { "Reports" } th { "Pages" } th { "First seen" } th { "Last seen" }
                        th { "Last " (d.days) " days" }
                        @if has_fix { th { "Fix" } }
                        th { "Triage" }
                    } }
                    tbody {
                        @for row in &d.groups {
                            @let g = &row.group.group;
                            tr {
                                @for c in cells(t, g) { td { (c) } }
                                td { (g.disposition) }
                                td class="n" { (g.hits) }
                                td class="n" { a href={ (here) "/" (g.group_hash) } { (plural(g.pages, "page")) } }
                                td { (g.first_seen.format("%Y-%m-%d %H:%M")) }
                                td { (g.last_seen.format("%Y-%m-%d %H:%M")) }
                                td { (charts::sparkline(&row.daily, &d.days_from, d.days)) }
                                @if let Some(f) = fix(t, g) { td { (f) } }
                                td { (triage::browser_cell(&row.group, base, &qs, d.csrf_field.as_ref())) }
                            }
                        }
                    }
                }
            }
            nav aria-label="pages" {
                p {
                    @if q.page > 1 {
                        a href={ (here) (q.query_string(q.triage, q.page - 1)) } { "Previous page" }
                        " "
                    }
                    "Page " (q.page)
                    @if let Some(next) = d.next_page {
                        " "
                        a href={ (here) (q.query_string(q.triage, next)) } { "Next page" }
                    }
                }
            }
        }
    }

    pub(super) async fn group(v: &View<'_, '_>, t: ReportType, hash: &str) -> Result<Answer, Status> {
        let Some(pool) = v.state.pool.get() else { return Err(Status::NotFound) };
        let read = async {
            let mut conn = pool.conn().await?;
            let Some(g) = BrowserGroup::find(&mut conn, t, hash).await? else { return Ok(None) };
            let pages = BrowserReportRow::of_group(&mut conn, hash, PAGES_SHOWN).await?;
            let samples = BrowserSampleRow::of_group(&mut conn, hash, SAMPLES_SHOWN).await?;
            Ok::<_, crate::db::DbError>(Some((g, pages, samples)))
        };
        let (g, pages, samples) = match read.await {
            Ok(found) => found.ok_or(Status::NotFound)?,
            Err(e) => {
                unavailable("types", e);
                return Err(Status::ServiceUnavailable);
            }
        };
        let base = v.base();
        let here = format!("{base}/types/{t}");
        let csrf = crate::csrf::token::form_field(v.req).await;
        let b = &g.group;
        let body = html! {
            p { (nav(base)) " · " a href=(here) { "All " (label(t)) " groups" } }
            table id="group" {
                tbody {
                    @for (h, c) in headings(t).iter().zip(cells(t, b)) { tr { th { (h) } td { (c) } } }
                    tr { th { "Disposition" } td { (b.disposition) } }
                    tr { th { "Reports" } td { (b.hits) } }
                    tr { th { "Pages" } td { (b.pages) } }
                    tr { th { "First seen" } td { (b.first_seen.format("%Y-%m-%d %H:%M:%S")) } }
                    tr { th { "Last seen" } td { (b.last_seen.format("%Y-%m-%d %H:%M:%S")) } }
                    @if let Some(f) = fix(t, b) { tr { th { "Fix" } td { (f) } } }
                    tr { th { "Triage" } td { (triage::browser_cell(&g, base, "", csrf.as_ref())) } }
                }
            }
            h2 { "Pages" }
            p { "The " (pages.len()) " pages with the most reports (at most " (PAGES_SHOWN) ")." }
            table id="pages" {
                thead { tr { th { "Page" } th { "Reports" } th { "First seen" } th { "Last seen" } } }
                tbody {
                    @for r in &pages {
                        tr {
                            td { code { (r.document_uri) } }
                            td class="n" { (r.hits) }
                            td { (r.first_seen.format("%Y-%m-%d %H:%M")) }
                            td { (r.last_seen.format("%Y-%m-%d %H:%M")) }
                        }
                    }
                }
            }
            h2 { "Samples" }
            p { "The " (samples.len()) " newest samples (at most " (SAMPLES_SHOWN) "), as the browser sent them (its type's fields only)." }
            table id="samples" {
                thead { tr { th { "Received (UTC)" } th { "Page" } th { "Browser" } th { "Report" } } }
                tbody {
                    @for s in &samples {
                        tr {
                            td { (s.date_received.format("%Y-%m-%d %H:%M:%S")) }
                            td { code { (s.url.as_deref().unwrap_or("")) } }
                            td { (s.user_agent.as_deref().unwrap_or("")) }
                            td { pre { (s.body) } }
                        }
                    }
                }
            }
        };
        let title = format!("{}: one group", label(t));
        Ok(Answer::new(false, ContentType::HTML, shell(&title, &v.nonce, body)))
    }
}
