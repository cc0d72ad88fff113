//! Content-Security-Policy: defaults, directives, nonces, report-only,
//! per-path and per-route policies, reporting (django-security §7.8 with its
//! bugs fixed, Django 6 / django-csp 4 features).

use crate::common::{app, client, fetch, get, Headers};
use rocket::http::{Header, Status};
use rocket::local::asynchronous::Client;

const BASE: &str = "default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self'; \
frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; \
style-src 'self'";
const PROXY: &str = "[default.security.https]\ntrusted_proxies = [\"127.0.0.1\"]\n";

async fn https(c: &Client, path: &str) -> (Status, Headers, String) {
    let res = c
        .get(path.to_string())
        .remote("127.0.0.1:9".parse().unwrap())
        .header(Header::new("X-Forwarded-Proto", "https"))
        .dispatch()
        .await;
    let (s, h) = (res.status(), Headers::of(&res));
    (s, h, res.into_string().await.unwrap_or_default())
}

async fn body(c: &Client, path: &str) -> (Headers, String) {
    let res = c.get(path.to_string()).dispatch().await;
    let h = Headers::of(&res);
    (h, res.into_string().await.unwrap())
}

fn csp(h: &Headers) -> Option<&str> {
    h.get("Content-Security-Policy")
}

#[rocket::async_test]
async fn golden_default_policy_over_http_reports_with_report_uri_only() {
    let (_c, _, h) = get("", "/").await;
    assert_eq!(csp(&h), Some(format!("{BASE}; report-uri /security/csp-report").as_str()));
    assert_eq!(h.get("Reporting-Endpoints"), None);
    assert_eq!(h.get("Content-Security-Policy-Report-Only"), None);
}

#[rocket::async_test]
async fn golden_default_policy_over_https_adds_upgrade_and_report_to() {
    let c = client(app(PROXY)).await;
    let (_, h, _) = https(&c, "/").await;
    assert_eq!(
        csp(&h),
        Some(
            format!("{BASE}; upgrade-insecure-requests; report-uri /security/csp-report; report-to csp-endpoint")
                .as_str()
        )
    );
    assert_eq!(h.get("Reporting-Endpoints"), Some("csp-endpoint=\"/security/csp-report\""));
}

#[rocket::async_test]
async fn rocket_tls_counts_as_https_for_report_to() {
    let (_c, _, h) = get("[default.tls]\ncerts = \"c.pem\"\nkey = \"k.pem\"", "/").await;
    assert!(csp(&h)
        .unwrap()
        .ends_with("; upgrade-insecure-requests; report-uri /security/csp-report; report-to csp-endpoint"));
    assert_eq!(h.get("Reporting-Endpoints"), Some("csp-endpoint=\"/security/csp-report\""));
}

#[rocket::async_test]
async fn an_untrusted_forwarded_proto_gets_the_http_policy() {
    let c = client(app("")).await;
    let (_, h, _) = https(&c, "/").await;
    assert_eq!(csp(&h), Some(format!("{BASE}; report-uri /security/csp-report").as_str()));
}

#[rocket::async_test]
async fn reporting_can_be_switched_off_or_pointed_elsewhere() {
    let (_c, _, h) = get("[default.security.csp]\nreport = false", "/").await;
    assert_eq!(csp(&h), Some(BASE));
    let toml = format!("{PROXY}[default.security.csp]\nreport_uri = \"https://r.example/c\"\nreport_to = \"g1\"");
    let c = client(app(&toml)).await;
    let (_, h, _) = https(&c, "/").await;
    assert!(csp(&h).unwrap().ends_with("; report-uri https://r.example/c; report-to g1"));
    assert_eq!(h.get("Reporting-Endpoints"), Some("g1=\"https://r.example/c\""));
}

#[rocket::async_test]
async fn directives_merge_over_the_defaults() {
    let toml = r#"
[default.security.csp]
report = false
[default.security.csp.directives]
img-src = ["'self'", "https://img.example"]
script-src-attr = false
worker-src = ["'none'"]
"#;
    let (_c, _, h) = get(toml, "/").await;
    assert_eq!(
        csp(&h),
        Some(
            "default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; \
             img-src 'self' https://img.example; object-src 'none'; script-src 'self'; style-src 'self'; worker-src 'none'"
        )
    );
}

#[rocket::async_test]
async fn without_defaults_only_the_listed_directives_are_sent() {
    // django-security §7.8: {default-src: ("none",), script-src: ["none"]}
    let toml = "[default.security.csp]\nuse_defaults = false\nreport = false\n[default.security.csp.directives]\n\
                default-src = [\"'none'\"]\nscript-src = [\"'none'\"]";
    let (_c, _, h) = get(toml, "/").await;
    assert_eq!(csp(&h), Some("default-src 'none'; script-src 'none'"));
}

