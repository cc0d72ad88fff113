//! Sessions on the server: logout ends them, login issues fresh ids,
//! revocations reach every instance within the bound, and a registry that
//! cannot answer refuses instead of admitting.

use std::time::Duration;

use rocket::http::{Cookie, Header, Status};
use rocket::local::asynchronous::LocalResponse;

use crate::app::{build_at, db_file, location, set_cookies, App};
use crate::backends::unique;

const ON: &str = "[default.security.session]\nenabled = true\ncookies = [\"user_id\"]";

/// The login cookies a client holds: the app's `user_id` and the stamp.
#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    pub user: String,
    pub stamp: String,
}

pub fn cookie_value(res: &LocalResponse<'_>, name: &str) -> Option<String> {
    set_cookies(res)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")) && !c.contains("Max-Age=0"))
        .map(|c| c.split(';').next().unwrap().split_once('=').unwrap().1.to_string())
}

pub async fn app(toml: &str) -> App {
    let file = db_file();
    let url = format!("sqlite://{}", file.display());
    build_at(toml, false, false, &url, file).await
}

pub async fn login(app: &App, user: &str, held: Option<&Held>) -> Held {
    let res = visit(app, &format!("/test-login/{user}"), held).await;
    assert_eq!(res.status(), Status::Ok);
    Held { user: user.to_string(), stamp: cookie_value(&res, "security_session").expect("a login issues a stamp") }
}

pub async fn visit<'a>(app: &'a App, path: &str, held: Option<&Held>) -> LocalResponse<'a> {
    let mut req = app.client.get(path.to_string());
    if let Some(h) = held {
        req =
            req.cookie(Cookie::new("user_id", h.user.clone())).cookie(Cookie::new("security_session", h.stamp.clone()));
    }
    req.dispatch().await
}

/// The answer to a refused session on `/home`.
fn revoked(res: &LocalResponse<'_>) -> bool {
    res.status() == Status::SeeOther && location(res) == Some("/login?next=/home&expired=revoked")
}

