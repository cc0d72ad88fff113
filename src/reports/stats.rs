//! The collector's counters: every report counted exactly once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a report was not stored.
///
/// The keys of [`CollectorStats::dropped`] are the reasons' names:
///
/// ```
/// use rocket_security::reports::{CollectorStats, DropReason};
///
/// let mut s = CollectorStats::default();
/// s.dropped.insert(DropReason::DisallowedSource.as_str(), 3);
/// assert_eq!(s.dropped.get("disallowed_source"), Some(&3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DropReason {
    /// A Reporting API entry of a type the collector does not read (see
    /// [`ReportType`](super::ReportType)).
    UnknownType,
    /// The document is on a host that is not this site's (anyone can POST here).
    ForeignOrigin,
    /// The report has no document URL.
    MissingDocument,
    /// The report names no usable directive.
    NoDirective,
    /// A browser extension or known injector caused it.
    DisallowedSource,
    /// Its `original-policy` is none of the policies the site sends: rewritten
    /// on the way (a TLS-inspecting proxy, an extension) or forged.
    ForeignPolicy,
    /// More reports in one request than `max_reports_per_request`.
    BatchLimit,
    /// The client exceeded `rate_limit_per_minute`.
    RateLimited,
    /// The database queue was full, and the spool too (or `spool = false`).
    QueueFull,
    /// The database could not be reached.
    DatabaseUnavailable,
    /// The database refused the write.
    DatabaseError,
    /// Arrived while the application was shutting down.
    ShuttingDown,
    /// The database could not take it and the spool was full (`spool_max_bytes`).
    SpoolFull,
    /// A spooled record was torn (killed mid-write) or corrupted on disk.
    SpoolCorrupt,
}

impl DropReason {
    const ALL: [DropReason; 14] = [
        DropReason::UnknownType,
        DropReason::ForeignOrigin,
        DropReason::MissingDocument,
        DropReason::NoDirective,
        DropReason::DisallowedSource,
        DropReason::ForeignPolicy,
        DropReason::BatchLimit,
        DropReason::RateLimited,
        DropReason::QueueFull,
        DropReason::DatabaseUnavailable,
        DropReason::DatabaseError,
        DropReason::ShuttingDown,
        DropReason::SpoolFull,
        DropReason::SpoolCorrupt,
    ];

    /// The reason's name in stats and logs.
    ///
    /// ```
    /// use rocket_security::reports::DropReason;
    /// assert_eq!(DropReason::ForeignOrigin.as_str(), "foreign_origin");
    /// assert_eq!(DropReason::SpoolFull.as_str(), "spool_full");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::UnknownType => "unknown_type",
            DropReason::ForeignOrigin => "foreign_origin",
            DropReason::MissingDocument => "missing_document",
            DropReason::NoDirective => "no_directive",
            DropReason::DisallowedSource => "disallowed_source",
            DropReason::ForeignPolicy => "foreign_policy",
            DropReason::BatchLimit => "batch_limit",
            DropReason::RateLimited => "rate_limited",
            DropReason::QueueFull => "queue_full",
            DropReason::DatabaseUnavailable => "database_unavailable",
            DropReason::DatabaseError => "database_error",
            DropReason::ShuttingDown => "shutting_down",
            DropReason::SpoolFull => "spool_full",
            DropReason::SpoolCorrupt => "spool_corrupt",
        }
    }

    /// The name as it appears in stats, if it is one.
    #[cfg(feature = "redis")]
    pub(crate) fn named(name: &str) -> Option<&'static str> {
        DropReason::ALL.iter().map(|r| r.as_str()).find(|n| *n == name)
    }

    /// Whether the report was filtered before acceptance (noise, limits) rather
    /// than lost after it (the database sink).
    ///
    /// ```
    /// use rocket_security::reports::DropReason;
    /// assert!(DropReason::RateLimited.is_filter());
    /// assert!(!DropReason::QueueFull.is_filter());
    /// ```
    pub fn is_filter(self) -> bool {
        !matches!(
            self,
            DropReason::QueueFull
                | DropReason::DatabaseUnavailable
                | DropReason::DatabaseError
                | DropReason::ShuttingDown
                | DropReason::SpoolFull
                | DropReason::SpoolCorrupt
        )
    }
}

