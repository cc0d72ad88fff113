//! `Permissions-Policy`: deny powerful browser features by default; and
//! `Permissions-Policy-Report-Only` (opt-in), to try a policy on reports first.
//!
//! Unlike Rocket's Shield, any feature name is accepted (new browser features
//! need no crate release), and the dated FLoC entry `interest-cohort` is not
//! part of the defaults.

use rocket::figment::value::Value as FigValue;

use crate::core::config::{at, describe, shaped, text};
use crate::core::feature::{Builder, Feature};
use crate::core::rules::Value;

/// OWASP Secure Headers Project list (2026-07), minus the FLoC `interest-cohort`.
const DEFAULT_FEATURES: &[(&str, &[&str])] = &[
    ("accelerometer", &[]),
    ("autoplay", &[]),
    ("camera", &[]),
    ("clipboard-read", &[]),
    ("clipboard-write", &[]),
    ("cross-origin-isolated", &[]),
    ("display-capture", &[]),
    ("encrypted-media", &[]),
    ("fullscreen", &[]),
    ("gamepad", &[]),
    ("geolocation", &[]),
    ("gyroscope", &[]),
    ("hid", &[]),
    ("idle-detection", &[]),
    ("keyboard-map", &[]),
    ("magnetometer", &[]),
    ("microphone", &[]),
    ("midi", &[]),
    ("payment", &[]),
    ("picture-in-picture", &[]),
    ("publickey-credentials-get", &[]),
    ("screen-wake-lock", &[]),
    ("serial", &[]),
    ("sync-xhr", &["self"]),
    ("unload", &[]),
    ("usb", &[]),
    ("web-share", &[]),
    ("xr-spatial-tracking", &[]),
];

/// `Permissions-Policy`.
///
/// ```toml
/// [default.security.permissions_policy]
/// enabled = true          # Default: true
/// use_defaults = true     # start from the deny-by-default list; Default: true
/// paths = ["/**"]         # Default: ["/**"]
/// exclude = []            # Default: []
///
/// # feature = allowlist: [] denies, ["self"], ["*"], ["src"], or origins
/// [default.security.permissions_policy.features]
/// fullscreen = ["self"]
/// geolocation = ["self", "https://maps.example.com"]
/// ```
///
/// With `use_defaults = true`, the listed features override the same names
/// in the default list and new names are appended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PermissionsPolicy {
    /// Send the header. _Default:_ `true`.
    pub enabled: bool,
    /// Start from the deny-by-default list. _Default:_ `true`.
    pub use_defaults: bool,
    /// Feature name to allowlist, in order. _Default:_ `[]`.
    #[serde(deserialize_with = "features")]
    pub features: Vec<(String, Vec<String>)>,
    /// Path patterns that get the header. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't. _Default:_ `[]`.
    pub exclude: Vec<String>,
}

/// `[...permissions_policy.features]`: a table of feature name to a list of origins.
fn features<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<(String, Vec<String>)>, D::Error> {
    shaped(d, |v| {
        let FigValue::Dict(_, dict) = v else { return Err(format!("expected a table, found {}", describe(v))) };
        let mut features = Vec::with_capacity(dict.len());
        for (name, value) in dict {
            let FigValue::Array(_, items) = value else {
                return Err(at(name, format!("expected a list such as [] or [\"self\"], found {}", describe(value))));
            };
            let mut list = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let item = text(item).ok_or_else(|| {
                    at(&format!("{name}[{i}]"), format!("expected a string, found {}", describe(item)))
                })?;
                list.push(item);
            }
            features.push((name.clone(), list));
        }
        Ok(features)
    })
}

impl Default for PermissionsPolicy {
    fn default() -> Self {
        PermissionsPolicy {
            enabled: true,
            use_defaults: true,
            features: vec![],
            paths: crate::core::feature::everywhere(),
            exclude: vec![],
        }
    }
}

