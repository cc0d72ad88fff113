//! The ingestion endpoint: `POST` (and the CORS preflight) at the configured path.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rocket::data::ToByteUnit;
use rocket::http::{Header, Method, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::route::{Handler, Outcome, Route};
use rocket::tokio::io::AsyncReadExt;
use rocket::Data;

use super::filter::host_allowed;

/// Most violation lines one report request writes to the log (the rest is
/// counted in one summary line), so a batch cannot flood the log.
const LOG_LINES_PER_REQUEST: usize = 10;
use super::normalize::{effective_directive, host_of, to_storage};
use super::parse::{parse, ReportFormat};
use super::state::CollectorState;
use super::stats::{Counters, DropReason};

/// What goes to the database writer (without a database: nowhere).
#[cfg(feature = "db")]
use super::queue::Queued;
#[cfg(not(feature = "db"))]
#[allow(dead_code, clippy::large_enum_variant)] // built, then dropped: no database to write to
enum Queued {
    Csp(super::ViolationKey, super::NewCspReport),
    Browser(super::BrowserKey, super::BrowserSample),
}

/// The endpoint's answer: a status, no body.
struct Answer {
    status: Status,
    retry_after: Option<u64>,
}

impl<'r> Responder<'r, 'static> for Answer {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Response::build();
        res.status(self.status).header(Header::new("Access-Control-Allow-Origin", "*"));
        if let Some(secs) = self.retry_after {
            res.header(Header::new("Retry-After", secs.to_string()));
        }
        if self.status == Status::MethodNotAllowed {
            res.header(Header::new("Allow", "POST, OPTIONS"));
        }
        Ok(res.finalize())
    }
}

/// The routes of the endpoint at the configured path.
pub(crate) fn routes(state: &Arc<CollectorState>) -> Vec<Route> {
    let path = state.config.path.as_str();
    let mut routes = vec![
        Route::ranked(-90, Method::Post, path, Ingest(state.clone())),
        Route::ranked(-90, Method::Options, path, Preflight),
    ];
    for m in [Method::Get, Method::Put, Method::Delete, Method::Patch] {
        routes.push(Route::ranked(-90, m, path, NotAllowed));
    }
    routes
}

#[derive(Clone)]
struct Ingest(Arc<CollectorState>);

#[derive(Clone)]
struct Preflight;

#[derive(Clone)]
struct NotAllowed;

#[rocket::async_trait]
impl Handler for Ingest {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        let answer = self.0.ingest(req, data).await;
        if answer.status.code >= 400 {
            Counters::add(&self.0.counters.rejected_requests, 1);
        }
        Outcome::from(req, answer)
    }
}

#[rocket::async_trait]
impl Handler for Preflight {
    async fn handle<'r>(&self, _: &'r Request<'_>, _: Data<'r>) -> Outcome<'r> {
        // Any Origin: the report's document URL is what gets checked, not the uploader.
        let res = Response::build()
            .status(Status::NoContent)
            .header(Header::new("Access-Control-Allow-Origin", "*"))
            .header(Header::new("Access-Control-Allow-Methods", "POST, OPTIONS"))
            .header(Header::new("Access-Control-Allow-Headers", "content-type"))
            .header(Header::new("Access-Control-Max-Age", "86400"))
            .finalize();
        Outcome::Success(res)
    }
}

#[rocket::async_trait]
impl Handler for NotAllowed {
    async fn handle<'r>(&self, req: &'r Request<'_>, _: Data<'r>) -> Outcome<'r> {
        Outcome::from(req, Answer { status: Status::MethodNotAllowed, retry_after: None })
    }
}

fn format_of(req: &Request<'_>) -> Option<ReportFormat> {
    let ct = req.content_type()?;
    match (ct.top().as_str().to_ascii_lowercase().as_str(), ct.sub().as_str().to_ascii_lowercase().as_str()) {
        ("application", "csp-report") => Some(ReportFormat::CspReport),
        ("application", "reports+json") => Some(ReportFormat::ReportsJson),
        ("application", "json") => Some(ReportFormat::Json),
        _ => None,
    }
}

fn status(status: Status) -> Answer {
    Answer { status, retry_after: None }
}

