//! Response-header features: one file per header family.
//!
//! Every feature reads its own table of `[default.security]`, validates it once
//! at ignite and renders its header value once. At response time the fairing
//! only checks the path scope and inserts the pre-rendered value.

pub(crate) mod cache;
pub(crate) mod clear_site_data;
pub(crate) mod cross_origin;
pub(crate) mod frame;
pub(crate) mod hsts;
pub(crate) mod legacy;
pub(crate) mod nosniff;
pub(crate) mod permissions;
pub(crate) mod privacy;
pub(crate) mod route;

use crate::config::reader::Section;
use crate::error::ConfigError;
use crate::paths::{PathSet, Scope};

/// When a rendered header is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// On every response in scope.
    Always(String),
    /// Only on responses to requests that arrived over HTTPS (RFC 6797 §7.2).
    HttpsOnly(String),
}

/// One header, validated and rendered at ignite.
#[derive(Debug, Clone)]
pub(crate) struct HeaderRule {
    pub(crate) name: &'static str,
    /// The value on requests that arrived over HTTPS, if any.
    pub(crate) https: Option<&'static str>,
    /// The value on plain-HTTP requests, if any.
    pub(crate) http: Option<&'static str>,
    pub(crate) scope: Scope,
    /// Replace a value the handler set (see [`NoStore`](crate::NoStore)).
    pub(crate) force: bool,
    /// Skip this header when the route set this other header itself
    /// (`Pragma`/`Expires` go with `Cache-Control`).
    pub(crate) follows: Option<&'static str>,
}

impl HeaderRule {
    pub(crate) fn needs_scheme(&self) -> bool {
        self.https != self.http
    }

    /// The value for this request, if any.
    #[inline]
    pub(crate) fn value_for(&self, secure: bool) -> Option<&'static str> {
        if secure {
            self.https
        } else {
            self.http
        }
    }
}

/// Rendered header values live for the whole process: they are interned, so
/// responses borrow them without copying and each distinct value is stored once.
pub(crate) fn intern(value: String) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static VALUES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = VALUES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(v) = set.get(value.as_str()) {
        return v;
    }
    let leaked: &'static str = Box::leak(value.into_boxed_str());
    set.insert(leaked);
    leaked
}

/// What building one feature produces.
pub(crate) struct Builder<'e> {
    pub(crate) prefix: String,
    pub(crate) errors: &'e mut Vec<ConfigError>,
    pub(crate) warnings: &'e mut Vec<String>,
    pub(crate) rules: &'e mut Vec<HeaderRule>,
    pub(crate) summary: &'e mut Vec<String>,
    pub(crate) release: bool,
    /// Where the CSP feature leaves its compiled policies.
    pub(crate) csp: &'e mut Option<crate::csp::CompiledCsp>,
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

    pub(crate) fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
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

/// A header value must be visible ASCII (or spaces/tabs inside): a CR or LF
/// would split the header, anything else is rejected by HTTP/1.1 and h2 peers.
pub(crate) fn check_value(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("is empty".into());
    }
    if let Some(c) = v.chars().find(|c| *c == '\r' || *c == '\n') {
        return Err(format!(
            "contains a line break ({}), which would split the header; remove it",
            if c == '\r' { "CR" } else { "LF" }
        ));
    }
    if let Some((i, c)) = v.char_indices().find(|(_, c)| !(c.is_ascii_graphic() || *c == ' ' || *c == '\t')) {
        return Err(format!("contains {:?} (U+{:04X}) at byte {i}; header values must be visible ASCII", c, c as u32));
    }
    if v.starts_with([' ', '\t']) || v.ends_with([' ', '\t']) {
        return Err("has leading or trailing whitespace; remove it".into());
    }
    Ok(())
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
    pub(crate) fn read(s: &Section<'_>, enabled: bool, paths: &[&str]) -> Self {
        Common {
            enabled: s.bool("enabled", enabled),
            paths: s.strings("paths", paths),
            exclude: s.strings("exclude", &[]),
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
    /// Validates and renders the feature's headers.
    fn build(&self, b: &mut Builder<'_>);
}

/// Adds `fairing()` and `into_fairing()` to a feature's config type.
macro_rules! feature_fairing {
    ($ty:ident, $field:ident) => {
        impl $ty {
            #[doc = concat!("A fairing sending only this feature, configured from `[default.security.", stringify!($field), "]`.")]
            ///
            /// Like [`Security::fairing()`](crate::Security::fairing) it replaces Rocket's
            /// default Shield; attach the other features you want, or use
            /// `Security::fairing()` for all of them.
            pub fn fairing() -> crate::Security {
                crate::Security::only(<$ty as crate::headers::Feature>::KEY, None)
            }

            /// A fairing sending only this feature, configured in code
            /// (Rocket.toml is not read for it). Validated at ignite like the file.
            pub fn into_fairing(self) -> crate::Security {
                let config = crate::SecurityConfig { $field: self, ..Default::default() };
                crate::Security::only(<$ty as crate::headers::Feature>::KEY, Some(config))
            }
        }
    };
}
pub(crate) use feature_fairing;

#[cfg(test)]
mod tests {
    use super::check_value;

    #[test]
    fn header_values_must_be_visible_ascii() {
        assert!(check_value("max-age=1").is_ok());
        assert_eq!(
            check_value("a\r\nSet-Cookie: x").unwrap_err(),
            "contains a line break (CR), which would split the header; remove it"
        );
        assert_eq!(
            check_value("caf\u{e9}").unwrap_err(),
            "contains 'é' (U+00E9) at byte 3; header values must be visible ASCII"
        );
        assert_eq!(check_value(" x").unwrap_err(), "has leading or trailing whitespace; remove it");
    }
}
