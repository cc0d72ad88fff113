//! Every example in `examples/` is built by `cargo test` and exercised here:
//! started as its own process in a fresh directory, asked over HTTP, and
//! checked for the header or status it exists to show. None rots.

#[path = "../common/process.rs"]
mod process;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running example, killed when dropped.
struct Running {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(name: &str, env: &[(&str, String)]) -> Running {
    // A directory per start: two instances in one directory would share the
    // report spool, whose lock refuses the second launch.
    static STARTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    start_in(name, process::fresh_dir("examples", &format!("{name}-{n}")), env)
}

/// [`start`] in `dir` (a directory an earlier start of the example used).
fn start_in(name: &str, dir: std::path::PathBuf, env: &[(&str, String)]) -> Running {
    let port = process::free_port();
    let log = std::fs::File::create(dir.join("log")).unwrap();
    let child = Command::new(process::example_binary(name))
        .current_dir(&dir)
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env_remove("ROCKET_PROFILE")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let running = Running { child, port, dir };
    process::wait_for_port(port, Duration::from_secs(30), || {
        format!("example {name}: {}", std::fs::read_to_string(running.dir.join("log")).unwrap_or_default())
    });
    running
}

/// One HTTP/1.1 exchange: (status, headers lower-cased, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str("Host: 127.0.0.1\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}

/// Decodes the character references an HTML attribute value may hold.
fn decode_html(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let entity = &after[..end];
        let c = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&rest[i..i + end + 2]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn html_references_decode_as_a_browser_reads_them() {
    assert_eq!(decode_html("3RyPJo&#x2F;SK&#x2F;CI2wXFj3vjEg=="), "3RyPJo/SK/CI2wXFj3vjEg==");
    assert_eq!(decode_html("a&amp;b&#43;c"), "a&b+c");
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn headers_only_sends_the_defaults_with_no_configuration() {
    let app = start("headers", &[]);
    let (status, h, _) = http(app.port, "GET", "/", &[], "");
    assert_eq!(status, 200);
    assert_eq!(header(&h, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&h, "x-frame-options"), Some("DENY"));
    assert!(header(&h, "content-security-policy").is_some_and(|v| v.starts_with("default-src 'self'")), "{h:?}");
    assert_eq!(header(&h, "strict-transport-security"), None, "plain HTTP: no HSTS");
    assert_eq!(header(&h, "server"), None);
}

#[test]
fn the_nonce_in_the_tera_page_is_the_one_in_the_policy() {
    let app = start("templates", &[]);
    let (status, h, body) = http(app.port, "GET", "/", &[], "");
    assert_eq!(status, 200);
    // What the browser reads: Tera escapes `/` in the value as `&#x2F;`, which HTML decodes.
    let raw = body.split("<script nonce=\"").nth(1).and_then(|r| r.split('"').next()).expect("a nonced script");
    let nonce = &decode_html(raw);
    assert_eq!(nonce.len(), 24, "128 bits, base64: {nonce}");
    let csp = header(&h, "content-security-policy").unwrap();
    assert!(csp.contains(&format!("script-src 'self' 'nonce-{nonce}'")), "{csp}");
    assert!(csp.contains(&format!("style-src 'self' 'nonce-{nonce}'")), "{csp}");
    assert!(body.contains(&format!("<style nonce=\"{raw}\">")), "{body}");
    let (_, h2, _) = http(app.port, "GET", "/", &[], "");
    assert!(!header(&h2, "content-security-policy").unwrap().contains(nonce), "a new nonce per response");
    assert_eq!(header(&h, "cache-control"), Some("private, no-store"), "no shared cache keeps the nonce");
}

#[test]
fn login_requires_a_login_refuses_cross_site_posts_and_throttles() {
    let app = start("login", &[]);
    let (status, h, _) = http(app.port, "GET", "/account", &[], "");
    assert_eq!((status, header(&h, "location")), (303, Some("/login?next=/account")));
    // The form: its token and the browser's token cookie.
    let (status, h, body) = http(app.port, "GET", "/login?next=/account", &[], "");
    assert_eq!(status, 200);
    let token = body.split("name=\"csrf_token\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap();
    let cookie = h
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.split(';').next().unwrap())
        .collect::<Vec<_>>()
        .join("; ");
    let form = |password: &str| format!("csrf_token={token}&username=alice&password={password}&next=/account");
    let post = |body: String, site: &str| {
        let headers = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Sec-Fetch-Site", site),
            ("Cookie", cookie.as_str()),
        ];
        http(app.port, "POST", "/login", &headers, &body)
    };
    assert_eq!(post(form("alice-pass"), "cross-site").0, 403, "a form from another site");
    for _ in 0..3 {
        let (status, h, _) = post(form("wrong"), "same-origin");
        assert_eq!((status, header(&h, "location")), (303, Some("/login?failed=true")));
    }
    let (status, h, body) = post(form("alice-pass"), "same-origin");
    // 5 s from the third failure, counted when that attempt was let through
    // (before its password check): 5, or 4 on a slow machine.
    assert_eq!(status, 429, "{body}");
    assert!(matches!(header(&h, "retry-after"), Some("4" | "5")), "{h:?}");
    assert!(body.contains("your login request has been denied as a security precaution"), "{body}");
}

#[test]
fn the_collector_stores_a_report_and_the_dashboard_shows_it() {
    let app = start("collector", &[]);
    // A report names the policy the page was sent with (a report under any other is `foreign_policy`).
    let (_, h, _) = http(app.port, "GET", "/", &[], "");
    let policy = header(&h, "content-security-policy").expect("the example sends a policy").to_string();
    let report =
        serde_json::json!({"csp-report": {"document-uri": "http://127.0.0.1/", "violated-directive": "img-src",
        "effective-directive": "img-src", "original-policy": policy, "blocked-uri": "https://example.net/tracker.png",
        "disposition": "enforce"}})
        .to_string();
    let (status, _, _) =
        http(app.port, "POST", "/security/csp-report", &[("Content-Type", "application/csp-report")], &report);
    assert_eq!(status, 204);
    assert_eq!(http(app.port, "GET", "/security/reports", &[], "").0, 403, "the guard decides");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, body) = http(app.port, "GET", "/security/reports?token=demo", &[], "");
        assert_eq!(status, 200);
        if body.contains("<code>example.net</code>") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the report never reached the dashboard: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(app.dir.join("collector.db").exists(), "SQLite in the working directory");
}

#[test]
fn production_trusts_its_proxy_for_https_and_serves_only_its_hosts() {
    let Ok(url) = std::env::var("SECURITY_TEST_POSTGRES_URL") else {
        assert!(std::env::var_os("SECURITY_TEST_REQUIRE_BACKENDS").is_none(), "SECURITY_TEST_POSTGRES_URL is not set");
        eprintln!("SKIPPED: the production example needs PostgreSQL (SECURITY_TEST_POSTGRES_URL)");
        return;
    };
    let app = start("production", &[("ROCKET_DATABASES", format!("{{security={{url=\"{url}\"}}}}"))]);
    let https = [("X-Forwarded-Proto", "https")];
    let (status, h, body) = http(app.port, "GET", "/", &https, "");
    assert_eq!((status, body.as_str()), (200, "served behind a TLS-terminating proxy"));
    assert_eq!(header(&h, "strict-transport-security"), Some("max-age=63072000; includeSubDomains"));
    let (status, h, _) = http(app.port, "GET", "/", &[], "");
    assert_eq!((status, header(&h, "location")), (308, Some("https://127.0.0.1/")), "plain HTTP is redirected");
    let evil = [("X-Forwarded-Proto", "https"), ("Host", "evil.example")];
    assert_eq!(http(app.port, "GET", "/", &evil, "").0, 400);
    let balancer = [("X-Forwarded-Proto", "https"), ("Host", "10.1.2.3")];
    assert_eq!(http(app.port, "GET", "/health", &balancer, "").0, 200, "health checks by IP");
}

/// The `name=value` pairs a response set (not its removals), as one `Cookie` header.
fn cookie_header(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .filter(|(k, v)| k == "set-cookie" && !v.contains("Max-Age=0"))
        .map(|(_, v)| v.split(';').next().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Logs `user` in to the showcase; returns the session's cookies.
fn showcase_login(port: u16, user: &str) -> String {
    let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Sec-Fetch-Site", "same-origin")];
    let body = format!("username={user}&password={user}-pass&next=/account");
    let (status, h, _) = http(port, "POST", "/login", &headers, &body);
    assert_eq!((status, header(&h, "location")), (303, Some("/account")), "{user} logs in");
    cookie_header(&h)
}

#[test]
fn in_the_showcase_an_expired_password_reaches_no_logged_in_page_but_the_change_form() {
    let app = start("showcase", &[]);
    let bob = showcase_login(app.port, "bob");
    let as_bob = |path: &str, extra: &[(&str, &str)]| {
        let mut headers = vec![("Cookie", bob.as_str())];
        headers.extend_from_slice(extra);
        http(app.port, "GET", path, &headers, "")
    };
    let xhr = [("X-Requested-With", "XMLHttpRequest")];
    let (status, _, body) = as_bob("/api/me", &xhr);
    assert_eq!((status, body.as_str()), (403, r#"{"password_change_url":"/password/change"}"#));
    for page in ["/account/sessions", "/account", "/"] {
        let (status, h, _) = as_bob(page, &[]);
        assert_eq!((status, header(&h, "location")), (303, Some("/password/change")), "{page}");
    }
    assert_eq!(as_bob("/password/change", &[]).0, 200, "the change form");
    assert_eq!(as_bob("/style.css", &[]).0, 200, "its stylesheet");
    let logout = [("Cookie", bob.as_str()), ("Sec-Fetch-Site", "same-origin")];
    let (status, h, _) = http(app.port, "POST", "/logout", &logout, "");
    assert_eq!((status, header(&h, "location")), (303, Some("/")), "logout stays reachable");

    // A current password opens everything.
    let alice = showcase_login(app.port, "alice");
    let (status, _, body) = http(app.port, "GET", "/api/me", &[("Cookie", alice.as_str()), xhr[0]], "");
    assert_eq!((status, body.as_str()), (200, r#"{"admin":false,"name":"alice"}"#));
    assert_eq!(http(app.port, "GET", "/account/sessions", &[("Cookie", alice.as_str())], "").0, 200);
}

#[test]
fn the_showcase_serves_a_probe_by_ip_and_keeps_its_nonce_page_out_of_shared_caches() {
    let app = start("showcase", &[]);
    let probe = |host: &str| {
        let (status, _, body) = http(app.port, "GET", "/health", &[("Host", host)], "");
        (status, body)
    };
    assert_eq!(probe("10.1.2.3:8000"), (200, "ok".to_string()));
    assert_eq!(probe("[fd00::7]:8000"), (200, "ok".to_string()));
    assert_eq!(probe("10.1.2.3.nip.io").0, 400);
    assert_eq!(probe("192.168.1.2").0, 400);
    let (status, h, _) = http(app.port, "GET", "/", &[], "");
    assert_eq!((status, header(&h, "cache-control")), (200, Some("private, no-store")));
    let (_, h, _) = http(app.port, "GET", "/privacy", &[], "");
    assert_eq!(header(&h, "cache-control"), None, "a page without a nonce");
}

#[test]
fn in_the_showcase_a_fourth_login_ends_the_least_recently_active_session_and_says_why() {
    // The sample Rocket.toml: max_per_user = 3, on_limit = "end_oldest".
    let app = start("showcase", &[]);
    let first = showcase_login(app.port, "alice");
    let others: Vec<String> = (0..3).map(|_| showcase_login(app.port, "alice")).collect();
    let get = |path: &str, cookie: &str| http(app.port, "GET", path, &[("Cookie", cookie)], "");

    let (status, h, _) = get("/account", &first);
    let login = "/login?next=/account&expired=revoked&ended=session_limit:3";
    assert_eq!((status, header(&h, "location")), (303, Some(login)));
    let (_, _, page) = get(login, "");
    assert!(
        page.contains("Your session was ended: the session limit (3) was reached at a later login elsewhere."),
        "{page}"
    );
    // A limit without its number is no limit the page can name.
    let (_, _, page) = get("/login?next=/account&expired=revoked&ended=session_limit:", "");
    assert!(page.contains("Your session was signed out (from another session, or at logout)."), "{page}");
    for cookie in &others {
        assert_eq!(get("/account", cookie).0, 200);
    }
    let (status, _, page) = get("/account/sessions", &others[2]);
    assert_eq!(status, 200);
    assert!(page.contains("3 session(s) of alice are signed in."), "{page}");
    assert!(page.contains("<h2>Recently ended</h2>"), "{page}");
    assert_eq!(page.matches("ended: the session limit (3) was reached at a later login").count(), 1, "{page}");
}

#[test]
fn the_showcase_launches_in_release_with_the_key_command_it_prints() {
    // The command as the showcase prints it, run by a shell: openssl wraps its base64 over two lines.
    let out = Command::new("sh")
        .arg("-c")
        .arg("ROCKET_SECRET_KEY=\"$(openssl rand -base64 64)\"; printf '%s' \"$ROCKET_SECRET_KEY\"")
        .output()
        .expect("sh and openssl");
    let key = String::from_utf8(out.stdout).unwrap();
    assert_eq!(key.lines().count(), 2, "{key:?}");
    let app = start("showcase", &[("ROCKET_PROFILE", "release".into()), ("ROCKET_SECRET_KEY", key)]);
    let (status, _, body) = http(app.port, "GET", "/login", &[], "");
    assert_eq!(status, 200, "{body}");
}

#[test]
fn the_showcase_token_api_takes_a_cross_site_post_without_cookies_and_refuses_one_with() {
    let app = start("showcase", &[]);
    let front_end = [
        ("Origin", "https://front-end.example"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "cors"),
        ("Content-Type", "text/plain"),
        ("Authorization", "Bearer demo-token-alice"),
    ];
    let (status, h, body) = http(app.port, "POST", "/api/notes", &front_end, "hello");
    assert_eq!((status, body.as_str()), (201, r#"{"author":"alice","note":"hello"}"#));
    assert_eq!(header(&h, "set-cookie"), None);
    let mut with_cookie = front_end.to_vec();
    with_cookie.push(("Cookie", "security_csrf=x"));
    let (status, _, body) = http(app.port, "POST", "/api/notes", &with_cookie, "hello");
    assert_eq!((status, body.as_str()), (403, r#"{"error":"csrf","reason":"cross_origin"}"#));
    // Elsewhere a cookie-less cross-site post is still refused.
    let (status, _, _) = http(app.port, "POST", "/logout", &front_end, "");
    assert_eq!(status, 403);
    // Without its token: 401, with where to log in (the showcase's password
    // gate looked for a logged-in user first).
    let (status, _, body) = http(app.port, "POST", "/api/notes", &[("Accept", "application/json")], "x");
    assert_eq!((status, body.as_str()), (401, r#"{"login_url":"/login?next=/api/notes"}"#));
}

#[test]
fn the_showcase_keeps_a_login_across_a_key_rotation_and_drops_it_with_the_old_key() {
    let app = start("showcase", &[]);
    let before = showcase_login(app.port, "alice");
    let dir = app.dir.clone();
    drop(app);
    // The rotation the showcase documents: the key moves aside, a new one is made, the old one is a fallback.
    let previous = dir.join(".rocket-secret-key-previous");
    std::fs::create_dir(&previous).unwrap();
    std::fs::rename(dir.join(".rocket-secret-key"), previous.join(".rocket-secret-key")).unwrap();
    let app = start_in("showcase", dir.clone(), &[]);
    let (status, h, body) = http(app.port, "GET", "/account", &[("Cookie", before.as_str())], "");
    assert_eq!(status, 200, "{body}");
    let set: Vec<&str> =
        h.iter().filter(|(k, _)| k == "set-cookie").map(|(_, v)| v.split('=').next().unwrap()).collect();
    assert_eq!(set, ["user_id", "security_session"], "both sealed again with the new key");
    let after = cookie_header(&h);
    let (status, h, _) = http(app.port, "GET", "/account", &[("Cookie", after.as_str())], "");
    assert_eq!((status, header(&h, "set-cookie")), (200, None));
    drop(app);
    // Without the old key: its cookies are refused, the re-sealed ones are not.
    std::fs::remove_dir_all(&previous).unwrap();
    let app = start_in("showcase", dir, &[]);
    let (status, h, _) = http(app.port, "GET", "/account", &[("Cookie", before.as_str())], "");
    assert_eq!((status, header(&h, "location")), (303, Some("/login?next=/account&expired=unverified")));
    assert_eq!(http(app.port, "GET", "/account", &[("Cookie", after.as_str())], "").0, 200);
}
