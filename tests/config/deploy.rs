//! The deploy check (`Security::findings`, `deploy_check(strict)`): each
//! release-profile finding with its id, severity and fix, and what makes it go.

use rocket::figment::Figment;
use rocket_security::core::{Finding, Severity};
use rocket_security::Security;

/// A release figment: `secret_key` set, plus `merges`.
fn release(merges: &[(&str, rocket::figment::value::Value)]) -> Figment {
    let mut f = Figment::from(rocket::Config::release_default())
        .merge(("secret_key", "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="));
    for (k, v) in merges {
        f = f.merge((*k, v.clone()));
    }
    f
}

fn v<T: serde::Serialize>(value: T) -> rocket::figment::value::Value {
    rocket::figment::value::Value::serialize(value).unwrap()
}

fn findings(figment: &Figment) -> Vec<Finding> {
    Security::fairing().findings(figment).expect("a valid configuration")
}

fn ids(figment: &Figment) -> Vec<&'static str> {
    findings(figment).iter().map(Finding::id).collect()
}

fn find(figment: &Figment, id: &str) -> Finding {
    findings(figment).into_iter().find(|f| f.id() == id).unwrap_or_else(|| panic!("no {id} in {figment:?}"))
}

/// Behind a TLS proxy, with the site's hosts: the defaults pass.
fn good() -> Vec<(&'static str, rocket::figment::value::Value)> {
    vec![("security.allowed_hosts", v(["www.example.com"])), ("security.https.trusted_proxies", v(["10.0.0.1"]))]
}

