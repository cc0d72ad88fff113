//! Session expiry (django-security §7.5, fixed): exact Set-Cookie lines.

use chrono::Duration;
use rocket::http::{Cookie, Status};
use rocket::local::asynchronous::LocalResponse;

use crate::app::{app, location, set_cookies, App};

const ON: &str = "[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\nidle_timeout = 1800\n\
                  absolute_timeout = 28800\nrefresh_interval = 60";

const REMOVALS: [&str; 2] = [
    "security_session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    "user_id=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
];

/// The stamp cookie from a response.
fn stamp(res: &LocalResponse<'_>) -> Option<String> {
    set_cookies(res).into_iter().find(|c| c.starts_with("security_session=") && !c.contains("Max-Age=0"))
}

/// Logs alice in; returns the stamp the login response carried.
async fn login(app: &App) -> String {
    let res = app.client.get("/test-login/alice").dispatch().await;
    value(&stamp(&res).expect("the login response carries a stamp"))
}

async fn visit<'a>(app: &'a App, path: &str, stamp_value: Option<&str>) -> LocalResponse<'a> {
    visit_as(app, "alice", path, stamp_value).await
}

async fn visit_as<'a>(app: &'a App, user: &str, path: &str, stamp_value: Option<&str>) -> LocalResponse<'a> {
    let mut req = app.client.get(path.to_string()).cookie(Cookie::new("user_id", user.to_string()));
    if let Some(s) = stamp_value {
        req = req.cookie(Cookie::new("security_session", s.to_string()));
    }
    req.dispatch().await
}

fn value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string()
}

#[rocket::async_test]
async fn anonymous_visitors_get_no_cookie_at_all() {
    let app = app(ON).await;
    let res = app.client.get("/open").dispatch().await;
    assert_eq!(set_cookies(&res), Vec::<String>::new());
}

