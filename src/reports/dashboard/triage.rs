//! Triage of CSP violation groups and browser report groups: the views'
//! buttons and the grouped view's log, and the `POST {base}/triage` (CSP)
//! and `POST {base}/types/triage` (every other type) that record a decision
//! (`expected`: hidden, still counted; `fixed`: hidden until it recurs;
//! `open` again), with who and when, in the database every instance reads.

use std::sync::Arc;

use rocket::futures::future::BoxFuture;
use rocket::http::Status;
use rocket::{Data, Request};

#[cfg(feature = "db")]
use crate::core::clock::SharedClock;
use crate::reports::state::CollectorState;

/// How many triage decisions the grouped view lists.
#[cfg(feature = "db")]
pub(crate) const LOG_SHOWN: i64 = 20;

/// The newest triage decisions as a table.
#[cfg(feature = "db")]
pub(crate) fn log(log: &[crate::reports::TriageEvent]) -> maud::Markup {
    maud::html! {
        h2 { "Triage log" }
        @if log.is_empty() {
            p { "No triage decisions yet." }
        } @else {
            p { "The " (log.len()) " newest decisions, newest first (kept " (crate::reports::TRIAGE_LOG_DAYS) " days)." }
            table id="triage-log" {
                thead { tr {
                    th { "When (UTC)" } th { "Who" } th { "Decision" } th { "Directive" } th { "Blocked" }
                    th { "Disposition" }
                } }
                tbody {
                    @for e in log {
                        tr {
                            td { (e.changed_at.format("%Y-%m-%d %H:%M:%S")) }
                            td { (e.changed_by) }
                            td { @if e.state == "open" { "reopened" } @else { (e.state) } }
                            td { (e.directive) }
                            td { code { (e.blocked) } }
                            td { (e.disposition) }
                        }
                    }
                }
            }
        }
    }
}

/// A group's triage (`status`) and the buttons that change it: POST forms to
/// `{base}/triage` (checked by the CSRF part), returning to `back`, with
/// the CSRF token's hidden input `csrf` (token mode).
#[cfg(feature = "db")]
pub(crate) fn cell(
    g: &crate::reports::ViolationGroup,
    status: &str,
    base: &str,
    back: &str,
    csrf: Option<&maud::Markup>,
) -> maud::Markup {
    let group = maud::html! {
        input type="hidden" name="directive" value=(g.directive);
        input type="hidden" name="blocked" value=(g.blocked);
        input type="hidden" name="disposition" value=(g.disposition);
    };
    decision(status, g.triaged_by.as_deref(), g.triaged_at, &format!("{base}/triage"), group, back, csrf)
}

/// A browser report group's triage and its buttons: POST forms to
/// `{base}/types/triage`, returning to the type's view with query `back`.
#[cfg(feature = "db")]
pub(crate) fn browser_cell(
    g: &crate::reports::TriagedBrowserGroup,
    base: &str,
    back: &str,
    csrf: Option<&maud::Markup>,
) -> maud::Markup {
    let group = maud::html! {
        input type="hidden" name="type" value=(g.group.report_type);
        input type="hidden" name="group" value=(g.group.group_hash);
    };
    decision(g.status(), g.triaged_by.as_deref(), g.triaged_at, &format!("{base}/types/triage"), group, back, csrf)
}

/// The words for `status` (decided by `by` at `at`) and the form posting to
/// `action` the `group`'s fields and the buttons that change it.
#[cfg(feature = "db")]
fn decision(
    status: &str,
    by: Option<&str>,
    at: Option<chrono::NaiveDateTime>,
    action: &str,
    group: maud::Markup,
    back: &str,
    csrf: Option<&maud::Markup>,
) -> maud::Markup {
    let at = at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
    let by = maud::html! { (by.unwrap_or("")) ", " (at) };
    let buttons: &[(&str, &str)] = match status {
        "expected" | "fixed" => &[("open", "Reopen")],
        _ => &[("expected", "Expected"), ("fixed", "Fixed")],
    };
    maud::html! {
        @match status {
            "expected" => { "Expected (" (by) ")" }
            "fixed" => { "Fixed (" (by) ")" }
            "reopened" => { "Reopened: reported again after marked fixed (" (by) ")" }
            _ => { "Open" }
        }
        " "
        form class="t" method="post" action=(action) {
            @if let Some(csrf) = csrf { (csrf) }
            (group)
            input type="hidden" name="back" value=(back);
            @for (i, (state, label)) in buttons.iter().enumerate() {
                @if i > 0 { " " }
                button name="state" value=(state) { (label) }
            }
        }
    }
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
pub(crate) fn post<'r>(
    state: Arc<CollectorState>,
    req: &'r Request<'_>,
    data: Data<'r>,
) -> BoxFuture<'r, Result<String, Status>> {
    Box::pin(record(state, req, data))
}

