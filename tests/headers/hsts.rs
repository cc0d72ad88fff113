//! Strict-Transport-Security: only on requests that really arrived over HTTPS.

use crate::common::{app, client, get};
use rocket::http::Header;

const PROXY: &str = r#"
[default.security.https]
trusted_proxies = ["10.0.0.0/8"]
"#;

async fn via(toml: &str, peer: &str, proto: Option<&str>) -> Option<String> {
    let client = client(app(toml)).await;
    let mut req = client.get("/").remote(peer.parse().unwrap());
    if let Some(p) = proto {
        req = req.header(Header::new("X-Forwarded-Proto", p.to_string()));
    }
    let res = req.dispatch().await;
    res.headers().get_one("Strict-Transport-Security").map(str::to_string)
}

#[rocket::async_test]
async fn not_sent_over_plain_http() {
    let (_c, _, headers) = get("", "/").await;
    assert_eq!(headers.get("Strict-Transport-Security"), None);
}

#[rocket::async_test]
async fn sent_when_rocket_serves_tls() {
    let toml = "[default.tls]\ncerts = \"cert.pem\"\nkey = \"key.pem\"";
    let (_c, _, headers) = get(toml, "/").await;
    assert_eq!(headers.get("Strict-Transport-Security"), Some("max-age=63072000; includeSubDomains"));
}

#[rocket::async_test]
async fn sent_when_a_trusted_proxy_says_https() {
    let v = via(PROXY, "10.1.2.3:4000", Some("https")).await;
    assert_eq!(v.as_deref(), Some("max-age=63072000; includeSubDomains"));
}

#[rocket::async_test]
async fn proxy_header_uses_the_value_the_proxy_appended_last() {
    // A client-sent "https" followed by the proxy's "http" is plain HTTP.
    assert_eq!(via(PROXY, "10.1.2.3:4000", Some("https, http")).await, None);
    assert!(via(PROXY, "10.1.2.3:4000", Some("http, HTTPS")).await.is_some());
}

#[rocket::async_test]
async fn ignored_from_an_untrusted_peer() {
    assert_eq!(via(PROXY, "192.0.2.7:4000", Some("https")).await, None);
}

#[rocket::async_test]
async fn ignored_without_any_trusted_proxy() {
    assert_eq!(via("", "10.1.2.3:4000", Some("https")).await, None);
}

#[rocket::async_test]
async fn not_sent_when_the_trusted_proxy_says_http() {
    assert_eq!(via(PROXY, "10.1.2.3:4000", Some("http")).await, None);
}

#[rocket::async_test]
async fn ipv4_mapped_ipv6_peers_match_ipv4_networks() {
    let v = via(PROXY, "[::ffff:10.0.0.9]:4000", Some("https")).await;
    assert!(v.is_some());
}

#[rocket::async_test]
async fn configured_values_are_rendered() {
    let toml = format!("{PROXY}\n[default.security.hsts]\nmax_age = 31536000\npreload = true\n");
    let v = via(&toml, "10.0.0.1:1", Some("https")).await;
    assert_eq!(v.as_deref(), Some("max-age=31536000; includeSubDomains; preload"));
    let toml = format!("{PROXY}\n[default.security.hsts]\nmax_age = 600\ninclude_subdomains = false\n");
    let v = via(&toml, "10.0.0.1:1", Some("https")).await;
    assert_eq!(v.as_deref(), Some("max-age=600"));
}

#[rocket::async_test]
async fn can_be_disabled() {
    let toml = format!("{PROXY}\n[default.security.hsts]\nenabled = false\n");
    assert_eq!(via(&toml, "10.0.0.1:1", Some("https")).await, None);
}

const TLS: &str = "[default.tls]\ncerts = \"cert.pem\"\nkey = \"key.pem\"\n";

async fn release(toml: &str, path: &str) -> Option<String> {
    let client = client(crate::common::release_app(toml)).await;
    let res = client.get(path.to_string()).dispatch().await;
    res.headers().get_one("Strict-Transport-Security").map(str::to_string)
}

#[rocket::async_test]
async fn release_with_tls_sends_our_hsts_not_shields() {
    assert_eq!(release(TLS, "/").await.as_deref(), Some("max-age=63072000; includeSubDomains"));
}

#[rocket::async_test]
async fn release_with_tls_can_still_turn_hsts_off() {
    // Rocket's Shield forces its own HSTS in release builds with TLS.
    let toml = format!("{TLS}[default.security.hsts]\nenabled = false");
    assert_eq!(release(&toml, "/").await, None);
    let toml = format!("{TLS}[default.security.hsts]\nexclude = [\"/plain\"]");
    assert_eq!(release(&toml, "/plain").await, None);
    assert_eq!(release(TLS, "/no-hsts").await, None);
}

#[rocket::async_test]
async fn a_route_can_remove_hsts() {
    let (_c, _, h) = crate::common::get(TLS, "/no-hsts").await;
    assert_eq!(h.get("Strict-Transport-Security"), None);
    assert_eq!(h.get("X-Frame-Options"), Some("DENY"));
}
