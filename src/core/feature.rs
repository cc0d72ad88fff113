//! Compiling a feature: the [`Feature`] trait a configuration section
//! implements, and the [`Builder`] it renders its headers and parts into.

use std::sync::Arc;

use super::check::Finding;
use super::error::ConfigError;
use super::https::{Https, HttpsPolicy};
use super::part::Part;
use super::paths::{PathSet, Scope};
use super::reporting::{invalid_group, valid_group, ReportGroup};
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
    /// (PostgreSQL, MySQL), so several instances are likely. The core knows
    /// no database: the composition root sets it (`false` from [`Deployment::of`]).
    pub(crate) shared_database: bool,
    /// Debug without a `secret_key`: `secret_key` holds a random key for this
    /// run (as Rocket itself does in debug), logged as a finding.
    pub(crate) ephemeral_key: bool,
}

impl Deployment {
    /// Read from the figment Rocket ignites with.
    pub(crate) fn of(figment: &rocket::figment::Figment) -> Deployment {
        let release = figment.profile() != rocket::Config::DEBUG_PROFILE;
        let configured = figment.extract_inner::<String>("secret_key").ok();
        let ephemeral_key = !release && configured.is_none();
        let secret_key = if ephemeral_key { Some(super::secret::random_key()) } else { configured };
        Deployment {
            release,
            tls: figment.extract::<rocket::Config>().is_ok_and(|c| c.tls_enabled()),
            secret_key: Some(secret_key),
            shared_database: false,
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
    /// The Reporting API groups the feature's headers name, for the one
    /// `Reporting-Endpoints` header (see [`record_group`](Builder::record_group)).
    pub(crate) reporting: &'e mut Vec<ReportGroup>,
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
            Value::Split { https, http } => vec![https, http],
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
            Value::Split { https, http } => format!("{https} (HTTPS), {http} (HTTP)"),
        };
        let where_ = scope.describe();
        self.summary.push(format!("{name}: {shown} [{where_}]"));
        let (https, http) = match value {
            Value::Always(v) => {
                let v = intern(v);
                (Some(v), Some(v))
            }
            Value::HttpsOnly(v) => (Some(intern(v)), None),
            Value::Split { https, http } => (Some(intern(https)), Some(intern(http))),
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

    /// Checks the Reporting API group `group` of setting `field` (even where
    /// the feature is off: turning it on cannot fail); `false` if invalid.
    pub(crate) fn check_group(&mut self, field: &str, group: &str, example: &str) -> bool {
        if valid_group(group) {
            return true;
        }
        self.error(field, invalid_group(group, example));
        false
    }

    /// Records that the feature's header names the (checked) group `group` of
    /// setting `field` on `scope`; `url`: the URL when the feature sets its
    /// member itself ([`set_own`](super::reporting::set_own)).
    pub(crate) fn record_group(&mut self, field: &str, group: &str, url: Option<&str>, scope: &Scope) {
        let key = self.key(field);
        self.reporting.push(ReportGroup {
            key,
            group: group.to_string(),
            scope: scope.clone(),
            url: url.map(str::to_string),
        });
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

/// The table of a header feature that sends one configured value: whether
/// it is on, the value, and where it is sent (`paths` minus `exclude`).
/// `K` says which header (its defaults and how its value is read); each
/// header names its own type, e.g.
/// [`FrameOptions`](crate::headers::FrameOptions) is `HeaderConfig<kind::FrameOptions>`.
///
/// ```
/// use rocket_security::headers::FrameOptions;
///
/// let xfo = FrameOptions { value: "SAMEORIGIN".into(), ..Default::default() };
/// assert!(xfo.enabled);
/// assert_eq!(xfo.paths, ["/**"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields, bound(deserialize = ""))]
pub struct HeaderConfig<K: HeaderKind> {
    /// Send the header. _Default:_ per header.
    pub enabled: bool,
    /// The header's value. _Default:_ per header.
    #[serde(deserialize_with = "K::deserialize_value")]
    pub value: K::Value,
    /// Path patterns that get the header. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't. _Default:_ `[]`.
    pub exclude: Vec<String>,
}

impl<K: HeaderKind> Default for HeaderConfig<K> {
    fn default() -> Self {
        HeaderConfig { enabled: K::ENABLED, value: K::value(), paths: everywhere(), exclude: vec![] }
    }
}

/// Which header a [`HeaderConfig`] configures: its defaults and how its
/// value is read. Implemented by the crate's header kinds only.
///
/// ```
/// use rocket_security::headers::HeaderKind;
///
/// fn default_value<K: HeaderKind>() -> K::Value { K::value() }
/// assert_eq!(default_value::<rocket_security::headers::kind::FrameOptions>(), "DENY");
/// ```
pub trait HeaderKind: sealed::Sealed + Sized + 'static {
    /// The value's type (a string, or a list of tokens).
    type Value: std::fmt::Debug + Clone + PartialEq + Eq + Send + Sync + 'static;
    /// Whether the header is sent by default.
    const ENABLED: bool;
    /// The default value.
    fn value() -> Self::Value;
    /// Reads the value from `Rocket.toml`.
    #[doc(hidden)]
    fn deserialize_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self::Value, D::Error>;
}

pub(crate) mod sealed {
    /// Keeps [`HeaderKind`](super::HeaderKind) to this crate's headers.
    pub trait Sealed {}
}

/// Declares a [`HeaderKind`]: `$name` sends `$value` by default (`$enabled`).
macro_rules! header_kind {
    ($(#[$doc:meta])* $name:ident: $value:ty = $default:expr, enabled: $enabled:literal, read: $read:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $name;

        impl $crate::core::feature::sealed::Sealed for $name {}

        impl $crate::core::feature::HeaderKind for $name {
            type Value = $value;
            const ENABLED: bool = $enabled;
            fn value() -> $value {
                $default
            }
            fn deserialize_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<$value, D::Error> {
                $read(d)
            }
        }
    };
}
pub(crate) use header_kind;

/// The default `paths` of a header sent everywhere.
pub(crate) fn everywhere() -> Vec<String> {
    vec!["/**".to_string()]
}

/// Implemented by every feature's typed config. Its table is read by
/// deserializing it (`#[serde(default, deny_unknown_fields)]`, through
/// [`config::read`](super::config::read)); `build` does the checks that are
/// more than a type.
pub(crate) trait Feature: Default + Clone + Send + Sync + serde::de::DeserializeOwned + 'static {
    /// Its table under `security`, e.g. `hsts`.
    const KEY: &'static str;
    /// Validates the feature's settings, renders its headers into `b` and
    /// adds its request-time parts. Features compiled by the composition root
    /// with inputs from other features keep the default (nothing here).
    fn build(&self, _b: &mut Builder<'_>) {}
}

// HTTPS detection is the core's own section: `[security.https]`.
impl Feature for Https {
    const KEY: &'static str = "https";
}
