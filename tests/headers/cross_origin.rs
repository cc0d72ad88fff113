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
