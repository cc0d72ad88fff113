//! Compiling the CSP settings once at ignite: validation, the default
//! policy, route policies, the nonce and reporting directives, and every
//! header value rendered ahead of time.

use crate::core::config::Section;
use crate::core::feature::{Builder, Feature};
use crate::core::paths::{PathSet, Scope};
use crate::core::rules::{check_value, intern};

use super::config::{Csp, Directives, PolicyConfig};
use super::policy::{self, CspPolicy};
use super::render::{CompiledCsp, CompiledPolicy, Finisher, Reporting, Variant};

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

impl Feature for Csp {
    const KEY: &'static str = "csp";

    fn read(s: &Section<'_>) -> Self {
        Csp::read_section(s)
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
        b.part(CompiledCsp {
            scope,
            enforce,
            report_only,
            percentage: finisher.reporting.as_ref().map(|r| r.percentage),
            endpoints,
            finisher,
        });
    }
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
            (Some(raw), _) => match check_value(raw.trim())
                .map_err(|e| format!("Content-Security-Policy value {raw:?} {e}"))
                .and_then(|_| CspPolicy::parse_checked(raw, allow_unknown))
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
