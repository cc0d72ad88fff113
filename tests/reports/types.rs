//! The dashboard's view per browser report type (`types`, `types/<type>`
//! with `.json` and `.csv`, `types/<type>/<group hash>`): each type grouped
//! the way a person acts on it, the readiness line of each report-only
//! control on the app's clock, triage shared through the database, exports
//! that never start a formula, every report field escaped.

use chrono::{Duration, TimeZone, Utc};
use rocket::http::{ContentType, Header, Status};
use rocket_security::core::ManualClock;
use rocket_security::reports::{BrowserGroup, BrowserKey, BrowserTotals, ReportType, TriageView};

use crate::app::{app, app_with_clock, app_with_url, App};

const ALL_TYPES: &str = include_str!("../fixtures/browser-reports/all-types.json");
const REPORTS: &str = "application/reports+json";
const BASE: &str = "/security/reports";

fn clock() -> ManualClock {
    ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap())
}

/// The app with the fixture's nine reports stored.
async fn with_fixture(clock: ManualClock) -> App {
    let app = app_with_clock("[default.security.reports]\nrate_limit_per_minute = 0", clock).await;
    assert_eq!(app.post(REPORTS, ALL_TYPES).await.status(), Status::NoContent);
    app.settled().await;
    app
}

/// A deprecation report with `id` and `message` from the page `page`.
fn deprecation(page: &str, id: &str, message: &str) -> String {
    serde_json::json!([{"type": "deprecation", "age": 0, "url": page, "user_agent": "Chrome",
        "body": {"id": id, "message": message, "sourceFile": "https://127.0.0.1/a.js"}}])
    .to_string()
}

/// The group hash of a deprecation `id` with `message`.
fn deprecation_group(id: &str, message: &str) -> String {
    BrowserKey { report_type: "deprecation".into(), subject: id.into(), detail: message.into(), ..Default::default() }
        .group_hash()
}

async fn page(app: &App, path: &str) -> String {
    let (status, _, _, body) = app.dashboard(&format!("{BASE}{path}"), true).await;
    assert_eq!(status, Status::Ok, "{path}: {body}");
    body
}

async fn json(app: &App, path: &str) -> serde_json::Value {
    serde_json::from_str(&page(app, path).await).unwrap()
}

