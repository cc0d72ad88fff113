//! Storage: aggregation, sample caps, and accounting when the database fails.

use rocket::http::Status;
use rocket_security::reports::{CspReport, CspViolation, ViolationKey};

use crate::app::{app, app_with_clock, app_with_url, legacy, App};

const DOC: &str = "https://127.0.0.1/page";

/// A database URL no server answers (PostgreSQL when built in, else a SQLite
/// file in a directory that does not exist).
fn unreachable_database_url() -> &'static str {
    if cfg!(feature = "postgres") {
        "postgres://postgres@127.0.0.1:1/test"
    } else {
        "sqlite:///nonexistent-dir/x.db"
    }
}

#[rocket::async_test]
async fn one_violation_posted_1000_times_is_one_row_with_1000_hits() {
    let app = app("[default.security.reports]\nsamples_per_violation = 5\nrate_limit_per_minute = 0").await;
    for _ in 0..1000 {
        let res = app.post("application/csp-report", legacy(DOC, "script-src-elem", "inline")).await;
        assert_eq!(res.status(), Status::NoContent);
    }
    let s = app.settled().await;
    assert_eq!((s.received, s.accepted, s.stored), (1000, 1000, 1000));
    let mut conn = app.conn().await;
    let rows = CspViolation::recent(&mut conn, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].hits, 1000);
    assert!(rows[0].sample_count <= 5 && rows[0].sample_count >= 1, "{}", rows[0].sample_count);
    let samples = CspReport::for_violation(&mut conn, rows[0].id, 100).await.unwrap();
    assert_eq!(samples.len() as i32, rows[0].sample_count);
    assert_eq!(rows[0].blocked, "inline");
    assert_eq!(rows[0].document_uri, DOC);
}

#[rocket::async_test]
async fn the_query_string_does_not_split_a_violation() {
    let app = app("").await;
    app.post("application/csp-report", legacy("https://127.0.0.1/p?a=1", "img-src", "https://cdn.example/a.png?x"))
        .await;
    app.post("application/csp-report", legacy("https://127.0.0.1/p?a=2#f", "img-src", "https://cdn.example/b.png"))
        .await;
    app.settled().await;
    let rows = CspViolation::recent(&mut app.conn().await, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].hits, rows[0].blocked.as_str(), rows[0].document_uri.as_str()),
        (2, "cdn.example", "https://127.0.0.1/p")
    );
}

#[rocket::async_test]
async fn without_a_database_accepted_reports_wait_in_the_spool() {
    // The database sink is on but no server answers: the endpoint answers and counts.
    let url = unreachable_database_url();
    let app = app_with_url("", Some(url.to_string())).await;
    for _ in 0..20 {
        assert_eq!(app.post("application/csp-report", legacy(DOC, "img-src", "x")).await.status(), Status::NoContent);
    }
    assert_eq!(app.client.get("/page").dispatch().await.status(), Status::Ok, "other pages are unaffected");
    let s = app.settled().await;
    assert_eq!((s.accepted, s.stored, s.spooled), (20, 0, 20));
    assert!(s.dropped.is_empty(), "{s:?}");
    assert!(s.spool_bytes > 0 && s.spool_age_seconds.is_some(), "{s:?}");
}

#[rocket::async_test]
async fn without_a_database_or_a_spool_accepted_reports_are_dropped_with_a_reason() {
    let url = unreachable_database_url();
    let app = app_with_url("[default.security.reports]\nspool = false", Some(url.to_string())).await;
    for _ in 0..20 {
        assert_eq!(app.post("application/csp-report", legacy(DOC, "img-src", "x")).await.status(), Status::NoContent);
    }
    let s = app.settled().await;
    assert_eq!((s.accepted, s.stored, s.spooled), (20, 0, 0));
    assert_eq!(s.dropped.get("database_unavailable"), Some(&20));
}

/// 50 reports in one request against a queue of one.
fn fifty() -> String {
    serde_json::Value::Array(
        (0..50)
            .map(|i| serde_json::json!({"type": "csp-violation", "body": {"documentURL": DOC, "blockedURL": format!("https://c{i}.example/x"), "effectiveDirective": "img-src"}}))
            .collect(),
    )
    .to_string()
}

