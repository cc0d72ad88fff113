//! The rocket_security showcase: a small site using every feature that exists.
//!
//! ```sh
//! cargo run --example showcase      # then open http://127.0.0.1:8000
//! ```
//!
//! Its configuration is the crate's annotated sample `Rocket.toml`, compiled
//! in, so it runs from any directory; a `Rocket.toml` in the working
//! directory and `ROCKET_...` variables override it as usual. It keeps its
//! SQLite file `security.db` in the working directory.
//!
//! - `ROCKET_PORT=8001` changes the port;
//! - `ROCKET_TLS='{certs="cert.pem",key="key.pem"}'` serves HTTPS;
//! - `ROCKET_DATABASES='{security={url="postgres://postgres@127.0.0.1/test"}}'`
//!   moves the `security` database (build with `--all-features`);
//! - `ROCKET_SECURITY='{session={idle_timeout=5}}'` changes any crate setting.
//!
//! Rotating the key without logging anyone out (in debug, where the showcase
//! keeps its key in `./.rocket-secret-key`): log in, stop the showcase, then
//!
//! ```sh
//! mkdir -p .rocket-secret-key-previous && mv .rocket-secret-key .rocket-secret-key-previous/
//! cargo run --example showcase      # a new key; the previous one is a fallback
//! ```
//!
//! and you are still logged in: the session stamp, the CSRF token and the
//! login cookie made with the previous key open with it
//! (`security.secret_key_fallbacks`) and are sealed again with the new one.
//! A deployment sets the same thing in its configuration (see `Rocket.toml`).
//!
//! Demo users: `alice` / `alice-pass`, `bob` / `bob-pass` (password expired:
//! every logged-in page sends him to `/password/change` first),
//! `admin` / `admin-pass` (may see the reports dashboard).

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rocket::fairing::AdHoc;
use rocket::form::{Contextual, Form};
use rocket::http::{ContentType, CookieJar, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::content::{RawHtml, RawJson};
use rocket::response::Redirect;
use rocket::{get, post, routes, FromForm, State};
use rocket_db_pools::Database;
use rocket_security::auth::PasswordExpiry;
use rocket_security::auth::{password_policy, safe_next, LoginThrottle, PasswordPolicy, Throttled};
use rocket_security::cookies::PrivateCookies;
use rocket_security::csp::CspOverride;
use rocket_security::db::{Migrations, SecurityDb, SecurityPool};
use rocket_security::session::{SessionError, Sessions};
use rocket_security::sri::Integrity;
use rocket_security::{
    AjaxOnly, CspNonce, DoNotTrack, LoginRequired, MandatoryPasswordChange, Override, Security, SecurityUser,
};

/// The showcase's users: name -> (argon2 hash, admin).
struct Users(Mutex<HashMap<String, (String, bool)>>);

struct User {
    name: String,
    admin: bool,
}

impl SecurityUser for User {
    fn security_id(&self) -> String {
        self.name.clone()
    }
    fn is_superuser(&self) -> bool {
        self.admin
    }
}

/// The login cookie names the user, encrypted with Rocket's `secret_key`
/// (`PrivateCookies`: no Rocket `secrets` feature needed). After a key
/// rotation, a cookie sealed with the previous key (one of
/// `security.secret_key_fallbacks`) still opens, and is added again, as
/// [`login_cookie`] sets it, sealed with the current key.
async fn read_login_cookie(req: &Request<'_>) -> Option<String> {
    let cookies = req.guard::<PrivateCookies<'_>>().await.succeeded()?;
    let name = cookies.get("user_id")?.value().to_string();
    if cookies.opened_with_fallback("user_id") {
        cookies.add(login_cookie(&name));
    }
    Some(name)
}

/// The login cookie: a browser-session cookie (the session's own limits end it).
fn login_cookie(name: &str) -> rocket::http::Cookie<'static> {
    rocket::http::Cookie::build(("user_id", name.to_string()))
        .http_only(true)
        .same_site(rocket::http::SameSite::Lax)
        .path("/")
        .expires(None)
        .build()
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for User {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let users = req.rocket().state::<Users>().expect("users");
        match read_login_cookie(req).await {
            Some(name) => match users.0.lock().unwrap().get(&name) {
                Some((_, admin)) => request::Outcome::Success(User { name, admin: *admin }),
                None => request::Outcome::Forward(Status::Unauthorized),
            },
            None => request::Outcome::Forward(Status::Unauthorized),
        }
    }
}

