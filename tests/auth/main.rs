//! Authentication guards, deny-by-default mode, password expiry, session
//! expiry, sessions on the server, CSRF, cookies behind a TLS proxy and
//! login throttling (django-security §7.2–7.5, §7.11–7.12, bugs fixed).

mod ajax;
mod app;
#[path = "../common/backends.rs"]
mod backends;
#[path = "../common/capture.rs"]
mod capture;
mod cookies;
mod csrf;
mod deny;
mod limit;
#[cfg(feature = "redis")]
mod limit_redis;
mod login;
mod password;
#[path = "../common/process.rs"]
mod process;
#[path = "../common/proxy.rs"]
mod proxy;
mod registry;
mod report_mode;
mod rotation;
mod session;
mod throttle;
#[cfg(feature = "redis")]
mod throttle_redis;
