//! The reports dashboard: guard, escaping, filters, detail, JSON, its own CSP.

use rocket::http::{ContentType, Status};

use crate::app::{app, legacy};

const DOC: &str = "https://127.0.0.1/page";

#[rocket::async_test]
async fn the_guard_decides_who_sees_it() {
    let app = app("").await;
    let (status, _, _, body) = app.dashboard("/security/reports", false).await;
    assert_eq!(status, Status::Forbidden);
    assert!(!body.contains("CSP violation reports"));
    let (status, ct, _, body) = app.dashboard("/security/reports", true).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(ct, Some(ContentType::HTML));
    assert!(body.contains("<h1>CSP violation reports</h1>"));
}

#[rocket::async_test]
async fn reports_are_html_escaped() {
    let app = app("").await;
    let evil = "https://127.0.0.1/<script>alert(1)</script>";
    app.post("application/csp-report", legacy(evil, "img-src", "\"><img src=x onerror=alert(2)>")).await;
    app.settled().await;
    let (_, _, _, body) = app.dashboard("/security/reports", true).await;
    assert!(!body.contains("<script>alert(1)"), "{body}");
    assert!(!body.contains("<img src=x"), "{body}");
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{body}");
}

#[rocket::async_test]
async fn violations_are_listed_by_count_with_filters() {
    let app = app("[default.security.reports]\nrate_limit_per_minute = 0").await;
    for _ in 0..3 {
        app.post("application/csp-report", legacy(DOC, "img-src", "https://cdn.example/a.png")).await;
    }
    app.post("application/csp-report", legacy(DOC, "script-src-elem", "inline")).await;
    app.settled().await;
    let (_, _, _, json) = app.dashboard("/security/reports/api", true).await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = v["violations"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0]["directive"].as_str(), rows[0]["hits"].as_i64()), (Some("img-src"), Some(3)));
    assert_eq!((rows[1]["directive"].as_str(), rows[1]["hits"].as_i64()), (Some("script-src-elem"), Some(1)));
    assert_eq!(v["stats"]["stored"].as_u64(), Some(4));
    assert_eq!(v["hourly"].as_array().map(|h| h.iter().map(|e| e[1].as_i64().unwrap()).sum::<i64>()), Some(4));

    let (_, _, _, json) = app.dashboard("/security/reports/api?directive=script-src-elem", true).await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["violations"].as_array().unwrap().len(), 1);
    let (_, _, _, json) = app.dashboard("/security/reports/api?blocked=cdn.example", true).await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["violations"][0]["blocked"].as_str(), Some("cdn.example"));
    let (_, _, _, json) = app.dashboard("/security/reports/api?from=2000-01-01&to=2000-01-02", true).await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["violations"].as_array().unwrap().len(), 0, "date range");
    let (status, _, _, _) = app.dashboard("/security/reports/api?from=yesterday", true).await;
    assert_eq!(status, Status::BadRequest);
}

#[rocket::async_test]
async fn the_detail_view_shows_samples_and_the_chart_is_svg() {
    let app = app("").await;
    app.post("application/csp-report", legacy(DOC, "img-src", "https://cdn.example/a.png")).await;
    app.settled().await;
    let (_, _, _, json) = app.dashboard("/security/reports/api", true).await;
    let id = serde_json::from_str::<serde_json::Value>(&json).unwrap()["violations"][0]["id"].as_i64().unwrap();
    let (status, _, _, body) = app.dashboard(&format!("/security/reports/violation/{id}"), true).await;
    assert_eq!(status, Status::Ok);
    assert!(body.contains("https://cdn.example/a.png"), "{body}");
    assert!(body.contains("TestBrowser/1.0"), "{body}");
    let (_, _, _, list) = app.dashboard("/security/reports", true).await;
    assert!(list.contains("<svg role=\"img\""), "{list}");
    let (status, ..) = app.dashboard("/security/reports/violation/999999", true).await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn the_dashboard_runs_under_its_own_strict_csp_with_a_nonce() {
    let app = app("").await;
    let (_, _, headers, body) = app.dashboard("/security/reports", true).await;
    let csp = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("Content-Security-Policy")).unwrap().1.clone();
    let nonce = body.split("<style nonce=\"").nth(1).unwrap().split('"').next().unwrap();
    assert_eq!(
        csp,
        format!("default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    );
    let cache = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("Cache-Control")).map(|h| h.1.clone());
    assert_eq!(cache.as_deref(), Some("no-store, max-age=0"));
}

#[rocket::async_test]
async fn links_come_from_the_configured_path_not_the_request() {
    let app = app("").await;
    app.post("application/csp-report", legacy(DOC, "img-src", "https://cdn.example/a.png")).await;
    app.settled().await;
    // Rocket routes `//security/reports` to the dashboard too.
    let (status, _, _, body) = app.dashboard("//security/reports", true).await;
    assert_eq!(status, Status::Ok);
    assert!(body.contains("href=\"/security/reports/violation/"), "{body}");
    assert!(!body.contains("href=\"//"), "no link to another host: {body}");
}
