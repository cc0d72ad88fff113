//! CSRF protection through real requests: the header matrix, what a refusal
//! looks like, what it leaves unchanged, and token mode.

use rocket::http::{ContentType, Cookie, Header, Status};

use crate::app::{app, App};

/// POSTs `/transfer` to the app at `Host: example.com` with `headers`.
async fn post(app: &App, headers: &[(&str, &str)]) -> Status {
    let mut req = app.client.post("/transfer").header(Header::new("Host", "example.com"));
    for (n, v) in headers {
        req = req.header(Header::new(n.to_string(), v.to_string()));
    }
    req.dispatch().await.status()
}

#[rocket::async_test]
async fn sec_fetch_site_decides_for_each_value() {
    let app = app("").await;
    for (value, status) in [
        ("same-origin", Status::Ok),
        ("none", Status::Ok),
        ("same-site", Status::Forbidden),
        ("cross-site", Status::Forbidden),
        ("nonsense", Status::Forbidden),
    ] {
        assert_eq!(post(&app, &[("Sec-Fetch-Site", value)]).await, status, "Sec-Fetch-Site: {value}");
    }
    // Sec-Fetch-Site wins over a matching Origin.
    assert_eq!(
        post(&app, &[("Sec-Fetch-Site", "cross-site"), ("Origin", "http://example.com")]).await,
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn without_fetch_metadata_the_origin_must_be_the_sites_own() {
    let app = app("").await;
    for (origin, status) in [
        ("http://example.com", Status::Ok),
        ("http://EXAMPLE.com:80", Status::Ok),
        ("http://evil.example", Status::Forbidden),
        ("http://example.com:8080", Status::Forbidden),
        ("https://example.com", Status::Forbidden),
        ("null", Status::Forbidden),
    ] {
        assert_eq!(post(&app, &[("Origin", origin)]).await, status, "Origin: {origin}");
    }
    assert_eq!(post(&app, &[]).await, Status::Ok, "neither header: not a browser form");
}

#[rocket::async_test]
async fn safe_methods_are_never_refused() {
    let app = app("").await;
    let res = app.client.get("/open").header(Header::new("Sec-Fetch-Site", "cross-site")).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
}

#[rocket::async_test]
async fn trusted_origins_and_exempt_paths_pass() {
    let app =
        app("[default.security.csrf]\ntrusted_origins = [\"https://partner.example\"]\nexempt = [\"/transfer\"]").await;
    assert_eq!(post(&app, &[("Sec-Fetch-Site", "cross-site"), ("Origin", "https://evil.example")]).await, Status::Ok);
    let app = crate::app::app("[default.security.csrf]\ntrusted_origins = [\"https://partner.example\"]").await;
    assert_eq!(
        post(&app, &[("Sec-Fetch-Site", "cross-site"), ("Origin", "https://partner.example")]).await,
        Status::Ok
    );
    assert_eq!(post(&app, &[("Origin", "https://partner.example")]).await, Status::Ok);
    assert_eq!(
        post(&app, &[("Sec-Fetch-Site", "cross-site"), ("Origin", "https://other.example")]).await,
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn behind_a_trusted_tls_proxy_the_sites_origin_is_https() {
    let app = app("[default.security.https]\ntrusted_proxies = [\"10.0.0.1\"]").await;
    let send = |origin: &'static str, peer: &'static str| {
        app.client
            .post("/transfer")
            .remote(format!("{peer}:4000").parse().unwrap())
            .header(Header::new("Host", "example.com"))
            .header(Header::new("X-Forwarded-Proto", "https"))
            .header(Header::new("Origin", origin))
            .dispatch()
    };
    assert_eq!(send("https://example.com", "10.0.0.1").await.status(), Status::Ok);
    assert_eq!(send("http://example.com", "10.0.0.1").await.status(), Status::Forbidden);
    // From a peer that is not the proxy, X-Forwarded-Proto counts for nothing.
    assert_eq!(send("https://example.com", "10.0.0.9").await.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn a_refused_request_never_reaches_its_handler_and_says_why() {
    let app = app("").await;
    let res = app
        .client
        .post("/transfer")
        .header(Header::new("Host", "example.com"))
        .header(Header::new("Sec-Fetch-Site", "cross-site"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(res.content_type(), Some(ContentType::HTML));
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
    assert!(res.into_string().await.unwrap().contains("came from another site and was refused"));
    assert_eq!(app.runs(), 0, "the handler did not run");

    let api = app
        .client
        .post("/transfer")
        .header(Header::new("Host", "example.com"))
        .header(Header::new("Origin", "https://evil.example"))
        .header(Header::new("Accept", "application/json"))
        .dispatch()
        .await;
    assert_eq!(api.status(), Status::Forbidden);
    assert_eq!(api.into_string().await.as_deref(), Some(r#"{"error":"csrf","reason":"cross_origin"}"#));
    assert_eq!(post(&app, &[("Sec-Fetch-Site", "same-origin")]).await, Status::Ok);
    assert_eq!(app.runs(), 1);
}

#[rocket::async_test]
async fn the_internal_answer_route_is_not_reachable_directly() {
    let app = app("").await;
    assert_eq!(app.client.get("/__rocket_security/csrf").dispatch().await.status(), Status::NotFound);
}

#[rocket::async_test]
async fn the_report_endpoint_still_takes_cross_site_reports() {
    let app = app("").await;
    let body = r#"{"csp-report":{"document-uri":"http://example.com/","effective-directive":"img-src","blocked-uri":"https://cdn.example/a.png"}}"#;
    let res = app
        .client
        .post("/security/csp-report")
        .header(Header::new("Host", "example.com"))
        .header(Header::new("Sec-Fetch-Site", "cross-site"))
        .header(Header::new("Origin", "https://other.example"))
        .header(ContentType::new("application", "csp-report"))
        .body(body)
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NoContent);
}

#[rocket::async_test]
async fn token_mode_requires_this_browsers_token() {
    let app = app("[default.security.csrf]\ntoken = true").await;
    // No token: refused even from the site itself.
    let res = app
        .client
        .post("/transfer")
        .header(Header::new("Sec-Fetch-Site", "same-origin"))
        .header(Header::new("Accept", "application/json"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(res.into_string().await.as_deref(), Some(r#"{"error":"csrf","reason":"csrf_token"}"#));

    let page = app.client.get("/csrf-form").dispatch().await;
    let secret = page.cookies().get("security_csrf").expect("the secret cookie").value().to_string();
    let token = page.into_string().await.unwrap();
    assert_eq!(token.len(), 43);
    let with = |token: String, secret: String| {
        app.client
            .post("/transfer")
            .cookie(Cookie::new("security_csrf", secret))
            .header(Header::new("X-CSRF-Token", token))
    };
    assert_eq!(with(token.clone(), secret.clone()).dispatch().await.status(), Status::Ok, "header");
    let form = app
        .client
        .post("/transfer")
        .cookie(Cookie::new("security_csrf", secret.clone()))
        .header(ContentType::Form)
        .body(format!("csrf_token={token}&amount=10"))
        .dispatch()
        .await;
    assert_eq!(form.status(), Status::Ok, "first form field");
    // Another browser's secret: the token does not match.
    let other = "A".repeat(43);
    assert_eq!(with(token.clone(), other).dispatch().await.status(), Status::Forbidden);
    let mut wrong = token.clone();
    wrong.replace_range(0..1, if wrong.starts_with('A') { "B" } else { "A" });
    assert_eq!(with(wrong, secret).dispatch().await.status(), Status::Forbidden);
    assert_eq!(app.runs(), 2);
}
