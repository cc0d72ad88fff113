//! Validation at ignite: one test per rule, asserting the exact message.

#[path = "../common/mod.rs"]
mod common;

mod csp;
mod deploy;
mod real_policies;
mod reporting;
mod secret_key;

use common::{app, figment, ignite_fails};
use rocket_security::SecurityConfig;

/// Every error message for this `Rocket.toml` content.
fn errors(toml: &str) -> Vec<String> {
    match SecurityConfig::from_figment(&figment(toml)) {
        Ok(_) => vec![],
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

fn error(toml: &str) -> String {
    let e = errors(toml);
    assert_eq!(e.len(), 1, "expected one error, got {e:#?}");
    e.into_iter().next().unwrap()
}

#[test]
fn no_configuration_is_valid() {
    assert_eq!(errors(""), Vec::<String>::new());
}

#[test]
fn misspelled_key_names_the_full_key_and_suggests_the_fix() {
    assert_eq!(
        error("[default.security.hsts]\nmaxage = 10"),
        "`security.hsts.maxage`: unknown key; did you mean `max_age`? the keys of `security.hsts` are: \
         enabled, exclude, include_subdomains, max_age, paths, preload"
    );
}

#[test]
fn camel_case_key_is_refused_with_the_snake_case_suggestion() {
    let e = error("[default.security.hsts]\nincludeSubdomains = true");
    assert!(e.starts_with("`security.hsts.includeSubdomains`: unknown key; did you mean `include_subdomains`?"), "{e}");
}

#[test]
fn unknown_feature_table_is_refused() {
    let e = error("[default.security.hstss]\nmax_age = 1");
    assert!(e.starts_with("`security.hstss`: unknown key; did you mean `hsts`?"), "{e}");
}

#[test]
fn security_must_be_a_table() {
    assert_eq!(error("[default]\nsecurity = true"), "`security`: expected a table of settings, found the boolean true");
}

#[test]
fn booleans_must_be_booleans() {
    assert_eq!(
        error("[default.security.nosniff]\nenabled = \"yes\""),
        "`security.nosniff.enabled`: expected true or false, found the string \"yes\""
    );
}

#[test]
fn numbers_must_be_whole_and_not_negative() {
    assert_eq!(
        error("[default.security.hsts]\nmax_age = -1"),
        "`security.hsts.max_age`: expected a whole number >= 0, found the number -1"
    );
    assert_eq!(
        error("[default.security.hsts]\nmax_age = \"1 year\""),
        "`security.hsts.max_age`: expected a whole number >= 0, found the string \"1 year\""
    );
}

#[test]
fn a_bare_string_is_not_a_list() {
    assert_eq!(
        error("[default.security.frame_options]\nexclude = \"/embed\""),
        "`security.frame_options.exclude`: expected a list of strings, found the string \"/embed\"; write [\"/embed\"]"
    );
}

#[test]
fn list_items_must_be_strings() {
    assert_eq!(
        error("[default.security.frame_options]\nexclude = [\"/a\", 3]"),
        "`security.frame_options.exclude[1]`: expected a string, found the number 3"
    );
}

#[test]
fn path_patterns_are_validated() {
    assert_eq!(
        error("[default.security.frame_options]\nexclude = [\"embed\"]"),
        "`security.frame_options.exclude[0]`: path pattern \"embed\" must start with `/`"
    );
    assert_eq!(
        error("[default.security.frame_options]\nexclude = [\"/embed*\"]"),
        "`security.frame_options.exclude[0]`: in path pattern \"/embed*\", `*` must be a whole segment: \
         write `/embed/**` for a subtree or `*` for one segment"
    );
}

#[test]
fn empty_paths_would_silently_drop_the_header() {
    assert_eq!(
        error("[default.security.nosniff]\npaths = []"),
        "`security.nosniff.paths`: empty list: the header would be sent nowhere; set `enabled = false` to turn it off, \
         or list paths such as [\"/**\"]"
    );
}

#[test]
fn line_breaks_in_a_header_value_are_refused() {
    assert_eq!(
        error("[default.security.csp]\npolicy = \"default-src 'self'\\r\\nSet-Cookie: a=b\""),
        "`security.csp.policy`: Content-Security-Policy value \"default-src 'self'\\r\\nSet-Cookie: a=b\" contains a \
         line break (CR), which would split the header; remove it"
    );
}

#[test]
fn non_visible_ascii_in_a_header_value_is_refused() {
    assert_eq!(
        error("[default.security]\nserver_header = \"Caf\u{e9}\""),
        "`security.server_header`: Server value \"Café\" contains 'é' (U+00E9) at byte 3; header values must be visible ASCII"
    );
}

#[test]
fn server_header_has_three_shapes() {
    assert_eq!(
        error("[default.security]\nserver_header = 1"),
        "`security.server_header`: expected false (no header), true (Rocket's ident) or a string, found the number 1"
    );
}

#[test]
fn hsts_preload_requires_include_subdomains() {
    assert_eq!(
        error("[default.security.hsts]\npreload = true\ninclude_subdomains = false"),
        "`security.hsts.preload`: preload requires `include_subdomains = true` (hstspreload.org rules); set it or drop preload"
    );
}

#[test]
fn hsts_preload_requires_a_year() {
    assert_eq!(
        error("[default.security.hsts]\npreload = true\nmax_age = 86400"),
        "`security.hsts.preload`: preload requires `max_age` >= 31536000 (1 year), found 86400; raise max_age or drop preload"
    );
}

#[test]
fn frame_options_value_is_one_of_two() {
    assert_eq!(
        error("[default.security.frame_options]\nvalue = \"invalid\""),
        "`security.frame_options.value`: \"invalid\" is not allowed; use one of \"DENY\", \"SAMEORIGIN\""
    );
}

#[test]
fn frame_options_allow_from_points_to_frame_ancestors() {
    assert_eq!(
        error("[default.security.frame_options]\nvalue = \"allow-from: http://example.com\""),
        "`security.frame_options.value`: ALLOW-FROM is obsolete and ignored by every current browser; use \"DENY\" or \
         \"SAMEORIGIN\", and allow specific origins with the CSP `frame-ancestors` directive"
    );
}

#[test]
fn referrer_policy_unknown_token() {
    let e = error("[default.security.referrer_policy]\nvalue = \"invalid\"");
    assert_eq!(
        e,
        "`security.referrer_policy.value`: \"invalid\" is not a Referrer-Policy token; use one of no-referrer, \
         no-referrer-when-downgrade, origin, origin-when-cross-origin, same-origin, strict-origin, \
         strict-origin-when-cross-origin, unsafe-url"
    );
}

#[test]
fn referrer_policy_duplicate_token() {
    assert_eq!(
        error("[default.security.referrer_policy]\nvalue = [\"origin\", \"origin\"]"),
        "`security.referrer_policy.value`: \"origin\" is listed twice; remove the duplicate"
    );
}

#[test]
fn referrer_policy_empty_list() {
    assert_eq!(
        error("[default.security.referrer_policy]\nvalue = []"),
        "`security.referrer_policy.value`: empty list; give at least one token, e.g. [\"no-referrer\"], or set `enabled = false`"
    );
}

#[test]
fn referrer_policy_off_is_spelled_enabled_false() {
    assert_eq!(
        error("[default.security.referrer_policy]\nvalue = \"off\""),
        "`security.referrer_policy.value`: \"off\" is not a policy; set `enabled = false` to send no Referrer-Policy header"
    );
}

#[test]
fn permissions_policy_quoted_self() {
    assert_eq!(
        error("[default.security.permissions_policy.features]\ncamera = [\"'self'\"]"),
        "`security.permissions_policy.features.camera`: write self without quotes (Permissions-Policy is not CSP)"
    );
}

#[test]
fn permissions_policy_none_is_an_empty_list() {
    assert_eq!(
        error("[default.security.permissions_policy.features]\ncamera = [\"none\"]"),
        "`security.permissions_policy.features.camera`: an empty list `[]` denies the feature; `none` is not a \
         Permissions-Policy keyword"
    );
}

#[test]
fn permissions_policy_bad_origin() {
    assert_eq!(
        error("[default.security.permissions_policy.features]\ncamera = [\"example.com\"]"),
        "`security.permissions_policy.features.camera`: \"example.com\" is not an allowlist entry; use self, src, * or \
         an origin such as \"https://example.com\""
    );
}

#[test]
fn permissions_policy_star_alone() {
    assert_eq!(
        error("[default.security.permissions_policy.features]\ncamera = [\"*\", \"self\"]"),
        "`security.permissions_policy.features.camera`: `*` allows every origin and cannot be combined with other entries"
    );
}

#[test]
fn permissions_policy_feature_names() {
    assert_eq!(
        error("[default.security.permissions_policy.features]\nCamera = []"),
        "`security.permissions_policy.features.Camera`: feature names are lowercase letters, digits and `-`, starting with a letter"
    );
}

#[test]
fn permissions_policy_allowlist_must_be_a_list() {
    assert_eq!(
        error("[default.security.permissions_policy.features]\ncamera = \"self\""),
        "`security.permissions_policy.features.camera`: expected a list such as [] or [\"self\"], found the string \"self\""
    );
}

#[test]
fn permissions_policy_needs_a_feature() {
    assert_eq!(
        error("[default.security.permissions_policy]\nuse_defaults = false"),
        "`security.permissions_policy.features`: no features: with `use_defaults = false`, list at least one feature or \
         set `enabled = false`"
    );
}

#[test]
fn token_headers_list_what_is_allowed() {
    assert_eq!(
        error("[default.security.coop]\nvalue = \"same-site\""),
        "`security.coop.value`: \"same-site\" is not allowed; use one of \"same-origin\", \"same-origin-allow-popups\", \
         \"noopener-allow-popups\", \"unsafe-none\""
    );
    assert_eq!(
        error("[default.security.corp]\nvalue = \"none\""),
        "`security.corp.value`: \"none\" is not allowed; use one of \"same-origin\", \"same-site\", \"cross-origin\""
    );
}

#[test]
fn xss_protection_values() {
    assert_eq!(
        error("[default.security.xss_protection]\nvalue = \"sanitize\""),
        "`security.xss_protection.value`: \"sanitize\" is not allowed; use \"0\" (recommended), \"1\" or \"1; mode=block\""
    );
}

#[test]
fn p3p_needs_a_compact_policy() {
    assert_eq!(
        error("[default.security.p3p]\nenabled = true"),
        "`security.p3p.compact_policy`: required when P3P is enabled, e.g. \"NOI DSP COR\""
    );
}

#[test]
fn clear_site_data_unknown_directive() {
    assert_eq!(
        error("[default.security.clear_site_data]\ndirectives = [\"bogus\"]"),
        "`security.clear_site_data.directives`: \"bogus\" is not a Clear-Site-Data directive; use cache, cookies, \
         storage, executionContexts, clientHints, prefetchCache, prerenderCache, *"
    );
}

#[test]
fn clear_site_data_directives_are_case_sensitive() {
    assert_eq!(
        error("[default.security.clear_site_data]\ndirectives = [\"executioncontexts\"]"),
        "`security.clear_site_data.directives`: \"executioncontexts\" must be written \"executionContexts\" \
         (directives are case-sensitive)"
    );
}

#[test]
fn clear_site_data_star_alone_and_no_duplicates() {
    assert_eq!(
        error("[default.security.clear_site_data]\ndirectives = [\"*\", \"cache\"]"),
        "`security.clear_site_data.directives`: \"*\" already clears everything; list it alone"
    );
    assert_eq!(
        error("[default.security.clear_site_data]\ndirectives = [\"cache\", \"cache\"]"),
        "`security.clear_site_data.directives`: \"cache\" is listed twice; remove the duplicate"
    );
    assert_eq!(
        error("[default.security.clear_site_data]\ndirectives = []"),
        "`security.clear_site_data.directives`: empty list; give at least one of \"cache\", \"cookies\", \"storage\""
    );
}

#[test]
fn https_trusted_proxies_are_addresses_or_networks() {
    assert_eq!(
        error("[default.security.https]\ntrusted_proxies = [\"proxy.local\"]"),
        "`security.https.trusted_proxies[0]`: \"proxy.local\" is not an IP address or CIDR network (e.g. \"10.0.0.1\" or \"10.0.0.0/8\")"
    );
}

#[test]
fn disabled_features_are_validated_too() {
    assert_eq!(
        error("[default.security.coop]\nenabled = false\nvalue = \"bogus\""),
        "`security.coop.value`: \"bogus\" is not allowed; use one of \"same-origin\", \"same-origin-allow-popups\", \
         \"noopener-allow-popups\", \"unsafe-none\""
    );
}

#[test]
fn whitespace_around_a_header_value_is_refused() {
    assert_eq!(
        error("[default.security]\nserver_header = \" Acme\""),
        "`security.server_header`: Server value \" Acme\" has leading or trailing whitespace; remove it"
    );
}

#[test]
fn p3p_tokens_and_url_are_checked() {
    assert_eq!(
        error("[default.security.p3p]\nenabled = true\ncompact_policy = \"NOI \\\"X\\\"\""),
        "`security.p3p.compact_policy`: \"\\\"X\\\"\" is not a compact-policy token (letters and digits, e.g. NOI DSP COR)"
    );
    assert_eq!(
        error("[default.security.p3p]\nenabled = true\ncompact_policy = \"NOI\"\npolicy_url = \"/a\\\"b\""),
        "`security.p3p.policy_url`: must be a non-empty URL without quotes or backslashes"
    );
}

#[test]
fn csp_directive_names_and_empty_policies() {
    assert_eq!(
        error("[default.security.csp]\npolicy = \"Default_Src 'self'\""),
        "`security.csp.policy`: \"default_src\" is not a directive name (lowercase letters, digits and `-`)"
    );
    assert_eq!(error("[default.security.csp]\npolicy = \" ; \""), "`security.csp.policy`: the policy is empty");
}

#[test]
fn https_redirect_status() {
    assert_eq!(
        error("[default.security.https]\nredirect_status = 70000"),
        "`security.https.redirect_status`: 70000 is not allowed; use 301 (Moved Permanently) or 308 (Permanent Redirect)"
    );
    assert_eq!(
        error("[default.security.https]\nredirect_status = 302"),
        "`security.https.redirect_status`: 302 is not allowed; use 301 (Moved Permanently) or 308 (Permanent Redirect)"
    );
}

#[test]
fn https_proxy_header_and_redirect_host() {
    assert_eq!(
        error("[default.security.https]\nproxy_header = \"X Forwarded\""),
        "`security.https.proxy_header`: \"X Forwarded\" is not a header name (letters, digits and `-`, e.g. \"X-Forwarded-Proto\")"
    );
    assert_eq!(
        error("[default.security.https]\nredirect_host = \"https://example.com/\""),
        "`security.https.redirect_host`: \"https://example.com/\" is not a host name; write it without scheme or path, e.g. \"www.example.com\""
    );
}

#[test]
fn csp_policy_without_default_src_needs_require_default_src_to_fail() {
    assert_eq!(errors("[default.security.csp]\npolicy = \"script-src 'self'\""), Vec::<String>::new());
    assert_eq!(
        error("[default.security.csp]\nrequire_default_src = true\npolicy = \"script-src 'self'\""),
        "`security.csp.policy`: the policy has no default-src; add e.g. default-src 'self' so unlisted fetches are restricted too"
    );
}

#[test]
fn csp_policy_duplicate_directive() {
    assert_eq!(
        error("[default.security.csp]\npolicy = \"default-src 'self'; default-src 'none'\""),
        "`security.csp.policy`: default-src: the directive appears twice; browsers ignore the second one, so merge them"
    );
}

#[test]
fn every_error_is_reported_at_once() {
    let e = errors("[default.security.hsts]\nmaxage = 1\n[default.security.frame_options]\nvalue = \"x\"");
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(e[0].starts_with("`security.hsts.maxage`: unknown key"));
    assert!(e[1].starts_with("`security.frame_options.value`"));
    let e =
        errors("[default.security.hsts]\npreload = true\nmax_age = 1\n[default.security.frame_options]\nvalue = \"x\"");
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(e[0].starts_with("`security.hsts.preload`"));
    assert!(e[1].starts_with("`security.frame_options.value`"));
}

#[rocket::async_test]
async fn a_bad_value_aborts_the_launch() {
    assert!(ignite_fails(app("[default.security.hsts]\nmaxage = 10")).await);
    assert!(!ignite_fails(app("[default.security.hsts]\nmax_age = 10")).await);
}

#[test]
#[allow(clippy::result_large_err)] // figment::Jail's closure returns figment's own error type
fn the_rocket_security_env_variable_overrides_the_file() {
    // figment's Jail: the variable is set under its lock, in a scratch
    // directory (no Rocket.toml), and removed when the closure returns.
    figment::Jail::expect_with(|jail| {
        jail.set_env("ROCKET_SECURITY", "{hsts={max_age=42},frame_options={value=\"SAMEORIGIN\"}}");
        let config = SecurityConfig::from_figment(&rocket::Config::figment()).unwrap();
        assert_eq!(config.hsts.max_age, 42);
        assert_eq!(config.frame_options.value, "SAMEORIGIN");
        Ok(())
    });
}

#[test]
fn typed_config_is_validated_like_the_file() {
    let config = SecurityConfig {
        hsts: rocket_security::headers::Hsts { preload: true, max_age: 5, ..Default::default() },
        ..Default::default()
    };
    let e = config.validate().unwrap_err();
    assert_eq!(
        e.for_key("security.hsts.preload").map(ToString::to_string).as_deref(),
        Some(
            "`security.hsts.preload`: preload requires `max_age` >= 31536000 (1 year), found 5; raise max_age or drop preload"
        )
    );
}

#[test]
fn the_report_rate_limit_must_fit_one_batch() {
    assert_eq!(
        error("[default.security.reports]\nrate_limit_per_minute = 50"),
        "`security.reports.rate_limit_per_minute`: 50 is below max_reports_per_request (100): a full batch could never be \
         accepted; raise it or use 0 (off)"
    );
}

#[test]
fn report_retention_beyond_a_century_fails_naming_the_key() {
    assert_eq!(
        error("[default.security.reports]\nretention_days = 36501"),
        "`security.reports.retention_days`: 36501 days is more than 36500; use 0 to keep reports forever"
    );
}

#[test]
fn a_trusted_origin_with_a_path_or_wildcard_or_no_scheme_fails_naming_the_key() {
    let e = errors(
        "[default.security.csrf]\ntrusted_origins = [\"https://ok.example\", \"https://a.example/path\", \"https://*.a.example\", \"a.example\"]",
    );
    assert_eq!(e.len(), 3, "{e:#?}");
    assert_eq!(
        e[0],
        "`security.csrf.trusted_origins[1]`: \"https://a.example/path\" is not an origin; write scheme, host and \
         optional port only, e.g. \"https://partner.example\" or \"https://partner.example:8443\" (no path, no wildcard)"
    );
    assert!(e[1].starts_with("`security.csrf.trusted_origins[2]`: \"https://*.a.example\" is not an origin"));
    assert!(e[2].starts_with("`security.csrf.trusted_origins[3]`: \"a.example\" is not an origin"));
}

#[rocket::async_test]
async fn csrf_token_mode_without_a_secret_key_fails_a_release_ignite_and_gets_a_key_per_run_in_debug() {
    assert!(ignite_fails(common::release_app("[default.security.csrf]\ntoken = true")).await);
    // Debug, as Rocket itself does: a random key for this run, noted as a finding.
    let debug = common::figment("[default.security.csrf]\ntoken = true");
    let findings = rocket_security::Security::fairing().findings(&debug).unwrap();
    let ids: Vec<&str> = findings.iter().map(|f| f.id()).collect();
    assert_eq!(ids, ["security.I003"]);
    assert!(!ignite_fails(app("[default.security.csrf]\ntoken = true")).await);
}

#[test]
fn a_session_registry_check_interval_over_a_minute_is_refused() {
    assert_eq!(
        error("[default.security.session]\nrevocation_check_ms = 120000"),
        "`security.session.revocation_check_ms`: 120000 ms would let a revoked session live on other instances for \
         over a minute; use at most 60000"
    );
}

#[test]
fn an_allowed_host_with_a_scheme_path_or_inner_wildcard_fails_naming_the_key() {
    let e = errors(
        "[default.security]\nallowed_hosts = [\"ok.example\", \"https://a.example\", \"a.example/app\", \"*.a.example\"]",
    );
    assert_eq!(e.len(), 3, "{e:#?}");
    assert_eq!(
        e[0],
        "`security.allowed_hosts[1]`: \"https://a.example\" has a scheme or a path; write the host only, e.g. \"www.example.com\""
    );
    assert!(e[1].starts_with("`security.allowed_hosts[2]`: \"a.example/app\" has a scheme or a path"));
    assert!(e[2].starts_with("`security.allowed_hosts[3]`: \"*.a.example\": the only wildcards are a leading dot"));
}

#[rocket::async_test]
async fn a_bad_network_in_allowed_hosts_fails_ignite_naming_the_entry_and_the_fix() {
    let toml = "[default.security]\nallowed_hosts = [\"www.example.com\", \"10.0.0.0/33\", \"10.0.0.1/8\", \
                \"fd00::/129\", \"[fd00::]/8\", \"10.0.0.0/8:8000\", \"10.0.0.0/8\", \"fd00::/8\"]";
    assert_eq!(
        errors(toml),
        [
            "`security.allowed_hosts[1]`: \"10.0.0.0/33\": /33 is longer than an IPv4 address; the prefix length is at \
             most /32",
            "`security.allowed_hosts[2]`: \"10.0.0.1/8\" has host bits set; write the network \"10.0.0.0/8\", or \
             \"10.0.0.1\" for that one address",
            "`security.allowed_hosts[3]`: \"fd00::/129\": /129 is longer than an IPv6 address; the prefix length is at \
             most /128",
            "`security.allowed_hosts[4]`: \"[fd00::]/8\": write a network without brackets, \"fd00::/8\"",
            "`security.allowed_hosts[5]`: \"10.0.0.0/8:8000\": a network matches every port and takes none; write \
             \"10.0.0.0/8\"",
        ]
    );
    assert!(ignite_fails(app(toml)).await);
    assert!(!ignite_fails(app("[default.security]\nallowed_hosts = [\"10.0.0.0/8\", \"fd00::/8\"]")).await);
}

#[rocket::async_test]
async fn a_published_secret_key_refuses_a_release_launch_naming_the_key() {
    let sample = "o0/U03li/W+nN5Z4YuPxyKtIe1h60PBkvaK5wSxz2MwLNdc9JYwQlJ5mfKh/zKJbar/MArjkfTmsTmSabGC9GA==";
    let release = rocket::figment::Figment::from(rocket::Config::release_default()).merge(("secret_key", sample));
    let e = SecurityConfig::from_figment(&release).unwrap_err();
    assert_eq!(
        e.for_key("secret_key").map(ToString::to_string).as_deref(),
        Some(
            "`secret_key`: is a published value (the sample Rocket.toml's, or Rocket's documentation example): anyone \
             can forge session stamps and CSRF tokens with it; generate your own with `openssl rand -base64 64 | tr -d '\\n'` and set \
             it for the release profile (e.g. ROCKET_SECRET_KEY)"
        )
    );
    let release = rocket::figment::Figment::from(rocket::Config::release_default())
        .merge(("secret_key", "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk="));
    assert!(SecurityConfig::from_figment(&release).unwrap_err().for_key("secret_key").is_some(), "Rocket's docs' key");
    // In debug the sample key is fine (the showcase's demo).
    let debug = rocket::figment::Figment::from(rocket::Config::debug_default()).merge(("secret_key", sample));
    assert!(SecurityConfig::from_figment(&debug).is_ok());
}

#[test]
fn max_violations_beyond_a_hundred_million_fails_naming_the_key() {
    assert_eq!(
        error("[default.security.reports]\nmax_violations = 100000001"),
        "`security.reports.max_violations`: 100000001 is more than 100000000; a policy needs far fewer distinct \
         violations (0: no cap)"
    );
}

#[test]
fn a_cluster_name_with_other_characters_fails_naming_the_key() {
    assert_eq!(
        error("[default.security.reports]\ncluster = \"a b\""),
        "`security.reports.cluster`: \"a b\" is not a cluster name; use 1 to 64 letters, digits, `-` or `_`"
    );
}

#[test]
fn a_session_limit_of_0_is_no_limit() {
    assert_eq!(errors("[default.security.session]\nenabled = true\nmax_per_user = 0"), Vec::<String>::new());
    assert_eq!(errors("[default.security.session]\nmax_per_user = 0"), Vec::<String>::new(), "expiry off too");
    assert_eq!(
        errors("[default.security.session]\nenabled = true\nregistry = false\nmax_per_user = 0"),
        Vec::<String>::new()
    );
}

#[test]
fn a_session_limit_above_100_is_refused() {
    assert_eq!(
        error("[default.security.session]\nenabled = true\nmax_per_user = 101"),
        "`security.session.max_per_user`: 101 is more than a user's sessions can be listed; set at most 100, or set \
         `security.session.max_per_user = 0` for no limit"
    );
}

#[test]
fn a_session_limit_without_session_expiry_is_refused() {
    assert_eq!(
        error("[default.security.session]\nmax_per_user = 2"),
        "`security.session.max_per_user`: a session limit needs the sessions kept on the server, and session expiry \
         is off: set `security.session.enabled = true` (with the security database attached), or set \
         `security.session.max_per_user = 0` for no limit"
    );
}

#[test]
fn a_session_limit_without_the_registry_is_refused() {
    assert_eq!(
        error("[default.security.session]\nenabled = true\nregistry = false\nmax_per_user = 2"),
        "`security.session.max_per_user`: a session limit counts the user's sessions in the registry, which is off: \
         set `security.session.registry = true` (the default; it needs the security database), or set \
         `security.session.max_per_user = 0` for no limit"
    );
}

#[test]
#[allow(clippy::result_large_err)] // figment::Jail's closure returns figment's own error type
fn an_override_switches_the_session_limit_off_with_the_fix_the_error_gives() {
    // The sample Rocket.toml's limit, and a profile that turns session expiry off.
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "Rocket.toml",
            "[default.security.session]\nenabled = true\nmax_per_user = 3\non_limit = \"refuse\"\n\
             [debug.security.session]\nenabled = false",
        )?;
        let e = SecurityConfig::from_figment(&rocket::Config::figment()).unwrap_err();
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(e.len(), 1, "{e:#?}");
        assert!(e[0].ends_with("or set `security.session.max_per_user = 0` for no limit"), "{}", e[0]);
        // The fix as given, in the environment (or the profile).
        jail.set_env("ROCKET_SECURITY", "{session={max_per_user=0}}");
        let config = SecurityConfig::from_figment(&rocket::Config::figment()).unwrap();
        assert_eq!((config.session.enabled, config.session.max_per_user), (false, 0));
        // Or the registry off instead.
        jail.create_file(
            "Rocket.toml",
            "[default.security.session]\nenabled = true\nmax_per_user = 3\n[debug.security.session]\nregistry = false",
        )?;
        assert_eq!(SecurityConfig::from_figment(&rocket::Config::figment()).unwrap().session.max_per_user, 0);
        Ok(())
    });
}

#[test]
fn an_unknown_on_limit_choice_names_both() {
    assert_eq!(
        error("[default.security.session]\nenabled = true\nmax_per_user = 2\non_limit = \"end_newest\""),
        "`security.session.on_limit`: \"end_newest\" is not a choice; use \"end_oldest\" (end the user's least \
         recently active session) or \"refuse\" (refuse the new login)"
    );
}

#[test]
fn a_session_limit_is_read_with_its_choice() {
    use rocket_security::session::OnLimit;
    let c = SecurityConfig::from_figment(&figment(
        "[default.security.session]\nenabled = true\nmax_per_user = 3\non_limit = \"refuse\"",
    ))
    .unwrap();
    assert_eq!((c.session.max_per_user, c.session.on_limit), (3, OnLimit::Refuse));
    let c = SecurityConfig::from_figment(&figment("")).unwrap();
    assert_eq!((c.session.max_per_user, c.session.on_limit), (0, OnLimit::EndOldest), "off by default");
}
