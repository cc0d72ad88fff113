//! The headers that ask for reports: each bad value fails ignite with its key and the fix.

use super::{app, error, ignite_fails};

#[test]
fn a_coep_report_only_value_must_be_a_known_policy() {
    assert_eq!(
        error("[default.security.coep_report_only]\nvalue = \"require\""),
        "`security.coep_report_only.value`: \"require\" is not allowed; use one of \"require-corp\", \
         \"credentialless\", \"unsafe-none\""
    );
}

#[test]
fn a_report_to_group_must_be_a_lowercase_token() {
    assert_eq!(
        error("[default.security.coop]\nreport_to = \"Default\""),
        "`security.coop.report_to`: \"Default\" is not a Reporting API group name; use lowercase letters, digits, \
         `_`, `-` and `.`, starting with a letter, such as \"default\""
    );
    assert_eq!(
        error("[default.security.coop_report_only]\nenabled = true\nreport_to = \"a b\""),
        "`security.coop_report_only.report_to`: \"a b\" is not a Reporting API group name; use lowercase letters, \
         digits, `_`, `-` and `.`, starting with a letter, such as \"default\""
    );
}

#[test]
fn integrity_destinations_are_script_or_style() {
    assert_eq!(
        error("[default.security.integrity_policy]\nblocked_destinations = [\"script\", \"image\"]"),
        "`security.integrity_policy.blocked_destinations[1]`: \"image\" is not allowed; use one of \"script\", \"style\""
    );
    assert_eq!(
        error("[default.security.integrity_policy_report_only]\nblocked_destinations = []"),
        "`security.integrity_policy_report_only.blocked_destinations`: empty list; list some of \"script\", \
         \"style\", or set `enabled = false`"
    );
}

#[test]
fn integrity_sources_are_inline() {
    assert_eq!(
        error("[default.security.integrity_policy]\nsources = [\"inline\", \"inline\"]"),
        "`security.integrity_policy.sources[1]`: \"inline\" is listed twice; keep one"
    );
    assert_eq!(
        error("[default.security.integrity_policy]\nsources = [\"hash\"]"),
        "`security.integrity_policy.sources[0]`: \"hash\" is not allowed; use one of \"inline\""
    );
}

#[test]
fn integrity_endpoints_are_group_names() {
    assert_eq!(
        error("[default.security.integrity_policy]\nenabled = true\nendpoints = [\"default\", \"x,y\"]"),
        "`security.integrity_policy.endpoints[1]`: \"x,y\" is not a Reporting API group name; use lowercase \
         letters, digits, `_`, `-` and `.`, starting with a letter, such as \"default\""
    );
}

#[test]
fn a_report_only_permissions_policy_needs_features() {
    assert_eq!(
        error("[default.security.permissions_policy_report_only]\nenabled = true"),
        "`security.permissions_policy_report_only.features`: no features: with `use_defaults = false`, list at \
         least one feature or set `enabled = false`"
    );
}

#[test]
fn nel_fractions_are_from_0_to_1() {
    assert_eq!(
        error("[default.security.nel]\nfailure_fraction = 1.5"),
        "`security.nel.failure_fraction`: 1.5 is not a fraction; use a number from 0 to 1, such as 0.05"
    );
    assert_eq!(
        error("[default.security.nel]\nsuccess_fraction = -0.1"),
        "`security.nel.success_fraction`: -0.1 is not a fraction; use a number from 0 to 1, such as 0.05"
    );
}

#[test]
fn nel_max_age_and_group() {
    assert_eq!(
        error("[default.security.nel]\nmax_age = 31536001"),
        "`security.nel.max_age`: 31536001 is more than a year; use at most 31536000"
    );
    assert_eq!(
        error("[default.security.nel]\ngroup = \"NEL\""),
        "`security.nel.group`: \"NEL\" is not a Reporting API group name; use lowercase letters, digits, `_`, `-` \
         and `.`, starting with a letter, such as \"nel\""
    );
}

#[test]
fn the_endpoint_is_a_path_or_an_https_url() {
    assert_eq!(
        error("[default.security.reporting]\nendpoint = \"http://reports.example/r\""),
        "`security.reporting.endpoint`: \"http://reports.example/r\" is not a report endpoint; write an absolute \
         path such as \"/security/csp-report\" or an https:// URL (no spaces, quotes, `,` or `;`)"
    );
}

