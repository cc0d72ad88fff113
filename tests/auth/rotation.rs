//! Rotating `secret_key` with the old key in `security.secret_key_fallbacks`:
//! a session, a CSRF token and a private cookie sealed with the old key A are
//! accepted under the new key B and sealed again with B on that response, on
//! every instance sharing the database, and refused once A is removed.

use std::collections::BTreeMap;

use rocket::http::{Cookie, Header, SameSite, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::{get, post, routes};
use rocket_security::cookies::PrivateCookies;
use rocket_security::core::ManualClock;
use rocket_security::session::{SessionError, Sessions};
use rocket_security::LoginRequired;

use crate::app::{location, rocket_at, set_cookies, start_time, User};
use crate::backends::unique;

/// The key before the rotation.
const A: &str = "QuHRjjNVS91P2uSf3xgDC7R2K+ZE0zQyN5zn5Hyikl4iinVwigHe42nfKifnntC8apl1+yPEUFhHNM79SF44DQ==";
/// The key after it.
const B: &str = "/kFj0DPviOvaR2l9kDIKkEENCX9O0DwaD0mA5rMLUnuzb4i90CCimP495BGkuAsokp+81LZgfk8OolxjNECrmQ==";

#[get("/rotated")]
fn rotated(user: LoginRequired<User>) -> String {
    format!("home {}", user.name)
}

#[post("/rotated-transfer")]
fn rotated_transfer() -> &'static str {
    "transferred"
}

#[get("/private/<value>")]
fn private_set(value: &str, cookies: PrivateCookies<'_>) -> &'static str {
    cookies.add(("remember", value.to_string()));
    "set"
}

/// Reads `remember`; one a fallback opened is added again with the
/// attributes it was set with (a browser-session cookie, `SameSite=Lax`).
#[get("/private")]
fn private_get(cookies: PrivateCookies<'_>) -> String {
    let Some(c) = cookies.get("remember") else { return "none".into() };
    if cookies.opened_with_fallback("remember") {
        cookies.add(Cookie::build(("remember", c.value().to_string())).same_site(SameSite::Lax).expires(None));
    }
    c.value().to_string()
}

/// Reads `remember` and does nothing more.
#[get("/private-read")]
fn private_read(cookies: PrivateCookies<'_>) -> String {
    cookies.get("remember").map_or("none".into(), |c| c.value().to_string())
}

/// Logs `name` in with a private login cookie, `pid`.
#[get("/private-login/<name>")]
async fn private_login(name: &str, cookies: PrivateCookies<'_>, sessions: Sessions<'_>) -> Result<(), SessionError> {
    cookies.add(("pid", name.to_string()));
    sessions.login(&User { name: name.to_string() }).await
}

/// A page that reads the private login cookie.
#[get("/private-home")]
fn private_home(cookies: PrivateCookies<'_>) -> String {
    let Some(c) = cookies.get("pid") else { return "nobody".into() };
    if cookies.opened_with_fallback("pid") {
        cookies.add(Cookie::build(("pid", c.value().to_string())).same_site(SameSite::Lax).expires(None));
    }
    format!("home {}", c.value())
}

/// An instance of the test app with `secret_key = current` and `fallbacks`,
/// session expiry and CSRF tokens on, on the database at `url`.
async fn instance(url: &str, current: &str, fallbacks: &[&str]) -> Client {
    instance_with(url, current, fallbacks, "user_id").await
}

/// [`instance`], with `login_cookie` as the session's login cookie.
async fn instance_with(url: &str, current: &str, fallbacks: &[&str], login_cookie: &str) -> Client {
    let toml = format!(
        "[global]\nsecret_key = \"{current}\"\n[default.security]\nsecret_key_fallbacks = {fallbacks:?}\n\
         [default.security.session]\nenabled = true\ncookies = [\"{login_cookie}\"]\n\
         [default.security.csrf]\ntoken = true"
    );
    let clock = ManualClock::new(start_time());
    let rocket = rocket_at(&toml, false, false, url, &clock).mount(
        "/",
        routes![rotated, rotated_transfer, private_set, private_get, private_read, private_login, private_home],
    );
    Client::untracked(rocket).await.expect("valid app")
}

/// A SQLite file for the instances of one test, removed afterwards.
struct Db(String, std::path::PathBuf);

impl Db {
    fn new() -> Db {
        let (url, path) = crate::backends::sqlite_url();
        Db(url, path)
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", self.1.display()));
        }
    }
}

