//! Replays a captured Chromium request against the collector and checks every
//! field it carried arrived in storage (or was filtered, for another host).

use rocket::http::{Header, Status};
use rocket_security::reports::{CspReport, CspViolation};
use serde_json::Value;

use crate::app::app;

fn sample(rel: &str) -> Value {
    let path = format!("{}/tests/fixtures/csp-report-samples/{rel}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

fn header<'a>(s: &'a Value, name: &str) -> Option<&'a str> {
    s["headers"].as_array()?.iter().find(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))?[1].as_str()
}

fn host(url: &str) -> &str {
    url.split("://").nth(1).unwrap().split(['/', ':']).next().unwrap()
}

/// The fields as the browser spelled them in this format (read independently
/// of the crate's alias tables).
struct Expected {
    document: String,
    blocked: String,
    directive: String,
    line: Option<i64>,
    column: Option<i64>,
    sample: String,
    status: Option<i64>,
    disposition: String,
    policy: String,
    user_agent: String,
}

fn expected(s: &Value) -> Vec<Expected> {
    let request_ua = header(s, "User-Agent").unwrap_or_default().to_string();
    let body = &s["body_json"];
    let str_of = |v: &Value| v.as_str().unwrap_or_default().to_string();
    if let Some(r) = body.get("csp-report") {
        return vec![Expected {
            document: str_of(&r["document-uri"]),
            blocked: str_of(&r["blocked-uri"]),
            directive: str_of(&r["effective-directive"]),
            line: r["line-number"].as_i64(),
            column: r["column-number"].as_i64(),
            sample: str_of(&r["script-sample"]),
            status: r["status-code"].as_i64(),
            disposition: str_of(&r["disposition"]),
            policy: str_of(&r["original-policy"]),
            user_agent: request_ua,
        }];
    }
    body.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "csp-violation")
        .map(|r| {
            let b = &r["body"];
            Expected {
                document: str_of(&b["documentURL"]),
                blocked: str_of(&b["blockedURL"]),
                directive: str_of(&b["effectiveDirective"]),
                line: b["lineNumber"].as_i64(),
                column: b["columnNumber"].as_i64(),
                sample: str_of(&b["sample"]),
                status: b["statusCode"].as_i64(),
                disposition: str_of(&b["disposition"]),
                policy: str_of(&b["originalPolicy"]),
                user_agent: str_of(&r["user_agent"]),
            }
        })
        .collect()
}

/// The policy of the captured test page (the fixtures' README), enforced and
/// report-only: the reports name it (with the reporting directives each
/// variant added, which the fingerprint leaves out), so none is foreign.
const CAPTURED_POLICY: &str = "default-src 'self'; script-src 'self' 'report-sample'; style-src 'self' \
                               'report-sample'; img-src 'self'; object-src 'none'; base-uri 'none'";

pub async fn check_post(rel: &str) {
    let s = sample(rel);
    let app = app(&format!(
        "[default.security.csp]\npolicy = {CAPTURED_POLICY:?}\n\
         [default.security.csp.report_only]\nenabled = true\npolicy = {CAPTURED_POLICY:?}"
    ))
    .await;
    let mut req = app.client.post("/security/csp-report").body(s["body_text"].as_str().unwrap());
    for name in ["Host", "Content-Type", "Origin", "User-Agent", "Referer"] {
        if let Some(v) = header(&s, name) {
            req = req.header(Header::new(name, v.to_string()));
        }
    }
    let res = req.dispatch().await;
    assert_eq!(res.status(), Status::NoContent, "{rel}");
    let stats = app.settled().await;
    let request_host = header(&s, "Host").unwrap().split(':').next().unwrap().to_string();
    let all = expected(&s);
    assert!(!all.is_empty(), "{rel}: the sample holds a CSP report");
    let (own, foreign): (Vec<_>, Vec<_>) = all.into_iter().partition(|e| host(&e.document) == request_host);
    assert_eq!(stats.received as usize, own.len() + foreign.len(), "{rel}: {stats:?}");
    assert_eq!(stats.dropped.get("foreign_origin").copied().unwrap_or(0) as usize, foreign.len(), "{rel}: {stats:?}");
    assert_eq!(stats.stored as usize, own.len(), "{rel}: {stats:?}");
    let mut conn = app.conn().await;
    let violations = CspViolation::recent(&mut conn, 100).await.unwrap();
    for e in &own {
        let v = violations
            .iter()
            .find(|v| v.effective_directive == e.directive && e.document.starts_with(&v.document_uri))
            .unwrap_or_else(|| panic!("{rel}: no violation for {}", e.directive));
        assert_eq!(v.document_uri, e.document.split('?').next().unwrap(), "{rel}");
        assert_eq!(v.disposition, e.disposition, "{rel}");
        let rows = CspReport::for_violation(&mut conn, v.id, 10).await.unwrap();
        let r = rows
            .iter()
            .find(|r| r.blocked_uri.as_deref() == Some(e.blocked.as_str()) && r.line_number.map(i64::from) == e.line)
            .unwrap_or_else(|| panic!("{rel}: no stored sample with blocked {:?}", e.blocked));
        assert_eq!(r.document_uri.as_deref(), Some(e.document.as_str()), "{rel}");
        assert_eq!(r.effective_directive.as_deref(), Some(e.directive.as_str()), "{rel}");
        assert_eq!(r.column_number.map(i64::from), e.column, "{rel}");
        assert_eq!(r.sample.as_deref().unwrap_or_default(), e.sample, "{rel}");
        assert_eq!(r.status_code.map(i64::from), e.status, "{rel}");
        assert_eq!(r.original_policy.as_deref(), Some(e.policy.as_str()), "{rel}");
        assert_eq!(r.user_agent.as_deref(), Some(e.user_agent.as_str()), "{rel}");
        assert_eq!(r.report_format, if rel.contains("reporting-api") { "reports+json" } else { "csp-report" }, "{rel}");
    }
}

pub async fn check_preflight(rel: &str) {
    let s = sample(rel);
    let app = app("").await;
    let mut req = app.client.req(rocket::http::Method::Options, "/security/csp-report");
    for name in ["Host", "Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers", "User-Agent"] {
        if let Some(v) = header(&s, name) {
            req = req.header(Header::new(name, v.to_string()));
        }
    }
    let res = req.dispatch().await;
    assert_eq!(res.status(), Status::NoContent, "{rel}");
    assert_eq!(res.headers().get_one("Access-Control-Allow-Origin"), Some("*"), "{rel}");
    assert_eq!(res.headers().get_one("Access-Control-Allow-Headers"), Some("content-type"), "{rel}");
    assert_eq!(res.headers().get_one("Access-Control-Allow-Methods"), Some("POST, OPTIONS"), "{rel}");
}