#[rocket::async_test]
async fn a_full_queue_hands_its_overflow_on_and_nothing_is_dropped() {
    let app = app("[default.security.reports]\nqueue_size = 1\nrate_limit_per_minute = 0").await;
    assert_eq!(app.post("application/reports+json", fifty()).await.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.accepted, s.stored), (50, 50), "{s:?}");
    assert!(s.dropped.is_empty(), "{s:?}");
}

#[rocket::async_test]
async fn without_a_spool_a_full_queue_drops_with_a_reason_and_nothing_is_lost_uncounted() {
    let app = app("[default.security.reports]\nqueue_size = 1\nrate_limit_per_minute = 0\nspool = false").await;
    assert_eq!(app.post("application/reports+json", fifty()).await.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!(s.accepted, 50);
    assert_eq!(s.stored + s.dropped.get("queue_full").copied().unwrap_or(0), 50, "{s:?}");
    assert!(s.dropped.get("queue_full").copied().unwrap_or(0) > 0, "{s:?}");
}

/// The server databases configured for this run (CI sets both).
fn servers() -> Vec<String> {
    let mut out = vec![];
    for var in ["SECURITY_TEST_POSTGRES_URL", "SECURITY_TEST_MYSQL_URL"] {
        match std::env::var(var) {
            Ok(url) => out.push(url),
            Err(_) => assert!(std::env::var_os("SECURITY_TEST_REQUIRE_BACKENDS").is_none(), "{var} is not set"),
        }
    }
    out
}

#[rocket::async_test]
async fn the_database_stopping_mid_run_loses_nothing() {
    for url in servers() {
        let mut proxy = crate::proxy::Proxy::start(crate::proxy::target(&url)).await;
        let app = app_with_url(
            "[default.security.reports]\nrate_limit_per_minute = 0",
            Some(crate::proxy::proxied(&url, &proxy)),
        )
        .await;
        let app = &app;
        let run = format!("outage-{}-{}.example", std::process::id(), rand_suffix());
        let blocked = format!("https://{run}/a.png");
        let post = |i: usize| {
            let (doc, blocked) = (format!("https://127.0.0.1/outage/{i}"), blocked.clone());
            async move { app.post("application/csp-report", legacy(&doc, "img-src", &blocked)).await.status() }
        };
        for i in 0..30 {
            assert_eq!(post(i).await, Status::NoContent);
        }
        let before = app.settled().await;
        assert_eq!(before.stored, 30, "{url}: {before:?}");

        proxy.stop().await;
        for i in 30..60 {
            assert_eq!(post(i).await, Status::NoContent, "{url}: the endpoint answers while the database is down");
        }
        assert_eq!(app.client.get("/page").dispatch().await.status(), Status::Ok, "{url}: pages still serve");
        let during = app.settled().await;
        assert!(during.spooled > 0, "{url}: {during:?}");
        assert!(during.dropped.is_empty(), "{url}: nothing is dropped while the spool has room: {during:?}");

        proxy.restart().await;
        // The writer tries the database every second while the spool holds batches.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let after = loop {
            let s = app.settled().await;
            if s.spooled == 0 {
                break s;
            }
            assert!(std::time::Instant::now() < deadline, "{url}: the spool never drained: {s:?}");
            rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert_eq!((after.accepted, after.stored), (60, 60), "{url}: {after:?}");
        assert!(after.dropped.is_empty(), "{url}: {after:?}");
        assert_eq!(after.spool_bytes, 0, "{url}: the spool is truncated once drained");
        let filter = rocket_security::reports::ViolationFilter { blocked: Some(run.clone()), ..Default::default() };
        let rows = CspViolation::search(&mut app.conn().await, &filter, 1000).await.unwrap();
        assert_eq!(rows.len(), 60, "{url}");
        let hits: i64 = rows.iter().map(|v| v.hits).sum();
        assert_eq!(hits, 60, "{url}: the database's hits equal the stored count");
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
}

#[rocket::async_test]
async fn shutdown_flushes_the_queue_and_accounts_for_everything() {
    let app = app("[default.security.reports]\nrate_limit_per_minute = 0").await;
    for i in 0..200 {
        let doc = format!("https://127.0.0.1/shutdown/{i}");
        assert_eq!(app.post("application/csp-report", legacy(&doc, "img-src", "x")).await.status(), Status::NoContent);
    }
    let rocket = app.terminate().await;
    let s = rocket_security::reports::stats(&rocket).unwrap();
    assert_eq!(s.queued, 0, "{s:?}");
    assert_eq!(s.accepted, 200);
    assert_eq!(s.accepted, s.stored + s.dropped_after_accept(), "{s:?}");
    assert_eq!(s.stored, 200, "the pool closes at shutdown, but the writer's connection finishes the flush: {s:?}");
}

#[rocket::async_test]
async fn a_violation_with_complete_samples_costs_one_update_and_survives_deletion() {
    let app = app("[default.security.reports]\nsamples_per_violation = 1\nrate_limit_per_minute = 0").await;
    let body = || legacy(DOC, "img-src", "https://cdn.example/a.png");
    // One batch each: the first stores the sample, the second finds the samples
    // complete, the third and fourth take the one-statement path.
    for stored in 1..=4 {
        assert_eq!(app.post("application/csp-report", body()).await.status(), Status::NoContent);
        assert_eq!(app.settled().await.stored, stored);
    }
    let mut conn = app.conn().await;
    let first = CspViolation::recent(&mut conn, 10).await.unwrap().remove(0);
    assert_eq!((first.hits, first.sample_count), (4, 1));
    // Deleted (retention, or by hand) while the writer still knows it: the
    // next report records it afresh instead of updating nothing.
    assert!(CspViolation::delete(&mut conn, first.id).await.unwrap());
    assert_eq!(app.post("application/csp-report", body()).await.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.accepted, s.stored), (5, 5));
    assert!(s.dropped.is_empty(), "{s:?}");
    let rows = CspViolation::recent(&mut conn, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].id, first.id);
    assert_eq!((rows[0].hits, rows[0].sample_count), (1, 1));
}

