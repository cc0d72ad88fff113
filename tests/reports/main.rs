//! The CSP report collector: captured browser requests, every answer, limits,
//! noise rules, storage accounting and the dashboard.

mod app;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
#[path = "../common/backends.rs"]
mod backends;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod browser;
#[cfg(feature = "redis")]
mod cache;
mod dashboard;
mod endpoint;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod golden;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod groups;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod policies;
#[cfg(feature = "redis")]
#[path = "../common/process.rs"]
mod process;
#[path = "../common/proxy.rs"]
mod proxy;
mod replay;
mod samples;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod spool;
mod storage;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod triage;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod types;