/// A browser's cookies, kept from response to response.
#[derive(Clone, Debug, Default)]
struct Browser(BTreeMap<String, String>);

impl Browser {
    fn cookies(&self) -> Vec<Cookie<'static>> {
        self.0.iter().map(|(n, v)| Cookie::new(n.clone(), v.clone())).collect()
    }

    /// Keeps what `res` sets, drops what it removes.
    fn keep(&mut self, res: &LocalResponse<'_>) {
        for line in set_cookies(res) {
            let (name, value) = (line.split('=').next().unwrap(), decoded(&line));
            if value.is_empty() || line.contains("Max-Age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_string(), value);
            }
        }
    }

    fn get(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_else(|| panic!("no {name} in {self:?}"))
    }

    /// GETs `path` on `client` and keeps the cookies: the status and the body.
    async fn visit(&mut self, client: &Client, path: &str) -> (Status, String) {
        let res = client.get(path.to_string()).cookies(self.cookies()).dispatch().await;
        self.keep(&res);
        (res.status(), res.into_string().await.unwrap_or_default())
    }
}

/// The plain value of the cookie `name` if `key` sealed `sealed` (the
/// format of Rocket's private cookies: AES-256-GCM, the name authenticated).
fn opened_with(key: &str, name: &str, sealed: &str) -> Option<String> {
    use base64::Engine;
    let key = cookie::Key::from(&base64::engine::general_purpose::STANDARD.decode(key).unwrap());
    let jar = cookie::CookieJar::new();
    jar.private(&key).decrypt(cookie::Cookie::new(name.to_string(), sealed.to_string())).map(|c| c.value().to_string())
}

/// The value of a `Set-Cookie` line as written.
fn value_of(line: &str) -> &str {
    line.split(';').next().unwrap().split_once('=').unwrap().1
}

/// The value of a `Set-Cookie` line as a browser sends it back and Rocket
/// reads it: percent-decoded (Rocket encodes what its jar sets).
fn decoded(line: &str) -> String {
    cookie::Cookie::parse_encoded(line.to_string()).unwrap().value().to_string()
}

/// The log lines so far that end with `suffix`.
fn logged(suffix: &str) -> usize {
    let log = String::from_utf8(crate::capture::captured().0.lock().unwrap().clone()).unwrap();
    log.lines().filter(|l| l.ends_with(suffix)).count()
}

/// The re-sealed stamp a response to a request with the A-era `stamp` set:
/// exactly one `Set-Cookie`, sealed with B (not A) over the same login time,
/// last activity and session id.
fn assert_resealed(res: &LocalResponse<'_>, stamp: &str) -> String {
    let lines = set_cookies(res);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let value = decoded(&lines[0]);
    assert_eq!(lines[0], format!("security_session={value}; HttpOnly; SameSite=Lax; Path=/"), "written unencoded");
    let before = opened_with(A, "security_session", stamp).expect("the old stamp is A's");
    let after = opened_with(B, "security_session", &value).expect("the new stamp is B's");
    assert_eq!(opened_with(A, "security_session", &value), None);
    // `login:last:binding:session id`; the binding to the login cookie is keyed from the sealing key.
    let (before, after): (Vec<&str>, Vec<&str>) = (before.split(':').collect(), after.split(':').collect());
    assert_eq!((before[0], before[1], before[3]), (after[0], after[1], after[3]), "{before:?} {after:?}");
    assert_eq!(before[0], start_time().timestamp().to_string());
    assert_ne!(before[2], after[2]);
    value
}