#[rocket::async_test]
async fn the_dashboard_shows_the_counters_with_503_while_the_database_is_down() {
    let url = unreachable_database_url();
    let app = app_with_url("", Some(url.to_string())).await;
    assert_eq!(app.post("application/csp-report", legacy(DOC, "img-src", "x")).await.status(), Status::NoContent);
    app.settled().await;
    let (status, _, _, body) = app.dashboard("/security/reports/api", true).await;
    assert_eq!(status, Status::ServiceUnavailable);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["stats"]["accepted"], 1);
    assert_eq!(body["stats"]["spooled"], 1, "{body}");
    assert!(body["database_error"].as_str().unwrap().starts_with("the database is unavailable"), "{body}");
    let (status, _, _, html) = app.dashboard("/security/reports", true).await;
    assert_eq!(status, Status::ServiceUnavailable);
    assert!(html.contains("<span>accepted 1</span>"), "{html}");
    assert!(html.contains("<span>spooled 1 ("), "the spool's size and age are shown: {html}");
    assert!(html.contains("the database is unavailable"), "{html}");
    // The grouped view says so too, and claims nothing about the triage log it could not read.
    let (status, _, _, html) = app.dashboard("/security/reports/groups", true).await;
    assert_eq!(status, Status::ServiceUnavailable);
    assert!(html.contains("<p class=\"error\">the database is unavailable (details in the server log)</p>"), "{html}");
    assert!(!html.contains("Triage log"), "{html}");
}

/// A violation last seen `days` ago, recorded straight into the app's database.
async fn stale_violation(app: &App, days: i64) -> ViolationKey {
    let key = ViolationKey {
        document_uri: "https://example.com/old".into(),
        effective_directive: "img-src".into(),
        blocked: "old.example".into(),
        source_file: None,
        line_number: None,
        disposition: "enforce".into(),
    };
    let then = chrono::Utc::now() - chrono::Duration::days(days);
    let mut conn = app.conn().await;
    CspViolation::record(&mut conn, &key, 1, None, 1, then).await.unwrap();
    key
}

#[rocket::async_test]
async fn the_writer_deletes_violations_not_seen_for_retention_days() {
    let app = app("[default.security.reports]\nretention_days = 30").await;
    let old = stale_violation(&app, 31).await;
    let kept = ViolationKey { document_uri: "https://example.com/recent".into(), ..old.clone() };
    let then = chrono::Utc::now() - chrono::Duration::days(29);
    CspViolation::record(&mut app.conn().await, &kept, 1, None, 1, then).await.unwrap();
    assert_eq!(
        app.post("application/csp-report", legacy(DOC, "img-src", "https://cdn.example/a.png")).await.status(),
        Status::NoContent
    );
    assert_eq!(app.settled().await.stored, 1);
    let mut conn = app.conn().await;
    assert!(CspViolation::find(&mut conn, &old).await.unwrap().is_none(), "31 days old: deleted");
    assert!(CspViolation::find(&mut conn, &kept).await.unwrap().is_some(), "29 days old: kept");
    assert_eq!(CspViolation::recent(&mut conn, 10).await.unwrap().len(), 2);
    let (status, _, _, html) = app.dashboard("/security/reports", true).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("Retention: violations not seen for 30 days are deleted with their samples; at most 100000"),
        "{html}"
    );
}

