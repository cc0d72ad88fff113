//! Zero config without a database feature: the app is served with every
//! default header, and what needs the security database (stored reports,
//! shared throttle counters, the session registry) fails ignite naming the
//! key and the feature to enable, never a silent no-op. Exits non-zero on
//! any difference.

use rocket::figment::providers::{Format, Toml};
use rocket::figment::Figment;
use rocket::http::Status;
use rocket::local::blocking::Client;
use rocket::{get, routes};
use rocket_security::Security;

#[get("/")]
fn index() -> &'static str {
    "hello"
}

fn figment(toml: &str) -> Figment {
    Figment::from(rocket::Config::debug_default()).merge(("log_level", "off")).merge(Toml::string(toml).nested())
}

fn main() {
    let client = Client::tracked(rocket::custom(figment("")).attach(Security::fairing()).mount("/", routes![index]))
        .expect("zero config launches without a database");
    let res = client.get("/").dispatch();
    assert_eq!(res.status(), Status::Ok);
    assert!(res.headers().get_one("Content-Security-Policy").is_some_and(|v| v.starts_with("default-src 'self'")));

    let cases = [
        ("[default.security.reports]\ndatabase = true", "security.reports.database", "features = [\"sqlite\"]"),
        ("[default.security.throttle]\nstorage = \"database\"", "security.throttle.storage", "features = [\"sqlite\"]"),
        ("[default.security.throttle]\nstorage = \"redis\"", "security.throttle.storage", "features = [\"redis\"]"),
        ("[default.security.session]\nenabled = true", "security.session.registry", "`sqlite`, `postgres` or `mysql`"),
    ];
    for (toml, key, fix) in cases {
        let err = Security::fairing().findings(&figment(toml)).expect_err(toml).to_string();
        assert!(err.contains(key) && err.contains(fix), "{toml}: {err}");
        println!("refused at ignite: {toml:?}");
    }
    println!("zero config without a database: served; 4 database settings refused at ignite");
}
