//! Pages whose policy carries a nonce never land in a shared cache
//! (`security.csp.nonce_cache`; Django's ticket 21010): the exact
//! `Cache-Control` of each case.

use rocket::http::{Header, Status};
use rocket::{catch, catchers, get, routes, Build, Responder, Rocket};
use rocket_security::csp::CspOverride;
use rocket_security::{CspNonce, Override, Security};

use crate::common::{client, figment, Headers};

#[derive(Responder)]
#[response(content_type = "html")]
struct WithCache {
    body: String,
    cache: Header<'static>,
}

/// A nonce page whose handler sets no Cache-Control.
#[get("/page")]
fn page(n: CspNonce<'_>) -> String {
    format!("<script {}>1</script>", n.attr())
}

/// A page without a nonce.
#[get("/plain")]
fn plain() -> &'static str {
    "plain"
}

/// A nonce page whose handler sets `value` itself.
fn cached(n: CspNonce<'_>, value: &'static str) -> WithCache {
    WithCache { body: format!("<script {}>1</script>", n.attr()), cache: Header::new("Cache-Control", value) }
}

#[get("/no-cache")]
fn no_cache(n: CspNonce<'_>) -> WithCache {
    cached(n, "no-cache")
}

#[get("/public")]
fn public(n: CspNonce<'_>) -> WithCache {
    cached(n, "public, max-age=60")
}

#[get("/public-too")]
fn public_too(n: CspNonce<'_>) -> WithCache {
    cached(n, "s-maxage=600")
}

#[get("/private-max-age")]
fn private_max_age(n: CspNonce<'_>) -> WithCache {
    cached(n, "private, max-age=60")
}

/// A confidential (`no_store`) nonce page whose handler set a public policy.
#[get("/account/public")]
fn account_public(n: CspNonce<'_>) -> WithCache {
    cached(n, "public, max-age=60")
}

/// A confidential (`no_store`) nonce page.
#[get("/account/page")]
fn account_page(n: CspNonce<'_>) -> String {
    n.to_string()
}

/// A confidential (`no_store`) nonce page whose route opts into caching with `Override`.
#[get("/account/override")]
fn account_override(n: CspNonce<'_>) -> Override<String> {
    Override::new(n.to_string()).set("Cache-Control", "public, max-age=60")
}

/// A route that removes Cache-Control with `Override`.
#[get("/removed")]
fn removed(n: CspNonce<'_>) -> Override<String> {
    Override::new(n.to_string()).remove("Cache-Control")
}

/// A route that sends its own policy, built with the request's nonce.
#[get("/own-policy")]
fn own_policy(n: CspNonce<'_>) -> Override<String> {
    Override::new(n.to_string()).set("Content-Security-Policy", format!("script-src 'nonce-{n}'"))
}

/// A route that replaces the policy with one that has no nonce directive.
#[get("/no-slot")]
fn no_slot(n: CspNonce<'_>) -> CspOverride<String> {
    CspOverride::new(n.to_string()).replace("default-src 'self'; script-src 'none'")
}

#[catch(404)]
fn not_found(req: &rocket::Request<'_>) -> String {
    format!("<script {}>history.back()</script>", CspNonce::of(req).attr())
}

fn app(toml: &str) -> Rocket<Build> {
    rocket::custom(figment(toml))
        .mount(
            "/",
            routes![
                page,
                plain,
                no_cache,
                public,
                public_too,
                private_max_age,
                account_public,
                account_page,
                account_override,
                removed,
                own_policy,
                no_slot
            ],
        )
        .register("/", catchers![not_found])
        .attach(Security::fairing())
}

/// GET `path` from an app configured with `toml`: status and headers.
async fn get(toml: &str, path: &str) -> (Status, Headers) {
    let c = client(app(toml)).await;
    let res = c.get(path.to_string()).dispatch().await;
    (res.status(), Headers::of(&res))
}

async fn cache_control(toml: &str, path: &str) -> Option<String> {
    get(toml, path).await.1.get("Cache-Control").map(str::to_string)
}

