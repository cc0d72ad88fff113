//! What every dashboard view gets (the request, the collector, the nonce)
//! and answers, and the query parameters it reads.

use std::sync::Arc;

use rocket::http::{ContentType, Status};
use rocket::request::Request;

use crate::reports::state::CollectorState;

/// What a view answers: a page or an export, with its status.
pub(crate) struct Answer {
    pub(crate) status: Status,
    pub(crate) content_type: ContentType,
    pub(crate) body: String,
    /// A download's file name (`Content-Disposition: attachment`).
    pub(crate) download: Option<&'static str>,
}

impl Answer {
    /// `200`, or `503` when the database could not be read (the page still shows what it can).
    pub(crate) fn new(database_error: bool, content_type: ContentType, body: String) -> Self {
        let status = if database_error { Status::ServiceUnavailable } else { Status::Ok };
        Answer { status, content_type, body, download: None }
    }

    /// The same, as a download named `name`.
    pub(crate) fn download(self, name: &'static str) -> Self {
        Answer { download: Some(name), ..self }
    }
}

/// What a view gets: the request, the collector and the response's CSP nonce.
pub(crate) struct View<'a, 'r> {
    pub(crate) req: &'r Request<'a>,
    pub(crate) state: Arc<CollectorState>,
    pub(crate) nonce: String,
}

impl View<'_, '_> {
    /// The configured dashboard path without its trailing `/`. Links are
    /// built from it, never from the request's path (`//security/reports`
    /// would make them point at another host).
    pub(crate) fn base(&self) -> &str {
        self.state.config.dashboard_path.trim_end_matches('/')
    }
}

/// The trimmed, non-empty query parameter `name` (at most 256 characters).
pub(crate) fn param(req: &Request<'_>, name: &str) -> Option<String> {
    req.query_value::<&str>(name)
        .and_then(Result::ok)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(256).collect())
}

/// A `YYYY-MM-DD` day as its first (or, with `end`, last) instant; `400` otherwise.
pub(crate) fn day(s: &Option<String>, end: bool) -> Result<Option<chrono::NaiveDateTime>, Status> {
    let Some(s) = s else { return Ok(None) };
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| Status::BadRequest)?;
    Ok(if end { d.and_hms_micro_opt(23, 59, 59, 999_999) } else { d.and_hms_opt(0, 0, 0) })
}
