//! AjaxOnly (django-security §7.4, which upstream never ran).

use rocket::http::Status;

use crate::app::app;

#[rocket::async_test]
async fn only_xmlhttprequest_passes_by_default() {
    let app = app("").await;
    assert_eq!(app.get_as("/ajax", None, &[]).await.status(), Status::Forbidden);
    assert_eq!(app.get_as("/ajax", None, &[("X-Requested-With", "XMLHttpRequest")]).await.status(), Status::Ok);
    assert_eq!(app.get_as("/ajax", None, &[("X-Requested-With", "xmlhttprequest")]).await.status(), Status::Forbidden);
    let fetch = [("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty")];
    assert_eq!(app.get_as("/ajax", None, &fetch).await.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn fetch_metadata_can_be_accepted() {
    let app = app("[default.security.auth]\najax_fetch_metadata = true").await;
    for mode in ["cors", "same-origin"] {
        let res = app.get_as("/ajax", None, &[("Sec-Fetch-Mode", mode), ("Sec-Fetch-Dest", "empty")]).await;
        assert_eq!(res.status(), Status::Ok, "{mode}");
    }
    let nav = [("Sec-Fetch-Mode", "navigate"), ("Sec-Fetch-Dest", "document")];
    assert_eq!(app.get_as("/ajax", None, &nav).await.status(), Status::Forbidden);
    let img = [("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "image")];
    assert_eq!(app.get_as("/ajax", None, &img).await.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn an_api_route_combines_ajax_only_and_login() {
    let app = app("").await;
    let res = app.get_as("/api/me", Some("alice"), &[("X-Requested-With", "XMLHttpRequest")]).await;
    assert_eq!(res.into_string().await.as_deref(), Some(r#"{"name": "alice"}"#));
}