#[rocket::async_test]
async fn retention_days_zero_keeps_violations_forever() {
    let app = app("[default.security.reports]\nretention_days = 0").await;
    let old = stale_violation(&app, 3650).await;
    assert_eq!(
        app.post("application/csp-report", legacy(DOC, "img-src", "https://cdn.example/a.png")).await.status(),
        Status::NoContent
    );
    assert_eq!(app.settled().await.stored, 1);
    let mut conn = app.conn().await;
    assert!(CspViolation::find(&mut conn, &old).await.unwrap().is_some());
    let (_, _, _, html) = app.dashboard("/security/reports", true).await;
    assert!(html.contains("Retention: violations are kept forever"), "{html}");
}

#[rocket::async_test]
async fn the_writer_keeps_at_most_max_violations_the_least_recently_seen_going_first() {
    let app = app("[default.security.reports]\nmax_violations = 5").await;
    for i in 0..8 {
        let blocked = format!("https://cdn{i}.example/a.png");
        assert_eq!(
            app.post("application/csp-report", legacy(DOC, "img-src", &blocked)).await.status(),
            Status::NoContent
        );
    }
    assert_eq!(app.settled().await.stored, 8);
    // The cap runs after a batch, at most once a second: a report seen again
    // (no new row) triggers it, and is the most recently seen, so it stays.
    let again = "https://cdn0.example/a.png";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let rows = loop {
        app.post("application/csp-report", legacy(DOC, "img-src", again)).await;
        app.settled().await;
        let rows = CspViolation::recent(&mut app.conn().await, 100).await.unwrap();
        if rows.len() <= 5 || std::time::Instant::now() > deadline {
            break rows;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(rows[0].blocked, "cdn0.example", "the one seen last is kept");
    let (_, _, _, html) = app.dashboard("/security/reports", true).await;
    assert!(
        html.contains(
            "Retention: violations not seen for 90 days are deleted with their samples; at most 5 are kept, the \
             least recently seen deleted first."
        ),
        "{html}"
    );
}

#[rocket::async_test]
async fn reports_are_stored_and_retained_on_the_applications_clock() {
    // The clock stands years before the real date: the stored times and the
    // retention cutoff must follow it, as the dashboard's windows do.
    use chrono::TimeZone;
    let t = chrono::Utc.with_ymd_and_hms(2020, 1, 1, 12, 0, 0).unwrap();
    let clock = rocket_security::core::ManualClock::new(t);
    let app = app_with_clock("[default.security.reports]\nretention_days = 30", clock).await;
    let old = ViolationKey {
        document_uri: "https://example.com/old".into(),
        effective_directive: "img-src".into(),
        blocked: "old.example".into(),
        source_file: None,
        line_number: None,
        disposition: "enforce".into(),
    };
    let kept = ViolationKey { document_uri: "https://example.com/recent".into(), ..old.clone() };
    let mut conn = app.conn().await;
    CspViolation::record(&mut conn, &old, 1, None, 1, t - chrono::Duration::days(31)).await.unwrap();
    CspViolation::record(&mut conn, &kept, 1, None, 1, t - chrono::Duration::days(29)).await.unwrap();
    drop(conn);
    assert_eq!(
        app.post("application/csp-report", legacy(DOC, "img-src", "https://cdn.example/a.png")).await.status(),
        Status::NoContent
    );
    assert_eq!(app.settled().await.stored, 1);
    let mut conn = app.conn().await;
    let rows = CspViolation::recent(&mut conn, 10).await.unwrap();
    let posted = rows.iter().find(|r| r.document_uri == DOC).expect("the posted report's row");
    assert_eq!((posted.first_seen, posted.last_seen), (t.naive_utc(), t.naive_utc()));
    assert!(CspViolation::find(&mut conn, &old).await.unwrap().is_none(), "31 days before the clock: deleted");
    assert!(CspViolation::find(&mut conn, &kept).await.unwrap().is_some(), "29 days before the clock: kept");
    assert_eq!(rows.len(), 2);
}