impl PermissionsPolicy {
    /// Allows (or, with an empty list, denies) `feature` for `allowlist`.
    ///
    /// ```
    /// use rocket_security::headers::PermissionsPolicy;
    /// let p = PermissionsPolicy::default().feature("fullscreen", ["self"]);
    /// assert_eq!(p.features[0], ("fullscreen".to_string(), vec!["self".to_string()]));
    /// ```
    pub fn feature<I, S>(mut self, feature: &str, allowlist: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.features.push((feature.to_string(), allowlist.into_iter().map(Into::into).collect()));
        self
    }
}

impl Feature for PermissionsPolicy {
    const KEY: &'static str = "permissions_policy";

    fn build(&self, b: &mut Builder<'_>) {
        if !self.enabled {
            b.off("Permissions-Policy");
            return;
        }
        let Some(parts) = render_features(b, self.use_defaults, &self.features, "") else { return };
        let scope = b.scope(&self.paths, &self.exclude);
        b.header("features", "Permissions-Policy", Value::Always(parts.join(", ")), scope);
    }
}

/// `Permissions-Policy-Report-Only`: the same syntax as
/// [`PermissionsPolicy`], not enforced: the browser reports each use of a
/// feature the policy would deny (`disposition: "report"`). Off by default;
/// HTTPS responses only (reports need a secure context).
///
/// Each feature carries `;report-to=<group>` (the per-feature parameter
/// Chromium reads; a browser that ignores it reports to the group `default`,
/// which is why `default` is the default).
///
/// ```toml
/// [default.security.permissions_policy_report_only]
/// enabled = false         # Default: false
/// use_defaults = false    # start from Permissions-Policy's deny-by-default list; Default: false
/// report_to = "default"   # Reporting API group; Default: "default"
/// paths = ["/demo/reporting"]   # Default: ["/**"]
/// exclude = []            # Default: []
///
/// [default.security.permissions_policy_report_only.features]
/// geolocation = []
/// ```
///
/// Sent as `Permissions-Policy-Report-Only: geolocation=();report-to=default`.
///
/// ```
/// use rocket_security::headers::PermissionsPolicyReportOnly;
/// let p = PermissionsPolicyReportOnly { enabled: true, ..Default::default() }.feature("geolocation", Vec::<String>::new());
/// assert_eq!(p.features[0].0, "geolocation");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PermissionsPolicyReportOnly {
    /// Send the header. _Default:_ `false`.
    pub enabled: bool,
    /// Start from the deny-by-default list of [`PermissionsPolicy`]. _Default:_ `false`.
    pub use_defaults: bool,
    /// Feature name to allowlist, in order. _Default:_ `[]`.
    #[serde(deserialize_with = "features")]
    pub features: Vec<(String, Vec<String>)>,
    /// The Reporting API group every feature reports to; `""`: no
    /// parameter (the browser's `default` group). _Default:_ `"default"`.
    pub report_to: String,
    /// Path patterns that get the header. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't. _Default:_ `[]`.
    pub exclude: Vec<String>,
}

impl Default for PermissionsPolicyReportOnly {
    fn default() -> Self {
        PermissionsPolicyReportOnly {
            enabled: false,
            use_defaults: false,
            features: vec![],
            report_to: "default".into(),
            paths: crate::core::feature::everywhere(),
            exclude: vec![],
        }
    }
}

impl PermissionsPolicyReportOnly {
    /// Reports (with an empty list: every) use of `feature` outside `allowlist`.
    ///
    /// ```
    /// use rocket_security::headers::PermissionsPolicyReportOnly;
    /// let p = PermissionsPolicyReportOnly::default().feature("camera", ["self"]);
    /// assert_eq!(p.features[0], ("camera".to_string(), vec!["self".to_string()]));
    /// ```
    pub fn feature<I, S>(mut self, feature: &str, allowlist: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.features.push((feature.to_string(), allowlist.into_iter().map(Into::into).collect()));
        self
    }
}

