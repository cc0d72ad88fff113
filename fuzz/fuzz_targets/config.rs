//! Any `Rocket.toml` text and any raw CSP policy: validation answers with
//! errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rocket::figment::providers::{Format, Toml};
use rocket::figment::Figment;
use rocket_security::SecurityConfig;
use rocket_security::csp::CspPolicy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = CspPolicy::parse(text, false);
    let _ = CspPolicy::parse(text, true);
    let figment = Figment::from(rocket::Config::debug_default()).merge(Toml::string(text).nested());
    let _ = SecurityConfig::from_figment(&figment);
});
