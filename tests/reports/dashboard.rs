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
        format!(
            "default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        )
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

/// A control in report mode on two instances: the dashboard's "would have
/// refused" table shows both instances' total, this instance's count and the
/// latest examples, escaped.
#[rocket::async_test]
async fn the_would_have_refused_table_sums_two_instances_and_escapes_examples() {
    let file = std::env::temp_dir().join(format!("rocket-security-refusals-{}.db", std::process::id()));
    let url = format!("sqlite://{}", file.display());
    let toml = "[default.security]\nallowed_hosts = [\"127.0.0.1\", \"localhost\"]\nallowed_hosts_mode = \"report\"\n\
                [default.security.csrf]\nmode = \"report\"";
    let a = crate::app::app_with_url(toml, Some(url.clone())).await;
    let b = crate::app::app_with_url(toml, Some(url)).await;
    let hostile = "x\"><b>owned</b>";
    for (app, n) in [(&a, 1), (&b, 2)] {
        for _ in 0..n {
            let res = app.client.get("/page").header(rocket::http::Header::new("Host", hostile)).dispatch().await;
            assert_eq!(res.status(), Status::Ok, "admitted in report mode");
        }
    }
    // A mixed run: a cross-site POST too (no route: it still reaches routing, 404).
    let res = b
        .client
        .post("/page")
        .header(rocket::http::Header::new("Host", "127.0.0.1"))
        .header(rocket::http::Header::new("Sec-Fetch-Site", "cross-site"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NotFound, "admitted by CSRF in report mode");
    let row = "<tr><td>allowed_hosts</td><td>host_not_allowed</td><td class=\"n\">3</td><td class=\"n\">1</td>";
    let csrf = "<tr><td>csrf</td><td>cross_origin</td><td class=\"n\">1</td><td class=\"n\">0</td>";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let html = loop {
        let res = a
            .client
            .get("/security/reports")
            .header(rocket::http::Header::new("X-Admin", "yes"))
            .header(rocket::http::Header::new("Host", "127.0.0.1"))
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::Ok);
        let html = res.into_string().await.unwrap();
        if (html.contains(row) && html.contains(csrf)) || std::time::Instant::now() > deadline {
            break html;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(html.contains("<h2>Would have refused (report mode)</h2>"), "{html}");
    assert!(html.contains(row), "both instances' total, then this instance's: {html}");
    assert!(html.contains(csrf), "the other instance's control, from the database: {html}");
    assert!(html.contains("<code>GET /page (x&quot;&gt;&lt;b&gt;owned&lt;/b&gt;)</code>"), "{html}");
    assert!(!html.contains("<b>owned</b>"), "{html}");
    let _ = std::fs::remove_file(&file);
}

#[rocket::async_test]
async fn without_report_mode_the_table_says_nothing_was_seen() {
    let app = app("").await;
    let (_, _, _, html) = app.dashboard("/security/reports", true).await;
    assert!(
        html.contains(
            "<h2>Would have refused (report mode)</h2><p>No control in report mode has seen a request it would refuse.</p>"
        ),
        "{html}"
    );
}

#[rocket::async_test]
async fn report_mode_counts_are_written_at_shutdown() {
    let file = std::env::temp_dir().join(format!("rocket-security-refusals-stop-{}.db", std::process::id()));
    let url = format!("sqlite://{}", file.display());
    let toml = "[default.security]\nallowed_hosts = [\"127.0.0.1\"]\nallowed_hosts_mode = \"report\"";
    let app = crate::app::app_with_url(toml, Some(url.clone())).await;
    let res = app.client.get("/page").header(rocket::http::Header::new("Host", "other.example")).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    drop(res);
    // Stopped before the once-a-second writer ran: the shutdown hook writes it.
    app.terminate().await;
    let pool = rocket_security::db::SecurityPool::from_url(&url).unwrap();
    let rows = rocket_security::db::WouldRefuse::all(&mut pool.conn().await.unwrap()).await.unwrap();
    let got: Vec<(String, String, i64)> = rows.into_iter().map(|r| (r.control, r.reason, r.hits)).collect();
    assert_eq!(got, [("allowed_hosts".to_string(), "host_not_allowed".to_string(), 1)]);
    let _ = std::fs::remove_file(&file);
}