/// Who may see the reports dashboard.
struct Admin;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Admin {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.guard::<LoginRequired<User>>().await {
            request::Outcome::Success(u) if u.admin => request::Outcome::Success(Admin),
            request::Outcome::Success(_) => request::Outcome::Error((Status::Forbidden, ())),
            _ => request::Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Pages search engines may index: the others say `noindex`.
const PUBLIC: &[&str] = &["Home", "Log in", "Privacy", "Embeddable"];

fn page(title: &str, body: &str) -> RawHtml<String> {
    let robots = if PUBLIC.contains(&title) { "" } else { "<meta name=\"robots\" content=\"noindex\">" };
    RawHtml(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{robots}\
         <meta name=\"description\" content=\"{title}: the rocket_security showcase, a Rocket site that uses every \
         security header, guard and the CSP report collector of the crate.\">\
         <title>{title} — rocket_security</title><link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\
         <link rel=\"stylesheet\" href=\"/style.css\"></head><body><header><nav>\
         <a href=\"/\">Home</a> <a href=\"/account\">Account</a> <a href=\"/embed\">Embeddable</a> \
         <a href=\"/privacy\">Privacy</a> <a href=\"/demo/violations\">CSP violations</a> \
         <a href=\"/demo/reporting\">Reporting API</a> <a href=\"/security/reports\">Reports</a> <a href=\"/login\">Log in</a></nav></header>\
         <main><h1>{title}</h1>{body}</main></body></html>"
    ))
}

/// The home page runs one inline script, allowed by this response's nonce.
#[get("/")]
fn index(nonce: CspNonce<'_>) -> RawHtml<String> {
    page(
        "Home",
        &format!(
            "<p>Every response of this site carries the crate's security headers. \
             Open your browser's developer tools and look at them.</p>\
             <p id=\"nonce-demo\">The inline script did not run.</p>\
             <script {}>document.getElementById('nonce-demo').textContent = \
             'This text was written by an inline script allowed by its CSP nonce.';</script>\
             <p>That nonce is this response's alone, so the page says <code>Cache-Control: private, \
             no-store</code>: no shared cache may hand it to the next visitor.</p>\
             <ul><li><code>/login</code>: log in as alice / alice-pass, bob / bob-pass (expired password: \
             every page sends him to the change form first) or admin / admin-pass; failed attempts are \
             throttled</li>\
             <li><code>/account</code>: login and a current password required; confidential (no-store)</li>\
             <li><code>/password/change</code>: the password policy, renews the expiry</li>\
             <li><code>/api/me</code>: AjaxOnly + LoginRequired JSON</li>\
             <li><code>POST /api/notes</code> with <code>Authorization: Bearer demo-token-alice</code>: a token \
             API that a front-end on another origin may call without cookies (CSRF <code>header_auth_paths</code>)</li>\
             <li><code>/embed</code>: may be framed by a partner (per-route CSP and X-Frame-Options)</li>\
             <li><code>/privacy</code>: honours Do Not Track and Global Privacy Control</li>\
             <li><code>/demo/violations</code>: breaks the CSP so the browser sends reports</li>\
             <li><a href=\"/demo/reporting\"><code>/demo/reporting</code></a>: tries COEP, COOP, \
             Permissions-Policy and Integrity-Policy in report-only mode and breaks each, plus a deprecated API \
             (over HTTPS: browsers send these reports only from secure pages)</li>\
             <li><code>/security/reports</code>: the reports dashboard (admin only); \
             <a href=\"/security/reports/types\"><code>/security/reports/types</code></a> lists the other \
             report types (COEP, COOP, integrity, Permissions-Policy, deprecations...), each grouped the way \
             you act on it; \
             <code>/security/reports/groups</code> groups the violations with a sparkline each and lets the \
             admin mark them expected or fixed (each decision kept in its triage log); \
             <code>/security/reports/wizard</code> proposes the policy \
             change that would allow what was reported</li>\
             <li><code>POST /logout</code>: answers with <code>Clear-Site-Data</code></li>\
             <li><code>/health</code>: a load balancer's probe: <code>Host: 10.1.2.3</code> is admitted by the \
             network <code>10.0.0.0/8</code> in <code>allowed_hosts</code>, a name like \
             <code>10.1.2.3.nip.io</code> gets 400</li></ul>",
            nonce.attr()
        ),
    )
}

/// The site's icon (an SVG shield), also at `/favicon.ico` where browsers look first.
const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><path fill=\"#c33\" \
                    d=\"M8 1l6 2v5c0 3.5-2.6 6-6 7-3.4-1-6-3.5-6-7V3z\"/></svg>";

/// The load balancer's health check: it sends the pod's IP address as `Host`,
/// which `allowed_hosts` admits by network (`10.0.0.0/8`, `fd00::/8`).
#[get("/health")]
fn health() -> &'static str {
    "ok"
}

#[get("/favicon.svg")]
fn favicon() -> (ContentType, &'static str) {
    (ContentType::SVG, ICON)
}

#[get("/favicon.ico")]
fn favicon_ico() -> (ContentType, &'static str) {
    (ContentType::SVG, ICON)
}

