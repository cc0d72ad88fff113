//! The authentication test app: users from a `user_id` cookie, a manual clock.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone, Utc};
use rocket::figment::providers::{Format, Toml};
use rocket::figment::Figment;
use rocket::form::Form;
use rocket::http::{Cookie, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::request::{self, FromRequest, Request};
use rocket::{get, post, routes, FromForm, State};
use rocket_db_pools::Database;
use rocket_security::auth::PasswordExpiry;
use rocket_security::auth::{LoginThrottle, Throttled};
use rocket_security::core::ManualClock;
use rocket_security::db::{Migrations, SecurityDb};
use rocket_security::session::{SessionError, Sessions};
use rocket_security::{AjaxOnly, LoginRequired, MandatoryPasswordChange, Security, SecurityUser};

/// 64 bytes, base64: a test-only key.
pub const SECRET: &str = "6sBTY0Y3a0mFTlcvRKkT3V7Bvp9JeSj3Y4YMjgS2VtXbFqXw1n6Vhb5W8M0n5p2kI3t9QdGm1RrO0yZcK7hJmw==";

pub struct User {
    pub name: String,
}

impl SecurityUser for User {
    fn security_id(&self) -> String {
        self.name.clone()
    }
    fn is_active(&self) -> bool {
        self.name != "inactive"
    }
    fn is_superuser(&self) -> bool {
        self.name == "root"
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for User {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.cookies().get("user_id") {
            Some(c) => request::Outcome::Success(User { name: c.value().to_string() }),
            None => request::Outcome::Forward(Status::Unauthorized),
        }
    }
}

/// Counts handler runs, to prove refused requests never reach one.
pub struct Runs(pub AtomicUsize);

#[get("/home")]
fn home(user: LoginRequired<User>, runs: &State<Runs>) -> String {
    runs.0.fetch_add(1, Ordering::SeqCst);
    format!("home {}", user.name)
}

#[post("/home")]
fn home_post(_user: LoginRequired<User>) -> &'static str {
    "posted"
}

/// A state change anyone may make (no login): counts its runs.
#[post("/transfer")]
fn transfer(runs: &State<Runs>) -> &'static str {
    runs.0.fetch_add(1, Ordering::SeqCst);
    "transferred"
}

/// Sets a cookie the app marked `Secure` itself.
#[get("/test-secure-pref")]
fn test_secure_pref(cookies: &rocket::http::CookieJar<'_>) -> &'static str {
    cookies.add(Cookie::build(("pref", "dark")).path("/").secure(true));
    "set"
}

/// A form page carrying the CSRF token.
#[get("/csrf-form")]
fn csrf_form(token: rocket_security::csrf::CsrfToken) -> String {
    token.value().to_string()
}

#[get("/custom-path?<priority>&<type>")]
fn custom(_user: LoginRequired<User>, priority: Option<&str>, r#type: Option<&str>) -> String {
    format!("{priority:?} {type:?}")
}

#[get("/account")]
fn account(user: MandatoryPasswordChange<User>) -> String {
    match user.expires_soon() {
        Some(days) => format!("account {}, password expires in {days} days", user.name),
        None => format!("account {}", user.name),
    }
}

#[get("/password/change")]
fn change_page(user: MandatoryPasswordChange<User>) -> String {
    format!("change {}", user.name)
}

#[post("/password/change")]
async fn change(user: LoginRequired<User>, db: &State<SecurityDb>, clock: &State<ManualClock>) -> &'static str {
    let pool: &rocket_security::db::SecurityPool = db;
    let mut conn = pool.conn().await.unwrap();
    PasswordExpiry::renew(
        &mut conn,
        &user.name,
        Some(chrono::Duration::days(90)),
        rocket_security::core::Clock::now(clock.inner()),
    )
    .await
    .unwrap();
    "changed"
}

#[get("/logout")]
fn logout(_user: MandatoryPasswordChange<User>) -> &'static str {
    "bye"
}

#[get("/api/me")]
fn me(_ajax: AjaxOnly, user: LoginRequired<User>) -> String {
    format!("{{\"name\": \"{}\"}}", user.name)
}

#[get("/ajax")]
fn ajax(_ajax: AjaxOnly) -> &'static str {
    "ajax"
}

#[get("/open")]
fn open() -> &'static str {
    "open"
}

#[get("/login")]
fn login_page() -> &'static str {
    "login page"
}

#[derive(FromForm)]
struct Login<'r> {
    username: &'r str,
    password: &'r str,
}

#[post("/login", data = "<form>")]
async fn login(form: Form<Login<'_>>, throttle: LoginThrottle) -> Result<&'static str, Throttled> {
    throttle.check(form.username).await?;
    if form.password == "right" {
        throttle.succeeded(form.username).await;
        Ok("logged in")
    } else {
        throttle.failed(form.username).await;
        Ok("wrong password")
    }
}

/// Logs `name` in: sets the application's login cookie and starts a session.
#[get("/test-login/<name>")]
async fn test_login(
    name: &str,
    cookies: &rocket::http::CookieJar<'_>,
    sessions: Sessions<'_>,
) -> Result<&'static str, SessionError> {
    cookies.add(Cookie::build(("user_id", name.to_string())).path("/"));
    sessions.login(&User { name: name.to_string() }).await?;
    Ok("logged in")
}

