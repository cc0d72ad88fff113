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
    assert!(has("WARN", "`security.xss_protection.value = \"1\"` turns on the legacy XSS auditor"), "{out}");
    assert!(has("WARN", "P3P is enabled: the header is obsolete"), "{out}");
    assert!(has("WARN", "COOP and COEP are on, but Permissions-Policy denies `cross-origin-isolated`"), "{out}");
    assert!(has("WARN", "`security.frame_options.exclude` (/embed) does not make those pages frameable"), "{out}");
}

#[rocket::async_test]
async fn a_policy_without_default_src_is_a_warning_naming_its_full_key() {
    let buffer = crate::captured();
    let toml = "[default.security.csp]\nuse_defaults = false\npolicy = \"frame-ancestors 'self'\"\nreport = false";
    let _client = common::client(common::app(toml)).await;
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        out.lines().any(|l| l.contains(
            " WARN security: `security.csp.policy`: the policy has no default-src, so fetches \
             it does not list are not restricted; add e.g. default-src 'self', or set `require_default_src = true` to \
             make this an error"
        )),
        "{out}"
    );
}
