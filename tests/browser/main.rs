//! End-to-end tests in a real browser: headless Chromium (Debian's
//! `chromium` and `chromium-driver`, installed by `.ci/run`) drives the
//! showcase binary over HTTP and HTTPS.
//!
//! Without Chromium these tests fail with instructions; set
//! `SECURITY_TEST_SKIP_BROWSER=1` to skip them knowingly.

#[path = "../common/process.rs"]
mod process;

mod harness;

use std::collections::BTreeSet;
use std::time::Duration;

use harness::{fresh_dir, tools, Browser, Cert, OtherOrigin, Showcase, SERIAL};
use serde_json::Value;

/// What `/demo/violations` breaks, as (effective directive, blocked) pairs
/// of the enforced policy: an inline `<style>`, a `style` attribute, an
/// inline `<script>`, `eval()` in an allowed script, a cross-origin image.
const DEMO_VIOLATIONS: [(&str, &str); 5] = [
    ("img-src", "example.com"),
    ("script-src", "eval"),
    ("script-src-elem", "inline"),
    ("style-src-attr", "inline"),
    ("style-src-elem", "inline"),
];

/// The enforced violations the dashboard's JSON API lists for the
/// showcase's page `path` (its full URL: a shared database may hold other runs' rows).
async fn enforced(browser: &Browser, showcase: &Showcase, path: &str) -> BTreeSet<(String, String)> {
    let document = showcase.url(path);
    browser.goto(&showcase.url("/security/reports/api")).await;
    let body = browser.text("body").await;
    let data: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("dashboard API JSON ({e}): {body}"));
    data["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| v["disposition"] == "enforce" && v["document"] == document.as_str())
        .map(|v| (v["directive"].as_str().unwrap().to_string(), v["blocked"].as_str().unwrap().to_string()))
        .collect()
}

fn expected_violations() -> BTreeSet<(String, String)> {
    DEMO_VIOLATIONS.iter().map(|(d, b)| (d.to_string(), b.to_string())).collect()
}

