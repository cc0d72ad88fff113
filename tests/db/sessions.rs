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
