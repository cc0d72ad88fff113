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

/// The `Set-Cookie` line of the cookie `name` in a response.
fn set_cookie<'a>(res: &'a rocket::local::asynchronous::LocalResponse<'_>, name: &str) -> Option<&'a str> {
    res.headers().get("Set-Cookie").find(|c| c.starts_with(&format!("{name}=")))
}

fn cookie_value(line: &str) -> String {
    line.split(';').next().unwrap().split_once('=').unwrap().1.to_string()
}

#[rocket::async_test]
async fn the_secret_cookie_is_host_prefixed_over_https() {
    let app =
        app("[default.security.https]\ntrusted_proxies = [\"10.0.0.1\"]\n[default.security.csrf]\ntoken = true").await;
    let get = |https: bool| {
        let mut req = app.client.get("/csrf-form").remote("10.0.0.1:4000".parse().unwrap());
        if https {
            req = req.header(Header::new("X-Forwarded-Proto", "https"));
        }
        req.dispatch()
    };
    let page = get(true).await;
    let line = set_cookie(&page, "__Host-security_csrf").expect("the __Host- cookie").to_string();
    let secret = cookie_value(&line);
    assert_eq!(line, format!("__Host-security_csrf={secret}; HttpOnly; SameSite=Lax; Secure; Path=/"));
    assert_eq!(set_cookie(&page, "security_csrf"), None);
    let token = page.into_string().await.unwrap();
    let post = |cookie: &'static str, secret: String, token: String| {
        app.client
            .post("/transfer")
            .remote("10.0.0.1:4000".parse().unwrap())
            .header(Header::new("X-Forwarded-Proto", "https"))
            .cookie(Cookie::new(cookie, secret))
            .header(Header::new("X-CSRF-Token", token))
            .header(Header::new("Accept", "application/json"))
            .dispatch()
    };
    assert_eq!(post("__Host-security_csrf", secret.clone(), token.clone()).await.status(), Status::Ok);
    // Over HTTPS the unprefixed name (which a sibling subdomain could set) counts for nothing.
    let res = post("security_csrf", secret, token).await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(res.into_string().await.as_deref(), Some(r#"{"error":"csrf","reason":"csrf_token"}"#));
    // Plain HTTP keeps the plain name (browsers refuse `__Host-` without `Secure`).
    let page = get(false).await;
    let line = set_cookie(&page, "security_csrf").expect("the plain cookie").to_string();
    assert_eq!(line, format!("security_csrf={}; HttpOnly; SameSite=Lax; Path=/", cookie_value(&line)));
}

const SESSION_AND_TOKEN: &str =
    "[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\n[default.security.csrf]\ntoken = true";

/// A browser's cookies: the CSRF secret and, once logged in, the login cookies.
#[derive(Clone, Default)]
struct Browser {
    secret: String,
    user: Option<String>,
    stamp: Option<String>,
}

impl Browser {
    fn cookies(&self) -> Vec<Cookie<'static>> {
        let mut c = vec![Cookie::new("security_csrf", self.secret.clone())];
        if let (Some(u), Some(s)) = (&self.user, &self.stamp) {
            c.push(Cookie::new("user_id", u.clone()));
            c.push(Cookie::new("security_session", s.clone()));
        }
        c
    }

    /// The form page: this browser's token (a first visit also gets its secret).
    async fn token(&mut self, app: &App) -> String {
        let res = app.client.get("/csrf-form").cookies(self.cookies()).dispatch().await;
        if let Some(line) = set_cookie(&res, "security_csrf") {
            self.secret = cookie_value(line);
        }
        res.into_string().await.unwrap()
    }

    async fn login(&mut self, app: &App, user: &str) -> Option<String> {
        let res = app.client.get(format!("/test-login/{user}")).cookies(self.cookies()).dispatch().await;
        assert_eq!(res.status(), Status::Ok);
        self.user = Some(user.to_string());
        self.stamp = set_cookie(&res, "security_session").map(cookie_value);
        set_cookie(&res, "security_csrf").map(cookie_value)
    }

    async fn transfer(&self, app: &App, token: &str) -> Status {
        let req =
            app.client.post("/transfer").cookies(self.cookies()).header(Header::new("X-CSRF-Token", token.to_string()));
        req.dispatch().await.status()
    }
}

#[rocket::async_test]
async fn a_login_rotates_the_token_and_one_from_before_is_refused() {
    let app = app(SESSION_AND_TOKEN).await;
    let mut browser = Browser::default();
    let before = browser.token(&app).await;
    assert_eq!(browser.transfer(&app, &before).await, Status::Ok, "good before the login");
    let old_secret = browser.secret.clone();
    let rotated = browser.login(&app, "alice").await.expect("the login response sets a new secret");
    assert_ne!(rotated, old_secret);
    // With the old secret (a browser that ignored the new cookie) or the new one: refused.
    assert_eq!(browser.transfer(&app, &before).await, Status::Forbidden, "old secret, token from before the login");
    browser.secret = rotated;
    assert_eq!(browser.transfer(&app, &before).await, Status::Forbidden, "new secret, token from before the login");
    let after = browser.token(&app).await;
    assert_ne!(after, before);
    assert_eq!(browser.transfer(&app, &after).await, Status::Ok);
    assert_eq!(app.runs(), 2);
}

#[rocket::async_test]
async fn a_token_tossed_in_from_another_session_is_refused() {
    let app = app(SESSION_AND_TOKEN).await;
    let mut alice = Browser::default();
    alice.token(&app).await;
    alice.secret = alice.login(&app, "alice").await.expect("rotated");
    let mut mallory = Browser::default();
    let anonymous = mallory.token(&app).await;
    let anonymous_secret = mallory.secret.clone();
    mallory.secret = mallory.login(&app, "mallory").await.expect("rotated");
    let hers = mallory.token(&app).await;
    // A sibling subdomain sets mallory's secret in alice's browser and posts mallory's token.
    let tossed = Browser { secret: mallory.secret.clone(), ..alice.clone() };
    assert_eq!(tossed.transfer(&app, &hers).await, Status::Forbidden, "a token of another session");
    let tossed = Browser { secret: anonymous_secret, ..alice.clone() };
    assert_eq!(tossed.transfer(&app, &anonymous).await, Status::Forbidden, "a token made without a session");
    assert_eq!(mallory.transfer(&app, &hers).await, Status::Ok, "good in its own session");
    let own = alice.token(&app).await;
    assert_eq!(alice.transfer(&app, &own).await, Status::Ok);
}