/// Visits the demo page (its inline script stays blocked: it would have
/// renamed the page), logs in as admin and waits until the dashboard shows
/// exactly the demo page's five enforced violations.
async fn demo_reports_reach_the_dashboard(browser: &Browser, showcase: &Showcase) {
    browser.goto(&showcase.url("/demo/violations")).await;
    assert_eq!(browser.client.title().await.unwrap(), "CSP violations — rocket_security");
    browser.login(showcase, "admin", "admin-pass").await;
    let expected = expected_violations();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let seen = enforced(browser, showcase, "/demo/violations").await;
        if seen.len() >= expected.len() || std::time::Instant::now() > deadline {
            assert_eq!(seen, expected, "log:\n{}", showcase.log());
            return;
        }
        rocket::tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[rocket::async_test]
async fn report_uri_reports_over_http_are_stored_and_shown() {
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    let showcase = Showcase::start("report-uri", &[], None);
    let browser = Browser::start("report-uri", &[]).await;

    demo_reports_reach_the_dashboard(&browser, &showcase).await;

    // Each violation's detail page shows samples received as `report-uri`
    // reports (application/csp-report): over plain HTTP Chromium has no other way.
    browser.goto(&showcase.url("/security/reports?directive=img-src")).await;
    let rows = browser.client.find_all(fantoccini::Locator::Css("tbody tr")).await.unwrap();
    let img_row = {
        let mut found = None;
        for row in rows {
            let text = row.text().await.unwrap();
            if text.contains("/demo/violations") && text.contains("enforce") {
                found = Some(row);
            }
        }
        found.expect("the img-src row on the dashboard")
    };
    let text = img_row.text().await.unwrap();
    assert!(text.starts_with("img-src example.com "), "row: {text}");
    img_row.find(fantoccini::Locator::Css("a")).await.unwrap().click().await.unwrap();
    let sample = browser.text("tbody tr").await;
    assert!(sample.contains("https://example.com/blocked.png"), "sample: {sample}");
    assert!(sample.contains("csp-report"), "sample: {sample}");

    // The dashboard with data, as a test artifact (and the README's picture).
    browser.goto(&showcase.url("/security/reports")).await;
    let table = browser.text("table").await;
    for (directive, blocked) in DEMO_VIOLATIONS {
        assert!(table.contains(&format!("{directive} {blocked}")), "{directive} {blocked} missing from:\n{table}");
    }
    let png = browser.client.screenshot().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let artifact = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser").join("dashboard.png");
    std::fs::write(&artifact, &png).unwrap();
    eprintln!("dashboard screenshot: {}", artifact.display());

    // Triage in the grouped view: Chromium posts the "Expected" form (its
    // own Sec-Fetch-Site and Origin, through the CSRF check) and follows the
    // redirect back to the same filtered view, where the group is now hidden.
    browser.goto(&showcase.url("/security/reports/groups?directive=img-src&disposition=enforce")).await;
    let row = browser.text("tbody tr").await;
    assert!(row.starts_with("img-src example.com enforce 1 1 "), "row: {row}");
    assert!(row.ends_with("Open Expected Fixed"), "row: {row}");
    let before = browser.script("return performance.timeOrigin").await;
    let expected = browser.client.find(fantoccini::Locator::Css("tbody tr button[value=expected]")).await.unwrap();
    expected.click().await.unwrap();
    browser.wait_for_new_document(before).await;
    assert_eq!(browser.location().await, "/security/reports/groups?directive=img-src&disposition=enforce");
    let rows = browser.client.find_all(fantoccini::Locator::Css("table:not(#triage-log) tbody tr")).await.unwrap();
    assert!(rows.is_empty(), "the expected group is hidden");
    // The click is the triage log's newest entry.
    let logged = browser.text("#triage-log tbody tr").await;
    assert!(logged.ends_with(" admin expected img-src example.com enforce"), "log: {logged}");
    let note = browser.text("main p:nth-of-type(2), body > p:nth-of-type(2)").await;
    assert_eq!(note, "Hidden: 1 group marked expected (1 report). Show them.");
    browser.goto(&showcase.url("/security/reports/groups?directive=img-src&disposition=enforce&triage=expected")).await;
    let row = browser.text("tbody tr").await;
    assert!(row.contains("Expected (admin, "), "row: {row}");
    browser.close().await;
}

#[rocket::async_test]
async fn reporting_api_reports_over_https_are_stored_and_shown() {
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    let dir = harness::fresh_dir("report-to");
    let cert = Cert::generate(&dir);
    let showcase = Showcase::start_in(dir, &[], Some(&cert));
    // Chromium's own tests shorten the Reporting API's 60 s batching delay so.
    let browser = Browser::start(
        "report-to",
        &[format!("--ignore-certificate-errors-spki-list={}", cert.spki_hash), "--short-reporting-delay".into()],
    )
    .await;

    demo_reports_reach_the_dashboard(&browser, &showcase).await;

    // The policy names both report-uri and report-to over HTTPS; Chromium
    // then uses only the Reporting API (application/reports+json).
    browser.goto(&showcase.url("/security/reports")).await;
    let links = browser.client.find_all(fantoccini::Locator::Css("tbody tr a")).await.unwrap();
    let mut details = Vec::new();
    for link in links {
        if link.text().await.unwrap().ends_with("/demo/violations") {
            details.push(link.attr("href").await.unwrap().expect("href"));
        }
    }
    assert!(details.len() >= 5, "detail links: {details:?}");
    for href in details {
        browser.goto(&showcase.url(&href)).await;
        let samples = browser.text("tbody").await;
        assert!(samples.contains("reports+json"), "{href}: {samples}");
        assert!(!samples.contains("csp-report"), "{href}: {samples}");
    }
    browser.close().await;
}

#[rocket::async_test]
async fn the_nonced_inline_script_runs_and_an_injected_one_does_not() {
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    let showcase = Showcase::start("nonce", &[], None);
    let browser = Browser::start("nonce", &[]).await;

    browser.goto(&showcase.url("/")).await;
    // An anonymous visitor gets no cookie at all.
    assert_eq!(browser.client.get_all_cookies().await.unwrap().len(), 0);
    assert_eq!(
        browser.text("#nonce-demo").await,
        "This text was written by an inline script allowed by its CSP nonce."
    );
    // An injected inline script without the nonce is blocked...
    let injected = browser
        .script(
            "const s = document.createElement('script'); s.textContent = 'window.injected = true'; \
             document.body.appendChild(s); return window.injected === true;",
        )
        .await;
    assert_eq!(injected, Value::Bool(false));
    // ...and the same script carrying this response's nonce runs (so the check above can fail).
    let with_nonce = browser
        .script(
            "const s = document.createElement('script'); s.nonce = document.querySelector('script[nonce]').nonce; \
             s.textContent = 'window.withNonce = true'; document.body.appendChild(s); return window.withNonce === true;",
        )
        .await;
    assert_eq!(with_nonce, Value::Bool(true));
    // The nonce changes with every response.
    let first = browser.script("return document.querySelector('script[nonce]').nonce").await;
    browser.goto(&showcase.url("/")).await;
    let second = browser.script("return document.querySelector('script[nonce]').nonce").await;
    assert_ne!(first, second);
    assert_eq!(first.as_str().map(str::len), Some(24));
    browser.close().await;
}

#[rocket::async_test]
async fn a_page_that_forbids_framing_does_not_load_in_another_origins_iframe() {
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    let showcase = Showcase::start("framing", &[], None);
    let framer = OtherOrigin::serve(vec![
        (
            "/",
            format!(
                "<!doctype html><title>framer</title><iframe src=\"{}\"></iframe><iframe src=\"/frameable\"></iframe>",
                showcase.url("/")
            ),
        ),
        ("/frameable", "<!doctype html><p id=\"ok\">framed fine</p>".to_string()),
    ]);
    let browser = Browser::start("framing", &[]).await;
    browser.goto(&format!("{}/", framer.base)).await;

    // The control: a page without anti-framing headers loads in the frame.
    browser.client.enter_frame(1).await.unwrap();
    assert_eq!(browser.text("#ok").await, "framed fine");
    browser.client.enter_parent_frame().await.unwrap();
    // The showcase's home page (X-Frame-Options: DENY, frame-ancestors 'none') does not.
    browser.client.enter_frame(0).await.unwrap();
    let href = browser.script("return location.href").await;
    assert_eq!(href, Value::String("chrome-error://chromewebdata/".into()));
    let nonce_demo = browser.client.find(fantoccini::Locator::Css("#nonce-demo")).await;
    assert!(nonce_demo.is_err(), "the home page rendered inside the frame");
    browser.close().await;
}

#[rocket::async_test]
async fn login_returns_to_the_page_asked_for_and_refuses_a_hostile_next() {
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    let showcase = Showcase::start("login", &[], None);
    let browser = Browser::start("login", &[]).await;

    browser.goto(&showcase.url("/account")).await;
    assert_eq!(browser.location().await, "/login?next=/account");
    browser.submit(&[("username", "alice"), ("password", "alice-pass")]).await;
    assert_eq!(browser.location().await, "/account");
    assert!(browser.text("main").await.contains("Hello alice."));

    // Log out: the login cookie is gone, /account asks for a login again.
    browser.submit(&[]).await;
    assert_eq!(browser.location().await, "/");
    browser.goto(&showcase.url("/account")).await;
    assert_eq!(browser.location().await, "/login?next=/account");

    // A hostile next in the link is dropped from the form...
    browser.goto(&showcase.url("/login?next=https%3A%2F%2Fevil.example%2F")).await;
    let next = browser.script("return document.querySelector('input[name=next]').value").await;
    assert_eq!(next, Value::String("/".into()));
    // ...and one forged into the form is refused by the login handler.
    browser.script("document.querySelector('input[name=next]').value = '//evil.example/'; return null").await;
    browser.submit(&[("username", "alice"), ("password", "alice-pass")]).await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.as_str(), showcase.url("/"));
    browser.close().await;
}

