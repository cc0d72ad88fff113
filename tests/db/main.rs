//! Persistence on every backend: migrations, CSP report storage, password
//! expiry (the faults are in tests/faults).

#[path = "../common/backends.rs"]
mod backends;
mod csp;
mod password;
mod rocket_integration;
mod sessions;