#[rocket::async_test]
async fn the_login_response_gets_an_encrypted_browser_session_stamp() {
    let app = app(ON).await;
    let res = app.client.get("/test-login/alice").dispatch().await;
    let cookies = set_cookies(&res);
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    // The application's own cookie, with HttpOnly added: it is a session cookie.
    assert_eq!(cookies[0], "user_id=alice; SameSite=Strict; Path=/; HttpOnly", "the application's own cookie");
    let s = stamp(&res).expect("stamp");
    assert!(s.ends_with("; HttpOnly; SameSite=Lax; Path=/"), "{s}");
    assert!(!s.contains("Expires") && !s.contains("Max-Age"), "a browser-session cookie: {s}");
    assert!(!value(&s).contains(':'), "encrypted, not the plain timestamps: {s}");
    assert_eq!(visit(&app, "/home", Some(&value(&s))).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_logged_in_request_without_a_valid_stamp_counts_as_expired() {
    let app = app(ON).await;
    let alice = login(&app).await;
    for (user, stamp_value) in [("alice", None), ("alice", Some("0:0")), ("mallory", Some(alice.as_str()))] {
        let res = visit_as(&app, user, "/home", stamp_value).await;
        assert_eq!(res.status(), Status::SeeOther, "{user} {stamp_value:?}");
        assert_eq!(location(&res), Some("/login?next=/home&expired=unverified"));
        assert_eq!(set_cookies(&res), REMOVALS, "dropping or moving the stamp never opens a fresh window");
    }
}

#[rocket::async_test]
async fn a_logout_response_drops_the_stamp() {
    let app = app(ON).await;
    let s = login(&app).await;
    let res = visit(&app, "/test-logout", Some(&s)).await;
    let cookies = set_cookies(&res);
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(
        cookies[0].starts_with("user_id=; ") && cookies[0].contains("Max-Age=0"),
        "the application's removal: {cookies:?}"
    );
    assert_eq!(cookies[1], REMOVALS[0]);
}

#[rocket::async_test]
async fn guards_fail_on_the_expiring_request_even_on_open_paths() {
    let app = app(&format!("{ON}\n[default.security.auth]\nallow = [\"/home\"]")).await;
    let s = login(&app).await;
    app.clock.advance(Duration::hours(1));
    let res = visit(&app, "/home", Some(&s)).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/home"));
    assert_eq!(set_cookies(&res), REMOVALS);
    assert_eq!(app.runs(), 0);
}

#[rocket::async_test]
async fn no_set_cookie_within_the_refresh_interval_then_a_new_stamp() {
    let app = app(ON).await;
    let first = login(&app).await;
    app.clock.advance(Duration::seconds(59));
    let res = visit(&app, "/home", Some(&first)).await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(set_cookies(&res), Vec::<String>::new());
    app.clock.advance(Duration::seconds(1));
    let res = visit(&app, "/home", Some(&first)).await;
    let second = value(&stamp(&res).expect("refreshed"));
    assert_ne!(first, second);
}

#[rocket::async_test]
async fn idle_sessions_expire_with_a_redirect_and_cookie_removal() {
    let app = app(ON).await;
    let s = login(&app).await;
    app.clock.advance(Duration::seconds(1801));
    let res = visit(&app, "/home", Some(&s)).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/home&expired=idle"));
    assert_eq!(set_cookies(&res), REMOVALS);
    assert_eq!(app.runs(), 0, "the handler did not run for the expired request");
}

#[rocket::async_test]
async fn the_absolute_timeout_fires_despite_steady_activity() {
    let app = app(ON).await;
    let mut s = login(&app).await;
    for _ in 0..(28_800 / 1200) {
        app.clock.advance(Duration::seconds(1200));
        let res = visit(&app, "/home", Some(&s)).await;
        assert_eq!(res.status(), Status::Ok);
        s = value(&stamp(&res).unwrap());
    }
    app.clock.advance(Duration::seconds(1));
    let res = visit(&app, "/home", Some(&s)).await;
    assert_eq!(location(&res), Some("/login?next=/home&expired=absolute"));
    assert_eq!(set_cookies(&res), REMOVALS);
}

#[rocket::async_test]
async fn on_open_paths_an_expired_session_is_removed_without_redirect() {
    let app = app(ON).await;
    let s = login(&app).await;
    app.clock.advance(Duration::hours(1));
    let res = visit(&app, "/login", Some(&s)).await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(set_cookies(&res), REMOVALS);
}

#[rocket::async_test]
async fn error_responses_keep_the_cookie_changes() {
    let app = app(ON).await;
    let s = login(&app).await;
    app.clock.advance(Duration::seconds(120));
    let res = visit(&app, "/no/such/page", Some(&s)).await;
    assert_eq!(res.status(), Status::NotFound);
    assert!(stamp(&res).is_some(), "the refreshed stamp is kept on a catcher response");
}

#[rocket::async_test]
async fn api_clients_get_json_on_expiry() {
    let app = app(ON).await;
    let s = login(&app).await;
    app.clock.advance(Duration::hours(1));
    let res = app
        .client
        .get("/home")
        .cookie(Cookie::new("user_id", "alice"))
        .cookie(Cookie::new("security_session", s))
        .header(rocket::http::Header::new("X-Requested-With", "XMLHttpRequest"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Unauthorized);
    assert_eq!(set_cookies(&res), REMOVALS);
    assert_eq!(res.into_string().await.as_deref(), Some(r#"{"login_url":"/login?next=/home&expired=idle"}"#));
}

#[rocket::async_test]
async fn the_status_endpoint_reports_seconds_left_without_counting_as_activity() {
    let app = app(ON).await;
    let s = login(&app).await;
    app.clock.advance(Duration::seconds(600));
    let res = visit(&app, "/security/session", Some(&s)).await;
    assert_eq!(set_cookies(&res), Vec::<String>::new());
    assert_eq!(
        res.into_string().await.as_deref(),
        Some(r#"{"absolute_seconds_left":28200,"idle_seconds_left":1200,"logged_in":true}"#)
    );
}

#[rocket::async_test]
async fn passive_paths_never_extend_a_session_but_its_idle_limit_holds_there() {
    let app = app(&format!("{ON}\npassive_paths = [\"/open\"]")).await;
    let s = login(&app).await;
    app.clock.advance(Duration::minutes(20));
    let res = visit(&app, "/open", Some(&s)).await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(set_cookies(&res), Vec::<String>::new(), "a poll is not activity: no new stamp");
    // 35 minutes since the last real activity: idle, on the polling path too.
    app.clock.advance(Duration::minutes(15));
    let res = visit(&app, "/open", Some(&s)).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/open&expired=idle"));
    assert_eq!(set_cookies(&res), REMOVALS);
}

#[rocket::async_test]
async fn the_absolute_limit_holds_on_passive_paths() {
    // The review's setting: idle 3 s, absolute 5 s, a polling API.
    let app = app("[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\nidle_timeout = 3\n\
                   absolute_timeout = 5\nrefresh_interval = 1\npassive_paths = [\"/home\"]")
    .await;
    let mut s = login(&app).await;
    for _ in 0..2 {
        // Real activity every 2 s keeps the session from idling.
        app.clock.advance(Duration::seconds(2));
        let res = visit(&app, "/custom-path", Some(&s)).await;
        assert_eq!(res.status(), Status::Ok);
        s = value(&stamp(&res).expect("refreshed"));
    }
    assert_eq!(visit(&app, "/home", Some(&s)).await.status(), Status::Ok, "4 s after the login");
    app.clock.advance(Duration::seconds(2));
    let res = visit(&app, "/home", Some(&s)).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/home&expired=absolute"));
}

#[rocket::async_test]
async fn clear_site_data_can_accompany_expiry() {
    let app = app(&format!("{ON}\nclear_site_data = true")).await;
    let s = login(&app).await;
    app.clock.advance(Duration::hours(1));
    let res = visit(&app, "/home", Some(&s)).await;
    assert_eq!(res.headers().get_one("Clear-Site-Data"), Some("\"cookies\""));
}

#[test]
fn without_a_secret_key_session_expiry_fails_a_release_ignite_with_the_fix() {
    let figment = rocket::figment::Figment::from(rocket::Config::release_default())
        .merge(("security.session.enabled", true))
        .merge(("security.allowed_hosts", ["www.example.com"]));
    let errors = rocket_security::SecurityConfig::from_figment(&figment).unwrap_err();
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["`secret_key`: session expiry encrypts its cookie with Rocket's `secret_key`, which is not set; add \
          `secret_key = \"...\"` (generate one with `openssl rand -base64 64 | tr -d '\\n'`) or set `security.session.enabled = false`"]
    );
    let ok = rocket::figment::Figment::from(rocket::Config::release_default())
        .merge(("security.session.enabled", true))
        .merge(("secret_key", crate::app::SECRET));
    assert!(rocket_security::SecurityConfig::from_figment(&ok).is_ok());
    // Debug, as Rocket itself does: a random key for this run.
    let debug =
        rocket::figment::Figment::from(rocket::Config::debug_default()).merge(("security.session.enabled", true));
    assert!(rocket_security::SecurityConfig::from_figment(&debug).is_ok());
}
