//! Every other browser report type through the one endpoint: COEP, COOP,
//! Integrity-Policy, Permissions-Policy, Document-Policy, deprecations,
//! interventions, crashes and NEL.
//!
//! `tests/fixtures/browser-reports/all-types.json` holds one report of each
//! type in the shape the specifications and Chromium's reporters send: HTML's
//! COEP/COOP reporting (`CoepReporter`, `CrossOriginOpenerPolicyReporter`),
//! the SRI specification's `IntegrityViolationReportBody`, Permissions
//! Policy's and Document Policy's violation bodies, the Reporting API's
//! `DeprecationReportBody` and `InterventionReportBody`, the Crash Reporting
//! draft (`reason`, `is_top_level`, `page_visibility`) and Network Error
//! Logging's report body (snake_case, with `request_headers`).

use rocket::http::Status;
use rocket_security::reports::{BrowserGroup, BrowserReportRow, BrowserSampleRow, Readiness, ReportType};

use crate::app::{app, app_with_url, App};

const ALL_TYPES: &str = include_str!("../fixtures/browser-reports/all-types.json");
const REPORTS: &str = "application/reports+json";

async fn rows(app: &App, t: ReportType) -> Vec<BrowserReportRow> {
    BrowserReportRow::recent(&mut app.conn().await, t, 100).await.unwrap()
}

fn key(r: &BrowserReportRow) -> (&str, &str, &str, &str, i64) {
    (r.disposition.as_str(), r.document_uri.as_str(), r.subject.as_str(), r.detail.as_str(), r.hits)
}

#[rocket::async_test]
async fn every_type_is_stored_under_its_own_key() {
    let app = app("").await;
    assert_eq!(app.post(REPORTS, ALL_TYPES).await.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.received, s.accepted, s.stored), (9, 9, 9), "{s:?}");
    let by_type: Vec<(&str, u64)> = s.accepted_by_type.iter().map(|(k, v)| (*k, *v)).collect();
    assert_eq!(
        by_type,
        vec![
            ("coep", 1),
            ("coop", 1),
            ("crash", 1),
            ("deprecation", 1),
            ("document-policy-violation", 1),
            ("integrity-violation", 1),
            ("intervention", 1),
            ("network-error", 1),
            ("permissions-policy-violation", 1),
        ]
    );
    let expect = [
        (ReportType::Coep, ("report", "https://127.0.0.1:8000/embed", "https://cdn.example/lib.js", "script", 1)),
        (
            ReportType::Coop,
            ("report", "https://127.0.0.1:8000/login", "access-from-coop-page-to-opener", "https://partner.example", 1),
        ),
        (
            ReportType::Integrity,
            ("report", "https://127.0.0.1:8000/", "https://127.0.0.1:8000/static/app.js", "script", 1),
        ),
        (
            ReportType::PermissionsPolicy,
            ("report", "https://127.0.0.1:8000/map", "geolocation", "https://127.0.0.1:8000", 1),
        ),
        (
            ReportType::DocumentPolicy,
            ("enforce", "https://127.0.0.1:8000/map", "oversized-images", "https://127.0.0.1:8000", 1),
        ),
        (
            ReportType::Deprecation,
            (
                "",
                "https://127.0.0.1:8000/old",
                "UnloadHandler",
                "Unload event listeners are deprecated and will be removed.",
                1,
            ),
        ),
        (
            ReportType::Intervention,
            (
                "",
                "https://127.0.0.1:8000/old",
                "NavigatorVibrate",
                "Blocked call to navigator.vibrate because user hasn't tapped on the frame or any embedded frame yet.",
                1,
            ),
        ),
        (ReportType::Crash, ("", "https://127.0.0.1:8000/editor", "oom", "", 1)),
        (
            ReportType::NetworkError,
            ("", "https://127.0.0.1:8000/api/items", "tcp.timed_out", "127.0.0.1 connection", 1),
        ),
    ];
    for (t, want) in expect {
        let rows = rows(&app, t).await;
        assert_eq!(rows.len(), 1, "{t}: {rows:?}");
        assert_eq!(key(&rows[0]), want, "{t}");
        assert_eq!(rows[0].report_type, t.as_str());
    }
}

