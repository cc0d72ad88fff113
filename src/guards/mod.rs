//! Request guards.

pub(crate) mod dnt;
