//! The `[security.csp]` table: the typed settings and their reader.

use rocket::figment::value::Value as FigValue;

use super::cache::NonceCache;
use crate::core::config::{describe, each_at, shaped, string_items, text};

/// Directive changes: `Some(sources)` sets (empty for boolean directives), `None` removes.
///
/// ```
/// use rocket::figment::{providers::{Format, Toml}, Figment};
/// use rocket_security::{csp::Directives, SecurityConfig};
///
/// let figment = Figment::from(rocket::Config::default()).merge(Toml::string(r#"
///     [default.security.csp.directives]
///     img-src = ["'self'", "data:"]
///     object-src = false
/// "#).nested());
/// let directives: Directives = SecurityConfig::from_figment(&figment).unwrap().csp.policy.directives;
/// assert_eq!(directives[0], ("img-src".into(), Some(vec!["'self'".into(), "data:".into()])));
/// assert_eq!(directives[1], ("object-src".into(), None));
/// ```
pub type Directives = Vec<(String, Option<Vec<String>>)>;

/// One policy (enforced or report-only).
///
/// ```
/// use rocket::figment::{providers::{Format, Toml}, Figment};
/// use rocket_security::SecurityConfig;
///
/// let figment = Figment::from(rocket::Config::default()).merge(Toml::string(r#"
///     [default.security.csp]
///     policy = ["default-src 'self'", "frame-ancestors 'none'"]
/// "#).nested());
/// let policy = SecurityConfig::from_figment(&figment).unwrap().csp.policy;
/// assert_eq!(policy.policy.as_deref(), Some("default-src 'self', frame-ancestors 'none'"));
/// assert!(policy.use_defaults && policy.directives.is_empty() && policy.routes.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    /// Start from the strict default directives. _Default:_ `true`.
    pub use_defaults: bool,
    /// Directives set over the defaults (`None` removes one). _Default:_ `[]`.
    pub directives: Directives,
    /// A whole raw policy instead of `use_defaults` + `directives`; several
    /// policies comma-separated (or as a list in `Rocket.toml`), each
    /// validated and enforced on its own. _Default:_ `None`.
    pub policy: Option<String>,
    /// Different policies for some paths; the first match wins. _Default:_ `[]`.
    pub routes: Vec<RoutePolicy>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig { use_defaults: true, directives: vec![], policy: None, routes: vec![] }
    }
}

/// A policy for the paths matching `paths`.
///
/// ```
/// use rocket::figment::{providers::{Format, Toml}, Figment};
/// use rocket_security::{csp::RoutePolicy, SecurityConfig};
///
/// let figment = Figment::from(rocket::Config::default()).merge(Toml::string(r#"
///     [[default.security.csp.routes]]
///     paths = ["/admin/**"]
///     directives = { script-src = ["'self'", "'unsafe-inline'"] }
/// "#).nested());
/// let routes: Vec<RoutePolicy> = SecurityConfig::from_figment(&figment).unwrap().csp.policy.routes;
/// assert_eq!(routes[0].paths, ["/admin/**"]);
/// assert_eq!(routes[0].directives[0], ("script-src".into(), Some(vec!["'self'".into(), "'unsafe-inline'".into()])));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoutePolicy {
    /// Path patterns. Required.
    pub paths: Vec<String>,
    /// Directives set over the main policy (`None` removes one).
    pub directives: Directives,
    /// A whole raw policy replacing the main one on these paths.
    pub policy: Option<String>,
}

/// The report-only policy, sent as `Content-Security-Policy-Report-Only`.
///
/// ```
/// use rocket::{figment::Figment, get, local::blocking::Client, routes};
///
/// #[get("/")]
/// fn index() -> &'static str { "hello" }
///
/// let figment = Figment::from(rocket::Config::default())
///     .merge(("security.csp.report_only.enabled", true))
///     .merge(("security.csp.report_only.policy", "default-src 'none'"));
/// let rocket = rocket::custom(figment).attach(rocket_security::Security::fairing()).mount("/", routes![index]);
/// let client = Client::tracked(rocket).unwrap();
/// let csp = client.get("/").dispatch().headers().get_one("Content-Security-Policy-Report-Only").map(str::to_string);
/// assert_eq!(csp.as_deref(), Some("default-src 'none'; report-uri /security/csp-report"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportOnly {
    /// Send it. _Default:_ `false`.
    pub enabled: bool,
    /// The policy. _Default:_ the strict default policy.
    pub policy: PolicyConfig,
}

