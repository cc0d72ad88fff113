//! Golden pages: every dashboard page and export, and the CSRF refusal page,
//! rendered from fixed data with hostile fields (`<script>`, quotes, `&`,
//! control characters) on a stopped clock, compared byte for byte with the
//! files under `tests/reports/golden/` (written from the `format!`-built
//! pages before they became templates). Each request's nonce is random, so
//! it reads `NONCE` in the files. `GOLDEN_WRITE=1` rewrites the files.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rocket::figment::providers::{Format, Toml};
use rocket::figment::Figment;
use rocket::http::{ContentType, Cookie, Header};
use rocket::local::asynchronous::Client;
use rocket_db_pools::Database;
use rocket_security::core::ManualClock;
use rocket_security::db::{Migrations, SecurityDb, WouldRefuse};
use rocket_security::reports::{CspHourly, CspViolation, NewCspReport, Triage, TriageState, ViolationKey};
use rocket_security::Security;

use crate::app::{temp_db, Admin, TempFile};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reports/golden");

/// The clock's "now": the sparklines, the hourly chart and triage read it.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

/// A browser secret (43 characters) and Rocket key: the forms' CSRF token is the same every run.
const CSRF_SECRET: &str = "goldengoldengoldengoldengoldengoldengoldeng";
const SECRET_KEY: &str = "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=";

/// What a hostile client puts in every field it can.
const HOSTILE: &str = "<script>alert('x')</script> & \"q\"\u{7}\r\n\ttail";

fn key(doc: &str, directive: &str, blocked: &str, disposition: &str) -> ViolationKey {
    ViolationKey {
        document_uri: doc.into(),
        effective_directive: directive.into(),
        blocked: blocked.into(),
        source_file: Some("https://127.0.0.1/app.js".into()),
        line_number: Some(7),
        disposition: disposition.into(),
    }
}

fn sample(k: &ViolationKey, ip: &str, sample: &str) -> NewCspReport {
    NewCspReport {
        report_format: "csp-report".into(),
        document_uri: Some(k.document_uri.clone()),
        blocked_uri: Some(k.blocked.clone()),
        effective_directive: Some(k.effective_directive.clone()),
        disposition: Some(k.disposition.clone()),
        status_code: Some(200),
        source_file: k.source_file.clone(),
        line_number: k.line_number,
        column_number: Some(3),
        sample: Some(sample.into()),
        sender_ip: Some(ip.into()),
        user_agent: Some(format!("Agent \"{ip}\" <b>&")),
        ..Default::default()
    }
}

async fn app() -> (Client, TempFile) {
    let file = temp_db();
    let figment = Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge(("secret_key", SECRET_KEY))
        .merge(("databases.security.url", format!("sqlite://{}", file.display())))
        .merge(
            Toml::string(&format!(
                "[default.security.reports]\ndatabase = false\nlog = false\nrate_limit_per_minute = 0\n\
                 spool_dir = {:?}\n\
                 [default.security.csp.report_only]\nenabled = true\nuse_defaults = false\n\
                 [default.security.csp.report_only.directives]\ndefault-src = [\"'self'\"]\n\
                 img-src = [\"'self'\"]\nscript-src = [\"'self'\", \"'report-sample'\"]",
                file.with_extension("spool").display().to_string()
            ))
            .nested(),
        );
    let rocket = rocket::custom(figment)
        .attach(SecurityDb::init())
        .attach(Migrations::<SecurityDb>::fairing())
        .attach(Security::fairing().clock(ManualClock::new(now())).reports_dashboard::<Admin>());
    (Client::tracked(rocket).await.expect("valid app"), TempFile::new(file))
}

/// The fixed data: hostile fields everywhere a client can write one.
async fn seed(client: &Client) {
    let db = SecurityDb::fetch(client.rocket()).expect("database attached");
    let conn = &mut db.conn().await.unwrap();
    let t = now() - Duration::hours(3);
    let evil = key(&format!("https://127.0.0.1/p?q={HOSTILE}"), "script-src-elem", HOSTILE, "enforce");
    for (i, ip) in ["203.0.113.7", "203.0.113.8"].iter().enumerate() {
        let s = sample(&evil, ip, &format!("{HOSTILE} {i}"));
        CspViolation::record(conn, &evil, 2, Some(&s), 10, t + Duration::minutes(i as i64)).await.unwrap();
    }
    let cdn = key("https://127.0.0.1/a", "img-src", "cdn.example", "enforce");
    CspViolation::record(conn, &cdn, 4, None, 10, now() - Duration::days(5)).await.unwrap();
    CspViolation::record(conn, &cdn, 1, None, 10, now() - Duration::days(1)).await.unwrap();
    let csv = key("https://127.0.0.1/p;=1+2;@SUM(A1)", "img-src", "https://evil.example/x,-1+1;\t+2", "enforce");
    CspViolation::record(conn, &csv, 1, None, 10, now() - Duration::days(2)).await.unwrap();
    // The report-only policy's reports, for the wizard: a host two clients
    // report, one a single client reports, inline code, eval, extension noise,
    // and a hostile "source".
    for (directive, blocked, ips, code) in [
        ("img-src", "cdn.example", &["203.0.113.7", "203.0.113.8"][..], ""),
        ("font-src", "fonts.example", &["203.0.113.9"][..], ""),
        ("script-src-elem", "inline", &["203.0.113.7", "203.0.113.8"][..], "console.log(1)"),
        ("script-src", "eval", &["203.0.113.7"][..], ""),
        ("img-src", "chrome-extension://abcdefgh/icon.png", &["203.0.113.7", "203.0.113.8"][..], ""),
        ("img-src", HOSTILE, &["203.0.113.7", "203.0.113.8"][..], HOSTILE),
    ] {
        let k = key("https://127.0.0.1/page", directive, blocked, "report");
        for ip in ips {
            CspViolation::record(conn, &k, 1, Some(&sample(&k, ip, code)), 10, t).await.unwrap();
        }
    }
    for (h, n) in [(30, 2), (5, 7), (1, 1)] {
        CspHourly::add(conn, now() - Duration::hours(h), n).await.unwrap();
    }
    WouldRefuse::add(conn, "csrf", "cross_origin", 3, t, &[format!("POST /form {HOSTILE}"), "POST /x".into()])
        .await
        .unwrap();
    Triage::set(conn, "img-src", "cdn.example", "enforce", TriageState::Fixed, HOSTILE, t).await.unwrap();
    Triage::set(conn, "img-src", "cdn.example", "enforce", TriageState::Open, "bob", t + Duration::minutes(1))
        .await
        .unwrap();
}