#[rocket::async_test]
async fn source_order_is_kept() {
    // django-security §7.8: script-src [self, www.google-analytics.com, ajax.googleapis.com]
    let toml = "[default.security.csp]\nuse_defaults = false\nreport = false\n[default.security.csp.directives]\n\
                default-src = [\"'self'\"]\nscript-src = [\"'self'\", \"www.google-analytics.com\", \"ajax.googleapis.com\"]";
    let (_c, _, h) = get(toml, "/").await;
    assert_eq!(csp(&h), Some("default-src 'self'; script-src 'self' www.google-analytics.com ajax.googleapis.com"));
}

#[rocket::async_test]
async fn a_raw_policy_is_validated_and_sent_with_the_reporting_directive() {
    let toml = "[default.security.csp]\npolicy = \"default-src 'self'; script-src 'self' js.example.com\"";
    let (_c, _, h) = get(toml, "/").await;
    assert_eq!(csp(&h), Some("default-src 'self'; script-src 'self' js.example.com; report-uri /security/csp-report"));
}

#[rocket::async_test]
async fn report_only_alone_sends_the_default_policy_not_none() {
    let toml = "[default.security.csp]\nenabled = false\n[default.security.csp.report_only]\nenabled = true";
    let (_c, _, h) = get(toml, "/").await;
    assert_eq!(csp(&h), None);
    assert_eq!(
        h.get("Content-Security-Policy-Report-Only"),
        Some(format!("{BASE}; report-uri /security/csp-report").as_str())
    );
}

#[rocket::async_test]
async fn enforce_and_report_only_at_once_with_different_policies() {
    let toml = r#"
[default.security.csp]
report = false
[default.security.csp.report_only]
enabled = true
use_defaults = false
[default.security.csp.report_only.directives]
default-src = ["'none'"]
script-src = ["'self'"]
"#;
    let (_c, _, h) = get(toml, "/").await;
    assert_eq!(csp(&h), Some(BASE));
    assert_eq!(h.get("Content-Security-Policy-Report-Only"), Some("default-src 'none'; script-src 'self'"));
}

#[rocket::async_test]
async fn the_nonce_in_the_body_is_the_nonce_in_the_header_and_fresh_per_request() {
    let c = client(app("[default.security.csp]\nreport = false")).await;
    let (h1, b1) = body(&c, "/nonce").await;
    let (h2, b2) = body(&c, "/nonce").await;
    let n1 = b1.trim_start_matches("<script nonce=\"").split('"').next().unwrap().to_string();
    let n2 = b2.trim_start_matches("<script nonce=\"").split('"').next().unwrap().to_string();
    assert_ne!(n1, n2);
    assert_eq!(n1.len(), 24, "16 random bytes in base64: {n1}");
    use base64::Engine;
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(&n1).unwrap().len(), 16);
    let expected = BASE.replace("script-src 'self'", &format!("script-src 'self' 'nonce-{n1}'"));
    assert_eq!(csp(&h1), Some(expected.as_str()));
    assert!(csp(&h2).unwrap().contains(&format!("'nonce-{n2}'")));
}

#[rocket::async_test]
async fn one_nonce_per_request_however_often_it_is_asked_for() {
    let c = client(app("")).await;
    let (h, b) = body(&c, "/nonce-twice").await;
    let (a, bb) = b.split_once(' ').unwrap();
    assert_eq!(a, bb);
    assert_eq!(csp(&h).unwrap().matches("'nonce-").count(), 1);
}

#[rocket::async_test]
async fn no_nonce_unless_the_handler_asked_for_one() {
    let (_c, _, h) = get("", "/").await;
    assert!(!csp(&h).unwrap().contains("nonce"));
}

#[rocket::async_test]
async fn strict_dynamic_goes_next_to_the_nonce() {
    let c = client(app("[default.security.csp]\nstrict_dynamic = true\nreport = false")).await;
    let (h, b) = body(&c, "/nonce").await;
    let n = b.trim_start_matches("<script nonce=\"").split('"').next().unwrap();
    assert!(csp(&h).unwrap().contains(&format!("script-src 'self' 'nonce-{n}' 'strict-dynamic';")));
    let (_, h) = fetch(&c, "/").await;
    assert!(!csp(&h).unwrap().contains("strict-dynamic"));
}

#[rocket::async_test]
async fn an_absent_nonce_directive_is_materialised_from_default_src() {
    let toml = "[default.security.csp]\nreport = false\nuse_defaults = false\n[default.security.csp.directives]\n\
                default-src = [\"'self'\", \"https://a.example\"]";
    let c = client(app(toml)).await;
    let (h, b) = body(&c, "/nonce").await;
    let n = b.trim_start_matches("<script nonce=\"").split('"').next().unwrap();
    assert_eq!(
        csp(&h),
        Some(format!("default-src 'self' https://a.example; script-src 'self' https://a.example 'nonce-{n}'").as_str())
    );
}

#[rocket::async_test]
async fn the_nonce_never_goes_into_a_none_directive() {
    let toml = "[default.security.csp]\nreport = false\nnonce_directives = [\"script-src\", \"style-src\"]\n\
                [default.security.csp.directives]\nscript-src = [\"'none'\"]";
    let c = client(app(toml)).await;
    let (h, b) = body(&c, "/nonce").await;
    let n = b.trim_start_matches("<script nonce=\"").split('"').next().unwrap();
    let v = csp(&h).unwrap();
    assert!(v.contains("script-src 'none';"), "{v}");
    assert!(v.ends_with(&format!("style-src 'self' 'nonce-{n}'")), "{v}");
}

