//! Where browsers send their reports: the one `Reporting-Endpoints` header
//! that names the collector for every Reporting API group the crate's headers
//! use, the switch for the reports browsers send on their own (deprecations,
//! interventions, crashes), and Network Error Logging (`NEL`, with the legacy
//! `Report-To` header it needs). HTTPS responses only: browsers ignore
//! reporting headers from insecure origins.
//!
//! ```toml
//! [default.security.reporting]
//! endpoint = ""             # the URL every group names; "": the collector's
//!                           # `security.reports.path`; Default: ""
//! browser_reports = false   # name the group `default` on every HTTPS response; Default: false
//!
//! [default.security.nel]
//! enabled = false           # Default: false
//! max_age = 86400           # Default: 86400
//! failure_fraction = 1.0    # Default: 1.0
//! ```
//!
//! With the CSP's reporting and a report-only COEP on, an HTTPS response
//! carries one header for both groups:
//! `Reporting-Endpoints: csp-endpoint="/security/csp-report", default="/security/csp-report"`.
//!
//! ```
//! use rocket::http::Header;
//! use rocket::local::blocking::Client;
//! use rocket::{get, routes};
//!
//! #[get("/")]
//! fn index() -> &'static str { "hello" }
//!
//! let figment = rocket::figment::Figment::from(rocket::Config::default())
//!     .merge(("security.https.trusted_proxies", ["127.0.0.1"]))
//!     .merge(("security.coep_report_only.enabled", true));
//! let rocket = rocket::custom(figment)
//!     .attach(rocket_security::Security::fairing())
//!     .mount("/", routes![index]);
//! let client = Client::tracked(rocket).unwrap();
//! let res = client.get("/").remote("127.0.0.1:9".parse().unwrap())
//!     .header(Header::new("X-Forwarded-Proto", "https")).dispatch();
//! assert_eq!(res.headers().get_one("Cross-Origin-Embedder-Policy-Report-Only"),
//!     Some("require-corp; report-to=\"default\""));
//! assert_eq!(res.headers().get_one("Reporting-Endpoints"),
//!     Some("csp-endpoint=\"/security/csp-report\", default=\"/security/csp-report\""));
//! ```

use rocket::http::Header;
use rocket::{Request, Response};

use crate::core::check::Finding;
use crate::core::error::ConfigError;
use crate::core::feature::{Builder, Feature};
use crate::core::https::HttpsPolicy;
use crate::core::part::{Finish, Part};
use crate::core::paths::{PathSet, Scope};
use crate::core::reporting::{invalid_group, valid_group, ReportGroup, NAME};
use crate::core::rules::intern;

/// The group Chromium sends deprecation, intervention and crash reports to.
const DEFAULT_GROUP: &str = "default";

/// The setting that names [`DEFAULT_GROUP`] (its name cannot change).
const BROWSER_REPORTS: &str = "security.reporting.browser_reports";

/// The `[default.security.reporting]` table: where the crate's reporting
/// headers send their reports.
///
/// ```toml
/// [default.security.reporting]
/// endpoint = ""             # an absolute path or https:// URL; Default: "" (the collector's path)
/// browser_reports = false   # Default: false
/// paths = ["/**"]           # where `browser_reports` names `default`; Default: ["/**"]
/// exclude = []              # Default: []
/// ```
///
/// ```
/// use rocket_security::headers::Reporting;
/// let r = Reporting { browser_reports: true, ..Default::default() };
/// assert_eq!(r.endpoint, "");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reporting {
    /// The URL every Reporting API group of the crate's headers names: an
    /// absolute path on this site or an `https://` URL (another collector);
    /// `""`: the collector's `security.reports.path`. _Default:_ `""`.
    pub endpoint: String,
    /// Name the group `default` on every HTTPS response in scope, so the
    /// reports browsers send on their own (deprecations, interventions,
    /// crashes) reach the collector even without other reporting headers.
    /// _Default:_ `false`.
    pub browser_reports: bool,
    /// Path patterns where `browser_reports` applies. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns where it does not. _Default:_ `[]`.
    pub exclude: Vec<String>,
}

impl Default for Reporting {
    fn default() -> Self {
        Reporting {
            endpoint: String::new(),
            browser_reports: false,
            paths: crate::core::feature::everywhere(),
            exclude: vec![],
        }
    }
}