impl CollectorState {
    async fn ingest<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Answer {
        let Some(format) = format_of(req) else { return status(Status::UnsupportedMediaType) };
        // While the application shuts down: 503, so that every report answered
        // 204 is in the final flush (which waits for the requests admitted here).
        let Some(_taking) = self.take() else {
            return Answer { status: Status::ServiceUnavailable, retry_after: Some(5) };
        };
        // A declared length over the limit is refused before reading anything.
        let declared = req.headers().get_one("Content-Length").and_then(|l| l.trim().parse::<u64>().ok());
        if declared.is_some_and(|l| l > self.config.max_body) {
            return status(Status::PayloadTooLarge);
        }
        // Read straight into a buffer sized by the declared length (one byte
        // over the limit tells a body that is too large).
        let limit = self.config.max_body;
        // Reserved up front only up to 16 KiB: a client's declaration is not memory it may pin.
        let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(limit).min(16 * 1024) as usize);
        let mut stream = data.open((limit + 1).bytes());
        match rocket::tokio::time::timeout(self.config.body_timeout, stream.read_to_end(&mut body)).await {
            Err(_) => return status(Status::RequestTimeout),
            Ok(Err(_)) => return status(Status::BadRequest),
            Ok(Ok(_)) if body.len() as u64 > limit => return status(Status::PayloadTooLarge),
            Ok(Ok(_)) => {}
        }
        let parsed = match parse(&body, format) {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!(target: "security", "CSP report refused: {e}");
                return status(Status::BadRequest);
            }
        };
        let c = &self.counters;
        let total = parsed.reports.len() + parsed.browser.len() + parsed.other_types;
        Counters::add(&c.received, total as u64);
        c.drop(DropReason::UnknownType, parsed.other_types as u64);
        let (mut reports, mut browser) = (parsed.reports, parsed.browser);
        let max = self.config.max_reports;
        if reports.len() + browser.len() > max {
            c.drop(DropReason::BatchLimit, (reports.len() + browser.len() - max) as u64);
            reports.truncate(max);
            browser.truncate(max - reports.len());
        }
        let count = reports.len() + browser.len();
        if count == 0 {
            return status(Status::NoContent);
        }
        let client = self.https.client_ip(req).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        // One key per IPv4 address or IPv6 /64 (one host's usual allocation).
        let key = match client {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        };
        #[cfg(feature = "redis")]
        let shared = match (self.cache.get(), self.config.rate) {
            (Some(cache), Some(rate)) => {
                match crate::db::cache::rate_limit(cache, &key.to_string(), rate.get(), count as u32).await {
                    Ok(verdict) => Some(verdict),
                    Err(e) => {
                        // Fall back to this process's limiter; say so at most every 10 s.
                        if self.cache_warned.due() {
                            tracing::warn!(
                                target: "security",
                                "CSP report rate limit: Redis (security_cache) did not answer ({e}); limiting per \
                                 process until it does"
                            );
                        }
                        None
                    }
                }
            }
            _ => None,
        };
        #[cfg(not(feature = "redis"))]
        let shared: Option<Option<u64>> = None;
        if let Some(verdict) = shared {
            if let Some(retry_after) = verdict {
                c.drop(DropReason::RateLimited, count as u64);
                return Answer { status: Status::TooManyRequests, retry_after: Some(retry_after) };
            }
        } else if let Some(limiter) = &self.limiter {
            if self.counters.requests.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
                limiter.retain_recent();
            }
            let client = key;
            let n = NonZeroU32::new(count as u32).unwrap_or(NonZeroU32::MIN);
            let verdict = match limiter.check_key_n(&client, n) {
                Ok(Ok(())) => None,
                Ok(Err(not_until)) => {
                    Some(not_until.wait_time_from(governor::clock::Clock::now(limiter.clock())).as_secs() + 1)
                }
                Err(_) => Some(60),
            };
            if let Some(retry_after) = verdict {
                c.drop(DropReason::RateLimited, count as u64);
                return Answer { status: Status::TooManyRequests, retry_after: Some(retry_after) };
            }
        }
        // The validated host (allowed_hosts, trusted proxies), never the raw header.
        let request_host = self.https.host(req).map(|h| h.host);
        let request_host = request_host.as_deref().map(|h| h.trim_matches(['[', ']']));
        let own = |url: &str| match host_of(url) {
            Some(h) => Some(h.as_str()) == request_host || host_allowed(&h, &self.config.origins),
            None => false,
        };
        let noisy = |uri: Option<&str>| {
            uri.is_some_and(|u| {
                let candidate = super::filter::Candidate::new(u);
                self.config.disallowed.iter().any(|p| p.matches_candidate(&candidate))
            })
        };
        let ua = req.headers().get_one("User-Agent");
        // One request logs at most this many violation lines, then one summary.
        let mut logged_here = 0usize;
        let mut unlogged = 0usize;
        for r in reports {
            let Some(doc) = r.document_uri.as_deref() else {
                c.drop(DropReason::MissingDocument, 1);
                continue;
            };
            if !own(doc) {
                c.drop(DropReason::ForeignOrigin, 1);
                continue;
            }
            let Some(directive) = effective_directive(&r) else {
                c.drop(DropReason::NoDirective, 1);
                continue;
            };
            let noisy_sample = |sample: &Option<String>| {
                sample.as_deref().is_some_and(|s| {
                    let lower = s.to_ascii_lowercase();
                    self.config.disallowed.iter().any(|p| p.in_sample(&lower))
                })
            };
            if noisy(r.blocked_uri.as_deref()) || noisy(r.source_file.as_deref()) || noisy_sample(&r.sample) {
                c.drop(DropReason::DisallowedSource, 1);
                continue;
            }
            if self.foreign_policy(req, &r).await {
                c.drop(DropReason::ForeignPolicy, 1);
                continue;
            }
            Counters::add(&c.accepted, 1);
            let (key, report) = to_storage(r, format, directive, Some(client.to_string()), ua);
            if self.config.log && logged_here >= LOG_LINES_PER_REQUEST {
                unlogged += 1;
            } else if self.config.log {
                logged_here += 1;
                // `{:?}` escapes quotes, line breaks and control characters:
                // a report cannot forge log lines.
                let quoted = |s: Option<&str>| s.map_or_else(|| "-".to_string(), |s| format!("{s:?}"));
                tracing::info!(
                    target: "security",
                    "CSP violation ({}): {} blocked {:?} on {:?} (source {} line {}) from {} UA {}",
                    key.disposition,
                    key.effective_directive,
                    key.blocked,
                    key.document_uri,
                    quoted(key.source_file.as_deref()),
                    key.line_number.map_or_else(|| "-".to_string(), |l| l.to_string()),
                    client,
                    quoted(report.user_agent.as_deref()),
                );
                Counters::add(&c.logged, 1);
            }
            if self.config.database {
                self.enqueue(Queued::Csp(key, report));
            }
        }
        for r in browser {
            let Some(url) = r.url.as_deref() else {
                c.drop(DropReason::MissingDocument, 1);
                continue;
            };
            if !own(url) {
                c.drop(DropReason::ForeignOrigin, 1);
                continue;
            }
            if r.body.sources().into_iter().any(noisy) {
                c.drop(DropReason::DisallowedSource, 1);
                continue;
            }
            let t = r.body.report_type();
            Counters::add(&c.accepted, 1);
            c.accepted_type(t);
            let (key, sample) = super::browser::to_storage(r, Some(client.to_string()), ua);
            if self.config.log && logged_here >= LOG_LINES_PER_REQUEST {
                unlogged += 1;
            } else if self.config.log {
                logged_here += 1;
                // `{:?}` quotes and escapes what the report says: it cannot forge log lines.
                let disposition =
                    if key.disposition.is_empty() { String::new() } else { format!(", {}", key.disposition) };
                tracing::info!(
                    target: "security",
                    "Browser report ({}{disposition}): {:?} {:?} on {:?} from {} UA {}",
                    key.report_type,
                    key.subject,
                    key.detail,
                    key.document_uri,
                    client,
                    sample.user_agent.as_deref().map_or_else(|| "-".to_string(), |s| format!("{s:?}")),
                );
                Counters::add(&c.logged, 1);
            }
            if self.config.database {
                self.enqueue(Queued::Browser(key, sample));
            }
        }
        if unlogged > 0 {
            tracing::info!(target: "security", "CSP: {unlogged} more report(s) in this request not logged (at most {LOG_LINES_PER_REQUEST} lines per request)");
        }
        status(Status::NoContent)
    }

    /// Whether the report's `original-policy` is none the site sends (a report
    /// without one cannot be told and is taken; the wizard never builds on it).
    async fn foreign_policy(&self, req: &Request<'_>, r: &super::report::RawReport) -> bool {
        use crate::csp::fingerprint::{KnownPolicies, Verdict};
        let (true, Some(known), Some(original)) = (
            self.config.drop_foreign_policies,
            KnownPolicies::of(req.rocket()),
            r.original_policy.as_deref().filter(|p| !p.trim().is_empty()),
        ) else {
            return false;
        };
        // As the report is stored.
        let disposition = Some(super::normalize::disposition(r));
        #[cfg(feature = "db")]
        let verdict = known.check(self.pool.get(), disposition, original).await;
        #[cfg(not(feature = "db"))]
        let verdict = known.verdict(disposition, original);
        verdict == Verdict::Foreign
    }

    #[cfg(feature = "db")]
    fn enqueue(&self, report: Queued) {
        let c = &self.counters;
        // Admitted before shutdown (see `take`): the final flush waits for this
        // request; only one that outlived that wait finds the queue closed.
        match self.queue.get() {
            None => c.drop(DropReason::DatabaseUnavailable, 1),
            Some(q) => q.push(c, report, self.clock.now()),
        }
    }

    #[cfg(not(feature = "db"))]
    fn enqueue(&self, _: Queued) {
        self.counters.drop(DropReason::DatabaseUnavailable, 1);
    }
}
