//! The grouped view: violations by directive, blocked source and
//! disposition, a page at a time, as HTML, JSON and CSV; hostile fields are
//! escaped, and no CSV cell is a formula.

use chrono::{Duration, TimeZone, Utc};
use rocket::figment::providers::Format;
use rocket::http::Status;
use rocket_security::csp::CspHash;
use rocket_security::reports::{CspViolation, Triage, TriageState, ViolationKey};

use crate::app::{app, App, SITE_POLICY};

fn key(doc: &str, directive: &str, blocked: &str, disposition: &str) -> ViolationKey {
    ViolationKey {
        document_uri: doc.into(),
        effective_directive: directive.into(),
        blocked: blocked.into(),
        source_file: None,
        line_number: None,
        disposition: disposition.into(),
    }
}

/// Records `hits` reports of `k` at `at`, straight into the app's database.
async fn record(app: &App, k: &ViolationKey, hits: i64, at: chrono::DateTime<Utc>) {
    CspViolation::record(&mut app.conn().await, k, hits, None, 1, at).await.unwrap();
}

async fn json(app: &App, path: &str) -> serde_json::Value {
    let (status, _, _, body) = app.dashboard(path, true).await;
    assert_eq!(status, Status::Ok, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[rocket::async_test]
async fn violations_group_by_directive_blocked_source_and_disposition() {
    let app = app("").await;
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
    // Three pages blocking the same host: one group of 7 reports.
    record(&app, &key("https://127.0.0.1/a", "img-src", "cdn.example", "enforce"), 2, t0).await;
    record(&app, &key("https://127.0.0.1/b", "img-src", "cdn.example", "enforce"), 4, t0 + Duration::hours(2)).await;
    record(&app, &key("https://127.0.0.1/c", "img-src", "cdn.example", "enforce"), 1, t0 + Duration::hours(1)).await;
    // The same, in report mode, and inline scripts: groups of their own.
    record(&app, &key("https://127.0.0.1/a", "img-src", "cdn.example", "report"), 3, t0).await;
    record(&app, &key("https://127.0.0.1/a", "script-src-elem", "inline", "enforce"), 5, t0).await;
    let v = json(&app, "/security/reports/groups.json").await;
    let groups: Vec<(String, String, String, i64, i64)> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["directive"].as_str().unwrap().into(),
                g["blocked"].as_str().unwrap().into(),
                g["disposition"].as_str().unwrap().into(),
                g["hits"].as_i64().unwrap(),
                g["violations"].as_i64().unwrap(),
            )
        })
        .collect();
    let g = |d: &str, b: &str, p: &str, h, n| (d.to_string(), b.to_string(), p.to_string(), h, n);
    assert_eq!(
        groups,
        vec![
            g("img-src", "cdn.example", "enforce", 7, 3),
            g("script-src-elem", "inline", "enforce", 5, 1),
            g("img-src", "cdn.example", "report", 3, 1),
        ],
        "most reports first"
    );
    assert_eq!(
        v["groups"][0]["top_documents"],
        serde_json::json!([["https://127.0.0.1/b", 4], ["https://127.0.0.1/a", 2], ["https://127.0.0.1/c", 1]])
    );
    assert_eq!(v["groups"][1]["top_documents"], serde_json::json!([["https://127.0.0.1/a", 5]]));
    assert_eq!(v["groups"][0]["first_seen"], "2026-11-30T08:00:00");
    assert_eq!(v["groups"][0]["last_seen"], "2026-11-30T10:00:00");
    // Disposition and directive filters.
    let v = json(&app, "/security/reports/groups.json?disposition=report").await;
    assert_eq!(v["groups"].as_array().unwrap().len(), 1);
    assert_eq!(v["groups"][0]["hits"], 3);
    let v = json(&app, "/security/reports/groups.json?directive=script-src-elem").await;
    assert_eq!(v["groups"][0]["blocked"], "inline");
    let (status, _, _, _) = app.dashboard("/security/reports/groups.json?disposition=maybe", true).await;
    assert_eq!(status, Status::BadRequest);
    let (status, _, _, _) = app.dashboard("/security/reports/groups?page=0", true).await;
    assert_eq!(status, Status::BadRequest);
}

