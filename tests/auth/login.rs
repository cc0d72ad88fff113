//! LoginRequired (django-security §7.2).

use rocket::http::{ContentType, Cookie, Status};

use crate::app::{app, location};

#[rocket::async_test]
async fn anonymous_visitors_are_redirected_to_login_with_next() {
    let app = app("").await;
    let res = app.get_as("/home", None, &[]).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/home"));
}

#[rocket::async_test]
async fn the_query_is_kept_and_encoded_in_next() {
    let app = app("").await;
    let res = app.get_as("/custom-path?priority=7,8,9,10&type=Custom", None, &[]).await;
    assert_eq!(location(&res), Some("/login?next=/custom-path%3Fpriority%3D7%2C8%2C9%2C10%26type%3DCustom"));
}

#[rocket::async_test]
async fn api_clients_get_401_json() {
    let app = app("").await;
    for header in [("X-Requested-With", "XMLHttpRequest"), ("Accept", "application/json"), ("Sec-Fetch-Mode", "cors")] {
        let res = app.get_as("/home", None, &[header]).await;
        assert_eq!(res.status(), Status::Unauthorized, "{header:?}");
        assert_eq!(res.content_type(), Some(ContentType::JSON));
        assert_eq!(res.into_string().await.as_deref(), Some(r#"{"login_url":"/login?next=/home"}"#));
    }
}

#[rocket::async_test]
async fn a_logged_in_active_user_passes_and_an_inactive_one_does_not() {
    let app = app("").await;
    let res = app.get_as("/home", Some("alice"), &[]).await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.into_string().await.as_deref(), Some("home alice"));
    let res = app.get_as("/home", Some("inactive"), &[]).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/home"));
}

#[rocket::async_test]
async fn posts_are_redirected_too() {
    let app = app("").await;
    let res = app.client.post("/home").dispatch().await;
    assert_eq!(res.status(), Status::SeeOther);
    let res = app.client.post("/home").cookie(Cookie::new("user_id", "alice")).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
}

#[rocket::async_test]
async fn login_url_and_next_field_are_configurable() {
    let app = app("[default.security.auth]\nlogin_url = \"/accounts/login/\"\nnext_field = \"return_to\"").await;
    let res = app.get_as("/home", None, &[]).await;
    assert_eq!(location(&res), Some("/accounts/login/?return_to=/home"));
}

#[rocket::async_test]
async fn other_401s_and_403s_get_rockets_own_answer() {
    // What Rocket's default catcher answers for a 403, from a bare app.
    #[rocket::get("/forbid")]
    fn forbid() -> Status {
        Status::Forbidden
    }
    let bare = rocket::local::asynchronous::Client::untracked(rocket::build().mount("/", rocket::routes![forbid]))
        .await
        .unwrap();
    let app = app("").await;
    for accept in [None, Some("application/json"), Some("text/html")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        // /ajax refuses a page navigation with 403 (AjaxOnly), not a login failure.
        let res = app.get_as("/ajax", None, &headers).await;
        let mut want = bare.get("/forbid");
        if let Some(a) = accept {
            want = want.header(rocket::http::Header::new("Accept", a));
        }
        let want = want.dispatch().await;
        assert_eq!(res.status(), Status::Forbidden, "{accept:?}");
        let kind = if accept == Some("application/json") { ContentType::JSON } else { ContentType::HTML };
        assert_eq!(res.content_type(), Some(kind.clone()), "{accept:?}");
        assert_eq!(want.content_type(), Some(kind), "{accept:?}");
        assert_eq!(res.into_string().await, want.into_string().await, "{accept:?}");
    }
}