#[get("/style.css")]
fn style() -> (ContentType, &'static str) {
    (
        ContentType::CSS,
        "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
         nav a{display:inline-block;padding:.5rem .4rem;margin-right:.4rem}li{margin:.4rem 0}\
         button,input{min-height:2.5rem;padding:0 .6rem}label{display:block;margin:.5rem 0}.error{color:#b00}",
    )
}

#[get("/login?<next>&<failed>&<expired>&<ended>")]
fn login_page(next: Option<&str>, failed: Option<bool>, expired: Option<&str>, ended: Option<&str>) -> RawHtml<String> {
    let next = next.and_then(|n| safe_next(n, &[])).unwrap_or("/");
    // `ended=session_limit:N`: the session limit ended this browser's session at a later login elsewhere.
    let limit = ended
        .and_then(|e| e.strip_prefix("session_limit:"))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let notice = match (failed, expired, limit) {
        (Some(true), ..) => "<p class=\"error\">Wrong username or password.</p>".to_string(),
        (_, Some("revoked"), Some(n)) => format!(
            "<p class=\"error\">Your session was ended: the session limit ({n}) was reached at a later login \
             elsewhere.</p>"
        ),
        (_, Some("revoked"), None) => {
            "<p class=\"error\">Your session was signed out (from another session, or at logout).</p>".to_string()
        }
        (_, Some("unverified"), _) => {
            "<p class=\"error\">Your session could not be verified; please log in again.</p>".to_string()
        }
        (_, Some(reason), _) => format!("<p class=\"error\">Your session expired ({} timeout).</p>", escape(reason)),
        _ => String::new(),
    };
    login_form(&notice, next)
}

/// The login form, below `notice` (escaped HTML or empty).
fn login_form(notice: &str, next: &str) -> RawHtml<String> {
    page(
        "Log in",
        &format!(
            "{notice}<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"next\" value=\"{}\">\
             <label>Username <input name=\"username\" autocomplete=\"username\"></label>\
             <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
             <button>Log in</button></form>",
            escape(next)
        ),
    )
}

#[derive(FromForm)]
struct LoginForm<'r> {
    username: &'r str,
    password: &'r str,
    next: Option<&'r str>,
}

#[post("/login", data = "<form>")]
async fn login(
    form: Form<LoginForm<'_>>,
    throttle: LoginThrottle,
    users: &State<Users>,
    cookies: PrivateCookies<'_>,
    sessions: Sessions<'_>,
) -> Result<Redirect, LoginFailure> {
    throttle.check(form.username).await?;
    let ok = verify(users, form.username, form.password);
    if !ok {
        throttle.failed(form.username).await;
        return Ok(Redirect::to("/login?failed=true"));
    }
    throttle.succeeded(form.username).await;
    // A fresh session id, registered in the database: no fixation, and the
    // session can be ended on the server (logout, "sign out everywhere").
    // Beyond `max_per_user` the least recently active session of the user
    // ends; with `on_limit = "refuse"` the login is refused instead.
    let next = form.next.and_then(|n| safe_next(n, &[])).unwrap_or("/");
    match sessions.login(&User { name: form.username.to_string(), admin: false }).await {
        Ok(()) => {}
        Err(SessionError::LimitReached { limit }) => {
            let notice = format!(
                "<p class=\"error\">You are signed in on {limit} devices already, the most this site allows: sign \
                 out on one of them (Account, Active sessions) to sign in here.</p>"
            );
            return Err(LoginFailure::Limit((Status::Conflict, login_form(&notice, next))));
        }
        Err(e) => return Err(e.into()),
    }
    // The login cookie only once there is a session.
    cookies.add(login_cookie(form.username));
    // Only a same-site path: never an open redirect.
    Ok(Redirect::to(next.to_string()))
}

/// An Argon2 hash no password matches: unknown users are checked against it,
/// so the answer takes as long whether or not the user exists.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default().hash_password(b"no password matches this", &salt).expect("hashing").to_string()
});

/// Whether `password` is `user`'s; as slow for an unknown user as for a known one.
fn verify(users: &Users, user: &str, password: &str) -> bool {
    let stored = users.0.lock().unwrap().get(user).map(|(h, _)| h.clone());
    let known = stored.is_some();
    let hash = stored.unwrap_or_else(|| DUMMY_HASH.clone());
    let matches = PasswordHash::new(&hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok());
    known && matches
}

/// Why a login attempt got no session.
#[derive(rocket::Responder)]
enum LoginFailure {
    Throttled(Throttled),
    Session(SessionError),
    /// `on_limit = "refuse"`: the login page again, saying why.
    Limit((Status, RawHtml<String>)),
}

impl From<Throttled> for LoginFailure {
    fn from(t: Throttled) -> Self {
        LoginFailure::Throttled(t)
    }
}

impl From<SessionError> for LoginFailure {
    fn from(e: SessionError) -> Self {
        LoginFailure::Session(e)
    }
}

