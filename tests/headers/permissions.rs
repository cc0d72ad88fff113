//! Permissions-Policy: deny by default, any feature name, configurable.

use crate::common::get;

#[rocket::async_test]
async fn the_default_has_no_floc_entry() {
    let (_c, _, h) = get("", "/").await;
    let v = h.get("Permissions-Policy").unwrap();
    assert!(!v.contains("interest-cohort"), "{v}");
    assert!(v.starts_with("accelerometer=(), autoplay=(), camera=()"), "{v}");
}

#[rocket::async_test]
async fn features_override_defaults_and_new_names_are_appended() {
    let toml = r#"
[default.security.permissions_policy.features]
camera = ["self"]
geolocation = ["self", "https://maps.example.com"]
some-future-feature = []
"#;
    let (_c, _, h) = get(toml, "/").await;
    let v = h.get("Permissions-Policy").unwrap();
    assert!(v.contains(", camera=(self), "), "{v}");
    assert!(v.contains(", geolocation=(self \"https://maps.example.com\"), "), "{v}");
    assert!(v.ends_with(", xr-spatial-tracking=(), some-future-feature=()"), "{v}");
}

#[rocket::async_test]
async fn without_defaults_only_the_listed_features_are_sent() {
    let toml = r#"
[default.security.permissions_policy]
use_defaults = false
[default.security.permissions_policy.features]
fullscreen = ["*"]
camera = []
"#;
    let (_c, _, h) = get(toml, "/").await;
    let v = h.get("Permissions-Policy").unwrap();
    // TOML tables are unordered maps in figment; both orders are the same policy.
    assert!(v == "camera=(), fullscreen=*" || v == "fullscreen=*, camera=()", "{v}");
}

mod report_only {
    use crate::common::{app, client, fetch, fetch_https, TLS_PROXY};

    const GEO: &str = "[default.security.permissions_policy_report_only]\nenabled = true\n\
                       [default.security.permissions_policy_report_only.features]\ngeolocation = []\ncamera = [\"self\"]\n";

    #[rocket::async_test]
    async fn each_feature_reports_to_the_default_group_on_https() {
        let c = client(app(&format!("{TLS_PROXY}{GEO}"))).await;
        let (_, h) = fetch_https(&c, "/").await;
        assert_eq!(
            h.get("Permissions-Policy-Report-Only"),
            Some("camera=(self);report-to=default, geolocation=();report-to=default")
        );
        assert_eq!(
            h.get("Reporting-Endpoints"),
            Some("csp-endpoint=\"/security/csp-report\", default=\"/security/csp-report\"")
        );
        assert!(h.get("Permissions-Policy").unwrap().starts_with("accelerometer=()"), "the enforced policy stays");
        let (_, h) = fetch(&c, "/").await;
        assert_eq!(h.get("Permissions-Policy-Report-Only"), None);
    }

    #[rocket::async_test]
    async fn it_is_off_by_default() {
        let c = client(app(TLS_PROXY)).await;
        let (_, h) = fetch_https(&c, "/").await;
        assert_eq!(h.get("Permissions-Policy-Report-Only"), None);
    }

    #[rocket::async_test]
    async fn an_empty_group_sends_no_parameter_and_the_browser_uses_default() {
        let toml = format!("{TLS_PROXY}{GEO}").replace("enabled = true\n", "enabled = true\nreport_to = \"\"\n");
        let c = client(app(&toml)).await;
        let (_, h) = fetch_https(&c, "/").await;
        assert_eq!(h.get("Permissions-Policy-Report-Only"), Some("camera=(self), geolocation=()"));
        assert_eq!(
            h.get("Reporting-Endpoints"),
            Some("csp-endpoint=\"/security/csp-report\", default=\"/security/csp-report\"")
        );
    }

    #[rocket::async_test]
    async fn it_can_be_scoped_to_one_page() {
        let toml = format!("{TLS_PROXY}{GEO}").replace("enabled = true\n", "enabled = true\nexclude = [\"/api/**\"]\n");
        let c = client(app(&toml)).await;
        let (_, h) = fetch_https(&c, "/api/users").await;
        assert_eq!(h.get("Permissions-Policy-Report-Only"), None);
        assert_eq!(h.get("Reporting-Endpoints"), Some("csp-endpoint=\"/security/csp-report\""));
    }
}
