//! `Content-Security-Policy` and `Content-Security-Policy-Report-Only`:
//! typed policies validated at ignite, per-request nonces, per-path and
//! per-route policies, and reporting to the crate's collector.
//!
//! # Configuration
//!
//! ```toml
//! [default.security.csp]
//! enabled = true                     # send the enforced policy; Default: true
//! use_defaults = true                # start from the strict default policy; Default: true
//! # policy = "default-src 'self'"    # or a whole raw policy (validated too); Default: none
//! nonce_directives = ["script-src"]  # where a CspNonce goes; Default: ["script-src"]
//! strict_dynamic = false             # add 'strict-dynamic' next to the nonce; Default: false
//! allow_unknown_directives = false   # send directives newer than this crate; Default: false
//! report = true                      # report to the collector; Default: true
//! report_uri = "/security/csp-report"    # Default: "/security/csp-report"
//! report_to = "csp-endpoint"         # Reporting API group (HTTPS only); Default: "csp-endpoint"
//! report_percentage = 100            # share of responses that carry the reporting directives
//! paths = ["/**"]                    # Default: ["/**"]
//! exclude = []                       # Default: []
//!
//! [default.security.csp.directives]  # merged over the default policy
//! img-src = ["'self'", "data:", "https://images.example.com"]
//! upgrade-insecure-requests = true   # boolean directives take true; false removes a directive
//!
//! [[default.security.csp.routes]]    # a different policy for some paths (django-csp #203)
//! paths = ["/admin/**"]
//! directives = { script-src = ["'self'", "'unsafe-inline'"] }
//!
//! [default.security.csp.report_only] # an independent Content-Security-Policy-Report-Only
//! enabled = false                    # Default: false
//! use_defaults = true
//! [default.security.csp.report_only.directives]
//! script-src = ["'self'"]
//! ```
//!
//! # The default policy
//!
//! `default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self';
//! frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self';
//! script-src-attr 'none'; style-src 'self'`, then on HTTPS responses
//! `upgrade-insecure-requests`, then `report-uri /security/csp-report` and, on
//! HTTPS responses only, `report-to csp-endpoint` with a matching
//! `Reporting-Endpoints` header. Chromium ignores `report-uri` when `report-to`
//! is present and never delivers `report-to` reports over plain HTTP, so
//! sending `report-to` on HTTP would silence every report.
//! `upgrade-insecure-requests` on plain HTTP (say, a local development server)
//! would send every subresource request to HTTPS and break the page, so it is
//! only ever sent on HTTPS responses, whether it comes from the defaults or
//! from your directives.
//!
//! # Nonces
//!
//! The nonce is lazy, like Django's: a response gets `'nonce-…'` in its
//! policy only when its handler asked for a [`CspNonce`](crate::CspNonce). Responses that don't
//! use inline scripts pay nothing, and a page cached by mistake never carries
//! a nonce that other visitors could reuse. The nonce goes into each
//! `nonce_directives` entry (materialised from `default-src` when the directive
//! is absent, so the fallback sources keep working), never into a directive
//! that is `'none'`. A warning is logged when `'unsafe-inline'` sits next to a
//! nonce: browsers then ignore `'unsafe-inline'`.
//!
//! # Per route
//!
//! [`CspOverride`](crate::CspOverride) replaces, extends or removes either policy for one
//! handler; a policy header the handler set itself is kept.

pub(crate) mod nonce;
pub(crate) mod policy;
pub(crate) mod route;

use std::borrow::Cow;

use rocket::figment::value::{Dict, Value as FigValue};
use rocket::http::Header;
use rocket::{Request, Response};

use crate::config::reader::{describe, Section};
use crate::headers::{feature_fairing, Builder, Feature};
use crate::notes::{Notes, RouteChanges};
use crate::paths::{PathSet, Scope};
use policy::CspPolicy;
use route::Change;

/// The default directives, in order.
const DEFAULTS: &[(&str, &[&str])] = &[
    ("default-src", &["'self'"]),
    ("base-uri", &["'self'"]),
    ("font-src", &["'self'"]),
    ("form-action", &["'self'"]),
    ("frame-ancestors", &["'none'"]),
    ("img-src", &["'self'", "data:"]),
    ("object-src", &["'none'"]),
    ("script-src", &["'self'"]),
    ("script-src-attr", &["'none'"]),
    ("style-src", &["'self'"]),
    ("upgrade-insecure-requests", &[]),
];

