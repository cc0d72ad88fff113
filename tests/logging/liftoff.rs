//! With a tracing subscriber installed, the crate's events arrive there under
//! the target `security`: one line per feature at liftoff, plus warnings.

use crate::common;

#[rocket::async_test]
async fn liftoff_logs_each_feature_and_the_warnings_to_tracing() {
    let buffer = crate::captured();

    let toml = "[default.security.xss_protection]\nvalue = \"1\"\n[default.security.p3p]\nenabled = true\ncompact_policy = \"NOI\"\n\
                [default.security.coep]\nenabled = true\n[default.security.frame_options]\nexclude = [\"/embed\"]";
    let _client = common::client(common::app(toml)).await;
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();

    let lines: Vec<&str> = out.lines().filter(|l| l.contains(" security: ")).collect();
    let has = |level: &str, text: &str| lines.iter().any(|l| l.contains(level) && l.contains(text));
    assert!(
        has(
            "INFO",
            "hsts: Strict-Transport-Security: max-age=63072000; includeSubDomains (HTTPS requests only) [all paths]"
        ),
        "{out}"
    );
    assert!(has("INFO", "frame_options: X-Frame-Options: DENY [all paths except /embed]"), "{out}");
    assert!(has("INFO", "https: HTTPS = Rocket's TLS only; redirect off"), "{out}");
    assert!(has("INFO", "no_store: Cache-Control (no-store): off"), "{out}");
    let xss = "deploy check: security.W010 (warning): `security.xss_protection.value = \"1\"` turns on the legacy \
               XSS auditor, which itself enabled cross-site leaks; fix: set `security.xss_protection.value = \"0\"` \
               (OWASP's advice) and rely on the Content-Security-Policy";
    assert!(has("WARN", xss), "{out}");
    assert!(has("INFO", "deploy check: security.I001 (info): P3P is enabled: the header is obsolete"), "{out}");
    assert!(
        has("WARN", "deploy check: security.W016 (warning): COOP and COEP are on, but Permissions-Policy denies"),
        "{out}"
    );
    assert!(
        has("WARN", "deploy check: security.W018 (warning): `security.frame_options.exclude` (/embed) does not make"),
        "{out}"
    );
}

#[rocket::async_test]
async fn a_policy_without_default_src_is_a_warning_naming_its_full_key() {
    let buffer = crate::captured();
    let toml = "[default.security.csp]\nuse_defaults = false\npolicy = \"frame-ancestors 'self'\"\nreport = false";
    let _client = common::client(common::app(toml)).await;
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        out.lines().any(|l| l.contains(
            " WARN security: deploy check: security.W006 (warning): `security.csp.policy`: the policy has no \
             default-src, so fetches it does not list are not restricted; fix: add e.g. default-src 'self', or set \
             `require_default_src = true` to make this an error"
        )),
        "{out}"
    );
}

#[rocket::async_test]
async fn a_strict_deploy_check_logs_each_warning_at_error_and_the_abort() {
    let buffer = crate::captured();
    let figment = rocket::figment::Figment::from(rocket::Config::release_default())
        .merge(("secret_key", "Zm9yLXRlc3RzLW9ubHktbm90LWEtcmVhbC1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="))
        .merge(("security.https.trusted_proxies", ["10.0.0.1"]))
        .merge(("security.hsts.max_age", 0));
    let rocket = rocket::custom(figment).attach(rocket_security::Security::fairing().deploy_check(true));
    let err = rocket.ignite().await.unwrap_err();
    assert!(matches!(err.kind(), rocket::error::ErrorKind::FailedFairings(_)));
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let errors: Vec<&str> = out.lines().filter(|l| l.contains(" ERROR security: ")).collect();
    let expected = [
        "deploy check: security.W003 (warning): HSTS max_age is 0: browsers forget the policy; fix: set \
         `security.hsts.max_age` to at least 31536000 (one year) once HTTPS works everywhere",
        "deploy check: security.W001 (warning): `security.allowed_hosts` is empty: the Host header is trusted \
         (redirect targets, the report origin check and CSRF origin comparisons rest on it); fix: list the site's \
         hosts under `[release.security]` in Rocket.toml: allowed_hosts = [\"www.example.com\"]",
        "launch aborted by the strict deploy check: 2 warning(s) above; fix them or use deploy_check(false)",
    ];
    for e in expected {
        assert_eq!(errors.iter().filter(|l| l.ends_with(e)).count(), 1, "{e}\n{out}");
    }
}

#[rocket::async_test]
async fn liftoff_lists_every_route_the_crate_mounted() {
    let buffer = crate::captured();
    // A distinct report path tells this test's line from the others'.
    let _client = common::client(common::app("[default.security.reports]\npath = \"/csp-routes-listed\"")).await;
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    // Zero config: the collector's endpoint (every method answers), and the
    // CSRF and authentication answer routes.
    let want = " INFO security: routes: mounted POST /csp-routes-listed, OPTIONS /csp-routes-listed, GET \
                /csp-routes-listed, PUT /csp-routes-listed, DELETE /csp-routes-listed, PATCH /csp-routes-listed; and 2 \
                internal answer route(s) under /__rocket_security/";
    assert_eq!(out.lines().filter(|l| l.ends_with(want)).count(), 1, "{out}");
    let _client =
        common::client(common::app("[default.security.reports]\nenabled = false\npath = \"/csp-gone\"")).await;
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(!out.contains("/csp-gone"), "{out}");
}
