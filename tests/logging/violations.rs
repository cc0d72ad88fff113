//! The log sink writes one line per violation, with report values escaped so
//! a report cannot forge log lines.

use crate::common;

use rocket::http::{Header, Status};

#[rocket::async_test]
async fn a_violation_is_one_escaped_info_line() {
    let buffer = crate::captured();

    let client = common::client(common::app("")).await;
    let forged = "https://127.0.0.1/x\n2026-01-01T00:00:00Z  WARN security: forged line \u{1b}[31m";
    let body = serde_json::json!({"csp-report": {"document-uri": forged, "effective-directive": "img-src", "blocked-uri": "https://cdn.example/a.png"}});
    let res = client
        .post("/security/csp-report")
        .header(Header::new("Host", "127.0.0.1"))
        .header(Header::new("Content-Type", "application/csp-report"))
        .header(Header::new("User-Agent", "UA\r\nInjected: yes"))
        .body(body.to_string())
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NoContent);
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("CSP violation")).collect();
    assert_eq!(lines.len(), 1, "{out}");
    let line = lines[0];
    assert!(line.contains(" INFO security: CSP violation (enforce): img-src blocked \"cdn.example\" on "), "{line}");
    assert!(line.contains("\\n2026-01-01T00:00:00Z  WARN security: forged line \\u{1b}[31m"), "{line}");
    assert!(line.contains("\"UA\\r\\nInjected: yes\""), "{line}");
    assert!(!out.lines().any(|l| l.starts_with("2026-01-01T00:00:00Z")), "{out}");
}

#[rocket::async_test]
async fn one_request_logs_at_most_ten_bounded_lines() {
    let buffer = crate::captured();
    let client = common::client(common::app("")).await;
    let doc = "https://127.0.0.1/flood-page";
    let reports: Vec<serde_json::Value> = (0..100)
        .map(|i| {
            serde_json::json!({"type": "csp-violation", "url": doc, "body": {
                "documentURL": doc, "effectiveDirective": "img-src", "blockedURL": format!("https://cdn{i}.example/a.png")}})
        })
        .collect();
    let before = buffer.0.lock().unwrap().len();
    let res = client
        .post("/security/csp-report")
        .header(Header::new("Host", "127.0.0.1"))
        .header(Header::new("Content-Type", "application/reports+json"))
        .header(Header::new("User-Agent", "x".repeat(60_000)))
        .body(serde_json::Value::Array(reports).to_string())
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NoContent);
    let out = String::from_utf8(buffer.0.lock().unwrap()[before..].to_vec()).unwrap();
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("flood-page")).collect();
    assert_eq!(lines.len(), 10, "{} lines", lines.len());
    assert!(lines.iter().all(|l| l.len() < 1_400), "the 60 KB User-Agent is cut to 1,024 characters");
    assert!(out.lines().any(|l| l.ends_with(
        " INFO security: CSP: 90 more report(s) in this request not logged (at most 10 lines per request)"
    )));
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    assert!(bytes < 14_000, "{bytes} bytes of log for one request (was 6 MB)");
}

#[rocket::async_test]
async fn a_browser_report_is_one_escaped_info_line() {
    let buffer = crate::captured();
    let client = common::client(common::app("")).await;
    let body = serde_json::json!([{"type": "deprecation", "url": "https://127.0.0.1/old?token=secret",
        "user_agent": "Chrome\r\nInjected: yes",
        "body": {"id": "UnloadHandler", "message": "gone\n2026-01-01T00:00:00Z  WARN security: forged"}}]);
    let res = client
        .post("/security/csp-report")
        .header(Header::new("Host", "127.0.0.1"))
        .header(Header::new("Content-Type", "application/reports+json"))
        .body(body.to_string())
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NoContent);
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("Browser report")).collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].ends_with(
            " INFO security: Browser report (deprecation): \"UnloadHandler\" \"gone\\n2026-01-01T00:00:00Z  WARN \
             security: forged\" on \"https://127.0.0.1/old\" from 0.0.0.0 UA \"Chrome\\r\\nInjected: yes\""
        ),
        "{}",
        lines[0]
    );
    assert!(!out.lines().any(|l| l.starts_with("2026-01-01T00:00:00Z")), "{out}");
}
