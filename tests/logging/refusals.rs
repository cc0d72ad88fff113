//! Every refusal before routing leaves one INFO line under `security` that
//! names what decided, bounded and escaped.

use rocket::http::Header;

use crate::common;

#[rocket::async_test]
async fn a_host_and_a_csrf_refusal_each_log_one_line() {
    let buffer = crate::captured();
    let client = common::client(common::app("[default.security]\nallowed_hosts = [\"www.example.com\"]")).await;
    let forged = format!("evil.example\n{}", "x".repeat(300));
    client.get("/").header(Header::new("Host", forged)).dispatch().await;
    client
        .post("/submit")
        .header(Header::new("Host", "www.example.com"))
        .header(Header::new("Sec-Fetch-Site", "cross-site"))
        .dispatch()
        .await;
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let host_lines: Vec<&str> = out.lines().filter(|l| l.contains("host not allowed")).collect();
    assert_eq!(host_lines.len(), 1, "{out}");
    let expected =
        format!("INFO security: host not allowed: \"evil.example\\n{}\" (GET /); answering 400", "x".repeat(87));
    assert!(host_lines[0].ends_with(&expected), "{}", host_lines[0]);
    assert!(
        out.lines().any(|l| l.ends_with("INFO security: CSRF: refused POST /submit (Sec-Fetch-Site: \"cross-site\")")),
        "{out}"
    );
}
