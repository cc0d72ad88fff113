//! Login with `LoginRequired`, login throttling and CSRF protection, in one
//! small app. The login cookie is encrypted with a key derived from
//! Rocket's `secret_key` (in debug, a key kept in `./.rocket-secret-key`).
//! A wrong password three times delays the account (429 with the
//! original's wording); a form posted from another site gets 403 before its
//! handler runs; `/account` sends anonymous users to `/login?next=/account`.
//!
//! ```toml
//! [default.security.csrf]
//! token = true                 # also a per-browser token in every form (needs secret_key)
//!
//! [default.security.throttle]
//! storage = "memory"           # "database" to share the counters between instances
//! ```
//!
//! Run: `cargo run --example login`, open http://127.0.0.1:8000/account,
//! sign in as `alice` / `alice-pass`.

use rocket::form::Form;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::{get, launch, post, routes, FromForm, State};
use rocket_security::auth::{safe_next, LoginThrottle, Throttled};
use rocket_security::csrf::CsrfToken;
use rocket_security::{LoginRequired, Security, SecurityUser};

/// The signed-in user (from the encrypted `user_id` cookie).
struct User(String);

impl SecurityUser for User {
    fn security_id(&self) -> String {
        self.0.clone()
    }
}

/// The key of the login cookie.
struct CookieKey(cookie::Key);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for User {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let (Some(key), Some(raw)) = (req.rocket().state::<CookieKey>(), req.cookies().get("user_id")) else {
            return request::Outcome::Forward(Status::Unauthorized);
        };
        let mut jar = cookie::CookieJar::new();
        jar.add_original(cookie::Cookie::new("user_id", raw.value().to_string()));
        match jar.private(&key.0).get("user_id") {
            Some(c) => request::Outcome::Success(User(c.value().to_string())),
            None => request::Outcome::Forward(Status::Unauthorized),
        }
    }
}

#[get("/account")]
fn account(user: LoginRequired<User>) -> String {
    format!("Signed in as {}.", user.0 .0)
}

#[get("/login?<next>")]
fn login_page(next: Option<&str>, csrf: CsrfToken) -> RawHtml<String> {
    let next = next.and_then(|n| safe_next(n, &[])).unwrap_or("/account");
    RawHtml(format!(
        "<!doctype html><html lang=\"en\"><title>Sign in</title><form method=\"post\" action=\"/login\">{}\
         <input type=\"hidden\" name=\"next\" value=\"{}\"><label>User <input name=\"username\"></label>\
         <label>Password <input name=\"password\" type=\"password\"></label><button>Sign in</button></form></html>",
        csrf.field(),
        rocket::http::RawStr::new(next).html_escape()
    ))
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
    key: &State<CookieKey>,
    cookies: &CookieJar<'_>,
) -> Result<Redirect, Throttled> {
    // Checked before the password: a throttled attempt never reaches it.
    throttle.check(form.username).await?;
    // Demo users: `<name>-pass`. A real app checks a hash (argon2, as the showcase does).
    if !["alice", "bob"].contains(&form.username) || form.password != format!("{}-pass", form.username) {
        throttle.failed(form.username).await;
        return Ok(Redirect::to("/login?failed=true"));
    }
    throttle.succeeded(form.username).await;
    let mut jar = cookie::CookieJar::new();
    jar.private_mut(&key.0).add(cookie::Cookie::new("user_id", form.username.to_string()));
    let value = jar.delta().next().map(|c| c.value().to_string()).unwrap_or_default();
    cookies.add(Cookie::build(("user_id", value)).http_only(true).same_site(SameSite::Lax).path("/"));
    Ok(Redirect::to(form.next.and_then(|n| safe_next(n, &[])).unwrap_or("/account").to_string()))
}

#[launch]
fn rocket() -> _ {
    use rocket::figment::providers::{Env, Format, Toml};
    let mut figment = rocket::figment::Figment::from(rocket::Config::default())
        .merge(Toml::string("[default.security.csrf]\ntoken = true").nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global());
    if !figment.contains("secret_key") {
        let key = rocket_security::core::development_secret_key(std::path::Path::new(".")).expect("a development key");
        figment = figment.merge(("secret_key", key));
    }
    let secret: String = figment.extract_inner("secret_key").expect("secret_key");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(secret).expect("secret_key is base64");
    rocket::custom(figment)
        .attach(Security::fairing())
        .manage(CookieKey(cookie::Key::derive_from(&bytes)))
        .mount("/", routes![account, login_page, login])
}