#[rocket::async_test]
async fn bob_must_change_his_expired_password_first() {
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    let showcase = Showcase::start("password", &[], None);
    let browser = Browser::start("password", &[]).await;

    browser.goto(&showcase.url("/account")).await;
    browser.submit(&[("username", "bob"), ("password", "bob-pass")]).await;
    assert_eq!(browser.location().await, "/password/change");

    // The password policy refuses a weak password and says why.
    browser.submit(&[("current_password", "bob-pass"), ("new_password", "short")]).await;
    let errors = browser.text("main").await;
    assert!(errors.contains("at least 10 characters"), "{errors}");

    browser.submit(&[("current_password", "bob-pass"), ("new_password", "Correct-Horse-42")]).await;
    assert_eq!(browser.location().await, "/account");
    assert!(browser.text("main").await.contains("Hello bob."));
    browser.close().await;
}

#[rocket::async_test]
async fn an_idle_session_is_logged_out_and_the_page_says_why() {
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    // The showcase's clock runs `offset` seconds ahead of the system's (the
    // injectable clock, moved through a file): no waiting on the real one.
    let dir = fresh_dir("idle");
    let offset = dir.join("clock-offset");
    let advance = |by: i64| {
        let now = std::fs::read_to_string(&offset).ok().and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or(0);
        std::fs::write(&offset, (now + by).to_string()).unwrap();
    };
    let settings = "{session={idle_timeout=10,refresh_interval=1}}".to_string();
    let env = [("ROCKET_SECURITY", settings), ("SHOWCASE_CLOCK_OFFSET_FILE", offset.display().to_string())];
    let showcase = Showcase::start_in(dir.clone(), &env, None);
    let browser = Browser::start("idle", &[]).await;

    browser.login(&showcase, "alice", "alice-pass").await;
    // Activity inside the idle limit keeps the session: 4 x 3 s > 10 s in all.
    for _ in 0..4 {
        advance(3);
        browser.goto(&showcase.url("/account")).await;
        assert_eq!(browser.location().await, "/account");
    }
    advance(11);
    browser.goto(&showcase.url("/account")).await;
    assert_eq!(browser.location().await, "/login?next=/account&expired=idle");
    assert_eq!(browser.text("main .error").await, "Your session expired (idle timeout).");
    // The login cookie went with the session.
    let cookies = browser.client.get_all_cookies().await.unwrap();
    assert!(cookies.iter().all(|c| c.name() != "user_id"), "{cookies:?}");
    browser.close().await;
}

