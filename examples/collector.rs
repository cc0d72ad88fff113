//! The CSP violation collector and its dashboard, on SQLite: the page
//! breaks its own policy (an image from another host), the browser posts a
//! report to `/security/csp-report`, the collector validates, filters and
//! stores it, and `/security/reports` shows it. The dashboard is guarded by a
//! type of the application's (here: a fixed token, for the demo).
//!
//! ```toml
//! [default.databases.security]
//! url = "sqlite://collector.db"
//! migrate = true
//!
//! [default.security.reports]
//! database = true              # store reports (default: log only)
//! retention_days = 90
//! max_violations = 100000
//! ```
//!
//! Run: `cargo run --example collector`, open http://127.0.0.1:8000/ in a
//! browser, then http://127.0.0.1:8000/security/reports?token=demo.

use rocket::http::Status;
use rocket::request::{self, FromRequest, Request};
use rocket::response::content::RawHtml;
use rocket::{get, launch, routes};
use rocket_db_pools::Database;
use rocket_security::db::{Migrations, SecurityDb};
use rocket_security::Security;

/// Who may see the dashboard: `?token=demo` (a real app checks its admin login).
struct Admin;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Admin {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        match req.query_value::<&str>("token") {
            Some(Ok("demo")) => request::Outcome::Success(Admin),
            _ => request::Outcome::Error((Status::Forbidden, ())),
        }
    }
}

#[get("/")]
fn index() -> RawHtml<&'static str> {
    RawHtml(
        "<!doctype html><html lang=\"en\"><title>Collector</title><h1>A page that breaks its policy</h1>\
         <img src=\"https://example.net/tracker.png\" alt=\"blocked by img-src\"></html>",
    )
}

const CONFIG: &str = "[default.databases.security]\nurl = \"sqlite://collector.db\"\nmigrate = true\n\
                      [default.security.reports]\ndatabase = true";

#[launch]
fn rocket() -> _ {
    use rocket::figment::providers::{Env, Format, Toml};
    let figment = rocket::figment::Figment::from(rocket::Config::default())
        .merge(Toml::string(CONFIG).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global());
    rocket::custom(figment)
        .attach(SecurityDb::init())
        .attach(Migrations::<SecurityDb>::fairing())
        .attach(Security::fairing().reports_dashboard::<Admin>())
        .mount("/", routes![index])
}