#[rocket::async_test]
async fn a_sample_keeps_only_the_types_fields_without_queries() {
    let app = app("").await;
    app.post(REPORTS, ALL_TYPES).await;
    app.settled().await;
    let nel = &rows(&app, ReportType::NetworkError).await[0];
    let samples = BrowserSampleRow::of_group(&mut app.conn().await, &nel.group_hash, 10).await.unwrap();
    assert_eq!(samples.len(), 1);
    assert_eq!(
        samples[0].body,
        r#"{"type":"network-error","body":{"type":"tcp.timed_out","phase":"connection","sampling_fraction":1.0,"elapsed_time":30012,"server_ip":"192.0.2.10","protocol":"","method":"GET","status_code":0,"referrer":"https://127.0.0.1:8000/"}}"#
    );
    assert_eq!(samples[0].url.as_deref(), Some("https://127.0.0.1:8000/api/items"));
    assert_eq!(samples[0].user_agent.as_deref(), Some("Mozilla/5.0 Chrome/138.0.0.0"));
}

fn coep(page: &str, blocked: &str, disposition: &str) -> String {
    serde_json::json!([{"type": "coep", "age": 0, "url": page, "user_agent": "Chrome",
        "body": {"type": "corp", "blockedURL": blocked, "destination": "image", "disposition": disposition}}])
    .to_string()
}

#[rocket::async_test]
async fn one_problem_on_two_pages_is_one_group_with_two_pages() {
    let app = app("[default.security.reports]\nsamples_per_violation = 3\nrate_limit_per_minute = 0").await;
    for i in 0..20 {
        let page = format!("https://127.0.0.1/p{}?i={i}", i % 2);
        let res = app.post(REPORTS, coep(&page, "https://img.example/a.png?x=1", "reporting")).await;
        assert_eq!(res.status(), Status::NoContent);
    }
    let s = app.settled().await;
    assert_eq!((s.accepted, s.stored), (20, 20));
    let mut conn = app.conn().await;
    let groups = BrowserGroup::page(&mut conn, ReportType::Coep, 50, 0).await.unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    let g = &groups[0];
    assert_eq!(
        (g.subject.as_str(), g.detail.as_str(), g.disposition.as_str(), g.hits, g.pages),
        ("https://img.example/a.png", "image", "report", 20, 2)
    );
    let pages = BrowserReportRow::of_group(&mut conn, &g.group_hash, 10).await.unwrap();
    assert_eq!(pages.iter().map(|r| r.hits).collect::<Vec<_>>(), vec![10, 10]);
    // One sample per batch the writer took while there was room (the reports of one batch share one).
    assert!(pages.iter().all(|r| (1..=3).contains(&r.sample_count)), "{pages:?}");
    let samples = BrowserSampleRow::of_group(&mut conn, &g.group_hash, 100).await.unwrap();
    assert_eq!(samples.len() as i32, pages.iter().map(|r| r.sample_count).sum::<i32>(), "at most three per page");
}

#[rocket::async_test]
async fn readiness_counts_report_only_reports_of_the_last_seven_days() {
    let app = app("[default.security.reports]\nrate_limit_per_minute = 0").await;
    let mut conn = app.conn().await;
    let now = chrono::Utc::now();
    let before = Readiness::of(&mut conn, ReportType::Coep, now, 7).await.unwrap();
    assert_eq!((before.reports, before.pages, before.verdict()), (0, 0, "safe to enforce".to_string()));
    for page in ["https://127.0.0.1/a", "https://127.0.0.1/b", "https://127.0.0.1/b"] {
        app.post(REPORTS, coep(page, "https://img.example/x.png", "reporting")).await;
    }
    // Enforced COEP reports are not about the report-only rollout.
    app.post(REPORTS, coep("https://127.0.0.1/c", "https://img.example/x.png", "enforce")).await;
    app.settled().await;
    let r = Readiness::of(&mut conn, ReportType::Coep, chrono::Utc::now(), 7).await.unwrap();
    assert_eq!((r.reports, r.pages), (3, 2));
    assert_eq!(r.verdict(), "3 reports from 2 pages in the last 7 days");
    let coop = Readiness::of(&mut conn, ReportType::Coop, chrono::Utc::now(), 7).await.unwrap();
    assert_eq!(coop.verdict(), "safe to enforce");
}

