//! A server for the HTTP throughput benchmark (`scripts/bench.sh`): one
//! route, `GET /`, behind the stack named by `BENCH_STACK`:
//!
//! | `BENCH_STACK` | stack |
//! |---|---|
//! | `bare` | Rocket with an empty Shield |
//! | `shield` | Rocket's default Shield |
//! | `adhoc` | a hand-written AdHoc fairing adding the crate's 11 default headers as static strings |
//! | `security` | `Security::fairing()`, zero configuration |
//! | `nonce` | `Security::fairing()`, the route asks for a `CspNonce` |
//! | `page` | `Security::fairing()`; `GET /` needs a logged-in user (plain cookie guard); `POST /login` |
//! | `session` | the same page behind session expiry (with the SQLite session registry) + `LoginRequired<User>` |
//! | `session-fallback` | `session` after a key rotation: `secret_key` is new, the old key is in `security.secret_key_fallbacks`, and `POST /login` hands out cookies of a login made under the old key (in process, at start), so every request presents a stamp the current key fails to open, a fallback opens, and the response seals again |
//! | `reports` | the CSP report endpoint with the SQLite database sink (`BENCH_DB`), stats at `/security/reports/api` |

use rocket::fairing::AdHoc;
use rocket::http::{Cookie, CookieJar, Header, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder, Response};
use rocket::shield::Shield;
use rocket::{get, launch, routes, State};
use rocket_db_pools::Database;
use rocket_security::db::{Migrations, SecurityDb};
use rocket_security::session::{SessionError, Sessions};
use rocket_security::{CspNonce, LoginRequired, Security, SecurityUser};

/// The benchmark reads the collector's counters without logging in.
struct Anyone;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Anyone {
    type Error = ();
    async fn from_request(_: &'r Request<'_>) -> request::Outcome<Self, ()> {
        request::Outcome::Success(Anyone)
    }
}

/// The benchmark's user: whoever the `user_id` cookie names.
struct User(String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for User {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.cookies().get("user_id") {
            Some(c) => request::Outcome::Success(User(c.value().to_string())),
            None => request::Outcome::Forward(Status::Unauthorized),
        }
    }
}

impl SecurityUser for User {
    fn security_id(&self) -> String {
        self.0.clone()
    }
}

#[get("/")]
fn page(user: User) -> String {
    format!("hello {}", user.0)
}

#[get("/")]
fn guarded(user: LoginRequired<User>) -> String {
    format!("hello {}", user.0 .0)
}

#[rocket::post("/login")]
async fn login(cookies: &CookieJar<'_>, sessions: Sessions<'_>) -> Result<&'static str, SessionError> {
    cookies.add(Cookie::build(("user_id", "bench")).path("/").http_only(true));
    sessions.login(&User("bench".into())).await?;
    Ok("logged in")
}

/// `session-fallback`: the `Set-Cookie` lines of a login made under the old key.
struct OldLogin(Vec<String>);

impl<'r> Responder<'r, 'static> for &'r OldLogin {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Response::build();
        for line in &self.0 {
            res.raw_header_adjoin("Set-Cookie", line.clone());
        }
        Ok(res.finalize())
    }
}

#[rocket::post("/login")]
fn old_login(old: &State<OldLogin>) -> &OldLogin {
    old.inner()
}

/// The session stack's configuration on `figment`, with `secret_key = key`.
fn session_figment(figment: rocket::figment::Figment, key: String) -> rocket::figment::Figment {
    figment
        .merge(("secret_key", key))
        .merge(("security.session.enabled", true))
        // Longer than a run: wrk replays one stamp, as a browser would within the interval.
        .merge(("security.session.refresh_interval", 600))
        .merge(("databases.security.url", "sqlite://bench-sessions.db"))
}

#[get("/")]
fn plain() -> &'static str {
    "hello"
}

#[get("/")]
fn nonce(n: CspNonce<'_>) -> String {
    format!("<script nonce=\"{n}\">1</script>")
}

/// 64 random bytes, base64.
fn fresh_key() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[path = "../benches/static_headers.rs"]
mod static_headers;
use static_headers::STATIC_HEADERS;

