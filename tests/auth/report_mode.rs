//! Report mode (`mode = "report"`) for every control that refuses requests:
//! the same request refused with its exact status in enforce mode, admitted
//! in report mode with the exact log line and one more in the counter.

use rocket::http::{ContentType, Cookie, Header, Status};
use rocket_security::core::{observations, Observation};

use crate::app::{build, build_with, db_file, App};

use crate::capture::captured;

/// How many `security` INFO lines end with `text`.
fn logged(text: &str) -> usize {
    let out = String::from_utf8(captured().0.lock().unwrap().clone()).unwrap();
    out.lines().filter(|l| l.contains(" INFO security: ") && l.ends_with(text)).count()
}

fn counted(app: &App) -> Vec<(&'static str, &'static str, u64)> {
    observations(app.client.rocket()).into_iter().map(|o: Observation| (o.control, o.reason, o.count)).collect()
}

#[rocket::async_test]
async fn csrf() {
    captured();
    let cross = || Header::new("Sec-Fetch-Site", "cross-site");
    let enforce = build("", false, db_file()).await;
    assert_eq!(enforce.client.post("/transfer").header(cross()).dispatch().await.status(), Status::Forbidden);
    assert_eq!(enforce.runs(), 0);

    let report = build("[default.security.csrf]\nmode = \"report\"", false, db_file()).await;
    let res = report.client.post("/transfer").header(cross()).dispatch().await;
    assert_eq!((res.status(), res.into_string().await.as_deref()), (Status::Ok, Some("transferred")));
    assert_eq!(report.runs(), 1);
    assert_eq!(counted(&report), [("csrf", "cross_origin", 1)]);
    let line =
        "report mode: csrf would refuse POST \"/transfer\" (cross_origin: \"Sec-Fetch-Site: \\\"cross-site\\\"\"); \
                letting it through";
    assert!(logged(line) >= 1, "{line}");
    let o = observations(report.client.rocket()).remove(0);
    assert_eq!(o.examples, ["POST /transfer (Sec-Fetch-Site: \"cross-site\")"]);
}

#[rocket::async_test]
async fn allowed_hosts() {
    captured();
    let toml = "[default.security]\nallowed_hosts = [\"www.example.com\"]";
    let host = || Header::new("Host", "evil-report-mode.example");
    let enforce = build(toml, false, db_file()).await;
    assert_eq!(enforce.client.get("/open").header(host()).dispatch().await.status(), Status::BadRequest);

    let report = build(&format!("{toml}\nallowed_hosts_mode = \"report\""), false, db_file()).await;
    let res = report.client.get("/open").header(host()).dispatch().await;
    assert_eq!((res.status(), res.into_string().await.as_deref()), (Status::Ok, Some("open")));
    assert_eq!(counted(&report), [("allowed_hosts", "host_not_allowed", 1)]);
    let line = "report mode: allowed_hosts would refuse GET \"/open\" (host_not_allowed: \
                \"evil-report-mode.example\"); letting it through";
    assert_eq!(logged(line), 1, "{line}");
}

#[rocket::async_test]
async fn require_login() {
    captured();
    let enforce = build("", true, db_file()).await;
    assert_eq!(enforce.client.get("/open").dispatch().await.status(), Status::SeeOther);

    let report = build("[default.security.auth]\nmode = \"report\"", true, db_file()).await;
    let res = report.client.get("/open?deny-report").dispatch().await;
    assert_eq!((res.status(), res.into_string().await.as_deref()), (Status::Ok, Some("open")));
    assert_eq!(counted(&report), [("require_login", "not_logged_in", 1)]);
    assert!(
        logged(
            "report mode: require_login would refuse GET \"/open\" (not_logged_in: \"no logged-in user\"); letting it through"
        ) >= 1
    );
    // A logged-in user is not counted.
    assert_eq!(report.get_as("/open", Some("alice"), &[]).await.status(), Status::Ok);
    assert_eq!(counted(&report), [("require_login", "not_logged_in", 1)]);
}

#[rocket::async_test]
async fn ajax_only() {
    captured();
    let enforce = build("", false, db_file()).await;
    assert_eq!(enforce.client.get("/ajax").dispatch().await.status(), Status::Forbidden);

    let report = build("[default.security.auth]\najax_mode = \"report\"", false, db_file()).await;
    let res = report.client.get("/ajax").header(Header::new("Sec-Fetch-Mode", "navigate")).dispatch().await;
    assert_eq!((res.status(), res.into_string().await.as_deref()), (Status::Ok, Some("ajax")));
    let ok = report.client.get("/ajax").header(Header::new("X-Requested-With", "XMLHttpRequest")).dispatch().await;
    assert_eq!(ok.status(), Status::Ok);
    assert_eq!(counted(&report), [("ajax_only", "not_ajax", 1)], "a script's request is not counted");
    assert_eq!(
        logged(
            "report mode: ajax_only would refuse GET \"/ajax\" (not_ajax: \"X-Requested-With: -, Sec-Fetch-Mode: \
             navigate\"); letting it through"
        ),
        1
    );
}

