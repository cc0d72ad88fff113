//! The CSP violation report collector: an ingestion endpoint (default
//! `POST /security/csp-report`), normalisation, noise filters, rate limits,
//! log and database sinks, and a dashboard.
//!
//! ```toml
//! [default.security.reports]
//! enabled = true                    # mount the endpoint; Default: true
//! path = "/security/csp-report"     # Default: "/security/csp-report"
//! log = true                        # one WARN line per violation (target `security`); Default: true
//! database = false                  # store in the `security` database; Default: false
//! max_body = 65536                  # bytes; Default: 65536 (64 KiB)
//! max_reports_per_request = 100     # Default: 100
//! samples_per_violation = 10        # raw reports kept per violation; Default: 10
//! rate_limit_per_minute = 600       # reports per client (0: off); Default: 600
//! queue_size = 10000                # database queue; Default: 10000
//! body_timeout_ms = 5000            # a slower body gets 408; Default: 5000
//! origins = []                      # other hosts whose pages may report here; Default: []
//! use_default_disallowed = true     # Sentry's list of extension schemes and injector hosts
//! disallowed_sources = []           # more patterns: "scheme", "host", "*.domain"
//! dashboard_path = "/security/reports"
//! ```
//!
//! # Answers
//!
//! `204` for accepted or filtered reports; `400` malformed JSON, wrong shape or
//! invalid UTF-8; `408` a body slower than `body_timeout_ms`; `413` larger than
//! `max_body`; `415` another content type; `405` another method; `429` with
//! `Retry-After` above the rate limit. `OPTIONS` (the CORS preflight before
//! cross-origin `report-to` uploads) gets `204` with
//! `Access-Control-Allow-Origin: *` and `Access-Control-Allow-Headers: content-type`.
//!
//! # Accounting
//!
//! Every report is counted exactly once: `received = accepted + filtered`, and
//! with the database sink `accepted = stored + dropped + queued` (`queued` is 0
//! once the queue is flushed, which also happens at shutdown). See
//! [`CollectorStats`].
//!
//! # Per-process state
//!
//! The rate limiter and the counters live in each process (each instance
//! behind a load balancer limits and counts its own traffic); the reports
//! themselves go to the shared database.

pub(crate) mod dashboard;
pub(crate) mod endpoint;
pub(crate) mod filter;
pub(crate) mod normalize;
pub(crate) mod parse;
pub(crate) mod record;
#[cfg(feature = "db")]
pub(crate) mod sink;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub use filter::DEFAULT_DISALLOWED_SOURCES;
pub use normalize::classify_blocked;
pub use parse::{parse, ParseError, Parsed, RawReport, ReportFormat};
pub use record::{NewCspReport, ViolationKey};

use crate::config::reader::Section;
use crate::error::ConfigError;
use crate::headers::{Builder, Feature};
use crate::https::HttpsPolicy;
use filter::SourcePattern;

/// Collector configuration: the `[default.security.reports]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collector {
    /// Mount the endpoint. _Default:_ `true`.
    pub enabled: bool,
    /// The endpoint's path. _Default:_ `"/security/csp-report"`.
    pub path: String,
    /// Log each violation at WARN (target `security`). _Default:_ `true`.
    pub log: bool,
    /// Store reports in the security database. _Default:_ `false`.
    pub database: bool,
    /// Largest body accepted, in bytes. _Default:_ `65536`.
    pub max_body: u64,
    /// Most reports taken from one request. _Default:_ `100`.
    pub max_reports_per_request: u64,
    /// Raw reports kept per violation. _Default:_ `10`.
    pub samples_per_violation: u64,
    /// Reports per client per minute; `0` turns the limit off. _Default:_ `600`.
    pub rate_limit_per_minute: u64,
    /// Capacity of the database queue. _Default:_ `10000`.
    pub queue_size: u64,
    /// Time allowed to send a body, in milliseconds. _Default:_ `5000`.
    pub body_timeout_ms: u64,
    /// Hosts (or `*.domain`) besides the request's own whose pages may report here. _Default:_ `[]`.
    pub origins: Vec<String>,
    /// Start from [`DEFAULT_DISALLOWED_SOURCES`]. _Default:_ `true`.
    pub use_default_disallowed: bool,
    /// More disallowed source patterns. _Default:_ `[]`.
    pub disallowed_sources: Vec<String>,
    /// Where [`Security::reports_dashboard`](crate::Security::reports_dashboard) mounts the dashboard.
    /// _Default:_ `"/security/reports"`.
    pub dashboard_path: String,
}

