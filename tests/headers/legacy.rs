//! X-XSS-Protection and P3P (django-security §7.13, defaults fixed).

use crate::common::get;

#[rocket::async_test]
async fn xss_protection_defaults_to_zero() {
    let (_c, _, h) = get("", "/").await;
    assert_eq!(h.get("X-XSS-Protection"), Some("0"));
}

#[rocket::async_test]
async fn xss_protection_legacy_values_are_still_possible() {
    let (_c, _, h) = get("[default.security.xss_protection]\nvalue = \"1\"", "/").await;
    assert_eq!(h.get("X-XSS-Protection"), Some("1"));
    let (_c, _, h) = get("[default.security.xss_protection]\nvalue = \"1;mode=block\"", "/").await;
    assert_eq!(h.get("X-XSS-Protection"), Some("1; mode=block"));
    let (_c, _, h) = get("[default.security.xss_protection]\nenabled = false", "/").await;
    assert_eq!(h.get("X-XSS-Protection"), None);
}

#[rocket::async_test]
async fn p3p_is_off_by_default() {
    let (_c, _, h) = get("", "/").await;
    assert_eq!(h.get("P3P"), None);
}

#[rocket::async_test]
async fn p3p_sends_policy_ref_and_compact_policy() {
    let toml = "[default.security.p3p]\nenabled = true\ncompact_policy = \"NN AD BLAH\"";
    let (_c, _, h) = get(toml, "/").await;
    assert_eq!(h.get("P3P"), Some("policyref=\"/w3c/p3p.xml\", CP=\"NN AD BLAH\""));
}