#[rocket::async_test]
async fn a_session_survives_the_switch_to_a_new_key_and_is_refused_once_the_old_key_is_gone() {
    crate::capture::captured();
    let db = Db::new();
    let mut browser = Browser::default();
    let a = instance(&db.0, A, &[]).await;
    assert_eq!(browser.visit(&a, "/test-login/alice").await.0, Status::Ok);
    let stamp_a = browser.get("security_session");

    // B with A as fallback: the A-era session goes on, its stamp sealed again with B.
    let b = instance(&db.0, B, &[A]).await;
    let res = b.get("/rotated").cookies(browser.cookies()).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    let stamp_b = assert_resealed(&res, &stamp_a);
    assert_eq!(res.into_string().await.as_deref(), Some("home alice"));
    // The re-sealed stamp is the current key's: nothing more to write.
    let mut resealed = browser.clone();
    resealed.0.insert("security_session".into(), stamp_b.clone());
    let res = b.get("/rotated").cookies(resealed.cookies()).dispatch().await;
    assert_eq!((res.status(), set_cookies(&res)), (Status::Ok, vec![]));

    // A removed: the A-era stamp opens with no key, so the session is over.
    let before = logged(" INFO security: session expired (unverified; no stamp) on /rotated");
    let c = instance(&db.0, B, &[]).await;
    let res = c.get("/rotated").cookies(browser.cookies()).dispatch().await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), Some("/login?next=/rotated&expired=unverified"));
    assert_eq!(
        set_cookies(&res),
        [
            "security_session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "user_id=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        ]
    );
    assert_eq!(logged(" INFO security: session expired (unverified; no stamp) on /rotated"), before + 1);
    let api =
        c.get("/rotated").cookies(browser.cookies()).header(Header::new("Accept", "application/json")).dispatch().await;
    assert_eq!(api.status(), Status::Unauthorized);
    assert_eq!(api.into_string().await.as_deref(), Some(r#"{"login_url":"/login?next=/rotated&expired=unverified"}"#));
    // The B-sealed stamp still holds there.
    let res = c.get("/rotated").cookies(resealed.cookies()).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
}

/// POSTs the form with `token`, as `browser`.
async fn post<'c>(client: &'c Client, browser: &Browser, token: &str) -> LocalResponse<'c> {
    let req = client.post("/rotated-transfer").cookies(browser.cookies());
    req.header(Header::new("X-CSRF-Token", token.to_string())).dispatch().await
}

#[rocket::async_test]
async fn a_csrf_token_of_the_old_key_is_accepted_with_it_as_fallback_and_refused_without() {
    crate::capture::captured();
    let db = Db::new();
    let mut browser = Browser::default();
    let a = instance(&db.0, A, &[]).await;
    browser.visit(&a, "/test-login/alice").await;
    let (_, token_a) = browser.visit(&a, "/csrf-form").await;
    assert_eq!(post(&a, &browser, &token_a).await.status(), Status::Ok);

    // B with A as fallback: the form rendered under A still posts.
    let b = instance(&db.0, B, &[A]).await;
    let res = post(&b, &browser, &token_a).await;
    assert_eq!(res.status(), Status::Ok);
    browser.keep(&res);
    assert_eq!(res.into_string().await.as_deref(), Some("transferred"));
    // The next page's token is B's: the one an instance that knows only B renders for this browser.
    let (_, token_b) = browser.visit(&b, "/csrf-form").await;
    assert_ne!(token_b, token_a);
    let c = instance(&db.0, B, &[]).await;
    assert_eq!(browser.visit(&c, "/csrf-form").await.1, token_b);
    assert_eq!(post(&c, &browser, &token_b).await.status(), Status::Ok);

    // A removed: the A token is refused.
    let line = " INFO security: CSRF: refused POST /rotated-transfer (CSRF token does not match this browser's)";
    let before = logged(line);
    let res = post(&c, &browser, &token_a).await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
    assert_eq!(logged(line), before + 1);
    let api = c
        .post("/rotated-transfer")
        .cookies(browser.cookies())
        .header(Header::new("X-CSRF-Token", token_a.clone()))
        .header(Header::new("Accept", "application/json"))
        .dispatch()
        .await;
    assert_eq!(api.status(), Status::Forbidden);
    assert_eq!(api.into_string().await.as_deref(), Some(r#"{"error":"csrf","reason":"csrf_token"}"#));
}

#[rocket::async_test]
async fn a_private_cookie_of_the_old_key_is_read_resealed_and_refused_once_the_key_is_gone() {
    let db = Db::new();
    let mut browser = Browser::default();
    let a = instance(&db.0, A, &[]).await;
    browser.visit(&a, "/private/hello").await;
    let sealed_a = browser.get("remember");
    assert_eq!(opened_with(A, "remember", &sealed_a).as_deref(), Some("hello"));

    let b = instance(&db.0, B, &[A]).await;
    // Read only: it opens, and nothing is written (the attributes are the handler's to give).
    let res = b.get("/private-read").cookies(browser.cookies()).dispatch().await;
    assert_eq!((set_cookies(&res), res.into_string().await), (vec![], Some("hello".into())));
    // The handler adds it again with its own attributes: sealed with B.
    let res = b.get("/private").cookies(browser.cookies()).dispatch().await;
    let lines = set_cookies(&res);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0], format!("remember={}; HttpOnly; SameSite=Lax; Path=/", value_of(&lines[0])));
    let sealed_b = decoded(&lines[0]);
    assert_eq!(opened_with(B, "remember", &sealed_b).as_deref(), Some("hello"));
    assert_eq!(opened_with(A, "remember", &sealed_b), None);
    assert_eq!(res.into_string().await.as_deref(), Some("hello"));

    let c = instance(&db.0, B, &[]).await;
    let res = c.get("/private").cookies(browser.cookies()).dispatch().await;
    assert_eq!((set_cookies(&res), res.into_string().await), (vec![], Some("none".into())));
    browser.0.insert("remember".into(), sealed_b);
    assert_eq!(browser.visit(&c, "/private").await, (Status::Ok, "hello".into()));
}

