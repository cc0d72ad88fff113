//! Response headers through a real Rocket request/response cycle: one module
//! per header family, plus the golden default map.

#[path = "../common/mod.rs"]
mod common;

mod cache;
mod clear_site_data;
mod cross_origin;
mod csp;
mod defaults;
mod frame;
mod hosts;
mod hsts;
mod https_redirect;
mod integrity;
mod legacy;
mod nonce_cache;
mod overrides;
mod permissions;
mod privacy;
mod reporting;