/// `Content-Security-Policy` configuration; see the [module docs](super).
///
/// ```
/// use rocket::figment::{providers::{Format, Toml}, Figment};
/// use rocket_security::SecurityConfig;
///
/// let figment = Figment::from(rocket::Config::default()).merge(Toml::string(r#"
///     [default.security.csp]
///     nonce_directives = ["script-src", "style-src"]
///     report = "keep"
/// "#).nested());
/// let csp = SecurityConfig::from_figment(&figment).unwrap().csp;
/// assert_eq!(csp.nonce_directives, ["script-src", "style-src"]);
/// assert!(csp.enabled && !csp.report);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(from = "CspTable")]
pub struct Csp {
    /// Send the enforced policy. _Default:_ `true`.
    pub enabled: bool,
    /// The enforced policy. _Default:_ the strict default policy.
    pub policy: PolicyConfig,
    /// The report-only policy. _Default:_ off.
    pub report_only: ReportOnly,
    /// Directives a [`CspNonce`](crate::CspNonce) is added to. _Default:_ `["script-src"]`.
    pub nonce_directives: Vec<String>,
    /// Add `'strict-dynamic'` next to the nonce. _Default:_ `false`.
    pub strict_dynamic: bool,
    /// Accept directive names this crate does not know. _Default:_ `false`.
    pub allow_unknown_directives: bool,
    /// Refuse a policy without `default-src` (by default a warning: browsers
    /// apply such a policy as written). _Default:_ `false`.
    pub require_default_src: bool,
    /// Add the collector's reporting directives. In `Rocket.toml` also
    /// `"keep"`: send the policy's own `report-uri` / `report-to` unchanged
    /// (the same as `false` here). _Default:_ `true`.
    pub report: bool,
    /// Where `report-uri` points. _Default:_ `"/security/csp-report"`.
    pub report_uri: String,
    /// The Reporting API group (`report-to`, HTTPS only). _Default:_ `"csp-endpoint"`.
    pub report_to: String,
    /// Percentage (0–100) of responses that carry the reporting directives. _Default:_ `100`.
    pub report_percentage: f64,
    /// Path patterns that get the policies. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't. _Default:_ `[]`.
    pub exclude: Vec<String>,
    /// The `Cache-Control` of a page whose policy carries a nonce, when its
    /// handler set none: `"no-store"` (`private, no-store`), `"private"` or
    /// `"leave"` (see [`NonceCache`]). _Default:_ `"no-store"`.
    pub nonce_cache: NonceCache,
}

impl Default for Csp {
    fn default() -> Self {
        Csp {
            enabled: true,
            policy: PolicyConfig::default(),
            report_only: ReportOnly::default(),
            nonce_directives: vec!["script-src".into()],
            strict_dynamic: false,
            allow_unknown_directives: false,
            require_default_src: false,
            report: true,
            report_uri: "/security/csp-report".into(),
            report_to: "csp-endpoint".into(),
            report_percentage: 100.0,
            paths: crate::core::feature::everywhere(),
            exclude: vec![],
            nonce_cache: NonceCache::NoStore,
        }
    }
}

/// A mistake in a CSP value: the sub-key below the value's own key ("" for
/// the value itself) and the message. A value reports all of its mistakes.
type Mistake = (String, String);

/// The [`shaped`] reader of a CSP value.
fn csp_value<'de, D: serde::Deserializer<'de>, T>(
    d: D,
    f: fn(&FigValue) -> Result<T, Vec<Mistake>>,
) -> Result<T, D::Error> {
    shaped(d, |v| f(v).map_err(each_at))
}

/// One mistake, as the readers of single values return it.
fn one(message: String) -> Vec<Mistake> {
    vec![(String::new(), message)]
}