// Compiled by the composition root: it needs the groups of the other
// features and the collector's path (see `compile`).
impl Feature for Reporting {
    const KEY: &'static str = "reporting";
}

/// Network Error Logging: the `[default.security.nel]` table. With it on,
/// HTTPS responses carry `NEL` and the legacy `Report-To` header that names
/// its group (NEL knows no `Reporting-Endpoints`), so browsers report failed
/// (and a sample of successful) requests to this site: DNS, TCP, TLS and
/// HTTP errors.
///
/// `Report-To` needs an absolute URL: with a path `endpoint` it is built from
/// the request's host when an entry of `security.allowed_hosts` names it
/// (without the list, or for a host only `*` or a network admits, the host is
/// not trusted and NEL is not sent), or taken as configured when
/// `security.reporting.endpoint` is an `https://` URL.
///
/// ```toml
/// [default.security.nel]
/// enabled = false           # Default: false
/// group = "nel"             # the Report-To group; Default: "nel"
/// max_age = 86400           # seconds the browser keeps the policy; Default: 86400
/// success_fraction = 0.0    # share of successful requests reported, 0 to 1; Default: 0.0
/// failure_fraction = 1.0    # share of failed requests reported, 0 to 1; Default: 1.0
/// include_subdomains = false  # Default: false
/// paths = ["/**"]           # Default: ["/**"]
/// exclude = []              # Default: []
/// ```
///
/// ```
/// use rocket_security::headers::Nel;
/// let nel = Nel { enabled: true, success_fraction: 0.01, ..Default::default() };
/// assert_eq!(nel.failure_fraction, 1.0);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Nel {
    /// Send `NEL` and `Report-To` on HTTPS responses. _Default:_ `false`.
    pub enabled: bool,
    /// The `Report-To` group NEL reports to. _Default:_ `"nel"`.
    pub group: String,
    /// Seconds the browser keeps the policy (and the group). _Default:_ `86400`.
    pub max_age: u64,
    /// Share of successful requests reported, from 0 to 1. _Default:_ `0.0`.
    pub success_fraction: f64,
    /// Share of failed requests reported, from 0 to 1. _Default:_ `1.0`.
    pub failure_fraction: f64,
    /// The policy covers the subdomains of the host. _Default:_ `false`.
    pub include_subdomains: bool,
    /// Path patterns that get the headers. _Default:_ `["/**"]`.
    pub paths: Vec<String>,
    /// Path patterns that don't. _Default:_ `[]`.
    pub exclude: Vec<String>,
}

impl Default for Nel {
    fn default() -> Self {
        Nel {
            enabled: false,
            group: "nel".into(),
            max_age: 86_400,
            success_fraction: 0.0,
            failure_fraction: 1.0,
            include_subdomains: false,
            paths: crate::core::feature::everywhere(),
            exclude: vec![],
        }
    }
}

/// Longest `max_age` accepted: a year, as browsers' own caps.
const MAX_NEL_AGE: u64 = 31_536_000;

impl Feature for Nel {
    const KEY: &'static str = "nel";

    /// Checks the values (even when off, so turning it on cannot fail); the
    /// part is compiled by the composition root with the endpoint.
    fn build(&self, b: &mut Builder<'_>) {
        let group = self.group.trim();
        if !valid_group(group) {
            b.error("group", invalid_group(group, "nel"));
        }
        if self.max_age > MAX_NEL_AGE {
            b.error("max_age", format!("{} is more than a year; use at most {MAX_NEL_AGE}", self.max_age));
        }
        for (field, v) in [("success_fraction", self.success_fraction), ("failure_fraction", self.failure_fraction)] {
            if !(0.0..=1.0).contains(&v) {
                b.error(field, format!("{v} is not a fraction; use a number from 0 to 1, such as 0.05"));
            }
        }
        if !self.enabled {
            b.off("NEL");
        }
    }
}

/// What the composition root knows besides these two tables.
pub(crate) struct Inputs<'a> {
    /// The groups the other features' headers name.
    pub(crate) groups: Vec<ReportGroup>,
    /// The collector's path, when it is on.
    pub(crate) collector: Option<&'a str>,
    pub(crate) https: &'a HttpsPolicy,
}