#[rocket::async_test]
async fn groups_come_fifty_to_a_page_with_links_between_pages() {
    let app = app("").await;
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
    for i in 0..60 {
        record(&app, &key("https://127.0.0.1/", "img-src", &format!("h{i:02}.example"), "enforce"), 100 - i, t0).await;
    }
    let first = json(&app, "/security/reports/groups.json").await;
    assert_eq!(first["groups"].as_array().unwrap().len(), 50);
    assert_eq!((first["groups"][0]["blocked"].as_str(), first["next_page"].as_u64()), (Some("h00.example"), Some(2)));
    let second = json(&app, "/security/reports/groups.json?page=2").await;
    assert_eq!(second["groups"].as_array().unwrap().len(), 10);
    assert_eq!((second["groups"][0]["blocked"].as_str(), second["next_page"].as_u64()), (Some("h50.example"), None));
    let (_, _, _, html) = app.dashboard("/security/reports/groups?disposition=enforce", true).await;
    assert!(
        html.contains("<a href=\"/security/reports/groups?disposition=enforce&amp;page=2\">Next page</a>"),
        "{html}"
    );
    let (_, _, _, html) = app.dashboard("/security/reports/groups?disposition=enforce&page=2", true).await;
    assert!(
        html.contains("<a href=\"/security/reports/groups?disposition=enforce\">Previous page</a> Page 2</p>"),
        "{html}"
    );
}

/// Fields that are HTML, and formulas to a spreadsheet.
async fn hostile(app: &App) {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
    record(app, &key("https://127.0.0.1/", "=cmd|' /C calc'!A0", "<script>alert(1)</script>", "enforce"), 2, t0).await;
    record(app, &key("https://127.0.0.1/", "img-src", "@SUM(1+1)", "enforce"), 1, t0).await;
}

#[rocket::async_test]
async fn hostile_fields_are_escaped_in_the_grouped_view() {
    let app = app("").await;
    hostile(&app).await;
    let (status, _, headers, html) = app.dashboard("/security/reports/groups", true).await;
    assert_eq!(status, Status::Ok);
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(html.contains("<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"), "{html}");
    // maud escapes `&`, `<`, `>` and `"`; a `'` in text is harmless and stays.
    assert!(html.contains("<td>=cmd|' /C calc'!A0</td>"), "{html}");
    // The link to the list is percent-encoded, then HTML-escaped.
    assert!(
        html.contains("href=\"/security/reports?directive=%3Dcmd%7C%27%20%2FC%20calc%27%21A0&amp;blocked=%3Cscript%3Ealert%281%29%3C%2Fscript%3E\""),
        "{html}"
    );
    let csp = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("Content-Security-Policy")).map(|(_, v)| v.as_str());
    assert!(csp.is_some_and(|c| c.starts_with("default-src 'none'; style-src 'nonce-")), "{csp:?}");
    assert!(html.contains("<h2>Triage log</h2><p>No triage decisions yet.</p>"), "{html}");

    // The triage log: a hostile group decided on by a hostile user name.
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap();
    let by = "<img src=x onerror=alert(2)>";
    let (d, b) = ("=cmd|' /C calc'!A0", "<script>alert(1)</script>");
    Triage::set(&mut app.conn().await, d, b, "enforce", TriageState::Fixed, by, at).await.unwrap();
    let (_, _, _, html) = app.dashboard("/security/reports/groups", true).await;
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(
        html.contains(
            "<tr><td>2026-12-01 09:30:00</td><td>&lt;img src=x onerror=alert(2)&gt;</td><td>fixed</td>\
             <td>=cmd|' /C calc'!A0</td><td><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></td>\
             <td>enforce</td></tr>"
        ),
        "{html}"
    );
}

