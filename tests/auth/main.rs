//! Authentication guards, deny-by-default mode, password expiry, session
//! expiry and login throttling (django-security §7.2–7.5, §7.11–7.12, bugs fixed).

mod ajax;
mod app;
#[path = "../common/backends.rs"]
mod backends;
mod csrf;
mod deny;
mod login;
mod password;
#[path = "../common/proxy.rs"]
mod proxy;
mod registry;
mod session;
mod throttle;
