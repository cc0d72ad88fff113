//! Headers only, zero configuration: attach the fairing and every response
//! gets the crate's defaults (CSP with `default-src 'self'`, nosniff,
//! `X-Frame-Options: DENY`, Referrer-Policy, Permissions-Policy, COOP, CORP,
//! HSTS on HTTPS requests only, no `Server` header). No database, no
//! `secret_key`.
//!
//! ```toml
//! # Rocket.toml: nothing is needed. To change one header:
//! [default.security.referrer_policy]
//! value = "no-referrer"
//! ```
//!
//! Run: `cargo run --example headers`, then `curl -i http://127.0.0.1:8000/`.

use rocket::{get, launch, routes};
use rocket_security::Security;

#[get("/")]
fn index() -> &'static str {
    "Every response carries the security headers: look at them with curl -i."
}

#[launch]
fn rocket() -> _ {
    // Rocket's defaults and ROCKET_* variables (not the showcase's Rocket.toml).
    let figment = rocket::figment::Figment::from(rocket::Config::default())
        .merge(rocket::figment::providers::Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global());
    rocket::custom(figment).attach(Security::fairing()).mount("/", routes![index])
}
