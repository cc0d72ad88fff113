//! Persistence on every backend: migrations, CSP report storage, password
//! expiry, faults.

mod backends;
mod csp;
mod faults;
mod password;
mod rocket_integration;
