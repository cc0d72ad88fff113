//! The host a request is served under, over a real socket (Rocket's local
//! client sets one `Host` and only ever sends an origin-form target): more
//! than one `Host` header gets 400 in either order (RFC 9112 §3.2), and an
//! absolute-form target is judged by the `Host` header that must equal its
//! authority (Rocket 0.5 drops the authority itself).

use std::io::{Read, Write};
use std::time::Duration;

use rocket::figment::providers::{Format, Toml};
use rocket::{get, routes};

use crate::process;

#[get("/<_path..>")]
fn page(_path: std::path::PathBuf) -> &'static str {
    "page"
}

/// The app served on a port of its own with this `[default.security]` content.
fn serve(security: &str) -> u16 {
    let port = process::free_port();
    let toml = format!("[default]\naddress = \"127.0.0.1\"\nport = {port}\n[default.security]\n{security}");
    let figment = rocket::figment::Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge(Toml::string(&toml).nested());
    let rocket = rocket::custom(figment).mount("/", routes![page]).attach(rocket_security::Security::fairing());
    std::thread::spawn(move || drop(rocket::execute(rocket.launch())));
    process::wait_for_port(port, Duration::from_secs(30), || "the app".into());
    port
}

/// The status line and body of `head` (request line and headers, without
/// the final blank line) sent as it is.
fn exchange(port: u16, head: &str) -> (String, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "{head}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    (head.lines().next().unwrap_or_default().to_string(), body.to_string())
}

const HOSTS: &str = "allowed_hosts = [\"127.0.0.1\", \"www.example.com\"]\nallowed_hosts_exempt = [\"/health\"]";
const DUPLICATE: &str = "400 Bad Request: more than one Host header";
const NOT_SERVED: &str = "400 Bad Request: this site is not served under that host name";

fn ok() -> (String, String) {
    ("HTTP/1.1 200 OK".into(), "page".into())
}

fn bad(body: &str) -> (String, String) {
    ("HTTP/1.1 400 Bad Request".into(), body.into())
}

#[test]
fn two_host_headers_get_400_in_either_order() {
    let port = serve(HOSTS);
    assert_eq!(exchange(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1"), ok());
    for (first, second) in [("127.0.0.1", "evil.example"), ("evil.example", "127.0.0.1"), ("127.0.0.1", "127.0.0.1")] {
        let head = format!("GET / HTTP/1.1\r\nHost: {first}\r\nHost: {second}");
        assert_eq!(exchange(port, &head), bad(DUPLICATE), "Host: {first}, then Host: {second}");
    }
    // Also on a path exempt from the host check.
    assert_eq!(exchange(port, "GET /health HTTP/1.1\r\nHost: 10.1.2.3"), ok());
    assert_eq!(exchange(port, "GET /health HTTP/1.1\r\nHost: 10.1.2.3\r\nHost: evil.example"), bad(DUPLICATE));
}

#[test]
fn two_host_headers_get_400_in_report_mode_too() {
    let port = serve(&format!("{HOSTS}\nallowed_hosts_mode = \"report\""));
    assert_eq!(exchange(port, "GET / HTTP/1.1\r\nHost: evil.example"), ok(), "report mode: other hosts go on");
    assert_eq!(exchange(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example"), bad(DUPLICATE));
}

#[test]
fn an_absolute_form_target_is_judged_by_the_host_it_names() {
    let port = serve(HOSTS);
    // A client sends the target's authority as Host (RFC 9112 §3.2.2).
    assert_eq!(exchange(port, "GET http://www.example.com/a HTTP/1.1\r\nHost: www.example.com"), ok());
    assert_eq!(exchange(port, "GET http://evil.example/a HTTP/1.1\r\nHost: evil.example"), bad(NOT_SERVED));
    assert_eq!(exchange(port, "GET http://evil.example/a HTTP/1.1"), bad(NOT_SERVED), "no Host at all");
    assert_eq!(
        exchange(port, "GET http://www.example.com/a HTTP/1.1\r\nHost: www.example.com\r\nHost: evil.example"),
        bad(DUPLICATE)
    );
}

/// Rocket 0.5 keeps only the path and query of an absolute-form target, so
/// an authority that contradicts `Host` cannot be seen: the request is served
/// under its (allowed) `Host`, the one host the application ever sees. If
/// this starts failing, Rocket passes the authority on: judge it instead.
#[test]
fn an_absolute_form_authority_is_invisible_to_rocket_so_its_host_header_is_judged() {
    let port = serve(HOSTS);
    assert_eq!(exchange(port, "GET http://evil.example/a HTTP/1.1\r\nHost: www.example.com"), ok());
    assert_eq!(exchange(port, "GET http://www.example.com/a HTTP/1.1\r\nHost: evil.example"), bad(NOT_SERVED));
}
