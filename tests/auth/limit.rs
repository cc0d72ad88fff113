//! The session limit (`security.session.max_per_user`): a login beyond it ends
//! the user's least recently active session, or is refused with a typed error;
//! parallel logins on two instances never get past it together.

use rocket::futures::future::join_all;
use rocket::http::{Cookie, Header, Status};

use rocket_security::db::SecurityConn;
use rocket_security::session::SessionState;

use crate::app::{build_at, location, set_cookies, App};
use crate::backends::unique;
use crate::registry::{app, cookie_value, live_rows, login, pair, state, visit, Held};

const LIMIT_2: &str = "[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\nmax_per_user = 2";
const REFUSE_2: &str =
    "[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\nmax_per_user = 2\non_limit = \"refuse\"";

/// Where the session the limit ended is sent on `/home`.
const ENDED_BY_LIMIT: &str = "/login?next=/home&expired=revoked&ended=session_limit:2";

/// The lines of the captured log that contain `needle`.
pub fn logged(needle: &str) -> Vec<String> {
    let log = String::from_utf8(crate::capture::captured().0.lock().unwrap().clone()).unwrap();
    log.lines().filter(|l| l.contains(needle)).map(str::to_string).collect()
}

/// The registry key of the session `user` started last (the newest row).
pub async fn newest(app: &App, user: &str) -> String {
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
    assert_eq!(set_cookies(&res), Vec::<String>::new(), "neither the stamp nor the handler's login cookie");
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

/// Waits until the activity of `n` live sessions of `user` is recorded at the
/// app's present time (the registry's last-seen writes run in tasks of their own).
async fn recorded(app: &App, user: &str, n: usize) {
    let now = rocket_security::core::Clock::now(&app.clock).naive_utc();
    let at_now = || async { live_rows(app, user).await.iter().filter(|r| r.last_seen == now).count() };
    for _ in 0..500 {
        if at_now().await == n {
            return;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{n} sessions of {user} active at {now}: {:?}", live_rows(app, user).await);
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
        recorded(&app, &user, 2).await;
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

#[rocket::async_test]
async fn first_logins_of_different_users_at_once_all_go_on_on_every_database() {
    // An empty lock table (a database of its own): on MariaDB every first login
    // then falls into one gap of the primary key.
    let dbs = crate::backends::isolated().await;
    for db in &dbs {
        let url = db.url.clone();
        let (a, b) = pair(&url, &format!("{LIMIT_2}\nrevocation_check_ms = 0")).await;
        for round in 0..3 {
            let users: Vec<String> = (0..16).map(|_| unique("first")).collect();
            let logins = users.iter().enumerate().map(|(i, user)| {
                let app = if i % 2 == 0 { &a } else { &b };
                async move { app.client.get(format!("/test-login/{user}")).dispatch().await.status() }
            });
            let statuses = join_all(logins).await;
            assert_eq!(statuses, [Status::Ok; 16], "{url}, round {round}");
            for user in &users {
                assert_eq!(live_rows(&a, user).await.len(), 1, "{url}, round {round}");
            }
        }
    }
    crate::backends::drop_isolated(dbs).await;
}

/// Runs `sql` on `conn` (a connection of its own: a transaction the app does not see).
async fn sql(conn: &mut SecurityConn, sql: &str) {
    use diesel_async::SimpleAsyncConnection;
    match conn {
        SecurityConn::Sqlite(c) => c.batch_execute(sql).await,
        #[cfg(feature = "postgres")]
        SecurityConn::Postgres(c) => c.batch_execute(sql).await,
        #[cfg(feature = "mysql")]
        SecurityConn::Mysql(c) => c.batch_execute(sql).await,
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The app on the database `db` (a server's, or a SQLite file it does not own).
async fn app_on(db: &crate::backends::TestDb, toml: &str) -> App {
    build_at(toml, false, false, &db.url, std::env::temp_dir().join(unique("none"))).await
}

const LOCK_HELD: &str =
    " ERROR security: the session registry is unavailable: the user's session lock was not granted \
                         within 5 s (another transaction holds it): no session was started";

#[rocket::async_test]
async fn a_login_waits_at_most_5_s_for_a_stalled_transaction_then_answers_503_on_every_database() {
    crate::capture::captured();
    let dbs = crate::backends::all().await;
    let runs = dbs.iter().map(|db| async move {
        let app = app_on(db, &format!("{LIMIT_2}\nrevocation_check_ms = 0")).await;
        let user = unique("stalled");
        login(&app, &user, None).await;
        // A transaction that stalls holding the user's lock row (on SQLite: the file's write lock).
        let mut holder = db.pool.conn().await.unwrap();
        if db.name == "sqlite" {
            sql(&mut holder, "BEGIN IMMEDIATE").await;
        } else {
            sql(&mut holder, "BEGIN").await;
            sql(
                &mut holder,
                &format!("UPDATE security_session_locks SET locked_at = locked_at WHERE user_id = '{user}'"),
            )
            .await;
            // Another user's logins do not wait: the lock is the user's row.
            let other = app.client.get(format!("/test-login/{}", unique("other"))).dispatch().await;
            assert_eq!(other.status(), Status::Ok, "{}", db.name);
        }
        let started = std::time::Instant::now();
        let attempt = app.client.get(format!("/test-login/{user}")).dispatch();
        let res = rocket::tokio::time::timeout(std::time::Duration::from_secs(15), attempt)
            .await
            .unwrap_or_else(|_| panic!("{}: the login still waits after 15 s", db.name));
        let waited = started.elapsed();
        assert_eq!(res.status(), Status::ServiceUnavailable, "{}", db.name);
        assert_eq!(set_cookies(&res), Vec::<String>::new(), "{}", db.name);
        assert!(
            waited >= std::time::Duration::from_millis(4500) && waited < std::time::Duration::from_secs(8),
            "{}: {waited:?}",
            db.name
        );
        sql(&mut holder, "ROLLBACK").await;
        assert_eq!(live_rows(&app, &user).await.len(), 1, "{}: no session started", db.name);
        // The transaction gone, the user logs in again.
        login(&app, &user, None).await;
    });
    join_all(runs).await;
    assert_eq!(logged(LOCK_HELD).len(), dbs.len(), "{:#?}", logged("the session registry is unavailable"));
}

#[rocket::async_test]
async fn a_database_failure_inside_a_limited_login_answers_503_and_changes_nothing() {
    crate::capture::captured();
    let app = app(&format!("{LIMIT_2}\nrevocation_check_ms = 0")).await;
    let user = unique("gina");
    let first = login(&app, &user, None).await;
    let second = login(&app, &user, None).await;
    // The third login's insert fails, after its transaction ended the first session to make room.
    use rocket_db_pools::Database;
    let db = rocket_security::db::SecurityDb::fetch(app.client.rocket()).unwrap();
    let mut conn = db.conn().await.unwrap();
    let trigger = format!(
        "CREATE TRIGGER fail_{n} BEFORE INSERT ON security_sessions WHEN NEW.user_id = '{user}' \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        n = user.replace('-', "_")
    );
    sql(&mut conn, &trigger).await;
    let res = app.client.get(format!("/test-login/{user}")).dispatch().await;
    assert_eq!(res.status(), Status::ServiceUnavailable);
    assert_eq!(set_cookies(&res), Vec::<String>::new(), "no stamp, nor the handler's login cookie");
    assert_eq!(live_rows(&app, &user).await.len(), 2, "rolled back: no new row, the first session not ended");
    assert_eq!(visit(&app, "/home", Some(&first)).await.status(), Status::Ok);
    assert_eq!(visit(&app, "/home", Some(&second)).await.status(), Status::Ok);
    let line = " ERROR security: the session registry is unavailable: database query failed: injected failure";
    assert_eq!(logged(line).len(), 1, "{:#?}", logged("the session registry is unavailable"));
}

const LIMIT_1: &str = "[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\nmax_per_user = 1\n\
                       revocation_check_ms = 0";

#[rocket::async_test]
async fn a_logout_committed_while_a_login_ends_that_session_keeps_its_own_reason() {
    for db in crate::backends::all().await {
        // SQLite: the login holds the file's write lock; no logout can come in between.
        if db.name == "sqlite" {
            continue;
        }
        let app = app_on(&db, LIMIT_1).await;
        let user = unique("hugo");
        login(&app, &user, None).await;
        let first = newest(&app, &user).await;
        // A logout of the first session, not committed yet: the next login counts it live.
        let mut logout = db.pool.conn().await.unwrap();
        sql(&mut logout, "BEGIN").await;
        let end = format!(
            "UPDATE security_sessions SET revoked_at = '2026-11-25 09:00:00', revoked_reason = 'logout' \
             WHERE id_hash = '{first}'"
        );
        sql(&mut logout, &end).await;
        let commit = async {
            rocket::tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            sql(&mut logout, "COMMIT").await;
        };
        let (res, ()) = rocket::tokio::join!(app.client.get(format!("/test-login/{user}")).dispatch(), commit);
        assert_eq!(res.status(), Status::Ok, "{}", db.name);
        assert_eq!(state(&app, &first).await, SessionState::Revoked { reason: "logout".into() }, "{}", db.name);
    }
}

#[rocket::async_test]
async fn a_login_that_postgresql_ends_as_a_deadlock_starts_again() {
    for db in crate::backends::all().await {
        // MariaDB ends either transaction of a deadlock (its retry is as old as the limit).
        if db.name != "postgres" {
            continue;
        }
        let app = app_on(&db, LIMIT_1).await;
        let user = unique("ines");
        login(&app, &user, None).await;
        let first = newest(&app, &user).await;
        // Another transaction holds the first session's row, then asks for the user's lock
        // row, which the login (ending the first session) holds: a deadlock. PostgreSQL
        // ends the transaction that waited longer, the login's, after deadlock_timeout (1 s).
        let mut other = db.pool.conn().await.unwrap();
        sql(&mut other, "BEGIN").await;
        sql(&mut other, &format!("UPDATE security_sessions SET last_seen = last_seen WHERE id_hash = '{first}'")).await;
        let cycle = async {
            rocket::tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            let lock = format!("UPDATE security_session_locks SET locked_at = locked_at WHERE user_id = '{user}'");
            sql(&mut other, &lock).await;
            sql(&mut other, "COMMIT").await;
        };
        let (res, ()) = rocket::tokio::join!(app.client.get(format!("/test-login/{user}")).dispatch(), cycle);
        assert_eq!(res.status(), Status::Ok, "the login started again after the deadlock");
        assert_eq!(state(&app, &first).await, SessionState::Revoked { reason: "session_limit:1".into() });
        assert_eq!(live_rows(&app, &user).await.len(), 1);
    }
}

#[derive(diesel::QueryableByName, Debug)]
struct LockRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    user_id: String,
}

/// The users with a lock row (`security_session_locks`).
async fn lock_rows(pool: &rocket_security::db::SecurityPool) -> Vec<String> {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.conn().await.unwrap();
    let q = diesel::sql_query("SELECT user_id FROM security_session_locks ORDER BY user_id");
    let rows: Vec<LockRow> = match &mut conn {
        SecurityConn::Sqlite(c) => q.load(&mut **c).await.unwrap(),
        #[cfg(feature = "postgres")]
        SecurityConn::Postgres(c) => q.load(&mut **c).await.unwrap(),
        #[cfg(feature = "mysql")]
        SecurityConn::Mysql(c) => q.load(&mut **c).await.unwrap(),
    };
    rows.into_iter().map(|r| r.user_id).collect()
}

#[rocket::async_test]
async fn pruning_deletes_the_lock_rows_of_users_not_logged_in_for_a_session_lifetime_only() {
    // Databases of their own: the prune deletes by time, whoever's rows they are.
    let dbs = crate::backends::isolated().await;
    for db in &dbs {
        let toml = format!("{LIMIT_2}\nidle_timeout = 600\nabsolute_timeout = 1800\nprune_interval = 1");
        let app = app_on(db, &toml).await;
        let (old, recent) = (unique("old"), unique("recent"));
        login(&app, &old, None).await;
        app.clock.advance(chrono::Duration::minutes(31));
        login(&app, &recent, None).await;
        // The prune runs every second.
        for _ in 0..40 {
            if lock_rows(&db.pool).await.len() < 2 {
                break;
            }
            rocket::tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(lock_rows(&db.pool).await, std::slice::from_ref(&recent), "{}", db.name);
        // The user whose row went logs in as before.
        login(&app, &old, None).await;
        assert_eq!(lock_rows(&db.pool).await.len(), 2, "{}", db.name);
    }
    crate::backends::drop_isolated(dbs).await;
}

#[rocket::async_test]
async fn without_a_session_limit_the_prune_leaves_the_lock_table_alone() {
    crate::capture::captured();
    // As an application that runs its own migrations and has not applied 000011.
    let app = app("[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\nprune_interval = 1").await;
    app.drop_table("security_session_locks").await;
    let user = unique("jules");
    login(&app, &user, None).await;
    let hash = newest(&app, &user).await;
    app.clock.advance(chrono::Duration::hours(9));
    for _ in 0..40 {
        if state(&app, &hash).await == SessionState::Unknown {
            break;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state(&app, &hash).await, SessionState::Unknown, "pruned");
    // One more round of the prune, then its log.
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(logged("security_session_locks"), Vec::<String>::new());
}
