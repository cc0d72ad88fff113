//! Triage of violation groups: "expected" hides a group (still counted),
//! "fixed" hides it until it is reported again; decisions are CSRF-checked
//! POSTs, recorded with who and when, and shared through the database by
//! every instance (two instances on each backend here). Sparklines: reports
//! per group and day.

use chrono::{Duration, Utc};
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use rocket_security::db::SecurityConn;
use rocket_security::reports::{CspViolation, ViolationKey};

use crate::app::{app, legacy, rocket_with_url, TempFile};
use crate::backends;

fn key(doc: &str, blocked: &str) -> ViolationKey {
    ViolationKey {
        document_uri: doc.into(),
        effective_directive: "img-src".into(),
        blocked: blocked.into(),
        source_file: None,
        line_number: None,
        disposition: "enforce".into(),
    }
}

async fn record(conn: &mut SecurityConn, k: &ViolationKey, hits: i64, at: chrono::DateTime<Utc>) {
    CspViolation::record(conn, k, hits, None, 1, at).await.unwrap();
}

/// An instance of the test app on the database at `url`.
async fn instance(toml: &str, url: &str) -> (Client, TempFile) {
    let (rocket, file) = rocket_with_url(toml, Some(url.to_string()));
    (Client::untracked(rocket).await.expect("valid app"), TempFile::new(file))
}

