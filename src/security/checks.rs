//! Warnings about settings of different features that contradict each other.

use super::config::SecurityConfig;
use crate::core::Finding;

/// Warnings about settings that contradict each other.
pub(crate) fn cross_checks(config: &SecurityConfig, warnings: &mut Vec<Finding>) {
    let pp = &config.permissions_policy;
    let isolated_denied = pp.enabled
        && match pp.features.iter().rev().find(|(n, _)| n == "cross-origin-isolated") {
            Some((_, allow)) => allow.is_empty(),
            None => pp.use_defaults,
        };
    if config.coep.enabled && config.coop.enabled && isolated_denied {
        warnings.push(Finding::warning(
            "security.W016",
            "COOP and COEP are on, but Permissions-Policy denies `cross-origin-isolated`, so pages are never \
             cross-origin isolated",
            "set `[security.permissions_policy.features] cross-origin-isolated = [\"self\"]`",
        ));
    }
    let csp_denies_framing = config.csp.enabled
        && config.csp.policy.policy.is_none()
        && match config.csp.policy.directives.iter().find(|(n, _)| n == "frame-ancestors") {
            Some((_, v)) => v.as_deref() == Some(&["'none'".to_string()][..]),
            None => config.csp.policy.use_defaults,
        };
    let r = &config.reports;
    let c = &config.csp;
    if r.enabled && c.report && c.report_uri.starts_with('/') && c.report_uri != r.path {
        warnings.push(Finding::warning(
            "security.W017",
            format!(
                "`security.csp.report_uri` ({}) is not the collector's `security.reports.path` ({}): browsers \
                 post reports where nothing collects them",
                c.report_uri, r.path
            ),
            format!("set `security.csp.report_uri = {:?}`", r.path),
        ));
    }
    let endpoint = config.reporting.endpoint.trim();
    if r.enabled && endpoint.starts_with('/') && endpoint != r.path {
        warnings.push(Finding::warning(
            "security.W031",
            format!(
                "`security.reporting.endpoint` ({endpoint}) is not the collector's `security.reports.path` ({}): \
                 browsers post COOP, COEP, Permissions-Policy, Integrity-Policy and NEL reports where nothing \
                 collects them",
                r.path
            ),
            "remove `security.reporting.endpoint` (the collector's path is the default)",
        ));
    }
    if config.frame_options.enabled && !config.frame_options.exclude.is_empty() && csp_denies_framing {
        warnings.push(Finding::warning(
            "security.W018",
            format!(
                "`security.frame_options.exclude` ({}) does not make those pages frameable: the CSP still sends \
                 `frame-ancestors 'none'`, which browsers follow over X-Frame-Options",
                config.frame_options.exclude.join(", ")
            ),
            "give those paths a CSP route policy ([[security.csp.routes]]) or a CspOverride with the \
             frame-ancestors you want",
        ));
    }
}