#[rocket::async_test]
async fn path_policies_replace_the_main_policy_on_their_paths() {
    let toml = r#"
[default.security.csp]
report = false
[[default.security.csp.routes]]
paths = ["/admin/**"]
directives = { script-src = ["'self'", "'unsafe-inline'"], frame-ancestors = ["'self'"] }
[[default.security.csp.routes]]
paths = ["/raw"]
policy = "default-src 'none'"
"#;
    let c = client(app(toml)).await;
    let (_, h) = fetch(&c, "/admin/users").await;
    assert_eq!(
        csp(&h),
        Some(
            BASE.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
                .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
                .as_str()
        )
    );
    let (_, h) = fetch(&c, "/raw").await;
    assert_eq!(csp(&h), Some("default-src 'none'"));
    let (_, h) = fetch(&c, "/administrator").await;
    assert_eq!(csp(&h), Some(BASE));
}

#[rocket::async_test]
async fn override_extends_the_enforced_policy_keeping_nonce_and_fallbacks() {
    let c = client(app("[default.security.csp]\nreport = false")).await;
    let (h, n) = body(&c, "/csp/extend").await;
    assert_eq!(
        csp(&h),
        Some(
            BASE.replace("img-src 'self' data:", "img-src 'self' data: https://img.example")
                .replace("script-src 'self'", &format!("script-src 'self' https://cdn.example 'nonce-{n}'"))
                .as_str()
        )
    );
}

#[rocket::async_test]
async fn override_replaces_and_removes_the_enforced_policy() {
    let c = client(app("")).await;
    let (_, h) = fetch(&c, "/csp/replace").await;
    assert_eq!(csp(&h), Some("default-src 'none'; img-src 'self'; report-uri /security/csp-report"));
    let (_, h) = fetch(&c, "/csp/remove").await;
    assert_eq!(csp(&h), None);
    assert_eq!(h.get("X-Frame-Options"), Some("DENY"));
}

#[rocket::async_test]
async fn override_changes_the_report_only_policy_separately() {
    let toml = "[default.security.csp]\nreport = false\n[default.security.csp.report_only]\nenabled = true";
    let c = client(app(toml)).await;
    let (_, h) = fetch(&c, "/csp/report-only").await;
    assert_eq!(h.get("Content-Security-Policy-Report-Only"), Some("default-src 'none'"));
    assert_eq!(csp(&h), Some(format!("{BASE}; connect-src 'self' https://api.example").as_str()));
    let (_, h) = fetch(&c, "/csp/report-only-extend").await;
    assert_eq!(
        h.get("Content-Security-Policy-Report-Only"),
        Some(BASE.replace("script-src 'self'", "script-src 'self' https://cdn.example").as_str())
    );
    assert_eq!(csp(&h), Some(BASE));
    let (_, h) = fetch(&c, "/csp/report-only-remove").await;
    assert_eq!(h.get("Content-Security-Policy-Report-Only"), None);
    assert_eq!(csp(&h), Some(BASE));
}

#[rocket::async_test]
async fn a_policy_the_handler_set_itself_wins() {
    let (_c, _, h) = get("", "/csp/handler").await;
    assert_eq!(csp(&h), Some("default-src 'none'"));
}

#[rocket::async_test]
async fn an_invalid_override_is_a_500() {
    let (_c, status, _) = get("", "/csp/bad").await;
    assert_eq!(status, Status::InternalServerError);
}

#[rocket::async_test]
async fn excluded_paths_get_no_policy_and_no_reporting_endpoints() {
    let toml = format!("{PROXY}[default.security.csp]\nexclude = [\"/legacy/**\"]");
    let c = client(app(&toml)).await;
    let (_, h, _) = https(&c, "/legacy/page").await;
    assert_eq!(csp(&h), None);
    assert_eq!(h.get("Reporting-Endpoints"), None);
}

#[rocket::async_test]
async fn report_percentage_zero_never_reports() {
    let c = client(app("[default.security.csp]\nreport_percentage = 0")).await;
    for _ in 0..20 {
        let (_, h) = fetch(&c, "/").await;
        assert_eq!(csp(&h), Some(BASE));
    }
}

#[rocket::async_test]
async fn report_percentage_samples_within_statistical_bounds() {
    let c = client(app("[default.security.csp]\nreport_percentage = 25")).await;
    let n = 800;
    let mut reported = 0;
    for _ in 0..n {
        let (_, h) = fetch(&c, "/").await;
        if csp(&h).unwrap().contains("report-uri") {
            reported += 1;
        }
    }
    // Binomial(800, 0.25): mean 200, sd 12.2; +-6 sd is 127..273 (false failure ~1e-9).
    assert!((127..=273).contains(&reported), "{reported} of {n}");
}