const NONCE_DIRECTIVES: &[&str] = &["script-src", "script-src-elem", "style-src", "style-src-elem"];

/// Directive changes: `Some(sources)` sets (empty for boolean directives), `None` removes.
pub type Directives = Vec<(String, Option<Vec<String>>)>;

/// One policy (enforced or report-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyConfig {
    /// Start from the strict default directives. _Default:_ `true`.
    pub use_defaults: bool,
    /// Directives set over the defaults (`None` removes one). _Default:_ `[]`.
    pub directives: Directives,
    /// A whole raw policy instead of `use_defaults` + `directives`. _Default:_ `None`.
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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportOnly {
    /// Send it. _Default:_ `false`.
    pub enabled: bool,
    /// The policy. _Default:_ the strict default policy.
    pub policy: PolicyConfig,
}

/// `Content-Security-Policy` configuration; see the [module docs](self).
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
    /// Add the reporting directives. _Default:_ `true`.
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
            report: true,
            report_uri: "/security/csp-report".into(),
            report_to: "csp-endpoint".into(),
            report_percentage: 100.0,
            paths: crate::headers::everywhere(),
            exclude: vec![],
        }
    }
}

feature_fairing!(Csp, csp);

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
    PolicyConfig { use_defaults: s.bool("use_defaults", true), directives, policy: s.opt_string("policy"), routes }
}

impl Feature for Csp {
    const KEY: &'static str = "csp";

    fn read(s: &Section<'_>) -> Self {
        let d = Csp::default();
        let c = crate::headers::Common::read(s, true, &["/**"]);
        let ro = s.section("report_only");
        let report_only = ReportOnly { enabled: ro.bool("enabled", false), policy: read_policy(&ro) };
        ro.finish();
        let percentage = match s.get("report_percentage") {
            None => 100.0,
            Some(FigValue::Num(_, n)) => n.to_f64().or_else(|| n.to_i128().map(|i| i as f64)).unwrap_or(-1.0),
            Some(other) => {
                s.error("report_percentage", format!("expected a number from 0 to 100, found {}", describe(other)));
                100.0
            }
        };
        Csp {
            enabled: c.enabled,
            policy: read_policy(s),
            report_only,
            nonce_directives: s.strings("nonce_directives", &["script-src"]),
            strict_dynamic: s.bool("strict_dynamic", false),
            allow_unknown_directives: s.bool("allow_unknown_directives", false),
            report: s.bool("report", true),
            report_uri: s.string("report_uri", &d.report_uri),
            report_to: s.string("report_to", &d.report_to),
            report_percentage: percentage,
            paths: c.paths,
            exclude: c.exclude,
        }
    }

    fn build(&self, b: &mut Builder<'_>) {
        if !self.enabled && !self.report_only.enabled {
            b.off("Content-Security-Policy");
            if b.release {
                b.warn("Content-Security-Policy is disabled: no defence in depth against XSS");
            }
            return;
        }
        let errors_before = b.errors.len();
        let finisher = self.finisher(b);
        let scope = b.scope(&self.paths, &self.exclude);
        let enforce = if self.enabled { self.compile_policy(b, "", &self.policy, &finisher) } else { None };
        let report_only = if self.report_only.enabled {
            self.compile_policy(b, "report_only.", &self.report_only.policy, &finisher)
        } else {
            None
        };
        if b.errors.len() > errors_before {
            return;
        }
        for (name, p) in [("Content-Security-Policy", &enforce), ("Content-Security-Policy-Report-Only", &report_only)]
        {
            if let Some(p) = p {
                b.summary.push(format!("{name}: {} [{}]", p.default.plain[0][1], scope.describe()));
                for (route_scope, v) in &p.routes {
                    b.summary.push(format!("{name} on {}: {}", route_scope.describe(), v.plain[0][1]));
                }
            }
        }
        if let Some(r) = &finisher.reporting {
            b.summary.push(format!(
                "reporting: report-uri {}{}, report-to {} on HTTPS",
                r.uri,
                if r.percentage < 100.0 { format!(" on {}% of responses", r.percentage) } else { String::new() },
                r.group
            ));
        }
        let endpoints = finisher.reporting.as_ref().map(|r| intern(format!("{}=\"{}\"", r.group, r.uri)));
        *b.csp = Some(CompiledCsp {
            scope,
            enforce,
            report_only,
            percentage: finisher.reporting.as_ref().map(|r| r.percentage),
            endpoints,
            finisher,
        });
    }
}

