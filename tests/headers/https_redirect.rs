//! Plain HTTP to HTTPS redirect (Django's SECURE_SSL_REDIRECT, made proxy-aware).

use crate::common::{app, client};
use rocket::http::{Header, Status};

const ON: &str = r#"
[default.security.https]
redirect = true
trusted_proxies = ["10.0.0.1"]
redirect_exempt = ["/health"]
"#;

#[rocket::async_test]
async fn plain_http_is_redirected_with_308_keeping_path_and_query() {
    let c = client(app(ON)).await;
    let res = c.post("/a/b?x=1&y=%20").header(Header::new("Host", "example.com")).dispatch().await;
    assert_eq!(res.status(), Status::PermanentRedirect);
    assert_eq!(res.headers().get_one("Location"), Some("https://example.com/a/b?x=1&y=%20"));
    // The redirect itself carries the security headers.
    assert_eq!(res.headers().get_one("X-Frame-Options"), Some("DENY"));
}

#[rocket::async_test]
async fn the_plain_http_port_is_dropped_from_the_target() {
    let c = client(app(ON)).await;
    let res = c.get("/x").header(Header::new("Host", "example.com:8000")).dispatch().await;
    assert_eq!(res.headers().get_one("Location"), Some("https://example.com/x"));
}

#[rocket::async_test]
async fn status_301_and_a_fixed_host_can_be_configured() {
    let toml = format!("{ON}redirect_status = 301\nredirect_host = \"www.example.com\"\n");
    let c = client(app(&toml)).await;
    let res = c.get("/x").header(Header::new("Host", "evil.test")).dispatch().await;
    assert_eq!(res.status(), Status::MovedPermanently);
    assert_eq!(res.headers().get_one("Location"), Some("https://www.example.com/x"));
}

#[rocket::async_test]
async fn requests_already_on_https_are_served() {
    let c = client(app(ON)).await;
    let res = c
        .get("/")
        .remote("10.0.0.1:5".parse().unwrap())
        .header(Header::new("X-Forwarded-Proto", "https"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.into_string().await.as_deref(), Some("hello"));
}

#[rocket::async_test]
async fn exempt_paths_are_served_over_http() {
    let c = client(app(ON)).await;
    let res = c.get("/health").header(Header::new("Host", "example.com")).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
}

#[rocket::async_test]
async fn without_a_host_the_answer_is_400() {
    let c = client(app(ON)).await;
    let res = c.get("/x").dispatch().await;
    assert_eq!(res.status(), Status::BadRequest);
}

#[rocket::async_test]
async fn the_internal_route_is_not_reachable_directly() {
    let c = client(app(ON)).await;
    let res = c
        .get("/__rocket_security/https-redirect")
        .remote("10.0.0.1:5".parse().unwrap())
        .header(Header::new("X-Forwarded-Proto", "https"))
        .dispatch()
        .await;
    // Forwarded to the app's own routes: here the catch-all page.
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.into_string().await.as_deref(), Some("page"));
}

#[rocket::async_test]
async fn off_by_default() {
    let c = client(app("")).await;
    let res = c.get("/x").header(Header::new("Host", "example.com")).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
}