/// Ends the session on the server too: copied cookies no longer work.
/// `Clear-Site-Data` comes from `[default.security.clear_site_data] paths`.
#[post("/logout")]
async fn logout(cookies: &CookieJar<'_>, sessions: Sessions<'_>) -> Result<Redirect, SessionError> {
    cookies.remove(rocket::http::Cookie::build("user_id").path("/"));
    sessions.logout().await?;
    Ok(Redirect::to("/"))
}

/// The user's active sessions, each with "sign out", and "sign out all other
/// sessions"; below, the sessions that ended on the server and why (the
/// session limit ending the least recently active one at a later login, a
/// sign-out from another session, a password change).
#[get("/account/sessions")]
async fn sessions_page(user: LoginRequired<User>, sessions: Sessions<'_>) -> Result<RawHtml<String>, SessionError> {
    let list = sessions.list(&*user).await?;
    let ended: String = sessions
        .ended(&*user)
        .await?
        .iter()
        .map(|s| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                s.created.format("%Y-%m-%d %H:%M UTC"),
                s.ended.format("%Y-%m-%d %H:%M UTC"),
                escape(&s.client),
                escape(&s.why())
            )
        })
        .collect();
    let ended = if ended.is_empty() {
        String::new()
    } else {
        format!(
            "<h2>Recently ended</h2><table><tr><th>Signed in</th><th>Ended</th><th>Client</th><th>Why</th></tr>{ended}</table>"
        )
    };
    let rows: String = list
        .iter()
        .map(|s| {
            let action = if s.current {
                "<em>this session</em>".to_string()
            } else {
                format!(
                    "<form method=\"post\" action=\"/account/sessions/{}/revoke\"><button>Sign out this session</button></form>",
                    escape(&s.id)
                )
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{action}</td></tr>",
                s.created.format("%Y-%m-%d %H:%M UTC"),
                s.last_seen.format("%Y-%m-%d %H:%M UTC"),
                escape(&s.client)
            )
        })
        .collect();
    Ok(page(
        "Active sessions",
        &format!(
            "<p>{} session(s) of {} are signed in.</p>\
             <table><tr><th>Signed in</th><th>Last seen</th><th>Client</th><th></th></tr>{rows}</table>\
             <form method=\"post\" action=\"/account/sessions/revoke-others\"><button>Sign out all other sessions</button></form>\
             {ended}<p><a href=\"/account\">Back to the account</a></p>",
            list.len(),
            escape(&user.name)
        ),
    ))
}

#[post("/account/sessions/<id>/revoke")]
async fn revoke_session(user: LoginRequired<User>, id: &str, sessions: Sessions<'_>) -> Result<Redirect, SessionError> {
    sessions.revoke(&*user, id).await?;
    Ok(Redirect::to("/account/sessions"))
}

#[post("/account/sessions/revoke-others")]
async fn revoke_other_sessions(user: LoginRequired<User>, sessions: Sessions<'_>) -> Result<Redirect, SessionError> {
    sessions.revoke_others(&*user).await?;
    Ok(Redirect::to("/account/sessions"))
}

#[get("/account")]
fn account(user: MandatoryPasswordChange<User>) -> RawHtml<String> {
    let warning = match user.expires_soon() {
        Some(days) => format!("<p class=\"error\">Your password expires in {days} days.</p>"),
        None => String::new(),
    };
    page(
        "Account",
        &format!(
            "{warning}<p>Hello {}. This page is confidential: never stored by browsers or proxies.</p>\
             <p><a href=\"/password/change\">Change your password</a> · <a href=\"/account/sessions\">Active sessions</a></p>\
             <form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
            escape(&user.name)
        ),
    )
}

static POLICY: PasswordPolicy =
    PasswordPolicy { min_length: 10, max_length: 128, lowercase: true, uppercase: true, digit: true, symbol: false };

#[derive(FromForm)]
struct ChangeForm<'r> {
    current_password: &'r str,
    #[field(validate = password_policy(&POLICY))]
    new_password: &'r str,
}

#[get("/password/change")]
fn change_page(user: LoginRequired<User>) -> RawHtml<String> {
    change_form(&user.name, &[])
}

fn change_form(name: &str, errors: &[String]) -> RawHtml<String> {
    let errors: String = errors.iter().map(|e| format!("<p class=\"error\">{}</p>", escape(e))).collect();
    page(
        "Change password",
        &format!(
            "<p>{}, choose a new password: at least 10 characters, with upper and lower case letters and a digit.</p>\
             {errors}<form method=\"post\" action=\"/password/change\">\
             <label>Current password <input name=\"current_password\" type=\"password\" autocomplete=\"current-password\"></label>\
             <label>New password <input name=\"new_password\" type=\"password\" autocomplete=\"new-password\"></label>\
             <button>Change</button></form>",
            escape(name)
        ),
    )
}

