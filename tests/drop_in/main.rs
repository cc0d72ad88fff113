//! The crate inside someone else's application: a JSON API shaped like the
//! RealWorld "Conduit" backend (token authentication in `Authorization`,
//! `rocket_cors` allowing every origin, its own JSON catchers, tests on
//! Rocket's local client with `allowed_hosts` set), with the fairing attached
//! and the configuration the README's recipe "A JSON API used by a front-end
//! on another origin" gives, read from the README itself.
//!
//! The app's own tests must pass as they would without the crate, its
//! browser front-end on another origin must work, and what the crate is for
//! must still hold: a cross-origin write that carries a cookie is refused, and
//! a response that would plant a cookie through an unchecked request is too.

#[path = "../common/capture.rs"]
mod capture;

use std::collections::HashMap;
use std::sync::Mutex;

use rocket::figment::providers::{Format, Toml};
use rocket::figment::Figment;
use rocket::http::{ContentType, Cookie, CookieJar, Header, Status};
use rocket::local::asynchronous::{Client, LocalRequest, LocalResponse};
use rocket::request::{FromRequest, Outcome};
use rocket::response::content::RawJson;
use rocket::{catch, catchers, delete, get, post, routes, Request, State};
use serde_json::{json, Value};

// ---------------------------------------------------------------- the app

/// Tokens handed out at login: token → username (the app's own store).
#[derive(Default)]
struct Tokens(Mutex<HashMap<String, String>>);

/// A user authenticated by `Authorization: Token <token>` (never a cookie).
struct AuthUser(String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let token = req.headers().get_one("Authorization").and_then(|h| h.strip_prefix("Token "));
        let tokens = req.rocket().state::<Tokens>().expect("managed");
        match token.and_then(|t| tokens.0.lock().unwrap().get(t).cloned()) {
            Some(user) => Outcome::Success(AuthUser(user)),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

/// The app's JSON: Rocket's `Json` without its `json` feature.
type Json = RawJson<String>;

fn json_body(v: Value) -> Json {
    RawJson(v.to_string())
}

#[derive(serde::Deserialize)]
struct Login {
    user: Credentials,
}

#[derive(serde::Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

#[post("/users/login", format = "json", data = "<body>")]
fn login(body: &str, tokens: &State<Tokens>) -> Result<Json, Status> {
    let login: Login = serde_json::from_str(body).map_err(|_| Status::UnprocessableEntity)?;
    let Credentials { email, password } = &login.user;
    if password != "secret" {
        return Err(Status::UnprocessableEntity);
    }
    let user = email.split('@').next().unwrap_or_default().to_string();
    let token = format!("t-{user}-{}", tokens.0.lock().unwrap().len());
    tokens.0.lock().unwrap().insert(token.clone(), user.clone());
    Ok(json_body(json!({ "user": { "username": user, "token": token } })))
}

#[get("/user")]
fn current_user(user: AuthUser) -> Json {
    json_body(json!({ "user": { "username": user.0 } }))
}

#[post("/articles", format = "json", data = "<body>")]
fn create_article(user: AuthUser, body: &str) -> Result<(Status, Json), Status> {
    let article: Value = serde_json::from_str(body).map_err(|_| Status::UnprocessableEntity)?;
    Ok((Status::Created, json_body(json!({ "article": { "title": article["article"]["title"], "author": user.0 } }))))
}

#[delete("/articles/<slug>")]
fn delete_article(user: AuthUser, slug: &str) -> Result<Json, Status> {
    if user.0 != "admin" {
        return Err(Status::Forbidden);
    }
    Ok(json_body(json!({ "deleted": slug })))
}

/// A handler that logs in with a cookie: what a login CSRF would abuse.
#[post("/session")]
fn cookie_session(jar: &CookieJar<'_>) -> &'static str {
    jar.add(Cookie::new("sid", "attacker-session"));
    "logged in"
}

#[catch(401)]
fn unauthorized() -> Json {
    json_body(json!({ "errors": { "body": ["unauthorized"] } }))
}

#[catch(403)]
fn forbidden() -> Json {
    json_body(json!({ "errors": { "body": ["forbidden"] } }))
}

#[catch(404)]
fn not_found() -> Json {
    json_body(json!({ "errors": { "body": ["not found"] } }))
}

/// The app as its `main` builds it, with the crate's fairing attached.
fn app(figment: Figment) -> rocket::Rocket<rocket::Build> {
    let cors = rocket_cors::CorsOptions::default().to_cors().expect("CORS options");
    rocket::custom(figment)
        .attach(rocket_security::Security::fairing())
        .attach(cors)
        .manage(Tokens::default())
        .mount("/api", routes![login, current_user, create_article, delete_article, cookie_session])
        .register("/", catchers![unauthorized, forbidden, not_found])
}

/// The README's recipe, exactly as a reader would paste it into Rocket.toml.
fn recipe() -> &'static str {
    let readme = include_str!("../../README.md");
    let start = readme.find("<!-- recipe: json-api -->").expect("the recipe's marker in README.md");
    let block = &readme[start..];
    let open = block.find("```toml\n").expect("the recipe's TOML block") + "```toml\n".len();
    let len = block[open..].find("```").expect("the end of the recipe's TOML block");
    &block[open..open + len]
}

/// Rocket's debug defaults, without the repository's own Rocket.toml (the
/// showcase's) that `Config::figment()` would read.
fn base() -> Figment {
    Figment::from(rocket::Config::debug_default()).merge(("log_level", "off"))
}

/// The app's configuration: the recipe, and `allowed_hosts` in `[default]`
/// (where the deploy check's warning once sent users, and the local client
/// must still pass).
fn figment() -> Figment {
    base()
        .merge(Toml::string(recipe()).nested())
        .merge(Toml::string("[default.security]\nallowed_hosts = [\"api.conduit.example\"]").nested())
}

async fn client() -> Client {
    Client::untracked(app(figment())).await.expect("the app launches with the crate attached")
}

/// What a browser adds to a `fetch` from a page on `origin` (another site
/// unless `site` says so).
fn from_page<'c>(req: LocalRequest<'c>, origin: &str, site: &str) -> LocalRequest<'c> {
    req.header(Header::new("Origin", origin.to_string()))
        .header(Header::new("Sec-Fetch-Site", site.to_string()))
        .header(Header::new("Sec-Fetch-Mode", "cors"))
}