#[rocket::async_test]
async fn the_csv_export_never_lets_a_spreadsheet_run_a_field() {
    let app = app("").await;
    hostile(&app).await;
    let (status, ct, headers, csv) = app.dashboard("/security/reports/groups.csv", true).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(ct.map(|c| c.to_string()), Some("text/csv; charset=utf-8".into()));
    let disposition =
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("Content-Disposition")).map(|(_, v)| v.as_str());
    assert_eq!(disposition, Some("attachment; filename=\"csp-violation-groups.csv\""));
    assert_eq!(
        csv,
        "\"directive\",\"blocked\",\"disposition\",\"reports\",\"violations\",\"first_seen\",\"last_seen\",\"status\",\
         \"triaged_by\",\"triaged_at\"\r\n\
         \"'=cmd|' /C calc'!A0\",\"<script>alert(1)</script>\",\"enforce\",\"2\",\"1\",\"2026-11-30 08:00:00\",\
         \"2026-11-30 08:00:00\",\"open\",\"\",\"\"\r\n\
         \"img-src\",\"'@SUM(1+1)\",\"enforce\",\"1\",\"1\",\"2026-11-30 08:00:00\",\"2026-11-30 08:00:00\",\"open\",\"\",\"\"\r\n"
    );
    // The list of violations exports too, with the same care.
    let (status, _, _, csv) = app.dashboard("/security/reports/violations.csv", true).await;
    assert_eq!(status, Status::Ok);
    assert!(
        csv.starts_with(
            "\"directive\",\"blocked\",\"document\",\"disposition\",\"reports\",\"samples\",\"first_seen\",\"last_seen\"\r\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains(
            "\r\n\"'=cmd|' /C calc'!A0\",\"<script>alert(1)</script>\",\"https://127.0.0.1/\",\"enforce\",\"2\","
        ),
        "{csv}"
    );
    // Not for everyone.
    let (status, _, _, _) = app.dashboard("/security/reports/groups.csv", false).await;
    assert_eq!(status, Status::Forbidden);
}

/// Issue 29: `…/p;=1+2;@SUM(A1)` came out unquoted, and Excel in a
/// `;`-separator locale split it and ran `=1+2` and `@SUM(A1)`.
#[rocket::async_test]
async fn a_formula_after_a_separator_inside_a_field_is_defused() {
    let app = app("").await;
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
    let hostile = "https://127.0.0.1/p;=1+2;@SUM(A1)";
    record(&app, &key(hostile, "img-src", "https://evil.example/x,-1+1;\t+2", "enforce"), 1, t0).await;
    let (status, _, _, csv) = app.dashboard("/security/reports/violations.csv", true).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        csv,
        "\"directive\",\"blocked\",\"document\",\"disposition\",\"reports\",\"samples\",\"first_seen\",\"last_seen\"\r\n\
         \"img-src\",\"https://evil.example/x,'-1+1;\t'+2\",\"https://127.0.0.1/p;'=1+2;'@SUM(A1)\",\"enforce\",\"1\",\
         \"0\",\"2026-11-30 08:00:00\",\"2026-11-30 08:00:00\"\r\n"
    );
}

/// A report the report-only policy caused (the legacy format, as Chromium sends it).
fn report_only(directive: &str, blocked: &str, policy: &str) -> String {
    with_sample(directive, blocked, policy, "")
}

/// [`report_only`] with a `script-sample`.
fn with_sample(directive: &str, blocked: &str, policy: &str, sample: &str) -> String {
    serde_json::json!({"csp-report": {
        "document-uri": "https://127.0.0.1/page", "referrer": "", "violated-directive": directive,
        "effective-directive": directive, "original-policy": policy, "disposition": "report",
        "blocked-uri": blocked, "status-code": 200, "script-sample": sample
    }})
    .to_string()
}

/// The report-only policy of the wizard's test app, as configured.
const CANDIDATE: &str = "default-src 'self'; img-src 'self'; script-src 'self' 'report-sample'";

