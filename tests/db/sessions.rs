//! The session registry (`security_sessions`) on every backend.

use chrono::{Duration, SubsecRound, Utc};
use rocket_security::session::{SessionRecord, SessionState};

use crate::backends::{all, unique};

#[rocket::async_test]
async fn a_session_is_active_until_revoked_and_then_says_why() {
    for db in all().await {
        let (id, user, now) = (unique("sid"), unique("user"), Utc::now());
        assert_eq!(SessionRecord::state(&db.pool, &id).await.unwrap(), SessionState::Unknown, "{}", db.name);
        SessionRecord::create(&db.pool, &id, &user, "Firefox on Linux, 203.0.113.0/24", now).await.unwrap();
        assert_eq!(
            SessionRecord::state(&db.pool, &id).await.unwrap(),
            SessionState::Active { user_id: user.clone() },
            "{}",
            db.name
        );
        assert!(!SessionRecord::revoke(&db.pool, &id, Some("someone-else"), "revoked", now).await.unwrap());
        assert!(SessionRecord::revoke(&db.pool, &id, Some(&user), "logout", now).await.unwrap(), "{}", db.name);
        assert!(!SessionRecord::revoke(&db.pool, &id, None, "logout", now).await.unwrap(), "already ended");
        assert_eq!(
            SessionRecord::state(&db.pool, &id).await.unwrap(),
            SessionState::Revoked { reason: "logout".into() },
            "{}",
            db.name
        );
    }
}

#[rocket::async_test]
async fn list_shows_live_sessions_most_recent_first_and_touch_moves_one_up() {
    for db in all().await {
        let (user, now) = (unique("user"), Utc::now());
        let (a, b, c) = (unique("a"), unique("b"), unique("c"));
        SessionRecord::create(&db.pool, &a, &user, "A", now - Duration::minutes(3)).await.unwrap();
        SessionRecord::create(&db.pool, &b, &user, "B", now - Duration::minutes(2)).await.unwrap();
        SessionRecord::create(&db.pool, &c, &user, "C", now - Duration::minutes(1)).await.unwrap();
        SessionRecord::revoke(&db.pool, &c, None, "logout", now).await.unwrap();
        SessionRecord::touch(&db.pool, &a, now).await.unwrap();
        let rows = SessionRecord::list(&db.pool, &user).await.unwrap();
        let order: Vec<&str> = rows.iter().map(|r| r.client.as_str()).collect();
        assert_eq!(order, ["A", "B"], "{}", db.name);
        assert_eq!(rows[0].last_seen, now.naive_utc().trunc_subsecs(6), "{}", db.name);
    }
}

#[rocket::async_test]
async fn revoke_user_ends_all_but_the_kept_session_of_that_user_only() {
    for db in all().await {
        let (user, other, now) = (unique("user"), unique("other"), Utc::now());
        let (keep, end1, end2, theirs) = (unique("k"), unique("e"), unique("e"), unique("t"));
        for (id, u) in [(&keep, &user), (&end1, &user), (&end2, &user), (&theirs, &other)] {
            SessionRecord::create(&db.pool, id, u, "x", now).await.unwrap();
        }
        assert_eq!(SessionRecord::revoke_user(&db.pool, &user, Some(&keep), "revoked_others", now).await.unwrap(), 2);
        assert!(matches!(SessionRecord::state(&db.pool, &keep).await.unwrap(), SessionState::Active { .. }));
        assert!(matches!(SessionRecord::state(&db.pool, &theirs).await.unwrap(), SessionState::Active { .. }));
        assert_eq!(
            SessionRecord::revoke_user(&db.pool, &user, None, "revoked_all", now).await.unwrap(),
            1,
            "{}",
            db.name
        );
    }
}

