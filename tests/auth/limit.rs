//! The session limit (`security.session.max_per_user`): a login beyond it ends
//! the user's least recently active session, or is refused with a typed error;
//! parallel logins on two instances never get past it together.

use rocket::futures::future::join_all;
use rocket::http::{Cookie, Header, Status};

use crate::app::{location, set_cookies, App};
use crate::backends::unique;
use crate::registry::{app, cookie_value, live_rows, login, pair, visit, Held};

const LIMIT_2: &str = "[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\nmax_per_user = 2";
const REFUSE_2: &str =
    "[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\nmax_per_user = 2\non_limit = \"refuse\"";

/// Where the session the limit ended is sent on `/home`.
const ENDED_BY_LIMIT: &str = "/login?next=/home&expired=revoked&ended=session_limit:2";

/// The lines of the captured log that contain `needle`.
fn logged(needle: &str) -> Vec<String> {
    let log = String::from_utf8(crate::capture::captured().0.lock().unwrap().clone()).unwrap();
    log.lines().filter(|l| l.contains(needle)).map(str::to_string).collect()
}

/// The registry key of the session `user` started last (the newest row).
async fn newest(app: &App, user: &str) -> String {
    let rows = live_rows(app, user).await;
    rows.into_iter().max_by_key(|r| r.created_at).expect("a live session").id_hash
}

