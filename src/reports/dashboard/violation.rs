//! One stored violation with its samples (up to 50, newest first):
//! `violation/<id>` as a page, `<id>.json` (`{"violation":…,"samples":[…]}`)
//! and `<id>.csv`.

use rocket::futures::future::BoxFuture;
use rocket::http::Status;

use super::view::{Answer, View};

/// How the view answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Json,
    Csv,
}

/// `violation/<id>`, `<id>.json` or `<id>.csv`; `404` for another extension, an unknown id, or no database.
pub(crate) fn view<'a>(v: &'a View<'_, '_>) -> BoxFuture<'a, Result<Answer, Status>> {
    Box::pin(async move {
        let segment = v.req.uri().path().segments().last().unwrap_or("");
        let (id, format) = match segment.rsplit_once('.') {
            None => (segment, Format::Html),
            Some((id, "json")) => (id, Format::Json),
            Some((id, "csv")) => (id, Format::Csv),
            Some(_) => return Err(Status::NotFound),
        };
        let id = id.parse::<i32>().map_err(|_| Status::NotFound)?;
        answer(v, id, format).await?.ok_or(Status::NotFound)
    })
}

#[cfg(feature = "db")]
async fn answer(v: &View<'_, '_>, id: i32, format: Format) -> Result<Option<Answer>, Status> {
    use crate::reports::{CspReport, CspViolation};
    use rocket::http::ContentType;
    let Some(pool) = v.state.pool.get() else { return Ok(None) };
    let mut conn = pool.conn().await.map_err(|_| Status::ServiceUnavailable)?;
    let Some(violation) = CspViolation::by_id(&mut conn, id).await.map_err(|_| Status::ServiceUnavailable)? else {
        return Ok(None);
    };
    let samples = CspReport::for_violation(&mut conn, id, 50).await.map_err(|_| Status::ServiceUnavailable)?;
    Ok(Some(match format {
        Format::Json => {
            let body = serde_json::json!({ "violation": violation, "samples": samples });
            Answer::new(false, ContentType::JSON, body.to_string())
        }
        Format::Csv => samples_csv(&samples),
        Format::Html => {
            let body = super::page::shell("CSP violation", &v.nonce, page(&violation, &samples, id));
            Answer::new(false, ContentType::HTML, body)
        }
    }))
}

#[cfg(not(feature = "db"))]
async fn answer(_: &View<'_, '_>, _: i32, _: Format) -> Result<Option<Answer>, Status> {
    Ok(None)
}

/// One violation's samples (`violation/<id>.csv`).
#[cfg(feature = "db")]
fn samples_csv(samples: &[crate::reports::CspReport]) -> Answer {
    let o = |o: &Option<String>| o.clone().unwrap_or_default();
    let n = |o: Option<i32>| o.map(|n| n.to_string()).unwrap_or_default();
    let mut out = super::exports::line([
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
    for s in samples {
        out.push_str(&super::exports::line([
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
    super::exports::csv("csp-violation-samples.csv", out, false)
}

/// The violation and its samples, as a page's body.
#[cfg(feature = "db")]
fn page(v: &crate::reports::CspViolation, samples: &[crate::reports::CspReport], id: i32) -> maud::Markup {
    const TIME: &str = "%Y-%m-%d %H:%M:%S";
    let e = |o: &Option<String>| o.clone().unwrap_or_else(|| "—".into());
    let n = |o: Option<i32>| o.map_or("—".to_string(), |n| n.to_string());
    maud::html! {
        p {
            code { (v.effective_directive) } " blocked " code { (v.blocked) } " on " code { (v.document_uri) }
            " (" (v.disposition) "), " (v.hits) " hits, first seen " (v.first_seen.format(TIME))
            ", last seen " (v.last_seen.format(TIME)) "."
        }
        p { "Source: " code { (e(&v.source_file)) } " line " (n(v.line_number)) }
        p {
            "Export the samples: " a href={ (id) ".csv" } { "CSV" } ", " a href={ (id) ".json" } { "JSON" }
        }
        h2 { "Samples" }
        table {
            thead { tr {
                th { "Received" } th { "Blocked URI" } th { "Sample" } th { "Format" } th { "Status" }
                th { "Client" } th { "User-Agent" }
            } }
            tbody {
                @for s in samples {
                    tr {
                        td { (s.date_received.format(TIME)) }
                        td { code { (e(&s.blocked_uri)) } }
                        td { code { (e(&s.sample)) } }
                        td { (s.report_format) }
                        td { (n(s.status_code)) }
                        td { (e(&s.sender_ip)) }
                        td { (e(&s.user_agent)) }
                    }
                }
            }
        }
    }
}