/// Logs `name` in the way the docs show for `on_limit = "refuse"`: the
/// session first, the login cookie only once it started, and the limit's
/// refusal shown to the user.
#[get("/test-login-says/<name>")]
async fn test_login_says(
    name: &str,
    cookies: &rocket::http::CookieJar<'_>,
    sessions: Sessions<'_>,
) -> Result<(Status, String), SessionError> {
    match sessions.login(&User { name: name.to_string() }).await {
        Ok(()) => cookies.add(Cookie::build(("user_id", name.to_string())).path("/")),
        Err(SessionError::LimitReached { limit }) => {
            return Ok((Status::Conflict, format!("signed in on {limit} devices already")));
        }
        Err(e) => return Err(e),
    }
    Ok((Status::Ok, "logged in".into()))
}

/// The user's ended sessions, one `id reason: why` line each.
#[get("/test-ended")]
async fn test_ended(user: LoginRequired<User>, sessions: Sessions<'_>) -> Result<String, SessionError> {
    let list = sessions.ended(&*user).await?;
    Ok(list.iter().map(|s| format!("{} {}: {}\n", s.id, s.reason, s.why())).collect())
}

/// Sets the login cookie of `cookie` but starts the session for `user`: a
/// session the registry records for another user than the cookie names.
#[get("/test-login-as/<cookie>/<user>")]
async fn test_login_as(
    cookie: &str,
    user: &str,
    cookies: &rocket::http::CookieJar<'_>,
    sessions: Sessions<'_>,
) -> Result<&'static str, SessionError> {
    cookies.add(Cookie::build(("user_id", cookie.to_string())).path("/"));
    sessions.login(&User { name: user.to_string() }).await?;
    Ok("logged in")
}

/// Sets the login cookie only (no `Sessions::login`): an app that re-sets
/// its cookie on every response, or forgot the call.
#[get("/test-set-cookie/<name>")]
fn test_set_cookie(name: &str, cookies: &rocket::http::CookieJar<'_>) -> &'static str {
    cookies.add(Cookie::build(("user_id", name.to_string())).path("/"));
    "cookie set"
}

/// Logs out: removes the application's login cookie.
#[get("/test-logout")]
fn test_logout(cookies: &rocket::http::CookieJar<'_>) -> &'static str {
    cookies.remove(Cookie::build("user_id").path("/"));
    "logged out"
}

/// Logs out through the API: ends the session on the server.
#[get("/test-session-logout")]
async fn test_session_logout(
    cookies: &rocket::http::CookieJar<'_>,
    sessions: Sessions<'_>,
) -> Result<&'static str, SessionError> {
    cookies.remove(Cookie::build("user_id").path("/"));
    sessions.logout().await?;
    Ok("logged out")
}

/// Ends the user's other sessions (as after a password change).
#[get("/test-revoke-others")]
async fn test_revoke_others(user: LoginRequired<User>, sessions: Sessions<'_>) -> Result<String, SessionError> {
    Ok(sessions.revoke_others(&*user).await?.to_string())
}

/// Logs `name` in again and ends the user's other sessions in the same request
/// (a password change that rotates the session): the new one survives.
#[get("/test-relogin/<name>")]
async fn test_relogin(
    name: &str,
    cookies: &rocket::http::CookieJar<'_>,
    sessions: Sessions<'_>,
) -> Result<String, SessionError> {
    let user = User { name: name.to_string() };
    cookies.add(Cookie::build(("user_id", name.to_string())).path("/"));
    sessions.login(&user).await?;
    Ok(sessions.revoke_others(&user).await?.to_string())
}

/// Ends every session of the user.
#[get("/test-revoke-all")]
async fn test_revoke_all(user: LoginRequired<User>, sessions: Sessions<'_>) -> Result<String, SessionError> {
    Ok(sessions.revoke_all(&*user).await?.to_string())
}

/// The user's live sessions, one `id current client` line each.
#[get("/test-sessions")]
async fn test_sessions(user: LoginRequired<User>, sessions: Sessions<'_>) -> Result<String, SessionError> {
    let list = sessions.list(&*user).await?;
    Ok(list.iter().map(|s| format!("{} {} {}\n", s.id, s.current, s.client)).collect())
}

/// Ends one session of the user by its public id.
#[get("/test-revoke/<id>")]
async fn test_revoke(user: LoginRequired<User>, id: &str, sessions: Sessions<'_>) -> Result<String, SessionError> {
    Ok(sessions.revoke(&*user, id).await?.to_string())
}

#[get("/static/app.css")]
fn css() -> &'static str {
    "css"
}

pub struct App {
    pub client: Client,
    pub clock: ManualClock,
    file: std::path::PathBuf,
}

impl Drop for App {
    fn drop(&mut self) {
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", self.file.display()));
        }
    }
}

static N: AtomicUsize = AtomicUsize::new(0);

pub fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

pub fn db_file() -> std::path::PathBuf {
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("rocket-security-auth-{}-{n}.db", std::process::id()))
}

