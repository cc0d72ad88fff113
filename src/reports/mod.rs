//! The browser report collector: an ingestion endpoint (default
//! `POST /security/csp-report`) for CSP violation reports and every other
//! report type the Reporting API carries (COEP, COOP, Integrity-Policy,
//! Permissions-Policy, Document-Policy, deprecations, interventions, crashes,
//! NEL; see [`ReportType`] and the `browser` types), normalisation, noise
//! filters, rate limits, log and database sinks, and a dashboard.
//!
//! ```toml
//! [default.security.reports]
//! enabled = true                    # mount the endpoint; Default: true
//! path = "/security/csp-report"     # Default: "/security/csp-report"
//! log = true                        # one INFO line per violation (target `security`); Default: true
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
//! retention_days = 90               # delete violations not seen for 90 days (0: never); Default: 90
//! max_violations = 100000           # keep at most this many, least recently seen deleted first (0: no cap); Default: 100000
//! cluster = "default"                # with Redis: the name every instance adds its counters under; Default: "default"
//! spool = true                       # database away: batches wait on disk; Default: true
//! spool_dir = "security-spool"       # one per instance (locked); Default: "security-spool"
//! spool_max_bytes = 268435456        # beyond it: dropped as spool_full; Default: 268435456 (256 MiB)
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
//! # Other report types
//!
//! An `application/reports+json` list may mix CSP reports with every other
//! type; each is read into its own typed body ([`BrowserBody`]), keyed by what
//! a person acts on ([`BrowserKey`]), and goes through the same limits, rate
//! limit, queue, spool and accounting as CSP reports, into
//! [`BrowserReportRow`]s with bounded samples and daily counts. A type the
//! collector does not read is counted as `unknown_type` and dropped.
//!
//! ```
//! use rocket::http::{ContentType, Header, Status};
//! use rocket::local::blocking::Client;
//!
//! let rocket = rocket::custom(rocket::Config::default()).attach(rocket_security::Security::fairing());
//! let client = Client::tracked(rocket).unwrap();
//! let reports = r#"[{"type": "deprecation", "url": "https://example.com/old", "body": {"id": "UnloadHandler"}},
//!                   {"type": "no-such-type", "url": "https://example.com/", "body": {}}]"#;
//! let res = client
//!     .post("/security/csp-report")
//!     .header(Header::new("Host", "example.com"))
//!     .header(ContentType::new("application", "reports+json"))
//!     .body(reports)
//!     .dispatch();
//! assert_eq!(res.status(), Status::NoContent);
//! let stats = rocket_security::reports::stats(client.rocket()).unwrap();
//! assert_eq!((stats.received, stats.accepted), (2, 1));
//! assert_eq!(stats.accepted_by_type.get("deprecation"), Some(&1));
//! assert_eq!(stats.dropped.get("unknown_type"), Some(&1));
//! ```
//!
//! # Accounting
//!
//! Every report is counted exactly once: `received = accepted + filtered`, and
//! with the database sink `accepted + recovered = stored + spooled + queued +
//! dropped` (`queued` is 0 once the queue is flushed, which also happens at
//! shutdown; [`CollectorStats::unaccounted`] is that difference). See
//! [`CollectorStats`].
//!
//! # The spool
//!
//! When the database cannot take a batch (down, failing over, or the
//! connection cut during `COMMIT`, when nobody knows whether it committed),
//! the writer appends it to `spool_dir` and tries the database again every
//! second; later batches queue up behind it, so reports are stored in the
//! order they came. Each batch is written in one transaction together with
//! its id, so a batch that did commit is not counted twice when it comes
//! back. A restart stores what an earlier run left (`recovered`); a record
//! torn by a crash mid-write, or damaged on disk, is skipped and counted as
//! `spool_corrupt`; beyond `spool_max_bytes` reports are dropped as
//! `spool_full`. A process killed with SIGKILL loses at most what was in its
//! in-memory queue (`queue_size` reports): what reached the spool is kept.
//!
//! # The dashboard
//!
//! [`Security::reports_dashboard::<G>()`](crate::Security::reports_dashboard)
//! mounts it at `dashboard_path` for requests that pass guard `G`, under its
//! own nonce CSP, server-rendered (no script, no external asset). Every page
//! is a maud `html!` template, so every report field is escaped by
//! construction; the files under `reports/dashboard/` do one job each (the
//! route table, list, violation, groups, triage, the other report types,
//! wizard, exports, charts, the page shell):
//!
//! | path | what |
//! |---|---|
//! | the path itself, `/api`, `/violations.csv` | violations by reports, filters, the hourly chart; JSON; CSV |
//! | `/violation/<id>` (`.json`, `.csv`) | one violation and its samples |
//! | `/groups` (`.json`, `.csv`) | violations grouped by directive, blocked source and disposition: reports, first and last seen, a sparkline per day, the top documents; 50 a page |
//! | `POST /triage` | mark a group `expected` (hidden, still counted) or `fixed` (hidden until it recurs), or `open` again |
//! | `/types` | every other report type ([`ReportType`]) with its groups, reports, pages and last report; for each report-only control (COEP, COOP, Integrity-Policy, Permissions-Policy, Document-Policy) its readiness on the app's clock: report-only reports in the last 7 days and their pages, or "safe to enforce" ([`Readiness`]) |
//! | `/types/<type>` (`.json`, `.csv`) | that type's groups, the way a person acts on them: COEP by blocked resource and its origin with the fix (CORP or CORS from that origin, or `credentialless`), COOP by opener relation and other origin, integrity by script URL (add `integrity`; the SRI helper gives it), Permissions-Policy and Document-Policy by feature and frame, deprecations and interventions by id and message, crashes by reason, NEL by type, host and phase; reports, pages, first and last seen, a sparkline per day; 50 a page, `triage=open\|expected\|fixed\|all` |
//! | `/types/<type>/<group hash>` | one group: its pages and samples (404 for an unknown type or a hash that is not 64 hex digits) |
//! | `POST /types/triage` | the same triage for those groups (`type`, `group`, `state`), in `security_browser_triage` |
//! | `/wizard` (`.json`) | the smallest policy change that would have allowed what the report-only policy saw, as a `Rocket.toml` snippet |
//!
//! CSV cells never start a formula. Triage runs only for a request that CSRF
//! protection checked and passed in enforce mode (403 otherwise), and records
//! who (the user id [`LoginRequired`](crate::LoginRequired) saw, else the
//! client's address) and when, in the database every instance reads; every
//! decision also stays in a log the grouped view shows (see
//! [`Triage::log`](crate::reports::Triage::log), kept a year):
//!
//! ```text
//! POST /security/reports/triage
//! directive=img-src&blocked=ads.example&disposition=enforce&state=expected
//! -> 303 /security/reports/groups
//! ```
//!
//! The wizard starts from the site's own policy, as configured, never from
//! the `original-policy` a report claims (anyone can POST one). It only ever
//! adds plain hosts and `'self'`, and only those at least two distinct
//! clients reported; `'unsafe-inline'`, `'unsafe-eval'`, `'unsafe-hashes'`,
//! `*`, scheme-only sources and anything else are listed with the safer way
//! (a nonce, a file, the `CspHash` of code a sample carried whole), and
//! extension noise apart. A report whose `original-policy` is none of the
//! policies the site sends (see `security_csp_policies`) is dropped as
//! `foreign_policy`.
//!
//! # Per-process state
//!
//! The counters live in each process; the reports themselves go to the
//! shared database. The rate limiter is per process too, unless the Redis
//! store is attached (cargo feature `redis`, `SecurityCache`): then one
//! limit holds per client across every instance, and while Redis cannot
//! answer each instance limits on its own again (WARN) until it does.
//!
//! # Example
//!
//! ```
//! use rocket::http::{ContentType, Header, Status};
//! use rocket::local::blocking::Client;
//!
//! // Rocket.toml: [default.security.reports] log = true   (the defaults)
//! let rocket = rocket::custom(rocket::Config::default()).attach(rocket_security::Security::fairing());
//! let client = Client::tracked(rocket).unwrap();
//! let report = r#"{"csp-report": {"document-uri": "https://example.com/page",
//!     "effective-directive": "img-src", "blocked-uri": "https://tracker.example/pixel.gif"}}"#;
//! let res = client
//!     .post("/security/csp-report")
//!     .header(Header::new("Host", "example.com"))
//!     .header(ContentType::new("application", "csp-report"))
//!     .body(report)
//!     .dispatch();
//! assert_eq!(res.status(), Status::NoContent);
//!
//! let stats = rocket_security::reports::stats(client.rocket()).unwrap();
//! assert_eq!((stats.received, stats.accepted, stats.logged), (1, 1, 1));
//! ```

