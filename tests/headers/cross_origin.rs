//! COOP, COEP (opt-in), CORP, Origin-Agent-Cluster, X-Permitted-Cross-Domain-Policies.

use crate::common::get;

#[rocket::async_test]
async fn coop_values() {
    for v in ["same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"] {
        let (_c, _, h) = get(&format!("[default.security.coop]\nvalue = \"{v}\""), "/").await;
        assert_eq!(h.get("Cross-Origin-Opener-Policy"), Some(v));
    }
}

#[rocket::async_test]
async fn coep_is_opt_in() {
    let (_c, _, h) = get("", "/").await;
    assert_eq!(h.get("Cross-Origin-Embedder-Policy"), None);
    let (_c, _, h) = get("[default.security.coep]\nenabled = true", "/").await;
    assert_eq!(h.get("Cross-Origin-Embedder-Policy"), Some("require-corp"));
    let (_c, _, h) = get("[default.security.coep]\nenabled = true\nvalue = \"credentialless\"", "/").await;
    assert_eq!(h.get("Cross-Origin-Embedder-Policy"), Some("credentialless"));
}

#[rocket::async_test]
async fn corp_values_and_exclusions() {
    let toml = "[default.security.corp]\nvalue = \"same-site\"\nexclude = [\"/public/**\"]";
    let (c, _, h) = get(toml, "/").await;
    assert_eq!(h.get("Cross-Origin-Resource-Policy"), Some("same-site"));
    let (_, h) = crate::common::fetch(&c, "/public/logo.png").await;
    assert_eq!(h.get("Cross-Origin-Resource-Policy"), None);
}

#[rocket::async_test]
async fn origin_agent_cluster_and_cross_domain_policies() {
    let (_c, _, h) = get("[default.security.cross_domain_policies]\nvalue = \"master-only\"", "/").await;
    assert_eq!(h.get("X-Permitted-Cross-Domain-Policies"), Some("master-only"));
    assert_eq!(h.get("Origin-Agent-Cluster"), Some("?1"));
    let (_c, _, h) = get("[default.security.origin_agent_cluster]\nenabled = false", "/").await;
    assert_eq!(h.get("Origin-Agent-Cluster"), None);
}

mod reporting {
    use crate::common::{app, client, fetch, fetch_https, get, TLS_PROXY};

    const ENDPOINTS: &str = "csp-endpoint=\"/security/csp-report\", default=\"/security/csp-report\"";

    #[rocket::async_test]
    async fn coop_report_to_is_a_parameter_on_https_only() {
        let c = client(app(&format!("{TLS_PROXY}[default.security.coop]\nreport_to = \"default\""))).await;
        let (_, h) = fetch_https(&c, "/").await;
        assert_eq!(h.get("Cross-Origin-Opener-Policy"), Some("same-origin; report-to=\"default\""));
        assert_eq!(h.get("Reporting-Endpoints"), Some(ENDPOINTS));
        let (_, h) = fetch(&c, "/").await;
        assert_eq!(h.get("Cross-Origin-Opener-Policy"), Some("same-origin"));
        assert_eq!(h.get("Reporting-Endpoints"), None);
    }

    #[rocket::async_test]
    async fn coep_report_to_is_a_parameter_on_https_only() {
        let toml = format!("{TLS_PROXY}[default.security.coep]\nenabled = true\nreport_to = \"isolation\"");
        let c = client(app(&toml)).await;
        let (_, h) = fetch_https(&c, "/").await;
        assert_eq!(h.get("Cross-Origin-Embedder-Policy"), Some("require-corp; report-to=\"isolation\""));
        assert_eq!(
            h.get("Reporting-Endpoints"),
            Some("csp-endpoint=\"/security/csp-report\", isolation=\"/security/csp-report\"")
        );
        let (_, h) = fetch(&c, "/").await;
        assert_eq!(h.get("Cross-Origin-Embedder-Policy"), Some("require-corp"));
    }

    #[rocket::async_test]
    async fn the_report_only_variants_are_off_by_default() {
        let c = client(app(TLS_PROXY)).await;
        let (_, h) = fetch_https(&c, "/").await;
        assert_eq!(h.get("Cross-Origin-Opener-Policy-Report-Only"), None);
        assert_eq!(h.get("Cross-Origin-Embedder-Policy-Report-Only"), None);
        assert_eq!(h.get("Cross-Origin-Opener-Policy"), Some("same-origin"));
        assert_eq!(h.get("Reporting-Endpoints"), Some("csp-endpoint=\"/security/csp-report\""));
    }

    #[rocket::async_test]
    async fn coep_report_only_tries_credentialless_on_https() {
        let toml =
            format!("{TLS_PROXY}[default.security.coep_report_only]\nenabled = true\nvalue = \"credentialless\"");
        let c = client(app(&toml)).await;
        let (_, h) = fetch_https(&c, "/").await;
        assert_eq!(h.get("Cross-Origin-Embedder-Policy-Report-Only"), Some("credentialless; report-to=\"default\""));
        assert_eq!(h.get("Cross-Origin-Embedder-Policy"), None, "nothing is enforced");
        assert_eq!(h.get("Reporting-Endpoints"), Some(ENDPOINTS));
    }

    #[rocket::async_test]
    async fn report_only_headers_are_absent_on_plain_http() {
        let toml =
            "[default.security.coep_report_only]\nenabled = true\n[default.security.coop_report_only]\nenabled = true";
        let (_c, _, h) = get(toml, "/").await;
        assert_eq!(h.get("Cross-Origin-Embedder-Policy-Report-Only"), None);
        assert_eq!(h.get("Cross-Origin-Opener-Policy-Report-Only"), None);
        assert_eq!(h.get("Reporting-Endpoints"), None);
    }

    #[rocket::async_test]
    async fn coop_report_only_beside_the_enforced_coop() {
        let toml = format!(
            "{TLS_PROXY}[default.security.coop]\nvalue = \"same-origin-allow-popups\"\n\
             [default.security.coop_report_only]\nenabled = true"
        );
        let c = client(app(&toml)).await;
        let (_, h) = fetch_https(&c, "/").await;
        assert_eq!(h.get("Cross-Origin-Opener-Policy"), Some("same-origin-allow-popups"));
        assert_eq!(h.get("Cross-Origin-Opener-Policy-Report-Only"), Some("same-origin; report-to=\"default\""));
        assert_eq!(h.get("Reporting-Endpoints"), Some(ENDPOINTS));
    }

    #[rocket::async_test]
    async fn report_only_controls_can_be_scoped_to_a_demo_page() {
        let toml =
            format!("{TLS_PROXY}[default.security.coep_report_only]\nenabled = true\npaths = [\"/demo/reporting\"]");
        let c = client(app(&toml)).await;
        let (_, h) = fetch_https(&c, "/demo/reporting").await;
        assert_eq!(h.get("Cross-Origin-Embedder-Policy-Report-Only"), Some("require-corp; report-to=\"default\""));
        assert_eq!(h.get("Reporting-Endpoints"), Some(ENDPOINTS));
        let (_, h) = fetch_https(&c, "/").await;
        assert_eq!(h.get("Cross-Origin-Embedder-Policy-Report-Only"), None);
        assert_eq!(h.get("Reporting-Endpoints"), Some("csp-endpoint=\"/security/csp-report\""));
    }
}