/// The front-end's login `fetch` from a page on `origin` (right password).
fn login_from<'c>(c: &'c Client, origin: &str, site: &str) -> LocalRequest<'c> {
    from_page(c.post("/api/users/login"), origin, site)
        .header(ContentType::JSON)
        .body(r#"{"user":{"email":"jake@jake.jake","password":"secret"}}"#)
}

async fn json_of(res: LocalResponse<'_>) -> Value {
    serde_json::from_str(&res.into_string().await.unwrap_or_default()).expect("a JSON body")
}

async fn login_token(c: &Client, email: &str) -> String {
    let res = c
        .post("/api/users/login")
        .header(ContentType::JSON)
        .body(json!({ "user": { "email": email, "password": "secret" } }).to_string())
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    json_of(res).await["user"]["token"].as_str().unwrap().to_string()
}

// ---------------------------------------------- the app's own tests, unchanged

#[rocket::async_test]
async fn login_returns_a_token_that_authenticates() {
    let c = client().await;
    let token = login_token(&c, "jake@jake.jake").await;
    let res = c.get("/api/user").header(Header::new("Authorization", format!("Token {token}"))).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(json_of(res).await, json!({ "user": { "username": "jake" } }));
}

#[rocket::async_test]
async fn a_wrong_password_is_422_from_the_apps_own_flow() {
    let c = client().await;
    let res = c
        .post("/api/users/login")
        .header(ContentType::JSON)
        .body(r#"{"user":{"email":"jake@jake.jake","password":"nope"}}"#)
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn the_apps_own_catchers_answer_its_401_403_and_404() {
    let c = client().await;
    let res = c.get("/api/user").dispatch().await;
    assert_eq!(res.status(), Status::Unauthorized);
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    assert_eq!(json_of(res).await, json!({ "errors": { "body": ["unauthorized"] } }));

    let token = login_token(&c, "jake@jake.jake").await;
    let res =
        c.delete("/api/articles/hello").header(Header::new("Authorization", format!("Token {token}"))).dispatch().await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    assert_eq!(json_of(res).await, json!({ "errors": { "body": ["forbidden"] } }));

    // `reports.enabled = false` (the recipe): no CSP report endpoint is mounted.
    let res = c.post("/security/csp-report").header(ContentType::JSON).body("{}").dispatch().await;
    assert_eq!(res.status(), Status::NotFound);
    assert_eq!(json_of(res).await, json!({ "errors": { "body": ["not found"] } }));
}

#[rocket::async_test]
async fn the_local_client_passes_with_allowed_hosts_set_and_a_wrong_host_does_not() {
    let c = client().await;
    assert_eq!(c.get("/api/user").dispatch().await.status(), Status::Unauthorized, "routed: no Host is admitted");
    let res = c.get("/api/user").header(Header::new("Host", "evil.example")).dispatch().await;
    assert_eq!(res.status(), Status::BadRequest);
    let res = c.get("/api/user").header(Header::new("Host", "api.conduit.example")).dispatch().await;
    assert_eq!(res.status(), Status::Unauthorized);
}

// ------------------------------------------- the browser front-end on another origin

#[rocket::async_test]
async fn a_cross_site_front_end_logs_in_and_writes_with_its_token() {
    let c = client().await;
    for (origin, site) in [("https://conduit.example", "cross-site"), ("http://localhost:4200", "same-site")] {
        let preflight = c
            .options("/api/users/login")
            .header(Header::new("Origin", origin))
            .header(Header::new("Access-Control-Request-Method", "POST"))
            .header(Header::new("Access-Control-Request-Headers", "content-type"))
            .dispatch()
            .await;
        assert_eq!(preflight.status(), Status::NoContent, "{origin}");
        assert_eq!(preflight.headers().get_one("Access-Control-Allow-Origin"), Some(origin));

        let res = login_from(&c, origin, site).dispatch().await;
        assert_eq!(res.status(), Status::Ok, "{origin}");
        assert_eq!(res.headers().get_one("Access-Control-Allow-Origin"), Some(origin));
        let token = json_of(res).await["user"]["token"].as_str().unwrap().to_string();

        let res = from_page(c.post("/api/articles"), origin, site)
            .header(ContentType::JSON)
            .header(Header::new("Authorization", format!("Token {token}")))
            .body(r#"{"article":{"title":"Hi"}}"#)
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::Created, "{origin}");
        assert_eq!(json_of(res).await, json!({ "article": { "title": "Hi", "author": "jake" } }));
    }
}

#[rocket::async_test]
async fn a_cross_site_write_that_carries_a_cookie_is_still_refused() {
    let c = client().await;
    let res =
        login_from(&c, "https://conduit.example", "cross-site").cookie(Cookie::new("sid", "victim")).dispatch().await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(res.into_string().await.as_deref(), Some(r#"{"error":"csrf","reason":"cross_origin"}"#));

    // The trusted front-end (recipe: trusted_origins) may send its cookies.
    let res = login_from(&c, "http://localhost:4200", "same-site").cookie(Cookie::new("sid", "own")).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
}

#[rocket::async_test]
async fn an_unchecked_request_may_not_plant_a_cookie() {
    let buffer = capture::captured();
    let c = client().await;
    // Cross-site, without cookies: unchecked, but its answer sets one (login CSRF).
    let res = from_page(c.post("/api/session"), "https://conduit.example", "cross-site").dispatch().await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(res.headers().get_one("Set-Cookie"), None);
    assert_eq!(res.into_string().await.as_deref(), Some(r#"{"error":"csrf","reason":"cookie_on_header_auth_path"}"#));
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        out.lines().any(|l| l.contains(
            " WARN security: CSRF: refused the answer to POST \"/api/session\": cookie(s) [\"sid\"] set on a request \
             left unchecked without cookies (Sec-Fetch-Site: \"cross-site\"). A path in \
             security.csrf.header_auth_paths may not set cookies for another origin (login CSRF): take the path that \
             logs in with a cookie out of the list"
        )),
        "{out}"
    );
    // From the site itself the same request is checked, passes, and keeps its cookie.
    let res = c.post("/api/session").header(Header::new("Sec-Fetch-Site", "same-origin")).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.headers().get_one("Set-Cookie"), Some("sid=attacker-session; SameSite=Strict; Path=/"));
}

#[rocket::async_test]
async fn the_app_launches_beside_its_own_catchers_and_says_what_it_skipped() {
    let buffer = capture::captured();
    let _c = client().await;
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    for code in [401, 403] {
        let name = if code == 401 { "unauthorized" } else { "forbidden" };
        let line = format!(
            " INFO security: the application's catcher `{name}` answers {code} at \"/\": the crate's {code} catcher \
             is not registered (call `rocket_security::auth::auth_response(req)` from it for the login redirects \
             of the crate's guards)"
        );
        assert!(out.lines().any(|l| l.contains(&line)), "{line}\n{out}");
    }
}

// ------------------------------------------------ zero config: what the user is told

#[rocket::async_test]
async fn zero_config_refuses_the_front_end_and_says_how_to_fix_it() {
    let buffer = capture::captured();
    let c = Client::untracked(app(base())).await.unwrap();
    let res = login_from(&c, "https://conduit.example", "cross-site").dispatch().await;
    assert_eq!(res.status(), Status::Forbidden);
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let at_liftoff = " WARN security: this app answers CORS (GET /cors/<status>) but CSRF protection trusts no other \
                      origin: a browser front-end on another origin gets 403 on every POST, PUT, PATCH and DELETE. If \
                      it authenticates with a header (Authorization), never a cookie, add [default.security.csrf] \
                      header_auth_paths = [\"/api/**\"] (the API's paths); if with cookies, trusted_origins = \
                      [\"https://app.example\"] (its origins)";
    assert!(out.lines().any(|l| l.contains(at_liftoff)), "{out}");
    let at_refusal = " WARN security: CSRF refused a cross-origin POST \"/api/users/login\" whose Origin header claims \
                      https://conduit.example, sent as a script's CORS call: this app answers CORS, but a browser \
                      front-end on another origin gets 403 on every write. If https://conduit.example is your \
                      front-end, trust it: [default.security.csrf] trusted_origins = [\"https://conduit.example\"]; or, \
                      for an API authenticated by a header (Authorization), never a cookie: header_auth_paths = \
                      [\"/api/**\"] (the API's paths)";
    assert_eq!(out.lines().filter(|l| l.contains(at_refusal)).count(), 1, "{out}");
    // The fix in that line, pasted as it stands, lets the front-end in.
    let pasted = "[default.security.csrf]\ntrusted_origins = [\"https://conduit.example\"]";
    let c = Client::untracked(app(base().merge(Toml::string(pasted).nested()))).await.unwrap();
    let res = login_from(&c, "https://conduit.example", "cross-site").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_default_catcher_of_the_app_keeps_every_status() {
    #[catch(default)]
    fn any(status: Status, _: &Request<'_>) -> String {
        format!("app says {}", status.code)
    }
    #[get("/forbid")]
    fn forbid() -> Status {
        Status::Forbidden
    }
    let rocket = rocket::custom(base())
        .attach(rocket_security::Security::fairing())
        .mount("/", routes![forbid])
        .register("/", catchers![any]);
    let c = Client::untracked(rocket).await.expect("no catcher collision");
    let res = c.get("/forbid").dispatch().await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(res.into_string().await.as_deref(), Some("app says 403"));
}

#[rocket::async_test]
async fn in_report_mode_the_planted_cookie_is_recorded_and_let_through() {
    let buffer = capture::captured();
    let figment = figment().merge(Toml::string("[default.security.csrf]\nmode = \"report\"").nested());
    let c = Client::untracked(app(figment)).await.unwrap();
    let res = from_page(c.post("/api/session"), "https://report-mode.example", "cross-site").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.headers().get_one("Set-Cookie"), Some("sid=attacker-session; SameSite=Strict; Path=/"));
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let want = " INFO security: report mode: csrf would refuse POST \"/api/session\" (cookie_on_header_auth_path: \
                \"cookie(s) [\\\"sid\\\"] set on a request left unchecked without cookies (Sec-Fetch-Site: \
                \\\"cross-site\\\")\"); letting it through";
    assert_eq!(out.lines().filter(|l| l.ends_with(want)).count(), 1, "{out}");
}
