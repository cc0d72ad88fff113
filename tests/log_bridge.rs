//! Without a tracing subscriber (Rocket 0.5's own `log`-based logger), the
//! crate's events are emitted as `log` records with the target `security`.

#[path = "common/mod.rs"]
mod common;

use std::sync::Mutex;

static RECORDS: Mutex<Vec<(log::Level, String, String)>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        RECORDS.lock().unwrap().push((record.level(), record.target().to_string(), record.args().to_string()));
    }
    fn flush(&self) {}
}

#[rocket::async_test]
async fn events_reach_the_log_crate_under_target_security() {
    // Installed first, like Rocket's own logger would be.
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Info);

    // A zero-config launch logs no error at all (no probe of a database nobody configured).
    let _client = common::client(common::app("")).await;
    let errors: Vec<_> = RECORDS.lock().unwrap().iter().filter(|(l, _, _)| *l == log::Level::Error).cloned().collect();
    assert_eq!(errors, vec![], "a zero-config launch");

    assert!(common::ignite_fails(common::app("[default.security.hsts]\nmaxage = 1")).await);

    let records = RECORDS.lock().unwrap();
    let security: Vec<_> = records.iter().filter(|(_, t, _)| t == "security").collect();
    assert!(
        security.iter().any(|(l, _, m)| *l == log::Level::Error
            && m.contains("`security.hsts.maxage`: unknown key; did you mean `max_age`?")),
        "{security:#?}"
    );
    assert!(
        security
            .iter()
            .any(|(l, _, m)| *l == log::Level::Info && m == "nosniff: X-Content-Type-Options: nosniff [all paths]"),
        "{security:#?}"
    );
}