#[launch]
async fn rocket() -> _ {
    let stack = std::env::var("BENCH_STACK").unwrap_or_else(|_| "security".into());
    // Same ident (none) and log level for every stack: only the fairings differ.
    let figment = rocket::Config::figment().merge(("ident", false)).merge(("log_level", "critical"));
    let rocket = rocket::custom(figment);
    match stack.as_str() {
        "bare" => rocket.attach(Shield::new()).mount("/", routes![plain]),
        "shield" => rocket.mount("/", routes![plain]),
        "adhoc" => rocket.attach(Shield::new()).mount("/", routes![plain]).attach(AdHoc::on_response(
            "static headers",
            |_, res| {
                Box::pin(async move {
                    for (name, value) in STATIC_HEADERS {
                        if !res.headers().contains(*name) {
                            res.set_header(Header::new(*name, *value));
                        }
                    }
                })
            },
        )),
        "security" => rocket.attach(Security::fairing()).mount("/", routes![plain]),
        "nonce" => rocket.attach(Security::fairing()).mount("/", routes![nonce]),
        "page" => rocket.attach(Security::fairing()).mount("/", routes![page, login]),
        "session" => {
            // A fresh key per run: a release build refuses a published one.
            let figment = session_figment(rocket.figment().clone(), fresh_key());
            // The session registry is on, as by default: revocations are seen within 1 s.
            rocket::custom(figment)
                .attach(SecurityDb::init())
                .attach(Migrations::<SecurityDb>::fairing())
                .attach(Security::fairing())
                .mount("/", routes![guarded, login])
        }
        "session-fallback" => {
            let (old, new) = (fresh_key(), fresh_key());
            // The login, under the old key, on the same database (start-up work: the
            // benchmark's difference of two runs cancels it).
            let before = rocket::custom(session_figment(rocket.figment().clone(), old.clone()))
                .attach(SecurityDb::init())
                .attach(Migrations::<SecurityDb>::fairing())
                .attach(Security::fairing())
                .mount("/", routes![login]);
            let client = rocket::local::asynchronous::Client::untracked(before).await.expect("the old key's app");
            let res = client.post("/login").dispatch().await;
            assert_eq!(res.status(), Status::Ok, "the login under the old key");
            let cookies = res.headers().get("Set-Cookie").map(str::to_string).collect();
            let figment =
                session_figment(rocket.figment().clone(), new).merge(("security.secret_key_fallbacks", [old]));
            rocket::custom(figment)
                .attach(SecurityDb::init())
                .attach(Migrations::<SecurityDb>::fairing())
                .attach(Security::fairing())
                .manage(OldLogin(cookies))
                .mount("/", routes![guarded, old_login])
        }
        "reports" => {
            let db = std::env::var("BENCH_DB").unwrap_or_else(|_| "sqlite://bench-reports.db".into());
            let figment = rocket.figment().clone().merge(("databases.security.url", db)).merge((
                "security.reports",
                rocket::figment::value::Map::from([("database".to_string(), true), ("log".to_string(), false)]),
            ));
            rocket::custom(figment.merge(("security.reports.rate_limit_per_minute", 0)))
                .attach(SecurityDb::init())
                .attach(Migrations::<SecurityDb>::fairing())
                .attach(Security::fairing().reports_dashboard::<Anyone>())
                .mount("/", routes![plain])
        }
        // The collector with only its rate limit at work (no database, no log):
        // per process, or in Redis (`limit-redis`, feature `redis`).
        "limit" | "limit-redis" => {
            let figment = rocket
                .figment()
                .clone()
                .merge(("security.reports.log", false))
                .merge(("security.reports.rate_limit_per_minute", 100_000_000))
                .merge((
                    "databases.security_cache.url",
                    std::env::var("BENCH_REDIS").unwrap_or("redis://127.0.0.1:6379".into()),
                ));
            let rocket = rocket::custom(figment).attach(Security::fairing()).mount("/", routes![plain]);
            #[cfg(feature = "redis")]
            let rocket = if stack == "limit-redis" {
                use rocket_db_pools::Database;
                rocket.attach(rocket_security::db::SecurityCache::init())
            } else {
                rocket
            };
            rocket
        }
        other => {
            panic!(
                "unknown BENCH_STACK {other:?}: bare, shield, adhoc, security, nonce, page, session, \
                 session-fallback, reports, limit or limit-redis"
            )
        }
    }
}
