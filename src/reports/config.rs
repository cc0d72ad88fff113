//! The `[security.reports]` table and its compiled form.

use std::num::NonZeroU32;

use super::filter::{SourcePattern, DEFAULT_DISALLOWED_SOURCES};
use crate::core::error::ConfigError;
use crate::core::feature::{Builder, Feature};

/// Largest `max_violations` accepted.
const MAX_VIOLATIONS: u64 = 100_000_000;

/// Longest `retention_days` accepted (100 years).
const MAX_RETENTION_DAYS: u64 = 36_500;

/// Collector configuration: the `[default.security.reports]` table.
///
/// ```
/// use rocket::figment::{providers::{Format, Toml}, Figment};
/// use rocket_security::SecurityConfig;
///
/// let figment = Figment::from(rocket::Config::default()).merge(Toml::string(r#"
///     [default.security.reports]
///     max_body = 16384
///     rate_limit_per_minute = 0   # no per-client limit
/// "#).nested());
/// let reports = SecurityConfig::from_figment(&figment).unwrap().reports;
/// assert_eq!((reports.max_body, reports.rate_limit_per_minute), (16384, 0));
/// assert!(reports.enabled && reports.log && !reports.database);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Collector {
    /// Mount the endpoint. _Default:_ `true`.
    pub enabled: bool,
    /// The endpoint's path. _Default:_ `"/security/csp-report"`.
    pub path: String,
    /// Log each violation, one INFO line (target `security`). _Default:_ `true`.
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
    /// Stored violations not seen for this many days are deleted, with their
    /// samples, by the database writer (on its first batch, then at most
    /// hourly); `0` keeps them forever. _Default:_ `90`.
    pub retention_days: u64,
    /// Most violations kept: beyond it, the database writer deletes the
    /// least recently seen (with their samples), at most once a second, so
    /// distinct paths or line numbers from any client cannot grow the tables
    /// without bound; `0`: no cap. _Default:_ `100000`.
    pub max_violations: u64,
    /// With the Redis store (`SecurityCache`), the name under which every
    /// instance adds its counters, so [`cluster_stats`](super::cluster_stats)
    /// sums one application's instances (letters, digits, `-`, `_`).
    /// _Default:_ `"default"`.
    pub cluster: String,
    /// When the database cannot take a batch, keep it on local disk and
    /// store it once the database answers again (in order, each batch once).
    /// _Default:_ `true`.
    pub spool: bool,
    /// The spool's directory (relative to the working directory); one per
    /// instance: a second instance using it refuses to launch. _Default:_ `"security-spool"`.
    pub spool_dir: String,
    /// The spool's bound on disk, in bytes; beyond it reports are dropped and
    /// counted as `spool_full`. _Default:_ `268435456` (256 MiB).
    pub spool_max_bytes: u64,
    /// Drop, as `foreign_policy`, a report whose `original-policy` is none of
    /// the policies this site sends (rewritten on the way by a proxy or an
    /// extension, or forged; see the crate's CSP fingerprints). Set `false`
    /// only when pages of other applications (`origins`) report here.
    /// _Default:_ `true`.
    pub drop_foreign_policies: bool,
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
            retention_days: 90,
            max_violations: 100_000,
            cluster: "default".into(),
            spool: true,
            spool_dir: "security-spool".into(),
            spool_max_bytes: 256 << 20,
            drop_foreign_policies: true,
        }
    }
}

impl Feature for Collector {
    const KEY: &'static str = "reports";

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
        if self.enabled && self.database && cfg!(not(feature = "db")) {
            err(
                "database",
                "the reports are stored in the security database: enable a database feature of rocket_security in \
                 Cargo.toml (features = [\"sqlite\"], or \"postgres\" / \"mysql\"), or set `database = false` (the \
                 log only)"
                    .into(),
            );
        }
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
        if self.retention_days > MAX_RETENTION_DAYS {
            err(
                "retention_days",
                format!(
                    "{} days is more than {MAX_RETENTION_DAYS}; use 0 to keep reports forever",
                    self.retention_days
                ),
            );
        }
        if self.max_violations > MAX_VIOLATIONS {
            err(
                "max_violations",
                format!(
                    "{} is more than {MAX_VIOLATIONS}; a policy needs far fewer distinct violations (0: no cap)",
                    self.max_violations
                ),
            );
        }
        let c = &self.cluster;
        if c.is_empty() || c.len() > 64 || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            err("cluster", format!("{c:?} is not a cluster name; use 1 to 64 letters, digits, `-` or `_`"));
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
        if self.spool && self.spool_dir.trim().is_empty() {
            err("spool_dir", "is empty; name a directory, e.g. \"security-spool\" (or set `spool = false`)".into());
        }
        if self.spool && self.spool_max_bytes < 64 << 10 {
            err(
                "spool_max_bytes",
                format!("{} bytes is less than 64 KiB; a batch may need more", self.spool_max_bytes),
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
            retention_days: self.retention_days.min(MAX_RETENTION_DAYS),
            max_violations: self.max_violations.min(MAX_VIOLATIONS),
            cluster: self.cluster.clone(),
            spool: (self.spool && self.database).then(|| (self.spool_dir.clone().into(), self.spool_max_bytes)),
            drop_foreign_policies: self.drop_foreign_policies,
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
    /// `0`: keep forever.
    pub(crate) retention_days: u64,
    pub(crate) max_violations: u64,
    /// Read by the Redis store only.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) cluster: String,
    /// The spool's directory and bound, with the database sink.
    #[cfg_attr(not(feature = "db"), allow(dead_code))]
    pub(crate) spool: Option<(std::path::PathBuf, u64)>,
    pub(crate) drop_foreign_policies: bool,
}
