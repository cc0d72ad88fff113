//! PasswordExpiry on every backend.

use chrono::{Duration, SubsecRound, Utc};
use rocket_security::auth::{ExpiryPolicy, PasswordExpiry};
use rocket_security::db::DbError;

use crate::backends::{all, unique};

#[rocket::async_test]
async fn a_new_user_is_not_expired_by_default() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let user = unique("user");
        let now = Utc::now();
        let row = PasswordExpiry::get_or_create(&mut conn, &user, ExpiryPolicy::default(), now).await.unwrap();
        assert_eq!(row.password_expiry_date, None, "{}", db.name);
        assert!(!row.is_expired(now + Duration::days(10_000)));
        assert_eq!(PasswordExpiry::find(&mut conn, &user).await.unwrap(), Some(row), "{}", db.name);
    }
}

#[rocket::async_test]
async fn expire_new_users_reproduces_the_original_on_request() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let now = Utc::now();
        let policy = ExpiryPolicy { expire_new_users: true, max_age: None };
        let row = PasswordExpiry::get_or_create(&mut conn, &unique("user"), policy, now).await.unwrap();
        assert_eq!(row.password_expiry_date, Some(now.naive_utc().trunc_subsecs(6)), "{}", db.name);
        assert!(row.is_expired(now), "{}", db.name);
    }
}

#[rocket::async_test]
async fn max_age_sets_the_first_expiry_and_renew_the_next() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let user = unique("user");
        let now = Utc::now();
        let policy = ExpiryPolicy { expire_new_users: false, max_age: Some(Duration::days(90)) };
        let row = PasswordExpiry::get_or_create(&mut conn, &user, policy, now).await.unwrap();
        assert_eq!(
            row.expires_in(now).map(|d| d.num_days()),
            Some(89),
            "{}: 90 days minus the sub-second cut",
            db.name
        );
        assert!(!row.is_expired(now + Duration::days(89)));
        assert!(row.is_expired(now + Duration::days(90)));

        let later = now + Duration::days(100);
        let renewed = PasswordExpiry::renew(&mut conn, &user, Some(Duration::days(90)), later).await.unwrap();
        let stored = PasswordExpiry::find(&mut conn, &user).await.unwrap().unwrap();
        assert_eq!(stored, renewed, "{}", db.name);
        assert_eq!(stored.last_changed, Some(later.naive_utc().trunc_subsecs(6)));
        assert_eq!(stored.password_expiry_date, Some(later.naive_utc().trunc_subsecs(6) + Duration::days(90)));
        assert_eq!(stored.created_at, row.created_at, "{}: creation time kept", db.name);
    }
}

#[rocket::async_test]
async fn expire_now_and_never_expire() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let user = unique("user");
        let now = Utc::now();
        let row = PasswordExpiry::expire_now(&mut conn, &user, now).await.unwrap();
        assert!(row.is_expired(now), "{}: creates the row", db.name);
        assert!(PasswordExpiry::find(&mut conn, &user).await.unwrap().unwrap().is_expired(now));
        PasswordExpiry::never_expire(&mut conn, &user, now).await.unwrap();
        let row = PasswordExpiry::find(&mut conn, &user).await.unwrap().unwrap();
        assert_eq!(row.password_expiry_date, None, "{}", db.name);
        assert!(!row.is_expired(now + Duration::days(10_000)));
    }
}

#[rocket::async_test]
async fn concurrent_creation_yields_one_row() {
    for db in all().await {
        let user = unique("user");
        let now = Utc::now();
        let (mut a, mut b) = (db.pool.conn().await.unwrap(), db.pool.conn().await.unwrap());
        let (ra, rb) = rocket::tokio::join!(
            PasswordExpiry::get_or_create(&mut a, &user, ExpiryPolicy::default(), now),
            PasswordExpiry::get_or_create(&mut b, &user, ExpiryPolicy::default(), now),
        );
        assert_eq!(ra.unwrap(), rb.unwrap(), "{}", db.name);
    }
}

#[rocket::async_test]
async fn user_ids_are_text_of_1_to_191_characters() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let long = "u".repeat(192);
        let err =
            PasswordExpiry::get_or_create(&mut conn, &long, ExpiryPolicy::default(), Utc::now()).await.unwrap_err();
        assert!(matches!(err, DbError::Invalid(_)), "{}: {err}", db.name);
        assert_eq!(err.to_string(), "invalid value: a user id must have 1 to 191 characters");
        let max = format!("{}{}", unique("ü"), "ü".repeat(150));
        let max: String = max.chars().take(191).collect();
        let row = PasswordExpiry::get_or_create(&mut conn, &max, ExpiryPolicy::default(), Utc::now()).await.unwrap();
        assert_eq!(PasswordExpiry::find(&mut conn, &max).await.unwrap(), Some(row), "{}", db.name);
    }
}

#[rocket::async_test]
async fn user_ids_differing_only_in_case_are_different_users() {
    for db in all().await {
        let mut conn = db.pool.conn().await.unwrap();
        let base = unique("Case");
        let now = Utc::now();
        PasswordExpiry::expire_now(&mut conn, &base, now).await.unwrap();
        let lower =
            PasswordExpiry::get_or_create(&mut conn, &base.to_lowercase(), ExpiryPolicy::default(), now).await.unwrap();
        assert_eq!(lower.password_expiry_date, None, "{}: a separate row", db.name);
        assert!(PasswordExpiry::find(&mut conn, &base).await.unwrap().unwrap().is_expired(now), "{}", db.name);
    }
}