#[rocket::async_test]
async fn an_old_key_session_is_accepted_by_every_new_key_instance_on_one_database() {
    // The databases the instances share: a SQLite file, and in CI PostgreSQL and MariaDB.
    for db in crate::backends::all().await {
        let url = db.url.clone();
        let user = unique("alice");
        let mut browser = Browser::default();
        let a = instance(&url, A, &[]).await;
        assert_eq!(browser.visit(&a, &format!("/test-login/{user}")).await.0, Status::Ok, "{url}");
        let stamp_a = browser.get("security_session");

        let (b1, b2) = (instance(&url, B, &[A]).await, instance(&url, B, &[A]).await);
        let mut resealed = vec![];
        for b in [&b1, &b2] {
            let res = b.get("/rotated").cookies(browser.cookies()).dispatch().await;
            assert_eq!(res.status(), Status::Ok, "{url}");
            resealed.push(assert_resealed(&res, &stamp_a));
        }
        // What one B instance sealed, the other reads as its own.
        browser.0.insert("security_session".into(), resealed[0].clone());
        let res = b2.get("/rotated").cookies(browser.cookies()).dispatch().await;
        assert_eq!((res.status(), set_cookies(&res)), (Status::Ok, vec![]), "{url}");
        assert_eq!(res.into_string().await, Some(format!("home {user}")));
    }
}

#[rocket::async_test]
async fn a_private_login_cookie_sealed_again_after_the_stamp_takes_the_stamp_along() {
    let db = Db::new();
    let mut browser = Browser::default();
    let a = instance_with(&db.0, A, &[], "pid").await;
    assert_eq!(browser.visit(&a, "/private-login/alice").await.0, Status::Ok);
    let pid_a = browser.get("pid");

    let b = instance_with(&db.0, B, &[A], "pid").await;
    // A page that does not read the login cookie: only the stamp is sealed again (bound to the A-era `pid`).
    let res = b.get("/open").cookies(browser.cookies()).dispatch().await;
    assert_eq!(
        set_cookies(&res).iter().map(|l| l.split('=').next().unwrap()).collect::<Vec<_>>(),
        ["security_session"]
    );
    browser.keep(&res);
    // The next page reads it: `pid` is sealed again, and the stamp follows its new value.
    let res = b.get("/private-home").cookies(browser.cookies()).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    let names: Vec<String> = set_cookies(&res).iter().map(|l| l.split('=').next().unwrap().to_string()).collect();
    assert_eq!(names, ["pid", "security_session"]);
    browser.keep(&res);
    assert_ne!(browser.get("pid"), pid_a);
    assert_eq!(res.into_string().await.as_deref(), Some("home alice"));
    // Both are B's now: the session goes on, nothing more to write, on an instance without A too.
    let c = instance_with(&db.0, B, &[], "pid").await;
    let res = c.get("/private-home").cookies(browser.cookies()).dispatch().await;
    assert_eq!((res.status(), set_cookies(&res)), (Status::Ok, vec![]));
    assert_eq!(res.into_string().await.as_deref(), Some("home alice"));
}