#[cfg(feature = "db")]
async fn record(state: Arc<CollectorState>, req: &Request<'_>, data: Data<'_>) -> Result<String, Status> {
    use crate::reports::{Triage, TriageState};
    let form: TriageForm = checked_form(req, data).await?;
    let Some(to) = TriageState::parse(&form.state) else { return Err(Status::BadRequest) };
    let clean = |s: &str, max: usize| !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control);
    if !clean(&form.directive, 64)
        || !clean(&form.blocked, 2048)
        || !matches!(form.disposition.as_str(), "enforce" | "report")
    {
        return Err(Status::BadRequest);
    }
    let back = back(form.back.as_deref());
    let who = who(&state, req);
    let pool = state.pool.get().ok_or(Status::ServiceUnavailable)?;
    let now = SharedClock::of(req.rocket()).now();
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

/// The form of a triage POST, once the CSRF part checked and passed the
/// request (403 otherwise, logged): `400` for a bad form, `413` for a body
/// over 16 KiB.
#[cfg(feature = "db")]
async fn checked_form<T>(req: &Request<'_>, data: Data<'_>) -> Result<T, Status>
where
    T: for<'f> rocket::form::FromForm<'f> + Send + 'static,
{
    use rocket::data::ToByteUnit;
    if !crate::csrf::part::verified(req) {
        tracing::warn!(
            target: "security",
            "reports dashboard triage refused: CSRF protection did not check this request; it needs \
             `security.csrf.enabled = true` in enforce mode, with the dashboard's path not exempt"
        );
        return Err(Status::Forbidden);
    }
    let body = data.open(TRIAGE_BODY.bytes()).into_string().await.map_err(|_| Status::BadRequest)?;
    if !body.is_complete() {
        return Err(Status::PayloadTooLarge);
    }
    rocket::form::Form::<T>::parse_encoded(rocket::http::RawStr::new(body.as_str())).map_err(|_| Status::BadRequest)
}

/// The view to go back to: its query string only, checked (else none).
#[cfg(feature = "db")]
fn back(back: Option<&str>) -> &str {
    back.filter(|b| {
        b.len() <= 2048
            && b.starts_with('?')
            && b[1..].bytes().all(|c| c.is_ascii_alphanumeric() || b"%&=-._~".contains(&c))
    })
    .unwrap_or("")
}

/// Who decided: the user id `LoginRequired` saw, else the client's address.
#[cfg(feature = "db")]
fn who(state: &CollectorState, req: &Request<'_>) -> String {
    match crate::core::principal::of(req) {
        Some(id) => id.to_string(),
        None => format!(
            "unidentified ({})",
            state.https.client_ip(req).map(|ip| ip.to_string()).unwrap_or_else(|| "unknown address".into())
        ),
    }
}

/// The triage form of the per-type views.
#[cfg(feature = "db")]
#[derive(rocket::FromForm)]
struct BrowserTriageForm {
    #[field(name = "type")]
    report_type: String,
    group: String,
    state: String,
    back: Option<String>,
}

/// Records a triage decision on a browser report group (`POST
/// {base}/types/triage`, form fields `type` (a [`ReportType`](crate::reports::ReportType)
/// name), `group` (its 64-hex group hash), `state` = `expected` / `fixed` /
/// `open`, optional `back`): the type's view to return to (303). The same
/// checks and answers as [`post`].
pub(crate) fn post_browser<'r>(
    state: Arc<CollectorState>,
    req: &'r Request<'_>,
    data: Data<'r>,
) -> BoxFuture<'r, Result<String, Status>> {
    Box::pin(record_browser(state, req, data))
}

#[cfg(feature = "db")]
async fn record_browser(state: Arc<CollectorState>, req: &Request<'_>, data: Data<'_>) -> Result<String, Status> {
    use crate::reports::{BrowserTriage, ReportType, TriageState};
    let form: BrowserTriageForm = checked_form(req, data).await?;
    let t = ReportType::parse(&form.report_type).ok_or(Status::BadRequest)?;
    let to = TriageState::parse(&form.state).ok_or(Status::BadRequest)?;
    if !super::types::is_group_hash(&form.group) {
        return Err(Status::BadRequest);
    }
    let back = back(form.back.as_deref());
    let who = who(&state, req);
    let pool = state.pool.get().ok_or(Status::ServiceUnavailable)?;
    let now = SharedClock::of(req.rocket()).now();
    let write = async {
        let mut conn = pool.conn().await?;
        BrowserTriage::set(&mut conn, t, &form.group, to, &who, now).await
    };
    if let Err(e) = write.await {
        tracing::warn!(target: "security", "reports dashboard triage not recorded: {e}");
        return Err(Status::ServiceUnavailable);
    }
    tracing::info!(target: "security", "{t} report group {} marked {} by {:?}", form.group, to.as_str(), who);
    Ok(format!("{}/types/{t}{back}", state.config.dashboard_path.trim_end_matches('/')))
}

#[cfg(not(feature = "db"))]
async fn record_browser(_: Arc<CollectorState>, _: &Request<'_>, _: Data<'_>) -> Result<String, Status> {
    Err(Status::NotFound)
}

/// Without a database backend there is nothing to triage.
#[cfg(not(feature = "db"))]
async fn record(_: Arc<CollectorState>, _: &Request<'_>, _: Data<'_>) -> Result<String, Status> {
    Err(Status::NotFound)
}
