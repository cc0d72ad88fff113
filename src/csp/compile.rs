//! Compiling the CSP settings once at ignite: validation, the default
//! policy, route policies, the nonce and reporting directives, and every
//! header value rendered ahead of time.

use crate::core::feature::{Builder, Feature};
use crate::core::paths::{PathSet, Scope};
use crate::core::rules::{check_value, intern};

use super::cache::NoncePages;
use super::config::{Csp, Directives, PolicyConfig};
use super::fingerprint::{Configured, KnownPolicies};
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

    fn build(&self, b: &mut Builder<'_>) {
        if !self.enabled && !self.report_only.enabled {
            b.off("Content-Security-Policy");
            let nonce_pages = NoncePages::new(self.nonce_cache);
            b.summary.push(nonce_pages.describe());
            b.part(super::cache::NoncePagesOnly(nonce_pages));
            if b.release {
                b.warn(
                    "security.W005",
                    "Content-Security-Policy is disabled: no defence in depth against XSS",
                    "set `security.csp.enabled = true` (or start with `security.csp.report_only.enabled = true` to \
                     watch what it would block)",
                );
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
        let nonce_pages = NoncePages::new(self.nonce_cache);
        b.summary.push(nonce_pages.describe());
        if let Some(r) = &finisher.reporting {
            b.summary.push(format!(
                "reporting: report-uri {}{}, report-to {} on HTTPS",
                r.uri,
                if r.percentage < 100.0 { format!(" on {}% of responses", r.percentage) } else { String::new() },
                r.group
            ));
        }
        let endpoints = finisher.reporting.as_ref().map(|r| {
            // The composition root joins the other groups to this member, and checks the group names one URL.
            b.record_group("report_to", &r.group, Some(&r.uri), &scope);
            intern(format!("{}=\"{}\"", r.group, r.uri))
        });
        let known = KnownPolicies::new();
        for (disposition, p, cfg) in
            [("enforce", &enforce, &self.policy), ("report", &report_only, &self.report_only.policy)]
        {
            if let Some(p) = p {
                p.record_in(&known, disposition);
                known.configure(
                    disposition,
                    Configured {
                        policy: p.default.base.clone(),
                        raw: cfg.policy.is_some(),
                        extra: p.extra.iter().map(|v| v.base.to_string()).collect(),
                    },
                );
            }
        }
        b.part(CompiledCsp {
            known,
            scope,
            enforce,
            report_only,
            percentage: finisher.reporting.as_ref().map(|r| r.percentage),
            endpoints,
            finisher,
            nonce_pages,
        });
    }
}

/// The policies of a raw `policy` string: CSP separates policies with commas.
fn split_policies(raw: &str) -> Vec<String> {
    raw.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect()
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
            // Also a quoted member of Reporting-Endpoints, where `"` or `\` would break the whole dictionary.
            if uri.is_empty() || uri.contains(|c: char| c.is_whitespace() || c.is_control() || ";,\"\\".contains(c)) {
                b.error("report_uri", format!("{uri:?} is not a URI (no spaces, `;`, `,`, quotes or `\\`)"));
            }
            let group = self.report_to.trim();
            b.check_group("report_to", group, "csp-endpoint");
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
                "the policy has its own report-uri/report-to while `report = true` adds the collector's; remove them, \
                 or set `report = \"keep\"` to send the policy's own reporting directives unchanged",
            );
            return None;
        }
        if policy.get("default-src").is_none() {
            if self.require_default_src {
                b.error(&format!("{field}policy"), policy::MISSING_DEFAULT_SRC);
                return None;
            }
            // Browsers apply such a policy as written (`frame-ancestors 'self'` alone is common).
            let key = b.key(&format!("{field}policy"));
            b.warn(
                "security.W006",
                format!("`{key}`: the policy has no default-src, so fetches it does not list are not restricted"),
                "add e.g. default-src 'self', or set `require_default_src = true` to make this an error",
            );
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
        // Several policies, comma-separated (or a list): CSP enforces each.
        let mut raws = cfg.policy.as_deref().map(split_policies).unwrap_or_default().into_iter();
        let main = raws.next().or(cfg.policy.clone());
        let base = self.base_policy(b, prefix, None, (&main, &cfg.directives, cfg.use_defaults))?;
        self.warn_nonce(b, &base, prefix);
        let mut extra = Vec::new();
        for raw in raws {
            if let Some(p) = self.base_policy(b, prefix, None, (&Some(raw), &Vec::new(), false)) {
                extra.push(Variant::render(p, finisher));
            }
        }
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
        Some(CompiledPolicy { default: Variant::render(base, finisher), routes, extra })
    }

    fn warn_nonce(&self, b: &mut Builder<'_>, p: &CspPolicy, field: &str) {
        for d in &self.nonce_directives {
            if let Some(sources) = p.effective(d) {
                if sources.iter().any(|s| s == "'none'") {
                    let key = b.key(field);
                    b.warn(
                        "security.W007",
                        format!("`{key}`: {d} is 'none', so no nonce is added to it and nonced inline code is blocked"),
                        format!("allow the nonce in {d} (e.g. 'self'), or drop {d} from `nonce_directives`"),
                    );
                } else if sources.iter().any(|s| s == "'unsafe-inline'") {
                    let key = b.key(field);
                    b.info(
                        "security.I002",
                        format!(
                            "`{key}`: {d} has 'unsafe-inline' next to a nonce; browsers ignore 'unsafe-inline' when a \
                             nonce is present (only CSP1 browsers use it)"
                        ),
                        format!("drop 'unsafe-inline' from {d} unless you support CSP1-only browsers"),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::core::check::Finding;
    use crate::core::error::ConfigError;
    use crate::core::feature::Deployment;
    use crate::core::https::HttpsPolicy;
    use crate::core::part::Part;
    use crate::core::rules::HeaderRule;

    /// Compiles the enforced policy of `csp`: (errors, warnings, policy).
    fn compile(csp: &Csp) -> (Vec<ConfigError>, Vec<Finding>, Option<CompiledPolicy>) {
        let (mut errors, mut warnings, mut rules, mut summary) = (vec![], vec![], Vec::<HeaderRule>::new(), vec![]);
        let mut parts: Vec<Arc<dyn Part>> = vec![];
        let https = HttpsPolicy::default();
        let mut b = Builder {
            prefix: "security.csp".into(),
            errors: &mut errors,
            warnings: &mut warnings,
            rules: &mut rules,
            summary: &mut summary,
            release: false,
            deployment: &Deployment::default(),
            https: &https,
            parts: &mut parts,
            reporting: &mut vec![],
        };
        let finisher = csp.finisher(&mut b);
        let policy = csp.compile_policy(&mut b, "", &csp.policy, &finisher);
        (errors, warnings, policy)
    }

    fn with(directives: &[(&str, Option<&[&str]>)]) -> Csp {
        let mut csp = Csp::default();
        csp.policy.directives = directives
            .iter()
            .map(|(n, v)| (n.to_string(), v.map(|v| v.iter().map(|s| s.to_string()).collect())))
            .collect();
        csp
    }

    const DEFAULT: &str = "default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self'; \
        frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; \
        script-src-attr 'none'; style-src 'self'";

    #[test]
    fn the_default_policy_is_rendered_for_each_scheme_and_sampling_case() {
        let (errors, _, policy) = compile(&Csp::default());
        assert!(errors.is_empty(), "{errors:?}");
        let v = &policy.unwrap().default;
        assert_eq!(v.value(false, false, None), DEFAULT);
        assert_eq!(v.value(false, true, None), format!("{DEFAULT}; report-uri /security/csp-report"));
        assert_eq!(
            v.value(true, true, None),
            format!("{DEFAULT}; upgrade-insecure-requests; report-uri /security/csp-report; report-to csp-endpoint")
        );
    }

    #[test]
    fn the_nonce_lands_in_script_src_and_nowhere_else() {
        let (_, _, policy) = compile(&Csp::default());
        let value = policy.unwrap().default.value(false, false, Some("abc"));
        assert!(value.contains("script-src 'self' 'nonce-abc';"), "{value}");
        assert_eq!(value.matches("'nonce-abc'").count(), 1, "{value}");
    }

    #[test]
    fn a_nonce_directive_absent_from_the_policy_starts_from_default_src() {
        let csp = Csp { nonce_directives: vec!["style-src-elem".into()], ..with(&[]) };
        let (_, _, policy) = compile(&csp);
        let value = policy.unwrap().default.value(false, false, Some("n"));
        assert!(value.ends_with("; style-src-elem 'self' 'nonce-n'"), "{value}");
    }

    #[test]
    fn a_none_directive_gets_no_nonce_and_a_warning() {
        let csp = with(&[("script-src", Some(&["'none'"]))]);
        let (errors, warnings, policy) = compile(&csp);
        assert!(errors.is_empty());
        let shown: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["security.W007 (warning): `security.csp`: script-src is 'none', so no nonce is added to it and nonced \
              inline code is blocked; fix: allow the nonce in script-src (e.g. 'self'), or drop script-src from \
              `nonce_directives`"]
        );
        assert!(!policy.unwrap().default.value(false, false, Some("n")).contains("nonce"));
    }

    #[test]
    fn directives_merge_over_the_defaults_and_false_removes_one() {
        let csp = with(&[("img-src", Some(&["'self'", "https://img.example"])), ("object-src", None)]);
        let (_, _, policy) = compile(&csp);
        let value = policy.unwrap().default.value(false, false, None).into_owned();
        assert!(value.contains("img-src 'self' https://img.example;"), "{value}");
        assert!(!value.contains("object-src"), "{value}");
    }

    #[test]
    fn report_uri_in_the_directives_is_refused_with_the_fix() {
        let (errors, _, _) = compile(&with(&[("report-uri", Some(&["/elsewhere"]))]));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].key, "security.csp.directives.report-uri");
        assert_eq!(
            errors[0].message,
            "set `security.csp.report_uri` / `report_to` instead (or `report = false` and a raw policy)"
        );
    }

    #[test]
    fn a_raw_policy_and_directives_together_are_refused() {
        let mut csp = with(&[("img-src", Some(&["'self'"]))]);
        csp.policy.policy = Some("default-src 'self'".into());
        let (errors, _, policy) = compile(&csp);
        assert!(policy.is_none());
        assert_eq!(
            errors[0].to_string(),
            "`security.csp`: give either `policy` (a raw string) or `directives`, not both"
        );
    }

    #[test]
    fn upgrade_insecure_requests_from_the_directives_is_sent_on_https_only() {
        let mut csp = with(&[]);
        csp.policy.use_defaults = false;
        csp.policy.directives = vec![
            ("default-src".into(), Some(vec!["'self'".into()])),
            ("upgrade-insecure-requests".into(), Some(vec![])),
        ];
        csp.report = false;
        let (_, _, policy) = compile(&csp);
        let v = &policy.unwrap().default;
        assert_eq!(v.value(false, false, None), "default-src 'self'");
        assert_eq!(v.value(true, false, None), "default-src 'self'; upgrade-insecure-requests");
    }

    #[test]
    fn route_policies_are_chosen_by_path() {
        let mut csp = with(&[]);
        csp.policy.routes = vec![super::super::config::RoutePolicy {
            paths: vec!["/admin/**".into()],
            directives: vec![("script-src".into(), Some(vec!["'self'".into(), "'unsafe-inline'".into()]))],
            policy: None,
        }];
        let (errors, warnings, policy) = compile(&csp);
        assert!(errors.is_empty(), "{errors:?}");
        let ids: Vec<&str> = warnings.iter().map(|w| w.id()).collect();
        assert_eq!(ids, ["security.I002"], "the unsafe-inline next to a nonce finding: {warnings:?}");
        let policy = policy.unwrap();
        assert_eq!(policy.routes.len(), 1);
        assert!(policy.routes[0].0.applies(&rocket::http::uri::Origin::parse("/admin/users").unwrap()));
        assert!(policy.routes[0].1.value(false, false, None).contains("script-src 'self' 'unsafe-inline';"));
    }
}
