//! No-store on confidential paths (django-security §7.6, as path patterns).

use crate::common::{fetch, get};

const DENY_LIST: &str = "[default.security.no_store]\npaths = [\"/accounts/logout\"]";
const ALLOW_LIST: &str = "[default.security.no_store]\npaths = [\"/**\"]\nexclude = [\"/accounts/login\"]";

#[rocket::async_test]
async fn off_by_default() {
    let (_c, _, h) = get("", "/accounts/logout").await;
    assert_eq!(h.get("Cache-Control"), None);
    assert_eq!(h.get("Pragma"), None);
    assert_eq!(h.get("Expires"), None);
}

#[rocket::async_test]
async fn listed_paths_get_no_store_and_legacy_headers() {
    let (c, _, h) = get(DENY_LIST, "/accounts/logout").await;
    assert_eq!(h.get("Cache-Control"), Some("no-store, max-age=0"));
    assert_eq!(h.get("Pragma"), Some("no-cache"));
    assert_eq!(h.get("Expires"), Some("0"));
    let (_, h) = fetch(&c, "/accounts/login").await;
    assert_eq!(h.get("Cache-Control"), None);
}

#[rocket::async_test]
async fn allow_list_mode_is_everything_except() {
    let (c, _, h) = get(ALLOW_LIST, "/accounts/login").await;
    assert_eq!(h.get("Cache-Control"), None);
    let (_, h) = fetch(&c, "/accounts/logout").await;
    assert_eq!(h.get("Cache-Control"), Some("no-store, max-age=0"));
}

#[rocket::async_test]
async fn applies_to_not_found_responses_too() {
    let c = crate::common::client(crate::common::app(DENY_LIST)).await;
    let res = c.post("/accounts/logout").dispatch().await;
    assert_eq!(res.status(), rocket::http::Status::NotFound);
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store, max-age=0"));
}

#[rocket::async_test]
async fn legacy_headers_can_be_turned_off() {
    let toml = format!("{DENY_LIST}\nlegacy_headers = false");
    let (_c, _, h) = get(&toml, "/accounts/logout").await;
    assert_eq!(h.get("Cache-Control"), Some("no-store, max-age=0"));
    assert_eq!(h.get("Pragma"), None);
    assert_eq!(h.get("Expires"), None);
}

#[rocket::async_test]
async fn replaces_a_cache_control_the_handler_set() {
    let toml = "[default.security.no_store]\npaths = [\"/account/**\"]";
    let (_c, _, h) = get(toml, "/account/cached").await;
    assert_eq!(h.get("Cache-Control"), Some("no-store, max-age=0"));
}

#[rocket::async_test]
async fn a_route_that_owns_cache_control_gets_no_pragma_or_expires() {
    let toml = "[default.security.no_store]\npaths = [\"/account/**\"]";
    let (_c, _, h) = get(toml, "/account/public").await;
    assert_eq!(h.get("Cache-Control"), Some("public, max-age=60"));
    assert_eq!(h.get("Pragma"), None);
    assert_eq!(h.get("Expires"), None);
}
