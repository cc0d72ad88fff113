//! Integrity-Policy and Integrity-Policy-Report-Only (opt-in).

use crate::common::{app, client, fetch, fetch_https, get, TLS_PROXY};

#[rocket::async_test]
async fn both_are_off_by_default() {
    let c = client(app(TLS_PROXY)).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("Integrity-Policy"), None);
    assert_eq!(h.get("Integrity-Policy-Report-Only"), None);
}

#[rocket::async_test]
async fn the_enforced_policy_names_its_endpoints_on_https_only() {
    let c = client(app(&format!("{TLS_PROXY}[default.security.integrity_policy]\nenabled = true"))).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("Integrity-Policy"), Some("blocked-destinations=(script), sources=(inline), endpoints=(default)"));
    assert_eq!(
        h.get("Reporting-Endpoints"),
        Some("csp-endpoint=\"/security/csp-report\", default=\"/security/csp-report\"")
    );
    let (_, h) = fetch(&c, "/").await;
    assert_eq!(h.get("Integrity-Policy"), Some("blocked-destinations=(script), sources=(inline)"));
}

#[rocket::async_test]
async fn report_only_scripts_and_styles_on_a_demo_page() {
    let toml = format!(
        "{TLS_PROXY}[default.security.integrity_policy_report_only]\nenabled = true\n\
         blocked_destinations = [\"script\", \"style\"]\nendpoints = [\"integrity\", \"default\"]\n\
         paths = [\"/demo/reporting\"]"
    );
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/demo/reporting").await;
    assert_eq!(
        h.get("Integrity-Policy-Report-Only"),
        Some("blocked-destinations=(script style), sources=(inline), endpoints=(integrity default)")
    );
    assert_eq!(
        h.get("Reporting-Endpoints"),
        Some(
            "csp-endpoint=\"/security/csp-report\", integrity=\"/security/csp-report\", \
             default=\"/security/csp-report\""
        )
    );
    assert_eq!(h.get("Integrity-Policy"), None);
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("Integrity-Policy-Report-Only"), None);
}

#[rocket::async_test]
async fn report_only_is_absent_on_plain_http() {
    let (_c, _, h) = get("[default.security.integrity_policy_report_only]\nenabled = true", "/").await;
    assert_eq!(h.get("Integrity-Policy-Report-Only"), None);
}

#[rocket::async_test]
async fn no_endpoints_no_reporting() {
    let toml = format!("{TLS_PROXY}[default.security.integrity_policy]\nenabled = true\nendpoints = []");
    let c = client(app(&toml)).await;
    let (_, h) = fetch_https(&c, "/").await;
    assert_eq!(h.get("Integrity-Policy"), Some("blocked-destinations=(script), sources=(inline)"));
    assert_eq!(h.get("Reporting-Endpoints"), Some("csp-endpoint=\"/security/csp-report\""));
}
