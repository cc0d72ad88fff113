//! Shared fixtures: a small app with the security fairing, configured from a
//! TOML string exactly as it would be from `Rocket.toml`.
#![allow(dead_code)]

use rocket::figment::providers::{Format, Toml};
use rocket::figment::Figment;
use rocket::http::{Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::{get, routes, Build, Responder, Rocket};
use rocket_security::csp::CspOverride;
use rocket_security::{CspNonce, DoNotTrack, Override, Security};

#[get("/")]
fn index() -> &'static str {
    "hello"
}

#[derive(Responder)]
#[response(content_type = "text")]
struct WithHeader {
    body: &'static str,
    header: Header<'static>,
}

/// A handler that sets its own X-Frame-Options.
#[get("/handler-xfo")]
fn handler_xfo() -> WithHeader {
    WithHeader { body: "own", header: Header::new("X-Frame-Options", "SAMEORIGIN") }
}

/// A handler that sets its own Cache-Control.
#[get("/account/cached")]
fn account_cached() -> WithHeader {
    WithHeader { body: "cached", header: Header::new("Cache-Control", "public, max-age=3600") }
}

/// A confidential path whose route opts into caching explicitly.
#[get("/account/public")]
fn account_public() -> Override<&'static str> {
    Override::new("public").set("Cache-Control", "public, max-age=60")
}

/// A route that removes HSTS for itself.
#[get("/no-hsts")]
fn no_hsts() -> Override<&'static str> {
    Override::new("x").remove("Strict-Transport-Security")
}

/// A route whose Override names an impossible header.
#[get("/bad-override-name")]
fn bad_override_name() -> Override<&'static str> {
    Override::new("bad").set("X Frame", "DENY")
}

/// A route that embeds elsewhere: no XFO, its own CSP.
#[get("/widget")]
fn widget() -> Override<&'static str> {
    Override::new("widget")
        .remove("X-Frame-Options")
        .set("Content-Security-Policy", "default-src 'self'; frame-ancestors https://partner.example")
}

/// A route whose Override value is not sendable.
#[get("/bad-override")]
fn bad_override() -> Override<&'static str> {
    Override::new("bad").set("X-Frame-Options", "DENY\r\nSet-Cookie: x=1")
}

#[get("/privacy")]
fn privacy(p: DoNotTrack) -> String {
    format!("dnt={:?} gpc={} opted_out={}", p.dnt(), p.gpc(), p.opted_out())
}

/// A page with a nonce'd inline script: the body shows the nonce.
#[get("/nonce")]
fn nonce(n: CspNonce<'_>) -> String {
    format!("<script nonce=\"{n}\">1</script>")
}

#[get("/nonce-twice")]
fn nonce_twice(a: CspNonce<'_>, b: CspNonce<'_>) -> String {
    format!("{a} {b}")
}

#[get("/csp/extend")]
fn csp_extend(n: CspNonce<'_>) -> CspOverride<String> {
    CspOverride::new(n.to_string())
        .extend("script-src", ["https://cdn.example"])
        .extend("img-src", ["https://img.example"])
}

#[get("/csp/replace")]
fn csp_replace() -> CspOverride<&'static str> {
    CspOverride::new("r").replace("default-src 'none'; img-src 'self'")
}

#[get("/csp/remove")]
fn csp_remove() -> CspOverride<&'static str> {
    CspOverride::new("r").remove()
}

#[get("/csp/report-only")]
fn csp_report_only() -> CspOverride<&'static str> {
    CspOverride::new("r").report_only_replace("default-src 'none'").extend("connect-src", ["https://api.example"])
}

#[get("/csp/report-only-extend")]
fn csp_report_only_extend() -> CspOverride<&'static str> {
    CspOverride::new("r").report_only_extend("script-src", ["https://cdn.example"])
}

#[get("/csp/report-only-remove")]
fn csp_report_only_remove() -> CspOverride<&'static str> {
    CspOverride::new("r").report_only_remove()
}

#[get("/csp/bad")]
fn csp_bad() -> CspOverride<&'static str> {
    CspOverride::new("r").extend("script-src", ["self"])
}

/// A handler that sets its own CSP.
#[get("/csp/handler")]
fn csp_handler() -> WithHeader {
    WithHeader { body: "own", header: Header::new("Content-Security-Policy", "default-src 'none'") }
}