#[post("/password/change", data = "<form>")]
async fn change(
    user: LoginRequired<User>,
    form: Form<Contextual<'_, ChangeForm<'_>>>,
    users: &State<Users>,
    sessions: Sessions<'_>,
    renewal: rocket_security::auth::PasswordRenewal<'_>,
) -> Result<Redirect, RawHtml<String>> {
    let Some(value) = &form.value else {
        let errors: Vec<String> = form.context.errors().map(|e| e.kind.to_string()).collect();
        return Err(change_form(&user.name, &errors));
    };
    if !verify(users, &user.name, value.current_password) {
        return Err(change_form(&user.name, &["The current password is not correct.".to_string()]));
    }
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    let hash = Argon2::default().hash_password(value.new_password.as_bytes(), &salt).expect("hashing").to_string();
    users.0.lock().unwrap().entry(user.name.clone()).and_modify(|e| e.0 = hash);
    // The next expiry follows `security.password.max_age_days`.
    if let Err(e) = renewal.renew(&user.name).await {
        return Err(change_form(
            &user.name,
            &[format!("The password was changed, but its expiry was not renewed: {e}")],
        ));
    }
    // A new password ends every other session of the user (Django's update_session_auth_hash).
    if let Err(e) = sessions.revoke_others(&*user).await {
        return Err(change_form(
            &user.name,
            &[format!("The password was changed, but other sessions were not ended: {e}")],
        ));
    }
    Ok(Redirect::to("/account"))
}

