//! Deny-by-default mode (the original's LoginRequiredMiddleware, fixed).

use rocket::http::Status;

use crate::app::{build, db_file, location};

async fn app(toml: &str) -> crate::app::App {
    build(toml, true, db_file()).await
}

#[rocket::async_test]
async fn refused_requests_never_reach_their_handler() {
    let app = app("").await;
    let res = app.client.get("/home").dispatch().await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/home"));
    assert_eq!(app.runs(), 0);
    let res = app.get_as("/home", Some("alice"), &[]).await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(app.runs(), 1);
}

#[rocket::async_test]
async fn the_login_url_and_report_endpoint_are_exempt_automatically() {
    let app = app("").await;
    assert_eq!(app.client.get("/login").dispatch().await.status(), Status::Ok, "no redirect loop");
    let res = app.client.get("/security/csp-report").dispatch().await;
    assert_eq!(res.status(), Status::MethodNotAllowed, "the endpoint answers, not the login redirect");
}

#[rocket::async_test]
async fn the_allow_list_has_no_prefix_over_match() {
    let app = app("[default.security.auth]\nallow = [\"/open\"]\nstatic_paths = [\"/static/**\"]").await;
    assert_eq!(app.client.get("/open").dispatch().await.status(), Status::Ok);
    assert_eq!(app.client.get("/openx").dispatch().await.status(), Status::SeeOther);
    assert_eq!(app.client.get("/static/app.css").dispatch().await.status(), Status::Ok);
}

#[rocket::async_test]
async fn unknown_paths_redirect_to_login_like_any_other() {
    let app = app("").await;
    let res = app.client.get("/no/such/page?x=1").dispatch().await;
    assert_eq!(location(&res), Some("/login?next=/no/such/page%3Fx%3D1"));
    let res = app.get_as("/no/such/page", Some("alice"), &[]).await;
    assert_eq!(res.status(), Status::NotFound, "logged-in users see the real 404");
}

#[rocket::async_test]
async fn inactive_users_are_refused_and_api_clients_get_json() {
    let app = app("").await;
    let res = app.get_as("/open", Some("inactive"), &[("X-Requested-With", "XMLHttpRequest")]).await;
    assert_eq!(res.status(), Status::Unauthorized);
    assert_eq!(res.into_string().await.as_deref(), Some(r#"{"login_url":"/login?next=/open"}"#));
}

#[rocket::async_test]
async fn the_internal_route_is_not_reachable_directly() {
    let app = app("[default.security.auth]\nallow = [\"/__rocket_security/**\"]").await;
    let res = app.client.get("/__rocket_security/auth").dispatch().await;
    assert_eq!(res.status(), Status::NotFound);
}

#[rocket::async_test]
async fn deny_by_default_on_a_single_feature_fairing_refuses_to_launch() {
    // That fairing runs no request checks: launching would open every route.
    let rocket = rocket::custom(rocket::Config::default())
        .attach(rocket_security::headers::Hsts::fairing().require_login::<crate::app::User>());
    let err = rocket.ignite().await.unwrap_err();
    assert!(
        matches!(err.kind(), rocket::error::ErrorKind::FailedFairings(f) if f[0].name == "rocket_security (one feature)")
    );
}