#[rocket::async_test]
async fn a_nonce_page_without_cache_control_gets_private_no_store_by_default() {
    let (status, h) = get("", "/page").await;
    assert_eq!(status, Status::Ok);
    assert!(h.get("Content-Security-Policy").unwrap().contains("'nonce-"));
    assert_eq!(h.get("Cache-Control"), Some("private, no-store"));
    assert_eq!((h.get("Pragma"), h.get("Expires")), (None, None));
    let set = "[default.security.csp]\nnonce_cache = \"no-store\"";
    assert_eq!(cache_control(set, "/page").await.as_deref(), Some("private, no-store"));
}

#[rocket::async_test]
async fn nonce_cache_private_sends_private() {
    let toml = "[default.security.csp]\nnonce_cache = \"private\"";
    assert_eq!(cache_control(toml, "/page").await.as_deref(), Some("private"));
}

#[rocket::async_test]
async fn nonce_cache_leave_sends_nothing() {
    let toml = "[default.security.csp]\nnonce_cache = \"leave\"";
    assert_eq!(cache_control(toml, "/page").await, None);
}

#[rocket::async_test]
async fn a_page_without_a_nonce_is_untouched() {
    assert_eq!(cache_control("", "/plain").await, None);
}

#[rocket::async_test]
async fn a_cache_control_the_handler_set_is_kept() {
    assert_eq!(cache_control("", "/no-cache").await.as_deref(), Some("no-cache"));
    assert_eq!(cache_control("", "/private-max-age").await.as_deref(), Some("private, max-age=60"));
    // Public ones too (logged, see tests/logging): the crate never rewrites the app's caching.
    assert_eq!(cache_control("", "/public").await.as_deref(), Some("public, max-age=60"));
    assert_eq!(cache_control("", "/public-too").await.as_deref(), Some("s-maxage=600"));
}

#[rocket::async_test]
async fn on_no_store_paths_the_no_store_feature_decides() {
    let toml = "[default.security.no_store]\npaths = [\"/account/**\"]";
    let c = client(app(toml)).await;
    for path in ["/account/page", "/account/public"] {
        let res = c.get(path).dispatch().await;
        let h = Headers::of(&res);
        assert_eq!(h.get("Cache-Control"), Some("no-store, max-age=0"), "{path}");
        assert_eq!((h.get("Pragma"), h.get("Expires")), (Some("no-cache"), Some("0")), "{path}");
    }
    // A route's own Override wins over both.
    let h = Headers::of(&c.get("/account/override").dispatch().await);
    assert_eq!(h.get("Cache-Control"), Some("public, max-age=60"));
    assert_eq!((h.get("Pragma"), h.get("Expires")), (None, None));
}

#[rocket::async_test]
async fn a_route_that_removed_cache_control_gets_none() {
    assert_eq!(cache_control("", "/removed").await, None);
}

#[rocket::async_test]
async fn a_policy_the_route_built_with_the_nonce_counts() {
    let (_, h) = get("", "/own-policy").await;
    assert!(h.get("Content-Security-Policy").unwrap().starts_with("script-src 'nonce-"));
    assert_eq!(h.get("Cache-Control"), Some("private, no-store"));
}

#[rocket::async_test]
async fn a_nonce_no_policy_carries_is_no_nonce_page() {
    // The handler asked for a nonce, but the policy sent has nowhere to put it.
    let (_, h) = get("", "/no-slot").await;
    assert_eq!(
        h.get("Content-Security-Policy"),
        Some("default-src 'self'; script-src 'none'; report-uri /security/csp-report")
    );
    assert_eq!(h.get("Cache-Control"), None);
    // Nor where the crate's policy does not apply.
    let toml = "[default.security.csp]\nexclude = [\"/page\"]";
    let (_, h) = get(toml, "/page").await;
    assert_eq!((h.get("Content-Security-Policy"), h.get("Cache-Control")), (None, None));
}

#[rocket::async_test]
async fn a_report_only_policy_with_the_nonce_counts_too() {
    let toml = "[default.security.csp]\nenabled = false\n[default.security.csp.report_only]\nenabled = true";
    let (_, h) = get(toml, "/page").await;
    assert!(h.get("Content-Security-Policy-Report-Only").unwrap().contains("'nonce-"));
    assert_eq!(h.get("Cache-Control"), Some("private, no-store"));
}

#[rocket::async_test]
async fn a_catcher_page_with_a_nonce_gets_it_too() {
    let (status, h) = get("", "/nowhere").await;
    assert_eq!(status, Status::NotFound);
    assert_eq!(h.get("Cache-Control"), Some("private, no-store"));
}
