//! A production setup: behind a TLS-terminating proxy (HAProxy, nginx, a
//! cloud load balancer) on PostgreSQL. The proxy's address is trusted, so
//! its `X-Forwarded-Proto: https` makes a request count as HTTPS (HSTS sent,
//! cookies `Secure`); from any other peer the header is ignored. Only the
//! site's hosts are served, the login counters are shared by every
//! instance, and `deploy_check(true)` refuses to launch if a release
//! finding remains.
//!
//! ```toml
//! [release]
//! secret_key = "..."                     # your own: ROCKET_SECRET_KEY="$(openssl rand -base64 64 | tr -d '\n')"
//!
//! [release.databases.security]
//! url = "postgres://app@db.internal/app"
//!
//! [release.security]
//! allowed_hosts = ["www.example.com"]
//! allowed_hosts_exempt = ["/health"]     # the balancer's checks by IP
//!
//! [release.security.https]
//! trusted_proxies = ["10.0.0.0/8"]       # the proxy's addresses
//! redirect = true
//! redirect_host = "www.example.com"
//!
//! [release.security.throttle]
//! storage = "database"
//! ```
//!
//! Run (needs the `postgres` feature and a server):
//! `ROCKET_DATABASES='{security={url="postgres://postgres@127.0.0.1/test"}}' cargo run --all-features --example production`.
//! The example uses `127.0.0.1` as its proxy and host, so it can be tried
//! on one machine: `curl -H 'X-Forwarded-Proto: https' http://127.0.0.1:8000/`.

use rocket::{get, launch, routes};
use rocket_db_pools::Database;
use rocket_security::db::{Migrations, SecurityDb};
use rocket_security::Security;

#[get("/")]
fn index() -> &'static str {
    "served behind a TLS-terminating proxy"
}

#[get("/health")]
fn health() -> &'static str {
    "ok"
}

const CONFIG: &str =
    "[default.databases.security]\nurl = \"postgres://postgres@127.0.0.1:5432/test\"\nmigrate = true\n\
    [default.security]\nallowed_hosts = [\"127.0.0.1\", \"localhost\"]\nallowed_hosts_exempt = [\"/health\"]\n\
    [default.security.https]\ntrusted_proxies = [\"127.0.0.1\"]\nredirect = true\nredirect_host = \"127.0.0.1\"\n\
    [default.security.throttle]\nstorage = \"database\"";

#[launch]
fn rocket() -> _ {
    use rocket::figment::providers::{Env, Format, Toml};
    let figment = rocket::figment::Figment::from(rocket::Config::default())
        .merge(Toml::string(CONFIG).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global());
    rocket::custom(figment)
        .attach(SecurityDb::init())
        .attach(Migrations::<SecurityDb>::fairing())
        .attach(Security::fairing().deploy_check(true))
        .mount("/", routes![index, health])
}