/// A state change, for CSRF and host checks.
#[rocket::post("/submit")]
fn submit() -> &'static str {
    "submitted"
}

/// Names its own Reporting API endpoints.
#[get("/own-reporting")]
fn own_reporting() -> WithHeader {
    WithHeader { body: "page", header: Header::new("Reporting-Endpoints", "app=\"https://r.example/app\"") }
}

/// Any other path answers 200, so path patterns can be tested on any path.
#[get("/<_path..>", rank = 20)]
fn any(_path: std::path::PathBuf) -> &'static str {
    "page"
}

/// The figment an app with this `Rocket.toml` content would have.
pub fn figment(toml: &str) -> Figment {
    Figment::from(rocket::Config::debug_default()).merge(("log_level", "off")).merge(Toml::string(toml).nested())
}

/// The figment of a release build (Rocket's `release` profile) with this `Rocket.toml` content.
pub fn release_figment(toml: &str) -> Figment {
    Figment::from(rocket::Config::release_default())
        .merge(("log_level", "off"))
        .merge(Toml::string(toml).nested())
        .select(rocket::Config::RELEASE_PROFILE)
}

/// The test app, without any security fairing.
pub fn bare(toml: &str) -> Rocket<Build> {
    mount(rocket::custom(figment(toml)))
}

/// The test app for a release build, with `Security::fairing()`.
pub fn release_app(toml: &str) -> Rocket<Build> {
    mount(rocket::custom(release_figment(toml))).attach(Security::fairing())
}

fn mount(rocket: Rocket<Build>) -> Rocket<Build> {
    rocket.mount(
        "/",
        routes![
            index,
            handler_xfo,
            account_cached,
            account_public,
            no_hsts,
            bad_override_name,
            widget,
            bad_override,
            privacy,
            nonce,
            nonce_twice,
            csp_extend,
            csp_replace,
            csp_remove,
            csp_report_only,
            csp_report_only_extend,
            csp_report_only_remove,
            csp_bad,
            csp_handler,
            submit,
            own_reporting,
            any
        ],
    )
}

/// The test app with `Security::fairing()`.
pub fn app(toml: &str) -> Rocket<Build> {
    bare(toml).attach(Security::fairing())
}

pub async fn client(rocket: Rocket<Build>) -> Client {
    Client::tracked(rocket).await.expect("valid rocket")
}

/// GET `path` from an app configured with `toml`.
pub async fn get(toml: &str, path: &str) -> (Client, Status, Headers) {
    let client = client(app(toml)).await;
    let (status, headers) = fetch(&client, path).await;
    (client, status, headers)
}

pub async fn fetch(client: &Client, path: &str) -> (Status, Headers) {
    let res = client.get(path.to_string()).dispatch().await;
    (res.status(), Headers::of(&res))
}

/// Response headers, for exact assertions.
#[derive(Debug, Clone)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    pub fn of(res: &LocalResponse<'_>) -> Self {
        Headers(res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect())
    }

    /// The single value of `name` (panics if it appears twice), or `None`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let all: Vec<&str> =
            self.0.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect();
        assert!(all.len() <= 1, "{name} appears {} times: {all:?}", all.len());
        all.first().copied()
    }
}

/// Whether the rocket fails to ignite because a fairing refused the configuration.
pub async fn ignite_fails(rocket: Rocket<Build>) -> bool {
    match rocket.ignite().await {
        Ok(_) => false,
        Err(e) => match e.kind() {
            rocket::error::ErrorKind::FailedFairings(f) => f.iter().any(|f| f.name.starts_with("rocket_security")),
            other => panic!("ignite failed for another reason: {other:?}"),
        },
    }
}

pub mod capture;

/// The `[default.security.https]` of a test app behind a TLS proxy at 127.0.0.1.
pub const TLS_PROXY: &str = "[default.security.https]\ntrusted_proxies = [\"127.0.0.1\"]\n";

/// GET `path` as if over HTTPS: from the trusted proxy of [`TLS_PROXY`], with `X-Forwarded-Proto: https`.
pub async fn fetch_https(client: &Client, path: &str) -> (Status, Headers) {
    let res = client
        .get(path.to_string())
        .remote("127.0.0.1:9".parse().unwrap())
        .header(Header::new("X-Forwarded-Proto", "https"))
        .header(Header::new("Host", "www.example.com"))
        .dispatch()
        .await;
    (res.status(), Headers::of(&res))
}