impl Default for Collector {
    fn default() -> Self {
        Collector {
            enabled: true,
            path: "/security/csp-report".into(),
            log: true,
            database: false,
            max_body: 64 * 1024,
            max_reports_per_request: 100,
            samples_per_violation: 10,
            rate_limit_per_minute: 600,
            queue_size: 10_000,
            body_timeout_ms: 5_000,
            origins: vec![],
            use_default_disallowed: true,
            disallowed_sources: vec![],
            dashboard_path: "/security/reports".into(),
        }
    }
}

impl Feature for Collector {
    const KEY: &'static str = "reports";

    fn read(s: &Section<'_>) -> Self {
        let d = Collector::default();
        Collector {
            enabled: s.bool("enabled", d.enabled),
            path: s.string("path", &d.path),
            log: s.bool("log", d.log),
            database: s.bool("database", d.database),
            max_body: s.u64("max_body", d.max_body),
            max_reports_per_request: s.u64("max_reports_per_request", d.max_reports_per_request),
            samples_per_violation: s.u64("samples_per_violation", d.samples_per_violation),
            rate_limit_per_minute: s.u64("rate_limit_per_minute", d.rate_limit_per_minute),
            queue_size: s.u64("queue_size", d.queue_size),
            body_timeout_ms: s.u64("body_timeout_ms", d.body_timeout_ms),
            origins: s.strings("origins", &[]),
            use_default_disallowed: s.bool("use_default_disallowed", true),
            disallowed_sources: s.strings("disallowed_sources", &[]),
            dashboard_path: s.string("dashboard_path", &d.dashboard_path),
        }
    }

    /// Compiled separately (see `compile`): the collector sends no header.
    fn build(&self, b: &mut Builder<'_>) {
        if self.enabled {
            b.summary.push(format!(
                "CSP reports at POST {} (sinks: {}{}), body <= {} bytes, <= {} reports/request, {} per client/minute",
                self.path,
                if self.log { "log" } else { "" },
                if self.database {
                    if self.log {
                        " + database"
                    } else {
                        "database"
                    }
                } else {
                    ""
                },
                self.max_body,
                self.max_reports_per_request,
                if self.rate_limit_per_minute == 0 {
                    "no limit".to_string()
                } else {
                    self.rate_limit_per_minute.to_string()
                }
            ));
        } else {
            b.summary.push("CSP report endpoint: off".into());
        }
    }
}

fn path_ok(p: &str) -> bool {
    p.starts_with('/')
        && p.len() > 1
        && rocket::http::uri::Origin::parse(p).is_ok_and(|o| o.query().is_none())
        && !p.contains(['<', '>'])
}

