//! Referrer-Policy (django-security §7.10), X-DNS-Prefetch-Control, DNT and
//! Sec-GPC (§7.9).

use crate::common::{app, client, get};
use rocket::http::Header;

#[rocket::async_test]
async fn referrer_default_is_no_referrer() {
    let (_c, _, h) = get("", "/").await;
    assert_eq!(h.get("Referrer-Policy"), Some("no-referrer"));
}

#[rocket::async_test]
async fn every_referrer_token_is_echoed_exactly() {
    for token in [
        "no-referrer",
        "no-referrer-when-downgrade",
        "origin",
        "origin-when-cross-origin",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    ] {
        let (_c, _, h) = get(&format!("[default.security.referrer_policy]\nvalue = \"{token}\""), "/").await;
        assert_eq!(h.get("Referrer-Policy"), Some(token));
    }
}

#[rocket::async_test]
async fn referrer_fallback_lists_are_joined() {
    let toml = "[default.security.referrer_policy]\nvalue = [\"no-referrer\", \"strict-origin-when-cross-origin\"]";
    let (_c, _, h) = get(toml, "/").await;
    assert_eq!(h.get("Referrer-Policy"), Some("no-referrer, strict-origin-when-cross-origin"));
    let toml = "[default.security.referrer_policy]\nvalue = \"same-origin,strict-origin\"";
    let (_c, _, h) = get(toml, "/").await;
    assert_eq!(h.get("Referrer-Policy"), Some("same-origin, strict-origin"));
}

#[rocket::async_test]
async fn referrer_can_be_disabled() {
    let (_c, _, h) = get("[default.security.referrer_policy]\nenabled = false", "/").await;
    assert_eq!(h.get("Referrer-Policy"), None);
}

#[rocket::async_test]
async fn dns_prefetch_off_by_default_and_on_when_allowed() {
    let (_c, _, h) = get("", "/").await;
    assert_eq!(h.get("X-DNS-Prefetch-Control"), Some("off"));
    let (_c, _, h) = get("[default.security.dns_prefetch]\nallow = true", "/").await;
    assert_eq!(h.get("X-DNS-Prefetch-Control"), Some("on"));
}

async fn privacy(toml: &str, headers: &[(&str, &str)]) -> (String, Option<String>, Option<String>) {
    let client = client(app(toml)).await;
    let mut req = client.get("/privacy");
    for (n, v) in headers {
        req = req.header(Header::new(n.to_string(), v.to_string()));
    }
    let res = req.dispatch().await;
    let vary = res.headers().get_one("Vary").map(str::to_string);
    let dnt = res.headers().get_one("DNT").map(str::to_string);
    (res.into_string().await.unwrap(), vary, dnt)
}

#[rocket::async_test]
async fn dnt_is_parsed_like_the_original() {
    assert_eq!(privacy("", &[]).await.0, "dnt=None gpc=false opted_out=false");
    assert_eq!(privacy("", &[("DNT", "1")]).await.0, "dnt=Some(true) gpc=false opted_out=true");
    assert_eq!(privacy("", &[("DNT", "off")]).await.0, "dnt=Some(false) gpc=false opted_out=false");
    assert_eq!(privacy("", &[("DNT", "0")]).await.0, "dnt=Some(false) gpc=false opted_out=false");
    assert_eq!(privacy("", &[("DNT", "1 ")]).await.0, "dnt=Some(false) gpc=false opted_out=false");
}

#[rocket::async_test]
async fn sec_gpc_counts_only_as_exactly_one() {
    assert_eq!(privacy("", &[("Sec-GPC", "1")]).await.0, "dnt=None gpc=true opted_out=true");
    assert_eq!(privacy("", &[("Sec-GPC", "0")]).await.0, "dnt=None gpc=false opted_out=false");
}

#[rocket::async_test]
async fn responses_using_the_guard_vary_on_dnt_and_gpc() {
    let (_, vary, _) = privacy("", &[]).await;
    assert_eq!(vary.as_deref(), Some("DNT, Sec-GPC"));
    let (_c, _, h) = get("", "/").await;
    assert_eq!(h.get("Vary"), None);
}

#[rocket::async_test]
async fn dnt_is_not_echoed_by_default() {
    let client = client(app("")).await;
    let res = client.get("/").header(Header::new("DNT", "1")).dispatch().await;
    assert_eq!(res.headers().get_one("DNT"), None);
}

#[rocket::async_test]
async fn dnt_echo_copies_the_value_verbatim_and_varies() {
    let toml = "[default.security.dnt]\necho = true";
    let client = client(app(toml)).await;
    for v in ["1", "off"] {
        let res = client.get("/").header(Header::new("DNT", v)).dispatch().await;
        assert_eq!(res.headers().get_one("DNT"), Some(v));
        assert_eq!(res.headers().get_one("Vary"), Some("DNT"));
    }
    let res = client.get("/").dispatch().await;
    assert_eq!(res.headers().get_one("DNT"), None);
    assert_eq!(res.headers().get_one("Vary"), Some("DNT"));
}
