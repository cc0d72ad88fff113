//! Login throttling (django-security §7.11).

use chrono::Duration;
use rocket::http::{ContentType, Status};

use crate::app::{build, db_file, App};

async fn login(app: &App, user: &str, password: &str) -> (Status, Option<String>, String) {
    let res = app
        .client
        .post("/login")
        .header(ContentType::Form)
        .body(format!("username={user}&password={password}"))
        .dispatch()
        .await;
    let retry = res.headers().get_one("Retry-After").map(str::to_string);
    (res.status(), retry, res.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn the_third_failure_delays_the_account_by_five_seconds() {
    let app = crate::app::app("").await;
    for _ in 0..2 {
        assert_eq!(login(&app, "alice", "wrong").await.2, "wrong password");
    }
    assert_eq!(login(&app, "alice", "wrong").await.2, "wrong password", "no delay before the third failure");
    let (status, retry, body) = login(&app, "alice", "right").await;
    assert_eq!(status, Status::TooManyRequests);
    assert_eq!(retry.as_deref(), Some("5"));
    assert_eq!(
        body,
        "Due to the failure of previous attempts, your login request has been denied as a security precaution. \
         Please try again in at least 5 seconds."
    );
    app.clock.advance(Duration::seconds(5));
    assert_eq!(login(&app, "alice", "right").await.2, "logged in");
}

#[rocket::async_test]
async fn success_resets_the_counter_and_usernames_are_case_insensitive() {
    let app = crate::app::app("").await;
    for _ in 0..3 {
        login(&app, "Alice", "wrong").await;
    }
    assert_eq!(login(&app, "ALICE", "right").await.0, Status::TooManyRequests);
    app.clock.advance(Duration::seconds(5));
    assert_eq!(login(&app, "alice", "right").await.2, "logged in");
    for _ in 0..2 {
        login(&app, "alice", "wrong").await;
    }
    assert_eq!(login(&app, "alice", "right").await.2, "logged in", "the counter restarted at 0");
}

#[rocket::async_test]
async fn throttling_can_be_switched_off() {
    let app = crate::app::app("[default.security.throttle]\nenabled = false").await;
    for _ in 0..10 {
        login(&app, "alice", "wrong").await;
    }
    assert_eq!(login(&app, "alice", "right").await.2, "logged in");
}

#[rocket::async_test]
async fn two_instances_share_the_counters_in_the_database() {
    let file = db_file();
    let toml = "[default.security.throttle]\nstorage = \"database\"";
    let a = build(toml, false, file.clone()).await;
    let b = build(toml, false, file).await;
    for _ in 0..3 {
        assert_eq!(login(&a, "shared", "wrong").await.2, "wrong password");
    }
    let (status, retry, _) = login(&b, "shared", "right").await;
    assert_eq!(status, Status::TooManyRequests, "instance b sees instance a's failures");
    assert_eq!(retry.as_deref(), Some("5"));
}

#[rocket::async_test]
async fn parallel_attempts_cannot_slip_past_the_check() {
    let app = crate::app::app("").await;
    let attempts = (0..10).map(|_| login(&app, "alice", "wrong"));
    let results = rocket::futures::future::join_all(attempts).await;
    let admitted = results.iter().filter(|r| r.2 == "wrong password").count();
    let refused = results.iter().filter(|r| r.0 == Status::TooManyRequests).count();
    assert_eq!((admitted, refused), (3, 7), "only the first three attempts were admitted");
}

/// Logs in from `peer`.
async fn login_from(app: &App, peer: &str, user: &str, password: &str) -> Status {
    app.client
        .post("/login")
        .remote(peer.parse().unwrap())
        .header(ContentType::Form)
        .body(format!("username={user}&password={password}"))
        .dispatch()
        .await
        .status()
}

#[rocket::async_test]
async fn a_successful_login_does_not_clear_the_addresss_failures() {
    // A password spray: many usernames from one address, with one valid account in between.
    let app = crate::app::app("[default.security.throttle]\nip_threshold = 5").await;
    let peer = "198.51.100.7:4000";
    for i in 0..5 {
        assert_eq!(login_from(&app, peer, &format!("victim{i}"), "wrong").await, Status::Ok);
    }
    assert_eq!(login_from(&app, peer, "attacker", "right").await, Status::TooManyRequests, "the address waits");
    app.clock.advance(Duration::seconds(6));
    assert_eq!(login_from(&app, peer, "attacker", "right").await, Status::Ok, "admitted after the delay");
    // The success cleared the account's counter only: the address is still delayed.
    assert_eq!(login_from(&app, peer, "victim9", "wrong").await, Status::TooManyRequests);
}

#[rocket::async_test]
async fn ipv6_clients_are_counted_by_their_64() {
    let app = crate::app::app("[default.security.throttle]\nip_threshold = 5").await;
    for i in 0..5 {
        let peer = format!("[2001:db8:1:2::{:x}]:4000", i + 1);
        assert_eq!(login_from(&app, &peer, &format!("v{i}"), "wrong").await, Status::Ok);
    }
    assert_eq!(login_from(&app, "[2001:db8:1:2::ffff]:4000", "other", "wrong").await, Status::TooManyRequests);
    assert_eq!(login_from(&app, "[2001:db8:1:3::1]:4000", "other", "wrong").await, Status::Ok, "another /64");
}

#[rocket::async_test]
async fn unreadable_counters_refuse_the_login_with_503_unless_fail_open() {
    let app = crate::app::app("[default.security.throttle]\nstorage = \"database\"").await;
    assert_eq!(login(&app, "alice", "right").await.2, "logged in");
    app.drop_table("security_login_attempts").await;
    let (status, retry, body) = login(&app, "alice", "right").await;
    assert_eq!((status, retry.as_deref()), (Status::ServiceUnavailable, Some("5")));
    assert_eq!(body, "Login is unavailable right now; please try again shortly.");
    let open = crate::app::app("[default.security.throttle]\nstorage = \"database\"\nfail_open = true").await;
    open.drop_table("security_login_attempts").await;
    assert_eq!(login(&open, "alice", "right").await.2, "logged in");
}

#[rocket::async_test]
async fn parallel_failures_on_two_instances_admit_exactly_three_on_every_database() {
    let toml = "[default.security.throttle]\nstorage = \"database\"";
    for db in crate::backends::all().await {
        let a = crate::app::build_at(toml, false, false, &db.url, std::env::temp_dir().join("none-a")).await;
        let b = crate::app::build_at(toml, false, false, &db.url, std::env::temp_dir().join("none-b")).await;
        let user = crate::backends::unique("target");
        // 16 wrong passwords at once, half on each instance, one database.
        let attempts = (0..16).map(|i| login(if i % 2 == 0 { &a } else { &b }, &user, "wrong"));
        let results = rocket::futures::future::join_all(attempts).await;
        let admitted = results.iter().filter(|r| r.2 == "wrong password").count();
        let refused = results.iter().filter(|r| r.0 == Status::TooManyRequests).count();
        assert_eq!((admitted, refused), (3, 13), "{}: exactly three reached the password check", db.name);
    }
}

/// Every row of `security_login_attempts` (the database is the test's own).
async fn counter_rows(pool: &rocket_security::db::SecurityPool) -> i64 {
    use diesel::sql_types::BigInt;
    use diesel_async::RunQueryDsl;
    use rocket_security::db::SecurityConn;
    // The table is the crate's own (no public schema): read it with SQL.
    let query = diesel::select(diesel::dsl::sql::<BigInt>("(SELECT COUNT(*) FROM security_login_attempts)"));
    match &mut pool.conn().await.unwrap() {
        #[cfg(feature = "sqlite")]
        SecurityConn::Sqlite(c) => query.get_result(&mut **c).await.unwrap(),
        #[cfg(feature = "postgres")]
        SecurityConn::Postgres(c) => query.get_result(&mut **c).await.unwrap(),
        #[cfg(feature = "mysql")]
        SecurityConn::Mysql(c) => query.get_result(&mut **c).await.unwrap(),
    }
}

#[rocket::async_test]
async fn a_throttled_address_makes_no_row_for_the_usernames_it_tries_on_every_database() {
    let toml = "[default.security.throttle]\nstorage = \"database\"\nip_threshold = 3";
    let dbs = crate::backends::isolated().await;
    for db in &dbs {
        let app = crate::app::build_at(toml, false, false, &db.url, std::env::temp_dir().join("none")).await;
        let peer = "198.51.100.7:4000";
        for i in 0..3 {
            assert_eq!(login_from(&app, peer, &format!("user{i}"), "wrong").await, Status::Ok, "{}", db.name);
        }
        assert_eq!(counter_rows(&db.pool).await, 4, "{}: three usernames and the address", db.name);
        // A spray from the throttled address: every attempt a new username.
        for i in 3..303 {
            assert_eq!(login_from(&app, peer, &format!("user{i}"), "wrong").await, Status::TooManyRequests);
        }
        assert_eq!(counter_rows(&db.pool).await, 4, "{}: a refused attempt writes no row", db.name);
    }
    crate::backends::drop_isolated(dbs).await;
}