#[rocket::async_test]
async fn signing_out_other_sessions_sends_the_other_browser_to_the_login_page() {
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    let showcase = Showcase::start("sessions", &[], None);
    let laptop = Browser::start("sessions-laptop", &[]).await;
    let phone = Browser::start("sessions-phone", &[]).await;

    phone.login(&showcase, "alice", "alice-pass").await;
    laptop.login(&showcase, "alice", "alice-pass").await;
    laptop.goto(&showcase.url("/account/sessions")).await;
    assert!(laptop.text("main").await.contains("2 session(s) of alice are signed in."));

    let before = laptop.script("return performance.timeOrigin").await;
    let button = laptop
        .client
        .find(fantoccini::Locator::Css("form[action='/account/sessions/revoke-others'] button"))
        .await
        .expect("the sign-out-others button");
    button.click().await.expect("click");
    laptop.wait_for_new_document(before).await;
    assert_eq!(laptop.location().await, "/account/sessions");
    assert!(laptop.text("main").await.contains("1 session(s) of alice are signed in."));

    // The phone's next page is the login page, with the reason.
    phone.goto(&showcase.url("/account")).await;
    assert_eq!(phone.location().await, "/login?next=/account&expired=revoked");
    assert_eq!(phone.text("main .error").await, "Your session was signed out (from another session, or at logout).");
    // The laptop is still signed in.
    laptop.goto(&showcase.url("/account")).await;
    assert_eq!(laptop.location().await, "/account");
    laptop.close().await;
    phone.close().await;
}

#[rocket::async_test]
async fn a_form_posted_from_another_origin_is_refused_and_the_sites_own_form_works() {
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    let showcase = Showcase::start("csrf", &[], None);
    let browser = Browser::start("csrf", &[]).await;
    browser.login(&showcase, "alice", "alice-pass").await;

    // Another port on the same host: the same *site*, so SameSite=Lax sends the cookies.
    let target = showcase.url("/password/change");
    let attack = format!(
        "<!doctype html><form method=post action=\"{target}\">\
         <input name=current_password value=alice-pass><input name=new_password value=Attacker-Pass-1></form>\
         <script>document.forms[0].submit()</script>"
    );
    let evil = OtherOrigin::serve(vec![("/attack", attack)]);
    let before = browser.script("return performance.timeOrigin").await;
    browser.goto(&format!("{}/attack", evil.base)).await;
    browser.wait_for_new_document(before).await;
    assert_eq!(browser.location().await, "/password/change");
    assert_eq!(browser.text("h1").await, "403 Forbidden");
    assert!(showcase.log().contains("CSRF: refused POST /password/change (Sec-Fetch-Site: \"same-site\")"));

    // The password did not change: the old one still logs in.
    browser.goto(&showcase.url("/account")).await;
    browser.submit(&[]).await; // log out
    browser.login(&showcase, "alice", "alice-pass").await;
    assert_eq!(browser.location().await, "/");
    // The site's own form works.
    browser.goto(&showcase.url("/password/change")).await;
    browser.submit(&[("current_password", "alice-pass"), ("new_password", "Alice-Pass-2026")]).await;
    assert_eq!(browser.location().await, "/account");
    browser.close().await;
}

