//! The site's own policies as the record: every instance records the
//! fingerprints of the policies it sends in the database, and a report under
//! a policy no instance sent is dropped as `foreign_policy`.

use std::time::{Duration, Instant};

use diesel::sql_types::{Text, Timestamp};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use rocket::http::{Header, Status};
use rocket_security::db::{SecurityConn, SecurityPool};

use crate::app::{app_with_url, App, SITE_POLICY};
use crate::backends;

#[derive(QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = Text)]
    disposition: String,
    #[diesel(sql_type = Text)]
    policy: String,
    #[diesel(sql_type = Timestamp)]
    first_seen: chrono::NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    last_seen: chrono::NaiveDateTime,
}

/// The recorded policies that mention `needle`.
async fn rows(pool: &SecurityPool, needle: &str) -> Vec<Row> {
    let mut conn = pool.conn().await.unwrap();
    let q = diesel::sql_query(format!(
        "SELECT disposition, policy, first_seen, last_seen FROM security_csp_policies WHERE policy LIKE '%{needle}%'"
    ));
    match &mut conn {
        #[cfg(feature = "sqlite")]
        SecurityConn::Sqlite(c) => q.load(&mut **c).await.unwrap(),
        #[cfg(feature = "postgres")]
        SecurityConn::Postgres(c) => q.load(&mut **c).await.unwrap(),
        #[cfg(feature = "mysql")]
        SecurityConn::Mysql(c) => q.load(&mut **c).await.unwrap(),
    }
}

fn legacy_with(policy: &str, blocked: &str) -> String {
    serde_json::json!({"csp-report": {
        "document-uri": "https://127.0.0.1/map", "referrer": "", "violated-directive": "img-src",
        "effective-directive": "img-src", "original-policy": policy, "disposition": "enforce",
        "blocked-uri": blocked, "status-code": 200
    }})
    .to_string()
}

async fn get_override(app: &App, host: &str) -> String {
    let res =
        app.client.get(format!("/override?host={host}")).header(Header::new("Host", "127.0.0.1:8000")).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    res.headers().get_one("Content-Security-Policy").unwrap().to_string()
}

#[rocket::async_test]
async fn a_per_route_policy_one_instance_sends_is_known_to_every_instance_through_the_database() {
    for db in backends::all().await {
        let host = format!("{}.example", backends::unique("tiles").to_lowercase());
        let a = app_with_url("", Some(db.url.clone())).await;
        let b = app_with_url("", Some(db.url.clone())).await;
        // Before any instance sent it, the override's policy is no policy of the site.
        let sent = SITE_POLICY.replace("img-src 'self' data:", &format!("img-src 'self' data: {host}"));
        let r = b.post("application/csp-report", legacy_with(&sent, &format!("https://cdn.{host}/a.png"))).await;
        assert_eq!(r.status(), Status::NoContent);
        let s = b.settled().await;
        assert_eq!((s.dropped.get("foreign_policy"), s.accepted), (Some(&1), 0), "{}", db.name);

        // Instance a sends it (the nonce-free header as browsers quote it) and records it.
        let before = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1);
        assert_eq!(get_override(&a, &host).await, sent, "{}", db.name);
        let deadline = Instant::now() + Duration::from_secs(30);
        let recorded = loop {
            let found = rows(&db.pool, &host).await;
            if !found.is_empty() || Instant::now() > deadline {
                break found;
            }
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(recorded.len(), 1, "{}: {recorded:?}", db.name);
        let row = &recorded[0];
        assert_eq!(row.disposition, "enforce");
        assert_eq!(
            row.policy,
            format!(
                "base-uri 'self'; default-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                 img-src 'self' data: {host}; object-src 'none'; script-src 'self'; script-src-attr 'none'; \
                 style-src 'self'"
            ),
            "{}",
            db.name
        );
        assert!(row.first_seen >= before && row.first_seen == row.last_seen, "{}: {row:?}", db.name);

        // Instance b never sent it, but reads what a recorded on its next miss (at most every 250 ms).
        rocket::tokio::time::sleep(Duration::from_millis(300)).await;
        let r = b.post("application/csp-report", legacy_with(&sent, &format!("https://cdn.{host}/a.png"))).await;
        assert_eq!(r.status(), Status::NoContent);
        let s = b.settled().await;
        assert_eq!((s.dropped.get("foreign_policy"), s.accepted, s.stored), (Some(&1), 1, 1), "{}", db.name);
    }
}

#[rocket::async_test]
async fn the_site_s_policies_are_recorded_at_liftoff_and_a_report_without_a_policy_is_taken() {
    for db in backends::all().await {
        let marker = backends::unique("marker").to_lowercase();
        let toml = format!("[default.security.csp.directives]\nconnect-src = [\"'self'\", \"{marker}.example\"]");
        let a = app_with_url(&toml, Some(db.url.clone())).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        let recorded = loop {
            let found = rows(&db.pool, &marker).await;
            // With and without a nonce (script-src is there either way), HTTP and HTTPS (upgrade-insecure-requests).
            if found.len() >= 2 || Instant::now() > deadline {
                break found;
            }
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let mut policies: Vec<&str> = recorded.iter().map(|r| r.policy.as_str()).collect();
        policies.sort();
        assert_eq!(policies.len(), 2, "{}: {policies:?}", db.name);
        assert!(policies[1].ends_with("style-src 'self'; upgrade-insecure-requests"), "{}: {policies:?}", db.name);
        // A report that names no policy cannot be told: it is taken (the wizard never builds on a report's policy).
        let body = serde_json::json!({"csp-report": {
            "document-uri": "https://127.0.0.1/", "effective-directive": "img-src", "blocked-uri": "https://x.example/a.png"
        }});
        assert_eq!(a.post("application/csp-report", body.to_string()).await.status(), Status::NoContent);
        let s = a.settled().await;
        assert_eq!((s.dropped.get("foreign_policy"), s.accepted), (None, 1), "{}", db.name);
    }
}

#[rocket::async_test]
async fn with_drop_foreign_policies_off_a_report_under_any_policy_is_stored() {
    let app = crate::app::app("[default.security.reports]\ndrop_foreign_policies = false").await;
    let r = app.post("application/csp-report", legacy_with("img-src *", "https://cdn.example/a.png")).await;
    assert_eq!(r.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.dropped.get("foreign_policy"), s.stored), (None, 1));
}
