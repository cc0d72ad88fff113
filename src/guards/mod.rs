//! Request guards.

pub(crate) mod ajax;
pub(crate) mod dnt;
pub(crate) mod login;
#[cfg(feature = "db")]
pub(crate) mod password;