impl Feature for PermissionsPolicyReportOnly {
    const KEY: &'static str = "permissions_policy_report_only";

    fn build(&self, b: &mut Builder<'_>) {
        let group = self.report_to.trim();
        // The browser's own default group gets the reports without a parameter too.
        let group = if group.is_empty() { "default" } else { group };
        // Checked even when disabled, so turning it on later cannot fail.
        if !b.check_group("report_to", group, "default") {
            return;
        }
        if !self.enabled {
            if self.use_defaults || !self.features.is_empty() {
                render_features(b, self.use_defaults, &self.features, "");
            }
            b.off("Permissions-Policy-Report-Only");
            return;
        }
        let scope = b.scope(&self.paths, &self.exclude);
        b.record_group("report_to", group, None, &scope);
        let param = if self.report_to.trim().is_empty() { String::new() } else { format!(";report-to={group}") };
        let Some(parts) = render_features(b, self.use_defaults, &self.features, &param) else { return };
        b.header("features", "Permissions-Policy-Report-Only", Value::HttpsOnly(parts.join(", ")), scope);
    }
}

/// The `feature=allowlist` members of a policy, each followed by `param`;
/// `None` after recording the errors in `b`.
fn render_features(
    b: &mut Builder<'_>,
    use_defaults: bool,
    features: &[(String, Vec<String>)],
    param: &str,
) -> Option<Vec<String>> {
    let mut list: Vec<(String, Vec<String>)> = if use_defaults {
        DEFAULT_FEATURES.iter().map(|(f, a)| (f.to_string(), a.iter().map(|s| s.to_string()).collect())).collect()
    } else {
        vec![]
    };
    let mut seen: Vec<&str> = vec![];
    for (name, allow) in features {
        if seen.contains(&name.as_str()) {
            b.error(&format!("features.{name}"), "listed twice; keep one entry");
            continue;
        }
        seen.push(name);
        match list.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = allow.clone(),
            None => list.push((name.clone(), allow.clone())),
        }
    }
    if list.is_empty() {
        b.error(
            "features",
            "no features: with `use_defaults = false`, list at least one feature or set `enabled = false`",
        );
        return None;
    }
    let mut parts = Vec::with_capacity(list.len());
    for (name, allow) in &list {
        let key = format!("features.{name}");
        if !valid_feature_name(name) {
            b.error(&key, "feature names are lowercase letters, digits and `-`, starting with a letter");
            continue;
        }
        match render_allowlist(allow) {
            Ok(v) => parts.push(format!("{name}={v}{param}")),
            Err(e) => b.error(&key, e),
        }
    }
    (parts.len() == list.len()).then_some(parts)
}

fn valid_feature_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn render_allowlist(allow: &[String]) -> Result<String, String> {
    if allow.len() == 1 && allow[0] == "*" {
        return Ok("*".into());
    }
    let mut out = Vec::with_capacity(allow.len());
    for item in allow {
        let t = item.trim();
        match t {
            "self" | "src" => out.push(t.to_string()),
            "*" => return Err("`*` allows every origin and cannot be combined with other entries".into()),
            "'self'" | "'src'" | "'none'" => {
                return Err(format!("write {} without quotes (Permissions-Policy is not CSP)", t.trim_matches('\'')));
            }
            "none" => {
                return Err("an empty list `[]` denies the feature; `none` is not a Permissions-Policy keyword".into());
            }
            origin => {
                let o = origin.trim_matches('"');
                let ok = (o.starts_with("https://") || o.starts_with("http://"))
                    && o.split_once("://")
                        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.contains(['/', '"', ' ', ',', ';']));
                if !ok {
                    return Err(format!(
                        "{origin:?} is not an allowlist entry; use self, src, * or an origin such as \"https://example.com\""
                    ));
                }
                out.push(format!("\"{o}\""));
            }
        }
    }
    Ok(format!("({})", out.join(" ")))
}