fn directives(v: &FigValue) -> Result<Directives, Vec<Mistake>> {
    let FigValue::Dict(_, dict) = v else {
        return Err(one(format!("expected a table, found {}", describe(v))));
    };
    let mut out = Vec::with_capacity(dict.len());
    let mut mistakes = vec![];
    for (name, value) in dict {
        match value {
            FigValue::Bool(_, true) => out.push((name.clone(), Some(vec![]))),
            FigValue::Bool(_, false) => out.push((name.clone(), None)),
            FigValue::Array(_, items) => {
                let mut list = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match text(item) {
                        Some(v) => list.push(v),
                        None => mistakes
                            .push((format!("{name}[{i}]"), format!("expected a string, found {}", describe(item)))),
                    }
                }
                out.push((name.clone(), Some(list)));
            }
            FigValue::String(_, v) => mistakes.push((
                name.clone(),
                format!("expected a list of sources, found the string {v:?}; write [{v:?}] (or true for a boolean directive)"),
            )),
            other => mistakes
                .push((name.clone(), format!("expected a list of sources or true/false, found {}", describe(other)))),
        }
    }
    if mistakes.is_empty() {
        Ok(out)
    } else {
        Err(mistakes)
    }
}

/// A whole policy, or several (a list in `Rocket.toml`, sent comma-separated as CSP defines).
fn policy(v: &FigValue) -> Result<Option<String>, Vec<Mistake>> {
    match v {
        FigValue::Array(_, items) => {
            let list = string_items(items).map_err(one)?;
            Ok(Some(list.join(", ")))
        }
        v => match text(v) {
            Some(s) => Ok(Some(s)),
            None => Err(one(format!("expected a string, found {}", describe(v)))),
        },
    }
}

fn routes(v: &FigValue) -> Result<Vec<RoutePolicy>, Vec<Mistake>> {
    let FigValue::Array(_, items) = v else {
        return Err(one(format!("expected a list of tables ([[...csp.routes]]), found {}", describe(v))));
    };
    let mut routes = Vec::with_capacity(items.len());
    let mut mistakes = vec![];
    for (i, item) in items.iter().enumerate() {
        let key = format!("[{i}]");
        let FigValue::Dict(_, d) = item else {
            mistakes
                .push((key, format!("expected a table with paths and directives or policy, found {}", describe(item))));
            continue;
        };
        for k in d.keys().filter(|k| !["paths", "directives", "policy"].contains(&k.as_str())) {
            mistakes.push((
                format!("{key}.{k}"),
                "unknown key; the keys of a route policy are: directives, paths, policy".into(),
            ));
        }
        let paths = match d.get("paths") {
            Some(FigValue::Array(_, p)) => p.iter().filter_map(text).collect(),
            _ => {
                mistakes
                    .push((format!("{key}.paths"), "required: a list of path patterns, e.g. [\"/admin/**\"]".into()));
                vec![]
            }
        };
        let directives = match d.get("directives").map(directives) {
            Some(Ok(d)) => d,
            Some(Err(m)) => {
                let at = format!("{key}.directives");
                mistakes.extend(
                    m.into_iter().map(|(sub, m)| (if sub.is_empty() { at.clone() } else { format!("{at}.{sub}") }, m)),
                );
                vec![]
            }
            None => vec![],
        };
        let policy = d.get("policy").and_then(text);
        routes.push(RoutePolicy { paths, directives, policy });
    }
    if mistakes.is_empty() {
        Ok(routes)
    } else {
        Err(mistakes)
    }
}

/// `report`: true (the collector), false (none) or "keep" (the policy's own, the same as false).
fn report(v: &FigValue) -> Result<bool, Vec<Mistake>> {
    match v {
        FigValue::Bool(_, b) => Ok(*b),
        FigValue::String(_, k) if k == "keep" => Ok(false),
        FigValue::String(_, k) => Err(one(format!(
            "{k:?} is not allowed; use true (the collector), false (none) or \"keep\" (the policy's own)"
        ))),
        v => Err(one(format!("expected true or false, found {}", describe(v)))),
    }
}

/// `report_percentage`: any number (checked from 0 to 100 when compiled).
fn percentage(v: &FigValue) -> Result<f64, Vec<Mistake>> {
    match v {
        FigValue::Num(_, n) => Ok(n.to_f64().or_else(|| n.to_i128().map(|i| i as f64)).unwrap_or(-1.0)),
        v => Err(one(format!("expected a number from 0 to 100, found {}", describe(v)))),
    }
}