/// The bearer of a demo API token (`Authorization: Bearer demo-token-alice`):
/// the credential of a token API, which no browser adds by itself.
struct ApiToken(&'static str);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiToken {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.headers().get_one("Authorization") {
            Some("Bearer demo-token-alice") => request::Outcome::Success(ApiToken("alice")),
            Some("Bearer demo-token-admin") => request::Outcome::Success(ApiToken("admin")),
            _ => request::Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

/// The token API's CORS answer: any origin may call it, without credentials
/// (the token is the credential; no cookie is ever asked for).
#[derive(rocket::Responder)]
struct ApiCors<T> {
    inner: T,
    allow_origin: rocket::http::Header<'static>,
    allow_headers: rocket::http::Header<'static>,
    allow_methods: rocket::http::Header<'static>,
}

impl<T> ApiCors<T> {
    fn new(inner: T) -> Self {
        use rocket::http::Header;
        ApiCors {
            inner,
            allow_origin: Header::new("Access-Control-Allow-Origin", "*"),
            allow_headers: Header::new("Access-Control-Allow-Headers", "authorization, content-type"),
            allow_methods: Header::new("Access-Control-Allow-Methods", "POST"),
        }
    }
}

/// A token API (`security.csrf.header_auth_paths`): a front-end on another
/// origin may post here with its token and no cookie; a request that carries
/// a cookie is checked as everywhere else.
#[post("/api/notes", data = "<note>")]
fn api_note(token: ApiToken, note: String) -> ApiCors<(Status, RawJson<String>)> {
    let note: String = note.chars().take(200).collect();
    ApiCors::new((Status::Created, RawJson(serde_json::json!({"author": token.0, "note": note}).to_string())))
}

/// The CORS preflight of the token API.
#[rocket::options("/api/notes")]
fn api_note_preflight() -> ApiCors<Status> {
    ApiCors::new(Status::NoContent)
}

#[get("/api/me")]
fn me(_ajax: AjaxOnly, user: LoginRequired<User>) -> RawJson<String> {
    RawJson(serde_json::json!({"name": user.name, "admin": user.admin}).to_string())
}

/// A page a partner may embed: X-Frame-Options removed and `frame-ancestors`
/// widened for this route only.
#[get("/embed")]
fn embed() -> Override<CspOverride<RawHtml<String>>> {
    let page = page("Embeddable", "<p>This page may be framed by https://partner.example.</p>");
    Override::new(CspOverride::new(page).extend("frame-ancestors", ["'self'", "https://partner.example"]))
        .remove("X-Frame-Options")
}

#[get("/privacy")]
fn privacy(p: DoNotTrack) -> RawHtml<String> {
    let verdict = if p.opted_out() {
        "You asked not to be tracked, so this page loads no analytics."
    } else {
        "Your browser sent neither DNT: 1 nor Sec-GPC: 1."
    };
    page("Privacy", &format!("<p>{verdict}</p><p>DNT: {:?}, Sec-GPC: {}</p>", p.dnt(), p.gpc()))
}

/// Breaks the policy several ways, so the browser sends violation reports.
#[get("/demo/violations")]
fn violations() -> RawHtml<String> {
    page(
        "CSP violations",
        "<p>This page breaks its Content-Security-Policy on purpose: an inline script without a nonce, \
         an inline style, a <code>style</code> attribute, <code>eval()</code> in an allowed script, and an image \
         from another origin. Your browser blocks each and reports it to <code>/security/csp-report</code>.</p>\
         <style>main{outline:3px solid red}</style>\
         <p style=\"color:red\">styled by an attribute</p>\
         <script>document.title = 'inline script ran (it should not)';</script>\
         <script src=\"/demo/eval.js\"></script>\
         <img src=\"https://example.com/blocked.png\" alt=\"blocked cross-origin image\">",
    )
}

#[get("/demo/eval.js")]
fn eval_js() -> (ContentType, &'static str) {
    (ContentType::JavaScript, "try { eval('1 + 1'); } catch (e) { console.log('eval blocked'); }")
}

/// The other host name of this same server (`127.0.0.1` <-> `localhost`,
/// both in `allowed_hosts`): another origin, so the demo page can load and
/// open cross-origin things without a second server.
struct OtherOrigin(String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for OtherOrigin {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let config = req.rocket().config();
        let port = req.host().and_then(|h| h.port()).unwrap_or(config.port);
        let other = match req.host().map(|h| h.domain().as_str()) {
            Some("127.0.0.1") => "localhost",
            _ => "127.0.0.1",
        };
        let scheme = if config.tls_enabled() { "https" } else { "http" };
        request::Outcome::Success(OtherOrigin(format!("{scheme}://{other}:{port}")))
    }
}

/// The showcase's own static files (`FileServer` at `/static`), digested by
/// the SRI helper (`security.sri`, set in [`figment`]): absolute, so the
/// showcase runs from any directory.
const STATIC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/static");

/// Tries the reporting headers in report-only mode (`Rocket.toml`: each
/// scoped to this path) and breaks each once, so the browser reports to the
/// collector (group `default` of `Reporting-Endpoints`, HTTPS only):
/// - COEP `require-corp`: an image from the other host name that sends no
///   `Cross-Origin-Resource-Policy`;
/// - COOP `same-origin`: `window.open` of a page on the other host name;
/// - Permissions-Policy `geolocation=()`: `getCurrentPosition`;
/// - Integrity-Policy `blocked-destinations=(script)`: one script without
///   `integrity` (the page's own script has it, from the SRI helper);
/// - a deprecation (`reporting.browser_reports`): an `unload` listener.
///
/// The enforced COOP and Permissions-Policy (which already forbid the
/// popup's opener and geolocation) are removed here, as on a site that is
/// still trying the policies out: the browser then reports what the
/// report-only ones would break.
#[get("/demo/reporting")]
fn reporting_demo(nonce: CspNonce<'_>, sri: &Integrity, other: OtherOrigin) -> Override<CspOverride<RawHtml<String>>> {
    let script = "/static/reporting-demo.js";
    let integrity = sri.integrity(script).unwrap_or_default();
    let origin = other.0;
    let other = escape(&origin);
    let body = format!(
        "<div id=\"reporting-demo\" data-other-origin=\"{other}\">\
         <p>This page sends <code>Cross-Origin-Embedder-Policy-Report-Only</code>, \
         <code>Cross-Origin-Opener-Policy-Report-Only</code>, <code>Permissions-Policy-Report-Only</code> and \
         <code>Integrity-Policy-Report-Only</code>, and breaks each on purpose. Nothing is blocked; the browser \
         reports each violation, and a deprecated API it saw, to <code>/security/csp-report</code>, and the \
         dashboard lists them by type at <a href=\"/security/reports/types\">/security/reports/types</a> \
         (admin).</p>\
         <p><strong>Over HTTPS only:</strong> browsers send Reporting API reports only from secure pages, so \
         run the showcase with <code>ROCKET_TLS</code> to see them (over plain HTTP these headers are not \
         sent).</p>\
         <ul><li>COEP <code>require-corp</code>: this image comes from {other}, which sends no \
         <code>Cross-Origin-Resource-Policy</code>: \
         <img src=\"{other}/demo/reporting/pixel.svg\" alt=\"a cross-origin image without CORP\" width=\"16\" \
         height=\"16\"></li>\
         <li>COOP <code>same-origin</code>: <span id=\"coop\">not run</span> \
         <button id=\"open-other\" type=\"button\">Open the window on {other}</button></li>\
         <li>Permissions-Policy <code>geolocation=()</code>: <span id=\"geolocation\">not run</span></li>\
         <li>Integrity-Policy <code>blocked-destinations=(script)</code>: \
         <span id=\"no-integrity\">not run</span></li>\
         <li>Deprecation: <span id=\"deprecation\">not run</span></li></ul>\
         <p id=\"script-ran\">The page's own script did not run.</p></div>\
         <script {attr} src=\"{script}\" integrity=\"{integrity}\" crossorigin=\"anonymous\"></script>\
         <script {attr} src=\"/demo/reporting/no-integrity.js\"></script>",
        attr = nonce.attr(),
    );
    let page = page("Reporting API", &body);
    // Both policies allow the other host's image: its only violation here is COEP's.
    let csp = CspOverride::new(page).extend("img-src", [origin.clone()]).report_only_extend("img-src", [origin]);
    Override::new(csp).remove("Cross-Origin-Opener-Policy").remove("Permissions-Policy")
}

/// The demo's deliberate script without `integrity` (Integrity-Policy reports it).
#[get("/demo/reporting/no-integrity.js")]
fn no_integrity_js() -> (ContentType, &'static str) {
    (
        ContentType::JavaScript,
        "document.getElementById('no-integrity').textContent = 'A script without integrity ran (reported, not blocked).';",
    )
}

/// An image on the other host name without `Cross-Origin-Resource-Policy`:
/// what `require-corp` would block.
#[get("/demo/reporting/pixel.svg")]
fn no_corp_pixel() -> Override<(ContentType, &'static str)> {
    Override::new((ContentType::SVG, ICON)).remove("Cross-Origin-Resource-Policy")
}

/// The page the demo opens on the other host name, without an enforced COOP
/// (with one, the browser would separate the windows whatever the opener's
/// report-only policy says, and report nothing).
#[get("/demo/reporting/opened")]
fn reporting_opened() -> Override<RawHtml<String>> {
    Override::new(page("Opened", "<p>The reporting demo opened this window on another origin; close it.</p>"))
        .remove("Cross-Origin-Opener-Policy")
}

fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("hashing").to_string()
}