#[test]
fn asking_for_reports_that_nothing_collects_fails_ignite() {
    let toml = "[default.security.reports]\nenabled = false\n[default.security.coep_report_only]\nenabled = true";
    assert_eq!(
        error(toml),
        "`security.coep_report_only.report_to`: asks browsers to report to group \"default\", but nothing collects \
         the reports: the collector is off (`security.reports.enabled = false`) and `security.reporting.endpoint` is \
         empty; turn the collector on, set `security.reporting.endpoint` to an https:// URL, or stop asking for \
         reports here"
    );
    let nel = "[default.security.reports]\nenabled = false\n[default.security.nel]\nenabled = true";
    assert_eq!(
        error(nel),
        "`security.nel.enabled`: NEL reports would go nowhere: the collector is off (`security.reports.enabled = \
         false`) and `security.reporting.endpoint` is empty; turn the collector on, set \
         `security.reporting.endpoint` to an https:// URL, or set `enabled = false`"
    );
}

#[rocket::async_test]
async fn a_bad_value_aborts_the_launch() {
    assert!(ignite_fails(app("[default.security.nel]\nfailure_fraction = 2")).await);
}

/// Reporting-Endpoints names a group once: browsers keep the last member, so
/// one header's reports would go to the other's URL.
#[test]
fn one_group_with_two_urls_fails_ignite() {
    let toml = "[default.security.csp]\nreport_to = \"default\"\nreport_uri = \"/elsewhere\"\n\
                [default.security.reporting]\nbrowser_reports = true";
    assert_eq!(
        error(toml),
        "`security.csp.report_to`: group \"default\" would name two URLs in Reporting-Endpoints: \"/elsewhere\" \
         here and \"/security/csp-report\" by `security.reporting.browser_reports` (browsers keep the last, so one \
         header's reports would go to the other's URL); give this header its own group, such as \
         `report_to = \"csp\"`, or send both to the same URL"
    );
    let coep = "[default.security.csp]\nreport_to = \"default\"\nreport_uri = \"/elsewhere\"\n\
                [default.security.coep_report_only]\nenabled = true";
    assert_eq!(
        error(coep),
        "`security.coep_report_only.report_to`: group \"default\" would name two URLs in Reporting-Endpoints: \
         \"/security/csp-report\" here and \"/elsewhere\" by `security.csp.report_to` (browsers keep the last, so \
         one header's reports would go to the other's URL); give this header its own group, such as \
         `report_to = \"coep\"`, or send both to the same URL"
    );
}

#[test]
fn one_group_with_one_url_is_valid() {
    let toml = "[default.security.csp]\nreport_to = \"default\"\n[default.security.reporting]\nbrowser_reports = true";
    assert_eq!(super::errors(toml), Vec::<String>::new());
}

/// Checked even when off, so turning a header on later cannot fail.
#[test]
fn reporting_settings_are_checked_when_off() {
    assert_eq!(
        error("[default.security.coop_report_only]\nreport_to = \"Default\""),
        "`security.coop_report_only.report_to`: \"Default\" is not a Reporting API group name; use lowercase \
         letters, digits, `_`, `-` and `.`, starting with a letter, such as \"default\""
    );
    assert_eq!(
        error("[default.security.integrity_policy]\nendpoints = [\"x,y\"]"),
        "`security.integrity_policy.endpoints[0]`: \"x,y\" is not a Reporting API group name; use lowercase \
         letters, digits, `_`, `-` and `.`, starting with a letter, such as \"default\""
    );
    assert_eq!(
        error("[default.security.permissions_policy_report_only]\nreport_to = \"A\""),
        "`security.permissions_policy_report_only.report_to`: \"A\" is not a Reporting API group name; use \
         lowercase letters, digits, `_`, `-` and `.`, starting with a letter, such as \"default\""
    );
    assert_eq!(
        error("[default.security.permissions_policy_report_only.features]\nCamera = []"),
        "`security.permissions_policy_report_only.features.Camera`: feature names are lowercase letters, digits \
         and `-`, starting with a letter"
    );
    assert_eq!(
        error("[default.security.reporting]\npaths = []"),
        "`security.reporting.paths`: empty list: nothing would be sent; list paths such as [\"/**\"]"
    );
    assert_eq!(
        error("[default.security.nel]\npaths = []"),
        "`security.nel.paths`: empty list: nothing would be sent; list paths such as [\"/**\"]"
    );
}