/// One response as the golden file holds it: status, the headers that matter, then the body.
fn shown(status: u16, headers: &[(String, String)], body: &str) -> String {
    let nonce = headers
        .iter()
        .find(|(n, _)| n == "Content-Security-Policy")
        .and_then(|(_, v)| v.split("'nonce-").nth(1))
        .and_then(|v| v.split('\'').next())
        .map(str::to_string);
    let norm = |s: &str| match &nonce {
        Some(n) => s.replace(n.as_str(), "NONCE"),
        None => s.to_string(),
    };
    let mut out = format!("status: {status}\n");
    for (name, value) in headers {
        if ["Content-Type", "Content-Security-Policy", "Cache-Control", "Content-Disposition", "Location"]
            .contains(&name.as_str())
        {
            out.push_str(&format!("{name}: {}\n", norm(value)));
        }
    }
    out.push('\n');
    out.push_str(&norm(body));
    out
}

/// Compares (or, with `GOLDEN_WRITE=1`, writes) the golden file `name`.
fn golden(name: &str, got: &str) {
    let path = format!("{DIR}/{name}");
    if std::env::var_os("GOLDEN_WRITE").is_some() {
        std::fs::create_dir_all(DIR).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // maud escapes `&`, `<`, `>` and `"` only; the old pages wrote `'` as `&#39;` too.
    let want = want.replace("&#39;", "'");
    assert!(got == want, "{name} differs from its golden file\n--- want\n{want}\n--- got\n{got}");
}

async fn get(client: &Client, path: &str) -> String {
    let res = client
        .get(path.to_string())
        .header(Header::new("X-Admin", "yes"))
        .cookie(Cookie::new("security_csrf", CSRF_SECRET))
        .dispatch()
        .await;
    let headers: Vec<(String, String)> =
        res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
    let status = res.status().code;
    shown(status, &headers, &res.into_string().await.unwrap_or_default())
}

async fn triage(client: &Client, fetch_site: &str, body: &str) -> String {
    let res = client
        .post("/security/reports/triage")
        .header(Header::new("X-Admin", "yes"))
        .header(Header::new("X-User", "alice"))
        .header(Header::new("Sec-Fetch-Site", fetch_site.to_string()))
        .header(Header::new("Accept", "text/html"))
        .header(ContentType::Form)
        .cookie(Cookie::new("security_csrf", CSRF_SECRET))
        .body(body)
        .dispatch()
        .await;
    let headers: Vec<(String, String)> =
        res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
    let status = res.status().code;
    shown(status, &headers, &res.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn every_dashboard_page_and_export_renders_exactly_as_its_golden_file() {
    let (client, _file) = app().await;
    seed(&client).await;
    // A report naming a policy the site never sent: counted as dropped (foreign_policy).
    let res = client
        .post("/security/csp-report")
        .header(Header::new("Host", "127.0.0.1:8000"))
        .header(ContentType::new("application", "csp-report"))
        .body(
            crate::app::legacy("https://127.0.0.1/x", "img-src", "https://a.example/")
                .replace("img-src 'self'", "img-src *"),
        )
        .dispatch()
        .await;
    assert_eq!(res.status().code, 204);
    let b = "/security/reports";
    let hostile_query = "directive=%3Cscript%3E%22%27%26&blocked=a%22b%3Cc&from=2026-11-01&to=2026-11-30";
    // The triage log first gets alice's decision, at the clock's time.
    let form = "directive=img-src&blocked=cdn.example&disposition=enforce&state=expected&back=%3Ftriage%3Dall";
    golden("triage-post.txt", &triage(&client, "same-origin", form).await);
    golden("csrf-403.txt", &triage(&client, "cross-site", form).await);
    for (name, path) in [
        ("list.txt", b.to_string()),
        ("list-filtered.txt", format!("{b}?{hostile_query}")),
        ("api.txt", format!("{b}/api")),
        ("violations.csv.txt", format!("{b}/violations.csv")),
        ("violation.txt", format!("{b}/violation/1")),
        ("violation.json.txt", format!("{b}/violation/1.json")),
        ("violation.csv.txt", format!("{b}/violation/1.csv")),
        ("groups.txt", format!("{b}/groups")),
        ("groups-all.txt", format!("{b}/groups?triage=all&disposition=enforce")),
        ("groups-filtered.txt", format!("{b}/groups?{hostile_query}&page=2")),
        ("groups.json.txt", format!("{b}/groups.json?triage=all")),
        ("groups.csv.txt", format!("{b}/groups.csv?triage=all")),
        ("wizard.txt", format!("{b}/wizard")),
        ("wizard-enforce.txt", format!("{b}/wizard?disposition=enforce")),
        ("wizard.json.txt", format!("{b}/wizard.json")),
    ] {
        golden(name, &get(&client, &path).await);
    }
}
