//! Cookies behind a real TLS-terminating proxy: HAProxy (Debian's) in front
//! of the app served on a socket, requests made with curl. Over HTTPS every
//! cookie gets `Secure`; over plain HTTP nothing does; an untrusted peer's
//! `X-Forwarded-Proto: https` changes nothing.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rocket_security::core::ManualClock;

use crate::app::{db_file, rocket_at, start_time};
use crate::process;

const ON: &str = "[default.security.session]\nenabled = true\ncookies = [\"user_id\"]\nrefresh_interval = 60\n\
                  [default.security.https]\ntrusted_proxies = [\"127.0.0.2\"]";

/// HAProxy terminating TLS on `port`, forwarding from 127.0.0.2 (the trusted
/// proxy address) to the app with `X-Forwarded-Proto: https`.
struct Haproxy {
    child: Child,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn haproxy(dir: &Path, port: u16, app_port: u16) -> Haproxy {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    let pem = dir.join("site.pem");
    std::fs::write(&pem, format!("{}{}", cert.cert.pem(), cert.signing_key.serialize_pem())).unwrap();
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(
        &cfg,
        format!(
            "global\n  maxconn 64\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 10s\n  timeout server 10s\n\
             frontend tls\n  bind 127.0.0.1:{port} ssl crt {}\n  http-request set-header X-Forwarded-Proto https\n  default_backend app\n\
             backend app\n  server app 127.0.0.1:{app_port} source 127.0.0.2\n",
            pem.display()
        ),
    )
    .unwrap();
    let child = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy (Debian package `haproxy`; .ci/run installs it)");
    let proxy = Haproxy { child };
    process::wait_for_port(port, Duration::from_secs(30), || "haproxy".into());
    proxy
}

/// The `Set-Cookie` lines of `GET url` made by curl with `cookies` and `headers`.
fn set_cookies(url: &str, cookies: &str, headers: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("curl");
    cmd.args(["-sk", "-o", "/dev/null", "-D", "-", "--max-time", "10"]);
    if !cookies.is_empty() {
        cmd.args(["-H", &format!("Cookie: {cookies}")]);
    }
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(url).output().expect("curl");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .map(|l| l.trim().to_string())
        .collect()
}

/// `name=value` pairs of the cookies a response set (not the removals).
fn jar(lines: &[String]) -> String {
    lines
        .iter()
        .filter(|l| !l.contains("Max-Age=0"))
        .map(|l| l.split(';').next().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

fn without_stamp_value(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| match l.strip_prefix("security_session=") {
            Some(rest) if !rest.starts_with(';') => {
                format!("security_session=<stamp>{}", &rest[rest.find(';').unwrap_or(rest.len())..])
            }
            _ => l.clone(),
        })
        .collect()
}

#[rocket::async_test]
async fn every_cookie_is_secure_over_https_behind_the_proxy_and_none_over_http() {
    let dir = process::fresh_dir("auth", "tls-proxy");
    let (app_port, proxy_port) = (process::free_port(), process::free_port());
    let clock = ManualClock::new(start_time());
    let file = db_file();
    let toml = format!("{ON}\n[default]\naddress = \"127.0.0.1\"\nport = {app_port}");
    let rocket = rocket_at(&toml, false, false, &format!("sqlite://{}", file.display()), &clock);
    let server = rocket::tokio::spawn(rocket.launch());
    process::wait_for_port(app_port, Duration::from_secs(30), || "the app".into());
    let _proxy = haproxy(&dir, proxy_port, app_port);
    let https = |path: &str| format!("https://127.0.0.1:{proxy_port}{path}");
    let http = |path: &str| format!("http://127.0.0.1:{app_port}{path}");

    // Login over HTTPS: the app's cookie gets Secure (Rocket's own TLS is off).
    let login = set_cookies(&https("/test-login/alice"), "", &[]);
    assert_eq!(
        without_stamp_value(&login),
        [
            "user_id=alice; SameSite=Strict; Path=/; Secure; HttpOnly",
            "security_session=<stamp>; HttpOnly; SameSite=Lax; Secure; Path=/",
        ]
    );
    let cookies = jar(&login);

    // Refresh of the activity stamp, over HTTPS.
    clock.advance(chrono::Duration::minutes(2));
    let refresh = set_cookies(&https("/home"), &cookies, &[]);
    assert_eq!(without_stamp_value(&refresh), ["security_session=<stamp>; HttpOnly; SameSite=Lax; Secure; Path=/"]);
    let cookies = format!("user_id=alice; {}", jar(&refresh));

    // A cookie the app marked Secure itself is not changed twice.
    assert_eq!(set_cookies(&https("/test-secure-pref"), "", &[]), ["pref=dark; SameSite=Strict; Secure; Path=/"]);

    // Expiry over HTTPS: the removals are Secure too.
    clock.advance(chrono::Duration::minutes(31));
    let expiry = set_cookies(&https("/home"), &cookies, &[]);
    assert_eq!(
        expiry,
        [
            "security_session=; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "user_id=; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ]
    );

    // Over plain HTTP nothing gets Secure (a browser would drop the cookie).
    let plain = set_cookies(&http("/test-login/bob"), "", &[]);
    assert_eq!(
        without_stamp_value(&plain),
        ["user_id=bob; SameSite=Strict; Path=/; HttpOnly", "security_session=<stamp>; HttpOnly; SameSite=Lax; Path=/"]
    );
    // Logout over plain HTTP.
    // (Rocket's own removal expires a year ago: that date is normalised here.)
    let logout: Vec<String> = set_cookies(&http("/test-logout"), &jar(&plain), &[])
        .into_iter()
        .map(|l| match l.find("Expires=").filter(|_| !l.contains("1970")) {
            Some(i) => format!("{}Expires=<a year ago>{}", &l[..i], &l[i + l[i..].find(';').unwrap_or(l.len() - i)..]),
            None => l,
        })
        .collect();
    assert_eq!(
        logout,
        [
            "user_id=; SameSite=Lax; Path=/; Max-Age=0; Expires=<a year ago>",
            "security_session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ]
    );
    // An untrusted peer (127.0.0.1 here) claiming HTTPS changes nothing.
    let claimed = set_cookies(&http("/test-login/carol"), "", &["X-Forwarded-Proto: https"]);
    assert!(claimed.iter().all(|l| !l.contains("Secure")), "{claimed:?}");
    server.abort();
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", file.display()));
    }
}