async fn groups(client: &Client, query: &str) -> serde_json::Value {
    let res = client
        .get(format!("/security/reports/groups.json?{query}"))
        .header(Header::new("X-Admin", "yes"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    serde_json::from_str(&res.into_string().await.unwrap()).unwrap()
}

/// `(blocked, status, triaged_by)` of each group `query` shows.
async fn shown(client: &Client, query: &str) -> Vec<(String, String, Option<String>)> {
    groups(client, query).await["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["blocked"].as_str().unwrap().to_string(),
                g["status"].as_str().unwrap().to_string(),
                g["triaged_by"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// `(state, changed_by)` of the triage log entries about `blocked`, newest first.
async fn log_of(client: &Client, blocked: &str) -> Vec<(String, String)> {
    groups(client, "").await["triage_log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["blocked"] == blocked)
        .map(|e| (e["state"].as_str().unwrap().to_string(), e["changed_by"].as_str().unwrap().to_string()))
        .collect()
}

/// POSTs the triage form from a page of the site itself (`Sec-Fetch-Site: same-origin`).
async fn triage(client: &Client, fetch_site: &str, body: &str) -> (Status, Option<String>) {
    let res = client
        .post("/security/reports/triage")
        .header(Header::new("X-Admin", "yes"))
        .header(Header::new("X-User", "alice"))
        .header(Header::new("Sec-Fetch-Site", fetch_site.to_string()))
        .header(ContentType::Form)
        .body(body)
        .dispatch()
        .await;
    (res.status(), res.headers().get_one("Location").map(str::to_string))
}

#[rocket::async_test]
async fn triage_is_shared_by_every_instance_and_records_who_and_when() {
    for db in backends::all().await {
        let host = format!("{}.example", backends::unique("triage").to_lowercase());
        let (a, _fa) = instance("", &db.url).await;
        let (b, _fb) = instance("", &db.url).await;
        record(
            &mut db.pool.conn().await.unwrap(),
            &key("https://127.0.0.1/a", &host),
            3,
            Utc::now() - Duration::hours(1),
        )
        .await;
        let only = format!("blocked={host}");
        assert_eq!(shown(&b, &only).await, vec![(host.clone(), "open".into(), None)], "{}", db.name);

        // A forged request never reaches the handler: nothing is recorded.
        let form =
            format!("directive=img-src&blocked={host}&disposition=enforce&state=expected&back=%3Fblocked%3D{host}");
        assert_eq!(triage(&a, "cross-site", &form).await, (Status::Forbidden, None), "{}", db.name);
        assert_eq!(shown(&b, &only).await, vec![(host.clone(), "open".into(), None)], "{}", db.name);

        // Expected, on instance a: hidden on instance b, still counted.
        let before = Utc::now().naive_utc();
        let back = format!("/security/reports/groups?blocked={host}");
        assert_eq!(triage(&a, "same-origin", &form).await, (Status::SeeOther, Some(back)), "{}", db.name);
        let v = groups(&b, &only).await;
        assert_eq!(v["groups"], serde_json::json!([]), "{}", db.name);
        assert_eq!(v["hidden"], serde_json::json!({"groups": 1, "hits": 3}), "{}", db.name);
        let expected = groups(&b, &format!("{only}&triage=expected")).await;
        assert_eq!(expected["groups"][0]["status"], "expected", "{}", db.name);
        assert_eq!(expected["groups"][0]["triaged_by"], "alice", "{}", db.name);
        assert_eq!(expected["groups"][0]["hits"], 3, "still counted ({})", db.name);
        let at = expected["groups"][0]["triaged_at"].as_str().unwrap();
        let at = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
        assert!(at >= before - Duration::seconds(1) && at <= Utc::now().naive_utc(), "{at} ({})", db.name);

        // Fixed, on instance b: hidden on instance a until it recurs, then reopened.
        let fixed = form.replace("state=expected", "state=fixed");
        assert_eq!(triage(&b, "same-origin", &fixed).await.0, Status::SeeOther, "{}", db.name);
        assert_eq!(shown(&a, &only).await, vec![], "{}", db.name);
        assert_eq!(
            shown(&a, &format!("{only}&triage=fixed")).await,
            vec![(host.clone(), "fixed".into(), Some("alice".into()))],
            "{}",
            db.name
        );
        rocket::tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        record(&mut db.pool.conn().await.unwrap(), &key("https://127.0.0.1/b", &host), 1, Utc::now()).await;
        assert_eq!(
            shown(&a, &only).await,
            vec![(host.clone(), "reopened".into(), Some("alice".into()))],
            "{}",
            db.name
        );
        assert_eq!(shown(&b, &format!("{only}&triage=fixed")).await, vec![], "{}", db.name);

        // Reopened by hand: the decision is gone everywhere.
        let open = form.replace("state=expected", "state=open");
        assert_eq!(triage(&b, "same-origin", &open).await.0, Status::SeeOther, "{}", db.name);
        assert_eq!(shown(&a, &only).await, vec![(host.clone(), "open".into(), None)], "{}", db.name);
        // Every decision stays in the log, newest first, the same on both
        // instances; the forged request left nothing.
        for instance in [&a, &b] {
            assert_eq!(
                log_of(instance, &host).await,
                vec![
                    ("open".into(), "alice".into()),
                    ("fixed".into(), "alice".into()),
                    ("expected".into(), "alice".into())
                ],
                "{}",
                db.name
            );
        }
    }
}

#[rocket::async_test]
async fn bad_triage_requests_get_the_right_4xx_and_change_nothing() {
    let app = app("").await;
    let pool = &mut app.conn().await;
    record(pool, &key("https://127.0.0.1/", "cdn.example"), 2, Utc::now()).await;
    let ok = "directive=img-src&blocked=cdn.example&disposition=enforce";
    for (body, status) in [
        (format!("{ok}&state=closed"), Status::BadRequest),
        (ok.to_string(), Status::BadRequest),
        ("directive=img-src&blocked=cdn.example&disposition=both&state=fixed".to_string(), Status::BadRequest),
        ("directive=&blocked=cdn.example&disposition=enforce&state=fixed".to_string(), Status::BadRequest),
        ("directive=img-src&blocked=a%0Ab&disposition=enforce&state=fixed".to_string(), Status::BadRequest),
        (format!("directive={}&blocked=x&disposition=enforce&state=fixed", "a".repeat(65)), Status::BadRequest),
        (format!("{ok}&state=fixed&back={}", "a".repeat(17 * 1024)), Status::PayloadTooLarge),
    ] {
        assert_eq!(triage(&app.client, "same-origin", &body).await.0, status, "{}", &body[..body.len().min(80)]);
    }
    assert_eq!(shown(&app.client, "triage=all").await, vec![("cdn.example".into(), "open".into(), None)]);
    // A `back` that is not a query string is ignored: the redirect stays on the dashboard.
    let (status, location) =
        triage(&app.client, "same-origin", &format!("{ok}&state=fixed&back=//evil.example/")).await;
    assert_eq!((status, location.as_deref()), (Status::SeeOther, Some("/security/reports/groups")));
    // Not an admin: the guard's answer.
    let res = app
        .client
        .post("/security/reports/triage")
        .header(ContentType::Form)
        .body(format!("{ok}&state=expected"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(
        shown(&app.client, "triage=all").await,
        vec![("cdn.example".into(), "fixed".into(), Some("alice".into()))]
    );
    // Without an identified user (a guard not built on LoginRequired), the client's address is recorded.
    let res = app
        .client
        .post("/security/reports/triage")
        .header(Header::new("X-Admin", "yes"))
        .header(Header::new("Sec-Fetch-Site", "same-origin"))
        .header(ContentType::Form)
        .remote("127.0.0.1:9000".parse().unwrap())
        .body(format!("{ok}&state=expected"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        shown(&app.client, "triage=all").await,
        vec![("cdn.example".into(), "expected".into(), Some("unidentified (127.0.0.1)".into()))]
    );
    let (_, _, _, html) = app.dashboard("/security/reports/groups", true).await;
    assert!(
        html.contains(
            "<p>Hidden: 1 group marked expected (2 reports). <a href=\"/security/reports/groups?triage=expected\">\
             Show them</a>.</p>"
        ),
        "{html}"
    );
    // The log holds the two decisions made, and none of the refused requests.
    assert_eq!(
        log_of(&app.client, "cdn.example").await,
        vec![("expected".into(), "unidentified (127.0.0.1)".into()), ("fixed".into(), "alice".into())]
    );
    assert!(html.contains("<p>The 2 newest decisions, newest first (kept 365 days).</p>"), "{html}");
}

/// Runs `sql` on whichever backend `conn` is.
async fn execute(conn: &mut SecurityConn, sql: &str) {
    use diesel_async::SimpleAsyncConnection;
    match conn {
        #[cfg(feature = "sqlite")]
        SecurityConn::Sqlite(c) => c.batch_execute(sql).await.unwrap(),
        #[cfg(feature = "postgres")]
        SecurityConn::Postgres(c) => c.batch_execute(sql).await.unwrap(),
        #[cfg(feature = "mysql")]
        SecurityConn::Mysql(c) => c.batch_execute(sql).await.unwrap(),
    }
}

#[rocket::async_test]
async fn the_triage_log_keeps_a_year_and_at_most_ten_thousand_decisions_on_every_backend() {
    use rocket_security::reports::{Triage, TriageState, TRIAGE_LOG_DAYS, TRIAGE_LOG_MAX};
    // Databases of their own: pruning touches every row.
    let dbs = backends::isolated().await;
    for db in &dbs {
        let conn = &mut db.pool.conn().await.unwrap();
        let log = |n| async move { Triage::log(&mut db.pool.conn().await.unwrap(), n).await.unwrap() };
        let now = Utc::now();
        let old = now - Duration::days(TRIAGE_LOG_DAYS + 1);
        Triage::set(conn, "img-src", "old.example", "enforce", TriageState::Expected, "bob", old).await.unwrap();
        let who = |l: Vec<rocket_security::reports::TriageEvent>| -> Vec<(String, String, String)> {
            l.into_iter().map(|e| (e.blocked, e.state, e.changed_by)).collect()
        };
        assert_eq!(who(log(10).await), vec![("old.example".into(), "expected".into(), "bob".into())], "{}", db.name);
        // The next decision prunes what is older than a year.
        Triage::set(conn, "img-src", "old.example", "enforce", TriageState::Open, "carol", now).await.unwrap();
        assert_eq!(who(log(10).await), vec![("old.example".into(), "open".into(), "carol".into())], "{}", db.name);

        // 10,000 decisions from yesterday, then one more: the oldest goes.
        let day = (now - Duration::days(1)).format("%Y-%m-%d %H:%M:%S");
        for chunk in 0..10 {
            let rows: Vec<String> = (0..1000)
                .map(|i| {
                    format!(
                        "('{:064x}', 'img-src', 'h{}.example', 'enforce', 'fixed', 'dave', '{day}')",
                        chunk * 1000 + i,
                        chunk * 1000 + i
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO security_csp_triage_log (group_hash, directive, blocked, disposition, state, changed_by, \
                 changed_at) VALUES {}",
                rows.join(", ")
            );
            execute(conn, &sql).await;
        }
        assert_eq!(log(20_000).await.len(), 10_001, "{}", db.name);
        Triage::set(conn, "img-src", "new.example", "enforce", TriageState::Fixed, "erin", now).await.unwrap();
        let kept = log(20_000).await;
        assert_eq!(kept.len() as i64, TRIAGE_LOG_MAX, "{}", db.name);
        assert_eq!((kept[0].blocked.as_str(), kept[0].changed_by.as_str()), ("new.example", "erin"), "{}", db.name);
        let last = &kept[kept.len() - 1];
        assert_eq!(last.blocked, "h1.example", "carol's and the oldest of dave's went ({})", db.name);
    }
    backends::drop_isolated(dbs).await;
}

#[rocket::async_test]
async fn triage_refuses_every_request_csrf_protection_did_not_check() {
    // Off, in report mode (refusals let through), or with the dashboard exempt.
    for csrf in ["enabled = false", "mode = \"report\"", "exempt = [\"/security/**\"]"] {
        let app = app(&format!("[default.security.csrf]\n{csrf}")).await;
        let pool = &mut app.conn().await;
        record(pool, &key("https://127.0.0.1/", "cdn.example"), 2, Utc::now()).await;
        let body = "directive=img-src&blocked=cdn.example&disposition=enforce&state=expected";
        assert_eq!(triage(&app.client, "same-origin", body).await, (Status::Forbidden, None), "{csrf}");
        assert_eq!(shown(&app.client, "").await, vec![("cdn.example".into(), "open".into(), None)], "{csrf}");
        assert_eq!(log_of(&app.client, "cdn.example").await, vec![], "{csrf}");
    }
}

#[rocket::async_test]
async fn each_group_has_a_sparkline_of_its_reports_per_day() {
    let app = app("[default.security.reports]\nretention_days = 0").await;
    let pool = &mut app.conn().await;
    let now = Utc::now();
    let day = |d: i64| (now - Duration::days(d)).format("%Y-%m-%d").to_string();
    record(pool, &key("https://127.0.0.1/a", "cdn.example"), 4, now - Duration::days(2)).await;
    record(pool, &key("https://127.0.0.1/b", "cdn.example"), 1, now - Duration::days(2)).await;
    record(pool, &key("https://127.0.0.1/a", "cdn.example"), 2, now).await;
    // Older than the window (retention 0: 90 days): counted in the group, not drawn.
    record(pool, &key("https://127.0.0.1/c", "cdn.example"), 9, now - Duration::days(100)).await;
    record(pool, &key("https://127.0.0.1/a", "other.example"), 1, now).await;
    let v = groups(&app.client, "").await;
    assert_eq!((v["days"].as_u64(), v["days_from"].as_str()), (Some(90), Some(day(89).as_str())));
    assert_eq!(v["groups"][0]["blocked"], "cdn.example");
    assert_eq!(v["groups"][0]["hits"], 16);
    assert_eq!(v["groups"][0]["daily"], serde_json::json!([[day(2), 5], [day(0), 2]]));
    assert_eq!(v["groups"][1]["daily"], serde_json::json!([[day(0), 1]]));
    let (status, _, _, html) = app.dashboard("/security/reports/groups", true).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains(&format!(
            "<svg role=\"img\" aria-label=\"7 reports in 90 days, most on {} (5)\" width=\"270\" height=\"20\" \
             viewBox=\"0 0 270 20\"><rect class=\"bar\" x=\"261\" y=\"0\" width=\"2\" height=\"20\"></rect>\
             <rect class=\"bar\" x=\"267\" y=\"12\" width=\"2\" height=\"8\"></rect></svg>",
            day(2)
        )),
        "{html}"
    );
    assert!(html.contains("<th>Last 90 days</th>"), "{html}");
    // Reports through the collector count in their day too (written with the batch).
    for _ in 0..3 {
        let r = app
            .post("application/csp-report", legacy("https://127.0.0.1/page", "img-src", "https://via.example/p.png"))
            .await;
        assert_eq!(r.status(), Status::NoContent);
    }
    app.settled().await;
    let v = groups(&app.client, "blocked=via.example").await;
    assert_eq!(v["groups"][0]["daily"], serde_json::json!([[day(0), 3]]));
    // The triage buttons post to the dashboard, one form per group.
    assert!(
        html.contains(
            "\"><input type=\"hidden\" name=\"directive\" value=\"img-src\"><input type=\"hidden\" name=\"blocked\" \
             value=\"cdn.example\">"
        ),
        "{html}"
    );
    assert!(html.contains("<button name=\"state\" value=\"expected\">Expected</button>"), "{html}");
    // The CSRF token goes first, where the CSRF check looks for it.
    assert_eq!(
        html.matches("<form class=\"t\" method=\"post\" action=\"/security/reports/triage\"><input type=\"hidden\" name=\"csrf_token\" value=\"").count(),
        2,
        "{html}"
    );
}
