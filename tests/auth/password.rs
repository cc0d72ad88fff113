//! MandatoryPasswordChange (django-security §7.3, with its bugs fixed).

use chrono::Duration;
use rocket::http::{Cookie, Status};

use crate::app::{app, location};

#[rocket::async_test]
async fn a_new_user_is_not_forced_to_change_by_default() {
    let app = app("").await;
    let res = app.get_as("/account", Some("alice"), &[]).await;
    assert_eq!(res.into_string().await.as_deref(), Some("account alice"));
    assert_eq!(app.expiry("alice").await.unwrap().password_expiry_date, None, "the row is created not expired");
}

#[rocket::async_test]
async fn an_expired_password_redirects_to_the_change_page_until_renewed() {
    let app = app("").await;
    app.set_expired("bob").await;
    let res = app.get_as("/account", Some("bob"), &[]).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/password/change"));
    let res = app.client.post("/password/change").cookie(Cookie::new("user_id", "bob")).dispatch().await;
    assert_eq!(res.into_string().await.as_deref(), Some("changed"));
    let res = app.get_as("/account", Some("bob"), &[]).await;
    assert_eq!(res.into_string().await.as_deref(), Some("account bob"));
}

#[rocket::async_test]
async fn the_change_page_and_logout_stay_reachable() {
    let app = app("").await;
    app.set_expired("bob").await;
    assert_eq!(app.get_as("/password/change", Some("bob"), &[]).await.status(), Status::Ok);
    assert_eq!(app.get_as("/logout", Some("bob"), &[]).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn api_clients_get_403_json() {
    let app = app("").await;
    app.set_expired("bob").await;
    let res = app.get_as("/account", Some("bob"), &[("Accept", "application/json")]).await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(res.into_string().await.as_deref(), Some(r#"{"password_change_url":"/password/change"}"#));
}

#[rocket::async_test]
async fn superusers_are_exempt_unless_included() {
    let app = crate::app::app("").await;
    app.set_expired("root").await;
    assert_eq!(app.get_as("/account", Some("root"), &[]).await.status(), Status::Ok);
    let app = crate::app::app("[default.security.password]\ninclude_superusers = true").await;
    app.set_expired("root").await;
    assert_eq!(app.get_as("/account", Some("root"), &[]).await.status(), Status::SeeOther);
}

#[rocket::async_test]
async fn expire_new_users_reproduces_the_original() {
    let app = app("[default.security.password]\nexpire_new_users = true").await;
    let res = app.get_as("/account", Some("carol"), &[]).await;
    assert_eq!(location(&res), Some("/password/change"));
}

#[rocket::async_test]
async fn rotation_expires_passwords_after_max_age_with_a_warning_window() {
    let app = app("[default.security.password]\nmax_age_days = 90\nwarn_days = 7").await;
    assert_eq!(app.get_as("/account", Some("dave"), &[]).await.into_string().await.as_deref(), Some("account dave"));
    app.clock.advance(Duration::days(85));
    let res = app.get_as("/account", Some("dave"), &[]).await;
    assert_eq!(res.into_string().await.as_deref(), Some("account dave, password expires in 5 days"));
    app.clock.advance(Duration::days(5));
    assert_eq!(location(&app.get_as("/account", Some("dave"), &[]).await), Some("/password/change"));
}

#[rocket::async_test]
async fn anonymous_users_go_to_login_first() {
    let app = app("").await;
    assert_eq!(location(&app.get_as("/account", None, &[]).await), Some("/login?next=/account"));
}

mod global {
    use rocket::http::Status;

    use crate::app::{build_with, db_file, location};

    #[rocket::async_test]
    async fn every_page_of_an_expired_user_goes_to_the_change_page() {
        let app = build_with("", false, true, db_file()).await;
        app.set_expired("bob").await;
        let res = app.get_as("/home", Some("bob"), &[]).await;
        assert_eq!(res.status(), Status::SeeOther);
        assert_eq!(location(&res), Some("/password/change"));
        assert_eq!(app.runs(), 0, "the handler never ran");
        assert_eq!(app.get_as("/password/change", Some("bob"), &[]).await.status(), Status::Ok);
        assert_eq!(app.get_as("/logout", Some("bob"), &[]).await.status(), Status::Ok);
        assert_eq!(app.get_as("/home", Some("alice"), &[]).await.status(), Status::Ok, "current passwords pass");
        assert_eq!(app.get_as("/open", None, &[]).await.status(), Status::Ok, "anonymous requests are left alone");
    }
}

#[rocket::async_test]
async fn an_unreadable_expiry_refuses_with_503_unless_fail_open() {
    let app = crate::app::app("").await;
    assert_eq!(app.get_as("/account", Some("alice"), &[]).await.status(), Status::Ok);
    app.drop_table("security_password_expiry").await;
    let res = app.get_as("/account", Some("alice"), &[]).await;
    assert_eq!(res.status(), Status::ServiceUnavailable);
    assert_eq!(res.headers().get_one("Retry-After"), None, "the guard's 503 goes to Rocket's catcher");
    let open = crate::app::app("[default.security.password]\nfail_open = true").await;
    open.drop_table("security_password_expiry").await;
    assert_eq!(open.get_as("/account", Some("alice"), &[]).await.status(), Status::Ok);
}

#[rocket::async_test]
async fn the_global_password_check_fails_closed_too() {
    let app = crate::app::build_with("", false, true, crate::app::db_file()).await;
    assert_eq!(app.get_as("/home", Some("alice"), &[]).await.status(), Status::Ok);
    app.drop_table("security_password_expiry").await;
    let res = app.get_as("/home", Some("alice"), &[]).await;
    assert_eq!(res.status(), Status::ServiceUnavailable);
    assert_eq!(res.headers().get_one("Retry-After"), Some("5"));
    assert_eq!(app.runs(), 1, "the handler did not run the second time");
    let api = app.get_as("/home", Some("alice"), &[("Accept", "application/json")]).await;
    assert_eq!(api.into_string().await.as_deref(), Some(r#"{"error":"store_unavailable"}"#));
}

#[rocket::async_test]
async fn rotation_also_applies_to_rows_without_an_expiry() {
    let file = crate::app::db_file();
    // A row created while rotation was off: it never expires by itself.
    let before = crate::app::build("", false, file.clone()).await;
    assert_eq!(before.get_as("/account", Some("alice"), &[]).await.status(), Status::Ok);
    assert_eq!(before.expiry("alice").await.unwrap().password_expiry_date, None);
    // Rotation switched on; 40 days later the 30-day rotation applies to it.
    let after = crate::app::build("[default.security.password]\nmax_age_days = 30", false, file).await;
    after.clock.advance(Duration::days(40));
    let res = after.get_as("/account", Some("alice"), &[]).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/password/change"));
}