fn intern(s: String) -> &'static str {
    crate::headers::intern(s)
}

impl Csp {
    fn finisher(&self, b: &mut Builder<'_>) -> Finisher {
        let mut nonce_directives = Vec::new();
        for d in &self.nonce_directives {
            match NONCE_DIRECTIVES.iter().find(|n| *n == d) {
                Some(n) => nonce_directives.push(*n),
                None => b.error(
                    "nonce_directives",
                    format!("{d:?} cannot carry a nonce; use some of {}", NONCE_DIRECTIVES.join(", ")),
                ),
            }
        }
        let reporting = if self.report {
            let uri = self.report_uri.trim();
            if uri.is_empty() || uri.contains(|c: char| c.is_whitespace() || c == ';' || c == ',' || c == '"') {
                b.error("report_uri", format!("{uri:?} is not a URI (no spaces, `;`, `,` or quotes)"));
            }
            let group = self.report_to.trim();
            if group.is_empty() || !group.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                b.error("report_to", format!("{group:?} is not a group name (letters, digits, `-`, `_`)"));
            }
            if !(0.0..=100.0).contains(&self.report_percentage) || self.report_percentage.is_nan() {
                b.error("report_percentage", format!("{} is not a percentage from 0 to 100", self.report_percentage));
            }
            Some(Reporting { uri: uri.to_string(), group: group.to_string(), percentage: self.report_percentage })
        } else {
            None
        };
        Finisher { nonce_directives, strict_dynamic: self.strict_dynamic, reporting }
    }

    /// Builds the base policy from config; errors go to `b` under `prefix`.
    fn base_policy(
        &self,
        b: &mut Builder<'_>,
        field: &str,
        parent: Option<&CspPolicy>,
        cfg: (&Option<String>, &Directives, bool),
    ) -> Option<CspPolicy> {
        let (raw, directives, use_defaults) = cfg;
        let allow_unknown = self.allow_unknown_directives;
        let mut policy = match (raw, parent) {
            (Some(_), _) if !directives.is_empty() => {
                b.error(field, "give either `policy` (a raw string) or `directives`, not both");
                return None;
            }
            (Some(raw), _) => match crate::headers::check_value(raw.trim())
                .map_err(|e| format!("Content-Security-Policy value {raw:?} {e}"))
                .and_then(|_| CspPolicy::parse(raw, allow_unknown))
            {
                Ok(p) => p,
                Err(e) => {
                    b.error(&format!("{field}policy"), e);
                    return None;
                }
            },
            (None, Some(parent)) => parent.clone(),
            (None, None) if use_defaults => {
                let mut p = CspPolicy::default();
                for (n, v) in DEFAULTS {
                    p.set(n, v.iter().map(|s| s.to_string()).collect());
                }
                p
            }
            (None, None) => CspPolicy::default(),
        };
        for (name, value) in directives {
            let key = format!("{field}directives.{name}");
            match value {
                None => policy.remove(name),
                Some(values) => {
                    if name == "report-uri" || name == "report-to" {
                        b.error(&key, "set `security.csp.report_uri` / `report_to` instead (or `report = false` and a raw policy)");
                        continue;
                    }
                    match policy::check_directive(name, values, allow_unknown) {
                        Ok(()) => policy.set(name, values.clone()),
                        Err(e) => b.error(&key, e),
                    }
                }
            }
        }
        if self.report && (policy.get("report-uri").is_some() || policy.get("report-to").is_some()) {
            b.error(
                &format!("{field}policy"),
                "the policy has its own report-uri/report-to while `report = true` adds the collector's; remove them \
                 or set `report = false`",
            );
            return None;
        }
        if let Err(e) = policy.check_complete() {
            b.error(&format!("{field}policy"), e);
            return None;
        }
        Some(policy)
    }

    fn compile_policy(
        &self,
        b: &mut Builder<'_>,
        prefix: &str,
        cfg: &PolicyConfig,
        finisher: &Finisher,
    ) -> Option<CompiledPolicy> {
        let base = self.base_policy(b, prefix, None, (&cfg.policy, &cfg.directives, cfg.use_defaults))?;
        self.warn_nonce(b, &base, prefix);
        let mut routes = Vec::new();
        for (i, r) in cfg.routes.iter().enumerate() {
            let field = format!("{prefix}routes[{i}].");
            if r.paths.is_empty() {
                b.error(
                    &format!("{field}paths"),
                    "empty list; give the paths this policy is for, e.g. [\"/admin/**\"]",
                );
                continue;
            }
            let paths_key = b.key(&format!("{field}paths"));
            let paths = PathSet::parse(&paths_key, &r.paths, b.errors);
            let parent = if r.policy.is_some() { None } else { Some(&base) };
            if let Some(p) = self.base_policy(b, &field, parent, (&r.policy, &r.directives, false)) {
                self.warn_nonce(b, &p, &field);
                routes.push((Scope { paths: Some(paths), exclude: PathSet::default() }, Variant::render(p, finisher)));
            }
        }
        Some(CompiledPolicy { default: Variant::render(base, finisher), routes })
    }

    fn warn_nonce(&self, b: &mut Builder<'_>, p: &CspPolicy, field: &str) {
        for d in &self.nonce_directives {
            if let Some(sources) = p.effective(d) {
                if sources.iter().any(|s| s == "'none'") {
                    b.warn(format!(
                        "security.csp.{field}: {d} is 'none', so no nonce is added to it and nonced inline code is blocked"
                    ));
                } else if sources.iter().any(|s| s == "'unsafe-inline'") {
                    b.warn(format!(
                        "security.csp.{field}: {d} has 'unsafe-inline' next to a nonce; browsers ignore 'unsafe-inline' \
                         when a nonce is present"
                    ));
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Reporting {
    uri: String,
    group: String,
    percentage: f64,
}

/// Turns a base policy into what is sent: scheme-dependent directives,
/// reporting directives, and the nonce.
#[derive(Debug, Clone)]
pub(crate) struct Finisher {
    nonce_directives: Vec<&'static str>,
    strict_dynamic: bool,
    reporting: Option<Reporting>,
}

impl Finisher {
    pub(crate) fn finish(&self, base: &CspPolicy, secure: bool, report: bool, nonce: Option<&str>) -> String {
        let mut p = base.clone();
        if !secure {
            p.remove("upgrade-insecure-requests");
            p.remove("block-all-mixed-content");
        }
        if let Some(nonce) = nonce {
            for d in &self.nonce_directives {
                let Some(sources) = p.effective(d).map(<[String]>::to_vec) else { continue };
                if sources.iter().any(|s| s == "'none'") {
                    continue;
                }
                let mut sources = sources;
                sources.push(format!("'nonce-{nonce}'"));
                if self.strict_dynamic && !sources.iter().any(|s| s == "'strict-dynamic'") {
                    sources.push("'strict-dynamic'".into());
                }
                p.set(d, sources);
            }
        }
        if let (Some(r), true) = (&self.reporting, report) {
            p.set("report-uri", vec![r.uri.clone()]);
            if secure {
                p.set("report-to", vec![r.group.clone()]);
            }
        }
        p.to_string()
    }
}

/// The nonce placeholder in pre-rendered templates (never valid in a header).
const SLOT: &str = "\0";

/// One policy rendered for every case: `[secure][report]`.
#[derive(Debug)]
pub(crate) struct Variant {
    pub(crate) base: CspPolicy,
    pub(crate) plain: [[&'static str; 2]; 2],
    /// The same with the nonce: the parts around each nonce slot.
    nonce: [[Vec<&'static str>; 2]; 2],
}

impl Variant {
    fn render(base: CspPolicy, f: &Finisher) -> Self {
        let plain = [0, 1].map(|s| [0, 1].map(|r| intern(f.finish(&base, s == 1, r == 1, None))));
        let nonce = [0, 1].map(|s| {
            [0, 1].map(|r| {
                f.finish(&base, s == 1, r == 1, Some(SLOT)).split(SLOT).map(|p| intern(p.to_string())).collect()
            })
        });
        Variant { base, plain, nonce }
    }

    fn value(&self, secure: bool, report: bool, nonce: Option<&str>) -> Cow<'static, str> {
        let (s, r) = (usize::from(secure), usize::from(report));
        match nonce {
            None => Cow::Borrowed(self.plain[s][r]),
            Some(n) => {
                let parts = &self.nonce[s][r];
                if parts.len() == 1 {
                    return Cow::Borrowed(parts[0]);
                }
                let len = parts.iter().map(|p| p.len()).sum::<usize>() + n.len() * (parts.len() - 1);
                let mut out = String::with_capacity(len);
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push_str(n);
                    }
                    out.push_str(p);
                }
                Cow::Owned(out)
            }
        }
    }
}

#[derive(Debug)]
pub(crate) struct CompiledPolicy {
    default: Variant,
    routes: Vec<(Scope, Variant)>,
}

impl CompiledPolicy {
    fn variant(&self, req: &Request<'_>) -> &Variant {
        self.routes.iter().find(|(s, _)| s.applies(req.uri())).map_or(&self.default, |(_, v)| v)
    }
}

/// Everything the fairing needs for CSP at request time.
#[derive(Debug)]
pub(crate) struct CompiledCsp {
    scope: Scope,
    enforce: Option<CompiledPolicy>,
    report_only: Option<CompiledPolicy>,
    percentage: Option<f64>,
    endpoints: Option<&'static str>,
    finisher: Finisher,
}

impl CompiledCsp {
    /// Whether this response carries the reporting directives (sampling).
    fn sampled(&self) -> bool {
        match self.percentage {
            None => false,
            Some(p) if p >= 100.0 => true,
            Some(p) if p <= 0.0 => false,
            Some(p) => rand::random::<f64>() * 100.0 < p,
        }
    }

    pub(crate) fn apply(
        &self,
        req: &Request<'_>,
        res: &mut Response<'_>,
        secure: bool,
        overwrite: bool,
        notes: &Notes,
        route: Option<&RouteChanges>,
    ) {
        if !self.scope.applies(req.uri()) {
            return;
        }
        let report = self.sampled();
        let nonce = notes.nonce.get().map(String::as_str);
        let changes = route.and_then(|r| r.csp.as_ref());
        let mut sent = false;
        for (name, policy, change) in [
            ("Content-Security-Policy", &self.enforce, changes.as_ref().map(|c| &c.enforce)),
            ("Content-Security-Policy-Report-Only", &self.report_only, changes.as_ref().map(|c| &c.report_only)),
        ] {
            let change = change.filter(|c| !matches!(c, Change::Keep));
            if (policy.is_none() && change.is_none()) || route.is_some_and(|r| r.owns(name)) {
                continue;
            }
            if change.is_none() && !overwrite && res.headers().contains(name) {
                continue;
            }
            let value: Cow<'static, str> = match (change, policy) {
                (Some(Change::Remove), _) => {
                    res.remove_header(name);
                    continue;
                }
                (Some(Change::Replace(p)), _) => Cow::Owned(self.finisher.finish(p, secure, report, nonce)),
                (Some(Change::Extend(extra)), Some(policy)) => {
                    let mut p = policy.variant(req).base.clone();
                    route::extend(&mut p, extra);
                    Cow::Owned(self.finisher.finish(&p, secure, report, nonce))
                }
                (None | Some(Change::Keep), Some(policy)) => policy.variant(req).value(secure, report, nonce),
                (_, None) => continue,
            };
            res.set_header(Header::new(name, value));
            sent = true;
        }
        if sent && secure && report {
            if let Some(endpoints) = self.endpoints {
                if !res.headers().contains("Reporting-Endpoints") {
                    res.set_header(Header::new("Reporting-Endpoints", endpoints));
                }
            }
        }
    }
}
