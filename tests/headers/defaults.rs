//! The golden test: the complete default header map, every value exact.

use crate::common::{bare, client, fetch, get};
use rocket::http::Status;
use rocket_security::Security;

const DEFAULT_CSP: &str = "default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self'; \
frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; \
style-src 'self'; report-uri /security/csp-report";

const DEFAULT_PERMISSIONS: &str = "accelerometer=(), autoplay=(), camera=(), clipboard-read=(), \
clipboard-write=(), cross-origin-isolated=(), display-capture=(), encrypted-media=(), fullscreen=(), gamepad=(), \
geolocation=(), gyroscope=(), hid=(), idle-detection=(), keyboard-map=(), magnetometer=(), microphone=(), midi=(), \
payment=(), picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), serial=(), \
sync-xhr=(self), unload=(), usb=(), web-share=(), xr-spatial-tracking=()";

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.iter_mut().for_each(|(n, _)| *n = n.to_ascii_lowercase());
    v.sort();
    v
}

#[rocket::async_test]
async fn zero_config_sends_exactly_the_default_header_map() {
    let (_c, status, headers) = get("", "/").await;
    assert_eq!(status, Status::Ok);
    let expected: Vec<(String, String)> = [
        ("content-type", "text/plain; charset=utf-8"),
        ("content-security-policy", DEFAULT_CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("x-xss-protection", "0"),
        ("referrer-policy", "no-referrer"),
        ("permissions-policy", DEFAULT_PERMISSIONS),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("origin-agent-cluster", "?1"),
        ("x-permitted-cross-domain-policies", "none"),
        ("x-dns-prefetch-control", "off"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    assert_eq!(sorted(headers.0.clone()), sorted(expected));
    // Asserted absent by the exact map above; named here for the reader.
    for absent in [
        "Server",
        "Strict-Transport-Security",
        "Cross-Origin-Embedder-Policy",
        "Cache-Control",
        "Clear-Site-Data",
        "P3P",
        "Vary",
    ] {
        assert_eq!(headers.get(absent), None, "{absent}");
    }
}

#[rocket::async_test]
async fn defaults_apply_to_error_pages_too() {
    let client = client(bare("").attach(Security::fairing())).await;
    let res = client.post("/nowhere").dispatch().await;
    assert_eq!(res.status(), Status::NotFound);
    assert_eq!(res.headers().get_one("X-Frame-Options"), Some("DENY"));
    assert_eq!(res.headers().get_one("X-Content-Type-Options"), Some("nosniff"));
}

#[rocket::async_test]
async fn without_the_fairing_rocket_shield_would_send_its_dated_values() {
    // The baseline this crate replaces: Shield's SAMEORIGIN and FLoC entry.
    let client = client(bare("")).await;
    let (_, headers) = fetch(&client, "/").await;
    assert_eq!(headers.get("X-Frame-Options"), Some("SAMEORIGIN"));
    assert_eq!(headers.get("Permissions-Policy"), Some("interest-cohort=()"));
    assert_eq!(headers.get("Server"), Some("Rocket"));
}

#[rocket::async_test]
async fn server_header_can_be_kept_or_set() {
    let (_c, _, headers) = get("[default.security]\nserver_header = true", "/").await;
    assert_eq!(headers.get("Server"), Some("Rocket"));
    let (_c, _, headers) = get("[default.security]\nserver_header = \"Acme\"", "/").await;
    assert_eq!(headers.get("Server"), Some("Acme"));
}