/// The sample configuration under the files and variables Rocket reads itself.
fn figment() -> rocket::figment::Figment {
    use rocket::figment::providers::{Env, Format, Toml};
    use rocket::figment::{Figment, Profile};
    let profile = Profile::from_env_or("ROCKET_PROFILE", rocket::Config::DEFAULT_PROFILE);
    let figment = Figment::from(rocket::Config::default())
        .merge(Toml::string(include_str!("../Rocket.toml")).nested())
        // The stylesheet and icons stay reachable for a user who must change a password.
        .merge(("security.auth.static_paths", ["/style.css", "/favicon.svg", "/favicon.ico", "/static/**"]))
        // The SRI helper over the showcase's own static files (served by a FileServer at /static).
        .merge(("security.sri.enabled", true))
        .merge(("security.sri.dir", STATIC_DIR))
        .merge(("security.sri.mount", "/static"))
        .merge(Toml::file(Env::var_or("ROCKET_CONFIG", "Rocket.toml")).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global())
        .select(profile);
    // In debug, a key of this directory's own (kept across restarts); a
    // release profile must bring its own `secret_key`.
    if figment.profile() != rocket::Config::DEBUG_PROFILE || figment.contains("secret_key") {
        return figment;
    }
    let mut figment = match rocket_security::core::development_secret_key(std::path::Path::new(".")) {
        Ok(key) => figment.merge(("secret_key", key)),
        Err(e) => {
            eprintln!("no development key ({e}); set ROCKET_SECRET_KEY");
            return figment;
        }
    };
    // A key rotation, as a deployment does it: the key moved to PREVIOUS_KEY_DIR
    // is a fallback (`security.secret_key_fallbacks`), so sessions, CSRF tokens
    // and the login cookie made with it go on, sealed again with the new key.
    let previous = std::path::Path::new(PREVIOUS_KEY_DIR);
    let configured = figment.extract_inner::<Vec<rocket::figment::value::Value>>("security.secret_key_fallbacks");
    if previous.join(rocket_security::core::DEVELOPMENT_KEY_FILE).exists() && !configured.is_ok_and(|f| !f.is_empty()) {
        match rocket_security::core::development_secret_key(previous) {
            Ok(old) => figment = figment.merge(("security.secret_key_fallbacks", [old])),
            Err(e) => eprintln!("the previous key is not used ({e})"),
        }
    }
    figment
}

/// Where the showcase finds the key it used before a rotation (debug only):
/// `mkdir -p .rocket-secret-key-previous && mv .rocket-secret-key .rocket-secret-key-previous/`,
/// then start it again: a new key is made, and the old one is a fallback.
const PREVIOUS_KEY_DIR: &str = ".rocket-secret-key-previous";

/// Rocket 0.5 can end `launch()` without running shutdown fairings when a
/// signal arrives while it accepts a connection; the crate's shutdown work
/// (the CSP report queue written out) started anyway, and `finish` waits for
/// it, so a SIGTERM under load loses no accepted report.
#[rocket::main]
async fn main() {
    if let Err(e) = rocket().launch().await {
        let finished = match e.kind() {
            rocket::error::ErrorKind::Shutdown(rocket, _) => Security::finish(rocket).await,
            _ => false,
        };
        eprintln!("{e}");
        std::process::exit(if finished { 0 } else { 1 });
    }
}