/// What browsers name as the report-only policy of that app (a nonce, the reporting directive).
const CANDIDATE_SENT: &str = "default-src 'self'; img-src 'self'; script-src 'self' 'nonce-VDM4cFs3sufOtxKWEhcuw==' \
                              'report-sample'; report-uri /security/csp-report";

fn candidate_config(extra: &str) -> String {
    format!(
        "[default.security.reports]\nrate_limit_per_minute = 0\n{extra}\n\
         [default.security.csp.report_only]\nenabled = true\nuse_defaults = false\n\
         [default.security.csp.report_only.directives]\ndefault-src = [\"'self'\"]\nimg-src = [\"'self'\"]\n\
         script-src = [\"'self'\", \"'report-sample'\"]"
    )
}

/// The text of the first `<pre><code>` after `heading`, as a person copies it from the page.
fn copied(html: &str, heading: &str) -> String {
    let after = &html[html.find(heading).unwrap_or_else(|| panic!("no {heading:?} in {html}"))..];
    let start = after.find("<pre><code>").unwrap() + "<pre><code>".len();
    let text = &after[start..start + after[start..].find("</code></pre>").unwrap()];
    text.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

#[rocket::async_test]
async fn the_wizard_proposes_the_smallest_safe_change_to_the_site_s_own_policy_as_a_snippet() {
    // Extension noise stored too (the collector's filter off), for the wizard to set apart.
    let app = app(&candidate_config("use_default_disallowed = false")).await;
    // Inline code whose whole text the sample holds (under 40 characters), and code cut at 40; one
    // sample is stored per key and batch, so each goes alone.
    for sample in ["console.log(1)", "window.analytics=window.analytics||[];an"] {
        let r =
            app.post("application/csp-report", with_sample("script-src-elem", "inline", CANDIDATE_SENT, sample)).await;
        assert_eq!(r.status(), Status::NoContent);
        app.settled().await;
    }
    // cdn.example from two clients (an IPv4 address and an IPv6 /64); fonts.example from one
    // client only (two addresses in one /64).
    for (directive, blocked, clients) in [
        ("img-src", "https://cdn.example/a.png", &["203.0.113.7", "2001:db8:1:2::1", "203.0.113.7"][..]),
        ("script-src-elem", "inline", &["203.0.113.7", "203.0.113.8"][..]),
        ("font-src", "https://fonts.example/x.woff2", &["2001:db8:5:6::1", "2001:db8:5:6::2"][..]),
        ("script-src", "eval", &["203.0.113.7"][..]),
        (
            "img-src",
            "chrome-extension://abcdefgh/icon.png",
            &["203.0.113.7", "203.0.113.8", "203.0.113.9", "203.0.113.10"][..],
        ),
    ] {
        for ip in clients {
            let r = app.post_from(ip, "application/csp-report", report_only(directive, blocked, CANDIDATE_SENT)).await;
            assert_eq!(r.status(), Status::NoContent);
            app.settled().await;
        }
    }
    let v = json(&app, "/security/reports/wizard.json").await;
    assert_eq!(v["policy_seen"], CANDIDATE, "the site's own policy, as configured");
    assert_eq!(
        v["proposed_policy"],
        "default-src 'self'; img-src 'self' cdn.example; script-src 'self' 'report-sample'"
    );
    assert_eq!(
        v["proposal"]["changes"],
        serde_json::json!([{"directive": "img-src", "sources": ["'self'", "cdn.example"],
            "added": [{"source": "cdn.example", "hits": 3, "clients": 2}]}])
    );
    assert_eq!(
        v["proposal"]["held_back"],
        serde_json::json!([{"directive": "font-src", "blocked": "fonts.example", "hits": 2, "clients": 1,
            "instead": "reported by a single client: not proposed (one client can be one attacker); it is proposed \
                        once a second client reports it", "hashes": []}])
    );
    assert_eq!(v["proposal"]["flagged"][0]["hashes"], serde_json::json!([CspHash::sha256("console.log(1)")]));
    assert_eq!(v["proposal"]["noise"][0]["blocked"], "chrome-extension://abcdefgh");
    assert_eq!(
        v["snippet"],
        "[default.security.csp.report_only.directives]\nimg-src = [\"'self'\", \"cdn.example\"]\n"
    );
    let flagged: Vec<(&str, &str, i64)> = v["proposal"]["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["directive"].as_str().unwrap(), f["blocked"].as_str().unwrap(), f["hits"].as_i64().unwrap()))
        .collect();
    assert_eq!(flagged, vec![("script-src-elem", "inline", 4), ("script-src", "eval", 1)]);
    // The enforced policy saw nothing.
    let v = json(&app, "/security/reports/wizard.json?disposition=enforce").await;
    assert_eq!(v["snippet"], "");

    let (status, _, _, html) = app.dashboard("/security/reports/wizard", true).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("<td>img-src</td><td><code>cdn.example</code></td><td class=\"n\">3</td><td class=\"n\">2</td>"),
        "{html}"
    );
    assert!(html.contains("<h2 id=\"held-back\">Held back: reported by a single client</h2>"), "{html}");
    assert!(html.contains("pre{white-space:pre-wrap"), "long policies wrap: {html}");
    assert!(html.contains("<td>never 'unsafe-inline': give the element a nonce"), "{html}");
    // The snippet as a person copies it off the page is the TOML, line breaks and all: pasted into
    // a Rocket.toml, the new report-only policy allows cdn.example.
    let snippet = copied(&html, "<h2>Proposed change</h2>");
    assert_eq!(snippet, "[default.security.csp.report_only.directives]\nimg-src = [\"'self'\", \"cdn.example\"]\n");
    let pasted = rocket::figment::Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge(rocket::figment::providers::Toml::string(&candidate_config("")).nested())
        .merge(rocket::figment::providers::Toml::string(&snippet).nested());
    let client = rocket::local::asynchronous::Client::tracked(
        rocket::custom(pasted).attach(rocket_security::Security::fairing()).mount("/", rocket::routes![]),
    )
    .await
    .expect("the pasted snippet ignites");
    let res = client.get("/").dispatch().await;
    assert_eq!(
        res.headers().get_one("Content-Security-Policy-Report-Only"),
        Some(
            "default-src 'self'; img-src 'self' cdn.example; script-src 'self' 'report-sample'; report-uri /security/csp-report"
        )
    );

    // A group marked expected is left out of the proposal.
    Triage::set(&mut app.conn().await, "img-src", "cdn.example", "report", TriageState::Expected, "alice", Utc::now())
        .await
        .unwrap();
    let v = json(&app, "/security/reports/wizard.json").await;
    assert_eq!(v["snippet"], "");
    let (status, _, _, _) = app.dashboard("/security/reports/wizard?disposition=both", true).await;
    assert_eq!(status, Status::BadRequest);
    let (status, _, _, _) = app.dashboard("/security/reports/wizard", false).await;
    assert_eq!(status, Status::Forbidden);
}

/// The review's attack: an unauthenticated report whose `original-policy` turns script protection
/// off and whose blocked source is the attacker's host.
#[rocket::async_test]
async fn a_forged_report_never_makes_the_wizard_propose_an_unsafe_source_or_a_one_client_host() {
    let app = app(&candidate_config("")).await;
    let forged = "script-src 'self' 'unsafe-inline' 'unsafe-eval'; report-uri /security/csp-report";
    let r = app
        .post_from(
            "198.51.100.66",
            "application/csp-report",
            report_only("script-src-elem", "https://evil.example/x.js", forged),
        )
        .await;
    assert_eq!(r.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.dropped.get("foreign_policy"), s.accepted, s.stored), (Some(&1), 0, 0));
    // The attacker copies the site's real policy, and reports every unsafe source and its host.
    for blocked in ["inline", "eval", "wasm-eval", "data:", "blob:", "https:", "*", "https://evil.example/x.js"] {
        let r = app
            .post_from(
                "198.51.100.66",
                "application/csp-report",
                report_only("script-src-elem", blocked, CANDIDATE_SENT),
            )
            .await;
        assert_eq!(r.status(), Status::NoContent, "{blocked}");
    }
    let r = app
        .post_from("198.51.100.66", "application/csp-report", report_only("script-src-attr", "inline", CANDIDATE_SENT))
        .await;
    assert_eq!(r.status(), Status::NoContent);
    // Two clients asking to be allowed to frame the site, to be a form target or a <base>: never proposed.
    for ip in ["198.51.100.66", "203.0.113.99"] {
        for d in ["frame-ancestors", "form-action", "base-uri"] {
            let r = app
                .post_from(ip, "application/csp-report", report_only(d, "https://evil.example/", CANDIDATE_SENT))
                .await;
            assert_eq!(r.status(), Status::NoContent);
            // One sample per key and batch: each client's report in a batch of its own.
            app.settled().await;
        }
    }
    app.settled().await;
    let v = json(&app, "/security/reports/wizard.json").await;
    assert_eq!((v["snippet"].as_str(), v["proposed_policy"].is_null()), (Some(""), true), "{v}");
    assert_eq!(v["proposal"]["changes"], serde_json::json!([]));
    assert_eq!(v["foreign_policy"], 1);
    let held: Vec<(&str, i64)> = v["proposal"]["held_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["blocked"].as_str().unwrap(), f["clients"].as_i64().unwrap()))
        .collect();
    assert_eq!(held, vec![("evil.example", 1)]);
    let mut flagged: Vec<&str> =
        v["proposal"]["flagged"].as_array().unwrap().iter().map(|f| f["blocked"].as_str().unwrap()).collect();
    flagged.sort();
    assert_eq!(
        flagged,
        vec![
            "*",
            "blob:",
            "data:",
            "eval",
            "evil.example",
            "evil.example",
            "evil.example",
            "https:",
            "inline",
            "inline",
            "wasm-eval"
        ]
    );
    let protective: Vec<(&str, i64)> = v["proposal"]["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["instead"].as_str().unwrap().starts_with("never widened from reports"))
        .map(|f| (f["directive"].as_str().unwrap(), f["clients"].as_i64().unwrap()))
        .collect();
    assert_eq!(protective, vec![("base-uri", 2), ("form-action", 2), ("frame-ancestors", 2)]);
    let body = v.to_string();
    for unsafe_source in ["'unsafe-inline'\"", "'unsafe-eval'\"", "'unsafe-hashes'\""] {
        assert!(!body.contains(&format!("\"{unsafe_source}")), "{unsafe_source} proposed: {body}");
    }
    let (_, _, _, html) = app.dashboard("/security/reports/wizard", true).await;
    assert!(
        html.contains("<p id=\"foreign-policy\">1 report(s) on this instance named a policy your site never sent"),
        "{html}"
    );
    assert!(html.contains("<h2>Proposed change</h2><p>Nothing to add.</p>"), "{html}");
}

#[rocket::async_test]
async fn a_hostile_policy_in_a_report_is_foreign_and_never_stored_or_shown() {
    let app = app(&candidate_config("")).await;
    let hostile = "img-src 'self'</code><script>alert(1)</script>";
    let r = app.post("application/csp-report", report_only("img-src", "https://cdn.example/a.png", hostile)).await;
    assert_eq!(r.status(), Status::NoContent);
    let s = app.settled().await;
    assert_eq!((s.dropped.get("foreign_policy"), s.stored), (Some(&1), 0));
    let (_, _, _, html) = app.dashboard("/security/reports/wizard", true).await;
    assert!(!html.contains("alert(1)"), "{html}");
    assert!(html.contains(&format!("<pre><code>{CANDIDATE}</code></pre>")), "{html}");
    let v = json(&app, "/security/reports/wizard.json").await;
    assert_eq!(v["snippet"], "");
}

#[rocket::async_test]
async fn a_violation_s_samples_export_as_csv_and_json_with_hostile_fields_defused() {
    let app = app("[default.security.reports]\nrate_limit_per_minute = 0").await;
    let body = serde_json::json!({"csp-report": {
        "document-uri": "https://127.0.0.1/page", "referrer": "", "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem", "original-policy": SITE_POLICY, "disposition": "enforce",
        "blocked-uri": "inline", "status-code": 200, "script-sample": "=HYPERLINK(\"https://evil.example\",\"x\")",
        "line-number": 7, "column-number": 2, "source-file": "https://127.0.0.1/app.js"
    }})
    .to_string();
    let r = app.post("application/csp-report", body).await;
    assert_eq!(r.status(), Status::NoContent);
    app.settled().await;
    let api = json(&app, "/security/reports/api").await;
    let id = api["violations"][0]["id"].as_i64().unwrap();
    let (status, ct, headers, csv) = app.dashboard(&format!("/security/reports/violation/{id}.csv"), true).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(ct.map(|c| c.to_string()), Some("text/csv; charset=utf-8".into()));
    let disposition =
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("Content-Disposition")).map(|(_, v)| v.as_str());
    assert_eq!(disposition, Some("attachment; filename=\"csp-violation-samples.csv\""));
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "\"received\",\"format\",\"document\",\"blocked_uri\",\"directive\",\"disposition\",\"sample\",\"status\",\
         \"source_file\",\"line\",\"column\",\"client\",\"user_agent\""
    );
    let row = lines[1].split_once(',').map(|(_, rest)| rest).unwrap();
    assert_eq!(
        row,
        "\"csp-report\",\"https://127.0.0.1/page\",\"inline\",\"script-src-elem\",\"enforce\",\
         \"'=HYPERLINK(\"\"https://evil.example\"\",\"\"x\"\")\",\"200\",\"https://127.0.0.1/app.js\",\"7\",\"2\",\
         \"0.0.0.0\",\"TestBrowser/1.0\""
    );
    assert_eq!(lines.len(), 3, "{csv}");
    let (status, ct, _, body) = app.dashboard(&format!("/security/reports/violation/{id}.json"), true).await;
    assert_eq!((status, ct), (Status::Ok, Some(rocket::http::ContentType::JSON)));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["violation"]["hits"], 1);
    assert_eq!(v["samples"][0]["sample"], "=HYPERLINK(\"https://evil.example\",\"x\")");
    let (_, _, _, html) = app.dashboard(&format!("/security/reports/violation/{id}"), true).await;
    assert!(html.contains(&format!("<a href=\"{id}.csv\">CSV</a>")), "{html}");
    for bad in [format!("{id}.xml"), "x.json".to_string(), format!("{id}.json.csv")] {
        let (status, ..) = app.dashboard(&format!("/security/reports/violation/{bad}"), true).await;
        assert_eq!(status, Status::NotFound, "{bad}");
    }
    let (status, ..) = app.dashboard(&format!("/security/reports/violation/{id}.csv"), false).await;
    assert_eq!(status, Status::Forbidden);
}