#[rocket::async_test]
async fn unknown_types_are_counted_and_not_stored() {
    let app = app("").await;
    let body = r#"[{"type": "made-up", "url": "https://127.0.0.1/", "body": {"x": 1}},
                   {"type": "COEP", "url": "https://127.0.0.1/", "body": {}},
                   {"url": "https://127.0.0.1/", "body": {}}]"#;
    assert_eq!(app.post(REPORTS, body).await.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.received, s.accepted, s.stored), (3, 0, 0));
    assert_eq!(s.dropped.get("unknown_type"), Some(&3));
    for t in ReportType::ALL {
        assert!(rows(&app, t).await.is_empty(), "{t}");
    }
}

#[rocket::async_test]
async fn reports_about_other_sites_and_extensions_are_dropped() {
    let app = app("").await;
    let body = serde_json::json!([
        // Another site's page.
        {"type": "deprecation", "url": "https://evil.example/", "body": {"id": "X"}},
        // No page at all.
        {"type": "crash", "body": {"reason": "oom"}},
        // An extension's script.
        {"type": "deprecation", "url": "https://127.0.0.1/", "body": {"id": "Y", "sourceFile": "chrome-extension://abc/inject.js"}},
        {"type": "coep", "url": "https://127.0.0.1/", "body": {"blockedURL": "moz-extension://abc/x.png", "disposition": "reporting"}},
        // Kept.
        {"type": "deprecation", "url": "https://127.0.0.1/", "body": {"id": "Z", "sourceFile": "https://127.0.0.1/a.js"}}
    ])
    .to_string();
    assert_eq!(app.post(REPORTS, body).await.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.received, s.accepted, s.stored), (5, 1, 1), "{s:?}");
    assert_eq!(
        (s.dropped.get("foreign_origin"), s.dropped.get("missing_document"), s.dropped.get("disallowed_source")),
        (Some(&1), Some(&1), Some(&2))
    );
    let kept = rows(&app, ReportType::Deprecation).await;
    assert_eq!(kept.iter().map(|r| r.subject.as_str()).collect::<Vec<_>>(), vec!["Z"]);
}

#[rocket::async_test]
async fn hostile_bodies_get_their_4xx() {
    let app = app("[default.security.reports]\nmax_body = 4096").await;
    // A known type whose body is not an object.
    assert_eq!(
        app.post(REPORTS, r#"[{"type":"coep","url":"https://127.0.0.1/","body":[1]}]"#).await.status(),
        Status::BadRequest
    );
    assert_eq!(
        app.post(REPORTS, r#"[{"type":"coep","url":"https://127.0.0.1/","body":"x"}]"#).await.status(),
        Status::BadRequest
    );
    // A missing or null body is a body without fields.
    assert_eq!(
        app.post(REPORTS, r#"[{"type":"network-error","url":"https://127.0.0.1/","body":null}]"#).await.status(),
        Status::NoContent
    );
    // Too large.
    let big = coep("https://127.0.0.1/", &format!("https://a.example/{}", "x".repeat(5000)), "reporting");
    assert_eq!(app.post(REPORTS, big).await.status(), Status::PayloadTooLarge);
    // Not JSON, not UTF-8.
    assert_eq!(app.post(REPORTS, "[{").await.status(), Status::BadRequest);
    assert_eq!(app.post(REPORTS, vec![0xff, 0xfe]).await.status(), Status::BadRequest);
    // Odd values: read as absent or as their text, never an error.
    let odd = r#"[{"type":"crash","url":"https://127.0.0.1/","body":{"reason":{"a":[1]},"is_top_level":"maybe","stack":7}},
                  {"type":"network-error","url":"https://127.0.0.1/","body":{"sampling_fraction":5,"elapsed_time":"x","type":null}}]"#;
    assert_eq!(app.post(REPORTS, odd).await.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.accepted, s.stored, s.rejected_requests), (3, 3, 5), "{s:?}");
    let crash = &rows(&app, ReportType::Crash).await[0];
    assert_eq!((crash.subject.as_str(), crash.detail.as_str()), ("unknown", ""));
    let nel = &rows(&app, ReportType::NetworkError).await[0];
    assert_eq!((nel.subject.as_str(), nel.detail.as_str(), nel.hits), ("", "127.0.0.1", 2));
}

#[rocket::async_test]
async fn the_batch_limit_counts_every_type() {
    let app = app("[default.security.reports]\nmax_reports_per_request = 4\nrate_limit_per_minute = 0").await;
    assert_eq!(app.post(REPORTS, ALL_TYPES).await.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.received, s.accepted, s.stored), (9, 4, 4));
    assert_eq!(s.dropped.get("batch_limit"), Some(&5));
}