/// The collector's counters (per process), as returned by [`stats`](crate::reports::stats).
///
/// ```
/// use rocket::{http::ContentType, local::blocking::Client};
/// use rocket_security::{reports::{stats, CollectorStats}, Security};
///
/// let client = Client::tracked(rocket::custom(rocket::Config::default()).attach(Security::fairing())).unwrap();
/// let body = r#"{"csp-report": {"document-uri": "http://localhost/", "effective-directive": "img-src"}}"#;
/// let csp_report = ContentType::new("application", "csp-report");
/// client.post("/security/csp-report").header(csp_report).body(body).dispatch();
/// let s: CollectorStats = stats(client.rocket()).unwrap();
/// assert_eq!((s.received, s.rejected_requests), (1, 0));
/// ```
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
    /// Reports waiting in the on-disk spool for the database to answer again.
    pub spooled: u64,
    /// Reports an earlier run left in the spool (found at start, then stored
    /// or dropped here): `accepted + recovered = stored + spooled + queued +`
    /// the database sink's drops, at every instant.
    pub recovered: u64,
    /// The spool's size on disk, in bytes.
    pub spool_bytes: u64,
    /// Seconds since the oldest waiting spooled batch was written (`None`: the spool is empty).
    pub spool_age_seconds: Option<u64>,
    /// Reports not accepted or not stored, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Requests answered with a 4xx (malformed, too large, wrong type, ...).
    pub rejected_requests: u64,
    /// Accepted reports by Reporting API type (`csp-violation` for every CSP report, either format).
    pub accepted_by_type: BTreeMap<&'static str, u64>,
}

impl CollectorStats {
    /// Reports lost after acceptance (the database sink's drop reasons).
    ///
    /// ```
    /// use rocket_security::reports::{CollectorStats, DropReason};
    ///
    /// let mut s = CollectorStats::default();
    /// s.dropped.insert(DropReason::RateLimited.as_str(), 4); // filtered before acceptance
    /// s.dropped.insert(DropReason::QueueFull.as_str(), 2); // lost after it
    /// assert_eq!(s.dropped_after_accept(), 2);
    /// ```
    pub fn dropped_after_accept(&self) -> u64 {
        DropReason::ALL
            .iter()
            .filter(|r| !r.is_filter())
            .map(|r| self.dropped.get(r.as_str()).copied().unwrap_or(0))
            .sum()
    }

    /// Reports neither stored, waiting (queue, spool) nor dropped with a
    /// reason: `accepted + recovered - stored - spooled - queued -`
    /// [`dropped_after_accept`](Self::dropped_after_accept). Zero whenever
    /// the writer is between batches; the books balance.
    ///
    /// ```
    /// let s = rocket_security::reports::CollectorStats { accepted: 5, stored: 3, spooled: 2, ..Default::default() };
    /// assert_eq!(s.unaccounted(), 0);
    /// ```
    pub fn unaccounted(&self) -> i64 {
        (self.accepted + self.recovered) as i64
            - (self.stored + self.spooled + self.queued + self.dropped_after_accept()) as i64
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) received: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) stored: AtomicU64,
    pub(crate) logged: AtomicU64,
    pub(crate) queued: AtomicU64,
    pub(crate) rejected_requests: AtomicU64,
    /// Requests seen (for periodic housekeeping).
    pub(crate) requests: AtomicU64,
    dropped: [AtomicU64; DropReason::ALL.len()],
    pub(crate) spooled: AtomicU64,
    pub(crate) recovered: AtomicU64,
    pub(crate) spool_bytes: AtomicU64,
    /// When the oldest waiting spooled batch was written (ms since the epoch; 0: none).
    pub(crate) spool_oldest_ms: std::sync::atomic::AtomicI64,
    /// Accepted reports of each [`ReportType`](super::ReportType), in its order.
    by_type: [AtomicU64; super::ReportType::ALL.len()],
}

impl Counters {
    pub(crate) fn drop(&self, reason: DropReason, n: u64) {
        let i = DropReason::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        self.dropped[i].fetch_add(n, Ordering::Relaxed);
    }

    /// One more accepted report of type `t` (besides `accepted`).
    pub(crate) fn accepted_type(&self, t: super::ReportType) {
        let i = super::ReportType::ALL.iter().position(|x| *x == t).unwrap_or(0);
        self.by_type[i].fetch_add(1, Ordering::Relaxed);
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
            spooled: get(&self.spooled),
            recovered: get(&self.recovered),
            spool_bytes: get(&self.spool_bytes),
            spool_age_seconds: match self.spool_oldest_ms.load(Ordering::Relaxed) {
                0 => None,
                ms => Some((chrono::Utc::now().timestamp_millis() - ms).max(0) as u64 / 1000),
            },
            rejected_requests: get(&self.rejected_requests),
            accepted_by_type: {
                let others: u64 = self.by_type.iter().map(get).sum();
                let csp = get(&self.accepted).saturating_sub(others);
                std::iter::once(("csp-violation", csp))
                    .chain(super::ReportType::ALL.iter().zip(&self.by_type).map(|(t, c)| (t.as_str(), get(c))))
                    .filter(|(_, n)| *n > 0)
                    .collect()
            },
            dropped: DropReason::ALL
                .iter()
                .zip(&self.dropped)
                .map(|(r, c)| (r.as_str(), get(c)))
                .filter(|(_, n)| *n > 0)
                .collect(),
        }
    }
}
