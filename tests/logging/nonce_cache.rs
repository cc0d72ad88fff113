//! A page whose policy carries a nonce under a public cache policy: deploy-check
//! finding W027, logged at WARN the first time each route serves one.

use rocket::http::Header;
use rocket::{get, routes, Responder};
use rocket_security::{CspNonce, Security};

use crate::common;

#[derive(Responder)]
#[response(content_type = "html")]
struct WithCache {
    body: String,
    cache: Header<'static>,
}

#[get("/pricing/<_plan>")]
fn pricing(n: CspNonce<'_>, _plan: &str) -> WithCache {
    WithCache { body: n.attr(), cache: Header::new("Cache-Control", "public, max-age=60") }
}

#[get("/revalidated")]
fn revalidated(n: CspNonce<'_>) -> WithCache {
    WithCache { body: n.attr(), cache: Header::new("Cache-Control", "no-cache") }
}

#[rocket::async_test]
async fn a_public_nonce_page_is_logged_once_per_route_as_w027() {
    let buffer = crate::captured();
    let rocket =
        rocket::custom(common::figment("")).mount("/", routes![pricing, revalidated]).attach(Security::fairing());
    let client = common::client(rocket).await;
    for path in ["/pricing/basic", "/pricing/pro", "/pricing/basic", "/revalidated"] {
        client.get(path).dispatch().await;
    }
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("security.W027")).collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].ends_with(
            "WARN security: deploy check: security.W027 (warning): GET /pricing/<_plan> serves a page whose \
             Content-Security-Policy carries a nonce with `Cache-Control: public, max-age=60`: a shared cache would \
             hand that one nonce to every later visitor (logged once per route); fix: send `Cache-Control: private` \
             or `no-store` from this route, or no Cache-Control at all (then `security.csp.nonce_cache` sets one); a \
             page meant for shared caches needs no nonce (a CspHash allows fixed inline code)"
        ),
        "{}",
        lines[0]
    );
}

#[rocket::async_test]
async fn liftoff_says_what_nonce_pages_get() {
    let buffer = crate::captured();
    let csp = |nonce_pages: &str| {
        format!(
            "INFO security: csp: Content-Security-Policy: default-src 'self'; base-uri 'self'; font-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; \
             script-src-attr 'none'; style-src 'self' [all paths]; {nonce_pages}"
        )
    };
    let _client =
        common::client(common::app("[default.security.csp]\nnonce_cache = \"private\"\nreport = false")).await;
    let _other = common::client(common::app("[default.security.csp]\nnonce_cache = \"leave\"\nreport = false")).await;
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let private = csp("nonce pages get Cache-Control: private unless the handler set one");
    assert!(out.lines().any(|l| l.ends_with(&private)), "{out}");
    let leave = csp("nonce pages: Cache-Control left to the handler (nonce_cache = \"leave\")");
    assert!(out.lines().any(|l| l.ends_with(&leave)), "{out}");
}
