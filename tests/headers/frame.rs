//! X-Frame-Options (django-security §7.7, with its bugs fixed).

use crate::common::get;

#[rocket::async_test]
async fn default_is_deny() {
    let (_c, _, h) = get("", "/").await;
    assert_eq!(h.get("X-Frame-Options"), Some("DENY"));
}

#[rocket::async_test]
async fn sameorigin_is_accepted_in_any_case_and_sent_canonically() {
    let (_c, _, h) = get("[default.security.frame_options]\nvalue = \"sameorigin\"", "/").await;
    assert_eq!(h.get("X-Frame-Options"), Some("SAMEORIGIN"));
}

#[rocket::async_test]
async fn excluded_paths_get_no_header() {
    // The original's X_FRAME_OPTIONS_EXCLUDE_URLS = (r"^/test\d/$",), as patterns.
    let toml = "[default.security.frame_options]\nexclude = [\"/test1\", \"/embed/**\"]";
    let (c, _, h) = get(toml, "/test1/").await;
    assert_eq!(h.get("X-Frame-Options"), None);
    let (_, h) = crate::common::fetch(&c, "/embed/a/b").await;
    assert_eq!(h.get("X-Frame-Options"), None);
    let (_, h) = crate::common::fetch(&c, "/home/").await;
    assert_eq!(h.get("X-Frame-Options"), Some("DENY"));
}

#[rocket::async_test]
async fn exclusion_has_no_prefix_over_match() {
    let toml = "[default.security.frame_options]\nexclude = [\"/test1\"]";
    let (c, _, h) = get(toml, "/test10").await;
    assert_eq!(h.get("X-Frame-Options"), Some("DENY"));
    let (_, h) = crate::common::fetch(&c, "/test1/x").await;
    assert_eq!(h.get("X-Frame-Options"), Some("DENY"));
}

#[rocket::async_test]
async fn percent_encoded_paths_match_their_decoded_pattern() {
    let toml = "[default.security.frame_options]\nexclude = [\"/embed\"]";
    let (_c, _, h) = get(toml, "/%65mbed").await;
    assert_eq!(h.get("X-Frame-Options"), None);
}

#[rocket::async_test]
async fn paths_limit_the_header_to_listed_paths() {
    let toml = "[default.security.frame_options]\npaths = [\"/admin/**\"]";
    let (c, _, h) = get(toml, "/admin/users").await;
    assert_eq!(h.get("X-Frame-Options"), Some("DENY"));
    let (_, h) = crate::common::fetch(&c, "/").await;
    assert_eq!(h.get("X-Frame-Options"), None);
}

#[rocket::async_test]
async fn can_be_disabled() {
    let (_c, _, h) = get("[default.security.frame_options]\nenabled = false", "/").await;
    assert_eq!(h.get("X-Frame-Options"), None);
}