/// `ROCKET_DATABASES` moves the showcase's store to PostgreSQL or MariaDB
/// (`SECURITY_TEST_POSTGRES_URL` / `SECURITY_TEST_MYSQL_URL`; `.ci/run` sets
/// both and `SECURITY_TEST_REQUIRE_BACKENDS=1`, so neither is skipped there).
#[rocket::async_test]
async fn the_showcase_stores_reports_in_postgres_and_mariadb() {
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    for (name, var) in [("postgres", "SECURITY_TEST_POSTGRES_URL"), ("mysql", "SECURITY_TEST_MYSQL_URL")] {
        let Ok(url) = std::env::var(var) else {
            assert!(std::env::var_os("SECURITY_TEST_REQUIRE_BACKENDS").is_none(), "{var} is not set");
            eprintln!("SKIPPED: the showcase on {name} ({var} is not set)");
            continue;
        };
        let showcase = Showcase::start(
            &format!("showcase-{name}"),
            &[("ROCKET_DATABASES", format!("{{security={{url={url:?}}}}}"))],
            None,
        );
        let browser = Browser::start(&format!("showcase-{name}"), &[]).await;
        demo_reports_reach_the_dashboard(&browser, &showcase).await;
        assert!(!showcase.dir.join("security.db").exists(), "{name}: the SQLite file was created anyway");
        // bob's expiry lives in the same database: he is sent to change his password.
        browser.goto(&showcase.url("/account")).await;
        browser.submit(&[]).await; // log out: the account page's form
        browser.goto(&showcase.url("/account")).await;
        browser.submit(&[("username", "bob"), ("password", "bob-pass")]).await;
        assert_eq!(browser.location().await, "/password/change", "{name}");
        browser.close().await;
    }
}

/// A browser front-end on another origin calls the showcase's token API
/// (`header_auth_paths`): Chromium's own preflight and cross-origin `fetch`
/// carry no cookie, although the browser is logged in to the showcase, so the
/// request passes; the page reads the answer through the API's CORS headers.
#[rocket::async_test]
async fn a_front_end_on_another_origin_calls_the_token_api_with_its_token() {
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    let showcase = Showcase::start("token-api", &[], None);
    let browser = Browser::start("token-api", &[]).await;
    browser.login(&showcase, "alice", "alice-pass").await;

    let api = showcase.url("/api/notes");
    let page = format!(
        "<!doctype html><pre id=out></pre><script>\
         fetch(\"{api}\", {{method: \"POST\", headers: {{\"Authorization\": \"Bearer demo-token-alice\", \
         \"Content-Type\": \"application/json\"}}, body: \"from the front-end\"}})\
         .then(async r => {{ document.getElementById(\"out\").textContent = r.status + \" \" + await r.text(); }})\
         .catch(e => {{ document.getElementById(\"out\").textContent = \"failed \" + e; }});\
         </script>"
    );
    let front_end = OtherOrigin::serve(vec![("/app", page)]);
    browser.goto(&format!("{}/app", front_end.base)).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut out = String::new();
    while out.is_empty() && std::time::Instant::now() < deadline {
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        out = browser.text("#out").await;
    }
    assert_eq!(out, r#"201 {"author":"alice","note":"from the front-end"}"#);
    let log = showcase.log();
    assert!(log.contains("OPTIONS /api/notes"), "Chromium sent its preflight: {log}");
    assert!(!log.contains("CSRF: refused POST /api/notes"), "{log}");
    browser.close().await;
}

/// The stored rows of `t` for the showcase's `/demo/reporting` page, as
/// (subject, detail, disposition), read from its SQLite file (an error, e.g.
/// a busy database, reads as "nothing yet").
async fn stored_rows(
    showcase: &Showcase,
    t: rocket_security::reports::ReportType,
) -> BTreeSet<(String, String, String)> {
    use rocket_security::db::SecurityPool;
    use rocket_security::reports::BrowserReportRow;
    let url = format!("sqlite://{}", showcase.dir.join("security.db").display());
    let Ok(pool) = SecurityPool::from_url(&url) else { return BTreeSet::new() };
    let Ok(mut conn) = pool.conn().await else { return BTreeSet::new() };
    let page = showcase.url("/demo/reporting");
    BrowserReportRow::recent(&mut conn, t, 100)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.document_uri == page)
        .map(|r| (r.subject, r.detail, r.disposition))
        .collect()
}