/// `(subject, status)` of each group the JSON view `path` shows.
async fn shown(app: &App, path: &str) -> Vec<(String, String)> {
    json(app, path).await["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["subject"].as_str().unwrap().to_string(), g["status"].as_str().unwrap().to_string()))
        .collect()
}

/// POSTs the per-type triage form as `alice`, from the site itself unless `fetch_site` says otherwise.
async fn triage(app: &App, fetch_site: &str, body: &str) -> (Status, Option<String>) {
    let res = app
        .client
        .post(format!("{BASE}/types/triage"))
        .header(Header::new("X-Admin", "yes"))
        .header(Header::new("X-User", "alice"))
        .header(Header::new("Sec-Fetch-Site", fetch_site.to_string()))
        .header(ContentType::Form)
        .body(body)
        .dispatch()
        .await;
    (res.status(), res.headers().get_one("Location").map(str::to_string))
}

fn readiness(t: &str, header: &str, verdict: &str) -> String {
    format!("<li id=\"readiness-{t}\">{header}: {verdict}</li>")
}

#[rocket::async_test]
async fn the_index_lists_every_type_and_the_readiness_of_each_report_only_control() {
    let clock = clock();
    let app = app_with_clock("", clock.clone()).await;
    let before = page(&app, "/types").await;
    for (t, header) in [
        ("coep", "Cross-Origin-Embedder-Policy-Report-Only"),
        ("coop", "Cross-Origin-Opener-Policy-Report-Only"),
        ("integrity-violation", "Integrity-Policy-Report-Only"),
        ("permissions-policy-violation", "Permissions-Policy-Report-Only"),
        ("document-policy-violation", "Document-Policy-Report-Only"),
    ] {
        assert!(before.contains(&readiness(t, header, "safe to enforce")), "{t}: {before}");
    }
    // Types without a report-only control have no readiness line.
    assert!(!before.contains("readiness-deprecation") && !before.contains("readiness-crash"));
    assert!(before.contains(
        "<tr id=\"type-crash\"><td><a href=\"/security/reports/types/crash\">Crashes</a> <code>crash</code></td>\
         <td class=\"n\">0</td><td class=\"n\">0</td><td class=\"n\">0</td><td>never</td></tr>"
    ));

    assert_eq!(app.post(REPORTS, ALL_TYPES).await.status(), Status::NoContent);
    app.settled().await;
    let after = page(&app, "/types").await;
    let one = "1 report from 1 page in the last 7 days";
    assert!(after.contains(&readiness("coep", "Cross-Origin-Embedder-Policy-Report-Only", one)), "{after}");
    assert!(after.contains(&readiness("coop", "Cross-Origin-Opener-Policy-Report-Only", one)));
    assert!(after.contains(&readiness("integrity-violation", "Integrity-Policy-Report-Only", one)));
    assert!(after.contains(&readiness("permissions-policy-violation", "Permissions-Policy-Report-Only", one)));
    // The fixture's Document-Policy report was enforced: nothing about a report-only rollout.
    assert!(after.contains(&readiness("document-policy-violation", "Document-Policy-Report-Only", "safe to enforce")));
    assert!(after.contains(
        "<tr id=\"type-crash\"><td><a href=\"/security/reports/types/crash\">Crashes</a> <code>crash</code></td>\
         <td class=\"n\">1</td><td class=\"n\">1</td><td class=\"n\">1</td><td>2026-12-01 09:00</td></tr>"
    ));

    // A week and a day later, on the app's clock, the window is quiet again.
    clock.advance(Duration::days(8));
    let later = page(&app, "/types").await;
    assert!(later.contains(&readiness("coep", "Cross-Origin-Embedder-Policy-Report-Only", "safe to enforce")));
}

#[rocket::async_test]
async fn every_dashboard_page_links_the_types_index() {
    let app = app("").await;
    for path in ["", "/groups", "/wizard"] {
        let body = page(&app, path).await;
        assert!(body.contains("<a href=\"/security/reports/types\">Other report types</a>"), "{path}: {body}");
    }
}

#[rocket::async_test]
async fn each_type_is_grouped_the_way_a_person_acts_on_it() {
    let app = with_fixture(clock()).await;
    let expect: [(&str, &[&str]); 9] = [
        (
            "coep",
            &[
                "<td><code>https://cdn.example/lib.js</code></td><td><code>https://cdn.example</code></td><td>script</td>\
                 <td>report</td>",
                "Send <code>Cross-Origin-Resource-Policy: cross-origin</code> from <code>https://cdn.example</code> \
                 (or CORS, with <code>crossorigin</code> on the element), or use \
                 <code>Cross-Origin-Embedder-Policy: credentialless</code>.",
            ],
        ),
        ("coop", &["<td>access-from-coop-page-to-opener</td><td><code>https://partner.example</code></td><td>report</td>"]),
        (
            "integrity-violation",
            &[
                "<td><code>https://127.0.0.1:8000/static/app.js</code></td><td>script</td><td>report</td>",
                "Add <code>integrity=&quot;sha384-...&quot;</code> to the element that loads it; for the app's own \
                 files the crate's SRI helper (<code>security.sri</code>, the <code>Integrity</code> guard) gives the value.",
            ],
        ),
        (
            "permissions-policy-violation",
            &["<td><code>geolocation</code></td><td><code>https://127.0.0.1:8000</code></td><td>report</td>"],
        ),
        (
            "document-policy-violation",
            &["<td><code>oversized-images</code></td><td><code>https://127.0.0.1:8000</code></td><td>enforce</td>"],
        ),
        (
            "deprecation",
            &["<td><code>UnloadHandler</code></td><td>Unload event listeners are deprecated and will be removed.</td><td></td>"],
        ),
        (
            "intervention",
            &["<td><code>NavigatorVibrate</code></td><td>Blocked call to navigator.vibrate because user hasn't tapped on \
               the frame or any embedded frame yet.</td><td></td>"],
        ),
        ("crash", &["<thead><tr><th>Reason</th><th>Disposition</th>", "<tr><td>oom</td><td></td>"]),
        (
            "network-error",
            &[
                "<th>Type</th><th>Host</th><th>Phase</th>",
                "<td><code>tcp.timed_out</code></td><td><code>127.0.0.1</code></td><td>connection</td>",
            ],
        ),
    ];
    for (t, parts) in expect {
        let body = page(&app, &format!("/types/{t}")).await;
        for part in parts {
            assert!(body.contains(part), "{t}: {part}\n{body}");
        }
        // Reports, pages (a link to the group's samples), first and last seen, a sparkline.
        let g = &json(&app, &format!("/types/{t}.json")).await["groups"][0];
        let hash = g["group_hash"].as_str().unwrap();
        assert_eq!((g["hits"].as_i64(), g["pages"].as_i64(), g["status"].as_str()), (Some(1), Some(1), Some("open")));
        assert!(body.contains(&format!(
            "<td class=\"n\">1</td><td class=\"n\"><a href=\"/security/reports/types/{t}/{hash}\">1 page</a></td>\
             <td>2026-12-01 09:00</td><td>2026-12-01 09:00</td><td><svg role=\"img\" aria-label=\"1 report in 90 days, \
             most on 2026-12-01 (1)\""
        )));
    }
    let coep = &json(&app, "/types/coep.json").await["groups"][0];
    assert_eq!(coep["origin"], "https://cdn.example");
}

#[rocket::async_test]
async fn a_groups_page_lists_its_pages_and_samples() {
    let app = with_fixture(clock()).await;
    let hash = json(&app, "/types/network-error.json").await["groups"][0]["group_hash"].as_str().unwrap().to_string();
    let body = page(&app, &format!("/types/network-error/{hash}")).await;
    assert!(body.contains("<title>Network errors (NEL): one group</title>"));
    assert!(body.contains(
        "<tr><td><code>https://127.0.0.1:8000/api/items</code></td><td class=\"n\">1</td><td>2026-12-01 09:00</td>\
         <td>2026-12-01 09:00</td></tr>"
    ));
    assert!(body.contains(
        "<td><pre>{&quot;type&quot;:&quot;network-error&quot;,&quot;body&quot;:{&quot;type&quot;:&quot;tcp.timed_out\
         &quot;,&quot;phase&quot;:&quot;connection&quot;"
    ));
    assert!(body.contains("<td>Mozilla/5.0 Chrome/138.0.0.0</td>"));
}

#[rocket::async_test]
async fn hostile_fields_are_text() {
    let app = app("").await;
    let id = "<script>alert(1)</script>";
    let message = "<img src=x onerror=alert(2)> & \"q\"";
    assert_eq!(app.post(REPORTS, deprecation("https://127.0.0.1/h", id, message)).await.status(), Status::NoContent);
    app.settled().await;
    let body = page(&app, "/types/deprecation").await;
    assert!(
        body.contains(
            "<td><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></td><td>&lt;img src=x onerror=alert(2)&gt; &amp; \
             &quot;q&quot;</td>"
        ),
        "{body}"
    );
    let samples = page(&app, &format!("/types/deprecation/{}", deprecation_group(id, message))).await;
    assert!(samples.contains("&quot;id&quot;:&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;"), "{samples}");
    for b in [&body, &samples] {
        assert!(!b.contains("<script>") && !b.contains("<img"), "{b}");
    }
}

#[rocket::async_test]
async fn unknown_types_and_groups_are_404() {
    let app = with_fixture(clock()).await;
    let crash = json(&app, "/types/crash.json").await["groups"][0]["group_hash"].as_str().unwrap().to_string();
    assert_eq!(app.dashboard(&format!("{BASE}/types/crash/{crash}"), true).await.0, Status::Ok);
    for path in [
        "/types/csp-violation".to_string(),
        "/types/Crash".into(),
        "/types/made-up.json".into(),
        "/types/crash.xml".into(),
        "/types/crash/xyz".into(),
        format!("/types/crash/{}", &crash[..63]),
        format!("/types/crash/{}g", &crash[..63]),
        // A group of another type.
        format!("/types/coep/{crash}"),
        // No such group.
        format!("/types/crash/{}", "0".repeat(64)),
        format!("/types/made-up/{crash}"),
    ] {
        assert_eq!(app.dashboard(&format!("{BASE}{path}"), true).await.0, Status::NotFound, "{path}");
    }
    assert_eq!(app.dashboard(&format!("{BASE}/types/crash?triage=closed"), true).await.0, Status::BadRequest);
    assert_eq!(app.dashboard(&format!("{BASE}/types/crash?page=0"), true).await.0, Status::BadRequest);
}

#[rocket::async_test]
async fn the_guard_refuses_every_types_route() {
    let app = with_fixture(clock()).await;
    let crash = json(&app, "/types/crash.json").await["groups"][0]["group_hash"].as_str().unwrap().to_string();
    for path in [
        "/types".to_string(),
        "/types/crash".into(),
        "/types/crash.json".into(),
        "/types/crash.csv".into(),
        format!("/types/crash/{crash}"),
    ] {
        let (status, _, _, body) = app.dashboard(&format!("{BASE}{path}"), false).await;
        assert_eq!(status, Status::Forbidden, "{path}");
        assert!(!body.contains("oom"), "{path}");
    }
    let res = app
        .client
        .post(format!("{BASE}/types/triage"))
        .header(Header::new("Sec-Fetch-Site", "same-origin"))
        .header(ContentType::Form)
        .body(format!("type=crash&group={crash}&state=expected"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(shown(&app, "/types/crash.json").await, vec![("oom".into(), "open".into())]);
}

#[rocket::async_test]
async fn expected_groups_are_hidden_with_a_count() {
    let app = with_fixture(clock()).await;
    let hash = deprecation_group("UnloadHandler", "Unload event listeners are deprecated and will be removed.");
    let form = format!("type=deprecation&group={hash}&state=expected&back=%3Ftriage%3Dall");
    // A forged request never reaches the handler.
    assert_eq!(triage(&app, "cross-site", &form).await, (Status::Forbidden, None));
    assert_eq!(shown(&app, "/types/deprecation.json").await.len(), 1);

    let to = Some("/security/reports/types/deprecation?triage=all".to_string());
    assert_eq!(triage(&app, "same-origin", &form).await, (Status::SeeOther, to));
    assert_eq!(shown(&app, "/types/deprecation.json").await, vec![]);
    let body = page(&app, "/types/deprecation").await;
    assert!(
        body.contains(
            "<p id=\"hidden\">Hidden: 1 group marked expected (1 report). \
             <a href=\"/security/reports/types/deprecation?triage=expected\">Show them</a>.</p>"
        ),
        "{body}"
    );
    let expected = json(&app, "/types/deprecation.json?triage=expected").await;
    let g = &expected["groups"][0];
    assert_eq!(
        (g["status"].as_str(), g["triaged_by"].as_str(), g["hits"].as_i64()),
        (Some("expected"), Some("alice"), Some(1))
    );
    // Other types are not affected.
    assert_eq!(shown(&app, "/types/intervention.json").await.len(), 1);

    // Reopened by hand.
    let reopen = format!("type=deprecation&group={hash}&state=open");
    let to = Some("/security/reports/types/deprecation".to_string());
    assert_eq!(triage(&app, "same-origin", &reopen).await, (Status::SeeOther, to));
    assert_eq!(shown(&app, "/types/deprecation.json").await, vec![("UnloadHandler".into(), "open".into())]);
    // Bad forms.
    for bad in [
        format!("type=csp&group={hash}&state=expected"),
        format!("type=deprecation&group={}&state=expected", &hash[..60]),
        format!("type=deprecation&group={hash}&state=closed"),
        format!("group={hash}&state=expected"),
    ] {
        assert_eq!(triage(&app, "same-origin", &bad).await.0, Status::BadRequest, "{bad}");
    }
}

#[rocket::async_test]
async fn a_fixed_group_reopens_when_reported_after_it_was_marked() {
    let clock = clock();
    let app = with_fixture(clock.clone()).await;
    let crash = json(&app, "/types/crash.json").await["groups"][0]["group_hash"].as_str().unwrap().to_string();
    clock.advance(Duration::minutes(5));
    let form = format!("type=crash&group={crash}&state=fixed");
    assert_eq!(triage(&app, "same-origin", &form).await.0, Status::SeeOther);
    assert_eq!(shown(&app, "/types/crash.json").await, vec![]);
    assert_eq!(shown(&app, "/types/crash.json?triage=fixed").await, vec![("oom".into(), "fixed".into())]);
    let body = page(&app, "/types/crash?triage=fixed").await;
    assert!(body.contains("Fixed (alice, 2026-12-01 09:05)"), "{body}");

    clock.advance(Duration::minutes(5));
    let again = r#"[{"type": "crash", "url": "https://127.0.0.1:8000/editor", "body": {"reason": "oom"}}]"#;
    assert_eq!(app.post(REPORTS, again).await.status(), Status::NoContent);
    app.settled().await;
    assert_eq!(shown(&app, "/types/crash.json").await, vec![("oom".into(), "reopened".into())]);
    let body = page(&app, "/types/crash").await;
    assert!(body.contains("Reopened: reported again after marked fixed (alice, 2026-12-01 09:05)"), "{body}");
}

#[rocket::async_test]
async fn exports_are_safe_csv_and_json() {
    let app = app("").await;
    let id = "=HYPERLINK(\"http://evil.example\")";
    app.post(REPORTS, deprecation("https://127.0.0.1/x", id, "-1+2;@SUM(A1)")).await;
    app.settled().await;
    let (status, content_type, headers, body) = app.dashboard(&format!("{BASE}/types/deprecation.csv"), true).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(content_type.map(|c| c.to_string()).as_deref(), Some("text/csv; charset=utf-8"));
    assert!(headers
        .contains(&("Content-Disposition".to_string(), "attachment; filename=\"deprecation-groups.csv\"".to_string())));
    let mut lines = body.split("\r\n");
    assert_eq!(
        lines.next(),
        Some(
            "\"report_type\",\"disposition\",\"subject\",\"detail\",\"reports\",\"pages\",\"first_seen\",\"last_seen\",\
             \"status\",\"triaged_by\",\"triaged_at\",\"group_hash\""
        )
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with(
            "\"deprecation\",\"\",\"'=HYPERLINK(\"\"http://evil.example\"\")\",\"'-1+2;'@SUM(A1)\",\"1\",\"1\","
        ),
        "{row}"
    );
    assert!(row.ends_with(&format!(",\"open\",\"\",\"\",\"{}\"", deprecation_group(id, "-1+2;@SUM(A1)"))), "{row}");

    let (status, content_type, _, body) = app.dashboard(&format!("{BASE}/types/deprecation.json"), true).await;
    assert_eq!((status, content_type), (Status::Ok, Some(ContentType::JSON)));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["report_type"], "deprecation");
    assert_eq!(v["groups"][0]["subject"], id);
    assert_eq!(v["per_page"], 50);
}

#[rocket::async_test]
async fn fifty_groups_a_page() {
    let app = app("[default.security.reports]\nrate_limit_per_minute = 0\nmax_reports_per_request = 100").await;
    let reports: Vec<serde_json::Value> = (0..51)
        .map(|i| {
            serde_json::json!({"type": "crash", "url": "https://127.0.0.1/p",
                "body": {"reason": format!("reason-{i:02}")}})
        })
        .collect();
    assert_eq!(app.post(REPORTS, serde_json::to_string(&reports).unwrap()).await.status(), Status::NoContent);
    app.settled().await;
    let first = json(&app, "/types/crash.json").await;
    assert_eq!((first["groups"].as_array().unwrap().len(), first["next_page"].as_u64()), (50, Some(2)));
    let second = json(&app, "/types/crash.json?page=2").await;
    assert_eq!((second["groups"].as_array().unwrap().len(), second["next_page"].as_u64()), (1, None));
    let body = page(&app, "/types/crash").await;
    assert!(body.contains("<a href=\"/security/reports/types/crash?page=2\">Next page</a>"), "{body}");
}

/// The per-type queries (groups with their triage, one group, the expected
/// count, the totals) and the triage POST on PostgreSQL and MariaDB too.
#[rocket::async_test]
async fn types_and_triage_on_every_backend() {
    for db in crate::backends::all().await {
        let app = app_with_url("[default.security.reports]\nrate_limit_per_minute = 0", Some(db.url.clone())).await;
        // A group of this test's own: the shared database holds other tests' rows.
        let id = crate::backends::unique("types");
        let message = "Unique to this test.";
        for page in ["https://127.0.0.1/t1", "https://127.0.0.1/t2", "https://127.0.0.1/t2"] {
            assert_eq!(app.post(REPORTS, deprecation(page, &id, message)).await.status(), Status::NoContent);
        }
        app.settled().await;
        let hash = deprecation_group(&id, message);
        let mut conn = app.conn().await;
        let g = BrowserGroup::find(&mut conn, ReportType::Deprecation, &hash).await.unwrap().expect(db.name);
        assert_eq!((g.group.hits, g.group.pages, g.status()), (3, 2, "open"), "{}", db.name);
        assert_eq!(BrowserGroup::find(&mut conn, ReportType::Crash, &hash).await.unwrap(), None, "{}", db.name);
        let open =
            BrowserGroup::triaged(&mut conn, ReportType::Deprecation, TriageView::Open, 100_000, 0).await.unwrap();
        assert!(open.iter().any(|g| g.group.group_hash == hash), "{}", db.name);
        let totals = BrowserTotals::all(&mut conn).await.unwrap();
        let dep = totals.iter().find(|t| t.report_type == "deprecation").expect(db.name);
        assert!(dep.groups >= 1 && dep.hits >= 3 && dep.pages >= 2, "{}: {dep:?}", db.name);

        let form = format!("type=deprecation&group={hash}&state=expected");
        assert_eq!(triage(&app, "same-origin", &form).await.0, Status::SeeOther, "{}", db.name);
        let open =
            BrowserGroup::triaged(&mut conn, ReportType::Deprecation, TriageView::Open, 100_000, 0).await.unwrap();
        assert!(!open.iter().any(|g| g.group.group_hash == hash), "{}", db.name);
        let expected =
            BrowserGroup::triaged(&mut conn, ReportType::Deprecation, TriageView::Expected, 100_000, 0).await.unwrap();
        let mine = expected.iter().find(|g| g.group.group_hash == hash).expect(db.name);
        assert_eq!((mine.status(), mine.triaged_by.as_deref()), ("expected", Some("alice")), "{}", db.name);
        let hidden = BrowserGroup::expected(&mut conn, ReportType::Deprecation).await.unwrap();
        assert!(hidden.groups >= 1 && hidden.hits >= 3, "{}: {hidden:?}", db.name);
        // The pages themselves answer on every backend.
        let body = page(&app, &format!("/types/deprecation/{hash}")).await;
        assert!(body.contains("Expected (alice, "), "{}", db.name);
        assert!(body.contains("<tr><td><code>https://127.0.0.1/t2</code></td><td class=\"n\">2</td>"), "{}", db.name);
        page(&app, "/types").await;
        page(&app, "/types/deprecation?triage=expected").await;
        // Open again: the triage row is deleted.
        let form = format!("type=deprecation&group={hash}&state=open");
        assert_eq!(triage(&app, "same-origin", &form).await.0, Status::SeeOther, "{}", db.name);
        let g = BrowserGroup::find(&mut conn, ReportType::Deprecation, &hash).await.unwrap().unwrap();
        assert_eq!((g.status(), g.triage), ("open", None), "{}", db.name);
    }
}
