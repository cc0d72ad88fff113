//! Compiling a feature: the [`Feature`] trait a configuration section
//! implements, and the [`Builder`] it renders its headers and parts into.

use std::sync::Arc;

use super::check::Finding;
use super::config::Section;
use super::error::ConfigError;
use super::https::{Https, HttpsPolicy};
use super::part::Part;
use super::paths::{PathSet, Scope};
use super::rules::{check_value, intern, HeaderRule, Value};

/// What ignite knows about where the application runs, for the deploy
/// checks. `Default`: a debug profile, nothing known.
#[derive(Debug, Clone, Default)]
pub(crate) struct Deployment {
    /// A profile other than `debug`.
    pub(crate) release: bool,
    /// Rocket serves TLS itself (`tls` configured).
    pub(crate) tls: bool,
    /// Rocket's `secret_key`: `None` when not known here (a typed
    /// configuration validated on its own), `Some(None)` when not configured.
    pub(crate) secret_key: Option<Option<String>>,
    /// The security database is a server that several instances can share
    /// (PostgreSQL, MySQL), so several instances are likely.
    pub(crate) shared_database: bool,
    /// Debug without a `secret_key`: `secret_key` holds a random key for this
    /// run (as Rocket itself does in debug), logged as a finding.
    pub(crate) ephemeral_key: bool,
}

impl Deployment {
    /// Read from the figment Rocket ignites with.
    pub(crate) fn of(figment: &rocket::figment::Figment) -> Deployment {
        let url = figment.extract_inner::<String>("databases.security.url").unwrap_or_default();
        let scheme = url.split(':').next().unwrap_or("").to_ascii_lowercase();
        let release = figment.profile() != rocket::Config::DEBUG_PROFILE;
        let configured = figment.extract_inner::<String>("secret_key").ok();
        let ephemeral_key = !release && configured.is_none();
        let secret_key = if ephemeral_key { Some(super::secret::random_key()) } else { configured };
        Deployment {
            release,
            tls: figment.extract::<rocket::Config>().is_ok_and(|c| c.tls_enabled()),
            secret_key: Some(secret_key),
            shared_database: matches!(scheme.as_str(), "postgres" | "postgresql" | "mysql" | "mariadb"),
            ephemeral_key,
        }
    }
}

/// What building one feature produces.
pub(crate) struct Builder<'e> {
    pub(crate) prefix: String,
    pub(crate) errors: &'e mut Vec<ConfigError>,
    pub(crate) warnings: &'e mut Vec<Finding>,
    pub(crate) rules: &'e mut Vec<HeaderRule>,
    pub(crate) summary: &'e mut Vec<String>,
    pub(crate) release: bool,
    /// Where the application runs (the deploy checks read it).
    pub(crate) deployment: &'e Deployment,
    /// The compiled HTTPS detection, for features that depend on the scheme.
    pub(crate) https: &'e HttpsPolicy,
    /// The request-time parts the feature contributes (gates, response work).
    pub(crate) parts: &'e mut Vec<Arc<dyn Part>>,
}