impl Collector {
    pub(crate) fn compile(&self, errors: &mut Vec<ConfigError>) -> Option<CompiledCollector> {
        let key = |f: &str| format!("security.reports.{f}");
        let mut err = |f: &str, m: String| errors.push(ConfigError::new(key(f), m));
        for (field, p) in [("path", &self.path), ("dashboard_path", &self.dashboard_path)] {
            if !path_ok(p) {
                err(
                    field,
                    format!("{p:?} is not a route path; write an absolute path such as \"/security/csp-report\""),
                );
            }
        }
        let positive = [
            ("max_body", self.max_body),
            ("max_reports_per_request", self.max_reports_per_request),
            ("samples_per_violation", self.samples_per_violation),
            ("queue_size", self.queue_size),
            ("body_timeout_ms", self.body_timeout_ms),
        ];
        for (field, v) in positive {
            if v == 0 {
                err(field, "must be at least 1".into());
            }
        }
        if self.max_body > 16 * 1024 * 1024 {
            err(
                "max_body",
                format!("{} bytes is more than 16 MiB; reports are small, keep the cap low", self.max_body),
            );
        }
        if self.rate_limit_per_minute > u32::MAX as u64 {
            err("rate_limit_per_minute", "too large".into());
        }
        if self.rate_limit_per_minute != 0 && self.rate_limit_per_minute < self.max_reports_per_request {
            err(
                "rate_limit_per_minute",
                format!(
                    "{} is below max_reports_per_request ({}): a full batch could never be accepted; raise it or use 0 (off)",
                    self.rate_limit_per_minute, self.max_reports_per_request
                ),
            );
        }
        let mut disallowed = Vec::new();
        let defaults = if self.use_default_disallowed { DEFAULT_DISALLOWED_SOURCES } else { &[] };
        for p in defaults.iter().copied().chain(self.disallowed_sources.iter().map(String::as_str)) {
            match SourcePattern::parse(p) {
                Ok(p) => disallowed.push(p),
                Err(e) => err("disallowed_sources", e),
            }
        }
        let mut origins = Vec::new();
        for (i, o) in self.origins.iter().enumerate() {
            let o = o.trim().to_ascii_lowercase();
            let bare = o.strip_prefix("*.").unwrap_or(&o);
            if bare.is_empty() || !bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':') {
                err(
                    &format!("origins[{i}]"),
                    format!("{o:?} is not a host; write it without scheme or path, e.g. \"www.example.com\""),
                );
            } else {
                origins.push(o);
            }
        }
        if !self.enabled {
            return None;
        }
        if cfg!(not(feature = "db")) && self.database {
            err("database", "the database sink needs one of the `sqlite`, `postgres` or `mysql` features".into());
        }
        Some(CompiledCollector {
            path: self.path.clone(),
            dashboard_path: self.dashboard_path.clone(),
            log: self.log,
            database: self.database,
            max_body: self.max_body,
            max_reports: self.max_reports_per_request as usize,
            samples: self.samples_per_violation.min(i32::MAX as u64) as i32,
            rate: NonZeroU32::new(self.rate_limit_per_minute.min(u32::MAX as u64) as u32),
            queue_size: self.queue_size.min(1 << 24) as usize,
            body_timeout: std::time::Duration::from_millis(self.body_timeout_ms),
            origins,
            disallowed,
        })
    }
}

/// The validated collector settings.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCollector {
    pub(crate) path: String,
    pub(crate) dashboard_path: String,
    pub(crate) log: bool,
    pub(crate) database: bool,
    pub(crate) max_body: u64,
    pub(crate) max_reports: usize,
    pub(crate) samples: i32,
    pub(crate) rate: Option<NonZeroU32>,
    pub(crate) queue_size: usize,
    pub(crate) body_timeout: std::time::Duration,
    pub(crate) origins: Vec<String>,
    pub(crate) disallowed: Vec<SourcePattern>,
}

/// Why a report was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DropReason {
    /// A Reporting API entry of another type (e.g. `deprecation`).
    NotCsp,
    /// The document is on a host that is not this site's (anyone can POST here).
    ForeignOrigin,
    /// The report has no document URL.
    MissingDocument,
    /// The report names no usable directive.
    NoDirective,
    /// A browser extension or known injector caused it.
    DisallowedSource,
    /// More reports in one request than `max_reports_per_request`.
    BatchLimit,
    /// The client exceeded `rate_limit_per_minute`.
    RateLimited,
    /// The database queue was full.
    QueueFull,
    /// The database could not be reached.
    DatabaseUnavailable,
    /// The database refused the write.
    DatabaseError,
    /// Arrived while the application was shutting down.
    ShuttingDown,
}

impl DropReason {
    const ALL: [DropReason; 11] = [
        DropReason::NotCsp,
        DropReason::ForeignOrigin,
        DropReason::MissingDocument,
        DropReason::NoDirective,
        DropReason::DisallowedSource,
        DropReason::BatchLimit,
        DropReason::RateLimited,
        DropReason::QueueFull,
        DropReason::DatabaseUnavailable,
        DropReason::DatabaseError,
        DropReason::ShuttingDown,
    ];