/// For tests/browser only: with `SHOWCASE_CLOCK_OFFSET_FILE` set, the crate's
/// clock runs that many seconds (the file's content) ahead of the system clock,
/// so a test lets an idle session expire by writing a number instead of
/// sleeping. Without the variable (every real run) the system clock.
fn with_test_clock(security: Security) -> Security {
    #[derive(Clone)]
    struct OffsetClock(std::path::PathBuf);
    impl rocket_security::core::Clock for OffsetClock {
        fn now(&self) -> chrono::DateTime<chrono::Utc> {
            let secs = std::fs::read_to_string(&self.0).ok().and_then(|s| s.trim().parse::<i64>().ok());
            chrono::Utc::now() + chrono::TimeDelta::seconds(secs.unwrap_or(0).clamp(0, 1 << 32))
        }
    }
    match std::env::var_os("SHOWCASE_CLOCK_OFFSET_FILE") {
        Some(file) => security.clock(OffsetClock(file.into())),
        None => security,
    }
}

fn rocket() -> rocket::Rocket<rocket::Build> {
    let users: HashMap<String, (String, bool)> = [("alice", false), ("bob", false), ("admin", true)]
        .into_iter()
        .map(|(name, admin)| (name.to_string(), (hash(&format!("{name}-pass")), admin)))
        .collect();
    let figment = figment();
    // Limits shared by every instance, when ROCKET_DATABASES names `security_cache` (feature `redis`).
    #[cfg(feature = "redis")]
    let cache = figment.find_value("databases.security_cache").is_ok();
    let rocket = rocket::custom(figment)
        .attach(AdHoc::on_liftoff("banner", |rocket| {
            Box::pin(async move {
                let c = rocket.config();
                let scheme = if c.tls_enabled() { "https" } else { "http" };
                let url = rocket.figment().extract_inner::<String>("databases.security.url").unwrap_or_default();
                let store = match url.strip_prefix("sqlite://") {
                    Some(file) => {
                        let path = std::env::current_dir().map(|d| d.join(file)).unwrap_or_else(|_| file.into());
                        format!("SQLite file {}", path.display())
                    }
                    None => url.split('@').next_back().map(|s| format!("database {s}")).unwrap_or_default(),
                };
                println!(
                    "\nrocket_security showcase: {scheme}://{}:{}/\n\
                     - demo users: alice / alice-pass, bob / bob-pass (password expired), admin / admin-pass \
                     (reports dashboard at /security/reports)\n\
                     - storage: {store}\n\
                     - PostgreSQL instead: ROCKET_DATABASES='{{security={{url=\"postgres://postgres@127.0.0.1/test\"}}}}' \
                     cargo run --all-features --example showcase\n",
                    c.address, c.port
                );
            })
        }))
        .attach(SecurityDb::init())
        .attach(Migrations::<SecurityDb>::fairing())
        // A user whose password expired reaches no logged-in page but the change
        // form (and logout) until it is changed, as django-security's middleware.
        .attach(with_test_clock(Security::fairing().reports_dashboard::<Admin>().require_password_change::<User>()))
        .attach(AdHoc::try_on_ignite("secret key", |rocket| async move {
            // The crate refuses too (sessions need the key): this says how the showcase gets one.
            if rocket.figment().contains("secret_key") {
                return Ok(rocket);
            }
            eprintln!(
                "the showcase needs `secret_key` in the {} profile: a deployment brings its own, e.g. \
                 ROCKET_SECRET_KEY=\"$(openssl rand -base64 64 | tr -d '\\n')\"",
                rocket.figment().profile()
            );
            Err(rocket)
        }))
        .attach(AdHoc::on_liftoff("bob's password is expired", |rocket| {
            Box::pin(async move {
                if let Some(db) = SecurityDb::fetch(rocket) {
                    let pool: &SecurityPool = db;
                    if let Ok(mut conn) = pool.conn().await {
                        let _ = PasswordExpiry::expire_now(&mut conn, "bob", chrono::Utc::now()).await;
                    }
                }
            })
        }))
        .manage(Users(Mutex::new(users)))
        .mount(
            "/",
            routes![
                index,
                health,
                favicon,
                favicon_ico,
                style,
                login_page,
                api_note,
                api_note_preflight,
                login,
                logout,
                account,
                sessions_page,
                revoke_session,
                revoke_other_sessions,
                change_page,
                change,
                me,
                embed,
                privacy,
                violations,
                eval_js,
                reporting_demo,
                no_integrity_js,
                no_corp_pixel,
                reporting_opened
            ],
        )
        .mount("/static", rocket::fs::FileServer::from(STATIC_DIR));
    #[cfg(feature = "redis")]
    let rocket = if cache { rocket.attach(rocket_security::db::SecurityCache::init()) } else { rocket };
    rocket
}