fn with(extra: &[(&'static str, rocket::figment::value::Value)]) -> Figment {
    let mut m = good();
    m.extend(extra.iter().cloned());
    release(&m)
}

#[test]
fn the_release_defaults_find_the_open_host_header_and_unreachable_hsts() {
    let f = release(&[]);
    assert_eq!(ids(&f), ["security.W004", "security.W001"]);
    let hsts = find(&f, "security.W004");
    assert_eq!(hsts.severity(), Severity::Warning);
    assert_eq!(
        hsts.to_string(),
        "security.W004 (warning): HSTS is never sent: Rocket's TLS is off and `security.https.trusted_proxies` is \
         empty, so no request is HTTPS; fix: behind a TLS-terminating proxy, list its address in \
         `security.https.trusted_proxies`; or configure Rocket's `tls`"
    );
    assert_eq!(
        find(&f, "security.W001").fix(),
        "list the site's hosts under `[release.security]` in Rocket.toml: allowed_hosts = [\"www.example.com\"]"
    );
    assert_eq!(ids(&with(&[])), Vec::<&str>::new());
}

#[test]
fn rocket_tls_makes_hsts_reachable() {
    let tls = release(&[
        ("security.allowed_hosts", v(["www.example.com"])),
        ("tls", v(std::collections::BTreeMap::from([("certs", "cert.pem"), ("key", "key.pem")]))),
    ]);
    assert_eq!(ids(&tls), Vec::<&str>::new());
}

#[test]
fn the_debug_profile_has_no_release_findings() {
    let debug = Figment::from(rocket::Config::debug_default())
        .merge(("security.hsts.enabled", false))
        .merge(("security.csp.enabled", false))
        .merge(("security.throttle.fail_open", true));
    assert_eq!(ids(&debug), Vec::<&str>::new());
}

#[test]
fn hsts_and_csp_off_are_warnings_naming_the_key_to_set() {
    let f = with(&[("security.hsts.enabled", v(false)), ("security.csp.enabled", v(false))]);
    assert_eq!(ids(&f), ["security.W005", "security.W002"]);
    assert_eq!(find(&f, "security.W002").fix(), "set `security.hsts.enabled = true` (the default)");
    assert_eq!(
        find(&f, "security.W005").message(),
        "Content-Security-Policy is disabled: no defence in depth against XSS"
    );
}

#[test]
fn a_per_process_throttle_store_beside_a_shared_database_is_a_warning() {
    for url in [
        "postgres://db.internal/app",
        "postgresql://db.internal/app",
        "mysql://db.internal/app",
        "MariaDB://db.internal/app",
    ] {
        let f = with(&[("databases.security.url", v(url))]);
        let w = find(&f, "security.W012");
        assert_eq!(w.severity(), Severity::Warning);
        assert_eq!(w.fix(), "set `security.throttle.storage = \"database\"` (counters shared by every instance)");
        let shared = with(&[("databases.security.url", v(url)), ("security.throttle.storage", v("database"))]);
        assert_eq!(ids(&shared), Vec::<&str>::new(), "{url}");
    }
    // SQLite is one machine's file: one instance.
    for url in ["sqlite://security.db", "security.db", "sqlite::memory:"] {
        assert_eq!(ids(&with(&[("databases.security.url", v(url))])), Vec::<&str>::new(), "{url}");
    }
}

#[test]
fn failing_open_and_throttling_off_are_warnings() {
    let f = with(&[
        ("security.throttle.fail_open", v(true)),
        ("security.session.enabled", v(true)),
        ("security.session.cookies", v(["user_id"])),
        ("security.session.fail_open", v(true)),
        ("security.password.fail_open", v(true)),
    ]);
    let mut got = ids(&f);
    got.sort_unstable();
    assert_eq!(got, ["security.W013", "security.W014", "security.W015"]);
    assert_eq!(
        find(&f, "security.W013").fix(),
        "set `security.throttle.fail_open = false` (the default: such logins get 503)"
    );
    assert_eq!(ids(&with(&[("security.throttle.enabled", v(false))])), ["security.W020"]);
}

#[test]
fn on_limit_without_a_session_limit_is_a_warning() {
    let session = |extra: &[(&'static str, rocket::figment::value::Value)]| {
        let mut m = vec![("security.session.enabled", v(true)), ("security.session.cookies", v(["user_id"]))];
        m.extend(extra.iter().cloned());
        with(&m)
    };
    let f = session(&[("security.session.on_limit", v("refuse"))]);
    assert_eq!(ids(&f), ["security.W028"]);
    assert_eq!(
        find(&f, "security.W028").to_string(),
        "security.W028 (warning): `security.session.on_limit = \"refuse\"` does nothing: \
         `security.session.max_per_user` is 0 (no session limit); fix: set `security.session.max_per_user` to the \
         most sessions a user may have (1 to 100), or remove `on_limit`"
    );
    let limited = session(&[("security.session.on_limit", v("refuse")), ("security.session.max_per_user", v(2))]);
    assert_eq!(ids(&limited), Vec::<&str>::new());
    assert_eq!(ids(&session(&[])), Vec::<&str>::new(), "the default choice says nothing");
}

#[test]
fn advice_is_info_and_does_not_abort_a_strict_launch() {
    let f = with(&[("security.p3p.enabled", v(true)), ("security.p3p.compact_policy", v("NOI"))]);
    let p3p = find(&f, "security.I001");
    assert_eq!(p3p.severity(), Severity::Info);
    assert_eq!(ids(&f), ["security.I001"]);
}

#[rocket::async_test]
async fn a_strict_deploy_check_aborts_a_release_launch_on_warnings_only() {
    let strict = |f: Figment| rocket::custom(f).attach(Security::fairing().deploy_check(true));
    let err = strict(release(&[])).ignite().await.unwrap_err();
    assert!(matches!(err.kind(), rocket::error::ErrorKind::FailedFairings(_)), "{err:?}");
    assert!(strict(with(&[])).ignite().await.is_ok());
    let info_only = with(&[("security.p3p.enabled", v(true)), ("security.p3p.compact_policy", v("NOI"))]);
    assert!(strict(info_only).ignite().await.is_ok());
    // Not strict: the same warnings are logged, and the launch goes on.
    assert!(rocket::custom(release(&[])).attach(Security::fairing()).ignite().await.is_ok());
}

#[test]
fn a_published_secret_key_is_an_error_not_a_finding() {
    let sample = "o0/U03li/W+nN5Z4YuPxyKtIe1h60PBkvaK5wSxz2MwLNdc9JYwQlJ5mfKh/zKJbar/MArjkfTmsTmSabGC9GA==";
    let f = with(&[("secret_key", v(sample))]);
    let e = Security::fairing().findings(&f).unwrap_err();
    assert!(e.for_key("secret_key").is_some(), "{e}");
}

#[test]
fn a_redirect_that_can_never_see_https_or_trusts_the_host_header_is_a_warning() {
    let f = release(&[("security.allowed_hosts", v(["www.example.com"])), ("security.https.redirect", v(true))]);
    let mut got = ids(&f);
    got.sort_unstable();
    assert_eq!(got, ["security.W004", "security.W021", "security.W022"]);
    let fixed = with(&[("security.https.redirect", v(true)), ("security.https.redirect_host", v("www.example.com"))]);
    assert_eq!(ids(&fixed), Vec::<&str>::new());
}

#[test]
fn session_cookies_that_can_never_be_secure_are_warnings() {
    let f = release(&[
        ("security.allowed_hosts", v(["www.example.com"])),
        ("security.session.enabled", v(true)),
        ("security.session.cookies", v(["__Host-user"])),
    ]);
    let mut got = ids(&f);
    got.sort_unstable();
    assert_eq!(got, ["security.W004", "security.W023", "security.W024"]);
    assert_eq!(
        find(&f, "security.W024").message(),
        "the session cookie \"__Host-user\" has a prefix that needs Secure, but no request can count as HTTPS: \
         browsers drop it"
    );
}

#[test]
fn a_control_left_in_report_mode_is_a_release_warning_naming_its_key() {
    for (key, what) in [
        ("security.csrf.mode", "CSRF protection"),
        ("security.allowed_hosts_mode", "allowed hosts"),
        ("security.auth.mode", "deny-by-default login (`require_login`)"),
        ("security.auth.ajax_mode", "AjaxOnly"),
        ("security.throttle.mode", "login throttling"),
        ("security.password.mode", "the mandatory password change"),
    ] {
        let f = with(&[(key, v("report"))]);
        assert_eq!(ids(&f), ["security.W025"], "{key}");
        let w = find(&f, "security.W025");
        assert_eq!(
            w.message(),
            format!("`{key} = \"report\"`: {what} only watches; the requests it would refuse go through"),
            "{key}"
        );
        assert!(w.fix().starts_with(&format!("set `{key} = \"enforce\"` once")), "{key}");
        let debug = Figment::from(rocket::Config::debug_default()).merge((key, "report"));
        assert_eq!(ids(&debug), Vec::<&str>::new(), "{key}: debug is where report mode belongs");
    }
}

/// `release(...)` with a fallback retired on `day` (`None`: no date), on a clock set to `today`.
fn fallback_findings(
    day: Option<&str>,
    today: (i32, u32, u32),
    extra: &[(&'static str, rocket::figment::value::Value)],
) -> Vec<Finding> {
    use chrono::TimeZone;
    let retired = "QuHRjjNVS91P2uSf3xgDC7R2K+ZE0zQyN5zn5Hyikl4iinVwigHe42nfKifnntC8apl1+yPEUFhHNM79SF44DQ==";
    let entry = match day {
        Some(d) => v([std::collections::BTreeMap::from([("key", retired), ("retired_at", d)])]),
        None => v([retired]),
    };
    let mut m = vec![("security.secret_key_fallbacks", entry)];
    m.extend(extra.iter().cloned());
    let clock = rocket_security::core::ManualClock::new(
        chrono::Utc.with_ymd_and_hms(today.0, today.1, today.2, 12, 0, 0).unwrap(),
    );
    Security::fairing().clock(clock).findings(&with(&m)).expect("a valid configuration")
}

#[test]
fn a_fallback_kept_longer_than_a_session_can_live_is_a_warning() {
    // Retired some time on May 1st: counted from the end of that day (UTC). The default absolute limit is 8 hours.
    assert_eq!(fallback_findings(Some("2026-05-01"), (2026, 5, 1), &[]), vec![], "on its day");
    let long = [("security.session.absolute_timeout", v(86_400))];
    assert_eq!(fallback_findings(Some("2026-05-01"), (2026, 5, 2), &long), vec![], "12 hours on, sessions of a day");
    let found = fallback_findings(Some("2026-05-01"), (2026, 5, 2), &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].to_string(),
        "security.W026 (warning): `security.secret_key_fallbacks[0]` was retired on 2026-05-01, longer ago than \
         `security.session.absolute_timeout` (28800 s): no session sealed with it can still be live, yet anyone who \
         holds that old key can still forge cookies this site accepts; fix: remove \
         `security.secret_key_fallbacks[0]` (keep it only while the application's own private cookies from before \
         2026-05-01 must still open)"
    );
}

#[test]
fn a_fallback_retired_on_a_day_still_to_come_is_a_warning() {
    // Tomorrow is what a time zone ahead of UTC may write today; the day after is a mistake.
    assert_eq!(fallback_findings(Some("2026-05-02"), (2026, 5, 1), &[]), vec![], "tomorrow (UTC)");
    let found = fallback_findings(Some("2062-05-01"), (2026, 5, 1), &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].to_string(),
        "security.W029 (warning): `security.secret_key_fallbacks[0]` has `retired_at = 2062-05-01`, a day still to \
         come: the deploy check cannot tell when no session needs that key any more; fix: write the day the key \
         stopped being `secret_key` (today, 2026-05-01, or earlier)"
    );
}

#[test]
fn a_fallback_without_its_day_is_advice_in_release_only() {
    let found = fallback_findings(None, (2026, 5, 2), &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].severity(), Severity::Info);
    assert_eq!(
        found[0].to_string(),
        "security.I004 (info): `security.secret_key_fallbacks[0]` has no `retired_at`: the deploy check cannot tell \
         when no session needs it any more; fix: write it as { key = \"...\", retired_at = \"YYYY-MM-DD\" } (the day \
         it stopped being `secret_key`), or remove it once `security.session.absolute_timeout` has passed since then"
    );
    let debug = Figment::from(rocket::Config::debug_default()).merge((
        "security.secret_key_fallbacks",
        v(["QuHRjjNVS91P2uSf3xgDC7R2K+ZE0zQyN5zn5Hyikl4iinVwigHe42nfKifnntC8apl1+yPEUFhHNM79SF44DQ=="]),
    ));
    assert_eq!(ids(&debug), Vec::<&str>::new());
}

#[test]
fn nel_without_allowed_hosts_is_never_sent() {
    let f = release(&[("security.https.trusted_proxies", v(["10.0.0.1"])), ("security.nel.enabled", v(true))]);
    assert_eq!(
        find(&f, "security.W030").to_string(),
        "security.W030 (warning): `security.nel.enabled` is on, but NEL is never sent: its `Report-To` header needs \
         an absolute URL, and without a host named in `security.allowed_hosts` (`*` and networks name none) the \
         request's host is not trusted to build one; fix: list the site's hosts in `security.allowed_hosts`, or set \
         `security.reporting.endpoint` to an https:// URL"
    );
    assert!(!ids(&with(&[("security.nel.enabled", v(true))])).contains(&"security.W030"));
    for hosts in [v(["*"]), v(["10.0.0.0/8"])] {
        let f = with(&[("security.nel.enabled", v(true)), ("security.allowed_hosts", hosts)]);
        assert!(ids(&f).contains(&"security.W030"), "{f:?}");
    }
}

#[test]
fn a_reporting_endpoint_beside_the_collector_is_a_warning() {
    let f = with(&[("security.reporting.endpoint", v("/elsewhere"))]);
    assert_eq!(
        find(&f, "security.W031").to_string(),
        "security.W031 (warning): `security.reporting.endpoint` (/elsewhere) is not the collector's \
         `security.reports.path` (/security/csp-report): browsers post COOP, COEP, Permissions-Policy, \
         Integrity-Policy and NEL reports where nothing collects them; fix: remove `security.reporting.endpoint` \
         (the collector's path is the default)"
    );
}