impl Builder<'_> {
    pub(crate) fn key(&self, field: &str) -> String {
        let field = field.trim_end_matches('.');
        if field.is_empty() {
            self.prefix.clone()
        } else {
            format!("{}.{}", self.prefix, field)
        }
    }

    pub(crate) fn error(&mut self, field: &str, message: impl Into<String>) {
        let key = self.key(field);
        self.errors.push(ConfigError::new(key, message));
    }

    /// A [`Severity::Warning`](super::check::Severity) deploy-check finding.
    pub(crate) fn warn(&mut self, id: &'static str, message: impl Into<String>, fix: impl Into<String>) {
        self.warnings.push(Finding::warning(id, message, fix));
    }

    /// The deploy-check finding of a control left in report mode in release:
    /// `field` is its `mode` key under this feature, `what` names the control.
    pub(crate) fn report_mode(&mut self, field: &str, mode: super::rollout::Mode, what: &str) {
        if self.release && mode.is_report() {
            let key = self.key(field);
            self.warnings.push(Finding::report_mode(&key, what));
        }
    }

    /// A [`Severity::Info`](super::check::Severity) deploy-check finding.
    pub(crate) fn info(&mut self, id: &'static str, message: impl Into<String>, fix: impl Into<String>) {
        self.warnings.push(Finding::info(id, message, fix));
    }

    /// The scope `paths` minus `exclude`; `paths` must not be empty.
    pub(crate) fn scope(&mut self, paths: &[String], exclude: &[String]) -> Scope {
        let paths_key = self.key("paths");
        if paths.is_empty() {
            self.error(
                "paths",
                "empty list: the header would be sent nowhere; set `enabled = false` to turn it off, \
                 or list paths such as [\"/**\"]",
            );
        }
        let paths = PathSet::parse(&paths_key, paths, self.errors);
        let exclude_key = self.key("exclude");
        let exclude = PathSet::parse(&exclude_key, exclude, self.errors);
        Scope { paths: if paths.is_everything() { None } else { Some(paths) }, exclude }
    }

    /// Adds a request-time part.
    pub(crate) fn part(&mut self, part: impl Part) {
        self.parts.push(Arc::new(part));
    }

    /// Records a rendered header after checking its value is sendable.
    pub(crate) fn header(&mut self, field: &str, name: &'static str, value: Value, scope: Scope) {
        let rendered = match &value {
            Value::Always(v) | Value::HttpsOnly(v) => vec![v],
        };
        for v in rendered {
            if let Err(e) = check_value(v) {
                self.error(field, format!("{name} value {v:?} {e}"));
                return;
            }
        }
        let shown = match &value {
            Value::Always(v) => v.clone(),
            Value::HttpsOnly(v) => format!("{v} (HTTPS requests only)"),
        };
        let where_ = scope.describe();
        self.summary.push(format!("{name}: {shown} [{where_}]"));
        let (https, http) = match value {
            Value::Always(v) => {
                let v = intern(v);
                (Some(v), Some(v))
            }
            Value::HttpsOnly(v) => (Some(intern(v)), None),
        };
        self.rules.push(HeaderRule { name, https, http, scope, force: false, follows: None });
    }

    /// Like [`header`](Self::header), but replacing a value the handler set.
    pub(crate) fn forced_header(&mut self, field: &str, name: &'static str, value: &str, scope: Scope) {
        let before = self.rules.len();
        self.header(field, name, Value::Always(value.into()), scope);
        if let Some(rule) = self.rules.get_mut(before) {
            rule.force = true;
        }
    }

    pub(crate) fn off(&mut self, name: &str) {
        self.summary.push(format!("{name}: off"));
    }
}

/// Checks `value` is one of `allowed` (case-insensitively), returning the canonical spelling.
pub(crate) fn one_of(b: &mut Builder<'_>, field: &str, value: &str, allowed: &[&'static str]) -> Option<&'static str> {
    match allowed.iter().find(|a| a.eq_ignore_ascii_case(value.trim())) {
        Some(a) => Some(a),
        None => {
            let list = allowed.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ");
            b.error(field, format!("{value:?} is not allowed; use one of {list}"));
            None
        }
    }
}

/// The fields every header feature shares.
pub(crate) struct Common {
    pub(crate) enabled: bool,
    pub(crate) paths: Vec<String>,
    pub(crate) exclude: Vec<String>,
}

impl Common {
    /// Reads the three keys, falling back to the feature's defaults.
    pub(crate) fn read(s: &Section<'_>, enabled: bool, paths: &[String], exclude: &[String]) -> Self {
        Common {
            enabled: s.bool("enabled", enabled),
            paths: s.strings("paths", paths),
            exclude: s.strings("exclude", exclude),
        }
    }
}

/// The default `paths` of a header sent everywhere.
pub(crate) fn everywhere() -> Vec<String> {
    vec!["/**".to_string()]
}

/// Implemented by every header feature's typed config.
pub(crate) trait Feature: Default + Clone + Send + Sync + 'static {
    /// Its table under `security`, e.g. `hsts`.
    const KEY: &'static str;
    /// Reads the feature's table (absent keys keep their defaults).
    fn read(section: &Section<'_>) -> Self;
    /// Validates the feature's settings, renders its headers into `b` and
    /// adds its request-time parts. Features compiled by the composition root
    /// with inputs from other features keep the default (nothing here).
    fn build(&self, _b: &mut Builder<'_>) {}
}

// HTTPS detection is the core's own section: `[security.https]`.
impl Feature for Https {
    const KEY: &'static str = "https";

    fn read(s: &Section<'_>) -> Self {
        let d = Https::default();
        Https {
            trusted_proxies: s.strings("trusted_proxies", &d.trusted_proxies),
            proxy_header: s.string("proxy_header", &d.proxy_header),
            redirect: s.bool("redirect", d.redirect),
            redirect_status: s.u64("redirect_status", d.redirect_status),
            redirect_host: s.opt_string("redirect_host"),
            redirect_exempt: s.strings("redirect_exempt", &d.redirect_exempt),
            trust_forwarded_host: s.bool("trust_forwarded_host", d.trust_forwarded_host),
        }
    }
}
