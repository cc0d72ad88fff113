//! Precedence: handler headers, Override, `overwrite`, single-feature fairings.

use crate::common::{bare, client, fetch, get};
use rocket::http::Status;
use rocket_security::headers::{FrameOptions, Hsts};
use rocket_security::Security;

#[rocket::async_test]
async fn a_header_the_handler_set_wins_by_default() {
    let (_c, _, h) = get("", "/handler-xfo").await;
    assert_eq!(h.get("X-Frame-Options"), Some("SAMEORIGIN"));
}

#[rocket::async_test]
async fn overwrite_replaces_the_handler_value() {
    let (_c, _, h) = get("[default.security]\noverwrite = true", "/handler-xfo").await;
    assert_eq!(h.get("X-Frame-Options"), Some("DENY"));
}

#[rocket::async_test]
async fn override_removes_and_sets_headers_for_one_route() {
    let (c, _, h) = get("[default.security]\noverwrite = true", "/widget").await;
    assert_eq!(h.get("X-Frame-Options"), None);
    assert_eq!(h.get("Content-Security-Policy"), Some("default-src 'self'; frame-ancestors https://partner.example"));
    assert_eq!(h.get("X-Content-Type-Options"), Some("nosniff"));
    let (_, h) = fetch(&c, "/").await;
    assert_eq!(h.get("X-Frame-Options"), Some("DENY"));
}

#[rocket::async_test]
async fn an_unsendable_override_value_is_a_500_not_a_dropped_header() {
    let (_c, status, h) = get("", "/bad-override").await;
    assert_eq!(status, Status::InternalServerError);
    assert_eq!(h.get("Set-Cookie"), None);
}

#[rocket::async_test]
async fn a_single_feature_fairing_sends_only_that_feature() {
    let c = client(bare("").attach(FrameOptions::fairing())).await;
    let (_, h) = fetch(&c, "/").await;
    assert_eq!(h.get("X-Frame-Options"), Some("DENY"));
    // Shield is replaced, and nothing else is added.
    assert_eq!(h.get("Permissions-Policy"), None);
    assert_eq!(h.get("X-Content-Type-Options"), None);
}

#[rocket::async_test]
async fn a_single_feature_fairing_from_typed_config() {
    let xfo = FrameOptions { value: "SAMEORIGIN".into(), ..Default::default() };
    let hsts = Hsts { max_age: 10, ..Default::default() };
    let tls = "[default.tls]\ncerts = \"c.pem\"\nkey = \"k.pem\"";
    let c = client(bare(tls).attach(xfo.into_fairing()).attach(hsts.into_fairing())).await;
    let (_, h) = fetch(&c, "/").await;
    assert_eq!(h.get("X-Frame-Options"), Some("SAMEORIGIN"));
    assert_eq!(h.get("Strict-Transport-Security"), Some("max-age=10; includeSubDomains"));
}

#[rocket::async_test]
async fn typed_config_ignores_rocket_toml() {
    let config = rocket_security::SecurityConfig {
        frame_options: FrameOptions { value: "SAMEORIGIN".into(), ..Default::default() },
        ..Default::default()
    };
    let toml = "[default.security.frame_options]\nvalue = \"DENY\"";
    let c = client(bare(toml).attach(Security::from_config(config))).await;
    let (_, h) = fetch(&c, "/").await;
    assert_eq!(h.get("X-Frame-Options"), Some("SAMEORIGIN"));
}

#[rocket::async_test]
async fn an_override_with_an_invalid_header_name_is_a_500() {
    let (_c, status, _) = get("", "/bad-override-name").await;
    assert_eq!(status, Status::InternalServerError);
}

#[rocket::async_test]
async fn a_single_feature_fairing_never_redirects() {
    let toml = "[default.security.https]\nredirect = true";
    let c = client(bare(toml).attach(Hsts::fairing())).await;
    let res = c.get("/x").header(rocket::http::Header::new("Host", "example.com")).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
}

#[rocket::async_test]
async fn every_single_feature_fairing_honours_an_override() {
    // Two fairings finish the same response: the second must still see the route's Override.
    let c = client(bare("").attach(Hsts::fairing()).attach(FrameOptions::fairing())).await;
    let (_, h) = fetch(&c, "/widget").await;
    assert_eq!(h.get("X-Frame-Options"), None);
    let (_, h) = fetch(&c, "/").await;
    assert_eq!(h.get("X-Frame-Options"), Some("DENY"));
}

#[rocket::async_test]
async fn a_single_feature_fairing_varies_on_the_privacy_guard() {
    let c = client(bare("").attach(Hsts::fairing())).await;
    let (_, h) = fetch(&c, "/privacy").await;
    assert_eq!(h.get("Vary"), Some("DNT, Sec-GPC"));
}