/// The `deserialize_with` functions of the tables below.
mod read {
    use super::{csp_value, Directives, RoutePolicy};
    use serde::Deserializer;

    pub(super) fn directives<'de, D: Deserializer<'de>>(d: D) -> Result<Directives, D::Error> {
        csp_value(d, super::directives)
    }
    pub(super) fn policy<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        csp_value(d, super::policy)
    }
    pub(super) fn routes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RoutePolicy>, D::Error> {
        csp_value(d, super::routes)
    }
    pub(super) fn report<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        csp_value(d, super::report)
    }
    pub(super) fn percentage<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        csp_value(d, super::percentage)
    }
}

/// The `[security.csp.report_only]` table as written: the policy's keys sit
/// beside `enabled`, so it is read through this mirror.
#[derive(serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ReportOnlyTable {
    enabled: bool,
    use_defaults: bool,
    #[serde(deserialize_with = "read::directives")]
    directives: Directives,
    #[serde(deserialize_with = "read::policy")]
    policy: Option<String>,
    #[serde(deserialize_with = "read::routes")]
    routes: Vec<RoutePolicy>,
}

impl Default for ReportOnlyTable {
    fn default() -> Self {
        let ReportOnly { enabled, policy: PolicyConfig { use_defaults, directives, policy, routes } } =
            ReportOnly::default();
        ReportOnlyTable { enabled, use_defaults, directives, policy, routes }
    }
}

impl From<ReportOnlyTable> for ReportOnly {
    fn from(t: ReportOnlyTable) -> Self {
        let ReportOnlyTable { enabled, use_defaults, directives, policy, routes } = t;
        ReportOnly { enabled, policy: PolicyConfig { use_defaults, directives, policy, routes } }
    }
}

/// The `[security.csp]` table as written (the policy's keys beside the
/// others); [`Csp`] is read through it.
#[derive(serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct CspTable {
    enabled: bool,
    use_defaults: bool,
    #[serde(deserialize_with = "read::directives")]
    directives: Directives,
    #[serde(deserialize_with = "read::policy")]
    policy: Option<String>,
    #[serde(deserialize_with = "read::routes")]
    routes: Vec<RoutePolicy>,
    report_only: ReportOnlyTable,
    nonce_directives: Vec<String>,
    strict_dynamic: bool,
    allow_unknown_directives: bool,
    require_default_src: bool,
    #[serde(deserialize_with = "read::report")]
    report: bool,
    report_uri: String,
    report_to: String,
    #[serde(deserialize_with = "read::percentage")]
    report_percentage: f64,
    paths: Vec<String>,
    exclude: Vec<String>,
    nonce_cache: NonceCache,
}

impl Default for CspTable {
    fn default() -> Self {
        let d = Csp::default();
        let PolicyConfig { use_defaults, directives, policy, routes } = d.policy;
        CspTable {
            enabled: d.enabled,
            use_defaults,
            directives,
            policy,
            routes,
            report_only: ReportOnlyTable::default(),
            nonce_directives: d.nonce_directives,
            strict_dynamic: d.strict_dynamic,
            allow_unknown_directives: d.allow_unknown_directives,
            require_default_src: d.require_default_src,
            report: d.report,
            report_uri: d.report_uri,
            report_to: d.report_to,
            report_percentage: d.report_percentage,
            paths: d.paths,
            exclude: d.exclude,
            nonce_cache: d.nonce_cache,
        }
    }
}

impl From<CspTable> for Csp {
    fn from(t: CspTable) -> Self {
        Csp {
            enabled: t.enabled,
            policy: PolicyConfig {
                use_defaults: t.use_defaults,
                directives: t.directives,
                policy: t.policy,
                routes: t.routes,
            },
            report_only: t.report_only.into(),
            nonce_directives: t.nonce_directives,
            strict_dynamic: t.strict_dynamic,
            allow_unknown_directives: t.allow_unknown_directives,
            require_default_src: t.require_default_src,
            report: t.report,
            report_uri: t.report_uri,
            report_to: t.report_to,
            report_percentage: t.report_percentage,
            paths: t.paths,
            exclude: t.exclude,
            nonce_cache: t.nonce_cache,
        }
    }
}