#[rocket::async_test]
async fn a_login_beyond_the_limit_ends_the_least_recently_active_session() {
    crate::capture::captured();
    let app = app(LIMIT_2).await;
    let user = unique("alice");
    let laptop = login(&app, &user, None).await;
    app.clock.advance(chrono::Duration::minutes(1));
    let phone = login(&app, &user, None).await;
    let phone_id = newest(&app, &user).await[..16].to_string();
    // The laptop is used again (its activity recorded): the phone is now the least recently active.
    app.clock.advance(chrono::Duration::minutes(2));
    let res = visit(&app, "/home", Some(&laptop)).await;
    assert_eq!(res.status(), Status::Ok);
    let laptop = Held { user: user.clone(), stamp: cookie_value(&res, "security_session").expect("refreshed") };
    let moved = || async { live_rows(&app, &user).await.iter().any(|r| r.last_seen > r.created_at) };
    for _ in 0..100 {
        if moved().await {
            break;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(moved().await, "the laptop's activity is recorded");

    let tablet = login(&app, &user, None).await;
    assert_eq!(live_rows(&app, &user).await.len(), 2);
    assert_eq!(visit(&app, "/home", Some(&laptop)).await.status(), Status::Ok);
    assert_eq!(visit(&app, "/home", Some(&tablet)).await.status(), Status::Ok);

    // The phone's next request is refused as revoked, and says why.
    let res = visit(&app, "/home", Some(&phone)).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some(ENDED_BY_LIMIT));
    assert!(set_cookies(&res).iter().any(|c| c.starts_with("user_id=; Path=/; Max-Age=0")));
    let api = app
        .client
        .get("/home")
        .cookie(Cookie::new("user_id", user.clone()))
        .cookie(Cookie::new("security_session", phone.stamp.clone()))
        .header(Header::new("Accept", "application/json"))
        .dispatch()
        .await;
    assert_eq!(api.status(), Status::Unauthorized);
    assert_eq!(api.into_string().await.unwrap(), format!(r#"{{"login_url":"{ENDED_BY_LIMIT}"}}"#));

    // The sessions page says which session ended, and why.
    let ended = visit(&app, "/test-ended", Some(&tablet)).await.into_string().await.unwrap();
    assert_eq!(
        ended,
        format!("{phone_id} session_limit:2: ended: the session limit (2) was reached at a later login\n")
    );

    assert_eq!(logged(&format!(" INFO security: session {phone_id} ended (session_limit:2)")).len(), 1);
    let refusal = " INFO security: session expired (revoked, ended: the session limit (2) was reached at a later \
                   login; login 2026-11-25 09:01:00 UTC, last activity 2026-11-25 09:01:00 UTC) on /home";
    assert!(!logged(refusal).is_empty(), "{:#?}", logged("session expired (revoked"));
}

#[rocket::async_test]
async fn with_on_limit_refuse_a_login_beyond_the_limit_gets_409_and_the_sessions_go_on() {
    crate::capture::captured();
    let app = app(REFUSE_2).await;
    let user = unique("bob");
    let first = login(&app, &user, None).await;
    let second = login(&app, &user, None).await;

    // A handler that only uses `?`: the error's responder answers 409, no session is issued.
    let res = app.client.get(format!("/test-login/{user}")).dispatch().await;
    assert_eq!(res.status(), Status::Conflict);
    assert_eq!(cookie_value(&res, "security_session"), None);
    // A handler that shows the typed error, and sets its login cookie only after a login.
    let res = app.client.get(format!("/test-login-says/{user}")).dispatch().await;
    assert_eq!(res.status(), Status::Conflict);
    assert_eq!(set_cookies(&res), Vec::<String>::new());
    assert_eq!(res.into_string().await.as_deref(), Some("signed in on 2 devices already"));

    assert_eq!(live_rows(&app, &user).await.len(), 2);
    assert_eq!(visit(&app, "/home", Some(&first)).await.status(), Status::Ok);
    assert_eq!(visit(&app, "/home", Some(&second)).await.status(), Status::Ok);
    let line = format!(
        " INFO security: login of user {user:?} refused: 2 live session(s), the limit \
         (security.session.max_per_user = 2, on_limit = \"refuse\")"
    );
    assert_eq!(logged(&line).len(), 2, "{:#?}", logged("refused: "));

    // Signing out of one makes room.
    assert_eq!(visit(&app, "/test-session-logout", Some(&first)).await.status(), Status::Ok);
    let res = app.client.get(format!("/test-login-says/{user}")).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
}

#[rocket::async_test]
async fn idle_and_timed_out_sessions_do_not_count() {
    let app = app(&format!("{REFUSE_2}\nidle_timeout = 600\nabsolute_timeout = 1800")).await;
    let user = unique("carol");
    let login_status = || async { app.client.get(format!("/test-login/{user}")).dispatch().await.status() };
    login(&app, &user, None).await;
    app.clock.advance(chrono::Duration::minutes(11));
    // The first is idle (its stamp is refused already): a second and a third fit.
    let mut two = [login(&app, &user, None).await, login(&app, &user, None).await];
    assert_eq!(login_status().await, Status::Conflict, "two live ones");
    // Both active every 5 minutes: they count until their absolute lifetime (30 min) is over.
    for _ in 0..6 {
        app.clock.advance(chrono::Duration::minutes(5));
        for held in &mut two {
            let res = visit(&app, "/home", Some(held)).await;
            assert_eq!(res.status(), Status::Ok);
            held.stamp = cookie_value(&res, "security_session").unwrap_or(held.stamp.clone());
        }
    }
    assert_eq!(login_status().await, Status::Conflict, "30 minutes after their login");
    app.clock.advance(chrono::Duration::minutes(1));
    assert_eq!(login_status().await, Status::Ok, "past it");
}

#[rocket::async_test]
async fn a_new_login_in_the_same_browser_replaces_its_session_and_is_never_refused() {
    let app = app(&REFUSE_2.replace("max_per_user = 2", "max_per_user = 1")).await;
    let user = unique("dave");
    let first = login(&app, &user, None).await;
    let again = login(&app, &user, Some(&first)).await;
    assert_eq!(visit(&app, "/home", Some(&again)).await.status(), Status::Ok);
    let res = visit(&app, "/home", Some(&first)).await;
    assert_eq!(location(&res), Some("/login?next=/home&expired=revoked"), "replaced: not the limit's doing");
    let ended = visit(&app, "/test-ended", Some(&again)).await.into_string().await.unwrap();
    assert!(ended.ends_with(" replaced: ended: a new login in the same browser replaced it\n"), "{ended}");
    // Another browser is refused: one session is the limit.
    assert_eq!(app.client.get(format!("/test-login/{user}")).dispatch().await.status(), Status::Conflict);
}

/// Eight logins of one user at once, four on each of two instances sharing
/// the database, under `max_per_user = 2`: the statuses, and the stamps issued.
async fn eight_parallel_logins(a: &App, b: &App, user: &str) -> Vec<(Status, Option<Held>)> {
    let logins = (0..8).map(|i| async move {
        let app = if i % 2 == 0 { a } else { b };
        let res = app.client.get(format!("/test-login/{user}")).dispatch().await;
        let stamp = cookie_value(&res, "security_session");
        (res.status(), stamp.map(|stamp| Held { user: user.to_string(), stamp }))
    });
    join_all(logins).await
}

/// Whether `held` is refused on `app` because the session limit ended it.
async fn ended_by_the_limit(app: &App, held: &Held) -> bool {
    let res = visit(app, "/home", Some(held)).await;
    (res.status(), location(&res)) == (Status::SeeOther, Some(ENDED_BY_LIMIT))
}

#[rocket::async_test]
async fn parallel_logins_on_two_instances_leave_exactly_the_limit_live_on_every_database() {
    // The databases the instances share: a SQLite file, and in CI PostgreSQL and MariaDB.
    for db in crate::backends::all().await {
        let url = db.url.clone();
        let (a, b) = pair(&url, &format!("{LIMIT_2}\nrevocation_check_ms = 0")).await;
        for round in 0..3 {
            let user = unique("eve");
            let answers = eight_parallel_logins(&a, &b, &user).await;
            assert!(answers.iter().all(|(s, h)| *s == Status::Ok && h.is_some()), "{url}: every login goes on");
            assert_eq!(live_rows(&a, &user).await.len(), 2, "{url}, round {round}: exactly the limit live");
            let (mut live, mut ended) = (0, 0);
            for (i, (_, held)) in answers.iter().enumerate() {
                let held = held.as_ref().unwrap();
                // Each asked on the instance that did not issue it.
                let other = if i % 2 == 0 { &b } else { &a };
                if visit(other, "/home", Some(held)).await.status() == Status::Ok {
                    live += 1;
                } else if ended_by_the_limit(other, held).await {
                    ended += 1;
                }
            }
            assert_eq!((live, ended), (2, 6), "{url}, round {round}");
        }
    }
}

#[rocket::async_test]
async fn parallel_logins_on_two_instances_with_refuse_admit_exactly_the_limit_on_every_database() {
    // The databases the instances share: a SQLite file, and in CI PostgreSQL and MariaDB.
    for db in crate::backends::all().await {
        let url = db.url.clone();
        let (a, b) = pair(&url, &format!("{REFUSE_2}\nrevocation_check_ms = 0")).await;
        for round in 0..3 {
            let user = unique("frank");
            let answers = eight_parallel_logins(&a, &b, &user).await;
            let admitted: Vec<&Held> =
                answers.iter().filter(|(s, _)| *s == Status::Ok).filter_map(|(_, h)| h.as_ref()).collect();
            let refused = answers.iter().filter(|(s, h)| *s == Status::Conflict && h.is_none()).count();
            assert_eq!(
                (admitted.len(), refused),
                (2, 6),
                "{url}, round {round}: {:?}",
                answers.iter().map(|a| a.0).collect::<Vec<_>>()
            );
            assert_eq!(live_rows(&a, &user).await.len(), 2, "{url}, round {round}");
            for held in admitted {
                assert_eq!(visit(&a, "/home", Some(held)).await.status(), Status::Ok, "{url}");
                assert_eq!(visit(&b, "/home", Some(held)).await.status(), Status::Ok, "{url}");
            }
        }
    }
}