pub async fn build(toml: &str, require_login: bool, file: std::path::PathBuf) -> App {
    build_with(toml, require_login, false, file).await
}

pub async fn build_with(
    toml: &str,
    require_login: bool,
    require_password_change: bool,
    file: std::path::PathBuf,
) -> App {
    let url = format!("sqlite://{}", file.display());
    build_at(toml, require_login, require_password_change, &url, file).await
}

/// The app on the database at `url` (`file`: the SQLite file to remove afterwards, if any).
pub async fn build_at(
    toml: &str,
    require_login: bool,
    require_password_change: bool,
    url: &str,
    file: std::path::PathBuf,
) -> App {
    let clock = ManualClock::new(start_time());
    let rocket = rocket_at(toml, require_login, require_password_change, url, &clock);
    let client = Client::untracked(rocket).await.expect("valid app");
    App { client, clock, file }
}

/// The app on the database at `url` with the Redis store (`SecurityCache`,
/// `[default.databases.security_cache]` in `toml`) attached too.
#[cfg(feature = "redis")]
pub async fn build_cached(toml: &str, url: &str, file: std::path::PathBuf) -> App {
    let clock = ManualClock::new(start_time());
    let rocket = rocket_at(toml, false, false, url, &clock).attach(rocket_security::db::SecurityCache::init());
    let client = Client::untracked(rocket).await.expect("valid app");
    App { client, clock, file }
}

/// The app's Rocket, not yet launched (for tests that serve it on a socket).
pub fn rocket_at(
    toml: &str,
    require_login: bool,
    require_password_change: bool,
    url: &str,
    clock: &ManualClock,
) -> rocket::Rocket<rocket::Build> {
    let figment = Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge(("secret_key", SECRET))
        .merge(("databases.security.url", url))
        .merge(("databases.security.connect_timeout", 1))
        .merge(Toml::string(toml).nested());
    let mut security = Security::fairing().clock(clock.clone());
    if require_login {
        security = security.require_login::<User>();
    }
    if require_password_change {
        security = security.require_password_change::<User>();
    }
    rocket::custom(figment)
        .attach(SecurityDb::init())
        .attach(Migrations::<SecurityDb>::fairing())
        .attach(security)
        .manage(Runs(AtomicUsize::new(0)))
        .manage(clock.clone())
        .mount(
            "/",
            routes![
                test_login,
                test_login_says,
                test_ended,
                test_login_as,
                test_set_cookie,
                test_logout,
                test_session_logout,
                test_revoke_others,
                test_revoke_all,
                test_relogin,
                test_sessions,
                test_revoke,
                home,
                home_post,
                transfer,
                csrf_form,
                test_secure_pref,
                custom,
                account,
                change_page,
                change,
                logout,
                me,
                ajax,
                open,
                login_page,
                login,
                css
            ],
        )
}

pub async fn app(toml: &str) -> App {
    build(toml, false, db_file()).await
}

impl App {
    /// Drops a table under the running app (its SQLite file): a store that cannot answer.
    pub async fn drop_table(&self, table: &str) {
        use diesel_async::SimpleAsyncConnection;
        use rocket_security::db::{SecurityConn, SecurityPool};
        let db = SecurityDb::fetch(self.client.rocket()).unwrap();
        let pool: &SecurityPool = db;
        match &mut pool.conn().await.unwrap() {
            SecurityConn::Sqlite(c) => c.batch_execute(&format!("DROP TABLE {table}")).await.unwrap(),
            _ => unreachable!("the app runs on SQLite"),
        }
    }

    pub async fn get_as(&self, path: &str, user: Option<&str>, headers: &[(&str, &str)]) -> LocalResponse<'_> {
        let mut req = self.client.get(path.to_string());
        if let Some(u) = user {
            req = req.cookie(Cookie::new("user_id", u.to_string()));
        }
        for (n, v) in headers {
            req = req.header(Header::new(n.to_string(), v.to_string()));
        }
        req.dispatch().await
    }

    pub fn runs(&self) -> usize {
        self.client.rocket().state::<Runs>().unwrap().0.load(Ordering::SeqCst)
    }

    pub async fn expiry(&self, user: &str) -> Option<PasswordExpiry> {
        let db = SecurityDb::fetch(self.client.rocket()).unwrap();
        let pool: &rocket_security::db::SecurityPool = db;
        PasswordExpiry::find(&mut pool.conn().await.unwrap(), user).await.unwrap()
    }

    pub async fn set_expired(&self, user: &str) {
        let db = SecurityDb::fetch(self.client.rocket()).unwrap();
        let pool: &rocket_security::db::SecurityPool = db;
        PasswordExpiry::expire_now(
            &mut pool.conn().await.unwrap(),
            user,
            rocket_security::core::Clock::now(&self.clock),
        )
        .await
        .unwrap();
    }
}

pub fn location<'a>(res: &'a LocalResponse<'_>) -> Option<&'a str> {
    res.headers().get_one("Location")
}

pub fn set_cookies(res: &LocalResponse<'_>) -> Vec<String> {
    res.headers().get("Set-Cookie").map(str::to_string).collect()
}
