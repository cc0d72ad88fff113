//! Content-Security-Policy: the static default (django-security §7.8 cases
//! that apply to a raw policy string).

use crate::common::{client, get};
use rocket::http::Header;

#[rocket::async_test]
async fn default_policy_adds_upgrade_insecure_requests_only_over_https() {
    let (_c, _, h) = get("", "/").await;
    let http = h.get("Content-Security-Policy").unwrap().to_string();
    assert!(!http.contains("upgrade-insecure-requests"));
    let toml = "[default.security.https]\ntrusted_proxies = [\"127.0.0.1\"]";
    let c = client(crate::common::app(toml)).await;
    let res = c
        .get("/")
        .remote("127.0.0.1:9".parse().unwrap())
        .header(Header::new("X-Forwarded-Proto", "https"))
        .dispatch()
        .await;
    assert_eq!(
        res.headers().get_one("Content-Security-Policy"),
        Some(format!("{http}; upgrade-insecure-requests").as_str())
    );
}

#[rocket::async_test]
async fn a_raw_policy_is_sent_verbatim() {
    let toml = "[default.security.csp]\npolicy = \"default-src 'self'; script-src 'self' js.example.com\"";
    let (_c, _, h) = get(toml, "/").await;
    assert_eq!(h.get("Content-Security-Policy"), Some("default-src 'self'; script-src 'self' js.example.com"));
}

#[rocket::async_test]
async fn can_be_disabled_or_excluded() {
    let (_c, _, h) = get("[default.security.csp]\nenabled = false", "/").await;
    assert_eq!(h.get("Content-Security-Policy"), None);
    let (_c, _, h) = get("[default.security.csp]\nexclude = [\"/legacy/**\"]", "/legacy/page").await;
    assert_eq!(h.get("Content-Security-Policy"), None);
}