/// Compiles `[security.reporting]` and `[security.nel]` into their parts:
/// the one `Reporting-Endpoints` header and `NEL`/`Report-To`.
pub(crate) fn compile(
    reporting: &Reporting,
    nel: &Nel,
    inputs: Inputs<'_>,
    errors: &mut Vec<ConfigError>,
    warnings: &mut Vec<Finding>,
    summary: &mut Vec<(&'static str, String)>,
) -> (Option<Endpoints>, Option<NelPart>) {
    // Checked even when off, so turning them on later cannot fail.
    let browser_scope = scope("security.reporting", &reporting.paths, &reporting.exclude, errors);
    let nel_scope = scope("security.nel", &nel.paths, &nel.exclude, errors);
    let endpoint = reporting.endpoint.trim();
    let url = if endpoint.is_empty() {
        inputs.collector.map(str::to_string)
    } else if endpoint_ok(endpoint) {
        Some(endpoint.to_string())
    } else {
        errors.push(ConfigError::new(
            "security.reporting.endpoint",
            format!(
                "{endpoint:?} is not a report endpoint; write an absolute path such as \"/security/csp-report\" or an \
                 https:// URL (no spaces, quotes, `,` or `;`)"
            ),
        ));
        return (None, None);
    };
    let mut groups = inputs.groups;
    if reporting.browser_reports {
        groups.push(ReportGroup {
            key: BROWSER_REPORTS.into(),
            group: DEFAULT_GROUP.into(),
            scope: browser_scope,
            url: None,
        });
    }
    let Some(url) = url else {
        // Something asks for reports that nothing collects.
        let mut named = vec![];
        // A feature with its own URL (CSP's `report-uri`) collects without the collector.
        for g in groups.iter().filter(|g| g.url.is_none()) {
            if !named.contains(&g.key) {
                errors.push(ConfigError::new(
                    g.key.clone(),
                    format!(
                        "asks browsers to report to group {:?}, but nothing collects the reports: the collector is \
                         off (`security.reports.enabled = false`) and `security.reporting.endpoint` is empty; turn \
                         the collector on, set `security.reporting.endpoint` to an https:// URL, or stop asking \
                         for reports here",
                        g.group
                    ),
                ));
                named.push(g.key.clone());
            }
        }
        if nel.enabled {
            errors.push(ConfigError::new(
                "security.nel.enabled",
                "NEL reports would go nowhere: the collector is off (`security.reports.enabled = false`) and \
                 `security.reporting.endpoint` is empty; turn the collector on, set `security.reporting.endpoint` \
                 to an https:// URL, or set `enabled = false`",
            ));
        }
        return (None, None);
    };
    if let Some(e) = one_url_per_group(&groups, &url) {
        errors.push(e);
        return (None, None);
    }
    let endpoints = groups.iter().any(|g| g.url.is_none()).then(|| {
        let mut own: Vec<&'static str> = vec![];
        let mut members: Vec<(&'static str, Vec<Scope>)> = vec![];
        for g in groups {
            let member = intern(format!("{}=\"{}\"", g.group, g.url.as_deref().unwrap_or(&url)));
            if g.url.is_some() {
                own.push(member);
                continue;
            }
            match members.iter_mut().find(|(m, _)| *m == member) {
                Some((_, scopes)) => scopes.push(g.scope),
                None => members.push((member, vec![g.scope])),
            }
        }
        let shown = members.iter().map(|(m, _)| *m).collect::<Vec<_>>().join(", ");
        summary.push(("reporting", format!("Reporting-Endpoints: {shown} (HTTPS requests only, where named)")));
        Endpoints::new(own, members)
    });
    let nel = nel.enabled.then(|| {
        let absolute = url.starts_with("https://");
        let names = inputs.https.allowed.as_ref().is_some_and(|a| a.iter().any(|p| p.names_hosts()));
        if !absolute && !names {
            warnings.push(Finding::warning(
                "security.W030",
                "`security.nel.enabled` is on, but NEL is never sent: its `Report-To` header needs an absolute URL, \
                 and without a host named in `security.allowed_hosts` (`*` and networks name none) the request's \
                 host is not trusted to build one",
                "list the site's hosts in `security.allowed_hosts`, or set `security.reporting.endpoint` to an \
                 https:// URL",
            ));
        }
        let group = nel.group.trim().to_string();
        let policy = format!(
            "{{\"report_to\":\"{group}\",\"max_age\":{},\"success_fraction\":{},\"failure_fraction\":{},\
             \"include_subdomains\":{}}}",
            nel.max_age, nel.success_fraction, nel.failure_fraction, nel.include_subdomains
        );
        let report_to = absolute.then(|| intern(report_to_value(&group, nel.max_age, nel.include_subdomains, &url)));
        summary.push(("nel", format!("NEL: {policy} (HTTPS requests only)")));
        NelPart {
            scope: nel_scope,
            policy: intern(policy),
            group,
            max_age: nel.max_age,
            include_subdomains: nel.include_subdomains,
            report_to,
            path: url,
            https: inputs.https.clone(),
        }
    });
    (endpoints, nel)
}

/// The error when one group names two URLs: Reporting-Endpoints would carry
/// it twice and browsers keep the last (RFC 8941), so one header's reports
/// would go elsewhere. It names the setting that can take another group.
fn one_url_per_group(groups: &[ReportGroup], url: &str) -> Option<ConfigError> {
    let url_of = |g: &ReportGroup| g.url.clone().unwrap_or_else(|| url.to_string());
    let (i, b) = groups
        .iter()
        .enumerate()
        .find(|(i, b)| groups[..*i].iter().any(|a| a.group == b.group && url_of(a) != url_of(b)))?;
    let a = groups[..i].iter().find(|a| a.group == b.group && url_of(a) != url_of(b))?;
    // `browser_reports` names `default` whatever happens; a joining header is the easier rename.
    let renamable = |g: &ReportGroup| g.key != BROWSER_REPORTS;
    let (mine, other) = match (renamable(a), renamable(b)) {
        (_, true) if b.url.is_none() || !renamable(a) => (b, a),
        (true, _) if a.url.is_none() || !renamable(b) => (a, b),
        _ => (b, a),
    };
    let (table, field) = mine.key.strip_prefix("security.").unwrap_or(&mine.key).split_once('.').unwrap_or(("", ""));
    let mut name = table.split('_').next().unwrap_or("reports").to_string();
    if groups.iter().any(|g| g.group == name) {
        name.push_str("-reports");
    }
    let fix = if field.contains('[') { format!("{name:?}") } else { format!("`{field} = {name:?}`") };
    Some(ConfigError::new(
        mine.key.clone(),
        format!(
            "group {:?} would name two URLs in Reporting-Endpoints: {:?} here and {:?} by `{}` (browsers keep the \
             last, so one header's reports would go to the other's URL); give this header its own group, such as \
             {fix}, or send both to the same URL",
            mine.group,
            url_of(mine),
            url_of(other),
            other.key
        ),
    ))
}

/// The scope `paths` minus `exclude` of the table `prefix`.
fn scope(prefix: &str, paths: &[String], exclude: &[String], errors: &mut Vec<ConfigError>) -> Scope {
    if paths.is_empty() {
        errors.push(ConfigError::new(
            format!("{prefix}.paths"),
            "empty list: nothing would be sent; list paths such as [\"/**\"]",
        ));
    }
    let paths = PathSet::parse(&format!("{prefix}.paths"), paths, errors);
    let exclude = PathSet::parse(&format!("{prefix}.exclude"), exclude, errors);
    Scope { paths: if paths.is_everything() { None } else { Some(paths) }, exclude }
}

/// An absolute path, or an `https://` URL, that fits in a quoted header value.
fn endpoint_ok(e: &str) -> bool {
    let clean = !e.contains(|c: char| c.is_whitespace() || c.is_control() || "\"\\,;".contains(c));
    let absolute = e.starts_with('/') && !e.starts_with("//");
    let https = e.strip_prefix("https://").is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    clean && e.is_ascii() && (absolute || https)
}

/// The legacy `Report-To` JSON value of the NEL group.
fn report_to_value(group: &str, max_age: u64, include_subdomains: bool, url: &str) -> String {
    let sub = if include_subdomains { ",\"include_subdomains\":true" } else { "" };
    format!("{{\"group\":\"{group}\",\"max_age\":{max_age},\"endpoints\":[{{\"url\":\"{url}\"}}]{sub}}}")
}

/// Up to this many joining members, every header value is rendered at ignite
/// (one per set of members that apply, 2^n); beyond, it is built per response.
const RENDERED_MEMBERS: usize = 6;

/// The one `Reporting-Endpoints` header: each joining member (`group="url"`)
/// where a header that names its group is sent, after the member a part set
/// itself (CSP's, see [`set_own`](crate::core::reporting::set_own)).
pub(crate) struct Endpoints {
    /// The members parts set themselves.
    own: Vec<&'static str>,
    /// The joining members, each with the scopes of the headers that name it.
    members: Vec<(&'static str, Vec<Scope>)>,
    /// `values[p][m]`: the header for the members of bitmask `m` after
    /// nothing (`p = 0`) or `own[p - 1]`; empty beyond [`RENDERED_MEMBERS`].
    values: Vec<Vec<&'static str>>,
}

impl Endpoints {
    fn new(own: Vec<&'static str>, members: Vec<(&'static str, Vec<Scope>)>) -> Self {
        let mut e = Endpoints { own, members, values: vec![] };
        if e.members.len() <= RENDERED_MEMBERS {
            e.values = (0..=e.own.len())
                .map(|p| (0..1usize << e.members.len()).map(|m| intern(e.join(p, |i| m & (1 << i) != 0))).collect())
                .collect();
        }
        e
    }

    /// The header after nothing (`p = 0`) or `own[p - 1]`, with the members
    /// `chosen` (a member the own one already names is left out).
    fn join(&self, p: usize, chosen: impl Fn(usize) -> bool) -> String {
        let first = p.checked_sub(1).map(|i| self.own[i]);
        let rest = (0..self.members.len()).filter(|&i| chosen(i)).map(|i| self.members[i].0);
        first.into_iter().chain(rest.filter(|m| Some(*m) != first)).collect::<Vec<_>>().join(", ")
    }
}

impl Part for Endpoints {
    fn responds(&self) -> bool {
        true
    }

    fn needs_scheme(&self) -> bool {
        true
    }

    fn response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>, finish: &Finish<'_>) {
        if !finish.secure || finish.owns(NAME) {
            return;
        }
        let applies = |i: usize| self.members[i].1.iter().any(|s| s.applies(req.uri()));
        let p = match res.headers().get_one(NAME) {
            None => 0,
            // The very string a part set (not an equal one a handler wrote): the handler's header is kept.
            Some(v) => match self.own.iter().position(|o| std::ptr::eq(*o, v)) {
                Some(i) => i + 1,
                None => return,
            },
        };
        let value = if self.values.is_empty() {
            if !(0..self.members.len()).any(applies) {
                return;
            }
            std::borrow::Cow::Owned(self.join(p, applies))
        } else {
            let m = (0..self.members.len()).filter(|&i| applies(i)).fold(0usize, |m, i| m | 1 << i);
            if m == 0 {
                return;
            }
            std::borrow::Cow::Borrowed(self.values[p][m])
        };
        res.set_header(Header::new(NAME, value));
    }
}

/// `NEL` and its `Report-To` on HTTPS responses.
pub(crate) struct NelPart {
    scope: Scope,
    policy: &'static str,
    group: String,
    max_age: u64,
    include_subdomains: bool,
    /// The `Report-To` value, when the endpoint is an absolute URL.
    report_to: Option<&'static str>,
    /// The endpoint (a path on this site when `report_to` is `None`).
    path: String,
    https: HttpsPolicy,
}

impl Part for NelPart {
    fn responds(&self) -> bool {
        true
    }

    fn needs_scheme(&self) -> bool {
        true
    }

    fn response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>, finish: &Finish<'_>) {
        if !finish.secure || !self.scope.applies(req.uri()) {
            return;
        }
        // The application's own NEL setup is kept whole.
        if ["NEL", "Report-To"].iter().any(|n| finish.owns(n) || res.headers().contains(*n)) {
            return;
        }
        let report_to = match self.report_to {
            Some(v) => std::borrow::Cow::Borrowed(v),
            None => {
                // Only a host `allowed_hosts` names: never one the client made up (`*` admits any).
                let Some(host) = self.https.named_host(req) else { return };
                let url = format!("https://{host}{}", self.path);
                std::borrow::Cow::Owned(report_to_value(&self.group, self.max_age, self.include_subdomains, &url))
            }
        };
        res.set_header(Header::new("Report-To", report_to));
        res.set_header(Header::new("NEL", self.policy));
    }
}