#[rocket::async_test]
async fn every_type_counts_against_the_rate_limit() {
    let app = app("[default.security.reports]\nrate_limit_per_minute = 10\nmax_reports_per_request = 10").await;
    assert_eq!(app.post(REPORTS, ALL_TYPES).await.status(), Status::NoContent);
    let res = app.post(REPORTS, ALL_TYPES).await;
    assert_eq!(res.status(), Status::TooManyRequests);
    assert!(res.headers().get_one("Retry-After").is_some());
    let s = app.settled().await;
    assert_eq!((s.received, s.accepted), (18, 9));
    assert_eq!(s.dropped.get("rate_limited"), Some(&9));
}

/// PostgreSQL and MariaDB store every type alike (SQLite is every test above).
#[cfg(any(feature = "postgres", feature = "mysql"))]
#[rocket::async_test]
async fn every_type_is_stored_on_every_backend() {
    for db in crate::backends::all().await.into_iter().filter(|d| d.name != "sqlite") {
        let app = app_with_url("[default.security.reports]\nrate_limit_per_minute = 0", Some(db.url.clone())).await;
        // A page of this test's own: the shared database holds other tests' rows.
        let page = format!("https://127.0.0.1/{}", crate::backends::unique("browser"));
        let body = ALL_TYPES.replace("https://127.0.0.1:8000/", &format!("{page}/"));
        for _ in 0..3 {
            assert_eq!(app.post(REPORTS, body.clone()).await.status(), Status::NoContent, "{}", db.name);
        }
        let s = app.settled().await;
        assert_eq!((s.accepted, s.stored), (27, 27), "{}: {s:?}", db.name);
        let mut conn = app.conn().await;
        for t in ReportType::ALL {
            let mine: Vec<_> = BrowserReportRow::recent(&mut conn, t, 1000)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.document_uri.starts_with(&page))
                .collect();
            assert_eq!(mine.len(), 1, "{}: {t}", db.name);
            assert_eq!(mine[0].hits, 3, "{}: {t}", db.name);
            let samples = BrowserSampleRow::of_group(&mut conn, &mine[0].group_hash, 100).await.unwrap();
            let n = samples.iter().filter(|s| s.report_id == mine[0].id).count() as i32;
            assert!(n >= 1 && n == mine[0].sample_count, "{}: {t}: {n} samples, {mine:?}", db.name);
        }
    }
}

/// Two instances on one database count one problem on one row, whichever
/// inserts it first (on SQLite, PostgreSQL and MariaDB).
#[rocket::async_test]
async fn two_instances_count_one_problem_on_one_row() {
    for db in crate::backends::all().await {
        let toml = "[default.security.reports]\nrate_limit_per_minute = 0";
        let (a, b) = (app_with_url(toml, Some(db.url.clone())).await, app_with_url(toml, Some(db.url.clone())).await);
        let page = format!("https://127.0.0.1/{}", crate::backends::unique("two"));
        let body = coep(&page, "https://img.example/shared.png", "reporting");
        rocket::tokio::join!(post_times(&a, &body, 25), post_times(&b, &body, 25));
        let (sa, sb) = (a.settled().await, b.settled().await);
        assert_eq!((sa.stored, sb.stored), (25, 25), "{}: {sa:?} {sb:?}", db.name);
        assert!(sa.dropped.is_empty() && sb.dropped.is_empty(), "{}: {sa:?} {sb:?}", db.name);
        let mine: Vec<_> = BrowserReportRow::recent(&mut a.conn().await, ReportType::Coep, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.document_uri == page)
            .collect();
        assert_eq!(mine.iter().map(|r| r.hits).collect::<Vec<_>>(), vec![50], "{}", db.name);
        // The group's day holds every report too (other tests' pages may share the group: at least 50).
        let days =
            BrowserGroup::days(&mut a.conn().await, &[mine[0].group_hash.clone()], chrono::Utc::now()).await.unwrap();
        assert_eq!(days.len(), 1, "{}", db.name);
        assert!(days[0].hits >= 50, "{}: {days:?}", db.name);
    }
}

async fn post_times(app: &App, body: &str, n: usize) {
    for _ in 0..n {
        assert_eq!(app.post(REPORTS, body.to_string()).await.status(), Status::NoContent);
    }
}