/// `/demo/reporting` over HTTPS: the page tries COEP, COOP, Permissions-Policy
/// and Integrity-Policy in report-only mode and breaks each, and adds an
/// `unload` listener; Chromium reports all five through the Reporting API,
/// the collector stores each with the exact resource, feature or id, and the
/// dashboard counts each type. Chromium 156 produces every one of them
/// headless on demand (with `--short-reporting-delay`).
#[rocket::async_test]
async fn the_reporting_demo_page_reports_every_report_only_policy_and_a_deprecation() {
    use rocket_security::reports::ReportType;
    let Some(_) = tools() else { return };
    let _serial = SERIAL.lock().await;
    let dir = harness::fresh_dir("reporting-demo");
    let cert = Cert::generate(&dir);
    let showcase = Showcase::start_in(dir, &[], Some(&cert));
    let browser = Browser::start(
        "reporting-demo",
        &[format!("--ignore-certificate-errors-spki-list={}", cert.spki_hash), "--short-reporting-delay".into()],
    )
    .await;

    browser.goto(&showcase.url("/demo/reporting")).await;
    assert_eq!(browser.client.title().await.unwrap(), "Reporting API — rocket_security");
    // Both scripts ran under the nonce CSP: the page's own (with its SRI
    // `integrity`) and the deliberate one without (reported, not blocked).
    assert_eq!(browser.text("#script-ran").await, "The page's own script (with integrity) ran.");
    assert_eq!(browser.text("#no-integrity").await, "A script without integrity ran (reported, not blocked).");
    let port = showcase.base.rsplit(':').next().unwrap().to_string();
    let other = format!("https://localhost:{port}");
    assert_eq!(browser.text("#coop").await, format!("A window on {other} was opened."));
    let own_origin = showcase.base.clone();

    let expected: [(ReportType, (String, String, String)); 5] = [
        (ReportType::Coep, (format!("{other}/demo/reporting/pixel.svg"), "image".into(), "report".into())),
        (ReportType::Coop, ("navigation-from-response".into(), other.clone(), "report".into())),
        (ReportType::PermissionsPolicy, ("geolocation".into(), own_origin.clone(), "report".into())),
        (ReportType::Integrity, (showcase.url("/demo/reporting/no-integrity.js"), "script".into(), "report".into())),
        (
            ReportType::Deprecation,
            ("UnloadHandler".into(), "Unload event listeners are deprecated and will be removed.".into(), "".into()),
        ),
    ];
    // Each type's rows for the page, once all five arrived (Chromium batches
    // its reports; the collector writes them in batches too).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let stored = loop {
        let mut stored = Vec::new();
        for (t, _) in &expected {
            stored.push(stored_rows(&showcase, *t).await);
        }
        if stored.iter().all(|rows| !rows.is_empty()) || std::time::Instant::now() > deadline {
            break stored;
        }
        rocket::tokio::time::sleep(Duration::from_millis(250)).await;
    };
    for ((t, want), rows) in expected.iter().zip(&stored) {
        // Exactly one group per type: the page's own script, which carries
        // `integrity`, is not reported; only the deliberate one is.
        assert_eq!(rows, &BTreeSet::from([want.clone()]), "{}; log:\n{}", t.as_str(), showcase.log());
    }

    // The dashboard (admin) counts every type the collector accepted. (The
    // per-type views, /security/reports/types/<type>, are not on main yet:
    // once they are, each page's text is to show the subject and detail above.)
    browser.login(&showcase, "admin", "admin-pass").await;
    browser.goto(&showcase.url("/security/reports/api")).await;
    let body = browser.text("body").await;
    let data: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("dashboard API JSON ({e}): {body}"));
    let by_type = &data["stats"]["accepted_by_type"];
    for (t, _) in &expected {
        let n = by_type[t.as_str()].as_u64().unwrap_or(0);
        assert!(n >= 1, "{} not counted: {by_type}", t.as_str());
    }
    browser.close().await;
}
