//! Persistence on every backend: migrations, CSP report storage, password
//! expiry, faults.

mod backends;
mod csp;
mod faults;
mod password;
#[path = "../common/proxy.rs"]
mod proxy;
mod rocket_integration;