/// The captured Chromium 156 reports of the report-only page (`own-https/025` and
/// `036`: an inline `<style>`, a `style=` attribute, an inline `<script>`, `eval()`,
/// an image from another origin), posted as Chromium sent them.
#[rocket::async_test]
async fn the_wizard_on_the_captured_chromium_report_only_samples_proposes_nothing_unsafe() {
    let captured = "default-src 'self'; script-src 'self' 'report-sample'; style-src 'self' 'report-sample'; \
                    img-src 'self'; object-src 'none'; base-uri 'none'";
    let app = app(&format!(
        "[default.security.reports]\nrate_limit_per_minute = 0\n\
         [default.security.csp.report_only]\nenabled = true\npolicy = {captured:?}"
    ))
    .await;
    // As two visitors' browsers sent them (the wizard offers a hash only for code two clients reported).
    for (rel, ip) in [
        ("025-POST-csp_reports-reporting-api-report-only.json", "203.0.113.1"),
        ("036-POST-csp_reports-reporting-api-report-only.json", "203.0.113.1"),
        ("025-POST-csp_reports-reporting-api-report-only.json", "2001:db8:7::1"),
        ("036-POST-csp_reports-reporting-api-report-only.json", "2001:db8:7::1"),
    ] {
        let path = format!("{}/tests/fixtures/csp-report-samples/own-https/{rel}", env!("CARGO_MANIFEST_DIR"));
        let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let r = app
            .client
            .post("/security/csp-report")
            .remote(std::net::SocketAddr::new(ip.parse().unwrap(), 40000))
            .header(rocket::http::Header::new("Host", "127.0.0.1:38571"))
            .header(rocket::http::ContentType::new("application", "reports+json"))
            .body(s["body_text"].as_str().unwrap())
            .dispatch()
            .await;
        assert_eq!(r.status(), Status::NoContent, "{rel}");
        app.settled().await;
    }
    let v = json(&app, "/security/reports/wizard.json").await;
    assert_eq!(v["policy_seen"], captured, "the site's own policy, as configured");
    assert_eq!(v["foreign_policy"], 0, "Chromium's reports name the policy the site sent");
    // Nothing here is safe to allow: no snippet, no proposed policy.
    assert_eq!((v["snippet"].as_str(), v["proposed_policy"].is_null()), (Some(""), true));
    let flagged: Vec<(&str, &str, Vec<&str>)> = v["proposal"]["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["directive"].as_str().unwrap(),
                f["blocked"].as_str().unwrap(),
                f["hashes"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect(),
            )
        })
        .collect();
    let script = CspHash::sha256("document.title = \"inline script ran\";");
    let style = CspHash::sha256("body { background: #fee; }");
    assert_eq!(
        flagged,
        vec![
            ("img-src", "localhost:38571", vec![]),
            ("script-src", "eval", vec![]),
            ("script-src-elem", "inline", vec![script.as_str()]),
            ("style-src-attr", "inline", vec![]),
            ("style-src-elem", "inline", vec![style.as_str()]),
        ]
    );
    let instead: Vec<&str> =
        v["proposal"]["flagged"].as_array().unwrap().iter().map(|f| f["instead"].as_str().unwrap()).collect();
    assert!(instead[0].starts_with("not a plain host"), "{instead:?}");
    assert!(instead[1].starts_with("never 'unsafe-eval'"), "{instead:?}");
    assert!(instead[3].starts_with("never 'unsafe-inline' (nor 'unsafe-hashes')"), "{instead:?}");
    assert_eq!(v["proposal"]["noise"], serde_json::json!([]));
}

#[rocket::async_test]
async fn hostile_blocked_sources_are_escaped_in_the_wizard_s_lists() {
    let app = app(&candidate_config("use_default_disallowed = false")).await;
    let policy = CANDIDATE_SENT;
    for blocked in ["chrome-extension://x\"><img src=x onerror=alert(1)>/a.js", "wss://<svg onload=alert(2)>/"] {
        let r = app.post("application/csp-report", report_only("connect-src", blocked, policy)).await;
        assert_eq!(r.status(), Status::NoContent);
    }
    app.settled().await;
    let (status, _, _, html) = app.dashboard("/security/reports/wizard", true).await;
    assert_eq!(status, Status::Ok);
    assert!(!html.contains("<img src=x") && !html.contains("<svg onload"), "{html}");
    assert!(
        html.contains("<td><code>chrome-extension://x&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</code></td>"),
        "{html}"
    );
    assert!(html.contains("<td><code>wss://&lt;svg onload=alert(2)&gt;</code></td>"), "{html}");
}
