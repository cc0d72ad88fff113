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

#[rocket::async_test]
async fn a_redirect_refused_for_a_host_a_network_admitted_logs_one_line() {
    let buffer = crate::captured();
    let toml = "[default.security]\nallowed_hosts = [\"www.example.com\", \"10.0.0.0/8\"]\n\
                [default.security.https]\nredirect = true";
    let client = common::client(common::app(toml)).await;
    let res = client.get("/status?probe=1").header(Header::new("Host", "10.20.30.40:8000")).dispatch().await;
    assert_eq!(res.status(), rocket::http::Status::MisdirectedRequest);
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("10.20.30.40")).collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].ends_with(
            "INFO security: HTTPS redirect: host \"10.20.30.40:8000\" is admitted by a network of allowed_hosts and \
             never becomes a redirect target (GET /status); answering 421; set security.https.redirect_host, or list \
             the path in security.https.redirect_exempt"
        ),
        "{}",
        lines[0]
    );
}
