//! The `[security.csp]` table: the typed settings and their reader.

use rocket::figment::value::{Dict, Value as FigValue};

use crate::core::config::{describe, Section};
use crate::core::feature::Common;

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
#[derive(Debug, Clone, PartialEq)]
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
        }
    }
}

fn read_directives(s: &Section<'_>, prefix: &str, dict: Option<&Dict>) -> Directives {
    let mut out = Vec::new();
    for (name, value) in dict.into_iter().flatten() {
        let key = format!("{prefix}{name}");
        match value {
            FigValue::Bool(_, true) => out.push((name.clone(), Some(vec![]))),
            FigValue::Bool(_, false) => out.push((name.clone(), None)),
            FigValue::Array(_, items) => {
                let mut list = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item.as_str() {
                        Some(v) => list.push(v.to_string()),
                        None => s.error(&format!("{key}[{i}]"), format!("expected a string, found {}", describe(item))),
                    }
                }
                out.push((name.clone(), Some(list)));
            }
            FigValue::String(_, v) => s.error(
                &key,
                format!("expected a list of sources, found the string {v:?}; write [{v:?}] (or true for a boolean directive)"),
            ),
            other => s.error(&key, format!("expected a list of sources or true/false, found {}", describe(other))),
        }
    }
    out
}

fn read_policy(s: &Section<'_>) -> PolicyConfig {
    let directives = read_directives(s, "directives.", s.dict("directives"));
    let mut routes = Vec::new();
    if let Some(FigValue::Array(_, items)) = s.get("routes") {
        for (i, item) in items.iter().enumerate() {
            let key = format!("routes[{i}]");
            let FigValue::Dict(_, d) = item else {
                s.error(
                    &key,
                    format!("expected a table with paths and directives or policy, found {}", describe(item)),
                );
                continue;
            };
            for k in d.keys().filter(|k| !["paths", "directives", "policy"].contains(&k.as_str())) {
                s.error(
                    &format!("{key}.{k}"),
                    "unknown key; the keys of a route policy are: directives, paths, policy",
                );
            }
            let paths = match d.get("paths") {
                Some(FigValue::Array(_, p)) => p.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
                _ => {
                    s.error(&format!("{key}.paths"), "required: a list of path patterns, e.g. [\"/admin/**\"]");
                    vec![]
                }
            };
            let directives = match d.get("directives") {
                Some(FigValue::Dict(_, dd)) => read_directives(s, &format!("{key}.directives."), Some(dd)),
                Some(other) => {
                    s.error(&format!("{key}.directives"), format!("expected a table, found {}", describe(other)));
                    vec![]
                }
                None => vec![],
            };
            let policy = d.get("policy").and_then(|v| v.as_str()).map(str::to_string);
            routes.push(RoutePolicy { paths, directives, policy });
        }
    } else if let Some(other) = s.get("routes") {
        s.error("routes", format!("expected a list of tables ([[...csp.routes]]), found {}", describe(other)));
    }
    let d = PolicyConfig::default();
    PolicyConfig {
        use_defaults: s.bool("use_defaults", d.use_defaults),
        directives,
        // A list of policies is sent comma-separated, as CSP defines several policies.
        policy: match s.get("policy") {
            Some(FigValue::Array(..)) => Some(s.strings("policy", &[]).join(", ")),
            _ => s.opt_string("policy"),
        },
        routes,
    }
}

impl Csp {
    /// Reads the table (absent keys keep their defaults).
    pub(crate) fn read_section(s: &Section<'_>) -> Self {
        let d = Csp::default();
        let c = Common::read(s, d.enabled, &d.paths, &d.exclude);
        let ro = s.section("report_only");
        let report_only = ReportOnly { enabled: ro.bool("enabled", d.report_only.enabled), policy: read_policy(&ro) };
        ro.finish();
        let percentage = match s.get("report_percentage") {
            None => d.report_percentage,
            Some(FigValue::Num(_, n)) => n.to_f64().or_else(|| n.to_i128().map(|i| i as f64)).unwrap_or(-1.0),
            Some(other) => {
                s.error("report_percentage", format!("expected a number from 0 to 100, found {}", describe(other)));
                d.report_percentage
            }
        };
        Csp {
            enabled: c.enabled,
            policy: read_policy(s),
            report_only,
            nonce_directives: s.strings("nonce_directives", &d.nonce_directives),
            strict_dynamic: s.bool("strict_dynamic", d.strict_dynamic),
            allow_unknown_directives: s.bool("allow_unknown_directives", d.allow_unknown_directives),
            require_default_src: s.bool("require_default_src", d.require_default_src),
            // `report = "keep"`: the policy's own reporting directives, not the collector's.
            report: match s.get("report") {
                Some(FigValue::String(_, v)) if v == "keep" => false,
                Some(FigValue::String(_, v)) => {
                    s.error("report", format!("{v:?} is not allowed; use true (the collector), false (none) or \"keep\" (the policy's own)"));
                    d.report
                }
                _ => s.bool("report", d.report),
            },
            report_uri: s.string("report_uri", &d.report_uri),
            report_to: s.string("report_to", &d.report_to),
            report_percentage: percentage,
            paths: c.paths,
            exclude: c.exclude,
        }
    }
}