#[rocket::async_test]
async fn copied_cookies_are_refused_after_logout() {
    let app = app(ON).await;
    let held = login(&app, "alice", None).await;
    assert_eq!(visit(&app, "/home", Some(&held)).await.status(), Status::Ok);

    let res = visit(&app, "/test-session-logout", Some(&held)).await;
    assert_eq!(res.status(), Status::Ok);
    assert!(set_cookies(&res).iter().any(|c| c.starts_with("security_session=; Path=/; Max-Age=0")));

    // The copied pair (app cookie + stamp) is refused, and its cookies removed.
    let res = visit(&app, "/home", Some(&held)).await;
    assert!(revoked(&res), "{:?} {:?}", res.status(), location(&res));
    let removed = set_cookies(&res);
    assert!(removed.iter().any(|c| c.starts_with("user_id=; Path=/; Max-Age=0")), "{removed:?}");
    let api = app
        .client
        .get("/home")
        .cookie(Cookie::new("user_id", "alice"))
        .cookie(Cookie::new("security_session", held.stamp.clone()))
        .header(Header::new("Accept", "application/json"))
        .dispatch()
        .await;
    assert_eq!(api.status(), Status::Unauthorized);
    assert_eq!(api.into_string().await.as_deref(), Some(r#"{"login_url":"/login?next=/home&expired=revoked"}"#));
}

#[rocket::async_test]
async fn removing_the_login_cookie_also_ends_the_session_on_the_server() {
    let app = app(ON).await;
    let held = login(&app, "alice", None).await;
    assert_eq!(visit(&app, "/test-logout", Some(&held)).await.status(), Status::Ok);
    assert!(revoked(&visit(&app, "/home", Some(&held)).await));
}

#[rocket::async_test]
async fn a_login_always_issues_a_new_session_and_ends_the_one_before() {
    let app = app(ON).await;
    let first = login(&app, "alice", None).await;
    // Logging in again while presenting the first session (or one an attacker planted).
    let second = login(&app, "alice", Some(&first)).await;
    assert_ne!(first.stamp, second.stamp);
    assert!(revoked(&visit(&app, "/home", Some(&first)).await), "the earlier session is not kept");
    assert_eq!(visit(&app, "/home", Some(&second)).await.status(), Status::Ok);
    let list = visit(&app, "/test-sessions", Some(&second)).await.into_string().await.unwrap();
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.contains(" true "), "the live session is the current one: {list}");
}

#[rocket::async_test]
async fn re_setting_the_login_cookie_never_extends_the_absolute_limit() {
    let app = app(ON).await;
    let mut held = login(&app, "alice", None).await;
    // Steady activity every 20 minutes, each response re-setting the login cookie.
    for step in 1..=24 {
        app.clock.advance(chrono::Duration::minutes(20));
        let res = visit(&app, "/test-set-cookie/alice", Some(&held)).await;
        assert_eq!(res.status(), Status::Ok, "step {step}: within 8 hours of the login");
        if let Some(s) = cookie_value(&res, "security_session") {
            held.stamp = s;
        }
    }
    app.clock.advance(chrono::Duration::minutes(20));
    let res = visit(&app, "/home", Some(&held)).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/home&expired=absolute"));
}

#[rocket::async_test]
async fn a_login_cookie_set_without_sessions_login_issues_no_session() {
    let app = app(ON).await;
    let res = visit(&app, "/test-set-cookie/alice", None).await;
    assert_eq!(cookie_value(&res, "security_session"), None);
    let res = app.get_as("/home", Some("alice"), &[]).await;
    assert_eq!(location(&res), Some("/login?next=/home&expired=unverified"));
}

#[rocket::async_test]
async fn a_registry_that_cannot_answer_refuses_with_503() {
    let app = app(&format!("{ON}\nrevocation_check_ms = 0")).await;
    let held = login(&app, "alice", None).await;
    assert_eq!(visit(&app, "/home", Some(&held)).await.status(), Status::Ok);
    drop_sessions_table(&app).await;

    let res = visit(&app, "/home", Some(&held)).await;
    assert_eq!(res.status(), Status::ServiceUnavailable);
    assert_eq!(res.headers().get_one("Retry-After"), Some("5"));
    assert_eq!(set_cookies(&res), Vec::<String>::new(), "the session is not ended, only not trusted now");
    // Pages that need no session keep working.
    assert_eq!(app.get_as("/open", None, &[]).await.status(), Status::Ok);
    assert_eq!(visit(&app, "/login", Some(&held)).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn fail_open_admits_when_the_registry_cannot_answer() {
    let app = app(&format!("{ON}\nrevocation_check_ms = 0\nfail_open = true")).await;
    let held = login(&app, "alice", None).await;
    drop_sessions_table(&app).await;
    assert_eq!(visit(&app, "/home", Some(&held)).await.status(), Status::Ok);
}

/// Breaks the registry under the running app (its SQLite file).
async fn drop_sessions_table(app: &App) {
    use diesel_async::SimpleAsyncConnection;
    use rocket_db_pools::Database;
    use rocket_security::db::{SecurityConn, SecurityDb, SecurityPool};
    let db = SecurityDb::fetch(app.client.rocket()).unwrap();
    let pool: &SecurityPool = db;
    match &mut pool.conn().await.unwrap() {
        SecurityConn::Sqlite(c) => c.batch_execute("DROP TABLE security_sessions").await.unwrap(),
        _ => unreachable!("the app runs on SQLite"),
    }
}

/// Two instances of the app on the database at `url`.
pub async fn pair(url: &str, toml: &str) -> (App, App) {
    let a = build_at(toml, false, false, url, std::env::temp_dir().join(unique("none"))).await;
    let b = build_at(toml, false, false, url, std::env::temp_dir().join(unique("none"))).await;
    (a, b)
}

pub const BOUND: Duration = Duration::from_millis(1100);

#[rocket::async_test]
async fn a_logout_on_one_instance_is_honoured_by_the_other_within_a_second() {
    // The databases the instances share: a SQLite file, and in CI PostgreSQL and MariaDB.
    for db in crate::backends::all().await {
        let url = db.url.clone();
        let (a, b) = pair(&url, ON).await;
        let user = unique("alice");
        let held = login(&a, &user, None).await;
        let home = |app| visit(app, "/home", Some(&held));
        assert_eq!(home(&b).await.status(), Status::Ok, "{url}: one stamp, every instance");
        assert_eq!(visit(&a, "/test-session-logout", Some(&held)).await.status(), Status::Ok);
        rocket::tokio::time::sleep(BOUND).await;
        let res = visit(&b, "/home", Some(&held)).await;
        assert!(revoked(&res), "{url}: {:?} {:?}", res.status(), location(&res));
    }
}

#[rocket::async_test]
async fn with_revocation_check_ms_0_the_other_instance_refuses_at_once() {
    // The databases the instances share: a SQLite file, and in CI PostgreSQL and MariaDB.
    for db in crate::backends::all().await {
        let url = db.url.clone();
        let (a, b) = pair(&url, &format!("{ON}\nrevocation_check_ms = 0")).await;
        let held = login(&a, &unique("alice"), None).await;
        assert_eq!(visit(&b, "/home", Some(&held)).await.status(), Status::Ok);
        assert_eq!(visit(&a, "/test-session-logout", Some(&held)).await.status(), Status::Ok);
        assert!(revoked(&visit(&b, "/home", Some(&held)).await), "{url}");
    }
}

#[rocket::async_test]
async fn revoke_others_ends_the_other_instances_session_and_keeps_this_one() {
    // The databases the instances share: a SQLite file, and in CI PostgreSQL and MariaDB.
    for db in crate::backends::all().await {
        let url = db.url.clone();
        let (a, b) = pair(&url, ON).await;
        let user = unique("alice");
        let on_a = login(&a, &user, None).await;
        let on_b = login(&b, &user, None).await;
        assert_eq!(visit(&b, "/home", Some(&on_b)).await.status(), Status::Ok);
        let res = visit(&a, "/test-revoke-others", Some(&on_a)).await;
        assert_eq!(res.into_string().await.as_deref(), Some("1"), "{url}");
        rocket::tokio::time::sleep(BOUND).await;
        assert!(revoked(&visit(&b, "/home", Some(&on_b)).await), "{url}");
        assert_eq!(visit(&a, "/home", Some(&on_a)).await.status(), Status::Ok, "{url}");
    }
}

#[rocket::async_test]
async fn revoke_all_ends_every_session_of_the_user() {
    // The databases the instances share: a SQLite file, and in CI PostgreSQL and MariaDB.
    for db in crate::backends::all().await {
        let url = db.url.clone();
        let (a, b) = pair(&url, ON).await;
        let user = unique("alice");
        let on_a = login(&a, &user, None).await;
        let on_b = login(&b, &user, None).await;
        let other = login(&b, &unique("bob"), None).await;
        assert_eq!(visit(&b, "/home", Some(&on_b)).await.status(), Status::Ok);
        let res = visit(&a, "/test-revoke-all", Some(&on_a)).await;
        assert_eq!(res.into_string().await.as_deref(), Some("2"), "{url}");
        assert!(revoked(&visit(&a, "/home", Some(&on_a)).await), "{url}: at once on this instance");
        rocket::tokio::time::sleep(BOUND).await;
        assert!(revoked(&visit(&b, "/home", Some(&on_b)).await), "{url}");
        assert_eq!(visit(&b, "/home", Some(&other)).await.status(), Status::Ok, "{url}: another user keeps theirs");
    }
}

#[rocket::async_test]
async fn one_session_is_ended_by_its_public_id_from_another_browser() {
    let app = app(ON).await;
    let phone = login(&app, "alice", None).await;
    let laptop = login(&app, "alice", None).await;
    let list = visit(&app, "/test-sessions", Some(&laptop)).await.into_string().await.unwrap();
    let phone_id = list.lines().find(|l| l.contains(" false ")).unwrap().split(' ').next().unwrap().to_string();
    assert_eq!(phone_id.len(), 16);
    let res = visit(&app, &format!("/test-revoke/{phone_id}"), Some(&laptop)).await;
    assert_eq!(res.into_string().await.as_deref(), Some("true"));
    assert!(revoked(&visit(&app, "/home", Some(&phone)).await));
    assert_eq!(visit(&app, "/home", Some(&laptop)).await.status(), Status::Ok);
    // Another user's id is not found.
    let bob = login(&app, "bob", None).await;
    let res = visit(&app, &format!("/test-revoke/{phone_id}"), Some(&bob)).await;
    assert_eq!(res.into_string().await.as_deref(), Some("false"));
}

#[rocket::async_test]
async fn a_tampered_stamp_is_a_logged_out_visitor_not_a_500() {
    let app = app(ON).await;
    let mut held = login(&app, "alice", None).await;
    held.stamp.replace_range(5..6, if &held.stamp[5..6] == "A" { "B" } else { "A" });
    let res = visit(&app, "/home", Some(&held)).await;
    assert_eq!(location(&res), Some("/login?next=/home&expired=unverified"));
    let junk = Held { user: "alice".into(), stamp: "%ff%00\u{7f}".into() };
    assert_eq!(visit(&app, "/home", Some(&junk)).await.status(), Status::SeeOther);
}

#[rocket::async_test]
async fn passive_paths_still_refuse_ended_and_unverified_sessions() {
    let app = app(&format!("{ON}\npassive_paths = [\"/home\"]")).await;
    let held = login(&app, "alice", None).await;
    assert_eq!(visit(&app, "/home", Some(&held)).await.status(), Status::Ok);
    assert_eq!(visit(&app, "/test-session-logout", Some(&held)).await.status(), Status::Ok);
    assert!(revoked(&visit(&app, "/home", Some(&held)).await), "a copied cookie on a polling path");
    let res = app.get_as("/home", Some("alice"), &[]).await;
    assert_eq!(location(&res), Some("/login?next=/home&expired=unverified"), "a login cookie without a stamp");
}

#[rocket::async_test]
async fn revoke_others_right_after_a_login_keeps_the_new_session() {
    let app = app(ON).await;
    let old = login(&app, "alice", None).await;
    let other = login(&app, "alice", None).await;
    let res = visit(&app, "/test-relogin/alice", Some(&old)).await;
    let fresh = Held { user: "alice".into(), stamp: cookie_value(&res, "security_session").expect("a new stamp") };
    assert_eq!(res.into_string().await.as_deref(), Some("1"), "only the other browser's session");
    assert_eq!(visit(&app, "/home", Some(&fresh)).await.status(), Status::Ok);
    assert!(revoked(&visit(&app, "/home", Some(&old)).await), "replaced at the login");
    assert!(revoked(&visit(&app, "/home", Some(&other)).await));
}

/// The registry rows of `user` (live ones), read from the app's database.
pub async fn live_rows(app: &App, user: &str) -> Vec<rocket_security::session::SessionRecord> {
    use rocket_db_pools::Database;
    let pool: &rocket_security::db::SecurityPool = rocket_security::db::SecurityDb::fetch(app.client.rocket()).unwrap();
    rocket_security::session::SessionRecord::list(pool, user).await.unwrap()
}

/// What the registry says of the session keyed `hash`.
pub async fn state(app: &App, hash: &str) -> rocket_security::session::SessionState {
    use rocket_db_pools::Database;
    let pool: &rocket_security::db::SecurityPool = rocket_security::db::SecurityDb::fetch(app.client.rocket()).unwrap();
    rocket_security::session::SessionRecord::state(pool, hash).await.unwrap()
}

/// Idle 10 minutes, the stamp rewritten at most once a minute.
const IDLE_600: &str = "[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\nidle_timeout = 600\n\
                        refresh_interval = 60";

#[rocket::async_test]
async fn an_idle_expiry_of_one_copy_ends_the_session_for_every_copy() {
    let app = app(IDLE_600).await;
    let victim = login(&app, "alice", None).await;
    let hash = live_rows(&app, "alice").await[0].id_hash.clone();
    // The attacker's copy keeps its own activity time fresh.
    app.clock.advance(chrono::Duration::seconds(300));
    let res = visit(&app, "/home", Some(&victim)).await;
    let attacker = Held { user: "alice".into(), stamp: cookie_value(&res, "security_session").expect("refreshed") };
    app.clock.advance(chrono::Duration::seconds(400));
    // The victim's copy, 700 s idle: expired, and ended in the registry before the answer.
    let res = visit(&app, "/home", Some(&victim)).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/home&expired=idle"));
    assert_eq!(state(&app, &hash).await, rocket_security::session::SessionState::Revoked { reason: "idle".into() });
    assert!(live_rows(&app, "alice").await.is_empty());
    // The copy refreshed 400 s ago is refused, now and after the victim logs in again.
    assert!(revoked(&visit(&app, "/home", Some(&attacker)).await));
    let again = login(&app, "alice", None).await;
    assert_eq!(visit(&app, "/home", Some(&again)).await.status(), Status::Ok);
    assert!(revoked(&visit(&app, "/home", Some(&attacker)).await), "still refused");
}

#[rocket::async_test]
async fn an_absolute_expiry_is_recorded_with_its_reason() {
    let app = app(IDLE_600).await;
    let mut held = login(&app, "alice", None).await;
    let hash = live_rows(&app, "alice").await[0].id_hash.clone();
    // Active every 5 minutes for 8 hours: never idle, then past the absolute limit.
    for _ in 0..96 {
        app.clock.advance(chrono::Duration::seconds(300));
        let res = visit(&app, "/home", Some(&held)).await;
        assert_eq!(res.status(), Status::Ok);
        held.stamp = cookie_value(&res, "security_session").expect("refreshed");
    }
    app.clock.advance(chrono::Duration::seconds(300));
    let res = visit(&app, "/home", Some(&held)).await;
    assert_eq!(location(&res), Some("/login?next=/home&expired=absolute"));
    assert_eq!(state(&app, &hash).await, rocket_security::session::SessionState::Revoked { reason: "absolute".into() });
}

#[rocket::async_test]
async fn an_expiry_seen_on_one_instance_is_honoured_by_the_other() {
    // The databases the instances share: a SQLite file, and in CI PostgreSQL and MariaDB.
    for db in crate::backends::all().await {
        let url = db.url.clone();
        let (a, b) = pair(&url, IDLE_600).await;
        let advance = |s: i64| {
            a.clock.advance(chrono::Duration::seconds(s));
            b.clock.advance(chrono::Duration::seconds(s));
        };
        let user = unique("alice");
        let victim = login(&a, &user, None).await;
        advance(300);
        // The attacker's copy, refreshed on instance b (which now trusts it for a second).
        let res = visit(&b, "/home", Some(&victim)).await;
        assert_eq!(res.status(), Status::Ok, "{url}");
        let attacker = Held { user: user.clone(), stamp: cookie_value(&res, "security_session").expect("refreshed") };
        advance(400);
        let res = visit(&a, "/home", Some(&victim)).await;
        assert_eq!(location(&res), Some("/login?next=/home&expired=idle"), "{url}");
        assert!(revoked(&visit(&a, "/home", Some(&attacker)).await), "{url}: at once on the instance that saw it");
        rocket::tokio::time::sleep(BOUND).await;
        let res = visit(&b, "/home", Some(&attacker)).await;
        assert!(revoked(&res), "{url}: {:?} {:?}", res.status(), location(&res));
    }
}

#[rocket::async_test]
async fn a_session_of_another_user_is_refused_with_this_users_cookie() {
    let app = app(ON).await;
    // The stamp is bound to the cookie `bob`, but the registry has the session as alice's.
    let res = app.client.get("/test-login-as/bob/alice").dispatch().await;
    let stamp = cookie_value(&res, "security_session").expect("a stamp");
    let held = Held { user: "bob".into(), stamp };
    let res = visit(&app, "/home", Some(&held)).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/home&expired=unverified"));
    assert_eq!(app.runs(), 0, "the handler never ran");
    let res = visit(&app, "/account", Some(&held)).await;
    assert_eq!(location(&res), Some("/login?next=/account&expired=unverified"), "MandatoryPasswordChange too");
    // The user the registry names passes.
    let own = login(&app, "bob", None).await;
    assert_eq!(visit(&app, "/home", Some(&own)).await.into_string().await.as_deref(), Some("home bob"));
}

#[rocket::async_test]
async fn deny_by_default_refuses_a_session_of_another_user() {
    let file = db_file();
    let url = format!("sqlite://{}", file.display());
    let app =
        build_at(&format!("{ON}\n[default.security.auth]\nallow = [\"/test-login-as/**\"]"), true, false, &url, file)
            .await;
    let res = app.client.get("/test-login-as/bob/alice").dispatch().await;
    let held = Held { user: "bob".into(), stamp: cookie_value(&res, "security_session").expect("a stamp") };
    let res = visit(&app, "/transfer-page", Some(&held)).await;
    assert_eq!(location(&res), Some("/login?next=/transfer-page&expired=unverified"));
}

#[rocket::async_test]
async fn an_expiry_the_registry_cannot_record_is_refused_and_logged_at_error() {
    crate::capture::captured();
    let app = app(IDLE_600).await;
    let held = login(&app, "alice", None).await;
    let id = live_rows(&app, "alice").await[0].id_hash[..16].to_string();
    drop_sessions_table(&app).await;
    app.clock.advance(chrono::Duration::seconds(700));
    let res = visit(&app, "/home", Some(&held)).await;
    assert_eq!(location(&res), Some("/login?next=/home&expired=idle"), "the expiry itself needs no registry");
    let log = String::from_utf8(crate::capture::captured().0.lock().unwrap().clone()).unwrap();
    let prefix = format!(" ERROR security: session {id} not ended on the server (idle): ");
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(&prefix)).collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(
        lines[0].ends_with("; other instances admit copies of its cookies until they expire themselves"),
        "{}",
        lines[0]
    );
}
