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