pub(crate) mod browser;
pub(crate) mod config;
pub(crate) mod dashboard;
pub(crate) mod endpoint;
pub(crate) mod filter;
pub(crate) mod normalize;
pub(crate) mod parse;
pub(crate) mod part;
#[cfg(feature = "db")]
pub(crate) mod queue;
pub(crate) mod report;
#[cfg(feature = "db")]
pub(crate) mod sink;
#[cfg(feature = "db")]
pub(crate) mod spool;
pub(crate) mod state;
pub(crate) mod stats;
#[cfg(feature = "db")]
pub(crate) mod store;

pub use browser::{
    BrowserBody, BrowserKey, BrowserReport, BrowserSample, CoepBody, CoopBody, CrashBody, DeprecationBody,
    IntegrityBody, NelBody, PolicyBody, ReportType,
};
pub use config::Collector;
pub use filter::DEFAULT_DISALLOWED_SOURCES;
pub use normalize::classify_blocked;
#[doc(hidden)]
pub use parse::fuzz_browser_report;
pub use parse::{parse, ParseError, Parsed};
pub use report::{NewCspReport, RawReport, ReportFormat, ViolationKey};
/// For the fuzz target only (`fuzz/fuzz_targets/spool_reader.rs`).
#[cfg(feature = "db")]
#[doc(hidden)]
pub use spool::fuzz_spool_reader;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use state::cluster_stats;
pub use state::stats;
pub use stats::{CollectorStats, DropReason};
#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))))]
pub use store::{
    BrowserDay, BrowserGroup, BrowserReportRow, BrowserSampleRow, BrowserTotals, BrowserTriage, CspHourly, CspReport,
    CspViolation, GroupDay, GroupFilter, Hidden, Readiness, RecordOutcome, TopDocument, Triage, TriageEvent,
    TriageState, TriageView, TriagedBrowserGroup, ViolationFilter, ViolationGroup, TRIAGE_LOG_DAYS, TRIAGE_LOG_MAX,
};