#[rocket::async_test]
async fn prune_deletes_idle_old_and_long_revoked_sessions_only() {
    for db in all().await {
        let (user, now) = (unique("user"), Utc::now());
        let (live, idle, old, ended) = (unique("live"), unique("idle"), unique("old"), unique("ended"));
        SessionRecord::create(&db.pool, &live, &user, "x", now - Duration::minutes(5)).await.unwrap();
        SessionRecord::create(&db.pool, &idle, &user, "x", now - Duration::hours(2)).await.unwrap();
        SessionRecord::create(&db.pool, &old, &user, "x", now - Duration::hours(9)).await.unwrap();
        SessionRecord::touch(&db.pool, &old, now).await.unwrap();
        SessionRecord::create(&db.pool, &ended, &user, "x", now - Duration::minutes(5)).await.unwrap();
        SessionRecord::revoke(&db.pool, &ended, None, "logout", now - Duration::hours(9)).await.unwrap();
        let (idle_t, absolute) = (Duration::minutes(30), Duration::hours(8));
        let n = SessionRecord::prune(&db.pool, now, idle_t, absolute, absolute).await.unwrap();
        assert!(n >= 3, "{}: {n}", db.name);
        assert!(matches!(SessionRecord::state(&db.pool, &live).await.unwrap(), SessionState::Active { .. }));
        for gone in [&idle, &old, &ended] {
            assert_eq!(SessionRecord::state(&db.pool, gone).await.unwrap(), SessionState::Unknown, "{}", db.name);
        }
    }
}

#[rocket::async_test]
async fn an_over_long_user_id_is_refused_not_truncated() {
    for db in all().await {
        let err = SessionRecord::create(&db.pool, &unique("sid"), &"u".repeat(192), "x", Utc::now()).await.unwrap_err();
        assert_eq!(err.to_string(), "invalid value: user id longer than 191 characters", "{}", db.name);
    }
}

#[rocket::async_test]
async fn login_counters_older_than_the_window_are_pruned() {
    use rocket_security::auth::LoginAttempts;
    for db in all().await {
        let (old, fresh, now) = (unique("old"), unique("fresh"), Utc::now());
        LoginAttempts::record_failure(&db.pool, &old, now - Duration::days(3)).await.unwrap();
        LoginAttempts::record_failure(&db.pool, &fresh, now).await.unwrap();
        assert!(LoginAttempts::prune(&db.pool, now - Duration::days(2)).await.unwrap() >= 1, "{}", db.name);
        assert_eq!(LoginAttempts::get(&db.pool, &old).await.unwrap(), None, "{}", db.name);
        assert!(LoginAttempts::get(&db.pool, &fresh).await.unwrap().is_some(), "{}", db.name);
    }
}

#[rocket::async_test]
async fn touch_never_moves_the_last_activity_back() {
    for db in all().await {
        let (id, user, now) = (unique("sid"), unique("user"), Utc::now().trunc_subsecs(6));
        SessionRecord::create(&db.pool, &id, &user, "x", now).await.unwrap();
        SessionRecord::touch(&db.pool, &id, now + Duration::minutes(2)).await.unwrap();
        // An earlier request's write that comes last.
        SessionRecord::touch(&db.pool, &id, now + Duration::minutes(1)).await.unwrap();
        let rows = SessionRecord::list(&db.pool, &user).await.unwrap();
        assert_eq!(rows[0].last_seen, (now + Duration::minutes(2)).naive_utc(), "{}", db.name);
    }
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[rocket::async_test]
async fn the_session_lock_rows_are_indexed_by_the_time_the_prune_deletes_by() {
    use diesel_async::RunQueryDsl;
    use rocket_security::db::SecurityConn;
    // Freshly migrated databases (a shared one may predate the index).
    let dbs = crate::backends::isolated().await;
    for db in &dbs {
        let mut conn = db.pool.conn().await.unwrap();
        let names: Vec<Name> = match &mut conn {
            #[cfg(feature = "sqlite")]
            SecurityConn::Sqlite(c) => diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'security_session_locks' \
                 AND sql LIKE '%(locked_at)%'",
            )
            .load(&mut **c)
            .await
            .unwrap(),
            #[cfg(feature = "postgres")]
            SecurityConn::Postgres(c) => diesel::sql_query(
                "SELECT indexname::text AS name FROM pg_indexes WHERE tablename = 'security_session_locks' \
                 AND indexdef LIKE '%(locked_at)%'",
            )
            .load(&mut **c)
            .await
            .unwrap(),
            #[cfg(feature = "mysql")]
            SecurityConn::Mysql(c) => diesel::sql_query(
                "SELECT CAST(index_name AS CHAR) AS name FROM information_schema.statistics \
                 WHERE table_schema = DATABASE() AND table_name = 'security_session_locks' \
                 AND column_name = 'locked_at' AND seq_in_index = 1",
            )
            .load(&mut **c)
            .await
            .unwrap(),
        };
        let names: Vec<String> = names.into_iter().map(|n| n.name).collect();
        assert_eq!(names, ["security_session_locks_locked_at"], "{}", db.name);
    }
    crate::backends::drop_isolated(dbs).await;
}