    /// The reason's name in stats and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::NotCsp => "not_csp",
            DropReason::ForeignOrigin => "foreign_origin",
            DropReason::MissingDocument => "missing_document",
            DropReason::NoDirective => "no_directive",
            DropReason::DisallowedSource => "disallowed_source",
            DropReason::BatchLimit => "batch_limit",
            DropReason::RateLimited => "rate_limited",
            DropReason::QueueFull => "queue_full",
            DropReason::DatabaseUnavailable => "database_unavailable",
            DropReason::DatabaseError => "database_error",
            DropReason::ShuttingDown => "shutting_down",
        }
    }

    /// Whether the report was filtered before acceptance (noise, limits) rather
    /// than lost after it (the database sink).
    pub fn is_filter(self) -> bool {
        !matches!(
            self,
            DropReason::QueueFull
                | DropReason::DatabaseUnavailable
                | DropReason::DatabaseError
                | DropReason::ShuttingDown
        )
    }
}

/// The collector's counters (per process), as returned by [`Security::collector_stats`](crate::Security).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CollectorStats {
    /// Reports found in request bodies.
    pub received: u64,
    /// Reports that passed the filters and limits.
    pub accepted: u64,
    /// Accepted reports written to the database.
    pub stored: u64,
    /// Accepted reports logged.
    pub logged: u64,
    /// Accepted reports waiting in the database queue.
    pub queued: u64,
    /// Reports not accepted or not stored, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Requests answered with a 4xx (malformed, too large, wrong type, ...).
    pub rejected_requests: u64,
}

impl CollectorStats {
    /// Reports lost after acceptance (the database sink's drop reasons).
    pub fn dropped_after_accept(&self) -> u64 {
        DropReason::ALL
            .iter()
            .filter(|r| !r.is_filter())
            .map(|r| self.dropped.get(r.as_str()).copied().unwrap_or(0))
            .sum()
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    received: AtomicU64,
    accepted: AtomicU64,
    stored: AtomicU64,
    logged: AtomicU64,
    queued: AtomicU64,
    rejected_requests: AtomicU64,
    /// Requests seen (for periodic housekeeping).
    pub(crate) requests: AtomicU64,
    dropped: [AtomicU64; 11],
}

impl Counters {
    pub(crate) fn drop(&self, reason: DropReason, n: u64) {
        let i = DropReason::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        self.dropped[i].fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> CollectorStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CollectorStats {
            received: get(&self.received),
            accepted: get(&self.accepted),
            stored: get(&self.stored),
            logged: get(&self.logged),
            queued: get(&self.queued),
            rejected_requests: get(&self.rejected_requests),
            dropped: DropReason::ALL
                .iter()
                .zip(&self.dropped)
                .map(|(r, c)| (r.as_str(), get(c)))
                .filter(|(_, n)| *n > 0)
                .collect(),
        }
    }
}

/// Everything the endpoint, the writer and the dashboard share.
pub(crate) struct CollectorState {
    pub(crate) config: CompiledCollector,
    pub(crate) https: HttpsPolicy,
    pub(crate) counters: Counters,
    pub(crate) limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    pub(crate) closing: AtomicBool,
    #[cfg(feature = "db")]
    pub(crate) queue: OnceLock<sink::Queue>,
    #[cfg(feature = "db")]
    pub(crate) pool: OnceLock<crate::db::SecurityPool>,
    #[cfg(not(feature = "db"))]
    pub(crate) queue: OnceLock<()>,
}

impl CollectorState {
    pub(crate) fn new(config: CompiledCollector, https: HttpsPolicy) -> Arc<Self> {
        let limiter = config.rate.map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Arc::new(CollectorState {
            config,
            https,
            counters: Counters::default(),
            limiter,
            closing: AtomicBool::new(false),
            queue: OnceLock::new(),
            #[cfg(feature = "db")]
            pool: OnceLock::new(),
        })
    }
}

/// Managed state: the collector of this Rocket instance.
#[derive(Clone)]
pub(crate) struct CollectorHandle(pub(crate) Arc<CollectorState>);

/// The collector's counters for `rocket`, if the collector is on.
///
/// ```no_run
/// # async fn f(rocket: &rocket::Rocket<rocket::Orbit>) {
/// if let Some(stats) = rocket_security::reports::stats(rocket) {
///     println!("{} reports received, {} stored", stats.received, stats.stored);
/// }
/// # }
/// ```
pub fn stats<P: rocket::Phase>(rocket: &rocket::Rocket<P>) -> Option<CollectorStats> {
    rocket.state::<CollectorHandle>().map(|h| h.0.counters.snapshot())
}