async fn login(app: &App, user: &str, password: &str) -> Status {
    let body = format!("username={user}&password={password}");
    app.client.post("/login").header(ContentType::Form).body(body).dispatch().await.status()
}

#[rocket::async_test]
async fn login_throttle() {
    captured();
    let enforce = build("", false, db_file()).await;
    for _ in 0..3 {
        assert_eq!(login(&enforce, "carol", "wrong").await, Status::Ok);
    }
    assert_eq!(login(&enforce, "carol", "right").await, Status::TooManyRequests);

    let report = build("[default.security.throttle]\nmode = \"report\"", false, db_file()).await;
    for _ in 0..3 {
        assert_eq!(login(&report, "carol", "wrong").await, Status::Ok);
    }
    assert_eq!(login(&report, "carol", "wrong").await, Status::Ok, "the 4th attempt reaches the password check");
    assert_eq!(counted(&report), [("login_throttle", "throttled", 1)]);
    assert!(
        logged(
            "report mode: login_throttle would refuse POST \"/login\" (throttled: \"5 s due: 3 failures for the \
             account, 3 for the address\"); letting it through"
        ) >= 1
    );
}

#[rocket::async_test]
async fn password_change() {
    captured();
    let enforce = build("", false, db_file()).await;
    enforce.set_expired("bob").await;
    assert_eq!(enforce.get_as("/account", Some("bob"), &[]).await.status(), Status::SeeOther);

    // The global check and the route's guard both see it: counted once per request.
    let report = build_with("[default.security.password]\nmode = \"report\"", false, true, db_file()).await;
    report.set_expired("bob").await;
    let res = report.client.get("/account").cookie(Cookie::new("user_id", "bob")).dispatch().await;
    let body = res.into_string().await;
    assert_eq!(body.as_deref(), Some("account bob, password expires in 0 days"), "the handler ran");
    assert_eq!(counted(&report), [("password_change", "expired", 1)]);
    assert!(
        logged(
            "report mode: password_change would refuse GET \"/account\" (expired: \"the password has expired\"); \
             letting it through"
        ) >= 1
    );
}

#[rocket::async_test]
async fn a_mode_that_is_neither_fails_ignite_naming_the_key() {
    let figment =
        rocket::figment::Figment::from(rocket::Config::debug_default()).merge(("security.csrf.mode", "watch"));
    let e = rocket_security::SecurityConfig::from_figment(&figment).unwrap_err();
    assert_eq!(
        e.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["`security.csrf.mode`: \"watch\" is not a mode; use \"enforce\" (refuse) or \"report\" (let the request go \
          on and record what would have been refused)"]
    );
}

/// Polls (bounded) until the database holds `hits` for the pair.
async fn wait_for_hits(pool: &rocket_security::db::SecurityPool, control: &str, reason: &str, hits: i64) -> i64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mut conn = pool.conn().await.unwrap();
        let rows = rocket_security::db::WouldRefuse::all(&mut conn).await.unwrap();
        let seen = rows.iter().find(|r| r.control == control && r.reason == reason).map_or(0, |r| r.hits);
        if seen >= hits || std::time::Instant::now() > deadline {
            return seen;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[rocket::async_test]
async fn two_instances_sum_their_counters_in_the_database_on_every_backend() {
    let dbs = crate::backends::isolated().await;
    let toml = "[default.security.csrf]\nmode = \"report\"";
    for db in &dbs {
        let a = crate::app::build_at(toml, false, false, &db.url, db_file()).await;
        let b = crate::app::build_at(toml, false, false, &db.url, db_file()).await;
        for (app, n) in [(&a, 2), (&b, 3)] {
            for _ in 0..n {
                let res =
                    app.client.post("/transfer").header(Header::new("Origin", "https://evil.example")).dispatch().await;
                assert_eq!(res.status(), Status::Ok, "{}", db.name);
            }
        }
        assert_eq!(counted(&a), [("csrf", "cross_origin", 2)], "{}", db.name);
        assert_eq!(counted(&b), [("csrf", "cross_origin", 3)], "{}", db.name);
        assert_eq!(wait_for_hits(&db.pool, "csrf", "cross_origin", 5).await, 5, "{}", db.name);
        let mut conn = db.pool.conn().await.unwrap();
        let row = rocket_security::db::WouldRefuse::all(&mut conn).await.unwrap().remove(0);
        assert_eq!(row.examples[0], "POST /transfer (Origin: \"https://evil.example\" (not this site's origin))");
        drop((a, b));
    }
    crate::backends::drop_isolated(dbs).await;
}
